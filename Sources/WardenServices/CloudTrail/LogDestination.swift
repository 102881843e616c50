// Where a trail's files go: Warden's own bucket store, or a bucket on an external S3-compatible endpoint (configured
// on the Warden side, with its own credentials) reached over HTTP and signed with our SigV4 signer.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import WardenAuth
import WardenCore

/// A bucket that lives on another S3-compatible server.
public struct ExternalBucket: Sendable, Equatable {
    public var bucket: String
    /// Base URL of the endpoint, e.g. `https://minio.internal:9000`; requests are path-style.
    public var endpoint: URL
    public var region: String
    public var accessKeyId: String
    public var secretAccessKey: String

    public init(bucket: String, endpoint: URL, region: String, accessKeyId: String, secretAccessKey: String) {
        self.bucket = bucket
        self.endpoint = endpoint
        self.region = region
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
    }
}

/// Failures carry the S3 error code (`NoSuchBucket`, `AccessDenied` …), which GetTrailStatus shows.
protocol LogDestination: Sendable {
    /// Whether CloudTrail may write into the bucket now.
    func checkWritable(bucket: String) async throws
    /// `kmsKeyArn`: store the object with SSE-KMS under that key, on behalf of `account`.
    func put(bucket: String, key: String, body: [UInt8], metadata: [(String, String)], kmsKeyArn: String?, account: String) async throws
}

struct InternalDestination: LogDestination {
    let store: BucketStore

    func checkWritable(bucket: String) async throws {
        guard let b = try await store.bucket(named: bucket) else {
            throw AWSError(code: "NoSuchBucket", status: 404, message: "The specified bucket does not exist")
        }
        guard BucketPolicyCheck.allowsCloudTrailWrites(b.policy) else {
            throw AWSError(code: "AccessDenied", status: 403, message: "Access Denied")
        }
    }

    func put(bucket: String, key: String, body: [UInt8], metadata: [(String, String)], kmsKeyArn: String?, account: String) async throws {
        var sse: SSEKMSRequest?
        if let kmsKeyArn, let arn = ARN(kmsKeyArn) {
            sse = SSEKMSRequest(keyId: kmsKeyArn, context: RequestContext(
                requestId: TimeOrderedID.make(), account: arn.account, region: arn.region, principal: nil, sourceIP: "",
                userAgent: "cloudtrail.amazonaws.com", receivedAt: Date(), tls: nil))
        }
        _ = try await store.write(bucket: bucket, key: key, body: body,
                                  meta: ObjectMeta(contentType: "application/x-gzip", userMetadata: metadata), sse: sse)
    }
}

struct ExternalDestination: LogDestination {
    let config: ExternalBucket
    static let timeout: TimeInterval = 30

    func url(_ bucket: String, _ key: String?) -> (URL, String)? {
        var path = config.endpoint.path.hasSuffix("/") ? String(config.endpoint.path.dropLast()) : config.endpoint.path
        path += "/" + SigV4Canonical.uriEncode(bucket)
        if let key { path += "/" + SigV4Canonical.uriEncode(key, keepSlash: true) }
        var c = URLComponents(url: config.endpoint, resolvingAgainstBaseURL: false)
        c?.percentEncodedPath = path
        return c?.url.map { ($0, path) }
    }

    var hostHeader: String {
        let host = config.endpoint.host ?? ""
        guard let port = config.endpoint.port else { return host }
        let scheme = config.endpoint.scheme ?? "http"
        return (scheme == "http" && port == 80) || (scheme == "https" && port == 443) ? host : "\(host):\(port)"
    }

    func send(_ method: String, bucket: String, key: String?, body: [UInt8] = [], headers: [(String, String)] = []) async throws -> Int {
        guard let (url, path) = url(bucket, key) else {
            throw AWSError(code: "InvalidURI", status: 400, message: "Cannot form a URL for \(config.endpoint)")
        }
        let base = [(name: "host", value: hostHeader)] + headers.map { (name: $0.0.lowercased(), value: $0.1) }
        let auth = SigV4Signer.sign(method: method, path: path, headers: base, body: body, accessKeyId: config.accessKeyId,
                                    secretAccessKey: config.secretAccessKey, region: config.region, service: "s3")
        var request = URLRequest(url: url, timeoutInterval: Self.timeout)
        request.httpMethod = method
        for (name, value) in headers + auth.map({ ($0.name, $0.value) }) { request.setValue(value, forHTTPHeaderField: name) }
        if method == "PUT" { request.httpBody = Data(body) }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw AWSError(code: "ServiceUnavailable", status: 503, senderFault: false,
                           message: "\(config.endpoint) did not answer: \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            let text = String(decoding: data, as: UTF8.self)
            let code = Self.errorCode(text) ?? (status == 404 ? "NoSuchBucket" : status == 403 ? "AccessDenied" : "HTTP\(status)")
            throw AWSError(code: code, status: status, message: "\(method) \(url) answered \(status)")
        }
        return status
    }

    static func errorCode(_ xml: String) -> String? {
        guard let a = xml.range(of: "<Code>"), let b = xml.range(of: "</Code>", range: a.upperBound..<xml.endIndex) else { return nil }
        return String(xml[a.upperBound..<b.lowerBound])
    }

    func checkWritable(bucket: String) async throws {
        _ = try await send("HEAD", bucket: bucket, key: nil)
    }

    func put(bucket: String, key: String, body: [UInt8], metadata: [(String, String)], kmsKeyArn: String?, account: String) async throws {
        var headers = [("Content-Type", "application/x-gzip")] + metadata.map { ("x-amz-meta-\($0.0)", $0.1) }
        if let kmsKeyArn {
            headers += [("x-amz-server-side-encryption", "aws:kms"), ("x-amz-server-side-encryption-aws-kms-key-id", kmsKeyArn)]
        }
        _ = try await send("PUT", bucket: bucket, key: key, body: body, headers: headers)
    }
}
