// Calls one service makes to another as its service principal (SNS delivering into a queue, EventBridge invoking a
// target, Secrets Manager invoking a rotation function), decided by the target's resource policy as AWS decides them.
import Synchronization
import WardenPolicy

/// Whether a service principal may act on another service's resource: the resource's policy must name the service
/// (or everyone) for the action, and its conditions see `aws:SourceArn` and `aws:SourceAccount` of the resource the
/// call is made for (the topic, the rule, the secret). No policy allows nothing, as on AWS.
public struct ServiceAccess: Sendable {
    /// False: every such call is allowed (dev mode, `--iam audit|off`, and services built without one).
    public let enforced: Bool
    let compiled: CompiledResourcePolicies

    public init(enforced: Bool) {
        self.enforced = enforced
        self.compiled = CompiledResourcePolicies()
    }

    /// - Parameters:
    ///   - service: the calling service principal, e.g. "sns.amazonaws.com".
    ///   - action: the action on the resource, e.g. "sqs:SendMessage".
    ///   - policy: the target's resource policy document; nil or empty when it has none.
    ///   - sourceArn: the resource the call is made for (topic, rule, secret ARN).
    public func allows(service: String, action: String, resourceArn: String, resourceAccount: String, policy: String?,
                       sourceArn: String, sourceAccount: String) -> Bool {
        guard enforced else { return true }
        guard let text = policy, !text.isEmpty, let document = compiled.policy(text) else { return false }
        var keys: [String: [String]] = [
            "aws:SourceArn": [sourceArn], "aws:SourceAccount": [sourceAccount], "aws:ResourceAccount": [resourceAccount],
        ]
        // SNS still sets the key its older policies (and the default topic policy) were written with.
        if service == "sns.amazonaws.com" { keys["aws:SourceOwner"] = [sourceAccount] }
        let request = AuthorizationRequest(
            action: action, resource: resourceArn, resourceAccount: resourceAccount,
            principal: PolicyPrincipal(kind: .service, arn: service, account: sourceAccount, service: service),
            context: ConditionContext(keys))
        return PolicyEvaluator.evaluate(request, policies: PolicySet(resource: [document])).isAllowed
    }
}

/// Resource policies compiled once per document text: the check runs for every delivery, and a queue's or topic's
/// policy rarely changes. Bounded: past `limit` documents the cache starts over.
final class CompiledResourcePolicies: Sendable {
    static let limit = 1_000
    /// nil for a document that does not parse: it allows nothing (stored policies were checked when written).
    private let entries = Mutex<[String: Policy?]>([:])

    func policy(_ text: String) -> Policy? {
        if let hit = entries.withLock({ $0[text] }) { return hit }
        let policy = try? Policy(json: text, kind: .resource, id: "resource policy")
        entries.withLock { cache in
            if cache.count >= Self.limit { cache.removeAll(keepingCapacity: true) }
            cache[text] = .some(policy)
        }
        return policy
    }
}
