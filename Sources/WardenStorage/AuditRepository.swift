// The audit log table: append in batches (group commit), read back in order.

/// One stored CloudTrail record with the columns lookups filter on.
public struct StoredAuditEvent: Sendable, Equatable {
    public var seq: Int64
    public var eventId: String
    public var account: String
    public var region: String
    public var eventTimeMillis: Int64
    public var eventSource: String
    public var eventName: String
    public var readOnly: Bool
    public var management: Bool
    public var username: String?
    public var accessKeyId: String?
    public var requestId: String
    public var errorCode: String?
    /// The full record as JSON text, exactly as recorded.
    public var record: String
    /// The resources the record names (type, ARN or name), indexed for CloudTrail's ResourceType/ResourceName lookups.
    public var resources: [StoredAuditResource]

    public init(seq: Int64 = 0, eventId: String, account: String, region: String, eventTimeMillis: Int64,
                eventSource: String, eventName: String, readOnly: Bool, management: Bool, username: String?,
                accessKeyId: String?, requestId: String, errorCode: String?, record: String,
                resources: [StoredAuditResource] = []) {
        self.seq = seq
        self.eventId = eventId
        self.account = account
        self.region = region
        self.eventTimeMillis = eventTimeMillis
        self.eventSource = eventSource
        self.eventName = eventName
        self.readOnly = readOnly
        self.management = management
        self.username = username
        self.accessKeyId = accessKeyId
        self.requestId = requestId
        self.errorCode = errorCode
        self.record = record
        self.resources = resources
    }
}

public struct StoredAuditResource: Sendable, Equatable {
    public var type: String
    public var name: String
    public init(type: String, name: String) {
        self.type = type
        self.name = name
    }
}

public struct AuditRepository: Sendable {
    public let db: any SQLDatabase
    static let columns = "event_id, account_id, region, event_time_ms, event_source, event_name, read_only, management, username, access_key_id, request_id, error_code, record"
    static let rowsPerStatement = 400

    public init(db: any SQLDatabase) { self.db = db }

    /// Appends all events in one transaction: durable when this returns.
    public func append(_ events: [StoredAuditEvent]) async throws {
        guard !events.isEmpty else { return }
        let shared = db.dialect == .postgres
        try await db.transaction { tx in
            // Consumers (trail delivery, the EventBridge and Logs tails, Insights) read the log by `seq` after a cursor.
            // With several nodes appending, a batch holding a lower seq could commit after one holding a higher seq
            // and be skipped; one append at a time across the cluster makes seq order the commit order. Each node
            // group-commits, so this costs one lock round trip per batch, not per event.
            if shared { _ = try await tx.query("SELECT pg_advisory_xact_lock(727173)", []) }
            try await Self.append(events, in: tx)
        }
    }

    public static func append(_ events: [StoredAuditEvent], in tx: any SQLExecutor) async throws {
        var start = 0
        while start < events.count {
            let chunk = events[start..<min(start + rowsPerStatement, events.count)]
            let tuple = "(" + Array(repeating: "?", count: 13).joined(separator: ", ") + ")"
            let sql = "INSERT INTO audit_events (\(columns)) VALUES " + Array(repeating: tuple, count: chunk.count).joined(separator: ", ")
            var binds: [SQLValue] = []
            binds.reserveCapacity(chunk.count * 13)
            for e in chunk {
                binds += [.text(e.eventId), .text(e.account), .text(e.region), .int(e.eventTimeMillis), .text(e.eventSource),
                          .text(e.eventName), SQLValue(e.readOnly), SQLValue(e.management), SQLValue(e.username),
                          SQLValue(e.accessKeyId), .text(e.requestId), SQLValue(e.errorCode), .text(e.record)]
            }
            try await tx.execute(sql, binds)
            start += rowsPerStatement
        }
        let resources = events.flatMap { e in e.resources.map { (e, $0) } }
        var from = 0
        while from < resources.count {
            let chunk = resources[from..<min(from + rowsPerStatement, resources.count)]
            let sql = "INSERT INTO audit_resources (event_id, account_id, region, event_time_ms, resource_type, resource_name) VALUES "
                + Array(repeating: "(?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ") + " ON CONFLICT DO NOTHING"
            var binds: [SQLValue] = []
            binds.reserveCapacity(chunk.count * 6)
            for (e, r) in chunk {
                binds += [.text(e.eventId), .text(e.account), .text(e.region), .int(e.eventTimeMillis), .text(r.type), .text(r.name)]
            }
            try await tx.execute(sql, binds)
            from += rowsPerStatement
        }
    }

    /// Events after `afterSeq` in log order, optionally for one account and region.
    public func list(afterSeq: Int64 = 0, account: String? = nil, region: String? = nil, limit: Int = 1000) async throws -> [StoredAuditEvent] {
        var sql = "SELECT seq, \(Self.columns) FROM audit_events WHERE seq > ?"
        var binds: [SQLValue] = [.int(afterSeq)]
        if let account { sql += " AND account_id = ?"; binds.append(.text(account)) }
        if let region { sql += " AND region = ?"; binds.append(.text(region)) }
        sql += " ORDER BY seq LIMIT ?"
        binds.append(.int(Int64(limit)))
        let (query, args) = (sql, binds)
        let rows = try await db.read { tx in try await tx.query(query, args) }
        return rows.map(Self.event)
    }

    public func find(requestId: String) async throws -> [StoredAuditEvent] {
        let rows = try await db.read { tx in
            try await tx.query("SELECT seq, \(Self.columns) FROM audit_events WHERE request_id = ? ORDER BY seq", [.text(requestId)])
        }
        return rows.map(Self.event)
    }

    public func count() async throws -> Int {
        try await db.read { tx in Int(try await tx.query("SELECT COUNT(*) FROM audit_events", []).first?[0].int ?? 0) }
    }

    static func event(_ r: SQLRow) -> StoredAuditEvent {
        StoredAuditEvent(seq: r[0].int ?? 0, eventId: r[1].text ?? "", account: r[2].text ?? "", region: r[3].text ?? "",
                         eventTimeMillis: r[4].int ?? 0, eventSource: r[5].text ?? "", eventName: r[6].text ?? "",
                         readOnly: r[7].bool ?? false, management: r[8].bool ?? false, username: r[9].text,
                         accessKeyId: r[10].text, requestId: r[11].text ?? "", errorCode: r[12].text, record: r[13].text ?? "")
    }
}
