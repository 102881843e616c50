// KMS state: keys (metadata as a JSON document), their key material (sealed), aliases.

/// One alias row.
public struct KMSAliasRow: Sendable, Equatable {
    public var name: String
    public var keyId: String
    public var createdAtMillis: Int64
    public var updatedAtMillis: Int64
}

/// One region's row of a key: what a state change writes.
public struct KMSKeyWrite: Sendable {
    public var account: String
    public var region: String
    public var keyId: String
    public var state: String
    /// When the key next needs the background job (deletion, rotation, material expiry); nil for never.
    public var dueAtMillis: Int64?
    public var doc: String

    public init(account: String, region: String, keyId: String, state: String, dueAtMillis: Int64?, doc: String) {
        self.account = account
        self.region = region
        self.keyId = keyId
        self.state = state
        self.dueAtMillis = dueAtMillis
        self.doc = doc
    }
}

/// A key as stored: the service-owned metadata document and every generation of its material, unsealed.
public struct KMSStoredKey: Sendable {
    public var doc: String
    /// Material by material id. Shared by every region of a multi-Region key.
    public var materials: [String: [UInt8]]
}

/// Storage for KMS. Key material is sealed under the root key with (account, key id, material id) as associated
/// data; metadata is a document the service owns, with the columns jobs query (state, deletion time) beside it.
public struct KMSRepository: Sendable {
    public let db: any SQLDatabase
    public let sealer: Sealer

    public init(db: any SQLDatabase, sealer: Sealer) {
        self.db = db
        self.sealer = sealer
    }

    static func sealContext(account: String, keyId: String, materialId: String) -> SealContext {
        SealContext(table: "kms_key_material", id: "\(account)/\(keyId)", version: materialId)
    }

    /// Stores a new key (or a new region's replica of one) with material (if any), and rewrites `alsoUpdate` (the
    /// other regions of a multi-Region key) in the same transaction. False when the key id already exists in that region.
    public func insertKey(_ key: KMSKeyWrite, createdAtMillis: Int64, materials: [(id: String, plain: [UInt8])],
                          alsoUpdate: [KMSKeyWrite] = []) async throws -> Bool {
        let sealed = try materials.map { m in
            (m.id, try sealer.seal(m.plain, context: Self.sealContext(account: key.account, keyId: key.keyId, materialId: m.id)))
        }
        return try await db.transaction { tx in
            let rows = try await tx.query(
                "INSERT INTO kms_keys (account_id, region, key_id, state, due_at_ms, created_at_ms, doc) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING key_id",
                [.text(key.account), .text(key.region), .text(key.keyId), .text(key.state), SQLValue(key.dueAtMillis),
                 .int(createdAtMillis), .text(key.doc)])
            guard !rows.isEmpty else { return false }
            for (id, blob) in sealed {
                try await Self.putMaterial(tx, account: key.account, keyId: key.keyId, materialId: id, sealed: blob, at: createdAtMillis)
            }
            for w in alsoUpdate { try await Self.write(tx, w) }
            return true
        }
    }

    static func write(_ tx: any SQLExecutor, _ w: KMSKeyWrite) async throws {
        try await tx.execute(
            "UPDATE kms_keys SET state = ?, due_at_ms = ?, doc = ? WHERE account_id = ? AND region = ? AND key_id = ?",
            [.text(w.state), SQLValue(w.dueAtMillis), .text(w.doc), .text(w.account), .text(w.region), .text(w.keyId)])
    }

