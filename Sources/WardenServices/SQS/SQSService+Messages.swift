// SQS messages: send (single and batch), receive with long polling, delete and visibility changes, dead-letter redrive.
import Crypto
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

/// One message attribute as stored (same fields as the API's MessageAttributeValue).
struct StoredAttribute: Codable, Sendable {
    var name: String
    var dataType: String
    var string: String?
    var binary: String?

    var api: SQS.MessageAttributeValue {
        SQS.MessageAttributeValue(stringValue: string, binaryValue: binary.flatMap { Data(base64Encoded: $0) }.map { Array($0) },
                                  dataType: dataType)
    }
}

/// What a message row keeps besides its sealed body.
struct MessageDoc: Codable, Sendable {
    var attributes: [StoredAttribute]
    var md5Body: String
    var senderId: String
    var traceHeader: String?
    var groupId: String?
    var dedupId: String?
    /// SSE-KMS: the data key's KMS ciphertext (base64); the body is then nonce | ciphertext | tag under that key.
    var kmsDataKey: String?
    /// The queue ARN bound into the data key's encryption context (a redriven message keeps its original queue's).
    var kmsQueueArn: String?
    /// The message id the SSE-KMS body is bound to, when it is not the message's own: a message a move task moved is a
    /// new message with a new id, its body still sealed under the original's data key and id.
    var kmsAad: String? = nil

    func encoded() -> String { (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}" }
}

enum MessageMD5 {
    /// MD5OfMessageAttributes: attributes sorted by name; each as length-prefixed name, type, a transport byte and the
    /// length-prefixed value.
    static func attributes(_ attrs: [StoredAttribute]) -> String? {
        guard !attrs.isEmpty else { return nil }
        var bytes: [UInt8] = []
        func lengthPrefixed(_ b: [UInt8]) {
            let n = UInt32(b.count)
            bytes += [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
            bytes += b
        }
        for a in attrs.sorted(by: { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }) {
            lengthPrefixed(Array(a.name.utf8))
            lengthPrefixed(Array(a.dataType.utf8))
            if let s = a.string {
                bytes.append(1)
                lengthPrefixed(Array(s.utf8))
            } else if let b = a.binary.flatMap({ Data(base64Encoded: $0) }) {
                bytes.append(2)
                lengthPrefixed(Array(b))
            }
        }
        return Hex.encode(Insecure.MD5.hash(data: bytes))
    }

    static func body(_ s: String) -> String { Hex.encode(Insecure.MD5.hash(data: Array(s.utf8))) }
}

extension SQSService {
    static let systemAttributeNames: Set<String> = ["SenderId", "SentTimestamp", "ApproximateReceiveCount",
                                                    "ApproximateFirstReceiveTimestamp", "AWSTraceHeader"]

    /// SQS accepts only characters that XML 1.0 allows.
    static func isValidBody(_ s: String) -> Bool {
        s.unicodeScalars.allSatisfy { u in
            let v = u.value
            return v == 0x9 || v == 0xA || v == 0xD || (0x20...0xD7FF).contains(v) || (0xE000...0xFFFD).contains(v)
                || (0x10000...0x10FFFF).contains(v)
        }
    }

    static func isValidAttributeName(_ n: String) -> Bool {
        guard (1...256).contains(n.utf8.count), !n.hasPrefix("."), !n.hasSuffix("."), !n.contains(".."),
              !n.lowercased().hasPrefix("aws."), !n.lowercased().hasPrefix("amazon.") else { return false }
        return n.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F || c == 0x2E
        }
    }

