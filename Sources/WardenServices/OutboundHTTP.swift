// Warden's outbound HTTP(S) client: SNS deliveries to http/https endpoints and the SMS gateway.
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// One pooled client for the process. HTTPS verifies certificates against the system's trust store plus the CAs of
/// `--outbound-trust-ca` (for tests and private endpoints). Redirects are not followed: SNS treats them as failures.
public final class OutboundHTTP: Sendable {
    let client: HTTPClient

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
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
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
        let response = try await client.execute(request, timeout: .seconds(seconds))
        let collected = try await response.body.collect(upTo: maxBody)
        return Response(status: Int(response.status.code), body: Array(collected.readableBytesView))
    }

    /// Closes pooled connections; call once, at shutdown.
    public func shutdown() async {
        try? await client.shutdown()
    }
}

/// A configuration error with a plain message (start-up only).
public struct OutboundHTTPError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
