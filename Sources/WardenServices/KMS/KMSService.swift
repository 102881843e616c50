// AWS KMS: customer managed keys, envelope encryption, signing, MACs, aliases, policies.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

public struct KMSService: Sendable {
    let store: KeyStore
    let locks: ResourceLocks
    let now: @Sendable () -> Date

    public init(repository: KMSRepository, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = KeyStore(repository: repository)
        self.locks = ResourceLocks(repository.db)
        self.now = now
    }

    var repository: KMSRepository { store.repository }

    /// Forgets every cached key and alias (after a dev-mode reset wiped storage).
    public func clearCache() { store.clear() }
}

// MARK: Finding keys

extension KMSService {
    /// How a `KeyId` parameter names a key.
    enum KeyRef {
        case key(id: String, account: String?, region: String?)
        case alias(name: String, account: String?, region: String?)
    }

    static func parseKeyRef(_ s: String) throws(AWSError) -> KeyRef {
        if s.hasPrefix("alias/") { return .alias(name: s, account: nil, region: nil) }
        if s.hasPrefix("arn:") {
            // arn:partition:kms:region:account:key/id | alias/name
            let parts = s.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[2] == "kms", !parts[3].isEmpty, !parts[4].isEmpty else {
                throw KMS.Errors.invalidArnException("ARN \(s) is not a valid KMS ARN")
            }
            let resource = String(parts[5])
            if resource.hasPrefix("key/") {
                return .key(id: String(resource.dropFirst(4)), account: String(parts[4]), region: String(parts[3]))
            }
            if resource.hasPrefix("alias/") {
                return .alias(name: resource, account: String(parts[4]), region: String(parts[3]))
            }
            throw KMS.Errors.invalidArnException("ARN \(s) is not a valid KMS ARN")
        }
        return .key(id: s, account: nil, region: nil)
    }

    static func keyArn(_ c: RequestContext, _ id: String) -> String { "arn:\(c.partition.rawValue):kms:\(c.region):\(c.account):key/\(id)" }
    static func aliasArn(_ c: RequestContext, _ name: String) -> String { "arn:\(c.partition.rawValue):kms:\(c.region):\(c.account):alias/\(name.dropFirst(6))" }

    static func notFound(_ c: RequestContext, keyId: String) -> AWSError {
        KMS.Errors.notFoundException("Key '\(keyArn(c, keyId))' does not exist")
    }

    /// Resolves `KeyId` to a loaded key of the caller's account and region. `aliases` says whether the operation
    /// accepts alias names and alias ARNs (the crypto operations and DescribeKey do; management operations do not).
    func resolve(_ keyId: String, _ c: RequestContext, aliases: Bool) async throws -> LoadedKey {
        let id: String
        switch try Self.parseKeyRef(keyId) {
        case .key(let k, let account, let region):
            // A key ARN of another region names no key here; AWS answers with just that region (recorded:
            // "Invalid arn ap-southeast-1"). Another account's ARN: AWS's text is not recorded; Warden answers
            // as for a missing key.
            if let region, region != c.region { throw KMS.Errors.notFoundException("Invalid arn \(region)") }
            if let account, account != c.account { throw Self.notFound(c, keyId: k) }
            guard Self.isKeyIdShaped(k) else { throw KMS.Errors.notFoundException("Invalid keyId '\(keyId)'") }
            id = k
        case .alias(let name, let account, let region):
            let arn = Self.aliasArn(c, name)
            guard aliases else { throw KMS.Errors.notFoundException("Invalid keyId '\(keyId)'") }
            // "Alias arn:aws:kms:…:alias/NAME is not found." (quoted from AWS in sigstore/cosign#1474 and
            // cloudposse/docs#152): the alias's ARN, unquoted.
            if (account.map { $0 != c.account } ?? false) || (region.map { $0 != c.region } ?? false) {
                throw KMS.Errors.notFoundException("Alias \(keyId) is not found.")
            }
            guard let target = try await store.aliasTarget(account: c.account, region: c.region, name: name) else {
                throw KMS.Errors.notFoundException("Alias \(arn) is not found.")
            }
            id = target
        }
        guard let key = try await store.key(account: c.account, region: c.region, keyId: id) else {
            throw Self.notFound(c, keyId: id)
        }
        return key
    }

    /// A UUID (any case) or a multi-Region `mrk-` id.
    static func isKeyIdShaped(_ s: String) -> Bool {
        let u = Array(s.utf8)
        func hex(_ c: UInt8) -> Bool { PercentEncoding.hexValue(c) != nil }
        if u.count == 36, s.hasPrefix("mrk-") { return u[4...].allSatisfy(hex) }
        guard u.count == 36 else { return false }
        for (i, c) in u.enumerated() {
            if [8, 13, 18, 23].contains(i) { if c != UInt8(ascii: "-") { return false } } else if !hex(c) { return false }
        }
        return true
    }
}

// MARK: Key state rules

extension KMSService {
    /// Cryptographic operations need an Enabled key (KMS's key-state table).
    static func requireUsable(_ key: LoadedKey) throws(AWSError) {
        guard key.record.state == KMS.KeyState.enabled.rawValue else { throw stateError(key.record) }
    }

