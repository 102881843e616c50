// CloudWatch metric alarms with static thresholds: PutMetricAlarm, DescribeAlarms(ForMetric), DescribeAlarmHistory,
// SetAlarmState, DeleteAlarms, Enable/DisableAlarmActions, tags, and the evaluator that moves alarms between OK, ALARM
// and INSUFFICIENT_DATA and publishes AWS's alarm notification to the state's SNS actions.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

struct AlarmDoc: Codable, Sendable {
    var name: String
    var description: String?
    var actionsEnabled: Bool
    var okActions: [String]
    var alarmActions: [String]
    var insufficientDataActions: [String]
    var metricName: String
    var namespace: String
    var statistic: String?
    var extendedStatistic: String?
    var dimensions: [String: String]
    var period: Int
    var unit: String?
    var evaluationPeriods: Int
    var datapointsToAlarm: Int?
    var threshold: Double
    var comparison: String
    var treatMissingData: String?
    var evaluateLowSampleCountPercentile: String?
    var state: String
    var stateReason: String
    var stateReasonData: String?
    var stateUpdatedMillis: Int64
    var stateTransitionedMillis: Int64
    var configUpdatedMillis: Int64
    var tags: [String: String]

    var stat: String { statistic ?? extendedStatistic ?? "Average" }
    static func decode(_ text: String) -> AlarmDoc? { try? JSONDecoder().decode(AlarmDoc.self, from: Data(text.utf8)) }
    func encoded() throws -> String { String(decoding: try JSONEncoder().encode(self), as: UTF8.self) }
}

extension CloudWatchService {
    static func alarmArn(account: String, region: String, _ name: String) -> String {
        "arn:\(Partition(region: region).rawValue):cloudwatch:\(region):\(account):alarm:\(name)"
    }

    static let operators: Set<String> = ["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"]
    static let missingModes: Set<String> = ["breaching", "notBreaching", "ignore", "missing"]

    static func validation(_ m: String) -> AWSError { AWSError(code: "ValidationError", status: 400, message: m) }

    /// The lock every change of one alarm takes (configuration, actions, state, tags, the evaluator's transitions).
    static func alarmLock(_ account: String, _ region: String, _ name: String) -> String { "cloudwatch:\(account)/\(region)/alarm/\(name)" }

