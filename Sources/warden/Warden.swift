// The `warden` command: serve, manage credentials offline, read the audit log, print the version.
import ArgumentParser
import Foundation
import Logging
import WardenServer

@main
struct Warden: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warden",
        abstract: "A self-hosted security plane that speaks the AWS wire protocols.",
        subcommands: [Serve.self, Credentials.self, Audit.self, Version.self])
}

/// Flags fall back to `WARDEN_<NAME>` environment variables, then to the defaults.
func env(_ name: String) -> String? {
    let v = ProcessInfo.processInfo.environment["WARDEN_" + name]
    return (v?.isEmpty ?? true) ? nil : v
}

func envFlag(_ name: String) -> Bool {
    guard let v = env(name)?.lowercased() else { return false }
    return ["1", "true", "yes", "on"].contains(v)
}

func makeLogger(level: String?) -> Logger {
    let lvl = Logger.Level(rawValue: (level ?? env("LOG_LEVEL") ?? "info").lowercased()) ?? .info
    LoggingSystem.bootstrap { label in LogfmtLogHandler(label: label, level: lvl) }
    var logger = Logger(label: "warden")
    logger.logLevel = lvl
    return logger
}

func fail(_ error: any Error) -> ExitCode {
    FileHandle.standardError.write(Data("warden: \(error)\n".utf8))
    return ExitCode(1)
}

/// Options naming where the data lives, shared by every command that opens storage.
struct StorageOptions: ParsableArguments {
    @Option(help: "Data directory (env WARDEN_DATA_DIR; default ./warden-data).")
    var dataDir: String?
    @Option(help: "'sqlite' (DATA/warden.sqlite) or a postgres://user:pass@host:port/db URL (env WARDEN_STORAGE).")
    var storage: String?

    var resolvedDataDir: String { dataDir ?? env("DATA_DIR") ?? "./warden-data" }
    var resolvedStorage: String { storage ?? env("STORAGE") ?? "sqlite" }

