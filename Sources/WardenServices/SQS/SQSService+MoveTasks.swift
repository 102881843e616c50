// Message move tasks (dead-letter queue redrive): StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask,
// and the background mover that runs them (a singleton job, `sqs-move-tasks`).
import Foundation
import Logging
import WardenAPI
import WardenCore
import WardenStorage

/// A task handle as SQS writes it: base64 of `{"taskId":"<uuid>","sourceArn":"<queue ARN>"}` (LocalStack's
/// AWS-validated test_basic_move_task_workflow decodes AWS's handles this way).
struct MoveTaskHandle: Equatable {
    var taskId: String
    var sourceArn: String

    var encoded: String {
        let doc = JSONValue.object([("taskId", .string(taskId)), ("sourceArn", .string(sourceArn))])
        return Data(JSONWriter.write(doc)).base64EncodedString()
    }

    static func decode(_ handle: String) -> MoveTaskHandle? {
        guard let raw = Data(base64Encoded: handle), let doc = try? JSONParser.parse(Array(raw)),
              let id = doc["taskId"]?.stringValue, let arn = doc["sourceArn"]?.stringValue else { return nil }
        return MoveTaskHandle(taskId: id, sourceArn: arn)
    }
}

extension SQSService {
    /// The key the mover's job waits on; a new or cancelled task signals it (through every node).
    public static let moveTasksWakeKey = "sqs-move-tasks"
    /// Wake-ups for the mover's job.
    public var moveTaskWakeups: QueueSignals { signals }

    /// Messages per transaction, and per run of a task without a rate (the job runs again at once while one moves).
    static let moveBatchSize = 100
    static let unlimitedMovesPerRun = 1000

    // Errors. Recorded from AWS (LocalStack's tests/aws/services/sqs/test_sqs_move_task.snapshot.json, Query protocol):
    // ResourceNotFoundException with HTTP 404, and the texts below marked "recorded".
    static func resourceNotFound(_ m: String) -> AWSError {
        AWSError(code: "ResourceNotFoundException", queryCode: "ResourceNotFoundException", status: 404, message: m)
    }
    static func noSuchArn(_ parameter: String) -> AWSError {
        resourceNotFound("The resource that you specified for the \(parameter) parameter doesn't exist.")  // recorded
    }
    static func malformedArn(_ parameter: String) -> AWSError {
        // AWS's exact message is not documented; LocalStack's and local-aws's SQS emulators agree on this text.
        invalidValue("You must use this format to specify the \(parameter): arn:<partition>:<service>:<region>:<account-id>:<resource-id>")
    }

    /// The queue an ARN names, as `account/region/name`, when it is an SQS ARN of the caller's account and region
    /// (other accounts' and regions' queues are not visible to the caller here).
    static func queueId(arn text: String, parameter: String, _ c: RequestContext) throws(AWSError) -> (id: String, name: String)? {
        guard let arn = ARN(text), !arn.region.isEmpty, !arn.account.isEmpty, !arn.resource.isEmpty else { throw malformedArn(parameter) }
        guard arn.service == "sqs", arn.account == c.account, arn.region == c.region, isValidQueueName(arn.resource)
              || (arn.resource.hasSuffix(".fifo") && isValidQueueName(String(arn.resource.dropLast(5)))) else { return nil }
        return ("\(arn.account)/\(arn.region)/\(arn.resource)", arn.resource)
    }

