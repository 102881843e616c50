// FIFO topic archiving (ArchivePolicy) and replay to a subscription (ReplayPolicy); SSE-KMS for topic messages
// (KmsMasterKeyId): what the outbox and the archive keep is encrypted under a KMS data key, and sealed under the
// root key regardless.
import Crypto
import Foundation
import Synchronization
import WardenAPI
import WardenCore
import WardenStorage

/// Per-process state of archives: replays running here, and when each topic's archive was last pruned.
final class ArchiveState: Sendable {
    let running = Mutex<Set<String>>([])
    let lastPrune = Mutex<[String: Int64]>([:])
}

/// How far a subscription's replay got. Status as SNS reports it: Pending, Replaying, Completed or Failed.
struct ReplayProgress: Codable, Sendable {
    var startedAtMillis: Int64
    var status = "Pending"
    /// The last archived message (sequence) replayed.
    var cursor: Int64 = -1
    /// The host (and scheme) the replay was asked on: replayed envelopes' SigningCertURL and UnsubscribeURL use it,
    /// as a publish's do.
    var host: String?
    var https: Bool?

    init(startedAtMillis: Int64, _ c: RequestContext) {
        self.startedAtMillis = startedAtMillis
        host = c.host
        https = c.tls != nil
    }

    /// The context replayed copies are rendered in.
    func context(account: String, region: String, now: Date) -> RequestContext {
        var c = DataKeyCache.serviceContext(account: account, region: region, service: "sns.amazonaws.com", now: now)
        c.host = host
        if https == true { c.tls = TLSDetails(tlsVersion: "TLSv1.2", cipherSuite: nil, clientProvidedHostHeader: host ?? "") }
        return c
    }
}

/// A replay of one archived message to one subscription.
struct ReplayFacts {
    var subscriptionArn: String
    var messageId: String
    var timestamp: String
    /// FIFO queues would drop a replayed copy as a duplicate of the original: a replay has its own deduplication id.
    var dedupId: String
}

/// A subscription's ReplayPolicy: `{"PointType":"Timestamp","StartingPoint":"…","EndingPoint":"…"}`.
struct ReplayWindow {
    var start: Date
    var end: Date?

    init(_ text: String) throws(AWSError) {
        guard case .object? = try? JSONParser.parse(Array(text.utf8)), let json = try? JSONParser.parse(Array(text.utf8)) else {
            throw SNSService.invalid("ReplayPolicy: the policy is not valid JSON")
        }
        guard json["PointType"]?.stringValue == "Timestamp" else { throw SNSService.invalid("ReplayPolicy: PointType must be Timestamp") }
        guard let s = json["StartingPoint"]?.stringValue, let start = Timestamps.parseISO8601(s) else {
            throw SNSService.invalid("ReplayPolicy: StartingPoint must be an ISO 8601 timestamp")
        }
        self.start = start
        if let e = json["EndingPoint"] {
            guard let text = e.stringValue, let end = Timestamps.parseISO8601(text), end >= start else {
                throw SNSService.invalid("ReplayPolicy: EndingPoint must be an ISO 8601 timestamp after StartingPoint")
            }
            self.end = end
        }
    }
}

/// What the archive keeps of one published message: enough to render it again for a replay.
struct ArchivedMessage: Codable, Sendable {
    var messageId: String
    var timestamp: String
    var message: String
    var subject: String?
    var structure: String?
    var attributes: [StoredAttribute]?
    var group: String
    var dedup: String
    var sequence: Int64

    var snsAttributes: [String: SNS.MessageAttributeValue]? {
        attributes.map { list in
            Dictionary(uniqueKeysWithValues: list.map { a in
                (a.name, SNS.MessageAttributeValue(dataType: a.dataType, stringValue: a.string,
                                                   binaryValue: a.binary.flatMap { Data(base64Encoded: $0) }.map { Array($0) }))
            })
        }
    }
}

extension SNSService {
    /// Kept in the topic's attributes (hidden from GetTopicAttributes): when archiving was turned on.
    static let archiveSinceKey = "Warden:ArchiveSince"

