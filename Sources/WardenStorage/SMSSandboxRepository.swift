// SNS SMS sandbox: the destination phone numbers of each account and region, and the operator's sandbox settings.

/// One destination phone number in an account's SMS sandbox.
public struct SandboxNumberRow: Sendable, Equatable {
    public var account: String
    public var region: String
    public var phone: String
    /// "Pending" or "Verified".
    public var status: String
    public var language: String
    /// The sealed one-time password (salt and digest); nil once verified.
    public var code: [UInt8]?
    public var codeExpiresMillis: Int64?
    public var failedAttempts: Int64
    /// When codes were sent, oldest first (the last 24 hours).
    public var sentMillis: [Int64]
    /// The verification or the last verification attempt.
    public var touchedMillis: Int64
    public var createdAtMillis: Int64

    public init(account: String, region: String, phone: String, status: String, language: String, code: [UInt8]?,
                codeExpiresMillis: Int64?, failedAttempts: Int64, sentMillis: [Int64], touchedMillis: Int64, createdAtMillis: Int64) {
        self.account = account
        self.region = region
        self.phone = phone
        self.status = status
        self.language = language
        self.code = code
        self.codeExpiresMillis = codeExpiresMillis
        self.failedAttempts = failedAttempts
        self.sentMillis = sentMillis
        self.touchedMillis = touchedMillis
        self.createdAtMillis = createdAtMillis
    }
}

public struct SMSSandboxRepository: Sendable {
    public let db: any SQLDatabase
    public let sealer: Sealer

    public init(db: any SQLDatabase, sealer: Sealer) {
        self.db = db
        self.sealer = sealer
    }

    /// The `warden_settings` row that puts accounts in the SMS sandbox: "true" (every account), a comma-separated list
    /// of account ids, or absent/"false" (none).
    public static let sandboxSetting = "sns.sms_sandbox"
    /// The `warden_settings` row listing origination numbers ListOriginationNumbers shows (a JSON array).
    public static let originationNumbersSetting = "sns.origination_numbers"

    static let columns = "account_id, region, phone, status, language, code, code_expires_ms, failed_attempts, sent_ms, touched_ms, created_at_ms"

    static func row(_ r: SQLRow) -> SandboxNumberRow {
        let sent = (r[8].text ?? "").split(separator: ",").compactMap { Int64($0) }
        return SandboxNumberRow(account: r[0].text ?? "", region: r[1].text ?? "", phone: r[2].text ?? "", status: r[3].text ?? "",
                                language: r[4].text ?? "", code: r[5].blob, codeExpiresMillis: r[6].int, failedAttempts: r[7].int ?? 0,
                                sentMillis: sent, touchedMillis: r[9].int ?? 0, createdAtMillis: r[10].int ?? 0)
    }

    /// What the code is sealed with: the number's identity, so a code copied to another row does not open.
    public static func codeContext(account: String, region: String, phone: String) -> SealContext {
        SealContext(table: "sns_sms_sandbox", id: "\(account)/\(region)/\(phone)")
    }

    public func setting(_ name: String) async throws -> String? {
        try await SettingsRepository(db: db).get(name)
    }

    public func number(account: String, region: String, phone: String) async throws -> SandboxNumberRow? {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.columns) FROM sns_sms_sandbox WHERE account_id = ? AND region = ? AND phone = ?",
                               [.text(account), .text(region), .text(phone)]).first.map(Self.row)
        }
    }

    /// Numbers in phone order after `after`, at most `limit`.
    public func numbers(account: String, region: String, after: String?, limit: Int) async throws -> [SandboxNumberRow] {
        try await db.read { tx in
            var sql = "SELECT \(Self.columns) FROM sns_sms_sandbox WHERE account_id = ? AND region = ?"
            var binds: [SQLValue] = [.text(account), .text(region)]
            if let after {
                sql += " AND phone > ?"
                binds.append(.text(after))
            }
            return try await tx.query(sql + " ORDER BY phone LIMIT ?", binds + [.int(Int64(limit))]).map(Self.row)
        }
    }

    public func count(account: String, region: String) async throws -> Int {
        try await db.read { tx in
            Int(try await tx.query("SELECT COUNT(*) FROM sns_sms_sandbox WHERE account_id = ? AND region = ?",
                                   [.text(account), .text(region)]).first?[0].int ?? 0)
        }
    }

    /// Inserts or replaces the number's row; `otp`, the text carrying a new code, is queued in SNS's outbox in the same
    /// transaction (its body sealed like every outbox body), so a code is never stored without being sent, or sent
    /// without being stored.
    public func save(_ n: SandboxNumberRow, otp: DeliveryItem? = nil, dueAtMillis: Int64 = 0) async throws {
        let sealed = try otp.map { [try sealer.seal($0.body, context: TopicRepository.sealContext($0.subscriptionArn, $0.doc))] } ?? []
        let binds: [SQLValue] = [.text(n.status), .text(n.language), n.code.map { .blob($0) } ?? .null, SQLValue(n.codeExpiresMillis),
                                 .int(n.failedAttempts), .text(n.sentMillis.map(String.init).joined(separator: ",")),
                                 .int(n.touchedMillis), .int(n.createdAtMillis)]
        let key: [SQLValue] = [.text(n.account), .text(n.region), .text(n.phone)]
        try await db.transaction { tx in
            try await tx.execute("""
                INSERT INTO sns_sms_sandbox (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (account_id, region, phone) DO UPDATE SET status = excluded.status, language = excluded.language,
                    code = excluded.code, code_expires_ms = excluded.code_expires_ms, failed_attempts = excluded.failed_attempts,
                    sent_ms = excluded.sent_ms, touched_ms = excluded.touched_ms, created_at_ms = excluded.created_at_ms
                """, key + binds)
            if let otp { try await TopicRepository.insert([otp], sealed: sealed, dueAtMillis: dueAtMillis, tx) }
        }
    }

    public func delete(account: String, region: String, phone: String) async throws {
        try await db.transaction { tx in
            try await tx.execute("DELETE FROM sns_sms_sandbox WHERE account_id = ? AND region = ? AND phone = ?",
                                 [.text(account), .text(region), .text(phone)])
        }
    }
}
