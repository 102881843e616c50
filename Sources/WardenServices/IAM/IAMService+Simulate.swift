// The policy simulator: SimulatePrincipalPolicy, SimulateCustomPolicy and the GetContextKeysFor*Policy calls. They use
// the evaluator enforcement uses, so a simulation and the real call decide alike.
import Foundation
import WardenAPI
import WardenCore
import WardenPolicy
import WardenStorage

extension IAMService {
    /// "Invalid ARN provided in the request: ARN" (recorded from IAM for a session ARN as PolicySourceArn).
    static func invalidSource(_ arn: String) -> AWSError {
        IAM.Errors.invalidInputException("Invalid ARN provided in the request: \(arn)")
    }

    static func parse(_ documents: [String]?, kind: PolicyKind, prefix: String) throws(AWSError) -> [Policy] {
        var out: [Policy] = []
        for (i, doc) in (documents ?? []).enumerated() {
            do { out.append(try Policy(json: doc, kind: kind, id: "\(prefix).\(i + 1)")) } catch {
                throw IAM.Errors.malformedPolicyDocumentException(error.message)
            }
        }
        return out
    }

    /// The identity policies and boundary of the user, group or role `arn` names.
    func sourcePolicies(_ arn: String, _ c: RequestContext) async throws -> (principal: PolicyPrincipal, policies: [Policy], boundary: Policy?) {
        guard let parsed = ARN(arn), parsed.service == "iam", let name = parsed.resource.split(separator: "/").last.map(String.init) else {
            throw Self.invalidSource(arn)
        }
        let partition = parsed.partition.rawValue
        let loaded: PrincipalPolicies?
        let principal: PolicyPrincipal
        if parsed.resource.hasPrefix("user/") {
            loaded = try await repo.userPolicies(account: parsed.account, userName: name, partition: partition)
            principal = PolicyPrincipal(kind: .iamUser, arn: arn, account: parsed.account)
        } else if parsed.resource.hasPrefix("role/") {
            loaded = try await repo.rolePolicies(account: parsed.account, roleName: name, partition: partition)
            principal = PolicyPrincipal(kind: .assumedRole, arn: arn, account: parsed.account, roleArn: arn)
        } else if parsed.resource.hasPrefix("group/") {
            loaded = try await repo.groupPolicies(account: parsed.account, groupName: name, partition: partition)
            principal = PolicyPrincipal(kind: .iamUser, arn: arn, account: parsed.account)
        } else {
            throw Self.invalidSource(arn)
        }
        guard let loaded else { throw IAM.Errors.noSuchEntityException("The \(parsed.resource.split(separator: "/").first ?? "") with name \(name) cannot be found.") }
        var policies: [Policy] = []
        for d in loaded.documents {
            if let p = try? Policy(json: d.json, kind: .identity, id: d.id) { policies.append(p) }
        }
        let boundary = loaded.boundary.flatMap { try? Policy(json: $0.json, kind: .boundary, id: $0.id) }
        return (principal, policies, boundary)
    }

    func simulatePrincipalPolicy(_ input: IAM.SimulatePrincipalPolicyRequest, context c: RequestContext) async throws -> IAM.SimulatePolicyResponse {
        var source = try await sourcePolicies(input.policySourceArn, c)
        source.policies += try Self.parse(input.policyInputList, kind: .identity, prefix: "PolicyInputList")
        if let list = input.permissionsBoundaryPolicyInputList, !list.isEmpty {
            source.boundary = try Self.parse(list, kind: .boundary, prefix: "PermissionsBoundaryPolicyInputList").first
        }
        if let caller = input.callerArn, let parsed = ARN(caller) {
            source.principal = PolicyPrincipal(kind: parsed.resource.hasPrefix("role/") ? .assumedRole : .iamUser, arn: caller,
                                               account: parsed.account, roleArn: parsed.resource.hasPrefix("role/") ? caller : nil)
        }
        return try simulate(principal: source.principal, identity: source.policies, boundary: source.boundary, actions: input.actionNames,
                            resources: input.resourceArns, resourcePolicy: input.resourcePolicy, owner: input.resourceOwner,
                            entries: input.contextEntries, maxItems: input.maxItems, marker: input.marker, c)
    }

    func simulateCustomPolicy(_ input: IAM.SimulateCustomPolicyRequest, context c: RequestContext) async throws -> IAM.SimulatePolicyResponse {
        let identity = try Self.parse(input.policyInputList, kind: .identity, prefix: "PolicyInputList")
        let boundary = try Self.parse(input.permissionsBoundaryPolicyInputList, kind: .boundary,
                                      prefix: "PermissionsBoundaryPolicyInputList").first
        let callerArn = input.callerArn ?? "arn:\(c.partition.rawValue):iam::\(c.account):user/simulated"
        let principal = PolicyPrincipal(kind: .iamUser, arn: callerArn, account: ARN(callerArn)?.account ?? c.account)
        return try simulate(principal: principal, identity: identity, boundary: boundary, actions: input.actionNames,
                            resources: input.resourceArns, resourcePolicy: input.resourcePolicy, owner: input.resourceOwner,
                            entries: input.contextEntries, maxItems: input.maxItems, marker: input.marker, c)
    }

