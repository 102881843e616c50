// Secrets Manager: secrets (metadata documents, deletion and rotation times) and their versions, values sealed.

public struct SecretRow: Sendable {
    public var arn: String
    public var account: String
    public var region: String
    public var name: String
    public var createdAtMillis: Int64
    public var doc: String
    public var deleteAtMillis: Int64?
    public var rotateAtMillis: Int64?
    public init(arn: String, account: String, region: String, name: String, createdAtMillis: Int64, doc: String,
                deleteAtMillis: Int64? = nil, rotateAtMillis: Int64? = nil) {
        self.arn = arn
        self.account = account
        self.region = region
        self.name = name
        self.createdAtMillis = createdAtMillis
        self.doc = doc
        self.deleteAtMillis = deleteAtMillis
        self.rotateAtMillis = rotateAtMillis
    }
}

public struct SecretVersionRow: Sendable {
    public var versionId: String
    public var createdAtMillis: Int64
    /// The stored value, opened (the KMS envelope, not the plaintext).
    public var value: [UInt8]
    /// Stages and facts (JSON).
    public var doc: String
    public init(versionId: String, createdAtMillis: Int64, value: [UInt8], doc: String) {
        self.versionId = versionId
        self.createdAtMillis = createdAtMillis
        self.value = value
        self.doc = doc
    }
}

public struct SecretRepository: Sendable {
    public let db: any SQLDatabase
    public let sealer: Sealer

    public init(db: any SQLDatabase, sealer: Sealer) {
        self.db = db
        self.sealer = sealer
    }

    static let columns = "arn, account_id, region, name, created_at_ms, doc, delete_at_ms, rotate_at_ms"

    static func row(_ r: SQLRow) -> SecretRow {
        SecretRow(arn: r[0].text ?? "", account: r[1].text ?? "", region: r[2].text ?? "", name: r[3].text ?? "",
                  createdAtMillis: r[4].int ?? 0, doc: r[5].text ?? "", deleteAtMillis: r[6].int, rotateAtMillis: r[7].int)
    }

    static func context(_ arn: String, _ versionId: String) -> SealContext {
        SealContext(table: "sm_secret_versions", id: arn, version: versionId)
    }

