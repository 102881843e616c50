// The caller of a request, as the evaluator needs to see it.

/// Who is asking.
public struct PolicyPrincipal: Sendable {
    public enum Kind: Sendable {
        case root, iamUser, assumedRole, federatedUser, webIdentity, service, anonymous
    }

    public var kind: Kind
    /// The caller's ARN (aws:PrincipalArn uses `roleArn` for assumed roles, as AWS does).
    public var arn: String
    public var account: String
    /// For assumed-role sessions: arn:aws:iam::ACCOUNT:role/PATH/NAME (a resource policy naming the role matches the
    /// session). For a federated user (GetFederationToken), the ARN of the IAM user who federated, if known: a
    /// resource policy naming that user is limited by the session policy, as for a role.
    public var roleArn: String?
    /// For a service principal: "sns.amazonaws.com".
    public var service: String?
    /// For `.webIdentity` callers of AssumeRoleWithWebIdentity / AssumeRoleWithSAML (no `roleArn` yet): the identity
    /// provider a trust policy names in `"Principal": {"Federated": ...}` — "accounts.google.com",
    /// "cognito-identity.amazonaws.com" or "arn:aws:iam::ACCOUNT:saml-provider/NAME".
    public var identityProvider: String?

    public init(kind: Kind, arn: String, account: String, roleArn: String? = nil, service: String? = nil) {
        self.kind = kind
        self.arn = arn
        self.account = account
        self.roleArn = roleArn
        self.service = service
        self.identityProvider = nil
    }

    /// A caller that authenticated with an external identity provider and is asking to assume a role.
    public static func federatedIdentity(provider: String, account: String, subject: String = "") -> PolicyPrincipal {
        var p = PolicyPrincipal(kind: .webIdentity, arn: subject, account: account)
        p.identityProvider = provider
        return p
    }

    /// Whether only resource-based policies can grant this caller anything (it has no identity policies of its own).
    var isResourceOnly: Bool {
        switch kind {
        case .service, .anonymous: true
        case .webIdentity: roleArn == nil
        case .root, .iamUser, .assumedRole, .federatedUser: false
        }
    }
}