    static func putMaterial(_ tx: any SQLExecutor, account: String, keyId: String, materialId: String, sealed: [UInt8], at: Int64) async throws {
        try await tx.execute(
            "INSERT INTO kms_key_material (account_id, key_id, material_id, created_at_ms, sealed) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [.text(account), .text(keyId), .text(materialId), .int(at), .blob(sealed)])
    }

    /// The key and its unsealed material, or nil.
    public func key(account: String, region: String, keyId: String) async throws -> KMSStoredKey? {
        let (keyRows, materialRows) = try await db.read { tx in
            let k = try await tx.query("SELECT doc FROM kms_keys WHERE account_id = ? AND region = ? AND key_id = ?",
                                       [.text(account), .text(region), .text(keyId)])
            if k.isEmpty { return (k, [SQLRow]()) }
            let m = try await tx.query("SELECT material_id, sealed FROM kms_key_material WHERE account_id = ? AND key_id = ?",
                                       [.text(account), .text(keyId)])
            return (k, m)
        }
        guard let doc = keyRows.first?[0].text else { return nil }
        var materials: [String: [UInt8]] = [:]
        for r in materialRows {
            guard let id = r[0].text, let sealed = r[1].blob else { continue }
            do {
                materials[id] = try sealer.open(sealed, context: Self.sealContext(account: account, keyId: keyId, materialId: id))
            } catch {
                throw UnsealError(id: "\(keyId)/\(id)")
            }
        }
        return KMSStoredKey(doc: doc, materials: materials)
    }

    /// Rewrites one or more region rows of a key (several for a multi-Region key); optionally adds and removes
    /// material (shared by all regions), all in one transaction.
    public func updateKey(_ writes: [KMSKeyWrite], addMaterial: (id: String, plain: [UInt8])? = nil,
                          removeMaterial: [String] = []) async throws {
        guard let first = writes.first else { return }
        let sealed = try addMaterial.map { m in
            (m.id, try sealer.seal(m.plain, context: Self.sealContext(account: first.account, keyId: first.keyId, materialId: m.id)))
        }
        try await db.transaction { tx in
            for w in writes { try await Self.write(tx, w) }
            if let (id, blob) = sealed {
                try await Self.putMaterial(tx, account: first.account, keyId: first.keyId, materialId: id, sealed: blob, at: Clock.nowMillis())
            }
            for id in removeMaterial {
                try await tx.execute("DELETE FROM kms_key_material WHERE account_id = ? AND key_id = ? AND material_id = ?",
                                     [.text(first.account), .text(first.keyId), .text(id)])
            }
        }
    }

    /// Destroys a key in one region: its row, its aliases, and — once no region holds the key — its material.
    public func deleteKey(account: String, region: String, keyId: String) async throws {
        try await db.transaction { tx in
            try await tx.execute("DELETE FROM kms_keys WHERE account_id = ? AND region = ? AND key_id = ?",
                                 [.text(account), .text(region), .text(keyId)])
            try await tx.execute("DELETE FROM kms_aliases WHERE account_id = ? AND region = ? AND key_id = ?",
                                 [.text(account), .text(region), .text(keyId)])
            try await tx.execute("DELETE FROM kms_grants WHERE account_id = ? AND region = ? AND key_id = ?",
                                 [.text(account), .text(region), .text(keyId)])
            let others = try await tx.query("SELECT region FROM kms_keys WHERE account_id = ? AND key_id = ?",
                                            [.text(account), .text(keyId)])
            if others.isEmpty {
                try await tx.execute("DELETE FROM kms_key_material WHERE account_id = ? AND key_id = ?",
                                     [.text(account), .text(keyId)])
            }
        }
    }

    /// Key ids of a region in id order, after `marker`, at most `limit`.
    public func listKeyIds(account: String, region: String, after marker: String?, limit: Int) async throws -> [String] {
        let rows = try await db.read { tx in
            try await tx.query(
                "SELECT key_id FROM kms_keys WHERE account_id = ? AND region = ? AND key_id > ? ORDER BY key_id LIMIT ?",
                [.text(account), .text(region), .text(marker ?? ""), .int(Int64(limit))])
        }
        return rows.compactMap { $0[0].text }
    }

    /// Keys that need the background job now (deletion window ended, rotation or material expiry due).
    public func keysDue(nowMillis: Int64) async throws -> [(account: String, region: String, keyId: String)] {
        let rows = try await db.read { tx in
            try await tx.query("SELECT account_id, region, key_id FROM kms_keys WHERE due_at_ms IS NOT NULL AND due_at_ms <= ? ORDER BY due_at_ms LIMIT 500",
                               [.int(nowMillis)])
        }
        return rows.compactMap { r in
            guard let a = r[0].text, let g = r[1].text, let k = r[2].text else { return nil }
            return (a, g, k)
        }
    }

    /// Whether any material row exists for the key (any region); for tests of destruction.
    public func materialCount(account: String, keyId: String) async throws -> Int {
        let rows = try await db.read { tx in
            try await tx.query("SELECT COUNT(*) FROM kms_key_material WHERE account_id = ? AND key_id = ?", [.text(account), .text(keyId)])
        }
        return Int(rows.first?[0].int ?? 0)
    }
}

extension KMSRepository {
    /// Creates an alias; false when the name is taken in that account and region.
    public func createAlias(account: String, region: String, name: String, keyId: String, nowMillis: Int64) async throws -> Bool {
        try await db.transaction { tx in
            let rows = try await tx.query(
                "INSERT INTO kms_aliases (account_id, region, alias_name, key_id, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING alias_name",
                [.text(account), .text(region), .text(name), .text(keyId), .int(nowMillis), .int(nowMillis)])
            return !rows.isEmpty
        }
    }

    /// Points an existing alias at another key; false when the alias does not exist.
    public func updateAlias(account: String, region: String, name: String, keyId: String, nowMillis: Int64) async throws -> Bool {
        try await db.transaction { tx in
            let rows = try await tx.query(
                "UPDATE kms_aliases SET key_id = ?, updated_at_ms = ? WHERE account_id = ? AND region = ? AND alias_name = ? RETURNING alias_name",
                [.text(keyId), .int(nowMillis), .text(account), .text(region), .text(name)])
            return !rows.isEmpty
        }
    }

