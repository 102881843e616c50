// Mobile push delivery: Publish to an endpoint (TargetArn) and topic copies for `application` subscriptions go
// through the outbox like every other copy; each attempt reads the endpoint and its application, sends to APNs
// (HTTP/2: token or certificate authentication) or FCM (HTTP v1 with a service account, or the legacy API), and acts
// on the answer: a dead token disables the endpoint, permanent failures raise the application's DeliveryFailure
// event, and delivery status logs go to CloudWatch Logs when the application asks for them.
import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import WardenAPI
import WardenCore
import WardenPolicy
import WardenStorage

/// What one attempt came to.
enum PushOutcome {
    case delivered(status: Int, response: String)
    /// The push service says the token is dead (APNs 410/BadDeviceToken, FCM UNREGISTERED/invalid token).
    case invalidToken(status: Int, response: String)
    case permanent(status: Int, response: String)
    case retry(status: Int, response: String)
}

extension SNSService {
    /// Mobile push's delivery policy (customer-managed endpoints): no immediate retry, 2 retries 10 s apart, backing off
    /// to 600 s, then every 600 s; 50 attempts over about 6 hours (SNS Developer Guide, "Message delivery retries").
    /// The backoff phase is linear here where AWS's is exponential.
    static var pushRetry: RetryPolicy {
        var r = RetryPolicy()
        r.numRetries = 49
        r.numNoDelay = 0
        r.numMinDelay = 2
        r.minDelay = 10
        r.maxDelay = 600
        r.numMaxDelay = 38
        return r
    }

    static func endpointPlatform(_ endpointArn: String) -> String {
        let parts = (ARN(endpointArn)?.resource ?? "").split(separator: "/")
        return parts.count == 4 ? String(parts[1]) : ""
    }

    /// One push copy for the outbox. Encoding these plain structures does not fail in practice; if it ever does, the
    /// publish fails (and is logged as an internal failure) rather than queueing an empty copy.
    func pushItem(endpointArn: String, text: String, raw: Bool, attributes: [Attribute], messageId: String, topicArn: String?,
                  subscriptionArn: String) throws -> DeliveryItem {
        let mobile = attributes.filter { $0.name.hasPrefix("AWS.SNS.MOBILE.") }.map {
            StoredAttribute(name: $0.name, dataType: $0.dataType, string: $0.string, binary: $0.binary.map { Data($0).base64EncodedString() })
        }
        var doc = DeliveryDoc(endpoint: endpointArn, messageId: messageId, attributes: mobile.isEmpty ? nil : mobile)
        doc.protocol = "application"
        doc.topicArn = topicArn
        doc.retry = Self.pushRetry
        let body = PushBody(text: text, raw: raw, publishedAt: nowMillis)
        let docText = String(decoding: try JSONEncoder().encode(doc), as: UTF8.self)
        return DeliveryItem(subscriptionArn: subscriptionArn, body: Array(try JSONEncoder().encode(body)), doc: docText)
    }

    /// A topic's copy for an `application` subscription (called from `render`).
    func pushItem(subscription: String, endpoint: String, perProtocol: [String: String], message: String, attributes: [Attribute],
                  messageId: String, topicArn: String) throws -> DeliveryItem {
        let (text, raw) = PushPayload.select(platform: Self.endpointPlatform(endpoint), perProtocol: perProtocol, message: message)
        return try pushItem(endpointArn: endpoint, text: text, raw: raw, attributes: attributes, messageId: messageId, topicArn: topicArn,
                        subscriptionArn: subscription)
    }

    /// Publish with TargetArn = a platform endpoint.
    func publishToEndpoint(_ target: String, _ input: SNS.PublishInput, _ c: RequestContext) async throws -> SNS.PublishResponse {
        let (arn, platform, _) = try Self.endpointARN(target, c)
        guard arn.account == c.account, let row = try await platforms.endpoint(arn: target) else {
            throw Self.invalid("TargetArn Reason: No endpoint found for the target arn specified")
        }
        // A disabled endpoint is refused before the message is looked at (recorded from SNS: moto's AWS-verified tests).
        guard try EndpointRecord.decode(row.doc).attributes["Enabled"] == "true" else {
            throw SNS.Errors.endpointDisabledException("Endpoint is disabled")
        }
        guard !input.message.isEmpty else { throw Self.invalid("Empty message") }
        let (attrs, size) = try Self.attributes(input.messageAttributes)
        guard input.message.utf8.count + size <= Self.maxMessageBytes else { throw Self.invalid("Message too long") }
        if let subject = input.subject, subject.isEmpty || subject.count >= 100 { throw Self.invalid("Subject") }
        var text = input.message, raw = false
        if let structure = input.messageStructure {
            guard structure == "json" else { throw Self.invalid("MessageStructure - only json is supported") }
            guard case .object(let fields)? = try? JSONParser.parse(Array(input.message.utf8)) else {
                throw Self.invalid("Message Structure - JSON message body failed to parse")
            }
            var strings: [String: String] = [:]
            for (k, v) in fields { if let s = v.stringValue { strings[k] = s } }
            guard strings[platform] != nil || strings["default"] != nil else {
                // Recorded from SNS (sns-mobile #6, aws-sdk-net #180).
                throw Self.invalid("JSON must contain an entry for 'default' or '\(platform)'.")
            }
            (text, raw) = PushPayload.select(platform: platform, perProtocol: strings, message: input.message)
        }
        let messageId = UUID().uuidString.lowercased()
        let item = try pushItem(endpointArn: target, text: text, raw: raw, attributes: attrs, messageId: messageId, topicArn: nil,
                            subscriptionArn: "direct-push")
        try await repository.enqueue([item], dueAtMillis: nowMillis)
        wakeups.signal(Self.wakeKey)
        return SNS.PublishResponse(messageId: messageId)
    }

