// Strict mode's source of secrets: the sealed access-key table, cached briefly in memory.
import Foundation
import Synchronization
import WardenAuth
import WardenCore
import WardenStorage

final class StoredCredentialProvider: CredentialProvider {
    let keys: AccessKeyRepository
    let ttl: TimeInterval
    private let cache = Mutex<[String: (credential: SigningCredential?, until: Date)]>([:])

    init(keys: AccessKeyRepository, ttl: TimeInterval = 15) {
        self.keys = keys
        self.ttl = ttl
    }

    func credential(accessKeyId: String) async throws -> SigningCredential? {
        let now = Date()
        if let hit = cache.withLock({ $0[accessKeyId] }), hit.until > now { return hit.credential }
        var found: SigningCredential?
        let stored: (record: AccessKeyRecord, secret: String)?
        do { stored = try await keys.lookup(accessKeyId) } catch is UnsealError {
            stored = nil  // sealed under another root key: as good as unknown
        }
        if let (record, secret) = stored {
            // Region only picks the partition of the ARN; the verifier's scope region is applied per request.
            let principal = Principal.root(account: record.account, partition: .aws, accessKeyId: record.accessKeyId)
            found = SigningCredential(accessKeyId: record.accessKeyId, secretAccessKey: secret, principal: principal)
        }
        cache.withLock { c in
            if c.count > 10_000 { c.removeAll() }
            c[accessKeyId] = (found, now.addingTimeInterval(found == nil ? 2 : ttl))
        }
        return found
    }
}
