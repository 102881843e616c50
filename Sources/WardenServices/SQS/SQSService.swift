// Amazon SQS (standard queues): queues, attributes, tags; messages live in SQSService+Messages.
import Foundation
import Synchronization
import WardenAPI
import WardenCore
import WardenStorage

public struct SQSService: Sendable {
    let repository: QueueRepository
    let now: @Sendable () -> Date
    let signals = QueueSignals()
    /// Per-queue locks, taken in the database so they hold across nodes (see `lockName`, `receiveLockName`).
    let locks: ResourceLocks
    /// KMS, for queues with KmsMasterKeyId (SSE-KMS).
    let keys: (any DataKeyProvider)?
    /// Data keys reused for KmsDataKeyReusePeriodSeconds, per queue and key: (plaintext, KMS blob, key ARN, until).
    let dataKeys = DataKeyCache()
    /// The pace of running message move tasks with a rate (this process's token buckets).
    let moveRates = MoveRates()

    public init(repository: QueueRepository, keys: (any DataKeyProvider)? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.repository = repository
        self.locks = ResourceLocks(repository.db)
        self.keys = keys
        self.now = now
    }

    var nowMillis: Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// The lock of a queue's document (attributes, tags, last purge); `queueId` is account/region/name.
    static func lockName(_ queueId: String) -> String { "sqs:" + queueId }

    /// The lock one FIFO receive holds while it looks for messages.
    static func receiveLockName(_ queueId: String) -> String { "sqs-receive:" + queueId }
}

/// A queue's document: the attributes callers set, tags, and times.
struct QueueRecord: Codable, Sendable {
    var attributes: [String: String]
    var tags: [String: String]
    var createdAt: Int64
    var lastModified: Int64
    var lastPurgeMillis: Int64?

    func encoded() -> String { (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}" }
    static func decode(_ doc: String) throws -> QueueRecord { try JSONDecoder().decode(QueueRecord.self, from: Data(doc.utf8)) }

    func int(_ name: String) -> Int64 { Int64(attributes[name] ?? SQSService.defaults[name] ?? "0") ?? 0 }

    var isFifo: Bool { attributes["FifoQueue"] == "true" }

    /// `RedrivePolicy` as (dead-letter queue ARN, maxReceiveCount).
    var redrive: (arn: String, maxReceiveCount: Int64)? {
        guard let text = attributes["RedrivePolicy"], let doc = try? JSONParser.parse(Array(text.utf8)),
              let arn = doc["deadLetterTargetArn"]?.stringValue else { return nil }
        let count: Int64?
        switch doc["maxReceiveCount"] {
        case .number(let n)?: count = Int64(n)
        case .string(let s)?: count = Int64(s)
        default: count = nil
        }
        return count.map { (arn, $0) }
    }
}

extension SQSService {
    /// Settable attributes with their defaults; values are checked by `validate`.
    static let defaults: [String: String] = [
        "DelaySeconds": "0", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
        "ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30", "SqsManagedSseEnabled": "true",
    ]
    static let ranges: [String: ClosedRange<Int64>] = [
        "DelaySeconds": 0...900, "MaximumMessageSize": 1024...1_048_576, "MessageRetentionPeriod": 60...1_209_600,
        "ReceiveMessageWaitTimeSeconds": 0...20, "VisibilityTimeout": 0...43_200,
    ]
    static let settable: Set<String> = Set(ranges.keys).union(["Policy", "RedrivePolicy", "RedriveAllowPolicy", "SqsManagedSseEnabled",
                                                               "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds"])
    static let readOnly: Set<String> = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                                        "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn"]

