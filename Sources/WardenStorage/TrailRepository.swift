// CloudTrail trails and their delivery state: the trail documents, each trail's delivery cursor, the ledger of
// delivered log files (what digests list), the head of each digest chain, and the regions' digest signing keys.

/// Which trail: trails are named per account and home region.
public struct TrailKey: Sendable, Hashable {
    public var account: String
    public var homeRegion: String
    public var name: String
    public init(account: String, homeRegion: String, name: String) {
        self.account = account
        self.homeRegion = homeRegion
        self.name = name
    }
    var binds: [SQLValue] { [.text(account), .text(homeRegion), .text(name)] }
}

public struct TrailRow: Sendable {
    public var key: TrailKey
    public var multiRegion: Bool
    public var createdAtMillis: Int64
    public var doc: String
    public init(key: TrailKey, multiRegion: Bool, createdAtMillis: Int64, doc: String) {
        self.key = key
        self.multiRegion = multiRegion
        self.createdAtMillis = createdAtMillis
        self.doc = doc
    }
}

/// A trail's delivery state. `pendingEndSeq` is set while a batch is being written: the batch is the audit events in
/// (cursorSeq, pendingEndSeq], and its objects are named from that range, so redoing it after a crash rewrites the
/// same objects instead of adding new ones.
public struct DeliveryRow: Sendable, Equatable {
    public var cursorSeq: Int64
    public var pendingEndSeq: Int64?
    public var pendingAtMillis: Int64?
    /// The service's status document (delivery times and errors, digest intent).
    public var doc: String
    public init(cursorSeq: Int64, pendingEndSeq: Int64? = nil, pendingAtMillis: Int64? = nil, doc: String) {
        self.cursorSeq = cursorSeq
        self.pendingEndSeq = pendingEndSeq
        self.pendingAtMillis = pendingAtMillis
        self.doc = doc
    }
}

public struct LogFileRow: Sendable, Equatable {
    public var sourceRegion: String
    public var deliveredAtMillis: Int64
    public var bucket: String
    public var key: String
    public var sha256: String
    public var oldestMillis: Int64
    public var newestMillis: Int64
    public init(sourceRegion: String, deliveredAtMillis: Int64, bucket: String, key: String, sha256: String,
                oldestMillis: Int64, newestMillis: Int64) {
        self.sourceRegion = sourceRegion
        self.deliveredAtMillis = deliveredAtMillis
        self.bucket = bucket
        self.key = key
        self.sha256 = sha256
        self.oldestMillis = oldestMillis
        self.newestMillis = newestMillis
    }
}

/// The newest digest of one chain.
public struct DigestHead: Sendable, Equatable {
    public var endMillis: Int64
    public var bucket: String
    public var key: String
    public var signature: String
    public var sha256: String
    public init(endMillis: Int64, bucket: String, key: String, signature: String, sha256: String) {
        self.endMillis = endMillis
        self.bucket = bucket
        self.key = key
        self.signature = signature
        self.sha256 = sha256
    }
}

public struct SigningKeyRow: Sendable {
    public var region: String
    public var fingerprint: String
    public var validFromMillis: Int64
    public var validToMillis: Int64?
    public var publicDER: [UInt8]
    public var privateDER: [UInt8]
    public init(region: String, fingerprint: String, validFromMillis: Int64, validToMillis: Int64?, publicDER: [UInt8], privateDER: [UInt8]) {
        self.region = region
        self.fingerprint = fingerprint
        self.validFromMillis = validFromMillis
        self.validToMillis = validToMillis
        self.publicDER = publicDER
        self.privateDER = privateDER
    }
}

public struct TrailRepository: Sendable {
    public let db: any SQLDatabase
    public let sealer: Sealer

    public init(db: any SQLDatabase, sealer: Sealer) {
        self.db = db
        self.sealer = sealer
    }

    static func trail(_ r: SQLRow) -> TrailRow {
        TrailRow(key: TrailKey(account: r[0].text ?? "", homeRegion: r[1].text ?? "", name: r[2].text ?? ""),
                 multiRegion: r[3].bool ?? false, createdAtMillis: r[4].int ?? 0, doc: r[5].text ?? "")
    }
    static let trailColumns = "account_id, home_region, name, multi_region, created_at_ms, doc"