    func putMetricAlarm(_ input: CW.PutMetricAlarmInput, context c: RequestContext) async throws -> EmptyShape {
        if input.metrics != nil || input.thresholdMetricId != nil || input.evaluationCriteria != nil {
            throw Self.validation("Metric math, anomaly detection and PromQL alarms are not served by Warden; use a single metric with a static threshold.")
        }
        guard let metricName = input.metricName, let namespace = input.namespace else {
            throw Self.validation("MetricName and Namespace must be specified for an alarm on a single metric.")
        }
        guard let period = input.period else { throw Self.validation("Period must be specified.") }
        guard [10, 30].contains(period) || (period >= 60 && period % 60 == 0) else {
            throw Self.validation("Period must be 10, 30 or a multiple of 60.")
        }
        guard (input.statistic == nil) != (input.extendedStatistic == nil) else {
            throw Self.combination("Exactly one of Statistic and ExtendedStatistic must be specified.")
        }
        if let e = input.extendedStatistic, Self.percentile(e) == nil { throw Self.invalid("The value \(e) for parameter ExtendedStatistic is invalid.") }
        guard let evaluationPeriods = input.evaluationPeriods, evaluationPeriods >= 1 else {
            throw Self.validation("EvaluationPeriods must be at least 1.")
        }
        if let m = input.datapointsToAlarm, !(1...evaluationPeriods).contains(m) {
            throw Self.validation("DatapointsToAlarm must be between 1 and EvaluationPeriods.")
        }
        guard period * evaluationPeriods <= 86_400 * 7 else {
            throw Self.validation("The evaluation period (Period multiplied by EvaluationPeriods) must not exceed 7 days.")
        }
        guard let threshold = input.threshold else { throw Self.validation("Threshold must be specified.") }
        guard let op = input.comparisonOperator?.rawValue, Self.operators.contains(op) else {
            throw Self.validation("ComparisonOperator must be one of \(Self.operators.sorted().joined(separator: ", ")) for a static threshold.")
        }
        if let t = input.treatMissingData, !Self.missingModes.contains(t) {
            // CloudWatch's text as LocalStack reproduces it (not seen in a recording, but closer than any other source).
            throw Self.validation("The value \(t) is not supported for TreatMissingData parameter. Supported values are [breaching, notBreaching, ignore, missing].")
        }
        let actions = (input.alarmActions ?? []) + (input.okActions ?? []) + (input.insufficientDataActions ?? [])
        for a in actions {
            guard let arn = ARN(a), arn.service == "sns", arn.account == c.account else {
                throw Self.validation("Invalid action: \(a). Warden's alarms act on SNS topics in the same account.")
            }
        }
        guard (input.alarmActions ?? []).count <= 5, (input.okActions ?? []).count <= 5, (input.insufficientDataActions ?? []).count <= 5 else {
            throw Self.validation("An alarm can have up to 5 actions per state.")
        }
        try await locks.withLock(Self.alarmLock(c.account, c.region, input.alarmName)) {
            let nowMs = nowMillis
            let existing = try await repository.alarm(account: c.account, region: c.region, name: input.alarmName).flatMap(AlarmDoc.decode)
            var tags = existing?.tags ?? [:]
            for t in input.tags ?? [] where existing == nil { tags[t.key] = t.value }
            let doc = AlarmDoc(name: input.alarmName, description: input.alarmDescription, actionsEnabled: input.actionsEnabled ?? true,
                               okActions: input.okActions ?? [], alarmActions: input.alarmActions ?? [], insufficientDataActions: input.insufficientDataActions ?? [],
                               metricName: metricName, namespace: namespace, statistic: input.statistic?.rawValue, extendedStatistic: input.extendedStatistic,
                               dimensions: try Self.dims(input.dimensions), period: period, unit: input.unit?.rawValue, evaluationPeriods: evaluationPeriods,
                               datapointsToAlarm: input.datapointsToAlarm, threshold: threshold, comparison: op, treatMissingData: input.treatMissingData,
                               evaluateLowSampleCountPercentile: input.evaluateLowSampleCountPercentile,
                               state: existing?.state ?? "INSUFFICIENT_DATA", stateReason: existing?.stateReason ?? "Unchecked: Initial alarm creation",
                               stateReasonData: existing?.stateReasonData, stateUpdatedMillis: existing?.stateUpdatedMillis ?? nowMs,
                               stateTransitionedMillis: existing?.stateTransitionedMillis ?? nowMs, configUpdatedMillis: nowMs, tags: tags)
            if existing == nil {
                try await repository.putAlarm(account: c.account, region: c.region, name: input.alarmName, doc: try doc.encoded())
            }
            let data = JSONWriter.write(.object([("version", .string("1.0")), ("type", .string(existing == nil ? "Create" : "Update"))]))
            try await repository.saveAlarm(account: c.account, region: c.region, name: input.alarmName, doc: try doc.encoded(),
                                           history: ("ConfigurationUpdate", "Alarm \"\(input.alarmName)\" \(existing == nil ? "created" : "updated")",
                                                     String(decoding: data, as: UTF8.self), nowMs))
        }
        return EmptyShape()
    }

    static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

    func alarmEntry(_ d: AlarmDoc, _ c: RequestContext) -> CW.MetricAlarm {
        CW.MetricAlarm(alarmName: d.name, alarmArn: Self.alarmArn(account: c.account, region: c.region, d.name), alarmDescription: d.description,
                       alarmConfigurationUpdatedTimestamp: Self.date(d.configUpdatedMillis), actionsEnabled: d.actionsEnabled, okActions: d.okActions,
                       alarmActions: d.alarmActions, insufficientDataActions: d.insufficientDataActions, stateValue: CW.StateValue(rawValue: d.state),
                       stateReason: d.stateReason, stateReasonData: d.stateReasonData, stateUpdatedTimestamp: Self.date(d.stateUpdatedMillis),
                       metricName: d.metricName, namespace: d.namespace, statistic: d.statistic.map { CW.Statistic(rawValue: $0) },
                       extendedStatistic: d.extendedStatistic, dimensions: d.dimensions.sorted { $0.key < $1.key }.map { CW.Dimension(name: $0.key, value: $0.value) },
                       period: d.period, unit: d.unit.map { CW.StandardUnit(rawValue: $0) }, evaluationPeriods: d.evaluationPeriods,
                       datapointsToAlarm: d.datapointsToAlarm, threshold: d.threshold, comparisonOperator: CW.ComparisonOperator(rawValue: d.comparison),
                       treatMissingData: d.treatMissingData, evaluateLowSampleCountPercentile: d.evaluateLowSampleCountPercentile,
                       stateTransitionedTimestamp: Self.date(d.stateTransitionedMillis))
    }