    public func deleteAlias(account: String, region: String, name: String) async throws -> Bool {
        try await db.transaction { tx in
            let rows = try await tx.query(
                "DELETE FROM kms_aliases WHERE account_id = ? AND region = ? AND alias_name = ? RETURNING alias_name",
                [.text(account), .text(region), .text(name)])
            return !rows.isEmpty
        }
    }

    public func alias(account: String, region: String, name: String) async throws -> KMSAliasRow? {
        try await aliases(account: account, region: region, where: "alias_name = ?", .text(name)).first
    }

    /// Aliases of a region in name order, optionally only those of one key.
    public func listAliases(account: String, region: String, keyId: String? = nil) async throws -> [KMSAliasRow] {
        if let keyId { return try await aliases(account: account, region: region, where: "key_id = ?", .text(keyId)) }
        return try await aliases(account: account, region: region, where: "1 = ?", .int(1))
    }

    private func aliases(account: String, region: String, where clause: String, _ bind: SQLValue) async throws -> [KMSAliasRow] {
        let rows = try await db.read { tx in
            try await tx.query(
                "SELECT alias_name, key_id, created_at_ms, updated_at_ms FROM kms_aliases WHERE account_id = ? AND region = ? AND \(clause) ORDER BY alias_name",
                [.text(account), .text(region), bind])
        }
        return rows.map { KMSAliasRow(name: $0[0].text ?? "", keyId: $0[1].text ?? "", createdAtMillis: $0[2].int ?? 0,
                                      updatedAtMillis: $0[3].int ?? 0) }
    }
}

/// One grant row.
public struct KMSGrantRow: Sendable, Equatable {
    public var grantId: String
    public var keyId: String
    public var grantee: String
    public var retiring: String?
    public var name: String?
    public var createdAtMillis: Int64
    /// The service-owned grant document (operations, constraints, token).
    public var doc: String

    public init(grantId: String, keyId: String, grantee: String, retiring: String?, name: String?, createdAtMillis: Int64, doc: String) {
        self.grantId = grantId
        self.keyId = keyId
        self.grantee = grantee
        self.retiring = retiring
        self.name = name
        self.createdAtMillis = createdAtMillis
        self.doc = doc
    }
}

extension KMSRepository {
    public func insertGrant(account: String, region: String, _ g: KMSGrantRow) async throws {
        try await db.transaction { tx in
            try await tx.execute(
                "INSERT INTO kms_grants (account_id, region, grant_id, key_id, grantee, retiring, name, created_at_ms, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [.text(account), .text(region), .text(g.grantId), .text(g.keyId), .text(g.grantee), SQLValue(g.retiring),
                 SQLValue(g.name), .int(g.createdAtMillis), .text(g.doc)])
        }
    }

    static let grantColumns = "grant_id, key_id, grantee, retiring, name, created_at_ms, doc"

    static func grant(_ r: SQLRow) -> KMSGrantRow {
        KMSGrantRow(grantId: r[0].text ?? "", keyId: r[1].text ?? "", grantee: r[2].text ?? "", retiring: r[3].text,
                    name: r[4].text, createdAtMillis: r[5].int ?? 0, doc: r[6].text ?? "{}")
    }

    public func grant(account: String, region: String, grantId: String) async throws -> KMSGrantRow? {
        let rows = try await db.read { tx in
            try await tx.query("SELECT \(Self.grantColumns) FROM kms_grants WHERE account_id = ? AND region = ? AND grant_id = ?",
                               [.text(account), .text(region), .text(grantId)])
        }
        return rows.first.map(Self.grant)
    }

    /// Grants on a key in creation order.
    public func grants(account: String, region: String, keyId: String) async throws -> [KMSGrantRow] {
        let rows = try await db.read { tx in
            try await tx.query("SELECT \(Self.grantColumns) FROM kms_grants WHERE account_id = ? AND region = ? AND key_id = ? ORDER BY created_at_ms, grant_id",
                               [.text(account), .text(region), .text(keyId)])
        }
        return rows.map(Self.grant)
    }

    /// Grants a principal may retire, in creation order.
    public func retirableGrants(account: String, region: String, retiring: String) async throws -> [KMSGrantRow] {
        let rows = try await db.read { tx in
            try await tx.query("SELECT \(Self.grantColumns) FROM kms_grants WHERE account_id = ? AND region = ? AND retiring = ? ORDER BY created_at_ms, grant_id",
                               [.text(account), .text(region), .text(retiring)])
        }
        return rows.map(Self.grant)
    }

    @discardableResult
    public func deleteGrant(account: String, region: String, grantId: String) async throws -> Bool {
        try await db.transaction { tx in
            let rows = try await tx.query("DELETE FROM kms_grants WHERE account_id = ? AND region = ? AND grant_id = ? RETURNING grant_id",
                                          [.text(account), .text(region), .text(grantId)])
            return !rows.isEmpty
        }
    }
}
