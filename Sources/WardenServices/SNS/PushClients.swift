// Mobile push plumbing shared by every delivery: where the push services are, the provider tokens in use (APNs
// JWTs, Google OAuth2 access tokens), HTTP clients that present an application's APNs certificate, and where
// delivery status logs go.
import AsyncHTTPClient
import Crypto
import _CryptoExtras
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
import WardenCore

/// The push services' base URLs: the real hosts unless the operator points Warden elsewhere (`--push-endpoint`).
public struct PushEndpoints: Sendable {
    public var apns = "https://api.push.apple.com"
    public var apnsSandbox = "https://api.sandbox.push.apple.com"
    public var fcm = "https://fcm.googleapis.com"
    /// Google's token endpoint; nil: the `token_uri` of the application's service account.
    public var fcmToken: String?

    public static let names: Set<String> = ["apns", "apns_sandbox", "fcm", "fcm_token"]

    public init() {}

    /// From `name=url` overrides (names in `names`, http(s) URLs); throws a message for anything else.
    public init(overrides: [String: String]) throws {
        for (name, value) in overrides {
            guard Self.names.contains(name) else { throw OutboundHTTPError("unknown push service '\(name)' (use \(Self.names.sorted().joined(separator: ", ")))") }
            guard let url = URL(string: value), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw OutboundHTTPError("\(name) must be an http(s) URL")
            }
            let base = value.hasSuffix("/") ? String(value.dropLast()) : value
            switch name {
            case "apns": apns = base
            case "apns_sandbox": apnsSandbox = base
            case "fcm": fcm = base
            default: fcmToken = value
            }
        }
    }
}

/// One process's push state. Tokens are cached per credential (the cache key includes a digest of the signing key,
/// so a changed credential never reuses a token made with the old one).
public final class PushSupport: Sendable {
    public let endpoints: PushEndpoints
    /// Where delivery status logs go (set once the logs service exists).
    public let logSink = LateLogSink()

    private struct CachedToken {
        var value: String
        var expiresAt: Date
    }
    private let tokens = Mutex<[String: CachedToken]>([:])
    /// One TLS client per application and certificate: keyed by `app|fingerprint`, so a client made for one credential is
    /// never used with another.
    private struct CertificateClient {
        var app: String
        var client: HTTPClient
        var lastUsed: Date
    }
    private let clients = Mutex<[String: CertificateClient]>([:])
    /// A client unused this long is closed: its application may have been deleted or re-keyed through another node,
    /// which this node's cache never hears of.
    static let idleClientLifetime: TimeInterval = 15 * 60

    public init(endpoints: PushEndpoints = PushEndpoints()) {
        self.endpoints = endpoints
    }

    /// A cached token, or a new one from `make` (value, lifetime).
    func token(_ key: String, now: Date, make: () async throws -> (String, TimeInterval)) async throws -> String {
        if let cached = tokens.withLock({ $0[key] }), cached.expiresAt > now { return cached.value }
        let (value, lifetime) = try await make()
        tokens.withLock { $0[key] = CachedToken(value: value, expiresAt: now.addingTimeInterval(lifetime)) }
        return value
    }

    /// Forgets a token the push service refused (expired or revoked early), so the next attempt makes a new one.
    func dropToken(_ key: String) { _ = tokens.withLock { $0.removeValue(forKey: key) } }

    /// The client presenting an application's APNs certificate. Each delivery reads the application's credentials
    /// afresh and asks for the client of that certificate (`app|SHA-256 of certificate and key`): a credential changed
    /// on any node gets a new client at this node's next delivery, and the clients of the application's older
    /// credentials are closed then. Clients idle for `idleClientLifetime` are closed too.
    func certificateClient(app: String, certificatePEM: String, keyPEM: String, base: HTTPClient.Configuration, now: Date = Date(),
                           logger: Logger) throws -> HTTPClient {
        let key = Self.certificateKey(app: app, certificatePEM: certificatePEM, keyPEM: keyPEM)
        let hit = clients.withLock { c -> HTTPClient? in
            c[key]?.lastUsed = now
            return c[key]?.client
        }
        if let hit { return hit }
        var config = base
        var tls = config.tlsConfiguration ?? TLSConfiguration.makeClientConfiguration()
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
        config.tlsConfiguration = tls
        let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        let (client, stale) = clients.withLock { c -> (HTTPClient, [HTTPClient]) in
            // Another delivery made one meanwhile: keep theirs, close ours.
            if let raced = c[key] { return (raced.client, [made]) }
            let gone = c.filter { $0.value.app == app || now.timeIntervalSince($0.value.lastUsed) > Self.idleClientLifetime }
            for k in gone.keys { c.removeValue(forKey: k) }
            c[key] = CertificateClient(app: app, client: made, lastUsed: now)
            return (made, gone.values.map(\.client))
        }
        Self.close(stale, logger: logger)
        return client
    }