    /// Checks and converts message attributes; returns them with their size (which counts toward the message size).
    static func attributes(_ input: [String: SQS.MessageAttributeValue]?) throws(AWSError) -> ([StoredAttribute], Int) {
        guard let input, !input.isEmpty else { return ([], 0) }
        guard input.count <= 10 else {
            throw invalidValue("Number of message attributes [\(input.count)] exceeds the allowed maximum [10].")
        }
        var out: [StoredAttribute] = []
        var size = 0
        for (name, v) in input {
            guard isValidAttributeName(name) else { throw invalidValue("Message (user) attribute name '\(name)' is invalid.") }
            let base = v.dataType.split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
            guard ["String", "Number", "Binary"].contains(base), v.dataType.utf8.count <= 256 else {
                throw invalidValue("The type of message (user) attribute '\(name)' is invalid. You must use only the following supported type prefixes: Binary, Number, String.")
            }
            if v.stringListValues != nil || v.binaryListValues != nil {
                throw invalidValue("Message (user) attribute '\(name)': list values are not supported.")
            }
            var a = StoredAttribute(name: name, dataType: v.dataType)
            if base == "Binary" {
                guard let b = v.binaryValue, !b.isEmpty else {
                    throw invalidValue("Message (user) attribute '\(name)' must contain a non-empty value of type 'Binary'.")
                }
                a.binary = Data(b).base64EncodedString()
                size += b.count
            } else {
                guard let s = v.stringValue, !s.isEmpty else {
                    throw invalidValue("Message (user) attribute '\(name)' must contain a non-empty value of type '\(base)'.")
                }
                if base == "Number" {
                    guard Double(s) != nil else { throw invalidValue("Can't cast the value of message (user) attribute '\(name)' to a number.") }
                }
                guard isValidBody(s) else { throw invalidValue("Message (user) attribute '\(name)' contains invalid characters.") }
                a.string = s
                size += s.utf8.count
            }
            size += name.utf8.count + v.dataType.utf8.count
            out.append(a)
        }
        return (out, size)
    }

    struct Prepared {
        var message: NewMessage
        var md5Body: String
        var md5Attributes: String?
        /// FIFO: the group and the key deduplication compares (scoped per DeduplicationScope).
        var groupId: String?
        var dedupKey: String?
    }

    static func isValidFifoId(_ s: String) -> Bool {
        (1...128).contains(s.utf8.count) && s.unicodeScalars.allSatisfy { $0.value >= 0x21 && $0.value <= 0x7E }
    }

    static func checkFifoId(_ value: String, _ parameter: String) throws(AWSError) {
        guard isValidFifoId(value) else {
            throw invalidValue("Value \(value) for parameter \(parameter) is invalid. Reason: \(parameter) can only include alphanumeric and punctuation characters. 1 to 128 in length.")
        }
    }

