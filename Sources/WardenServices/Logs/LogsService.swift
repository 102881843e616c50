// Amazon CloudWatch Logs: log groups and streams, PutLogEvents with AWS's batch rules, GetLogEvents, FilterLogEvents
// with the filter pattern language, metric filters (which write CloudWatch metric data in the same transaction as the
// events), subscription filters to functions, retention, tags. Other services write here through `LogSink`: trails
// with a log group, and functions' output.
import Foundation
import Synchronization
import WardenAPI
import WardenCore
import WardenStorage

/// Where services write log events: the group is made when `createGroup` says so, the stream always.
public protocol LogSink: Sendable {
    func write(account: String, region: String, group: String, stream: String, events: [(timestamp: Int64, message: String)],
               createGroup: Bool, cursor: (String, Int64)?) async throws
    func groupExists(account: String, region: String, group: String) async throws -> Bool
    /// A writer's position (moved by `write`'s `cursor`).
    func cursor(_ name: String) async throws -> Int64?
}

/// A `LogSink` set once the logs service exists (functions are made before it, and it delivers to functions).
public final class LateLogSink: LogSink {
    let target = Mutex<(any LogSink)?>(nil)
    public init() {}
    public func set(_ sink: any LogSink) { target.withLock { $0 = sink } }
    public func write(account: String, region: String, group: String, stream: String, events: [(timestamp: Int64, message: String)],
                      createGroup: Bool, cursor: (String, Int64)?) async throws {
        guard let sink = target.withLock({ $0 }) else { return }
        try await sink.write(account: account, region: region, group: group, stream: stream, events: events, createGroup: createGroup, cursor: cursor)
    }
    public func groupExists(account: String, region: String, group: String) async throws -> Bool {
        try await target.withLock({ $0 })?.groupExists(account: account, region: region, group: group) ?? false
    }
    public func cursor(_ name: String) async throws -> Int64? { try await target.withLock({ $0 })?.cursor(name) }
}

struct TransformationDoc: Codable, Sendable {
    var metricName: String
    var namespace: String
    var value: String
    var defaultValue: Double?
    var dimensions: [String: String]?
    var unit: String?
}

struct MetricFilterDoc: Codable, Sendable {
    var name: String
    var pattern: String
    var transformations: [TransformationDoc]
    var createdMillis: Int64
}

struct SubscriptionDoc: Codable, Sendable {
    var name: String
    var pattern: String
    var destinationArn: String
    var roleArn: String?
    var distribution: String?
    var createdMillis: Int64
}

struct LogGroupDoc: Codable, Sendable {
    var retentionDays: Int?
    var kmsKeyId: String?
    var logGroupClass: String?
    var deletionProtection: Bool?
    var tags: [String: String] = [:]
    var metricFilters: [MetricFilterDoc] = []
    var subscriptions: [SubscriptionDoc] = []

    init() {}
    static func decode(_ text: String) -> LogGroupDoc { (try? JSONDecoder().decode(LogGroupDoc.self, from: Data(text.utf8))) ?? LogGroupDoc() }
    func encoded() throws -> String { String(decoding: try JSONEncoder().encode(self), as: UTF8.self) }
}

public struct LogsService: Sendable {
    let repository: LogsRepository
    let functions: (any FunctionInvoker)?
    let now: @Sendable () -> Date

    public init(repository: LogsRepository, functions: (any FunctionInvoker)?, now: @escaping @Sendable () -> Date = { Date() }) {
        self.repository = repository
        self.functions = functions
        self.now = now
    }

