// Running as one of several nodes on one PostgreSQL: leases for singleton jobs, signals between nodes, and the
// lock that keeps a second process off a SQLite data directory.
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import WardenStorage
import WardenStoragePostgres

/// Holds the leases of this node's singleton jobs. Every node runs one; each lease is held by at most one node at a
/// time (the database decides), renewed every third of its lifetime, and released at once on graceful shutdown so
/// another node takes over without waiting for expiry. Free leases are tried every second, and at once when another
/// node announces a release.
public final class LeaseManager: Service, Sendable {
    public let holder: String
    let repository: LeaseRepository
    let names: [String]
    let ttl: Duration
    let logger: Logger
    let bus: ClusterBus
    private let held = Mutex<[String: Int64]>([:])
    private let doorbell: AsyncStream<Void>.Continuation
    private let rings: AsyncStream<Void>
    private let takeovers: Metrics.Counter
    private let gauges: [String: Metrics.Gauge]

    init(holder: String, repository: LeaseRepository, names: [String], ttl: Duration, bus: ClusterBus, metrics: RequestMetrics,
         logger: Logger) {
        self.holder = holder
        self.repository = repository
        self.names = names
        self.ttl = ttl
        self.bus = bus
        self.logger = logger
        (rings, doorbell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        takeovers = Metrics.Counter(label: "warden_lease_takeovers_total", factory: metrics.factory)
        var g: [String: Metrics.Gauge] = [:]
        for n in names { g[n] = Metrics.Gauge(label: "warden_lease_held", dimensions: [("lease", n)], factory: metrics.factory) }
        gauges = g
        bus.on("lease-released") { [doorbell] _ in doorbell.yield() }
    }

    /// The fence for `name` while this node holds it.
    public func fence(_ name: String) -> LeaseFence? {
        held.withLock { $0[name] }.map { LeaseFence(name: name, holder: holder, token: $0) }
    }

    /// Names of the leases held now, sorted.
    public var heldNames: [String] { held.withLock { $0.keys.sorted() } }

    var ttlMillis: Int64 { ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000 }

    /// One round: renew what is held (when due), try what is free.
    func round(renew: Bool) async {
        for name in names {
            let token = held.withLock { $0[name] }
            do {
                if let token {
                    guard renew else { continue }
                    switch try await repository.renew(name, holder: holder, token: token, ttlMillis: ttlMillis) {
                    case .renewed: break
                    case .busy: logger.debug("lease renewal deferred: a job step holds it", metadata: ["lease": "\(name)"])
                    case .lost:
                        drop(name, token)
                        logger.warning("lease lost", metadata: ["lease": "\(name)"])
                    }
                } else if let token = try await repository.acquire(name, holder: holder, ttlMillis: ttlMillis) {
                    held.withLock { $0[name] = token }
                    gauges[name]?.record(1)
                    if token > 1 { takeovers.increment() }
                    logger.info("lease acquired", metadata: ["lease": "\(name)", "token": "\(token)"])
                }
            } catch {
                // A renewal that cannot reach the database does not extend the lease: stop relying on it before it
                // may have expired (the fenced transactions would refuse anyway).
                if let token { drop(name, token) }
                logger.error("lease round failed", metadata: ["lease": "\(name)", "error": "\(error)"])
            }
        }
    }

    private func drop(_ name: String, _ token: Int64) {
        held.withLock { if $0[name] == token { $0[name] = nil } }
        gauges[name]?.record(0)
    }

    public func run() async throws {
        let renewEvery = ttl / 3
        var lastRenew = ContinuousClock.now
        await round(renew: true)
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                // Ticks: once a second, and whenever another node releases a lease.
                let (ticks, tick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
                // A release announced by another node rings at once; shutdown finishes the doorbell, which ends the loop.
                group.addTask { [rings] in
                    for await _ in rings { tick.yield() }
                    tick.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: .seconds(1)) } catch { break }
                        tick.yield()
                    }
                    tick.finish()
                }
                for await _ in ticks {
                    if Task.isCancelled || Task.isShuttingDownGracefully { break }
                    let due = ContinuousClock.now - lastRenew >= renewEvery
                    if due { lastRenew = .now }
                    await round(renew: due)
                }
                group.cancelAll()
            }
        } onGracefulShutdown: { [doorbell] in
            doorbell.finish()
        }
        await releaseAll()
    }

    /// Gives every lease up and tells the other nodes, which take them within a round trip.
    func releaseAll() async {
        let all = held.withLock { h in defer { h.removeAll() }; return h }
        for (name, token) in all {
            gauges[name]?.record(0)
            do { try await repository.release(name, holder: holder, token: token) } catch {
                logger.error("lease release failed", metadata: ["lease": "\(name)", "error": "\(error)"])
            }
        }
        if !all.isEmpty {
            bus.publish("lease-released")
            logger.info("leases released", metadata: ["count": "\(all.count)"])
        }
    }
}