    func describeAlarms(_ input: CW.DescribeAlarmsInput, context c: RequestContext) async throws -> CW.DescribeAlarmsOutput {
        if input.alarmNames != nil && input.alarmNamePrefix != nil {
            throw Self.combination("AlarmNames and AlarmNamePrefix are mutually exclusive.")
        }
        let limit = input.maxRecords ?? 50
        guard (1...100).contains(limit) else { throw Self.invalid("The value \(limit) for parameter MaxRecords is invalid.") }
        var docs = try await repository.alarms(account: c.account, region: c.region).compactMap { AlarmDoc.decode($0.doc) }
        if let names = input.alarmNames { docs = docs.filter { names.contains($0.name) } }
        if let p = input.alarmNamePrefix { docs = docs.filter { $0.name.hasPrefix(p) } }
        if let s = input.stateValue { docs = docs.filter { $0.state == s.rawValue } }
        if let p = input.actionPrefix { docs = docs.filter { ($0.alarmActions + $0.okActions + $0.insufficientDataActions).contains { $0.hasPrefix(p) } } }
        let wantsMetric = input.alarmTypes.map { $0.contains(.metricAlarm) } ?? true
        if !wantsMetric { docs = [] }
        let (page, next) = try Self.page(docs, limit: limit, token: input.nextToken)
        // CloudWatch always answers with both lists: `"CompositeAlarms": []` is present even when none were asked for
        // (every recorded DescribeAlarms response has it). Warden keeps no composite alarms, so it is always empty.
        return CW.DescribeAlarmsOutput(compositeAlarms: [], metricAlarms: page.map { alarmEntry($0, c) }, nextToken: next)
    }

    func describeAlarmsForMetric(_ input: CW.DescribeAlarmsForMetricInput, context c: RequestContext) async throws -> CW.DescribeAlarmsForMetricOutput {
        let dims = try Self.dims(input.dimensions)
        let docs = try await repository.alarms(account: c.account, region: c.region).compactMap { AlarmDoc.decode($0.doc) }.filter { d in
            d.metricName == input.metricName && d.namespace == input.namespace && d.dimensions == dims
                && (input.statistic == nil || d.statistic == input.statistic?.rawValue)
                && (input.extendedStatistic == nil || d.extendedStatistic == input.extendedStatistic)
                && (input.period == nil || d.period == input.period) && (input.unit == nil || d.unit == input.unit?.rawValue)
        }
        return CW.DescribeAlarmsForMetricOutput(metricAlarms: docs.map { alarmEntry($0, c) })
    }

    func describeAlarmHistory(_ input: CW.DescribeAlarmHistoryInput, context c: RequestContext) async throws -> CW.DescribeAlarmHistoryOutput {
        let limit = input.maxRecords ?? 100
        guard (1...100).contains(limit) else { throw Self.invalid("The value \(limit) for parameter MaxRecords is invalid.") }
        var items = try await repository.history(account: c.account, region: c.region, alarmName: input.alarmName,
                                                 startMillis: input.startDate.map(Self.millis) ?? 0, endMillis: input.endDate.map(Self.millis) ?? Int64.max)
        if let t = input.historyItemType { items = items.filter { $0.type == t.rawValue } }
        if input.scanBy == .timestampAscending { items.reverse() }
        let (page, next) = try Self.page(items, limit: limit, token: input.nextToken)
        return CW.DescribeAlarmHistoryOutput(alarmHistoryItems: page.map {
            CW.AlarmHistoryItem(alarmName: $0.alarmName, alarmType: .metricAlarm, timestamp: Self.date($0.timestampMillis),
                                historyItemType: CW.HistoryItemType(rawValue: $0.type), historySummary: $0.summary, historyData: $0.data)
        }, nextToken: next)
    }

