// Aliases (Lambda Developer Guide, "Creating an alias for a Lambda function", "Implementing Lambda canary
// deployments using a weighted alias"; API reference CreateAlias … ListAliases): a name pointing at a version, with at
// most one additional version taking a share of invocations. Errors and their texts are AWS's as LocalStack recorded
// them (tests/aws/services/lambda_/test_lambda_api.snapshot.json, TestLambdaAlias).
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

/// An alias as stored.
struct AliasDoc: Codable, Sendable {
    var functionVersion: String
    var description: String
    /// RoutingConfig.AdditionalVersionWeights: at most one version and its share (0.0–1.0).
    var weights: [String: Double]?
    var revisionId: String

    /// The version an invocation through the alias runs: the additional version with its weight's probability.
    func pick() -> String {
        guard let (other, weight) = weights?.first, weight > 0 else { return functionVersion }
        return Double.random(in: 0..<1) < weight ? other : functionVersion
    }

    /// Whether invocations through the alias may run `version`.
    func references(_ version: String) -> Bool {
        functionVersion == version || weights?[version] != nil
    }
}

extension LambdaService {
    static func validation(_ m: String) -> AWSError { AWSError(code: "ValidationException", status: 400, message: m) }

    static func aliasArn(_ c: RequestContext, _ function: String, _ alias: String) -> String { functionArn(c, function) + ":" + alias }

    func aliasDoc(_ row: FunctionRow, _ name: String) async throws -> AliasDoc? {
        guard let side = try await repository.side(.aliases, account: row.account, region: row.region, function: row.name, name: name) else {
            return nil
        }
        return try JSONDecoder().decode(AliasDoc.self, from: Data(side.doc.utf8))
    }

    /// A function's aliases in name order.
    func aliases(_ row: FunctionRow) async throws -> [(String, AliasDoc)] {
        try await repository.sides(.aliases, account: row.account, region: row.region, function: row.name).map { side in
            (side.name, try JSONDecoder().decode(AliasDoc.self, from: Data(side.doc.utf8)))
        }
    }

    func aliasConfiguration(_ c: RequestContext, _ function: String, _ name: String, _ a: AliasDoc) -> Lambda.AliasConfiguration {
        Lambda.AliasConfiguration(aliasArn: Self.aliasArn(c, function, name), name: name, functionVersion: a.functionVersion,
                                  description: a.description,
                                  routingConfig: a.weights.map { Lambda.AliasRoutingConfiguration(additionalVersionWeights: $0) },
                                  revisionId: a.revisionId)
    }

    /// Runs a change of one function under its lock; `missing` is the error when the function is not there.
    func locked<T: Sendable>(_ name: String, _ c: RequestContext, missing: AWSError,
                             _ body: (FunctionRow, FunctionRecord) async throws -> T) async throws -> T {
        try await repository.db.withLock(Self.lockName(c.account, c.region, name)) {
            guard let row = try await repository.function(account: c.account, region: c.region, name: name) else { throw missing }
            return try await body(row, try Self.decodeRecord(row.doc))
        }
    }

    /// The version an alias points at must exist ("Function not found: ARN:VERSION", as for an unknown function).
    func checkTarget(_ row: FunctionRow, _ version: String, _ c: RequestContext) async throws {
        guard version != "$LATEST" else { return }
        guard let n = Int64(version), try await versionRecord(row, n) != nil else {
            throw Self.notFound(Self.functionArn(c, row.name) + ":" + version)
        }
    }

    /// Validates RoutingConfig.AdditionalVersionWeights for an alias pointing at `target`; nil when it routes nothing.
    func routing(_ weights: [String: Double]?, target: String, _ row: FunctionRow, _ c: RequestContext) async throws -> [String: Double]? {
        guard let weights, !weights.isEmpty else { return nil }
        guard weights.count == 1 else { throw Self.invalid("Number of items in AdditionalVersionWeights cannot be greater than 1") }
        for (key, weight) in weights {
            // The model's constraints, checked here to word them as AWS does for a map (Java's `{key=value}`).
            let shown = "{\(key)=\(JavaDouble.format(weight))}"
            guard weight >= 0, weight <= 1 else {
                throw Self.validation("1 validation error detected: Value '\(shown)' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]")
            }
            guard Self.isVersionNumber(key), key.utf8.count <= 1024 else {
                throw Self.validation("1 validation error detected: Value '\(shown)' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+, Member must not be null]")
            }
            if key == target {
                throw Self.invalid("Invalid function version \(target). Function version \(target) is already included in routing configuration.")
            }
            if target == "$LATEST" { throw Self.invalid("$LATEST is not supported for an alias pointing to more than 1 version") }
            try await checkTarget(row, key, c)
        }
        return weights
    }

    // MARK: operations

