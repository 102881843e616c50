// The embedded default backend: one writer connection on its own thread, a small pool of WAL readers.
import Dispatch
import Foundation
import Synchronization
import WardenStorage

public final class SQLiteDatabase: SQLDatabase {
    public let dialect = SQLDialect.sqlite
    public let path: String
    private let writer: SQLiteConnection
    /// The writer's statements (and the fsync at COMMIT) run here, never on the cooperative pool.
    private let writerQueue = DispatchQueue(label: "warden.sqlite.writer")
    private let writeLock = AsyncLock()
    private let readers = Mutex<[SQLiteConnection]>([])

    public init(path: String) throws {
        self.path = path
        self.writer = try SQLiteConnection(path: path, readOnly: false)
    }

    func onWriter<T: Sendable>(_ work: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let conn = writer
        return try await withCheckedThrowingContinuation { cont in
            writerQueue.async { cont.resume(with: Result { try work(conn) }) }
        }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await writeLock.withLock {
            try await onWriter { try $0.exec("BEGIN IMMEDIATE") }
            do {
                let result = try await body(WriterExecutor(db: self))
                try await onWriter { try $0.exec("COMMIT") }
                return result
            } catch {
                _ = try? await onWriter { try $0.exec("ROLLBACK") }
                throw error
            }
        }
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let conn = try readers.withLock { $0.popLast() } ?? SQLiteConnection(path: path, readOnly: true)
        defer { readers.withLock { if $0.count < 8 { $0.append(conn) } } }
        return try await body(ReaderExecutor(conn: conn))
    }

    public func close() async {
        readers.withLock { $0.removeAll() }
        _ = try? await onWriter { try $0.exec("PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    struct WriterExecutor: SQLExecutor {
        let db: SQLiteDatabase
        func execute(_ sql: String, _ binds: [SQLValue]) async throws { _ = try await db.onWriter { try $0.run(sql, binds) } }
        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] { try await db.onWriter { try $0.run(sql, binds) } }
    }

    struct ReaderExecutor: SQLExecutor {
        let conn: SQLiteConnection
        func execute(_ sql: String, _ binds: [SQLValue]) async throws {
            throw StorageError("write attempted in a read-only block: \(sql.prefix(60))")
        }
        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] { try conn.run(sql, binds) }
    }
}
