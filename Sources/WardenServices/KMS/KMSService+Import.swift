// Imported key material (BYOK): GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial.
import Crypto
import _CryptoExtras
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

/// What an import token carries. The token is these bytes sealed under the root key with the key's identity as
/// associated data, so it needs no table, cannot be read by the client, and fails for any other key.
/// Layout: `validTo (u64 ms) | len u8 | key id | len u8 | algorithm | wrapping key DER`.
struct ImportToken: Sendable {
    var keyId: String
    var algorithm: String
    var wrappingKeyDER: [UInt8]
    var validTo: Double

    var bytes: [UInt8] {
        let ms = UInt64(validTo * 1000)
        let id = Array(keyId.utf8), alg = Array(algorithm.utf8)
        return (0..<8).map { UInt8(truncatingIfNeeded: ms >> (56 - 8 * UInt64($0))) }
            + [UInt8(id.count)] + id + [UInt8(alg.count)] + alg + wrappingKeyDER
    }

    init(keyId: String, algorithm: String, wrappingKeyDER: [UInt8], validTo: Double) {
        self.keyId = keyId
        self.algorithm = algorithm
        self.wrappingKeyDER = wrappingKeyDER
        self.validTo = validTo
    }

    init?(bytes b: [UInt8]) {
        guard b.count > 10 else { return nil }
        let ms = b[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let n = Int(b[8])
        guard b.count > 10 + n else { return nil }
        let m = Int(b[9 + n])
        guard b.count > 10 + n + m,
              let id = String(validating: b[9..<(9 + n)], as: UTF8.self),
              let alg = String(validating: b[(10 + n)..<(10 + n + m)], as: UTF8.self) else { return nil }
        self.init(keyId: id, algorithm: alg, wrappingKeyDER: Array(b[(10 + n + m)...]), validTo: Double(ms) / 1000)
    }
}

extension KMSService {
    static let importTokenLifetime: TimeInterval = 24 * 3600
    static let maxValidToAhead: TimeInterval = 365 * 86400

    static func tokenContext(_ r: KeyRecord) -> SealContext {
        SealContext(table: "kms_import_token", id: "\(r.account)/\(r.keyId)")
    }

    static func requireExternal(_ key: LoadedKey) throws(AWSError) {
        guard key.record.origin == KMS.OriginType.external.rawValue else {
            // Recorded from AWS (GetParametersForImport on an AWS_KMS key): no comma before "which".
            throw KMS.Errors.unsupportedOperationException("\(key.record.arn) origin is \(key.record.origin) which is not valid for this operation.")
        }
        try requireNotPendingDeletion(key)
    }

    func getParametersForImport(_ input: KMS.GetParametersForImportRequest, context c: RequestContext) async throws -> KMS.GetParametersForImportResponse {
        let key = try await resolve(input.keyId, c, aliases: false)
        try Self.requireCustomerManaged(key, c, action: "GetParametersForImport")
        try Self.requireExternal(key)
        let bits: Int
        switch input.wrappingKeySpec {
        case .rsa2048: bits = 2048
        case .rsa3072: bits = 3072
        case .rsa4096: bits = 4096
        default: throw KMS.Errors.unsupportedOperationException("WrappingKeySpec \(input.wrappingKeySpec.rawValue) is not supported in this region.")
        }
        switch input.wrappingAlgorithm {
        case .rsaesOaepSha1, .rsaesOaepSha256, .rsaAesKeyWrapSha1, .rsaAesKeyWrapSha256: break
        default:
            throw Self.validation("WrappingAlgorithm \(input.wrappingAlgorithm.rawValue) is not supported.")
        }
        let wrapping = try _RSA.Encryption.PrivateKey(keySize: .init(bitCount: bits))
        let validTo = now().addingTimeInterval(Self.importTokenLifetime)
        let token = ImportToken(keyId: key.record.keyId, algorithm: input.wrappingAlgorithm.rawValue,
                                wrappingKeyDER: Array(wrapping.derRepresentation), validTo: validTo.timeIntervalSince1970)
        let sealed = try repository.sealer.seal(token.bytes, context: Self.tokenContext(key.record))
        return KMS.GetParametersForImportResponse(keyId: key.record.arn, importToken: sealed,
                                                  publicKey: Array(wrapping.publicKey.derRepresentation), parametersValidTo: validTo)
    }

