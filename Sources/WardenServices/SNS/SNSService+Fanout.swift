// Fan-out into SQS in batches. Under load, a copy-at-a-time engine (one queue insert and one outbox delete, each its
// own transaction) falls behind the publishers it competes with for the database; grouping the due copies by queue
// makes it two transactions per queue per pass, so deliveries keep pace with acknowledged publishes.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension SNSService {
    /// Delivers SQS lanes (each a FIFO lane in order, or one standard copy), grouped by queue; answers how many copies
    /// were delivered. A group that fails as a whole (a missing queue, a policy that refuses SNS, a body the queue
    /// rejects, a topic key that cannot be opened) is retried copy by copy through `attempt`, which applies the retry
    /// policy and the dead-letter queue exactly as before: batching changes how many transactions, never the outcome.
    func deliverToQueues(_ lanes: [[(DeliveryItem, DeliveryDoc)]]) async throws -> Int {
        var groups: [String: [[(DeliveryItem, DeliveryDoc)]]] = [:]
        var order: [String] = []
        for lane in lanes {
            guard let first = lane.first else { continue }
            if groups[first.1.endpoint] == nil { order.append(first.1.endpoint) }
            groups[first.1.endpoint, default: []].append(lane)
        }
        var delivered = 0
        for queueArn in order {
            guard let group = groups[queueArn] else { continue }
            let copies = group.flatMap { $0 }
            do {
                var allowed: Set<String> = []
                var batch: [SQSService.Delivery] = []
                batch.reserveCapacity(copies.count)
                for (item, doc) in copies {
                    let topicArn = doc.topicArn ?? Self.topicOf(item.subscriptionArn)
                    if !allowed.contains(topicArn) {
                        try await checkQueueAccess(doc, subscriptionArn: item.subscriptionArn)
                        allowed.insert(topicArn)
                    }
                    let body = try await openBody(item, doc)
                    let attrs = doc.attributes.map { list in Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0.api) }) }
                    batch.append(SQSService.Delivery(body: String(decoding: body, as: UTF8.self),
                                                     attributes: attrs?.isEmpty == true ? nil : attrs,
                                                     groupId: doc.groupId, dedupId: doc.dedupId))
                }
                try await queues.deliver(queueArn: queueArn, batch, senderId: Self.senderId)
            } catch {
                for lane in group {
                    for (item, doc) in lane {
                        guard try await attempt(item, doc) else { break }
                        delivered += 1
                    }
                }
                continue
            }
            // Stored: a crash before this delete delivers the copies again (SNS's at-least-once delivery).
            try await repository.completeDeliveries(seqs: copies.map(\.0.seq))
            delivered += copies.count
        }
        return delivered
    }
}
