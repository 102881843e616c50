// Enforcement: every call is decided by WardenPolicy's evaluator from the caller's identity policies (cached, compiled),
// the resource's policies and grants (from its service), and the request's condition keys.
import Foundation
import Logging
import Synchronization
import WardenCore
import WardenPolicy
import WardenServices
import WardenStorage

/// `warden serve --iam`: decide and refuse, decide and only log what would be refused, or allow everything.
public enum IAMMode: String, Sendable, CaseIterable {
    case enforce, audit, off
}

final class PolicyAuthorizer: Authorizer, CallAuthorizer {
    let mode: IAMMode
    let policies: PrincipalPolicyCache
    let logger: Logger
    /// Descriptors by signing name, for calls a service makes on the caller's behalf (`kms:ViaService`).
    let services: Mutex<[String: ServiceDescriptor]>
    /// Audit mode: how many calls would have been refused.
    let wouldDeny = Atomic<Int>(0)

    init(mode: IAMMode, policies: PrincipalPolicyCache, logger: Logger) {
        self.mode = mode
        self.policies = policies
        self.logger = logger
        self.services = Mutex([:])
    }

    func register(_ descriptors: [ServiceDescriptor]) {
        services.withLock { table in for d in descriptors { table[d.model.signingName] = d } }
    }

    var callAuthorizer: (any CallAuthorizer)? { mode == .off ? nil : self }

    func authorize(operation: AnyOperation, service: ServiceDescriptor, input: AWSValue, resources: [AuditResource],
                   context: RequestContext) async throws -> Denial? {
        guard mode != .off, context.principal != nil else { return nil }
        let action = operation.traits.iamAction
        // GetCallerIdentity needs no permission: AWS answers it even under an explicit deny; nor does GetSessionToken
        // ("You cannot use policies to control authentication operations", IAM User Guide).
        if action == "sts:GetCallerIdentity" || action == "sts:GetSessionToken" { return nil }
        // AssumeRoleWithWebIdentity is decided by the token and the role's trust policy, whoever signed the request.
        if action == "sts:AssumeRoleWithWebIdentity" { return nil }
        // The root never assumes roles; the operation answers with STS's own refusal, whatever the trust policy says.
        if action == "sts:AssumeRole", context.principal?.kind == .root { return nil }
        let facts: AuthorizationFacts
        if let authority = service.authority {
            facts = try await authority.authorizationFacts(operation: operation.name, action: action, input: input,
                                                           resources: resources, context: context)
        } else {
            facts = AuthorizationFacts(resources: resources.map { ResourceFacts(arn: $0.arn, account: $0.account) },
                                       conditions: RequestTags.conditions(input))
        }
        return await authorize(action: action, facts: facts, context: context)
    }

    func authorize(action: String, facts: AuthorizationFacts, context: RequestContext) async -> Denial? {
        guard mode != .off, let caller = context.principal else { return nil }
        let denial: Denial?
        do {
            denial = try await decide(action: action, facts: facts, caller: caller, context: context)
        } catch {
            // The caller's policies (or a KMS grant) could not be read: refuse (fail closed) and say why in the log.
            logger.error("policies could not be loaded; refusing", metadata: ["requestId": "\(context.requestId)", "error": "\(error)"])
            denial = Denial(message: Self.message(caller, action: action, resource: facts.resources.first?.arn,
                                                  reason: "because no identity-based policy allows the \(action) action"),
                            decidedBy: "policies unavailable")
        }
        guard let denial else { return nil }
        if mode == .audit {
            wouldDeny.add(1, ordering: .relaxed)
            logger.notice("would deny (audit mode)", metadata: [
                "requestId": "\(context.requestId)", "action": "\(action)", "principal": "\(caller.arn)",
                "decidedBy": "\(denial.decidedBy)", "message": "\(denial.message)",
            ])
            return nil
        }
        return denial
    }

