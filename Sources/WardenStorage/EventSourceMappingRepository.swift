// Lambda event source mappings: one row per mapping of a queue to a function, with the state the pollers act on.
// Nothing in a mapping is secret (queue and function ARNs, batch settings, filter patterns), so rows are not sealed.

public struct EventSourceMappingRow: Sendable, Equatable {
    public var uuid: String
    public var account: String
    public var region: String
    public var eventSourceArn: String
    public var functionArn: String
    /// Lambda's state names: Creating, Enabling, Enabled, Disabling, Disabled, Updating, Deleting.
    public var state: String
    /// What the mapping settles as once its transition completes (Enabled or Disabled).
    public var enabled: Bool
    public var createdAtMillis: Int64
    /// The configuration document (JSON) the Lambda service owns.
    public var doc: String
    /// The outcome of the last batch the pollers handled (nil before the first).
    public var lastResult: String?

    public init(uuid: String, account: String, region: String, eventSourceArn: String, functionArn: String, state: String,
                enabled: Bool, createdAtMillis: Int64, doc: String, lastResult: String? = nil) {
        self.uuid = uuid
        self.account = account
        self.region = region
        self.eventSourceArn = eventSourceArn
        self.functionArn = functionArn
        self.state = state
        self.enabled = enabled
        self.createdAtMillis = createdAtMillis
        self.doc = doc
        self.lastResult = lastResult
    }
}

public struct EventSourceMappingRepository: Sendable {
    public let db: any SQLDatabase

    public init(db: any SQLDatabase) { self.db = db }

    static let columns = "uuid, account_id, region, event_source_arn, function_arn, state, enabled, created_at_ms, doc, last_result"

    static func row(_ r: SQLRow) -> EventSourceMappingRow {
        EventSourceMappingRow(uuid: r[0].text ?? "", account: r[1].text ?? "", region: r[2].text ?? "",
                              eventSourceArn: r[3].text ?? "", functionArn: r[4].text ?? "", state: r[5].text ?? "",
                              enabled: r[6].bool ?? false, createdAtMillis: r[7].int ?? 0, doc: r[8].text ?? "{}",
                              lastResult: r[9].text)
    }

    /// Inserts the mapping unless one already maps the same event source to the same function; returns the UUID of
    /// that one instead (nil when inserted). Callers hold the event source's lock, so the check holds across nodes.
    public func create(_ m: EventSourceMappingRow) async throws -> String? {
        try await db.transaction { tx in
            let existing = try await tx.query(
                "SELECT uuid FROM lambda_event_source_mappings WHERE event_source_arn = ? AND function_arn = ?",
                [.text(m.eventSourceArn), .text(m.functionArn)])
            if let uuid = existing.first?[0].text { return uuid }
            try await tx.execute("""
                INSERT INTO lambda_event_source_mappings (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
                """, [.text(m.uuid), .text(m.account), .text(m.region), .text(m.eventSourceArn), .text(m.functionArn),
                      .text(m.state), SQLValue(m.enabled), .int(m.createdAtMillis), .text(m.doc)])
            return nil
        }
    }

    /// The mapping `uuid` of an account and region (a mapping is not visible from others).
    public func mapping(uuid: String, account: String, region: String) async throws -> EventSourceMappingRow? {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.columns) FROM lambda_event_source_mappings WHERE uuid = ? AND account_id = ? AND region = ?",
                               [.text(uuid), .text(account), .text(region)]).first.map(Self.row)
        }
    }

    /// The UUID of the mapping of `eventSourceArn` to `functionArn`, if there is one.
    public func mapping(eventSourceArn: String, functionArn: String) async throws -> String? {
        try await db.read { tx in
            try await tx.query("SELECT uuid FROM lambda_event_source_mappings WHERE event_source_arn = ? AND function_arn = ?",
                               [.text(eventSourceArn), .text(functionArn)]).first?[0].text
        }
    }

    /// Replaces a mapping's function, state, enabled flag and document; false when it is gone.
    public func update(_ m: EventSourceMappingRow) async throws -> Bool {
        try await db.transaction { tx in
            let rows = try await tx.query("""
                UPDATE lambda_event_source_mappings SET function_arn = ?, state = ?, enabled = ?, doc = ?
                WHERE uuid = ? RETURNING uuid
                """, [.text(m.functionArn), .text(m.state), SQLValue(m.enabled), .text(m.doc), .text(m.uuid)])
            return !rows.isEmpty
        }
    }

    /// Mappings of an account and region in UUID order after `after`, optionally of one event source and/or one
    /// function ARN.
    public func list(account: String, region: String, eventSourceArn: String?, functionArn: String?, after: String?,
                     limit: Int) async throws -> [EventSourceMappingRow] {
        var sql = "SELECT \(Self.columns) FROM lambda_event_source_mappings WHERE account_id = ? AND region = ? AND uuid > ?"
        var binds: [SQLValue] = [.text(account), .text(region), .text(after ?? "")]
        if let eventSourceArn {
            sql += " AND event_source_arn = ?"
            binds.append(.text(eventSourceArn))
        }
        if let functionArn {
            sql += " AND function_arn = ?"
            binds.append(.text(functionArn))
        }
        sql += " ORDER BY uuid LIMIT ?"
        binds.append(.int(Int64(limit)))
        let query = sql, values = binds
        return try await db.read { tx in try await tx.query(query, values).map(Self.row) }
    }

    /// Every mapping that is not Disabled, of every account and region (what the pollers look at each second).
    public func active() async throws -> [EventSourceMappingRow] {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.columns) FROM lambda_event_source_mappings WHERE state <> 'Disabled' ORDER BY uuid", [])
                .map(Self.row)
        }
    }

    /// Completes pending transitions (Creating, Enabling and Updating settle as Enabled or Disabled, Disabling as
    /// Disabled; Deleting removes the mapping) and returns every mapping that is not Disabled, in one transaction —
    /// run under the pollers' lease, so it is fenced with their other effects.
    public func settle() async throws -> [EventSourceMappingRow] {
        try await db.transaction { tx in
            try await tx.execute("""
                UPDATE lambda_event_source_mappings SET state = 'Enabled'
                WHERE state IN ('Creating', 'Enabling', 'Updating') AND enabled = 1
                """)
            try await tx.execute("""
                UPDATE lambda_event_source_mappings SET state = 'Disabled'
                WHERE state IN ('Creating', 'Enabling', 'Updating', 'Disabling') AND enabled = 0
                """)
            try await tx.execute("DELETE FROM lambda_event_source_mappings WHERE state = 'Deleting'")
            return try await tx.query("SELECT \(Self.columns) FROM lambda_event_source_mappings WHERE state <> 'Disabled' ORDER BY uuid", [])
                .map(Self.row)
        }
    }

    /// Records the outcome of a mapping's last batch.
    public func setLastResult(uuid: String, _ result: String) async throws {
        try await db.transaction { tx in
            try await tx.execute("UPDATE lambda_event_source_mappings SET last_result = ? WHERE uuid = ?", [.text(result), .text(uuid)])
        }
    }
}
