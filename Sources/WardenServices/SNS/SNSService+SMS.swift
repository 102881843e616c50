// SMS: Publish with PhoneNumber and `sms` subscriptions, sent through an HTTP gateway (`--sms-gateway-url`), plus the
// account's SMS attributes and opt-out list.
//
// Gateway protocol (Warden's own): a POST of JSON {"messageId", "phoneNumber", "message", "smsType", "senderId"?};
// any 2xx is sent; a 2xx body of {"optedOut": true} records the number as opted out (the message is not sent).
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

struct SMSSettings: Codable, Sendable {
    var attributes: [String: String] = [:]
    var optedOut: [String] = []
}

extension SNSService {
    static let smsAttributes: Set<String> = ["MonthlySpendLimit", "DeliveryStatusIAMRole", "DeliveryStatusSuccessSamplingRate",
                                             "DefaultSenderID", "DefaultSMSType", "UsageReportS3Bucket"]

    static func isPhoneNumber(_ s: String) -> Bool {
        guard s.hasPrefix("+"), (3...16).contains(s.count) else { return false }
        let digits = s.dropFirst()
        return digits.first != "0" && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    func smsSettings(_ account: String, _ region: String) async throws -> SMSSettings {
        guard let doc = try await repository.smsSettings(account: account, region: region) else { return SMSSettings() }
        return (try? JSONDecoder().decode(SMSSettings.self, from: Data(doc.utf8))) ?? SMSSettings()
    }

    func saveSMS(_ s: SMSSettings, _ account: String, _ region: String) async throws {
        try await repository.saveSMSSettings(account: account, region: region,
                                             doc: String(decoding: try JSONEncoder().encode(s), as: UTF8.self))
    }

    /// The outbox row for one text message.
    func smsItem(phone: String, message: String, subscriptionArn: String, account: String, region: String) async throws -> DeliveryItem {
        guard message.count <= 1600 else { throw Self.invalid("Message too long for SMS (more than 1600 characters)") }
        let settings = try await smsSettings(account, region)
        var doc = DeliveryDoc(endpoint: phone, messageId: UUID().uuidString.lowercased(), attributes: nil)
        doc.protocol = "sms"
        doc.retry = RetryPolicy()
        var payload: [(String, JSONValue)] = [("messageId", .string(doc.messageId)), ("phoneNumber", .string(phone)),
                                              ("message", .string(message)),
                                              ("smsType", .string(settings.attributes["DefaultSMSType"] ?? "Promotional"))]
        if let sender = settings.attributes["DefaultSenderID"] { payload.append(("senderId", .string(sender))) }
        doc.topicArn = "\(account)|\(region)"
        let docText = (try? JSONEncoder().encode(doc)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return DeliveryItem(subscriptionArn: subscriptionArn, body: JSONWriter.write(.object(payload)), doc: docText)
    }

    /// Publish with PhoneNumber: one text, straight to the gateway through the outbox.
    func publishSMS(_ phone: String, _ input: SNS.PublishInput, _ c: RequestContext) async throws -> SNS.PublishResponse {
        guard sms != nil else { throw Self.invalid("PhoneNumber: SMS needs Warden started with --sms-gateway-url") }
        guard Self.isPhoneNumber(phone) else { throw Self.invalid("PhoneNumber Reason: \(phone) is not valid to publish to") }
        let item = try await smsItem(phone: phone, message: input.message, subscriptionArn: "direct-sms", account: c.account, region: c.region)
        try await repository.enqueue([item], dueAtMillis: nowMillis)
        wakeups.signal(Self.wakeKey)
        let doc = try JSONDecoder().decode(DeliveryDoc.self, from: Data(item.doc.utf8))
        return SNS.PublishResponse(messageId: doc.messageId)
    }

    /// Sends one text through the gateway; an opted-out number is recorded and skipped.
    func sendSMS(_ item: DeliveryItem, _ doc: DeliveryDoc) async throws {
        let parts = (doc.topicArn ?? "").split(separator: "|").map(String.init)
        let (account, region) = parts.count == 2 ? (parts[0], parts[1]) : ("", "")
        if try await smsSettings(account, region).optedOut.contains(doc.endpoint) { return }
        guard let gateway = sms else { throw AWSError(code: "SMSNotConfigured", status: 500, senderFault: false, message: "no --sms-gateway-url") }
        let response = try await http.send("POST", url: gateway.absoluteString, headers: [("Content-Type", "application/json")],
                                           body: item.body)
        guard (200..<300).contains(response.status) else {
            throw AWSError(code: "DeliveryFailed", status: 502, senderFault: false, message: "SMS gateway answered \(response.status)")
        }
        if case .bool(true)? = (try? JSONParser.parse(response.body))?["optedOut"] {
            try await locks.withLock("sms:\(account)/\(region)") {
                var s = try await smsSettings(account, region)
                if !s.optedOut.contains(doc.endpoint) { s.optedOut.append(doc.endpoint) }
                try await saveSMS(s, account, region)
            }
        }
    }

    func checkIfPhoneNumberIsOptedOut(_ input: SNS.CheckIfPhoneNumberIsOptedOutInput,
                                      context c: RequestContext) async throws -> SNS.CheckIfPhoneNumberIsOptedOutResponse {
        guard Self.isPhoneNumber(input.phoneNumber) else { throw Self.invalid("PhoneNumber") }
        return SNS.CheckIfPhoneNumberIsOptedOutResponse(isOptedOut: try await smsSettings(c.account, c.region).optedOut.contains(input.phoneNumber))
    }

    func listPhoneNumbersOptedOut(_ input: SNS.ListPhoneNumbersOptedOutInput,
                                  context c: RequestContext) async throws -> SNS.ListPhoneNumbersOptedOutResponse {
        let all = try await smsSettings(c.account, c.region).optedOut.sorted()
        let start = input.nextToken.flatMap { Int($0) } ?? 0
        let page = Array(all.dropFirst(start).prefix(100))
        return SNS.ListPhoneNumbersOptedOutResponse(phoneNumbers: page,
                                                    nextToken: start + page.count < all.count ? String(start + page.count) : nil)
    }

    func optInPhoneNumber(_ input: SNS.OptInPhoneNumberInput, context c: RequestContext) async throws -> SNS.OptInPhoneNumberResponse {
        guard Self.isPhoneNumber(input.phoneNumber) else { throw Self.invalid("PhoneNumber") }
        return try await locks.withLock("sms:\(c.account)/\(c.region)") {
            var s = try await smsSettings(c.account, c.region)
            s.optedOut.removeAll { $0 == input.phoneNumber }
            try await saveSMS(s, c.account, c.region)
            return SNS.OptInPhoneNumberResponse()
        }
    }

    func getSMSAttributes(_ input: SNS.GetSMSAttributesInput, context c: RequestContext) async throws -> SNS.GetSMSAttributesResponse {
        let attrs = try await smsSettings(c.account, c.region).attributes
        guard let names = input.attributes, !names.isEmpty else { return SNS.GetSMSAttributesResponse(attributes: attrs) }
        return SNS.GetSMSAttributesResponse(attributes: attrs.filter { names.contains($0.key) })
    }

    func setSMSAttributes(_ input: SNS.SetSMSAttributesInput, context c: RequestContext) async throws -> SNS.SetSMSAttributesResponse {
        for (k, v) in input.attributes {
            guard Self.smsAttributes.contains(k) else { throw Self.invalid("Attribute Name: \(k)") }
            if k == "DefaultSMSType" && !["Promotional", "Transactional"].contains(v) { throw Self.invalid("DefaultSMSType") }
            if k == "MonthlySpendLimit" && Int(v) == nil { throw Self.invalid("MonthlySpendLimit") }
        }
        return try await locks.withLock("sms:\(c.account)/\(c.region)") {
            var s = try await smsSettings(c.account, c.region)
            s.attributes.merge(input.attributes) { $1 }
            try await saveSMS(s, c.account, c.region)
            return SNS.SetSMSAttributesResponse()
        }
    }
}
