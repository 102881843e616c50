// The PostgreSQL backend over postgres-nio: several Warden nodes can share one database.
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization
import WardenStorage

public final class PostgresDatabase: SQLDatabase {
    public let dialect = SQLDialect.postgres
    let client: PostgresClient
    let logger: Logger
    /// The connection pool's run loop; owned here, cancelled by `close()`.
    private let runTask: Task<Void, Never>
    /// Waiters for one resource on this node queue here, so only one of them holds a connection blocked in
    /// `pg_advisory_lock`.
    private let localLocks = ReentrantKeyedLock()
    static let maximumConnections = 24
    /// Sessions pinned by resource locks at once: the rest of the pool stays free for the audit writer, leases, signals
    /// and requests that lock nothing, whatever number of resources are being changed.
    private let pinnedSessions = AsyncSemaphore(16)

    /// Connects to `url` (`postgres://user:pass@host:port/db?sslmode=…`) and checks the server answers within `timeout`.
    public static func connect(url: String, logger: Logger, timeout: Duration = .seconds(15)) async throws -> PostgresDatabase {
        let settings = try ConnectionSettings(url: url)
        try await preflight(settings, logger: logger, timeout: timeout)
        var config = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: settings.password,
            database: settings.database, tls: try settings.tls())
        config.options.connectTimeout = .seconds(5)
        // Requests, resource locks held across a change, and the node's LISTEN connection share the pool.
        config.options.maximumConnections = Self.maximumConnections
        // A node that dies without closing its sockets (power, partition) must not keep its advisory locks and lease
        // share-locks until the kernel gives up on the connection (hours): the server probes idle sessions and drops
        // dead ones within about a minute, and a transaction left open by a stalled node ends after five minutes.
        config.options.additionalStartupParameters = [
            ("tcp_keepalives_idle", "30"), ("tcp_keepalives_interval", "10"), ("tcp_keepalives_count", "3"),
            ("idle_in_transaction_session_timeout", "300000"),
        ]
        let db = PostgresDatabase(client: PostgresClient(configuration: config, backgroundLogger: logger), logger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await db.read { try await $0.query("SELECT 1", []) } }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw StorageError("timed out")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            await db.close()
            throw StorageError("cannot reach PostgreSQL at \(settings.host):\(settings.port): \(String(describing: error))")
        }
        return db
    }

    /// One connection made directly before the pool starts: the pool retries a refused connection quietly until the
    /// caller gives up, so a wrong password or a server without TLS under `sslmode=require` would show only as a
    /// timeout. This reports the server's own answer.
    static func preflight(_ settings: ConnectionSettings, logger: Logger, timeout: Duration) async throws {
        let tls: PostgresConnection.Configuration.TLS
        switch try settings.tlsConfiguration() {
        case .disable: tls = .disable
        case .prefer(let t): tls = .prefer(try NIOSSLContext(configuration: t))
        case .require(let t): tls = .require(try NIOSSLContext(configuration: t))
        }
        let config = PostgresConnection.Configuration(host: settings.host, port: settings.port, username: settings.user,
                                                      password: settings.password, database: settings.database, tls: tls)
        do {
            let conn = try await withThrowingTaskGroup(of: PostgresConnection.self) { group in
                group.addTask { try await PostgresConnection.connect(configuration: config, id: 0, logger: logger) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw StorageError("timed out")
                }
                guard let first = try await group.next() else { throw StorageError("timed out") }
                group.cancelAll()
                return first
            }
            try await conn.close()
        } catch let error as PSQLError {
            let reason: String
            switch error.code {
            case .sslUnsupported: reason = "the server does not accept SSL/TLS connections (sslmode=\(settings.sslmode))"
            case .server: reason = error.serverInfo?[.message] ?? "\(error)"
            default: reason = "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
            }
            throw StorageError("cannot reach PostgreSQL at \(settings.host):\(settings.port): \(reason)")
        } catch {
            throw StorageError("cannot reach PostgreSQL at \(settings.host):\(settings.port): \(error)")
        }
    }

    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        self.runTask = Task { await client.run() }
    }

    // MARK: transactions

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        // Inside `withLock`, writes go through the session that holds the advisory lock: if that session dies the
        // lock is released, and the write — on the same session — cannot commit either.
        if let pin = Self.pin, pin.isActive {
            return try await pin.transactions.withLock {
                // Checked again under the session's lock: a task that outlived the lock falls back to the pool.
                guard pin.isActive else { return try await client.withConnection { conn in try await self.run(on: conn, body) } }
                return try await Self.$inTransaction.withValue(pin) { try await self.run(on: pin.conn, body) }
            }
        }
        return try await client.withConnection { conn in try await self.run(on: conn, body) }
    }

    private func run<T: Sendable>(on conn: PostgresConnection, _ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let tx = Executor(conn: conn, logger: logger)
        try await tx.execute("BEGIN")
        do {
            if let fence = LeaseContext.fence {
                // FOR SHARE: a takeover (an UPDATE of this row) waits until this transaction has committed, and a
                // transaction that starts after the takeover finds the token changed.
                let held = try await tx.query("""
                    SELECT 1 FROM warden_leases WHERE name = ? AND holder = ? AND token = ?
                      AND expires_at_ms > (extract(epoch FROM clock_timestamp()) * 1000)::bigint FOR SHARE
                    """, [.text(fence.name), .text(fence.holder), .int(fence.token)])
                if held.isEmpty { throw LeaseLost(lease: fence.name) }
            }
            let result = try await body(tx)
            try await tx.execute("COMMIT")
            return result
        } catch {
            do { try await tx.execute("ROLLBACK") } catch {
                logger.warning("rollback failed", metadata: ["error": "\(error)"])
            }
            throw error
        }
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        // A lock holder reads on its own session too: it then needs one connection, not two, so holders can never
        // exhaust the pool waiting for a second one.
        if let pin = Self.pin, pin.isActive {
            if Self.inTransaction === pin { return try await body(Executor(conn: pin.conn, logger: logger)) }
            return try await pin.transactions.withLock {
                guard pin.isActive else {
                    return try await client.withConnection { conn in try await body(Executor(conn: conn, logger: logger)) }
                }
                return try await body(Executor(conn: pin.conn, logger: logger))
            }
        }
        return try await client.withConnection { conn in try await body(Executor(conn: conn, logger: logger)) }
    }

    public func close() async {
        runTask.cancel()
        _ = await runTask.value
    }

    // MARK: resource locks

    /// The session a task holds resource locks on; its transactions run there.
    final class Pin: Sendable {
        let conn: PostgresConnection
        /// One transaction at a time on the pinned session (a holder's child tasks may write concurrently).
        let transactions = AsyncLock()
        private let active = Atomic<Bool>(true)
        init(_ conn: PostgresConnection) { self.conn = conn }
        var isActive: Bool { active.load(ordering: .acquiring) }
        /// After the body returns, anything that inherited the task-local (a task it started) uses the pool again.
        func deactivate() { active.store(false, ordering: .releasing) }
    }

    @TaskLocal static var pin: Pin?
    /// Set while a transaction runs on a pinned session: reads inside it use the session without waiting for it.
    @TaskLocal static var inTransaction: Pin?

    /// A resource name's advisory lock key: the first 8 bytes of FNV-1a. Two names sharing a key only serialize.
    static func lockKey(_ name: String) -> Int64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: h)
    }

    public func withLock<T: Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T {
        // Held by this task (or its parent) only while the pin is live: a task that outlived the lock holds nothing.
        if ReentrantKeyedLock.isHeld(name), Self.pin?.isActive == true { return try await body() }
        return try await localLocks.withLock(name) {
            let key = Self.lockKey(name)
            if let pin = Self.pin, pin.isActive {
                // A second resource locked while holding one: the same session takes it.
                _ = try await pin.conn.query("SELECT pg_advisory_lock(\(key))", logger: logger)
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                await unlock(key, on: pin.conn)
                return try result.get()
            }
            await pinnedSessions.wait()
            defer { pinnedSessions.signal() }
            return try await client.withConnection { conn in
                _ = try await conn.query("SELECT pg_advisory_lock(\(key))", logger: logger)
                let pin = Pin(conn)
                let result: Result<T, any Error>
                do { result = .success(try await Self.$pin.withValue(pin) { try await body() }) } catch { result = .failure(error) }
                pin.deactivate()
                // A transaction a child task still runs on the session finishes before the lock is released.
                await pin.transactions.lock()
                pin.transactions.unlock()
                await unlock(key, on: conn)
                return try result.get()
            }
        }
    }

    /// Releases an advisory lock; a session that cannot release it is closed, which releases every lock it held
    /// (a pooled connection must never go back to the pool still holding one).
    private func unlock(_ key: Int64, on conn: PostgresConnection) async {
        do {
            _ = try await conn.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
        } catch {
            logger.error("advisory unlock failed; closing the session", metadata: ["error": "\(error)"])
            do { try await conn.close() } catch {
                logger.error("closing the session failed", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: signals

    /// Sends `payloads`, in order, to every session listening on `channel` (NOTIFY), in one round trip.
    public func notify(channel: String, payloads: [String]) async throws {
        try await client.withConnection { conn in
            _ = try await conn.query("SELECT pg_notify(\(channel), p) FROM unnest(\(payloads)::text[]) WITH ORDINALITY AS t(p, i) ORDER BY i",
                                     logger: logger)
        }
    }

    /// Listens on `channel` until cancelled or the session fails (then throws; the caller reconnects). `onListening`
    /// runs once the LISTEN is in place — notifications sent before it are not seen, so the caller resynchronises there.
    public func listen(channel: String, onListening: @Sendable () -> Void, onNotify: @Sendable (String) -> Void) async throws {
        try await client.withConnection { conn in
            try await conn.listen(on: channel) { notifications in
                onListening()
                for try await n in notifications { onNotify(n.payload) }
            }
        }
    }

    // MARK: executor

    struct Executor: SQLExecutor {
        let conn: PostgresConnection
        let logger: Logger

        /// `?` placeholders become `$1…$n` (our SQL never has `?` inside literals).
        static func translate(_ sql: String) -> String {
            guard sql.contains("?") else { return sql }
            var out = ""
            out.reserveCapacity(sql.utf8.count + 16)
            var n = 0
            for ch in sql {
                if ch == "?" { n += 1; out += "$\(n)" } else { out.append(ch) }
            }
            return out
        }

        func bindings(_ binds: [SQLValue]) -> PostgresBindings {
            var b = PostgresBindings(capacity: binds.count)
            for v in binds {
                switch v {
                case .null: b.appendNull()
                case .int(let i): b.append(i)
                case .double(let d): b.append(d)
                case .text(let s): b.append(s)
                case .blob(let bytes): b.append(ByteBuffer(bytes: bytes))
                }
            }
            return b
        }

        func execute(_ sql: String, _ binds: [SQLValue]) async throws {
            _ = try await query(sql, binds)
        }

        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            let q = PostgresQuery(unsafeSQL: Self.translate(sql), binds: bindings(binds))
            let rows = try await conn.query(q, logger: logger)
            var out: [SQLRow] = []
            for try await row in rows {
                var values: [SQLValue] = []
                for cell in row {
                    values.append(try Self.value(cell))
                }
                out.append(SQLRow(values))
            }
            return out
        }

        static func value(_ cell: PostgresCell) throws -> SQLValue {
            guard cell.bytes != nil else { return .null }
            switch cell.dataType {
            case .int8, .int4, .int2: return .int(try cell.decode(Int64.self))
            case .float8, .float4, .numeric: return .double(try cell.decode(Double.self))
            case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
            case .bytea:
                var buf = try cell.decode(ByteBuffer.self)
                return .blob(buf.readBytes(length: buf.readableBytes) ?? [])
            default: return .text(try cell.decode(String.self))
            }
        }
    }
}

/// What a `postgres://` URL says, including libpq's TLS parameters (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`).
struct ConnectionSettings {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String?
    var sslmode = "prefer"
    var sslrootcert: String?
    var sslcert: String?
    var sslkey: String?

    init(url: String) throws {
        guard let c = URLComponents(string: url), c.scheme == "postgres" || c.scheme == "postgresql", let host = c.host else {
            throw StorageError("invalid PostgreSQL URL (expected postgres://user:pass@host:port/db)")
        }
        self.host = host
        self.port = c.port ?? 5432
        self.user = c.user ?? "postgres"
        self.password = c.password
        let path = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        self.database = path.isEmpty ? nil : path
        for item in c.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].contains(value) else {
                    throw StorageError("invalid sslmode \"\(value)\" (disable, allow, prefer, require, verify-ca or verify-full)")
                }
                sslmode = value
            case "sslrootcert": sslrootcert = value
            case "sslcert": sslcert = value
            case "sslkey": sslkey = value
            case "application_name", "connect_timeout": break
            default: throw StorageError("unsupported PostgreSQL URL parameter \"\(item.name)\"")
            }
        }
    }

    /// libpq's meanings: `prefer` (its default) and `allow` try TLS without checking the server; `require` checks the
    /// chain only when a root certificate is given; `verify-ca` checks the chain, `verify-full` the host name too.
    enum Mode { case disable, prefer(TLSConfiguration), require(TLSConfiguration) }

    func tls() throws -> PostgresClient.Configuration.TLS {
        switch try tlsConfiguration() {
        case .disable: return .disable
        case .prefer(let t): return .prefer(t)
        case .require(let t): return .require(t)
        }
    }

    func tlsConfiguration() throws -> Mode {
        if sslmode == "disable" { return .disable }
        var t = TLSConfiguration.makeClientConfiguration()
        switch sslmode {
        case "verify-full": t.certificateVerification = .fullVerification
        case "verify-ca": t.certificateVerification = .noHostnameVerification
        case "require" where sslrootcert != nil: t.certificateVerification = .noHostnameVerification
        default: t.certificateVerification = .none
        }
        if let root = sslrootcert {
            guard FileManager.default.isReadableFile(atPath: root) else { throw StorageError("sslrootcert \(root) is not readable") }
            t.trustRoots = .file(root)
        }
        if let cert = sslcert {
            do {
                t.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
            } catch { throw StorageError("sslcert \(cert): \(error)") }
            guard let key = sslkey else { throw StorageError("sslcert needs sslkey") }
            t.privateKey = .file(key)
        }
        switch sslmode {
        case "allow", "prefer": return .prefer(t)
        default: return .require(t)
        }
    }
}