    func deleteAlarms(_ input: CW.DeleteAlarmsInput, context c: RequestContext) async throws -> EmptyShape {
        guard input.alarmNames.count <= 100 else { throw Self.invalid("You can delete up to 100 alarms at once.") }
        // As in CloudWatch, one wrong name deletes nothing.
        if let missing = try await repository.deleteAlarms(account: c.account, region: c.region, names: input.alarmNames) {
            throw CW.Errors.resourceNotFound("\(missing) does not exist.")
        }
        return EmptyShape()
    }

    func setActions(_ names: [String], enabled: Bool, _ c: RequestContext) async throws {
        for n in names {
            try await locks.withLock(Self.alarmLock(c.account, c.region, n)) {
                guard var d = try await repository.alarm(account: c.account, region: c.region, name: n).flatMap(AlarmDoc.decode) else { return }
                d.actionsEnabled = enabled
                try await repository.saveAlarm(account: c.account, region: c.region, name: n, doc: try d.encoded(), history: nil)
            }
        }
    }

    func enableAlarmActions(_ input: CW.EnableAlarmActionsInput, context c: RequestContext) async throws -> EmptyShape {
        try await setActions(input.alarmNames, enabled: true, c)
        return EmptyShape()
    }

    func disableAlarmActions(_ input: CW.DisableAlarmActionsInput, context c: RequestContext) async throws -> EmptyShape {
        try await setActions(input.alarmNames, enabled: false, c)
        return EmptyShape()
    }

    func setAlarmState(_ input: CW.SetAlarmStateInput, context c: RequestContext) async throws -> EmptyShape {
        try await locks.withLock(Self.alarmLock(c.account, c.region, input.alarmName)) {
            guard let d = try await repository.alarm(account: c.account, region: c.region, name: input.alarmName).flatMap(AlarmDoc.decode) else {
                // Recorded from CloudWatch: HTTP 404 ResourceNotFound with no Message at all (an empty message is left out).
                throw CW.Errors.resourceNotFound("")
            }
            if let data = input.stateReasonData, (try? JSONParser.parse(Array(data.utf8))) == nil {
                throw CW.Errors.invalidFormatFault("StateReasonData is not valid JSON.")
            }
            try await transition(d, to: input.stateValue.rawValue, reason: input.stateReason, reasonData: input.stateReasonData,
                                 account: c.account, region: c.region)
        }
        return EmptyShape()
    }

    // MARK: tags

    /// The alarm name an alarm ARN ends with (any text when it has none: the lookup then finds no alarm).
    static func alarmName(ofArn arn: String) -> String { arn.range(of: ":alarm:").map { String(arn[$0.upperBound...]) } ?? arn }

    func alarmOfArn(_ arn: String, _ c: RequestContext) async throws -> AlarmDoc {
        guard let r = arn.range(of: ":alarm:"),
              let d = try await repository.alarm(account: c.account, region: c.region, name: String(arn[r.upperBound...])).flatMap(AlarmDoc.decode) else {
            throw CW.Errors.resourceNotFoundException("The resource \(arn) does not exist.")
        }
        return d
    }

    func tagResource(_ input: CW.TagResourceInput, context c: RequestContext) async throws -> CW.TagResourceOutput {
        try await locks.withLock(Self.alarmLock(c.account, c.region, Self.alarmName(ofArn: input.resourceARN))) {
            var d = try await alarmOfArn(input.resourceARN, c)
            for t in input.tags { d.tags[t.key] = t.value }
            guard d.tags.count <= 50 else { throw Self.invalid("A resource can have up to 50 tags.") }
            try await repository.saveAlarm(account: c.account, region: c.region, name: d.name, doc: try d.encoded(), history: nil)
        }
        return CW.TagResourceOutput()
    }

