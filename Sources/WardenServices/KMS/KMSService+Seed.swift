// Seeding (`warden serve --seed FILE`): keys with fixed ids, aliases and, where given, fixed material, created
// idempotently at start-up so a test suite's fixtures and ciphertexts stay valid across fresh servers.
import Crypto
import Foundation
import WardenAPI
import WardenCore

/// A seed file's KMS part, as decoded from YAML.
public struct KMSSeed: Sendable, Decodable {
    public struct Key: Sendable, Decodable {
        public var id: String
        public var spec: String?
        public var usage: String?
        public var description: String?
        public var aliases: [String]?
        /// Base64 of the raw key for symmetric and HMAC keys; PKCS#8 (base64 DER or PEM) for asymmetric keys.
        public var material: String?
        public var region: String?
        public var account: String?
        public var tags: [String: String]?
        public var enabled: Bool?
    }

    public var keys: [Key]
}

public struct SeedError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ d: String) { description = d }
}

extension KMSService {
    /// Creates what the seed names and is not there yet. Returns (created, already present).
    public func seed(_ seed: KMSSeed, account defaultAccount: String, region defaultRegion: String) async throws -> (Int, Int) {
        var created = 0, present = 0
        for k in seed.keys {
            let region = k.region ?? defaultRegion
            let c = RequestContext(requestId: "seed", account: k.account ?? defaultAccount, region: region, principal: nil,
                                   sourceIP: "127.0.0.1", userAgent: "warden-seed", receivedAt: now(), tls: nil)
            if try await seedKey(k, c) { created += 1 } else { present += 1 }
        }
        return (created, present)
    }

    /// Material given in the seed, in Warden's stored form, with its deterministic material id.
    static func seedMaterial(_ text: String, keyId: String, info: KeySpecInfo) throws -> (id: String, stored: [UInt8]) {
        let body = text.contains("-----BEGIN")
            ? text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            : text.filter { !$0.isWhitespace }
        guard let raw = Data(base64Encoded: String(body)), let stored = storedForm(Array(raw), info: info) else {
            throw SeedError("seed key \(keyId): material is not valid base64 \(info.isSymmetric ? "32-byte key" : "key material") for \(info.spec)")
        }
        let digest = SHA256.hash(data: Array("warden-kms-seed:\(keyId):".utf8) + stored)
        return (Hex.encode(Array(digest)), stored)
    }

    private func seedKey(_ k: KMSSeed.Key, _ c: RequestContext) async throws -> Bool {
        guard Self.isKeyIdShaped(k.id), k.id == k.id.lowercased() else {
            throw SeedError("seed key \(k.id): id must be a lowercase UUID or mrk- followed by 32 hex characters")
        }
        let spec = k.spec ?? "SYMMETRIC_DEFAULT"
        guard let info = KeySpecInfo(spec) else { throw SeedError("seed key \(k.id): unsupported spec \(spec)") }
        let usage = k.usage ?? (info.isSymmetric ? "ENCRYPT_DECRYPT" : "")
        guard info.usages.map(\.rawValue).contains(usage) else {
            throw SeedError("seed key \(k.id): usage \(usage.isEmpty ? "(missing)" : usage) is not valid for \(spec)")
        }
        let given = try k.material.map { try Self.seedMaterial($0, keyId: k.id, info: info) }
        var isNew = false
        if let existing = try await store.key(account: c.account, region: c.region, keyId: k.id) {
            if let given, existing.materials[given.id] == nil {
                throw SeedError("seed key \(k.id) already exists in \(c.region) with other key material")
            }
            guard existing.record.keySpec == spec else { throw SeedError("seed key \(k.id) already exists with spec \(existing.record.keySpec)") }
        } else {
            let material = try given ?? (Self.newMaterialId(), KeyMaterial.generate(info))
            let at = now().timeIntervalSince1970
            let multiRegion = k.id.hasPrefix("mrk-")
            let record = KeyRecord(
                keyId: k.id, account: c.account, region: c.region, partition: c.partition.rawValue, createdAt: at,
                description: k.description ?? "", keySpec: spec, keyUsage: usage, origin: KMS.OriginType.awsKms.rawValue,
                keyManager: KMS.KeyManagerType.customer.rawValue,
                state: k.enabled == false ? KMS.KeyState.disabled.rawValue : KMS.KeyState.enabled.rawValue,
                deletionDate: nil, pendingWindowDays: nil, multiRegion: multiRegion,
                policy: KeyPolicy.defaultPolicy(account: c.account, partition: c.partition.rawValue),
                tags: (k.tags ?? [:]).sorted { $0.key < $1.key }.map { .init(key: $0.key, value: $0.value) },
                rotation: nil, materials: [.init(id: material.0, createdAt: at, rotationType: nil)],
                currentMaterialId: material.0, onDemandRotations: nil, validTo: nil, expirationModel: nil,
                importedMaterialId: nil, primaryRegion: multiRegion ? c.region : nil, replicaRegions: multiRegion ? [] : nil)
            isNew = try await repository.insertKey(try Self.write(record), createdAtMillis: Int64(at * 1000),
                                                   materials: [(material.0, material.1)])
            store.invalidate(account: c.account, region: c.region, keyId: k.id)
        }
        for alias in k.aliases ?? [] {
            do { try Self.checkAliasName(alias) } catch { throw SeedError("seed key \(k.id): alias \(alias) is not valid: \(error.message)") }
            if let target = try await store.aliasTarget(account: c.account, region: c.region, name: alias) {
                guard target == k.id else { throw SeedError("seed alias \(alias) already points at \(target)") }
                continue
            }
            _ = try await repository.createAlias(account: c.account, region: c.region, name: alias, keyId: k.id,
                                                 nowMillis: Int64(now().timeIntervalSince1970 * 1000))
            store.invalidateAliases()
        }
        return isNew
    }
}
