// EventBridge invokes a rule's targets as events.amazonaws.com for the rule: a queue's or topic's policy must allow it
// (EventBridge User Guide, "Using resource-based policies for Amazon EventBridge": Amazon SQS and Amazon SNS
// permissions, each conditioned on aws:SourceArn = the rule). Functions check their own policy when invoked.
import WardenCore

extension EventsService {
    static let servicePrincipal = "events.amazonaws.com"

    /// Throws when the target's resource policy does not let EventBridge deliver for the rule. A missing permission is
    /// a client error: EventBridge does not retry it, and sends the event straight to the target's dead-letter queue
    /// ("Using dead-letter queues to process undelivered events"), whose ERROR_CODE attribute is then NO_PERMISSIONS.
    func checkTargetAccess(_ target: DeliveryTarget, _ arn: ARN) async throws {
        guard access.enforced else { return }
        let action: String
        let policy: String?
        switch arn.service {
        case "sqs":
            guard let queues else { return }
            action = "sqs:SendMessage"
            policy = try await queues.queuePolicy(queueArn: target.arn)
        case "sns":
            guard let topics else { return }
            action = "sns:Publish"
            policy = try await topics.topicPolicy(topicArn: target.arn)
        default:
            return
        }
        let ruleAccount = ARN(target.ruleArn)?.account ?? target.account
        guard access.allows(service: Self.servicePrincipal, action: action, resourceArn: target.arn, resourceAccount: arn.account,
                            policy: policy, sourceArn: target.ruleArn, sourceAccount: ruleAccount) else {
            throw AWSError(code: "NO_PERMISSIONS", status: 403,
                           message: "\(Self.servicePrincipal) is not authorized to perform \(action) on \(target.arn) for \(target.ruleArn): its resource policy does not allow it.")
        }
    }
}
