// A KMS key's metadata as Warden stores it (a JSON document beside the sealed material), and its metadata view.
import Foundation
import WardenAPI
import WardenCore

/// Everything about a key except its material. Stored as JSON; the field names are Warden's, not AWS's.
struct KeyRecord: Codable, Sendable, Equatable {
    struct Tag: Codable, Sendable, Equatable {
        var key: String
        var value: String
    }

    struct Rotation: Codable, Sendable, Equatable {
        var enabled: Bool
        var periodDays: Int
        var nextRotation: Double?
    }

    /// One generation of key material, oldest first. Rotation appends; nothing is removed while the key lives.
    struct Material: Codable, Sendable, Equatable {
        var id: String
        var createdAt: Double
        /// AUTOMATIC or ON_DEMAND for material a rotation made; nil for the key's first material.
        var rotationType: String?
        /// Imported material (EXTERNAL keys) imported as NEW_KEY_MATERIAL and waiting for RotateKeyOnDemand
        /// (KeyMaterialState PENDING_ROTATION). Nil otherwise; records written before this field decode as nil.
        var pendingRotation: Bool? = nil
        /// Imported material whose bytes were deleted (DeleteImportedKeyMaterial) or expired: the generation stays
        /// listed (ImportState PENDING_IMPORT) so the same material can be imported again.
        var deleted: Bool? = nil
        /// What ImportKeyMaterial said about this generation.
        var expirationModel: String? = nil
        var validTo: Double? = nil
        var description: String? = nil

        /// Its bytes are stored and usable.
        var present: Bool { deleted != true }
    }

    var keyId: String
    var account: String
    var region: String
    var partition: String
    var createdAt: Double
    var description: String
    var keySpec: String
    var keyUsage: String
    var origin: String
    var keyManager: String
    var state: String
    var deletionDate: Double?
    var pendingWindowDays: Int?
    var multiRegion: Bool
    var policy: String
    var tags: [Tag]
    var rotation: Rotation?
    var materials: [Material]
    var currentMaterialId: String?
    /// RotateKeyOnDemand calls so far (KMS allows 25 per key).
    var onDemandRotations: Int?
    /// Imported material: when it expires, and the expiration model.
    var validTo: Double?
    var expirationModel: String?
    /// The id of the material once imported (a digest of it): a re-import must bring the same material.
    var importedMaterialId: String?
    /// Multi-Region keys: the primary's region and every replica region, the same in each region's record.
    var primaryRegion: String?
    var replicaRegions: [String]?

    var arn: String { arn(in: region) }
    func arn(in r: String) -> String { "arn:\(partition):kms:\(r):\(account):key/\(keyId)" }
    var isPrimary: Bool { !multiRegion || primaryRegion == nil || primaryRegion == region }
    /// Every region holding this key (the primary first).
    var regions: [String] { multiRegion ? [primaryRegion ?? region] + (replicaRegions ?? []) : [region] }
    var enabled: Bool { state == KMS.KeyState.enabled.rawValue }
    /// Whether the current generation's material is in the key (always, unless imported material was deleted or expired).
    var hasCurrentMaterial: Bool {
        guard let id = currentMaterialId else { return false }
        return materials.contains { $0.id == id && $0.present }
    }

    /// When the background job must next look at this key: end of the deletion window, the next automatic rotation
    /// (primary region, enabled keys), or the expiry of imported material.
    var dueAt: Double? {
        switch state {
        case KMS.KeyState.pendingDeletion.rawValue:
            return deletionDate
        case KMS.KeyState.pendingReplicaDeletion.rawValue:
            // Waits until the last replica is gone; deleting a replica rewrites this record.
            return (replicaRegions ?? []).isEmpty ? deletionDate : nil
        case KMS.KeyState.pendingImport.rawValue:
            return nil
        default:
            var times: [Double] = []
            if let r = rotation, r.enabled, let next = r.nextRotation, state == KMS.KeyState.enabled.rawValue, isPrimary {
                times.append(next)
            }
            if let validTo { times.append(validTo) }
            return times.min()
        }
    }

