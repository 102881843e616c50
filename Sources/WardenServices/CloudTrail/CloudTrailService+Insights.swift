// CloudTrail Insights: PutInsightSelectors / GetInsightSelectors on trails, and a detector that keeps a per-API
// baseline of management calls (and errors) per minute and raises Insights events — a start when a minute leaves the
// baseline, an end when a minute returns to it — to LookupEvents (EventCategory=insight), the trails that select them
// (their CloudTrail-Insight prefix) and EventBridge's default bus.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension CloudTrailService {
    static let insightTypes: Set<String> = ["ApiCallRateInsight", "ApiErrorRateInsight"]
    /// Minutes of history a baseline averages over.
    static let baselineMinutes: Int64 = 30
    /// A minute needs at least this many calls (or errors) to be unusual.
    static let insightFloor: Double = 10

    func putInsightSelectors(_ input: CloudTrail.PutInsightSelectorsRequest, context c: RequestContext) async throws -> CloudTrail.PutInsightSelectorsResponse {
        guard input.eventDataStore == nil, input.insightsDestination == nil else {
            throw CloudTrail.Errors.invalidParameterCombinationException("Warden keeps Insights on trails; event data stores are not served.")
        }
        guard let name = input.trailName else { throw CloudTrail.Errors.invalidParameterCombinationException("TrailName is required.") }
        var types: [String] = []
        for s in input.insightSelectors {
            guard let t = s.insightType?.rawValue, Self.insightTypes.contains(t), !types.contains(t) else {
                throw CloudTrail.Errors.invalidInsightSelectorsException("Insight selectors take ApiCallRateInsight and ApiErrorRateInsight, each once.")
            }
            types.append(t)
        }
        let record = try await locks.withLock(Self.trailsLock) {
            var t = try await findTrail(name, c, forChange: true)
            if !types.isEmpty {
                let selectors = t.effectiveBasicSelectors
                guard selectors.contains(where: { $0.includeManagementEvents && $0.readWriteType != "ReadOnly" }) || t.advancedEventSelectors != nil else {
                    throw CloudTrail.Errors.invalidInsightSelectorsException("Insights need a trail that logs management write events.")
                }
            }
            t.insightTypes = types.isEmpty ? nil : types
            try await save(t)
            return t
        }
        return CloudTrail.PutInsightSelectorsResponse(trailARN: record.arn,
                                                      insightSelectors: types.map { CloudTrail.InsightSelector(insightType: CloudTrail.InsightType(rawValue: $0)) })
    }

    func getInsightSelectors(_ input: CloudTrail.GetInsightSelectorsRequest, context c: RequestContext) async throws -> CloudTrail.GetInsightSelectorsResponse {
        guard let name = input.trailName else { throw CloudTrail.Errors.invalidParameterCombinationException("TrailName is required.") }
        let t = try await findTrail(name, c, forChange: false)
        guard let types = t.insightTypes, !types.isEmpty else {
            throw CloudTrail.Errors.insightNotEnabledException("Trail \(t.name) does not have Insights enabled.")
        }
        return CloudTrail.GetInsightSelectorsResponse(trailARN: t.arn,
                                                      insightSelectors: types.map { CloudTrail.InsightSelector(insightType: CloudTrail.InsightType(rawValue: $0)) })
    }

    /// LookupEvents for EventCategory=insight.
    func lookupInsights(_ input: CloudTrail.LookupEventsRequest, _ c: RequestContext, start: Date, end: Date, limit: Int) async throws -> CloudTrail.LookupEventsResponse {
        guard let insights else { return CloudTrail.LookupEventsResponse(events: [], nextToken: nil) }
        let attribute = input.lookupAttributes?.first
        if let a = attribute, ![CloudTrail.LookupAttributeKey.eventName, .eventSource, .eventId].contains(a.attributeKey) {
            throw CloudTrail.Errors.invalidLookupAttributesException("Insights events can be looked up by EventName, EventSource or EventId.")
        }
        let filter = Self.filterFingerprint(attribute, start: input.startTime, end: input.endTime) + "i"
        let before = try input.nextToken.map { t throws(AWSError) in try Self.decodeToken(t, filter: filter) }
        var out: [(StoredInsight, CloudTrail.Event)] = []
        var position = before
        scan: while out.count <= limit {
            let rows = try await insights.list(account: c.account, region: c.region, startMillis: Self.millis(start), endMillis: Self.millis(end),
                                               before: position, limit: 200)
            if rows.isEmpty { break }
            for r in rows {
                position = (r.timeMillis, r.seq)
                guard let doc = try? JSONParser.parse(Array(r.record.utf8)) else { continue }
                let source = doc["insightDetails"]?["eventSource"]?.stringValue
                if let a = attribute {
                    let ok: Bool
                    switch a.attributeKey {
                    case .eventName: ok = r.eventName == a.attributeValue
                    case .eventSource: ok = source == a.attributeValue
                    default: ok = r.eventId == a.attributeValue
                    }
                    if !ok { continue }
                }
                out.append((r, CloudTrail.Event(eventId: r.eventId, eventName: r.eventName, eventTime: Date(timeIntervalSince1970: Double(r.timeMillis) / 1000),
                                                eventSource: source, cloudTrailEvent: r.record)))
                if out.count > limit { break scan }
            }
            if rows.count < 200 { break }
        }
        let page = Array(out.prefix(limit))
        let next = out.count > limit ? page.last.map { Self.encodeToken(timeMillis: $0.0.timeMillis, seq: $0.0.seq, filter: filter) } : nil
        return CloudTrail.LookupEventsResponse(events: page.map(\.1), nextToken: next)
    }

    /// An open insight: its start event's shared id, start minute, baseline average and threshold.
    struct OpenInsight {
        var sharedId: String
        var startMinute: Int64
        var baseline: Double
        var threshold: Double
        var errorCode: String?
    }

    func openInsight(account: String, region: String, api: String, type: String) async throws -> OpenInsight? {
        guard let insights else { return nil }
        for text in try await insights.latest(account: account, region: region, eventName: api) {
            guard let doc = try? JSONParser.parse(Array(text.utf8)), let d = doc["insightDetails"], d["insightType"]?.stringValue == type else { continue }
            guard d["state"]?.stringValue == "Start", let shared = doc["sharedEventID"]?.stringValue,
                  case .object? = d["warden"], let start = d["warden"]?["startMinute"].flatMap({ v -> Int64? in
                      if case .number(let n) = v { return Int64(n) }; return nil }) else { return nil }
            func number(_ k: String) -> Double? { if case .number(let n)? = d["warden"]?[k] { return Double(n) }; return nil }
            return OpenInsight(sharedId: shared, startMinute: start, baseline: number("baseline") ?? 0, threshold: number("threshold") ?? 0,
                               errorCode: d["errorCode"]?.stringValue)
        }
        return nil
    }

    /// One pass of the detector over the minutes completed since the last pass; returns the Insights events raised.
    public func runInsights() async throws -> Int {
        guard let insights else { return 0 }
        var enabled: [String: (regions: Set<String>?, types: Set<String>)] = [:]  // account → regions (nil: all) and types
        var trailsByAccount: [String: [TrailRecord]] = [:]
        for row in try await trails.allTrails() {
            let t = try TrailRecord.decode(row.doc)
            guard t.isLogging, let types = t.insightTypes, !types.isEmpty else { continue }
            var e = enabled[t.account] ?? (regions: Set<String>(), types: Set<String>())
            e.regions = t.isMultiRegionTrail || e.regions == nil ? nil : e.regions?.union([t.homeRegion])
            e.types.formUnion(types)
            enabled[t.account] = e
            trailsByAccount[t.account, default: []].append(t)
        }
        let current = Self.millis(now()) / 60_000
        // Without a cursor (the detector's first pass, which may come after a trail enabled Insights: the job waits
        // for its lease) the detector starts at the current minute, and must record that: deriving "the minute before
        // now" again on every pass would never let a minute complete.
        guard !enabled.isEmpty, let last = try await insights.cursor("insights-minute") else {
            try await insights.setCursor("insights-minute", current - 1)
            return 0
        }
        let first = max(last + 1, current - 30)
        guard first < current else { return 0 }
        var counts: [MinuteCount] = []
        for account in enabled.keys.sorted() {
            counts += try await insights.minuteCounts(account: account, startMillis: (first - Self.baselineMinutes) * 60_000, endMillis: current * 60_000)
        }
        struct Key: Hashable { var account, region, source, name: String }
        var writes: [Key: [Int64: Double]] = [:]    // write calls per minute (ApiCallRateInsight)
        var totals: [Key: [Int64: Double]] = [:]    // all calls per minute
        var errors: [Key: [Int64: Double]] = [:]    // failed calls per minute (ApiErrorRateInsight: errors / calls)
        var errorCodes: [Key: [Int64: [String: Int64]]] = [:]
        for m in counts {
            guard let e = enabled[m.account], e.regions?.contains(m.region) ?? true else { continue }
            let k = Key(account: m.account, region: m.region, source: m.eventSource, name: m.eventName)
            if !m.readOnly { writes[k, default: [:]][m.minute, default: 0] += Double(m.count) }
            totals[k, default: [:]][m.minute, default: 0] += Double(m.count)
            if let code = m.errorCode {
                errors[k, default: [:]][m.minute, default: 0] += Double(m.count)
                errorCodes[k, default: [:]][m.minute, default: [:]][code, default: 0] += m.count
            }
        }
        /// The measure an insight type watches, and the count that must reach the floor for a minute to be unusual.
        func measure(_ type: String, _ k: Key, _ minute: Int64) -> (value: Double, count: Double) {
            if type == "ApiCallRateInsight" {
                let n = writes[k]?[minute] ?? 0
                return (n, n)
            }
            let failed = errors[k]?[minute] ?? 0
            let all = totals[k]?[minute] ?? 0
            return (all > 0 ? failed / all : 0, failed)
        }
        var raised = 0
        for minute in first..<current {
            for (type, keys) in [("ApiCallRateInsight", Array(writes.keys)), ("ApiErrorRateInsight", Array(totals.keys))] {
                for k in keys {
                    guard enabled[k.account]?.types.contains(type) == true else { continue }
                    let (value, count) = measure(type, k, minute)
                    let window = ((minute - Self.baselineMinutes)..<minute).map { measure(type, k, $0).value }
                    let mean = window.reduce(0, +) / Double(window.count)
                    let sd = (window.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(window.count)).squareRoot()
                    if let open = try await openInsight(account: k.account, region: k.region, api: k.name, type: type) {
                        guard value <= open.threshold || count < Self.insightFloor else { continue }
                        let during = (open.startMinute..<minute).map { measure(type, k, $0).value }
                        try await raise(state: "End", type: type, key: (k.account, k.region, k.source, k.name), minute: minute, sharedId: open.sharedId,
                                        baseline: open.baseline, insight: during.reduce(0, +) / Double(max(1, during.count)),
                                        duration: minute - open.startMinute, threshold: open.threshold, errorCode: open.errorCode,
                                        trails: trailsByAccount[k.account] ?? [])
                        raised += 1
                    } else {
                        // Counts need one call more than three deviations; rates a tenth more.
                        let threshold = mean + 3 * sd + (type == "ApiCallRateInsight" ? 1 : 0.1)
                        guard count >= Self.insightFloor, value > threshold else { continue }
                        let code = errorCodes[k]?[minute]?.max { $0.value < $1.value }?.key
                        try await raise(state: "Start", type: type, key: (k.account, k.region, k.source, k.name), minute: minute,
                                        sharedId: UUID().uuidString.lowercased(), baseline: mean, insight: value, duration: nil,
                                        threshold: threshold, errorCode: type == "ApiErrorRateInsight" ? code : nil,
                                        trails: trailsByAccount[k.account] ?? [])
                        raised += 1
                    }
                }
            }
            try await insights.setCursor("insights-minute", minute)
        }
        return raised
    }

    /// Records an Insights event and hands it to EventBridge and the trails that select Insights.
    func raise(state: String, type: String, key: (account: String, region: String, source: String, name: String), minute: Int64, sharedId: String,
               baseline: Double, insight: Double, duration: Int64?, threshold: Double, errorCode: String?, trails: [TrailRecord]) async throws {
        guard let insights else { return }
        let at = minute * 60_000
        let time = Timestamps.iso8601(Date(timeIntervalSince1970: Double(at) / 1000), fractional: false)
        var statistics: [(String, JSONValue)] = [("baseline", .object([("average", .double(baseline))])), ("insight", .object([("average", .double(insight))]))]
        if let duration {
            statistics.append(("insightDuration", .int(duration)))
            statistics.append(("baselineDuration", .int(Self.baselineMinutes)))
        }
        var details: [(String, JSONValue)] = [("state", .string(state)), ("eventSource", .string(key.source)), ("eventName", .string(key.name)),
                                              ("insightType", .string(type))]
        if let errorCode { details.append(("errorCode", .string(errorCode))) }
        details.append(("insightContext", .object([("statistics", .object(statistics))])))
        if state == "Start" {
            // Warden's own bookkeeping for the end of the insight (not part of CloudTrail's record shape).
            details.append(("warden", .object([("startMinute", .int(minute)), ("baseline", .double(baseline)), ("threshold", .double(threshold))])))
        }
        let eventId = UUID().uuidString.lowercased()
        var record: JSONValue = .object([
            ("eventVersion", .string("1.08")), ("eventTime", .string(time)), ("awsRegion", .string(key.region)), ("eventID", .string(eventId)),
            ("eventType", .string("AwsCloudTrailInsight")), ("recipientAccountId", .string(key.account)), ("sharedEventID", .string(sharedId)),
            ("insightDetails", .object(details)), ("eventCategory", .string("Insight")),
        ])
        let stored = String(decoding: JSONWriter.write(record), as: UTF8.self)
        // What leaves Warden has no bookkeeping.
        if case .object(var members) = record, let i = members.firstIndex(where: { $0.0 == "insightDetails" }),
           case .object(let d) = members[i].1 {
            members[i].1 = .object(d.filter { $0.0 != "warden" })
            record = .object(members)
        }
        let service = key.source.split(separator: ".").first.map(String.init) ?? key.source
        let busEvent: JSONValue = .object([
            ("version", .string("0")), ("id", .string(UUID().uuidString.lowercased())), ("detail-type", .string("AWS Insight via CloudTrail")),
            ("source", .string("aws.\(service)")), ("account", .string(key.account)), ("time", .string(time)), ("region", .string(key.region)),
            ("resources", .array([])), ("detail", record),
        ])
        try await insights.add(account: key.account, region: key.region, eventId: eventId, timeMillis: at, eventName: key.name, record: stored,
                               pendingEvent: String(decoding: JSONWriter.write(busEvent), as: UTF8.self), nowMillis: Self.millis(now()))
        let body = Array(#"{"Records":["#.utf8) + JSONWriter.write(record) + Array("]}".utf8)
        for t in trails where t.isMultiRegionTrail || t.homeRegion == key.region {
            let (y, mo, d, h, mi, _) = Self.utc(at)
            let objectKey = "\(Self.base(t))AWSLogs/\(t.account)/CloudTrail-Insight/\(key.region)/\(y)/\(mo)/\(d)/"
                + "\(t.account)_CloudTrail-Insight_\(key.region)_\(y)\(mo)\(d)T\(h)\(mi)Z_\(eventId.prefix(16)).json.gz"
            await ServiceLog.attempt("Insights file delivery", ["trail": "\(t.name)", "bucket": "\(t.s3BucketName)"]) {
                try await destination(for: t.s3BucketName).put(bucket: t.s3BucketName, key: objectKey, body: try Gzip.compress(body), metadata: [],
                                                               kmsKeyArn: t.kmsKeyId, account: t.account)
            }
        }
    }
}
