// AWS CloudTrail: event history (LookupEvents) over Warden's audit log; trails, their log delivery and digests.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

/// How often trails deliver and sign, and how long a digest signing key is used.
public struct TrailSettings: Sendable {
    public var deliveryInterval: TimeInterval
    public var digestInterval: TimeInterval
    public var signingKeyLifetime: TimeInterval
    /// Buckets on external S3-compatible endpoints, by name: trails naming them deliver there.
    public var externalBuckets: [ExternalBucket] = []
    /// Fault injection for crash tests: runs after a batch's log files are written and before its cursor commits.
    public var afterLogWrite: (@Sendable () -> Void)?
    public init(deliveryInterval: TimeInterval = 300, digestInterval: TimeInterval = 3600, signingKeyLifetime: TimeInterval = 30 * 86400) {
        self.deliveryInterval = deliveryInterval
        self.digestInterval = digestInterval
        self.signingKeyLifetime = signingKeyLifetime
    }
}

public struct CloudTrailService: Sendable {
    let audit: AuditRepository
    let trails: TrailRepository
    let buckets: BucketStore
    /// KMS, for trails that encrypt their files (`KmsKeyId`).
    let keys: (any DataKeyProvider)?
    /// CloudWatch Logs, for trails that stream to a log group.
    let logs: (any LogSink)?
    /// Insights: the detector's counts and events.
    let insights: InsightRepository?
    let settings: TrailSettings
    let now: @Sendable () -> Date
    /// Locks taken in the database, so they hold across every node sharing it: `trailsLock` serializes
    /// read-modify-write changes to trails (rare calls; one lock is enough); `deliveryLock` serializes delivery and
    /// digest rounds, so a digest never misses a log file committed while it was read.
    let locks: ResourceLocks
    static let trailsLock = "cloudtrail:trails"
    static let deliveryLock = "cloudtrail:delivery"

    /// Event history keeps 90 days, as in CloudTrail.
    public static let retention: TimeInterval = 90 * 86400

