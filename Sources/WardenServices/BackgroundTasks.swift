// Work handed over from request paths and jobs (a rotation, a remote delivery, a replay, a log flush) runs as child
// tasks of one lifecycle Service, so a graceful shutdown waits for it instead of cutting it off, and a failure is logged.
import Logging
import ServiceLifecycle
import Synchronization

/// Runs work handed over with `submit` as child tasks of a task group inside its `run()`; a `Service` in the node's
/// `ServiceGroup`, placed so that everything that submits work (the HTTP server, the periodic jobs) shuts down first.
///
/// Graceful shutdown closes it: work already handed over still runs, and `run()` returns once all of it has finished;
/// work handed over afterwards is logged and dropped (`submit` returns false). That is safe because every caller
/// keeps in the database what the dropped work would have done, and the work is picked up again after a restart (each
/// call site says how). Work that loops checks `isShuttingDown` (or `Task.isShuttingDownGracefully`, which child tasks
/// see too) and stops where it can resume from. Cancellation (another service failed) cancels the running work.
public final class BackgroundTasks: Service, Sendable {
    struct Item: Sendable {
        var name: String
        var work: @Sendable () async throws -> Void
    }

    struct Counts {
        var waiting = 0
        var running = 0
        var closed = false
    }

    /// For log lines of the work itself (its outcome is logged here already).
    public let logger: Logger
    private let items: AsyncStream<Item>
    private let inbox: AsyncStream<Item>.Continuation
    private let counts = Mutex(Counts())

    public init(logger: Logger) {
        self.logger = logger
        let (stream, continuation) = AsyncStream.makeStream(of: Item.self)
        items = stream
        inbox = continuation
    }

    /// Hands `work` over; returns at once. Work handed over before `run()` starts waits for it. False (logged) once
    /// the node is shutting down: the work will not run. A thrown error is logged with `name`.
    @discardableResult
    public func submit(_ name: String, _ work: @escaping @Sendable () async throws -> Void) -> Bool {
        // Counted before the yield, so the item cannot start (and be counted down) first.
        let open = counts.withLock { c -> Bool in
            guard !c.closed else { return false }
            c.waiting += 1
            return true
        }
        if open, case .enqueued = inbox.yield(Item(name: name, work: work)) { return true }
        if open { counts.withLock { $0.waiting -= 1 } }
        logger.warning("background work handed over during shutdown was dropped", metadata: ["task": "\(name)"])
        return false
    }

    /// True once graceful shutdown (or cancellation) began: new work is refused, and work that loops should stop at
    /// its next resumable point.
    public var isShuttingDown: Bool { counts.withLock { $0.closed } }

    /// Work under way (for metrics).
    public var running: Int { counts.withLock { $0.running } }

    /// Work handed over and not started yet (for metrics).
    public var waiting: Int { counts.withLock { $0.waiting } }

    /// Takes work until graceful shutdown, then waits for what was taken. Call once: the work stream has one reader.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                // Ends after the last item handed over before `close()`, or when this task is cancelled.
                for await item in self.items {
                    self.counts.withLock {
                        $0.waiting -= 1
                        $0.running += 1
                    }
                    group.addTask { await self.execute(item) }
                }
            }
        } onGracefulShutdown: {
            self.close()
        }
        // Cancelled rather than shut down gracefully: nothing more is taken either.
        close()
    }

    private func close() {
        counts.withLock { $0.closed = true }
        inbox.finish()
    }

    private func execute(_ item: Item) async {
        defer { counts.withLock { $0.running -= 1 } }
        do {
            try await item.work()
        } catch is CancellationError {
            logger.notice("background work cancelled", metadata: ["task": "\(item.name)"])
        } catch {
            logger.error("background work failed", metadata: ["task": "\(item.name)", "error": "\(error)"])
        }
    }
}
