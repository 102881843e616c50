// Trail delivery: gzip log files of the selected audit events into the trail's bucket, exactly once per trail, and
// hourly digest files signed SHA256withRSA and chained, in the layout `aws cloudtrail validate-logs` reads.
import COpenSSLShim
import Crypto
import CryptoExtras
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

public struct DeliveryReport: Sendable, Equatable {
    public var logFiles = 0
    public var events = 0
    public var digests = 0
    public var failures = 0
    public init() {}
}

public enum Gzip {
    public static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var len = 0
        guard warden_gzip(bytes, bytes.count, &out, &len) == 1, let out else { throw StorageError("gzip failed") }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: len))
    }

    public static func decompress(_ bytes: [UInt8]) -> [UInt8]? {
        var out: UnsafeMutablePointer<UInt8>?
        var len = 0
        guard warden_gunzip(bytes, bytes.count, &out, &len) == 1, let out else { return nil }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: len))
    }

    /// Inflates at most `limit` bytes: nil for a malformed body or one that would inflate past the limit.
    public static func decompress(_ bytes: [UInt8], limit: Int) -> [UInt8]? {
        var out: UnsafeMutablePointer<UInt8>?
        var len = 0
        guard warden_gunzip_limit(bytes, bytes.count, limit, &out, &len) == 1, let out else { return nil }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: len))
    }
}

extension CloudTrailService {
    /// Audit events read per delivery round (one log file per source region per round).
    static let eventsPerRound = 2000
    static let roundsPerRun = 50

    /// One pass of the delivery job: every logging trail delivers what it has, then writes the digests that are due.
    public func runDelivery() async throws -> DeliveryReport {
        try await locks.withLock(Self.deliveryLock) {
            var report = DeliveryReport()
            for row in try await trails.allTrails() {
                let t = try TrailRecord.decode(row.doc)
                await deliver(t, &report)
                if t.logFileValidationEnabled { await writeDueDigests(t, &report) }
            }
            return report
        }
    }

    /// The bucket store a trail's bucket lives in: an external endpoint configured for that name, or Warden's own.
    func destination(for bucket: String) -> any LogDestination {
        if let external = settings.externalBuckets.first(where: { $0.bucket == bucket }) { return ExternalDestination(config: external) }
        return InternalDestination(store: buckets)
    }

    static func key(_ t: TrailRecord) -> TrailKey { TrailKey(account: t.account, homeRegion: t.homeRegion, name: t.name) }

    /// Delivers rounds until the trail has caught up (or a write fails: then the status says why and the batch stays
    /// pending, to be redone identically next time).
    func deliver(_ t: TrailRecord, _ report: inout DeliveryReport) async {
        let key = Self.key(t)
        for _ in 0..<Self.roundsPerRun {
            do {
                guard try await deliverRound(t, key, &report) else { return }
            } catch is LeaseLost {
                // Another node delivers now; this node's note would be refused anyway.
                return
            } catch {
                report.failures += 1
                let code = (error as? AWSError)?.code ?? "InternalFailure"
                await ServiceLog.attempt("recording a trail's delivery error", ["trail": "\(t.name)"]) {
                    guard var d = try await trails.delivery(key) else { return }
                    var status = DeliveryStatus.decode(d.doc)
                    status.latestDeliveryError = code
                    status.latestDeliveryAttemptMillis = Self.millis(now())
                    d.doc = status.encoded()
                    try await trails.saveDelivery(key, d)
                }
                return
            }
        }
    }