    /// Validates one message against the queue and builds its row.
    func prepare(body: String, delaySeconds: Int?, attributes: [String: SQS.MessageAttributeValue]?,
                 system: [String: SQS.MessageSystemAttributeValue]?, groupId: String?, dedupId: String?,
                 record: QueueRecord, inBatch: Bool = false, _ c: RequestContext) throws(AWSError) -> Prepared {
        var dedup = dedupId
        if record.isFifo {
            guard let g = groupId else {
                throw Self.missingParameter("MessageGroupId")
            }
            try Self.checkFifoId(g, "MessageGroupId")
            if let d = dedupId { try Self.checkFifoId(d, "MessageDeduplicationId") }
            if let d = delaySeconds, d != 0 {
                throw Self.invalidValue("Value \(d) for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.")
            }
            if dedup == nil {
                guard record.attributes["ContentBasedDeduplication"] == "true" else {
                    throw Self.invalidValue("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
                }
                dedup = Hex.encode(SHA256.hash(data: Array(body.utf8)))
            }
        } else if dedupId != nil {
            throw Self.invalidValue("The request include parameter that is not valid for this queue type.")
        } else if let g = groupId {
            // Standard queues take a MessageGroupId since SQS fair queues (2025): it groups messages for fairness
            // and comes back as the MessageGroupId attribute, without FIFO's ordering or deduplication.
            try Self.checkFifoId(g, "MessageGroupId")
        }
        guard !body.isEmpty else {
            throw Self.missingParameter("MessageBody")
        }
        guard Self.isValidBody(body) else {
            throw AWSError(code: "InvalidMessageContents", queryCode: "InvalidMessageContents", status: 400,
                           message: "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
        }
        let (attrs, attrSize) = try Self.attributes(attributes)
        let max = record.int("MaximumMessageSize")
        guard Int64(body.utf8.count + attrSize) <= max else {
            // A batch entry words it differently from a single SendMessage (both recorded from SQS).
            throw Self.invalidValue("One or more parameters \(inBatch ? "cannot be validated" : "are invalid"). Reason: Message must be shorter than \(max) bytes.")
        }
        if let d = delaySeconds, !(0...900).contains(d) {
            throw Self.invalidValue("Value \(d) for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.")
        }
        var trace: String?
        for (name, v) in system ?? [:] {
            guard name == "AWSTraceHeader", v.dataType == "String", let s = v.stringValue else {
                throw Self.invalidValue("Message system attribute name '\(name)' is invalid.")
            }
            trace = s
        }
        let nowMs = nowMillis
        let delay = Int64(delaySeconds ?? Int(record.int("DelaySeconds"))) * 1000
        let md5Body = MessageMD5.body(body)
        let doc = MessageDoc(attributes: attrs, md5Body: md5Body, senderId: c.principal?.userId ?? c.account, traceHeader: trace,
                             groupId: groupId, dedupId: record.isFifo ? dedup : nil)
        let message = NewMessage(messageId: UUID().uuidString.lowercased(), body: Array(body.utf8), doc: doc.encoded(),
                                 sentAtMillis: nowMs, visibleAtMillis: nowMs + delay,
                                 expiresAtMillis: nowMs + record.int("MessageRetentionPeriod") * 1000)
        let scope = record.attributes["DeduplicationScope"] == "messageGroup" ? "\(groupId ?? "")\u{1}" : ""
        return Prepared(message: message, md5Body: md5Body, md5Attributes: MessageMD5.attributes(attrs),
                        groupId: record.isFifo ? groupId : nil, dedupKey: dedup.map { scope + $0 })
    }

    /// Stores prepared messages: FIFO ones one by one through deduplication (returning each one's message id and
    /// sequence number), standard ones in one transaction.
    func store(_ prepared: [Prepared], queue row: QueueRow, record: QueueRecord) async throws -> [(messageId: String, sequence: String?)] {
        var out: [(String, String?)] = []
        var standard: [NewMessage] = []
        var prepared = prepared
        if let keyId = record.attributes["KmsMasterKeyId"] {
            for i in prepared.indices { try await encrypt(&prepared[i].message, keyId: keyId, record: record, queue: row) }
        }
        for p in prepared {
            if let g = p.groupId, let key = p.dedupKey {
                let (id, seq, _) = try await repository.sendFIFO(queueId: row.queueId, p.message, groupId: g, dedupKey: key)
                out.append((id, Self.sequenceNumber(seq)))
            } else {
                standard.append(p.message)
                out.append((p.message.messageId, nil))
            }
        }
        if !standard.isEmpty { try await repository.send(queueId: row.queueId, standard) }
        signals.signal(row.queueId)
        return out
    }

    /// SQS and SNS FIFO sequence numbers: decimals zero-padded to 20 digits (AWS's are 128-bit; ours fit in 64).
    static func sequenceNumber(_ seq: Int64) -> String {
        let digits = String(seq)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    static func md5System(_ trace: String?) -> String? {
        trace.flatMap { MessageMD5.attributes([StoredAttribute(name: "AWSTraceHeader", dataType: "String", string: $0)]) }
    }

    func sendMessage(_ input: SQS.SendMessageRequest, context c: RequestContext) async throws -> SQS.SendMessageResult {
        let (row, record) = try await resolve(input.queueUrl, c)
        let p = try prepare(body: input.messageBody, delaySeconds: input.delaySeconds, attributes: input.messageAttributes,
                            system: input.messageSystemAttributes, groupId: input.messageGroupId, dedupId: input.messageDeduplicationId,
                            record: record, c)
        let stored = try await store([p], queue: row, record: record)[0]
        return SQS.SendMessageResult(md5OfMessageBody: p.md5Body, md5OfMessageAttributes: p.md5Attributes,
                                     md5OfMessageSystemAttributes: Self.md5System(input.messageSystemAttributes?["AWSTraceHeader"]?.stringValue),
                                     messageId: stored.messageId, sequenceNumber: stored.sequence)
    }

    static func checkBatch(_ ids: [String]) throws(AWSError) {
        guard !ids.isEmpty else {
            throw AWSError(code: "EmptyBatchRequest", queryCode: "AWS.SimpleQueueService.EmptyBatchRequest", status: 400,
                           message: "There should be at least one SendMessageBatchRequestEntry in the request.")
        }
        guard ids.count <= 10 else {
            throw AWSError(code: "TooManyEntriesInBatchRequest", queryCode: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                           status: 400, message: "Maximum number of entries per request are 10. You have sent \(ids.count).")
        }
        guard Set(ids).count == ids.count else {
            throw AWSError(code: "BatchEntryIdsNotDistinct", queryCode: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", status: 400,
                           message: "Id \(ids.first { id in ids.filter { $0 == id }.count > 1 } ?? "") repeated.")
        }
        for id in ids where !(1...80).contains(id.utf8.count) || !id.utf8.allSatisfy({ c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F }) {
            throw AWSError(code: "InvalidBatchEntryId", queryCode: "AWS.SimpleQueueService.InvalidBatchEntryId", status: 400,
                           message: "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
        }
    }

    static func failure(_ id: String, _ e: AWSError) -> SQS.BatchResultErrorEntry {
        SQS.BatchResultErrorEntry(id: id, senderFault: e.senderFault, code: e.queryCode ?? e.code, message: e.message)
    }

    func sendMessageBatch(_ input: SQS.SendMessageBatchRequest, context c: RequestContext) async throws -> SQS.SendMessageBatchResult {
        try Self.checkBatch(input.entries.map(\.id))
        let (row, record) = try await resolve(input.queueUrl, c)
        // The batch as a whole is held to SQS's own limit; each entry to the queue's MaximumMessageSize.
        let total = input.entries.reduce(0) { $0 + $1.messageBody.utf8.count }
        let max = Int64(1_048_576)
        guard Int64(total) <= max else {
            throw AWSError(code: "BatchRequestTooLong", queryCode: "AWS.SimpleQueueService.BatchRequestTooLong", status: 400,
                           message: "Batch requests cannot be longer than \(max) bytes. You have sent \(total) bytes.")
        }
        if record.isFifo {
            // In a batch, a FIFO entry without its group or deduplication id fails the whole request (as
            // InvalidParameterValue, where a single SendMessage says MissingParameter for the group).
            for e in input.entries {
                if e.messageGroupId == nil { throw Self.invalidValue("The request must contain the parameter MessageGroupId.") }
                if e.messageDeduplicationId == nil, record.attributes["ContentBasedDeduplication"] != "true" {
                    throw Self.invalidValue("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
                }
            }
        }
        var ok: [(String, Prepared, String?)] = []
        var failed: [SQS.BatchResultErrorEntry] = []
        for e in input.entries {
            do {
                let p = try prepare(body: e.messageBody, delaySeconds: e.delaySeconds, attributes: e.messageAttributes,
                                    system: e.messageSystemAttributes, groupId: e.messageGroupId, dedupId: e.messageDeduplicationId,
                                    record: record, inBatch: true, c)
                ok.append((e.id, p, e.messageSystemAttributes?["AWSTraceHeader"]?.stringValue))
            } catch {
                failed.append(Self.failure(e.id, error))
            }
        }
        let stored = ok.isEmpty ? [] : try await store(ok.map(\.1), queue: row, record: record)
        return SQS.SendMessageBatchResult(successful: zip(ok, stored).map { entry, s in
            let (id, p, trace) = entry
            return SQS.SendMessageBatchResultEntry(id: id, messageId: s.messageId, md5OfMessageBody: p.md5Body,
                                                   md5OfMessageAttributes: p.md5Attributes, md5OfMessageSystemAttributes: Self.md5System(trace),
                                                   sequenceNumber: s.sequence)
        }, failed: failed)
    }

    // MARK: receipts

    static func receiptHandle(queueId: String, seq: Int64, token: String) -> String {
        Data("v1|\(queueId)|\(seq)|\(token)".utf8).base64EncodedString()
    }

    static func parseReceipt(_ handle: String, queueId: String) throws(AWSError) -> (seq: Int64, token: String) {
        let invalid = AWSError(code: "ReceiptHandleIsInvalid", queryCode: "ReceiptHandleIsInvalid", status: 400,
                               message: "The input receipt handle \"\(handle)\" is not a valid receipt handle.")
        guard let raw = Data(base64Encoded: handle), let text = String(data: raw, encoding: .utf8) else { throw invalid }
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "v1", let seq = Int64(parts[2]) else { throw invalid }
        guard parts[1] == queueId else { throw invalid }
        return (seq, String(parts[3]))
    }

    // MARK: receive

    func receiveMessage(_ input: SQS.ReceiveMessageRequest, context c: RequestContext) async throws -> SQS.ReceiveMessageResult {
        let (row, record) = try await resolve(input.queueUrl, c)
        let max = input.maxNumberOfMessages ?? 1
        guard (1...10).contains(max) else {
            throw Self.invalidValue("Value \(max) for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
        }
        let wait = input.waitTimeSeconds ?? Int(record.int("ReceiveMessageWaitTimeSeconds"))
        guard (0...20).contains(wait) else {
            throw Self.invalidValue("Value \(wait) for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.")
        }
        let visibility = Int64(input.visibilityTimeout ?? Int(record.int("VisibilityTimeout")))
        guard (0...43_200).contains(visibility) else {
            throw Self.invalidValue("Value \(visibility) for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.")
        }
        var dlq: (id: String, expires: Int64, max: Int64)?
        if let r = record.redrive, let arn = ARN(r.arn),
           let target = try await repository.queue(account: arn.account, region: arn.region, name: arn.resource) {
            let targetRecord = try QueueRecord.decode(target.doc)
            dlq = (target.queueId, targetRecord.int("MessageRetentionPeriod") * 1000, r.maxReceiveCount)
        }
        let deadline = ContinuousClock.now + .seconds(wait)
        let fifo = record.isFifo
        var attemptKey: String?
        if let attempt = input.receiveRequestAttemptId, fifo {
            guard (1...128).contains(attempt.utf8.count), attempt.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw Self.invalidValue("Value \(attempt) for parameter ReceiveRequestAttemptId is invalid. Reason: Must be 1 to 128 alphanumeric or punctuation characters.")
            }
            attemptKey = row.queueId + "|" + attempt
        }
        while true {
            let nowMs = nowMillis
            let token = signals.token(row.queueId)
            // FIFO receives of one queue go one at a time (through every node: the lock is the database's), so no two
            // receivers take messages of one group. It is held for one look, never across the long poll's wait.
            let look = { () async throws -> (again: [SQS.Message]?, received: [ReceivedMessage]) in
                if let attemptKey, let again = try await retriedAttempt(attemptKey, queueId: row.queueId, nowMs: nowMs, visibility: visibility,
                                                                     row: row, input: input, partition: c.partition.rawValue) {
                    // A retry of a receive attempt: the same messages and receipt handles, their visibility timeout restarted.
                    return (again, [])
                }
                let received = try await repository.receive(
                    queueId: row.queueId, limit: max, nowMillis: nowMs, visibilityMillis: visibility * 1000,
                    receipts: (0..<max).map { _ in UUID().uuidString.lowercased() }, maxReceiveCount: dlq?.max,
                    deadLetterQueueId: dlq?.id, deadLetterExpiresAtMillis: nowMs + (dlq?.expires ?? 0), fifo: fifo)
                return (nil, received)
            }
            let looked = try await fifo ? locks.withLock(Self.receiveLockName(row.queueId), look) : look()
            if let again = looked.again { return SQS.ReceiveMessageResult(messages: again) }
            let received = looked.received
            let opened: [ReceivedMessage]
            do {
                opened = try await decrypt(received, queue: row)
            } catch {
                // Not handed out after all: the claimed messages become visible again at once.
                for m in received {
                    _ = try? await repository.changeVisibility(queueId: row.queueId, seq: m.seq, receipt: m.receipt,
                                                               visibleAtMillis: nowMs, nowMillis: nowMs - 1)
                }
                throw error
            }
            if dlq != nil { signals.signal(dlq?.id ?? "") }
            if !opened.isEmpty {
                let messages = opened.map { message($0, row: row, input: input, partition: c.partition.rawValue) }
                if let attemptKey {
                    try await repository.saveAttempt(attemptKey, queueId: row.queueId, atMillis: nowMs,
                                                     claims: opened.map { ($0.seq, $0.receipt) })
                }
                return SQS.ReceiveMessageResult(messages: messages)
            }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return SQS.ReceiveMessageResult(messages: nil) }
            // Woken by a send to this queue; otherwise look again within a second (delays and visibility timeouts end
            // without a send).
            await signals.wait(row.queueId, timeout: min(remaining, .seconds(1)), since: token)
        }
    }

    /// The messages of an earlier receive with the same ReceiveRequestAttemptId (FIFO queues, within 5 minutes), if
    /// every one of them is still in flight under the receipt that receive gave; their visibility timeout restarts.
    func retriedAttempt(_ key: String, queueId: String, nowMs: Int64, visibility: Int64, row: QueueRow,
                        input: SQS.ReceiveMessageRequest, partition: String) async throws -> [SQS.Message]? {
        guard let entry = try await repository.attempt(key), entry.atMillis > nowMs - 300_000 else { return nil }
        for (seq, receipt) in entry.claims {
            let outcome = try await repository.changeVisibility(queueId: queueId, seq: seq, receipt: receipt,
                                                                visibleAtMillis: nowMs + visibility * 1000, nowMillis: nowMs)
            guard outcome == .done else {
                try await repository.deleteAttempt(key)
                return nil
            }
        }
        let again = try await repository.inFlight(queueId: queueId, claims: entry.claims)
        guard again.count == entry.claims.count else {
            try await repository.deleteAttempt(key)
            return nil
        }
        return again.map { message($0, row: row, input: input, partition: partition) }
    }

    func message(_ m: ReceivedMessage, row: QueueRow, input: SQS.ReceiveMessageRequest, partition: String) -> SQS.Message {
        let doc = (try? JSONDecoder().decode(MessageDoc.self, from: Data(m.doc.utf8)))
            ?? MessageDoc(attributes: [], md5Body: "", senderId: "", traceHeader: nil)
        let body = String(decoding: m.body, as: UTF8.self)
        var system: [String: String] = [
            "SenderId": doc.senderId, "SentTimestamp": String(m.sentAtMillis), "ApproximateReceiveCount": String(m.receiveCount),
            "ApproximateFirstReceiveTimestamp": String(m.firstReceiveMillis),
        ]
        if let t = doc.traceHeader { system["AWSTraceHeader"] = t }
        if let source = m.deadLetterSource {
            // `account/region/name` of the queue the message was moved from.
            let p = source.split(separator: "/", maxSplits: 2).map(String.init)
            if p.count == 3 { system["DeadLetterQueueSourceArn"] = "arn:\(partition):sqs:\(p[1]):\(p[0]):\(p[2])" }
        }
        if let g = doc.groupId {
            system["MessageGroupId"] = g
            if let d = doc.dedupId {  // FIFO only
                system["MessageDeduplicationId"] = d
                system["SequenceNumber"] = Self.sequenceNumber(m.seq)
            }
        }
        let wanted = Set((input.attributeNames ?? []) + (input.messageSystemAttributeNames ?? []).map(\.rawValue))
        let attrs = wanted.contains("All") ? system : system.filter { wanted.contains($0.key) }
        let names = input.messageAttributeNames ?? []
        let chosen = doc.attributes.filter { a in
            names.contains { n in n == "All" || n == ".*" || n == "*" || n == a.name || (n.hasSuffix(".*") && a.name.hasPrefix(String(n.dropLast(2)))) }
        }
        return SQS.Message(
            messageId: m.messageId, receiptHandle: Self.receiptHandle(queueId: row.queueId, seq: m.seq, token: m.receipt),
            md5OfBody: MessageMD5.body(body), body: body, attributes: attrs.isEmpty ? nil : attrs,
            md5OfMessageAttributes: MessageMD5.attributes(chosen),
            messageAttributes: chosen.isEmpty ? nil : Dictionary(uniqueKeysWithValues: chosen.map { ($0.name, $0.api) }))
    }

    // MARK: delete and visibility

    func deleteMessage(_ input: SQS.DeleteMessageRequest, context c: RequestContext) async throws -> EmptyShape {
        let (row, record) = try await resolve(input.queueUrl, c)
        try await delete(row, record: record, handle: input.receiptHandle)
        return EmptyShape()
    }

    /// A stale or already used receipt succeeds without deleting anything, as in SQS; a FIFO queue's receipt expires
    /// with its visibility timeout.
    func delete(_ row: QueueRow, record: QueueRecord, handle: String) async throws {
        let r = try Self.parseReceipt(handle, queueId: row.queueId)
        let outcome = try await repository.delete(queueId: row.queueId, seq: r.seq, receipt: r.token,
                                                  expiringAt: record.isFifo ? nowMillis : nil)
        if outcome == .expired {
            throw Self.invalidValue("Value \(handle) for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.")
        }
    }

    func deleteMessageBatch(_ input: SQS.DeleteMessageBatchRequest, context c: RequestContext) async throws -> SQS.DeleteMessageBatchResult {
        try Self.checkBatch(input.entries.map(\.id))
        let (row, record) = try await resolve(input.queueUrl, c)
        var ok: [SQS.DeleteMessageBatchResultEntry] = []
        var failed: [SQS.BatchResultErrorEntry] = []
        for e in input.entries {
            do {
                try await delete(row, record: record, handle: e.receiptHandle)
                ok.append(SQS.DeleteMessageBatchResultEntry(id: e.id))
            } catch let error as AWSError {
                failed.append(Self.failure(e.id, error))
            }
        }
        return SQS.DeleteMessageBatchResult(successful: ok, failed: failed)
    }

    func changeVisibility(_ queue: QueueRow, record: QueueRecord, handle: String, timeout: Int) async throws {
        guard (0...43_200).contains(timeout) else {
            throw Self.invalidValue("Value \(timeout) for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200.")
        }
        let r = try Self.parseReceipt(handle, queueId: queue.queueId)
        let nowMs = nowMillis
        switch try await repository.changeVisibility(queueId: queue.queueId, seq: r.seq, receipt: r.token,
                                                     visibleAtMillis: nowMs + Int64(timeout) * 1000, nowMillis: nowMs,
                                                     afterExpiry: !record.isFifo) {
        case .done:
            if timeout == 0 { signals.signal(queue.queueId) }
        case .notInFlight:
            // Received again since this receipt was issued.
            throw AWSError(code: "MessageNotInflight", queryCode: "AWS.SimpleQueueService.MessageNotInflight", status: 400,
                           message: "Message does not exist or is not available for visibility timeout change.")
        case .missing:
            throw Self.invalidValue("Value \(handle) for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.")
        }
    }

    func changeMessageVisibility(_ input: SQS.ChangeMessageVisibilityRequest, context c: RequestContext) async throws -> EmptyShape {
        let (row, record) = try await resolve(input.queueUrl, c)
        try await changeVisibility(row, record: record, handle: input.receiptHandle, timeout: input.visibilityTimeout)
        return EmptyShape()
    }

    func changeMessageVisibilityBatch(_ input: SQS.ChangeMessageVisibilityBatchRequest,
                                      context c: RequestContext) async throws -> SQS.ChangeMessageVisibilityBatchResult {
        try Self.checkBatch(input.entries.map(\.id))
        let (row, record) = try await resolve(input.queueUrl, c)
        var ok: [SQS.ChangeMessageVisibilityBatchResultEntry] = []
        var failed: [SQS.BatchResultErrorEntry] = []
        for e in input.entries {
            do {
                try await changeVisibility(row, record: record, handle: e.receiptHandle, timeout: e.visibilityTimeout ?? 0)
                ok.append(SQS.ChangeMessageVisibilityBatchResultEntry(id: e.id))
            } catch let error as AWSError {
                failed.append(Self.failure(e.id, error))
            }
        }
        return SQS.ChangeMessageVisibilityBatchResult(successful: ok, failed: failed)
    }
}

extension SQSService {
    /// A delivery from another service (SNS): enqueues `body` into the queue named by `queueArn`, sent by `senderId`.
    /// Throws SQS's error (a missing queue, a body over the queue's limit), which the caller retries or records.
    public func deliver(queueArn: String, body: String, attributes: [String: SQS.MessageAttributeValue]?, senderId: String,
                        groupId: String? = nil, dedupId: String? = nil) async throws {
        guard let arn = ARN(queueArn), arn.service == "sqs",
              let row = try await repository.queue(account: arn.account, region: arn.region, name: arn.resource) else {
            throw Self.noQueue()
        }
        let record = try QueueRecord.decode(row.doc)
        let context = RequestContext(requestId: "", account: arn.account, region: arn.region,
                                     principal: Principal(kind: .anonymous, account: arn.account, arn: "", userId: senderId, accessKeyId: nil),
                                     sourceIP: "", userAgent: "sns.amazonaws.com", receivedAt: now())
        let fifo = record.isFifo
        let p = try prepare(body: body, delaySeconds: nil, attributes: attributes, system: nil,
                            groupId: fifo ? groupId ?? "default" : groupId, dedupId: fifo ? dedupId : nil, record: record, context)
        _ = try await store([p], queue: row, record: record)
    }

    /// The queue's access policy, for a service deciding whether it may send to the queue as its service principal.
    public func queuePolicy(queueArn: String) async throws -> String? {
        guard let arn = ARN(queueArn), arn.service == "sqs",
              let row = try await repository.queue(account: arn.account, region: arn.region, name: arn.resource) else {
            throw Self.noQueue()
        }
        let policy = try QueueRecord.decode(row.doc).attributes["Policy"]
        return policy?.isEmpty == false ? policy : nil
    }
}

// MARK: SSE-KMS

extension SQSService {
    static func kmsError(_ error: any Error) -> any Error {
        guard let e = error as? AWSError, e.status < 500 else { return error }
        return AWSError(code: "KMS.\(e.code)", queryCode: "KMS.\(e.code)", status: 400, message: e.message)
    }

    static func kmsContext(_ row: QueueRow) -> [String: String] {
        ["aws:sqs:arn": "arn:\(Partition(region: row.region).rawValue):sqs:\(row.region):\(row.account):\(row.name)"]
    }

    /// Encrypts the body under the queue's current data key (made through KMS, reused for the reuse period).
    func encrypt(_ m: inout NewMessage, keyId: String, record: QueueRecord, queue row: QueueRow) async throws {
        guard let keys else { throw Self.unsupported("SSE-KMS needs KMS.") }
        let entry: DataKeyCache.Entry
        do {
            entry = try await dataKeys.current(
                "\(row.queueId)|\(keyId)", keyId: keyId, encryptionContext: Self.kmsContext(row), keys: keys,
                context: DataKeyCache.serviceContext(account: row.account, region: row.region, service: "sqs.amazonaws.com", now: now()),
                reuse: Double(record.attributes["KmsDataKeyReusePeriodSeconds"].flatMap(Int.init) ?? 300), now: now())
        } catch {
            throw Self.kmsError(error)
        }
        guard let sealed = try AES.GCM.seal(m.body, using: SymmetricKey(data: entry.plaintext), authenticating: Array(m.messageId.utf8)).combined,
              var doc = try? JSONDecoder().decode(MessageDoc.self, from: Data(m.doc.utf8)) else { throw AWSError.internalFailure() }
        doc.kmsDataKey = Data(entry.blob).base64EncodedString()
        doc.kmsQueueArn = Self.kmsContext(row)["aws:sqs:arn"]
        m.body = Array(sealed)
        m.doc = doc.encoded()
    }

    /// Opens SSE-KMS bodies of received messages (data keys decrypted through KMS, cached by blob).
    func decrypt(_ messages: [ReceivedMessage], queue row: QueueRow) async throws -> [ReceivedMessage] {
        var out = messages
        for i in out.indices {
            guard let doc = try? JSONDecoder().decode(MessageDoc.self, from: Data(out[i].doc.utf8)), let blobText = doc.kmsDataKey,
                  let blob = Data(base64Encoded: blobText) else { continue }
            guard let keys else { throw Self.unsupported("SSE-KMS needs KMS.") }
            let plaintext: [UInt8]
            do {
                plaintext = try await dataKeys.plaintext(
                    blob: Array(blob), encryptionContext: doc.kmsQueueArn.map { ["aws:sqs:arn": $0] } ?? Self.kmsContext(row), keys: keys,
                    context: DataKeyCache.serviceContext(account: row.account, region: row.region, service: "sqs.amazonaws.com", now: now()),
                    now: now())
            } catch {
                throw Self.kmsError(error)
            }
            guard let opened = try? AES.GCM.open(AES.GCM.SealedBox(combined: out[i].body), using: SymmetricKey(data: plaintext),
                                                 authenticating: Array((doc.kmsAad ?? out[i].messageId).utf8)) else {
                throw AWSError.internalFailure("A message body could not be decrypted.")
            }
            out[i].body = Array(opened)
        }
        return out
    }
}
