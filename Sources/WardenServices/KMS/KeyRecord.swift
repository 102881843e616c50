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
        var rotationType: String?
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

    var arn: String { "arn:\(partition):kms:\(region):\(account):key/\(keyId)" }
    var enabled: Bool { state == KMS.KeyState.enabled.rawValue }

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
            m.multiRegionConfiguration = KMS.MultiRegionConfiguration(
                multiRegionKeyType: .primary,
                primaryKey: KMS.MultiRegionKey(arn: arn, region: region),
                replicaKeys: [])
        }
        if state == KMS.KeyState.pendingDeletion.rawValue { m.pendingDeletionWindowInDays = pendingWindowDays }
        if origin == KMS.OriginType.awsKms.rawValue || !materials.isEmpty { m.currentKeyMaterialId = currentMaterialId }
        return m
    }
}
