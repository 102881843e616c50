// The S3-compatible bucket store trails deliver into: bucket rows, object rows and object bodies all in storage (an
// object's row and body commit in one transaction), so every node sharing the database serves every object.
import Crypto
import Foundation
import WardenCore
import WardenStorage

/// What S3 keeps about an object besides its bytes.
public struct ObjectMeta: Codable, Sendable, Equatable {
    public var contentType: String
    public var contentEncoding: String?
    public var contentDisposition: String?
    public var contentLanguage: String?
    public var cacheControl: String?
    public var expires: String?
    /// `x-amz-meta-*` pairs, names lowercased without the prefix, in the order given.
    public var userMetadata: [[String]]
    public var checksumCRC32: String?
    /// SSE-KMS: the key's ARN and the data key's KMS ciphertext (base64); the stored body is nonce | ciphertext | tag.
    public var sseKmsKeyArn: String?
    public var sseDataKey: String?

    public init(contentType: String = "binary/octet-stream", userMetadata: [(String, String)] = []) {
        self.contentType = contentType
        self.userMetadata = userMetadata.map { [$0.0, $0.1] }
    }
}

public struct StoredObject: Sendable {
    public var row: ObjectRow
    public var meta: ObjectMeta
}

/// One page of a listing: objects and the common prefixes rolled up at the delimiter, in key order.
public struct ObjectListing: Sendable {
    public var objects: [ObjectRow] = []
    public var commonPrefixes: [String] = []
    public var truncated = false
    /// The last key or common prefix returned: where the next page starts.
    public var last: String?
}

/// SSE-KMS for a write: the key (nil: the account's AWS managed `alias/aws/s3`) and who asks, for KMS.
public struct SSEKMSRequest: Sendable {
    public var keyId: String?
    public var context: RequestContext
    public init(keyId: String?, context: RequestContext) {
        self.keyId = keyId
        self.context = context
    }
}

/// A read found the object's body gone because a put replaced the object after its row was read; reading the object
/// again (row, then body) gets the new version.
public struct ObjectReplaced: Error, Sendable {
    public init() {}
}

public struct BucketStore: Sendable {
    let repository: BucketRepository
    let keys: (any DataKeyProvider)?
    let now: @Sendable () -> Date

    static let maxUserMetadataBytes = 2048

    public init(repository: BucketRepository, keys: (any DataKeyProvider)? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.repository = repository
        self.keys = keys
        self.now = now
    }

    // MARK: errors (S3's codes and messages)

    static func noSuchBucket(_ name: String) -> AWSError {
        AWSError(code: "NoSuchBucket", status: 404, message: "The specified bucket does not exist")
    }
    static func noSuchKey() -> AWSError { AWSError(code: "NoSuchKey", status: 404, message: "The specified key does not exist.") }
    static func accessDenied() -> AWSError { AWSError(code: "AccessDenied", status: 403, message: "Access Denied") }

    // MARK: buckets

