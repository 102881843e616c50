// Message data protection on topics: Put/GetDataProtectionPolicy (and CreateTopic's DataProtectionPolicy), and the
// publish hook — Inbound statements deny, de-identify or audit a published message; Outbound Deny statements keep it
// from the subscriptions whose principal they name.
//
// The policy lives in the topic's document, beside its attributes; GetTopicAttributes does not show it (SNS lists no
// DataProtectionPolicy attribute). Audit findings go to the CloudWatch Logs group the statement names, as the findings
// document the guide shows ("Audit destination log example"); Firehose and S3 destinations are accepted but Warden has
// no Firehose and writes no findings objects to buckets, which it logs.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension SNSService {
    var dataProtectionOperations: [AnyOperation] {
        typealias Ops = SNS.Operations
        return [
            AnyOperation(Ops.PutDataProtectionPolicy.self, traits: Self.traits("PutDataProtectionPolicy", readOnly: false),
                         putDataProtectionPolicy),
            AnyOperation(Ops.GetDataProtectionPolicy.self, traits: Self.traits("GetDataProtectionPolicy", readOnly: true),
                         getDataProtectionPolicy),
        ]
    }

    /// CloudWatch Logs, where audit findings are written (a view over the same store the Logs API serves).
    var findingsLog: any LogSink { LogsService(repository: LogsRepository(db: repository.db), functions: functions, now: now) }

    /// A policy given to CreateTopic or PutDataProtectionPolicy, validated; nil or empty means none.
    static func checkedDataProtectionPolicy(_ text: String?) throws(AWSError) -> String? {
        guard let text, !text.isEmpty else { return nil }
        _ = try DataProtectionPolicy(text)
        return text
    }

    func putDataProtectionPolicy(_ input: SNS.PutDataProtectionPolicyInput, context c: RequestContext) async throws -> EmptyShape {
        try Self.checkArnElements(input.resourceArn, "ResourceArn")
        // An empty policy deletes the topic's policy (SNS Developer Guide, "Deleting data protection policies").
        let policy = try Self.checkedDataProtectionPolicy(input.dataProtectionPolicy)
        try await locks.withLock(input.resourceArn) {
            var (row, record) = try await topic(input.resourceArn, c)
            record.dataProtectionPolicy = policy
            row.doc = record.encoded()
            guard try await repository.updateTopic(row) else { throw Self.notFound("Topic does not exist") }
        }
        return EmptyShape()
    }

    func getDataProtectionPolicy(_ input: SNS.GetDataProtectionPolicyInput,
                                 context c: RequestContext) async throws -> SNS.GetDataProtectionPolicyResponse {
        try Self.checkArnElements(input.resourceArn, "ResourceArn")
        let (_, record) = try await topic(input.resourceArn, c)
        // The policy as it was put, byte for byte; a topic without one answers no DataProtectionPolicy member.
        return SNS.GetDataProtectionPolicyResponse(dataProtectionPolicy: record.dataProtectionPolicy)
    }

    /// What the topic's policy made of one publish: the message to deliver, and the Outbound check per subscription.
    struct Protection: Sendable {
        var message: String
        /// The Outbound Deny statements that found data in the message.
        var denials: [DataProtectionPolicy.Statement] = []
        var topicArn: String

        /// The subscriptions an Outbound Deny statement does not exclude. The principal of a subscription is whoever
        /// subscribed (SubscriptionPrincipal), or the owning account's root for subscriptions made before it was kept.
        func subscriptions(_ rows: [SubscriptionRow]) -> [SubscriptionRow] {
            guard !denials.isEmpty else { return rows }
            return rows.filter { row in
                guard let r = try? SubscriptionRecord.decode(row.doc) else { return true }
                let partition = ARN(topicArn)?.partition.rawValue ?? "aws"
                let principal = r.principal ?? "arn:\(partition):iam::\(r.owner):root"
                guard denials.contains(where: { $0.applies(to: [principal]) }) else { return true }
                // As SNS reports it in delivery status logs (statusCode 403).
                ServiceLog.logger.info("The topic's data protection policy prohibits this message from being delivered to \(row.arn)",
                                       metadata: ["topic": "\(topicArn)"])
                return false
            }
        }
    }

    /// The publish hook (called by `render`). A replay re-delivers an archived message: it is de-identified again but
    /// neither denied nor audited a second time.
    func protect(topicArn: String, record: TopicRecord, message: String, messageId: String, replay: Bool,
                 _ c: RequestContext) async throws -> Protection {
        guard let text = record.dataProtectionPolicy, !text.isEmpty else { return Protection(message: message, topicArn: topicArn) }
        let policy: DataProtectionPolicy
        do {
            policy = try DataProtectionPolicy(text)
        } catch {
            // Stored policies were valid when put; one that no longer parses fails closed.
            ServiceLog.logger.error("stored data protection policy does not parse", metadata: ["topic": "\(topicArn)", "error": "\(error)"])
            throw AWSError.internalFailure()
        }
        var principals = [c.principal?.arn, c.principal?.session?.issuerArn].compactMap { $0 }
        if principals.isEmpty { principals = [c.userAgent] }
        // One time budget for the whole message, inbound and outbound statements together: a custom identifier that
        // backtracks without end fails this publish (logged) instead of holding the request and a core.
        let inbound: DataProtectionPolicy.Inbound
        let denials: [DataProtectionPolicy.Statement]
        do {
            let budget = MatchBudget()
            inbound = try policy.inbound(message, principals: principals, budget: budget)
            denials = policy.hasOutbound ? try policy.outboundDenials(inbound.message, budget: budget) : []
        } catch {
            ServiceLog.logger.error("data protection detection ran past its time budget; the publish fails", metadata: [
                "topic": "\(topicArn)", "messageId": "\(messageId)", "budget": "\(MatchBudget.perMessage)", "error": "\(error)"])
            throw AWSError.internalFailure()
        }
        if !replay {
            if let audit = inbound.audit, Int.random(in: 0..<100) < audit.sampleRate {
                await writeFindings(audit, inbound.findings, message: message, messageId: messageId, topicArn: topicArn,
                                    caller: principals[0], c)
            }
            if inbound.denied {
                // The guide gives the error code (AuthorizationError, 403) but not its message; Warden's words follow the
                // outbound text SNS documents for delivery status logs.
                throw SNS.Errors.authorizationErrorException("The topic's data protection policy prohibits this message from being published to \(topicArn)")
            }
        }
        return Protection(message: inbound.message, denials: denials, topicArn: topicArn)
    }

    /// One findings document per audited message (SNS Developer Guide, "Audit destination log example"): messageId,
    /// auditTimestamp, callerPrincipal, resourceArn and, per identifier found, its name, count and detections. Offsets
    /// are characters of the message as published: `start` the first, `end` one past the last (AWS's example does not
    /// say which convention it uses). A message with nothing found goes to NoFindingsDestination, with no identifiers.
    func writeFindings(_ audit: DataProtectionPolicy.Audit, _ found: [Detection], message: String, messageId: String, topicArn: String,
                       caller: String, _ c: RequestContext) async {
        guard let destination = found.isEmpty ? audit.noFindings : audit.findings else { return }
        let ns = message as NSString
        func characters(_ utf16: Int) -> Int { ns.substring(to: utf16).count }
        var order: [String] = []
        var byName: [String: [JSONValue]] = [:]
        for d in found {
            if byName[d.identifier] == nil { order.append(d.identifier) }
            byName[d.identifier, default: []].append(.object([("start", .int(characters(d.range.location))),
                                                              ("end", .int(characters(NSMaxRange(d.range))))]))
        }
        let identifiers: [JSONValue] = order.map { name in
            let detections = byName[name] ?? []
            return .object([("name", .string(name)), ("count", .int(detections.count)), ("detections", .array(detections))])
        }
        let doc: JSONValue = .object([("messageId", .string(messageId)), ("auditTimestamp", .string(Timestamps.iso8601(now(), fractional: false))),
                                      ("callerPrincipal", .string(caller)), ("resourceArn", .string(topicArn)),
                                      ("dataIdentifiers", .array(identifiers))])
        let topic = ARN(topicArn)
        if let group = destination.logGroup, let topic {
            await ServiceLog.attempt("writing data protection findings", ["topic": "\(topicArn)", "logGroup": "\(group)"]) {
                // AWS does not document the stream's name; Warden writes one stream per topic, named after it.
                try await findingsLog.write(account: topic.account, region: topic.region, group: group, stream: topic.resource,
                                            events: [(timestamp: nowMillis, message: JSONWriter.string(doc))], createGroup: false, cursor: nil)
            }
        }
        if destination.deliveryStream != nil || destination.bucket != nil {
            ServiceLog.logger.warning("data protection findings for Firehose or S3 destinations are not written by Warden",
                                      metadata: ["topic": "\(topicArn)"])
        }
    }
}