    /// The error for an operation a key's state does not allow, as AWS words it: `<arn> is disabled.`
    /// (DisabledException), `<arn> is pending import.` and `<arn> is pending deletion.` (KMSInvalidStateException),
    /// all recorded from AWS. A primary waiting for its replicas' deletion answers like a key pending deletion.
    /// Other states' texts are not recorded (likely `<arn> is <state>.`), so those stay Warden's guess.
    static func stateError(_ r: KeyRecord) -> AWSError {
        switch r.state {
        case KMS.KeyState.disabled.rawValue: return KMS.Errors.disabledException("\(r.arn) is disabled.")
        case KMS.KeyState.pendingImport.rawValue: return KMS.Errors.kmsInvalidStateException("\(r.arn) is pending import.")
        case KMS.KeyState.pendingDeletion.rawValue, KMS.KeyState.pendingReplicaDeletion.rawValue:
            return KMS.Errors.kmsInvalidStateException("\(r.arn) is pending deletion.")
        default: return KMS.Errors.kmsInvalidStateException("\(r.arn) is \(r.state.lowercased()).")
        }
    }

    static func requireNotPendingDeletion(_ key: LoadedKey) throws(AWSError) {
        if key.record.state == KMS.KeyState.pendingDeletion.rawValue || key.record.state == KMS.KeyState.pendingReplicaDeletion.rawValue {
            throw KMS.Errors.kmsInvalidStateException("\(key.record.arn) is pending deletion.")
        }
    }

    static func requireUsage(_ key: LoadedKey, _ usage: KMS.KeyUsageType, operation: String) throws(AWSError) {
        guard key.record.keyUsage == usage.rawValue else {
            throw KMS.Errors.invalidKeyUsageException(
                "\(key.record.arn) key usage is \(key.record.keyUsage) which is not valid for \(operation).")
        }
    }

    /// AWS managed keys belong to AWS: their key policy lets the account read and use them, never change them,
    /// so KMS answers a change with AccessDeniedException.
    static func requireCustomerManaged(_ key: LoadedKey, _ c: RequestContext, action: String) throws(AWSError) {
        if key.record.keyManager == KMS.KeyManagerType.aws.rawValue {
            let who = c.principal?.arn ?? "arn:\(c.partition.rawValue):iam::\(c.account):root"
            throw AWSError(code: "AccessDeniedException", status: 400, message:
                "User: \(who) is not authorized to perform: kms:\(action) on resource: \(key.record.arn) because no resource-based policy allows the kms:\(action) action")
        }
    }

    static func write(_ r: KeyRecord) throws -> KMSKeyWrite {
        KMSKeyWrite(account: r.account, region: r.region, keyId: r.keyId, state: r.state,
                    dueAtMillis: r.dueAt.map { Int64(($0 * 1000).rounded(.up)) }, doc: try r.encoded())
    }

    /// Writes changed records (one, or every region of a multi-Region key) in one transaction and drops the cached copies.
    func save(_ records: [KeyRecord], addMaterial: (id: String, plain: [UInt8])? = nil, removeMaterial: [String] = []) async throws {
        try await repository.updateKey(try records.map(Self.write), addMaterial: addMaterial, removeMaterial: removeMaterial)
        for r in records { store.invalidate(account: r.account, region: r.region, keyId: r.keyId) }
    }

    func save(_ r: KeyRecord, addMaterial: (id: String, plain: [UInt8])? = nil, removeMaterial: [String] = []) async throws {
        try await save([r], addMaterial: addMaterial, removeMaterial: removeMaterial)
    }

    /// A plain edit of one region's record under the key's lock: checks the key is customer managed (and, unless
    /// allowed, not pending deletion), applies `change`, saves.
    func updateRecord(_ keyId: String, _ c: RequestContext, action: String, whilePendingDeletion: Bool = false,
                      _ change: (inout KeyRecord) throws -> Void) async throws {
        try await withKeyForUpdate(keyId, c) { key in
            try Self.requireCustomerManaged(key, c, action: action)
            if !whilePendingDeletion { try Self.requireNotPendingDeletion(key) }
            var r = key.record
            try change(&r)
            try await save(r)
        }
    }

    /// A key ready for a cryptographic operation: Enabled, of `usage`, its algorithm allowed, with current material.
    func usableKey(_ keyId: String, _ c: RequestContext, aliases: Bool, usage: KMS.KeyUsageType, operation: String,
                   algorithm: String, allowed: (LoadedKey) -> Bool) async throws -> (key: LoadedKey, material: KeyMaterial) {
        let key = try await resolve(keyId, c, aliases: aliases)
        try Self.requireUsable(key)
        try Self.requireUsage(key, usage, operation: operation)
        guard allowed(key) else {
            throw KMS.Errors.invalidKeyUsageException("Algorithm \(algorithm) is incompatible with key spec \(key.record.keySpec).")
        }
        guard let material = key.current else { throw AWSError.internalFailure() }
        return (key, material)
    }

    /// The records of every region of a key (just `key` unless it is multi-Region), read fresh from storage.
    func allRegions(of key: KeyRecord) async throws -> [KeyRecord] {
        guard key.multiRegion else { return [key] }
        var out: [KeyRecord] = []
        for region in key.regions {
            if region == key.region { out.append(key); continue }
            guard let stored = try await repository.key(account: key.account, region: region, keyId: key.keyId) else { continue }
            out.append(try KeyRecord.decode(stored.doc))
        }
        return out
    }

    static func dryRun(_ flag: Bool?) throws(AWSError) {
        if flag == true { throw KMS.Errors.dryRunOperationException("The request would have succeeded, but the DryRun option is set.") }
    }
}