    func untagResource(_ input: CW.UntagResourceInput, context c: RequestContext) async throws -> CW.UntagResourceOutput {
        try await locks.withLock(Self.alarmLock(c.account, c.region, Self.alarmName(ofArn: input.resourceARN))) {
            var d = try await alarmOfArn(input.resourceARN, c)
            for k in input.tagKeys { d.tags[k] = nil }
            try await repository.saveAlarm(account: c.account, region: c.region, name: d.name, doc: try d.encoded(), history: nil)
        }
        return CW.UntagResourceOutput()
    }

    func listTagsForResource(_ input: CW.ListTagsForResourceInput, context c: RequestContext) async throws -> CW.ListTagsForResourceOutput {
        let d = try await alarmOfArn(input.resourceARN, c)
        return CW.ListTagsForResourceOutput(tags: d.tags.sorted { $0.key < $1.key }.map { CW.Tag(key: $0.key, value: $0.value) })
    }

    // MARK: evaluation

    /// Evaluates every alarm once; returns how many changed state.
    public func evaluateAlarms() async throws -> Int {
        var changed = 0
        for a in try await repository.allAlarms() {
            // Read again under the alarm's lock: a transition must not write back a configuration changed since the listing.
            let moved = try await locks.withLock(Self.alarmLock(a.account, a.region, a.name)) { () async throws -> Bool in
                guard let d = try await repository.alarm(account: a.account, region: a.region, name: a.name).flatMap(AlarmDoc.decode) else { return false }
                return try await evaluate(d, account: a.account, region: a.region)
            }
            if moved { changed += 1 }
        }
        return changed
    }

    static func breaches(_ v: Double, _ op: String, _ t: Double) -> Bool {
        switch op {
        case "GreaterThanOrEqualToThreshold": return v >= t
        case "GreaterThanThreshold": return v > t
        case "LessThanThreshold": return v < t
        case "LessThanOrEqualToThreshold": return v <= t
        default: return false
        }
    }

    static let operatorText = ["GreaterThanOrEqualToThreshold": "greater than or equal to", "GreaterThanThreshold": "greater than",
                               "LessThanThreshold": "less than", "LessThanOrEqualToThreshold": "less than or equal to"]

    static func reasonTime(_ ms: Int64) -> String {
        let (y, mo, d, h, mi, s) = Timestamps.civil(ms / 1000)
        func p(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(p(d))/\(p(mo))/\(p(y % 100)) \(p(h)):\(p(mi)):\(p(s))"
    }

    static func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(format: "%.1f", v) : String(v) }