/// Carries the cluster bus over PostgreSQL: NOTIFY for this node's messages, LISTEN for the others'. The listening
/// session reconnects when it breaks, and caches are dropped then (messages sent meanwhile were not heard).
final class ClusterSignalService: Service, Sendable {
    static let channel = "warden"
    let database: PostgresDatabase
    let bus: ClusterBus
    let logger: Logger
    let latency: Metrics.Timer

    init(database: PostgresDatabase, bus: ClusterBus, metrics: RequestMetrics, logger: Logger) {
        self.database = database
        self.bus = bus
        self.logger = logger
        self.latency = Metrics.Timer(label: "warden_cluster_signal_latency_seconds", factory: metrics.factory)
        bus.observeLatency { [latency] ms in latency.recordNanoseconds(Int64(ms * 1_000_000)) }
    }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.send() }
            group.addTask { await self.listen() }
            await group.next()
            group.cancelAll()
        }
    }

    private func send() async {
        await cancelOnGracefulShutdownQuietly {
            for await _ in self.bus.rings {
                await self.flush()
            }
        }
        // Shutdown: what was published last (the leases' release) still goes out.
        await flush()
    }

    /// Sends what is pending; a batch that fails goes back to the front of the queue and is tried again (a lost
    /// invalidation would leave another node's cache stale), with a pause so a down database is not hammered.
    private func flush() async {
        let messages = bus.takePending()
        guard !messages.isEmpty else { return }
        do {
            try await database.notify(channel: Self.channel, payloads: messages)
        } catch {
            logger.error("cluster signals not sent; retrying", metadata: ["count": "\(messages.count)", "error": "\(error)"])
            bus.requeue(messages)
            do { try await Task.sleep(for: .milliseconds(200)) } catch { return }
            bus.ring()
        }
    }

    /// Listens until shutdown, reconnecting when the session fails or goes quiet: every 5 s the node notifies itself,
    /// and a session that has not delivered that heartbeat for 15 s (a connection dropped without an error) is
    /// replaced. Caches are dropped on every (re)connection, since messages may have been missed meanwhile.
    private func listen() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            bus.heard()
            do {
                try await cancelWhenGracefulShutdown {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await self.database.listen(channel: Self.channel, onListening: { self.bus.resync() },
                                                           onNotify: { self.bus.receive($0) })
                        }
                        group.addTask {
                            while true {
                                try await Task.sleep(for: .seconds(5))
                                if self.bus.sinceHeartbeat > 15 { throw StorageError("no heartbeat for 15 s") }
                                try await self.database.notify(channel: Self.channel, payloads: [self.bus.heartbeat()])
                            }
                        }
                        try await group.next()
                        group.cancelAll()
                    }
                }
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                logger.error("cluster signal listener failed; reconnecting", metadata: ["error": "\(error)"])
                do { try await Task.sleep(for: .seconds(1)) } catch { return }
            }
        }
    }
}

/// Runs `body` until graceful shutdown cancels it.
func cancelOnGracefulShutdownQuietly(_ body: @escaping @Sendable () async -> Void) async {
    do { try await cancelWhenGracefulShutdown { await body() } } catch {}
}

/// An exclusive `flock` on DATA/warden.lock for the life of the process: SQLite has one writer process, and the
/// leases of a SQLite node are released at start-up on the strength of it.
enum DataDirectoryLock {
    static func acquire(dataDir: String) throws -> Int32 {
        let path = (dataDir as NSString).appendingPathComponent("warden.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StartupError("cannot open \(path): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = read(fd, &buffer, buffer.count)
            let pid = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            close(fd)
            throw StartupError("another Warden process (pid \(pid)) is using data directory \(dataDir)")
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, text, text.count, 0)
        return fd
    }
}
