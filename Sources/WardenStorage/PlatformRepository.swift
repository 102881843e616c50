// SNS mobile push state: platform applications (their credentials sealed under the root key) and their endpoints.

public struct PlatformAppRow: Sendable {
    public var arn: String
    public var account: String
    public var region: String
    public var createdAtMillis: Int64
    /// The attributes SNS shows, as a document; never the credentials.
    public var doc: String
    /// The credentials document in the clear (opened on read, sealed on write); nil when not read or not set.
    public var credentials: [UInt8]?
    public init(arn: String, account: String, region: String, createdAtMillis: Int64, doc: String, credentials: [UInt8]?) {
        self.arn = arn
        self.account = account
        self.region = region
        self.createdAtMillis = createdAtMillis
        self.doc = doc
        self.credentials = credentials
    }
}

public struct PlatformEndpointRow: Sendable {
    public var arn: String
    public var appArn: String
    public var token: String
    public var createdAtMillis: Int64
    public var doc: String
    public init(arn: String, appArn: String, token: String, createdAtMillis: Int64, doc: String) {
        self.arn = arn
        self.appArn = appArn
        self.token = token
        self.createdAtMillis = createdAtMillis
        self.doc = doc
    }
}

public struct PlatformRepository: Sendable {
    public let db: any SQLDatabase
    let sealer: Sealer

    public init(db: any SQLDatabase, sealer: Sealer) {
        self.db = db
        self.sealer = sealer
    }

    /// The credentials are bound to the application's ARN: a sealed value copied to another row fails to open.
    static func context(_ arn: String) -> SealContext { SealContext(table: "sns_platform_apps", id: arn, version: "1") }

    static let appColumns = "arn, account_id, region, created_at_ms, doc, credentials"

    func app(_ r: SQLRow, open: Bool) throws -> PlatformAppRow {
        let arn = r[0].text ?? ""
        var credentials: [UInt8]?
        if open, let sealed = r[5].blob { credentials = try sealer.open(sealed, context: Self.context(arn)) }
        return PlatformAppRow(arn: arn, account: r[1].text ?? "", region: r[2].text ?? "", createdAtMillis: r[3].int ?? 0,
                              doc: r[4].text ?? "", credentials: credentials)
    }

    /// Creates the application or replaces its attributes and credentials; returns whether it existed.
    @discardableResult
    public func saveApp(_ row: PlatformAppRow) async throws -> Bool {
        let sealed = try row.credentials.map { try sealer.seal($0, context: Self.context(row.arn)) }
        return try await db.transaction { tx in
            let found = try await tx.query("SELECT arn FROM sns_platform_apps WHERE arn = ?", [.text(row.arn)])
            if found.isEmpty {
                try await tx.execute("INSERT INTO sns_platform_apps (\(Self.appColumns)) VALUES (?, ?, ?, ?, ?, ?)",
                                     [.text(row.arn), .text(row.account), .text(row.region), .int(row.createdAtMillis),
                                      .text(row.doc), sealed.map { .blob($0) } ?? .null])
                return false
            }
            try await tx.execute("UPDATE sns_platform_apps SET doc = ?, credentials = ? WHERE arn = ?",
                                 [.text(row.doc), sealed.map { .blob($0) } ?? .null, .text(row.arn)])
            return true
        }
    }

    /// The application; its credentials opened only when `credentials` is true.
    public func app(arn: String, credentials: Bool = false) async throws -> PlatformAppRow? {
        let row = try await db.read { tx in
            try await tx.query("SELECT \(Self.appColumns) FROM sns_platform_apps WHERE arn = ?", [.text(arn)]).first
        }
        return try row.map { try app($0, open: credentials) }
    }

    /// A page of an account's applications in one region, by ARN, after `after`.
    public func apps(account: String, region: String, after: String?, limit: Int) async throws -> [PlatformAppRow] {
        let rows = try await db.read { tx in
            try await tx.query("""
                SELECT \(Self.appColumns) FROM sns_platform_apps WHERE account_id = ? AND region = ? AND arn > ? ORDER BY arn LIMIT ?
                """, [.text(account), .text(region), .text(after ?? ""), .int(Int64(limit))])
        }
        return try rows.map { try app($0, open: false) }
    }

    /// `FOR UPDATE` / `FOR KEY SHARE` on PostgreSQL; SQLite has a single writer and needs none.
    func lock(_ mode: String) -> String { db.dialect == .postgres ? " FOR \(mode)" : "" }

