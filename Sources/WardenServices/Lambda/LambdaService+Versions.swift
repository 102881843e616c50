// Versions (Lambda Developer Guide, "Managing Lambda function versions"; API reference PublishVersion,
// ListVersionsByFunction, DeleteFunction): immutable snapshots of $LATEST's configuration and code, numbered 1, 2, …
// (never reused), and how a FunctionName plus Qualifier resolves to the configuration that runs.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

/// What a function reference with its qualifier names.
struct ResolvedFunction: Sendable {
    var row: FunctionRow
    /// $LATEST's record: the function's tags and resource policy live there.
    var latest: FunctionRecord
    /// The configuration that runs: $LATEST's, or the version's.
    var record: FunctionRecord
    /// "$LATEST" or the version number that runs.
    var version: String
    /// The qualifier as the request gave it ($LATEST, a version or an alias), nil when it gave none.
    var qualifier: String?

    func arn(_ c: RequestContext) -> String {
        LambdaService.functionArn(c, row.name) + (qualifier.map { ":\($0)" } ?? "")
    }
}

extension LambdaService {
    static func decodeRecord(_ doc: [UInt8]) throws -> FunctionRecord {
        try JSONDecoder().decode(FunctionRecord.self, from: Data(doc))
    }

    static func isVersionNumber(_ q: String) -> Bool { !q.isEmpty && q.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }

    /// The function name and qualifier of a request: the one the name carries or the `Qualifier` parameter (they
    /// must agree when both are given).
    static func qualified(_ ref: String, _ given: String?, _ c: RequestContext) throws(AWSError) -> (name: String, qualifier: String?) {
        let (name, derived) = try parse(ref, c)
        if let given, !isValidQualifier(given) {
            throw validation(
                "1 validation error detected: Value '\(given)' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)")
        }
        if let derived, let given, derived != given {
            throw invalid("The derived qualifier from the function name does not match the specified qualifier.")
        }
        return (name, derived ?? given)
    }

    /// A version's configuration, or nil when the function has no such version.
    func versionRecord(_ row: FunctionRow, _ n: Int64) async throws -> FunctionRecord? {
        guard let v = try await repository.version(account: row.account, region: row.region, name: row.name, version: n) else { return nil }
        return try Self.decodeRecord(v.doc)
    }

    /// Resolves `ref` with `qualifier`: ResourceNotFoundException ("Function not found: ARN", qualified as asked) when
    /// the function, version or alias is not there. An alias resolves to its version — with `pick`, to one of its
    /// two versions chosen by the routing weight (Invoke), otherwise to its primary version.
    func resolve(_ ref: String, qualifier given: String?, _ c: RequestContext, pick: Bool = false) async throws -> ResolvedFunction {
        let (name, qualifier) = try Self.qualified(ref, given, c)
        let missing = Self.notFound(Self.functionArn(c, name) + (qualifier.map { ":\($0)" } ?? ""))
        guard let row = try await repository.function(account: c.account, region: c.region, name: name) else { throw missing }
        let latest = try Self.decodeRecord(row.doc)
        var resolved = ResolvedFunction(row: row, latest: latest, record: latest, version: "$LATEST", qualifier: qualifier)
        guard let qualifier, qualifier != "$LATEST" else { return resolved }
        var version = qualifier
        if !Self.isVersionNumber(qualifier) {
            guard let alias = try await aliasDoc(row, qualifier) else { throw missing }
            version = pick ? alias.pick() : alias.functionVersion
            if version == "$LATEST" { return resolved }
        }
        guard let n = Int64(version), let record = try await versionRecord(row, n) else { throw missing }
        resolved.record = record
        resolved.version = String(n)
        return resolved
    }

    // MARK: operations

    func publishVersion(_ input: Lambda.PublishVersionRequest, context c: RequestContext) async throws -> Lambda.FunctionConfiguration {
        if input.publishTo != nil { throw Self.invalid("Warden does not serve PublishTo (Lambda Managed Instances).") }
        return try await withFunction(input.functionName, c) { row, r in
            let (n, v, _) = try await publish(row, r, c, description: input.description, codeSha256: input.codeSha256,
                                              revisionId: input.revisionId)
            return configuration(row, v, c, version: String(n), arn: Self.functionArn(c, row.name) + ":\(n)")
        }
    }