    func createAlias(_ input: Lambda.CreateAliasRequest, context c: RequestContext) async throws -> Lambda.AliasConfiguration {
        let function = try Self.name(input.functionName, c)
        let missing = Self.notFound(Self.functionArn(c, function) + ":" + input.functionVersion)
        return try await locked(function, c, missing: missing) { row, _ in
            try await checkTarget(row, input.functionVersion, c)
            if try await aliasDoc(row, input.name) != nil {
                throw Lambda.Errors.resourceConflictException("Alias already exists: \(Self.aliasArn(c, function, input.name))")
            }
            let doc = AliasDoc(functionVersion: input.functionVersion, description: input.description ?? "",
                               weights: try await routing(input.routingConfig?.additionalVersionWeights, target: input.functionVersion, row, c),
                               revisionId: UUID().uuidString.lowercased())
            let side = FunctionSideRow(account: row.account, region: row.region, function: function, name: input.name,
                                       doc: String(decoding: try JSONEncoder().encode(doc), as: UTF8.self))
            switch try await repository.putSide(.aliases, side, create: true) {
            case .written: break
            case .exists: throw Lambda.Errors.resourceConflictException("Alias already exists: \(Self.aliasArn(c, function, input.name))")
            case .functionGone: throw missing
            }
            return aliasConfiguration(c, function, input.name, doc)
        }
    }

    func getAlias(_ input: Lambda.GetAliasRequest, context c: RequestContext) async throws -> Lambda.AliasConfiguration {
        let (row, _) = try await load(input.functionName, c)
        guard let doc = try await aliasDoc(row, input.name) else {
            throw Lambda.Errors.resourceNotFoundException("Cannot find alias arn: \(Self.aliasArn(c, row.name, input.name))")
        }
        return aliasConfiguration(c, row.name, input.name, doc)
    }

    func updateAlias(_ input: Lambda.UpdateAliasRequest, context c: RequestContext) async throws -> Lambda.AliasConfiguration {
        let function = try Self.name(input.functionName, c)
        return try await locked(function, c, missing: Self.notFound(Self.functionArn(c, function))) { row, _ in
            guard var doc = try await aliasDoc(row, input.name) else {
                // AWS's text for UpdateAlias differs from GetAlias's (localstack/localstack#11878).
                throw Lambda.Errors.resourceNotFoundException("Alias not found: \(Self.aliasArn(c, function, input.name))")
            }
            if let given = input.revisionId, given != doc.revisionId {
                throw Lambda.Errors.preconditionFailedException("The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
            }
            if let version = input.functionVersion {
                try await checkTarget(row, version, c)
                doc.functionVersion = version
            }
            if let description = input.description { doc.description = description }
            // A RoutingConfig replaces the routing (an empty one removes it); without one the routing stays, and must
            // still make sense for a new target version.
            let weights = input.routingConfig.map { $0.additionalVersionWeights ?? [:] } ?? doc.weights
            doc.weights = try await routing(weights, target: doc.functionVersion, row, c)
            doc.revisionId = UUID().uuidString.lowercased()
            let side = FunctionSideRow(account: row.account, region: row.region, function: function, name: input.name,
                                       doc: String(decoding: try JSONEncoder().encode(doc), as: UTF8.self))
            guard try await repository.putSide(.aliases, side, create: false) == .written else {
                throw Self.notFound(Self.functionArn(c, function))
            }
            return aliasConfiguration(c, function, input.name, doc)
        }
    }

    func deleteAlias(_ input: Lambda.DeleteAliasRequest, context c: RequestContext) async throws -> EmptyShape {
        let function = try Self.name(input.functionName, c)
        try await locked(function, c, missing: Self.notFound(Self.functionArn(c, function))) { row, _ in
            // An alias that is not there is gone already: AWS answers 204 (localstack/localstack#11878).
            _ = try await repository.deleteSide(.aliases, account: row.account, region: row.region, function: function, name: input.name)
        }
        return EmptyShape()
    }

    func listAliases(_ input: Lambda.ListAliasesRequest, context c: RequestContext) async throws -> Lambda.ListAliasesResponse {
        let limit = input.maxItems ?? 50
        guard (1...10_000).contains(limit) else { throw Self.invalid("MaxItems must be between 1 and 10000.") }
        var after: String?
        if let marker = input.marker {
            guard let raw = Data(base64Encoded: marker), let name = String(data: raw, encoding: .utf8) else { throw Self.invalid("Invalid marker") }
            after = name
        }
        let (row, _) = try await load(input.functionName, c)
        // Names compare by their bytes, the order the store lists them in.
        let matching = try await aliases(row).filter { name, doc in
            (after.map { Array($0.utf8).lexicographicallyPrecedes(Array(name.utf8)) } ?? true)
                && (input.functionVersion.map { doc.functionVersion == $0 } ?? true)
        }
        let page = matching.prefix(limit)
        return Lambda.ListAliasesResponse(nextMarker: matching.count > limit ? page.last.map { Data($0.0.utf8).base64EncodedString() } : nil,
                                          aliases: page.map { aliasConfiguration(c, row.name, $0.0, $0.1) })
    }
}
