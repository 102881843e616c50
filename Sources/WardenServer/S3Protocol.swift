// S3's REST-XML wire for the bucket store: path-style and virtual-host-style addressing, operations chosen by
// method, path and sub-resource, XML bodies, S3's error document.
import Crypto
import Foundation
import WardenAudit
import WardenAuth
import WardenCore
import WardenProtocol
import WardenServices

/// Where an S3 request points: bucket and key from the path or the Host, the decoded query.
struct S3Target {
    var bucket: String?
    var key: String?
    var query: [String: String]
    /// Sub-resources given without a value (`?location`, `?policy`, `?delete`).
    var flags: Set<String>

    /// Virtual-host-style when Host is `<bucket>.s3.<anything>` or `<bucket>.localhost`; otherwise path-style.
    static func parse(_ request: WardenRequest) -> S3Target? {
        var query: [String: String] = [:]
        var flags: Set<String> = []
        for pair in request.query.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let k = PercentEncoding.decodeForm(ArraySlice(kv[0].utf8)) else { return nil }
            // `x-id` names the operation for some SDKs' routing; S3 ignores it. Presigned URLs carry their signature
            // in `X-Amz-*` parameters: authentication reads them, operations and audit records never see them.
            if k == "x-id" || k.hasPrefix("X-Amz-") { continue }
            if kv.count == 1 { flags.insert(k); query[k] = "" } else {
                guard let v = PercentEncoding.decodeForm(ArraySlice(kv[1].utf8)) else { return nil }
                query[k] = v
            }
        }
        // Paths are percent-decoded without treating `+` as space (S3 keys may contain `+`).
        guard let path = PercentEncoding.decodePath(request.path) else { return nil }
        var host = request.header("host") ?? ""
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") { host = String(host[..<colon]) }
        var hostBucket: String?
        if let r = host.range(of: ".s3.") ?? host.range(of: ".s3-") {
            hostBucket = String(host[..<r.lowerBound])
        } else if host.hasSuffix(".localhost") {
            hostBucket = String(host.dropLast(".localhost".count))
        }
        var rest = Substring(path.hasPrefix("/") ? String(path.dropFirst()) : path)
        let bucket: String?
        if let hostBucket, !hostBucket.isEmpty {
            bucket = hostBucket
        } else if let slash = rest.firstIndex(of: "/") {
            bucket = String(rest[..<slash])
            rest = rest[rest.index(after: slash)...]
        } else {
            bucket = rest.isEmpty ? nil : String(rest)
            rest = ""
        }
        return S3Target(bucket: bucket, key: rest.isEmpty ? nil : String(rest), query: query, flags: flags)
    }
}

/// One S3 operation as the audit record names it.
struct S3Operation {
    var name: String
    var readOnly: Bool
    var data: Bool
}

struct S3Handler: Sendable {
    let store: BucketStore
    static let xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"

    static func operation(_ method: String, _ t: S3Target) -> S3Operation? {
        switch (method, t.bucket, t.key) {
        case ("GET", nil, _): return S3Operation(name: "ListBuckets", readOnly: true, data: false)
        case ("PUT", _?, nil):
            if t.flags.contains("policy") { return S3Operation(name: "PutBucketPolicy", readOnly: false, data: false) }
            return t.query.isEmpty ? S3Operation(name: "CreateBucket", readOnly: false, data: false) : nil
        case ("DELETE", _?, nil):
            if t.flags.contains("policy") { return S3Operation(name: "DeleteBucketPolicy", readOnly: false, data: false) }
            return t.query.isEmpty ? S3Operation(name: "DeleteBucket", readOnly: false, data: false) : nil
        case ("HEAD", _?, nil): return S3Operation(name: "HeadBucket", readOnly: true, data: false)
        case ("GET", _?, nil):
            if t.flags.contains("location") { return S3Operation(name: "GetBucketLocation", readOnly: true, data: false) }
            if t.flags.contains("policy") { return S3Operation(name: "GetBucketPolicy", readOnly: true, data: false) }
            let known: Set<String> = ["list-type", "prefix", "delimiter", "marker", "max-keys", "continuation-token",
                                      "start-after", "encoding-type", "fetch-owner"]
            guard t.query.keys.allSatisfy(known.contains) else { return nil }
            return S3Operation(name: t.query["list-type"] == "2" ? "ListObjectsV2" : "ListObjects", readOnly: true, data: true)
        case ("POST", _?, nil) where t.flags.contains("delete"):
            return S3Operation(name: "DeleteObjects", readOnly: false, data: true)
        case ("PUT", _?, _?) where t.query.isEmpty: return S3Operation(name: "PutObject", readOnly: false, data: true)
        case ("GET", _?, _?) where t.query.isEmpty: return S3Operation(name: "GetObject", readOnly: true, data: true)
        case ("HEAD", _?, _?) where t.query.isEmpty: return S3Operation(name: "HeadObject", readOnly: true, data: true)
        case ("DELETE", _?, _?) where t.query.isEmpty: return S3Operation(name: "DeleteObject", readOnly: false, data: true)
        default: return nil
        }
    }

