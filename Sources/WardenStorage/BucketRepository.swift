// The bucket store in storage: buckets, object rows, and object bodies in chunks (`s3_object_data`), each object's
// row and body written in one transaction so every node sharing the database sees both or neither.

public struct BucketRow: Sendable, Equatable {
    public var name: String
    public var account: String
    public var region: String
    public var createdAtMillis: Int64
    public var policy: String?

    public init(name: String, account: String, region: String, createdAtMillis: Int64, policy: String?) {
        self.name = name
        self.account = account
        self.region = region
        self.createdAtMillis = createdAtMillis
        self.policy = policy
    }
}

/// One object's row. `doc` is the service's JSON (content type, user metadata, checksums); `fileName` is the id of
/// its body in `s3_object_data` (a new one per version written; before bodies moved into storage it named a file).
public struct ObjectRow: Sendable, Equatable {
    public var bucket: String
    public var key: String
    public var size: Int64
    public var etag: String
    public var lastModifiedMillis: Int64
    public var fileName: String
    public var doc: String

    public init(bucket: String, key: String, size: Int64, etag: String, lastModifiedMillis: Int64, fileName: String, doc: String) {
        self.bucket = bucket
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModifiedMillis = lastModifiedMillis
        self.fileName = fileName
        self.doc = doc
    }
}

public struct BucketRepository: Sendable {
    public let db: any SQLDatabase
    public init(db: any SQLDatabase) { self.db = db }

    static func bucket(_ r: SQLRow) -> BucketRow {
        BucketRow(name: r[0].text ?? "", account: r[1].text ?? "", region: r[2].text ?? "",
                  createdAtMillis: r[3].int ?? 0, policy: r[4].text)
    }

    static func object(_ r: SQLRow) -> ObjectRow {
        ObjectRow(bucket: r[0].text ?? "", key: r[1].text ?? "", size: r[2].int ?? 0, etag: r[3].text ?? "",
                  lastModifiedMillis: r[4].int ?? 0, fileName: r[5].text ?? "", doc: r[6].text ?? "")
    }

    /// Creates the bucket; returns the existing row instead when the name is taken (by anyone).
    public func createBucket(_ b: BucketRow) async throws -> BucketRow? {
        try await db.transaction { tx in
            let existing = try await tx.query(
                "SELECT bucket, account_id, region, created_at_ms, policy FROM s3_buckets WHERE bucket = ?", [.text(b.name)])
            if let row = existing.first { return Self.bucket(row) }
            try await tx.execute("INSERT INTO s3_buckets (bucket, account_id, region, created_at_ms, policy) VALUES (?, ?, ?, ?, ?)",
                                 [.text(b.name), .text(b.account), .text(b.region), .int(b.createdAtMillis), SQLValue(b.policy)])
            return nil
        }
    }

    public func bucket(_ name: String) async throws -> BucketRow? {
        try await db.read { tx in
            try await tx.query("SELECT bucket, account_id, region, created_at_ms, policy FROM s3_buckets WHERE bucket = ?",
                               [.text(name)]).first.map(Self.bucket)
        }
    }

    public func buckets(account: String) async throws -> [BucketRow] {
        try await db.read { tx in
            try await tx.query("SELECT bucket, account_id, region, created_at_ms, policy FROM s3_buckets WHERE account_id = ? ORDER BY bucket",
                               [.text(account)]).map(Self.bucket)
        }
    }

    public enum DeleteOutcome: Sendable { case deleted, missing, notEmpty }

    public func deleteBucket(_ name: String) async throws -> DeleteOutcome {
        let forUpdate = lock("UPDATE")
        return try await db.transaction { tx in
            // Locked for update: a put into this bucket on another node (which key-share-locks it) finishes first, so its
            // object is seen here, or waits and then finds the bucket gone.
            let found = try await tx.query("SELECT bucket FROM s3_buckets WHERE bucket = ?\(forUpdate)", [.text(name)])
            guard !found.isEmpty else { return .missing }
            let one = try await tx.query("SELECT object_key FROM s3_objects WHERE bucket = ? LIMIT 1", [.text(name)])
            guard one.isEmpty else { return .notEmpty }
            try await tx.execute("DELETE FROM s3_buckets WHERE bucket = ?", [.text(name)])
            return .deleted
        }
    }