    /// A service acting for the caller (Parameter Store decrypting a SecureString): the caller's permission on the
    /// other service's resource, with `kms:ViaService` and `aws:CalledVia` set as AWS sets them.
    func authorize(action: String, input: AWSValue, resources: [AuditResource], context: RequestContext,
                   viaService: String?) async throws {
        guard mode != .off, context.principal != nil else { return }
        let prefix = String(action.prefix(while: { $0 != ":" }))
        let operation = String(action.drop(while: { $0 != ":" }).dropFirst())
        var facts: AuthorizationFacts
        if let authority = services.withLock({ $0[prefix]?.authority }) {
            facts = try await authority.authorizationFacts(operation: operation, action: action, input: input,
                                                           resources: resources, context: context)
        } else {
            facts = AuthorizationFacts(resources: resources.map { ResourceFacts(arn: $0.arn, account: $0.account) })
        }
        var via = context
        if let viaService {
            facts.conditions["kms:ViaService"] = [viaService]
            let principal = viaService.split(separator: ".").first.map { "\($0).amazonaws.com" } ?? viaService
            facts.conditions["aws:CalledVia"] = [principal]
            facts.conditions["aws:CalledViaFirst"] = [principal]
            facts.conditions["aws:CalledViaLast"] = [principal]
            via.viaService = viaService
        }
        if let denial = await authorize(action: action, facts: facts, context: via) {
            logger.notice("denied", metadata: [
                "requestId": "\(context.requestId)", "action": "\(action)", "principal": "\(context.principal?.arn ?? "")",
                "via": "\(viaService ?? "")", "decidedBy": "\(denial.decidedBy)",
            ])
            throw AWSError(code: "AccessDeniedException", queryCode: "AccessDenied", status: 400, message: denial.message)
        }
    }

    // MARK: Deciding

