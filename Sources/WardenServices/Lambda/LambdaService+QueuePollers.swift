// The pollers of SQS event source mappings, as Lambda's: each enabled mapping long-polls its queue, builds Lambda's
// SQS event from what it receives, invokes the function synchronously, deletes the batch on success (only the
// messages not reported as failures with ReportBatchItemFailures) and leaves failures to become visible again after
// the queue's visibility timeout, so the queue's redrive policy moves them to its dead-letter queue after
// maxReceiveCount. Messages that match none of the mapping's filters are deleted without an invocation, as Lambda
// does. A mapping scales from one poller up to its MaximumConcurrency while its batches come back full.
//
// FIFO queues keep their order without anything here: SQS hands out a message group's messages only while none of
// the group is in flight, so the group's next batch waits until the batch before it is deleted or times out.
//
// It all runs as one singleton job (`lambda-sqs-pollers`) under a lease. The job's control pass (settling state
// transitions) runs fenced each second; the pollers' own receives and deletes are not fenced: SQS's claims already
// keep two pollers from sharing a message, and a takeover only has to stop the old holder, which it does within a
// second of losing the lease (the control pass fails, or the node sees the lease gone).
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WardenAPI
import WardenCore
import WardenStorage

/// What the pollers of one node share: the enabled mappings, and how many pollers each has and wants.
final class PollerBoard: Sendable {
    struct Mapping: Sendable {
        var row: EventSourceMappingRow
        var record: MappingRecord
        var patterns: [EventPattern]?
    }

    private struct State {
        var mappings: [String: Mapping] = [:]
        var workers: [String: Int] = [:]
        var wanted: [String: Int] = [:]
        /// The last processing result each mapping has recorded, so an unchanged one is not written again.
        var results: [String: String] = [:]
        var stopped = false
    }

    private let state = Mutex(State())

    /// Without ScalingConfig, a mapping grows to a handful of concurrent batches (Lambda starts with five pollers).
    static let defaultConcurrency = 5

    func update(_ mappings: [Mapping]) {
        state.withLock { s in
            s.mappings = Dictionary(mappings.map { ($0.row.uuid, $0) }, uniquingKeysWith: { a, _ in a })
            for uuid in s.wanted.keys where s.mappings[uuid] == nil { s.wanted[uuid] = nil }
            for m in mappings where s.results[m.row.uuid] == nil { s.results[m.row.uuid] = m.row.lastResult }
        }
    }

    /// Notes a mapping's processing result; true when it differs from the one last recorded.
    func changeResult(_ uuid: String, to result: String) -> Bool {
        state.withLock { s in
            guard s.results[uuid] != result else { return false }
            s.results[uuid] = result
            return true
        }
    }

    /// The mapping a poller serves while it is enabled and the board runs.
    func mapping(_ uuid: String) -> Mapping? { state.withLock { $0.stopped ? nil : $0.mappings[uuid] } }

    /// The pollers to start now: one for each enabled mapping without any, more where a mapping wants them.
    func spawns() -> [String] {
        state.withLock { s in
            guard !s.stopped else { return [] }
            var out: [String] = []
            for (uuid, m) in s.mappings {
                let limit = m.record.maximumConcurrency ?? Self.defaultConcurrency
                let want = min(max(1, s.wanted[uuid] ?? 1), limit)
                let have = s.workers[uuid] ?? 0
                if have < want {
                    out += Array(repeating: uuid, count: want - have)
                    s.workers[uuid] = want
                }
            }
            return out
        }
    }

    /// A poller's batch came back full: one more poller, up to the mapping's concurrency.
    func wantMore(_ uuid: String) {
        state.withLock { s in
            guard let m = s.mappings[uuid] else { return }
            let limit = m.record.maximumConcurrency ?? Self.defaultConcurrency
            s.wanted[uuid] = min(max(s.wanted[uuid] ?? 1, s.workers[uuid] ?? 1) + 1, limit)
        }
    }

