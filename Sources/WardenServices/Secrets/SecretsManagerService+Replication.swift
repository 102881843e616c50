// Replica secrets: read-only copies of a primary in other regions of the same account, each value encrypted under a
// key of its own region, kept in step with every change to the primary.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension SecretsManagerService {
    static func replicaArn(_ primary: String, region: String) -> String {
        var parts = primary.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count > 3 { parts[3] = region }
        return parts.joined(separator: ":")
    }

    static func regionContext(_ c: RequestContext, _ region: String) -> RequestContext {
        var r = c
        r.region = region
        return r
    }

    func status(_ doc: SecretDoc) -> [SM.ReplicationStatusType]? {
        guard let replicas = doc.replicas, !replicas.isEmpty else { return nil }
        return replicas.map { SM.ReplicationStatusType(region: $0.region, kmsKeyId: $0.kmsKeyId ?? "alias/aws/secretsmanager",
                                                       status: SM.StatusType(rawValue: $0.status), statusMessage: $0.message) }
    }

    /// Copies the primary (metadata, every version, stages) into one replica region; the replica's status. The caller
    /// holds the primary's lock; the replica's is taken inside it (locks nest primary, then replica — never the reverse).
    func copy(_ primary: SecretRow, _ doc: SecretDoc, to replica: ReplicaInfo, force: Bool, _ c: RequestContext) async -> ReplicaInfo {
        var out = replica
        let rc = Self.regionContext(c, replica.region)
        let arn = Self.replicaArn(primary.arn, region: replica.region)
        do {
            try await locks.withLock(arn) {
                if let existing = try await repository.secret(account: primary.account, region: replica.region, name: primary.name),
                   existing.arn != arn, !force {
                    out.status = "Failed"
                    out.message = "Replication failed: Secret name already exists in the destination Region."
                    return
                }
                var versions: [SecretVersionRow] = []
                for v in try await repository.versions(arn: primary.arn) {
                    let plain = try await open(v.value, arn: primary.arn, versionId: v.versionId, c)
                    let sealed = try await seal(plain, arn: arn, versionId: v.versionId, keyId: replica.kmsKeyId, rc)
                    versions.append(SecretVersionRow(versionId: v.versionId, createdAtMillis: v.createdAtMillis, value: sealed, doc: v.doc))
                }
                var rdoc = doc
                rdoc.replicas = nil
                rdoc.primaryRegion = primary.region
                rdoc.kmsKeyId = replica.kmsKeyId
                rdoc.rotation = nil
                try await repository.replaceReplica(SecretRow(arn: arn, account: primary.account, region: replica.region, name: primary.name,
                                                              createdAtMillis: primary.createdAtMillis, doc: rdoc.encoded()), versions: versions)
                out.status = "InSync"
                out.message = "Replication succeeded"
            }
        } catch let e as AWSError {
            out.status = "Failed"
            out.message = "Replication failed: \(e.message)"
        } catch {
            out.status = "Failed"
            out.message = "Replication failed."
        }
        return out
    }

    /// After any change to a primary: every replica is brought up to date, and the statuses recorded (under the
    /// primary's lock; callers that change the primary call this while still holding it).
    func syncReplicas(_ arn: String, _ c: RequestContext) async throws {
        try await locks.withLock(arn) {
            guard var row = try await repository.secret(arn: arn),
                  var doc = try? JSONDecoder().decode(SecretDoc.self, from: Data(row.doc.utf8)), let replicas = doc.replicas, !replicas.isEmpty else { return }
            var updated: [ReplicaInfo] = []
            for r in replicas { updated.append(await copy(row, doc, to: r, force: true, c)) }
            doc.replicas = updated
            row.doc = doc.encoded()
            _ = try await repository.save(row)
        }
    }

    func replicateSecretToRegions(_ input: SM.ReplicateSecretToRegionsRequest, context c: RequestContext) async throws -> SM.ReplicateSecretToRegionsResponse {
        try await withSecret(input.secretId, c) { row, doc in
            var (row, doc) = (row, doc)
            try notDeleted(doc)
            try notReplica(doc)
            var replicas = doc.replicas ?? []
            for r in input.addReplicaRegions {
                guard let region = r.region, RegionName.isValid(region), region != row.region else {
                    throw Self.invalidParameter("Invalid replica region: \(r.region ?? "").")
                }
                guard !replicas.contains(where: { $0.region == region }) else {
                    throw Self.invalidParameter("The secret is already replicated to \(region).")
                }
                let copied = await copy(row, doc, to: ReplicaInfo(region: region, kmsKeyId: r.kmsKeyId, status: "InProgress", message: ""),
                                        force: input.forceOverwriteReplicaSecret == true, c)
                replicas.append(copied)
            }
            doc.replicas = replicas
            row.doc = doc.encoded()
            guard try await repository.save(row) else { throw Self.notFound() }
            return SM.ReplicateSecretToRegionsResponse(arn: row.arn, replicationStatus: status(doc))
        }
    }

    func removeRegionsFromReplication(_ input: SM.RemoveRegionsFromReplicationRequest, context c: RequestContext) async throws -> SM.RemoveRegionsFromReplicationResponse {
        try await withSecret(input.secretId, c) { row, doc in
            var (row, doc) = (row, doc)
            try notReplica(doc)
            var replicas = doc.replicas ?? []
            for region in input.removeReplicaRegions {
                guard replicas.contains(where: { $0.region == region }) else {
                    throw Self.invalidParameter("The secret is not replicated to \(region).")
                }
                let arn = Self.replicaArn(row.arn, region: region)
                try await locks.withLock(arn) {
                    if let replica = try await repository.secret(arn: arn), replica.account == row.account { try await repository.delete(arn: arn) }
                }
                replicas.removeAll { $0.region == region }
            }
            doc.replicas = replicas.isEmpty ? nil : replicas
            row.doc = doc.encoded()
            guard try await repository.save(row) else { throw Self.notFound() }
            return SM.RemoveRegionsFromReplicationResponse(arn: row.arn, replicationStatus: status(doc) ?? [])
        }
    }

    /// Called in the replica's region: the replica becomes a standalone secret, and its primary forgets it. Takes the
    /// primary's lock, then the replica's (the order every replication change uses), and reads both again under them.
    func stopReplicationToReplica(_ input: SM.StopReplicationToReplicaRequest, context c: RequestContext) async throws -> SM.StopReplicationToReplicaResponse {
        let (first, firstDoc) = try await load(input.secretId, c)
        guard let firstPrimary = firstDoc.primaryRegion else {
            throw Self.invalidRequest("The secret is not a replica; StopReplicationToReplica is called in a replica's region.")
        }
        let primaryArn = Self.replicaArn(first.arn, region: firstPrimary)
        return try await locks.withLock(primaryArn) {
            try await locks.withLock(first.arn) {
                guard var row = try await repository.secret(arn: first.arn) else { throw Self.notFound() }
                var doc = try JSONDecoder().decode(SecretDoc.self, from: Data(row.doc.utf8))
                guard doc.primaryRegion == firstPrimary else {
                    throw Self.invalidRequest("The secret is not a replica; StopReplicationToReplica is called in a replica's region.")
                }
                doc.primaryRegion = nil
                row.doc = doc.encoded()
                guard try await repository.save(row) else { throw Self.notFound() }
                if var primary = try await repository.secret(arn: primaryArn),
                   var pdoc = try? JSONDecoder().decode(SecretDoc.self, from: Data(primary.doc.utf8)) {
                    pdoc.replicas?.removeAll { $0.region == row.region }
                    if pdoc.replicas?.isEmpty == true { pdoc.replicas = nil }
                    primary.doc = pdoc.encoded()
                    _ = try await repository.save(primary)
                }
                return SM.StopReplicationToReplicaResponse(arn: row.arn)
            }
        }
    }
}
