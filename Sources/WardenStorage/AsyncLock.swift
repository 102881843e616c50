// FIFO locks for async code: held across awaits without blocking a thread.
import Synchronization

/// Mutual exclusion per name (one key's read-modify-write, say), FIFO among the waiters for the same name.
public final class KeyedAsyncLock: Sendable {
    /// Held names, each with the callers waiting for it in arrival order.
    private let held = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    public init() {}

    public func lock(_ name: String) async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let acquired = held.withLock { h -> Bool in
                if h[name] == nil {
                    h[name] = []
                    return true
                }
                h[name, default: []].append(waiter)
                return false
            }
            if acquired { waiter.resume() }
        }
    }

    /// Whether callers are queued for `name` (a holder may batch work for them, as group commit does).
    public func hasWaiters(_ name: String) -> Bool {
        held.withLock { ($0[name]?.isEmpty == false) }
    }

    public func unlock(_ name: String) {
        let next = held.withLock { h -> CheckedContinuation<Void, Never>? in
            guard var waiters = h[name], !waiters.isEmpty else {
                h[name] = nil
                return nil
            }
            let first = waiters.removeFirst()
            h[name] = waiters
            return first
        }
        next?.resume()
    }
}

/// One lock.
public final class AsyncLock: Sendable {
    private let keyed = KeyedAsyncLock()

    public init() {}

    public func lock() async { await keyed.lock("") }

    public func unlock() { keyed.unlock("") }

    public var hasWaiters: Bool { keyed.hasWaiters("") }

    public func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await lock()
        defer { unlock() }
        return try await body()
    }
}

/// Per-name locks that a task may take again while holding them (a locked change calling a helper that locks the
/// same resource). The names a task holds ride in a task-local, so child tasks of the holder count as holders.
public final class ReentrantKeyedLock: Sendable {
    private let keyed = KeyedAsyncLock()
    @TaskLocal static var held: Set<String> = []

    public init() {}

    public static func isHeld(_ name: String) -> Bool { held.contains(name) }

    public func withLock<T: Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T {
        if Self.held.contains(name) { return try await body() }
        await keyed.lock(name)
        defer { keyed.unlock(name) }
        var names = Self.held
        names.insert(name)
        return try await Self.$held.withValue(names) { try await body() }
    }
}

/// Locks on stored resources, taken in the database (see `SQLDatabase.withLock`).
public struct ResourceLocks: Sendable {
    public let db: any SQLDatabase

    public init(_ db: any SQLDatabase) { self.db = db }

    public func withLock<T: Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T {
        try await db.withLock(name, body)
    }
}

/// A counting semaphore for async code: at most `limit` holders at once, the rest waiting in arrival order.
public final class AsyncSemaphore: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state: Mutex<State>

    public init(_ limit: Int) { state = Mutex(State(available: limit)) }

    public func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { s -> Bool in
                if s.available > 0 {
                    s.available -= 1
                    return true
                }
                s.waiters.append(c)
                return false
            }
            if acquired { c.resume() }
        }
    }

    public func signal() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.available += 1
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
