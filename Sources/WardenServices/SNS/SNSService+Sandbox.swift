// The SMS sandbox (SNS Developer Guide, "SMS sandbox", "Adding and verifying phone numbers in the SMS sandbox"):
// destination numbers verified with a one-time password sent through the SMS gateway, the account's sandbox status,
// and ListOriginationNumbers.
//
// Whether an account starts in the sandbox: on AWS, new accounts do. Warden has no carrier and no fraud to protect
// against — the operator owns the gateway — so an account starts out of it, as one AWS has moved to production; the
// operator puts accounts in with the `warden_settings` row `sns.sms_sandbox` ("true" for every account, or a
// comma-separated list of account ids). In the sandbox, Publish to a number that is not verified is refused, and
// subscriptions' texts to such numbers are not sent.
//
// The rules SNS documents: up to 10 destination numbers; a code sent at most five times a day to one number; a number
// deleted only 24 hours or more after its verification or last verification attempt. What AWS does not document is
// Warden's own and says so where it is decided: the code's length (6 digits, within the API's 5–8), how long it stays
// valid, the error texts.
import Crypto
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension SNSService {
    static let otpDigits = 6
    /// AWS does not document when a code expires; Warden keeps one for the 24 hours its sending limit counts over.
    static let otpLifetimeMillis: Int64 = 86_400_000
    static let otpSendsPerDay = 5
    static let sandboxMaxNumbers = 10
    /// Wrong codes before a code is void and a new one must be sent (Warden's own guard against guessing 10^6 codes).
    static let otpMaxFailures: Int64 = 10
    static let dayMillis: Int64 = 86_400_000

    var sandboxOperations: [AnyOperation] {
        typealias Ops = SNS.Operations
        // The one-time password never reaches the audit record.
        var verify = Self.traits("VerifySMSSandboxPhoneNumber", readOnly: false)
        verify.redactedRequestMembers.insert("OneTimePassword")
        return [
            AnyOperation(Ops.CreateSMSSandboxPhoneNumber.self, traits: Self.traits("CreateSMSSandboxPhoneNumber", readOnly: false),
                         createSMSSandboxPhoneNumber),
            AnyOperation(Ops.VerifySMSSandboxPhoneNumber.self, traits: verify, verifySMSSandboxPhoneNumber),
            AnyOperation(Ops.ListSMSSandboxPhoneNumbers.self, traits: Self.traits("ListSMSSandboxPhoneNumbers", readOnly: true),
                         listSMSSandboxPhoneNumbers),
            AnyOperation(Ops.DeleteSMSSandboxPhoneNumber.self, traits: Self.traits("DeleteSMSSandboxPhoneNumber", readOnly: false),
                         deleteSMSSandboxPhoneNumber),
            AnyOperation(Ops.GetSMSSandboxAccountStatus.self, traits: Self.traits("GetSMSSandboxAccountStatus", readOnly: true),
                         getSMSSandboxAccountStatus),
            AnyOperation(Ops.ListOriginationNumbers.self, traits: Self.traits("ListOriginationNumbers", readOnly: true),
                         listOriginationNumbers),
        ]
    }

    var sandbox: SMSSandboxRepository { SMSSandboxRepository(db: repository.db, sealer: repository.sealer) }

    static func sandboxLock(_ c: RequestContext) -> String { "sms-sandbox:\(c.account)/\(c.region)" }

    /// Whether the operator has put `account` in the SMS sandbox.
    func inSandbox(_ account: String) async throws -> Bool {
        guard let value = try await sandbox.setting(SMSSandboxRepository.sandboxSetting)?.trimmingCharacters(in: .whitespaces) else { return false }
        if value.lowercased() == "true" { return true }
        return value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == account }
    }

    /// E.164: `+`, a country code not starting with 0, at most 15 digits in all.
    static func isE164(_ s: String) -> Bool {
        guard s.hasPrefix("+") else { return false }
        let digits = s.dropFirst()
        return (8...15).contains(digits.count) && digits.first != "0" && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func sandboxNumber(_ phone: String) throws(AWSError) {
        // AWS's text for a number that passes the API's pattern but is not E.164 is not documented: Warden's own.
        guard isE164(phone) else { throw invalid("PhoneNumber Reason: \(phone) is not a phone number in E.164 format") }
    }

    static func sandboxNotFound() -> AWSError {
        // AWS's exact message is not documented (ResourceNotFound, 404, is the documented error).
        SNS.Errors.resourceNotFoundException("The phone number does not exist in the SMS sandbox of this account.")
    }

    /// The sealed form of a code: a random salt and SHA-256(salt ‖ code), sealed under the root key for this number.
    func sealCode(_ code: String, _ context: SealContext) throws -> [UInt8] {
        var salt = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255, using: &rng) }
        return try repository.sealer.seal(salt + Array(SHA256.hash(data: salt + Array(code.utf8))), context: context)
    }

    func codeMatches(_ sealed: [UInt8], _ code: String, _ context: SealContext) throws -> Bool {
        let plain = try repository.sealer.open(sealed, context: context)
        guard plain.count == 48 else { return false }
        let expected = Array(SHA256.hash(data: Array(plain.prefix(16)) + Array(code.utf8)))
        return KMSService.constantTimeEqual(expected, Array(plain.suffix(32)))
    }

    func createSMSSandboxPhoneNumber(_ input: SNS.CreateSMSSandboxPhoneNumberInput,
                                     context c: RequestContext) async throws -> SNS.CreateSMSSandboxPhoneNumberResult {
        try Self.sandboxNumber(input.phoneNumber)
        let language = input.languageCode?.rawValue ?? "en-US"
        guard sms != nil else { throw Self.invalid("PhoneNumber: SMS needs Warden started with --sms-gateway-url") }
        if try await smsSettings(c.account, c.region).optedOut.contains(input.phoneNumber) {
            // AWS's exact message is not documented (OptedOut is the documented error).
            throw SNS.Errors.optedOutException("The phone number \(input.phoneNumber) has opted out of receiving SMS messages from this account.")
        }
        let nowMs = nowMillis
        try await locks.withLock(Self.sandboxLock(c)) {
            let existing = try await sandbox.number(account: c.account, region: c.region, phone: input.phoneNumber)
            // A verified number needs no code: asking again changes nothing (Warden's choice; AWS's answer is not documented).
            if existing?.status == "Verified" { return }
            var n = existing ?? SandboxNumberRow(account: c.account, region: c.region, phone: input.phoneNumber, status: "Pending",
                                                 language: language, code: nil, codeExpiresMillis: nil, failedAttempts: 0, sentMillis: [],
                                                 touchedMillis: nowMs, createdAtMillis: nowMs)
            if existing == nil, try await sandbox.count(account: c.account, region: c.region) >= Self.sandboxMaxNumbers {
                // AWS's exact message is not documented; UserError is among the operation's documented errors.
                throw SNS.Errors.userErrorException("The SMS sandbox of this account already has \(Self.sandboxMaxNumbers) destination phone numbers.")
            }
            n.sentMillis = n.sentMillis.filter { $0 > nowMs - Self.dayMillis }
            guard n.sentMillis.count < Self.otpSendsPerDay else {
                // AWS's exact message is not documented; Throttled is among the operation's documented errors.
                throw SNS.Errors.throttledException("A one-time password can be sent to \(input.phoneNumber) at most \(Self.otpSendsPerDay) times every 24 hours.")
            }
            var rng = SystemRandomNumberGenerator()
            let code = String((0..<Self.otpDigits).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
            n.language = language
            n.code = try sealCode(code, SMSSandboxRepository.codeContext(account: c.account, region: c.region, phone: input.phoneNumber))
            n.codeExpiresMillis = nowMs + Self.otpLifetimeMillis
            n.failedAttempts = 0
            n.sentMillis.append(nowMs)
            try await sandbox.save(n, otp: otpItem(phone: input.phoneNumber, code: code, language: language, c), dueAtMillis: nowMs)
        }
        wakeups.signal(Self.wakeKey)
        return SNS.CreateSMSSandboxPhoneNumberResult()
    }

    /// The text carrying a code, for the gateway: Warden's gateway payload with `languageCode` added. Marked as a
    /// verification so the sandbox check lets it reach a number that is not verified yet.
    func otpItem(phone: String, code: String, language: String, _ c: RequestContext) -> DeliveryItem {
        var doc = DeliveryDoc(endpoint: phone, messageId: UUID().uuidString.lowercased(), attributes: nil)
        doc.protocol = "sms"
        doc.messageType = Self.verificationMessageType
        doc.retry = RetryPolicy()
        doc.topicArn = "\(c.account)|\(c.region)"
        // AWS's text (localized per LanguageCode) is not documented; Warden sends this one in every language.
        let text = "Your Amazon SNS verification code is: \(code)"
        let payload: JSONValue = .object([("messageId", .string(doc.messageId)), ("phoneNumber", .string(phone)), ("message", .string(text)),
                                          ("smsType", .string("Transactional")), ("languageCode", .string(language))])
        let docText = (try? JSONEncoder().encode(doc)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return DeliveryItem(subscriptionArn: "direct-sms", body: JSONWriter.write(payload), doc: docText)
    }

    static let verificationMessageType = "SandboxVerification"

    func verifySMSSandboxPhoneNumber(_ input: SNS.VerifySMSSandboxPhoneNumberInput,
                                     context c: RequestContext) async throws -> SNS.VerifySMSSandboxPhoneNumberResult {
        let nowMs = nowMillis
        let context = SMSSandboxRepository.codeContext(account: c.account, region: c.region, phone: input.phoneNumber)
        // The failure is recorded (an attempt, and the 24 hours before deletion) before it is answered.
        let failure = try await locks.withLock(Self.sandboxLock(c)) { () async throws -> AWSError? in
            guard var n = try await sandbox.number(account: c.account, region: c.region, phone: input.phoneNumber) else {
                throw Self.sandboxNotFound()
            }
            if n.status == "Verified" { return nil }
            n.touchedMillis = nowMs
            // AWS's messages for a wrong or expired code are not documented: the first is the API reference's description of
            // VerificationException. (Its Status member cannot be sent yet: Warden's errors carry a message only.)
            guard let sealed = n.code, let expires = n.codeExpiresMillis, expires > nowMs, n.failedAttempts < Self.otpMaxFailures else {
                try await sandbox.save(n)
                return SNS.Errors.verificationException("The one-time password (OTP) has expired. Request a new one with CreateSMSSandboxPhoneNumber.")
            }
            guard try codeMatches(sealed, input.oneTimePassword, context) else {
                n.failedAttempts += 1
                try await sandbox.save(n)
                return SNS.Errors.verificationException("The one-time password (OTP) used for verification is invalid.")
            }
            n.status = "Verified"
            n.code = nil
            n.codeExpiresMillis = nil
            n.failedAttempts = 0
            try await sandbox.save(n)
            return nil
        }
        if let failure { throw failure }
        return SNS.VerifySMSSandboxPhoneNumberResult()
    }

    func listSMSSandboxPhoneNumbers(_ input: SNS.ListSMSSandboxPhoneNumbersInput,
                                    context c: RequestContext) async throws -> SNS.ListSMSSandboxPhoneNumbersResult {
        var after: String?
        if let t = input.nextToken {
            guard let raw = Data(base64Encoded: t), let phone = String(data: raw, encoding: .utf8), Self.isE164(phone) else {
                throw Self.invalid("NextToken")
            }
            after = phone
        }
        let limit = input.maxResults ?? 100
        let rows = try await sandbox.numbers(account: c.account, region: c.region, after: after, limit: limit + 1)
        let page = rows.prefix(limit)
        return SNS.ListSMSSandboxPhoneNumbersResult(
            phoneNumbers: page.map { SNS.SMSSandboxPhoneNumber(phoneNumber: $0.phone, status: SNS.SMSSandboxPhoneNumberVerificationStatus(rawValue: $0.status)) },
            nextToken: rows.count > limit ? page.last.map { Data($0.phone.utf8).base64EncodedString() } : nil)
    }

    func deleteSMSSandboxPhoneNumber(_ input: SNS.DeleteSMSSandboxPhoneNumberInput,
                                     context c: RequestContext) async throws -> SNS.DeleteSMSSandboxPhoneNumberResult {
        let nowMs = nowMillis
        try await locks.withLock(Self.sandboxLock(c)) {
            guard let n = try await sandbox.number(account: c.account, region: c.region, phone: input.phoneNumber) else {
                throw Self.sandboxNotFound()
            }
            guard nowMs - n.touchedMillis >= Self.dayMillis else {
                // The 24 hours are documented; AWS's message is not (UserError is among the operation's documented errors).
                throw SNS.Errors.userErrorException(
                    "A destination phone number can be deleted only 24 hours or more after its verification or last verification attempt.")
            }
            try await sandbox.delete(account: c.account, region: c.region, phone: input.phoneNumber)
        }
        return SNS.DeleteSMSSandboxPhoneNumberResult()
    }

    func getSMSSandboxAccountStatus(_ input: SNS.GetSMSSandboxAccountStatusInput,
                                    context c: RequestContext) async throws -> SNS.GetSMSSandboxAccountStatusResult {
        SNS.GetSMSSandboxAccountStatusResult(isInSandbox: try await inSandbox(c.account))
    }

    /// Publish with PhoneNumber: in the sandbox, only to a verified destination number.
    func checkSandboxDestination(_ phone: String, _ c: RequestContext) async throws {
        guard try await inSandbox(c.account),
              try await sandbox.number(account: c.account, region: c.region, phone: phone)?.status != "Verified" else { return }
        // AWS's exact error for this is not documented: SNS answers a refused publish with AuthorizationError.
        throw SNS.Errors.authorizationErrorException(
            "Your account is in the SMS sandbox: \(phone) is not a verified destination phone number. Verify it with CreateSMSSandboxPhoneNumber and VerifySMSSandboxPhoneNumber.")
    }

    /// A text about to be sent (direct or through an `sms` subscription): in the sandbox, a number that is not
    /// verified gets nothing. The refusal is a client-side error, so it is not retried. Verification codes pass.
    func checkSandboxDelivery(_ doc: DeliveryDoc) async throws {
        guard doc.messageType != Self.verificationMessageType else { return }
        let parts = (doc.topicArn ?? "").split(separator: "|").map(String.init)
        let (account, region): (String, String)
        if parts.count == 2 {
            (account, region) = (parts[0], parts[1])
        } else if let arn = doc.topicArn.flatMap(ARN.init) {
            (account, region) = (arn.account, arn.region)
        } else {
            return
        }
        guard try await inSandbox(account),
              try await sandbox.number(account: account, region: region, phone: doc.endpoint)?.status != "Verified" else { return }
        throw AWSError(code: "AccessDeniedException", status: 403,
                       message: "The account is in the SMS sandbox and \(doc.endpoint) is not a verified destination phone number.")
    }

    /// Warden has no carrier numbers: the list is empty unless the operator describes numbers in the `warden_settings`
    /// row `sns.origination_numbers` (a JSON array of PhoneNumberInformation objects, as the API shows them).
    func listOriginationNumbers(_ input: SNS.ListOriginationNumbersRequest,
                                context c: RequestContext) async throws -> SNS.ListOriginationNumbersResult {
        var all: [SNS.PhoneNumberInformation] = []
        if let text = try await sandbox.setting(SMSSandboxRepository.originationNumbersSetting) {
            if case .array(let items)? = try? JSONParser.parse(Array(text.utf8)) {
                all = items.compactMap(Self.originationNumber)
            } else {
                ServiceLog.logger.error("warden_settings sns.origination_numbers is not a JSON array; no origination numbers are listed")
            }
        }
        let start: Int
        if let t = input.nextToken {
            guard let n = Int(t), n >= 0, n <= all.count else { throw Self.invalid("NextToken") }
            start = n
        } else {
            start = 0
        }
        let page = Array(all.dropFirst(start).prefix(input.maxResults ?? 30))
        let end = start + page.count
        return SNS.ListOriginationNumbersResult(nextToken: end < all.count ? String(end) : nil, phoneNumbers: page)
    }

    static func originationNumber(_ v: JSONValue) -> SNS.PhoneNumberInformation? {
        guard let phone = v["PhoneNumber"]?.stringValue else { return nil }
        var capabilities: [SNS.NumberCapability]?
        if case .array(let list)? = v["NumberCapabilities"] { capabilities = list.compactMap(\.stringValue).map(SNS.NumberCapability.init(rawValue:)) }
        let created = v["CreatedAt"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) }
        return SNS.PhoneNumberInformation(createdAt: created, phoneNumber: phone, status: v["Status"]?.stringValue ?? "ACTIVE",
                                          iso2CountryCode: v["Iso2CountryCode"]?.stringValue,
                                          routeType: v["RouteType"]?.stringValue.map(SNS.RouteType.init(rawValue:)),
                                          numberCapabilities: capabilities ?? [.sms])
    }
}
