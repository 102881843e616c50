// What a service tells the authorizer about the resources of one request: their resource-based policies, their
// condition keys, and (KMS) the grants that may allow the call. The authorizer decides; services only answer facts.

/// A policy document and the name a denial or a simulation gives it.
public struct PolicyText: Sendable, Equatable {
    public var id: String
    public var json: String
    public init(id: String, json: String) {
        self.id = id
        self.json = json
    }
}

/// One resource of a request, as its service knows it.
public struct ResourceFacts: Sendable {
    /// The canonical ARN (an alias resolved to its key).
    public var arn: String
    public var account: String
    /// The resource's resource-based policies (key policy, queue policy, …); empty when it has none.
    public var policies: [PolicyText]
    /// KMS: the key policy must allow the call (directly or by naming the account) before IAM policies count.
    public var policyRequired: Bool
    /// Condition keys that belong to the resource (`aws:ResourceTag/…`, `kms:KeySpec`, …).
    public var conditions: [String: [String]]
    /// KMS grants: whether a grant on this resource allows the caller (`granteeArns`: the ARNs a grantee may be named
    /// by) the action under the request's encryption context, and the grant's id. Asked only when no policy allows.
    public var grant: (@Sendable (_ granteeArns: [String], _ action: String) async throws -> String?)?
    /// The action on this resource, where it differs from the operation's (ReEncrypt: `kms:ReEncryptFrom` on the
    /// source key, `kms:ReEncryptTo` on the destination).
    public var action: String?

    public init(arn: String, account: String, policies: [PolicyText] = [], policyRequired: Bool = false,
                conditions: [String: [String]] = [:], action: String? = nil,
                grant: (@Sendable (_ granteeArns: [String], _ action: String) async throws -> String?)? = nil) {
        self.action = action
        self.arn = arn
        self.account = account
        self.policies = policies
        self.policyRequired = policyRequired
        self.conditions = conditions
        self.grant = grant
    }
}

/// Everything a service contributes to one authorization decision.
public struct AuthorizationFacts: Sendable {
    /// The resources to authorize against; empty means the action has no resource (`*`).
    public var resources: [ResourceFacts]
    /// Request condition keys (`kms:EncryptionContext:…`, `aws:RequestTag/…`, `aws:TagKeys`, `sns:Protocol`, …).
    public var conditions: [String: [String]]
    public init(resources: [ResourceFacts] = [], conditions: [String: [String]] = [:]) {
        self.resources = resources
        self.conditions = conditions
    }
}

/// A service's answer to "what does this request touch?". Services without one are authorized on the ARNs their
/// audit declarations name, with no resource policy.
public protocol ResourceAuthority: Sendable {
    /// The request's facts. Throwing an AWS error here (a key that does not exist, say) answers the request with it:
    /// AWS, too, reports a missing resource before it reports a missing permission on it.
    func authorizationFacts(operation: String, action: String, input: AWSValue, resources: [AuditResource],
                            context: RequestContext) async throws -> AuthorizationFacts
}

/// Request condition keys every service shares: the tags a request sets (`aws:RequestTag/…`, `aws:TagKeys`), read
/// from its `Tags` member in any of the shapes AWS's models use (list of Key/Value or TagKey/TagValue, or a map).
public enum RequestTags {
    public static func conditions(_ input: AWSValue, member: String = "Tags") -> [String: [String]] {
        guard case .structure(let fields) = input, let tags = fields[member] else { return [:] }
        var pairs: [(String, String)] = []
        switch tags {
        case .list(let items):
            for item in items {
                guard case .structure(let t) = item else { continue }
                let k = (t["Key"] ?? t["TagKey"])?.stringValue
                let v = (t["Value"] ?? t["TagValue"])?.stringValue
                if let k { pairs.append((k, v ?? "")) }
            }
        case .map(let m):
            for (k, v) in m { pairs.append((k, v.stringValue ?? "")) }
        default: return [:]
        }
        guard !pairs.isEmpty else { return [:] }
        var out: [String: [String]] = ["aws:TagKeys": pairs.map(\.0)]
        for (k, v) in pairs { out["aws:RequestTag/\(k)"] = [v] }
        return out
    }
}