    /// The audit record's requestParameters (never object bytes) and resources.
    static func recordParts(_ t: S3Target, host: String, account: String, partition: String) -> (JSONValue, [AuditResource]) {
        var fields: [(String, JSONValue)] = []
        if let b = t.bucket { fields.append(("bucketName", .string(b))) }
        fields.append(("Host", .string(host)))
        if let k = t.key { fields.append(("key", .string(k))) }
        for (k, v) in t.query.sorted(by: { $0.key < $1.key }) { fields.append((k, .string(v))) }
        var resources: [AuditResource] = []
        if let b = t.bucket {
            if let k = t.key {
                resources.append(AuditResource(type: "AWS::S3::Object", arn: "arn:\(partition):s3:::\(b)/\(k)", account: account))
            }
            resources.append(AuditResource(type: "AWS::S3::Bucket", arn: "arn:\(partition):s3:::\(b)", account: account))
        }
        return (.object(fields), resources)
    }

    func handle(_ op: S3Operation, _ t: S3Target, _ request: WardenRequest, context c: RequestContext) async throws -> WardenResponse {
        let account = c.account
        switch op.name {
        case "ListBuckets": return try await listBuckets(account: account)
        case "CreateBucket":
            let bucket = t.bucket ?? ""
            let constraint = try Self.locationConstraint(request.body)
            _ = try await store.createBucket(name: bucket, account: account, region: c.region, locationConstraint: constraint)
            return WardenResponse(status: 200, headers: [("Location", "/\(bucket)")])
        case "DeleteBucket":
            try await store.deleteBucket(name: t.bucket ?? "", account: account)
            return WardenResponse(status: 204)
        case "HeadBucket":
            let b = try await store.ownedBucket(t.bucket ?? "", account: account)
            return WardenResponse(status: 200, headers: [("x-amz-bucket-region", b.region)])
        case "GetBucketLocation":
            let b = try await store.ownedBucket(t.bucket ?? "", account: account)
            var w = XMLWriter(declaration: true)
            w.open("LocationConstraint", xmlns: Self.xmlns)
            if b.region != "us-east-1" { w.escape(b.region) }
            w.close("LocationConstraint")
            return Self.xml(w)
        case "PutBucketPolicy":
            try await store.putPolicy(bucket: t.bucket ?? "", account: account, policy: String(decoding: request.body, as: UTF8.self))
            return WardenResponse(status: 204)
        case "GetBucketPolicy":
            let p = try await store.policy(bucket: t.bucket ?? "", account: account)
            return WardenResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(p.utf8))
        case "DeleteBucketPolicy":
            try await store.deletePolicy(bucket: t.bucket ?? "", account: account)
            return WardenResponse(status: 204)
        case "ListObjects", "ListObjectsV2": return try await list(t, v2: op.name == "ListObjectsV2", account: account)
        case "PutObject": return try await putObject(t, request, context: c)
        case "GetObject", "HeadObject": return try await getObject(t, request, context: c, head: op.name == "HeadObject")
        case "DeleteObject":
            try await store.deleteObject(bucket: t.bucket ?? "", key: t.key ?? "", account: account)
            return WardenResponse(status: 204)
        case "DeleteObjects": return try await deleteObjects(t, request, account: account)
        default:
            throw AWSError(code: "NotImplemented", status: 501, message: "A header you provided implies functionality that is not implemented")
        }
    }

    static func xml(_ w: XMLWriter, status: Int = 200) -> WardenResponse {
        WardenResponse(status: status, headers: [("Content-Type", "application/xml")], body: w.bytes)
    }

    static func iso(_ millis: Int64) -> String { Timestamps.iso8601(Date(timeIntervalSince1970: Double(millis) / 1000)) }

    /// RFC 7231 date, as S3 sends Last-Modified.
    static func httpDate(_ millis: Int64) -> String {
        let (y, mo, d, h, mi, s) = Timestamps.civil(millis / 1000)
        let days = millis / 1000 / 86400
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][Int(((days % 7) + 7) % 7)]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func p(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(weekday), \(p(d)) \(months[mo - 1]) \(y) \(p(h)):\(p(mi)):\(p(s)) GMT"
    }

    func listBuckets(account: String) async throws -> WardenResponse {
        let buckets = try await store.listBuckets(account: account)
        var w = XMLWriter(declaration: true)
        w.open("ListAllMyBucketsResult", xmlns: Self.xmlns)
        w.open("Owner")
        w.element("ID", Self.ownerId(account))
        w.close("Owner")
        w.open("Buckets")
        for b in buckets {
            w.open("Bucket")
            w.element("Name", b.name)
            w.element("CreationDate", Self.iso(b.createdAtMillis))
            w.element("BucketRegion", b.region)
            w.close("Bucket")
        }
        w.close("Buckets")
        w.close("ListAllMyBucketsResult")
        return Self.xml(w)
    }

    /// A stable canonical-user-style id for an account.
    static func ownerId(_ account: String) -> String { Hex.encode(SHA256.hash(data: Array("warden-owner:\(account)".utf8))) }

    func list(_ t: S3Target, v2: Bool, account: String) async throws -> WardenResponse {
        let q = t.query
        var maxKeys = 1000
        if let m = q["max-keys"] {
            guard let n = Int(m), n >= 0 else {
                throw AWSError(code: "InvalidArgument", status: 400, message: "Provided max-keys not an integer or within integer range")
            }
            maxKeys = min(n, 1000)
        }
        let urlEncoding: Bool
        switch q["encoding-type"] {
        case nil: urlEncoding = false
        case "url"?: urlEncoding = true
        default: throw AWSError(code: "InvalidArgument", status: 400, message: "Invalid Encoding Method specified in Request")
        }
        let prefix = q["prefix"] ?? ""
        let delimiter = q["delimiter"]
        var after: String?
        if v2 {
            if let token = q["continuation-token"] {
                guard let raw = Data(base64Encoded: token), let key = String(data: raw, encoding: .utf8) else {
                    throw AWSError(code: "InvalidArgument", status: 400, message: "The continuation token provided is incorrect")
                }
                after = key
            } else if let s = q["start-after"], !s.isEmpty {
                after = s
            }
        } else if let m = q["marker"], !m.isEmpty {
            after = m
        }
        let page = try await store.list(bucket: t.bucket ?? "", account: account, prefix: prefix, delimiter: delimiter,
                                        after: after, maxKeys: maxKeys)
        // encoding-type=url: RFC 3986 encoding with "/" kept, as S3 encodes keys.
        func enc(_ s: String) -> String { urlEncoding ? SigV4Canonical.uriEncode(s, keepSlash: true) : s }
        var w = XMLWriter(declaration: true)
        w.open("ListBucketResult", xmlns: Self.xmlns)
        w.element("Name", t.bucket ?? "")
        w.element("Prefix", enc(prefix))
        if v2 {
            if let token = q["continuation-token"] { w.element("ContinuationToken", token) }
            if let s = q["start-after"] { w.element("StartAfter", enc(s)) }
            w.element("KeyCount", String(page.objects.count + page.commonPrefixes.count))
        } else {
            w.element("Marker", enc(q["marker"] ?? ""))
        }
        w.element("MaxKeys", String(maxKeys))
        if let delimiter { w.element("Delimiter", enc(delimiter)) }
        if urlEncoding { w.element("EncodingType", "url") }
        w.element("IsTruncated", page.truncated ? "true" : "false")
        if page.truncated, let last = page.last {
            if v2 {
                w.element("NextContinuationToken", Data(last.utf8).base64EncodedString())
            } else if delimiter != nil {
                w.element("NextMarker", enc(last))
            }
        }
        let fetchOwner = !v2 || q["fetch-owner"] == "true"
        for o in page.objects {
            w.open("Contents")
            w.element("Key", enc(o.key))
            w.element("LastModified", Self.iso(o.lastModifiedMillis))
            w.element("ETag", o.etag)
            w.element("Size", String(o.size))
            if fetchOwner {
                w.open("Owner")
                w.element("ID", Self.ownerId(account))
                w.close("Owner")
            }
            w.element("StorageClass", "STANDARD")
            w.close("Contents")
        }
        for p in page.commonPrefixes {
            w.open("CommonPrefixes")
            w.element("Prefix", enc(p))
            w.close("CommonPrefixes")
        }
        w.close("ListBucketResult")
        return Self.xml(w)
    }

    /// SSE headers of a PUT: SSE-KMS with the named key or the account's `alias/aws/s3`; other kinds are refused.
    static func sse(_ request: WardenRequest, context c: RequestContext) throws -> SSEKMSRequest? {
        let keyId = request.header("x-amz-server-side-encryption-aws-kms-key-id")
        switch request.header("x-amz-server-side-encryption") {
        case nil:
            guard keyId == nil else {
                throw AWSError(code: "InvalidArgument", status: 400,
                               message: "x-amz-server-side-encryption header is not supported for this operation.")
            }
            return nil
        case "aws:kms"?: return SSEKMSRequest(keyId: keyId, context: c)
        case "AES256"?, "aws:kms:dsse"?:
            throw AWSError(code: "NotImplemented", status: 501,
                           message: "Only SSE-KMS (aws:kms) server-side encryption is implemented by Warden's bucket store.")
        case let other?:
            throw AWSError(code: "InvalidArgument", status: 400, message: "The encryption method specified is not supported: \(other)")
        }
    }

    static func sseHeaders(_ meta: ObjectMeta) -> [(name: String, value: String)] {
        guard let arn = meta.sseKmsKeyArn else { return [] }
        return [("x-amz-server-side-encryption", "aws:kms"), ("x-amz-server-side-encryption-aws-kms-key-id", arn)]
    }

    func putObject(_ t: S3Target, _ request: WardenRequest, context c: RequestContext) async throws -> WardenResponse {
        if request.header("x-amz-copy-source") != nil {
            throw AWSError(code: "NotImplemented", status: 501, message: "CopyObject is not implemented by Warden's bucket store.")
        }
        var meta = ObjectMeta(contentType: request.header("content-type") ?? "binary/octet-stream")
        meta.contentEncoding = request.header("content-encoding")
        meta.contentDisposition = request.header("content-disposition")
        meta.contentLanguage = request.header("content-language")
        meta.cacheControl = request.header("cache-control")
        meta.expires = request.header("expires")
        meta.userMetadata = request.headers.filter { $0.name.hasPrefix("x-amz-meta-") }
            .map { [String($0.name.dropFirst("x-amz-meta-".count)), $0.value] }
        if let crc = request.header("x-amz-checksum-crc32") {
            guard crc == Self.crc32Base64(request.body) else {
                throw AWSError(code: "BadDigest", status: 400, message: "The CRC32 you specified did not match the calculated checksum.")
            }
            meta.checksumCRC32 = crc
        }
        let stored = try await store.putObject(bucket: t.bucket ?? "", key: t.key ?? "", account: c.account, body: request.body,
                                               meta: meta, contentMD5: request.header("content-md5"), sse: try Self.sse(request, context: c))
        var headers: [(name: String, value: String)] = [("ETag", stored.row.etag)] + Self.sseHeaders(stored.meta)
        if let crc = meta.checksumCRC32 { headers.append(("x-amz-checksum-crc32", crc)) }
        return WardenResponse(status: 200, headers: headers)
    }

    func getObject(_ t: S3Target, _ request: WardenRequest, context c: RequestContext, head: Bool) async throws -> WardenResponse {
        // A put (on any node) replacing the object between reading its row and its body: read the new version instead.
        for _ in 0..<3 {
            do {
                return try await getObjectOnce(t, request, context: c, head: head)
            } catch is ObjectReplaced {
                continue
            }
        }
        throw AWSError(code: "InternalError", status: 500, senderFault: false, message: "We encountered an internal error. Please try again.")
    }

    func getObjectOnce(_ t: S3Target, _ request: WardenRequest, context c: RequestContext, head: Bool) async throws -> WardenResponse {
        let object = try await store.headObject(bucket: t.bucket ?? "", key: t.key ?? "", account: c.account)
        let size = object.row.size
        var headers: [(name: String, value: String)] = [
            ("Content-Type", object.meta.contentType), ("ETag", object.row.etag),
            ("Last-Modified", Self.httpDate(object.row.lastModifiedMillis)), ("Accept-Ranges", "bytes"),
        ]
        for (name, value) in [("Content-Encoding", object.meta.contentEncoding), ("Content-Disposition", object.meta.contentDisposition),
                              ("Content-Language", object.meta.contentLanguage), ("Cache-Control", object.meta.cacheControl),
                              ("Expires", object.meta.expires)] {
            if let value { headers.append((name, value)) }
        }
        for pair in object.meta.userMetadata where pair.count == 2 { headers.append(("x-amz-meta-\(pair[0])", pair[1])) }
        headers += Self.sseHeaders(object.meta)
        if let etag = request.header("if-none-match"), etag == object.row.etag || etag == "*" {
            return WardenResponse(status: 304, headers: headers.filter { $0.name != "Content-Type" })
        }
        if let etag = request.header("if-match"), etag != object.row.etag && etag != "*" {
            throw AWSError(code: "PreconditionFailed", status: 412, message: "At least one of the pre-conditions you specified did not hold")
        }
        var range: Range<Int64>?
        var status = 200
        if let spec = request.header("range") {
            if let r = Self.parseRange(spec, size: size) {
                guard !r.isEmpty else {
                    throw AWSError(code: "InvalidRange", status: 416, message: "The requested range is not satisfiable")
                }
                range = r
                status = 206
                headers.append(("Content-Range", "bytes \(r.lowerBound)-\(r.upperBound - 1)/\(size)"))
            }
        }
        // The stored checksum covers the whole object, so a part is sent without it.
        if range == nil, request.header("x-amz-checksum-mode")?.uppercased() == "ENABLED", let crc = object.meta.checksumCRC32 {
            headers.append(("x-amz-checksum-crc32", crc))
        }
        let length = range.map { $0.upperBound - $0.lowerBound } ?? size
        headers.append(("Content-Length", String(length)))
        if head { return WardenResponse(status: status, headers: headers) }
        return WardenResponse(status: status, headers: headers, body: try await store.read(object, range: range, requestId: c.requestId))
    }

    /// `bytes=a-b`, `bytes=a-`, `bytes=-n`. Nil for a header S3 ignores (syntax it does not parse, several ranges);
    /// an empty range for one it refuses as unsatisfiable.
    static func parseRange(_ spec: String, size: Int64) -> Range<Int64>? {
        guard spec.hasPrefix("bytes="), !spec.contains(",") else { return nil }
        let parts = spec.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        if parts[0].isEmpty {
            guard let n = Int64(parts[1]) else { return nil }
            if n == 0 || size == 0 { return 0..<0 }
            return max(0, size - n)..<size
        }
        guard let a = Int64(parts[0]) else { return nil }
        let b = parts[1].isEmpty ? Int64.max : (Int64(parts[1]) ?? -1)
        guard b >= a else { return nil }
        if a >= size { return 0..<0 }
        return a..<min(b, size - 1) + 1
    }

    func deleteObjects(_ t: S3Target, _ request: WardenRequest, account: String) async throws -> WardenResponse {
        let body = String(decoding: request.body, as: UTF8.self)
        let keys = SimpleXML.values(of: "Key", in: body)
        guard body.contains("<Delete"), !keys.isEmpty else {
            throw AWSError(code: "MalformedXML", status: 400,
                           message: "The XML you provided was not well-formed or did not validate against our published schema")
        }
        guard keys.count <= 1000 else {
            throw AWSError(code: "MalformedXML", status: 400, message: "The XML you provided was not well-formed or did not validate against our published schema")
        }
        let quiet = SimpleXML.values(of: "Quiet", in: body).first == "true"
        var w = XMLWriter(declaration: true)
        w.open("DeleteResult", xmlns: Self.xmlns)
        for key in keys {
            do {
                try await store.deleteObject(bucket: t.bucket ?? "", key: key, account: account)
                if !quiet {
                    w.open("Deleted")
                    w.element("Key", key)
                    w.close("Deleted")
                }
            } catch let e as AWSError {
                if e.code == "NoSuchBucket" || e.code == "AccessDenied" { throw e }
                w.open("Error")
                w.element("Key", key)
                w.element("Code", e.code)
                w.element("Message", e.message)
                w.close("Error")
            }
        }
        w.close("DeleteResult")
        return Self.xml(w)
    }

    static func locationConstraint(_ body: [UInt8]) throws -> String? {
        guard !body.isEmpty else { return nil }
        let text = String(decoding: body, as: UTF8.self)
        guard text.contains("CreateBucketConfiguration") else {
            throw AWSError(code: "MalformedXML", status: 400,
                           message: "The XML you provided was not well-formed or did not validate against our published schema")
        }
        return SimpleXML.values(of: "LocationConstraint", in: text).first
    }

    /// S3's error document (HEAD responses carry no body).
    static func error(_ e: AWSError, method: String, target: S3Target?, requestId: String) -> WardenResponse {
        var headers: [(name: String, value: String)] = [("x-amz-request-id", requestId)]
        if method == "HEAD" { return WardenResponse(status: e.status, headers: headers) }
        var w = XMLWriter(declaration: true)
        w.open("Error")
        w.element("Code", e.code)
        w.element("Message", e.message)
        if e.code == "NoSuchBucket" || e.code == "BucketNotEmpty" || e.code == "BucketAlreadyExists", let b = target?.bucket {
            w.element("BucketName", b)
        }
        if e.code == "NoSuchKey", let k = target?.key { w.element("Key", k) }
        w.element("RequestId", requestId)
        w.element("HostId", requestId)
        w.close("Error")
        headers.append(("Content-Type", "application/xml"))
        return WardenResponse(status: e.status, headers: headers, body: w.bytes)
    }

    static let crcTable: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32Base64(_ bytes: [UInt8]) -> String {
        var c: UInt32 = 0xFFFFFFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        c ^= 0xFFFFFFFF
        return Data([UInt8(c >> 24), UInt8((c >> 16) & 0xFF), UInt8((c >> 8) & 0xFF), UInt8(c & 0xFF)]).base64EncodedString()
    }
}

/// Enough XML reading for S3's small request documents: the text of every `<name>…</name>`, entities decoded.
enum SimpleXML {
    static func values(of name: String, in text: String) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "<\(name)>") {
            guard let close = rest[open.upperBound...].range(of: "</\(name)>") else { break }
            out.append(unescape(String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
        return out
    }

    static func unescape(_ s: String) -> String {
        guard s.contains("&") else { return s }
        var out = s
        for (e, c) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&apos;", "'")] {
            out = out.replacingOccurrences(of: e, with: c)
        }
        var result = ""
        var rest = Substring(out)
        while let amp = rest.range(of: "&#") {
            result += rest[..<amp.lowerBound]
            guard let semi = rest[amp.upperBound...].firstIndex(of: ";") else { rest = rest[amp.lowerBound...]; break }
            let num = rest[amp.upperBound..<semi]
            let value = num.hasPrefix("x") ? UInt32(num.dropFirst(), radix: 16) : UInt32(num)
            if let value, let scalar = Unicode.Scalar(value) { result.unicodeScalars.append(scalar) }
            rest = rest[rest.index(after: semi)...]
        }
        result += rest
        return result.replacingOccurrences(of: "&amp;", with: "&")
    }
}
