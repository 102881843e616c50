// Amazon SNS: topics, subscriptions (SQS endpoints so far), publishing through a durable outbox.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

/// Where SNS delivers into SQS (SQSService conforms).
public protocol QueueDelivery: Sendable {
    /// `groupId`/`dedupId`: a FIFO topic's message; used when the queue is FIFO too.
    func deliver(queueArn: String, body: String, attributes: [String: SQS.MessageAttributeValue]?, senderId: String,
                 groupId: String?, dedupId: String?) async throws
    /// The queue's `Policy` attribute (nil when unset), which decides what other services may send it; throws
    /// QueueDoesNotExist for a queue that is not there.
    func queuePolicy(queueArn: String) async throws -> String?
    /// Several messages into one queue, in order (see SQSService+Fanout.swift).
    func deliver(queueArn: String, _ deliveries: [SQSService.Delivery], senderId: String) async throws
}

extension SQSService: QueueDelivery {}

public struct SNSService: Sendable {
    let repository: TopicRepository
    let queues: any QueueDelivery
    public let signer: LazyNotificationSigner
    let now: @Sendable () -> Date
    /// Per-topic and per-subscription locks (named by the ARN), taken in the database so they hold across nodes.
    let locks: ResourceLocks
    /// Wakes the delivery worker when a publish queued deliveries.
    public let wakeups = QueueSignals()

    /// Where email subscriptions' mail goes (`--smtp-url`); without it email subscriptions are refused.
    let smtp: SMTPSettings?
    /// Where text messages go (`--sms-gateway-url`); without it SMS is refused.
    let sms: URL?
    /// HTTP(S) endpoints and the SMS gateway are reached through this client.
    let http: OutboundHTTP
    let slots = DeliverySlots(capacity: 32)
    /// KMS, for topics with KmsMasterKeyId (SSE-KMS), and the data keys in use.
    let keys: (any DataKeyProvider)?
    let dataKeys = DataKeyCache()
    /// Replays running in this process, and when each archive was last pruned.
    let archiveState = ArchiveState()

    /// Where `lambda` subscriptions deliver (asynchronous invocations); without it their copies wait.
    let functions: (any FunctionInvoker)?
    /// Decides deliveries into SQS queues by the queue's policy (sns.amazonaws.com, aws:SourceArn = the topic).
    let access: ServiceAccess
    /// Remote deliveries and replays run here (a graceful shutdown waits for them).
    let background: BackgroundTasks
    /// Mobile push: the push services' URLs, provider tokens, certificate clients and the delivery status log sink.
    public let push: PushSupport

    public init(repository: TopicRepository, queues: any QueueDelivery, signer: LazyNotificationSigner, http: OutboundHTTP,
                keys: (any DataKeyProvider)? = nil, functions: (any FunctionInvoker)? = nil, smtp: SMTPSettings? = nil,
                sms: URL? = nil, access: ServiceAccess = ServiceAccess(enforced: false), background: BackgroundTasks,
                push: PushSupport = PushSupport(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.push = push
        self.access = access
        self.background = background
        self.keys = keys
        self.functions = functions
        self.smtp = smtp
        self.sms = sms
        self.http = http
        self.repository = repository
        self.locks = ResourceLocks(repository.db)
        self.queues = queues
        self.signer = signer
        self.now = now
    }

    var nowMillis: Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded(.down)) }
}

struct TopicRecord: Codable, Sendable {
    var attributes: [String: String]
    var tags: [[String]]
    /// The message data protection policy, as put (SNSService+DataProtection.swift).
    var dataProtectionPolicy: String?
    func encoded() -> String { (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}" }
    static func decode(_ doc: String) throws -> TopicRecord { try JSONDecoder().decode(TopicRecord.self, from: Data(doc.utf8)) }
}

struct SubscriptionRecord: Codable, Sendable {
    var topicArn: String
    var `protocol`: String
    var endpoint: String
    var owner: String
    var attributes: [String: String]
    var confirmed: Bool
    /// HTTP(S): the confirmation token sent to the endpoint, and whether unsubscribing then needs a signature.
    var token: String?
    var authenticateOnUnsubscribe: Bool?
    /// The replay of the archive its ReplayPolicy asked for, and how far it got.
    var replay: ReplayProgress?
    /// Who subscribed (their ARN): SNS shows it as SubscriptionPrincipal. Absent in subscriptions made before it was kept.
    var principal: String?
    func encoded() -> String { (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}" }
    static func decode(_ doc: String) throws -> SubscriptionRecord { try JSONDecoder().decode(SubscriptionRecord.self, from: Data(doc.utf8)) }
}

extension SNSService {
    static func invalid(_ m: String) -> AWSError { SNS.Errors.invalidParameterException("Invalid parameter: \(m)") }
    static func notFound(_ m: String) -> AWSError { SNS.Errors.notFoundException(m) }

