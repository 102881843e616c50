// The PostgreSQL backend over postgres-nio: several Warden nodes can share one database.
import Foundation
import Logging
import NIOCore
import PostgresNIO
import WardenStorage

public final class PostgresDatabase: SQLDatabase {
    public let dialect = SQLDialect.postgres
    let client: PostgresClient
    let logger: Logger
    /// The connection pool's run loop; owned here, cancelled by `close()`.
    private let runTask: Task<Void, Never>

    /// Connects to `url` (`postgres://user:pass@host:port/db`) and checks the server answers within `timeout`.
    public static func connect(url: String, logger: Logger, timeout: Duration = .seconds(15)) async throws -> PostgresDatabase {
        guard let c = URLComponents(string: url), c.scheme == "postgres" || c.scheme == "postgresql", let host = c.host else {
            throw StorageError("invalid PostgreSQL URL (expected postgres://user:pass@host:port/db)")
        }
        let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        var config = PostgresClient.Configuration(
            host: host, port: c.port ?? 5432, username: c.user ?? "postgres", password: c.password,
            database: database.isEmpty ? nil : database, tls: .disable)
        config.options.connectTimeout = .seconds(5)
        config.options.maximumConnections = 16
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
            throw StorageError("cannot reach PostgreSQL at \(host):\(c.port ?? 5432): \(String(describing: error))")
        }
        return db
    }

    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        self.runTask = Task { await client.run() }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await client.withConnection { conn in
            let tx = Executor(conn: conn, logger: logger)
            try await tx.execute("BEGIN")
            do {
                let result = try await body(tx)
                try await tx.execute("COMMIT")
                return result
            } catch {
                try? await tx.execute("ROLLBACK")
                throw error
            }
        }
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await client.withConnection { conn in try await body(Executor(conn: conn, logger: logger)) }
    }

    public func close() async {
        runTask.cancel()
        _ = await runTask.value
    }

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
