// Leases for background work that must run once across every node sharing the database.
import Foundation

/// One row per singleton job in `warden_leases`. Expiry is decided by the database's clock, so the nodes' clocks do
/// not matter; each acquisition increments the lease's fencing token (see `LeaseFence`).
public struct LeaseRepository: Sendable {
    public let db: any SQLDatabase

    public init(db: any SQLDatabase) { self.db = db }

    /// The database's clock in milliseconds, as SQL.
    private var now: String {
        db.dialect == .postgres
            ? "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
            : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
    }

    /// Takes `name` for `holder` when it is free, expired, or held by an earlier process under the same node id;
    /// returns the new fencing token, or nil when another holder's lease is current.
    public func acquire(_ name: String, holder: String, ttlMillis: Int64) async throws -> Int64? {
        try await db.transaction { [now] tx in
            let rows = try await tx.query("""
                INSERT INTO warden_leases (name, holder, token, expires_at_ms) VALUES (?, ?, 1, \(now) + ?)
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = warden_leases.token + 1,
                    expires_at_ms = excluded.expires_at_ms
                WHERE warden_leases.holder IS NULL OR warden_leases.expires_at_ms <= \(now)
                    OR warden_leases.holder = excluded.holder
                RETURNING token
                """, [.text(name), .text(holder), .int(ttlMillis)])
            return rows.first?[0].int
        }
    }

    /// Extends a lease this holder still has; false when it expired or was taken (the holder must stop its work).
    public func renew(_ name: String, holder: String, token: Int64, ttlMillis: Int64) async throws -> Bool {
        try await db.transaction { [now] tx in
            let rows = try await tx.query("""
                UPDATE warden_leases SET expires_at_ms = \(now) + ?
                WHERE name = ? AND holder = ? AND token = ? AND expires_at_ms > \(now) RETURNING token
                """, [.int(ttlMillis), .text(name), .text(holder), .int(token)])
            return !rows.isEmpty
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
