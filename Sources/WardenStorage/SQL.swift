// The one SQL seam both backends implement; repositories are written once against it.

/// A bound parameter or a column value.
public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])

    public var int: Int64? { if case .int(let i) = self { return i }; return nil }
    public var text: String? { if case .text(let s) = self { return s }; return nil }
    public var blob: [UInt8]? { if case .blob(let b) = self { return b }; return nil }
    public var bool: Bool? { int.map { $0 != 0 } }
}

extension SQLValue {
    public init(_ s: String?) { self = s.map { .text($0) } ?? .null }
    public init(_ i: Int64?) { self = i.map { .int($0) } ?? .null }
    public init(_ b: Bool) { self = .int(b ? 1 : 0) }
}

/// One result row, by column position.
public struct SQLRow: Sendable {
    public let values: [SQLValue]
    public init(_ values: [SQLValue]) { self.values = values }
    public subscript(_ i: Int) -> SQLValue { i < values.count ? values[i] : .null }
}

/// Runs statements inside a transaction. SQL uses `?` placeholders; backends translate them.
public protocol SQLExecutor: Sendable {
    func execute(_ sql: String, _ binds: [SQLValue]) async throws
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
}

extension SQLExecutor {
    public func execute(_ sql: String) async throws { try await execute(sql, []) }
}

public enum SQLDialect: Sendable {
    case sqlite, postgres

    /// The database server's clock in milliseconds, as an SQL expression: leases and claims between nodes use it, so
    /// the nodes' own clocks (and dev mode's moved clock) do not matter.
    public var nowMillisSQL: String {
        switch self {
        case .postgres: "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
        case .sqlite: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
        }
    }
}

/// A database: transactions for writes, plain reads that see committed data.
public protocol SQLDatabase: Sendable {
    var dialect: SQLDialect { get }
    /// Runs `body` in one transaction, committed durably before this returns; rolled back if it throws.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Runs read-only statements outside any write transaction.
    func read<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Runs `body` holding the lock `name` for every process that shares this database, so a read-modify-write of
    /// one resource (read, compute — possibly calling other services — then write) cannot lose a concurrent change
    /// made through another node. Reentrant within one task. SQLite has one process (the data directory is locked),
    /// so an in-process lock is the whole story there; PostgreSQL takes an advisory lock and runs the body's
    /// transactions on the session holding it (see PostgresDatabase).
    func withLock<T: Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T
    func close() async
}

/// The lease a background job holds while it runs (see `LeaseRepository`). Transactions started under a fence
/// first check, in the same transaction, that the lease is still this holder's with this token, and keep the lease
/// row share-locked until they commit; a node that lost its lease (paused, partitioned) therefore cannot commit an
/// effect after another node took over.
public struct LeaseFence: Sendable, Equatable {
    public let name: String
    public let holder: String
    public let token: Int64
    public init(name: String, holder: String, token: Int64) {
        self.name = name
        self.holder = holder
        self.token = token
    }
}

public enum LeaseContext {
    @TaskLocal public static var fence: LeaseFence?
}

/// A fenced transaction found its lease gone: the job's work is left to the new holder.
public struct LeaseLost: Error, CustomStringConvertible {
    public let lease: String
    public init(lease: String) { self.lease = lease }
    public var description: String { "lease \(lease) is no longer held by this node" }
}

public struct StorageError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
