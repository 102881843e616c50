// Hummingbird glue: one responder for every route, the operational endpoints, TLS.
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import WardenCore
import WardenStorage

/// Per-request facts only the connection knows.
public struct WardenHTTPContext: Hummingbird.RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public let tlsVersion: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        var version: String?
        if source.channel.eventLoop.inEventLoop,
           let handler = try? source.channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self) {
            version = handler.tlsVersion.map(Self.name)
        }
        tlsVersion = version
    }

    static func name(_ v: TLSVersion) -> String {
        switch v {
        case .tlsv1: return "TLSv1"
        case .tlsv11: return "TLSv1.1"
        case .tlsv12: return "TLSv1.2"
        case .tlsv13: return "TLSv1.3"
        }
    }
}

/// Routes `/_warden/*` to the operational endpoints and everything else to the AWS pipeline.
struct WardenResponder: HTTPResponder {
    typealias Context = WardenHTTPContext
    let pipeline: RequestPipeline
    let metrics: RequestMetrics
    let database: any SQLDatabase
    let dev: Bool
    let tls: Bool
    let maxBodyBytes: Int
    let storageName: String
    /// The SNS signing certificate, served at the SigningCertURL of every notification: (file name, PEM).
    let snsCertificate: @Sendable () async -> (name: String, pem: String)?
    let clock: WardenClock
    /// Moves the dev clock of every node sharing the database (the offset is stored and announced).
    let advanceClock: @Sendable (Double) async throws -> Void
    /// This node's id and the leases it holds, for `/_warden/health`.
    let node: String
    let leases: @Sendable () -> [String]
    /// After a dev-mode reset wiped storage: drops in-memory state (key caches) and re-applies `--seed` fixtures.
    let onReset: @Sendable () async throws -> Void
    /// A body past this is not even read to the end: the connection is closed after the 413.
    static let drainLimit = 64 * 1024 * 1024

    func respond(to request: Request, context: Context) async throws -> Response {
        let target = request.head.path ?? "/"
        let (path, query) = Self.split(target)
        if path.hasPrefix("/_warden/") || path == "/_warden" {
            return await operational(path: path, query: query, method: request.method, body: request.body)
        }
        if request.method == .get, path.hasPrefix("/SimpleNotificationService-"), let cert = await snsCertificate(), path == "/" + cert.name {
            return Self.response(WardenResponse(status: 200, headers: [("Content-Type", "application/x-pem-file")], body: Array(cert.pem.utf8)))
        }
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(request.headers.count + 1)
        // HTTPTypes moves Host into the :authority pseudo-header; SigV4 signs it as `host`.
        if let authority = request.head.authority { headers.append(("host", authority)) }
        for field in request.headers { headers.append((field.name.canonicalName, field.value)) }
        var sourceIP = context.remoteAddress?.ipAddress ?? "127.0.0.1"
        if sourceIP.hasPrefix("::ffff:") { sourceIP = String(sourceIP.dropFirst(7)) }
        let host = headers.first { $0.name == "host" }?.value ?? ""
        let tlsDetails = tls ? TLSDetails(tlsVersion: context.tlsVersion ?? "TLSv1.2", cipherSuite: nil, clientProvidedHostHeader: host) : nil
        var wreq = WardenRequest(method: request.method.rawValue, path: path, query: query, headers: headers,
                                 sourceIP: sourceIP, tls: tlsDetails)
        // Read the body up to the limit; past it, keep draining (so the client can read our answer) but store nothing.
        var buffer = ByteBuffer()
        var total = 0
        do {
            for try await chunk in request.body {
                total += chunk.readableBytes
                if total <= maxBodyBytes {
                    var c = chunk
                    buffer.writeBuffer(&c)
                } else if total > Self.drainLimit {
                    break
                }
            }
        } catch {
            return Self.response(await pipeline.reject(wreq, error: AWSError(code: "MalformedInput", status: 400,
                                                                                 message: "The request body could not be read.")))
        }
        if total > maxBodyBytes {
            var r = Self.response(await pipeline.reject(wreq, error: AWSError(
                code: "RequestEntityTooLarge", status: 413,
                message: "Request body of \(total) bytes exceeds the limit of \(maxBodyBytes) bytes.")))
            r.headers[.connection] = "close"
            return r
        }
        wreq.body = buffer.readBytes(length: buffer.readableBytes) ?? []
        return Self.response(await pipeline.handle(wreq))
    }

    static func split(_ target: String) -> (String, String) {
        guard let q = target.firstIndex(of: "?") else { return (target, "") }
        return (String(target[..<q]), String(target[target.index(after: q)...]))
    }

    static func response(_ r: WardenResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in r.headers {
            if let n = HTTPField.Name(name) { fields.append(HTTPField(name: n, value: value)) }
        }
        return Response(status: .init(code: r.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: r.body)))
    }

    static func json(_ status: Int, _ value: JSONValue) -> Response {
        response(WardenResponse(status: status, headers: [("Content-Type", "application/json")], body: JSONWriter.write(value)))
    }

    func operational(path: String, query: String, method: HTTPRequest.Method, body: RequestBody) async -> Response {
        switch (path, method) {
        case ("/_warden/health", .get), ("/_warden/health", .post):
            // POST is accepted (body read and dropped) so a benchmark can send the exact bytes of an API call to a
            // route with no auth, no routing and no audit.
            if method == .post { _ = try? await body.collect(upTo: maxBodyBytes) }
            return Self.json(200, .object([("status", .string("ok")), ("version", .string(WardenVersion.current)),
                                           ("storage", .string(storageName)), ("mode", .string(dev ? "dev" : "strict")),
                                           ("node", .string(node)), ("leases", .array(leases().map { .string($0) }))]))
        case ("/_warden/metrics", .get):
            return Self.response(WardenResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4")],
                                                body: metrics.exposition()))
        case ("/_warden/reset", .post) where dev:
            do {
                try await Migrations.wipe(database)
                try await onReset()
                return Self.json(200, .object([("status", .string("reset"))]))
            } catch {
                return Self.json(500, .object([("status", .string("error")), ("message", .string("\(error)"))]))
            }
        case ("/_warden/clock", .post) where dev:
            // Moves the clock of time-bound state (deletion windows, rotation dates) forward: ?advance=SECONDS.
            guard query.hasPrefix("advance="), let seconds = Double(query.dropFirst(8)), seconds >= 0, seconds.isFinite else {
                return Self.json(400, .object([("status", .string("error")), ("message", .string("use ?advance=SECONDS"))]))
            }
            do { try await advanceClock(seconds) } catch {
                return Self.json(500, .object([("status", .string("error")), ("message", .string("\(error)"))]))
            }
            return Self.json(200, .object([("status", .string("ok")), ("now", .string(Timestamps.iso8601(clock.now())))]))
        default:
            return Self.json(404, .object([("status", .string("not found"))]))
        }
    }
}

enum TLSSetup {
    static func configuration(cert: String, key: String) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
        let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        var config = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
        config.minimumTLSVersion = .tlsv12
        return config
    }
}