    /// The retention of an ArchivePolicy (`{"MessageRetentionPeriod":"30"}`, 1–365 days); nil for `{}` (no archive).
    static func archiveRetentionDays(_ value: String) throws(AWSError) -> Int? {
        guard case .object(let fields)? = try? JSONParser.parse(Array(value.utf8)) else {
            throw invalid("ArchivePolicy: the policy is not valid JSON")
        }
        if fields.isEmpty { return nil }
        guard fields.count == 1, let raw = fields.first(where: { $0.0 == "MessageRetentionPeriod" })?.1 else {
            throw invalid("ArchivePolicy: only MessageRetentionPeriod is supported")
        }
        let days: Int?
        switch raw {
        case .string(let s): days = Int(s)
        case .number(let n): days = Int(n)
        default: days = nil
        }
        guard let days, (1...365).contains(days) else {
            throw invalid("ArchivePolicy: MessageRetentionPeriod must be between 1 and 365 days")
        }
        return days
    }

    /// The oldest time a replay may start from: archiving's start, or the retention period ago, whichever is later.
    func archiveWindowStart(_ record: TopicRecord) -> Date? {
        guard let policy = record.attributes["ArchivePolicy"], let days = try? Self.archiveRetentionDays(policy),
              let since = record.attributes[Self.archiveSinceKey].flatMap(Int64.init) else { return nil }
        let retained = nowMillis - Int64(days) * 86_400_000
        return Date(timeIntervalSince1970: Double(max(since, retained)) / 1000)
    }

    /// A ReplayPolicy needs a topic that archives, and a window that starts no later than now.
    func checkReplay(topic: TopicRecord, policy: String) throws(AWSError) {
        let window = try ReplayWindow(policy)
        guard topic.attributes["ArchivePolicy"] != nil else {
            throw Self.invalid("ReplayPolicy: the topic has no ArchivePolicy; only FIFO topics that archive messages can replay them")
        }
        guard window.start <= now() else { throw Self.invalid("ReplayPolicy: StartingPoint is in the future") }
    }

    // MARK: archiving

    /// The archive entry of a FIFO publish, when the topic archives; also prunes what outlived the retention (at
    /// most once a minute per topic).
    func archiveEntry(topicArn: String, record: TopicRecord, message: ArchivedMessage) async throws -> [UInt8]? {
        guard let policy = record.attributes["ArchivePolicy"], let days = try Self.archiveRetentionDays(policy) else { return nil }
        let nowMs = nowMillis
        let due = archiveState.lastPrune.withLock { last in
            guard (last[topicArn] ?? 0) < nowMs - 60_000 else { return false }
            last[topicArn] = nowMs
            return true
        }
        if due { try await repository.purgeArchive(topicArn: topicArn, beforeMillis: nowMs - Int64(days) * 86_400_000) }
        return Array(try JSONEncoder().encode(message))
    }

    // MARK: replay

    /// Starts (or resumes) a subscription's replay on the node's BackgroundTasks, once per process.
    func startReplay(_ subscriptionArn: String) {
        let fresh = archiveState.running.withLock { $0.insert(subscriptionArn).inserted }
        guard fresh else { return }
        let accepted = background.submit("sns-replay") {
            defer { _ = archiveState.running.withLock { $0.remove(subscriptionArn) } }
            await runReplay(subscriptionArn)
        }
        // Refused only while the node shuts down: the replay's progress is stored (Pending or Replaying), and
        // `resumeReplays` carries it on at the next start.
        if !accepted { _ = archiveState.running.withLock { $0.remove(subscriptionArn) } }
    }

    /// Resumes replays a stopped process left unfinished (called once at start-up).
    public func resumeReplays() async throws {
        for row in try await repository.allSubscriptions() {
            guard let r = try? SubscriptionRecord.decode(row.doc), let replay = r.replay,
                  replay.status == "Pending" || replay.status == "Replaying" else { continue }
            startReplay(row.arn)
        }
    }

