// SQS state: queue documents and messages (bodies sealed under the root key). Receiving claims messages in one
// transaction (on PostgreSQL with SKIP LOCKED, so concurrent receivers never get the same message).

public struct QueueRow: Sendable {
    public var account: String
    public var region: String
    public var name: String
    public var createdAtMillis: Int64
    public var doc: String
    public init(account: String, region: String, name: String, createdAtMillis: Int64, doc: String) {
        self.account = account
        self.region = region
        self.name = name
        self.createdAtMillis = createdAtMillis
        self.doc = doc
    }
    public var queueId: String { "\(account)/\(region)/\(name)" }
}

/// A message to enqueue.
public struct NewMessage: Sendable {
    public var messageId: String
    public var body: [UInt8]
    public var doc: String
    public var sentAtMillis: Int64
    public var visibleAtMillis: Int64
    public var expiresAtMillis: Int64
    public init(messageId: String, body: [UInt8], doc: String, sentAtMillis: Int64, visibleAtMillis: Int64, expiresAtMillis: Int64) {
        self.messageId = messageId
        self.body = body
        self.doc = doc
        self.sentAtMillis = sentAtMillis
        self.visibleAtMillis = visibleAtMillis
        self.expiresAtMillis = expiresAtMillis
    }
}

/// A message as received: its row identity, the new receipt token, and everything a ReceiveMessage result shows.
public struct ReceivedMessage: Sendable {
    public var seq: Int64
    public var messageId: String
    public var receipt: String
    public var body: [UInt8]
    public var doc: String
    public var sentAtMillis: Int64
    public var receiveCount: Int64
    public var firstReceiveMillis: Int64
    /// The queue (`account/region/name`) a dead-letter queue's message was moved from.
    public var deadLetterSource: String? = nil
}

/// Counts GetQueueAttributes reports.
public struct QueueCounts: Sendable, Equatable {
    public var visible: Int
    public var inFlight: Int
    public var delayed: Int
}

public struct QueueRepository: Sendable {
    public let db: any SQLDatabase
    public let sealer: Sealer

    public init(db: any SQLDatabase, sealer: Sealer) {
        self.db = db
        self.sealer = sealer
    }

    /// Bound to the message id, not the queue, so a message redriven to a dead-letter queue still opens.
    static func sealContext(_ messageId: String) -> SealContext {
        SealContext(table: "sqs_messages", id: messageId, version: "body")
    }

    static func queue(_ r: SQLRow) -> QueueRow {
        QueueRow(account: r[0].text ?? "", region: r[1].text ?? "", name: r[2].text ?? "", createdAtMillis: r[3].int ?? 0, doc: r[4].text ?? "")
    }
    static let queueColumns = "account_id, region, name, created_at_ms, doc"

    /// Creates the queue, or returns the existing row of that name.
    public func createQueue(_ q: QueueRow) async throws -> QueueRow? {
        try await db.transaction { tx in
            if let existing = try await tx.query("SELECT \(Self.queueColumns) FROM sqs_queues WHERE account_id = ? AND region = ? AND name = ?",
                                                 [.text(q.account), .text(q.region), .text(q.name)]).first {
                return Self.queue(existing)
            }
            try await tx.execute("INSERT INTO sqs_queues (\(Self.queueColumns)) VALUES (?, ?, ?, ?, ?)",
                                 [.text(q.account), .text(q.region), .text(q.name), .int(q.createdAtMillis), .text(q.doc)])
            return nil
        }
    }