    func decide(action: String, facts: AuthorizationFacts, caller: Principal, context: RequestContext) async throws -> Denial? {
        let principal = Self.policyPrincipal(caller)
        let identity = try await policies.identity(of: caller)
        var set = PolicySet(identity: identity.policies, boundary: identity.boundary, session: try await policies.session(of: caller))
        var conditions = ConditionContext(Self.globalConditions(caller, context: context, tags: identity.tags))
        for (k, v) in facts.conditions { conditions[k] = v }
        let targets = facts.resources.isEmpty ? [ResourceFacts(arn: "*", account: caller.account)] : facts.resources
        for target in targets {
            let action = target.action ?? action
            var c = conditions
            for (k, v) in target.conditions { c[k] = v }
            c["aws:ResourceAccount"] = [target.account]
            set.resource = policies.resourcePolicies(target.policies)
            set.resourcePolicyRequired = target.policyRequired
            let request = AuthorizationRequest(action: action, resource: target.arn, resourceAccount: target.account,
                                               principal: principal, context: c)
            switch PolicyEvaluator.evaluate(request, policies: set) {
            case .allowed:
                continue
            case .explicitDeny(let m):
                // Denials by a managed policy name it (AWS since 2025: "…in an identity-based policy: arn:…"); inline
                // policies and resource policies have no ARN to name.
                var reason = "with an explicit deny in \(Self.article(m.policyKind))"
                if m.policyKind != .resource, m.policyId.contains(":policy/") { reason += ": \(m.policyId)" }
                return Denial(message: Self.message(caller, action: action, resource: target.arn, reason: reason),
                              decidedBy: "\(m.policyId) statement \(m.sid.map { "\"\($0)\"" } ?? "#\(m.index)")")
            case .implicitDeny(let missing):
                // A KMS grant allows what no policy does (but never what a policy denies).
                if let grant = target.grant, let id = try await grant(Self.granteeArns(caller), action) {
                    logger.debug("allowed by grant", metadata: ["requestId": "\(context.requestId)", "grant": "\(id)"])
                    continue
                }
                return Denial(message: Self.message(caller, action: action, resource: target.arn,
                                                    reason: "because no \(missing.denialPhrase) allows the \(action) action"),
                              decidedBy: "no statement allows it (\(missing.denialPhrase))")
            }
        }
        return nil
    }

    /// "User: ARN is not authorized to perform: ACTION on resource: ARN because …" (IAM User Guide, "Troubleshoot
    /// access denied error messages"; responses quoted in public threads for each service). Services spell the action
    /// their own way in it (SQS all lower case, SNS as `SNS:Publish`); actions without a resource name none, except
    /// KMS's and Lambda's, which say `on resource: *`; STS's AssumeRole denial gives no reason.
    static func message(_ caller: Principal, action: String, resource: String?, reason: String) -> String {
        let service = action.prefix(while: { $0 != ":" })
        let spelled: String
        switch service {
        case "sqs": spelled = action.lowercased()
        case "sns": spelled = "SNS:" + action.dropFirst(4)
        default: spelled = action
        }
        let who = caller.kind == .anonymous ? "anonymous" : caller.arn
        var m = "User: \(who) is not authorized to perform: \(spelled)"
        if let resource, resource != "*" || service == "kms" || service == "lambda" {
            m += service == "s3" ? " on resource: \"\(resource)\"" : " on resource: \(resource)"
        }
        if action == "sts:AssumeRole" { return m }
        return m + " " + reason.replacingOccurrences(of: action, with: spelled)
    }

    static func article(_ kind: PolicyKind) -> String {
        let phrase = kind.denialPhrase
        return (phrase.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + phrase
    }

    /// The ARNs a grant's grantee may name the caller by: a role session is the role.
    static func granteeArns(_ p: Principal) -> [String] {
        var arns = [p.arn]
        if p.kind == .assumedRole, let role = p.session?.issuerArn { arns.append(role) }
        return arns
    }

    static func policyPrincipal(_ p: Principal) -> PolicyPrincipal {
        switch p.kind {
        case .root: return PolicyPrincipal(kind: .root, arn: p.arn, account: p.account)
        case .iamUser: return PolicyPrincipal(kind: .iamUser, arn: p.arn, account: p.account)
        case .assumedRole: return PolicyPrincipal(kind: .assumedRole, arn: p.arn, account: p.account, roleArn: p.session?.issuerArn)
        case .federatedUser: return PolicyPrincipal(kind: .federatedUser, arn: p.arn, account: p.account)
        case .webIdentityUser: return PolicyPrincipal(kind: .webIdentity, arn: p.arn, account: p.account)
        case .awsService: return PolicyPrincipal(kind: .service, arn: p.arn, account: p.account, service: p.userName)
        case .anonymous: return PolicyPrincipal(kind: .anonymous, arn: p.arn, account: p.account)
        }
    }

    /// The global condition keys a request carries (IAM User Guide, "AWS global condition context keys").
    static func globalConditions(_ p: Principal, context: RequestContext, tags: [String: String]) -> [String: [String]] {
        var c: [String: [String]] = [
            "aws:SourceIp": [context.sourceIP],
            "aws:CurrentTime": [Timestamps.iso8601(context.receivedAt, fractional: false)],
            "aws:EpochTime": [String(Int64(context.receivedAt.timeIntervalSince1970))],
            "aws:SecureTransport": [context.tls == nil ? "false" : "true"],
            "aws:PrincipalAccount": [p.account],
            "aws:userid": [p.userId],
            "aws:RequestedRegion": [context.region],
            "aws:ViaAWSService": [context.viaService == nil ? "false" : "true"],
        ]
        switch p.kind {
        case .root:
            c["aws:PrincipalArn"] = [p.arn]
            c["aws:PrincipalType"] = ["Account"]
        case .iamUser:
            c["aws:PrincipalArn"] = [p.arn]
            c["aws:PrincipalType"] = ["User"]
            if let u = p.userName { c["aws:username"] = [u] }
        case .assumedRole:
            c["aws:PrincipalArn"] = [p.session?.issuerArn ?? p.arn]
            c["aws:PrincipalType"] = ["AssumedRole"]
        case .federatedUser:
            c["aws:PrincipalArn"] = [p.arn]
            c["aws:PrincipalType"] = ["FederatedUser"]
        default:
            c["aws:PrincipalArn"] = [p.arn]
        }
        var principalTags = tags
        if let s = p.session {
            c["aws:TokenIssueTime"] = [Timestamps.iso8601(s.createdAt, fractional: false)]
            c["aws:MultiFactorAuthPresent"] = [s.mfaAuthenticated ? "true" : "false"]
            if let si = s.sourceIdentity { c["aws:SourceIdentity"] = [si] }
            // Session tags win over the role's tags of the same key (IAM User Guide, "Passing session tags in STS").
            for (k, v) in s.tags {
                if let existing = principalTags.keys.first(where: { $0.lowercased() == k.lowercased() }) { principalTags[existing] = nil }
                principalTags[k] = v
            }
        }
        for (k, v) in principalTags { c["aws:PrincipalTag/\(k)"] = [v] }
        return c
    }
}