    // MARK: delivery

    /// Delivers one push copy. Returns when the copy is done with (delivered, or failed for good with its event and
    /// log); throws only to have it retried by the outbox.
    func deliverPush(_ item: DeliveryItem, _ doc: DeliveryDoc) async throws {
        let body = try JSONDecoder().decode(PushBody.self, from: Data(item.body))
        let endpointArn = doc.endpoint
        let appArn = endpointArn.replacingOccurrences(of: ":endpoint/", with: ":app/").split(separator: "/").dropLast().joined(separator: "/")
        // The application is gone, and its endpoints with it: nothing left to deliver to or to tell. It may have been
        // deleted through another node, so this node's client for its certificate is closed here.
        guard let app = try await platforms.app(arn: appArn, credentials: true) else {
            push.dropCertificateClients(app: appArn, logger: background.logger)
            return
        }
        let record = try PlatformAppRecord.decode(app.doc)
        let attempts = item.attempts + 1
        var failure = DeliveryFailure(app: app, record: record, endpoint: endpointArn, messageId: doc.messageId, body: body, attempts: attempts)
        guard let endpoint = try await platforms.endpoint(arn: endpointArn) else {
            // Recorded from SNS (a DeliveryFailure event, 2018).
            return await failed(failure, type: "EndpointNotFound", message: "Endpoint was not found", status: 0, response: "")
        }
        failure.token = endpoint.token
        guard try EndpointRecord.decode(endpoint.doc).attributes["Enabled"] == "true" else {
            return await failed(failure, type: "EndpointDisabled", message: "Endpoint is disabled", status: 0, response: "")
        }
        let stored = try app.credentials.map { try JSONDecoder().decode(StoredCredentials.self, from: Data($0)) }
        let credential: PushCredential
        do {
            guard let stored else { throw Self.badCredentials }
            credential = try Self.parseCredentials(platform: record.platform, stored, attributes: record.attributes, now: now())
            // Moved off certificate authentication (possibly through another node): its certificate's client goes.
            if case .apnsCertificate = credential {} else { push.dropCertificateClients(app: app.arn, logger: background.logger) }
        } catch {
            push.dropCertificateClients(app: app.arn, logger: background.logger)
            // AWS's FailureMessage for an application whose credentials no longer work is not documented.
            return await failed(failure, type: "DeliveryFailedPerm", message: "Platform credentials are invalid", status: 0, response: "")
        }
        let attributes = doc.attributes ?? []
        var outcome: PushOutcome
        do {
            switch credential {
            case .apnsCertificate, .apnsToken:
                outcome = try await sendAPNs(credential, app: app.arn, record: record, token: endpoint.token, body: body, attributes: attributes)
            case .fcmServiceAccount, .fcmKey:
                outcome = try await sendFCM(credential, token: endpoint.token, body: body, attributes: attributes)
            case .other:
                // ADM, Baidu, MPNS and WNS are stored and checked, but Warden does not deliver to their services.
                outcome = .permanent(status: 0, response: "Warden does not deliver to \(record.platform)")
            }
        } catch {
            // Connection, TLS and timeout failures: the service may answer next time.
            outcome = .retry(status: 0, response: "\(error)")
        }
        switch outcome {
        case .delivered(let status, let response):
            await deliveryLog(failure, success: true, status: status, response: response)
        case .invalidToken(let status, let response):
            await disable(endpoint: endpointArn, app: app.arn, record: record)
            // Recorded from SNS (a DeliveryFailure event's FailureType and FailureMessage, AWS re:Post 2022).
            await failed(failure, type: "InvalidPlatformToken", message: "Platform token associated with the endpoint is not valid",
                         status: status, response: response)
        case .permanent(let status, let response):
            await failed(failure, type: "DeliveryFailedPerm", message: response, status: status, response: response)
        case .retry(let status, let response):
            let limit = Int64((doc.retry ?? Self.pushRetry).numRetries) + 1
            guard attempts >= limit else {
                throw AWSError(code: "DeliveryFailed", status: 502, senderFault: false, message: "push service answered \(status)")
            }
            await failed(failure, type: "DeliveryFailedPerm", message: response, status: status, response: response)
        }
    }

