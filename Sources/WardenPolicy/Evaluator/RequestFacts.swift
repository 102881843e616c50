// What the evaluator derives from a request once, before it looks at any statement.

/// The request prepared for matching: the action lowercased to bytes, the resource as bytes, and context lookups
/// that fall back to the keys AWS derives from the principal when the caller did not supply them.
struct RequestFacts {
    let action: [UInt8]
    let resource: [UInt8]
    let principal: PolicyPrincipal
    let context: ConditionContext
    /// A permissions boundary is attached to the caller (it changes how a Deny with NotPrincipal applies).
    let hasBoundary: Bool

    init(_ request: AuthorizationRequest, hasBoundary: Bool) {
        action = Array(request.action.lowercased().utf8)
        resource = Array(request.resource.utf8)
        principal = request.principal
        context = request.context
        self.hasBoundary = hasBoundary
    }

    /// A context value by lowercased key. Keys the caller did not set but that follow from the principal are
    /// filled in as AWS always has them: aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:username
    /// (IAM users) and aws:PrincipalServiceName (service principals).
    func lookup(_ key: String) -> [String]? {
        if let v = context.values(lowercasedKey: key) { return v }
        switch key {
        case "aws:principalarn":
            guard !principal.isResourceOnly else { return nil }
            // For a role session AWS reports the role, not the session (Global condition context keys).
            return [principal.roleArn.flatMap { principal.kind == .federatedUser ? nil : $0 } ?? principal.arn]
        case "aws:principalaccount":
            guard !principal.isResourceOnly else { return nil }
            return [principal.account]
        case "aws:principaltype":
            switch principal.kind {
            case .root: return ["Account"]
            case .iamUser: return ["User"]
            case .assumedRole: return ["AssumedRole"]
            case .webIdentity: return principal.roleArn == nil ? nil : ["AssumedRole"]
            case .federatedUser: return ["FederatedUser"]
            case .anonymous: return ["Anonymous"]
            case .service: return nil
            }
        case "aws:username":
            // The friendly name is the last part of the user's ARN (after any path).
            guard principal.kind == .iamUser, let slash = principal.arn.lastIndex(of: "/") else { return nil }
            return [String(principal.arn[principal.arn.index(after: slash)...])]
        case "aws:principalservicename":
            guard principal.kind == .service, let s = principal.service else { return nil }
            return [s]
        default:
            return nil
        }
    }

    // MARK: Principal matching

    /// How a Principal element names the caller, or nil when it does not.
    func match(_ spec: PrincipalSpec) -> PrincipalMatch? {
        if spec.everyone { return .direct }
        let p = principal
        switch p.kind {
        case .service:
            // {"AWS":"*"} is "*" (every principal): the queue policy the SQS console wrote for topic subscriptions
            // names it, with aws:SourceArn, and SNS delivers under it.
            if spec.anyAWS { return .direct }
            guard let s = p.service?.lowercased(), spec.services.contains(s) else { return nil }
            return .direct
        case .anonymous:
            return spec.anyAWS ? .direct : nil
        case .webIdentity where p.roleArn == nil:
            guard let idp = p.identityProvider ?? p.service, spec.federated.contains(idp) else { return nil }
            return .direct
        default:
            if spec.anyAWS || spec.arns.contains(p.arn) { return .direct }
            if let entity = p.roleArn, spec.arns.contains(entity) { return .entity }
            if spec.accounts.contains(p.account) { return p.kind == .root ? .direct : .account }
            return nil
        }
    }

    /// Whether a NotPrincipal element leaves the caller out. AWS may check the account, then the role or user,
    /// then the session (NotPrincipal page), so the caller is left out only when every one of them is listed.
    func isExcluded(by spec: PrincipalSpec) -> Bool {
        if spec.everyone { return true }
        let p = principal
        switch p.kind {
        case .service:
            return spec.anyAWS || (p.service.map { spec.services.contains($0.lowercased()) } ?? false)
        case .anonymous:
            return spec.anyAWS
        case .webIdentity where p.roleArn == nil:
            return (p.identityProvider ?? p.service).map { spec.federated.contains($0) } ?? false
        default:
            if spec.anyAWS { return true }
            guard spec.accounts.contains(p.account) else { return false }
            if p.kind == .root { return true }
            guard spec.arns.contains(p.arn) else { return false }
            return p.roleArn.map { spec.arns.contains($0) } ?? true
        }
    }
}