    public func setPolicy(bucket: String, policy: String?) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT bucket FROM s3_buckets WHERE bucket = ?", [.text(bucket)])
            guard !found.isEmpty else { return false }
            try await tx.execute("UPDATE s3_buckets SET policy = ? WHERE bucket = ?", [SQLValue(policy), .text(bucket)])
            return true
        }
    }

    /// Bodies are stored in chunks of this many bytes (the last one shorter; an empty body is one empty chunk).
    public static let chunkSize = 1 << 20

    /// `FOR UPDATE` / `FOR KEY SHARE` on PostgreSQL, so a second node writing the same object or bucket waits for this
    /// transaction; SQLite has a single writer and needs none.
    func lock(_ mode: String) -> String { db.dialect == .postgres ? " FOR \(mode)" : "" }

    static func insertData(_ tx: any SQLExecutor, id: String, _ data: [UInt8]) async throws {
        var chunk: Int64 = 0
        var offset = 0
        repeat {
            let end = min(offset + chunkSize, data.count)
            try await tx.execute("INSERT INTO s3_object_data (data_id, chunk, data) VALUES (?, ?, ?)",
                                 [.text(id), .int(chunk), .blob(Array(data[offset..<end]))])
            chunk += 1
            offset = end
        } while offset < data.count
    }

    /// Writes the object's row and its body (under `o.fileName`) in one transaction, and deletes the body of the
    /// version it replaces in the same transaction. False when the bucket no longer exists.
    public func putObject(_ o: ObjectRow, data: [UInt8]) async throws -> Bool {
        let (forKeyShare, forUpdate) = (lock("KEY SHARE"), lock("UPDATE"))
        return try await db.transaction { tx in
            // The bucket row key-share-locked: a concurrent DeleteBucket (which locks it for update) either sees this
            // object or runs first and leaves nothing to write into; a policy change is not held up.
            let found = try await tx.query("SELECT bucket FROM s3_buckets WHERE bucket = ?\(forKeyShare)", [.text(o.bucket)])
            guard !found.isEmpty else { return false }
            let keys: [SQLValue] = [.text(o.bucket), .text(o.key)]
            let current = "SELECT file_name FROM s3_objects WHERE bucket = ? AND object_key = ?\(forUpdate)"
            for _ in 0..<3 {
                if let old = try await tx.query(current, keys).first?[0].text {
                    // The row is locked: no other writer can swap its data id before this commits.
                    try await tx.execute("""
                        UPDATE s3_objects SET size = ?, etag = ?, last_modified_ms = ?, file_name = ?, doc = ?
                        WHERE bucket = ? AND object_key = ?
                        """, [.int(o.size), .text(o.etag), .int(o.lastModifiedMillis), .text(o.fileName), .text(o.doc)] + keys)
                    try await tx.execute("DELETE FROM s3_object_data WHERE data_id = ?", [.text(old)])
                    try await Self.insertData(tx, id: o.fileName, data)
                    return true
                }
                // A new key: another node may insert it at the same moment; the loser updates the winner's row.
                let inserted = try await tx.query("""
                    INSERT INTO s3_objects (bucket, object_key, size, etag, last_modified_ms, file_name, doc)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (bucket, object_key) DO NOTHING RETURNING file_name
                    """, keys + [.int(o.size), .text(o.etag), .int(o.lastModifiedMillis), .text(o.fileName), .text(o.doc)])
                if !inserted.isEmpty {
                    try await Self.insertData(tx, id: o.fileName, data)
                    return true
                }
            }
            throw StorageError("object \(o.bucket)/\(o.key) kept changing while it was written")
        }
    }

    static let objectColumns = "bucket, object_key, size, etag, last_modified_ms, file_name, doc"

    public func object(bucket: String, key: String) async throws -> ObjectRow? {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.objectColumns) FROM s3_objects WHERE bucket = ? AND object_key = ?",
                               [.text(bucket), .text(key)]).first.map(Self.object)
        }
    }

    /// Deletes the row and its body in one transaction; false when there was no such object.
    @discardableResult
    public func deleteObject(bucket: String, key: String) async throws -> Bool {
        try await db.transaction { tx in
            // RETURNING gives the data id of the row actually deleted, even when a concurrent put replaced it first.
            let gone = try await tx.query("DELETE FROM s3_objects WHERE bucket = ? AND object_key = ? RETURNING file_name",
                                          [.text(bucket), .text(key)])
            for id in gone.compactMap({ $0[0].text }) {
                try await tx.execute("DELETE FROM s3_object_data WHERE data_id = ?", [.text(id)])
            }
            return !gone.isEmpty
        }
    }

    /// Bytes `range` of the body stored under `id` (the whole body when nil), or nil when no body is stored under that
    /// id (the object was deleted or replaced since its row was read). One statement, so one snapshot: a body is
    /// written and deleted whole, and is seen whole or not at all.
    public func objectData(_ id: String, range: Range<Int64>? = nil) async throws -> [UInt8]? {
        let size = Int64(Self.chunkSize)
        let first = (range?.lowerBound ?? 0) / size
        let last = range.map { max($0.lowerBound, $0.upperBound - 1) / size }
        let rows: [SQLRow] = try await db.read { tx in
            var sql = "SELECT chunk, data FROM s3_object_data WHERE data_id = ? AND chunk >= ?"
            var binds: [SQLValue] = [.text(id), .int(first)]
            if let last {
                sql += " AND chunk <= ?"
                binds.append(.int(last))
            }
            return try await tx.query(sql + " ORDER BY chunk", binds)
        }
        // Every chunk asked for must be there, in sequence (a whole read must find at least chunk 0).
        guard !rows.isEmpty, rows.enumerated().allSatisfy({ $0.element[0].int == first + Int64($0.offset) }),
              last.map({ Int64(rows.count) == $0 - first + 1 }) ?? true else { return nil }
        var out: [UInt8] = []
        for row in rows { out += row[1].blob ?? [] }
        guard let range else { return out }
        let start = Int(range.lowerBound - first * size)
        let end = min(out.count, start + Int(range.upperBound - range.lowerBound))
        guard start <= end else { return [] }
        return Array(out[start..<end])
    }

    /// Stores `data` as the body of the object row naming `id`, unless that row is gone or already has its body: the
    /// one-time import of bodies kept in files before they moved into storage, safe to repeat.
    public func importData(_ id: String, _ data: [UInt8]) async throws -> Bool {
        let forUpdate = lock("UPDATE")
        return try await db.transaction { tx in
            let named = try await tx.query("SELECT bucket FROM s3_objects WHERE file_name = ?\(forUpdate)", [.text(id)])
            guard !named.isEmpty else { return false }
            let stored = try await tx.query("SELECT chunk FROM s3_object_data WHERE data_id = ? AND chunk = 0", [.text(id)])
            guard stored.isEmpty else { return false }
            try await Self.insertData(tx, id: id, data)
            return true
        }
    }

    /// Objects of `bucket` whose key starts with `prefix`, sorts after `after` and not below `from`, in byte order.
    public func listObjects(bucket: String, prefix: String, after: String?, from: String? = nil, limit: Int) async throws -> [ObjectRow] {
        try await db.read { tx in
            var sql = "SELECT \(Self.objectColumns) FROM s3_objects WHERE bucket = ?"
            var binds: [SQLValue] = [.text(bucket)]
            if !prefix.isEmpty {
                // The prefix range: keys ≥ prefix and < prefix with its last byte raised (when it has one that can be).
                sql += " AND object_key >= ?"
                binds.append(.text(prefix))
                if let upper = Self.prefixUpperBound(prefix) {
                    sql += " AND object_key < ?"
                    binds.append(.text(upper))
                }
            }
            if let after {
                sql += " AND object_key > ?"
                binds.append(.text(after))
            }
            if let from {
                sql += " AND object_key >= ?"
                binds.append(.text(from))
            }
            sql += " ORDER BY object_key LIMIT ?"
            binds.append(.int(Int64(limit)))
            return try await tx.query(sql, binds).map(Self.object)
        }
    }

    /// The smallest string above every string starting with `prefix`, or nil if none is representable.
    public static func prefixUpperBound(_ prefix: String) -> String? {
        var scalars = Array(prefix.unicodeScalars)
        while let last = scalars.popLast() {
            var next = last.value + 1
            if next == 0xD800 { next = 0xE000 }
            if next <= 0x10FFFF, let s = Unicode.Scalar(next) {
                scalars.append(s)
                var out = ""
                out.unicodeScalars.append(contentsOf: scalars)
                return out
            }
        }
        return nil
    }

    /// Every data id an object row names (the legacy file import looks for these files).
    public func allFileNames() async throws -> Set<String> {
        try await db.read { tx in
            Set(try await tx.query("SELECT file_name FROM s3_objects", []).compactMap { $0[0].text })
        }
    }
}