    func startMessageMoveTask(_ input: SQS.StartMessageMoveTaskRequest, context c: RequestContext) async throws -> SQS.StartMessageMoveTaskResult {
        if let rate = input.maxNumberOfMessagesPerSecond, !(1...500).contains(rate) {
            // AWS's exact message is not documented (its limit is: "The maximum value for messages per second is 500");
            // this is local-aws's text, in the form of AWS's recorded "Value for parameter TaskHandle is invalid.".
            throw Self.invalidValue("Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: You must enter a number that's between 1 and 500.")
        }
        guard let source = try Self.queueId(arn: input.sourceArn, parameter: "SourceArn", c),
              let sourceRow = try await repository.queue(account: c.account, region: c.region, name: source.name) else {
            throw Self.noSuchArn("SourceArn")
        }
        var destination: (id: String, name: String)?
        if let d = input.destinationArn {
            guard let found = try Self.queueId(arn: d, parameter: "DestinationArn", c) else { throw Self.noSuchArn("DestinationArn") }
            destination = found
        }
        // Only a queue some queue dead-letters into can be drained (recorded).
        let sourceArn = Self.queueArn(c, source.name)
        guard try await !deadLetterSources(of: sourceArn, account: c.account, region: c.region).isEmpty else {
            throw Self.invalidValue("Source queue must be configured as a Dead Letter Queue.")
        }
        if let destination {
            guard let destinationRow = try await repository.queue(account: c.account, region: c.region, name: destination.name) else {
                throw Self.noSuchArn("DestinationArn")  // recorded
            }
            // AWS's exact messages for these two are not documented; local-aws's texts. The rule itself is AWS's: "you can
            // also configure any other queue as the redrive destination if both queues are the same type" (Developer
            // Guide, "Configure a dead-letter queue redrive").
            guard destination.id != source.id else {
                throw Self.invalidValue("Source queue arn and destination queue arn cannot be the same.")
            }
            guard try QueueRecord.decode(destinationRow.doc).isFifo == QueueRecord.decode(sourceRow.doc).isFifo else {
                throw Self.invalidValue("The source queue and destination queue must be of the same queue type.")
            }
        }
        let task = MoveTaskRow(taskId: UUID().uuidString.lowercased(), account: c.account, region: c.region, sourceQueueId: source.id,
                               sourceArn: sourceArn, destinationArn: input.destinationArn, maxPerSecond: input.maxNumberOfMessagesPerSecond,
                               startedAtMillis: nowMillis)
        // Under the queue's lock, so two starts through two nodes cannot both see no active task.
        let started = try await locks.withLock(Self.lockName(source.id)) {
            try await repository.startMoveTask(task, nowMillis: nowMillis)
        }
        guard started != nil else {
            throw Self.invalidValue("There is already a task running. Only one active task is allowed for a source queue arn at a given time.")  // recorded
        }
        signals.signal(Self.moveTasksWakeKey)
        return SQS.StartMessageMoveTaskResult(taskHandle: MoveTaskHandle(taskId: task.taskId, sourceArn: sourceArn).encoded)
    }

    func listMessageMoveTasks(_ input: SQS.ListMessageMoveTasksRequest, context c: RequestContext) async throws -> SQS.ListMessageMoveTasksResult {
        let found = try Self.queueId(arn: input.sourceArn, parameter: "SourceArn", c)
        if let m = input.maxResults, !(1...10).contains(m) {
            // AWS's exact message is not documented (API Reference: "The default is 1 ... The upper limit is 10.").
            throw Self.invalidValue("Value \(m) for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and 10.")
        }
        guard let source = found, try await repository.queue(account: c.account, region: c.region, name: source.name) != nil else {
            throw Self.noSuchArn("SourceArn")
        }
        let tasks = try await repository.moveTasks(sourceQueueId: source.id, limit: input.maxResults ?? 1)
        let entries = tasks.map { t in
            // TaskHandle only while RUNNING, FailureReason only when FAILED, the rate and destination only when given
            // (API Reference, ListMessageMoveTasksResultEntry; recorded documents).
            SQS.ListMessageMoveTasksResultEntry(
                taskHandle: t.status == "RUNNING" ? MoveTaskHandle(taskId: t.taskId, sourceArn: t.sourceArn).encoded : nil,
                status: t.status, sourceArn: t.sourceArn, destinationArn: t.destinationArn,
                maxNumberOfMessagesPerSecond: t.maxPerSecond, approximateNumberOfMessagesMoved: t.moved,
                approximateNumberOfMessagesToMove: t.toMove, failureReason: t.status == "FAILED" ? t.failureReason : nil,
                startedTimestamp: t.startedAtMillis)
        }
        return SQS.ListMessageMoveTasksResult(results: entries)
    }