    var nowMillis: Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded(.down)) }

    typealias L = Logs
    static let retentionDays: Set<Int> = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]
    static let maxBatchBytes = 1_048_576
    static let maxEventBytes = 1_048_576 - 26

    static func invalid(_ m: String) -> AWSError { L.Errors.invalidParameterException(m) }
    static func groupMissing() -> AWSError { L.Errors.resourceNotFoundException("The specified log group does not exist.") }

    static func groupArn(_ c: RequestContext, _ name: String) -> String { "arn:\(c.partition.rawValue):logs:\(c.region):\(c.account):log-group:\(name)" }

    func group(_ name: String, _ c: RequestContext) async throws -> (StoredLogGroup, LogGroupDoc) {
        guard let g = try await repository.group(account: c.account, region: c.region, name: name) else { throw Self.groupMissing() }
        return (g, LogGroupDoc.decode(g.doc))
    }

    func save(_ doc: LogGroupDoc, _ name: String, _ c: RequestContext) async throws {
        guard try await repository.saveGroup(account: c.account, region: c.region, name: name, doc: try doc.encoded()) else { throw Self.groupMissing() }
    }

    /// A group named by `logGroupName` or `logGroupIdentifier` (a name or an ARN).
    static func groupName(_ name: String?, _ identifier: String?) throws(AWSError) -> String {
        // A ValidationException, not InvalidParameterException (recorded for DescribeLogStreams).
        if let name, identifier != nil { _ = name; throw L.Errors.validationException("LogGroup name and LogGroup ARN are mutually exclusive parameters.") }
        if let name { return name }
        guard let id = identifier else { throw invalid("Either the logGroupName or logGroupIdentifier parameter must be specified.") }
        if id.hasPrefix("arn:"), let r = id.range(of: ":log-group:") {
            var n = String(id[r.upperBound...])
            if n.hasSuffix(":*") { n.removeLast(2) }
            return n
        }
        return id
    }

    // MARK: groups

    func createLogGroup(_ input: L.CreateLogGroupRequest, context c: RequestContext) async throws -> EmptyShape {
        var doc = LogGroupDoc()
        doc.kmsKeyId = input.kmsKeyId
        doc.logGroupClass = input.logGroupClass?.rawValue
        doc.deletionProtection = input.deletionProtectionEnabled
        if let tags = input.tags {
            guard tags.count <= 50 else { throw Self.invalid("A log group can have up to 50 tags.") }
            doc.tags = tags
        }
        guard try await repository.createGroup(account: c.account, region: c.region, name: input.logGroupName, createdMillis: nowMillis,
                                               doc: try doc.encoded()) else {
            throw L.Errors.resourceAlreadyExistsException("The specified log group already exists")
        }
        return EmptyShape()
    }

    func deleteLogGroup(_ input: L.DeleteLogGroupRequest, context c: RequestContext) async throws -> EmptyShape {
        try await repository.db.withLock(Self.groupLock(c.account, c.region, input.logGroupName)) {
            let (_, doc) = try await group(input.logGroupName, c)
            if doc.deletionProtection == true {
                throw L.Errors.operationAbortedException("Deletion protection is enabled for the log group.")
            }
            guard try await repository.deleteGroup(account: c.account, region: c.region, name: input.logGroupName) else { throw Self.groupMissing() }
        }
        return EmptyShape()
    }

    func groupEntry(_ g: StoredLogGroup, _ c: RequestContext) -> L.LogGroup {
        let doc = LogGroupDoc.decode(g.doc)
        let arn = Self.groupArn(c, g.name)
        return L.LogGroup(logGroupName: g.name, creationTime: g.createdMillis, retentionInDays: doc.retentionDays,
                          metricFilterCount: doc.metricFilters.count, arn: arn + ":*", storedBytes: g.storedBytes, kmsKeyId: doc.kmsKeyId,
                          logGroupClass: L.LogGroupClass(rawValue: doc.logGroupClass ?? "STANDARD"), logGroupArn: arn,
                          deletionProtectionEnabled: doc.deletionProtection ?? false)
    }

    func describeLogGroups(_ input: L.DescribeLogGroupsRequest, context c: RequestContext) async throws -> L.DescribeLogGroupsResponse {
        if input.logGroupNamePrefix != nil && input.logGroupNamePattern != nil {
            throw Self.invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
        }
        var all = try await repository.listGroups(account: c.account, region: c.region, prefix: input.logGroupNamePrefix ?? "")
        if let pattern = input.logGroupNamePattern { all = all.filter { $0.name.range(of: pattern, options: .caseInsensitive) != nil } }
        if let cls = input.logGroupClass { all = all.filter { (LogGroupDoc.decode($0.doc).logGroupClass ?? "STANDARD") == cls.rawValue } }
        if let ids = input.logGroupIdentifiers {
            let names = Set(try ids.map { id throws(AWSError) in try Self.groupName(nil, id) })
            all = all.filter { names.contains($0.name) }
        }
        let (page, next) = try Self.page(all, limit: input.limit ?? 50, token: input.nextToken)
        return L.DescribeLogGroupsResponse(logGroups: page.map { groupEntry($0, c) }, nextToken: next)
    }

    static func page<T>(_ all: [T], limit: Int, token: String?) throws(AWSError) -> ([T], String?) {
        try OffsetPage.slice(all, limit: limit, token: token, invalid: invalid("The specified nextToken is invalid."))
    }

    func putRetentionPolicy(_ input: L.PutRetentionPolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        guard Self.retentionDays.contains(input.retentionInDays) else {
            throw Self.invalid("1 validation error detected: Value '\(input.retentionInDays)' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]")
        }
        try await changeGroup(input.logGroupName, c) { doc in doc.retentionDays = input.retentionInDays }
        return EmptyShape()
    }

    func deleteRetentionPolicy(_ input: L.DeleteRetentionPolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try await changeGroup(input.logGroupName, c) { doc in doc.retentionDays = nil }
        return EmptyShape()
    }

    // MARK: streams

    func createLogStream(_ input: L.CreateLogStreamRequest, context c: RequestContext) async throws -> EmptyShape {
        _ = try await group(input.logGroupName, c)
        guard !input.logStreamName.contains(":"), !input.logStreamName.contains("*") else {
            throw Self.invalid("Log stream names cannot contain ':' or '*'.")
        }
        guard try await repository.createStream(account: c.account, region: c.region, group: input.logGroupName, name: input.logStreamName,
                                                createdMillis: nowMillis) else {
            throw L.Errors.resourceAlreadyExistsException("The specified log stream already exists")
        }
        return EmptyShape()
    }

    func deleteLogStream(_ input: L.DeleteLogStreamRequest, context c: RequestContext) async throws -> EmptyShape {
        _ = try await group(input.logGroupName, c)
        guard try await repository.deleteStream(account: c.account, region: c.region, group: input.logGroupName, name: input.logStreamName) else {
            throw L.Errors.resourceNotFoundException("The specified log stream does not exist.")
        }
        return EmptyShape()
    }

    func describeLogStreams(_ input: L.DescribeLogStreamsRequest, context c: RequestContext) async throws -> L.DescribeLogStreamsResponse {
        let name = try Self.groupName(input.logGroupName, input.logGroupIdentifier)
        _ = try await group(name, c)
        let byTime = input.orderBy == .lastEventTime
        if byTime && input.logStreamNamePrefix != nil {
            throw Self.invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
        }
        var all = try await repository.streams(account: c.account, region: c.region, group: name, prefix: input.logStreamNamePrefix ?? "")
        if byTime { all.sort { ($0.lastMillis ?? 0, $0.name) < ($1.lastMillis ?? 0, $1.name) } }
        if input.descending == true { all.reverse() }
        let (page, next) = try Self.page(all, limit: input.limit ?? 50, token: input.nextToken)
        let groupArn = Self.groupArn(c, name)
        return L.DescribeLogStreamsResponse(logStreams: page.map { s in
            L.LogStream(logStreamName: s.name, creationTime: s.createdMillis, firstEventTimestamp: s.firstMillis, lastEventTimestamp: s.lastMillis,
                        lastIngestionTime: s.lastIngestMillis, arn: "\(groupArn):log-stream:\(s.name)", storedBytes: s.storedBytes)
        }, nextToken: next)
    }

    // MARK: events

    func putLogEvents(_ input: L.PutLogEventsRequest, context c: RequestContext) async throws -> L.PutLogEventsResponse {
        let events = input.logEvents
        guard (1...10_000).contains(events.count) else { throw Self.invalid("The batch must hold 1 to 10,000 log events.") }
        let size = events.reduce(0) { $0 + $1.message.utf8.count + 26 }
        guard size <= Self.maxBatchBytes else {
            throw Self.invalid("Upload too large: \(size) bytes exceeds limit of \(Self.maxBatchBytes)")
        }
        for e in events where e.message.utf8.count > Self.maxEventBytes { throw Self.invalid("Log event too large: \(e.message.utf8.count) bytes exceeds limit of \(Self.maxEventBytes)") }
        for (a, b) in zip(events, events.dropFirst()) where b.timestamp < a.timestamp {
            throw Self.invalid("Log events in a single PutLogEvents request must be in chronological order.")
        }
        let (_, doc) = try await group(input.logGroupName, c)
        let nowMs = nowMillis
        var oldest = nowMs - 14 * 86_400_000
        if let days = doc.retentionDays { oldest = max(oldest, nowMs - Int64(days) * 86_400_000) }
        let newest = nowMs + 2 * 3_600_000
        var accepted: [(timestamp: Int64, message: String)] = []
        var tooNew: Int?
        var tooOld: Int?
        var expired: Int?
        for (i, e) in events.enumerated() {
            if e.timestamp > newest { tooNew = tooNew ?? i; continue }
            // The end indexes are exclusive: one past the last rejected event.
            if e.timestamp < nowMs - 14 * 86_400_000 { tooOld = i + 1; continue }
            if e.timestamp < oldest { expired = i + 1; continue }
            accepted.append((e.timestamp, e.message))
        }
        if let first = accepted.first, let last = accepted.last, last.timestamp - first.timestamp > 86_400_000 {
            throw Self.invalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
        }
        guard try await ingest(account: c.account, region: c.region, group: input.logGroupName, doc: doc, stream: input.logStreamName,
                               events: accepted, createStream: false, cursor: nil) else {
            throw L.Errors.resourceNotFoundException("The specified log stream does not exist.")
        }
        let rejected = (tooNew ?? tooOld ?? expired) == nil ? nil
            : L.RejectedLogEventsInfo(tooNewLogEventStartIndex: tooNew, tooOldLogEventEndIndex: tooOld, expiredLogEventEndIndex: expired)
        return L.PutLogEventsResponse(nextSequenceToken: Self.sequenceToken(nowMs), rejectedLogEventsInfo: rejected)
    }

    /// Stores events with their metric filters' data points, then hands matching events to subscription filters.
    func ingest(account: String, region: String, group: String, doc: LogGroupDoc, stream: String, events: [(timestamp: Int64, message: String)],
                createStream: Bool, cursor: (String, Int64)?) async throws -> Bool {
        var datapoints: [MetricDatum] = []
        for f in doc.metricFilters {
            guard let pattern = try? LogFilterPattern(f.pattern) else { continue }
            for e in events {
                let extracted = pattern.match(e.message)
                for t in f.transformations {
                    var value: Double?
                    var dims: [String: String] = [:]
                    if let extracted {
                        value = pattern.value(t.value, message: e.message, extracted: extracted)
                        for (k, v) in t.dimensions ?? [:] { dims[k] = pattern.text(v, message: e.message, extracted: extracted) }
                        if dims.count != (t.dimensions ?? [:]).count { continue }
                    } else {
                        value = t.defaultValue
                    }
                    guard let v = value else { continue }
                    datapoints.append(MetricDatum(account: account, region: region, namespace: t.namespace, name: t.metricName,
                                                  dimensions: MetricKey.canonical(dims), timestampMillis: e.timestamp, unit: t.unit ?? "None",
                                                  sampleCount: 1, sum: v, min: v, max: v, distribution: true))
                }
            }
        }
        let ingested = nowMillis
        guard try await repository.append(account: account, region: region, group: group, stream: stream, events: events, ingestMillis: ingested,
                                          datapoints: datapoints, cursor: cursor, createStream: createStream) else { return false }
        for s in doc.subscriptions { await deliver(s, account: account, region: region, group: group, stream: stream, events: events) }
        return true
    }

    /// A subscription filter's matching events go to its function as CloudWatch Logs' `awslogs` event (gzip, base64).
    func deliver(_ s: SubscriptionDoc, account: String, region: String, group: String, stream: String, events: [(timestamp: Int64, message: String)]) async {
        guard let functions, let pattern = try? LogFilterPattern(s.pattern) else { return }
        let matching = events.enumerated().filter { pattern.match($0.element.message) != nil }
        guard !matching.isEmpty else { return }
        let records = matching.map { (i, e) -> JSONValue in
            .object([("id", .string(Self.eventId(e.timestamp, i))), ("timestamp", .int(e.timestamp)), ("message", .string(e.message))])
        }
        let body = JSONWriter.write(.object([
            ("messageType", .string("DATA_MESSAGE")), ("owner", .string(account)), ("logGroup", .string(group)), ("logStream", .string(stream)),
            ("subscriptionFilters", .array([.string(s.name)])), ("logEvents", .array(records)),
        ]))
        guard let zipped = try? Gzip.compress(body) else { return }
        let payload = JSONWriter.write(.object([("awslogs", .object([("data", .string(Data(zipped).base64EncodedString()))]))]))
        let partition = Partition(region: region).rawValue
        await ServiceLog.attempt("Logs subscription hand-off", ["function": "\(s.destinationArn)", "logGroup": "\(group)"]) {
            try await functions.invokeEvent(functionArn: s.destinationArn, payload: payload, service: "logs.amazonaws.com",
                                            sourceArn: "arn:\(partition):logs:\(region):\(account):log-group:\(group):*")
        }
    }

    /// CloudWatch Logs still answers PutLogEvents with a `nextSequenceToken` (recorded in 2026), though it ignores
    /// sequence tokens on the way in: a 56-digit number like AWS's, the ingestion time first, then random digits.
    static func sequenceToken(_ ms: Int64) -> String {
        let t = String(max(0, ms))
        var out = String(repeating: "0", count: max(0, 20 - t.count)) + t
        for _ in 0..<36 { out += String(Int.random(in: 0...9)) }
        return out
    }

    /// A 56-digit event id in the shape CloudWatch Logs uses (timestamp first, so ids sort by time).
    static func eventId(_ timestamp: Int64, _ seq: Int) -> String {
        let t = String(max(0, timestamp))
        let s = String(seq)
        return String(repeating: "0", count: max(0, 20 - t.count)) + t + String(repeating: "0", count: max(0, 36 - s.count)) + s
    }

    /// Stream positions in tokens: `f/<ts>/<seq>` and `b/<ts>/<seq>`.
    static func position(_ token: String) throws(AWSError) -> (forward: Bool, ts: Int64, seq: Int64) {
        let parts = token.split(separator: "/")
        guard parts.count == 3, parts[0] == "f" || parts[0] == "b", let ts = Int64(parts[1]), let seq = Int64(parts[2]) else {
            throw invalid("The specified nextToken is invalid.")
        }
        return (parts[0] == "f", ts, seq)
    }

    func getLogEvents(_ input: L.GetLogEventsRequest, context c: RequestContext) async throws -> L.GetLogEventsResponse {
        let name = try Self.groupName(input.logGroupName, input.logGroupIdentifier)
        _ = try await group(name, c)
        guard try await repository.streams(account: c.account, region: c.region, group: name, prefix: input.logStreamName)
            .contains(where: { $0.name == input.logStreamName }) else {
            throw L.Errors.resourceNotFoundException("The specified log stream does not exist.")
        }
        let limit = input.limit ?? 10_000
        guard (1...10_000).contains(limit) else { throw Self.invalid("limit must be between 1 and 10000.") }
        let start = input.startTime ?? 0
        let end = input.endTime ?? Int64.max
        var events: [StoredLogEvent]
        var edge: (Int64, Int64)
        if let token = input.nextToken {
            let p = try Self.position(token)
            edge = (p.ts, p.seq)
            events = try await repository.streamEvents(account: c.account, region: c.region, group: name, stream: input.logStreamName,
                                                       startMillis: start, endMillis: end, after: p.forward ? (p.ts, p.seq) : nil,
                                                       before: p.forward ? nil : (p.ts, p.seq), forward: p.forward, limit: limit)
            if !p.forward { events.reverse() }
        } else if input.startFromHead == true {
            edge = (start, -1)
            events = try await repository.streamEvents(account: c.account, region: c.region, group: name, stream: input.logStreamName,
                                                       startMillis: start, endMillis: end, after: nil, before: nil, forward: true, limit: limit)
        } else {
            edge = (end, Int64.max)
            events = try await repository.streamEvents(account: c.account, region: c.region, group: name, stream: input.logStreamName,
                                                       startMillis: start, endMillis: end, after: nil, before: nil, forward: false, limit: limit)
            events.reverse()
        }
        let first = events.first.map { ($0.timestampMillis, $0.seq) } ?? edge
        let last = events.last.map { ($0.timestampMillis, $0.seq) } ?? edge
        return L.GetLogEventsResponse(
            events: events.map { L.OutputLogEvent(timestamp: $0.timestampMillis, message: $0.message, ingestionTime: $0.ingestMillis) },
            nextForwardToken: "f/\(last.0)/\(last.1)", nextBackwardToken: "b/\(first.0)/\(first.1)")
    }

    func filterLogEvents(_ input: L.FilterLogEventsRequest, context c: RequestContext) async throws -> L.FilterLogEventsResponse {
        let name = try Self.groupName(input.logGroupName, input.logGroupIdentifier)
        if input.logStreamNames != nil && input.logStreamNamePrefix != nil {
            throw Self.invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
        }
        _ = try await group(name, c)
        let pattern = try LogFilterPattern(input.filterPattern ?? "")
        let limit = input.limit ?? 10_000
        guard (1...10_000).contains(limit) else { throw Self.invalid("limit must be between 1 and 10000.") }
        var after: (Int64, Int64)?
        if let token = input.nextToken {
            let p = try Self.position(token)
            after = (p.ts, p.seq)
        }
        let names = input.logStreamNames.map(Set.init)
        let prefix = input.logStreamNamePrefix
        var out: [L.FilteredLogEvent] = []
        var bytes = 0
        var scanned = 0
        var position = after
        var exhausted = false
        // Scans in pages; stops at the limit, 1 MB of results or 100,000 events scanned (then a token carries on).
        while out.count < limit && bytes < 1_048_576 && scanned < 100_000 {
            let page = try await repository.groupEvents(account: c.account, region: c.region, group: name, startMillis: input.startTime ?? 0,
                                                        endMillis: input.endTime.map { $0 + 1 } ?? Int64.max, after: position, limit: 1000)
            if page.isEmpty { exhausted = true; break }
            for e in page {
                scanned += 1
                position = (e.timestampMillis, e.seq)
                if let names, !names.contains(e.stream) { continue }
                if let prefix, !e.stream.hasPrefix(prefix) { continue }
                guard pattern.match(e.message) != nil else { continue }
                out.append(L.FilteredLogEvent(logStreamName: e.stream, timestamp: e.timestampMillis, message: e.message,
                                              ingestionTime: e.ingestMillis, eventId: Self.eventId(e.timestampMillis, Int(e.seq))))
                bytes += e.message.utf8.count
                if out.count >= limit || bytes >= 1_048_576 { break }
            }
            if page.count < 1000 && out.count < limit && bytes < 1_048_576 { exhausted = true; break }
        }
        let next = exhausted ? nil : position.map { "f/\($0.0)/\($0.1)" }
        return L.FilterLogEventsResponse(events: out, searchedLogStreams: [], nextToken: next)
    }

    // MARK: metric filters

    static func checkFilterName(_ n: String) throws(AWSError) {
        guard !n.contains(":"), !n.contains("*") else { throw invalid("Filter names cannot contain ':' or '*'.") }
    }

    func putMetricFilter(_ input: L.PutMetricFilterRequest, context c: RequestContext) async throws -> EmptyShape {
        try Self.checkFilterName(input.filterName)
        _ = try LogFilterPattern(input.filterPattern)
        guard input.metricTransformations.count == 1 else { throw Self.invalid("A metric filter has exactly one metric transformation.") }
        for t in input.metricTransformations {
            let v = t.metricValue
            guard Double(v) != nil || v.hasPrefix("$") else { throw Self.invalid("Invalid metric value: \(v)") }
            if t.defaultValue != nil && !(t.dimensions ?? [:]).isEmpty {
                throw Self.invalid("You cannot specify a default value for a metric with dimensions.")
            }
            guard (t.dimensions ?? [:]).count <= 3 else { throw Self.invalid("A metric transformation can have up to 3 dimensions.") }
        }
        let transformations = input.metricTransformations.map {
            TransformationDoc(metricName: $0.metricName, namespace: $0.metricNamespace, value: $0.metricValue, defaultValue: $0.defaultValue,
                              dimensions: $0.dimensions, unit: $0.unit?.rawValue)
        }
        let f = MetricFilterDoc(name: input.filterName, pattern: input.filterPattern, transformations: transformations, createdMillis: nowMillis)
        try await changeGroup(input.logGroupName, c) { doc in
            if let i = doc.metricFilters.firstIndex(where: { $0.name == input.filterName }) {
                doc.metricFilters[i] = f
            } else {
                guard doc.metricFilters.count < 100 else { throw L.Errors.limitExceededException("Resource limit exceeded.") }
                doc.metricFilters.append(f)
            }
        }
        return EmptyShape()
    }

    func describeMetricFilters(_ input: L.DescribeMetricFiltersRequest, context c: RequestContext) async throws -> L.DescribeMetricFiltersResponse {
        if input.filterNamePrefix != nil && input.logGroupName == nil {
            throw Self.invalid("logGroupName is required when filterNamePrefix is given.")
        }
        if (input.metricName == nil) != (input.metricNamespace == nil) {
            throw Self.invalid("metricName and metricNamespace must be given together.")
        }
        var groups: [StoredLogGroup]
        if let g = input.logGroupName {
            groups = [try await group(g, c).0]
        } else {
            groups = try await repository.listGroups(account: c.account, region: c.region, prefix: "")
        }
        var all: [L.MetricFilter] = []
        for g in groups {
            for f in LogGroupDoc.decode(g.doc).metricFilters {
                if let p = input.filterNamePrefix, !f.name.hasPrefix(p) { continue }
                if let m = input.metricName, !f.transformations.contains(where: { $0.metricName == m && $0.namespace == input.metricNamespace }) { continue }
                all.append(L.MetricFilter(filterName: f.name, filterPattern: f.pattern, metricTransformations: f.transformations.map {
                    L.MetricTransformation(metricName: $0.metricName, metricNamespace: $0.namespace, metricValue: $0.value,
                                           defaultValue: $0.defaultValue, dimensions: $0.dimensions, unit: $0.unit.flatMap { L.StandardUnit(rawValue: $0) })
                // Log transformers are not served, so no filter applies to transformed events (AWS lists the flag).
                }, creationTime: f.createdMillis, logGroupName: g.name, applyOnTransformedLogs: false))
            }
        }
        all.sort { ($0.logGroupName ?? "", $0.filterName ?? "") < ($1.logGroupName ?? "", $1.filterName ?? "") }
        let (page, next) = try Self.page(all, limit: input.limit ?? 50, token: input.nextToken)
        return L.DescribeMetricFiltersResponse(metricFilters: page, nextToken: next)
    }

    func deleteMetricFilter(_ input: L.DeleteMetricFilterRequest, context c: RequestContext) async throws -> EmptyShape {
        try await changeGroup(input.logGroupName, c) { doc in
            guard let i = doc.metricFilters.firstIndex(where: { $0.name == input.filterName }) else {
                throw L.Errors.resourceNotFoundException("The specified metric filter does not exist.")
            }
            doc.metricFilters.remove(at: i)
        }
        return EmptyShape()
    }

    func testMetricFilter(_ input: L.TestMetricFilterRequest, context c: RequestContext) async throws -> L.TestMetricFilterResponse {
        let pattern = try LogFilterPattern(input.filterPattern)
        guard (1...50).contains(input.logEventMessages.count) else { throw Self.invalid("logEventMessages must hold 1 to 50 messages.") }
        var matches: [L.MetricFilterMatchRecord] = []
        for (i, m) in input.logEventMessages.enumerated() {
            if let extracted = pattern.match(m) {
                matches.append(L.MetricFilterMatchRecord(eventNumber: Int64(i + 1), eventMessage: m, extractedValues: extracted))
            }
        }
        return L.TestMetricFilterResponse(matches: matches)
    }

    // MARK: subscription filters

    func putSubscriptionFilter(_ input: L.PutSubscriptionFilterRequest, context c: RequestContext) async throws -> EmptyShape {
        try Self.checkFilterName(input.filterName)
        _ = try LogFilterPattern(input.filterPattern)
        guard let arn = ARN(input.destinationArn), arn.service == "lambda" else {
            throw Self.invalid("Warden delivers subscription filters to functions (a Lambda function ARN).")
        }
        guard functions != nil else { throw Self.invalid("Functions are not available.") }
        let s = SubscriptionDoc(name: input.filterName, pattern: input.filterPattern, destinationArn: input.destinationArn, roleArn: input.roleArn,
                                distribution: input.distribution?.rawValue, createdMillis: nowMillis)
        try await changeGroup(input.logGroupName, c) { doc in
            if let i = doc.subscriptions.firstIndex(where: { $0.name == input.filterName }) {
                doc.subscriptions[i] = s
            } else {
                guard doc.subscriptions.count < 2 else { throw L.Errors.limitExceededException("Resource limit exceeded.") }
                doc.subscriptions.append(s)
            }
        }
        return EmptyShape()
    }

    func describeSubscriptionFilters(_ input: L.DescribeSubscriptionFiltersRequest, context c: RequestContext) async throws -> L.DescribeSubscriptionFiltersResponse {
        let (_, doc) = try await group(input.logGroupName, c)
        let all = doc.subscriptions.filter { input.filterNamePrefix == nil || $0.name.hasPrefix(input.filterNamePrefix ?? "") }.map {
            L.SubscriptionFilter(filterName: $0.name, logGroupName: input.logGroupName, filterPattern: $0.pattern, destinationArn: $0.destinationArn,
                                 // AWS lists the default distribution, ByLogStream, and the transformed-logs flag (recorded).
                                 roleArn: $0.roleArn, distribution: L.Distribution(rawValue: $0.distribution ?? "ByLogStream"),
                                 applyOnTransformedLogs: false, creationTime: $0.createdMillis)
        }
        let (page, next) = try Self.page(all, limit: input.limit ?? 50, token: input.nextToken)
        return L.DescribeSubscriptionFiltersResponse(subscriptionFilters: page, nextToken: next)
    }

    func deleteSubscriptionFilter(_ input: L.DeleteSubscriptionFilterRequest, context c: RequestContext) async throws -> EmptyShape {
        try await changeGroup(input.logGroupName, c) { doc in
            guard let i = doc.subscriptions.firstIndex(where: { $0.name == input.filterName }) else {
                throw L.Errors.resourceNotFoundException("The specified subscription filter does not exist.")
            }
            doc.subscriptions.remove(at: i)
        }
        return EmptyShape()
    }

    // MARK: tags

    func retag(_ name: String, _ c: RequestContext, add: [String: String] = [:], remove: [String] = []) async throws {
        try await changeGroup(name, c) { doc in
            for k in remove { doc.tags[k] = nil }
            doc.tags.merge(add) { $1 }
            guard doc.tags.count <= 50 else { throw L.Errors.tooManyTagsException("A resource can have up to 50 tags.") }
        }
    }

    static func groupOfArn(_ arn: String) throws(AWSError) -> String {
        guard arn.hasPrefix("arn:"), arn.contains(":log-group:") else { throw invalid("Invalid resource ARN: \(arn)") }
        return try groupName(nil, arn)
    }

    func tagResource(_ input: L.TagResourceRequest, context c: RequestContext) async throws -> EmptyShape {
        try await retag(try Self.groupOfArn(input.resourceArn), c, add: input.tags)
        return EmptyShape()
    }

    func untagResource(_ input: L.UntagResourceRequest, context c: RequestContext) async throws -> EmptyShape {
        try await retag(try Self.groupOfArn(input.resourceArn), c, remove: input.tagKeys)
        return EmptyShape()
    }

    func listTagsForResource(_ input: L.ListTagsForResourceRequest, context c: RequestContext) async throws -> L.ListTagsForResourceResponse {
        L.ListTagsForResourceResponse(tags: try await group(try Self.groupOfArn(input.resourceArn), c).1.tags)
    }

    func tagLogGroup(_ input: L.TagLogGroupRequest, context c: RequestContext) async throws -> EmptyShape {
        try await retag(input.logGroupName, c, add: input.tags)
        return EmptyShape()
    }

    func untagLogGroup(_ input: L.UntagLogGroupRequest, context c: RequestContext) async throws -> EmptyShape {
        try await retag(input.logGroupName, c, remove: input.tags)
        return EmptyShape()
    }

    func listTagsLogGroup(_ input: L.ListTagsLogGroupRequest, context c: RequestContext) async throws -> L.ListTagsLogGroupResponse {
        L.ListTagsLogGroupResponse(tags: try await group(input.logGroupName, c).1.tags)
    }

    // MARK: background

    /// Retention: deletes events older than each group's retention period; returns how many.
    public func enforceRetention() async throws -> Int {
        var n = 0
        for g in try await repository.allGroups() {
            guard let days = LogGroupDoc.decode(g.doc).retentionDays else { continue }
            n += try await repository.deleteEvents(account: g.account, region: g.region, group: g.name,
                                                   olderThanMillis: nowMillis - Int64(days) * 86_400_000)
        }
        return n
    }
}