    /// One batch: fix its range first (so a crash redoes the same batch), write its files, then advance the cursor
    /// and add the files to the ledger in one transaction. False when there was nothing to deliver.
    func deliverRound(_ t: TrailRecord, _ key: TrailKey, _ report: inout DeliveryReport) async throws -> Bool {
        guard var d = try await trails.delivery(key) else { return false }
        if d.pendingEndSeq == nil {
            let floor = max(d.cursorSeq, t.startSeq)
            let ceiling: Int64? = t.isLogging ? nil : t.stopSeq
            if let ceiling, floor >= ceiling { return false }
            if !t.isLogging && ceiling == nil { return false }
            let rows = try await audit.list(afterSeq: floor, limit: Self.eventsPerRound)
            let inRange = rows.filter { ceiling == nil || $0.seq <= ceiling ?? 0 }
            guard let last = inRange.last else { return false }
            d.cursorSeq = floor
            d.pendingEndSeq = last.seq
            d.pendingAtMillis = Self.millis(now())
            try await trails.saveDelivery(key, d)
        }
        guard let end = d.pendingEndSeq, let at = d.pendingAtMillis else { return false }
        let rows = try await audit.list(afterSeq: d.cursorSeq, limit: Self.eventsPerRound).filter { $0.seq <= end }
        var byRegion: [String: [StoredAuditEvent]] = [:]
        for row in rows {
            var e = SelectableEvent(row)
            if t.delivers(&e) { byRegion[row.region, default: []].append(row) }
        }
        let destination = destination(for: t.s3BucketName)
        try await destination.checkWritable(bucket: t.s3BucketName)
        var files: [LogFileRow] = []
        let deliveredAt = Self.millis(now())
        for region in byRegion.keys.sorted() {
            guard let events = byRegion[region] else { continue }
            var body: [UInt8] = Array(#"{"Records":["#.utf8)
            for (i, e) in events.enumerated() {
                if i > 0 { body.append(UInt8(ascii: ",")) }
                body.append(contentsOf: e.record.utf8)
            }
            body.append(contentsOf: "]}".utf8)
            let objectKey = Self.logFileKey(t, region: region, atMillis: at, unique: "\(d.cursorSeq):\(end)")
            try await destination.put(bucket: t.s3BucketName, key: objectKey, body: try Gzip.compress(body), metadata: [],
                                      kmsKeyArn: t.kmsKeyId, account: t.account)
            let times = events.map(\.eventTimeMillis)
            files.append(LogFileRow(sourceRegion: region, deliveredAtMillis: deliveredAt, bucket: t.s3BucketName, key: objectKey,
                                    sha256: Hex.encode(SHA256.hash(data: body)), oldestMillis: times.min() ?? at,
                                    newestMillis: times.max() ?? at))
            report.events += events.count
        }
        if !files.isEmpty { settings.afterLogWrite?() }
        var status = DeliveryStatus.decode(d.doc)
        status.latestDeliveryAttemptMillis = deliveredAt
        if !files.isEmpty { status.latestDeliveryMillis = deliveredAt }
        status.latestDeliveryError = nil
        d.cursorSeq = end
        d.pendingEndSeq = nil
        d.pendingAtMillis = nil
        d.doc = status.encoded()
        try await trails.saveDelivery(key, d, files: files)
        report.logFiles += files.count
        return true
    }

    static func utc(_ millis: Int64) -> (y: String, mo: String, d: String, h: String, mi: String, s: String) {
        let (y, mo, d, h, mi, s) = Timestamps.civil(millis / 1000)
        func p(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return (String(y), p(mo), p(d), p(h), p(mi), p(s))
    }

    static func base(_ t: TrailRecord) -> String { t.s3KeyPrefix.map { "\($0)/" } ?? "" }

    /// `[prefix/]AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz`;
    /// UNIQUE is derived from the trail and the batch, so a redone batch gets the same name.
    static func logFileKey(_ t: TrailRecord, region: String, atMillis: Int64, unique: String) -> String {
        let u = utc(atMillis)
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        let tag = String(SHA256.hash(data: Array("\(t.arn)|\(region)|\(unique)".utf8)).prefix(16).map { alphabet[Int($0) % alphabet.count] })
        return "\(base(t))AWSLogs/\(t.account)/CloudTrail/\(region)/\(u.y)/\(u.mo)/\(u.d)/\(t.account)_CloudTrail_\(region)_\(u.y)\(u.mo)\(u.d)T\(u.h)\(u.mi)Z_\(tag).json.gz"
    }

    static func digestKey(_ t: TrailRecord, region: String, endMillis: Int64) -> String {
        let u = utc(endMillis)
        return "\(base(t))AWSLogs/\(t.account)/CloudTrail-Digest/\(region)/\(u.y)/\(u.mo)/\(u.d)/\(t.account)_CloudTrail-Digest_\(region)_\(t.name)_\(t.homeRegion)_\(u.y)\(u.mo)\(u.d)T\(u.h)\(u.mi)\(u.s)Z.json.gz"
    }

    static func iso(_ millis: Int64) -> String { Timestamps.iso8601(Date(timeIntervalSince1970: Double(millis / 1000)), fractional: false) }

    // MARK: digests

    /// Each source region of the trail gets a digest per digest interval, with or without log files.
    func writeDueDigests(_ t: TrailRecord, _ report: inout DeliveryReport) async {
        let key = Self.key(t)
        var regions: Set<String> = [t.homeRegion]
        if t.isMultiRegionTrail, let more = try? await trails.sourceRegions(key) { regions.formUnion(more) }
        for region in regions.sorted() {
            do {
                if try await writeDigestIfDue(t, key, region: region) { report.digests += 1 }
            } catch is LeaseLost {
                return
            } catch {
                report.failures += 1
                await ServiceLog.attempt("recording a trail's digest error", ["trail": "\(t.name)"]) {
                    guard var d = try await trails.delivery(key) else { return }
                    var status = DeliveryStatus.decode(d.doc)
                    status.latestDigestDeliveryError = (error as? AWSError)?.code ?? "InternalFailure"
                    d.doc = status.encoded()
                    try await trails.saveDelivery(key, d)
                }
            }
        }
    }

    func writeDigestIfDue(_ t: TrailRecord, _ key: TrailKey, region: String) async throws -> Bool {
        guard var d = try await trails.delivery(key) else { return false }
        var status = DeliveryStatus.decode(d.doc)
        let head = try await trails.digestHead(key, sourceRegion: region)
        // Digests are written while logging, plus one that closes the period when logging stopped.
        guard t.isLogging || (t.stopLoggingMillis ?? 0) > (head?.endMillis ?? 0) else { return false }
        let start = head?.endMillis ?? t.startLoggingMillis ?? Self.millis(now())
        let end: Int64
        if let pending = status.pendingDigestEnds?[region] {
            end = pending
        } else {
            // Digest times are whole seconds (the key and digestEndTime carry seconds).
            let candidate = Self.millis(now()) / 1000 * 1000
            guard Double(candidate - start) >= settings.digestInterval * 1000 else { return false }
            end = candidate
            status.pendingDigestEnds = (status.pendingDigestEnds ?? [:]).merging([region: end]) { $1 }
            d.doc = status.encoded()
            try await trails.saveDelivery(key, d)
        }
        let signingKey = try await currentSigningKey(region: region)
        let files = try await trails.logFiles(key, sourceRegion: region, afterMillis: start, throughMillis: end)
        let objectKey = Self.digestKey(t, region: region, endMillis: end)
        var w = JSONObjectWriter()
        w.field("awsAccountId", t.account)
        w.field("digestStartTime", Self.iso(start))
        w.field("digestEndTime", Self.iso(end))
        w.field("digestS3Bucket", t.s3BucketName)
        w.field("digestS3Object", objectKey)
        w.field("digestPublicKeyFingerprint", signingKey.fingerprint)
        w.field("digestSignatureAlgorithm", "SHA256withRSA")
        if let newest = files.map(\.newestMillis).max(), let oldest = files.map(\.oldestMillis).min() {
            w.field("newestEventTime", Self.iso(newest))
            w.field("oldestEventTime", Self.iso(oldest))
        } else {
            w.field("newestEventTime", json: nil)
            w.field("oldestEventTime", json: nil)
        }
        if let head {
            w.field("previousDigestS3Bucket", head.bucket)
            w.field("previousDigestS3Object", head.key)
            w.field("previousDigestHashValue", head.sha256)
            w.field("previousDigestHashAlgorithm", "SHA-256")
            w.field("previousDigestSignature", head.signature)
        } else {
            for f in ["previousDigestS3Bucket", "previousDigestS3Object", "previousDigestHashValue", "previousDigestHashAlgorithm",
                      "previousDigestSignature"] {
                w.field(f, json: nil)
            }
        }
        w.field("logFiles", json: .array(files.map { f in
            .object([("s3Bucket", .string(f.bucket)), ("s3Object", .string(f.key)), ("hashValue", .string(f.sha256)),
                     ("hashAlgorithm", .string("SHA-256")), ("newestEventTime", .string(Self.iso(f.newestMillis))),
                     ("oldestEventTime", .string(Self.iso(f.oldestMillis)))])
        }))
        let body = w.finish()
        let bodyHash = Hex.encode(SHA256.hash(data: body))
        let toSign = "\(Self.iso(end))\n\(t.s3BucketName)/\(objectKey)\n\(bodyHash)\n\(head?.signature ?? "null")"
        let signer = try _RSA.Signing.PrivateKey(derRepresentation: signingKey.privateDER)
        let signature = Hex.encode(try signer.signature(for: SHA256.hash(data: Array(toSign.utf8)), padding: .insecurePKCS1v1_5).rawRepresentation)
        let destination = destination(for: t.s3BucketName)
        try await destination.checkWritable(bucket: t.s3BucketName)
        try await destination.put(bucket: t.s3BucketName, key: objectKey, body: try Gzip.compress(body),
                                  metadata: [("signature", signature), ("signature-algorithm", "SHA256withRSA")],
                                  kmsKeyArn: t.kmsKeyId, account: t.account)
        status.pendingDigestEnds?[region] = nil
        if status.pendingDigestEnds?.isEmpty == true { status.pendingDigestEnds = nil }
        status.latestDigestDeliveryMillis = Self.millis(now())
        status.latestDigestDeliveryError = nil
        // The cursor fields may have moved since we read the row (delivery runs under the same lock, so they have not);
        // re-read to be safe and only replace the status document.
        if let fresh = try await trails.delivery(key) { d.cursorSeq = fresh.cursorSeq; d.pendingEndSeq = fresh.pendingEndSeq; d.pendingAtMillis = fresh.pendingAtMillis }
        d.doc = status.encoded()
        try await trails.saveDigestHead(key, sourceRegion: region,
                                        DigestHead(endMillis: end, bucket: t.s3BucketName, key: objectKey, signature: signature, sha256: bodyHash),
                                        delivery: d)
        return true
    }

    // MARK: signing keys

    /// The region's current signing key, made on first use and replaced when older than its lifetime.
    func currentSigningKey(region: String) async throws -> SigningKeyRow {
        let keys = try await trails.signingKeys(region: region)
        let nowMillis = Self.millis(now())
        if let current = keys.last(where: { $0.validToMillis == nil }),
           Double(nowMillis - current.validFromMillis) < settings.signingKeyLifetime * 1000 {
            return current
        }
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let publicDER = Array(key.publicKey.pkcs1DERRepresentation)
        let row = SigningKeyRow(region: region, fingerprint: Hex.encode(Insecure.MD5.hash(data: publicDER)),
                                validFromMillis: nowMillis, validToMillis: nil, publicDER: publicDER,
                                privateDER: Array(key.derRepresentation))
        try await trails.addSigningKey(row, closing: keys.last(where: { $0.validToMillis == nil })?.fingerprint)
        return row
    }

    func listPublicKeys(_ input: CloudTrail.ListPublicKeysRequest, context c: RequestContext) async throws -> CloudTrail.ListPublicKeysResponse {
        var stored = try await trails.signingKeys(region: c.region)
        if !stored.contains(where: { $0.validToMillis == nil }) {
            // A region always has a current key on AWS ("If not specified, the current time is used, and the current
            // public key is returned"): the first one is made now rather than at the first digest. Under the delivery
            // lock, which also makes and replaces keys.
            _ = try await locks.withLock(Self.deliveryLock) { try await self.currentSigningKey(region: c.region) }
            stored = try await trails.signingKeys(region: c.region)
        }
        let nowDate = now()
        let start = input.startTime ?? nowDate
        let end = input.endTime ?? nowDate
        guard start <= end else {
            throw CloudTrail.Errors.invalidTimeRangeException("Start time must be before end time.")
        }
        if input.nextToken != nil {
            throw CloudTrail.Errors.invalidTokenException("Invalid NextToken.")
        }
        let (s, e) = (Self.millis(start), Self.millis(end))
        let lifetime = Int64(settings.signingKeyLifetime * 1000)
        let keys = stored.filter { k in
            k.validFromMillis <= e && (k.validToMillis ?? Int64.max) >= s
        }
        return CloudTrail.ListPublicKeysResponse(publicKeyList: keys.map { k in
            CloudTrail.PublicKey(value: k.publicDER, validityStartTime: Date(timeIntervalSince1970: Double(k.validFromMillis) / 1000),
                                 validityEndTime: Date(timeIntervalSince1970: Double(k.validToMillis ?? (k.validFromMillis + lifetime)) / 1000),
                                 fingerprint: k.fingerprint)
        })
    }
}

// MARK: CloudWatch Logs

extension CloudTrailService {
    static func logsCursor(_ t: TrailRecord) -> String { "cloudtrail-logs:" + t.arn }
    static func logsTimeCursor(_ t: TrailRecord) -> String { "cloudtrail-logs-time:" + t.arn }

    /// Streams each logging trail's new events into its log group, in the stream CloudTrail names
    /// `ACCOUNT_CloudTrail_REGION`; the trail's position moves in the same transaction. Returns the events written.
    public func runLogGroupDelivery() async throws -> Int {
        guard let logs else { return 0 }
        var written = 0
        for row in try await trails.allTrails() {
            let t = try TrailRecord.decode(row.doc)
            guard t.isLogging, let groupArn = t.cloudWatchLogsLogGroupArn, let arn = ARN(groupArn) else { continue }
            let group = String(arn.resource.dropFirst("log-group:".count).dropLast(2))
            let from = max(try await logs.cursor(Self.logsCursor(t)) ?? 0, t.logsStartSeq ?? 0, t.startSeq)
            let rows = try await audit.list(afterSeq: from, limit: 1000)
            guard let last = rows.last else { continue }
            var byRegion: [String: [(timestamp: Int64, message: String)]] = [:]
            for r in rows {
                var e = SelectableEvent(r)
                if t.delivers(&e) { byRegion[r.region, default: []].append((r.eventTimeMillis, r.record)) }
            }
            do {
                if byRegion.isEmpty {
                    try await logs.write(account: arn.account, region: arn.region, group: group, stream: "\(t.account)_CloudTrail_\(t.homeRegion)",
                                         events: [], createGroup: false, cursor: (Self.logsCursor(t), last.seq))
                }
                for (region, events) in byRegion.sorted(by: { $0.key < $1.key }) {
                    // Events are sorted by time within a stream's batch, as PutLogEvents requires.
                    let sorted = events.sorted { $0.timestamp < $1.timestamp }
                    let isLast = region == byRegion.keys.sorted().last
                    try await logs.write(account: arn.account, region: arn.region, group: group, stream: "\(t.account)_CloudTrail_\(region)",
                                         events: sorted, createGroup: false, cursor: isLast ? (Self.logsCursor(t), last.seq) : nil)
                    written += sorted.count
                }
                if !byRegion.isEmpty {
                    try await logs.write(account: arn.account, region: arn.region, group: group, stream: "\(t.account)_CloudTrail_\(t.homeRegion)",
                                         events: [], createGroup: false, cursor: (Self.logsTimeCursor(t), Self.millis(now())))
                }
            } catch {
                // A deleted log group: the trail's events wait until it exists again or the trail changes.
                continue
            }
        }
        return written
    }
}
