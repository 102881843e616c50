// Messages between the nodes that share one database: cache invalidations and wake-ups.
import Foundation
import Synchronization

/// What one node tells the others after a change it committed: "key K changed, drop it", "queue Q has a message".
/// On PostgreSQL the node's signal service carries the messages with NOTIFY/LISTEN; on a single node (SQLite) nothing
/// is sent. Messages are hints after a commit, never the state itself: a node that missed some (its listening session
/// broke) drops every cache when it listens again (`onResync`).
public final class ClusterBus: Sendable {
    /// This process (not the node id, which a restarted process keeps): a node ignores its own messages.
    public let origin: String
    public let enabled: Bool
    private let pending = Mutex<[String]>([])
    private let doorbell: AsyncStream<Void>.Continuation
    /// Rings when messages are waiting to be sent.
    public let rings: AsyncStream<Void>
    private let handlers = Mutex<[String: [@Sendable (String) -> Void]]>([:])
    private let resyncs = Mutex<[@Sendable () -> Void]>([])
    /// Milliseconds between a message's send and its arrival, for the metrics (filled by `receive`).
    private let latencyObserver = Mutex<(@Sendable (Double) -> Void)?>(nil)

    public init(enabled: Bool) {
        self.enabled = enabled
        self.origin = UUID().uuidString.prefix(8).lowercased()
        (rings, doorbell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `topic`/`key` for the other nodes (sent by the signal service within a round trip).
    public func publish(_ topic: String, _ key: String = "") {
        guard enabled else { return }
        let sent = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        let message = "\(origin)|\(sent)|\(topic)|\(key)"
        let first = pending.withLock { p -> Bool in
            // The same hint twice in one batch says nothing more (e.g. a burst of sends to one queue).
            if p.contains(where: { $0.hasSuffix("|\(topic)|\(key)") }) { return false }
            p.append(message)
            return p.count == 1
        }
        if first { doorbell.yield() }
    }

    /// Wakes the sender (after a failed send put messages back).
    public func ring() { doorbell.yield() }

    /// Messages waiting to be sent, oldest first.
    public func takePending() -> [String] { pending.withLock { p in defer { p.removeAll() }; return p } }

    /// Puts messages that could not be sent back in front of the queue, to go with the next attempt.
    public func requeue(_ messages: [String]) {
        pending.withLock { $0 = messages + $0 }
    }

    /// A message this process sends to itself through the database, proving its LISTEN session still hears.
    public func heartbeat() -> String {
        "\(origin)|\(Int64((Date().timeIntervalSince1970 * 1000).rounded()))|heartbeat|"
    }

    private let lastHeartbeat = Mutex<Date>(Date())

    /// Seconds since this process last heard its own heartbeat.
    public var sinceHeartbeat: TimeInterval { Date().timeIntervalSince(lastHeartbeat.withLock { $0 }) }

    public func heard() { lastHeartbeat.withLock { $0 = Date() } }

    public func on(_ topic: String, _ handler: @escaping @Sendable (String) -> Void) {
        handlers.withLock { $0[topic, default: []].append(handler) }
    }

    /// Runs when the node (re)starts listening: whatever changed meanwhile was not heard, so caches start over.
    public func onResync(_ handler: @escaping @Sendable () -> Void) {
        resyncs.withLock { $0.append(handler) }
    }

    public func observeLatency(_ observer: @escaping @Sendable (Double) -> Void) {
        latencyObserver.withLock { $0 = observer }
    }

    public func resync() {
        for h in resyncs.withLock({ $0 }) { h() }
    }

    /// One message from another node.
    public func receive(_ payload: String) {
        let parts = payload.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4 else { return }
        if parts[2] == "heartbeat" {
            if parts[0] == origin { heard() }
            return
        }
        guard parts[0] != origin else { return }
        if let sent = Double(parts[1]) {
            let ms = Date().timeIntervalSince1970 * 1000 - sent
            latencyObserver.withLock { $0 }?(max(0, ms))
        }
        for h in handlers.withLock({ $0[parts[2]] ?? [] }) { h(parts[3]) }
    }
}