extension LogsService: LogSink {
    public func groupExists(account: String, region: String, group: String) async throws -> Bool {
        try await repository.group(account: account, region: region, name: group) != nil
    }

    public func cursor(_ name: String) async throws -> Int64? { try await repository.cursor(name) }

    public func write(account: String, region: String, group: String, stream: String, events: [(timestamp: Int64, message: String)],
                      createGroup: Bool, cursor: (String, Int64)?) async throws {
        var found = try await repository.group(account: account, region: region, name: group)
        if found == nil && createGroup {
            _ = try await repository.createGroup(account: account, region: region, name: group, createdMillis: nowMillis, doc: try LogGroupDoc().encoded())
            found = try await repository.group(account: account, region: region, name: group)
        }
        guard let g = found else { throw Self.groupMissing() }
        _ = try await ingest(account: account, region: region, group: group, doc: LogGroupDoc.decode(g.doc), stream: stream, events: events,
                             createStream: true, cursor: cursor)
    }
}

/// Writes log events off the caller's path: callers hand lines over and return; one task at a time (on the node's
/// BackgroundTasks) drains what has gathered over 100 ms, a write per stream, so many invocations cost a few writes
/// rather than one each. Lines handed over in the moments before a crash can be lost (the work they describe is not),
/// and so can lines handed over once the node is shutting down (logged with their count).
public final class LogShipper: Sendable {
    struct Key: Hashable { var account, region, group, stream: String }
    struct State {
        var pending: [Key: [(timestamp: Int64, message: String)]] = [:]
        var draining = false
    }
    let sink: any LogSink
    let background: BackgroundTasks
    let state = Mutex(State())

