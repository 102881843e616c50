// Access keys: the id and account in the clear, the secret sealed under the root key.
import Crypto
import Foundation

public struct AccessKeyRecord: Sendable, Equatable {
    public var accessKeyId: String
    public var account: String
    /// The IAM user owning the key; nil for the account's root keys.
    public var userName: String?
    public var status: String
    public var createdAtMillis: Int64
    /// When, by which service and in which region the key last signed a request (GetAccessKeyLastUsed).
    public var lastUsedMillis: Int64? = nil
    public var lastUsedService: String? = nil
    public var lastUsedRegion: String? = nil
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

    static let columns = "access_key_id, account_id, user_name, status, created_at_ms, last_used_ms, last_used_service, last_used_region"

    static func record(_ r: SQLRow) -> AccessKeyRecord {
        AccessKeyRecord(accessKeyId: r[0].text ?? "", account: r[1].text ?? "", userName: r[2].text, status: r[3].text ?? "",
                        createdAtMillis: r[4].int ?? 0, lastUsedMillis: r[5].int, lastUsedService: r[6].text,
                        lastUsedRegion: r[7].text)
    }

    /// Creates a key pair for `account`; the secret is returned once and stored only sealed.
    public func create(account: String, userName: String? = nil) async throws -> (record: AccessKeyRecord, secret: String) {
        try await db.transaction { tx in try await create(account: account, userName: userName, in: tx) }
    }

    /// Creates a key pair inside the caller's transaction (IAM checks the user and the per-user quota in that same
    /// transaction). `AKIA` keys carry the account in their id, as AWS's do.
    public func create(account: String, userName: String?, prefix: String = "AKIA",
                       in tx: any SQLExecutor) async throws -> (record: AccessKeyRecord, secret: String) {
        let id = Self.randomAccessKeyId(prefix: prefix, account: account)
        let secret = Self.randomSecret()
        let sealed = try sealer.seal(Array(secret.utf8), context: Self.context(id))
        // Whole seconds: IAM reports creation times without fractions.
        let record = AccessKeyRecord(accessKeyId: id, account: account, userName: userName, status: "Active",
                                     createdAtMillis: Clock.nowMillis() / 1000 * 1000)
        try await tx.execute(
            "INSERT INTO access_keys (access_key_id, account_id, user_name, status, created_at_ms, secret_sealed) VALUES (?, ?, ?, ?, ?, ?)",
            [.text(id), .text(account), SQLValue(userName), .text("Active"), .int(record.createdAtMillis), .blob(sealed)])
        return (record, secret)
    }

    public func list() async throws -> [AccessKeyRecord] {
        let rows = try await db.read { tx in
            try await tx.query("SELECT \(Self.columns) FROM access_keys ORDER BY created_at_ms, access_key_id", [])
        }
        return rows.map(Self.record)
    }

    /// The keys of one user (`userName` nil: the account's root keys), Active and Inactive, oldest first.
    public func keys(account: String, userName: String?, in tx: any SQLExecutor) async throws -> [AccessKeyRecord] {
        let owner = userName == nil ? "user_name IS NULL" : "user_name = ?"
        let binds: [SQLValue] = [.text(account)] + (userName.map { [SQLValue.text($0)] } ?? [])
        return try await tx.query(
            "SELECT \(Self.columns) FROM access_keys WHERE account_id = ? AND \(owner) ORDER BY created_at_ms, access_key_id",
            binds).map(Self.record)
    }

    public func keys(account: String, userName: String?) async throws -> [AccessKeyRecord] {
        try await db.read { tx in try await keys(account: account, userName: userName, in: tx) }
    }

    /// A key's record whatever its status (the secret stays sealed).
    public func record(_ id: String) async throws -> AccessKeyRecord? {
        try await db.read { tx in
            try await tx.query("SELECT \(Self.columns) FROM access_keys WHERE access_key_id = ?", [.text(id)]).first.map(Self.record)
        }
    }

    /// The record and the unsealed secret of an active key.
    public func lookup(_ id: String) async throws -> (record: AccessKeyRecord, secret: String)? {
        let rows = try await db.read { tx in
            try await tx.query("SELECT \(Self.columns), secret_sealed FROM access_keys WHERE access_key_id = ?", [.text(id)])
        }
        guard let r = rows.first, let sealed = r[8].blob else { return nil }
        let record = Self.record(r)
        guard record.status == "Active" else { return nil }
        let plain: [UInt8]
        do { plain = try sealer.open(sealed, context: Self.context(id)) } catch { throw UnsealError(id: id) }
        let secret = String(decoding: plain, as: UTF8.self)
        return (record, secret)
    }

    /// Sets a key of `userName` (nil: a root key) Active or Inactive; false when that owner has no such key.
    public func setStatus(account: String, userName: String?, id: String, status: String, in tx: any SQLExecutor) async throws -> Bool {
        guard try await keys(account: account, userName: userName, in: tx).contains(where: { $0.accessKeyId == id }) else { return false }
        try await tx.execute("UPDATE access_keys SET status = ? WHERE access_key_id = ?", [.text(status), .text(id)])
        return true
    }

