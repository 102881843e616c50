// Publishing: validate, choose subscriptions by filter policy, render each copy (signed envelope or raw), store them
// in the outbox with the publish (durable before the answer), then deliver and retry in the background.
import Crypto
import Foundation
import Synchronization
import WardenAPI
import WardenCore
import WardenStorage

/// What an outbox row carries besides the body.
struct DeliveryDoc: Codable, Sendable {
    var endpoint: String
    var messageId: String
    /// Raw delivery: the published attributes become SQS message attributes.
    var attributes: [StoredAttribute]?
    /// HTTP(S) deliveries: protocol, message type for the `x-amz-sns-*` headers, the topic, raw or not, retry policy.
    var `protocol`: String?
    var messageType: String?
    var topicArn: String?
    var raw: Bool?
    var retry: RetryPolicy?
    /// The subscription's dead-letter queue (RedrivePolicy), for copies that cannot be delivered.
    var deadLetter: String?
    /// Email: the subject line.
    var subject: String?
    /// FIFO topics: the message group and deduplication id, passed on to FIFO queues.
    var groupId: String?
    var dedupId: String?
    /// SSE-KMS topics: the data key (KMS blob, base64) the body is encrypted under.
    var kmsDataKey: String?
}

/// An HTTP(S) delivery's retry policy (DeliveryPolicy's healthyRetryPolicy): phases without delay, at the minimum
/// delay, backing off linearly from minimum to maximum, and at the maximum.
struct RetryPolicy: Codable, Sendable, Equatable {
    var numRetries = 3
    var minDelay = 20
    var maxDelay = 20
    var numNoDelay = 0
    var numMinDelay = 0
    var numMaxDelay = 0

    init() {}

    /// From a subscription's `{"healthyRetryPolicy": …}` or a topic's `{"http": {"defaultHealthyRetryPolicy": …}}`.
    init?(json text: String?) {
        guard let text, let doc = try? JSONParser.parse(Array(text.utf8)) else { return nil }
        guard let p = doc["healthyRetryPolicy"] ?? doc["http"]?["defaultHealthyRetryPolicy"] else { return nil }
        func int(_ k: String) -> Int? {
            if case .number(let s)? = p[k] { return Int(Double(s) ?? -1) }
            return nil
        }
        numRetries = int("numRetries") ?? 3
        minDelay = int("minDelayTarget") ?? 20
        maxDelay = int("maxDelayTarget") ?? minDelay
        numNoDelay = int("numNoDelayRetries") ?? 0
        numMinDelay = int("numMinDelayRetries") ?? 0
        numMaxDelay = int("numMaxDelayRetries") ?? 0
    }

    /// Seconds before retry `n` (1-based).
    func delay(_ n: Int) -> Int {
        if n <= numNoDelay { return 0 }
        if n <= numNoDelay + numMinDelay { return minDelay }
        let backoff = max(0, numRetries - numNoDelay - numMinDelay - numMaxDelay)
        let k = n - numNoDelay - numMinDelay
        if k <= backoff { return backoff <= 1 ? minDelay : minDelay + (maxDelay - minDelay) * (k - 1) / (backoff - 1) }
        return maxDelay
    }
}

extension SNSService {
    static let maxMessageBytes = 262_144
    /// The SenderId SQS shows for messages SNS delivers.
    static let senderId = "AIDAIT2UOQQY3AUEKVGXU"

    struct Attribute {
        var name: String
        var dataType: String
        var string: String?
        var binary: [UInt8]?
    }