    /// Opens the two wrapping layers: RSA-OAEP alone, or RSA-OAEP around an AES key that KWP-wrapped the material.
    static func unwrap(_ wrapped: [UInt8], token: ImportToken) -> [UInt8]? {
        guard let key = try? _RSA.Encryption.PrivateKey(derRepresentation: token.wrappingKeyDER) else { return nil }
        let sha1 = token.algorithm.hasSuffix("SHA_1")
        let padding: _RSA.Encryption.Padding = sha1 ? .PKCS1_OAEP : .PKCS1_OAEP_SHA256
        if token.algorithm.hasPrefix("RSAES_OAEP") {
            return (try? key.decrypt(wrapped, padding: padding)).map(Array.init)
        }
        let k = key.publicKey.keySizeInBits / 8
        guard wrapped.count > k, let aes = try? key.decrypt(wrapped[..<k], padding: padding),
              [16, 24, 32].contains(aes.count) else { return nil }
        return KeyWrap.unwrapWithPadding(Array(wrapped[k...]), kek: SymmetricKey(data: aes))
    }

    /// Imported material in Warden's stored form for the key's spec, or nil when it does not fit the spec.
    static func storedForm(_ material: [UInt8], info: KeySpecInfo) -> [UInt8]? {
        switch info.family {
        case .symmetric:
            return material.count == 32 ? material : nil
        case .hmac(let bits):
            return (bits / 8...64).contains(material.count) ? material : nil
        case .rsa(let bits):
            guard let k = try? _RSA.Signing.PrivateKey(derRepresentation: material), k.keySizeInBits == bits else { return nil }
            return Array(k.derRepresentation)
        case .ecc(.p256): return (try? P256.Signing.PrivateKey(derRepresentation: material)).map { Array($0.rawRepresentation) }
        case .ecc(.p384): return (try? P384.Signing.PrivateKey(derRepresentation: material)).map { Array($0.rawRepresentation) }
        case .ecc(.p521): return (try? P521.Signing.PrivateKey(derRepresentation: material)).map { Array($0.rawRepresentation) }
        case .ecc(.secp256k1): return nil
        }
    }

    func importKeyMaterial(_ input: KMS.ImportKeyMaterialRequest, context c: RequestContext) async throws -> KMS.ImportKeyMaterialResponse {
        return try await withKeyForUpdate(input.keyId, c) { key in
            try Self.requireCustomerManaged(key, c, action: "ImportKeyMaterial")
            try Self.requireExternal(key)
            guard let plain = try? repository.sealer.open(input.importToken, context: Self.tokenContext(key.record)),
                  let token = ImportToken(bytes: plain), token.keyId == key.record.keyId else { throw KMS.Errors.invalidImportTokenException("Import token is invalid for this key.") }
            let nowDate = now()
            guard token.validTo > nowDate.timeIntervalSince1970 else {
                throw KMS.Errors.expiredImportTokenException("The import token has expired; call GetParametersForImport again.")
            }
            // With no ExpirationModel AWS assumes KEY_MATERIAL_EXPIRES, so a call with neither member fails for want of
            // ValidTo (recorded, no trailing period).
            let model = input.expirationModel ?? .keyMaterialExpires
            switch model {
            case .keyMaterialExpires:
                guard let v = input.validTo else { throw Self.validation("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES") }
                guard v > nowDate, v.timeIntervalSince(nowDate) <= Self.maxValidToAhead else {
                    throw Self.validation("ValidTo must be in the future and at most 365 days from now.")
                }
            default:
                if input.validTo != nil { throw Self.validation("ValidTo must be omitted when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.") }
            }
            guard let material = Self.unwrap(input.encryptedKeyMaterial, token: token) else {
                throw KMS.Errors.invalidCiphertextException("The wrapped key material could not be decrypted with the import parameters.")
            }
            guard let stored = Self.storedForm(material, info: key.info) else {
                throw KMS.Errors.incorrectKeyMaterialException("The key material does not match the key spec \(key.record.keySpec).")
            }
            // A material's id is a digest of it (bound to the key), so importing the same material again yields the same id.
            let digest = SHA256.hash(data: Array("warden-kms-import:\(key.record.keyId):".utf8) + stored)
            let materialId = Hex.encode(Array(digest))
            var r = key.record
            let validTo = model == .keyMaterialExpires ? input.validTo?.timeIntervalSince1970 : nil
            var generation = KeyRecord.Material(id: materialId, createdAt: nowDate.timeIntervalSince1970, rotationType: nil)
            generation.expirationModel = model.rawValue
            generation.validTo = validTo
            generation.description = input.keyMaterialDescription
            // Every material this key ever held (records from before rotation of imported material name one).
            let known = r.materials.map(\.id) + (r.importedMaterialId.map { [$0] } ?? [])
            // ImportType defaults to NEW_KEY_MATERIAL for a key that never had material, EXISTING_KEY_MATERIAL after.
            let importType: KMS.ImportType = input.importType ?? (known.isEmpty ? KMS.ImportType.newKeyMaterial : KMS.ImportType.existingKeyMaterial)
            if known.isEmpty {
                // The first import: the key's first generation, current at once.
                r.materials = [generation]
                r.currentMaterialId = materialId
                r.importedMaterialId = materialId
            } else if importType == .newKeyMaterial {
                // Since 2025 a symmetric key takes new material for an on-demand rotation: it waits as PENDING_ROTATION
                // and the current material is unchanged until RotateKeyOnDemand. AWS's answers to the refusals below
                // are not recorded: codes and texts are Warden's own choice (UNVERIFIED).
                guard key.info.isSymmetric, !r.multiRegion else {
                    throw KMS.Errors.unsupportedOperationException("\(r.arn) does not support importing new key material: only single-Region symmetric encryption keys rotate imported key material.")
                }
                if input.keyMaterialId != nil {
                    throw Self.validation("KeyMaterialId cannot be specified when ImportType is NEW_KEY_MATERIAL.")
                }
                if r.materials.contains(where: { $0.pendingRotation == true }) {
                    throw KMS.Errors.kmsInvalidStateException("\(r.arn) already has key material pending rotation.")
                }
                guard !known.contains(materialId) else {
                    throw KMS.Errors.incorrectKeyMaterialException("The key material was already imported into this key.")
                }
                generation.pendingRotation = true
                r.materials.append(generation)
            } else {
                // EXISTING_KEY_MATERIAL: the material of one of the key's generations, imported again (after deletion or
                // expiry, or to change its expiration).
                if let given = input.keyMaterialId, given != materialId {
                    throw KMS.Errors.incorrectKeyMaterialException("The key material is not the key material \(given) of this key.")
                }
                guard known.contains(materialId) else {
                    throw KMS.Errors.incorrectKeyMaterialException("The key material is not the same key material that was previously imported into this key.")
                }
                if let i = r.materials.firstIndex(where: { $0.id == materialId }) {
                    generation.createdAt = r.materials[i].createdAt
                    generation.rotationType = r.materials[i].rotationType
                    generation.pendingRotation = r.materials[i].pendingRotation
                    generation.description = input.keyMaterialDescription ?? r.materials[i].description
                    r.materials[i] = generation
                } else {
                    // A record from before generations of imported material were kept: the material was deleted.
                    r.materials = [generation]
                    r.currentMaterialId = materialId
                }
            }
            if r.currentMaterialId == materialId {
                r.expirationModel = model.rawValue
                r.validTo = validTo
                if r.state == KMS.KeyState.pendingImport.rawValue { r.state = KMS.KeyState.enabled.rawValue }
            }
            try await save(r, addMaterial: (materialId, stored))
            return KMS.ImportKeyMaterialResponse(keyId: r.arn, keyMaterialId: materialId)
        }
    }

