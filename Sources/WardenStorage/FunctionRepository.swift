// Functions (Lambda): configurations sealed under the root key (their environment variables may be secrets), code
// zips beside them, and the queue of asynchronous invocations (versions, aliases and invocation settings:
// FunctionRepository+Versions).

public struct FunctionRow: Sendable {
    public var account: String
    public var region: String
    public var name: String
    public var createdAtMillis: Int64
    /// The configuration document (JSON), opened.
    public var doc: [UInt8]
    public init(account: String, region: String, name: String, createdAtMillis: Int64, doc: [UInt8]) {
        self.account = account
        self.region = region
        self.name = name
        self.createdAtMillis = createdAtMillis
        self.doc = doc
    }
}

/// One queued asynchronous invocation.
public struct FunctionEvent: Sendable {
    public var seq: Int64
    public var functionArn: String
    public var attempts: Int64
    public var payload: [UInt8]
    public var doc: String
    /// The due time this node's claim set (see `claimEvents`): rescheduling and completing check it.
    public var claimedUntil: Int64? = nil
}

public struct FunctionRepository: Sendable {
    public let db: any SQLDatabase
    public let sealer: Sealer

    public init(db: any SQLDatabase, sealer: Sealer) {
        self.db = db
        self.sealer = sealer
    }

    static func context(_ account: String, _ region: String, _ name: String) -> SealContext {
        SealContext(table: "lambda_functions", id: "\(account)/\(region)/\(name)", version: "1")
    }

    func row(_ r: SQLRow) throws -> FunctionRow {
        let account = r[0].text ?? "", region = r[1].text ?? "", name = r[2].text ?? ""
        return FunctionRow(account: account, region: region, name: name, createdAtMillis: r[3].int ?? 0,
                           doc: try sealer.open(r[4].blob ?? [], context: Self.context(account, region, name)))
    }

    /// Creates the function with its code; false when the name is taken.
    public func create(_ f: FunctionRow, code: [UInt8]) async throws -> Bool {
        let sealed = try sealer.seal(f.doc, context: Self.context(f.account, f.region, f.name))
        return try await db.transaction { tx in
            let found = try await tx.query("SELECT name FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?",
                                           [.text(f.account), .text(f.region), .text(f.name)])
            guard found.isEmpty else { return false }
            try await tx.execute("""
                INSERT INTO lambda_functions (account_id, region, name, created_at_ms, sealed, code) VALUES (?, ?, ?, ?, ?, ?)
                """, [.text(f.account), .text(f.region), .text(f.name), .int(f.createdAtMillis), .blob(sealed), .blob(code)])
            return true
        }
    }

    public func function(account: String, region: String, name: String) async throws -> FunctionRow? {
        let r = try await db.read { tx in
            try await tx.query("SELECT account_id, region, name, created_at_ms, sealed FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?",
                               [.text(account), .text(region), .text(name)]).first
        }
        return try r.map(row)
    }

    public func code(account: String, region: String, name: String) async throws -> [UInt8]? {
        try await db.read { tx in
            try await tx.query("SELECT code FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?",
                               [.text(account), .text(region), .text(name)]).first?[0].blob
        }
    }

    /// Functions of an account and region in name order, after `after`.
    public func functions(account: String, region: String, after: String?, limit: Int) async throws -> [FunctionRow] {
        let rows = try await db.read { tx in
            try await tx.query("""
                SELECT account_id, region, name, created_at_ms, sealed FROM lambda_functions
                WHERE account_id = ? AND region = ? AND name > ? ORDER BY name LIMIT ?
                """, [.text(account), .text(region), .text(after ?? ""), .int(Int64(limit))])
        }
        return try rows.map(row)
    }

    /// Replaces the configuration (and the code, when given); false when the function is gone.
    public func update(_ f: FunctionRow, code: [UInt8]? = nil) async throws -> Bool {
        let sealed = try sealer.seal(f.doc, context: Self.context(f.account, f.region, f.name))
        return try await db.transaction { tx in
            let found = try await tx.query("SELECT name FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?",
                                           [.text(f.account), .text(f.region), .text(f.name)])
            guard !found.isEmpty else { return false }
            if let code {
                try await tx.execute("UPDATE lambda_functions SET sealed = ?, code = ? WHERE account_id = ? AND region = ? AND name = ?",
                                     [.blob(sealed), .blob(code), .text(f.account), .text(f.region), .text(f.name)])
            } else {
                try await tx.execute("UPDATE lambda_functions SET sealed = ? WHERE account_id = ? AND region = ? AND name = ?",
                                     [.blob(sealed), .text(f.account), .text(f.region), .text(f.name)])
            }
            return true
        }
    }