    /// Bucket naming rules for general purpose buckets.
    public static func isValidBucketName(_ n: String) -> Bool {
        let b = Array(n.utf8)
        guard (3...63).contains(b.count) else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        guard alnum(b[0]), alnum(b[b.count - 1]) else { return false }
        guard b.allSatisfy({ alnum($0) || $0 == 0x2D || $0 == 0x2E }) else { return false }
        if n.contains("..") || n.contains(".-") || n.contains("-.") { return false }
        if n.hasPrefix("xn--") || n.hasPrefix("sthree-") || n.hasSuffix("-s3alias") || n.hasSuffix("--ol-s3") { return false }
        let parts = n.split(separator: ".")
        if parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) { return false }
        return true
    }

    public func createBucket(name: String, account: String, region: String, locationConstraint: String?) async throws -> BucketRow {
        guard Self.isValidBucketName(name) else {
            throw AWSError(code: "InvalidBucketName", status: 400, message: "The specified bucket is not valid.")
        }
        // us-east-1 takes no constraint; every other region needs its own name as the constraint.
        let wanted = (locationConstraint?.isEmpty ?? true) ? "us-east-1" : locationConstraint ?? ""
        if locationConstraint == "us-east-1" {
            throw AWSError(code: "InvalidLocationConstraint", status: 400, message: "The specified location-constraint is not valid")
        }
        guard wanted == region else {
            if region == "us-east-1" || !(locationConstraint?.isEmpty ?? true) {
                throw AWSError(code: "IllegalLocationConstraintException", status: 400,
                               message: "The \(wanted) location constraint is incompatible for the region specific endpoint this request was sent to.")
            }
            throw AWSError(code: "IllegalLocationConstraintException", status: 400,
                           message: "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.")
        }
        let row = BucketRow(name: name, account: account, region: region,
                            createdAtMillis: Int64(now().timeIntervalSince1970 * 1000), policy: nil)
        if let existing = try await repository.createBucket(row) {
            guard existing.account == account else {
                throw AWSError(code: "BucketAlreadyExists", status: 409,
                               message: "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
            }
            // us-east-1 answers a repeated create by the owner with success (legacy behaviour); other regions refuse.
            if existing.region == "us-east-1" && region == "us-east-1" { return existing }
            throw AWSError(code: "BucketAlreadyOwnedByYou", status: 409,
                           message: "Your previous request to create the named bucket succeeded and you already own it.")
        }
        return row
    }

    /// The bucket, if it exists and `account` owns it (no bucket policies are evaluated yet: other accounts are denied).
    public func ownedBucket(_ name: String, account: String) async throws -> BucketRow {
        guard let b = try await repository.bucket(name) else { throw Self.noSuchBucket(name) }
        guard b.account == account else { throw Self.accessDenied() }
        return b
    }

    public func bucket(named name: String) async throws -> BucketRow? { try await repository.bucket(name) }

    public func listBuckets(account: String) async throws -> [BucketRow] { try await repository.buckets(account: account) }

    public func deleteBucket(name: String, account: String) async throws {
        _ = try await ownedBucket(name, account: account)
        switch try await repository.deleteBucket(name) {
        case .deleted: return
        case .missing: throw Self.noSuchBucket(name)
        case .notEmpty:
            throw AWSError(code: "BucketNotEmpty", status: 409, message: "The bucket you tried to delete is not empty")
        }
    }

    public func putPolicy(bucket: String, account: String, policy: String) async throws {
        _ = try await ownedBucket(bucket, account: account)
        guard case .object(let fields)? = try? JSONParser.parse(Array(policy.utf8)),
              fields.contains(where: { $0.0 == "Statement" }) else {
            throw AWSError(code: "MalformedPolicy", status: 400, message: "Policies must be valid JSON and the first byte must be '{'")
        }
        guard try await repository.setPolicy(bucket: bucket, policy: policy) else { throw Self.noSuchBucket(bucket) }
    }

    public func policy(bucket: String, account: String) async throws -> String {
        let b = try await ownedBucket(bucket, account: account)
        guard let p = b.policy else {
            throw AWSError(code: "NoSuchBucketPolicy", status: 404, message: "The bucket policy does not exist")
        }
        return p
    }

    public func deletePolicy(bucket: String, account: String) async throws {
        _ = try await ownedBucket(bucket, account: account)
        _ = try await repository.setPolicy(bucket: bucket, policy: nil)
    }

    // MARK: objects

    /// Stores an object durably and returns its row. `contentMD5` is the request's base64 Content-MD5, if sent.
    public func putObject(bucket: String, key: String, account: String, body: [UInt8], meta: ObjectMeta,
                          contentMD5: String? = nil, sse: SSEKMSRequest? = nil) async throws -> StoredObject {
        _ = try await ownedBucket(bucket, account: account)
        return try await write(bucket: bucket, key: key, body: body, meta: meta, contentMD5: contentMD5, sse: sse)
    }

    static func objectARN(_ partition: String, _ bucket: String, _ key: String) -> String { "arn:\(partition):s3:::\(bucket)/\(key)" }

    /// KMS errors reach S3 clients prefixed, as S3 reports them (`KMS.NotFoundException`).
    static func kmsError(_ error: any Error) -> any Error {
        guard let e = error as? AWSError, e.status < 500 else { return error }
        return AWSError(code: "KMS.\(e.code)", status: 400, message: e.message)
    }

    /// Seals the body under a fresh data key from KMS, bound to the object's ARN.
    func encrypt(_ body: [UInt8], bucket: String, key: String, sse: SSEKMSRequest, meta: inout ObjectMeta) async throws -> [UInt8] {
        guard let keys else {
            throw AWSError(code: "NotImplemented", status: 501, message: "SSE-KMS needs KMS, which this store was started without.")
        }
        let arn = Self.objectARN(sse.context.partition.rawValue, bucket, key)
        do {
            let keyArn: String
            if let id = sse.keyId { keyArn = try await keys.symmetricKeyArn(id, context: sse.context) } else {
                keyArn = try await keys.managedKeyArn(service: "s3", context: sse.context)
            }
            let dataKey = try await keys.generateDataKey(keyId: keyArn, encryptionContext: ["aws:s3:arn": arn], context: sse.context)
            guard let sealed = try AES.GCM.seal(body, using: SymmetricKey(data: dataKey.plaintext), authenticating: Array(arn.utf8)).combined else {
                throw AWSError.internalFailure()
            }
            meta.sseKmsKeyArn = dataKey.keyArn
            meta.sseDataKey = Data(dataKey.ciphertext).base64EncodedString()
            return Array(sealed)
        } catch {
            throw Self.kmsError(error)
        }
    }

    /// The write itself, for callers that already checked the bucket (trail delivery writes as the service).
    public func write(bucket: String, key: String, body: [UInt8], meta: ObjectMeta, contentMD5: String? = nil,
                      sse: SSEKMSRequest? = nil) async throws -> StoredObject {
        guard !key.isEmpty, key.utf8.count <= 1024 else {
            throw AWSError(code: "KeyTooLongError", status: 400, message: "Your key is too long")
        }
        let md5 = Array(Insecure.MD5.hash(data: body))
        if let contentMD5 {
            guard let given = Data(base64Encoded: contentMD5), given.count == 16 else {
                throw AWSError(code: "InvalidDigest", status: 400, message: "The Content-MD5 you specified was invalid.")
            }
            guard Array(given) == md5 else {
                throw AWSError(code: "BadDigest", status: 400, message: "The Content-MD5 you specified did not match what we received.")
            }
        }
        let metaBytes = meta.userMetadata.reduce(0) { $0 + $1.joined().utf8.count }
        guard metaBytes <= Self.maxUserMetadataBytes else {
            throw AWSError(code: "MetadataTooLarge", status: 400,
                           message: "Your metadata headers exceed the maximum allowed metadata size.")
        }
        var meta = meta
        var stored = body
        var etag = md5
        if let sse {
            stored = try await encrypt(body, bucket: bucket, key: key, sse: sse, meta: &meta)
            // As in S3, an SSE-KMS object's ETag is not the MD5 of its data.
            etag = Array(Insecure.MD5.hash(data: stored))
        }
        let doc = String(decoding: try JSONEncoder().encode(meta), as: UTF8.self)
        // A new data id per version written: a reader holding the old row never reads the new body under old headers.
        let row = ObjectRow(bucket: bucket, key: key, size: Int64(body.count), etag: "\"\(Hex.encode(etag))\"",
                            lastModifiedMillis: Int64(now().timeIntervalSince1970 * 1000), fileName: TimeOrderedID.make(), doc: doc)
        // Row and body commit together (the body of a replaced version is deleted in the same transaction): a 2xx
        // means both are durable, and nothing is left behind by a failure or a replacement.
        guard try await repository.putObject(row, data: stored) else { throw Self.noSuchBucket(bucket) }
        return StoredObject(row: row, meta: meta)
    }

    public func headObject(bucket: String, key: String, account: String) async throws -> StoredObject {
        _ = try await ownedBucket(bucket, account: account)
        guard let row = try await repository.object(bucket: bucket, key: key) else { throw Self.noSuchKey() }
        let meta = (try? JSONDecoder().decode(ObjectMeta.self, from: Data(row.doc.utf8))) ?? ObjectMeta()
        return StoredObject(row: row, meta: meta)
    }

    /// The object's bytes in `range` (whole object when nil); SSE-KMS objects are decrypted through KMS in the key's
    /// account and region.
    /// Throws `ObjectReplaced` when a put replaced the object since `object` was read, NoSuchKey when it was deleted.
    public func read(_ object: StoredObject, range: Range<Int64>? = nil, requestId: String = "") async throws -> [UInt8] {
        let r = (range ?? 0..<object.row.size).clamped(to: 0..<object.row.size)
        guard let keyArn = object.meta.sseKmsKeyArn, let wrapped = object.meta.sseDataKey.flatMap({ Data(base64Encoded: $0) }) else {
            return try await body(of: object.row, range: r)
        }
        guard let keys, let arn = ARN(keyArn) else { throw AWSError.internalFailure("The object's key is not available.") }
        let sealed = try await body(of: object.row, range: nil)
        let objectArn = Self.objectARN(arn.partition.rawValue, object.row.bucket, object.row.key)
        let kmsContext = RequestContext(requestId: requestId, account: arn.account, region: arn.region, principal: nil,
                                        sourceIP: "", userAgent: "s3.amazonaws.com", receivedAt: now(), tls: nil)
        let plain: [UInt8]
        do {
            let dataKey = try await keys.decryptDataKey(Array(wrapped), encryptionContext: ["aws:s3:arn": objectArn], context: kmsContext)
            plain = Array(try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: SymmetricKey(data: dataKey),
                                           authenticating: Array(objectArn.utf8)))
        } catch {
            throw Self.kmsError(error)
        }
        return Array(plain[Int(r.lowerBound)..<Int(r.upperBound)])
    }

    /// The whole current body of an object (its row and body read again if a put replaces it meanwhile).
    public func currentBody(bucket: String, key: String, account: String, requestId: String = "") async throws -> [UInt8] {
        for _ in 0..<3 {
            do {
                return try await read(try await headObject(bucket: bucket, key: key, account: account), requestId: requestId)
            } catch is ObjectReplaced {
                continue
            }
        }
        throw AWSError.internalFailure("The object kept changing while it was read.")
    }

    /// The stored bytes of the version `row` names (sealed ones for SSE-KMS).
    func body(of row: ObjectRow, range: Range<Int64>?) async throws -> [UInt8] {
        if let bytes = try await repository.objectData(row.fileName, range: range) { return bytes }
        // The body is written and deleted with its row, so it is missing only when the row changed after it was read.
        guard let current = try await repository.object(bucket: row.bucket, key: row.key) else { throw Self.noSuchKey() }
        guard current.fileName == row.fileName else { throw ObjectReplaced() }
        throw AWSError.internalFailure("The object's data is missing.")
    }

    public func deleteObject(bucket: String, key: String, account: String) async throws {
        _ = try await ownedBucket(bucket, account: account)
        try await repository.deleteObject(bucket: bucket, key: key)
    }

    /// A listing page: keys under `prefix` after `after`, rolled up at `delimiter`, at most `maxKeys` entries.
    public func list(bucket: String, account: String, prefix: String, delimiter: String?, after: String?,
                     maxKeys: Int) async throws -> ObjectListing {
        _ = try await ownedBucket(bucket, account: account)
        var out = ObjectListing()
        guard maxKeys > 0 else { return out }
        var cursor = after
        var from: String?
        let delimiter = delimiter.flatMap { $0.isEmpty ? nil : $0 }
        // Resuming after a key under a rolled-up prefix (a continuation token or marker that is a common prefix)
        // continues past that whole prefix.
        if let after, let delimiter, after.hasPrefix(prefix), let r = after.dropFirst(prefix.count).range(of: delimiter),
           let next = BucketRepository.prefixUpperBound(String(after[..<r.upperBound])) {
            cursor = nil
            from = next
        }
        while true {
            let rows = try await repository.listObjects(bucket: bucket, prefix: prefix, after: cursor, from: from, limit: maxKeys + 1)
            var jumped = false
            for row in rows {
                if out.objects.count + out.commonPrefixes.count == maxKeys {
                    out.truncated = true
                    return out
                }
                if let delimiter, let r = row.key.dropFirst(prefix.count).range(of: delimiter) {
                    let common = String(row.key[..<r.upperBound])
                    out.commonPrefixes.append(common)
                    out.last = common
                    // Continue past every key under this common prefix.
                    guard let next = BucketRepository.prefixUpperBound(common) else { return out }
                    cursor = nil
                    from = next
                    jumped = true
                    break
                }
                out.objects.append(row)
                out.last = row.key
                cursor = row.key
                from = nil
            }
            if !jumped && rows.count <= maxKeys { return out }
        }
    }
}
