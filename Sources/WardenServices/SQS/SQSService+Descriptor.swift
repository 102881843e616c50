// The SQS operations Warden serves: IAM action, read-only-ness, data vs management event, the queue each record names.
import WardenAPI
import WardenCore

extension SQSService {
    /// The queue an audit record names, from `QueueUrl` (or `QueueName` for the calls that take a name).
    static func queueResource(_ input: AWSValue, _ c: RequestContext) -> [AuditResource] {
        guard case .structure(let fields) = input else { return [] }
        var name: String?
        if case .string(let url)? = fields["QueueUrl"] {
            let parts = url.split(separator: "/")
            if parts.count >= 2, parts[parts.count - 2] == Substring(c.account) { name = parts.last.map(String.init) }
        } else if case .string(let n)? = fields["QueueName"] {
            name = n
        } else if let arn = moveTaskSource(fields), arn.account == c.account, arn.region == c.region {
            // Message move tasks name their dead-letter queue by ARN (or inside the task handle).
            name = arn.resource
        }
        guard let name, isValidQueueName(name) else { return [] }
        return [AuditResource(type: "AWS::SQS::Queue", arn: queueArn(c, name), account: c.account)]
    }

    /// The dead-letter queue a message move task call names: `SourceArn`, or the one inside `TaskHandle`.
    static func moveTaskSource(_ fields: [String: AWSValue]) -> ARN? {
        if case .string(let text)? = fields["SourceArn"] { return ARN(text) }
        if case .string(let handle)? = fields["TaskHandle"] { return MoveTaskHandle.decode(handle).flatMap { ARN($0.sourceArn) } }
        return nil
    }

    static func traits(_ action: String, readOnly: Bool, data: Bool = false) -> OperationTraits {
        // Message bodies and attribute values never reach the audit record.
        OperationTraits(iamAction: "sqs:\(action)", readOnly: readOnly, category: data ? .data : .management,
                        redactedRequestMembers: ["MessageBody", "MessageAttributes", "MessageSystemAttributes"],
                        redactedResponseMembers: ["Body", "MessageAttributes"], resources: queueResource)
    }

    public var descriptor: ServiceDescriptor {
        typealias Ops = SQS.Operations
        var d = ServiceDescriptor(
            model: SQS.model, eventSource: "sqs.amazonaws.com",
            validationError: (code: "ValidationException", queryCode: nil, status: 400),
            operations: [
                AnyOperation(Ops.CreateQueue.self, traits: Self.traits("CreateQueue", readOnly: false), createQueue),
                AnyOperation(Ops.GetQueueUrl.self, traits: Self.traits("GetQueueUrl", readOnly: true), getQueueUrl),
                AnyOperation(Ops.ListQueues.self, traits: Self.traits("ListQueues", readOnly: true), listQueues),
                AnyOperation(Ops.DeleteQueue.self, traits: Self.traits("DeleteQueue", readOnly: false), deleteQueue),
                AnyOperation(Ops.GetQueueAttributes.self, traits: Self.traits("GetQueueAttributes", readOnly: true), getQueueAttributes),
                AnyOperation(Ops.SetQueueAttributes.self, traits: Self.traits("SetQueueAttributes", readOnly: false), setQueueAttributes),
                AnyOperation(Ops.PurgeQueue.self, traits: Self.traits("PurgeQueue", readOnly: false), purgeQueue),
                AnyOperation(Ops.TagQueue.self, traits: Self.traits("TagQueue", readOnly: false), tagQueue),
                AnyOperation(Ops.UntagQueue.self, traits: Self.traits("UntagQueue", readOnly: false), untagQueue),
                AnyOperation(Ops.ListQueueTags.self, traits: Self.traits("ListQueueTags", readOnly: true), listQueueTags),
                AnyOperation(Ops.SendMessage.self, traits: Self.traits("SendMessage", readOnly: false, data: true), sendMessage),
                AnyOperation(Ops.SendMessageBatch.self, traits: Self.traits("SendMessage", readOnly: false, data: true), sendMessageBatch),
                AnyOperation(Ops.ReceiveMessage.self, traits: Self.traits("ReceiveMessage", readOnly: true, data: true), receiveMessage),
                AnyOperation(Ops.DeleteMessage.self, traits: Self.traits("DeleteMessage", readOnly: false, data: true), deleteMessage),
                AnyOperation(Ops.DeleteMessageBatch.self, traits: Self.traits("DeleteMessage", readOnly: false, data: true), deleteMessageBatch),
                AnyOperation(Ops.ChangeMessageVisibility.self, traits: Self.traits("ChangeMessageVisibility", readOnly: false, data: true),
                             changeMessageVisibility),
                AnyOperation(Ops.ChangeMessageVisibilityBatch.self, traits: Self.traits("ChangeMessageVisibility", readOnly: false, data: true),
                             changeMessageVisibilityBatch),
                AnyOperation(Ops.AddPermission.self, traits: Self.traits("AddPermission", readOnly: false), addPermission),
                AnyOperation(Ops.RemovePermission.self, traits: Self.traits("RemovePermission", readOnly: false), removePermission),
                AnyOperation(Ops.ListDeadLetterSourceQueues.self, traits: Self.traits("ListDeadLetterSourceQueues", readOnly: true),
                             listDeadLetterSourceQueues),
                AnyOperation(Ops.StartMessageMoveTask.self, traits: Self.traits("StartMessageMoveTask", readOnly: false),
                             startMessageMoveTask),
                AnyOperation(Ops.ListMessageMoveTasks.self, traits: Self.traits("ListMessageMoveTasks", readOnly: true),
                             listMessageMoveTasks),
                AnyOperation(Ops.CancelMessageMoveTask.self, traits: Self.traits("CancelMessageMoveTask", readOnly: false),
                             cancelMessageMoveTask),
            ],
            queryCompatible: true, errorTypePrefix: "com.amazonaws.sqs#", missingParameter: { Self.missingParameter($0) },
            jsonOmitsEmptyCollections: true)
        d.authority = SQSAuthority(sqs: self)
        return d
    }
}