    public func delete(account: String, region: String, name: String) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT name FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?",
                                           [.text(account), .text(region), .text(name)])
            guard !found.isEmpty else { return false }
            try await tx.execute("DELETE FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?",
                                 [.text(account), .text(region), .text(name)])
            try await Self.deleteOwned(tx, account: account, region: region, name: name)
            return true
        }
    }

    // MARK: asynchronous invocations

    static func eventContext(_ arn: String, _ doc: String) -> SealContext {
        SealContext(table: "lambda_events", id: arn, version: "\(doc.utf8.count)")
    }

    public func enqueueEvent(functionArn: String, payload: [UInt8], doc: String, dueAtMillis: Int64) async throws {
        let sealed = try sealer.seal(payload, context: Self.eventContext(functionArn, doc))
        try await db.transaction { tx in
            try await tx.execute("INSERT INTO lambda_events (function_arn, due_at_ms, attempts, payload, doc) VALUES (?, ?, 0, ?, ?)",
                                 [.text(functionArn), .int(dueAtMillis), .blob(sealed), .text(doc)])
        }
    }

    /// Claims up to `limit` due events for this node for `leaseMillis` of the database's clock (`claimed_until_ms`,
    /// set in the same transaction): another node sharing the work skips them, and a node that dies with them leaves
    /// them to be claimed again when its claim runs out. PostgreSQL skips rows another claim has locked.
    public func claimEvents(nowMillis: Int64, limit: Int, leaseMillis: Int64) async throws -> [FunctionEvent] {
        let skip = db.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        let dbNow = db.dialect.nowMillisSQL
        let (rows, until) = try await db.transaction { tx in
            let until = (try await tx.query("SELECT \(dbNow)", []).first?[0].int ?? 0) + leaseMillis
            let rows = try await tx.query("""
                SELECT seq, function_arn, attempts, payload, doc FROM lambda_events
                WHERE due_at_ms <= ? AND (claimed_until_ms IS NULL OR claimed_until_ms < ?)
                ORDER BY due_at_ms, seq LIMIT ?\(skip)
                """, [.int(nowMillis), .int(until - leaseMillis), .int(Int64(limit))])
            for r in rows {
                try await tx.execute("UPDATE lambda_events SET claimed_until_ms = ? WHERE seq = ?", [.int(until), r[0]])
            }
            return (rows, until)
        }
        return try rows.map { r in
            let arn = r[1].text ?? "", doc = r[4].text ?? ""
            return FunctionEvent(seq: r[0].int ?? 0, functionArn: arn, attempts: r[2].int ?? 0,
                                 payload: try sealer.open(r[3].blob ?? [], context: Self.eventContext(arn, doc)), doc: doc,
                                 claimedUntil: until)
        }
    }

    /// Sets an event's attempts and next due time and gives its claim up — unless the claim ran out and another node
    /// claimed the event meanwhile.
    public func rescheduleEvent(seq: Int64, attempts: Int64, dueAtMillis: Int64, claim: Int64? = nil) async throws {
        let (check, binds): (String, [SQLValue]) = claim.map { (" AND claimed_until_ms = ?", [.int($0)]) } ?? ("", [])
        try await db.transaction { tx in
            try await tx.execute("UPDATE lambda_events SET attempts = ?, due_at_ms = ?, claimed_until_ms = NULL WHERE seq = ?" + check,
                                 [.int(attempts), .int(dueAtMillis), .int(seq)] + binds)
        }
    }

    public func completeEvent(seq: Int64, claim: Int64? = nil) async throws {
        let (check, binds): (String, [SQLValue]) = claim.map { (" AND claimed_until_ms = ?", [.int($0)]) } ?? ("", [])
        try await db.transaction { tx in try await tx.execute("DELETE FROM lambda_events WHERE seq = ?" + check, [.int(seq)] + binds) }
    }

    public func pendingEvents(functionArn: String) async throws -> Int {
        try await db.read { tx in
            Int(try await tx.query("SELECT COUNT(*) FROM lambda_events WHERE function_arn = ?", [.text(functionArn)]).first?[0].int ?? 0)
        }
    }
}
