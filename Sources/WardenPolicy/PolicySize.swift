// IAM's policy size quotas: characters counted without whitespace, checked before a document is stored.

/// The size quotas IAM applies to policy documents (IAM and AWS STS quotas).
public enum PolicySizeQuota: Sendable, Equatable {
    /// A managed policy: 6,144 characters.
    case managedPolicy
    /// All inline policies of one user together: 2,048 characters.
    case userInline(userName: String)
    /// All inline policies of one role together: 10,240 characters.
    case roleInline(roleName: String)
    /// All inline policies of one group together: 5,120 characters.
    case groupInline(groupName: String)
    /// A role trust policy: 2,048 characters.
    case trustPolicy

    public var limit: Int {
        switch self {
        case .managedPolicy: 6144
        case .userInline: 2048
        case .roleInline: 10240
        case .groupInline: 5120
        case .trustPolicy: 2048
        }
    }

    /// AWS's LimitExceeded message for this quota.
    public var error: PolicyError {
        switch self {
        case .managedPolicy: .policySize(limit)
        case .userInline(let name): .userPolicySize(name)
        case .roleInline(let name): .rolePolicySize(name)
        case .groupInline(let name): .groupPolicySize(name)
        case .trustPolicy: .trustPolicySize
        }
    }
}

extension Policy {
    /// The size IAM counts: characters, leaving out whitespace ("IAM doesn't count white space").
    public static func size(of json: String) -> Int {
        var n = 0
        for b in json.utf8 {
            // Count each character once (at its first byte) and skip JSON whitespace.
            if b & 0xC0 == 0x80 || b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { continue }
            n += 1
        }
        return n
    }

    /// Throws "Cannot exceed quota for PolicySize: LIMIT" when `json` is over `limit` characters.
    public static func checkSize(_ json: String, limit: Int) throws(PolicyError) {
        if size(of: json) > limit { throw .policySize(limit) }
    }

    /// Checks one document, or the aggregate of a principal's inline policies, against a quota.
    public static func checkSize(_ documents: [String], quota: PolicySizeQuota) throws(PolicyError) {
        var total = 0
        for d in documents { total += size(of: d) }
        if total > quota.limit { throw quota.error }
    }
}