    static func certificateKey(app: String, certificatePEM: String, keyPEM: String) -> String {
        app + "|" + Hex.encode(SHA256.hash(data: Array((certificatePEM + "\u{0}" + keyPEM).utf8)))
    }

    /// Closes the application's certificate clients (the application was deleted or its credentials changed).
    func dropCertificateClients(app: String, logger: Logger) {
        let gone = clients.withLock { c -> [HTTPClient] in
            let mine = c.filter { $0.value.app == app }
            for k in mine.keys { c.removeValue(forKey: k) }
            return mine.values.map(\.client)
        }
        Self.close(gone, logger: logger)
    }

    /// How many certificate clients are open for the application (for tests).
    func certificateClientCount(app: String) -> Int { clients.withLock { c in c.values.filter { $0.app == app }.count } }

    /// Closes clients off the caller's path; a request still using one fails and is retried with the current client.
    private static func close(_ stale: [HTTPClient], logger: Logger) {
        for client in stale {
            client.shutdown { error in
                if let error { logger.warning("closing an APNs certificate client failed", metadata: ["error": "\(error)"]) }
            }
        }
    }

    /// Closes the certificate clients; call once, at shutdown.
    public func shutdown() async {
        let all = clients.withLock { c -> [HTTPClient] in
            defer { c.removeAll() }
            return c.values.map(\.client)
        }
        for client in all {
            do { try await client.shutdown() } catch {
                // Nothing is left to do at shutdown; the pool's sockets close with the process.
                continue
            }
        }
    }

    /// One request through `client`: status, headers and up to 64 KiB of body.
    static func send(_ client: HTTPClient, _ method: String, url: String, headers: [(String, String)], body: [UInt8],
                     timeout: Int64 = 15) async throws -> (status: Int, body: [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(timeout))
        let collected = try await response.body.collect(upTo: 64 * 1024)
        return (Int(response.status.code), Array(collected.readableBytesView))
    }
}

/// JSON Web Tokens as the push services take them: ES256 for APNs provider tokens, RS256 for Google's JWT-bearer grant.
enum PushJWT {
    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func signingInput(header: JSONValue, claims: JSONValue) -> String {
        base64URL(JSONWriter.write(header)) + "." + base64URL(JSONWriter.write(claims))
    }

    /// An APNs provider token: `{"alg":"ES256","kid":KEY_ID}` / `{"iss":TEAM_ID,"iat":…}`, signed with the .p8 key.
    static func apns(keyPEM: String, keyId: String, teamId: String, issuedAt: Date) throws -> String {
        let key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        let input = signingInput(header: .object([("alg", .string("ES256")), ("kid", .string(keyId))]),
                                 claims: .object([("iss", .string(teamId)), ("iat", .int(Int64(issuedAt.timeIntervalSince1970)))]))
        let signature = try key.signature(for: Array(input.utf8))
        return input + "." + base64URL(signature.rawRepresentation)
    }

    /// The assertion of Google's OAuth2 JWT-bearer grant for a service account (scope: Firebase Cloud Messaging).
    static func googleAssertion(keyPEM: String, clientEmail: String, audience: String, issuedAt: Date) throws -> String {
        let key = try _RSA.Signing.PrivateKey(pemRepresentation: keyPEM)
        let iat = Int64(issuedAt.timeIntervalSince1970)
        let input = signingInput(header: .object([("alg", .string("RS256")), ("typ", .string("JWT"))]),
                                 claims: .object([("iss", .string(clientEmail)),
                                                  ("scope", .string("https://www.googleapis.com/auth/firebase.messaging")),
                                                  ("aud", .string(audience)), ("iat", .int(iat)), ("exp", .int(iat + 3600))]))
        let signature = try key.signature(for: Array(input.utf8), padding: .insecurePKCS1v1_5)
        return input + "." + base64URL(signature.rawRepresentation)
    }
}
