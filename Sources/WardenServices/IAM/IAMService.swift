// AWS IAM: users, groups, roles, managed and inline policies, access keys and OpenID Connect providers.
// IAM is global: state is per account, whatever the region; ARNs take the request's partition.
import Foundation
import WardenAPI
import WardenCore
import WardenPolicy
import WardenStorage

public struct IAMService: Sendable {
    let repo: IAMRepository
    let accessKeys: AccessKeyRepository
    /// Called with the account after each committed write (caches of compiled policies are dropped).
    let onChange: @Sendable (String) -> Void
    let now: @Sendable () -> Date

    public init(repo: IAMRepository, accessKeys: AccessKeyRepository, onChange: @escaping @Sendable (String) -> Void,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.repo = repo
        self.accessKeys = accessKeys
        self.onChange = onChange
        self.now = now
        // The storage layer resolves attached AWS managed policies (and STS's PolicyArns) through this catalog.
        if !AWSManagedPolicyCatalog.shared.isInstalled {
            AWSManagedPolicyCatalog.shared.install(AWSManagedPolicies.all.map {
                AWSManagedPolicyInfo(id: $0.policyId, path: $0.path, name: $0.name, document: $0.document)
            })
        }
    }

    /// Now in whole seconds: IAM's dates carry no fractions.
    var nowMillis: Int64 { Int64(now().timeIntervalSince1970.rounded(.down)) * 1000 }

    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }

    /// One write transaction for the caller's account; `onChange` runs once it committed.
    func write<T: Sendable>(_ c: RequestContext, _ body: @Sendable (IAMTx) async throws -> T) async throws -> T {
        let result = try await repo.write(account: c.account, body)
        onChange(c.account)
        return result
    }

    func read<T: Sendable>(_ c: RequestContext, _ body: @Sendable (IAMTx) async throws -> T) async throws -> T {
        try await repo.read(account: c.account, body)
    }
}

// MARK: errors

extension IAMService {
    static func title(_ kind: IAMEntityKind) -> String {
        switch kind {
        case .user: "User"
        case .group: "Group"
        case .role: "Role"
        }
    }

    /// "The user with name X cannot be found." (recorded from IAM for users, groups and roles).
    static func noSuchEntity(_ kind: IAMEntityKind, _ name: String) -> AWSError {
        IAM.Errors.noSuchEntityException("The \(kind.rawValue) with name \(name) cannot be found.")
    }

    /// "User with name X already exists." (recorded from IAM for users, groups and roles).
    static func alreadyExists(_ kind: IAMEntityKind, _ name: String) -> AWSError {
        IAM.Errors.entityAlreadyExistsException("\(title(kind)) with name \(name) already exists.")
    }

    /// "The role policy with name X cannot be found." (recorded from IAM for roles and groups; users by analogy).
    static func noSuchInlinePolicy(_ kind: IAMEntityKind, _ name: String) -> AWSError {
        IAM.Errors.noSuchEntityException("The \(kind.rawValue) policy with name \(name) cannot be found.")
    }

    /// IAM's generic validation error (the code the model's own constraint failures get).
    static func validation(_ message: String) -> AWSError { AWSError(code: "ValidationError", status: 400, message: message) }

    static func limit(_ message: String) -> AWSError { IAM.Errors.limitExceededException(message) }

    static func conflict(_ message: String) -> AWSError { IAM.Errors.deleteConflictException(message) }

    /// Recorded from IAM when a tag operation would leave an entity with more than 50 tags.
    static let tagLimit = "The number of tags has reached the maximum limit."

    /// A Marker that is not one of ours.
    // AWS's text for this case is not known.
    static let invalidMarker = validation("Invalid value for Marker.")
}

// MARK: names, ids, ARNs

extension IAMService {
    static let idAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    /// A unique id as IAM forms them: a 4-letter prefix (AIDA user, AGPA group, AROA role, ANPA policy) and 17
    /// base32 characters.
    static func newId(_ prefix: String) -> String {
        var rng = SystemRandomNumberGenerator()
        return prefix + String((0..<17).map { _ in idAlphabet[Int(rng.next(upperBound: UInt32(idAlphabet.count)))] })
    }

    /// `arn:PARTITION:iam::ACCOUNT:TYPE/PATH/NAME` (a path of "/" gives `TYPE/NAME`).
    static func arn(_ c: RequestContext, account: String, type: String, path: String, name: String) -> String {
        "arn:\(c.partition.rawValue):iam::\(account):\(type)\(path)\(name)"
    }

