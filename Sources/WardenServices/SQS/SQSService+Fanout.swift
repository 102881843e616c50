// Deliveries from another service (SNS fan-out) in batches: one queue lookup and, for a standard queue, one
// transaction for many messages, so a delivery engine keeps pace with publishers instead of paying a transaction each.
import WardenAPI
import WardenCore
import WardenStorage

extension SQSService {
    /// One message another service delivers into a queue.
    public struct Delivery: Sendable {
        public var body: String
        public var attributes: [String: SQS.MessageAttributeValue]?
        public var groupId: String?
        public var dedupId: String?

        public init(body: String, attributes: [String: SQS.MessageAttributeValue]?, groupId: String?, dedupId: String?) {
            self.body = body
            self.attributes = attributes
            self.groupId = groupId
            self.dedupId = dedupId
        }
    }

    /// Enqueues `deliveries` into the queue named by `queueArn`, in order, sent by `senderId`. Every message is
    /// prepared (validated) before any is stored, so an error from one (a body over the queue's limit) stores none and
    /// the caller can retry them one by one; a standard queue stores all in one transaction. A FIFO queue stores each
    /// in its own transaction (its deduplication makes a retry after a partial store harmless).
    public func deliver(queueArn: String, _ deliveries: [Delivery], senderId: String) async throws {
        guard !deliveries.isEmpty else { return }
        guard let arn = ARN(queueArn), arn.service == "sqs",
              let row = try await repository.queue(account: arn.account, region: arn.region, name: arn.resource) else {
            throw Self.noQueue()
        }
        let record = try QueueRecord.decode(row.doc)
        let context = RequestContext(requestId: "", account: arn.account, region: arn.region,
                                     principal: Principal(kind: .anonymous, account: arn.account, arn: "", userId: senderId, accessKeyId: nil),
                                     sourceIP: "", userAgent: "sns.amazonaws.com", receivedAt: now())
        let fifo = record.isFifo
        let prepared = try deliveries.map { d in
            try prepare(body: d.body, delaySeconds: nil, attributes: d.attributes, system: nil,
                        groupId: fifo ? d.groupId ?? "default" : d.groupId, dedupId: fifo ? d.dedupId : nil, record: record, context)
        }
        _ = try await store(prepared, queue: row, record: record)
    }
}