    /// A poller found the queue empty: all but the last one of the mapping stop.
    func idleExit(_ uuid: String) -> Bool {
        state.withLock { s in
            guard (s.workers[uuid] ?? 0) > 1 else { return false }
            s.workers[uuid, default: 1] -= 1
            s.wanted[uuid] = max(1, (s.wanted[uuid] ?? 1) - 1)
            return true
        }
    }

    /// A poller stopped (its mapping was disabled or deleted, or the board stopped).
    func exited(_ uuid: String) {
        state.withLock { s in
            let n = (s.workers[uuid] ?? 1) - 1
            s.workers[uuid] = n > 0 ? n : nil
        }
    }

    func stop() { state.withLock { $0.stopped = true } }

    /// Nothing enabled and no poller left.
    var idle: Bool { state.withLock { $0.mappings.isEmpty && $0.workers.isEmpty } }
}

extension LambdaService {
    /// Lambda's SQS pollers take up to 10 messages a receive and wait for them with long polling; Warden waits a
    /// second at a time so a disabled mapping or a shutdown is noticed promptly (a send still wakes the wait at once).
    static let pollWaitSeconds = 1

    /// Runs the pollers of every enabled SQS mapping while `holding()` (this node holds the job's lease) and the node
    /// is not shutting down; returns when no mapping is enabled any more. Batches in flight finish first.
    public func runQueuePollers(holding: @escaping @Sendable () -> Bool) async throws {
        guard let queues = eventQueues else { return }
        let board = PollerBoard()
        let failure: (any Error)? = await withDiscardingTaskGroup(returning: (any Error)?.self) { group in
            var failure: (any Error)?
            while holding() && !Task.isShuttingDownGracefully && !background.isShuttingDown {
                do {
                    board.update(try await enabledMappings())
                } catch {
                    failure = error
                    break
                }
                for uuid in board.spawns() {
                    group.addTask {
                        // Unfenced (see the top of this file); the control pass above is what the lease guards.
                        await LeaseContext.$fence.withValue(nil) { await poll(uuid, board: board, queues: queues) }
                    }
                }
                if board.idle { break }
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
                } catch {
                    break
                }
            }
            board.stop()
            return failure
        }
        if let failure { throw failure }
    }

    /// The enabled mappings, after completing the transitions that are due. The read comes first so an idle node does
    /// not write every second; a transition is settled in a fenced transaction.
    func enabledMappings() async throws -> [PollerBoard.Mapping] {
        var rows = try await mappings.active()
        if rows.contains(where: { $0.state != "Enabled" }) { rows = try await mappings.settle() }
        var out: [PollerBoard.Mapping] = []
        for row in rows where row.state == "Enabled" {
            do {
                let record = try MappingRecord.decode(row.doc)
                var patterns: [EventPattern]?
                if let filters = record.filters { patterns = try filters.map { text throws(AWSError) in try EventPattern(text) } }
                out.append(PollerBoard.Mapping(row: row, record: record, patterns: patterns))
            } catch {
                background.logger.error("an event source mapping could not be read; it is not polled",
                                        metadata: ["mapping": "\(row.uuid)", "error": "\(error)"])
            }
        }
        return out
    }

    /// One poller of a mapping: until the mapping is disabled or deleted (or the board stops), or the queue runs dry
    /// while other pollers of the mapping remain.
    func poll(_ uuid: String, board: PollerBoard, queues: any EventSourceQueues) async {
        // A poller that leaves because the queue ran dry has been counted out by `idleExit` already.
        var counted = true
        defer { if counted { board.exited(uuid) } }
        while let m = board.mapping(uuid) {
            do {
                guard let function = try await mappedFunction(m.row.functionArn) else {
                    // Nothing runs the batch: leave the messages in the queue rather than receive them.
                    await noteResult(m, "PROBLEM: Function not found: \(m.row.functionArn)", board: board)
                    guard await pause(.seconds(2)) else { return }
                    continue
                }
                // A queue of another account is polled only while its policy lets the execution role (the owner may
                // take that back at any time); for the account's own queues this reads nothing.
                if let action = try await missingQueuePermission(m.row.eventSourceArn, functionArn: m.row.functionArn,
                                                                 role: function.record.role) {
                    await noteResult(m, "PROBLEM: \(Self.queuePermissionMissing(action).message)", board: board)
                    guard await pause(.seconds(2)) else { return }
                    continue
                }
                let batch = try await collect(m, board: board, queues: queues)
                if batch.isEmpty {
                    if board.idleExit(uuid) {
                        counted = false
                        return
                    }
                    continue
                }
                if batch.count >= min(m.record.batchSize, 10) { board.wantMore(uuid) }
                try await handle(batch, m, function: function, board: board, queues: queues)
            } catch {
                background.logger.error("an event source mapping's poller failed; it tries again",
                                        metadata: ["mapping": "\(uuid)", "queue": "\(m.row.eventSourceArn)", "error": "\(error)"])
                await noteResult(m, "PROBLEM: \(Self.problem(error))", board: board)
                guard await pause(.seconds(2)) else { return }
            }
        }
    }

    /// Sleeps unless the node is shutting down (false then).
    func pause(_ d: Duration) async -> Bool {
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: d) }
            return true
        } catch {
            return false
        }
    }

    static func problem(_ error: any Error) -> String {
        if let e = error as? AWSError { return "\(e.code): \(e.message)" }
        return "\(error)"
    }

    /// The function (version or alias) a mapping invokes, or nil when it is gone.
    func mappedFunction(_ functionArn: String) async throws -> ResolvedFunction? {
        guard let arn = ARN(functionArn), arn.resource.hasPrefix("function:") else { return nil }
        do {
            return try await resolve(String(arn.resource.dropFirst("function:".count)), qualifier: nil,
                                     Self.functionContext(arn, now: now()))
        } catch let e as AWSError where e.code == "ResourceNotFoundException" {
            return nil
        }
    }

    /// One batch: a single receive without a batching window; with one, receives until the batch is full or the
    /// window (counted from the first message) ends.
    func collect(_ m: PollerBoard.Mapping, board: PollerBoard, queues: any EventSourceQueues) async throws -> [SQS.Message] {
        let arn = m.row.eventSourceArn, size = m.record.batchSize
        let first = try await queues.receiveForEventSource(arn: arn, max: min(size, 10), waitSeconds: Self.pollWaitSeconds)
        guard m.record.maximumBatchingWindowInSeconds > 0, !first.isEmpty, first.count < size else { return first }
        var batch = first
        let deadline = ContinuousClock.now + .seconds(m.record.maximumBatchingWindowInSeconds)
        while batch.count < size, ContinuousClock.now < deadline {
            guard board.mapping(m.row.uuid) != nil else {
                // Disabled meanwhile: what was taken goes back.
                try await queues.releaseForEventSource(arn: arn, receiptHandles: batch.compactMap(\.receiptHandle))
                return []
            }
            let wait = min(Self.pollWaitSeconds, max(0, Int((deadline - ContinuousClock.now).components.seconds)))
            batch += try await queues.receiveForEventSource(arn: arn, max: min(size - batch.count, 10), waitSeconds: wait)
            if batch.count < size, wait == 0 {
                guard await pause(.milliseconds(100)) else { break }
            }
        }
        return batch
    }

    /// Filters, invokes and completes one batch.
    func handle(_ messages: [SQS.Message], _ m: PollerBoard.Mapping, function: ResolvedFunction,
                board: PollerBoard, queues: any EventSourceQueues) async throws {
        let arn = m.row.eventSourceArn
        var records: [(handle: String, id: String, record: JSONValue)] = []
        var unmatched: [String] = []
        for message in messages {
            let record = SQSEventRecords.record(message, queueArn: arn, region: m.row.region,
                                                batchingWindow: m.record.maximumBatchingWindowInSeconds > 0)
            if let patterns = m.patterns {
                let view = SQSEventRecords.filterView(record, body: message.body ?? "")
                guard patterns.contains(where: { $0.matches(view) }) else {
                    unmatched.append(message.receiptHandle ?? "")
                    continue
                }
            }
            records.append((message.receiptHandle ?? "", message.messageId ?? "", record))
        }
        if !unmatched.isEmpty { _ = try await queues.deleteForEventSource(arn: arn, receiptHandles: unmatched) }
        // The event must fit a synchronous invocation's payload: what does not goes back to the queue.
        var payload = SQSEventRecords.event(records.map(\.record))
        var excess: [String] = []
        while payload.count > Self.maxSyncPayload, records.count > 1 {
            excess.append(records.removeLast().handle)
            payload = SQSEventRecords.event(records.map(\.record))
        }
        if !excess.isEmpty { try await queues.releaseForEventSource(arn: arn, receiptHandles: excess) }
        guard !records.isEmpty else { return }
        let result: FunctionResult
        do {
            result = try await invokeForQueue(m.row.functionArn, timeout: function.record.timeout, payload: payload)
        } catch let e as AWSError {
            // Not run (throttled for too long, the runner failed): the batch becomes visible again by itself.
            await noteResult(m, "PROBLEM: \(e.code): \(e.message)", board: board)
            return
        }
        let outcome = SQSEventRecords.outcome(payload: result.payload, functionError: result.functionError,
                                              reportsBatchItemFailures: m.record.reportsBatchItemFailures,
                                              messageIds: Set(records.map(\.id)))
        let done: [String]
        switch outcome {
        case .succeeded: done = records.map(\.handle)
        case .failed: done = []
        case .partial(let failed): done = records.filter { !failed.contains($0.id) }.map(\.handle)
        }
        if !done.isEmpty {
            let refused = try await queues.deleteForEventSource(arn: arn, receiptHandles: done)
            if !refused.isEmpty {
                // The function outlasted the visibility timeout: those messages are someone else's now.
                background.logger.warning("messages a function handled could not be deleted (receipt expired); they will be delivered again",
                                          metadata: ["mapping": "\(m.row.uuid)", "count": "\(refused.count)"])
            }
        }
        // The texts Lambda reports for its pollers' last batch (documented for stream sources).
        await noteResult(m, outcome == .failed ? "PROBLEM: Function call failed" : "OK", board: board)
    }

    /// A synchronous invocation for a poller, through the invoke path Lambda's own pollers use (no resource policy; the
    /// function runs with its creator's credentials; an alias picks its version by weight). A throttled invocation is
    /// tried again for up to half the function's timeout (the queue's visibility timeout is at least the function's,
    /// so the batch is still this poller's when the run ends).
    func invokeForQueue(_ functionArn: String, timeout: Int, payload: [UInt8]) async throws -> FunctionResult {
        let started = ContinuousClock.now
        var delay = Duration.milliseconds(100)
        while true {
            do {
                return try await invokeFunction(functionArn: functionArn, payload: payload).result
            } catch let e as AWSError where e.code == "TooManyRequestsException" {
                guard ContinuousClock.now - started < .milliseconds(max(1000, timeout * 500)), await pause(delay) else { throw e }
                delay = min(delay * 2, .seconds(1))
            }
        }
    }

    /// Records a mapping's last processing result when it changed.
    func noteResult(_ m: PollerBoard.Mapping, _ result: String, board: PollerBoard) async {
        guard board.changeResult(m.row.uuid, to: result) else { return }
        do {
            try await mappings.setLastResult(uuid: m.row.uuid, result)
        } catch {
            background.logger.error("an event source mapping's last processing result could not be recorded",
                                    metadata: ["mapping": "\(m.row.uuid)", "error": "\(error)"])
        }
    }
}
