// HTTP as the pipeline sees it, independent of the server library.
import WardenCore

/// A fully received request.
public struct WardenRequest: Sendable {
    public var method: String
    /// Raw request target path (still percent-encoded), without the query.
    public var path: String
    /// Raw query string, without `?`.
    public var query: String
    /// Lowercased names, arrival order.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var sourceIP: String
    public var tls: TLSDetails?

    public init(method: String, path: String, query: String = "", headers: [(name: String, value: String)],
                body: [UInt8] = [], sourceIP: String = "127.0.0.1", tls: TLSDetails? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers.map { ($0.name.lowercased(), $0.value) }
        self.body = body
        self.sourceIP = sourceIP
        self.tls = tls
    }

    public func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
}

public struct WardenResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
    public var text: String { String(decoding: body, as: UTF8.self) }
}
