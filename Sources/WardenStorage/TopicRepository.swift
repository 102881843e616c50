// SNS state: topics and subscriptions (documents), and the delivery outbox (message bodies sealed under the root key).

public struct TopicRow: Sendable {
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
}

public struct SubscriptionRow: Sendable {
    public var arn: String
    public var topicArn: String
    public var account: String
    public var createdAtMillis: Int64
    public var doc: String
    public init(arn: String, topicArn: String, account: String, createdAtMillis: Int64, doc: String) {
        self.arn = arn
        self.topicArn = topicArn
        self.account = account
        self.createdAtMillis = createdAtMillis
        self.doc = doc
    }
}

/// One pending delivery of a published message to one subscription.
public struct DeliveryItem: Sendable {
    public var seq: Int64
    public var subscriptionArn: String
    public var attempts: Int64
    public var body: [UInt8]
    public var doc: String
    /// FIFO topics: copies in one lane (subscription and message group) are delivered strictly in `seq` order.
    public var lane: String?
    public init(seq: Int64 = 0, subscriptionArn: String, attempts: Int64 = 0, body: [UInt8], doc: String, lane: String? = nil) {
        self.seq = seq
        self.subscriptionArn = subscriptionArn
        self.attempts = attempts
        self.body = body
        self.doc = doc
        self.lane = lane
    }
}

public struct TopicRepository: Sendable {
    public let db: any SQLDatabase
    public let sealer: Sealer

    public init(db: any SQLDatabase, sealer: Sealer) {
        self.db = db
        self.sealer = sealer
    }

    static func topic(_ r: SQLRow) -> TopicRow {
        TopicRow(account: r[0].text ?? "", region: r[1].text ?? "", name: r[2].text ?? "", createdAtMillis: r[3].int ?? 0, doc: r[4].text ?? "")
    }
    static func subscription(_ r: SQLRow) -> SubscriptionRow {
        SubscriptionRow(arn: r[0].text ?? "", topicArn: r[1].text ?? "", account: r[2].text ?? "", createdAtMillis: r[3].int ?? 0, doc: r[4].text ?? "")
    }
    static let topicColumns = "account_id, region, name, created_at_ms, doc"
    static let subscriptionColumns = "arn, topic_arn, account_id, created_at_ms, doc"

    /// Creates the topic, or returns the existing one of that name.
    public func createTopic(_ t: TopicRow) async throws -> TopicRow? {
        try await db.transaction { tx in
            if let r = try await tx.query("SELECT \(Self.topicColumns) FROM sns_topics WHERE account_id = ? AND region = ? AND name = ?",
                                          [.text(t.account), .text(t.region), .text(t.name)]).first {
                return Self.topic(r)
            }
            try await tx.execute("INSERT INTO sns_topics (\(Self.topicColumns)) VALUES (?, ?, ?, ?, ?)",
                                 [.text(t.account), .text(t.region), .text(t.name), .int(t.createdAtMillis), .text(t.doc)])
            return nil
        }
    }