    /// One alarm: the last EvaluationPeriods periods, ending with the current one — or, while the current period
    /// has no data yet, with the one before it (so data arriving just after a period closes still counts).
    func evaluate(_ d: AlarmDoc, account: String, region: String) async throws -> Bool {
        let p = Int64(d.period) * 1000
        let nowMs = nowMillis
        let currentStart = nowMs / p * p
        let n = Int64(d.evaluationPeriods)
        let c = DataKeyCache.serviceContext(account: account, region: region, service: "monitoring.amazonaws.com", now: now())
        let dims = MetricKey.canonical(d.dimensions)
        let all = try await buckets(c, namespace: d.namespace, name: d.metricName, dims: dims, start: currentStart - n * p,
                                    end: currentStart + p, period: d.period, unit: d.unit)
        var values: [Int64: Double] = [:]
        for (ts, b) in all { if let v = b.value(d.stat) { values[ts] = v } }
        let end = values[currentStart] == nil ? currentStart : currentStart + p
        let periods = (0..<n).map { end - ($0 + 1) * p }.reversed()
        let present = periods.compactMap { ts in values[ts].map { (ts, $0) } }
        let mode = d.treatMissingData ?? "missing"
        let needed = d.datapointsToAlarm ?? d.evaluationPeriods
        var breaching = present.filter { Self.breaches($0.1, d.comparison, d.threshold) }.count
        var good = present.count - breaching
        let missing = Int(n) - present.count
        if mode == "breaching" { breaching += missing }
        if mode == "notBreaching" { good += missing }
        let newState: String
        if breaching >= needed {
            newState = "ALARM"
        } else if good > 0 && (present.count > 0 || mode == "notBreaching") {
            newState = "OK"
        } else if present.isEmpty {
            switch mode {
            case "ignore": return false
            case "notBreaching": newState = "OK"
            default: newState = "INSUFFICIENT_DATA"
            }
        } else {
            newState = "OK"
        }
        guard newState != d.state else { return false }
        let shown = present.suffix(5)
        let list = shown.map { "\(Self.number($0.1)) (\(Self.reasonTime($0.0)))" }.joined(separator: ", ")
        let op = Self.operatorText[d.comparison] ?? d.comparison
        let reason: String
        switch newState {
        case "ALARM":
            reason = "Threshold Crossed: \(breaching) out of the last \(n) datapoints [\(list)] was \(op) the threshold (\(Self.number(d.threshold))) (minimum \(needed) datapoint\(needed == 1 ? "" : "s") for OK -> ALARM transition)."
        case "OK":
            reason = present.isEmpty
                ? "Threshold Crossed: no datapoints were received for \(n) period\(n == 1 ? "" : "s") and \(n) missing datapoint\(n == 1 ? " was" : "s were") treated as [NonBreaching]."
                : "Threshold Crossed: \(n) out of the last \(n) datapoints [\(list)] was not \(op) the threshold (\(Self.number(d.threshold))) (minimum \(needed) datapoint\(needed == 1 ? "" : "s") for ALARM -> OK transition)."
        default:
            reason = "Insufficient Data: \(n) datapoint\(n == 1 ? " was" : "s were") unknown."
        }
        let data = JSONWriter.write(.object([
            ("version", .string("1.0")), ("queryDate", .string(Self.alarmTime(nowMs))),
            ("startDate", .string(Self.alarmTime(end - n * p))), ("statistic", .string(d.stat)), ("period", .int(d.period)),
            ("recentDatapoints", .array(present.map { .modelDouble($0.1) })), ("threshold", .modelDouble(d.threshold)),
            ("evaluatedDatapoints", .array(present.reversed().map { .object([("timestamp", .string(Self.alarmTime($0.0))), ("value", .modelDouble($0.1))]) })),
        ]))
        try await transition(d, to: newState, reason: reason, reasonData: String(decoding: data, as: UTF8.self), account: account, region: region)
        return true
    }

    /// `2026-11-26T03:41:10.123+0000`, as alarm notifications and history write times.
    static func alarmTime(_ ms: Int64) -> String {
        let (y, mo, d, h, mi, s) = Timestamps.civil(ms / 1000)
        func p(_ v: Int, _ w: Int = 2) -> String { let t = String(v); return String(repeating: "0", count: max(0, w - t.count)) + t }
        return "\(p(y, 4))-\(p(mo))-\(p(d))T\(p(h)):\(p(mi)):\(p(s)).\(p(Int(ms % 1000), 3))+0000"
    }

    /// Records a state change (history item) and sends the new state's actions.
    func transition(_ old: AlarmDoc, to state: String, reason: String, reasonData: String?, account: String, region: String) async throws {
        let nowMs = nowMillis
        var d = old
        d.state = state
        d.stateReason = reason
        d.stateReasonData = reasonData
        d.stateUpdatedMillis = nowMs
        if old.state != state { d.stateTransitionedMillis = nowMs }
        func stateJSON(_ s: String, _ r: String, _ data: String?) -> JSONValue {
            var members: [(String, JSONValue)] = [("stateValue", .string(s)), ("stateReason", .string(r))]
            if let data, let parsed = try? JSONParser.parse(Array(data.utf8)) { members.append(("stateReasonData", parsed)) }
            return .object(members)
        }
        let history = JSONWriter.write(.object([("version", .string("1.0")), ("oldState", stateJSON(old.state, old.stateReason, old.stateReasonData)),
                                                ("newState", stateJSON(state, reason, reasonData))]))
        try await repository.saveAlarm(account: account, region: region, name: d.name, doc: try d.encoded(),
                                       history: ("StateUpdate", "Alarm updated from \(old.state) to \(state)", String(decoding: history, as: UTF8.self), nowMs))
        guard d.actionsEnabled, let topics else { return }
        let targets = state == "ALARM" ? d.alarmActions : state == "OK" ? d.okActions : d.insufficientDataActions
        guard !targets.isEmpty else { return }
        let message = String(decoding: JSONWriter.write(notification(d, oldState: old.state, account: account, region: region, at: nowMs)), as: UTF8.self)
        let subject = "\(state): \"\(d.name)\" in \(Self.regionName(region))"
        for t in targets {
            let history: (String, String, String, Int64)
            do {
                try await topics.publish(topicArn: t, message: message, subject: String(subject.prefix(100)), service: "cloudwatch.amazonaws.com")
                history = ("Action", "Successfully executed action \(t)", "{\"actionState\":\"Succeeded\"}", nowMs)
            } catch {
                history = ("Action", "Failed to execute action \(t)", "{\"actionState\":\"Failed\",\"error\":\"\((error as? AWSError)?.code ?? "InternalFailure")\"}", nowMs)
            }
            try await repository.saveAlarm(account: account, region: region, name: d.name, doc: try d.encoded(), history: history)
        }
    }