    static let topicSettable: Set<String> = ["DisplayName", "Policy", "DeliveryPolicy", "SignatureVersion", "TracingConfig"]

    static func topicArn(_ c: RequestContext, _ name: String) -> String { "arn:\(c.partition.rawValue):sns:\(c.region):\(c.account):\(name)" }

    static func isValidTopicName(_ n: String) -> Bool {
        (1...256).contains(n.utf8.count) && n.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
        }
    }

    /// SNS's first check of an ARN parameter: fewer than 6 `:`-separated parts (an empty string is one part) is refused
    /// with this reason, as recorded from SNS ("Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1").
    static func checkArnElements(_ text: String, _ parameter: String) throws(AWSError) {
        let n = text.split(separator: ":", omittingEmptySubsequences: false).count
        guard n >= 6 else { throw invalid("\(parameter) Reason: An ARN must have at least 6 elements, not \(n)") }
    }

    /// A topic ARN the caller may name: well formed, an SNS topic, in the caller's region. A topic ARN of another
    /// region is refused as SNS refuses it (400 "Invalid parameter: TopicArn", not NotFound).
    static func topicARN(_ arnText: String, _ c: RequestContext) throws(AWSError) -> ARN {
        try checkArnElements(arnText, "TopicArn")
        guard let arn = ARN(arnText), arn.service == "sns", !arn.resource.contains(":"), arn.region == c.region else {
            throw invalid("TopicArn")
        }
        return arn
    }

    /// The topic an ARN names, in the caller's account and region.
    func topic(_ arnText: String, _ c: RequestContext) async throws -> (TopicRow, TopicRecord) {
        let arn = try Self.topicARN(arnText, c)
        guard arn.account == c.account,
              let row = try await repository.topic(account: arn.account, region: arn.region, name: arn.resource) else {
            throw Self.notFound("Topic does not exist")
        }
        return (row, try TopicRecord.decode(row.doc))
    }

