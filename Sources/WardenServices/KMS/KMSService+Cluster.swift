// Cache invalidation across the nodes sharing one database.
import WardenStorage

extension KMSService {
    /// Sends this node's key and alias changes to the other nodes and applies theirs: a key disabled through one node
    /// is refused by every node as soon as the notification arrives (milliseconds), not when a cache expires.
    public func join(_ bus: ClusterBus) {
        store.bus.withLock { $0 = bus }
        bus.on("kms-key") { [store] key in
            let parts = key.split(separator: "/", maxSplits: 2).map(String.init)
            guard parts.count == 3 else { return }
            store.dropKey(account: parts[0], region: parts[1], keyId: parts[2])
        }
        bus.on("kms-aliases") { [store] _ in store.dropAliases() }
        bus.onResync { [store] in store.clear() }
    }
}
