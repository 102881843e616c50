// Start-up and shutdown of one Warden node: data directory, root key, storage, credentials, the ServiceGroup.
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import Synchronization
import NIOCore
import ServiceLifecycle
import WardenAudit
import WardenAuth
import WardenCore
import WardenPolicy
import WardenServices
import WardenStorage
import WardenStoragePostgres
import WardenStorageSQLite

/// A start-up problem, reported in one line and a non-zero exit.
public struct StartupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Opened storage plus the barrier, shared by `serve` and the offline commands.
public struct WardenStore: Sendable {
    public let database: any SQLDatabase
    public let sealer: Sealer
    public let dataDir: String
    /// `serve` on SQLite: the descriptor holding DATA/warden.lock (closed when the process exits).
    public var lockFD: Int32?
    public var storageName: String { database.dialect == .sqlite ? "sqlite" : "postgres" }

    public var accessKeys: AccessKeyRepository { AccessKeyRepository(db: database, sealer: sealer) }
    public var audit: AuditRepository { AuditRepository(db: database) }

    /// Prepares the data directory, loads (or creates) the root key, opens and migrates storage.
    public static func open(dataDir: String, storage: String, rootKeyFile: String?, exclusive: Bool = false,
                            logger: Logger) async throws -> WardenStore {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StartupError("cannot create data directory \(dataDir): \(error.localizedDescription)")
        }
        let probe = (dataDir as NSString).appendingPathComponent(".write-test-\(getpid())")
        guard fm.createFile(atPath: probe, contents: Data()) else {
            throw StartupError("data directory \(dataDir) is not writable")
        }
        try? fm.removeItem(atPath: probe)
        // One server process per SQLite data directory: it has one writer, and a SQLite node's leases are released at
        // start-up on the strength of this lock. (Offline commands do not take it.)
        var lockFD: Int32?
        if exclusive && storage == "sqlite" { lockFD = try DataDirectoryLock.acquire(dataDir: dataDir) }
        let keyPath = rootKeyFile ?? ProcessInfo.processInfo.environment["WARDEN_ROOT_KEY_FILE"]
            ?? (dataDir as NSString).appendingPathComponent("root.key")
        let root: FileRootKey
        do { root = try FileRootKey.loadOrCreate(path: keyPath) } catch {
            throw StartupError("root key: \(error)")
        }
        let db: any SQLDatabase
        if storage == "sqlite" {
            do { db = try SQLiteDatabase(path: (dataDir as NSString).appendingPathComponent("warden.sqlite")) } catch {
                throw StartupError("\(error)")
            }
        } else if storage.hasPrefix("postgres://") || storage.hasPrefix("postgresql://") {
            do { db = try await PostgresDatabase.connect(url: storage, logger: logger) } catch {
                throw StartupError("\(error)")
            }
        } else {
            throw StartupError("--storage must be 'sqlite' or a postgres:// URL")
        }
        do { try await Migrations.migrate(db) } catch {
            await db.close()
            throw StartupError("schema migration failed: \(error)")
        }
        return WardenStore(database: db, sealer: Sealer(root: root), dataDir: dataDir, lockFD: lockFD)
    }

    /// Writes `[default]` credentials in the AWS shared-credentials format, mode 0600.
    public func writeCredentialsFile(accessKeyId: String, secret: String) throws -> String {
        let path = (dataDir as NSString).appendingPathComponent("credentials")
        let text = "[default]\naws_access_key_id = \(accessKeyId)\naws_secret_access_key = \(secret)\n"
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw StartupError("cannot write \(path)")
        }
        return path
    }
}

public enum WardenNode {
    /// The directory data lives in: the flag, or `./warden-data`, or a fresh temporary directory in dev mode.
    public static func resolveDataDir(_ config: WardenConfiguration) throws -> String {
        if let d = config.dataDir { return d }
        guard config.dev else { return "./warden-data" }
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("warden-dev-XXXXXX").path
        var bytes = Array(template.utf8CString)
        guard let p = mkdtemp(&bytes) else { throw StartupError("cannot create a temporary data directory") }
        return String(cString: p)
    }