    /// A subscription ARN's shape, checked before any lookup: fewer than 6 parts gets the ARN reason; otherwise the
    /// last part must be a subscription id (a UUID), else "Invalid parameter: SubscriptionId" (both recorded from SNS).
    static func checkSubscriptionARN(_ text: String) throws(AWSError) {
        try checkArnElements(text, "SubscriptionArn")
        let id = text.split(separator: ":", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        guard UUID(uuidString: id) != nil else { throw invalid("SubscriptionId") }
    }

    static func checkTopicAttribute(_ name: String, _ value: String, fifo: Bool) throws(AWSError) {
        switch name {
        case "SignatureVersion":
            guard value == "1" || value == "2" else { throw invalid("Attribute Name: SignatureVersion") }
        case "TracingConfig":
            guard value == "PassThrough" || value == "Active" else { throw invalid("Attribute Name: TracingConfig") }
        case "Policy", "DeliveryPolicy":
            guard case .object? = try? JSONParser.parse(Array(value.utf8)) else { throw invalid("Attribute Name: \(name)") }
        case "DisplayName":
            guard value.utf8.count <= 100 else { throw invalid("Attribute Name: DisplayName") }
        case "FifoTopic":
            // FifoTopic=false on a standard topic is accepted (and not stored), as in SNS.
            guard value == (fifo ? "true" : "false") else { throw invalid("Attribute Name: \(name)") }
        case "ContentBasedDeduplication":
            guard fifo, value == "true" || value == "false" else { throw invalid("Attribute Name: \(name)") }
        case "FifoThroughputScope":
            guard fifo, value == "Topic" || value == "MessageGroup" else { throw invalid("Attribute Name: \(name)") }
        case "ArchivePolicy":
            guard fifo else { throw invalid("Attribute Name: ArchivePolicy is only for FIFO topics") }
            _ = try archiveRetentionDays(value)
        case "KmsMasterKeyId":
            // The key is checked when messages are published, as in SNS.
            guard value.utf8.count <= 2048 else { throw invalid("Attribute Name: KmsMasterKeyId") }
        default:
            guard topicSettable.contains(name) else { throw invalid("Attribute Name: \(name)") }
        }
    }

    // MARK: topics

    func createTopic(_ input: SNS.CreateTopicInput, context c: RequestContext) async throws -> SNS.CreateTopicResponse {
        let fifo = input.name.hasSuffix(".fifo")
        guard Self.isValidTopicName(fifo ? String(input.name.dropLast(5)) : input.name), input.name.utf8.count <= 256 else {
            throw Self.invalid("Topic Name")
        }
        var attributes = input.attributes ?? [:]
        guard (attributes["FifoTopic"] == "true") == fifo else {
            // SNS answers a .fifo name without FifoTopic=true, and FifoTopic=true on another name, as any bad name.
            throw Self.invalid("Topic Name")
        }
        for (k, v) in attributes { try Self.checkTopicAttribute(k, v, fifo: fifo) }
        // SNS does not keep an explicit FifoTopic=false: the topic shows no FifoTopic attribute, and the same name
        // created again without it is no conflict.
        if attributes["FifoTopic"] == "false" { attributes["FifoTopic"] = nil }
        let protection = try Self.checkedDataProtectionPolicy(input.dataProtectionPolicy)
        let tags = try Self.mergedTags([], (input.tags ?? []).map { [$0.key, $0.value] })
        var record = TopicRecord(attributes: attributes, tags: tags, dataProtectionPolicy: protection)
        if let policy = attributes["ArchivePolicy"], try Self.archiveRetentionDays(policy) != nil {
            record.attributes[Self.archiveSinceKey] = String(nowMillis)
        }
        if let existing = try await repository.createTopic(TopicRow(account: c.account, region: c.region, name: input.name,
                                                                    createdAtMillis: nowMillis, doc: record.encoded())) {
            // Idempotent for the same attributes; a different value for one given is refused.
            let old = try TopicRecord.decode(existing.doc)
            if attributes.contains(where: { old.attributes[$0.key] != $0.value }) {
                throw Self.invalid("Attributes Reason: Topic already exists with different attributes")
            }
            // Tags given again must be the ones the topic has (recorded: more tags on an untagged topic are refused).
            if let given = input.tags, !given.isEmpty,
               Set(given.map { "\($0.key)\u{0}\($0.value)" }) != Set(old.tags.map { $0.joined(separator: "\u{0}") }) {
                throw Self.invalid("Tags Reason: Topic already exists with different tags")
            }
        }
        return SNS.CreateTopicResponse(topicArn: Self.topicArn(c, input.name))
    }

    func deleteTopic(_ input: SNS.DeleteTopicInput, context c: RequestContext) async throws -> EmptyShape {
        // Deleting a topic that does not exist succeeds, as in SNS; a malformed ARN or one of another region does not.
        let arn = try Self.topicARN(input.topicArn, c)
        if arn.account == c.account {
            try await repository.deleteTopic(account: arn.account, region: arn.region, name: arn.resource, arn: input.topicArn)
            try await repository.purgeArchive(topicArn: input.topicArn, beforeMillis: nil)
        }
        return EmptyShape()
    }

    func listTopics(_ input: SNS.ListTopicsInput, context c: RequestContext) async throws -> SNS.ListTopicsResponse {
        var after: String?
        if let t = input.nextToken {
            guard let raw = Data(base64Encoded: t), let name = String(data: raw, encoding: .utf8) else { throw Self.invalid("NextToken") }
            after = name
        }
        let rows = try await repository.topics(account: c.account, region: c.region, after: after, limit: 101)
        let page = rows.prefix(100)
        return SNS.ListTopicsResponse(topics: page.map { SNS.Topic(topicArn: Self.topicArn(c, $0.name)) },
                                      nextToken: rows.count > 100 ? page.last.map { Data($0.name.utf8).base64EncodedString() } : nil)
    }

    func getTopicAttributes(_ input: SNS.GetTopicAttributesInput, context c: RequestContext) async throws -> SNS.GetTopicAttributesResponse {
        let (row, record) = try await topic(input.topicArn, c)
        let subs = try await repository.subscriptions(topicArn: input.topicArn).compactMap { try? SubscriptionRecord.decode($0.doc) }
        var a = record.attributes
        a["TopicArn"] = input.topicArn
        a["Owner"] = row.account
        a["SubscriptionsConfirmed"] = String(subs.filter(\.confirmed).count)
        a["SubscriptionsPending"] = String(subs.filter { !$0.confirmed }.count)
        a["SubscriptionsDeleted"] = "0"
        a["DisplayName"] = a["DisplayName"] ?? ""
        // SignatureVersion and FifoThroughputScope show only once set: SNS leaves them out of a fresh topic's
        // attributes (no SignatureVersion means 1, as the SNS docs say).
        a["Policy"] = a["Policy"] ?? Self.defaultPolicy(arn: input.topicArn, account: row.account)
        a["EffectiveDeliveryPolicy"] = a["DeliveryPolicy"] ?? Self.defaultDeliveryPolicy
        if input.topicArn.hasSuffix(".fifo") {
            a["FifoTopic"] = "true"
            a["ContentBasedDeduplication"] = a["ContentBasedDeduplication"] ?? "false"
        }
        a[Self.archiveSinceKey] = nil
        if let since = archiveWindowStart(record) { a["BeginningArchiveTime"] = Timestamps.iso8601(since, fractional: false) }
        return SNS.GetTopicAttributesResponse(attributes: a)
    }

    static let defaultDeliveryPolicy = #"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#

    static func defaultPolicy(arn: String, account: String) -> String {
        #"{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"\#(arn)","Condition":{"StringEquals":{"AWS:SourceOwner":"\#(account)"}}}]}"#
    }

    func setTopicAttributes(_ input: SNS.SetTopicAttributesInput, context c: RequestContext) async throws -> EmptyShape {
        _ = try Self.topicARN(input.topicArn, c)
        // FifoTopic cannot be changed, and a name SNS does not know is refused: both "Invalid parameter: AttributeName"
        // (FifoTopic recorded from SNS; the unknown name by analogy with SetSubscriptionAttributes).
        guard input.attributeName != "FifoTopic", Self.topicSettable.contains(input.attributeName)
                || ["ContentBasedDeduplication", "FifoThroughputScope", "ArchivePolicy", "KmsMasterKeyId"].contains(input.attributeName) else {
            throw Self.invalid("AttributeName")
        }
        try Self.checkTopicAttribute(input.attributeName, input.attributeValue ?? "", fifo: input.topicArn.hasSuffix(".fifo"))
        return try await locks.withLock(input.topicArn) {
            var (row, record) = try await topic(input.topicArn, c)
            record.attributes[input.attributeName] = (input.attributeValue ?? "").isEmpty ? nil : input.attributeValue
            var dropArchive = false
            if input.attributeName == "ArchivePolicy" {
                let days = try Self.archiveRetentionDays(input.attributeValue ?? "")
                if days == nil {
                    // Archiving turned off: the archive goes with it.
                    record.attributes["ArchivePolicy"] = nil
                    record.attributes[Self.archiveSinceKey] = nil
                    dropArchive = true
                } else if record.attributes[Self.archiveSinceKey] == nil {
                    record.attributes[Self.archiveSinceKey] = String(nowMillis)
                }
            }
            row.doc = record.encoded()
            guard try await repository.updateTopic(row) else { throw Self.notFound("Topic does not exist") }
            if dropArchive { try await repository.purgeArchive(topicArn: input.topicArn, beforeMillis: nil) }
            return EmptyShape()
        }
    }

    // MARK: tags

    /// "failed to parse JSON. <the JSON parser's message and position>", as SNS words a policy that is not JSON
    /// (recorded in 2025, with the parser's source redacted). Where the parser's wording for the failure is not known
    /// (input ending early, say), the detail is Warden's own.
    static func jsonParseFailure(_ text: String) -> String {
        "failed to parse JSON. " + (PatternCompiler.syntaxError(in: text, sourceStyle: .redacted) ?? "Unexpected end-of-input")
    }

    static func mergedTags(_ existing: [[String]], _ adding: [[String]]) throws(AWSError) -> [[String]] {
        // Recorded from SNS (TagResource with one key twice).
        guard Set(adding.compactMap(\.first)).count == adding.count else { throw invalid("Duplicated keys are not allowed.") }
        var tags = existing
        for t in adding where t.count == 2 {
            guard (1...128).contains(t[0].utf8.count), t[1].utf8.count <= 256, !t[0].lowercased().hasPrefix("aws:") else {
                throw invalid("Tag key or value is invalid: \(t[0])")
            }
            if let i = tags.firstIndex(where: { $0.first == t[0] }) { tags[i] = t } else { tags.append(t) }
        }
        guard tags.count <= 50 else {
            throw AWSError(code: "TagLimitExceededException", queryCode: "TagLimitExceeded", status: 400,
                           message: "Could not complete request: tag quota of per resource exceeded")
        }
        return tags
    }

    func tagResource(_ input: SNS.TagResourceRequest, context c: RequestContext) async throws -> SNS.TagResourceResponse {
        return try await locks.withLock(input.resourceArn) {
            var (row, record) = try await topic(input.resourceArn, c)
            record.tags = try Self.mergedTags(record.tags, input.tags.map { [$0.key, $0.value] })
            row.doc = record.encoded()
            _ = try await repository.updateTopic(row)
            return SNS.TagResourceResponse()
        }
    }

    func untagResource(_ input: SNS.UntagResourceRequest, context c: RequestContext) async throws -> SNS.UntagResourceResponse {
        return try await locks.withLock(input.resourceArn) {
            var (row, record) = try await topic(input.resourceArn, c)
            record.tags.removeAll { input.tagKeys.contains($0.first ?? "") }
            row.doc = record.encoded()
            _ = try await repository.updateTopic(row)
            return SNS.UntagResourceResponse()
        }
    }

    func listTagsForResource(_ input: SNS.ListTagsForResourceRequest, context c: RequestContext) async throws -> SNS.ListTagsForResourceResponse {
        let (_, record) = try await topic(input.resourceArn, c)
        return SNS.ListTagsForResourceResponse(tags: record.tags.map { SNS.Tag(key: $0[0], value: $0.count > 1 ? $0[1] : "") })
    }

    // MARK: subscriptions

    func subscribe(_ input: SNS.SubscribeInput, context c: RequestContext) async throws -> SNS.SubscribeResponse {
        let (_, topicRecord) = try await topic(input.topicArn, c)
        let proto = input.protocol
        guard ["sqs", "http", "https", "email", "email-json", "sms", "lambda", "application"].contains(proto) else {
            if ["firehose"].contains(proto) {
                throw Self.invalid("Protocol: \(proto) subscriptions are not implemented by Warden yet.")
            }
            throw Self.invalid("Amazon SNS does not support this protocol string: \(proto)")
        }
        guard let endpoint = input.endpoint else { throw Self.invalid("Endpoint Reason: no value for required parameter") }
        if input.topicArn.hasSuffix(".fifo") && proto != "sqs" {
            throw Self.invalid("Invalid protocol type: \(proto) for FIFO topics (only sqs)")
        }
        if proto == "application" {
            try await checkApplicationEndpoint(endpoint, c)
        } else if proto == "lambda" {
            // Functions arrive with a later feature: the subscription is accepted and its deliveries wait for it.
            guard let arn = ARN(endpoint), arn.service == "lambda", arn.resource.hasPrefix("function:") else {
                throw Self.invalid("Lambda endpoint ARN")
            }
        } else if proto == "sms" {
            // Subscribing needs no gateway (SNS accepts the number at once); only delivering does: without
            // --sms-gateway-url the copies wait and are retried.
            guard Self.isPhoneNumber(endpoint) else {
                // Recorded from SNS: this one has no "Invalid parameter:" prefix.
                throw SNS.Errors.invalidParameterException("Invalid SMS endpoint: \(endpoint)")
            }
        } else if proto.hasPrefix("email") {
            // As for SMS: the subscription is made (pending confirmation) without --smtp-url; the mail waits for it.
            let parts = endpoint.split(separator: "@")
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !endpoint.contains(" ") else {
                throw Self.invalid("Email address")
            }
        } else if proto == "sqs" {
            guard let arn = ARN(endpoint), arn.service == "sqs" else { throw Self.invalid("SQS endpoint ARN") }
            // A standard topic cannot feed a FIFO queue.
            if arn.resource.hasSuffix(".fifo") && !input.topicArn.hasSuffix(".fifo") { throw Self.invalid("Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics") }
        } else {
            guard let url = URL(string: endpoint), url.scheme == proto, url.host != nil else {
                throw Self.invalid("Endpoint must match the specified protocol")
            }
        }
        var attributes: [String: String] = [:]
        for (k, v) in input.attributes ?? [:] {
            // An empty value sets nothing (FilterPolicy "" shows neither FilterPolicy nor its scope, as in SNS).
            let value = try Self.checkSubscriptionAttribute(k, v, subscribing: true)
            if !value.isEmpty { attributes[k] = value }
        }
        try Self.checkFilterScope(attributes["FilterPolicy"], attributes["FilterPolicyScope"])
        if let policy = attributes["ReplayPolicy"], !policy.isEmpty { try checkReplay(topic: topicRecord, policy: policy) }
        // The same endpoint subscribed again returns the existing subscription, when the attributes given (if any)
        // are the ones it has; other values are refused (as recorded from SNS). The check and the insert hold the
        // topic's lock, so one endpoint subscribed twice at once (through any nodes) makes one subscription. A replay
        // starts after the lock is released: its task must not inherit the lock (see `startReplay`).
        let (response, replay) = try await locks.withLock(input.topicArn) { () async throws -> (SNS.SubscribeResponse, String?) in
            for existing in try await repository.subscriptions(topicArn: input.topicArn) {
                if let r = try? SubscriptionRecord.decode(existing.doc), r.protocol == proto, r.endpoint == endpoint {
                    for (k, v) in attributes where (r.attributes[k] ?? (k == "RawMessageDelivery" ? "false" : "")) != v {
                        throw Self.invalid("Attributes Reason: Subscription already exists with different attributes")
                    }
                    return (SNS.SubscribeResponse(subscriptionArn: r.confirmed || input.returnSubscriptionArn == true ? existing.arn : "pending confirmation"), nil)
                }
            }
            let subArn = "\(input.topicArn):\(UUID().uuidString.lowercased())"
            // SQS and SMS endpoints need no confirmation handshake; HTTP(S) and email endpoints get one to answer.
            let needsConfirmation = proto != "sqs" && proto != "sms" && proto != "lambda" && proto != "application"
            let token = needsConfirmation ? (0..<4).map { _ in UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }.joined() : nil
            var record = SubscriptionRecord(topicArn: input.topicArn, protocol: proto, endpoint: endpoint, owner: c.account,
                                            attributes: attributes, confirmed: !needsConfirmation, token: token)
            if attributes["ReplayPolicy"] != nil { record.replay = ReplayProgress(startedAtMillis: nowMillis, c) }
            if let who = c.principal?.arn, !who.isEmpty { record.principal = who }
            try await repository.insertSubscription(SubscriptionRow(arn: subArn, topicArn: input.topicArn, account: c.account,
                                                                    createdAtMillis: nowMillis, doc: record.encoded()))
            let replayArn = record.replay != nil ? subArn : nil
            if let token {
                let item = try await confirmation(topicArn: input.topicArn, topic: topicRecord, subscriptionArn: subArn, record: record,
                                                  token: token, c)
                try await repository.enqueue([item], dueAtMillis: nowMillis)
                wakeups.signal(Self.wakeKey)
                return (SNS.SubscribeResponse(subscriptionArn: input.returnSubscriptionArn == true ? subArn : "pending confirmation"), replayArn)
            }
            return (SNS.SubscribeResponse(subscriptionArn: subArn), replayArn)
        }
        if let replay { startReplay(replay) }
        return response
    }

    func confirmSubscription(_ input: SNS.ConfirmSubscriptionInput, context c: RequestContext) async throws -> SNS.ConfirmSubscriptionResponse {
        // Anyone holding the token may confirm (the SubscribeURL is unsigned), so the topic's account comes from its ARN.
        // A broken TopicArn, or one of another region, is "Invalid parameter: Topic"; a topic that does not exist
        // is answered as a bad token (both recorded from SNS).
        guard let arn = ARN(input.topicArn), arn.service == "sns", c.principal == nil || arn.region == c.region else {
            throw Self.invalid("Topic")
        }
        if c.principal != nil, arn.account != c.account { throw Self.notFound("Topic does not exist") }
        guard try await repository.topic(account: arn.account, region: arn.region, name: arn.resource) != nil else {
            throw Self.invalid("Token")
        }
        for row in try await repository.subscriptions(topicArn: input.topicArn) {
            guard let r = try? SubscriptionRecord.decode(row.doc), let t = r.token, t == input.token else { continue }
            // Read again under the subscription's lock, so a concurrent SetSubscriptionAttributes is not undone.
            let confirmed = try await locks.withLock(row.arn) { () async throws -> Bool in
                guard var updated = try await repository.subscription(arn: row.arn),
                      var r = try? SubscriptionRecord.decode(updated.doc), r.token == input.token else { return false }
                r.confirmed = true
                r.authenticateOnUnsubscribe = input.authenticateOnUnsubscribe?.lowercased() == "true"
                updated.doc = r.encoded()
                return try await repository.updateSubscription(updated)
            }
            if confirmed { return SNS.ConfirmSubscriptionResponse(subscriptionArn: row.arn) }
        }
        throw Self.invalid("Token")
    }

    /// Checks one subscription attribute; returns the value to keep. Subscribe words an attribute's error
    /// "Invalid parameter: Attributes Reason: <reason>", SetSubscriptionAttributes "Invalid parameter: <reason>"
    /// (both recorded from SNS).
    static func checkSubscriptionAttribute(_ name: String, _ value: String, subscribing: Bool) throws(AWSError) -> String {
        func reason(_ m: String) -> AWSError { Self.invalid(subscribing ? "Attributes Reason: \(m)" : m) }
        switch name {
        case "RawMessageDelivery":
            guard ["true", "false"].contains(value.lowercased()) else {
                throw reason("RawMessageDelivery: Invalid value [\(value)]. Must be true or false.")
            }
            return value.lowercased()
        case "FilterPolicy":
            guard !value.isEmpty else { return value }
            // FilterPolicy's errors read "Invalid parameter: FilterPolicy: <reason>"; Subscribe puts its prefix first.
            if case .failure(let error) = Result(catching: { () throws(AWSError) -> FilterPolicy in try FilterPolicy(value) }) {
                guard subscribing, error.message.hasPrefix("Invalid parameter: ") else { throw error }
                throw reason(String(error.message.dropFirst("Invalid parameter: ".count)))
            }
            return value
        case "FilterPolicyScope":
            guard value == "MessageAttributes" || value == "MessageBody" else {
                throw reason("FilterPolicyScope: Invalid value [\(value)]. Please use either MessageBody or MessageAttributes")
            }
            return value
        case "RedrivePolicy":
            guard !value.isEmpty else { return value }
            guard let doc = try? JSONParser.parse(Array(value.utf8)) else {
                throw reason("RedrivePolicy: " + Self.jsonParseFailure(value))
            }
            if let target = doc["deadLetterTargetArn"]?.stringValue {
                // Recorded from SNS for a target that is not a queue ARN.
                guard ARN(target)?.service == "sqs" else { throw reason("RedrivePolicy: deadLetterTargetArn is an invalid arn") }
            } else {
                // AWS's text for a policy without a target is unknown: Warden's own.
                throw invalid("RedrivePolicy: deadLetterTargetArn must be an SQS queue ARN")
            }
            return value
        case "DeliveryPolicy":
            guard value.isEmpty || (try? JSONParser.parse(Array(value.utf8))) != nil else { throw invalid("Attribute Name: \(name)") }
            return value
        case "ReplayPolicy":
            if !value.isEmpty { _ = try ReplayWindow(value) }
            return value
        default:
            // SetSubscriptionAttributes: recorded from SNS. Subscribe: AWS's text is unknown, Warden's own.
            throw invalid(subscribing ? "Attribute Name: \(name)" : "AttributeName")
        }
    }

    /// A nested (object-valued) filter policy needs FilterPolicyScope MessageBody (recorded from SNS).
    static func checkFilterScope(_ policy: String?, _ scope: String?) throws(AWSError) {
        guard let policy, !policy.isEmpty, scope != "MessageBody", let parsed = try? FilterPolicy(policy), parsed.nested else { return }
        throw invalid("Filter policy scope MessageAttributes does not support nested filter policy")
    }

    func subscription(_ arn: String, _ c: RequestContext) async throws -> (SubscriptionRow, SubscriptionRecord) {
        guard let row = try await repository.subscription(arn: arn), row.account == c.account else {
            throw Self.notFound("Subscription does not exist")
        }
        return (row, try SubscriptionRecord.decode(row.doc))
    }

    func unsubscribe(_ input: SNS.UnsubscribeInput, context c: RequestContext) async throws -> EmptyShape {
        try Self.checkSubscriptionARN(input.subscriptionArn)
        if c.principal == nil {
            // The UnsubscribeURL of a notification works unsigned, unless the subscription was confirmed with
            // AuthenticateOnUnsubscribe.
            guard let row = try await repository.subscription(arn: input.subscriptionArn),
                  let r = try? SubscriptionRecord.decode(row.doc) else { throw Self.notFound("Subscription does not exist") }
            guard r.authenticateOnUnsubscribe != true else {
                throw SNS.Errors.authorizationErrorException("Unsubscribe requires authentication for this subscription.")
            }
            try await repository.deleteSubscription(arn: input.subscriptionArn)
            return EmptyShape()
        }
        // Unsubscribing from a subscription that does not exist (or no longer does) succeeds, as in SNS.
        guard let row = try await repository.subscription(arn: input.subscriptionArn) else { return EmptyShape() }
        guard row.account == c.account else { throw Self.notFound("Subscription does not exist") }
        try await repository.deleteSubscription(arn: input.subscriptionArn)
        return EmptyShape()
    }

    func apiSubscription(_ row: SubscriptionRow) -> SNS.Subscription? {
        guard let r = try? SubscriptionRecord.decode(row.doc) else { return nil }
        return SNS.Subscription(subscriptionArn: r.confirmed ? row.arn : "PendingConfirmation", owner: r.owner,
                                protocol: r.protocol, endpoint: r.endpoint, topicArn: r.topicArn)
    }

    func listSubscriptions(_ input: SNS.ListSubscriptionsInput, context c: RequestContext) async throws -> SNS.ListSubscriptionsResponse {
        try page(try await repository.subscriptions(account: c.account), token: input.nextToken) {
            SNS.ListSubscriptionsResponse(subscriptions: $0, nextToken: $1)
        }
    }

    func listSubscriptionsByTopic(_ input: SNS.ListSubscriptionsByTopicInput,
                                  context c: RequestContext) async throws -> SNS.ListSubscriptionsByTopicResponse {
        _ = try await topic(input.topicArn, c)
        return try page(try await repository.subscriptions(topicArn: input.topicArn), token: input.nextToken) {
            SNS.ListSubscriptionsByTopicResponse(subscriptions: $0, nextToken: $1)
        }
    }

    /// Pages of 100 subscriptions; the token is the offset.
    func page<T>(_ rows: [SubscriptionRow], token: String?, _ make: ([SNS.Subscription], String?) -> T) throws(AWSError) -> T {
        let start = try token.map { t throws(AWSError) -> Int in
            guard let raw = Data(base64Encoded: t), let n = Int(String(decoding: raw, as: UTF8.self)), n >= 0 else { throw Self.invalid("NextToken") }
            return n
        } ?? 0
        let slice = rows.dropFirst(start).prefix(100)
        let next = start + slice.count < rows.count ? Data(String(start + slice.count).utf8).base64EncodedString() : nil
        return make(slice.compactMap(apiSubscription), next)
    }

    func getSubscriptionAttributes(_ input: SNS.GetSubscriptionAttributesInput,
                                   context c: RequestContext) async throws -> SNS.GetSubscriptionAttributesResponse {
        try Self.checkSubscriptionARN(input.subscriptionArn)
        let (row, r) = try await subscription(input.subscriptionArn, c)
        var a = r.attributes
        a["SubscriptionArn"] = row.arn
        a["TopicArn"] = r.topicArn
        a["Owner"] = r.owner
        a["Protocol"] = r.protocol
        a["Endpoint"] = r.endpoint
        a["PendingConfirmation"] = r.confirmed ? "false" : "true"
        // A subscription still waiting for its confirmation shows "false" (recorded from SNS for HTTP).
        a["ConfirmationWasAuthenticated"] = r.confirmed ? "true" : "false"
        a["RawMessageDelivery"] = a["RawMessageDelivery"] ?? "false"
        // Who subscribed; for subscriptions made before Warden kept it, the owning account's root.
        let partition = ARN(r.topicArn)?.partition.rawValue ?? c.partition.rawValue
        a["SubscriptionPrincipal"] = r.principal ?? "arn:\(partition):iam::\(r.owner):root"
        // FilterPolicyScope shows only beside a FilterPolicy (recorded from SNS).
        a["FilterPolicyScope"] = a["FilterPolicy"] == nil ? nil : a["FilterPolicyScope"] ?? "MessageAttributes"
        if let replay = r.replay { a["ReplayStatus"] = replay.status }
        return SNS.GetSubscriptionAttributesResponse(attributes: a)
    }

    func setSubscriptionAttributes(_ input: SNS.SetSubscriptionAttributesInput, context c: RequestContext) async throws -> EmptyShape {
        try Self.checkSubscriptionARN(input.subscriptionArn)
        let value = try Self.checkSubscriptionAttribute(input.attributeName, input.attributeValue ?? "", subscribing: false)
        // The replay starts after the lock is released: its task must not inherit the lock (see `startReplay`).
        let replay = try await locks.withLock(input.subscriptionArn) { () async throws -> String? in
            var (row, r) = try await subscription(input.subscriptionArn, c)
            r.attributes[input.attributeName] = value.isEmpty ? nil : value
            try Self.checkFilterScope(r.attributes["FilterPolicy"], r.attributes["FilterPolicyScope"])
            if input.attributeName == "ReplayPolicy" {
                if value.isEmpty {
                    // Clearing the policy stops a replay in progress.
                    r.replay = nil
                } else {
                    let (_, topicRecord) = try await topic(r.topicArn, c)
                    try checkReplay(topic: topicRecord, policy: value)
                    // A new replay replaces the one before it.
                    r.replay = ReplayProgress(startedAtMillis: nowMillis, c)
                }
            }
            row.doc = r.encoded()
            guard try await repository.updateSubscription(row) else { throw Self.notFound("Subscription does not exist") }
            return r.replay != nil && input.attributeName == "ReplayPolicy" ? row.arn : nil
        }
        if let replay { startReplay(replay) }
        return EmptyShape()
    }
}