    /// The application's record for an event, or nil (logged) when it is gone or unreadable.
    func appRecord(_ arn: String) async -> PlatformAppRecord? {
        do {
            guard let row = try await platforms.app(arn: arn) else { return nil }
            return try PlatformAppRecord.decode(row.doc)
        } catch {
            background.logger.error("SNS could not read a platform application", metadata: ["application": "\(arn)", "error": "\(error)"])
            return nil
        }
    }

    /// The facts a failure event and a status log line need.
    struct DeliveryFailure {
        var app: PlatformAppRow
        var record: PlatformAppRecord
        var endpoint: String
        var messageId: String
        var body: PushBody
        var attempts: Int64
        var token = ""
    }

    /// A copy that failed for good: the application's DeliveryFailure event and its failure log line.
    func failed(_ f: DeliveryFailure, type: String, message: String, status: Int, response: String) async {
        let fields: [(String, JSONValue)] = [
            ("DeliveryAttempts", .int(f.attempts)), ("EndpointArn", .string(f.endpoint)), ("EventType", .string("DeliveryFailure")),
            ("FailureMessage", .string(message)), ("FailureType", .string(type)), ("MessageId", .string(f.messageId)),
            ("Resource", .string(f.app.arn)), ("Service", .string("SNS")), ("Time", .string(Self.timestamp(now()))),
        ]
        await applicationEvent(app: f.app.arn, record: f.record, kind: "DeliveryFailure", fields: fields)
        await deliveryLog(f, success: false, status: status, response: response)
    }

    /// Disables an endpoint whose token the push service refused, and raises EndpointUpdated.
    func disable(endpoint arn: String, app: String, record: PlatformAppRecord) async {
        do {
            let changed = try await locks.withLock(arn) { () async throws -> Bool in
                guard var row = try await platforms.endpoint(arn: arn) else { return false }
                var r = try EndpointRecord.decode(row.doc)
                guard r.attributes["Enabled"] != "false" else { return false }
                r.attributes["Enabled"] = "false"
                row.doc = r.encoded()
                return try await platforms.updateEndpoint(row)
            }
            if changed { await applicationEvent(app: app, record: record, kind: "EndpointUpdated", endpoint: arn) }
        } catch {
            background.logger.error("SNS could not disable an endpoint whose token was refused",
                                    metadata: ["endpoint": "\(arn)", "error": "\(error)"])
        }
    }

    /// Publishes an application event (EndpointCreated/Updated/Deleted, DeliveryFailure) to the topic the
    /// application names for it, if any. The event body's members are in the order SNS sends them (sorted); AWS
    /// documents only DeliveryFailure's (recorded 2018), the others follow its form.
    func applicationEvent(app: String, record: PlatformAppRecord, kind: String, endpoint: String) async {
        await applicationEvent(app: app, record: record, kind: kind, fields: [
            ("EndpointArn", .string(endpoint)), ("EventType", .string(kind)), ("Resource", .string(app)), ("Service", .string("SNS")),
            ("Time", .string(Self.timestamp(now()))),
        ])
    }

    func applicationEvent(app: String, record: PlatformAppRecord, kind: String, fields: [(String, JSONValue)]) async {
        guard let topic = record.attributes["Event\(kind)"] else { return }
        let message = String(decoding: JSONWriter.write(.object(fields)), as: UTF8.self)
        // The subject as recorded for DeliveryFailure ("DeliveryFailure event for app NAME (PLATFORM)").
        let subject = "\(kind) event for app \(record.name) (\(record.platform))"
        do {
            if let topicARN = ARN(topic), let appAccount = ARN(app)?.account, topicARN.account != appAccount {
                let policy = try await topicPolicy(topicArn: topic)
                guard Self.eventTopicAllows(app: app, topic: topic, policy: policy) else {
                    background.logger.notice(
                        "SNS dropped an application event: the topic is in another account and its policy does not allow sns:Publish for the application's account",
                        metadata: ["application": "\(app)", "event": "\(kind)", "topic": "\(topic)"])
                    return
                }
            }
            try await publish(topicArn: topic, message: message, subject: subject.count < 100 ? subject : nil, service: "sns.amazonaws.com")
        } catch {
            background.logger.warning("SNS could not publish an application event", metadata: [
                "application": "\(app)", "event": "\(kind)", "topic": "\(topic)", "error": "\(error)"])
        }
    }