    // Errors, with the Query codes SQS clients see in `x-amzn-query-error`.
    // Over JSON, SQS names two of its errors differently from their Query codes: `InvalidParameterValueException`
    // and `MissingRequiredParameterException` (recorded responses show both names side by side).
    static func noQueue() -> AWSError {
        AWSError(code: "QueueDoesNotExist", queryCode: "AWS.SimpleQueueService.NonExistentQueue", status: 400,
                 message: "The specified queue does not exist.",
                 queryMessage: "The specified queue does not exist for this wsdl version.")
    }
    static func invalidValue(_ m: String) -> AWSError {
        AWSError(code: "InvalidParameterValueException", queryCode: "InvalidParameterValue", status: 400, message: m)
    }
    static func missingParameter(_ name: String) -> AWSError {
        AWSError(code: "MissingRequiredParameterException", queryCode: "MissingParameter", status: 400,
                 message: "The request must contain the parameter \(name).")
    }
    static func invalidAttributeName(_ name: String) -> AWSError {
        AWSError(code: "InvalidAttributeName", queryCode: "InvalidAttributeName", status: 400, message: "Unknown Attribute \(name).")
    }
    static func invalidAttributeValue(_ name: String, _ detail: String = "") -> AWSError {
        AWSError(code: "InvalidAttributeValue", queryCode: "InvalidAttributeValue", status: 400,
                 message: "Invalid value for the parameter \(name).\(detail.isEmpty ? "" : " Reason: \(detail)")")
    }
    static func unsupported(_ m: String) -> AWSError {
        AWSError(code: "UnsupportedOperation", queryCode: "AWS.SimpleQueueService.UnsupportedOperation", status: 400, message: m)
    }

