// SQS targets in batches. One queue insert and one outbox delete per event, each its own transaction, let deliveries
// fall behind PutEvents callers competing for the same database; grouped by queue it is two transactions per queue
// per pass.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension EventsService {
    /// Delivers the claimed items whose target is an SQS queue, grouped by queue; answers how many were delivered and
    /// the items left for the one-by-one path (other targets, and every item of a group that failed as a whole — a
    /// missing queue, a policy that refuses EventBridge, a body the queue rejects — so retries and dead-letter queues
    /// behave exactly as for a single delivery).
    func deliverToQueues(_ claimed: [EventTargetDelivery]) async throws -> (delivered: Int, remaining: [EventTargetDelivery]) {
        guard let queues else { return (0, claimed) }
        var remaining: [EventTargetDelivery] = []
        var groups: [String: [(EventTargetDelivery, DeliveryTarget, ARN)]] = [:]
        var order: [String] = []
        for d in claimed {
            guard let target = try? JSONDecoder().decode(DeliveryTarget.self, from: Data(d.target.utf8)),
                  let arn = ARN(target.arn), arn.service == "sqs" else {
                remaining.append(d)
                continue
            }
            if groups[target.arn] == nil { order.append(target.arn) }
            groups[target.arn, default: []].append((d, target, arn))
        }
        var delivered = 0
        for queueArn in order {
            guard let group = groups[queueArn] else { continue }
            do {
                var checked: Set<String> = []
                for (_, target, arn) in group where !checked.contains(target.ruleArn) {
                    try await checkTargetAccess(target, arn)
                    checked.insert(target.ruleArn)
                }
                // A FIFO queue gets the target's MessageGroupId; deduplication is the queue's own (content-based), as
                // EventBridge sets no deduplication id of its own on classic targets.
                let batch = group.map { d, target, _ in
                    SQSService.Delivery(body: String(decoding: d.payload, as: UTF8.self), attributes: nil, groupId: target.groupId, dedupId: nil)
                }
                try await queues.deliver(queueArn: queueArn, batch, senderId: "AIDAWARDENEVENTBRIDGE")
            } catch {
                remaining.append(contentsOf: group.map(\.0))
                continue
            }
            // Stored: a failure to delete them now delivers them again when the claim runs out (at least once).
            try await repository.complete(group.map { (seq: $0.0.seq, claim: $0.0.claimedUntil) })
            delivered += group.count
        }
        return (delivered, remaining)
    }
}
