// What SQS requests are authorized against (SQS Developer Guide, "Identity and access management in Amazon SQS";
// Service Authorization Reference, "Amazon SQS"): the queue a QueueUrl names, with its `Policy` attribute and tags.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

struct SQSAuthority: ResourceAuthority {
    let sqs: SQSService

    func authorizationFacts(operation: String, action: String, input: AWSValue, resources: [AuditResource],
                            context c: RequestContext) async throws -> AuthorizationFacts {
        let fields = input.mapValue ?? [:]
        // CreateQueue's tags are the model's lower-case `tags` member; TagQueue's are `Tags`.
        var conditions = RequestTags.conditions(input, member: operation == "CreateQueue" ? "tags" : "Tags")
        if case .list(let keys)? = fields["TagKeys"] { conditions["aws:TagKeys"] = keys.compactMap(\.stringValue) }
        let target: ResourceFacts
        switch operation {
        case "ListQueues":
            // SQS names the account's queue namespace, with an empty queue name, as ListQueues's resource
            // ("…sqs:listqueues on resource: arn:aws:sqs:us-east-1:123456789012:").
            target = ResourceFacts(arn: "arn:\(c.partition.rawValue):sqs:\(c.region):\(c.account):", account: c.account)
        case "CreateQueue":
            // The queue to be has no policy yet (one given in the request's attributes takes effect once created).
            guard let name = fields["QueueName"]?.stringValue else { return AuthorizationFacts(conditions: conditions) }
            target = ResourceFacts(arn: SQSService.queueArn(c, name), account: c.account)
        case "GetQueueUrl":
            guard let name = fields["QueueName"]?.stringValue else { return AuthorizationFacts(conditions: conditions) }
            target = try await queue(account: fields["QueueOwnerAWSAccountId"]?.stringValue ?? c.account, name: name, c)
        case "StartMessageMoveTask", "ListMessageMoveTasks", "CancelMessageMoveTask":
            // The dead-letter queue, by its ARN (in the request or inside the task handle). An ARN of another region
            // names no queue this endpoint serves: the operation reports it.
            guard let arn = SQSService.moveTaskSource(fields), arn.service == "sqs", arn.region == c.region else {
                return AuthorizationFacts(conditions: conditions)
            }
            target = try await queue(account: arn.account, name: arn.resource, c)
        default:
            guard let url = fields["QueueUrl"]?.stringValue, let ref = Self.queueRef(url, c) else {
                return AuthorizationFacts(conditions: conditions)
            }
            target = try await queue(account: ref.account, name: ref.name, c)
        }
        return AuthorizationFacts(resources: [target], conditions: conditions)
    }

    /// The account and name a QueueUrl names, read as `SQSService.resolve` reads it: its last two path segments (any
    /// host), or a bare name meaning the caller's own queue.
    static func queueRef(_ url: String, _ c: RequestContext) -> (account: String, name: String)? {
        let path = URL(string: url)?.path ?? url
        let parts = path.split(separator: "/").map(String.init)
        guard let name = parts.last else { return nil }
        return (parts.count >= 2 ? parts[parts.count - 2] : c.account, name)
    }

    /// The queue with its policy (none when the attribute is unset or empty) and tags. A queue that does not exist
    /// has neither: the operation reports it, once the caller may call it.
    func queue(account: String, name: String, _ c: RequestContext) async throws -> ResourceFacts {
        let arn = "arn:\(c.partition.rawValue):sqs:\(c.region):\(account):\(name)"
        guard let row = try await sqs.repository.queue(account: account, region: c.region, name: name),
              let record = try? QueueRecord.decode(row.doc)
        else {
            return ResourceFacts(arn: arn, account: account)
        }
        var policies: [PolicyText] = []
        if let policy = record.attributes["Policy"], !policy.isEmpty { policies = [PolicyText(id: "queue policy", json: policy)] }
        var tags: [String: [String]] = [:]
        for (k, v) in record.tags { tags["aws:ResourceTag/\(k)"] = [v] }
        return ResourceFacts(arn: arn, account: account, policies: policies, conditions: tags)
    }
}