    /// Re-renders archived messages in the policy's window for one subscription and queues them, a page at a time,
    /// recording progress so that a restart resumes where it stopped. A graceful shutdown stops it between pages.
    func runReplay(_ subscriptionArn: String) async {
        do {
            while !background.isShuttingDown && !Task.isCancelled {
                guard let row = try await repository.subscription(arn: subscriptionArn),
                      let sub = try? SubscriptionRecord.decode(row.doc), var progress = sub.replay,
                      let policy = sub.attributes["ReplayPolicy"], let window = try? ReplayWindow(policy),
                      progress.status == "Pending" || progress.status == "Replaying",
                      let arn = ARN(sub.topicArn),
                      let topicRow = try await repository.topic(account: arn.account, region: arn.region, name: arn.resource),
                      let topic = try? TopicRecord.decode(topicRow.doc) else { return }
                let endMillis = window.end.map { Int64($0.timeIntervalSince1970 * 1000) } ?? progress.startedAtMillis
                let page = try await repository.archived(topicArn: sub.topicArn, fromMillis: Int64(window.start.timeIntervalSince1970 * 1000),
                                                         toMillis: endMillis, afterSeq: progress.cursor, limit: 200)
                var items: [DeliveryItem] = []
                let context = progress.context(account: arn.account, region: arn.region, now: now())
                for entry in page {
                    let plain = try await openArchived(entry.body, topicArn: sub.topicArn, seq: entry.seq, account: arn.account, region: arn.region)
                    let m = try JSONDecoder().decode(ArchivedMessage.self, from: Data(plain))
                    let facts = ReplayFacts(subscriptionArn: subscriptionArn, messageId: m.messageId, timestamp: m.timestamp,
                                            dedupId: "replay-\(progress.startedAtMillis)-\(m.sequence)")
                    var p = try await render(topicArn: sub.topicArn, record: topic, message: m.message, subject: m.subject,
                                             structure: m.structure, attributes: m.snsAttributes,
                                             fifo: FIFOFacts(group: m.group, dedup: m.dedup, sequence: m.sequence), replay: facts, context)
                    if let keyId = topic.attributes["KmsMasterKeyId"] {
                        try await encrypt(&p.items, topicArn: sub.topicArn, keyId: keyId, account: arn.account, region: arn.region)
                    }
                    items += p.items
                }
                // The copies and the progress are written together, so a restart neither skips nor repeats a page;
                // a replay replaced meanwhile (a new ReplayPolicy) writes nothing.
                progress.status = page.count < 200 ? "Completed" : "Replaying"
                progress.cursor = page.last?.seq ?? progress.cursor
                let finished = try await locks.withLock(subscriptionArn) { () async throws -> Bool in
                    guard let current = try await repository.subscription(arn: subscriptionArn),
                          var latest = try? SubscriptionRecord.decode(current.doc),
                          latest.replay?.startedAtMillis == sub.replay?.startedAtMillis else { return true }
                    // Another node running the same replay (each resumes unfinished replays at start) queued this page
                    // first: read its progress again instead of queueing the page twice.
                    guard latest.replay?.cursor == sub.replay?.cursor, latest.replay?.status == sub.replay?.status else {
                        return latest.replay?.status == "Completed"
                    }
                    latest.replay = progress
                    var updated = current
                    updated.doc = latest.encoded()
                    guard try await repository.enqueueReplay(items, subscription: updated, dueAtMillis: nowMillis) else { return true }
                    if !items.isEmpty { wakeups.signal(Self.wakeKey) }
                    return progress.status == "Completed"
                }
                if finished { return }
            }
        } catch {
            // Storage or KMS failed: marked Failed, as SNS reports a replay that could not complete.
            background.logger.error("SNS replay failed", metadata: ["subscription": "\(subscriptionArn)", "error": "\(error)"])
            do {
                try await locks.withLock(subscriptionArn) {
                    guard let row = try await repository.subscription(arn: subscriptionArn),
                          var sub = try? SubscriptionRecord.decode(row.doc), sub.replay != nil else { return }
                    sub.replay?.status = "Failed"
                    var updated = row
                    updated.doc = sub.encoded()
                    _ = try await repository.updateSubscription(updated)
                }
            } catch {
                // Left Pending or Replaying: resumed at the next start.
                background.logger.error("SNS replay could not be marked Failed",
                                        metadata: ["subscription": "\(subscriptionArn)", "error": "\(error)"])
            }
        }
    }

    // MARK: SSE-KMS

    static func kmsContext(_ topicArn: String) -> [String: String] { ["aws:sns:topicArn": topicArn] }

    /// SNS's KMS errors for a KMS failure at publish.
    static func kmsError(_ error: any Error) -> any Error {
        guard let e = error as? AWSError, e.status < 500 else { return error }
        switch e.code {
        case "DisabledException": return SNS.Errors.kmsDisabledException(e.message)
        case "NotFoundException": return SNS.Errors.kmsNotFoundException(e.message)
        case "AccessDeniedException": return SNS.Errors.kmsAccessDeniedException(e.message)
        default: return SNS.Errors.kmsInvalidStateException(e.message)
        }
    }