    static func attributes(_ input: [String: SNS.MessageAttributeValue]?) throws(AWSError) -> ([Attribute], Int) {
        var out: [Attribute] = []
        var size = 0
        for (name, v) in input ?? [:] {
            // AWS.SNS.MOBILE.* are the reserved attributes of mobile push (TTL, APNs push type, priority …).
            guard (1...256).contains(name.utf8.count), !name.lowercased().hasPrefix("aws.") || name.hasPrefix("AWS.SNS.MOBILE."),
                  !name.lowercased().hasPrefix("amazon."),
                  !name.hasPrefix("."), !name.hasSuffix("."), !name.contains("..") else {
                throw invalid("The message attribute name '\(name)' is invalid.")
            }
            let base = String(v.dataType.split(separator: ".", maxSplits: 1).first ?? "")
            let type = v.dataType.hasPrefix("String.Array") ? "String.Array" : base
            guard ["String", "String.Array", "Number", "Binary"].contains(type) else {
                throw SNSService.invalidValue("The message attribute '\(name)' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.")
            }
            if type == "Binary" {
                guard let b = v.binaryValue, !b.isEmpty else { throw invalidValue("The message attribute '\(name)' must contain non-empty message attribute value for message attribute type 'Binary'.") }
                out.append(Attribute(name: name, dataType: v.dataType, binary: b))
                size += b.count
            } else {
                guard let s = v.stringValue, !s.isEmpty else {
                    throw invalidValue("The message attribute '\(name)' must contain non-empty message attribute value for message attribute type '\(type)'.")
                }
                if type == "Number", Double(s) == nil {
                    throw invalidValue("Could not cast message attribute '\(name)' value to number.")
                }
                if type == "String.Array", case .array? = try? JSONParser.parse(Array(s.utf8)) {} else if type == "String.Array" {
                    throw invalidValue("The message attribute '\(name)' with type 'String.Array' has an invalid value (it must be a JSON array).")
                }
                out.append(Attribute(name: name, dataType: v.dataType, string: s))
                size += s.utf8.count
            }
            size += name.utf8.count + v.dataType.utf8.count
        }
        return (out, size)
    }

    static func invalidValue(_ m: String) -> AWSError {
        AWSError(code: "InvalidParameterValueException", queryCode: "ParameterValueInvalid", status: 400, message: m)
    }

    /// The attribute values a filter policy sees (Binary attributes are invisible to filters).
    static func filterValues(_ attrs: [Attribute]) -> [String: [FilterPolicy.Value]] {
        var out: [String: [FilterPolicy.Value]] = [:]
        for a in attrs {
            guard let s = a.string else { continue }
            if a.dataType.hasPrefix("String.Array"), case .array(let items)? = try? JSONParser.parse(Array(s.utf8)) {
                out[a.name] = items.compactMap(FilterPolicy.value)
            } else if a.dataType.hasPrefix("Number"), let d = Double(s) {
                out[a.name] = [.number(d, s)]
            } else {
                out[a.name] = [.string(s)]
            }
        }
        return out
    }

    static func timestamp(_ d: Date) -> String { Timestamps.iso8601(d, fractional: true) }

    struct Published {
        var messageId: String
        var timestamp: String
        var items: [DeliveryItem]
    }

    /// Renders every subscription's copy of one message (not yet stored).
    /// FIFO publish facts: group, deduplication id and the sequence number this publish gets.
    struct FIFOFacts {
        var group: String
        var dedup: String
        var sequence: Int64
    }

    /// MessageStructure=json: the message per protocol (string members only; SNS answers a `default` that is not a
    /// string as a missing one). Empty when there is no structure.
    static func perProtocol(_ message: String, _ structure: String?) throws(AWSError) -> [String: String] {
        guard let structure else { return [:] }
        guard structure == "json" else { throw invalid("MessageStructure - only json is supported") }
        guard case .object(let fields)? = try? JSONParser.parse(Array(message.utf8)) else {
            throw invalid("Message Structure - JSON message body failed to parse")
        }
        var out: [String: String] = [:]
        for (k, v) in fields { if let s = v.stringValue { out[k] = s } }
        guard out["default"] != nil else { throw invalid("Message Structure - No default entry in JSON message body") }
        return out
    }

