// AWS CloudTrail: event history (LookupEvents) over Warden's audit log; trails come next.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

public struct CloudTrailService: Sendable {
    let audit: AuditRepository
    let now: @Sendable () -> Date

    /// Event history keeps 90 days, as in CloudTrail.
    public static let retention: TimeInterval = 90 * 86400

    public init(audit: AuditRepository, now: @escaping @Sendable () -> Date = { Date() }) {
        self.audit = audit
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
        // Insights events are not produced yet, so an insight lookup has nothing to return.
        if input.eventCategory?.rawValue == "insight" { return CloudTrail.LookupEventsResponse(events: [], nextToken: nil) }
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
        return try await audit.purge(before: Int64(cutoff.timeIntervalSince1970 * 1000))
    }
}

extension CloudTrailService {
    public var descriptor: ServiceDescriptor {
        ServiceDescriptor(
            model: CloudTrail.model, eventSource: "cloudtrail.amazonaws.com",
            validationError: (code: "ValidationException", queryCode: nil, status: 400),
            operations: [
                AnyOperation(CloudTrail.Operations.LookupEvents.self,
                             traits: OperationTraits(iamAction: "cloudtrail:LookupEvents", readOnly: true), lookupEvents),
            ])
    }
}
