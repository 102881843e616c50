// Amazon CloudWatch metrics: PutMetricData (values, value/count arrays, statistic sets), GetMetricStatistics and
// GetMetricData (periods; SampleCount, Sum, Average, Minimum, Maximum and pNN percentiles), ListMetrics.
// Alarms are in CloudWatchService+Alarms.swift.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

/// A metric's dimensions as stored: canonical JSON, sorted by name.
public enum MetricKey {
    public static func canonical(_ dims: [String: String]) -> String {
        let sorted = dims.sorted { $0.key < $1.key }
        return String(decoding: JSONWriter.write(.array(sorted.map { .object([("Name", .string($0.key)), ("Value", .string($0.value))]) })), as: UTF8.self)
    }

    public static func parse(_ text: String) -> [(name: String, value: String)] {
        guard case .array(let items)? = try? JSONParser.parse(Array(text.utf8)) else { return [] }
        return items.compactMap { i in
            guard let n = i["Name"]?.stringValue, let v = i["Value"]?.stringValue else { return nil }
            return (n, v)
        }
    }
}

public struct CloudWatchService: Sendable {
    let repository: MetricsRepository
    let topics: (any TopicPublisher)?
    let now: @Sendable () -> Date
    /// Per-alarm locks (see `alarmLock`), taken in the database so they hold across nodes.
    let locks: ResourceLocks

    public init(repository: MetricsRepository, topics: (any TopicPublisher)?, now: @escaping @Sendable () -> Date = { Date() }) {
        self.repository = repository
        self.locks = ResourceLocks(repository.db)
        self.topics = topics
        self.now = now
    }

