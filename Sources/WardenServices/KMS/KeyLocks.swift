// Per-key mutual exclusion for read-modify-write changes to a key (tags, state, rotation, …), so two concurrent
// changes to one key cannot lose either. In-process: several nodes on one PostgreSQL will need row locks instead.
import Synchronization
import WardenCore

final class KeyLocks: Sendable {
    /// Held keys, each with the callers waiting for it in arrival order.
    private let held = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    func lock(_ key: String) async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let acquired = held.withLock { h -> Bool in
                if h[key] == nil {
                    h[key] = []
                    return true
                }
                h[key, default: []].append(waiter)
                return false
            }
            if acquired { waiter.resume() }
        }
    }

    func unlock(_ key: String) {
        let next = held.withLock { h -> CheckedContinuation<Void, Never>? in
            guard var waiters = h[key], !waiters.isEmpty else {
                h[key] = nil
                return nil
            }
            let first = waiters.removeFirst()
            h[key] = waiters
            return first
        }
        next?.resume()
    }
}

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
