// A policy statement after parsing: every pattern precompiled so evaluation only compares bytes.

enum Effect: Sendable, Equatable {
    case allow, deny
}

/// A Resource or NotResource entry.
enum ResourcePattern: Sendable, Equatable {
    case glob(Glob)
    /// With policy variables (2012-10-17 only); filled in per request.
    case template(Template)

    /// nil when a variable in the pattern has no value: the entry cannot match anything.
    func matches(_ resource: UnsafeBufferPointer<UInt8>, _ lookup: (String) -> [String]?) -> Bool? {
        switch self {
        case .glob(let g): return g.matches(resource)
        case .template(let t):
            guard let tokens = t.globTokens(lookup) else { return nil }
            return Glob.generalMatch(tokens, resource)
        }
    }

    /// A necessary condition for a match that needs no variable: policy text before and after the variables.
    func mayMatch(_ resource: UnsafeBufferPointer<UInt8>) -> Bool {
        if case .template(let t) = self { return t.mayMatch(resource) }
        return true
    }
}

/// The principals a Principal or NotPrincipal element names, sorted by how they match.
struct PrincipalSpec: Sendable, Equatable {
    /// `"Principal": "*"`: everyone, services and anonymous callers included.
    var everyone = false
    /// `{"AWS": "*"}`: every AWS principal, anonymous included, but not service principals.
    var anyAWS = false
    /// Accounts, from a 12-digit id or arn:PARTITION:iam::ACCOUNT:root.
    var accounts: [String] = []
    /// User, role, assumed-role session and federated-user ARNs (compared exactly: names are case-sensitive).
    var arns: [String] = []
    /// Service principal names, lowercased.
    var services: [String] = []
    var federated: [String] = []
    var canonicalUsers: [String] = []
}

/// How directly a resource-based policy names the caller; it decides which other policies must also allow.
enum PrincipalMatch: Int, Sendable, Comparable {
    /// The caller's account (or arn:...:root for someone else than the root user): delegation to the account,
    /// whose identity-based policies must then allow.
    case account
    /// The role of an assumed-role session (or the IAM user behind a federated user): limited by the permissions
    /// boundary and session policies, not by identity-based policies.
    case entity
    /// The caller itself (user, session, root user, service), or everyone: needs nothing else.
    case direct

    static func < (a: PrincipalMatch, b: PrincipalMatch) -> Bool { a.rawValue < b.rawValue }
}

enum ActionSet: Sendable, Equatable {
    case action([Glob])
    case notAction([Glob])
}

enum ResourceSet: Sendable, Equatable {
    /// A resource-based policy statement without Resource applies to the resource it is attached to.
    case any
    case resource([ResourcePattern])
    case notResource([ResourcePattern])
}

enum PrincipalSet: Sendable, Equatable {
    /// Identity-based, boundary and session policies: the principal is the one they are attached to.
    case implied
    case principal(PrincipalSpec)
    case notPrincipal(PrincipalSpec)
}

struct CompiledStatement: Sendable, Equatable {
    let sid: String?
    let index: Int
    let effect: Effect
    let actions: ActionSet
    let resources: ResourceSet
    let principals: PrincipalSet
    let conditions: [ConditionBlock]
}