    static func isValidQueueName(_ n: String) -> Bool {
        (1...80).contains(n.utf8.count) && n.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
        }
    }

    static func queueArn(_ c: RequestContext, _ name: String) -> String { "arn:\(c.partition.rawValue):sqs:\(c.region):\(c.account):\(name)" }

    /// `<scheme>://<host the client used>/<account>/<name>`.
    static func queueUrl(_ c: RequestContext, account: String, name: String) -> String {
        let scheme = c.tls == nil ? "http" : "https"
        return "\(scheme)://\(c.host ?? "localhost:4566")/\(account)/\(name)"
    }

    /// The queue a QueueUrl names: its last two path segments are the account and the name (any host).
    func resolve(_ url: String, _ c: RequestContext) async throws -> (QueueRow, QueueRecord) {
        let path = URL(string: url)?.path ?? url
        let parts = path.split(separator: "/").map(String.init)
        guard let name = parts.last else { throw Self.noQueue() }
        // SQS also takes a bare queue name for QueueUrl, meaning the caller's own queue.
        let account = parts.count >= 2 ? parts[parts.count - 2] : c.account
        guard account == c.account else {
            throw AWSError(code: "AccessDenied", queryCode: "AccessDenied", status: 403,
                           message: "Access to the resource \(url) is denied.")
        }
        guard let row = try await repository.queue(account: account, region: c.region, name: name) else { throw Self.noQueue() }
        return (row, try QueueRecord.decode(row.doc))
    }

    /// Checks settable attributes (names and values) as SQS does.
    static let fifoValues: [String: Set<String>] = [
        "ContentBasedDeduplication": ["true", "false"], "DeduplicationScope": ["messageGroup", "queue"],
        "FifoThroughputLimit": ["perQueue", "perMessageGroupId"],
    ]

    /// Attributes whose values SQS reads as booleans, in any letter case (`"True"` is `true`).
    static let booleanAttributes: Set<String> = ["FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled"]

    static func validate(_ attributes: [String: String], creating: Bool, fifo: Bool) throws(AWSError) -> [String: String] {
        var out: [String: String] = [:]
        for (name, raw) in attributes {
            let lowered = raw.lowercased()
            let value = booleanAttributes.contains(name) && (lowered == "true" || lowered == "false") ? lowered : raw
            if name == "FifoQueue" {
                guard creating else {
                    guard fifo else { throw invalidAttributeName(name) }
                    throw invalidAttributeValue(name, "Modifying queue type is not supported.")
                }
                guard value == (fifo ? "true" : "false") else {
                    throw invalidValue("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
                }
                if fifo { out[name] = value }
                continue
            }
            if let allowed = fifoValues[name] {
                guard fifo else {
                    if name == "ContentBasedDeduplication" { throw invalidAttributeName(name) }
                    throw AWSError(code: "InvalidAttributeName", queryCode: "InvalidAttributeName", status: 400,
                                   message: "You can specify the \(name) only when FifoQueue is set to true.")
                }
                guard allowed.contains(value) else { throw invalidAttributeValue(name) }
                out[name] = value
                continue
            }
            if name == "KmsMasterKeyId" {
                // SSE-KMS replaces SSE-SQS, as in SQS; the key is checked when messages are sent.
                guard !value.isEmpty || !creating else { continue }
                out[name] = value
                continue
            }
            if name == "KmsDataKeyReusePeriodSeconds" {
                guard let v = Int64(value), (60...86_400).contains(v) else { throw invalidAttributeValue(name) }
                out[name] = value
                continue
            }
            guard settable.contains(name) else { throw invalidAttributeName(name) }
            if let range = ranges[name] {
                guard let v = Int64(value), range.contains(v) else { throw invalidAttributeValue(name) }
            }
            switch name {
            case "SqsManagedSseEnabled":
                // The attribute is SQS's own server-side encryption setting; Warden seals bodies at rest under its root
                // key either way, so `false` only changes what the queue reports.
                guard value == "true" || value == "false" else { throw invalidAttributeValue(name) }
                if value == "true", let k = attributes["KmsMasterKeyId"], !k.isEmpty {
                    throw AWSError(code: "InvalidAttributeName", queryCode: "InvalidAttributeName", status: 400,
                                   message: "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.")
                }
            case "Policy", "RedriveAllowPolicy":
                if !value.isEmpty {
                    guard case .object? = try? JSONParser.parse(Array(value.utf8)) else { throw invalidAttributeValue(name) }
                }
            case "RedrivePolicy":
                if !value.isEmpty {
                    let record = QueueRecord(attributes: [name: value], tags: [:], createdAt: 0, lastModified: 0)
                    guard let r = record.redrive, (1...1000).contains(r.maxReceiveCount), ARN(r.arn)?.service == "sqs" else {
                        throw invalidAttributeValue(name, "Redrive policy is not a valid JSON map with deadLetterTargetArn and maxReceiveCount.")
                    }
                }
            default: break
            }
            out[name] = value
        }
        return out
    }

    // MARK: operations

    func createQueue(_ input: SQS.CreateQueueRequest, context c: RequestContext) async throws -> SQS.CreateQueueResult {
        let name = input.queueName
        let fifo = name.hasSuffix(".fifo")
        guard name.utf8.count <= 80, Self.isValidQueueName(fifo ? String(name.dropLast(5)) : name) else {
            throw Self.invalidValue("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
        }
        if fifo && input.attributes?["FifoQueue"]?.lowercased() != "true" {
            throw Self.invalidValue("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
        }
        let attributes = try Self.validate(input.attributes ?? [:], creating: true, fifo: fifo)
        if let tags = input.tags { try Self.checkTags(tags, existing: 0) }
        try await checkRedriveTarget(attributes, c, fifo: fifo)
        let nowMs = nowMillis
        let record = QueueRecord(attributes: attributes, tags: input.tags ?? [:], createdAt: nowMs / 1000, lastModified: nowMs / 1000)
        if let existing = try await repository.createQueue(QueueRow(account: c.account, region: c.region, name: name,
                                                                    createdAtMillis: nowMs, doc: record.encoded())) {
            let old = try QueueRecord.decode(existing.doc)
            // Idempotent for the same attributes; a different value for a given attribute is a conflict.
            if let differing = attributes.keys.sorted().first(where: { k in (old.attributes[k] ?? Self.defaults[k]) != attributes[k] }) {
                throw AWSError(code: "QueueNameExists", queryCode: "QueueAlreadyExists", status: 400,
                               message: "A queue already exists with the same name and a different value for attribute \(differing)")
            }
        }
        return SQS.CreateQueueResult(queueUrl: Self.queueUrl(c, account: c.account, name: name))
    }

    func checkRedriveTarget(_ attributes: [String: String], _ c: RequestContext, fifo: Bool) async throws {
        guard let text = attributes["RedrivePolicy"], !text.isEmpty else { return }
        let record = QueueRecord(attributes: ["RedrivePolicy": text], tags: [:], createdAt: 0, lastModified: 0)
        guard let r = record.redrive, let arn = ARN(r.arn), arn.account == c.account, arn.region == c.region,
              let target = try await repository.queue(account: arn.account, region: arn.region, name: arn.resource) else {
            throw Self.invalidAttributeValue("RedrivePolicy", "Dead letter target does not exist.")
        }
        guard (try QueueRecord.decode(target.doc)).isFifo == fifo else {
            throw Self.invalidAttributeValue("RedrivePolicy", "Dead-letter queue must be same type of queue as the source.")
        }
    }

    func getQueueUrl(_ input: SQS.GetQueueUrlRequest, context c: RequestContext) async throws -> SQS.GetQueueUrlResult {
        let account = input.queueOwnerAWSAccountId ?? c.account
        guard account == c.account, try await repository.queue(account: account, region: c.region, name: input.queueName) != nil else {
            throw Self.noQueue()
        }
        return SQS.GetQueueUrlResult(queueUrl: Self.queueUrl(c, account: account, name: input.queueName))
    }

    func listQueues(_ input: SQS.ListQueuesRequest, context c: RequestContext) async throws -> SQS.ListQueuesResult {
        if let m = input.maxResults, !(1...1000).contains(m) {
            throw Self.invalidValue("Value \(m) for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.")
        }
        if input.nextToken != nil && input.maxResults == nil {
            throw Self.invalidValue("MaxResults is a mandatory parameter when you provide a value for NextToken.")
        }
        var after: String?
        if let token = input.nextToken {
            guard let raw = Data(base64Encoded: token), let name = String(data: raw, encoding: .utf8) else {
                throw Self.invalidValue("Invalid NextToken value.")
            }
            after = name
        }
        let limit = input.maxResults ?? 1000
        let rows = try await repository.queues(account: c.account, region: c.region, prefix: input.queueNamePrefix ?? "",
                                               after: after, limit: limit + 1)
        let page = rows.prefix(limit)
        let next = input.maxResults != nil && rows.count > limit ? page.last.map { Data($0.name.utf8).base64EncodedString() } : nil
        let urls = page.map { Self.queueUrl(c, account: $0.account, name: $0.name) }
        return SQS.ListQueuesResult(queueUrls: urls.isEmpty ? nil : urls, nextToken: next)
    }

    func deleteQueue(_ input: SQS.DeleteQueueRequest, context c: RequestContext) async throws -> EmptyShape {
        let (row, _) = try await resolve(input.queueUrl, c)
        guard try await repository.deleteQueue(account: row.account, region: row.region, name: row.name) else { throw Self.noQueue() }
        return EmptyShape()
    }

    func getQueueAttributes(_ input: SQS.GetQueueAttributesRequest, context c: RequestContext) async throws -> SQS.GetQueueAttributesResult {
        let (row, record) = try await resolve(input.queueUrl, c)
        let names = input.attributeNames ?? []
        for n in names where n != "All" && !Self.settable.contains(n) && !Self.readOnly.contains(n) && !["FifoQueue", "ContentBasedDeduplication", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "DeduplicationScope", "FifoThroughputLimit"].contains(n) {
            throw Self.invalidAttributeName(n)
        }
        guard !names.isEmpty else { return SQS.GetQueueAttributesResult(attributes: nil) }
        let counts = try await repository.counts(queueId: row.queueId, nowMillis: nowMillis)
        var all: [String: String] = Self.defaults.merging(record.attributes) { $1 }
        if record.attributes["KmsMasterKeyId"] != nil {
            all["SqsManagedSseEnabled"] = "false"
            all["KmsDataKeyReusePeriodSeconds"] = record.attributes["KmsDataKeyReusePeriodSeconds"] ?? "300"
        }
        if record.isFifo {
            all["ContentBasedDeduplication"] = record.attributes["ContentBasedDeduplication"] ?? "false"
            all["DeduplicationScope"] = record.attributes["DeduplicationScope"] ?? "queue"
            all["FifoThroughputLimit"] = record.attributes["FifoThroughputLimit"] ?? "perQueue"
        }
        all["QueueArn"] = Self.queueArn(c, row.name)
        all["ApproximateNumberOfMessages"] = String(counts.visible)
        all["ApproximateNumberOfMessagesNotVisible"] = String(counts.inFlight)
        all["ApproximateNumberOfMessagesDelayed"] = String(counts.delayed)
        all["CreatedTimestamp"] = String(record.createdAt)
        all["LastModifiedTimestamp"] = String(record.lastModified)
        for (k, v) in all where v.isEmpty { all[k] = nil }
        let wanted = names.contains("All") ? all : all.filter { names.contains($0.key) }
        return SQS.GetQueueAttributesResult(attributes: wanted.isEmpty ? nil : wanted)
    }

    func setQueueAttributes(_ input: SQS.SetQueueAttributesRequest, context c: RequestContext) async throws -> EmptyShape {
        let (first, firstRecord) = try await resolve(input.queueUrl, c)
        let attributes = try Self.validate(input.attributes, creating: false, fifo: firstRecord.isFifo)
        try await checkRedriveTarget(attributes, c, fifo: firstRecord.isFifo)
        return try await locks.withLock(Self.lockName(first.queueId)) {
            var (row, record) = try await resolve(input.queueUrl, c)
            for (k, v) in attributes { record.attributes[k] = v.isEmpty && !Self.ranges.keys.contains(k) ? nil : v }
            if attributes["SqsManagedSseEnabled"] == "true" { record.attributes["KmsMasterKeyId"] = nil }
            if attributes["KmsMasterKeyId"].map({ !$0.isEmpty }) == true { record.attributes["SqsManagedSseEnabled"] = nil }
            if record.attributes["KmsMasterKeyId"] == nil {
                // Without a KMS key there is no data key to reuse; and clearing the key leaves SSE-SQS off unless it is
                // turned on in the same call (recorded: test_set_queue_attributes_default_values).
                record.attributes["KmsDataKeyReusePeriodSeconds"] = nil
                if attributes["KmsMasterKeyId"] == "", attributes["SqsManagedSseEnabled"] == nil {
                    record.attributes["SqsManagedSseEnabled"] = "false"
                }
            }
            record.lastModified = nowMillis / 1000
            row.doc = record.encoded()
            guard try await repository.updateQueue(row) else { throw Self.noQueue() }
            return EmptyShape()
        }
    }

    func purgeQueue(_ input: SQS.PurgeQueueRequest, context c: RequestContext) async throws -> EmptyShape {
        let (first, _) = try await resolve(input.queueUrl, c)
        return try await locks.withLock(Self.lockName(first.queueId)) {
            var (row, record) = try await resolve(input.queueUrl, c)
            let nowMs = nowMillis
            if let last = record.lastPurgeMillis, nowMs - last < 60_000 {
                throw AWSError(code: "PurgeQueueInProgress", queryCode: "AWS.SimpleQueueService.PurgeQueueInProgress", status: 403,
                               message: "Only one PurgeQueue operation on \(row.name) is allowed every 60 seconds.")
            }
            try await repository.purge(queueId: row.queueId)
            record.lastPurgeMillis = nowMs
            row.doc = record.encoded()
            _ = try await repository.updateQueue(row)
            return EmptyShape()
        }
    }

    // MARK: tags

    static func checkTags(_ tags: [String: String], existing: Int) throws(AWSError) {
        for (k, v) in tags {
            guard (1...128).contains(k.utf8.count), v.utf8.count <= 256, !k.lowercased().hasPrefix("aws:") else {
                throw invalidValue("Tag key or value is invalid: \(k)")
            }
        }
        guard existing + tags.count <= 50 else { throw invalidValue("Too many tags added for queue. A queue can have at most 50 tags.") }
    }

    func tagQueue(_ input: SQS.TagQueueRequest, context c: RequestContext) async throws -> EmptyShape {
        let (first, _) = try await resolve(input.queueUrl, c)
        return try await locks.withLock(Self.lockName(first.queueId)) {
            var (row, record) = try await resolve(input.queueUrl, c)
            let added = input.tags.keys.filter { record.tags[$0] == nil }.count
            try Self.checkTags(input.tags, existing: record.tags.count + added - input.tags.count)
            record.tags.merge(input.tags) { $1 }
            row.doc = record.encoded()
            _ = try await repository.updateQueue(row)
            return EmptyShape()
        }
    }

    func untagQueue(_ input: SQS.UntagQueueRequest, context c: RequestContext) async throws -> EmptyShape {
        let (first, _) = try await resolve(input.queueUrl, c)
        return try await locks.withLock(Self.lockName(first.queueId)) {
            var (row, record) = try await resolve(input.queueUrl, c)
            for k in input.tagKeys { record.tags[k] = nil }
            row.doc = record.encoded()
            _ = try await repository.updateQueue(row)
            return EmptyShape()
        }
    }

    func listQueueTags(_ input: SQS.ListQueueTagsRequest, context c: RequestContext) async throws -> SQS.ListQueueTagsResult {
        let (_, record) = try await resolve(input.queueUrl, c)
        return SQS.ListQueueTagsResult(tags: record.tags.isEmpty ? nil : record.tags)
    }

    /// Deletes messages past their retention; run by a background job.
    public func deleteExpired() async throws {
        try await repository.deleteExpired(nowMillis: nowMillis)
    }
}