    /// Deletes the application and every endpoint it has; returns the endpoints' ARNs.
    public func deleteApp(arn: String) async throws -> [String] {
        let forUpdate = lock("UPDATE")
        return try await db.transaction { tx in
            // The application row locked for update first: an endpoint being inserted on another node (which
            // key-share-locks it) either commits before this and is deleted below, or waits and finds the application gone.
            _ = try await tx.query("SELECT arn FROM sns_platform_apps WHERE arn = ?\(forUpdate)", [.text(arn)])
            let endpoints = try await tx.query("SELECT arn FROM sns_platform_endpoints WHERE app_arn = ?", [.text(arn)])
            try await tx.execute("DELETE FROM sns_platform_endpoints WHERE app_arn = ?", [.text(arn)])
            try await tx.execute("DELETE FROM sns_platform_apps WHERE arn = ?", [.text(arn)])
            return endpoints.compactMap { $0[0].text }
        }
    }

    // MARK: endpoints

    static let endpointColumns = "arn, app_arn, token, created_at_ms, doc"

    static func endpoint(_ r: SQLRow) -> PlatformEndpointRow {
        PlatformEndpointRow(arn: r[0].text ?? "", appArn: r[1].text ?? "", token: r[2].text ?? "", createdAtMillis: r[3].int ?? 0,
                            doc: r[4].text ?? "")
    }

    public func endpoint(arn: String) async throws -> PlatformEndpointRow? {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.endpointColumns) FROM sns_platform_endpoints WHERE arn = ?", [.text(arn)])
                .first.map(Self.endpoint)
        }
    }

    /// The application's endpoint for a device token, if any.
    public func endpoint(appArn: String, token: String) async throws -> PlatformEndpointRow? {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.endpointColumns) FROM sns_platform_endpoints WHERE app_arn = ? AND token = ? ORDER BY arn LIMIT 1",
                               [.text(appArn), .text(token)]).first.map(Self.endpoint)
        }
    }

    /// Inserts the endpoint unless its application is gone (deleted meanwhile); returns whether it was inserted. The
    /// application row is key-share-locked in the same transaction, so a concurrent DeletePlatformApplication (which locks
    /// it for update) cannot delete the application's endpoints and then miss this one.
    public func insertEndpoint(_ e: PlatformEndpointRow) async throws -> Bool {
        let forKeyShare = lock("KEY SHARE")
        return try await db.transaction { tx in
            let app = try await tx.query("SELECT arn FROM sns_platform_apps WHERE arn = ?\(forKeyShare)", [.text(e.appArn)])
            guard !app.isEmpty else { return false }
            try await tx.execute("INSERT INTO sns_platform_endpoints (\(Self.endpointColumns)) VALUES (?, ?, ?, ?, ?)",
                                 [.text(e.arn), .text(e.appArn), .text(e.token), .int(e.createdAtMillis), .text(e.doc)])
            return true
        }
    }

    /// Replaces the endpoint's token and document; false when it no longer exists.
    public func updateEndpoint(_ e: PlatformEndpointRow) async throws -> Bool {
        try await db.transaction { tx in
            guard !(try await tx.query("SELECT arn FROM sns_platform_endpoints WHERE arn = ?", [.text(e.arn)])).isEmpty else { return false }
            try await tx.execute("UPDATE sns_platform_endpoints SET token = ?, doc = ? WHERE arn = ?", [.text(e.token), .text(e.doc), .text(e.arn)])
            return true
        }
    }

    /// Deletes the endpoint; returns whether it existed.
    public func deleteEndpoint(arn: String) async throws -> Bool {
        try await db.transaction { tx in
            let found = try await tx.query("SELECT arn FROM sns_platform_endpoints WHERE arn = ?", [.text(arn)])
            try await tx.execute("DELETE FROM sns_platform_endpoints WHERE arn = ?", [.text(arn)])
            return !found.isEmpty
        }
    }

    /// A page of an application's endpoints, by ARN, after `after`.
    public func endpoints(appArn: String, after: String?, limit: Int) async throws -> [PlatformEndpointRow] {
        try await db.read { tx in
            try await tx.query("""
                SELECT \(Self.endpointColumns) FROM sns_platform_endpoints WHERE app_arn = ? AND arn > ? ORDER BY arn LIMIT ?
                """, [.text(appArn), .text(after ?? ""), .int(Int64(limit))]).map(Self.endpoint)
        }
    }
}
