// The delivery engine: drains the outbox. Local copies (into SQS) are delivered inline; copies for remote endpoints
// (HTTP/S, email, SMS) are leased and sent concurrently on the node's BackgroundTasks, so one slow endpoint does not
// hold up the rest. A FIFO topic's copies for one (subscription, message group) lane are delivered one after another,
// strictly in order.
import Foundation
import Synchronization
import WardenAPI
import WardenCore
import WardenStorage

/// How many remote deliveries may be in progress at once.
final class DeliverySlots: Sendable {
    let capacity: Int
    private let used = Mutex(0)
    init(capacity: Int) { self.capacity = capacity }
    var free: Int { used.withLock { capacity - $0 } }
    func take(_ n: Int) { used.withLock { $0 += n } }
    func give() { used.withLock { $0 -= 1 } }
}

extension SNSService {
    /// Protocols whose deliveries leave the process (and may be slow).
    static func isRemote(_ doc: DeliveryDoc) -> Bool {
        guard let p = doc.protocol else { return false }
        return p == "http" || p == "https" || p == "sms" || p.hasPrefix("email") || p == "application"
    }

    /// Delivers what is due; returns how many copies were delivered inline. Safe to run concurrently with publishes;
    /// runs one at a time (the caller's loop), which a finished remote delivery wakes again.
    public func runDeliveries() async throws -> Int {
        var delivered = 0
        while true {
            let nowMs = nowMillis
            let due = try await repository.due(nowMillis: nowMs, limit: 200)
            if due.isEmpty { return delivered }
            var progressed = false
            var live: [String: Bool] = [:]
            var lanes: [String: [(DeliveryItem, DeliveryDoc)]] = [:]
            var order: [String] = []
            for item in due {
                if live[item.subscriptionArn] == nil {
                    live[item.subscriptionArn] = item.subscriptionArn.hasPrefix("direct-")
                        ? true : try await repository.subscription(arn: item.subscriptionArn) != nil
                }
                guard let doc = try? JSONDecoder().decode(DeliveryDoc.self, from: Data(item.doc.utf8)), live[item.subscriptionArn] == true else {
                    // Unsubscribed (or its topic deleted) since the publish: nothing to deliver to.
                    try await repository.completeDelivery(seq: item.seq)
                    progressed = true
                    continue
                }
                if doc.protocol == "lambda" && functions == nil {
                    // No functions here: the copy waits (checked again every minute), neither delivered nor dropped.
                    try await repository.retryDelivery(seq: item.seq, attempts: item.attempts, dueAtMillis: nowMs + 60_000)
                    progressed = true
                    continue
                }
                let key = item.lane ?? "#\(item.seq)"
                if lanes[key] == nil { order.append(key) }
                lanes[key, default: []].append((item, doc))
            }
            var remote: [[(DeliveryItem, DeliveryDoc)]] = []
            var queued: [[(DeliveryItem, DeliveryDoc)]] = []
            for key in order {
                guard let lane = lanes[key], let first = lane.first else { continue }
                if Self.isRemote(first.1) {
                    remote.append(lane)
                    continue
                }
                if first.1.protocol == nil {
                    // SQS: delivered below, many copies per transaction.
                    queued.append(lane)
                    continue
                }
                progressed = true
                for (item, doc) in lane {
                    guard try await attempt(item, doc) else { break }
                    delivered += 1
                }
            }
            if !queued.isEmpty {
                progressed = true
                delivered += try await deliverToQueues(queued)
            }
            // A node shutting down leases no more: the copies stay due, for this node after a restart or another node.
            let started = remote.prefix(background.isShuttingDown ? 0 : max(0, slots.free))
            if !started.isEmpty {
                // Lease the copies (due again only if this process dies before finishing them), then send.
                // Long enough for the longest lane at 15 s per copy (a crash makes them wait that long, no longer).
                let seqs = started.flatMap { $0.map(\.0.seq) }
                let longest = Int64(started.map(\.count).max() ?? 1)
                try await repository.reschedule(seqs: seqs, dueAtMillis: nowMs + 30_000 + longest * 16_000)
                slots.take(started.count)
                for lane in started {
                    guard !background.submit("sns-remote-delivery", { await deliverRemote(lane) }) else { continue }
                    // Refused: shutdown began since the check above. The copies are due again at once (for another
                    // node, or this one after a restart) rather than when the lease runs out.
                    slots.give()
                    try await repository.reschedule(seqs: lane.map(\.0.seq), dueAtMillis: nowMs)
                }
                progressed = true
            }
            if !progressed { return delivered }
        }
    }