    public enum InsertOutcome: Sendable, Equatable { case created, exists, limitReached }

    /// Inserts a trail unless the name is taken or the region already counts `limit` trails (its own plus every
    /// multi-Region trail of the account), checked in the same transaction; creates its delivery row.
    public func insertTrail(_ row: TrailRow, limit: Int, regionsCounted: @escaping @Sendable ([TrailRow]) -> Int,
                            delivery: DeliveryRow) async throws -> InsertOutcome {
        try await db.transaction { tx in
            let same = try await tx.query("SELECT name FROM cloudtrail_trails WHERE account_id = ? AND home_region = ? AND name = ?",
                                          row.key.binds)
            guard same.isEmpty else { return .exists }
            let all = try await tx.query("SELECT \(Self.trailColumns) FROM cloudtrail_trails WHERE account_id = ?",
                                         [.text(row.key.account)]).map(Self.trail)
            guard regionsCounted(all + [row]) <= limit else { return .limitReached }
            try await tx.execute("INSERT INTO cloudtrail_trails (\(Self.trailColumns)) VALUES (?, ?, ?, ?, ?, ?)",
                                 row.key.binds + [SQLValue(row.multiRegion), .int(row.createdAtMillis), .text(row.doc)])
            try await tx.execute("""
                INSERT INTO cloudtrail_delivery (account_id, home_region, name, cursor_seq, pending_end_seq, pending_at_ms, doc)
                VALUES (?, ?, ?, ?, NULL, NULL, ?)
                """, row.key.binds + [.int(delivery.cursorSeq), .text(delivery.doc)])
            return .created
        }
    }

    /// Rewrites a trail's document (and its multi-Region flag), checking the per-region limit when it grows to more
    /// regions. False when the trail is gone; nil when the limit refuses it.
    public func updateTrail(_ row: TrailRow, limit: Int, regionsCounted: @escaping @Sendable ([TrailRow]) -> Int) async throws -> Bool? {
        try await db.transaction { tx in
            let all = try await tx.query("SELECT \(Self.trailColumns) FROM cloudtrail_trails WHERE account_id = ?",
                                         [.text(row.key.account)]).map(Self.trail)
            guard all.contains(where: { $0.key == row.key }) else { return false }
            guard regionsCounted(all.filter { $0.key != row.key } + [row]) <= limit else { return nil }
            try await tx.execute("UPDATE cloudtrail_trails SET multi_region = ?, doc = ? WHERE account_id = ? AND home_region = ? AND name = ?",
                                 [SQLValue(row.multiRegion), .text(row.doc)] + row.key.binds)
            return true
        }
    }

