// Function versions (sealed configuration snapshots with their own code), aliases and asynchronous invocation
// settings. The Lambda service changes them under the function's lock; each change that touches two tables is one
// transaction here.

/// One published version of a function.
public struct FunctionVersionRow: Sendable {
    public var account: String
    public var region: String
    public var name: String
    public var version: Int64
    public var createdAtMillis: Int64
    /// The configuration document (JSON) as published, opened.
    public var doc: [UInt8]
    public init(account: String, region: String, name: String, version: Int64, createdAtMillis: Int64, doc: [UInt8]) {
        self.account = account
        self.region = region
        self.name = name
        self.version = version
        self.createdAtMillis = createdAtMillis
        self.doc = doc
    }
}

/// A document kept per function and name: an alias, or the asynchronous invocation settings of one qualifier.
public struct FunctionSideRow: Sendable {
    public var account: String
    public var region: String
    public var function: String
    /// The alias name, or the qualifier the settings belong to.
    public var name: String
    public var doc: String
    public init(account: String, region: String, function: String, name: String, doc: String) {
        self.account = account
        self.region = region
        self.function = function
        self.name = name
        self.doc = doc
    }
}

extension FunctionRepository {
    static func versionContext(_ account: String, _ region: String, _ name: String, _ version: Int64) -> SealContext {
        SealContext(table: "lambda_function_versions", id: "\(account)/\(region)/\(name)", version: "\(version)")
    }

    func versionRow(_ r: SQLRow) throws -> FunctionVersionRow {
        let account = r[0].text ?? "", region = r[1].text ?? "", name = r[2].text ?? "", version = r[3].int ?? 0
        return FunctionVersionRow(account: account, region: region, name: name, version: version, createdAtMillis: r[4].int ?? 0,
                                  doc: try sealer.open(r[5].blob ?? [], context: Self.versionContext(account, region, name, version)))
    }

    /// Locks the function's row against deletion for the rest of the transaction (PostgreSQL: `FOR KEY SHARE`, so a
    /// concurrent DeleteFunction waits for this transaction, or this one finds the row gone; SQLite has one writer and
    /// needs none). False when the function is not there.
    func holdFunction(_ tx: any SQLExecutor, _ key: [SQLValue]) async throws -> Bool {
        let lock = db.dialect == .postgres ? " FOR KEY SHARE" : ""
        return try await !tx.query("SELECT name FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?\(lock)",
                                   key).isEmpty
    }

    /// The condition every insert of something a function owns carries: the function's row is there. Checked in the
    /// inserting statement itself, so nothing is ever added to a function a concurrent delete has removed (which a
    /// later function of the same name would otherwise inherit).
    static let functionExists = "EXISTS (SELECT 1 FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?)"

    /// Publishes: $LATEST's record (its new revision and version counter) and the new version with a copy of the
    /// code, in one transaction. False when the function is gone.
    public func publish(_ latest: FunctionRow, version v: FunctionVersionRow) async throws -> Bool {
        let sealedLatest = try sealer.seal(latest.doc, context: Self.context(latest.account, latest.region, latest.name))
        let sealedVersion = try sealer.seal(v.doc, context: Self.versionContext(v.account, v.region, v.name, v.version))
        return try await db.transaction { tx in
            let key: [SQLValue] = [.text(latest.account), .text(latest.region), .text(latest.name)]
            guard try await holdFunction(tx, key),
                  let code = try await tx.query("SELECT code FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?",
                                                key).first?[0].blob else { return false }
            let inserted = try await tx.query("""
                INSERT INTO lambda_function_versions (account_id, region, name, version, created_at_ms, sealed, code)
                SELECT ?, ?, ?, ?, ?, ?, ? WHERE \(Self.functionExists) RETURNING version
                """, key + [.int(v.version), .int(v.createdAtMillis), .blob(sealedVersion), .blob(code)] + key)
            guard !inserted.isEmpty else { return false }
            try await tx.execute("UPDATE lambda_functions SET sealed = ? WHERE account_id = ? AND region = ? AND name = ?",
                                 [.blob(sealedLatest)] + key)
            return true
        }
    }

    public func version(account: String, region: String, name: String, version: Int64) async throws -> FunctionVersionRow? {
        let r = try await db.read { tx in
            try await tx.query("""
                SELECT account_id, region, name, version, created_at_ms, sealed FROM lambda_function_versions
                WHERE account_id = ? AND region = ? AND name = ? AND version = ?
                """, [.text(account), .text(region), .text(name), .int(version)]).first
        }
        return try r.map(versionRow)
    }

    public func versionCode(account: String, region: String, name: String, version: Int64) async throws -> [UInt8]? {
        try await db.read { tx in
            try await tx.query("SELECT code FROM lambda_function_versions WHERE account_id = ? AND region = ? AND name = ? AND version = ?",
                               [.text(account), .text(region), .text(name), .int(version)]).first?[0].blob
        }
    }

    /// A function's versions in ascending order, after version `after`.
    public func versions(account: String, region: String, name: String, after: Int64, limit: Int) async throws -> [FunctionVersionRow] {
        let rows = try await db.read { tx in
            try await tx.query("""
                SELECT account_id, region, name, version, created_at_ms, sealed FROM lambda_function_versions
                WHERE account_id = ? AND region = ? AND name = ? AND version > ? ORDER BY version LIMIT ?
                """, [.text(account), .text(region), .text(name), .int(after), .int(Int64(limit))])
        }
        return try rows.map(versionRow)
    }