    /// Sends one remote lane in order; stops at the first copy that must wait for a retry, and hands the rest back.
    func deliverRemote(_ lane: [(DeliveryItem, DeliveryDoc)]) async {
        defer {
            slots.give()
            wakeups.signal(Self.wakeKey)
        }
        for (index, (item, doc)) in lane.enumerated() {
            do {
                guard try await attempt(item, doc) else {
                    try await repository.reschedule(seqs: lane.dropFirst(index + 1).map(\.0.seq), dueAtMillis: nowMillis)
                    return
                }
            } catch {
                // Storage failed: the lease runs out and the copies come due again.
                background.logger.error("SNS delivery could not record its outcome; the copies come due again when their lease ends",
                                        metadata: ["subscription": "\(item.subscriptionArn)", "seq": "\(item.seq)", "error": "\(error)"])
                return
            }
        }
    }

    /// Delivers one copy. True when it is done with (delivered, or dead-lettered/dropped after its last retry); false
    /// when it was rescheduled for a retry.
    func attempt(_ stored: DeliveryItem, _ doc: DeliveryDoc) async throws -> Bool {
        var item = stored
        do {
            // SSE-KMS copies are opened first: a key disabled since the publish fails the attempt, which is retried.
            item.body = try await openBody(stored, doc)
            if let proto = doc.protocol, proto == "http" || proto == "https" {
                try await post(item, doc)
            } else if doc.protocol == "sms" {
                try await checkSandboxDelivery(doc)  // SNSService+Sandbox.swift
                try await sendSMS(item, doc)
            } else if doc.protocol == "application" {
                try await deliverPush(item, doc)
            } else if doc.protocol == "lambda", let functions {
                // An asynchronous invocation with SNS's event; the function's own retries and DLQ take it from there.
                try await functions.invokeEvent(functionArn: doc.endpoint, payload: Self.lambdaEvent(item, doc),
                                                service: "sns.amazonaws.com", sourceArn: doc.topicArn ?? Self.topicOf(item.subscriptionArn))
            } else if let proto = doc.protocol, proto.hasPrefix("email") {
                guard let smtp else { throw AWSError(code: "EmailNotConfigured", status: 500, senderFault: false, message: "no --smtp-url") }
                try await SMTPClient.send(smtp, to: doc.endpoint, subject: doc.subject ?? "AWS Notification Message",
                                          body: String(decoding: item.body, as: UTF8.self))
            } else {
                try await checkQueueAccess(doc, subscriptionArn: item.subscriptionArn)
                let attrs = doc.attributes.map { list in
                    Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0.api) })
                }
                try await queues.deliver(queueArn: doc.endpoint, body: String(decoding: item.body, as: UTF8.self),
                                         attributes: attrs?.isEmpty == true ? nil : attrs, senderId: Self.senderId,
                                         groupId: doc.groupId, dedupId: doc.dedupId)
            }
            try await repository.completeDelivery(seq: item.seq)
            return true
        } catch {
            let nowMs = nowMillis
            let attempts = item.attempts + 1
            let (limit, delay): (Int64, Int64)
            if let retry = doc.retry {
                (limit, delay) = (Int64(retry.numRetries) + 1, Int64(retry.delay(Int(attempts))))
            } else {
                (limit, delay) = (Self.maxAttempts, Self.retryDelay(attempts))
            }
            // A queue or function that does not exist, or a queue or function whose policy does not let SNS deliver, is a
            // client-side error: SNS does not retry those.
            let clientSide = ["QueueDoesNotExist", "ResourceNotFoundException", "AccessDeniedException"].contains((error as? AWSError)?.code ?? "")
            guard attempts >= limit || clientSide else {
                try await repository.retryDelivery(seq: item.seq, attempts: attempts, dueAtMillis: nowMs + delay * 1000)
                return false
            }
            // Out of retries: to the subscription's dead-letter queue if it has one, else dropped.
            if let dlq = doc.deadLetter {
                do {
                    try await queues.deliver(queueArn: dlq, body: String(decoding: item.body, as: UTF8.self),
                                             attributes: nil, senderId: Self.senderId, groupId: doc.groupId, dedupId: doc.dedupId)
                } catch {
                    try await repository.retryDelivery(seq: item.seq, attempts: attempts, dueAtMillis: nowMs + 20_000)
                    return false
                }
            }
            try await repository.completeDelivery(seq: item.seq)
            return true
        }
    }

    /// SNS sends into a queue as sns.amazonaws.com for the topic: the queue's policy must allow sqs:SendMessage with
    /// aws:SourceArn (or the legacy aws:SourceOwner) of the topic, or nothing is delivered (SNS Developer Guide, "Fanout
    /// to Amazon SQS queues"). An owner who "changes the policy attached to the subscribed endpoint in a way that
    /// prevents Amazon SNS from delivering messages" causes a client-side error, which SNS does not retry (Amazon SNS
    /// dead-letter queues): it is thrown as one, and the copy goes to the subscription's dead-letter queue or is dropped.
    func checkQueueAccess(_ doc: DeliveryDoc, subscriptionArn: String) async throws {
        guard access.enforced else { return }
        let topicArn = doc.topicArn ?? Self.topicOf(subscriptionArn)
        let policy = try await queues.queuePolicy(queueArn: doc.endpoint)
        guard access.allows(service: "sns.amazonaws.com", action: "sqs:SendMessage", resourceArn: doc.endpoint,
                            resourceAccount: ARN(doc.endpoint)?.account ?? "", policy: policy,
                            sourceArn: topicArn, sourceAccount: ARN(topicArn)?.account ?? "") else {
            throw AWSError(code: "AccessDeniedException", status: 403,
                           message: "sns.amazonaws.com is not authorized to perform sqs:SendMessage on \(doc.endpoint) for \(topicArn): the queue policy does not allow it.")
        }
    }

    /// SNS's Lambda event: `{"Records":[{"EventSource":"aws:sns","EventVersion":"1.0","EventSubscriptionArn":…,"Sns":{…}}]}`,
    /// the notification with `SigningCertUrl`/`UnsubscribeUrl` spelt as Lambda events spell them, Subject null when absent.
    static func lambdaEvent(_ item: DeliveryItem, _ doc: DeliveryDoc) -> [UInt8] {
        guard case .object(let fields)? = try? JSONParser.parse(item.body) else { return item.body }
        var sns: [(String, JSONValue)] = []
        let renamed = ["SigningCertURL": "SigningCertUrl", "UnsubscribeURL": "UnsubscribeUrl"]
        let byName = Dictionary(fields, uniquingKeysWith: { a, _ in a })
        for key in ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature",
                    "SigningCertURL", "UnsubscribeURL", "MessageAttributes"] {
            let value = byName[key] ?? (key == "MessageAttributes" ? .object([]) : .null)
            sns.append((renamed[key] ?? key, value))
        }
        let record: JSONValue = .object([("EventSource", .string("aws:sns")), ("EventVersion", .string("1.0")),
                                         ("EventSubscriptionArn", .string(item.subscriptionArn)), ("Sns", .object(sns))])
        return JSONWriter.write(.object([("Records", .array([record]))]))
    }

    /// One HTTP(S) delivery: a POST with SNS's headers; any 2xx counts as delivered.
    func post(_ item: DeliveryItem, _ doc: DeliveryDoc) async throws {
        var headers: [(String, String)] = [
            ("Content-Type", "text/plain; charset=UTF-8"), ("User-Agent", "Amazon Simple Notification Service Agent"),
            ("x-amz-sns-message-type", doc.messageType ?? "Notification"), ("x-amz-sns-message-id", doc.messageId),
            ("x-amz-sns-topic-arn", doc.topicArn ?? ""),
        ]
        if doc.messageType != "SubscriptionConfirmation" { headers.append(("x-amz-sns-subscription-arn", item.subscriptionArn)) }
        if doc.raw == true { headers.append(("x-amz-sns-rawdelivery", "true")) }
        let response = try await http.send("POST", url: doc.endpoint, headers: headers, body: item.body)
        guard (200..<300).contains(response.status) else {
            throw AWSError(code: "DeliveryFailed", status: 502, senderFault: false, message: "\(doc.endpoint) answered \(response.status)")
        }
    }
}