    /// Runs the server until SIGTERM/SIGINT; returns after a graceful shutdown.
    public static func serve(_ config: WardenConfiguration, logger: Logger) async throws {
        let dataDir = try resolveDataDir(config)
        let store = try await WardenStore.open(dataDir: dataDir, storage: config.storage, rootKeyFile: config.rootKeyFile,
                                               exclusive: true, logger: logger)
        defer { if let fd = store.lockFD { close(fd) } }
        do {
            try await serve(config, store: store, logger: logger)
        } catch {
            await store.database.close()
            throw error
        }
        await store.database.close()
    }

    static func serve(_ config: WardenConfiguration, store: WardenStore, logger: Logger) async throws {
        let iamRepository = IAMRepository(db: store.database)
        let credentials = StoredCredentialProvider(keys: store.accessKeys, iam: iamRepository, sealer: store.sealer, logger: logger)
        let verifier: SigV4Verifier
        if config.dev {
            verifier = SigV4Verifier(mode: .dev(account: config.accountId, known: credentials))
            logger.notice("dev mode: any unknown access key is accepted as the root of \(config.accountId); data in \(store.dataDir)")
        } else {
            try await ensureRootCredentials(config, store: store, logger: logger)
            verifier = SigV4Verifier(mode: .strict(credentials))
        }
        let policyCache = PrincipalPolicyCache(iam: iamRepository, logger: logger)
        let authorizer = PolicyAuthorizer(mode: config.iam, policies: policyCache, logger: logger)
        if config.iam != .enforce { logger.notice("IAM: \(config.iam.rawValue) mode") }
        // Consumers of the audit log (EventBridge's CloudTrail tail, trails' log groups) wake when management writes commit.
        let auditSignals = QueueSignals()
        let audit = AuditWriter(repository: store.audit, logger: logger, onCommit: { batch in
            if batch.contains(where: { $0.management && !$0.readOnly }) { auditSignals.signal("audit") }
        })
        let metrics = RequestMetrics()
        let clock = WardenClock()
        // Nodes sharing a PostgreSQL tell each other of changes to cached state and of wake-ups (LISTEN/NOTIFY).
        let bus = ClusterBus(enabled: store.database.dialect == .postgres)
        let settings = SettingsRepository(db: store.database)
        if let stored = try await settings.get("clock_offset_seconds"), let offset = Double(stored) { clock.set(offset: offset) }
        bus.on("clock") { payload in if let offset = Double(payload) { clock.set(offset: offset) } }
        let leaseRepository = LeaseRepository(db: store.database)
        if store.database.dialect == .sqlite { try await leaseRepository.releaseAll() }
        // The holder is this process, not only the node id: a restarted node (or, by mistake, a second process with the
        // same id) never mistakes another process's lease for its own.
        let leases = LeaseManager(holder: "\(config.nodeId)/\(bus.origin)", repository: leaseRepository, names: Self.singletonJobs, ttl: config.leaseTTL,
                                  bus: bus, metrics: metrics, logger: logger)
        let kms = KMSService(repository: KMSRepository(db: store.database, sealer: store.sealer), now: { clock.now() })
        let sqs = SQSService(repository: QueueRepository(db: store.database, sealer: store.sealer), keys: kms, now: { clock.now() })
        let topics = TopicRepository(db: store.database, sealer: store.sealer)
        var smtp: SMTPSettings?
        if let url = config.smtpURL {
            guard let settings = SMTPSettings(url: url, from: config.smtpFrom) else {
                throw StartupError("--smtp-url must look like smtp://[user:password@]host:port")
            }
            smtp = settings
        }
        var smsGateway: URL?
        if let text = config.smsGatewayURL {
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? "") else {
                throw StartupError("--sms-gateway-url must be an http(s) URL")
            }
            smsGateway = url
        }
        let http: OutboundHTTP
        do {
            http = try OutboundHTTP(trustedCAFile: config.outboundTrustCA)
        } catch {
            throw StartupError("--outbound-trust-ca: \(error)")
        }
        let buckets = BucketStore(repository: BucketRepository(db: store.database), keys: kms, now: { clock.now() })
        // Functions: the URL handlers call back on (the port is known once the server listens), and their processes.
        let scheme = (config.tlsCert != nil || config.tlsKey != nil) ? "https" : "http"
        let listening = Mutex(config.port)
        let callbackHost = ["0.0.0.0", "::", ""].contains(config.host) ? "127.0.0.1" : config.host
        let runner: LocalFunctionRunner
        do {
            runner = try LocalFunctionRunner(dataDir: store.dataDir, concurrency: config.functionConcurrency, logger: logger)
        } catch {
            throw StartupError("functions: \(error)")
        }
        let accessKeys = store.accessKeys
        let background = BackgroundTasks(logger: logger)
        let lambda = LambdaService(
            repository: FunctionRepository(db: store.database, sealer: store.sealer), runner: runner, enabled: config.enableFunctions,
            dataDir: store.dataDir, endpoint: { "\(scheme)://\(callbackHost):\(listening.withLock { $0 })" }, buckets: buckets, queues: sqs,
            secretOf: { id in (try? await accessKeys.lookup(id))?.secret }, background: background, now: { clock.now() })
        let secrets = SecretsManagerService(repository: SecretRepository(db: store.database, sealer: store.sealer), keys: kms,
                                            functions: config.enableFunctions ? lambda : nil,
                                            databases: PostgresAdmin(logger: logger), background: background, now: { clock.now() })
        let ssm = SSMService(repository: ParameterRepository(db: store.database, sealer: store.sealer), keys: kms, secrets: secrets,
                             now: { clock.now() })
        // Deliveries between services (SNS into queues, EventBridge to queues and topics) need the target's policy to
        // allow the service principal, as on AWS, once IAM is enforced. Dev mode keeps them open between the account's
        // own resources, as LocalStack and moto do; function policies are checked in every mode, as they were before.
        let serviceAccess = ServiceAccess(enforced: config.iam == .enforce && !config.dev)
        let push: PushSupport
        do {
            push = PushSupport(endpoints: try PushEndpoints(overrides: config.pushEndpoints))
        } catch {
            throw StartupError("--push-endpoint: \(error)")
        }
        let sns = SNSService(repository: topics, queues: sqs, signer: LazyNotificationSigner(repository: topics), http: http,
                             keys: kms, functions: lambda, smtp: smtp, sms: smsGateway, access: serviceAccess, background: background,
                             push: push, now: { clock.now() })
        let logs = LogsService(repository: LogsRepository(db: store.database), functions: lambda, now: { clock.now() })
        lambda.logSink.set(logs)
        push.logSink.set(logs)
        let cloudWatch = CloudWatchService(repository: MetricsRepository(db: store.database), topics: sns, now: { clock.now() })
        let events = EventsService(repository: EventBusRepository(db: store.database, sealer: store.sealer), queues: sqs,
                                   functions: lambda, topics: sns, access: serviceAccess, now: { clock.now() })
        // Asynchronous invocation records go to topics and buses too (Lambda exists before both).
        lambda.destinations.set(topics: sns, buses: events)
        // Replays a stopped process left unfinished carry on.
        try await sns.resumeReplays()
        let cloudTrail = CloudTrailService(
            audit: store.audit, trails: TrailRepository(db: store.database, sealer: store.sealer), buckets: buckets, keys: kms,
            logs: logs, insights: InsightRepository(db: store.database), settings: try trailSettings(config),
            now: { clock.now() })
        let legacy = try await buckets.importLegacyFiles(dataDir: store.dataDir)
        if legacy.imported + legacy.missing > 0 {
            logger.info("moved object bodies from DATA/s3 into storage", metadata: ["imported": "\(legacy.imported)", "missing": "\(legacy.missing)"])
        }
        if let file = config.seedFile {
            try await Seeding.apply(file: file, kms: kms, config: config, logger: logger)
        }
        // Every IAM write: cached policies and credentials of the account are dropped on this node at once (other
        // nodes see the account's IAM generation change within a second).
        let iam = IAMService(repo: iamRepository, accessKeys: store.accessKeys, onChange: { account in
            policyCache.invalidate(account: account)
            credentials.clear()
            bus.publish("iam", account)
        })
        bus.on("iam") { account in
            policyCache.invalidate(account: account)
            credentials.clear()
        }
        kms.join(bus)
        sqs.join(bus)
        events.join(bus)
        bus.onResync {
            policyCache.clear()
            credentials.clear()
        }
        let dropCaches: @Sendable () -> Void = {
            kms.clearCache()
            policyCache.clear()
            credentials.clear()
            events.clearCache()
        }
        bus.on("reset") { _ in dropCaches() }
        let sts = STSService(sealer: store.sealer, iam: iamRepository, http: http, now: { clock.now() })
        let descriptors = [sts.descriptor, iam.descriptor, kms.descriptor, cloudTrail.descriptor, sqs.descriptor, sns.descriptor,
                           lambda.descriptor, ssm.descriptor, secrets.descriptor, events.descriptor, logs.descriptor,
                           cloudWatch.descriptor]
        authorizer.register(descriptors)
        let pipeline = RequestPipeline(
            services: descriptors, verifier: verifier, audit: audit, authorizer: authorizer,
            metrics: metrics, logger: logger, defaultAccount: config.accountId, defaultRegion: config.region,
            bucketStore: buckets, now: { clock.now() }, keyUse: KeyUseRecorder(keys: store.accessKeys, logger: logger))
        let tls = config.tlsCert != nil || config.tlsKey != nil
        let responder = WardenResponder(pipeline: pipeline, metrics: metrics, database: store.database, dev: config.dev, tls: tls,
                                        maxBodyBytes: config.maxBodyBytes, storageName: store.storageName,
                                        snsCertificate: {
                                            guard let s = try? await sns.signer.get() else { return nil }
                                            return (s.certificateName, s.certificatePEM)
                                        },
                                        clock: clock,
                                        advanceClock: { seconds in
                                            let offset = try await settings.add("clock_offset_seconds", seconds)
                                            clock.set(offset: offset)
                                            bus.publish("clock", String(offset))
                                        },
                                        node: config.nodeId, leases: { leases.heldNames },
                                        onReset: {
                                            dropCaches()
                                            bus.publish("reset")
                                            if let file = config.seedFile {
                                                try await Seeding.apply(file: file, kms: kms, config: config, logger: logger)
                                            }
                                        })
        let server: HTTPServerBuilder
        if tls {
            guard let cert = config.tlsCert, let key = config.tlsKey else {
                throw StartupError("--tls-cert and --tls-key must be given together")
            }
            do {
                server = try .tls(.http1(), tlsConfiguration: TLSSetup.configuration(cert: cert, key: key))
            } catch {
                throw StartupError("TLS: cannot load \(cert) / \(key): \(error)")
            }
        } else {
            server = .http1()
        }
        let app = Application(
            responder: responder, server: server,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? config.port
                listening.withLock { $0 = port }
                logger.notice("Warden \(WardenVersion.current) listening on \(scheme)://\(config.host):\(port) (storage: \(store.storageName), mode: \(config.dev ? "dev" : "strict"))")
            },
            logger: logger)
        // Shutdown runs in reverse order: the HTTP server stops accepting and finishes in-flight requests first,
        // then the audit writer flushes what they recorded.
        // Shutdown runs in reverse: leases are released (and the release announced) before the signal service sends its
        // last messages and stops.
        var cluster: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let postgres = store.database as? PostgresDatabase {
            cluster.append(.init(service: ClusterSignalService(database: postgres, bus: bus, metrics: metrics, logger: logger)))
        }
        cluster.append(.init(service: leases))
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: audit)] + cluster + [.init(service: runner), .init(service: background)] + [
                .init(service: PeriodicJob(name: "kms", leases: leases, interval: config.jobInterval, logger: logger) {
                    let r = try await kms.runDueWork()
                    if r != KMSService.JobReport() {
                        logger.info("kms background work", metadata: [
                            "deleted": "\(r.deleted)", "rotated": "\(r.rotated)", "expiredMaterial": "\(r.expired)"])
                    }
                }),
                .init(service: PeriodicJob(name: "cloudtrail-history-purge", leases: leases, interval: config.jobInterval, logger: logger) {
                    let n = try await cloudTrail.purgeExpired()
                    if n > 0 { logger.info("purged event history older than 90 days", metadata: ["events": "\(n)"]) }
                }),
                // SNS deliveries: woken by each publish, and every 250 ms for retries that come due.
                .init(service: PeriodicJob(name: "sns-delivery", leases: leases, interval: .milliseconds(250), logger: logger,
                                           wakeups: (sns.wakeups, SNSService.wakeKey)) {
                    _ = try await sns.runDeliveries()
                }),
                // SQS event source mappings: the pollers run while a mapping is enabled; the job looks for new ones every
                // second and when one is created or changed on this node.
                .init(service: PeriodicJob(name: "lambda-sqs-pollers", leases: leases, interval: .seconds(1), logger: logger,
                                           wakeups: (lambda.wakeups, LambdaService.pollerWakeKey)) {
                    let fence = LeaseContext.fence
                    try await lambda.runQueuePollers(holding: { leases.fence("lambda-sqs-pollers") == fence })
                }),
                // Asynchronous function invocations: woken by each Event invoke, and every 250 ms for retries.
                .init(service: PeriodicJob(name: "lambda-events", interval: .milliseconds(250), logger: logger,
                                           wakeups: (lambda.wakeups, LambdaService.wakeKey)) {
                    _ = try await lambda.runEvents()
                }),
                // EventBridge: CloudTrail's management write calls (and events other services kept) onto default buses,
                // within a quarter second; then target deliveries, woken by each event.
                .init(service: PeriodicJob(name: "events-cloudtrail", leases: leases, interval: .milliseconds(250), logger: logger,
                                           wakeups: (auditSignals, "audit")) {
                    // Until caught up, so a commit signalled while a pass ran is not left for the next interval.
                    while try await events.tailAuditLog(store.audit) > 0 {}
                }),
                // Scheduled rules: checked every second.
                .init(service: PeriodicJob(name: "events-schedules", leases: leases, interval: .seconds(1), logger: logger) {
                    _ = try await events.runSchedules()
                }),
                .init(service: PeriodicJob(name: "events-delivery", interval: .milliseconds(250), logger: logger,
                                           wakeups: (events.wakeups, EventsService.wakeKey)) {
                    while try await events.runDeliveries() > 0 {}
                }),
                // Trails with a log group: their events, within a second.
                .init(service: PeriodicJob(name: "cloudtrail-logs", leases: leases, interval: .milliseconds(500), logger: logger,
                                           wakeups: (auditSignals, "audit")) {
                    while try await cloudTrail.runLogGroupDelivery() > 0 {}
                }),
                // CloudTrail Insights: each completed minute against its baseline.
                .init(service: PeriodicJob(name: "cloudtrail-insights", leases: leases, interval: config.jobInterval, logger: logger) {
                    let n = try await cloudTrail.runInsights()
                    if n > 0 { logger.info("insights events raised", metadata: ["count": "\(n)"]) }
                }),
                // Alarms: evaluated every second.
                .init(service: PeriodicJob(name: "alarms", leases: leases, interval: .seconds(1), logger: logger) {
                    _ = try await cloudWatch.evaluateAlarms()
                }),
                // Log retention and metric data older than 15 months.
                .init(service: PeriodicJob(name: "logs-retention", leases: leases, interval: config.jobInterval, logger: logger) {
                    let n = try await logs.enforceRetention()
                    if n > 0 { logger.info("log events past their group's retention deleted", metadata: ["count": "\(n)"]) }
                    try await cloudWatch.purgeOld()
                }),
                // Secrets: deletions whose recovery window ended, and rotations that are due.
                .init(service: PeriodicJob(name: "secrets", leases: leases, interval: config.jobInterval, logger: logger) {
                    let deleted = try await secrets.deleteExpired()
                    if deleted > 0 { logger.info("secrets deleted after their recovery window", metadata: ["count": "\(deleted)"]) }
                    _ = try await secrets.runDueRotations()
                }),
                // Parameter policies: Expiration deletes the parameter at its time.
                .init(service: PeriodicJob(name: "ssm-policies", leases: leases, interval: config.jobInterval, logger: logger) {
                    let n = try await ssm.expireParameters()
                    if n > 0 { logger.info("expired parameters deleted", metadata: ["count": "\(n)"]) }
                    _ = try await ssm.notifyPolicies()
                }),
                .init(service: PeriodicJob(name: "sqs-retention", leases: leases, interval: config.jobInterval, logger: logger) {
                    try await sqs.deleteExpired()
                }),
                // SQS message move tasks: woken by each start or cancel, and every 250 ms (a rate-limited task moves what its
                // bucket refilled meanwhile).
                .init(service: PeriodicJob(name: "sqs-move-tasks", leases: leases, interval: .milliseconds(250), logger: logger,
                                           wakeups: (sqs.moveTaskWakeups, SQSService.moveTasksWakeKey)) {
                    while !Task.isCancelled, try await sqs.runMoveTasks() > 0 {}
                }),
                .init(service: PeriodicJob(name: "cloudtrail-delivery", leases: leases,
                                           interval: .milliseconds(Int64(min(config.trailDeliveryInterval, config.trailDigestInterval) * 1000)),
                                           logger: logger) {
                    let r = try await cloudTrail.runDelivery()
                    if r != DeliveryReport() {
                        logger.info("trail delivery", metadata: [
                            "logFiles": "\(r.logFiles)", "events": "\(r.events)", "digests": "\(r.digests)", "failures": "\(r.failures)"])
                    }
                }),
                .init(service: app),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
            runner.stopAll()
            await http.shutdown()
            await push.shutdown()
        } catch {
            runner.stopAll()
            await http.shutdown()
            await push.shutdown()
            let text = "\(error)"
            if text.contains("Address already in use") || text.contains("EADDRINUSE") || text.contains("errno: 98") {
                throw StartupError("cannot listen on \(config.host):\(config.port): address already in use")
            }
            throw StartupError("server stopped: \(text)")
        }
    }

    /// Background jobs that run on one node at a time, each under its own lease.
    /// (Function invocations and EventBridge target deliveries are shared instead: every node claims a share.)
    static let singletonJobs = ["kms", "cloudtrail-history-purge", "sns-delivery", "events-cloudtrail",
                                "events-schedules", "cloudtrail-logs", "cloudtrail-insights", "alarms",
                                "logs-retention", "secrets", "ssm-policies", "sqs-retention", "sqs-move-tasks", "cloudtrail-delivery",
                                "lambda-sqs-pollers"]

    static func trailSettings(_ config: WardenConfiguration) throws -> TrailSettings {
        var s = TrailSettings(deliveryInterval: config.trailDeliveryInterval, digestInterval: config.trailDigestInterval,
                              signingKeyLifetime: config.trailSigningKeyDays * 86400)
        if let file = config.trailExternalBucketsFile { s.externalBuckets = try ExternalBuckets.load(file) }
        if config.crashAfterLogWrite { s.afterLogWrite = { kill(getpid(), SIGKILL) } }
        return s
    }

    /// Strict mode's first start: create the account's root access key, print it once, write DATA/credentials.
    static func ensureRootCredentials(_ config: WardenConfiguration, store: WardenStore, logger: Logger) async throws {
        let existing = try await store.accessKeys.list()
        guard existing.isEmpty else { return }
        let (record, secret) = try await store.accessKeys.create(account: config.accountId)
        let path = try store.writeCredentialsFile(accessKeyId: record.accessKeyId, secret: secret)
        let banner = """
            Root credentials for account \(config.accountId) (shown once; also written to \(path), mode 0600):
              aws_access_key_id     = \(record.accessKeyId)
              aws_secret_access_key = \(secret)

            """
        FileHandle.standardOutput.write(Data(banner.utf8))
    }
}
