// EventBridge: buses and rules as documents, the outbox of target deliveries (payloads sealed), and the cursor of
// the CloudTrail tail over the audit log.

public struct EventTargetDelivery: Sendable {
    public var seq: Int64
    public var attempts: Int64
    public var target: String
    public var payload: [UInt8]
    /// The due time this node's claim set: completing or rescheduling checks it, so a node whose claim ran out (and
    /// another node claimed the delivery meanwhile) cannot overwrite the new claim.
    public var claimedUntil: Int64? = nil
}

/// Named positions of background consumers (`events_cursor`): how far a tail has read, a schedule's next time.
public enum Cursors {
    static func read(_ tx: any SQLExecutor, _ name: String) async throws -> Int64? {
        try await tx.query("SELECT seq FROM events_cursor WHERE name = ?", [.text(name)]).first?[0].int
    }

    static func write(_ tx: any SQLExecutor, _ name: String, _ value: Int64) async throws {
        try await tx.execute("DELETE FROM events_cursor WHERE name = ?", [.text(name)])
        try await tx.execute("INSERT INTO events_cursor (name, seq) VALUES (?, ?)", [.text(name), .int(value)])
    }

    public static func read(_ db: any SQLDatabase, _ name: String) async throws -> Int64? {
        try await db.read { tx in try await read(tx, name) }
    }

    public static func write(_ db: any SQLDatabase, _ name: String, _ value: Int64) async throws {
        try await db.transaction { tx in try await write(tx, name, value) }
    }
}

/// Events other services keep for EventBridge's default bus (full event documents), drained by the CloudTrail tail.
public enum PendingEvents {
    static func insert(_ tx: any SQLExecutor, account: String, region: String, event: String, nowMillis: Int64) async throws {
        try await tx.execute("INSERT INTO pending_events (account_id, region, created_at_ms, event) VALUES (?, ?, ?, ?)",
                             [.text(account), .text(region), .int(nowMillis), .text(event)])
    }

    public static func add(_ db: any SQLDatabase, account: String, region: String, event: String, nowMillis: Int64) async throws {
        try await db.transaction { tx in try await insert(tx, account: account, region: region, event: event, nowMillis: nowMillis) }
    }
}

public struct EventBusRepository: Sendable {
    public let db: any SQLDatabase
    public let sealer: Sealer

    public init(db: any SQLDatabase, sealer: Sealer) {
        self.db = db
        self.sealer = sealer
    }

