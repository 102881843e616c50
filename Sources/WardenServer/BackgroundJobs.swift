// Periodic background work (scheduled key deletion, later rotation and deliveries) as lifecycle Services.
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Runs `work` every `interval` until graceful shutdown. A failed run is logged and retried on the next tick;
/// the work itself is idempotent, so a crash mid-run is repaired by the next run.
struct PeriodicJob: Service {
    let name: String
    let interval: Duration
    let logger: Logger
    /// Waits up to the interval between runs; by default a sleep, or something a producer can cut short.
    var wait: (@Sendable (Duration) async -> Void)?
    let work: @Sendable () async throws -> Void

    init(name: String, interval: Duration, logger: Logger, wait: (@Sendable (Duration) async -> Void)? = nil,
         work: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.interval = interval
        self.logger = logger
        self.wait = wait
        self.work = work
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await work()
            } catch {
                logger.error("background job failed", metadata: ["job": "\(name)", "error": "\(error)"])
            }
            if let wait {
                await wait(interval)
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
}
