// CloudWatch Logs: groups (documents), streams with their counters, and events; metric data points written by metric
// filters go in the same transaction as the events they come from.

public struct StoredLogEvent: Sendable {
    public var seq: Int64
    public var stream: String
    public var timestampMillis: Int64
    public var ingestMillis: Int64
    public var message: String
}

public struct StoredLogStream: Sendable {
    public var name: String
    public var createdMillis: Int64
    public var firstMillis: Int64?
    public var lastMillis: Int64?
    public var lastIngestMillis: Int64?
    public var storedBytes: Int64
}

public struct StoredLogGroup: Sendable {
    public var name: String
    public var createdMillis: Int64
    public var doc: String
    public var storedBytes: Int64
}

/// One data point of a metric: a value with its count, or a statistic set.
public struct MetricDatum: Sendable {
    public var account: String
    public var region: String
    public var namespace: String
    public var name: String
    /// Canonical JSON of the dimensions (sorted by name).
    public var dimensions: String
    public var timestampMillis: Int64
    public var unit: String
    public var sampleCount: Double
    public var sum: Double
    public var min: Double
    public var max: Double
    /// True when the row is raw values (percentiles can use it), false for a statistic set.
    public var distribution: Bool

    public init(account: String, region: String, namespace: String, name: String, dimensions: String, timestampMillis: Int64, unit: String,
                sampleCount: Double, sum: Double, min: Double, max: Double, distribution: Bool) {
        self.account = account
        self.region = region
        self.namespace = namespace
        self.name = name
        self.dimensions = dimensions
        self.timestampMillis = timestampMillis
        self.unit = unit
        self.sampleCount = sampleCount
        self.sum = sum
        self.min = min
        self.max = max
        self.distribution = distribution
    }

