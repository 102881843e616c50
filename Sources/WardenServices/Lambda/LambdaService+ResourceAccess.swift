// Lambda acting on another account's resources with the function's execution role: polling a queue of an event
// source mapping, and delivering asynchronous invocation records to destinations (and to a dead-letter queue). On AWS
// a cross-account call needs both the role's own policies and the resource owner's policy to allow it (IAM User
// Guide, "Cross-account policy evaluation logic"; Lambda Developer Guide, "Tutorial: Using a cross-account Amazon SQS
// queue as an event source": the queue policy in account B names the role of account A for sqs:ReceiveMessage,
// sqs:DeleteMessage and sqs:GetQueueAttributes). Warden's Lambda does not model the execution role's own policies (it
// does not check them for the account's own resources either), so here the resource owner's side decides: the
// resource's policy must allow the role, its account, or everyone. Resources of the function's own account need no
// such check.
//
// Decided in every IAM mode, dev mode included, like function policies (`functionPolicies`): the account boundary is
// what keeps one account from draining or writing into another's resources.
import Foundation
import WardenAPI
import WardenCore
import WardenPolicy

extension LambdaService {
    /// Queue, topic and function policies compiled once per document text.
    static let crossAccountPolicies = CompiledResourcePolicies()

    /// The execution role's side of a cross-account call, taken as allowing (see the top of this file).
    static let executionRoleSide = Result<Policy, any Error> {
        try Policy(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
                   kind: .identity, id: "execution role (not modelled)")
    }

    /// The principal Lambda acts as: a session of the function's execution role, in the function's account. A role
    /// that is not an IAM role of that account (Warden does not check roles at CreateFunction) is matched by the
    /// account alone.
    static func executionRole(account: String, partition: String, role: String, function: String) -> PolicyPrincipal {
        let roleArn = ARN(role).flatMap { a -> String? in
            a.service == "iam" && a.account == account && a.resource.hasPrefix("role/") ? role : nil
        }
        let roleName = roleArn.map { String($0.split(separator: "/").last ?? "") } ?? "lambda"
        return PolicyPrincipal(kind: .assumedRole, arn: "arn:\(partition):sts::\(account):assumed-role/\(roleName)/\(function)",
                               account: account, roleArn: roleArn)
    }

    /// Whether `policy` (the resource's policy; nil when it has none) lets the function's execution role perform
    /// `action` on `resourceArn`, a resource of another account. No policy allows nothing, as on AWS.
    static func resourcePolicyAllows(_ policy: String?, action: String, resourceArn: String, resourceAccount: String,
                                     functionArn: String, role: String) throws -> Bool {
        guard let text = policy, !text.isEmpty, let document = crossAccountPolicies.policy(text),
              let fn = ARN(functionArn) else { return false }
        let name = fn.resource.split(separator: ":").dropFirst().first.map(String.init) ?? fn.resource
        let principal = executionRole(account: fn.account, partition: fn.partition.rawValue, role: role, function: name)
        let request = AuthorizationRequest(action: action, resource: resourceArn, resourceAccount: resourceAccount,
                                           principal: principal,
                                           context: ConditionContext(["aws:ResourceAccount": [resourceAccount]]))
        let policies = PolicySet(identity: [try executionRoleSide.get()], resource: [document])
        return PolicyEvaluator.evaluate(request, policies: policies).isAllowed
    }

    /// A queue's policy, or nil when it has none — or when there is no such queue: to another account a queue it may
    /// not use and a queue that is not there look the same.
    func queuePolicyIfAny(_ queueArn: String) async throws -> String? {
        guard let queues else { return nil }
        do {
            return try await queues.queuePolicy(queueArn: queueArn)
        } catch let e as AWSError where e.code == "QueueDoesNotExist" {
            return nil
        }
    }

    /// The actions Lambda's pollers call on a mapping's queue (the cross-account tutorial's queue policy), in the
    /// order CreateEventSourceMapping reports the first one missing.
    static let pollerActions = ["ReceiveMessage", "DeleteMessage", "GetQueueAttributes"]

    /// The first SQS action the function's execution role may not call on `queueArn`, a queue of another account;
    /// nil when it may call them all (or the queue is the function's account's own).
    func missingQueuePermission(_ queueArn: String, functionArn: String, role: String) async throws -> String? {
        guard let q = ARN(queueArn), let fn = ARN(functionArn), q.account != fn.account else { return nil }
        let policy = try await queuePolicyIfAny(queueArn)
        for action in Self.pollerActions {
            guard try Self.resourcePolicyAllows(policy, action: "sqs:" + action, resourceArn: queueArn, resourceAccount: q.account,
                                                functionArn: functionArn, role: role) else { return action }
        }
        return nil
    }

    /// CreateEventSourceMapping's answer when the execution role may not call an action on the queue.
    static func queuePermissionMissing(_ action: String) -> AWSError {
        // AWS's answer, quoted in aws/aws-cdk#6770 (ReceiveMessage) and in CloudFormation output for DeleteMessage;
        // reports since 2025 also show it worded "The function execution role does not have permissions to call …".
        invalid("The provided execution role does not have permissions to call \(action) on SQS")
    }

    /// Whether a destination (or dead-letter queue) of another account lets the function's execution role deliver to
    /// it: the queue's, topic's or function's policy must allow it. EventBridge buses in Warden keep no resource
    /// policy (PutPermission is not served), so no other account may put events on them. True for the function's own
    /// account.
    func destinationAllows(_ destination: String, functionArn: String, role: String) async throws -> Bool {
        guard let d = ARN(destination), let fn = ARN(functionArn) else { return false }
        guard d.account != fn.account else { return true }
        let action: String
        let policy: String?
        var resource = destination
        switch d.service {
        case "sqs":
            action = "sqs:SendMessage"
            policy = try await queuePolicyIfAny(destination)
        case "sns":
            action = "sns:Publish"
            guard let topics = destinations.topics else { return false }
            do {
                policy = try await topics.topicPolicy(topicArn: destination)
            } catch let e as AWSError where e.status == 404 {
                policy = nil
            }
        case "events":
            action = "events:PutEvents"
            policy = nil
        case "lambda":
            action = "lambda:InvokeFunction"
            let parts = d.resource.split(separator: ":").map(String.init)
            guard parts.count >= 2, parts[0] == "function" else { return false }
            // A function's policy names its unqualified ARN (AddPermission serves $LATEST only).
            resource = "arn:\(d.partition.rawValue):lambda:\(d.region):\(d.account):function:\(parts[1])"
            if let row = try await repository.function(account: d.account, region: d.region, name: parts[1]) {
                let r = try Self.decodeRecord(row.doc)
                policy = r.statements.isEmpty ? nil : Self.policyDocument(r.statements)
            } else {
                policy = nil
            }
        default:
            return false
        }
        return try Self.resourcePolicyAllows(policy, action: action, resourceArn: resource, resourceAccount: d.account,
                                             functionArn: functionArn, role: role)
    }
}