    public init(audit: AuditRepository, trails: TrailRepository, buckets: BucketStore, keys: (any DataKeyProvider)? = nil,
                logs: (any LogSink)? = nil, insights: InsightRepository? = nil,
                settings: TrailSettings = TrailSettings(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.logs = logs
        self.insights = insights
        self.audit = audit
        self.trails = trails
        self.locks = ResourceLocks(trails.db)
        self.buckets = buckets
        self.keys = keys
        self.settings = settings
        self.now = now
    }

    func lookupEvents(_ input: CloudTrail.LookupEventsRequest, context c: RequestContext) async throws -> CloudTrail.LookupEventsResponse {
        let attributes = input.lookupAttributes ?? []
        guard attributes.count <= 1 else {
            throw CloudTrail.Errors.invalidLookupAttributesException("You can specify only one lookup attribute.")
        }
        let limit = input.maxResults ?? 50
        guard (1...50).contains(limit) else {
            throw CloudTrail.Errors.invalidMaxResultsException("MaxResults must be between 1 and 50.")
        }
        let nowDate = now()
        let oldest = nowDate.addingTimeInterval(-Self.retention)
        let start = max(input.startTime ?? oldest, oldest)
        let end = input.endTime ?? nowDate
        if let s = input.startTime, let e = input.endTime, s > e {
            throw CloudTrail.Errors.invalidTimeRangeException("Start time must be before end time.")
        }
        if input.eventCategory?.rawValue == "insight" { return try await lookupInsights(input, c, start: start, end: end, limit: limit) }
        var attribute: AuditLookup.Attribute?
        if let a = attributes.first {
            // ReadOnly compares as a string: anything but true/false matches no event.
            guard let filter = try Self.attribute(a) else { return CloudTrail.LookupEventsResponse(events: [], nextToken: nil) }
            attribute = filter
        }
        let filter = Self.filterFingerprint(attributes.first, start: input.startTime, end: input.endTime)
        let before = try input.nextToken.map { t throws(AWSError) in try Self.decodeToken(t, filter: filter) }
        let rows = try await audit.lookup(AuditLookup(
            account: c.account, region: c.region, attribute: attribute,
            startMillis: Int64((start.timeIntervalSince1970 * 1000).rounded(.down)),
            endMillis: Int64((end.timeIntervalSince1970 * 1000).rounded(.down)),
            before: before, limit: limit + 1))
        let page = rows.prefix(limit)
        let next = rows.count > limit ? page.last.map { Self.encodeToken(timeMillis: $0.eventTimeMillis, seq: $0.seq, filter: filter) } : nil
        return CloudTrail.LookupEventsResponse(events: page.map(Self.event), nextToken: next)
    }

    /// The storage filter for a lookup attribute; nil when the value can match nothing.
    static func attribute(_ a: CloudTrail.LookupAttribute) throws(AWSError) -> AuditLookup.Attribute? {
        let v = a.attributeValue
        switch a.attributeKey {
        case .eventId: return .eventId(v)
        case .eventName: return .eventName(v)
        case .readOnly:
            switch v.lowercased() {
            case "true": return .readOnly(true)
            case "false": return .readOnly(false)
            default: return nil
            }
        case .username: return .username(v)
        case .accessKeyId: return .accessKeyId(v)
        case .eventSource: return .eventSource(v)
        case .resourceType: return .resourceType(v)
        case .resourceName: return .resourceName(v)
        default:
            throw CloudTrail.Errors.invalidLookupAttributesException("\(a.attributeKey.rawValue) is not a valid lookup attribute.")
        }
    }

    /// One history entry: the indexed columns plus the record's resources and the record itself as a string.
    static func event(_ e: StoredAuditEvent) -> CloudTrail.Event {
        CloudTrail.Event(
            eventId: e.eventId, eventName: e.eventName, readOnly: e.readOnly ? "true" : "false", accessKeyId: e.accessKeyId,
            eventTime: Date(timeIntervalSince1970: Double(e.eventTimeMillis) / 1000), eventSource: e.eventSource,
            username: e.username, resources: resources(ofRecord: e.record), cloudTrailEvent: e.record)
    }

    static func resources(ofRecord record: String) -> [CloudTrail.Resource]? {
        guard let doc = try? JSONParser.parse(Array(record.utf8)), case .array(let items)? = doc["resources"] else { return nil }
        return items.map { CloudTrail.Resource(resourceType: $0["type"]?.stringValue, resourceName: $0["ARN"]?.stringValue) }
    }

    // Paging tokens: the last (time, seq) returned, bound to the query's filter so a token is refused with other
    // parameters, as CloudTrail requires the same parameters on every page.
    static func filterFingerprint(_ a: CloudTrail.LookupAttribute?, start: Date?, end: Date?) -> String {
        let parts = [a?.attributeKey.rawValue ?? "", a?.attributeValue ?? "",
                     start.map { String(Int64($0.timeIntervalSince1970 * 1000)) } ?? "",
                     end.map { String(Int64($0.timeIntervalSince1970 * 1000)) } ?? ""]
        var h: UInt64 = 0xcbf29ce484222325
        for b in parts.joined(separator: "\u{1}").utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return String(h, radix: 16)
    }

    static func encodeToken(timeMillis: Int64, seq: Int64, filter: String) -> String {
        Data("v1:\(timeMillis):\(seq):\(filter)".utf8).base64EncodedString()
    }

    static func decodeToken(_ token: String, filter: String) throws(AWSError) -> (timeMillis: Int64, seq: Int64) {
        guard let raw = Data(base64Encoded: token) else { throw CloudTrail.Errors.invalidNextTokenException("Invalid NextToken.") }
        let parts = String(decoding: raw, as: UTF8.self).split(separator: ":")
        guard parts.count == 4, parts[0] == "v1", let t = Int64(parts[1]), let s = Int64(parts[2]) else {
            throw CloudTrail.Errors.invalidNextTokenException("Invalid NextToken.")
        }
        guard parts[3] == filter else {
            throw CloudTrail.Errors.invalidNextTokenException("The NextToken was issued for other request parameters.")
        }
        return (t, s)
    }

    /// Deletes history older than 90 days; run by a background job.
    public func purgeExpired() async throws -> Int {
        let cutoff = now().addingTimeInterval(-Self.retention)
        return try await audit.purge(before: Int64(cutoff.timeIntervalSince1970 * 1000), throughSeq: try await undeliveredFloor())
    }

    /// The newest sequence number every trail has delivered past: history older than 90 days is kept while a trail
    /// (logging, or stopped with events of its logging period still undelivered) has yet to deliver it.
    func undeliveredFloor() async throws -> Int64 {
        var floor = Int64.max
        for row in try await trails.allTrails() {
            let t = try TrailRecord.decode(row.doc)
            guard let d = try await trails.delivery(Self.key(t)) else { continue }
            let delivered = max(d.cursorSeq, t.startSeq)
            if t.isLogging || (t.stopSeq ?? 0) > delivered { floor = min(floor, delivered) }
        }
        return floor
    }
}

extension CloudTrailService {
    /// The trail an audit record names, from the member holding a trail name or ARN.
    static func trailResource(_ member: String) -> @Sendable (AWSValue, RequestContext) -> [AuditResource] {
        { input, c in
            guard case .structure(let fields) = input, case .string(let name)? = fields[member] else { return [] }
            let arn = name.hasPrefix("arn:") ? name : "arn:\(c.partition.rawValue):cloudtrail:\(c.region):\(c.account):trail/\(name)"
            return [AuditResource(type: "AWS::CloudTrail::Trail", arn: arn, account: c.account)]
        }
    }