    /// Whether KeyMetadata carries CurrentKeyMaterialId. AWS documents it for symmetric encryption keys only —
    /// with AWS_KMS origin, or with EXTERNAL origin in a single Region — so never for RSA, ECC or HMAC keys, nor
    /// for multi-Region EXTERNAL keys. Replicas leave it out too (the keys that rotate are the primaries; AWS's
    /// replica shape with this member is not recorded, so this follows the documented rotation rule).
    var listsCurrentMaterial: Bool {
        guard keySpec == KMS.KeySpec.symmetricDefault.rawValue, keyUsage == KMS.KeyUsageType.encryptDecrypt.rawValue else { return false }
        switch origin {
        case KMS.OriginType.awsKms.rawValue: return isPrimary
        case KMS.OriginType.external.rawValue: return !multiRegion
        default: return false
        }
    }

    func encoded() throws -> String {
        let data = try JSONEncoder().encode(self)
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ doc: String) throws -> KeyRecord {
        try JSONDecoder().decode(KeyRecord.self, from: Data(doc.utf8))
    }
}

extension KeyRecord {
    /// The key's `KeyMetadata` as DescribeKey and CreateKey answer it.
    var metadata: KMS.KeyMetadata {
        let spec = KeySpecInfo(keySpec)
        var m = KMS.KeyMetadata(keyId: keyId)
        m.awsAccountId = account
        m.arn = arn
        m.creationDate = Date(timeIntervalSince1970: createdAt)
        m.enabled = enabled
        m.description = description
        m.keyUsage = KMS.KeyUsageType(rawValue: keyUsage)
        m.keyState = KMS.KeyState(rawValue: state)
        m.deletionDate = deletionDate.map { Date(timeIntervalSince1970: $0) }
        m.origin = KMS.OriginType(rawValue: origin)
        m.keyManager = KMS.KeyManagerType(rawValue: keyManager)
        m.customerMasterKeySpec = KMS.CustomerMasterKeySpec(rawValue: keySpec)
        m.keySpec = KMS.KeySpec(rawValue: keySpec)
        let usage = KMS.KeyUsageType(rawValue: keyUsage)
        switch usage {
        case .encryptDecrypt: m.encryptionAlgorithms = spec?.encryptionAlgorithms
        case .signVerify: m.signingAlgorithms = spec?.signingAlgorithms
        case .generateVerifyMac: m.macAlgorithms = spec?.macAlgorithms
        case .keyAgreement: m.keyAgreementAlgorithms = [.ecdh]
        default: break
        }
        m.multiRegion = multiRegion
        if multiRegion {
            let primary = primaryRegion ?? region
            m.multiRegionConfiguration = KMS.MultiRegionConfiguration(
                multiRegionKeyType: isPrimary ? .primary : KMS.MultiRegionKeyType(rawValue: "REPLICA"),
                primaryKey: KMS.MultiRegionKey(arn: arn(in: primary), region: primary),
                replicaKeys: (replicaRegions ?? []).map { KMS.MultiRegionKey(arn: arn(in: $0), region: $0) })
        }
        // "present only when the KeyState of the KMS key is PendingReplicaDeletion" (KMS API reference, KeyMetadata):
        // a key pending its own deletion shows only its DeletionDate.
        if state == KMS.KeyState.pendingReplicaDeletion.rawValue {
            m.pendingDeletionWindowInDays = pendingWindowDays
        }
        // ExpirationModel (and ValidTo) describe imported material in use: absent before the first import and again
        // once the material is deleted or expired (recorded: describe-key-before-import, -after-deleted-import).
        if origin == KMS.OriginType.external.rawValue, hasCurrentMaterial {
            m.expirationModel = expirationModel.map { KMS.ExpirationModelType(rawValue: $0) }
            m.validTo = validTo.map { Date(timeIntervalSince1970: $0) }
        }
        // Before the first import and after the imported material is deleted there is no current material to name.
        m.currentKeyMaterialId = listsCurrentMaterial && hasCurrentMaterial ? currentMaterialId : nil
        return m
    }
}