    /// Whether a topic of another account takes an application's events: its policy must allow `sns:Publish` to SNS
    /// acting for the application (the service principal, with aws:SourceArn the application and aws:SourceAccount its
    /// account, as SNS's and EventBridge's deliveries are checked) or to the application's account itself. Evaluated in
    /// every IAM mode: without IAM enforcement accounts are still kept apart (a topic is only ever found in its own
    /// account), so one account's application must never reach another's topic unasked.
    static func eventTopicAllows(app: String, topic: String, policy: String) -> Bool {
        guard let appARN = ARN(app), let topicARN = ARN(topic) else { return false }
        if topicARN.account == appARN.account { return true }
        if eventTopicAccess.allows(service: "sns.amazonaws.com", action: "sns:Publish", resourceArn: topic, resourceAccount: topicARN.account,
                                   policy: policy, sourceArn: app, sourceAccount: appARN.account) {
            return true
        }
        guard let document = eventTopicAccess.compiled.policy(policy) else { return false }
        let root = "arn:\(appARN.partition.rawValue):iam::\(appARN.account):root"
        let request = AuthorizationRequest(action: "sns:Publish", resource: topic, resourceAccount: topicARN.account,
                                           principal: PolicyPrincipal(kind: .root, arn: root, account: appARN.account),
                                           context: ConditionContext(["aws:SourceArn": [app], "aws:SourceAccount": [appARN.account],
                                                                      "aws:ResourceAccount": [topicARN.account]]))
        return PolicyEvaluator.evaluate(request, policies: PolicySet(resource: [document])).isAllowed
    }

    /// Evaluates event topics' policies whatever `--iam` says (see `eventTopicAllows`).
    static let eventTopicAccess = ServiceAccess(enforced: true)

    /// Writes a delivery status line to `sns/REGION/ACCOUNT/app/PLATFORM/NAME` (failures: `…/Failure`) when the
    /// application has the role for it; successes are sampled at SuccessFeedbackSampleRate. The line's members and
    /// their order are those of the SNS Developer Guide's examples ("Mobile app attributes").
    func deliveryLog(_ f: DeliveryFailure, success: Bool, status: Int, response: String) async {
        let a = f.record.attributes
        guard a[success ? "SuccessFeedbackRoleArn" : "FailureFeedbackRoleArn"] != nil else { return }
        // AWS's sample rate when SuccessFeedbackSampleRate is unset is not documented: Warden logs every success.
        if success, let rate = Int(a["SuccessFeedbackSampleRate"] ?? "100"), Int.random(in: 0..<100) >= rate { return }
        let nowMs = nowMillis
        let line: JSONValue = .object([
            ("status", .string(success ? "SUCCESS" : "FAILURE")),
            ("notification", .object([("timestamp", .string(Self.javaTimestamp(f.body.publishedAt))), ("messageId", .string(f.messageId))])),
            ("delivery", .object([
                ("statusCode", .int(status)), ("dwellTimeMs", .int(max(0, nowMs - f.body.publishedAt))), ("token", .string(f.token)),
                ("attempts", .int(f.attempts)), ("providerResponse", .string(response)), ("destination", .string(f.endpoint)),
            ])),
        ])
        let group = "sns/\(f.app.region)/\(f.app.account)/app/\(f.record.platform)/\(f.record.name)" + (success ? "" : "/Failure")
        do {
            try await push.logSink.write(account: f.app.account, region: f.app.region, group: group, stream: UUID().uuidString.lowercased(),
                                         events: [(nowMs, String(decoding: JSONWriter.write(line), as: UTF8.self))], createGroup: true, cursor: nil)
        } catch {
            background.logger.warning("SNS could not write a delivery status log", metadata: ["group": "\(group)", "error": "\(error)"])
        }
    }

    /// `yyyy-MM-dd HH:mm:ss.SSS` in UTC with trailing zeros of the fraction dropped, as SNS's logs show times
    /// ("2015-01-26 23:07:39.54": Java's Timestamp.toString).
    static func javaTimestamp(_ ms: Int64) -> String {
        let iso = Timestamps.iso8601(Date(timeIntervalSince1970: TimeInterval(ms) / 1000), fractional: false)
        var fraction = String(format: "%03d", Int(ms % 1000))
        while fraction.count > 1 && fraction.hasSuffix("0") { fraction.removeLast() }
        return iso.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "") + "." + fraction
    }
}