    static func traits(_ name: String, readOnly: Bool, trail: String? = nil) -> OperationTraits {
        guard let trail else { return OperationTraits(iamAction: "cloudtrail:\(name)", readOnly: readOnly) }
        return OperationTraits(iamAction: "cloudtrail:\(name)", readOnly: readOnly, resources: trailResource(trail))
    }

    public var descriptor: ServiceDescriptor {
        typealias Ops = CloudTrail.Operations
        return ServiceDescriptor(
            model: CloudTrail.model, eventSource: "cloudtrail.amazonaws.com",
            validationError: (code: "ValidationException", queryCode: nil, status: 400),
            operations: [
                AnyOperation(Ops.LookupEvents.self, traits: Self.traits("LookupEvents", readOnly: true), lookupEvents),
                AnyOperation(Ops.CreateTrail.self, traits: Self.traits("CreateTrail", readOnly: false, trail: "Name"), createTrail),
                AnyOperation(Ops.UpdateTrail.self, traits: Self.traits("UpdateTrail", readOnly: false, trail: "Name"), updateTrail),
                AnyOperation(Ops.DeleteTrail.self, traits: Self.traits("DeleteTrail", readOnly: false, trail: "Name"), deleteTrail),
                AnyOperation(Ops.GetTrail.self, traits: Self.traits("GetTrail", readOnly: true, trail: "Name"), getTrail),
                AnyOperation(Ops.DescribeTrails.self, traits: Self.traits("DescribeTrails", readOnly: true), describeTrails),
                AnyOperation(Ops.ListTrails.self, traits: Self.traits("ListTrails", readOnly: true), listTrails),
                AnyOperation(Ops.StartLogging.self, traits: Self.traits("StartLogging", readOnly: false, trail: "Name"), startLogging),
                AnyOperation(Ops.StopLogging.self, traits: Self.traits("StopLogging", readOnly: false, trail: "Name"), stopLogging),
                AnyOperation(Ops.GetTrailStatus.self, traits: Self.traits("GetTrailStatus", readOnly: true, trail: "Name"), getTrailStatus),
                AnyOperation(Ops.PutEventSelectors.self, traits: Self.traits("PutEventSelectors", readOnly: false, trail: "TrailName"), putEventSelectors),
                AnyOperation(Ops.GetEventSelectors.self, traits: Self.traits("GetEventSelectors", readOnly: true, trail: "TrailName"), getEventSelectors),
                AnyOperation(Ops.AddTags.self, traits: Self.traits("AddTags", readOnly: false, trail: "ResourceId"), addTags),
                AnyOperation(Ops.RemoveTags.self, traits: Self.traits("RemoveTags", readOnly: false, trail: "ResourceId"), removeTags),
                AnyOperation(Ops.ListTags.self, traits: Self.traits("ListTags", readOnly: true), listTags),
                AnyOperation(Ops.ListPublicKeys.self, traits: Self.traits("ListPublicKeys", readOnly: true), listPublicKeys),
                AnyOperation(Ops.PutInsightSelectors.self, traits: Self.traits("PutInsightSelectors", readOnly: false, trail: "TrailName"),
                             putInsightSelectors),
                AnyOperation(Ops.GetInsightSelectors.self, traits: Self.traits("GetInsightSelectors", readOnly: true, trail: "TrailName"),
                             getInsightSelectors),
            ])
    }
}