    // swiftlint:disable:next function_parameter_count
    func simulate(principal: PolicyPrincipal, identity: [Policy], boundary: Policy?, actions: [String], resources: [String]?,
                  resourcePolicy: String?, owner: String?, entries: [IAM.ContextEntry]?, maxItems: Int?, marker: String?,
                  _ c: RequestContext) throws -> IAM.SimulatePolicyResponse {
        var context = ConditionContext()
        for e in entries ?? [] {
            if let k = e.contextKeyName { context[k] = e.contextKeyValues ?? [] }
        }
        var resourcePolicies: [Policy] = []
        if let resourcePolicy {
            do { resourcePolicies = [try Policy(json: resourcePolicy, kind: .resource, id: "ResourcePolicy")] } catch {
                throw IAM.Errors.malformedPolicyDocumentException(error.message)
            }
        }
        let targets = resources?.isEmpty == false ? resources ?? ["*"] : ["*"]
        var results: [IAM.EvaluationResult] = []
        for action in actions {
            var perResource: [IAM.ResourceSpecificResult] = []
            var worst: IAM.PolicyEvaluationDecisionType = .allowed
            var top: (matched: [IAM.Statement], missing: [String], boundary: IAM.PermissionsBoundaryDecisionDetail?) = ([], [], nil)
            for resource in targets {
                let account = owner.flatMap { ARN($0)?.account } ?? ARN(resource)?.account.nonEmpty ?? c.account
                let request = AuthorizationRequest(action: action, resource: resource, resourceAccount: account, principal: principal,
                                                   context: context)
                let set = PolicySet(identity: identity, resource: resourcePolicies, boundary: boundary)
                let decision = PolicyEvaluator.evaluate(request, policies: set)
                let missing = PolicyEvaluator.missingContextKeys(request, policies: set)
                var boundaryDetail: IAM.PermissionsBoundaryDecisionDetail?
                if let boundary {
                    let alone = PolicyEvaluator.evaluate(request, policies: PolicySet(identity: [boundary]))
                    boundaryDetail = IAM.PermissionsBoundaryDecisionDetail(allowedByPermissionsBoundary: alone.isAllowed)
                }
                let (verdict, matched) = Self.verdict(decision)
                if verdict == .explicitDeny || (verdict == .implicitDeny && worst == .allowed) { worst = verdict }
                if resource == targets.first { top = (matched, missing, boundaryDetail) }
                perResource.append(IAM.ResourceSpecificResult(evalResourceName: resource, evalResourceDecision: verdict,
                                                              matchedStatements: matched, missingContextValues: missing,
                                                              permissionsBoundaryDecisionDetail: boundaryDetail))
            }
            let single = targets.count == 1
            results.append(IAM.EvaluationResult(
                evalActionName: action, evalResourceName: single ? targets[0] : "*", evalDecision: worst,
                matchedStatements: single ? top.matched : [], missingContextValues: single ? top.missing : [],
                permissionsBoundaryDecisionDetail: single ? top.boundary : nil,
                resourceSpecificResults: targets == ["*"] ? nil : perResource))
        }
        // AWS's text for a marker it did not issue is not known.
        let (page, next) = try OffsetPage.slice(results, limit: maxItems ?? 100, token: marker,
                                                invalid: Self.validation("Invalid Marker."))
        return IAM.SimulatePolicyResponse(evaluationResults: page, isTruncated: next != nil, marker: next)
    }

    /// The decision as the simulator names it, and the statements that made it. Recorded simulator responses name
    /// identity policies `IAM Policy` (managed ones by name) and resource policies `Resource Policy`.
    static func verdict(_ d: Decision) -> (IAM.PolicyEvaluationDecisionType, [IAM.Statement]) {
        func statement(_ m: MatchedStatement) -> IAM.Statement {
            let resource = m.policyKind == .resource
            return IAM.Statement(sourcePolicyId: resource ? "ResourcePolicy" : sourcePolicyId(m.policyId),
                                 sourcePolicyType: IAM.PolicySourceType(rawValue: resource ? "Resource Policy" : "IAM Policy"))
        }
        switch d {
        case .allowed(let matched): return (.allowed, matched.map(statement))
        case .explicitDeny(let m): return (.explicitDeny, [statement(m)])
        case .implicitDeny: return (.implicitDeny, [])
        }
    }

    /// A managed policy is named by its name; an inline one `user_NAME_POLICY` (`role_…`, `group_…`), as recorded.
    static func sourcePolicyId(_ id: String) -> String {
        if let range = id.range(of: "/inline/") {
            let entity = id[..<range.lowerBound]
            let policy = id[range.upperBound...]
            guard let arn = ARN(String(entity)) else { return id }
            let kind = arn.resource.prefix(while: { $0 != "/" })
            let name = arn.resource.split(separator: "/").last ?? ""
            return "\(kind)_\(name)_\(policy)"
        }
        if id.hasPrefix("arn:"), let name = id.split(separator: "/").last { return String(name) }
        return id
    }

    func getContextKeysForPrincipalPolicy(_ input: IAM.GetContextKeysForPrincipalPolicyRequest, context c: RequestContext) async throws
        -> IAM.GetContextKeysForPolicyResponse {
        let source = try await sourcePolicies(input.policySourceArn, c)
        let extra = try Self.parse(input.policyInputList, kind: .identity, prefix: "PolicyInputList")
        return IAM.GetContextKeysForPolicyResponse(contextKeyNames: Self.keys(source.policies + extra))
    }

    func getContextKeysForCustomPolicy(_ input: IAM.GetContextKeysForCustomPolicyRequest, context c: RequestContext) async throws
        -> IAM.GetContextKeysForPolicyResponse {
        IAM.GetContextKeysForPolicyResponse(contextKeyNames: Self.keys(try Self.parse(input.policyInputList, kind: .identity,
                                                                                         prefix: "PolicyInputList")))
    }

    static func keys(_ policies: [Policy]) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for k in policies.flatMap(\.conditionKeys) where seen.insert(k.lowercased()).inserted { out.append(k) }
        return out
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
