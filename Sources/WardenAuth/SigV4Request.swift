// The parts of an HTTP request SigV4 covers, as they came over the wire.
import WardenCore

/// A request as SigV4 sees it: raw path and query (still percent-encoded), headers, body hash.
public struct SigV4Request: Sendable {
    public var method: String
    /// The request-target path exactly as sent, without the query.
    public var rawPath: String
    /// The raw query string after `?`, or empty.
    public var rawQuery: String
    /// Header names lowercased, in arrival order; a name may repeat.
    public var headers: [(name: String, value: String)]
    /// Lowercase hex SHA-256 of the body bytes.
    public var bodySHA256: String
    /// S3 canonicalizes the path differently (no normalization, no second encoding).
    public var isS3: Bool

    public init(method: String, rawPath: String, rawQuery: String, headers: [(name: String, value: String)],
                bodySHA256: String, isS3: Bool = false) {
        self.method = method
        self.rawPath = rawPath
        self.rawQuery = rawQuery
        self.headers = headers
        self.bodySHA256 = bodySHA256
        self.isS3 = isS3
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }

    /// Query parameters, percent-decoded (`+` kept literally, as SigV4 canonicalization does).
    public var queryItems: [(String, String)] {
        rawQuery.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let k = PercentEncoding.decodeLenient(kv[0])
            let v = kv.count > 1 ? PercentEncoding.decodeLenient(kv[1]) : ""
            return (k, v)
        }
    }
}

/// The credential scope a request was signed for.
public struct SigV4Scope: Sendable, Equatable, Hashable {
    public var accessKeyId: String
    public var date: String
    public var region: String
    public var service: String

    public init(accessKeyId: String, date: String, region: String, service: String) {
        self.accessKeyId = accessKeyId
        self.date = date
        self.region = region
        self.service = service
    }
}
