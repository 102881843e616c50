// One authorization question and the policies that answer it.

public struct AuthorizationRequest: Sendable {
    /// "kms:Encrypt".
    public var action: String
    /// ARN, or "*" for actions without a resource.
    public var resource: String
    /// The account that owns the resource (cross-account rules).
    public var resourceAccount: String
    public var principal: PolicyPrincipal
    public var context: ConditionContext

    public init(action: String, resource: String, resourceAccount: String, principal: PolicyPrincipal,
                context: ConditionContext) {
        self.action = action
        self.resource = resource
        self.resourceAccount = resourceAccount
        self.principal = principal
        self.context = context
    }
}

/// Everything that applies to one request.
public struct PolicySet: Sendable {
    /// The principal's identity-based policies (inline + managed + groups').
    public var identity: [Policy]
    /// Resource-based policies of the resource (key policy, queue policy, trust policy, ...).
    public var resource: [Policy]
    /// Permissions boundary of the user/role, if set.
    public var boundary: Policy?
    /// Session policies (inline Policy + PolicyArns) of a session, if any were passed. An empty array means none
    /// were passed, like nil.
    public var session: [Policy]?
    /// KMS semantics: the resource policy (key policy) must allow, directly or by naming the account (which then
    /// delegates to identity policies). Without it (SNS, SQS, ...), the usual same-account union applies.
    public var resourcePolicyRequired: Bool

    public init(identity: [Policy] = [], resource: [Policy] = [], boundary: Policy? = nil, session: [Policy]? = nil,
                resourcePolicyRequired: Bool = false) {
        self.identity = identity
        self.resource = resource
        self.boundary = boundary
        self.session = session
        self.resourcePolicyRequired = resourcePolicyRequired
    }
}

public struct MatchedStatement: Sendable, Equatable {
    public var policyId: String
    public var policyKind: PolicyKind
    /// nil when the statement has no Sid.
    public var sid: String?
    /// 0-based statement index in the document.
    public var index: Int

    public init(policyId: String, policyKind: PolicyKind, sid: String?, index: Int) {
        self.policyId = policyId
        self.policyKind = policyKind
        self.sid = sid
        self.index = index
    }
}

public enum Decision: Sendable, Equatable {
    /// The Allow statements that counted.
    case allowed(matched: [MatchedStatement])
    /// The first Deny that matched.
    case explicitDeny(MatchedStatement)
    /// Nothing allowed it; `missing` is which kind of policy failed to allow (identity, resource, boundary, session)
    /// — the "because no X policy allows the ACTION action" part of AWS's message.
    case implicitDeny(missing: PolicyKind)

    public var isAllowed: Bool {
        if case .allowed = self { return true }
        return false
    }
}