    /// Deletes a version and the asynchronous invocation settings kept for it; false when there was none.
    public func deleteVersion(account: String, region: String, name: String, version: Int64) async throws -> Bool {
        try await db.transaction { tx in
            let key: [SQLValue] = [.text(account), .text(region), .text(name)]
            let found = try await tx.query("SELECT version FROM lambda_function_versions WHERE account_id = ? AND region = ? AND name = ? AND version = ?",
                                           key + [.int(version)])
            guard !found.isEmpty else { return false }
            try await tx.execute("DELETE FROM lambda_function_versions WHERE account_id = ? AND region = ? AND name = ? AND version = ?",
                                 key + [.int(version)])
            try await tx.execute("""
                DELETE FROM lambda_event_invoke_configs WHERE account_id = ? AND region = ? AND function_name = ? AND qualifier = ?
                """, key + [.text(String(version))])
            return true
        }
    }

    // MARK: aliases and invocation settings

    /// The two per-function document tables (fixed names, never from input).
    public enum SideTable: String, Sendable {
        case aliases = "lambda_aliases"
        case eventConfigs = "lambda_event_invoke_configs"
        var column: String { self == .aliases ? "name" : "qualifier" }
    }

    public func side(_ table: SideTable, account: String, region: String, function: String, name: String) async throws -> FunctionSideRow? {
        try await db.read { tx in
            try await tx.query("SELECT doc FROM \(table.rawValue) WHERE account_id = ? AND region = ? AND function_name = ? AND \(table.column) = ?",
                               [.text(account), .text(region), .text(function), .text(name)]).first
        }.map { FunctionSideRow(account: account, region: region, function: function, name: name, doc: $0[0].text ?? "") }
    }

    /// A function's documents of one table in name (byte) order.
    public func sides(_ table: SideTable, account: String, region: String, function: String) async throws -> [FunctionSideRow] {
        try await db.read { tx in
            try await tx.query("""
                SELECT \(table.column), doc FROM \(table.rawValue) WHERE account_id = ? AND region = ? AND function_name = ?
                ORDER BY \(table.column)
                """, [.text(account), .text(region), .text(function)])
        }.map { FunctionSideRow(account: account, region: region, function: function, name: $0[0].text ?? "", doc: $0[1].text ?? "") }
    }

    /// What `putSide` did.
    public enum SideWrite: Sendable, Equatable {
        case written
        /// `create` was asked and a document of that name exists.
        case exists
        /// The function is not there (deleted meanwhile): nothing was written.
        case functionGone
    }

    /// Writes a document: `create` refuses when one exists, otherwise it is replaced or added — only while the
    /// function is there.
    public func putSide(_ table: SideTable, _ row: FunctionSideRow, create: Bool) async throws -> SideWrite {
        try await db.transaction { tx in
            let function: [SQLValue] = [.text(row.account), .text(row.region), .text(row.function)]
            guard try await holdFunction(tx, function) else { return .functionGone }
            let key = function + [.text(row.name)]
            let found = try await tx.query("SELECT doc FROM \(table.rawValue) WHERE account_id = ? AND region = ? AND function_name = ? AND \(table.column) = ?",
                                           key)
            if !found.isEmpty {
                guard !create else { return .exists }
                try await tx.execute("UPDATE \(table.rawValue) SET doc = ? WHERE account_id = ? AND region = ? AND function_name = ? AND \(table.column) = ?",
                                     [.text(row.doc)] + key)
                return .written
            }
            let inserted = try await tx.query("""
                INSERT INTO \(table.rawValue) (account_id, region, function_name, \(table.column), doc)
                SELECT ?, ?, ?, ?, ? WHERE \(Self.functionExists) RETURNING function_name
                """, key + [.text(row.doc)] + function)
            return inserted.isEmpty ? .functionGone : .written
        }
    }

    /// Deletes a document (an alias also loses the invocation settings kept for it); false when there was none.
    public func deleteSide(_ table: SideTable, account: String, region: String, function: String, name: String) async throws -> Bool {
        try await db.transaction { tx in
            let key: [SQLValue] = [.text(account), .text(region), .text(function), .text(name)]
            let found = try await tx.query("SELECT doc FROM \(table.rawValue) WHERE account_id = ? AND region = ? AND function_name = ? AND \(table.column) = ?",
                                           key)
            guard !found.isEmpty else { return false }
            try await tx.execute("DELETE FROM \(table.rawValue) WHERE account_id = ? AND region = ? AND function_name = ? AND \(table.column) = ?", key)
            if table == .aliases {
                try await tx.execute("""
                    DELETE FROM lambda_event_invoke_configs WHERE account_id = ? AND region = ? AND function_name = ? AND qualifier = ?
                    """, key)
            }
            return true
        }
    }

    /// Everything a function owns besides its own row, deleted in the function's deletion transaction.
    static func deleteOwned(_ tx: any SQLExecutor, account: String, region: String, name: String) async throws {
        let key: [SQLValue] = [.text(account), .text(region), .text(name)]
        try await tx.execute("DELETE FROM lambda_function_versions WHERE account_id = ? AND region = ? AND name = ?", key)
        try await tx.execute("DELETE FROM lambda_aliases WHERE account_id = ? AND region = ? AND function_name = ?", key)
        try await tx.execute("DELETE FROM lambda_event_invoke_configs WHERE account_id = ? AND region = ? AND function_name = ?", key)
    }
}