    func deleteImportedKeyMaterial(_ input: KMS.DeleteImportedKeyMaterialRequest, context c: RequestContext) async throws -> KMS.DeleteImportedKeyMaterialResponse {
        return try await withKeyForUpdate(input.keyId, c) { key in
            try Self.requireCustomerManaged(key, c, action: "DeleteImportedKeyMaterial")
            try Self.requireExternal(key)
            var r = key.record
            // One generation when KeyMaterialId names it, else all of them. The generations stay listed, marked deleted,
            // so their material can be imported again and the key's rotation history survives.
            let target = input.keyMaterialId ?? r.currentMaterialId
            if let m = input.keyMaterialId, !r.materials.contains(where: { $0.id == m }) {
                throw KMS.Errors.notFoundException("Key material \(m) is not found for \(r.arn).")
            }
            var removed: [String] = []
            for i in r.materials.indices where r.materials[i].present && (input.keyMaterialId == nil || r.materials[i].id == input.keyMaterialId) {
                if r.materials[i].pendingRotation == true {
                    // Material that never became current is simply forgotten.
                    removed.append(r.materials[i].id)
                    continue
                }
                r.materials[i].deleted = true
                removed.append(r.materials[i].id)
            }
            r.materials.removeAll { $0.pendingRotation == true && removed.contains($0.id) }
            if !r.hasCurrentMaterial {
                // Without its current material the key waits for an import; ExpirationModel/ValidTo go with the material.
                r.validTo = nil
                r.expirationModel = nil
                if r.state == KMS.KeyState.enabled.rawValue || r.state == KMS.KeyState.disabled.rawValue {
                    r.state = KMS.KeyState.pendingImport.rawValue
                }
            }
            try await save(r, removeMaterial: removed)
            return KMS.DeleteImportedKeyMaterialResponse(keyId: r.arn, keyMaterialId: target)
        }
    }
}
