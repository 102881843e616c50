// Per-key mutual exclusion for read-modify-write changes to a key (tags, state, rotation, …), so two concurrent
// changes to one key cannot lose either. In-process: several nodes on one PostgreSQL will need row locks instead.
import WardenCore
import WardenStorage

extension KMSService {
    static func lockName(_ account: String, _ keyId: String) -> String { "\(account)/\(keyId)" }

    /// Resolves `keyId`, takes the key's lock and reads the key again under it. The caller must `unlock(key)`
    /// (in a `defer`) when its change is saved.
    func resolveForUpdate(_ keyId: String, _ c: RequestContext) async throws -> LoadedKey {
        let first = try await resolve(keyId, c, aliases: false)
        let name = Self.lockName(c.account, first.record.keyId)
        await locks.lock(name)
        do {
            guard let fresh = try await store.key(account: c.account, region: c.region, keyId: first.record.keyId) else {
                throw Self.notFound(c, keyId: first.record.keyId)
            }
            return fresh
        } catch {
            locks.unlock(name)
            throw error
        }
    }

    func unlock(_ key: LoadedKey) {
        locks.unlock(Self.lockName(key.record.account, key.record.keyId))
    }
}