    /// A MessageGroupId: 1 to 128 characters, letters, digits and ASCII punctuation (the same rule on standard and
    /// FIFO topics). AWS's text for a malformed one is unknown: Warden answers SNS's bare "Invalid parameter: <name>".
    static func checkGroupId(_ g: String) throws(AWSError) {
        guard (1...128).contains(g.utf8.count), g.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw invalid("MessageGroupId")
        }
    }

    /// The group and deduplication checks of one publish (single or batch entry); a batch checks every entry before
    /// publishing any, so one bad entry fails the whole request, as recorded from SNS.
    static func checkOrdering(fifo: Bool, contentDedup: Bool, groupId: String?, dedupId: String?) throws(AWSError) {
        guard fifo else {
            // Standard topics take a MessageGroupId since 2025 (SQS fair queues), but still no deduplication id.
            if dedupId != nil {
                throw invalid("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
            }
            if let groupId { try checkGroupId(groupId) }
            return
        }
        guard let groupId, !groupId.isEmpty else { throw invalid("The MessageGroupId parameter is required for FIFO topics") }
        try checkGroupId(groupId)
        if dedupId == nil && !contentDedup {
            throw invalid("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
        }
    }

    /// Renders every matching subscription's copy. `replay`: a replay of an archived message to one subscription (the
    /// original MessageId and Timestamp, marked Replayed). `groupId`: a standard topic's MessageGroupId, passed on to
    /// SQS subscriptions (fair queues) and nowhere else.
    func render(topicArn: String, record: TopicRecord, message: String, subject: String?, structure: String?,
                attributes input: [String: SNS.MessageAttributeValue]?, fifo: FIFOFacts? = nil, replay: ReplayFacts? = nil,
                groupId: String? = nil, _ c: RequestContext) async throws -> Published {
        guard !message.isEmpty else { throw Self.invalid("Empty message") }
        let (attrs, attrSize) = try Self.attributes(input)
        guard message.utf8.count + attrSize <= Self.maxMessageBytes else {
            throw Self.invalid("Message too long")
        }
        if let subject {
            guard !subject.isEmpty, subject.count < 100, subject.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                throw Self.invalid("Subject")
            }
        }
        let messageId = replay?.messageId ?? UUID().uuidString.lowercased()
        // Message data protection (SNSService+DataProtection.swift): Inbound statements deny, de-identify or audit the
        // message; Outbound Deny statements leave out the subscriptions whose principal they name.
        let protection = try await protect(topicArn: topicArn, record: record, message: message, messageId: messageId, replay: replay != nil, c)
        let message = protection.message
        let perProtocol = try Self.perProtocol(message, structure)
        let stamp = replay?.timestamp ?? Self.timestamp(now())
        let version = record.attributes["SignatureVersion"] ?? "1"
        let scheme = c.tls == nil ? "http" : "https"
        let host = c.host ?? "localhost:4566"
        var items: [DeliveryItem] = []
        for sub in protection.subscriptions(try await repository.subscriptions(topicArn: topicArn)) {
            if let replay, sub.arn != replay.subscriptionArn { continue }
            guard let s = try? SubscriptionRecord.decode(sub.doc), s.confirmed else { continue }
            let text = perProtocol[s.protocol] ?? perProtocol["default"] ?? message
            if let policyText = s.attributes["FilterPolicy"], let policy = try? FilterPolicy(policyText) {
                if s.attributes["FilterPolicyScope"] == "MessageBody" {
                    guard let body = try? JSONParser.parse(Array(text.utf8)), policy.matches(body: body) else { continue }
                } else {
                    guard policy.matches(attributes: Self.filterValues(attrs)) else { continue }
                }
            }
            if s.protocol == "application" {
                items.append(try pushItem(subscription: sub.arn, endpoint: s.endpoint, perProtocol: perProtocol, message: message,
                                      attributes: attrs, messageId: messageId, topicArn: topicArn))
                continue
            }
            if s.protocol == "sms" {
                let arnParts = topicArn.split(separator: ":")
                items.append(try await smsItem(phone: s.endpoint, message: text, subscriptionArn: sub.arn,
                                               account: String(arnParts[4]), region: String(arnParts[3])))
                continue
            }
            let raw = s.attributes["RawMessageDelivery"] == "true"
            let body: String
            var doc = DeliveryDoc(endpoint: s.endpoint, messageId: messageId, attributes: nil)
            doc.groupId = fifo?.group ?? (s.protocol == "sqs" ? groupId : nil)
            doc.dedupId = replay?.dedupId ?? fifo?.dedup
            if let policy = s.attributes["RedrivePolicy"], let target = (try? JSONParser.parse(Array(policy.utf8)))?["deadLetterTargetArn"]?.stringValue {
                doc.deadLetter = target
            }
            if s.protocol != "sqs" {
                doc.protocol = s.protocol
                doc.messageType = "Notification"
                doc.topicArn = topicArn
                doc.raw = raw
                doc.retry = RetryPolicy(json: s.attributes["DeliveryPolicy"]) ?? RetryPolicy(json: record.attributes["DeliveryPolicy"]) ?? RetryPolicy()
            }
            if s.protocol == "email" {
                let scheme = c.tls == nil ? "http" : "https"
                let host = c.host ?? "localhost:4566"
                body = text + "\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n\(scheme)://\(host)/?Action=Unsubscribe&SubscriptionArn=\(sub.arn)\n"
                doc.subject = subject ?? "AWS Notification Message"
            } else if raw && s.protocol != "sqs" {
                body = text
            } else if raw {
                body = text
                doc.attributes = attrs.map { a in
                    StoredAttribute(name: a.name, dataType: a.dataType.hasPrefix("String.Array") ? "String" : a.dataType,
                                    string: a.string, binary: a.binary.map { Data($0).base64EncodedString() })
                }
            } else {
                var w = JSONObjectWriter()
                w.field("Type", "Notification")
                w.field("MessageId", messageId)
                // A FIFO topic's notification carries its SequenceNumber after MessageId and is not signed: no
                // SignatureVersion, Signature or SigningCertURL (recorded from SNS, 2023 and 2025).
                if let fifo { w.field("SequenceNumber", SQSService.sequenceNumber(fifo.sequence)) }
                w.field("TopicArn", topicArn)
                if let subject { w.field("Subject", subject) }
                w.field("Message", text)
                w.field("Timestamp", stamp)
                if replay != nil { w.field("Replayed", true) }
                if fifo == nil {
                    var signed: [(String, String)] = [("Message", text), ("MessageId", messageId)]
                    if let subject { signed.append(("Subject", subject)) }
                    signed += [("Timestamp", stamp), ("TopicArn", topicArn), ("Type", "Notification")]
                    let signer = try await self.signer.get()
                    let signature = try signer.sign(signed, version: version)
                    w.field("SignatureVersion", version)
                    w.field("Signature", signature)
                    w.field("SigningCertURL", "\(scheme)://\(host)/\(signer.certificateName)")
                }
                w.field("UnsubscribeURL", "\(scheme)://\(host)/?Action=Unsubscribe&SubscriptionArn=\(sub.arn)")
                if !attrs.isEmpty {
                    w.object("MessageAttributes") { o in
                        for a in attrs.sorted(by: { $0.name < $1.name }) {
                            o.object(a.name) { v in
                                v.field("Type", a.dataType)
                                v.field("Value", a.string ?? a.binary.map { Data($0).base64EncodedString() } ?? "")
                            }
                        }
                    }
                }
                body = String(decoding: w.finish(), as: UTF8.self)
                if s.protocol == "email-json" { doc.subject = "AWS Notification Message" }
            }
            let docText = (try? JSONEncoder().encode(doc)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            items.append(DeliveryItem(subscriptionArn: sub.arn, body: Array(body.utf8), doc: docText,
                                      lane: fifo.map { "\(sub.arn)|\($0.group)" }))
        }
        return Published(messageId: messageId, timestamp: stamp, items: items)
    }

    /// The SubscriptionConfirmation an HTTP(S) endpoint receives (signed like a notification, with Token and SubscribeURL).
    func confirmation(topicArn: String, topic: TopicRecord, subscriptionArn: String, record: SubscriptionRecord, token: String,
                      _ c: RequestContext) async throws -> DeliveryItem {
        let messageId = UUID().uuidString.lowercased()
        let stamp = Self.timestamp(now())
        let version = topic.attributes["SignatureVersion"] ?? "1"
        let scheme = c.tls == nil ? "http" : "https"
        let host = c.host ?? "localhost:4566"
        let subscribeURL = "\(scheme)://\(host)/?Action=ConfirmSubscription&TopicArn=\(topicArn)&Token=\(token)"
        let message = "You have chosen to subscribe to the topic \(topicArn).\nTo confirm the subscription, visit the SubscribeURL included in this message."
        let signer = try await self.signer.get()
        let signature = try signer.sign([("Message", message), ("MessageId", messageId), ("SubscribeURL", subscribeURL),
                                         ("Timestamp", stamp), ("Token", token), ("TopicArn", topicArn),
                                         ("Type", "SubscriptionConfirmation")], version: version)
        var w = JSONObjectWriter()
        w.field("Type", "SubscriptionConfirmation")
        w.field("MessageId", messageId)
        w.field("Token", token)
        w.field("TopicArn", topicArn)
        w.field("Message", message)
        w.field("SubscribeURL", subscribeURL)
        w.field("Timestamp", stamp)
        w.field("SignatureVersion", version)
        w.field("Signature", signature)
        w.field("SigningCertURL", "\(scheme)://\(host)/\(signer.certificateName)")
        var doc = DeliveryDoc(endpoint: record.endpoint, messageId: messageId, attributes: nil)
        doc.protocol = record.protocol
        doc.messageType = "SubscriptionConfirmation"
        doc.topicArn = topicArn
        doc.retry = RetryPolicy(json: topic.attributes["DeliveryPolicy"]) ?? RetryPolicy()
        var body = w.finish()
        if record.protocol.hasPrefix("email") {
            doc.subject = "AWS Notification - Subscription Confirmation"
            if record.protocol == "email" {
                body = Array("""
                    You have chosen to subscribe to the topic:
                    \(topicArn)

                    To confirm this subscription, click or visit the link below (If this was in error no action is necessary):
                    \(subscribeURL)

                    """.utf8)
            }
        }
        let docText = (try? JSONEncoder().encode(doc)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return DeliveryItem(subscriptionArn: subscriptionArn, body: body, doc: docText)
    }

    func publish(_ input: SNS.PublishInput, context c: RequestContext) async throws -> SNS.PublishResponse {
        if let phone = input.phoneNumber {
            guard input.topicArn == nil && input.targetArn == nil else {
                throw Self.invalid("TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be specified")
            }
            try await checkSandboxDestination(phone, c)  // SNSService+Sandbox.swift
            return try await publishSMS(phone, input, c)
        }
        if input.topicArn != nil && input.targetArn != nil {
            throw Self.invalid("TopicArn or TargetArn Reason: Only one of TopicArn or TargetArn may be specified")
        }
        guard let topicArn = input.topicArn ?? input.targetArn else {
            throw Self.invalid("TopicArn or TargetArn Reason: no value for required parameter")
        }
        if input.topicArn == nil, let target = ARN(topicArn), target.resource.hasPrefix("endpoint/") {
            return try await publishToEndpoint(topicArn, input, c)
        }
        let (_, record) = try await topic(topicArn, c)
        let r = try await publishOne(topicArn: topicArn, record: record, message: input.message, subject: input.subject,
                                     structure: input.messageStructure, attributes: input.messageAttributes,
                                     groupId: input.messageGroupId, dedupId: input.messageDeduplicationId, c)
        return SNS.PublishResponse(messageId: r.messageId, sequenceNumber: r.sequence)
    }

    /// Increasing sequence numbers for FIFO publishes: milliseconds since 1970 × 10^6 plus a counter.
    static let sequenceCounter = Mutex<(Int64, Int64)>((0, 0))
    func nextSequence() -> Int64 {
        let ms = nowMillis
        return Self.sequenceCounter.withLock { state in
            if ms > state.0 { state = (ms, 0) } else { state.1 += 1 }
            return state.0 * 1_000_000 + state.1
        }
    }

    /// Validates, renders and stores one publish; FIFO topics go through deduplication.
    func publishOne(topicArn: String, record: TopicRecord, message: String, subject: String?, structure: String?,
                    attributes: [String: SNS.MessageAttributeValue]?, groupId: String?, dedupId: String?,
                    _ c: RequestContext) async throws -> (messageId: String, sequence: String?) {
        try Self.checkOrdering(fifo: topicArn.hasSuffix(".fifo"), contentDedup: record.attributes["ContentBasedDeduplication"] == "true",
                               groupId: groupId, dedupId: dedupId)
        guard topicArn.hasSuffix(".fifo") else {
            var p = try await render(topicArn: topicArn, record: record, message: message, subject: subject, structure: structure,
                                     attributes: attributes, groupId: groupId, c)
            if let keyId = record.attributes["KmsMasterKeyId"] {
                try await encrypt(&p.items, topicArn: topicArn, keyId: keyId, account: c.account, region: c.region)
            }
            try await repository.enqueue(p.items, dueAtMillis: nowMillis)
            if !p.items.isEmpty { wakeups.signal(Self.wakeKey) }
            return (p.messageId, nil)
        }
        // checkOrdering made sure of the group, and of a deduplication id or content-based deduplication.
        let group = groupId ?? ""
        let dedup = dedupId ?? Hex.encode(SHA256.hash(data: Array(message.utf8)))
        let key = record.attributes["FifoThroughputScope"] == "MessageGroup" ? "\(group)\u{1}\(dedup)" : dedup
        let sequence = nextSequence()
        var p = try await render(topicArn: topicArn, record: record, message: message, subject: subject, structure: structure,
                                 attributes: attributes, fifo: FIFOFacts(group: group, dedup: dedup, sequence: sequence), c)
        let keyId = record.attributes["KmsMasterKeyId"]
        if let keyId { try await encrypt(&p.items, topicArn: topicArn, keyId: keyId, account: c.account, region: c.region) }
        let (attrs, _) = try Self.attributes(attributes)
        var archive = try await archiveEntry(topicArn: topicArn, record: record, message: ArchivedMessage(
            messageId: p.messageId, timestamp: p.timestamp, message: message, subject: subject, structure: structure,
            attributes: attrs.isEmpty ? nil : attrs.map { StoredAttribute(name: $0.name, dataType: $0.dataType, string: $0.string,
                                                                          binary: $0.binary.map { Data($0).base64EncodedString() }) },
            group: group, dedup: dedup, sequence: sequence))
        if let plain = archive {
            archive = try await sealArchived(plain, topicArn: topicArn, seq: sequence, keyId: keyId, account: c.account, region: c.region)
        }
        let stored = try await repository.enqueueFIFO(topicArn: topicArn, dedupKey: key, messageId: p.messageId, sequence: sequence,
                                                      nowMillis: nowMillis, items: p.items, archive: archive)
        if stored.messageId == p.messageId && !p.items.isEmpty { wakeups.signal(Self.wakeKey) }
        return (stored.messageId, SQSService.sequenceNumber(stored.seq))
    }

    func publishBatch(_ input: SNS.PublishBatchInput, context c: RequestContext) async throws -> SNS.PublishBatchResponse {
        let entries = input.publishBatchRequestEntries
        guard !entries.isEmpty else {
            throw AWSError(code: "EmptyBatchRequestException", queryCode: "EmptyBatchRequest", status: 400,
                           message: "The batch request doesn't contain any entries.")
        }
        guard entries.count <= 10 else {
            throw AWSError(code: "TooManyEntriesInBatchRequestException", queryCode: "TooManyEntriesInBatchRequest", status: 400,
                           message: "The batch request contains more entries than permissible.")
        }
        guard Set(entries.map(\.id)).count == entries.count else {
            throw AWSError(code: "BatchEntryIdsNotDistinctException", queryCode: "BatchEntryIdsNotDistinct", status: 400,
                           message: "Two or more batch entries in the request have the same Id.")
        }
        for e in entries {
            // Up to 80 letters, digits, hyphens and underscores, as SNS documents batch entry ids. AWS's message is
            // unverified: this is the description the SNS API reference gives for InvalidBatchEntryId.
            guard (1...80).contains(e.id.utf8.count), e.id.utf8.allSatisfy({ c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
            }) else {
                throw AWSError(code: "InvalidBatchEntryIdException", queryCode: "InvalidBatchEntryId", status: 400,
                               message: "The Id of a batch entry in a batch request doesn't abide by the specification.")
            }
        }
        let total = entries.reduce(0) { $0 + $1.message.utf8.count }
        guard total <= Self.maxMessageBytes else {
            throw AWSError(code: "BatchRequestTooLongException", queryCode: "BatchRequestTooLong", status: 400,
                           message: "The length of all the messages put together is more than the limit.")
        }
        let (_, record) = try await topic(input.topicArn, c)
        // What SNS refuses for the whole request (recorded: a FIFO entry without group or deduplication, a JSON
        // structure without a default, a bad message attribute), checked for every entry before any is published.
        let fifo = input.topicArn.hasSuffix(".fifo")
        for e in entries {
            try Self.checkOrdering(fifo: fifo, contentDedup: record.attributes["ContentBasedDeduplication"] == "true",
                                   groupId: e.messageGroupId, dedupId: e.messageDeduplicationId)
            _ = try Self.perProtocol(e.message, e.messageStructure)
            _ = try Self.attributes(e.messageAttributes)
        }
        var ok: [SNS.PublishBatchResultEntry] = []
        var failed: [SNS.BatchResultErrorEntry] = []
        var items: [DeliveryItem] = []
        for e in entries {
            do {
                if input.topicArn.hasSuffix(".fifo") {
                    // FIFO entries are stored one by one, in order, through deduplication.
                    let r = try await publishOne(topicArn: input.topicArn, record: record, message: e.message, subject: e.subject,
                                                 structure: e.messageStructure, attributes: e.messageAttributes,
                                                 groupId: e.messageGroupId, dedupId: e.messageDeduplicationId, c)
                    ok.append(SNS.PublishBatchResultEntry(id: e.id, messageId: r.messageId, sequenceNumber: r.sequence))
                    continue
                }
                var p = try await render(topicArn: input.topicArn, record: record, message: e.message, subject: e.subject,
                                         structure: e.messageStructure, attributes: e.messageAttributes,
                                         groupId: e.messageGroupId, c)
                if let keyId = record.attributes["KmsMasterKeyId"] {
                    try await encrypt(&p.items, topicArn: input.topicArn, keyId: keyId, account: c.account, region: c.region)
                }
                items += p.items
                ok.append(SNS.PublishBatchResultEntry(id: e.id, messageId: p.messageId))
            } catch let error as AWSError {
                failed.append(SNS.BatchResultErrorEntry(id: e.id, code: error.queryCode ?? error.code, message: error.message,
                                                        senderFault: error.senderFault))
            }
        }
        try await repository.enqueue(items, dueAtMillis: nowMillis)
        if !items.isEmpty { wakeups.signal(Self.wakeKey) }
        return SNS.PublishBatchResponse(successful: ok, failed: failed)
    }

    // MARK: delivery

    public static let wakeKey = "sns-deliveries"

    /// Seconds before retry `n` (1-based) of an SQS delivery, after AWS's policy for AWS-managed endpoints: 3 immediate
    /// retries, 2 at 1 s, 10 backing off from 1 s to 20 s, then every 20 s — about 100,015 attempts over 23 days.
    static func retryDelay(_ n: Int64) -> Int64 {
        switch n {
        case ...3: return 0
        case 4...5: return 1
        case 6...15: return 1 + (n - 6) * 19 / 9
        default: return 20
        }
    }
    static let maxAttempts: Int64 = 100_015
}

extension SNSService: TopicPublisher {
    /// A publish on behalf of another service (EventBridge targets), in the topic's own account and region.
    public func publish(topicArn: String, message: String, subject: String?, service: String) async throws {
        guard let arn = ARN(topicArn), arn.service == "sns" else { throw Self.invalid("TopicArn") }
        var c = DataKeyCache.serviceContext(account: arn.account, region: arn.region, service: service, now: now())
        c.partition = arn.partition
        let (_, record) = try await topic(topicArn, c)
        _ = try await publishOne(topicArn: topicArn, record: record, message: message, subject: subject, structure: nil, attributes: nil,
                                 groupId: topicArn.hasSuffix(".fifo") ? "eventbridge" : nil, dedupId: topicArn.hasSuffix(".fifo") ? UUID().uuidString : nil, c)
    }

    /// The policy GetTopicAttributes shows: the one set, or SNS's default, which names only the owning account
    /// (through AWS:SourceOwner) and so lets no service principal publish.
    public func topicPolicy(topicArn: String) async throws -> String {
        guard let arn = ARN(topicArn), arn.service == "sns", !arn.resource.contains(":"),
              let row = try await repository.topic(account: arn.account, region: arn.region, name: arn.resource) else {
            throw Self.notFound("Topic does not exist")
        }
        return try TopicRecord.decode(row.doc).attributes["Policy"] ?? Self.defaultPolicy(arn: topicArn, account: row.account)
    }
}