    public func queue(account: String, region: String, name: String) async throws -> QueueRow? {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.queueColumns) FROM sqs_queues WHERE account_id = ? AND region = ? AND name = ?",
                               [.text(account), .text(region), .text(name)]).first.map(Self.queue)
        }
    }

    public func queues(account: String, region: String, prefix: String, after: String?, limit: Int) async throws -> [QueueRow] {
        try await db.read { tx in
            var sql = "SELECT \(Self.queueColumns) FROM sqs_queues WHERE account_id = ? AND region = ?"
            var binds: [SQLValue] = [.text(account), .text(region)]
            if let after {
                sql += " AND name > ?"
                binds.append(.text(after))
            }
            sql += " ORDER BY name"
            let rows = try await tx.query(sql, binds).map(Self.queue)
            return Array(rows.filter { $0.name.hasPrefix(prefix) }.prefix(limit))
        }
    }

    public func updateQueue(_ q: QueueRow) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT name FROM sqs_queues WHERE account_id = ? AND region = ? AND name = ?",
                                           [.text(q.account), .text(q.region), .text(q.name)])
            guard !found.isEmpty else { return false }
            try await tx.execute("UPDATE sqs_queues SET doc = ? WHERE account_id = ? AND region = ? AND name = ?",
                                 [.text(q.doc), .text(q.account), .text(q.region), .text(q.name)])
            return true
        }
    }

    /// Deletes the queue with its messages.
    public func deleteQueue(account: String, region: String, name: String) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT name FROM sqs_queues WHERE account_id = ? AND region = ? AND name = ?",
                                           [.text(account), .text(region), .text(name)])
            guard !found.isEmpty else { return false }
            try await tx.execute("DELETE FROM sqs_queues WHERE account_id = ? AND region = ? AND name = ?",
                                 [.text(account), .text(region), .text(name)])
            try await tx.execute("DELETE FROM sqs_messages WHERE queue_id = ?", [.text("\(account)/\(region)/\(name)")])
            return true
        }
    }

    // MARK: messages

    public func send(queueId: String, _ messages: [NewMessage]) async throws {
        let sealed = try messages.map { m in try sealer.seal(m.body, context: Self.sealContext(m.messageId)) }
        try await db.transaction { tx in
            for (m, body) in zip(messages, sealed) {
                try await tx.execute("""
                    INSERT INTO sqs_messages (queue_id, message_id, sent_at_ms, visible_at_ms, expires_at_ms, receive_count,
                        first_receive_ms, receipt, body, doc) VALUES (?, ?, ?, ?, ?, 0, NULL, NULL, ?, ?)
                    """, [.text(queueId), .text(m.messageId), .int(m.sentAtMillis), .int(m.visibleAtMillis), .int(m.expiresAtMillis),
                          .blob(body), .text(m.doc)])
            }
        }
    }

    /// FIFO send: a deduplication key seen in the last 5 minutes returns the earlier message (nothing is enqueued);
    /// otherwise the message is stored with its group. Returns (message id, sequence number, duplicate).
    public func sendFIFO(queueId: String, _ m: NewMessage, groupId: String, dedupKey: String) async throws -> (String, Int64, Bool) {
        let sealed = try sealer.seal(m.body, context: Self.sealContext(m.messageId))
        return try await db.transaction { tx in
            if let r = try await tx.query("SELECT message_id, seq, sent_at_ms FROM sqs_dedup WHERE queue_id = ? AND dedup_key = ?",
                                          [.text(queueId), .text(dedupKey)]).first, (r[2].int ?? 0) > m.sentAtMillis - 300_000 {
                return (r[0].text ?? "", r[1].int ?? 0, true)
            }
            try await tx.execute("""
                INSERT INTO sqs_messages (queue_id, message_id, sent_at_ms, visible_at_ms, expires_at_ms, receive_count,
                    first_receive_ms, receipt, body, doc, group_id) VALUES (?, ?, ?, ?, ?, 0, NULL, NULL, ?, ?, ?)
                """, [.text(queueId), .text(m.messageId), .int(m.sentAtMillis), .int(m.visibleAtMillis), .int(m.expiresAtMillis),
                      .blob(sealed), .text(m.doc), .text(groupId)])
            let seq = try await tx.query("SELECT seq FROM sqs_messages WHERE queue_id = ? AND message_id = ?",
                                         [.text(queueId), .text(m.messageId)]).first?[0].int ?? 0
            try await tx.execute("DELETE FROM sqs_dedup WHERE queue_id = ? AND dedup_key = ?", [.text(queueId), .text(dedupKey)])
            try await tx.execute("INSERT INTO sqs_dedup (queue_id, dedup_key, message_id, seq, sent_at_ms) VALUES (?, ?, ?, ?, ?)",
                                 [.text(queueId), .text(dedupKey), .text(m.messageId), .int(seq), .int(m.sentAtMillis)])
            return (m.messageId, seq, false)
        }
    }

    /// Claims up to `limit` visible messages: each becomes invisible until `nowMillis + visibilityMillis` under a new
    /// receipt. Messages received more than `maxReceiveCount` times go to `deadLetterQueueId` instead (with their
    /// receive count reset), in the same transaction.
    /// FIFO queues (`fifo`) hand out messages in sequence order and never from a message group that has a message in
    /// flight.
    public func receive(queueId: String, limit: Int, nowMillis: Int64, visibilityMillis: Int64, receipts: [String],
                        maxReceiveCount: Int64?, deadLetterQueueId: String?, deadLetterExpiresAtMillis: Int64,
                        fifo: Bool = false) async throws -> [ReceivedMessage] {
        let lock = db.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        let groupRule = fifo ? """
             AND NOT EXISTS (SELECT 1 FROM sqs_messages f WHERE f.queue_id = m.queue_id AND f.group_id = m.group_id
                AND f.visible_at_ms > ? AND f.receipt IS NOT NULL)
            """ : ""
        let order = fifo ? "seq" : "visible_at_ms, seq"
        let rows = try await db.transaction { tx -> [SQLRow] in
            var out: [SQLRow] = []
            var receiptIndex = 0
            // A few passes, so messages moved to a dead-letter queue do not leave the answer short.
            var taken: Set<Int64> = []
            for _ in 0..<4 where out.count < limit {
                var moved = 0
                var binds: [SQLValue] = [.text(queueId), .int(nowMillis), .int(nowMillis)]
                if fifo { binds.append(.int(nowMillis)) }
                binds.append(.int(Int64(limit - out.count)))
                var candidates = try await tx.query("""
                    SELECT seq, message_id, sent_at_ms, receive_count, first_receive_ms, body, group_id, doc, dlq_source FROM sqs_messages m
                    WHERE queue_id = ? AND visible_at_ms <= ? AND expires_at_ms > ?\(groupRule)
                    ORDER BY \(order) LIMIT ?\(fifo && db.dialect == .postgres ? " FOR UPDATE" : lock)
                    """, binds)
                if candidates.isEmpty { break }
                if fifo {
                    // SQS returns as many messages of one message group as it can before it turns to the next
                    // (groups in the order of their oldest available message), not the queue's interleaving.
                    var groups: [String] = []
                    for r in candidates { if let g = r[6].text, !groups.contains(g) { groups.append(g) } }
                    var grouped: [SQLRow] = []
                    for g in groups where grouped.count < limit - out.count {
                        grouped += try await tx.query("""
                            SELECT seq, message_id, sent_at_ms, receive_count, first_receive_ms, body, group_id, doc, dlq_source FROM sqs_messages
                            WHERE queue_id = ? AND group_id = ? AND visible_at_ms <= ? AND expires_at_ms > ?
                            ORDER BY seq LIMIT ?\(db.dialect == .postgres ? " FOR UPDATE" : "")
                            """, [.text(queueId), .text(g), .int(nowMillis), .int(nowMillis), .int(Int64(limit - out.count - grouped.count))])
                    }
                    candidates = grouped
                }
                for r in candidates {
                    let seq = r[0].int ?? 0
                    // With a zero visibility timeout a claimed message is visible again at once: never twice per call.
                    guard taken.insert(seq).inserted else { continue }
                    let count = (r[3].int ?? 0) + 1
                    if let max = maxReceiveCount, let dlq = deadLetterQueueId, count > max {
                        try await tx.execute("""
                            UPDATE sqs_messages SET dlq_source = queue_id, queue_id = ?, receive_count = 0, first_receive_ms = NULL, receipt = NULL,
                                visible_at_ms = ?, expires_at_ms = ? WHERE seq = ?
                            """, [.text(dlq), .int(nowMillis), .int(deadLetterExpiresAtMillis), .int(seq)])
                        moved += 1
                        continue
                    }
                    let receipt = receipts[receiptIndex % receipts.count]
                    receiptIndex += 1
                    try await tx.execute("""
                        UPDATE sqs_messages SET visible_at_ms = ?, receive_count = ?, first_receive_ms = COALESCE(first_receive_ms, ?),
                            receipt = ? WHERE seq = ?
                        """, [.int(nowMillis + visibilityMillis), .int(count), .int(nowMillis), .text(receipt), .int(seq)])
                    out.append(SQLRow([r[0], r[1], r[2], .int(count), .int(r[4].int ?? nowMillis), r[5], r[7], .text(receipt), r[8]]))
                }
                // Another pass only to fill places that dead-lettered messages left.
                if moved == 0 { break }
            }
            return out
        }
        return try rows.map { r in
            let messageId = r[1].text ?? ""
            return ReceivedMessage(seq: r[0].int ?? 0, messageId: messageId, receipt: r[7].text ?? "",
                                   body: try sealer.open(r[5].blob ?? [], context: Self.sealContext(messageId)),
                                   doc: r[6].text ?? "", sentAtMillis: r[2].int ?? 0, receiveCount: r[3].int ?? 0,
                                   firstReceiveMillis: r[4].int ?? 0, deadLetterSource: r[8].text)
        }
    }

    public enum ReceiptOutcome: Sendable, Equatable { case done, stale, missing, expired }

    /// Deletes the message if `receipt` is its latest receipt. A stale receipt succeeds without deleting (as SQS).
    /// `expiringAt`: FIFO queues' receipts expire with the visibility timeout; past it, nothing is deleted (`expired`).
    public func delete(queueId: String, seq: Int64, receipt: String, expiringAt nowMillis: Int64? = nil) async throws -> ReceiptOutcome {
        try await db.transaction { tx in
            guard let row = try await tx.query("SELECT receipt, visible_at_ms FROM sqs_messages WHERE seq = ? AND queue_id = ?",
                                               [.int(seq), .text(queueId)]).first else { return .missing }
            guard row[0].text == receipt else { return .stale }
            if let nowMillis, (row[1].int ?? 0) <= nowMillis { return .expired }
            try await tx.execute("DELETE FROM sqs_messages WHERE seq = ?", [.int(seq)])
            return .done
        }
    }

    public enum VisibilityOutcome: Sendable, Equatable { case done, notInFlight, missing }

    /// Sets when an in-flight message becomes visible again. `afterExpiry`: the latest receipt still works once the
    /// visibility timeout has run out, as long as nobody received the message since (standard queues).
    public func changeVisibility(queueId: String, seq: Int64, receipt: String, visibleAtMillis: Int64, nowMillis: Int64,
                                 afterExpiry: Bool = false) async throws -> VisibilityOutcome {
        try await db.transaction { tx in
            guard let row = try await tx.query("SELECT receipt, visible_at_ms FROM sqs_messages WHERE seq = ? AND queue_id = ?",
                                               [.int(seq), .text(queueId)]).first else { return .missing }
            guard row[0].text == receipt, afterExpiry || (row[1].int ?? 0) > nowMillis else { return .notInFlight }
            try await tx.execute("UPDATE sqs_messages SET visible_at_ms = ? WHERE seq = ?", [.int(visibleAtMillis), .int(seq)])
            return .done
        }
    }

    public func purge(queueId: String) async throws {
        try await db.transaction { tx in try await tx.execute("DELETE FROM sqs_messages WHERE queue_id = ?", [.text(queueId)]) }
    }

    public func counts(queueId: String, nowMillis: Int64) async throws -> QueueCounts {
        try await db.read { tx in
            let r = try await tx.query("""
                SELECT
                  SUM(CASE WHEN visible_at_ms <= ? THEN 1 ELSE 0 END),
                  SUM(CASE WHEN visible_at_ms > ? AND receipt IS NOT NULL THEN 1 ELSE 0 END),
                  SUM(CASE WHEN visible_at_ms > ? AND receipt IS NULL THEN 1 ELSE 0 END)
                FROM sqs_messages WHERE queue_id = ? AND expires_at_ms > ?
                """, [.int(nowMillis), .int(nowMillis), .int(nowMillis), .text(queueId), .int(nowMillis)]).first
            return QueueCounts(visible: Int(r?[0].int ?? 0), inFlight: Int(r?[1].int ?? 0), delayed: Int(r?[2].int ?? 0))
        }
    }

    /// Removes messages past their retention period and deduplication ids past their 5 minutes.
    public func deleteExpired(nowMillis: Int64) async throws {
        try await db.transaction { tx in
            try await tx.execute("DELETE FROM sqs_messages WHERE expires_at_ms <= ?", [.int(nowMillis)])
            try await tx.execute("DELETE FROM sqs_dedup WHERE sent_at_ms <= ?", [.int(nowMillis - 300_000)])
            try await tx.execute("DELETE FROM sqs_receive_attempts WHERE at_ms <= ?", [.int(nowMillis - 300_000)])
        }
    }

    // MARK: receive attempts (FIFO ReceiveRequestAttemptId)

    /// Records what a FIFO receive attempt handed out (message seq and receipt), so a retry of the attempt through any
    /// node gets the same messages and receipt handles.
    public func saveAttempt(_ key: String, queueId: String, atMillis: Int64, claims: [(seq: Int64, receipt: String)]) async throws {
        let doc = claims.map { "\($0.seq) \($0.receipt)" }.joined(separator: "\n")
        try await db.transaction { tx in
            try await tx.execute("""
                INSERT INTO sqs_receive_attempts (attempt_key, queue_id, at_ms, claims) VALUES (?, ?, ?, ?)
                ON CONFLICT (attempt_key) DO UPDATE SET queue_id = excluded.queue_id, at_ms = excluded.at_ms, claims = excluded.claims
                """, [.text(key), .text(queueId), .int(atMillis), .text(doc)])
        }
    }

    public func attempt(_ key: String) async throws -> (atMillis: Int64, claims: [(seq: Int64, receipt: String)])? {
        guard let row = try await db.read({ tx in
            try await tx.query("SELECT at_ms, claims FROM sqs_receive_attempts WHERE attempt_key = ?", [.text(key)]).first
        }) else { return nil }
        let claims = (row[1].text ?? "").split(separator: "\n").compactMap { line -> (seq: Int64, receipt: String)? in
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let seq = Int64(parts[0]) else { return nil }
            return (seq, String(parts[1]))
        }
        return (row[0].int ?? 0, claims)
    }

    public func deleteAttempt(_ key: String) async throws {
        try await db.transaction { tx in try await tx.execute("DELETE FROM sqs_receive_attempts WHERE attempt_key = ?", [.text(key)]) }
    }

    /// The messages with these seqs that are in flight under these receipts, in the given order.
    public func inFlight(queueId: String, claims: [(seq: Int64, receipt: String)]) async throws -> [ReceivedMessage] {
        var out: [ReceivedMessage] = []
        for claim in claims {
            guard let r = try await db.read({ tx in
                try await tx.query("""
                    SELECT seq, message_id, sent_at_ms, receive_count, first_receive_ms, body, doc, receipt, dlq_source FROM sqs_messages
                    WHERE queue_id = ? AND seq = ? AND receipt = ?
                    """, [.text(queueId), .int(claim.seq), .text(claim.receipt)]).first
            }) else { continue }
            let messageId = r[1].text ?? ""
            out.append(ReceivedMessage(seq: r[0].int ?? 0, messageId: messageId, receipt: r[7].text ?? "",
                                       body: try sealer.open(r[5].blob ?? [], context: Self.sealContext(messageId)),
                                       doc: r[6].text ?? "", sentAtMillis: r[2].int ?? 0, receiveCount: r[3].int ?? 0,
                                       firstReceiveMillis: r[4].int ?? 0, deadLetterSource: r[8].text))
        }
        return out
    }
}
