// Parameter Store (AWS Systems Manager): versioned String, StringList and SecureString parameters in a hierarchy;
// SecureString values are encrypted through Warden's KMS with the parameter's ARN as encryption context.
import Crypto
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

public struct SSMService: Sendable {
    let repository: ParameterRepository
    let keys: (any DataKeyProvider)?
    /// Secrets Manager, for `/aws/reference/secretsmanager/SECRET_ID`.
    let secrets: (any SecretReader)?
    let now: @Sendable () -> Date
    let locks: ResourceLocks

    public init(repository: ParameterRepository, keys: (any DataKeyProvider)?, secrets: (any SecretReader)? = nil,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.repository = repository
        self.locks = ResourceLocks(repository.db)
        self.keys = keys
        self.secrets = secrets
        self.now = now
    }

    var nowMillis: Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// What is not versioned: tags, and a copy of the newest version's facts for listings.
struct ParameterDoc: Codable, Sendable {
    var latest: VersionDoc
    var tags: [[String]]
}

/// One version's facts (its value is stored beside it).
struct VersionDoc: Codable, Sendable {
    var type: String
    var keyId: String?
    var description: String?
    var allowedPattern: String?
    var tier: String
    var policies: [String]?
    var dataType: String
    var labels: [String]
    var lastModifiedMillis: Int64
    var user: String
    /// Notification policies already sent for this version.
    var fired: [String]?

    func encoded() -> String { (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}" }
}

extension SSMService {
    static func validation(_ m: String) -> AWSError { AWSError(code: "ValidationException", status: 400, message: m) }
    static func notFound(_ name: String) -> AWSError { SSM.Errors.parameterNotFound("Parameter \(name) not found.") }

    static func arn(_ c: RequestContext, _ name: String) -> String {
        "arn:\(c.partition.rawValue):ssm:\(c.region):\(c.account):parameter\(name.hasPrefix("/") ? "" : "/")\(name)"
    }

    /// A name as stored: an ARN of the caller's account and region becomes its name; spaces around it are trimmed.
    static func normalize(_ raw: String, _ c: RequestContext) throws(AWSError) -> String {
        var name = raw.trimmingCharacters(in: .whitespaces)
        if name.hasPrefix("arn:") {
            let parts = name.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[2] == "ssm", parts[5].hasPrefix("parameter/") else { throw validation("Invalid parameter ARN: \(raw)") }
            guard parts[3] == Substring(c.region), parts[4] == Substring(c.account) else { throw notFound(raw) }
            let rest = String(parts[5].dropFirst("parameter/".count))
            // `parameter/a/b` names `/a/b`; `parameter/a` names `a`.
            name = rest.contains("/") ? "/" + rest : rest
        }
        return name
    }

    /// Parameter Store's name rules for writes.
    static func checkName(_ name: String, _ c: RequestContext) throws(AWSError) {
        guard !name.contains(" ") else { throw validation("Parameter name: can't contain spaces.") }
        let allowed = name.unicodeScalars.allSatisfy { s in
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || "_.-/".unicodeScalars.contains(s)
        }
        guard allowed, !name.isEmpty, !name.hasSuffix("/"), !name.contains("//"), !name.contains("/") || name.hasPrefix("/") else {
            throw SSM.Errors.parameterPatternMismatchException(
                "Parameter name must be a fully qualified name: letters, numbers and .-_, with / as the hierarchy separator and a leading / for a path.")
        }
        // Reserved prefixes, in the three wordings moto's tests copy from AWS (not recorded by us): a plain name, an
        // `/ssm...` path, an `/aws...` path.
        let first = name.split(separator: "/").first.map { $0.lowercased() } ?? ""
        if !name.hasPrefix("/") && (first.hasPrefix("aws") || first.hasPrefix("ssm")) {
            throw validation(#"Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive)."#)
        }
        if first.hasPrefix("ssm") {
            throw validation(#"Parameter name: can't be prefixed with "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_"#)
        }
        guard !first.hasPrefix("aws") else {
            throw validation("No access to reserved parameter name: \(name).")
        }
        guard name.split(separator: "/").count <= 15 else {
            throw SSM.Errors.hierarchyLevelLimitExceededException("A hierarchy can have a maximum of 15 levels.")
        }
        guard arn(c, name).utf8.count <= 1011 else {
            throw validation("Parameter name: too long. The name including its ARN prefix can be at most 1011 characters.")
        }
    }

    /// `name`, `name:3` or `name:label` (the last colon, outside an ARN's own colons).
    static func selector(_ raw: String, _ c: RequestContext) throws(AWSError) -> (name: String, selector: String?) {
        let name = try normalize(raw, c)
        guard let colon = name.lastIndex(of: ":") else { return (name, nil) }
        return (String(name[..<colon]), String(name[name.index(after: colon)...]))
    }

    /// `name` and `/name` are one parameter (LocalStack's AWS-validated test_put_parameters): the other spelling of a
    /// top-level name, or nil for a name in a hierarchy (whose leading slash is required).
    static func otherSpelling(_ name: String) -> String? {
        if name.hasPrefix("/") {
            let rest = name.dropFirst()
            return rest.isEmpty || rest.contains("/") ? nil : String(rest)
        }
        return name.contains("/") || name.isEmpty ? nil : "/" + name
    }

    /// The lock every change of one parameter takes (in the database, so it holds across nodes): both spellings of a
    /// top-level name lock under one name.
    static func lockKey(_ account: String, _ region: String, _ name: String) -> String {
        "ssm:\(account)/\(region):" + (otherSpelling(name).map { $0.hasPrefix("/") ? name : $0 } ?? name)
    }

    /// The stored parameter a name (in either spelling) names.
    func lookup(_ name: String, _ c: RequestContext) async throws -> ParameterRow? {
        if let p = try await repository.parameter(account: c.account, region: c.region, name: name) { return p }
        guard let other = Self.otherSpelling(name) else { return nil }
        return try await repository.parameter(account: c.account, region: c.region, name: other)
    }

    /// The name a parameter is stored under, for a name in either spelling (the name itself when there is none).
    func storedName(_ name: String, _ c: RequestContext) async throws -> String { try await lookup(name, c)?.name ?? name }

    static func labelled(_ doc: String) -> Bool {
        ((try? JSONDecoder().decode(VersionDoc.self, from: Data(doc.utf8)))?.labels.isEmpty == false)
    }

    static func decodeVersion(_ doc: String) throws -> VersionDoc { try JSONDecoder().decode(VersionDoc.self, from: Data(doc.utf8)) }
    static func decodeParameter(_ doc: String) throws -> ParameterDoc { try JSONDecoder().decode(ParameterDoc.self, from: Data(doc.utf8)) }
}