    func cancelMessageMoveTask(_ input: SQS.CancelMessageMoveTaskRequest, context c: RequestContext) async throws -> SQS.CancelMessageMoveTaskResult {
        guard let handle = MoveTaskHandle.decode(input.taskHandle) else {
            throw Self.invalidValue("Value for parameter TaskHandle is invalid.")  // recorded
        }
        let named: (id: String, name: String)?
        do {
            named = try Self.queueId(arn: handle.sourceArn, parameter: "SourceArn", c)
        } catch {
            named = nil  // a handle whose ARN is malformed names no queue
        }
        guard let source = named, try await repository.queue(account: c.account, region: c.region, name: source.name) != nil else {
            throw Self.noSuchArn("SourceArn")  // recorded
        }
        guard let task = try await repository.moveTask(id: handle.taskId), task.sourceQueueId == source.id else {
            throw Self.resourceNotFound("Task does not exist.")  // recorded
        }
        switch try await repository.cancelMoveTask(id: task.taskId) {
        case .cancelling(let moved):
            signals.signal(Self.moveTasksWakeKey)
            return SQS.CancelMessageMoveTaskResult(approximateNumberOfMessagesMoved: moved)
        case .notRunning(let status):
            // "A message movement can only be cancelled when the current status is RUNNING" (API Reference); the model
            // gives CancelMessageMoveTask UnsupportedOperation for it. AWS's exact message is not documented.
            throw Self.unsupported("Only a task in RUNNING status can be cancelled; this task is \(status).")
        case .missing:
            throw Self.resourceNotFound("Task does not exist.")
        }
    }

    // MARK: the mover

    /// Runs every active task once: moves what each task's rate allows (a task without one, up to
    /// `unlimitedMovesPerRun`), stops cancelled tasks, completes drained ones. Returns how many messages moved; the job
    /// runs again at once while this is not zero. Called by the `sqs-move-tasks` job under its lease.
    public func runMoveTasks() async throws -> Int {
        let tasks = try await repository.activeMoveTasks()
        moveRates.keep(Set(tasks.map(\.taskId)))
        var total = 0
        for task in tasks { total += try await run(task) }
        return total
    }

    private func run(_ task: MoveTaskRow) async throws -> Int {
        var destination: String?
        if let d = task.destinationArn, let arn = ARN(d) { destination = "\(arn.account)/\(arn.region)/\(arn.resource)" }
        let budget = task.maxPerSecond == nil ? Self.unlimitedMovesPerRun : Int.max
        var moved = 0
        while moved < budget {
            let want = min(Self.moveBatchSize, budget - moved)
            let granted = task.maxPerSecond.map { moveRates.take(task.taskId, rate: $0, want: want) } ?? want
            // A task out of tokens waits for the next run, unless it is being cancelled (which moves nothing).
            if granted == 0 && task.status == "RUNNING" { break }
            let nowMs = nowMillis
            let copy = Self.movedCopy(nowMillis: nowMs)
            let r = try await repository.moveBatch(taskId: task.taskId, destinationQueueId: destination, limit: max(granted, 1),
                                                   nowMillis: nowMs, copy: copy)
            if task.maxPerSecond != nil { moveRates.refund(task.taskId, granted - r.moved) }
            moved += r.moved
            for q in r.destinations { signals.signal(q) }
            if r.status != "RUNNING" {
                ServiceLog.logger.info("sqs message move task ended", metadata: [
                    "task": "\(task.taskId)", "source": "\(task.sourceArn)", "status": "\(r.status)"])
                break
            }
        }
        return moved
    }

    /// How a moved message looks in its destination: a new message (new id, sent now, the destination's retention and
    /// delay) with the original's body and attributes ("All redriven messages are considered new messages with a new
    /// messageID and enqueueTime": Developer Guide, "Configure a dead-letter queue redrive").
    static func movedCopy(nowMillis: Int64) -> @Sendable (MoveCandidate, QueueRow) throws -> MovedMessage {
        { original, destination in
            let record = try QueueRecord.decode(destination.doc)
            var doc = try JSONDecoder().decode(MessageDoc.self, from: Data(original.doc.utf8))
            if doc.kmsDataKey != nil && doc.kmsAad == nil { doc.kmsAad = original.messageId }
            var group: String?
            if record.isFifo {
                group = original.groupId ?? doc.groupId ?? "default"
                doc.groupId = group
                // SQS replaces a FIFO message's deduplication id with its message id when it dead-letters it (Developer
                // Guide, same page), so two redriven messages never deduplicate each other.
                doc.dedupId = original.messageId
            } else {
                doc.dedupId = nil
            }
            return MovedMessage(messageId: UUID().uuidString.lowercased(), doc: doc.encoded(), groupId: group, sentAtMillis: nowMillis,
                                visibleAtMillis: nowMillis + record.int("DelaySeconds") * 1000,
                                expiresAtMillis: nowMillis + record.int("MessageRetentionPeriod") * 1000)
        }
    }
}
