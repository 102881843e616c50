// Warden's outbound HTTP(S) client: SNS deliveries to http/https endpoints and the SMS gateway.
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// One pooled client for the process. HTTPS verifies certificates against the system's trust store plus the CAs of
/// `--outbound-trust-ca` (for tests and private endpoints). Redirects are not followed: SNS treats them as failures.
public final class OutboundHTTP: Sendable {
    let configuration: HTTPClient.Configuration
    /// Made on first use, so a process that stops before sending anything has no client to shut down; after
    /// `shutdown` nothing more is sent.
    private enum State {
        case idle
        case running(HTTPClient)
        case closed
    }
    private let state = Mutex(State.idle)

    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    /// `trustedCAFile`: a PEM file of extra CA certificates to trust; an unreadable or empty file is an error.
    public init(trustedCAFile: String? = nil) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let trustedCAFile {
            let certificates = try NIOSSLCertificate.fromPEMFile(trustedCAFile)
            guard !certificates.isEmpty else {
                throw OutboundHTTPError("no certificates in \(trustedCAFile)")
            }
            tls.additionalTrustRoots = [.certificates(certificates)]
        }
        var config = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow,
                                              timeout: .init(connect: .seconds(5), read: .seconds(15)))
        config.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        configuration = config
    }

    func shared() throws -> HTTPClient {
        try state.withLock { s in
            switch s {
            case .running(let c): return c
            case .closed: throw OutboundHTTPError("shutting down")
            case .idle:
                let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
                s = .running(made)
                return made
            }
        }
    }

    /// Sends one request; answers the status and up to `maxBody` bytes of the body. Throws on connection, TLS and
    /// timeout failures (a total deadline of `timeout`).
    public func send(_ method: String, url: String, headers: [(String, String)], body: [UInt8],
                     timeout: Duration = .seconds(15), maxBody: Int = 64 * 1024) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let seconds = timeout.components.seconds
        let response = try await shared().execute(request, timeout: .seconds(seconds))
        let collected = try await response.body.collect(upTo: maxBody)
        return Response(status: Int(response.status.code), body: Array(collected.readableBytesView))
    }

    /// Closes pooled connections; call once, at shutdown.
    public func shutdown() async {
        let made = state.withLock { s -> HTTPClient? in
            defer { s = .closed }
            if case .running(let c) = s { return c }
            return nil
        }
        try? await made?.shutdown()
    }
}

/// A configuration error with a plain message (start-up only).
public struct OutboundHTTPError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