    typealias CW = CloudWatch
    var nowMillis: Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded(.down)) }
    static func millis(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1000).rounded(.down)) }

    static func invalid(_ m: String) -> AWSError { CW.Errors.invalidParameterValueException(m) }
    static func combination(_ m: String) -> AWSError { CW.Errors.invalidParameterCombinationException(m) }
    static func missing(_ m: String) -> AWSError { CW.Errors.missingRequiredParameterException(m) }

    static func dims(_ list: [CW.Dimension]?) throws(AWSError) -> [String: String] {
        var out: [String: String] = [:]
        for d in list ?? [] {
            guard out[d.name] == nil else { throw invalid("No metric may have duplicate dimension names: \(d.name).") }
            out[d.name] = d.value
        }
        guard out.count <= 30 else { throw invalid("A metric can have up to 30 dimensions.") }
        return out
    }

    static let maxValue = pow(2.0, 360.0)

    static func checkValue(_ v: Double, _ field: String) throws(AWSError) {
        guard v.isFinite, abs(v) <= maxValue, v == 0 || abs(v) >= pow(2.0, -360.0) else {
            // The value as Java prints a double (`NaN`, `Infinity`, `-Infinity`, `4.9E-324`), as moto's copy of the text
            // has it; a 2013 recording showed DecimalFormat's `?`/`∞` instead, so today's exact rendering is unverified.
            throw invalid("The value \(JavaDouble.format(v)) for parameter \(field) is invalid.")
        }
    }

    // MARK: PutMetricData

    func putMetricData(_ input: CW.PutMetricDataInput, context c: RequestContext) async throws -> EmptyShape {
        guard !input.namespace.hasPrefix("AWS/") else {
            throw Self.invalid("The value AWS/ for parameter Namespace is invalid.")
        }
        var data = input.metricData ?? []
        for e in input.entityMetricData ?? [] { data += e.metricData ?? [] }
        guard !data.isEmpty else { throw Self.missing("The parameter MetricData is required.") }
        guard data.count <= 1000 else { throw Self.invalid("The collection MetricData must not have a size greater than 1000.") }
        let nowMs = nowMillis
        var rows: [MetricDatum] = []
        for (i, d) in data.enumerated() {
            let n = i + 1
            let dims = MetricKey.canonical(try Self.dims(d.dimensions))
            let ts = d.timestamp.map(Self.millis) ?? nowMs
            guard ts >= nowMs - 14 * 86_400_000, ts <= nowMs + 2 * 3_600_000 else {
                throw Self.invalid("The parameter MetricData.member.\(n).Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.")
            }
            if let r = d.storageResolution, r != 1, r != 60 {
                // Quoted from CloudWatch in boto/botocore#1671 (the code there is not shown; InvalidParameterValue kept).
                throw Self.invalid("The parameter MetricData.member.\(n).StorageResolution must be a value in the set [ 1, 60 ].")
            }
            let unit = d.unit?.rawValue ?? "None"
            // CloudWatch names the first two of the members given (Value before StatisticValues before Values).
            // Value+Values and Value+StatisticValues are AWS's texts; StatisticValues+Values follows the same template
            // (that pair's text was not found).
            let given = [("Value", d.value != nil), ("StatisticValues", d.statisticValues != nil), ("Values", d.values != nil)]
                .filter { $0.1 }.map { $0.0 }
            if given.count > 1 {
                throw Self.combination("The parameters MetricData.member.\(n).\(given[0]) and MetricData.member.\(n).\(given[1]) are mutually exclusive and you have specified both.")
            }
            func row(_ count: Double, _ sum: Double, _ mn: Double, _ mx: Double, _ distribution: Bool) -> MetricDatum {
                MetricDatum(account: c.account, region: c.region, namespace: input.namespace, name: d.metricName, dimensions: dims,
                            timestampMillis: ts, unit: unit, sampleCount: count, sum: sum, min: mn, max: mx, distribution: distribution)
            }
            if let v = d.value {
                try Self.checkValue(v, "MetricData.member.\(n).Value")
                rows.append(row(1, v, v, v, true))
            } else if let s = d.statisticValues {
                for (v, f) in [(s.sum, "Sum"), (s.minimum, "Minimum"), (s.maximum, "Maximum"), (s.sampleCount, "SampleCount")] {
                    try Self.checkValue(v, "MetricData.member.\(n).StatisticValues.\(f)")
                }
                guard s.sampleCount > 0, s.minimum <= s.maximum else {
                    throw Self.invalid("The parameter MetricData.member.\(n).StatisticValues is invalid: SampleCount must be positive and Minimum at most Maximum.")
                }
                let exact = s.sampleCount == 1 || (s.minimum == s.maximum && s.sum == s.minimum * s.sampleCount)
                rows.append(row(s.sampleCount, s.sum, s.minimum, s.maximum, exact))
            } else if let values = d.values {
                guard values.count <= 150 else { throw Self.invalid("The collection MetricData.member.\(n).Values must not have a size greater than 150.") }
                let counts = d.counts ?? Array(repeating: 1, count: values.count)
                guard counts.count == values.count else {
                    throw Self.invalid("The parameters MetricData.member.\(n).Values and MetricData.member.\(n).Counts must be of the same size.")
                }
                for (v, k) in zip(values, counts) {
                    try Self.checkValue(v, "MetricData.member.\(n).Values")
                    guard k > 0, k.isFinite else { throw Self.invalid("The parameter MetricData.member.\(n).Counts must hold positive numbers.") }
                    rows.append(row(k, v * k, v, v, true))
                }
            } else {
                throw Self.missing("The parameter MetricData.member.\(n).Value is required.")
            }
        }
        try await repository.put(rows)
        return EmptyShape()
    }

    // MARK: statistics

    /// The aggregate of one period's data points.
    struct Bucket {
        var count = 0.0
        var sum = 0.0
        var min = Double.infinity
        var max = -Double.infinity
        var unit: String?
        /// Every unit the period's data points were put with (GetMetricData reports more than one as MultipleUnits).
        var units: Set<String> = []
        /// (value, weight) pairs usable for percentiles.
        var samples: [(Double, Double)] = []
        var percentilesExact = true

        mutating func add(_ p: StoredDatapoint) {
            count += p.sampleCount
            sum += p.sum
            min = Swift.min(min, p.min)
            max = Swift.max(max, p.max)
            unit = unit ?? p.unit
            units.insert(p.unit)
            if p.distribution { samples.append((p.sum / p.sampleCount, p.sampleCount)) } else { percentilesExact = false }
        }

        func value(_ stat: String) -> Double? {
            switch stat {
            case "SampleCount": return count
            case "Sum": return sum
            case "Average": return sum / count
            case "Minimum": return min
            case "Maximum": return max
            default:
                guard let p = CloudWatchService.percentile(stat), percentilesExact, !samples.isEmpty else { return nil }
                let sorted = samples.sorted { $0.0 < $1.0 }
                let total = sorted.reduce(0) { $0 + $1.1 }
                var seen = 0.0
                for (v, w) in sorted {
                    seen += w
                    if seen >= p / 100 * total - 1e-9 { return v }
                }
                return sorted.last?.0
            }
        }
    }

    /// `p99`, `p99.9` → the percentile; nil for anything else.
    static func percentile(_ stat: String) -> Double? {
        guard stat.hasPrefix("p"), let p = Double(stat.dropFirst()), p >= 0, p <= 100 else { return nil }
        return p
    }

    static let basicStats: Set<String> = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"]

    static func checkPeriod(_ p: Int, _ field: String) throws(AWSError) {
        guard p > 0, [1, 5, 10, 30].contains(p) || p % 60 == 0 else {
            throw invalid("The parameter \(field) must be 1, 5, 10, 30, or a multiple of 60.")
        }
    }

    /// Buckets of `period` seconds over [start, end), keyed by their start (ms).
    func buckets(_ c: RequestContext, namespace: String, name: String, dims: String, start: Int64, end: Int64, period: Int, unit: String?)
        async throws -> [(Int64, Bucket)] {
        let p = Int64(period) * 1000
        let points = try await repository.points(account: c.account, region: c.region, namespace: namespace, name: name, dimensions: dims,
                                                 startMillis: start - ((start % p) + p) % p, endMillis: end)
        var out: [Int64: Bucket] = [:]
        // Periods are aligned to the epoch (so a minute's period starts on the minute).
        let origin = start - ((start % p) + p) % p
        for pt in points where unit == nil || pt.unit == unit {
            let key = origin + (pt.timestampMillis - origin) / p * p
            out[key, default: Bucket()].add(pt)
        }
        return out.sorted { $0.key < $1.key }
    }

    func getMetricStatistics(_ input: CW.GetMetricStatisticsInput, context c: RequestContext) async throws -> CW.GetMetricStatisticsOutput {
        let stats = input.statistics?.map(\.rawValue) ?? []
        let extended = input.extendedStatistics ?? []
        guard !stats.isEmpty || !extended.isEmpty else { throw Self.combination("Must specify either Statistics or ExtendedStatistics.") }
        guard stats.count <= 5, extended.count <= 10 else { throw Self.invalid("Too many statistics requested.") }
        for s in extended where Self.percentile(s) == nil { throw Self.invalid("The value \(s) for parameter ExtendedStatistics is invalid.") }
        try Self.checkPeriod(input.period, "Period")
        let start = Self.millis(input.startTime)
        let end = Self.millis(input.endTime)
        guard start < end else { throw Self.invalid("The parameter StartTime must be less than the parameter EndTime.") }
        let requested = (end - start) / (Int64(input.period) * 1000)
        guard requested <= 1440 else {
            throw Self.combination("You have requested up to \(requested) datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.")
        }
        let dims = MetricKey.canonical(try Self.dims(input.dimensions))
        var list = try await buckets(c, namespace: input.namespace, name: input.metricName, dims: dims, start: start, end: end,
                                     period: input.period, unit: input.unit?.rawValue)
        // Without a Unit, data put with different units is not mixed: CloudWatch answers one datapoint per unit and
        // period (recorded: Average 10.0 None, 5.0 Count, 1.0 Seconds for the same period).
        let units = list.reduce(into: Set<String>()) { $0.formUnion($1.1.units) }
        if input.unit == nil, units.count > 1 {
            var split: [(Int64, Bucket)] = []
            for u in units.sorted() {
                split += try await buckets(c, namespace: input.namespace, name: input.metricName, dims: dims, start: start, end: end,
                                           period: input.period, unit: u)
            }
            list = split.sorted { $0.0 < $1.0 }
        }
        let points = list.map { (ts, b) -> CW.Datapoint in
            var ext: [String: Double] = [:]
            for s in extended { if let v = b.value(s) { ext[s] = v } }
            return CW.Datapoint(timestamp: Date(timeIntervalSince1970: Double(ts) / 1000),
                                sampleCount: stats.contains("SampleCount") ? b.count : nil,
                                average: stats.contains("Average") ? b.sum / b.count : nil,
                                sum: stats.contains("Sum") ? b.sum : nil, minimum: stats.contains("Minimum") ? b.min : nil,
                                maximum: stats.contains("Maximum") ? b.max : nil, unit: CW.StandardUnit(rawValue: input.unit?.rawValue ?? b.unit ?? "None"),
                                extendedStatistics: extended.isEmpty ? nil : ext)
        }
        return CW.GetMetricStatisticsOutput(label: input.metricName, datapoints: points)
    }

    func getMetricData(_ input: CW.GetMetricDataInput, context c: RequestContext) async throws -> CW.GetMetricDataOutput {
        let queries = input.metricDataQueries
        guard (1...500).contains(queries.count) else { throw Self.invalid("MetricDataQueries must hold 1 to 500 queries.") }
        let start = Self.millis(input.startTime)
        let end = Self.millis(input.endTime)
        guard start < end else { throw Self.invalid("The parameter StartTime must be less than the parameter EndTime.") }
        var ids = Set<String>()
        var results: [CW.MetricDataResult] = []
        // A query without a Label is labelled with its metric's name, followed by its Stat and then its Period for
        // each of the two that differ among the request's queries (recorded: `metric1 Sum 60` / `metric1 Minimum 30`,
        // `metric1 Sum` / `metric1 Minimum`, `metric1 60` / `metric1 30`, a lone query just `metric1`). Unit and
        // dimensions are never added.
        let statQueries = queries.compactMap(\.metricStat)
        let statsDiffer = Set(statQueries.map(\.stat)).count > 1
        let periodsDiffer = Set(statQueries.map(\.period)).count > 1
        for q in queries {
            guard ids.insert(q.id).inserted else { throw Self.invalid("The values for parameter id in MetricDataQueries are not unique.") }
            guard let first = q.id.unicodeScalars.first, CharacterSet.lowercaseLetters.contains(first) else {
                throw Self.invalid("The value \(q.id) for parameter MetricDataQueries.member.id is invalid: it must start with a lowercase letter.")
            }
            if q.expression != nil {
                throw Self.invalid("Metric math expressions are not served by Warden; use MetricStat queries.")
            }
            guard let stat = q.metricStat else { throw Self.combination("Each MetricDataQuery needs exactly one of MetricStat and Expression.") }
            try Self.checkPeriod(stat.period, "MetricStat.Period")
            guard Self.basicStats.contains(stat.stat) || Self.percentile(stat.stat) != nil else {
                throw Self.invalid("The value \(stat.stat) for parameter MetricStat.Stat is invalid.")
            }
            let m = stat.metric
            guard let ns = m.namespace, let name = m.metricName else { throw Self.missing("MetricStat.Metric needs Namespace and MetricName.") }
            let dims = MetricKey.canonical(try Self.dims(m.dimensions))
            let found = try await buckets(c, namespace: ns, name: name, dims: dims, start: start, end: end, period: stat.period, unit: stat.unit?.rawValue)
            var list = found.compactMap { (ts, b) in b.value(stat.stat).map { (ts, $0) } }
            // Without a Unit, values put with several units are aggregated together and the result says so (recorded:
            // `Multiple units returned: '[Milliseconds, Seconds]'`, the units in alphabetical order).
            let units = found.reduce(into: Set<String>()) { $0.formUnion($1.1.units) }
            let messages: [CW.MessageData]? = stat.unit == nil && units.count > 1
                ? [CW.MessageData(code: "MultipleUnits", value: "Multiple units returned: '[\(units.sorted().joined(separator: ", "))]'")] : nil
            if input.scanBy != .timestampAscending { list.reverse() }
            if let maxPoints = input.maxDatapoints { list = Array(list.prefix(maxPoints)) }
            guard q.returnData ?? true else { continue }
            var label = name
            if statsDiffer { label += " \(stat.stat)" }
            if periodsDiffer { label += " \(stat.period)" }
            results.append(CW.MetricDataResult(id: q.id, label: q.label ?? label, timestamps: list.map { Date(timeIntervalSince1970: Double($0.0) / 1000) },
                                               values: list.map(\.1), statusCode: .complete, messages: messages))
        }
        return CW.GetMetricDataOutput(metricDataResults: results, messages: [])
    }

    func listMetrics(_ input: CW.ListMetricsInput, context c: RequestContext) async throws -> CW.ListMetricsOutput {
        let since = nowMillis - (input.recentlyActive == .pt3h ? 3 * 3_600_000 : 14 * 86_400_000)
        var all: [CW.Metric] = []
        for m in try await repository.metrics(account: c.account, region: c.region, namespace: input.namespace, name: input.metricName, sinceMillis: since) {
            let dims = MetricKey.parse(m.dimensions)
            let ok = (input.dimensions ?? []).allSatisfy { f in dims.contains { $0.name == f.name && (f.value == nil || $0.value == f.value) } }
            guard ok else { continue }
            all.append(CW.Metric(namespace: m.namespace, metricName: m.name, dimensions: dims.map { CW.Dimension(name: $0.name, value: $0.value) }))
        }
        let (page, next) = try Self.page(all, limit: 500, token: input.nextToken)
        return CW.ListMetricsOutput(metrics: page, nextToken: next)
    }

    static func page<T>(_ all: [T], limit: Int, token: String?) throws(AWSError) -> ([T], String?) {
        try OffsetPage.slice(all, limit: limit, token: token, invalid: CW.Errors.invalidNextToken("The service cannot find the specified next token."))
    }

    /// Drops data points older than 15 months.
    public func purgeOld() async throws {
        try await repository.purge(olderThanMillis: nowMillis - 455 * 86_400_000)
    }
}
