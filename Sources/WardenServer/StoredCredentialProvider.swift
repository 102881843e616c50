// The source of secrets: the sealed access-key table (long-term keys, as the root or as their IAM users) and, for
// temporary keys, the session token that came with the request. Cached briefly in memory.
import Foundation
import Logging
import Synchronization
import WardenAuth
import WardenCore
import WardenServices
import WardenStorage

final class StoredCredentialProvider: CredentialProvider {
    let keys: AccessKeyRepository
    let iam: IAMRepository?
    let sealer: Sealer
    let logger: Logger
    let ttl: TimeInterval
    private let cache = Mutex<[String: (credential: SigningCredential?, until: Date)]>([:])

    init(keys: AccessKeyRepository, iam: IAMRepository?, sealer: Sealer, logger: Logger, ttl: TimeInterval = 15) {
        self.keys = keys
        self.iam = iam
        self.sealer = sealer
        self.logger = logger
        self.ttl = ttl
    }

    /// Forgets every key (an access key, user or role changed).
    func clear() { cache.withLock { $0.removeAll() } }

    func credential(accessKeyId: String, sessionToken: String?) async throws -> SigningCredential? {
        let now = Date()
        let cacheKey = sessionToken.map { accessKeyId + "|" + $0 } ?? accessKeyId
        if let hit = cache.withLock({ $0[cacheKey] }), hit.until > now { return hit.credential }
        var found: SigningCredential?
        if let sessionToken, accessKeyId.hasPrefix("ASIA") {
            // The token carries the session; one that does not open under our root key was not issued here.
            if let s = SessionToken.open(sessionToken, accessKeyId: accessKeyId, sealer: sealer) {
                found = SigningCredential(accessKeyId: accessKeyId, secretAccessKey: s.secretAccessKey, principal: s.principal,
                                          sessionToken: sessionToken, expiration: s.expiresAt)
            }
        } else {
            let stored: (record: AccessKeyRecord, secret: String)?
            do { stored = try await keys.lookup(accessKeyId) } catch is UnsealError {
                stored = nil  // sealed under another root key: as good as unknown
            }
            if let (record, secret) = stored, let principal = try await principal(of: record) {
                found = SigningCredential(accessKeyId: record.accessKeyId, secretAccessKey: secret, principal: principal)
            }
        }
        cache.withLock { c in
            if c.count > 10_000 { c.removeAll() }
            c[cacheKey] = (found, now.addingTimeInterval(found == nil ? 2 : ttl))
        }
        return found
    }

    /// A key without a user is the account's root; a user's key acts as that user (nil if the user is gone).
    func principal(of record: AccessKeyRecord) async throws -> Principal? {
        // Region only picks the partition of the ARN; the verifier's scope region is applied per request.
        guard let name = record.userName else {
            return Principal.root(account: record.account, partition: .aws, accessKeyId: record.accessKeyId)
        }
        guard let iam, let user = try await iam.user(account: record.account, name: name) else { return nil }
        return Principal(kind: .iamUser, account: record.account, arn: user.arn, userId: user.userId,
                         accessKeyId: record.accessKeyId, userName: name)
    }
}

/// GetAccessKeyLastUsed's facts: when, with which service and in which region a long-term key was last used. Written at
/// most once a minute per key, service and region (an in-memory note says when this node last wrote it; the UPDATE
/// itself also refuses to move the time by less than a minute), so authenticating stays free of writes.
public final class KeyUseRecorder: Sendable {
    let keys: AccessKeyRepository
    let logger: Logger
    private let written = Mutex<[String: Date]>([:])

    public init(keys: AccessKeyRepository, logger: Logger) {
        self.keys = keys
        self.logger = logger
    }

    public func record(accessKeyId: String, service: String, region: String, at now: Date) async {
        let slot = "\(accessKeyId)|\(service)|\(region)"
        let due = written.withLock { w -> Bool in
            if let last = w[slot], now.timeIntervalSince(last) < 60 { return false }
            if w.count > 10_000 { w.removeAll() }
            w[slot] = now
            return true
        }
        guard due else { return }
        do { try await keys.recordUse(accessKeyId, at: now, service: service, region: region) } catch {
            logger.warning("access key last use not recorded", metadata: ["accessKeyId": "\(accessKeyId)", "error": "\(error)"])
        }
    }
}
