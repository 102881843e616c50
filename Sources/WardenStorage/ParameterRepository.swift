// Parameter Store: parameters (newest version, tags) and their retained versions, values sealed under the root key.

public struct ParameterRow: Sendable {
    public var name: String
    public var version: Int64
    public var doc: String
}

public struct ParameterVersionRow: Sendable {
    public var name: String
    public var version: Int64
    /// The stored value, opened (for SecureString: the KMS envelope, not the plaintext).
    public var value: [UInt8]
    public var doc: String
}

/// The outcome of writing a new version.
public enum ParameterPut: Sendable, Equatable {
    case stored(version: Int64)
    case exists
    /// The oldest of 100 versions carries a label, so it cannot make room.
    case oldestLabelled
}

public struct ParameterRepository: Sendable {
    public let db: any SQLDatabase
    public let sealer: Sealer
    public static let maxVersions: Int64 = 100

    public init(db: any SQLDatabase, sealer: Sealer) {
        self.db = db
        self.sealer = sealer
    }

    static func context(_ account: String, _ region: String, _ name: String) -> SealContext {
        SealContext(table: "ssm_parameter_versions", id: "\(account)/\(region)/\(name)", version: "1")
    }

    /// Writes a new version (and the parameter's document); `overwrite` false refuses an existing name. When 100
    /// versions exist the oldest goes, unless it is labelled.
    /// `labelled` tells from a version document whether the version carries labels.
    public func put(account: String, region: String, name: String, value: [UInt8], parameterDoc: String, versionDoc: String,
                    overwrite: Bool, expiresAtMillis: Int64?, notifyAtMillis: Int64? = nil,
                    labelled: @escaping @Sendable (String) -> Bool) async throws -> ParameterPut {
        let sealed = try sealer.seal(value, context: Self.context(account, region, name))
        return try await db.transaction { tx in
            let current = try await tx.query("SELECT version FROM ssm_parameters WHERE account_id = ? AND region = ? AND name = ?",
                                             [.text(account), .text(region), .text(name)]).first?[0].int
            if current != nil && !overwrite { return .exists }
            let version = (current ?? 0) + 1
            let counted = try await tx.query("""
                SELECT COUNT(*), MIN(version) FROM ssm_parameter_versions WHERE account_id = ? AND region = ? AND name = ?
                """, [.text(account), .text(region), .text(name)]).first
            if let count = counted?[0].int, count >= Self.maxVersions, let oldest = counted?[1].int {
                let doc = try await tx.query("SELECT doc FROM ssm_parameter_versions WHERE account_id = ? AND region = ? AND name = ? AND version = ?",
                                             [.text(account), .text(region), .text(name), .int(oldest)]).first?[0].text ?? ""
                if labelled(doc) { return .oldestLabelled }
                try await tx.execute("DELETE FROM ssm_parameter_versions WHERE account_id = ? AND region = ? AND name = ? AND version = ?",
                                     [.text(account), .text(region), .text(name), .int(oldest)])
            }
            try await tx.execute("""
                INSERT INTO ssm_parameter_versions (account_id, region, name, version, value, doc) VALUES (?, ?, ?, ?, ?, ?)
                """, [.text(account), .text(region), .text(name), .int(version), .blob(sealed), .text(versionDoc)])
            let expiry: SQLValue = expiresAtMillis.map { .int($0) } ?? .null
            let notify: SQLValue = notifyAtMillis.map { .int($0) } ?? .null
            if current == nil {
                try await tx.execute("""
                    INSERT INTO ssm_parameters (account_id, region, name, version, doc, expires_at_ms, notify_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, [.text(account), .text(region), .text(name), .int(version), .text(parameterDoc), expiry, notify])
            } else {
                try await tx.execute("""
                    UPDATE ssm_parameters SET version = ?, doc = ?, expires_at_ms = ?, notify_at_ms = ? WHERE account_id = ? AND region = ? AND name = ?
                    """, [.int(version), .text(parameterDoc), expiry, notify, .text(account), .text(region), .text(name)])
            }
            return .stored(version: version)
        }
    }

    public func parameter(account: String, region: String, name: String) async throws -> ParameterRow? {
        try await db.read { tx in
            try await tx.query("SELECT name, version, doc FROM ssm_parameters WHERE account_id = ? AND region = ? AND name = ?",
                               [.text(account), .text(region), .text(name)]).first
                .map { ParameterRow(name: $0[0].text ?? "", version: $0[1].int ?? 0, doc: $0[2].text ?? "") }
        }
    }

    /// Parameters whose names start with `prefix`, in byte order after `after`.
    public func parameters(account: String, region: String, prefix: String, after: String?, limit: Int) async throws -> [ParameterRow] {
        try await db.read { tx in
            // `name >= prefix` with the prefix check in the loop: LIKE would treat _ and % in names as wildcards.
            let rows = try await tx.query("""
                SELECT name, version, doc FROM ssm_parameters WHERE account_id = ? AND region = ? AND name >= ? AND name > ?
                ORDER BY name LIMIT ?
                """, [.text(account), .text(region), .text(prefix), .text(after ?? ""), .int(Int64(limit))])
            return rows.map { ParameterRow(name: $0[0].text ?? "", version: $0[1].int ?? 0, doc: $0[2].text ?? "") }
        }
    }

    public func version(account: String, region: String, name: String, version: Int64) async throws -> ParameterVersionRow? {
        let r = try await db.read { tx in
            try await tx.query("SELECT version, value, doc FROM ssm_parameter_versions WHERE account_id = ? AND region = ? AND name = ? AND version = ?",
                               [.text(account), .text(region), .text(name), .int(version)]).first
        }
        return try r.map { ParameterVersionRow(name: name, version: $0[0].int ?? 0,
                                                value: try sealer.open($0[1].blob ?? [], context: Self.context(account, region, name)),
                                                doc: $0[2].text ?? "") }
    }

    /// Every retained version, oldest first.
    public func versions(account: String, region: String, name: String) async throws -> [ParameterVersionRow] {
        let rows = try await db.read { tx in
            try await tx.query("SELECT version, value, doc FROM ssm_parameter_versions WHERE account_id = ? AND region = ? AND name = ? ORDER BY version",
                               [.text(account), .text(region), .text(name)])
        }
        return try rows.map { ParameterVersionRow(name: name, version: $0[0].int ?? 0,
                                                   value: try sealer.open($0[1].blob ?? [], context: Self.context(account, region, name)),
                                                   doc: $0[2].text ?? "") }
    }

    /// Rewrites version documents (labels moving between versions) in one transaction; false when the parameter is gone.
    public func updateVersionDocs(account: String, region: String, name: String, docs: [Int64: String]) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT version FROM ssm_parameters WHERE account_id = ? AND region = ? AND name = ?",
                                           [.text(account), .text(region), .text(name)])
            guard !found.isEmpty else { return false }
            for (version, doc) in docs {
                try await tx.execute("UPDATE ssm_parameter_versions SET doc = ? WHERE account_id = ? AND region = ? AND name = ? AND version = ?",
                                     [.text(doc), .text(account), .text(region), .text(name), .int(version)])
            }
            return true
        }
    }

    public func updateParameterDoc(account: String, region: String, name: String, doc: String) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT version FROM ssm_parameters WHERE account_id = ? AND region = ? AND name = ?",
                                           [.text(account), .text(region), .text(name)])
            guard !found.isEmpty else { return false }
            try await tx.execute("UPDATE ssm_parameters SET doc = ? WHERE account_id = ? AND region = ? AND name = ?",
                                 [.text(doc), .text(account), .text(region), .text(name)])
            return true
        }
    }

    /// Parameters whose Expiration time has passed: (account, region, name).
    public func expired(nowMillis: Int64, limit: Int) async throws -> [(account: String, region: String, name: String)] {
        try await db.read { tx in
            try await tx.query("SELECT account_id, region, name FROM ssm_parameters WHERE expires_at_ms <= ? ORDER BY expires_at_ms LIMIT ?",
                               [.int(nowMillis), .int(Int64(limit))]).map { ($0[0].text ?? "", $0[1].text ?? "", $0[2].text ?? "") }
        }
    }

    /// Parameters whose next policy notification is due: (account, region, name).
    public func notificationsDue(nowMillis: Int64, limit: Int) async throws -> [(account: String, region: String, name: String)] {
        try await db.read { tx in
            try await tx.query("SELECT account_id, region, name FROM ssm_parameters WHERE notify_at_ms <= ? ORDER BY notify_at_ms LIMIT ?",
                               [.int(nowMillis), .int(Int64(limit))]).map { ($0[0].text ?? "", $0[1].text ?? "", $0[2].text ?? "") }
        }
    }

    /// Records events for later delivery and moves the parameter's next notification time (nil: none left), with its
    /// document, in one transaction.
    public func recordNotifications(account: String, region: String, name: String, events: [String], nextAtMillis: Int64?,
                                    doc: String, nowMillis: Int64) async throws {
        try await db.transaction { tx in
            for e in events { try await PendingEvents.insert(tx, account: account, region: region, event: e, nowMillis: nowMillis) }
            try await tx.execute("UPDATE ssm_parameters SET notify_at_ms = ?, doc = ? WHERE account_id = ? AND region = ? AND name = ?",
                                 [nextAtMillis.map { .int($0) } ?? .null, .text(doc), .text(account), .text(region), .text(name)])
        }
    }

    /// Deletes a parameter and all its versions; false when there was none.
    public func delete(account: String, region: String, name: String) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT version FROM ssm_parameters WHERE account_id = ? AND region = ? AND name = ?",
                                           [.text(account), .text(region), .text(name)])
            guard !found.isEmpty else { return false }
            try await tx.execute("DELETE FROM ssm_parameter_versions WHERE account_id = ? AND region = ? AND name = ?",
                                 [.text(account), .text(region), .text(name)])
            try await tx.execute("DELETE FROM ssm_parameters WHERE account_id = ? AND region = ? AND name = ?",
                                 [.text(account), .text(region), .text(name)])
            return true
        }
    }
}
