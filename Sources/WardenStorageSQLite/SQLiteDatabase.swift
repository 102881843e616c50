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
    /// Resource locks: one process owns a SQLite data directory (`DataDirectoryLock`), so they need not leave it.
    private let resourceLocks = ReentrantKeyedLock()

    public func withLock<T: Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T {
        try await resourceLocks.withLock(name, body)
    }

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

    /// The open group: transactions that ran in the current SQLite transaction and wait for its COMMIT.
    private struct Group {
        var open = false
        var members = 0
        var waiters: [CheckedContinuation<Void, any Error>] = []
    }
    private let group = Mutex(Group())
    private let commitCount = Atomic<Int>(0)
    /// COMMITs so far (each covering a group of transactions).
    public var commits: Int { commitCount.load(ordering: .relaxed) }
    /// Most transactions one COMMIT covers (bounds the wait of the group's first member).
    static let maxGroup = 64

    /// Group commit: concurrent transactions run one after another, each inside its own SAVEPOINT of one SQLite
    /// transaction, and share its COMMIT (one fsync). The member that finds nobody queued behind it commits and
    /// wakes the others. Each returns only once that COMMIT is durable; one whose body throws is rolled back to its
    /// savepoint alone and throws at once; if the COMMIT fails, every member of the group fails.
    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        await writeLock.lock()
        do {
            if !group.withLock({ $0.open }) {
                try await onWriter { try $0.exec("BEGIN IMMEDIATE") }
                group.withLock { $0 = Group(open: true) }
            }
            try await onWriter { try $0.exec("SAVEPOINT member") }
        } catch {
            await abortGroup(error)
            throw error
        }
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body(WriterExecutor(db: self)))
        } catch {
            outcome = .failure(error)
        }
        do {
            // Kept, or undone alone: the other members' work in this transaction stays.
            let end = if case .success = outcome { "RELEASE member" } else { "ROLLBACK TO member; RELEASE member" }
            try await onWriter { try $0.exec(end) }
        } catch {
            await abortGroup(error)
            throw error
        }
        let members = group.withLock { g in
            g.members += 1
            return g.members
        }
        if writeLock.hasWaiters && members < Self.maxGroup {
            // Someone is queued: let them join this transaction; its COMMIT wakes us.
            if case .failure(let error) = outcome {
                writeLock.unlock()
                throw error
            }
            try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
                group.withLock { $0.waiters.append(waiter) }
                writeLock.unlock()
            }
            return try outcome.get()
        }
        let committed: Result<Void, any Error>
        do {
            try await onWriter { try $0.exec("COMMIT") }
            commitCount.add(1, ordering: .relaxed)
            committed = .success(())
        } catch {
            _ = try? await onWriter { try $0.exec("ROLLBACK") }
            committed = .failure(error)
        }
        finishGroup(committed)
        try committed.get()
        return try outcome.get()
    }

    /// Closes the group, releases the write lock, and wakes the members waiting for the group's outcome.
    private func finishGroup(_ outcome: Result<Void, any Error>) {
        let waiters = group.withLock { g in
            let w = g.waiters
            g = Group()
            return w
        }
        writeLock.unlock()
        for w in waiters { w.resume(with: outcome) }
    }

    /// A statement of the group's machinery failed: roll the whole transaction back and fail everyone waiting on it.
    /// Called with the write lock held; releases it.
    private func abortGroup(_ error: any Error) async {
        _ = try? await onWriter { try $0.exec("ROLLBACK") }
        finishGroup(.failure(error))
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
