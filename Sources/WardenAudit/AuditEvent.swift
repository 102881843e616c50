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

    func writeUserIdentity(_ w: inout JSONObjectWriter) {
        guard let p = context.principal else {
            w.field("type", "Unknown")
            w.field("principalId", "")
            w.field("accountId", context.account)
            return
        }
        w.field("type", p.kind.rawValue)
        if p.kind == .awsService {
            // A service acting on its own: just the service (CloudTrail User Guide, "userIdentity element").
            w.field("invokedBy", p.userName ?? p.arn)
            return
        }
        w.field("principalId", p.userId)
        w.field("arn", p.arn)
        w.field("accountId", p.account)
        if let k = p.accessKeyId { w.field("accessKeyId", k) }
        // Sessions name their user in sessionIssuer, not here (recorded AssumedRole and FederatedUser identities).
        if let u = p.userName, p.kind == .iamUser || p.kind == .root { w.field("userName", u) }
        if let s = p.session {
            w.object("sessionContext") { c in
                c.object("sessionIssuer") { i in
                    // GetSessionToken sessions of users and the root have an empty issuer, as console sessions do.
                    guard p.kind == .assumedRole || p.kind == .federatedUser else { return }
                    i.field("type", s.issuerType)
                    i.field("principalId", s.issuerId)
                    i.field("arn", s.issuerArn)
                    i.field("accountId", p.account)
                    i.field("userName", s.issuerName)
                }
                if p.kind != .federatedUser { c.object("webIdFederationData") { _ in } }
                c.object("attributes") { a in
                    a.field("creationDate", Self.eventTime(s.createdAt))
                    a.field("mfaAuthenticated", s.mfaAuthenticated ? "true" : "false")
                }
                if let si = s.sourceIdentity { c.field("sourceIdentity", si) }
            }
        }
    }

    /// The record as CloudTrail writes it, as JSON text (written field by field: this runs on every request).
    public var recordJSON: String {
        var w = JSONObjectWriter()
        w.field("eventVersion", Self.eventVersion)
        w.object("userIdentity") { writeUserIdentity(&$0) }
        w.field("eventTime", Self.eventTime(context.receivedAt))
        w.field("eventSource", eventSource)
        w.field("eventName", eventName)
        w.field("awsRegion", context.region)
        w.field("sourceIPAddress", context.sourceIP)
        w.field("userAgent", context.userAgent)
        if let errorCode { w.field("errorCode", errorCode) }
        if let errorMessage { w.field("errorMessage", errorMessage) }
        w.field("requestParameters", json: requestParameters)
        w.field("responseElements", json: errorCode == nil ? responseElements : nil)
        w.field("requestID", context.requestId)
        w.field("eventID", eventId)
        w.field("readOnly", readOnly)
        if !resources.isEmpty {
            w.field("resources", json: .array(resources.map {
                .object([("accountId", .string($0.account)), ("type", .string($0.type)), ("ARN", .string($0.arn))])
            }))
        }
        w.field("eventType", "AwsApiCall")
        w.field("managementEvent", category == .management)
        w.field("recipientAccountId", context.account)
        w.field("eventCategory", category.rawValue)
        if let tls = context.tls {
            w.object("tlsDetails") { d in
                d.field("tlsVersion", tls.tlsVersion)
                if let suite = tls.cipherSuite { d.field("cipherSuite", suite) }
                d.field("clientProvidedHostHeader", tls.clientProvidedHostHeader)
            }
        }
        return String(decoding: w.finish(), as: UTF8.self)
    }

    /// The row the audit log stores.
    public var stored: StoredAuditEvent {
        StoredAuditEvent(
            eventId: eventId, account: context.account, region: context.region,
            eventTimeMillis: Int64((context.receivedAt.timeIntervalSince1970 * 1000).rounded(.down)),
            eventSource: eventSource, eventName: eventName, readOnly: readOnly, management: category == .management,
            username: context.principal.map { p in
                // Event history's Username: the session name for role sessions, the user for users, "root".
                if p.kind == .assumedRole || p.kind == .federatedUser { return String(p.arn.split(separator: "/").last ?? "") }
                return p.userName ?? (p.kind == .root ? "root" : p.userId)
            },
            accessKeyId: context.principal?.accessKeyId, requestId: context.requestId, errorCode: errorCode,
            record: recordJSON, resources: resources.map { StoredAuditResource(type: $0.type, name: $0.arn) })
    }
}