    /// Creates a resource; false when the name is taken.
    public func create(account: String, region: String, kind: String, name: String, doc: String) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT name FROM events_resources WHERE account_id = ? AND region = ? AND kind = ? AND name = ?",
                                           [.text(account), .text(region), .text(kind), .text(name)])
            guard found.isEmpty else { return false }
            try await tx.execute("INSERT INTO events_resources (account_id, region, kind, name, doc) VALUES (?, ?, ?, ?, ?)",
                                 [.text(account), .text(region), .text(kind), .text(name), .text(doc)])
            return true
        }
    }

    public func put(account: String, region: String, kind: String, name: String, doc: String) async throws {
        try await db.transaction { tx in
            try await tx.execute("DELETE FROM events_resources WHERE account_id = ? AND region = ? AND kind = ? AND name = ?",
                                 [.text(account), .text(region), .text(kind), .text(name)])
            try await tx.execute("INSERT INTO events_resources (account_id, region, kind, name, doc) VALUES (?, ?, ?, ?, ?)",
                                 [.text(account), .text(region), .text(kind), .text(name), .text(doc)])
        }
    }

    public func get(account: String, region: String, kind: String, name: String) async throws -> String? {
        try await db.read { tx in
            try await tx.query("SELECT doc FROM events_resources WHERE account_id = ? AND region = ? AND kind = ? AND name = ?",
                               [.text(account), .text(region), .text(kind), .text(name)]).first?[0].text
        }
    }

    /// Resources of a kind whose names start with `prefix`, in name order.
    public func list(account: String, region: String, kind: String, prefix: String) async throws -> [(name: String, doc: String)] {
        let rows = try await db.read { tx in
            try await tx.query("SELECT name, doc FROM events_resources WHERE account_id = ? AND region = ? AND kind = ? AND name >= ? ORDER BY name",
                               [.text(account), .text(region), .text(kind), .text(prefix)])
        }
        return rows.compactMap { r in
            guard let n = r[0].text, n.hasPrefix(prefix) else { return nil }
            return (n, r[1].text ?? "")
        }
    }

    /// Every resource of a kind, all accounts and regions (the scheduler's view).
    public func all(kind: String) async throws -> [(account: String, region: String, name: String, doc: String)] {
        try await db.read { tx in
            try await tx.query("SELECT account_id, region, name, doc FROM events_resources WHERE kind = ? ORDER BY account_id, region, name", [.text(kind)])
                .map { ($0[0].text ?? "", $0[1].text ?? "", $0[2].text ?? "", $0[3].text ?? "") }
        }
    }

    public func delete(account: String, region: String, kind: String, name: String) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT name FROM events_resources WHERE account_id = ? AND region = ? AND kind = ? AND name = ?",
                                           [.text(account), .text(region), .text(kind), .text(name)])
            guard !found.isEmpty else { return false }
            try await tx.execute("DELETE FROM events_resources WHERE account_id = ? AND region = ? AND kind = ? AND name = ?",
                                 [.text(account), .text(region), .text(kind), .text(name)])
            return true
        }
    }

    // MARK: outbox

    static let context = SealContext(table: "events_outbox", id: "payload", version: "1")

    /// Queues deliveries durably; `cursor` (name, seq), when given, moves in the same transaction.
    public func enqueue(_ items: [(target: String, payload: [UInt8])], dueAtMillis: Int64, cursor: (String, Int64)? = nil) async throws {
        let sealed = try items.map { try sealer.seal($0.payload, context: Self.context) }
        guard !items.isEmpty || cursor != nil else { return }
        try await db.transaction { tx in
            for (item, box) in zip(items, sealed) {
                try await tx.execute("INSERT INTO events_outbox (due_at_ms, attempts, target, payload) VALUES (?, 0, ?, ?)",
                                     [.int(dueAtMillis), .text(item.target), .blob(box)])
            }
            if let (name, seq) = cursor { try await Cursors.write(tx, name, seq) }
        }
    }

    /// Claims up to `limit` due deliveries for this node for `leaseMillis` of the database's clock (in
    /// `claimed_until_ms`, in the same transaction): nodes share the outbox (PostgreSQL skips rows another claim has
    /// locked), and deliveries a dead node had claimed are taken again when its claim runs out.
    public func claimDue(nowMillis: Int64, limit: Int, leaseMillis: Int64) async throws -> [EventTargetDelivery] {
        let skip = db.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        let dbNow = db.dialect.nowMillisSQL
        let (rows, until) = try await db.transaction { tx in
            let until = (try await tx.query("SELECT \(dbNow)", []).first?[0].int ?? 0) + leaseMillis
            let rows = try await tx.query("""
                SELECT seq, attempts, target, payload FROM events_outbox
                WHERE due_at_ms <= ? AND (claimed_until_ms IS NULL OR claimed_until_ms < ?)
                ORDER BY due_at_ms, seq LIMIT ?\(skip)
                """, [.int(nowMillis), .int(until - leaseMillis), .int(Int64(limit))])
            for r in rows {
                try await tx.execute("UPDATE events_outbox SET claimed_until_ms = ? WHERE seq = ?", [.int(until), r[0]])
            }
            return (rows, until)
        }
        return try rows.map { EventTargetDelivery(seq: $0[0].int ?? 0, attempts: $0[1].int ?? 0, target: $0[2].text ?? "",
                                                  payload: try sealer.open($0[3].blob ?? [], context: Self.context),
                                                  claimedUntil: until) }
    }

    /// Deletes a delivered item — unless the claim ran out and another node claimed it meanwhile (it delivers again:
    /// at least once).
    public func complete(seq: Int64, claim: Int64? = nil) async throws {
        let (check, binds): (String, [SQLValue]) = claim.map { (" AND claimed_until_ms = ?", [.int($0)]) } ?? ("", [])
        try await db.transaction { tx in try await tx.execute("DELETE FROM events_outbox WHERE seq = ?" + check, [.int(seq)] + binds) }
    }

    /// Deletes many delivered items in one transaction, each under the same condition as `complete`.
    public func complete(_ items: [(seq: Int64, claim: Int64?)]) async throws {
        guard !items.isEmpty else { return }
        try await db.transaction { tx in
            for item in items {
                let (check, binds): (String, [SQLValue]) = item.claim.map { (" AND claimed_until_ms = ?", [.int($0)]) } ?? ("", [])
                try await tx.execute("DELETE FROM events_outbox WHERE seq = ?" + check, [.int(item.seq)] + binds)
            }
        }
    }

    /// Schedules another attempt and gives the claim up, under the same condition as `complete`.
    public func retry(seq: Int64, attempts: Int64, dueAtMillis: Int64, claim: Int64? = nil) async throws {
        let (check, binds): (String, [SQLValue]) = claim.map { (" AND claimed_until_ms = ?", [.int($0)]) } ?? ("", [])
        try await db.transaction { tx in
            try await tx.execute("UPDATE events_outbox SET attempts = ?, due_at_ms = ?, claimed_until_ms = NULL WHERE seq = ?" + check,
                                 [.int(attempts), .int(dueAtMillis), .int(seq)] + binds)
        }
    }

    public func cursor(_ name: String) async throws -> Int64? {
        try await Cursors.read(db, name)
    }

    /// The newest audit record's sequence number (where a fresh CloudTrail tail starts).
    public func newestAuditSeq() async throws -> Int64 {
        try await db.read { tx in try await tx.query("SELECT MAX(seq) FROM audit_events", []).first?[0].int ?? 0 }
    }

    /// Events other services kept for the default bus (Parameter Store policies): oldest first.
    public func pendingEvents(limit: Int) async throws -> [(seq: Int64, account: String, region: String, event: String)] {
        try await db.read { tx in
            try await tx.query("SELECT seq, account_id, region, event FROM pending_events ORDER BY seq LIMIT ?", [.int(Int64(limit))])
                .map { ($0[0].int ?? 0, $0[1].text ?? "", $0[2].text ?? "", $0[3].text ?? "") }
        }
    }

    /// Queues a kept event's deliveries and removes it, in one transaction.
    public func takePending(seq: Int64, deliveries: [(target: String, payload: [UInt8])], dueAtMillis: Int64) async throws {
        let sealed = try deliveries.map { try sealer.seal($0.payload, context: Self.context) }
        try await db.transaction { tx in
            for (item, box) in zip(deliveries, sealed) {
                try await tx.execute("INSERT INTO events_outbox (due_at_ms, attempts, target, payload) VALUES (?, 0, ?, ?)",
                                     [.int(dueAtMillis), .text(item.target), .blob(box)])
            }
            try await tx.execute("DELETE FROM pending_events WHERE seq = ?", [.int(seq)])
        }
    }
}