    /// Publishes $LATEST as the next version (under the function's lock), or returns the newest version when $LATEST
    /// has not changed since it was published ("Lambda doesn't publish a version if the function's configuration and
    /// code haven't changed since the last version", API reference PublishVersion). Returns the version number, its
    /// configuration and $LATEST's record after the publish.
    func publish(_ row: FunctionRow, _ r: FunctionRecord, _ c: RequestContext, description: String? = nil, codeSha256: String? = nil,
                 revisionId: String? = nil) async throws -> (Int64, FunctionRecord, FunctionRecord) {
        try checkRevision(revisionId, r)
        if let codeSha256, codeSha256 != r.codeSha256 {
            // LocalStack's recorded text (tests/aws/services/lambda_/test_lambda_api.py, TestLambdaVersions).
            throw Self.invalid("CodeSHA256 (\(codeSha256)) is different from current CodeSHA256 in $LATEST (\(r.codeSha256)). Please try again with the CodeSHA256 in $LATEST.")
        }
        if let last = r.lastVersion, r.publishedChange == r.changeToken, let existing = try await versionRecord(row, last) {
            return (last, existing, r)
        }
        let n = (r.lastVersion ?? 0) + 1
        var version = r
        version.revisionId = UUID().uuidString.lowercased()
        if let description { version.description = description }
        // A new version has no resource policy of its own; tags belong to the function.
        version.statements = []
        version.tags = [:]
        var latest = r
        latest.lastVersion = n
        latest.publishedChange = r.changeToken
        // Publishing changes $LATEST's RevisionId too (as LocalStack's recordings of AWS show).
        latest.revisionId = UUID().uuidString.lowercased()
        var updated = row
        updated.doc = Array(try JSONEncoder().encode(latest))
        let v = FunctionVersionRow(account: row.account, region: row.region, name: row.name, version: n, createdAtMillis: nowMillis,
                                   doc: Array(try JSONEncoder().encode(version)))
        guard try await repository.publish(updated, version: v) else { throw Self.notFound(Self.functionArn(c, row.name)) }
        return (n, version, latest)
    }

    func listVersionsByFunction(_ input: Lambda.ListVersionsByFunctionRequest,
                                context c: RequestContext) async throws -> Lambda.ListVersionsByFunctionResponse {
        let limit = input.maxItems ?? 50
        guard (1...10_000).contains(limit) else { throw Self.invalid("MaxItems must be between 1 and 10000.") }
        var after: Int64 = -1
        if let marker = input.marker {
            guard let raw = Data(base64Encoded: marker), let text = String(data: raw, encoding: .utf8), let n = Int64(text), n >= 0 else {
                throw Self.invalid("Invalid marker")
            }
            after = n
        }
        let (row, r) = try await load(input.functionName, c)
        let arn = Self.functionArn(c, row.name)
        // $LATEST first (as position 0), then the versions in order.
        var items: [(Int64, Lambda.FunctionConfiguration)] = []
        if after < 0 { items.append((0, configuration(row, r, c, arn: arn + ":$LATEST"))) }
        for v in try await repository.versions(account: row.account, region: row.region, name: row.name, after: max(after, 0),
                                                limit: limit + 1 - items.count) {
            items.append((v.version, configuration(row, try Self.decodeRecord(v.doc), c, version: String(v.version), arn: arn + ":\(v.version)")))
        }
        let page = items.prefix(limit)
        let next = items.count > limit ? page.last.map { Data(String($0.0).utf8).base64EncodedString() } : nil
        return Lambda.ListVersionsByFunctionResponse(nextMarker: next, versions: page.map { Self.listed($0.1) })
    }

    /// DeleteFunction with a Qualifier: one version goes, unless an alias routes to it.
    func deleteVersion(name: String, qualifier: String, _ c: RequestContext) async throws {
        guard qualifier != "$LATEST" else { throw Self.invalid("$LATEST version cannot be deleted without deleting the function.") }
        let deleted = try await withFunction(name, c) { row, _ -> Int64? in
            var target = qualifier
            if !Self.isVersionNumber(qualifier) {
                // An alias name names the version it points at, which the alias then keeps from deletion: DeleteFunction
                // never deletes an alias (observed on AWS, floci-io/floci#2824). An unknown alias deletes nothing.
                guard let alias = try await aliasDoc(row, qualifier) else { return nil }
                target = alias.functionVersion
                guard target != "$LATEST" else { throw Self.invalid("$LATEST version cannot be deleted without deleting the function.") }
            }
            let users = try await aliases(row).filter { $0.1.references(target) }.map(\.0)
            guard users.isEmpty else {
                throw Lambda.Errors.resourceConflictException("Unable to delete version because the following aliases reference it: [\(users.joined(separator: ", "))]")
            }
            // A version that is not there is deleted already: 204, as AWS answers (floci-io/floci#2824).
            guard let n = Int64(target),
                  try await repository.deleteVersion(account: row.account, region: row.region, name: row.name, version: n) else { return nil }
            return n
        }
        if let deleted { await runner?.retire(functionArn: Self.functionArn(c, name) + ":\(deleted)") }
    }

    /// The version numbers a function has (to stop their processes when it goes).
    func versionNumbers(_ account: String, _ region: String, _ name: String) async throws -> [Int64] {
        try await repository.versions(account: account, region: region, name: name, after: 0, limit: 100_000).map(\.version)
    }
}
