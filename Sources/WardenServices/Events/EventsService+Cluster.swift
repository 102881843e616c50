// Rule caches across the nodes sharing one database.
import WardenStorage

extension EventsService {
    /// A rule changed through another node is dropped here as soon as its notification arrives (otherwise within the
    /// cache's second).
    public func join(_ bus: ClusterBus) {
        ruleCache.bus.withLock { $0 = bus }
        bus.on("events-rules") { [ruleCache] key in ruleCache.forget(key) }
        bus.onResync { [ruleCache] in ruleCache.dropAll() }
    }
}
