// Per-key mutual exclusion for read-modify-write changes to a key (tags, state, rotation, grants, …), so two
// concurrent changes to one key cannot lose either. The lock is taken in the database (`SQLDatabase.withLock`: a
// PostgreSQL advisory lock), so it holds across every node sharing it; the key is read again from storage under it.
import WardenCore
import WardenStorage

extension KMSService {
    /// One name for every region of a key: a multi-Region key's regions share its id and change together.
    static func lockName(_ account: String, _ keyId: String) -> String { "kms:\(account)/\(keyId)" }

    /// The lock of one alias name in one account and region.
    static func aliasLockName(_ c: RequestContext, _ name: String) -> String { "kms-alias:\(c.account)/\(c.region)/\(name)" }

    /// Resolves `keyId`, takes the key's lock, reads the key again from storage under it (not from this node's cache,
    /// which another node's change may have left stale) and runs `body` with it; the lock is released when `body`
    /// returns or throws.
    func withKeyForUpdate<T: Sendable>(_ keyId: String, _ c: RequestContext, _ body: (LoadedKey) async throws -> T) async throws -> T {
        let first = try await resolve(keyId, c, aliases: false)
        let id = first.record.keyId
        return try await locks.withLock(Self.lockName(c.account, id)) {
            store.dropKey(account: c.account, region: c.region, keyId: id)
            guard let fresh = try await store.key(account: c.account, region: c.region, keyId: id) else {
                throw Self.notFound(c, keyId: id)
            }
            return try await body(fresh)
        }
    }
}
