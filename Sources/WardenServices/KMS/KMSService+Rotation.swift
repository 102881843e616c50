// Key rotation: Enable/DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations.
// Rotation adds material and never removes it, so every ciphertext the key ever made still decrypts.
import Foundation
import WardenAPI
import WardenCore

extension KMSService {
    static let maxOnDemandRotations = 25
    static let defaultRotationDays = 365

    /// Rotation is for symmetric keys with KMS-generated material, managed by the customer, in the primary region.
    static func requireRotatable(_ key: LoadedKey) throws(AWSError) {
        let r = key.record
        guard key.info.isSymmetric, r.origin == KMS.OriginType.awsKms.rawValue else {
            throw KMS.Errors.unsupportedOperationException("\(r.arn) does not support key rotation: only symmetric encryption keys with AWS_KMS origin rotate.")
        }
        guard r.isPrimary else {
            throw KMS.Errors.unsupportedOperationException("\(r.arn) is a replica key; rotate its primary key in \(r.primaryRegion ?? "its primary region").")
        }
        switch r.state {
        case KMS.KeyState.enabled.rawValue: return
        case KMS.KeyState.disabled.rawValue: throw KMS.Errors.disabledException("\(r.arn) is disabled.")
        default: throw KMS.Errors.kmsInvalidStateException("\(r.arn) is pending deletion.")
        }
    }

    func enableKeyRotation(_ input: KMS.EnableKeyRotationRequest, context c: RequestContext) async throws -> EmptyShape {
        let key = try await resolveForUpdate(input.keyId, c)
        defer { unlock(key) }
        try Self.requireCustomerManaged(key, c, action: "EnableKeyRotation")
        try Self.requireRotatable(key)
        let days = input.rotationPeriodInDays ?? Self.defaultRotationDays
        var records = try await allRegions(of: key.record)
        let next = now().addingTimeInterval(Double(days) * 86400).timeIntervalSince1970
        for i in records.indices { records[i].rotation = .init(enabled: true, periodDays: days, nextRotation: next) }
        try await save(records)
        return EmptyShape()
    }

    func disableKeyRotation(_ input: KMS.DisableKeyRotationRequest, context c: RequestContext) async throws -> EmptyShape {
        let key = try await resolveForUpdate(input.keyId, c)
        defer { unlock(key) }
        try Self.requireCustomerManaged(key, c, action: "DisableKeyRotation")
        try Self.requireRotatable(key)
        var records = try await allRegions(of: key.record)
        for i in records.indices {
            records[i].rotation = .init(enabled: false, periodDays: records[i].rotation?.periodDays ?? Self.defaultRotationDays, nextRotation: nil)
        }
        try await save(records)
        return EmptyShape()
    }

    func getKeyRotationStatus(_ input: KMS.GetKeyRotationStatusRequest, context c: RequestContext) async throws -> KMS.GetKeyRotationStatusResponse {
        let key = try await resolve(input.keyId, c, aliases: false)
        guard key.info.isSymmetric, key.record.origin == KMS.OriginType.awsKms.rawValue else {
            throw KMS.Errors.unsupportedOperationException("\(key.record.arn) does not support key rotation.")
        }
        try Self.requireNotPendingDeletion(key)
        let rot = key.record.rotation
        let enabled = rot?.enabled ?? false
        return KMS.GetKeyRotationStatusResponse(
            keyRotationEnabled: enabled, keyId: key.record.arn,
            rotationPeriodInDays: enabled ? rot?.periodDays : nil,
            nextRotationDate: enabled ? rot?.nextRotation.map { Date(timeIntervalSince1970: $0) } : nil,
            onDemandRotationStartDate: nil)
    }

    func rotateKeyOnDemand(_ input: KMS.RotateKeyOnDemandRequest, context c: RequestContext) async throws -> KMS.RotateKeyOnDemandResponse {
        let key = try await resolveForUpdate(input.keyId, c)
        defer { unlock(key) }
        try Self.requireCustomerManaged(key, c, action: "RotateKeyOnDemand")
        try Self.requireRotatable(key)
        guard (key.record.onDemandRotations ?? 0) < Self.maxOnDemandRotations else {
            throw KMS.Errors.limitExceededException("\(key.record.arn) has reached the limit of \(Self.maxOnDemandRotations) on-demand rotations.")
        }
        try await rotate(key.record, type: .onDemand)
        return KMS.RotateKeyOnDemandResponse(keyId: key.record.arn)
    }

    /// Adds a new generation of material to every region of the key and makes it current.
    func rotate(_ r: KeyRecord, type: KMS.RotationType) async throws {
        guard let info = KeySpecInfo(r.keySpec) else { throw AWSError.internalFailure() }
        let id = Self.newMaterialId()
        let material = try KeyMaterial.generate(info)
        let at = now()
        var records = try await allRegions(of: r)
        for i in records.indices {
            records[i].materials.append(.init(id: id, createdAt: at.timeIntervalSince1970, rotationType: type.rawValue))
            records[i].currentMaterialId = id
            if type == .onDemand {
                records[i].onDemandRotations = (records[i].onDemandRotations ?? 0) + 1
            } else if let rot = records[i].rotation, rot.enabled {
                // The next automatic rotation is one period after this one.
                records[i].rotation?.nextRotation = at.addingTimeInterval(Double(rot.periodDays) * 86400).timeIntervalSince1970
            }
        }
        try await save(records, addMaterial: (id, material))
    }

    func listKeyRotations(_ input: KMS.ListKeyRotationsRequest, context c: RequestContext) async throws -> KMS.ListKeyRotationsResponse {
        let key = try await resolve(input.keyId, c, aliases: false)
        guard key.info.isSymmetric else {
            throw KMS.Errors.unsupportedOperationException("\(key.record.arn) does not support key rotation.")
        }
        let all = input.includeKeyMaterial?.rawValue == "ALL_KEY_MATERIAL"
        let entries = key.record.materials.filter { all || $0.rotationType != nil }
        let limit = input.limit ?? 100
        let start: Int
        if let m = input.marker {
            guard let i = Int(m), i >= 0, i <= entries.count else {
                throw KMS.Errors.invalidMarkerException("The marker that specifies where pagination should next begin is not valid.")
            }
            start = i
        } else {
            start = 0
        }
        let page = entries[start...].prefix(limit)
        let next = start + page.count
        return KMS.ListKeyRotationsResponse(
            rotations: page.map { m in
                KMS.RotationsListEntry(
                    keyId: key.record.arn, keyMaterialId: m.id,
                    keyMaterialState: KMS.KeyMaterialState(rawValue: m.id == key.record.currentMaterialId ? "CURRENT" : "NON_CURRENT"),
                    rotationDate: m.rotationType == nil ? nil : Date(timeIntervalSince1970: m.createdAt),
                    rotationType: m.rotationType.map { KMS.RotationType(rawValue: $0) })
            },
            nextMarker: next < entries.count ? String(next) : nil, truncated: next < entries.count)
    }
}
