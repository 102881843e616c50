// SQS as the event source of Lambda event source mappings: the pollers receive, delete and release messages through
// the same operations clients call (visibility, receive counts, dead-letter moves and FIFO group locking included).
import Foundation
import WardenAPI
import WardenCore

/// A queue as an event source mapping needs to know it.
struct EventSourceQueue: Sendable {
    var fifo: Bool
    var visibilityTimeout: Int
}

/// What the pollers of Lambda's event source mappings need from SQS. The SQS service is the one implementation;
/// Lambda reaches it through the queue service it already holds (its `QueueDelivery`).
protocol EventSourceQueues: Sendable {
    /// The queue an ARN names, or nil when there is none.
    func eventSourceQueue(arn: String) async throws -> EventSourceQueue?
    /// Up to `max` (1–10) messages with every system and message attribute, waiting up to `waitSeconds` for the
    /// first; each stays in flight for the queue's visibility timeout.
    func receiveForEventSource(arn: String, max: Int, waitSeconds: Int) async throws -> [SQS.Message]
    /// Deletes handled messages; returns the receipt handles SQS refused (a FIFO receipt that expired, say).
    func deleteForEventSource(arn: String, receiptHandles: [String]) async throws -> [String]
    /// Makes messages visible again at once (taken but not handed to the function).
    func releaseForEventSource(arn: String, receiptHandles: [String]) async throws
}

extension SQSService: EventSourceQueues {
    /// The queue's URL path (`/account/name`) and a context of the queue's own account, as the pollers act for it.
    func eventSourceContext(_ arn: String) throws -> (url: String, context: RequestContext) {
        guard let a = ARN(arn), a.service == "sqs", !a.resource.isEmpty else { throw Self.noQueue() }
        let context = RequestContext(requestId: UUID().uuidString.lowercased(), account: a.account, region: a.region,
                                     principal: Principal(kind: .anonymous, account: a.account, arn: "", userId: "lambda",
                                                          accessKeyId: nil),
                                     sourceIP: "", userAgent: "lambda.amazonaws.com", receivedAt: now())
        return ("/\(a.account)/\(a.resource)", context)
    }

    func eventSourceQueue(arn: String) async throws -> EventSourceQueue? {
        guard let a = ARN(arn), a.service == "sqs",
              let row = try await repository.queue(account: a.account, region: a.region, name: a.resource) else { return nil }
        let record = try QueueRecord.decode(row.doc)
        return EventSourceQueue(fifo: record.isFifo, visibilityTimeout: Int(record.int("VisibilityTimeout")))
    }

    func receiveForEventSource(arn: String, max: Int, waitSeconds: Int) async throws -> [SQS.Message] {
        let (url, context) = try eventSourceContext(arn)
        let request = SQS.ReceiveMessageRequest(queueUrl: url, attributeNames: ["All"], messageAttributeNames: ["All"],
                                                maxNumberOfMessages: max, waitTimeSeconds: waitSeconds)
        return try await receiveMessage(request, context: context).messages ?? []
    }

    func deleteForEventSource(arn: String, receiptHandles: [String]) async throws -> [String] {
        let (url, context) = try eventSourceContext(arn)
        var refused: [String] = []
        for start in stride(from: 0, to: receiptHandles.count, by: 10) {
            let chunk = Array(receiptHandles[start..<min(start + 10, receiptHandles.count)])
            let entries = chunk.enumerated().map { SQS.DeleteMessageBatchRequestEntry(id: "m\($0.offset)", receiptHandle: $0.element) }
            let result = try await deleteMessageBatch(SQS.DeleteMessageBatchRequest(queueUrl: url, entries: entries), context: context)
            for failure in result.failed {
                if let i = Int(failure.id.dropFirst()), i < chunk.count { refused.append(chunk[i]) }
            }
        }
        return refused
    }

    func releaseForEventSource(arn: String, receiptHandles: [String]) async throws {
        let (url, context) = try eventSourceContext(arn)
        for start in stride(from: 0, to: receiptHandles.count, by: 10) {
            let chunk = receiptHandles[start..<min(start + 10, receiptHandles.count)]
            let entries = chunk.enumerated().map {
                SQS.ChangeMessageVisibilityBatchRequestEntry(id: "m\($0.offset)", receiptHandle: $0.element, visibilityTimeout: 0)
            }
            _ = try await changeMessageVisibilityBatch(SQS.ChangeMessageVisibilityBatchRequest(queueUrl: url, entries: entries),
                                                       context: context)
        }
    }
}
