// CloudWatch: metric data points, alarms (documents) and alarm history.

public struct StoredDatapoint: Sendable {
    public var timestampMillis: Int64
    public var unit: String
    public var sampleCount: Double
    public var sum: Double
    public var min: Double
    public var max: Double
    public var distribution: Bool
}

public struct StoredAlarmHistory: Sendable {
    public var seq: Int64
    public var alarmName: String
    public var timestampMillis: Int64
    public var type: String
    public var summary: String
    public var data: String
}

public struct MetricsRepository: Sendable {
    public let db: any SQLDatabase

    public init(db: any SQLDatabase) { self.db = db }

    static func double(_ v: SQLValue) -> Double {
        switch v {
        case .double(let d): return d
        case .int(let i): return Double(i)
        case .text(let t): return Double(t) ?? 0
        default: return 0
        }
    }

    public func put(_ data: [MetricDatum]) async throws {
        guard !data.isEmpty else { return }
        try await db.transaction { tx in
            for d in data { try await MetricDatum.insert(d, tx) }
        }
    }

    /// One metric's data points in [start, end), oldest first.
    public func points(account: String, region: String, namespace: String, name: String, dimensions: String,
                       startMillis: Int64, endMillis: Int64) async throws -> [StoredDatapoint] {
        try await db.read { tx in
            try await tx.query("""
                SELECT ts_ms, unit, sample_count, sum_value, min_value, max_value, distribution FROM cw_datapoints
                WHERE account_id = ? AND region = ? AND namespace = ? AND metric_name = ? AND dims = ? AND ts_ms >= ? AND ts_ms < ?
                ORDER BY ts_ms
                """, [.text(account), .text(region), .text(namespace), .text(name), .text(dimensions), .int(startMillis), .int(endMillis)])
                .map { r in
                    StoredDatapoint(timestampMillis: r[0].int ?? 0, unit: r[1].text ?? "None", sampleCount: Self.double(r[2]), sum: Self.double(r[3]),
                                    min: Self.double(r[4]), max: Self.double(r[5]), distribution: (r[6].int ?? 0) != 0)
                }
        }
    }

    /// The distinct metrics with data since `sinceMillis`, in (namespace, name, dimensions) order.
    public func metrics(account: String, region: String, namespace: String?, name: String?, sinceMillis: Int64) async throws
        -> [(namespace: String, name: String, dimensions: String)] {
        var sql = "SELECT DISTINCT namespace, metric_name, dims FROM cw_datapoints WHERE account_id = ? AND region = ? AND ts_ms >= ?"
        var args: [SQLValue] = [.text(account), .text(region), .int(sinceMillis)]
        if let namespace { sql += " AND namespace = ?"; args.append(.text(namespace)) }
        if let name { sql += " AND metric_name = ?"; args.append(.text(name)) }
        sql += " ORDER BY namespace, metric_name, dims"
        let q = sql
        let a = args
        return try await db.read { tx in try await tx.query(q, a).map { ($0[0].text ?? "", $0[1].text ?? "", $0[2].text ?? "[]") } }
    }

    /// Drops data points older than the cutoff (CloudWatch keeps 15 months).
    public func purge(olderThanMillis cutoff: Int64) async throws {
        try await db.transaction { tx in try await tx.execute("DELETE FROM cw_datapoints WHERE ts_ms < ?", [.int(cutoff)]) }
    }

    // MARK: alarms

    public func putAlarm(account: String, region: String, name: String, doc: String) async throws {
        try await db.transaction { tx in
            try await tx.execute("DELETE FROM cw_alarms WHERE account_id = ? AND region = ? AND name = ?", [.text(account), .text(region), .text(name)])
            try await tx.execute("INSERT INTO cw_alarms (account_id, region, name, doc) VALUES (?, ?, ?, ?)",
                                 [.text(account), .text(region), .text(name), .text(doc)])
        }
    }

    public func alarm(account: String, region: String, name: String) async throws -> String? {
        try await db.read { tx in
            try await tx.query("SELECT doc FROM cw_alarms WHERE account_id = ? AND region = ? AND name = ?",
                               [.text(account), .text(region), .text(name)]).first?[0].text
        }
    }

    public func alarms(account: String, region: String) async throws -> [(name: String, doc: String)] {
        try await db.read { tx in
            try await tx.query("SELECT name, doc FROM cw_alarms WHERE account_id = ? AND region = ? ORDER BY name", [.text(account), .text(region)])
                .map { ($0[0].text ?? "", $0[1].text ?? "{}") }
        }
    }

    public func allAlarms() async throws -> [(account: String, region: String, name: String, doc: String)] {
        try await db.read { tx in
            try await tx.query("SELECT account_id, region, name, doc FROM cw_alarms ORDER BY account_id, region, name", [])
                .map { ($0[0].text ?? "", $0[1].text ?? "", $0[2].text ?? "", $0[3].text ?? "{}") }
        }
    }

    /// Deletes alarms and their history, all or none: returns the first name that does not exist (nothing deleted),
    /// or nil when every one was deleted.
    public func deleteAlarms(account: String, region: String, names: [String]) async throws -> String? {
        try await db.transaction { tx in
            for n in names {
                let found = try await tx.query("SELECT name FROM cw_alarms WHERE account_id = ? AND region = ? AND name = ?",
                                               [.text(account), .text(region), .text(n)])
                if found.isEmpty { return n }
            }
            for n in names {
                try await tx.execute("DELETE FROM cw_alarms WHERE account_id = ? AND region = ? AND name = ?", [.text(account), .text(region), .text(n)])
                try await tx.execute("DELETE FROM cw_alarm_history WHERE account_id = ? AND region = ? AND alarm_name = ?",
                                     [.text(account), .text(region), .text(n)])
            }
            return nil
        }
    }

    /// Saves an alarm's document and appends a history item, in one transaction.
    public func saveAlarm(account: String, region: String, name: String, doc: String,
                          history: (type: String, summary: String, data: String, atMillis: Int64)?) async throws {
        try await db.transaction { tx in
            try await tx.execute("UPDATE cw_alarms SET doc = ? WHERE account_id = ? AND region = ? AND name = ?",
                                 [.text(doc), .text(account), .text(region), .text(name)])
            if let h = history {
                try await tx.execute("INSERT INTO cw_alarm_history (account_id, region, alarm_name, ts_ms, item_type, summary, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                     [.text(account), .text(region), .text(name), .int(h.atMillis), .text(h.type), .text(h.summary), .text(h.data)])
            }
        }
    }

    public func history(account: String, region: String, alarmName: String?, startMillis: Int64, endMillis: Int64) async throws -> [StoredAlarmHistory] {
        var sql = "SELECT seq, alarm_name, ts_ms, item_type, summary, data FROM cw_alarm_history WHERE account_id = ? AND region = ? AND ts_ms >= ? AND ts_ms < ?"
        var args: [SQLValue] = [.text(account), .text(region), .int(startMillis), .int(endMillis)]
        if let alarmName { sql += " AND alarm_name = ?"; args.append(.text(alarmName)) }
        sql += " ORDER BY seq DESC"
        let q = sql
        let a = args
        return try await db.read { tx in
            try await tx.query(q, a).map {
                StoredAlarmHistory(seq: $0[0].int ?? 0, alarmName: $0[1].text ?? "", timestampMillis: $0[2].int ?? 0, type: $0[3].text ?? "",
                                   summary: $0[4].text ?? "", data: $0[5].text ?? "")
            }
        }
    }
}