    static func arn(_ e: IAMEntityRow, _ c: RequestContext) -> String {
        arn(c, account: e.account, type: e.kind.rawValue, path: e.path, name: e.name)
    }

    /// The caller's own user: callers signing as an IAM user name themselves when UserName is omitted.
    static func callerUserName(_ c: RequestContext) -> String? {
        guard let p = c.principal, p.kind == .iamUser, p.account == c.account else { return nil }
        if let name = p.userName { return name }
        // arn:aws:iam::ACCOUNT:user/PATH/NAME
        return p.arn.split(separator: "/").last.map(String.init)
    }
}

// MARK: documents

enum IAMJSON {
    static func encode<T: Encodable>(_ value: T) -> String { IAMDocuments.encode(value) }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        do { return try IAMDocuments.decode(type, text) } catch {
            throw AWSError.internalFailure("A stored IAM document does not decode.")
        }
    }
}

extension IAMService {
    static let hex = Array("0123456789ABCDEF".utf8)

    /// Policy documents travel URL-encoded in IAM's Query responses (clients decode them): every byte but the
    /// RFC 3986 unreserved characters is percent-encoded, spaces as `%20`.
    static func encodedDocument(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 2)
        for b in text.utf8 {
            switch b {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E: out.append(b)
            default:
                out.append(0x25)
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Documents against one of IAM's size quotas (characters without white space; AWS's LimitExceeded texts).
    static func checkSize(_ documents: [String], _ quota: PolicySizeQuota) throws {
        let total = documents.reduce(0) { $0 + WardenPolicy.Policy.size(of: $1) }
        if total > quota.limit { throw limit(quota.error.message) }
    }

    /// Checks a document against IAM's policy grammar for its use; managed policies must also be written in the
    /// current language version.
    static func validatePolicy(_ document: String, kind: PolicyKind, id: String, managed: Bool = false) throws {
        do throws(PolicyError) {
            let policy = try WardenPolicy.Policy(json: document, kind: kind, id: id)
            if managed { try policy.requireCurrentVersion() }
        } catch {
            throw IAM.Errors.malformedPolicyDocumentException(error.message)
        }
    }
}

// MARK: paging and tags

extension IAMService {
    /// One page of a list computed whole: the items, IsTruncated, and the Marker of the next page.
    static func page<T>(_ all: [T], maxItems: Int?, marker: String?) throws -> (items: [T], isTruncated: Bool, marker: String?) {
        let (items, next) = try OffsetPage.slice(all, limit: maxItems ?? 100, token: marker, invalid: invalidMarker)
        return (items, next != nil, next)
    }

    /// Tags added to `existing`: a key already there (for users, roles and OIDC providers in any case) gets the new
    /// value in its place; duplicates in one request are refused, as is ending with more than 50.
    static func merge(_ existing: [IAMTag], _ new: [IAM.Tag], caseSensitive: Bool) throws -> [IAMTag] {
        func same(_ a: String, _ b: String) -> Bool { caseSensitive ? a == b : a.lowercased() == b.lowercased() }
        var seen: Set<String> = []
        for t in new where !seen.insert(caseSensitive ? t.key : t.key.lowercased()).inserted {
            // Both texts recorded from IAM: policies' tag keys are case-sensitive, users' and roles' are not.
            throw IAM.Errors.invalidInputException(caseSensitive ? "Duplicate tag keys found."
                : "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        }
        var tags = existing
        for t in new {
            if let i = tags.firstIndex(where: { same($0.key, t.key) }) {
                tags[i] = IAMTag(key: t.key, value: t.value)
            } else {
                tags.append(IAMTag(key: t.key, value: t.value))
            }
        }
        guard tags.count <= 50 else { throw limit(tagLimit) }
        return tags
    }

    static func removing(_ keys: [String], from tags: [IAMTag], caseSensitive: Bool) -> [IAMTag] {
        let gone = Set(keys.map { caseSensitive ? $0 : $0.lowercased() })
        return tags.filter { !gone.contains(caseSensitive ? $0.key : $0.key.lowercased()) }
    }

    static func shapes(_ tags: [IAMTag]) -> [IAM.Tag] { tags.map { IAM.Tag(key: $0.key, value: $0.value) } }

    /// The tags as a response member: absent when there are none (users, roles).
    static func optionalShapes(_ tags: [IAMTag]?) -> [IAM.Tag]? {
        guard let tags, !tags.isEmpty else { return nil }
        return shapes(tags)
    }
}