    func open(_ logger: Logger) async throws -> WardenStore {
        try await WardenStore.open(dataDir: resolvedDataDir, storage: resolvedStorage, rootKeyFile: nil, logger: logger)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start the server.")

    @Option(help: "Address to bind (env WARDEN_HOST; default 127.0.0.1).") var host: String?
    @Option(help: "Port (env WARDEN_PORT; default 4566).") var port: Int?
    @Option(help: "Data directory (env WARDEN_DATA_DIR; default ./warden-data, or a temporary directory with --dev).")
    var dataDir: String?
    @Option(help: "'sqlite' or a postgres://user:pass@host:port/db URL (env WARDEN_STORAGE; default sqlite).")
    var storage: String?
    @Option(help: "Default region (env WARDEN_REGION; default us-east-1).") var region: String?
    @Option(help: "Account id (env WARDEN_ACCOUNT_ID; default 000000000000).") var accountId: String?
    @Flag(help: "Zero-config mode for tests: any access key is accepted; POST /_warden/reset wipes state (env WARDEN_DEV).")
    var dev = false
    @Option(help: "enforce: IAM and resource policies decide every call; audit: calls are allowed, and what would be denied is logged; off: no authorization (env WARDEN_IAM; default enforce).")
    var iam: String?
    @Option(help: "PEM certificate chain; serves HTTPS on the same port (env WARDEN_TLS_CERT).") var tlsCert: String?
    @Option(help: "PEM private key for --tls-cert (env WARDEN_TLS_KEY).") var tlsKey: String?
    @Option(help: "Largest accepted request body in bytes (env WARDEN_MAX_BODY_BYTES; default 8388608).") var maxBodyBytes: Int?
    @Option(help: "trace, debug, info, notice, warning, error (env WARDEN_LOG_LEVEL; default info).") var logLevel: String?
    @Option(help: "YAML fixtures created idempotently at start-up: KMS keys with fixed ids, aliases, material (env WARDEN_SEED).")
    var seed: String?
    @Option(help: "Seconds between runs of background jobs such as scheduled key deletion (env WARDEN_JOB_INTERVAL; default 60).")
    var jobInterval: Double?
    @Option(help: "Seconds between trail log file deliveries (env WARDEN_TRAIL_DELIVERY_INTERVAL; default 300, as CloudTrail).")
    var trailDeliveryInterval: Double?
    @Option(help: "Seconds each trail digest file covers (env WARDEN_TRAIL_DIGEST_INTERVAL; default 3600, as CloudTrail).")
    var trailDigestInterval: Double?
    @Option(help: "Days a region's digest signing key is used before a new one replaces it (env WARDEN_TRAIL_SIGNING_KEY_DAYS; default 30).")
    var trailSigningKeyDays: Double?
    @Option(help: "YAML list of buckets on external S3-compatible endpoints trails may deliver into (env WARDEN_TRAIL_EXTERNAL_BUCKETS).")
    var trailExternalBuckets: String?
    @Option(help: "smtp://[user:password@]host:port for SNS email subscriptions (env WARDEN_SMTP_URL).") var smtpUrl: String?
    @Option(help: "HTTP endpoint SNS posts text messages to (env WARDEN_SMS_GATEWAY_URL).") var smsGatewayUrl: String?
    @Option(help: "From address of SNS email (env WARDEN_SMTP_FROM; default no-reply@sns.amazonaws.com).") var smtpFrom: String?
    @Option(help: "PEM file of extra CA certificates trusted for outbound HTTPS: SNS https endpoints and the SMS gateway (env WARDEN_OUTBOUND_TRUST_CA).")
    var outboundTrustCa: String?
    @Option(help: "Mobile push services to send to instead of Apple's and Google's: apns=URL,apns_sandbox=URL,fcm=URL,fcm_token=URL (env WARDEN_PUSH_ENDPOINT).")
    var pushEndpoint: String?
    @Flag(help: "Allow CreateFunction: function code runs as local processes with this server's privileges (env WARDEN_ENABLE_FUNCTIONS).")
    var enableFunctions = false
    @Option(help: "Processes one function may run at once (env WARDEN_FUNCTION_CONCURRENCY; default 10).") var functionConcurrency: Int?
    @Option(help: "This node's name among nodes sharing one PostgreSQL, shown in /_warden/health and lease records (env WARDEN_NODE_ID; default HOST:PID).")
    var nodeId: String?
    @Option(help: "Seconds a background job's lease lasts without renewal: how long other nodes wait after a node dies (env WARDEN_LEASE_TTL; default 10).")
    var leaseTtl: Double?

    func run() async throws {
        let logger = makeLogger(level: logLevel)
        var c = WardenConfiguration()
        c.host = host ?? env("HOST") ?? c.host
        c.port = port ?? env("PORT").flatMap { Int($0) } ?? c.port
        c.dataDir = dataDir ?? env("DATA_DIR")
        c.storage = storage ?? env("STORAGE") ?? c.storage
        c.region = region ?? env("REGION") ?? c.region
        c.accountId = accountId ?? env("ACCOUNT_ID") ?? c.accountId
        c.dev = dev || envFlag("DEV")
        let iamMode = iam ?? env("IAM") ?? "enforce"
        guard let mode = IAMMode(rawValue: iamMode) else { throw fail(StartupError("--iam must be enforce, audit or off")) }
        c.iam = mode
        c.tlsCert = tlsCert ?? env("TLS_CERT")
        c.tlsKey = tlsKey ?? env("TLS_KEY")
        c.maxBodyBytes = maxBodyBytes ?? env("MAX_BODY_BYTES").flatMap { Int($0) } ?? c.maxBodyBytes
        let interval = jobInterval ?? env("JOB_INTERVAL").flatMap { Double($0) } ?? 60
        guard interval > 0, interval.isFinite else { throw fail(StartupError("--job-interval must be a positive number of seconds")) }
        c.jobInterval = .milliseconds(Int64(interval * 1000))
        c.seedFile = seed ?? env("SEED")
        c.trailDeliveryInterval = trailDeliveryInterval ?? env("TRAIL_DELIVERY_INTERVAL").flatMap { Double($0) } ?? c.trailDeliveryInterval
        c.trailDigestInterval = trailDigestInterval ?? env("TRAIL_DIGEST_INTERVAL").flatMap { Double($0) } ?? c.trailDigestInterval
        c.trailSigningKeyDays = trailSigningKeyDays ?? env("TRAIL_SIGNING_KEY_DAYS").flatMap { Double($0) } ?? c.trailSigningKeyDays
        #if DEBUG
        // The crash tests' hook exists only in debug builds: a shipped (release) binary has no way to be told to kill itself.
        c.crashAfterLogWrite = envFlag("TEST_CRASH_AFTER_LOG_WRITE")
        #endif
        if let id = nodeId ?? env("NODE_ID") {
            guard !id.isEmpty, id.count <= 128, !id.contains("|") else { throw fail(StartupError("--node-id must be 1 to 128 characters without '|'")) }
            c.nodeId = id
        }
        let ttl = leaseTtl ?? env("LEASE_TTL").flatMap { Double($0) } ?? 10
        guard ttl >= 1, ttl <= 3600 else { throw fail(StartupError("--lease-ttl must be 1 to 3600 seconds")) }
        c.leaseTTL = .milliseconds(Int64(ttl * 1000))
        c.trailExternalBucketsFile = trailExternalBuckets ?? env("TRAIL_EXTERNAL_BUCKETS")
        c.smtpURL = smtpUrl ?? env("SMTP_URL")
        c.smtpFrom = smtpFrom ?? env("SMTP_FROM") ?? c.smtpFrom
        c.smsGatewayURL = smsGatewayUrl ?? env("SMS_GATEWAY_URL")
        c.outboundTrustCA = outboundTrustCa ?? env("OUTBOUND_TRUST_CA")
        if let list = pushEndpoint ?? env("PUSH_ENDPOINT") {
            for entry in list.split(separator: ",") {
                let pair = entry.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2, !pair[0].isEmpty, !pair[1].isEmpty else {
                    throw fail(StartupError("--push-endpoint takes name=url pairs separated by commas"))
                }
                c.pushEndpoints[pair[0]] = pair[1]
            }
        }
        c.enableFunctions = enableFunctions || envFlag("ENABLE_FUNCTIONS")
        c.functionConcurrency = functionConcurrency ?? env("FUNCTION_CONCURRENCY").flatMap { Int($0) } ?? c.functionConcurrency
        guard (1...1000).contains(c.functionConcurrency) else { throw fail(StartupError("--function-concurrency must be 1 to 1000")) }
        for (name, v) in [("--trail-delivery-interval", c.trailDeliveryInterval), ("--trail-digest-interval", c.trailDigestInterval),
                          ("--trail-signing-key-days", c.trailSigningKeyDays)] where !(v > 0 && v.isFinite) {
            throw fail(StartupError("\(name) must be a positive number"))
        }
        guard c.accountId.count == 12, c.accountId.allSatisfy(\.isNumber) else {
            throw fail(StartupError("--account-id must be 12 digits"))
        }
        do {
            try await WardenNode.serve(c, logger: logger)
        } catch {
            throw fail(error)
        }
    }
}

struct Credentials: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage access keys offline (strict mode).", subcommands: [Create.self, List.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an access key and print it in shared-credentials format.")
        @OptionGroup var storage: StorageOptions
        @Option(help: "Account the key belongs to (env WARDEN_ACCOUNT_ID; default 000000000000).") var accountId: String?
        @Option(help: "Profile name for the printed credentials section.") var profile = "default"

        func run() async throws {
            let logger = makeLogger(level: "warning")
            do {
                let store = try await storage.open(logger)
                let (record, secret) = try await store.accessKeys.create(account: accountId ?? env("ACCOUNT_ID") ?? "000000000000")
                await store.database.close()
                print("[\(profile)]\naws_access_key_id = \(record.accessKeyId)\naws_secret_access_key = \(secret)")
            } catch { throw fail(error) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List access keys (never their secrets).")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let logger = makeLogger(level: "warning")
            do {
                let store = try await storage.open(logger)
                let keys = try await store.accessKeys.list()
                await store.database.close()
                for k in keys {
                    let created = Date(timeIntervalSince1970: Double(k.createdAtMillis) / 1000)
                    print("\(k.accessKeyId)\t\(k.account)\t\(k.status)\t\(ISO8601DateFormatter().string(from: created))")
                }
            } catch { throw fail(error) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an access key.")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The access key id.") var accessKeyId: String

        func run() async throws {
            let logger = makeLogger(level: "warning")
            let deleted: Bool
            do {
                let store = try await storage.open(logger)
                deleted = try await store.accessKeys.delete(accessKeyId)
                await store.database.close()
            } catch { throw fail(error) }
            guard deleted else { throw fail(StartupError("no access key \(accessKeyId)")) }
            print("deleted \(accessKeyId)")
        }
    }
}

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read the audit log.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print CloudTrail records, one JSON object per line, in log order.")
        @OptionGroup var storage: StorageOptions
        @Option(help: "Only records after this sequence number.") var afterSeq: Int64 = 0
        @Option(help: "At most this many records.") var limit = 1_000_000

        func run() async throws {
            let logger = makeLogger(level: "warning")
            do {
                let store = try await storage.open(logger)
                var after = afterSeq
                var remaining = limit
                while remaining > 0 {
                    let page = try await store.audit.list(afterSeq: after, limit: min(remaining, 5000))
                    if page.isEmpty { break }
                    var out = ""
                    for e in page { out += e.record + "\n" }
                    FileHandle.standardOutput.write(Data(out.utf8))
                    after = page.last?.seq ?? after
                    remaining -= page.count
                }
                await store.database.close()
            } catch { throw fail(error) }
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")
    func run() { print("warden \(WardenVersion.current)") }
}
