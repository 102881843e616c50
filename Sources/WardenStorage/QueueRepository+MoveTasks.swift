// SQS message move tasks (dead-letter queue redrive): the task rows and the transactional batch that moves messages.
// Each batch moves its messages, and advances the task's counter, in one transaction: a crash or a restart between
// batches neither loses nor duplicates a message, and the next run continues from the last committed batch.

/// One message move task as stored.
public struct MoveTaskRow: Sendable, Equatable {
    public var taskId: String
    public var account: String
    public var region: String
    /// The dead-letter queue the task drains, as `account/region/name`.
    public var sourceQueueId: String
    public var sourceArn: String
    public var destinationArn: String?
    public var maxPerSecond: Int?
    /// RUNNING, CANCELLING, COMPLETED, CANCELLED or FAILED.
    public var status: String
    public var moved: Int64
    public var toMove: Int64
    public var failureReason: String?
    public var startedAtMillis: Int64

    public init(taskId: String, account: String, region: String, sourceQueueId: String, sourceArn: String,
                destinationArn: String?, maxPerSecond: Int?, status: String = "RUNNING", moved: Int64 = 0, toMove: Int64 = 0,
                failureReason: String? = nil, startedAtMillis: Int64) {
        self.taskId = taskId
        self.account = account
        self.region = region
        self.sourceQueueId = sourceQueueId
        self.sourceArn = sourceArn
        self.destinationArn = destinationArn
        self.maxPerSecond = maxPerSecond
        self.status = status
        self.moved = moved
        self.toMove = toMove
        self.failureReason = failureReason
        self.startedAtMillis = startedAtMillis
    }
}

/// A message a move task is about to move, as the service needs it to build the moved copy.
public struct MoveCandidate: Sendable {
    public var messageId: String
    public var doc: String
    public var groupId: String?
}

/// The moved copy of a message, built by the service: a new message in the destination queue.
public struct MovedMessage: Sendable {
    public var messageId: String
    public var doc: String
    public var groupId: String?
    public var sentAtMillis: Int64
    public var visibleAtMillis: Int64
    public var expiresAtMillis: Int64

    public init(messageId: String, doc: String, groupId: String?, sentAtMillis: Int64, visibleAtMillis: Int64, expiresAtMillis: Int64) {
        self.messageId = messageId
        self.doc = doc
        self.groupId = groupId
        self.sentAtMillis = sentAtMillis
        self.visibleAtMillis = visibleAtMillis
        self.expiresAtMillis = expiresAtMillis
    }
}

/// What one batch did: how many messages it moved, into which queues, and how the task stands afterwards.
public struct MoveBatchResult: Sendable, Equatable {
    public var moved: Int
    public var destinations: Set<String>
    /// The task's status after the batch (RUNNING while it goes on).
    public var status: String
}

extension QueueRepository {
    static let moveTaskColumns = """
        task_id, account_id, region, source_queue_id, source_arn, destination_arn, max_per_second, status, moved, to_move,
        failure_reason, started_at_ms
        """

    static func moveTask(_ r: SQLRow) -> MoveTaskRow {
        MoveTaskRow(taskId: r[0].text ?? "", account: r[1].text ?? "", region: r[2].text ?? "", sourceQueueId: r[3].text ?? "",
                    sourceArn: r[4].text ?? "", destinationArn: r[5].text, maxPerSecond: r[6].int.map { Int($0) },
                    status: r[7].text ?? "", moved: r[8].int ?? 0, toMove: r[9].int ?? 0, failureReason: r[10].text,
                    startedAtMillis: r[11].int ?? 0)
    }

    /// Splits `account/region/name`.
    static func queueKey(_ queueId: String) -> (account: String, region: String, name: String)? {
        let p = queueId.split(separator: "/", maxSplits: 2).map(String.init)
        return p.count == 3 ? (p[0], p[1], p[2]) : nil
    }

