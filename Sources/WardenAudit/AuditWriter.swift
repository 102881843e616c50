// Group commit: records from concurrent requests share one transaction; each request waits for its batch.
import Logging
import ServiceLifecycle
import Synchronization
import WardenStorage

public struct AuditUnavailable: Error, Sendable {}

/// The audit log's single writer. `record` returns once the event is durable, or throws (fail closed).
public final class AuditWriter: Service, Sendable {
    typealias Waiter = CheckedContinuation<Void, any Error>
    struct State {
        var pending: [(StoredAuditEvent, Waiter)] = []
        var wake: CheckedContinuation<Void, Never>?
        var stopping = false
        var stopped = false
    }

    let repository: AuditRepository
    let logger: Logger
    let maxBatch: Int
    /// Called after each batch commits (consumers of the log, such as EventBridge's CloudTrail tail, wake on it).
    let onCommit: (@Sendable ([StoredAuditEvent]) -> Void)?
    private let state = Mutex(State())

    public init(repository: AuditRepository, logger: Logger, maxBatch: Int = 2000,
                onCommit: (@Sendable ([StoredAuditEvent]) -> Void)? = nil) {
        self.repository = repository
        self.logger = logger
        self.maxBatch = maxBatch
        self.onCommit = onCommit
    }

    /// Appends one record; returns when its transaction has committed. Not cancellable by the caller on purpose:
    /// a client hanging up must not leave its request unrecorded.
    public func record(_ event: StoredAuditEvent) async throws {
        try await withCheckedThrowingContinuation { (cont: Waiter) in
            let wake = state.withLock { s -> CheckedContinuation<Void, Never>?? in
                if s.stopped { return .none }
                s.pending.append((event, cont))
                defer { s.wake = nil }
                return .some(s.wake)
            }
            switch wake {
            case .none: cont.resume(throwing: AuditUnavailable())
            case .some(let w): w?.resume()
            }
        }
    }

    public func run() async throws {
        // Graceful shutdown and cancellation (another service failed) both mean: drain what is queued, then stop.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await self.loop()
            } onGracefulShutdown: {
                self.stop()
            }
        } onCancel: {
            self.stop()
        }
    }

    private func stop() {
        let w = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.stopping = true
            defer { s.wake = nil }
            return s.wake
        }
        w?.resume()
    }

    private func loop() async {
        while true {
            let batch = await nextBatch()
            guard let batch else { return }
            await write(batch)
        }
    }

    /// Waits for work; returns nil once stopping and drained.
    private func nextBatch() async -> [(StoredAuditEvent, Waiter)]? {
        while true {
            let (batch, stop) = state.withLock { s -> ([(StoredAuditEvent, Waiter)], Bool) in
                if s.pending.isEmpty {
                    if s.stopping { s.stopped = true }
                    return ([], s.stopping)
                }
                let n = min(s.pending.count, maxBatch)
                let taken = Array(s.pending.prefix(n))
                s.pending.removeFirst(n)
                return (taken, false)
            }
            if !batch.isEmpty { return batch }
            if stop { return nil }
            await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if !s.pending.isEmpty || s.stopping { return true }
                    s.wake = cont
                    return false
                }
                if resumeNow { cont.resume() }
            }
        }
    }

    private func write(_ batch: [(StoredAuditEvent, Waiter)]) async {
        do {
            let events = batch.map(\.0)
            try await repository.append(events)
            onCommit?(events)
            for (_, w) in batch { w.resume() }
        } catch {
            logger.error("audit write failed; failing \(batch.count) requests", metadata: ["error": "\(error)"])
            for (_, w) in batch { w.resume(throwing: error) }
        }
    }
}
