// CloudTrail Insights: per-minute counts of management calls read from the audit log, and the Insights events the
// detector raised.

public struct MinuteCount: Sendable {
    public var account: String
    public var region: String
    public var eventSource: String
    public var eventName: String
    public var minute: Int64
    public var readOnly: Bool
    public var errorCode: String?
    public var count: Int64
}

public struct StoredInsight: Sendable {
    public var seq: Int64
    public var eventId: String
    public var timeMillis: Int64
    public var eventName: String
    public var record: String
}

public struct InsightRepository: Sendable {
    public let db: any SQLDatabase

    public init(db: any SQLDatabase) { self.db = db }

    /// An account's management calls per (region, API, minute, read-only, error code) in [start, end).
    public func minuteCounts(account: String, startMillis: Int64, endMillis: Int64) async throws -> [MinuteCount] {
        try await db.read { tx in
            try await tx.query("""
                SELECT account_id, region, event_source, event_name, event_time_ms / 60000, read_only, error_code, COUNT(*)
                FROM audit_events WHERE account_id = ? AND management = 1 AND event_time_ms >= ? AND event_time_ms < ?
                GROUP BY account_id, region, event_source, event_name, event_time_ms / 60000, read_only, error_code
                """, [.text(account), .int(startMillis), .int(endMillis)]).map {
                MinuteCount(account: $0[0].text ?? "", region: $0[1].text ?? "", eventSource: $0[2].text ?? "", eventName: $0[3].text ?? "",
                            minute: $0[4].int ?? 0, readOnly: ($0[5].int ?? 0) != 0, errorCode: $0[6].text, count: $0[7].int ?? 0)
            }
        }
    }

    public func add(account: String, region: String, eventId: String, timeMillis: Int64, eventName: String, record: String,
                    pendingEvent: String?, nowMillis: Int64) async throws {
        try await db.transaction { tx in
            try await tx.execute("INSERT INTO cloudtrail_insights (account_id, region, event_id, event_time_ms, event_name, record) VALUES (?, ?, ?, ?, ?, ?)",
                                 [.text(account), .text(region), .text(eventId), .int(timeMillis), .text(eventName), .text(record)])
            if let e = pendingEvent { try await PendingEvents.insert(tx, account: account, region: region, event: e, nowMillis: nowMillis) }
        }
    }

    /// An account and region's Insights events in [start, end], newest first, before the position (time, seq).
    public func list(account: String, region: String, startMillis: Int64, endMillis: Int64, before: (Int64, Int64)?, limit: Int) async throws -> [StoredInsight] {
        var sql = "SELECT seq, event_id, event_time_ms, event_name, record FROM cloudtrail_insights WHERE account_id = ? AND region = ? AND event_time_ms >= ? AND event_time_ms <= ?"
        var args: [SQLValue] = [.text(account), .text(region), .int(startMillis), .int(endMillis)]
        if let (t, s) = before {
            sql += " AND (event_time_ms < ? OR (event_time_ms = ? AND seq < ?))"
            args += [.int(t), .int(t), .int(s)]
        }
        sql += " ORDER BY event_time_ms DESC, seq DESC LIMIT ?"
        args.append(.int(Int64(limit)))
        let q = sql
        let a = args
        return try await db.read { tx in
            try await tx.query(q, a).map {
                StoredInsight(seq: $0[0].int ?? 0, eventId: $0[1].text ?? "", timeMillis: $0[2].int ?? 0, eventName: $0[3].text ?? "", record: $0[4].text ?? "")
            }
        }
    }

    /// The newest Insights event for an API and insight type (its record), to know whether an insight is open.
    public func latest(account: String, region: String, eventName: String) async throws -> [String] {
        try await db.read { tx in
            try await tx.query("SELECT record FROM cloudtrail_insights WHERE account_id = ? AND region = ? AND event_name = ? ORDER BY seq DESC LIMIT 20",
                               [.text(account), .text(region), .text(eventName)]).compactMap { $0[0].text }
        }
    }

    public func cursor(_ name: String) async throws -> Int64? { try await Cursors.read(db, name) }

    public func setCursor(_ name: String, _ value: Int64) async throws { try await Cursors.write(db, name, value) }
}
