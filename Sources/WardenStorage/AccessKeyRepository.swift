// Access keys: the id and account in the clear, the secret sealed under the root key.
import Crypto
import Foundation

public struct AccessKeyRecord: Sendable, Equatable {
    public var accessKeyId: String
    public var account: String
    public var userName: String?
    public var status: String
    public var createdAtMillis: Int64
}

/// A stored secret that does not open under this root key (another root key, or a tampered row).
public struct UnsealError: Error, Sendable {
    public let id: String
}

public struct AccessKeyRepository: Sendable {
    public let db: any SQLDatabase
    public let sealer: Sealer

    public init(db: any SQLDatabase, sealer: Sealer) {
        self.db = db
        self.sealer = sealer
    }

    static func context(_ id: String) -> SealContext { SealContext(table: "access_keys", id: id) }

    /// Creates a key pair for `account`; the secret is returned once and stored only sealed.
    public func create(account: String, userName: String? = nil) async throws -> (record: AccessKeyRecord, secret: String) {
        let id = Self.randomAccessKeyId()
        let secret = Self.randomSecret()
        let sealed = try sealer.seal(Array(secret.utf8), context: Self.context(id))
        let record = AccessKeyRecord(accessKeyId: id, account: account, userName: userName, status: "Active",
                                     createdAtMillis: Clock.nowMillis())
        try await db.transaction { tx in
            try await tx.execute(
                "INSERT INTO access_keys (access_key_id, account_id, user_name, status, created_at_ms, secret_sealed) VALUES (?, ?, ?, ?, ?, ?)",
                [.text(id), .text(account), SQLValue(userName), .text("Active"), .int(record.createdAtMillis), .blob(sealed)])
        }
        return (record, secret)
    }

    public func list() async throws -> [AccessKeyRecord] {
        let rows = try await db.read { tx in
            try await tx.query("SELECT access_key_id, account_id, user_name, status, created_at_ms FROM access_keys ORDER BY created_at_ms, access_key_id", [])
        }
        return rows.map { AccessKeyRecord(accessKeyId: $0[0].text ?? "", account: $0[1].text ?? "", userName: $0[2].text,
                                          status: $0[3].text ?? "", createdAtMillis: $0[4].int ?? 0) }
    }

    /// The record and the unsealed secret of an active key.
    public func lookup(_ id: String) async throws -> (record: AccessKeyRecord, secret: String)? {
        let rows = try await db.read { tx in
            try await tx.query("SELECT access_key_id, account_id, user_name, status, created_at_ms, secret_sealed FROM access_keys WHERE access_key_id = ?", [.text(id)])
        }
        guard let r = rows.first, let sealed = r[5].blob else { return nil }
        let record = AccessKeyRecord(accessKeyId: r[0].text ?? "", account: r[1].text ?? "", userName: r[2].text,
                                     status: r[3].text ?? "", createdAtMillis: r[4].int ?? 0)
        guard record.status == "Active" else { return nil }
        let plain: [UInt8]
        do { plain = try sealer.open(sealed, context: Self.context(id)) } catch { throw UnsealError(id: id) }
        let secret = String(decoding: plain, as: UTF8.self)
        return (record, secret)
    }

    @discardableResult
    public func delete(_ id: String) async throws -> Bool {
        try await db.transaction { tx in
            let existed = try await tx.query("SELECT access_key_id FROM access_keys WHERE access_key_id = ?", [.text(id)])
            try await tx.execute("DELETE FROM access_keys WHERE access_key_id = ?", [.text(id)])
            return !existed.isEmpty
        }
    }

    static let keyAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    static let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    static func random(_ alphabet: [Character], count: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(rng.next(upperBound: UInt32(alphabet.count)))] })
    }

    /// `AKIA` + 16 characters, as AWS long-term keys look.
    static func randomAccessKeyId() -> String { "AKIA" + random(keyAlphabet, count: 16) }
    static func randomSecret() -> String { random(secretAlphabet, count: 40) }
}
