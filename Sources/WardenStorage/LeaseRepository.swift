// Leases for background work that must run once across every node sharing the database.
import Foundation

/// One row per singleton job in `warden_leases`. Expiry is decided by the database's clock, so the nodes' clocks do
/// not matter; each acquisition increments the lease's fencing token (see `LeaseFence`).
public struct LeaseRepository: Sendable {
    public let db: any SQLDatabase

    public init(db: any SQLDatabase) { self.db = db }

    /// The database's clock in milliseconds, as SQL.
    private var now: String { db.dialect.nowMillisSQL }

    /// Takes `name` for `holder` when it is free or expired; returns the new fencing token, or nil when another
    /// holder's lease is current. Never waits: a lease row that a fenced transaction of its holder has share-locked is
    /// skipped (`SKIP LOCKED`) — that holder is alive and working.
    public func acquire(_ name: String, holder: String, ttlMillis: Int64) async throws -> Int64? {
        let skip = db.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await db.transaction { [now] tx in
            // Token 0 and no holder: the first acquisition gets token 1. DO NOTHING takes no lock on an existing row.
            try await tx.execute("INSERT INTO warden_leases (name, holder, token, expires_at_ms) VALUES (?, NULL, 0, 0) ON CONFLICT (name) DO NOTHING",
                                 [.text(name)])
            let free = try await tx.query("""
                SELECT token FROM warden_leases WHERE name = ? AND (holder IS NULL OR expires_at_ms <= \(now))\(skip)
                """, [.text(name)])
            guard !free.isEmpty else { return nil }
            let rows = try await tx.query("""
                UPDATE warden_leases SET holder = ?, token = token + 1, expires_at_ms = \(now) + ? WHERE name = ? RETURNING token
                """, [.text(holder), .int(ttlMillis), .text(name)])
            return rows.first?[0].int
        }
    }

    public enum Renewal: Sendable, Equatable {
        case renewed
        /// Expired or taken: the holder must stop relying on it.
        case lost
        /// The row is share-locked by one of the holder's own fenced transactions (a long job step): still the
        /// holder's, renewed on a later round. Waiting here would hold up the renewal of every other lease.
        case busy
    }

    /// Extends a lease this holder still has, without waiting for a lock.
    public func renew(_ name: String, holder: String, token: Int64, ttlMillis: Int64) async throws -> Renewal {
        let postgres = db.dialect == .postgres
        return try await db.transaction { [now] tx in
            let current = try await tx.query("""
                SELECT 1 FROM warden_leases WHERE name = ? AND holder = ? AND token = ? AND expires_at_ms > \(now)
                """, [.text(name), .text(holder), .int(token)])
            guard !current.isEmpty else { return .lost }
            let locked = postgres
                ? "name IN (SELECT name FROM warden_leases WHERE name = ? FOR UPDATE SKIP LOCKED)"
                : "name = ?"
            let rows = try await tx.query("""
                UPDATE warden_leases SET expires_at_ms = \(now) + ?
                WHERE name = ? AND holder = ? AND token = ? AND \(locked) RETURNING token
                """, [.int(ttlMillis), .text(name), .text(holder), .int(token), .text(name)])
            return rows.isEmpty ? .busy : .renewed
        }
    }

    /// Gives a lease up at once (shutdown), so another node need not wait for it to expire.
    public func release(_ name: String, holder: String, token: Int64) async throws {
        try await db.transaction { tx in
            try await tx.execute("UPDATE warden_leases SET holder = NULL, expires_at_ms = 0 WHERE name = ? AND holder = ? AND token = ?",
                                 [.text(name), .text(holder), .int(token)])
        }
    }

    /// Forgets every lease: SQLite only, at start-up, where the data directory lock proves no other process runs.
    public func releaseAll() async throws {
        try await db.transaction { tx in try await tx.execute("UPDATE warden_leases SET holder = NULL, expires_at_ms = 0") }
    }
}

/// Settings every node shares (`warden_settings`).
public struct SettingsRepository: Sendable {
    public let db: any SQLDatabase

    public init(db: any SQLDatabase) { self.db = db }

    public func get(_ name: String) async throws -> String? {
        try await db.read { tx in try await tx.query("SELECT value FROM warden_settings WHERE name = ?", [.text(name)]).first?[0].text }
    }

    /// Adds `delta` to a numeric setting (absent = 0) in one statement, so concurrent additions from two nodes both count.
    public func add(_ name: String, _ delta: Double) async throws -> Double {
        let real = db.dialect == .postgres ? "DOUBLE PRECISION" : "REAL"
        return try await db.transaction { tx in
            let rows = try await tx.query("""
                INSERT INTO warden_settings (name, value) VALUES (?, ?)
                ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(warden_settings.value AS \(real)) + ? AS TEXT)
                RETURNING value
                """, [.text(name), .text(String(delta)), .double(delta)])
            return rows.first?[0].text.flatMap(Double.init) ?? delta
        }
    }
}
