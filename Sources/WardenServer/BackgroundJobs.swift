// Periodic background work (scheduled key deletion, later rotation and deliveries) as lifecycle Services.
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WardenServices
import WardenStorage

/// Runs `work` every `interval` until graceful shutdown. A failed run is logged and retried on the next tick;
/// the work itself is idempotent, so a crash mid-run is repaired by the next run.
struct PeriodicJob: Service {
    let name: String
    let interval: Duration
    let logger: Logger
    /// Producers signal this key to cut the wait between runs short; a signal that comes while a run is under way
    /// ends the next wait at once.
    var wakeups: (signals: QueueSignals, key: String)?
    /// Work that must run once across the nodes runs only while this node holds the job's lease, fenced by it.
    let leases: LeaseManager?
    let work: @Sendable () async throws -> Void

    init(name: String, leases: LeaseManager? = nil, interval: Duration, logger: Logger,
         wakeups: (signals: QueueSignals, key: String)? = nil, work: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.interval = interval
        self.logger = logger
        self.wakeups = wakeups
        self.leases = leases
        self.work = work
    }

    /// One run, under the lease's fence when there is a lease; nothing when another node holds it.
    func runOnce() async throws {
        guard let leases else { return try await work() }
        guard let fence = leases.fence(name) else {
            logger.trace("background job skipped: lease held elsewhere", metadata: ["job": "\(name)"])
            return
        }
        logger.trace("background job run", metadata: ["job": "\(name)", "token": "\(fence.token)"])
        try await LeaseContext.$fence.withValue(fence) { try await work() }
        logger.trace("background job done", metadata: ["job": "\(name)"])
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let token = wakeups.map { $0.signals.token($0.key) }
            do {
                try await runOnce()
            } catch let lost as LeaseLost {
                // Another node took the lease while this run was under way; its fenced writes were refused.
                logger.notice("background job stopped: lease lost", metadata: ["job": "\(name)", "lease": "\(lost.lease)"])
            } catch {
                logger.error("background job failed", metadata: ["job": "\(name)", "error": "\(error)"])
            }
            if let wakeups {
                await wakeups.signals.wait(wakeups.key, timeout: interval, since: token)
                continue
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}

/// The time background jobs and time-bound state (deletion windows, rotation dates) see. In dev mode a test can
/// move it forward (`POST /_warden/clock?advance=SECONDS`) instead of waiting days; otherwise it is the wall clock.
public final class WardenClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)

    public init() {}

    public func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }

    public func advance(by seconds: TimeInterval) { offset.withLock { $0 += seconds } }

    /// The offset stored for every node (dev mode), read at start-up and when another node moves it.
    public func set(offset seconds: TimeInterval) { offset.withLock { $0 = seconds } }
}