    /// Deletes the trail with its delivery state, ledger and digest heads. False when there was no such trail.
    public func deleteTrail(_ key: TrailKey) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT name FROM cloudtrail_trails WHERE account_id = ? AND home_region = ? AND name = ?", key.binds)
            guard !found.isEmpty else { return false }
            for table in ["cloudtrail_trails", "cloudtrail_delivery", "cloudtrail_log_files", "cloudtrail_digests"] {
                try await tx.execute("DELETE FROM \(table) WHERE account_id = ? AND home_region = ? AND name = ?", key.binds)
            }
            return true
        }
    }

    public func trail(_ key: TrailKey) async throws -> TrailRow? {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.trailColumns) FROM cloudtrail_trails WHERE account_id = ? AND home_region = ? AND name = ?",
                               key.binds).first.map(Self.trail)
        }
    }

    public func trails(account: String) async throws -> [TrailRow] {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.trailColumns) FROM cloudtrail_trails WHERE account_id = ? ORDER BY home_region, name",
                               [.text(account)]).map(Self.trail)
        }
    }

    public func allTrails() async throws -> [TrailRow] {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.trailColumns) FROM cloudtrail_trails ORDER BY account_id, home_region, name", []).map(Self.trail)
        }
    }

    // MARK: delivery state

    public func delivery(_ key: TrailKey) async throws -> DeliveryRow? {
        try await db.read { tx in
            try await tx.query("""
                SELECT cursor_seq, pending_end_seq, pending_at_ms, doc FROM cloudtrail_delivery
                WHERE account_id = ? AND home_region = ? AND name = ?
                """, key.binds).first.map { r in
                DeliveryRow(cursorSeq: r[0].int ?? 0, pendingEndSeq: r[1].int, pendingAtMillis: r[2].int, doc: r[3].text ?? "{}")
            }
        }
    }

    /// Writes the delivery row and, in the same transaction, adds `files` to the ledger (already-present keys are
    /// left as they are, so a redone batch does not list a file twice).
    public func saveDelivery(_ key: TrailKey, _ row: DeliveryRow, files: [LogFileRow] = []) async throws {
        try await db.transaction { tx in
            // A trail deleted meanwhile keeps no ledger.
            let live = try await tx.query("SELECT cursor_seq FROM cloudtrail_delivery WHERE account_id = ? AND home_region = ? AND name = ?",
                                          key.binds)
            guard !live.isEmpty else { return }
            try await tx.execute("""
                UPDATE cloudtrail_delivery SET cursor_seq = ?, pending_end_seq = ?, pending_at_ms = ?, doc = ?
                WHERE account_id = ? AND home_region = ? AND name = ?
                """, [.int(row.cursorSeq), SQLValue(row.pendingEndSeq), SQLValue(row.pendingAtMillis), .text(row.doc)] + key.binds)
            for f in files {
                let have = try await tx.query("""
                    SELECT s3_key FROM cloudtrail_log_files WHERE account_id = ? AND home_region = ? AND name = ? AND s3_key = ?
                    """, key.binds + [.text(f.key)])
                guard have.isEmpty else { continue }
                try await tx.execute("""
                    INSERT INTO cloudtrail_log_files (account_id, home_region, name, source_region, delivered_at_ms, s3_bucket,
                        s3_key, sha256, oldest_ms, newest_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, key.binds + [.text(f.sourceRegion), .int(f.deliveredAtMillis), .text(f.bucket), .text(f.key),
                                      .text(f.sha256), .int(f.oldestMillis), .int(f.newestMillis)])
            }
        }
    }

    /// Log files of one source region delivered in (afterMillis, throughMillis].
    public func logFiles(_ key: TrailKey, sourceRegion: String, afterMillis: Int64, throughMillis: Int64) async throws -> [LogFileRow] {
        try await db.read { tx in
            try await tx.query("""
                SELECT source_region, delivered_at_ms, s3_bucket, s3_key, sha256, oldest_ms, newest_ms FROM cloudtrail_log_files
                WHERE account_id = ? AND home_region = ? AND name = ? AND source_region = ? AND delivered_at_ms > ? AND delivered_at_ms <= ?
                ORDER BY delivered_at_ms, s3_key
                """, key.binds + [.text(sourceRegion), .int(afterMillis), .int(throughMillis)]).map { r in
                LogFileRow(sourceRegion: r[0].text ?? "", deliveredAtMillis: r[1].int ?? 0, bucket: r[2].text ?? "",
                           key: r[3].text ?? "", sha256: r[4].text ?? "", oldestMillis: r[5].int ?? 0, newestMillis: r[6].int ?? 0)
            }
        }
    }

    /// The source regions that have delivered log files or digests for the trail.
    public func sourceRegions(_ key: TrailKey) async throws -> Set<String> {
        try await db.read { tx in
            let a = try await tx.query("SELECT DISTINCT source_region FROM cloudtrail_log_files WHERE account_id = ? AND home_region = ? AND name = ?", key.binds)
            let b = try await tx.query("SELECT source_region FROM cloudtrail_digests WHERE account_id = ? AND home_region = ? AND name = ?", key.binds)
            return Set((a + b).compactMap { $0[0].text })
        }
    }

    // MARK: digests

    public func digestHead(_ key: TrailKey, sourceRegion: String) async throws -> DigestHead? {
        try await db.read { tx in
            try await tx.query("""
                SELECT end_ms, s3_bucket, s3_key, signature, digest_sha256 FROM cloudtrail_digests
                WHERE account_id = ? AND home_region = ? AND name = ? AND source_region = ?
                """, key.binds + [.text(sourceRegion)]).first.map { r in
                DigestHead(endMillis: r[0].int ?? 0, bucket: r[1].text ?? "", key: r[2].text ?? "", signature: r[3].text ?? "",
                           sha256: r[4].text ?? "")
            }
        }
    }

    /// Records the new head of a chain together with the trail's status document.
    public func saveDigestHead(_ key: TrailKey, sourceRegion: String, _ head: DigestHead, delivery: DeliveryRow) async throws {
        try await db.transaction { tx in
            try await tx.execute("DELETE FROM cloudtrail_digests WHERE account_id = ? AND home_region = ? AND name = ? AND source_region = ?",
                                 key.binds + [.text(sourceRegion)])
            try await tx.execute("""
                INSERT INTO cloudtrail_digests (account_id, home_region, name, source_region, end_ms, s3_bucket, s3_key, signature, digest_sha256)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, key.binds + [.text(sourceRegion), .int(head.endMillis), .text(head.bucket), .text(head.key),
                                  .text(head.signature), .text(head.sha256)])
            try await tx.execute("""
                UPDATE cloudtrail_delivery SET cursor_seq = ?, pending_end_seq = ?, pending_at_ms = ?, doc = ?
                WHERE account_id = ? AND home_region = ? AND name = ?
                """, [.int(delivery.cursorSeq), SQLValue(delivery.pendingEndSeq), SQLValue(delivery.pendingAtMillis),
                      .text(delivery.doc)] + key.binds)
        }
    }

    // MARK: signing keys (private halves sealed under the root key)

    static func sealContext(region: String, fingerprint: String) -> SealContext {
        SealContext(table: "cloudtrail_signing_keys", id: region, version: fingerprint)
    }

    public func signingKeys(region: String) async throws -> [SigningKeyRow] {
        let rows = try await db.read { tx in
            try await tx.query("""
                SELECT region, fingerprint, valid_from_ms, valid_to_ms, public_der, sealed FROM cloudtrail_signing_keys
                WHERE region = ? ORDER BY valid_from_ms
                """, [.text(region)])
        }
        return try rows.map { r in
            let fp = r[1].text ?? ""
            return SigningKeyRow(region: r[0].text ?? "", fingerprint: fp, validFromMillis: r[2].int ?? 0, validToMillis: r[3].int,
                                 publicDER: r[4].blob ?? [],
                                 privateDER: try sealer.open(r[5].blob ?? [], context: Self.sealContext(region: region, fingerprint: fp)))
        }
    }

    /// Adds a region's new current key and closes the validity of the one it replaces, atomically.
    public func addSigningKey(_ k: SigningKeyRow, closing previous: String?) async throws {
        let sealed = try sealer.seal(k.privateDER, context: Self.sealContext(region: k.region, fingerprint: k.fingerprint))
        try await db.transaction { tx in
            if let previous {
                try await tx.execute("UPDATE cloudtrail_signing_keys SET valid_to_ms = ? WHERE region = ? AND fingerprint = ?",
                                     [.int(k.validFromMillis), .text(k.region), .text(previous)])
            }
            try await tx.execute("""
                INSERT INTO cloudtrail_signing_keys (region, fingerprint, valid_from_ms, valid_to_ms, public_der, sealed)
                VALUES (?, ?, ?, ?, ?, ?)
                """, [.text(k.region), .text(k.fingerprint), .int(k.validFromMillis), SQLValue(k.validToMillis),
                      .blob(k.publicDER), .blob(sealed)])
        }
    }

    /// The newest audit sequence number (where a trail that starts logging now begins).
    public func newestAuditSeq() async throws -> Int64 {
        try await db.read { tx in try await tx.query("SELECT MAX(seq) FROM audit_events", []).first?[0].int ?? 0 }
    }
}