    public func topic(account: String, region: String, name: String) async throws -> TopicRow? {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.topicColumns) FROM sns_topics WHERE account_id = ? AND region = ? AND name = ?",
                               [.text(account), .text(region), .text(name)]).first.map(Self.topic)
        }
    }

    public func topics(account: String, region: String, after: String?, limit: Int) async throws -> [TopicRow] {
        try await db.read { tx in
            var sql = "SELECT \(Self.topicColumns) FROM sns_topics WHERE account_id = ? AND region = ?"
            var binds: [SQLValue] = [.text(account), .text(region)]
            if let after {
                sql += " AND name > ?"
                binds.append(.text(after))
            }
            return try await tx.query(sql + " ORDER BY name LIMIT ?", binds + [.int(Int64(limit))]).map(Self.topic)
        }
    }

    public func updateTopic(_ t: TopicRow) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT name FROM sns_topics WHERE account_id = ? AND region = ? AND name = ?",
                                           [.text(t.account), .text(t.region), .text(t.name)])
            guard !found.isEmpty else { return false }
            try await tx.execute("UPDATE sns_topics SET doc = ? WHERE account_id = ? AND region = ? AND name = ?",
                                 [.text(t.doc), .text(t.account), .text(t.region), .text(t.name)])
            return true
        }
    }

    /// Deletes the topic and its subscriptions; deliveries already queued for them are dropped as they come due.
    public func deleteTopic(account: String, region: String, name: String, arn: String) async throws {
        try await db.transaction { tx in
            try await tx.execute("DELETE FROM sns_topics WHERE account_id = ? AND region = ? AND name = ?",
                                 [.text(account), .text(region), .text(name)])
            try await tx.execute("DELETE FROM sns_subscriptions WHERE topic_arn = ?", [.text(arn)])
        }
    }

    // MARK: subscriptions

    public func insertSubscription(_ s: SubscriptionRow) async throws {
        try await db.transaction { tx in
            try await tx.execute("INSERT INTO sns_subscriptions (\(Self.subscriptionColumns)) VALUES (?, ?, ?, ?, ?)",
                                 [.text(s.arn), .text(s.topicArn), .text(s.account), .int(s.createdAtMillis), .text(s.doc)])
        }
    }

    public func subscription(arn: String) async throws -> SubscriptionRow? {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.subscriptionColumns) FROM sns_subscriptions WHERE arn = ?", [.text(arn)]).first.map(Self.subscription)
        }
    }

    public func subscriptions(topicArn: String) async throws -> [SubscriptionRow] {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.subscriptionColumns) FROM sns_subscriptions WHERE topic_arn = ? ORDER BY created_at_ms, arn",
                               [.text(topicArn)]).map(Self.subscription)
        }
    }

    public func subscriptions(account: String) async throws -> [SubscriptionRow] {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.subscriptionColumns) FROM sns_subscriptions WHERE account_id = ? ORDER BY created_at_ms, arn",
                               [.text(account)]).map(Self.subscription)
        }
    }

    public func updateSubscription(_ s: SubscriptionRow) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT arn FROM sns_subscriptions WHERE arn = ?", [.text(s.arn)])
            guard !found.isEmpty else { return false }
            try await tx.execute("UPDATE sns_subscriptions SET doc = ? WHERE arn = ?", [.text(s.doc), .text(s.arn)])
            return true
        }
    }

    /// Every subscription of every account (start-up work only).
    public func allSubscriptions() async throws -> [SubscriptionRow] {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.subscriptionColumns) FROM sns_subscriptions ORDER BY created_at_ms, arn", []).map(Self.subscription)
        }
    }

    /// Queues a replay's copies and records the subscription's progress in one transaction; false when the
    /// subscription is gone.
    public func enqueueReplay(_ items: [DeliveryItem], subscription s: SubscriptionRow, dueAtMillis: Int64) async throws -> Bool {
        let sealed = try items.map { try sealer.seal($0.body, context: Self.sealContext($0.subscriptionArn, $0.doc)) }
        return try await db.transaction { tx in
            let found = try await tx.query("SELECT arn FROM sns_subscriptions WHERE arn = ?", [.text(s.arn)])
            guard !found.isEmpty else { return false }
            try await tx.execute("UPDATE sns_subscriptions SET doc = ? WHERE arn = ?", [.text(s.doc), .text(s.arn)])
            try await Self.insert(items, sealed: sealed, dueAtMillis: dueAtMillis, tx)
            return true
        }
    }

    public func deleteSubscription(arn: String) async throws {
        try await db.transaction { tx in try await tx.execute("DELETE FROM sns_subscriptions WHERE arn = ?", [.text(arn)]) }
    }

    // MARK: outbox

    static func sealContext(_ subscriptionArn: String, _ doc: String) -> SealContext {
        SealContext(table: "sns_deliveries", id: subscriptionArn, version: "\(doc.utf8.count)")
    }

    /// A FIFO publish: inside the deduplication window an earlier message with the same key is returned instead (and
    /// nothing is queued); otherwise the key is recorded and `items` queued in the same transaction.
    /// `archive`: the published message, kept (sealed) for replays when the topic has an ArchivePolicy.
    public func enqueueFIFO(topicArn: String, dedupKey: String, messageId: String, sequence: Int64, nowMillis: Int64,
                            items: [DeliveryItem], archive: [UInt8]? = nil) async throws -> (messageId: String, seq: Int64) {
        let sealed = try items.map { try sealer.seal($0.body, context: Self.sealContext($0.subscriptionArn, $0.doc)) }
        let archived = try archive.map { try sealer.seal($0, context: Self.archiveContext(topicArn, sequence)) }
        return try await db.transaction { tx in
            if let r = try await tx.query("""
                SELECT message_id, seq FROM sns_dedup WHERE topic_arn = ? AND dedup_key = ? AND sent_at_ms > ? ORDER BY seq DESC LIMIT 1
                """, [.text(topicArn), .text(dedupKey), .int(nowMillis - 300_000)]).first {
                return (r[0].text ?? "", r[1].int ?? 0)
            }
            try await tx.execute("DELETE FROM sns_dedup WHERE sent_at_ms <= ?", [.int(nowMillis - 300_000)])
            try await tx.execute("INSERT INTO sns_dedup (seq, topic_arn, dedup_key, message_id, sent_at_ms) VALUES (?, ?, ?, ?, ?)",
                                 [.int(sequence), .text(topicArn), .text(dedupKey), .text(messageId), .int(nowMillis)])
            if let archived {
                try await tx.execute("INSERT INTO sns_archive (seq, topic_arn, sent_at_ms, body) VALUES (?, ?, ?, ?)",
                                     [.int(sequence), .text(topicArn), .int(nowMillis), .blob(archived)])
            }
            try await Self.insert(items, sealed: sealed, dueAtMillis: nowMillis, tx)
            return (messageId, sequence)
        }
    }

    /// Queues deliveries durably (one transaction: a publish is acknowledged only once all of them are stored).
    public func enqueue(_ items: [DeliveryItem], dueAtMillis: Int64) async throws {
        // A topic without (matching) subscribers stores nothing: no transaction to wait for.
        guard !items.isEmpty else { return }
        let sealed = try items.map { try sealer.seal($0.body, context: Self.sealContext($0.subscriptionArn, $0.doc)) }
        try await db.transaction { tx in try await Self.insert(items, sealed: sealed, dueAtMillis: dueAtMillis, tx) }
    }

    static func insert(_ items: [DeliveryItem], sealed: [[UInt8]], dueAtMillis: Int64, _ tx: any SQLExecutor) async throws {
        for (item, body) in zip(items, sealed) {
            try await tx.execute("""
                INSERT INTO sns_deliveries (subscription_arn, due_at_ms, attempts, body, doc, lane) VALUES (?, ?, 0, ?, ?, ?)
                """, [.text(item.subscriptionArn), .int(dueAtMillis), .blob(body), .text(item.doc), item.lane.map { .text($0) } ?? .null])
        }
    }

    /// Copies due now, oldest first. A FIFO lane's copies come only up to its first copy that is not due (waiting for
    /// a retry, or leased by a delivery in progress), so a lane never overtakes itself.
    public func due(nowMillis: Int64, limit: Int) async throws -> [DeliveryItem] {
        let rows = try await db.read { tx in
            try await tx.query("""
                SELECT seq, subscription_arn, attempts, body, doc, lane FROM sns_deliveries d
                WHERE due_at_ms <= ? AND (lane IS NULL OR NOT EXISTS (
                    SELECT 1 FROM sns_deliveries e WHERE e.lane = d.lane AND e.seq < d.seq AND e.due_at_ms > ?))
                ORDER BY seq LIMIT ?
                """, [.int(nowMillis), .int(nowMillis), .int(Int64(limit))])
        }
        return try rows.map { r in
            let arn = r[1].text ?? "", doc = r[4].text ?? ""
            return DeliveryItem(seq: r[0].int ?? 0, subscriptionArn: arn, attempts: r[2].int ?? 0,
                                body: try sealer.open(r[3].blob ?? [], context: Self.sealContext(arn, doc)), doc: doc, lane: r[5].text)
        }
    }

    /// Moves copies' due time (a lease while a delivery is in progress: after a crash they come due again then).
    public func reschedule(seqs: [Int64], dueAtMillis: Int64) async throws {
        guard !seqs.isEmpty else { return }
        try await db.transaction { tx in
            for seq in seqs {
                try await tx.execute("UPDATE sns_deliveries SET due_at_ms = ? WHERE seq = ?", [.int(dueAtMillis), .int(seq)])
            }
        }
    }

    // MARK: archive (FIFO topics)

    static func archiveContext(_ topicArn: String, _ seq: Int64) -> SealContext {
        SealContext(table: "sns_archive", id: topicArn, version: String(seq))
    }

    /// Archived messages of a topic published in [fromMillis, toMillis], in order.
    public func archived(topicArn: String, fromMillis: Int64, toMillis: Int64, afterSeq: Int64 = -1, limit: Int = 500)
        async throws -> [(seq: Int64, sentAtMillis: Int64, body: [UInt8])] {
        let rows = try await db.read { tx in
            try await tx.query("""
                SELECT seq, sent_at_ms, body FROM sns_archive WHERE topic_arn = ? AND sent_at_ms >= ? AND sent_at_ms <= ? AND seq > ?
                ORDER BY seq LIMIT ?
                """, [.text(topicArn), .int(fromMillis), .int(toMillis), .int(afterSeq), .int(Int64(limit))])
        }
        return try rows.map { r in
            let seq = r[0].int ?? 0
            return (seq, r[1].int ?? 0, try sealer.open(r[2].blob ?? [], context: Self.archiveContext(topicArn, seq)))
        }
    }

    /// The oldest archived message's time, if any.
    public func oldestArchived(topicArn: String) async throws -> Int64? {
        try await db.read { tx in
            try await tx.query("SELECT MIN(sent_at_ms) FROM sns_archive WHERE topic_arn = ?", [.text(topicArn)]).first?[0].int
        }
    }

    /// Drops a topic's archived messages older than `beforeMillis` (all of them when nil).
    public func purgeArchive(topicArn: String, beforeMillis: Int64?) async throws {
        try await db.transaction { tx in
            if let beforeMillis {
                try await tx.execute("DELETE FROM sns_archive WHERE topic_arn = ? AND sent_at_ms < ?", [.text(topicArn), .int(beforeMillis)])
            } else {
                try await tx.execute("DELETE FROM sns_archive WHERE topic_arn = ?", [.text(topicArn)])
            }
        }
    }

    public func completeDelivery(seq: Int64) async throws {
        try await db.transaction { tx in try await tx.execute("DELETE FROM sns_deliveries WHERE seq = ?", [.int(seq)]) }
    }

    /// Removes many delivered copies in one transaction.
    public func completeDeliveries(seqs: [Int64]) async throws {
        guard !seqs.isEmpty else { return }
        try await db.transaction { tx in
            for seq in seqs { try await tx.execute("DELETE FROM sns_deliveries WHERE seq = ?", [.int(seq)]) }
        }
    }

    public func retryDelivery(seq: Int64, attempts: Int64, dueAtMillis: Int64) async throws {
        try await db.transaction { tx in
            try await tx.execute("UPDATE sns_deliveries SET attempts = ?, due_at_ms = ? WHERE seq = ?",
                                 [.int(attempts), .int(dueAtMillis), .int(seq)])
        }
    }

    public func pendingDeliveries(subscriptionArn: String? = nil) async throws -> Int {
        try await db.read { tx in
            if let arn = subscriptionArn {
                return Int(try await tx.query("SELECT COUNT(*) FROM sns_deliveries WHERE subscription_arn = ?", [.text(arn)]).first?[0].int ?? 0)
            }
            return Int(try await tx.query("SELECT COUNT(*) FROM sns_deliveries", []).first?[0].int ?? 0)
        }
    }

    // MARK: signing key

    /// The named signing key (private DER, certificate DER), creating it with `make` the first time.
    public func signingKey(name: String, make: @Sendable () throws -> (privateDER: [UInt8], certificate: [UInt8]))
        async throws -> (privateDER: [UInt8], certificate: [UInt8]) {
        let context = SealContext(table: "service_keys", id: name, version: "1")
        if let r = try await db.read({ tx in try await tx.query("SELECT certificate, sealed FROM service_keys WHERE name = ?", [.text(name)]).first }) {
            return (try sealer.open(r[1].blob ?? [], context: context), r[0].blob ?? [])
        }
        let made = try make()
        let sealed = try sealer.seal(made.privateDER, context: context)
        return try await db.transaction { tx in
            // Another node may have made it meanwhile (even in a transaction running beside this one, which a plain
            // check would not see): the first one stays, and this one reads it back.
            try await tx.execute("INSERT INTO service_keys (name, created_at_ms, certificate, sealed) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                                 [.text(name), .int(Clock.nowMillis()), .blob(made.certificate), .blob(sealed)])
            guard let r = try await tx.query("SELECT certificate, sealed FROM service_keys WHERE name = ?", [.text(name)]).first else {
                throw StorageError("service key \(name) vanished")
            }
            return (try sealer.open(r[1].blob ?? [], context: context), r[0].blob ?? [])
        }
    }

    // MARK: SMS settings

    public func smsSettings(account: String, region: String) async throws -> String? {
        try await db.read { tx in
            try await tx.query("SELECT doc FROM sns_sms_settings WHERE account_id = ? AND region = ?",
                               [.text(account), .text(region)]).first?[0].text
        }
    }

    public func saveSMSSettings(account: String, region: String, doc: String) async throws {
        try await db.transaction { tx in
            try await tx.execute("DELETE FROM sns_sms_settings WHERE account_id = ? AND region = ?", [.text(account), .text(region)])
            try await tx.execute("INSERT INTO sns_sms_settings (account_id, region, doc) VALUES (?, ?, ?)",
                                 [.text(account), .text(region), .text(doc)])
        }
    }
}
