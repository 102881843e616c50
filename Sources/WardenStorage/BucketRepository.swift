// The bucket store's metadata: buckets and object rows (the bytes live in files the service owns).

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

/// One object's row. `doc` is the service's JSON (content type, user metadata, checksums); `fileName` names the
/// file holding the bytes.
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
        try await db.transaction { tx in
            let found = try await tx.query("SELECT bucket FROM s3_buckets WHERE bucket = ?", [.text(name)])
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

    /// Writes the object row; returns the file name of the object it replaced (to delete after commit), if any.
    /// False in `stored` when the bucket no longer exists.
    public func putObject(_ o: ObjectRow) async throws -> (stored: Bool, replacedFile: String?) {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT bucket FROM s3_buckets WHERE bucket = ?", [.text(o.bucket)])
            guard !found.isEmpty else { return (false, nil) }
            let old = try await tx.query("SELECT file_name FROM s3_objects WHERE bucket = ? AND object_key = ?",
                                         [.text(o.bucket), .text(o.key)]).first?[0].text
            if old != nil {
                try await tx.execute("""
                    UPDATE s3_objects SET size = ?, etag = ?, last_modified_ms = ?, file_name = ?, doc = ?
                    WHERE bucket = ? AND object_key = ?
                    """, [.int(o.size), .text(o.etag), .int(o.lastModifiedMillis), .text(o.fileName), .text(o.doc),
                          .text(o.bucket), .text(o.key)])
            } else {
                try await tx.execute("""
                    INSERT INTO s3_objects (bucket, object_key, size, etag, last_modified_ms, file_name, doc)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, [.text(o.bucket), .text(o.key), .int(o.size), .text(o.etag), .int(o.lastModifiedMillis),
                          .text(o.fileName), .text(o.doc)])
            }
            return (true, old)
        }
    }

    static let objectColumns = "bucket, object_key, size, etag, last_modified_ms, file_name, doc"

    public func object(bucket: String, key: String) async throws -> ObjectRow? {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.objectColumns) FROM s3_objects WHERE bucket = ? AND object_key = ?",
                               [.text(bucket), .text(key)]).first.map(Self.object)
        }
    }

    /// Deletes the row; returns its file name (for the caller to remove) or nil when there was no such object.
    public func deleteObject(bucket: String, key: String) async throws -> String? {
        try await db.transaction { tx in
            let old = try await tx.query("SELECT file_name FROM s3_objects WHERE bucket = ? AND object_key = ?",
                                         [.text(bucket), .text(key)]).first?[0].text
            if old != nil {
                try await tx.execute("DELETE FROM s3_objects WHERE bucket = ? AND object_key = ?", [.text(bucket), .text(key)])
            }
            return old
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

    /// Every file name still referenced (to sweep orphans after a crash).
    public func allFileNames() async throws -> Set<String> {
        try await db.read { tx in
            Set(try await tx.query("SELECT file_name FROM s3_objects", []).compactMap { $0[0].text })
        }
    }
}