    static func insert(_ d: MetricDatum, _ tx: any SQLExecutor) async throws {
        try await tx.execute("""
            INSERT INTO cw_datapoints (account_id, region, namespace, metric_name, dims, ts_ms, unit, sample_count, sum_value, min_value, max_value, distribution)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(d.account), .text(d.region), .text(d.namespace), .text(d.name), .text(d.dimensions), .int(d.timestampMillis),
                  .text(d.unit), .double(d.sampleCount), .double(d.sum), .double(d.min), .double(d.max), .int(d.distribution ? 1 : 0)])
    }
}

public struct LogsRepository: Sendable {
    public let db: any SQLDatabase

    public init(db: any SQLDatabase) { self.db = db }

    static func scope(_ account: String, _ region: String, _ group: String) -> [SQLValue] { [.text(account), .text(region), .text(group)] }

    // MARK: groups

    public func createGroup(account: String, region: String, name: String, createdMillis: Int64, doc: String) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT name FROM logs_groups WHERE account_id = ? AND region = ? AND name = ?", Self.scope(account, region, name))
            guard found.isEmpty else { return false }
            try await tx.execute("INSERT INTO logs_groups (account_id, region, name, created_at_ms, doc) VALUES (?, ?, ?, ?, ?)",
                                 Self.scope(account, region, name) + [.int(createdMillis), .text(doc)])
            return true
        }
    }

    /// One group's document (`storedBytes` is not summed: PutLogEvents reads this on every call).
    public func group(account: String, region: String, name: String) async throws -> StoredLogGroup? {
        try await db.read { tx in
            try await tx.query("SELECT created_at_ms, doc FROM logs_groups WHERE account_id = ? AND region = ? AND name = ?",
                               Self.scope(account, region, name)).first.map {
                StoredLogGroup(name: name, createdMillis: $0[0].int ?? 0, doc: $0[1].text ?? "{}", storedBytes: 0)
            }
        }
    }

    public func saveGroup(account: String, region: String, name: String, doc: String) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT name FROM logs_groups WHERE account_id = ? AND region = ? AND name = ?", Self.scope(account, region, name))
            guard !found.isEmpty else { return false }
            try await tx.execute("UPDATE logs_groups SET doc = ? WHERE account_id = ? AND region = ? AND name = ?",
                                 [.text(doc)] + Self.scope(account, region, name))
            return true
        }
    }

    /// Groups whose names start with `prefix`, in name order, with the bytes their streams hold.
    public func listGroups(account: String, region: String, prefix: String) async throws -> [StoredLogGroup] {
        let rows = try await db.read { tx in
            try await tx.query("""
                SELECT g.name, g.created_at_ms, g.doc, (SELECT CAST(COALESCE(SUM(s.stored_bytes), 0) AS BIGINT) FROM logs_streams s
                    WHERE s.account_id = g.account_id AND s.region = g.region AND s.group_name = g.name)
                FROM logs_groups g WHERE g.account_id = ? AND g.region = ? AND g.name >= ? ORDER BY g.name
                """, Self.scope(account, region, prefix))
        }
        var out: [StoredLogGroup] = []
        for r in rows {
            guard let n = r[0].text, n.hasPrefix(prefix) else { break }
            out.append(StoredLogGroup(name: n, createdMillis: r[1].int ?? 0, doc: r[2].text ?? "{}", storedBytes: Self.number(r[3])))
        }
        return out
    }

    static func number(_ v: SQLValue) -> Int64 {
        switch v {
        case .int(let i): return i
        case .double(let d): return Int64(d)
        case .text(let t): return Int64(t) ?? 0
        default: return 0
        }
    }

    /// Every group of every account with a document (the background jobs' view).
    public func allGroups() async throws -> [(account: String, region: String, name: String, doc: String)] {
        try await db.read { tx in
            try await tx.query("SELECT account_id, region, name, doc FROM logs_groups ORDER BY account_id, region, name", [])
                .map { ($0[0].text ?? "", $0[1].text ?? "", $0[2].text ?? "", $0[3].text ?? "{}") }
        }
    }

    public func deleteGroup(account: String, region: String, name: String) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT name FROM logs_groups WHERE account_id = ? AND region = ? AND name = ?", Self.scope(account, region, name))
            guard !found.isEmpty else { return false }
            for table in ["logs_events", "logs_streams"] {
                try await tx.execute("DELETE FROM \(table) WHERE account_id = ? AND region = ? AND group_name = ?", Self.scope(account, region, name))
            }
            try await tx.execute("DELETE FROM logs_groups WHERE account_id = ? AND region = ? AND name = ?", Self.scope(account, region, name))
            return true
        }
    }

    // MARK: streams

    public func createStream(account: String, region: String, group: String, name: String, createdMillis: Int64) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT name FROM logs_streams WHERE account_id = ? AND region = ? AND group_name = ? AND name = ?",
                                           Self.scope(account, region, group) + [.text(name)])
            guard found.isEmpty else { return false }
            try await tx.execute("INSERT INTO logs_streams (account_id, region, group_name, name, created_at_ms, stored_bytes) VALUES (?, ?, ?, ?, ?, 0)",
                                 Self.scope(account, region, group) + [.text(name), .int(createdMillis)])
            return true
        }
    }

    public func deleteStream(account: String, region: String, group: String, name: String) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT name FROM logs_streams WHERE account_id = ? AND region = ? AND group_name = ? AND name = ?",
                                           Self.scope(account, region, group) + [.text(name)])
            guard !found.isEmpty else { return false }
            try await tx.execute("DELETE FROM logs_events WHERE account_id = ? AND region = ? AND group_name = ? AND stream_name = ?",
                                 Self.scope(account, region, group) + [.text(name)])
            try await tx.execute("DELETE FROM logs_streams WHERE account_id = ? AND region = ? AND group_name = ? AND name = ?",
                                 Self.scope(account, region, group) + [.text(name)])
            return true
        }
    }

    public func streams(account: String, region: String, group: String, prefix: String = "") async throws -> [StoredLogStream] {
        let rows = try await db.read { tx in
            try await tx.query("""
                SELECT name, created_at_ms, first_ts_ms, last_ts_ms, last_ingest_ms, stored_bytes FROM logs_streams
                WHERE account_id = ? AND region = ? AND group_name = ? AND name >= ? ORDER BY name
                """, Self.scope(account, region, group) + [.text(prefix)])
        }
        var out: [StoredLogStream] = []
        for r in rows {
            guard let n = r[0].text, n.hasPrefix(prefix) else { break }
            out.append(StoredLogStream(name: n, createdMillis: r[1].int ?? 0, firstMillis: r[2].int, lastMillis: r[3].int,
                                       lastIngestMillis: r[4].int, storedBytes: r[5].int ?? 0))
        }
        return out
    }

    // MARK: events

    /// Appends events to a stream (which must exist; false when it does not) with the metric data points their metric
    /// filters produced, and moves `cursor` (name, seq) when given — all in one transaction.
    public func append(account: String, region: String, group: String, stream: String, events: [(timestamp: Int64, message: String)],
                       ingestMillis: Int64, datapoints: [MetricDatum], cursor: (String, Int64)? = nil,
                       createStream: Bool = false) async throws -> Bool {
        try await db.transaction { tx in
            let scope = Self.scope(account, region, group) + [.text(stream)]
            let found = try await tx.query("SELECT first_ts_ms, last_ts_ms FROM logs_streams WHERE account_id = ? AND region = ? AND group_name = ? AND name = ?", scope)
            if found.isEmpty {
                guard createStream else { return false }
                try await tx.execute("INSERT INTO logs_streams (account_id, region, group_name, name, created_at_ms, stored_bytes) VALUES (?, ?, ?, ?, ?, 0)",
                                     scope + [.int(ingestMillis)])
            }
            var first = found.first?[0].int
            var last = found.first?[1].int
            var bytes: Int64 = 0
            // Multi-row inserts, up to 100 events per statement.
            for chunk in stride(from: 0, to: events.count, by: 100) {
                let part = events[chunk..<Swift.min(chunk + 100, events.count)]
                var args: [SQLValue] = []
                args.reserveCapacity(part.count * 7)
                for e in part {
                    args += scope + [.int(e.timestamp), .int(ingestMillis), .text(e.message)]
                    first = Swift.min(first ?? e.timestamp, e.timestamp)
                    last = Swift.max(last ?? e.timestamp, e.timestamp)
                    bytes += Int64(e.message.utf8.count + 26)
                }
                let rows = Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: part.count).joined(separator: ", ")
                try await tx.execute("INSERT INTO logs_events (account_id, region, group_name, stream_name, ts_ms, ingest_ms, message) VALUES \(rows)", args)
            }
            if !events.isEmpty {
                try await tx.execute("""
                    UPDATE logs_streams SET first_ts_ms = ?, last_ts_ms = ?, last_ingest_ms = ?, stored_bytes = stored_bytes + ?
                    WHERE account_id = ? AND region = ? AND group_name = ? AND name = ?
                    """, [first.map { .int($0) } ?? .null, last.map { .int($0) } ?? .null, .int(ingestMillis), .int(bytes)] + scope)
            }
            for d in datapoints { try await MetricDatum.insert(d, tx) }
            if let (name, seq) = cursor { try await Cursors.write(tx, name, seq) }
            return true
        }
    }

    public func cursor(_ name: String) async throws -> Int64? {
        try await Cursors.read(db, name)
    }

    static func event(_ r: SQLRow) -> StoredLogEvent {
        StoredLogEvent(seq: r[0].int ?? 0, stream: r[1].text ?? "", timestampMillis: r[2].int ?? 0, ingestMillis: r[3].int ?? 0, message: r[4].text ?? "")
    }

    /// One stream's events in [start, end) by time, after (forward) or before (backward) the position (ts, seq).
    public func streamEvents(account: String, region: String, group: String, stream: String, startMillis: Int64, endMillis: Int64,
                             after: (Int64, Int64)?, before: (Int64, Int64)?, forward: Bool, limit: Int) async throws -> [StoredLogEvent] {
        var sql = "SELECT seq, stream_name, ts_ms, ingest_ms, message FROM logs_events WHERE account_id = ? AND region = ? AND group_name = ? AND stream_name = ? AND ts_ms >= ? AND ts_ms < ?"
        var args = Self.scope(account, region, group) + [.text(stream), .int(startMillis), .int(endMillis)]
        if let (ts, seq) = after {
            sql += " AND (ts_ms > ? OR (ts_ms = ? AND seq > ?))"
            args += [.int(ts), .int(ts), .int(seq)]
        }
        if let (ts, seq) = before {
            sql += " AND (ts_ms < ? OR (ts_ms = ? AND seq < ?))"
            args += [.int(ts), .int(ts), .int(seq)]
        }
        sql += forward ? " ORDER BY ts_ms, seq LIMIT ?" : " ORDER BY ts_ms DESC, seq DESC LIMIT ?"
        args.append(.int(Int64(limit)))
        let finalSQL = sql
        let finalArgs = args
        return try await db.read { tx in try await tx.query(finalSQL, finalArgs).map(Self.event) }
    }

    /// A group's events in [start, end) by time after the position (ts, seq), oldest first.
    public func groupEvents(account: String, region: String, group: String, startMillis: Int64, endMillis: Int64,
                            after: (Int64, Int64)?, limit: Int) async throws -> [StoredLogEvent] {
        var sql = "SELECT seq, stream_name, ts_ms, ingest_ms, message FROM logs_events WHERE account_id = ? AND region = ? AND group_name = ? AND ts_ms >= ? AND ts_ms < ?"
        var args = Self.scope(account, region, group) + [.int(startMillis), .int(endMillis)]
        if let (ts, seq) = after {
            sql += " AND (ts_ms > ? OR (ts_ms = ? AND seq > ?))"
            args += [.int(ts), .int(ts), .int(seq)]
        }
        sql += " ORDER BY ts_ms, seq LIMIT ?"
        args.append(.int(Int64(limit)))
        let finalSQL = sql
        let finalArgs = args
        return try await db.read { tx in try await tx.query(finalSQL, finalArgs).map(Self.event) }
    }

    /// Retention: removes a group's events older than the cutoff; returns how many.
    public func deleteEvents(account: String, region: String, group: String, olderThanMillis cutoff: Int64) async throws -> Int {
        try await db.transaction { tx in
            let n = try await tx.query("SELECT COUNT(*) FROM logs_events WHERE account_id = ? AND region = ? AND group_name = ? AND ts_ms < ?",
                                       Self.scope(account, region, group) + [.int(cutoff)]).first?[0].int ?? 0
            guard n > 0 else { return 0 }
            try await tx.execute("DELETE FROM logs_events WHERE account_id = ? AND region = ? AND group_name = ? AND ts_ms < ?",
                                 Self.scope(account, region, group) + [.int(cutoff)])
            return Int(n)
        }
    }
}