    public init(sink: any LogSink, background: BackgroundTasks) {
        self.sink = sink
        self.background = background
    }

    public func ship(account: String, region: String, group: String, stream: String, events: [(timestamp: Int64, message: String)]) {
        let start = state.withLock { s -> Bool in
            s.pending[Key(account: account, region: region, group: group, stream: stream), default: []] += events
            defer { s.draining = true }
            return !s.draining
        }
        guard start, !background.submit("log-shipper", { await self.drain() }) else { return }
        // Refused: the node is shutting down (after its last drain ended). Nothing will write these lines.
        let lost = state.withLock { s -> Int in
            defer {
                s.pending = [:]
                s.draining = false
            }
            return s.pending.values.reduce(0) { $0 + $1.count }
        }
        background.logger.warning("function log lines handed over during shutdown were dropped", metadata: ["lines": "\(lost)"])
    }

    func drain() async {
        while true {
            // Let lines gather for a moment: sequential invocations then share a write too. (A cancelled sleep only
            // shortens the wait.)
            try? await Task.sleep(for: .milliseconds(100))
            let batch = state.withLock { s -> [Key: [(timestamp: Int64, message: String)]] in
                defer { s.pending = [:] }
                if s.pending.isEmpty { s.draining = false }
                return s.pending
            }
            if batch.isEmpty { return }
            for (k, events) in batch {
                do {
                    try await sink.write(account: k.account, region: k.region, group: k.group, stream: k.stream, events: events,
                                         createGroup: true, cursor: nil)
                } catch {
                    background.logger.error("function log lines could not be written", metadata: [
                        "logGroup": "\(k.group)", "logStream": "\(k.stream)", "lines": "\(events.count)", "error": "\(error)"])
                }
            }
        }
    }
}