    /// Encrypts copies' bodies under the topic's data key (made through KMS, reused for 5 minutes).
    func encrypt(_ items: inout [DeliveryItem], topicArn: String, keyId: String, account: String, region: String) async throws {
        guard !items.isEmpty else { return }
        let entry = try await topicDataKey(topicArn: topicArn, keyId: keyId, account: account, region: region)
        let blob = Data(entry.blob).base64EncodedString()
        for i in items.indices {
            guard var doc = try? JSONDecoder().decode(DeliveryDoc.self, from: Data(items[i].doc.utf8)),
                  let sealed = try AES.GCM.seal(items[i].body, using: SymmetricKey(data: entry.plaintext),
                                                authenticating: Array(items[i].subscriptionArn.utf8)).combined else {
                throw AWSError.internalFailure()
            }
            doc.kmsDataKey = blob
            items[i].body = Array(sealed)
            items[i].doc = String(decoding: try JSONEncoder().encode(doc), as: UTF8.self)
        }
    }

    func topicDataKey(topicArn: String, keyId: String, account: String, region: String) async throws -> DataKeyCache.Entry {
        guard let keys else { throw SNS.Errors.kmsInvalidStateException("SSE-KMS needs Warden's KMS.") }
        do {
            return try await dataKeys.current(
                "\(topicArn)|\(keyId)", keyId: keyId, encryptionContext: Self.kmsContext(topicArn), keys: keys,
                context: DataKeyCache.serviceContext(account: account, region: region, service: "sns.amazonaws.com", now: now()),
                reuse: 300, now: now())
        } catch {
            throw Self.kmsError(error)
        }
    }

    /// The plaintext of an SSE-KMS copy (its data key decrypted through KMS unless known); other bodies as stored.
    func openBody(_ item: DeliveryItem, _ doc: DeliveryDoc) async throws -> [UInt8] {
        guard let blobText = doc.kmsDataKey, let blob = Data(base64Encoded: blobText) else { return item.body }
        let key = try await plaintextKey(Array(blob), topicArn: doc.topicArn ?? Self.topicOf(item.subscriptionArn))
        return Array(try AES.GCM.open(AES.GCM.SealedBox(combined: item.body), using: SymmetricKey(data: key),
                                      authenticating: Array(item.subscriptionArn.utf8)))
    }

    func plaintextKey(_ blob: [UInt8], topicArn: String) async throws -> [UInt8] {
        guard let keys else { throw SNS.Errors.kmsInvalidStateException("SSE-KMS needs Warden's KMS.") }
        let parts = topicArn.split(separator: ":", omittingEmptySubsequences: false)
        let (account, region) = parts.count >= 6 ? (String(parts[4]), String(parts[3])) : ("", "")
        return try await dataKeys.plaintext(
            blob: blob, encryptionContext: Self.kmsContext(topicArn), keys: keys,
            context: DataKeyCache.serviceContext(account: account, region: region, service: "sns.amazonaws.com", now: now()), now: now())
    }

    /// The topic of a subscription ARN (`…:topic:uuid`).
    static func topicOf(_ subscriptionArn: String) -> String {
        subscriptionArn.split(separator: ":", omittingEmptySubsequences: false).prefix(6).joined(separator: ":")
    }

    /// Archive entries of SSE-KMS topics: `KMS1` + blob length (2 bytes) + blob + AES-GCM box (AAD: topic and sequence).
    func sealArchived(_ plain: [UInt8], topicArn: String, seq: Int64, keyId: String?, account: String, region: String) async throws -> [UInt8] {
        guard let keyId else { return plain }
        let entry = try await topicDataKey(topicArn: topicArn, keyId: keyId, account: account, region: region)
        guard let box = try AES.GCM.seal(plain, using: SymmetricKey(data: entry.plaintext),
                                         authenticating: Array("\(topicArn)#\(seq)".utf8)).combined, entry.blob.count < 65_536 else {
            throw AWSError.internalFailure()
        }
        return Array("KMS1".utf8) + [UInt8(entry.blob.count >> 8), UInt8(entry.blob.count & 0xFF)] + entry.blob + Array(box)
    }

    func openArchived(_ stored: [UInt8], topicArn: String, seq: Int64, account: String, region: String) async throws -> [UInt8] {
        guard stored.starts(with: Array("KMS1".utf8)), stored.count > 6 else { return stored }
        let n = Int(stored[4]) << 8 | Int(stored[5])
        guard stored.count > 6 + n else { throw AWSError.internalFailure("An archived message is damaged.") }
        let key = try await plaintextKey(Array(stored[6..<(6 + n)]), topicArn: topicArn)
        return Array(try AES.GCM.open(AES.GCM.SealedBox(combined: stored[(6 + n)...]), using: SymmetricKey(data: key),
                                      authenticating: Array("\(topicArn)#\(seq)".utf8)))
    }
}
