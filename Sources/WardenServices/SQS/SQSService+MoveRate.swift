// The pace of message move tasks with MaxNumberOfMessagesPerSecond: a token bucket per task, refilled by elapsed time,
// so a task moves whole batches as fast as its rate allows rather than sleeping between messages.
import Foundation
import Synchronization

/// `rate` tokens a second, holding at most one second's worth (so a task that waited does not burst past its rate).
/// It starts full: the first messages move at once.
struct MoveRate: Sendable, Equatable {
    let rate: Double
    private(set) var tokens: Double
    private(set) var at: Double

    init(rate: Int, now: Double) {
        self.rate = Double(max(rate, 1))
        tokens = self.rate
        at = now
    }

    /// Takes up to `want` whole tokens at `now` (seconds on a monotonic clock); returns how many it took.
    mutating func take(_ want: Int, now: Double) -> Int {
        tokens = min(rate, tokens + max(0, now - at) * rate)
        at = max(at, now)
        let n = max(0, min(want, Int(tokens.rounded(.down))))
        tokens -= Double(n)
        return n
    }

    /// Gives back tokens taken for messages that were not there to move.
    mutating func refund(_ n: Int) {
        tokens = min(rate, tokens + Double(max(n, 0)))
    }
}

/// This process's buckets, one per running task. Kept in memory: after a restart (or a takeover by another node) a task
/// starts with a full bucket, which is one second's worth of messages at its rate.
final class MoveRates: Sendable {
    private let buckets = Mutex<[String: MoveRate]>([:])
    private let origin = ContinuousClock.now

    private var now: Double {
        let d = ContinuousClock.now - origin
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    func take(_ task: String, rate: Int, want: Int) -> Int {
        let now = self.now
        return buckets.withLock { b in
            var bucket = b[task] ?? MoveRate(rate: rate, now: now)
            let n = bucket.take(want, now: now)
            b[task] = bucket
            return n
        }
    }

    func refund(_ task: String, _ n: Int) {
        buckets.withLock { b in b[task]?.refund(n) }
    }

    /// Drops the buckets of tasks no longer running.
    func keep(_ tasks: Set<String>) {
        buckets.withLock { b in b = b.filter { tasks.contains($0.key) } }
    }
}