    /// Records a new RUNNING task and marks the messages it will move: those visible in the source queue now.
    /// Returns nil (recording nothing) when the source queue already has an active task. Keeps the 10 most recent
    /// tasks per queue, which is as many as ListMessageMoveTasks shows.
    public func startMoveTask(_ task: MoveTaskRow, nowMillis: Int64) async throws -> MoveTaskRow? {
        try await db.transaction { tx in
            let active = try await tx.query(
                "SELECT task_id FROM sqs_move_tasks WHERE source_queue_id = ? AND status IN ('RUNNING', 'CANCELLING')",
                [.text(task.sourceQueueId)])
            guard active.isEmpty else { return nil }
            try await tx.execute("""
                UPDATE sqs_messages SET move_task = ? WHERE queue_id = ? AND visible_at_ms <= ? AND expires_at_ms > ?
                """, [.text(task.taskId), .text(task.sourceQueueId), .int(nowMillis), .int(nowMillis)])
            let count = try await tx.query("SELECT COUNT(*) FROM sqs_messages WHERE move_task = ?", [.text(task.taskId)])
                .first?[0].int ?? 0
            var row = task
            row.status = "RUNNING"
            row.moved = 0
            row.toMove = count
            try await tx.execute("INSERT INTO sqs_move_tasks (\(Self.moveTaskColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                .text(row.taskId), .text(row.account), .text(row.region), .text(row.sourceQueueId), .text(row.sourceArn),
                SQLValue(row.destinationArn), SQLValue(row.maxPerSecond.map { Int64($0) }), .text(row.status), .int(0),
                .int(count), .null, .int(row.startedAtMillis)])
            try await tx.execute("""
                DELETE FROM sqs_move_tasks WHERE source_queue_id = ? AND status NOT IN ('RUNNING', 'CANCELLING')
                    AND seq NOT IN (SELECT seq FROM sqs_move_tasks WHERE source_queue_id = ? ORDER BY seq DESC LIMIT 10)
                """, [.text(row.sourceQueueId), .text(row.sourceQueueId)])
            return row
        }
    }

    /// The queue's tasks, most recent first.
    public func moveTasks(sourceQueueId: String, limit: Int) async throws -> [MoveTaskRow] {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.moveTaskColumns) FROM sqs_move_tasks WHERE source_queue_id = ? ORDER BY seq DESC LIMIT ?",
                               [.text(sourceQueueId), .int(Int64(limit))]).map(Self.moveTask)
        }
    }

    public func moveTask(id: String) async throws -> MoveTaskRow? {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.moveTaskColumns) FROM sqs_move_tasks WHERE task_id = ?", [.text(id)]).first.map(Self.moveTask)
        }
    }

    /// Every task the mover has work for: RUNNING ones, and CANCELLING ones it has yet to stop.
    public func activeMoveTasks() async throws -> [MoveTaskRow] {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.moveTaskColumns) FROM sqs_move_tasks WHERE status IN ('RUNNING', 'CANCELLING') ORDER BY seq",
                               []).map(Self.moveTask)
        }
    }

    public enum CancelOutcome: Sendable, Equatable {
        /// The task was RUNNING and is now CANCELLING; the number of messages it had moved.
        case cancelling(moved: Int64)
        case notRunning(status: String)
        case missing
    }

    /// Asks a RUNNING task to stop: it becomes CANCELLING, and the mover makes it CANCELLED before its next batch.
    public func cancelMoveTask(id: String) async throws -> CancelOutcome {
        let lock = db.dialect == .postgres ? " FOR UPDATE" : ""
        return try await db.transaction { tx in
            guard let r = try await tx.query("SELECT status, moved FROM sqs_move_tasks WHERE task_id = ?\(lock)", [.text(id)]).first else {
                return .missing
            }
            guard r[0].text == "RUNNING" else { return .notRunning(status: r[0].text ?? "") }
            try await tx.execute("UPDATE sqs_move_tasks SET status = 'CANCELLING' WHERE task_id = ?", [.text(id)])
            return .cancelling(moved: r[1].int ?? 0)
        }
    }

    /// Moves up to `limit` of the task's marked, visible messages, oldest first, in one transaction with the task's
    /// counter. The destination of each message is the task's destination queue (`destinationQueueId`) or, when the
    /// task has none, the queue the message was dead-lettered from; `copy` builds the moved message from the original
    /// and its destination queue. The task ends here when it should: CANCELLED once cancelled, COMPLETED when no marked
    /// message is left to move, FAILED (nothing more moved) when a destination is gone or a message has no known source.
    public func moveBatch(taskId: String, destinationQueueId: String?, limit: Int, nowMillis: Int64,
                          copy: @escaping @Sendable (MoveCandidate, QueueRow) throws -> MovedMessage) async throws -> MoveBatchResult {
        let lockTask = db.dialect == .postgres ? " FOR UPDATE" : ""
        let skipLocked = db.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await db.transaction { tx in
            guard let task = try await tx.query("SELECT status, source_queue_id FROM sqs_move_tasks WHERE task_id = ?\(lockTask)",
                                                [.text(taskId)]).first,
                  let status = task[0].text, let sourceQueueId = task[1].text else {
                return MoveBatchResult(moved: 0, destinations: [], status: "FAILED")
            }
            func end(_ status: String, reason: String? = nil, moved: Int = 0, destinations: Set<String> = []) async throws -> MoveBatchResult {
                try await tx.execute("UPDATE sqs_move_tasks SET status = ?, failure_reason = ?, moved = moved + ? WHERE task_id = ?",
                                     [.text(status), SQLValue(reason), .int(Int64(moved)), .text(taskId)])
                try await tx.execute("UPDATE sqs_messages SET move_task = NULL WHERE move_task = ?", [.text(taskId)])
                return MoveBatchResult(moved: moved, destinations: destinations, status: status)
            }
            switch status {
            case "RUNNING": break
            case "CANCELLING": return try await end("CANCELLED")
            default: return MoveBatchResult(moved: 0, destinations: [], status: status)
            }
            guard try await Self.queueRow(sourceQueueId, tx) != nil else {
                return try await end("FAILED", reason: "AWS.SimpleQueueService.NonExistentQueue")
            }
            let rows = try await tx.query("""
                SELECT seq, message_id, body, doc, dlq_source, group_id FROM sqs_messages
                WHERE move_task = ? AND queue_id = ? AND visible_at_ms <= ? AND expires_at_ms > ?
                ORDER BY seq LIMIT ?\(skipLocked)
                """, [.text(taskId), .text(sourceQueueId), .int(nowMillis), .int(nowMillis), .int(Int64(max(limit, 1)))])
            if rows.isEmpty { return try await end("COMPLETED") }
            var destinations: [String: QueueRow?] = [:]
            var moved = 0
            var touched: Set<String> = []
            for r in rows {
                guard let destinationId = destinationQueueId ?? r[4].text else {
                    // Sent to the dead-letter queue directly (or by another service): there is no source to return it to.
                    return try await end("FAILED", reason: "CouldNotDetermineMessageSource", moved: moved, destinations: touched)
                }
                if destinations[destinationId] == nil { destinations[destinationId] = .some(try await Self.queueRow(destinationId, tx)) }
                guard let destination = destinations[destinationId] ?? nil else {
                    return try await end("FAILED", reason: "AWS.SimpleQueueService.NonExistentQueue", moved: moved, destinations: touched)
                }
                let oldId = r[1].text ?? ""
                let m = try copy(MoveCandidate(messageId: oldId, doc: r[3].text ?? "", groupId: r[5].text), destination)
                // The body is sealed to its message id: the moved copy, a new message, is sealed to its own.
                let body = try sealer.open(r[2].blob ?? [], context: Self.sealContext(oldId))
                let sealed = try sealer.seal(body, context: Self.sealContext(m.messageId))
                try await tx.execute("""
                    INSERT INTO sqs_messages (queue_id, message_id, sent_at_ms, visible_at_ms, expires_at_ms, receive_count,
                        first_receive_ms, receipt, body, doc, group_id) VALUES (?, ?, ?, ?, ?, 0, NULL, NULL, ?, ?, ?)
                    """, [.text(destination.queueId), .text(m.messageId), .int(m.sentAtMillis), .int(m.visibleAtMillis),
                          .int(m.expiresAtMillis), .blob(sealed), .text(m.doc), SQLValue(m.groupId)])
                try await tx.execute("DELETE FROM sqs_messages WHERE seq = ?", [r[0]])
                moved += 1
                touched.insert(destination.queueId)
            }
            try await tx.execute("UPDATE sqs_move_tasks SET moved = moved + ? WHERE task_id = ?", [.int(Int64(moved)), .text(taskId)])
            return MoveBatchResult(moved: moved, destinations: touched, status: "RUNNING")
        }
    }

    static func queueRow(_ queueId: String, _ tx: any SQLExecutor) async throws -> QueueRow? {
        guard let k = queueKey(queueId) else { return nil }
        return try await tx.query("SELECT \(queueColumns) FROM sqs_queues WHERE account_id = ? AND region = ? AND name = ?",
                                  [.text(k.account), .text(k.region), .text(k.name)]).first.map(queue)
    }

    /// The queues of one account and region whose document contains `text` (a dead-letter queue's ARN), by name.
    /// Queue documents are the service's JSON: the text match narrows the scan, the caller checks the redrive policy.
    public func queuesMentioning(_ text: String, account: String, region: String) async throws -> [QueueRow] {
        try await db.read { tx in
            // `instr`/`strpos` rather than LIKE: queue names may contain `_`, a LIKE wildcard.
            let find = db.dialect == .postgres ? "strpos(doc, ?) > 0" : "instr(doc, ?) > 0"
            return try await tx.query("SELECT \(Self.queueColumns) FROM sqs_queues WHERE account_id = ? AND region = ? AND \(find) ORDER BY name",
                                      [.text(account), .text(region), .text(text)]).map(Self.queue)
        }
    }
}