    /// Deletes a key of `userName` (nil: a root key); false when that owner has no such key.
    public func delete(account: String, userName: String?, id: String, in tx: any SQLExecutor) async throws -> Bool {
        guard try await keys(account: account, userName: userName, in: tx).contains(where: { $0.accessKeyId == id }) else { return false }
        try await tx.execute("DELETE FROM access_keys WHERE access_key_id = ?", [.text(id)])
        return true
    }

    @discardableResult
    public func delete(_ id: String) async throws -> Bool {
        try await db.transaction { tx in
            let existed = try await tx.query("SELECT access_key_id FROM access_keys WHERE access_key_id = ?", [.text(id)])
            try await tx.execute("DELETE FROM access_keys WHERE access_key_id = ?", [.text(id)])
            return !existed.isEmpty
        }
    }

    /// Records that the key signed a request at `date`, for `service` (the signing name, e.g. `iam`) in `region` when
    /// the caller knows them. Writes at most once a minute per key (unless service or region change), so callers may
    /// call it on every request; AWS's own record is approximate too.
    public func recordUse(_ accessKeyId: String, at date: Date, service: String? = nil, region: String? = nil) async throws {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        try await db.transaction { tx in
            if let service, let region {
                try await tx.execute(
                    """
                    UPDATE access_keys SET last_used_ms = ?, last_used_service = ?, last_used_region = ?
                    WHERE access_key_id = ? AND (last_used_ms IS NULL OR last_used_ms < ? OR last_used_service IS NULL
                        OR last_used_service <> ? OR last_used_region IS NULL OR last_used_region <> ?)
                    """,
                    [.int(millis), .text(service), .text(region), .text(accessKeyId), .int(millis - 60_000), .text(service), .text(region)])
            } else {
                try await tx.execute(
                    "UPDATE access_keys SET last_used_ms = ? WHERE access_key_id = ? AND (last_used_ms IS NULL OR last_used_ms < ?)",
                    [.int(millis), .text(accessKeyId), .int(millis - 60_000)])
            }
        }
    }

    static let keyAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    static let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    static func random(_ alphabet: [Character], count: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(rng.next(upperBound: UInt32(alphabet.count)))] })
    }

    /// `AKIA` + 16 characters, as AWS long-term keys look, for no particular account.
    static func randomAccessKeyId() -> String { "AKIA" + random(keyAlphabet, count: 16) }
    public static func randomSecret() -> String { random(secretAlphabet, count: 40) }

    /// A key id as AWS forms them: `prefix` (`AKIA` long-term, `ASIA` temporary) and 16 base32 characters (10 bytes).
    /// The first 6 bytes, read as a big-endian integer, hold the account in bits 46…7 (`& 0x7fffffffff80 >> 7`, the
    /// scheme `sts:GetAccessKeyInfo` reads) with the top bit set as in AWS's ids; the other bits are random.
    public static func randomAccessKeyId(prefix: String, account: String) -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes = (0..<10).map { _ in UInt8.random(in: 0...255, using: &rng) }
        guard account.utf8.count == 12, account.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = UInt64(account) else {
            return prefix + random(keyAlphabet, count: 16)
        }
        let low7 = UInt64(bytes[5] & 0x7f)
        let head: UInt64 = (1 << 47) | (number << 7) | low7
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: head >> (8 * (5 - UInt64(i)))) }
        return prefix + base32(bytes)
    }

    /// The account an access key id names (`AKIA…`/`ASIA…` ids made by AWS's scheme); nil when it is not such an id.
    public static func account(ofAccessKeyId id: String) -> String? {
        let chars = Array(id.utf8)
        guard chars.count == 20 else { return nil }
        var bits: UInt64 = 0
        var count = 0
        var bytes: [UInt8] = []
        for c in chars[4...] {
            let v: UInt64
            switch c {
            case 0x41...0x5A: v = UInt64(c - 0x41)
            case 0x32...0x37: v = UInt64(c - 0x32 + 26)
            default: return nil
            }
            bits = (bits << 5) | v
            count += 5
            if count >= 8 {
                count -= 8
                bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(count)))
                bits &= (1 << UInt64(count)) - 1
            }
        }
        guard bytes.count >= 6 else { return nil }
        let head = bytes[0..<6].reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
        let number = (head & 0x7fff_ffff_ff80) >> 7
        guard number <= 999_999_999_999 else { return nil }
        let digits = String(number)
        return String(repeating: "0", count: 12 - digits.count) + digits
    }

    /// RFC 4648 base32 without padding (10 bytes make exactly 16 characters).
    static func base32(_ bytes: [UInt8]) -> String {
        var out = ""
        var bits: UInt32 = 0
        var count = 0
        for b in bytes {
            bits = (bits << 8) | UInt32(b)
            count += 8
            while count >= 5 {
                count -= 5
                out.append(keyAlphabet[Int((bits >> UInt32(count)) & 31)])
            }
            bits &= (1 << UInt32(count)) - 1
        }
        if count > 0 { out.append(keyAlphabet[Int((bits << UInt32(5 - count)) & 31)]) }
        return out
    }
}
