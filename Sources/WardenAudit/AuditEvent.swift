// Builds one CloudTrail record (CLOUDTRAIL.md §1) from what the pipeline knows about a request.
import Foundation
import WardenCore
import WardenStorage

/// Everything a CloudTrail record says about one request.
public struct AuditEvent: Sendable {
    public var eventId: String
    public var context: RequestContext
    public var eventSource: String
    public var eventName: String
    public var readOnly: Bool
    public var category: OperationTraits.EventCategory
    /// Redacted already; nil is written as JSON null.
    public var requestParameters: JSONValue?
    public var responseElements: JSONValue?
    public var errorCode: String?
    public var errorMessage: String?
    public var resources: [AuditResource]

    public init(eventId: String = TimeOrderedID.make(), context: RequestContext, eventSource: String,
                eventName: String, readOnly: Bool, category: OperationTraits.EventCategory = .management,
                requestParameters: JSONValue? = nil, responseElements: JSONValue? = nil, errorCode: String? = nil,
                errorMessage: String? = nil, resources: [AuditResource] = []) {
        self.eventId = eventId
        self.context = context
        self.eventSource = eventSource
        self.eventName = eventName
        self.readOnly = readOnly
        self.category = category
        self.requestParameters = requestParameters
        self.responseElements = responseElements
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.resources = resources
    }

    public static let eventVersion = "1.11"

    /// `2024-01-15T12:30:00Z`, as CloudTrail writes eventTime.
    public static func eventTime(_ date: Date) -> String { Timestamps.iso8601(date, fractional: false) }

    var userIdentity: JSONValue {
        guard let p = context.principal else {
            return .object([("type", .string("Unknown")), ("principalId", .string("")), ("accountId", .string(context.account))])
        }
        var fields: [(String, JSONValue)] = [
            ("type", .string(p.kind.rawValue)),
            ("principalId", .string(p.userId)),
            ("arn", .string(p.arn)),
            ("accountId", .string(p.account)),
        ]
        if let k = p.accessKeyId { fields.append(("accessKeyId", .string(k))) }
        if let u = p.userName { fields.append(("userName", .string(u))) }
        return .object(fields)
    }

    /// The record as CloudTrail writes it.
    public var record: JSONValue {
        var f: [(String, JSONValue)] = [
            ("eventVersion", .string(Self.eventVersion)),
            ("userIdentity", userIdentity),
            ("eventTime", .string(Self.eventTime(context.receivedAt))),
            ("eventSource", .string(eventSource)),
            ("eventName", .string(eventName)),
            ("awsRegion", .string(context.region)),
            ("sourceIPAddress", .string(context.sourceIP)),
            ("userAgent", .string(context.userAgent)),
        ]
        if let errorCode { f.append(("errorCode", .string(errorCode))) }
        if let errorMessage { f.append(("errorMessage", .string(errorMessage))) }
        f.append(("requestParameters", requestParameters ?? .null))
        f.append(("responseElements", errorCode == nil ? (responseElements ?? .null) : .null))
        f.append(("requestID", .string(context.requestId)))
        f.append(("eventID", .string(eventId)))
        f.append(("readOnly", .bool(readOnly)))
        if !resources.isEmpty {
            f.append(("resources", .array(resources.map {
                .object([("accountId", .string($0.account)), ("type", .string($0.type)), ("ARN", .string($0.arn))])
            })))
        }
        f.append(("eventType", .string("AwsApiCall")))
        f.append(("managementEvent", .bool(category == .management)))
        f.append(("recipientAccountId", .string(context.account)))
        f.append(("eventCategory", .string(category.rawValue)))
        if let tls = context.tls {
            var details: [(String, JSONValue)] = [("tlsVersion", .string(tls.tlsVersion))]
            if let suite = tls.cipherSuite { details.append(("cipherSuite", .string(suite))) }
            details.append(("clientProvidedHostHeader", .string(tls.clientProvidedHostHeader)))
            f.append(("tlsDetails", .object(details)))
        }
        return .object(f)
    }

    /// The row the audit log stores.
    public var stored: StoredAuditEvent {
        StoredAuditEvent(
            eventId: eventId, account: context.account, region: context.region,
            eventTimeMillis: Int64((context.receivedAt.timeIntervalSince1970 * 1000).rounded(.down)),
            eventSource: eventSource, eventName: eventName, readOnly: readOnly, management: category == .management,
            username: context.principal.map { $0.userName ?? ($0.kind == .root ? "root" : $0.userId) },
            accessKeyId: context.principal?.accessKeyId, requestId: context.requestId, errorCode: errorCode,
            record: JSONWriter.string(record))
    }
}