    /// The JSON CloudWatch publishes to an alarm's SNS topics.
    func notification(_ d: AlarmDoc, oldState: String, account: String, region: String, at ms: Int64) -> JSONValue {
        let dims: [JSONValue] = d.dimensions.sorted { $0.key < $1.key }.map { .object([("value", .string($0.value)), ("name", .string($0.key))]) }
        let trigger: [(String, JSONValue)] = [
            ("MetricName", .string(d.metricName)), ("Namespace", .string(d.namespace)),
            ("StatisticType", .string(d.statistic != nil ? "Statistic" : "ExtendedStatistic")),
            (d.statistic != nil ? "Statistic" : "ExtendedStatistic", .string(d.statistic?.uppercased() ?? d.extendedStatistic ?? "")),
            ("Unit", d.unit.map { .string($0) } ?? .null), ("Dimensions", .array(dims)), ("Period", .int(d.period)),
            ("EvaluationPeriods", .int(d.evaluationPeriods)), ("DatapointsToAlarm", .int(d.datapointsToAlarm ?? d.evaluationPeriods)),
            ("ComparisonOperator", .string(d.comparison)), ("Threshold", .modelDouble(d.threshold)),
            ("TreatMissingData", .string(d.treatMissingData ?? "missing")),
            ("EvaluateLowSampleCountPercentile", .string(d.evaluateLowSampleCountPercentile ?? "")),
        ]
        return .object([
            ("AlarmName", .string(d.name)), ("AlarmDescription", d.description.map { .string($0) } ?? .null), ("AWSAccountId", .string(account)),
            ("AlarmConfigurationUpdatedTimestamp", .string(Self.alarmTime(d.configUpdatedMillis))), ("NewStateValue", .string(d.state)),
            ("NewStateReason", .string(d.stateReason)), ("StateChangeTime", .string(Self.alarmTime(ms))), ("Region", .string(Self.regionName(region))),
            ("AlarmArn", .string(Self.alarmArn(account: account, region: region, d.name))), ("OldStateValue", .string(oldState)),
            ("OKActions", .array(d.okActions.map { .string($0) })), ("AlarmActions", .array(d.alarmActions.map { .string($0) })),
            ("InsufficientDataActions", .array(d.insufficientDataActions.map { .string($0) })), ("Trigger", .object(trigger)),
        ])
    }

    static let regionNames = [
        "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
        "ca-central-1": "Canada (Central)", "eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)", "eu-west-3": "EU (Paris)",
        "eu-central-1": "EU (Frankfurt)", "eu-north-1": "EU (Stockholm)", "eu-south-1": "EU (Milan)", "ap-northeast-1": "Asia Pacific (Tokyo)",
        "ap-northeast-2": "Asia Pacific (Seoul)", "ap-northeast-3": "Asia Pacific (Osaka)", "ap-southeast-1": "Asia Pacific (Singapore)",
        "ap-southeast-2": "Asia Pacific (Sydney)", "ap-south-1": "Asia Pacific (Mumbai)", "sa-east-1": "South America (Sao Paulo)",
    ]

    static func regionName(_ r: String) -> String { regionNames[r] ?? r }
}
