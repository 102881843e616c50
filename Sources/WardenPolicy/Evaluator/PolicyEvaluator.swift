// IAM's decision for one request, in the order the Policy evaluation logic pages give: explicit deny anywhere,
// then resource-based policies, identity-based policies, permissions boundary and session policies.

public enum PolicyEvaluator {
    public static func evaluate(_ request: AuthorizationRequest, policies: PolicySet) -> Decision {
        let facts = RequestFacts(request, hasBoundary: policies.boundary != nil)
        var allows = Allows()
        // One pass over every statement: a Deny anywhere ends evaluation, Allows are kept by policy kind.
        for p in policies.identity {
            if let deny = scan(p, facts, into: &allows.identity) { return .explicitDeny(deny) }
        }
        for p in policies.resource {
            if let deny = scanResource(p, facts, into: &allows.resource) { return .explicitDeny(deny) }
        }
        if let b = policies.boundary, let deny = scan(b, facts, into: &allows.boundary) { return .explicitDeny(deny) }
        let session = policies.session.flatMap { $0.isEmpty ? nil : $0 }
        for p in session ?? [] {
            if let deny = scan(p, facts, into: &allows.session) { return .explicitDeny(deny) }
        }
        return decide(request, policies, session: session, allows)
    }

    /// Condition keys that a statement needed but the context lacked (SimulatePolicy's MissingContextValues).
    public static func missingContextKeys(_ request: AuthorizationRequest, policies: PolicySet) -> [String] {
        let facts = RequestFacts(request, hasBoundary: policies.boundary != nil)
        var keys = OrderedKeys()
        let all = policies.identity + policies.resource + (policies.boundary.map { [$0] } ?? []) + (policies.session ?? [])
        for p in all {
            for s in p.statements { facts.missingKeys(of: s, into: &keys) }
        }
        return keys.list
    }

    // MARK: Scanning

    private struct Allows {
        var identity: [MatchedStatement] = []
        var resource: [(MatchedStatement, PrincipalMatch)] = []
        var boundary: [MatchedStatement] = []
        var session: [MatchedStatement] = []
    }

    private static func matched(_ p: Policy, _ s: CompiledStatement) -> MatchedStatement {
        MatchedStatement(policyId: p.id, policyKind: p.kind, sid: s.sid, index: s.index)
    }

    /// Scans a policy attached to the principal; returns the first Deny that applies.
    private static func scan(_ p: Policy, _ facts: RequestFacts, into allows: inout [MatchedStatement]) -> MatchedStatement? {
        for s in p.statements {
            switch facts.outcome(of: s) {
            case .notApplicable: continue
            case .deny: return matched(p, s)
            case .allow: allows.append(matched(p, s))
            }
        }
        return nil
    }

    private static func scanResource(_ p: Policy, _ facts: RequestFacts,
                                     into allows: inout [(MatchedStatement, PrincipalMatch)]) -> MatchedStatement? {
        for s in p.statements {
            switch facts.outcome(of: s) {
            case .notApplicable: continue
            case .deny: return matched(p, s)
            case .allow(let level): allows.append((matched(p, s), level))
            }
        }
        return nil
    }

    // MARK: Deciding

    private static func decide(_ request: AuthorizationRequest, _ policies: PolicySet, session: [Policy]?,
                               _ allows: Allows) -> Decision {
        let principal = request.principal
        let sameAccount = principal.account == request.resourceAccount
        let resourceAllows = allows.resource.map(\.0)

        // Services, anonymous callers and identity-provider callers have no identity-based policies: only a
        // resource-based policy naming them (or everyone) can allow.
        if principal.isResourceOnly {
            return resourceAllows.isEmpty ? .implicitDeny(missing: .resource) : .allowed(matched: resourceAllows)
        }

        // "By default, all requests are implicitly denied with the exception of the AWS account root user, which
        // has full access" — except where the resource policy must allow (KMS key policies, cross-account).
        if principal.kind == .root {
            if sameAccount, !policies.resourcePolicyRequired { return .allowed(matched: resourceAllows) }
            return resourceAllows.isEmpty ? .implicitDeny(missing: .resource) : .allowed(matched: resourceAllows)
        }

        let boundaryOK = policies.boundary == nil || !allows.boundary.isEmpty
        // A federated user (GetFederationToken) without session policies "has no permissions"; a role session
        // without them keeps the role's.
        let sessionOK = session != nil ? !allows.session.isEmpty : principal.kind != .federatedUser
        let limits = allows.boundary + allows.session

        guard sameAccount else {
            // Cross-account: the resource owner's policy and the caller's own policies must both allow.
            if resourceAllows.isEmpty { return .implicitDeny(missing: .resource) }
            if allows.identity.isEmpty { return .implicitDeny(missing: .identity) }
            if !boundaryOK { return .implicitDeny(missing: .boundary) }
            if !sessionOK { return .implicitDeny(missing: .session) }
            return .allowed(matched: resourceAllows + allows.identity + limits)
        }

        // Same account. A resource-based policy naming the IAM user or the session itself allows on its own.
        let direct = allows.resource.filter { $0.1 == .direct }.map(\.0)
        if !direct.isEmpty { return .allowed(matched: direct) }
        if policies.resourcePolicyRequired, resourceAllows.isEmpty { return .implicitDeny(missing: .resource) }
        // Naming the role (for a session) is "limited by an implicit deny in a permissions boundary or session
        // policy", but not by the identity-based policies.
        let entity = allows.resource.filter { $0.1 == .entity }.map(\.0)
        if !entity.isEmpty {
            if !boundaryOK { return .implicitDeny(missing: .boundary) }
            if !sessionOK { return .implicitDeny(missing: .session) }
            return .allowed(matched: entity + limits)
        }
        // Naming the account delegates to the account's identity-based policies (the KMS "Enable IAM User
        // Permissions" statement); otherwise the identity-based policies allow on their own.
        if allows.identity.isEmpty { return .implicitDeny(missing: .identity) }
        if !boundaryOK { return .implicitDeny(missing: .boundary) }
        if !sessionOK { return .implicitDeny(missing: .session) }
        let delegating = policies.resourcePolicyRequired ? resourceAllows : []
        return .allowed(matched: delegating + allows.identity + limits)
    }
}