    /// Creates the secret (and its first version, if any); returns the existing secret of that name instead, if any.
    public func create(_ s: SecretRow, version: SecretVersionRow?) async throws -> SecretRow? {
        let sealed = try version.map { try sealer.seal($0.value, context: Self.context(s.arn, $0.versionId)) }
        return try await db.transaction { tx in
            if let r = try await tx.query("SELECT \(Self.columns) FROM sm_secrets WHERE account_id = ? AND region = ? AND name = ?",
                                          [.text(s.account), .text(s.region), .text(s.name)]).first {
                return Self.row(r)
            }
            try await tx.execute("INSERT INTO sm_secrets (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 [.text(s.arn), .text(s.account), .text(s.region), .text(s.name), .int(s.createdAtMillis), .text(s.doc),
                                  s.deleteAtMillis.map { .int($0) } ?? .null, s.rotateAtMillis.map { .int($0) } ?? .null])
            if let version, let sealed {
                try await tx.execute("INSERT INTO sm_secret_versions (arn, version_id, created_at_ms, value, doc) VALUES (?, ?, ?, ?, ?)",
                                     [.text(s.arn), .text(version.versionId), .int(version.createdAtMillis), .blob(sealed), .text(version.doc)])
            }
            return nil
        }
    }

    public func secret(account: String, region: String, name: String) async throws -> SecretRow? {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.columns) FROM sm_secrets WHERE account_id = ? AND region = ? AND name = ?",
                               [.text(account), .text(region), .text(name)]).first.map(Self.row)
        }
    }

    public func secret(arn: String) async throws -> SecretRow? {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.columns) FROM sm_secrets WHERE arn = ?", [.text(arn)]).first.map(Self.row)
        }
    }

    public func secrets(account: String, region: String) async throws -> [SecretRow] {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.columns) FROM sm_secrets WHERE account_id = ? AND region = ? ORDER BY name",
                               [.text(account), .text(region)]).map(Self.row)
        }
    }

    /// Every version's id, time and document, without opening any value (reads pick one, then open only it).
    public func versionDocs(arn: String) async throws -> [(versionId: String, createdAtMillis: Int64, doc: String)] {
        try await db.read { tx in
            try await tx.query("SELECT version_id, created_at_ms, doc FROM sm_secret_versions WHERE arn = ? ORDER BY created_at_ms, version_id",
                               [.text(arn)]).map { ($0[0].text ?? "", $0[1].int ?? 0, $0[2].text ?? "") }
        }
    }

    public func version(arn: String, versionId: String) async throws -> SecretVersionRow? {
        let r = try await db.read { tx in
            try await tx.query("SELECT version_id, created_at_ms, value, doc FROM sm_secret_versions WHERE arn = ? AND version_id = ?",
                               [.text(arn), .text(versionId)]).first
        }
        return try r.map { SecretVersionRow(versionId: versionId, createdAtMillis: $0[1].int ?? 0,
                                             value: try sealer.open($0[2].blob ?? [], context: Self.context(arn, versionId)), doc: $0[3].text ?? "") }
    }

    public func versions(arn: String) async throws -> [SecretVersionRow] {
        let rows = try await db.read { tx in
            try await tx.query("SELECT version_id, created_at_ms, value, doc FROM sm_secret_versions WHERE arn = ? ORDER BY created_at_ms, version_id",
                               [.text(arn)])
        }
        return try rows.map { r in
            let id = r[0].text ?? ""
            return SecretVersionRow(versionId: id, createdAtMillis: r[1].int ?? 0,
                                    value: try sealer.open(r[2].blob ?? [], context: Self.context(arn, id)), doc: r[3].text ?? "")
        }
    }

    /// Writes the secret's document and times, new versions and changed version documents in one transaction;
    /// drops versions named in `drop`. False when the secret is gone.
    public func save(_ s: SecretRow, newVersions: [SecretVersionRow] = [], versionDocs: [String: String] = [:], drop: [String] = [])
        async throws -> Bool {
        let sealed = try newVersions.map { try sealer.seal($0.value, context: Self.context(s.arn, $0.versionId)) }
        return try await db.transaction { tx in
            let found = try await tx.query("SELECT arn FROM sm_secrets WHERE arn = ?", [.text(s.arn)])
            guard !found.isEmpty else { return false }
            try await tx.execute("UPDATE sm_secrets SET doc = ?, delete_at_ms = ?, rotate_at_ms = ? WHERE arn = ?",
                                 [.text(s.doc), s.deleteAtMillis.map { .int($0) } ?? .null, s.rotateAtMillis.map { .int($0) } ?? .null,
                                  .text(s.arn)])
            for (v, box) in zip(newVersions, sealed) {
                try await tx.execute("INSERT INTO sm_secret_versions (arn, version_id, created_at_ms, value, doc) VALUES (?, ?, ?, ?, ?)",
                                     [.text(s.arn), .text(v.versionId), .int(v.createdAtMillis), .blob(box), .text(v.doc)])
            }
            for (id, doc) in versionDocs {
                try await tx.execute("UPDATE sm_secret_versions SET doc = ? WHERE arn = ? AND version_id = ?", [.text(doc), .text(s.arn), .text(id)])
            }
            for id in drop {
                try await tx.execute("DELETE FROM sm_secret_versions WHERE arn = ? AND version_id = ?", [.text(s.arn), .text(id)])
            }
            return true
        }
    }

    /// Replaces a replica wholesale: its row (created if missing) and all its versions, in one transaction.
    public func replaceReplica(_ s: SecretRow, versions: [SecretVersionRow]) async throws {
        let sealed = try versions.map { try sealer.seal($0.value, context: Self.context(s.arn, $0.versionId)) }
        try await db.transaction { tx in
            try await tx.execute("DELETE FROM sm_secret_versions WHERE arn = ?", [.text(s.arn)])
            try await tx.execute("DELETE FROM sm_secrets WHERE arn = ? OR (account_id = ? AND region = ? AND name = ?)",
                                 [.text(s.arn), .text(s.account), .text(s.region), .text(s.name)])
            try await tx.execute("INSERT INTO sm_secrets (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 [.text(s.arn), .text(s.account), .text(s.region), .text(s.name), .int(s.createdAtMillis), .text(s.doc),
                                  .null, .null])
            for (v, box) in zip(versions, sealed) {
                try await tx.execute("INSERT INTO sm_secret_versions (arn, version_id, created_at_ms, value, doc) VALUES (?, ?, ?, ?, ?)",
                                     [.text(s.arn), .text(v.versionId), .int(v.createdAtMillis), .blob(box), .text(v.doc)])
            }
        }
    }

    public func delete(arn: String) async throws {
        try await db.transaction { tx in
            try await tx.execute("DELETE FROM sm_secret_versions WHERE arn = ?", [.text(arn)])
            try await tx.execute("DELETE FROM sm_secrets WHERE arn = ?", [.text(arn)])
        }
    }

    /// Secrets whose recovery window has ended.
    public func dueDeletions(nowMillis: Int64) async throws -> [String] {
        try await db.read { tx in
            try await tx.query("SELECT arn FROM sm_secrets WHERE delete_at_ms <= ? LIMIT 500", [.int(nowMillis)]).compactMap { $0[0].text }
        }
    }

    /// Secrets whose next rotation is due.
    public func dueRotations(nowMillis: Int64) async throws -> [String] {
        try await db.read { tx in
            try await tx.query("SELECT arn FROM sm_secrets WHERE rotate_at_ms <= ? LIMIT 100", [.int(nowMillis)]).compactMap { $0[0].text }
        }
    }
}
