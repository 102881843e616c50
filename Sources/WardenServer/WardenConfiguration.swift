// Everything `warden serve` can be told.
import Foundation

public struct WardenConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 4566
    /// nil: `./warden-data`, or a fresh temporary directory in dev mode.
    public var dataDir: String?
    /// `sqlite` or a `postgres://user:pass@host:port/db` URL.
    public var storage = "sqlite"
    public var region = "us-east-1"
    public var accountId = "000000000000"
    public var dev = false
    /// How requests are authorized: `enforce` (the default), `audit` (log what would be denied), `off`.
    public var iam: IAMMode = .enforce
    public var tlsCert: String?
    public var tlsKey: String?
    /// Largest request body accepted on the API routes.
    public var maxBodyBytes = 8 * 1024 * 1024
    public var rootKeyFile: String?
    /// How often background jobs (scheduled key deletion, …) run.
    public var jobInterval: Duration = .seconds(60)
    /// A YAML file of fixtures (KMS keys, aliases, material) created idempotently at start-up.
    public var seedFile: String?
    /// Seconds between trail deliveries (CloudTrail: about 5 minutes); tests set it down to 1.
    public var trailDeliveryInterval: Double = 300
    /// Seconds each digest file covers (CloudTrail: one hour).
    public var trailDigestInterval: Double = 3600
    public var trailSigningKeyDays: Double = 30
    /// YAML list of buckets on external S3-compatible endpoints that trails may deliver into.
    public var trailExternalBucketsFile: String?
    /// `smtp://[user:password@]host:port` for SNS email subscriptions, and the From address.
    public var smtpURL: String?
    public var smtpFrom = "no-reply@sns.amazonaws.com"
    /// Where SNS sends text messages (an HTTP gateway; see SNSService+SMS for its protocol).
    public var smsGatewayURL: String?
    /// PEM file of CA certificates trusted for outbound HTTPS besides the system's (SNS https endpoints, SMS gateway).
    public var outboundTrustCA: String?
    /// Mobile push services Warden sends to instead of the real ones: `apns`, `apns_sandbox`, `fcm`, `fcm_token` → base URL.
    public var pushEndpoints: [String: String] = [:]
    /// Functions run their code with Warden's privileges: off unless asked for.
    public var enableFunctions = false
    /// Processes per function at once.
    public var functionConcurrency = 10
    /// Crash tests only (env WARDEN_TEST_CRASH_AFTER_LOG_WRITE=1): the process kills itself with SIGKILL after writing
    /// a trail's log files and before recording them, the window exactly-once delivery must survive.
    public var crashAfterLogWrite = false
    /// This node's name (default host:pid); the holder named in its leases.
    public var nodeId = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    /// How long a lease lasts without renewal.
    public var leaseTTL: Duration = .seconds(10)

    public init() {}
}

public enum WardenVersion {
    public static let current = "0.1.0"
}
