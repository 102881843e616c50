// In-process wake-ups (long polls, background jobs), forwarded to other nodes through the cluster bus when one is set.
import Foundation
import Synchronization
import WardenStorage

/// Wakes long-polling receivers when a queue gets a message, without polling storage in a loop.
public final class QueueSignals: Sendable {
    public init() {}
    private let waiters = Mutex<[String: [UUID: CheckedContinuation<Void, Never>]]>([:])
    /// How many times each key was signalled: a waiter that read it before looking for work returns at once if a
    /// signal came in between (no lost wake-ups).
    private let counts = Mutex<[String: UInt64]>([:])
    /// Where this node's signals go for the other nodes (a send through node A wakes a long poll on node B).
    private let cluster = Mutex<(bus: ClusterBus, topic: String)?>(nil)

    /// Forwards every signal to the other nodes under `topic`, and raises theirs here.
    public func join(_ bus: ClusterBus, topic: String) {
        cluster.withLock { $0 = (bus, topic) }
        bus.on(topic) { [weak self] key in self?.raise(key) }
    }

    /// The key's signal count, read before looking for work.
    public func token(_ queue: String) -> UInt64 { counts.withLock { $0[queue] ?? 0 } }

    /// Returns when `queue` is signalled or `timeout` passes; at once when it was signalled since `token`.
    public func wait(_ queue: String, timeout: Duration, since token: UInt64? = nil) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.signalled(queue, since: token) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Waits for a signal of `queue`; a cancelled wait returns at once.
    private func signalled(_ queue: String, since token: UInt64?) async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let early = waiters.withLock { w -> Bool in
                    // Checked under the lock the cancellation handler takes, so a cancel is never missed: either it
                    // came first (seen here) or it finds this waiter registered.
                    if Task.isCancelled { return true }
                    if let token, counts.withLock({ ($0[queue] ?? 0) != token }) { return true }
                    w[queue, default: [:]][id] = c
                    return false
                }
                if early { c.resume() }
            }
        } onCancel: {
            resume(queue, id)
        }
    }

    private func resume(_ queue: String, _ id: UUID) {
        let c = waiters.withLock { w -> CheckedContinuation<Void, Never>? in
            let c = w[queue]?.removeValue(forKey: id)
            if w[queue]?.isEmpty == true { w[queue] = nil }
            return c
        }
        c?.resume()
    }

    public func signal(_ queue: String) {
        raise(queue)
        if let (bus, topic) = cluster.withLock({ $0 }) { bus.publish(topic, queue) }
    }

    /// Wakes this node's waiters only.
    private func raise(_ queue: String) {
        let all = waiters.withLock { w -> [UUID: CheckedContinuation<Void, Never>]? in
            counts.withLock { $0[queue, default: 0] &+= 1 }
            return w.removeValue(forKey: queue)
        }
        for c in all?.values ?? [:].values { c.resume() }
    }
}
