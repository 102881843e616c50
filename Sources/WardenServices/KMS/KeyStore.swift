// Keys as the hot path sees them: loaded once from storage, material unsealed and parsed, cached until they change.
import Synchronization
import WardenCore
import WardenStorage

/// A key ready for use: its metadata and every generation of its material, parsed.
struct LoadedKey: Sendable {
    let record: KeyRecord
    let info: KeySpecInfo
    let materials: [String: KeyMaterial]

    /// The material new ciphertexts and signatures use.
    var current: KeyMaterial? { record.currentMaterialId.flatMap { materials[$0] } }
}

/// The in-memory key cache in front of `KMSRepository`. Every state change goes through `invalidate`, after its
/// transaction commits; a generation counter keeps a load that raced with a change from caching stale state.
/// (Several nodes on one PostgreSQL will need the same invalidation through LISTEN/NOTIFY.)
final class KeyStore: Sendable {
    struct Slot: Hashable, Sendable {
        var account: String
        var region: String
        var id: String
    }

    private struct State {
        var keys: [Slot: LoadedKey] = [:]
        var aliases: [Slot: String] = [:]
        var generation: UInt64 = 0
    }

    let repository: KMSRepository
    private let state = Mutex(State())

    init(repository: KMSRepository) {
        self.repository = repository
    }

    func key(account: String, region: String, keyId: String) async throws -> LoadedKey? {
        let slot = Slot(account: account, region: region, id: keyId)
        let (cached, generation) = state.withLock { ($0.keys[slot], $0.generation) }
        if let cached { return cached }
        guard let stored = try await repository.key(account: account, region: region, keyId: keyId) else { return nil }
        let record: KeyRecord
        do { record = try KeyRecord.decode(stored.doc) } catch { throw AWSError.internalFailure("The key could not be loaded.") }
        guard let info = KeySpecInfo(record.keySpec) else { throw AWSError.internalFailure() }
        var materials: [String: KeyMaterial] = [:]
        for (id, raw) in stored.materials { materials[id] = try KeyMaterial(info, raw: raw) }
        let loaded = LoadedKey(record: record, info: info, materials: materials)
        state.withLock { s in
            if s.generation == generation { s.keys[slot] = loaded }
        }
        return loaded
    }

    /// The key id an alias points at, or nil.
    func aliasTarget(account: String, region: String, name: String) async throws -> String? {
        let slot = Slot(account: account, region: region, id: name)
        let (cached, generation) = state.withLock { ($0.aliases[slot], $0.generation) }
        if let cached { return cached }
        guard let row = try await repository.alias(account: account, region: region, name: name) else { return nil }
        state.withLock { s in
            if s.generation == generation { s.aliases[slot] = row.keyId }
        }
        return row.keyId
    }

    /// Other nodes sharing the database hear of every change (set once at start-up; nil on a single node).
    let bus = Mutex<ClusterBus?>(nil)

    func invalidate(account: String, region: String, keyId: String) {
        dropKey(account: account, region: region, keyId: keyId)
        bus.withLock { $0 }?.publish("kms-key", "\(account)/\(region)/\(keyId)")
    }

    func invalidateAliases() {
        dropAliases()
        bus.withLock { $0 }?.publish("kms-aliases")
    }

    /// A change on this node or another: the generation bump stops a load that raced with it from caching what it read.
    func dropKey(account: String, region: String, keyId: String) {
        state.withLock { s in
            s.generation &+= 1
            s.keys[Slot(account: account, region: region, id: keyId)] = nil
        }
    }

    func dropAliases() {
        state.withLock { s in
            s.generation &+= 1
            s.aliases.removeAll()
        }
    }

    /// Forgets everything (dev-mode reset).
    func clear() {
        state.withLock { s in
            s.generation &+= 1
            s.keys.removeAll()
            s.aliases.removeAll()
        }
    }
}
