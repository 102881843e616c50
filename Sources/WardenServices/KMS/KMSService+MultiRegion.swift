// Multi-Region keys: ReplicateKey into another region of this server, UpdatePrimaryRegion.
// Every region's record holds the same material (stored once per account and key id), so a ciphertext made in
// one region decrypts in another.
import Foundation
import WardenAPI
import WardenCore

extension KMSService {
    func replicateKey(_ input: KMS.ReplicateKeyRequest, context c: RequestContext) async throws -> KMS.ReplicateKeyResponse {
        return try await withKeyForUpdate(input.keyId, c) { key in
            let primary = key.record
            guard primary.multiRegion else {
                throw KMS.Errors.unsupportedOperationException("\(primary.arn) is not a multi-Region key.")
            }
            // Recorded from AWS (lower-case "multi-region", the replica's own ARN).
            guard primary.isPrimary else {
                throw KMS.Errors.unsupportedOperationException("\(primary.arn) is not a multi-region primary key.")
            }
            try Self.requireCustomerManaged(key, c, action: "ReplicateKey")
            try Self.requireNotPendingDeletion(key)
            guard primary.origin == KMS.OriginType.awsKms.rawValue else {
                throw KMS.Errors.unsupportedOperationException("Replicating multi-Region keys with imported key material is not supported by this server.")
            }
            let target = input.replicaRegion
            guard RegionName.isValid(target), Partition(region: target).rawValue == primary.partition else {
                throw Self.validation("\(target) is not a valid region for this key.")
            }
            guard target != primary.region else {
                throw Self.validation("The replica region must differ from the primary key's region \(primary.region).")
            }
            var records = try await allRegions(of: primary)
            guard !records.contains(where: { $0.region == target }) else {
                throw KMS.Errors.alreadyExistsException("\(primary.arn(in: target)) already exists.")
            }
            let policy = try input.policy.map { p throws(AWSError) in try Self.checkPolicy(p, bypass: input.bypassPolicyLockoutSafetyCheck, c); return p }
                ?? KeyPolicy.defaultPolicy(account: c.account, partition: primary.partition)
            let regions = (primary.replicaRegions ?? []) + [target]
            for i in records.indices { records[i].replicaRegions = regions }
            var replica = primary
            replica.region = target
            replica.createdAt = now().timeIntervalSince1970
            // "The description is not a shared property of multi-Region keys" (KMS API reference, ReplicateKey): a replica
            // gets the one given, or an empty string.
            replica.description = input.description ?? ""
            replica.policy = policy
            replica.tags = try Self.validatedTags(input.tags ?? [], existing: [])
            replica.state = KMS.KeyState.enabled.rawValue
            replica.deletionDate = nil
            replica.pendingWindowDays = nil
            replica.primaryRegion = primary.region
            replica.replicaRegions = regions
            let inserted = try await repository.insertKey(try Self.write(replica), createdAtMillis: Int64(replica.createdAt * 1000),
                                                          materials: [], alsoUpdate: try records.map(Self.write))
            guard inserted else { throw KMS.Errors.alreadyExistsException("\(primary.arn(in: target)) already exists.") }
            for r in records { store.invalidate(account: r.account, region: r.region, keyId: r.keyId) }
            store.invalidate(account: replica.account, region: target, keyId: replica.keyId)
            return KMS.ReplicateKeyResponse(replicaKeyMetadata: replica.metadata, replicaPolicy: policy,
                                            // No ReplicaTags member when none were given (recorded: LocalStack test_replicate_key).
                                            replicaTags: replica.tags.isEmpty ? nil : replica.tags.map { KMS.Tag(tagKey: $0.key, tagValue: $0.value) })
        }
    }

    func updatePrimaryRegion(_ input: KMS.UpdatePrimaryRegionRequest, context c: RequestContext) async throws -> EmptyShape {
        return try await withKeyForUpdate(input.keyId, c) { key in
            let r = key.record
            guard r.multiRegion else { throw KMS.Errors.unsupportedOperationException("\(r.arn) is not a multi-Region key.") }
            guard r.isPrimary else {
                throw KMS.Errors.unsupportedOperationException("\(r.arn) is not a primary key; call UpdatePrimaryRegion in \(r.primaryRegion ?? "its primary region").")
            }
            try Self.requireNotPendingDeletion(key)
            let target = input.primaryRegion
            guard target != r.region else { return EmptyShape() }
            guard (r.replicaRegions ?? []).contains(target) else {
                throw KMS.Errors.notFoundException("Key '\(r.arn(in: target))' does not exist")
            }
            var records = try await allRegions(of: r)
            let replicas = records.map(\.region).filter { $0 != target }
            for i in records.indices {
                records[i].primaryRegion = target
                records[i].replicaRegions = replicas
            }
            try await save(records)
            return EmptyShape()
        }
    }
}
