// The background job: destroy keys past their deletion window, rotate keys whose rotation date came, expire imported material.
import Foundation
import WardenAPI
import WardenCore

extension KMSService {
    public struct JobReport: Sendable, Equatable {
        public var deleted = 0
        public var rotated = 0
        public var expired = 0
        public init() {}
    }

    /// What one due key's step did.
    enum DueStep: Sendable { case deleted, expired, rotated }

    /// Does whatever is due now. Idempotent: each step re-reads the key, so a crash or a second node repeating a run
    /// finds nothing left to do for the keys already handled.
    public func runDueWork() async throws -> JobReport {
        var report = JobReport()
        let nowS = now().timeIntervalSince1970
        let due = try await repository.keysDue(nowMillis: Int64(nowS * 1000))
        for k in due {
            // The key's lock, as every change to it takes; the step re-reads the key under it.
            let done = try await locks.withLock(Self.lockName(k.account, k.keyId)) { () async throws -> DueStep? in
                guard let stored = try await repository.key(account: k.account, region: k.region, keyId: k.keyId) else { return nil }
                let r = try KeyRecord.decode(stored.doc)
                switch r.state {
                case KMS.KeyState.pendingDeletion.rawValue, KMS.KeyState.pendingReplicaDeletion.rawValue:
                    guard let d = r.deletionDate, d <= nowS else { return nil }
                    try await destroy(r)
                    return .deleted
                default:
                    if let validTo = r.validTo, validTo <= nowS {
                        try await expireImportedMaterial(r)
                        return .expired
                    } else if let next = r.rotation?.nextRotation, next <= nowS, r.rotation?.enabled == true {
                        try await rotate(r, type: .automatic)
                        return .rotated
                    }
                    return nil
                }
            }
            switch done {
            case .deleted: report.deleted += 1
            case .expired: report.expired += 1
            case .rotated: report.rotated += 1
            case nil: break
            }
        }
        return report
    }

    /// Deletes one region of a key; the other regions of a multi-Region key forget it.
    func destroy(_ r: KeyRecord) async throws {
        var others = try await allRegions(of: r).filter { $0.region != r.region }
        for i in others.indices { others[i].replicaRegions?.removeAll { $0 == r.region } }
        try await repository.deleteKey(account: r.account, region: r.region, keyId: r.keyId)
        if !others.isEmpty { try await save(others) }
        store.invalidate(account: r.account, region: r.region, keyId: r.keyId)
        store.invalidateAliases()
    }

    /// Imported material past its ValidTo is deleted; the key (every region) waits for a new import. The
    /// generations stay listed, marked deleted, so the same material can be imported again. (Each generation's own
    /// ValidTo is not scheduled separately: the key's, which is the current material's, expires them all.)
    func expireImportedMaterial(_ r: KeyRecord) async throws {
        var records = try await allRegions(of: r)
        let ids = r.materials.filter(\.present).map(\.id)
        for i in records.indices {
            for j in records[i].materials.indices { records[i].materials[j].deleted = true }
            records[i].materials.removeAll { $0.pendingRotation == true }
            records[i].validTo = nil
            records[i].expirationModel = nil
            if records[i].state == KMS.KeyState.enabled.rawValue || records[i].state == KMS.KeyState.disabled.rawValue {
                records[i].state = KMS.KeyState.pendingImport.rawValue
            }
        }
        try await save(records, removeMaterial: ids)
    }
}
