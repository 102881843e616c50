// SNS message data protection: the policy language's validation and the data identifiers' matching, as pure vectors.
import Foundation
import XCTest
@testable import WardenServices

final class DataProtectionPolicyTests: XCTestCase {
    func found(_ names: [String], _ text: String) -> [String] {
        let ns = text as NSString
        do {
            return try DataIdentifiers.detect(names, in: text, custom: [:]).map { ns.substring(with: $0.range) }
        } catch {
            XCTFail("detection ran past its budget: \(error)")
            return []
        }
    }

    func policy(_ statements: String, configuration: String = "") -> String {
        #"{"Name":"p","Version":"2021-06-01",\#(configuration)"Statement":[\#(statements)]}"#
    }

    func statement(_ identifiers: [String], _ operation: String, direction: String = "Inbound", principal: String = "*") -> String {
        let ids = identifiers.map { $0.contains(":") || $0.hasPrefix("Custom") ? "\"\($0)\"" : "\"\(DataIdentifiers.arnPrefix)\($0)\"" }
        return #"{"Sid":"s","DataDirection":"\#(direction)","Principal":["\#(principal)"],"DataIdentifier":[\#(ids.joined(separator: ","))],"Operation":\#(operation)}"#
    }

    func reason(_ text: String) -> String? {
        do {
            _ = try DataProtectionPolicy(text)
            return nil
        } catch {
            return error.message
        }
    }

    func testEveryManagedPatternCompilesAndIsAKnownName() {
        for (name, id) in DataIdentifiers.detectable {
            XCTAssertEqual(id.patterns.count, id.sources.count, "a pattern of \(name) does not compile")
            XCTAssertTrue(DataIdentifiers.known.contains(name), name)
        }
        XCTAssertGreaterThanOrEqual(DataIdentifiers.detectable.count, 40)
    }

    func testCreditCardNeedsKeywordLuhnAndAnIssuerRange() {
        // The guide's example message and number.
        XCTAssertEqual(found(["CreditCardNumber"], "My credit card number is 4539894458086459"), ["4539894458086459"])
        XCTAssertEqual(found(["CreditCardNumber"], "card: 4539 8944 5808 6459."), ["4539 8944 5808 6459"])
        XCTAssertEqual(found(["CreditCardNumber"], "order 4539894458086459 shipped"), [], "no keyword nearby")
        XCTAssertEqual(found(["CreditCardNumber"], "credit card 4539894458086458"), [], "fails the Luhn check")
        XCTAssertEqual(found(["CreditCardNumber"], "credit card 4111111111111111"), [], "reserved for public testing")
        XCTAssertEqual(found(["CreditCardNumber"], "credit card 9539894458086451"), [], "no issuer starts with 9")
        XCTAssertEqual(found(["CreditCardNumber"], "Amex card 3714-496353-98431"), [], "a listed test number")
        XCTAssertEqual(found(["CreditCardNumber"], "Amex card 3782 822463 10013"), ["3782 822463 10013"])
    }

    func testKeywordsIgnoreCaseAndSpaceVariants() {
        let key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        XCTAssertEqual(found(["AwsSecretKey"], "AWS_SECRET_ACCESS_KEY=\(key)"), [key])
        XCTAssertEqual(found(["AwsSecretKey"], "my Secret-Key is \(key)"), [key])
        XCTAssertEqual(found(["AwsSecretKey"], "checksum \(key)"), [])
        XCTAssertEqual(found(["AwsSecretKey"], "secret key 356a192b7913b04c54574d18c28d46e6395428ab"), [], "a hex digest, not a key")
        XCTAssertEqual(found(["Ssn-US"], "SSN: 123-45-6789"), ["123-45-6789"])
        XCTAssertEqual(found(["Ssn-US"], "ssn 666-45-6789"), [], "area 666 is never issued")
    }

    func testPatternsWithoutKeywords() {
        XCTAssertEqual(found(["EmailAddress"], "write to jane.doe+sns@example.co.uk today"), ["jane.doe+sns@example.co.uk"])
        XCTAssertEqual(found(["IpAddress"], "from 10.0.12.255 and 2001:db8::8a2e:370:7334, not 1.2.3.999 or 12:30:45"),
                       ["10.0.12.255", "2001:db8::8a2e:370:7334"])
        XCTAssertEqual(found(["PostalCode-CA"], "Ottawa K1A 0B1"), ["K1A 0B1"])
        XCTAssertEqual(found(["PhoneNumber-US"], "reach +1 206-555-0100 or 206-555-0199"), ["+1 206-555-0100"],
                       "without its country code a number needs a keyword")
        XCTAssertEqual(found(["PhoneNumber-US"], "phone 206-555-0199"), ["206-555-0199"])
        let ssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"
        XCTAssertEqual(found(["OpenSshPrivateKey"], "key:\n\(ssh)\n"), [ssh])
    }

    func testChecksumIdentifiers() {
        XCTAssertEqual(found(["BankAccountNumber-GB"], "IBAN GB82 WEST 1234 5698 7654 32"), ["GB82 WEST 1234 5698 7654 32"])
        XCTAssertEqual(found(["BankAccountNumber-GB"], "IBAN GB83 WEST 1234 5698 7654 32"), [], "mod 97")
        XCTAssertEqual(found(["NhsNumber-GB"], "NHS number 943 476 5919"), ["943 476 5919"])
        XCTAssertEqual(found(["NhsNumber-GB"], "NHS number 943 476 5918"), [])
        XCTAssertEqual(found(["CpfCode-BR"], "CPF 529.982.247-25"), ["529.982.247-25"])
        XCTAssertEqual(found(["NifNumber-ES"], "NIF 12345678Z"), ["12345678Z"])
        XCTAssertEqual(found(["NifNumber-ES"], "NIF 12345678A"), [])
        XCTAssertEqual(found(["SocialInsuranceNumber-CA"], "SIN 046 454 286"), ["046 454 286"])
    }

    func testInboundDenyMaskRedactAndAudit() throws {
        let card = "My credit card number is 4539894458086459"
        let deny = try DataProtectionPolicy(policy(statement(["CreditCardNumber"], #"{"Deny":{}}"#)))
        XCTAssertTrue(try deny.inbound(card, principals: ["arn:aws:iam::1:user/u"]).denied)
        XCTAssertFalse(try deny.inbound("nothing here", principals: []).denied)

        let mask = try DataProtectionPolicy(policy(statement(["CreditCardNumber"], ##"{"Deidentify":{"MaskConfig":{"MaskWithCharacter":"#"}}}"##)))
        let masked = try mask.inbound(card, principals: [])
        XCTAssertEqual(masked.message, "My credit card number is ################")
        XCTAssertFalse(masked.denied)
        let redact = try DataProtectionPolicy(policy(statement(["CreditCardNumber"], #"{"Deidentify":{"RedactConfig":{}}}"#)))
        XCTAssertEqual(try redact.inbound(card, principals: []).message, "My credit card number is ")
        let star = try DataProtectionPolicy(policy(statement(["EmailAddress"], #"{"Deidentify":{"MaskConfig":{}}}"#)))
        XCTAssertEqual(try star.inbound("a@b.io", principals: []).message, "******")
        XCTAssertTrue(try star.inbound(" a@b.io ", principals: []).denied, "the entire message is sensitive")

        let audit = try DataProtectionPolicy(policy(statement(["EmailAddress"],
            #"{"Audit":{"SampleRate":"99","FindingsDestination":{"CloudWatchLogs":{"LogGroup":"/aws/vendedlogs/x"}}}}"#)))
        let r = try audit.inbound("to a@b.io", principals: [])
        XCTAssertEqual(r.audit?.sampleRate, 99)
        XCTAssertEqual(r.audit?.findings?.logGroup, "/aws/vendedlogs/x")
        XCTAssertEqual(r.findings.map(\.range), [NSRange(location: 3, length: 6)])
    }

    func testPrincipalsAndOutbound() throws {
        let user = "arn:aws:iam::123456789012:user/ExampleUser"
        let p = try DataProtectionPolicy(policy(statement(["CreditCardNumber"], #"{"Deny":{}}"#, principal: user) + "," +
                                                statement(["EmailAddress"], #"{"Deny":{}}"#, direction: "Outbound", principal: user)))
        XCTAssertTrue(try p.inbound("credit card 4539894458086459", principals: [user]).denied)
        XCTAssertFalse(try p.inbound("credit card 4539894458086459", principals: ["arn:aws:iam::123456789012:user/Other"]).denied)
        XCTAssertTrue(p.hasOutbound)
        XCTAssertTrue(try p.deniesOutbound("to a@b.io", principal: user))
        XCTAssertFalse(try p.deniesOutbound("to a@b.io", principal: "arn:aws:iam::123456789012:root"))
    }

    func testCustomIdentifiers() throws {
        let config = #""Configuration":{"CustomDataIdentifier":[{"Name":"CustomEmployeeId","Regex":"EID-\\d{9}-US"}]},"#
        let p = try DataProtectionPolicy(policy(statement(["CustomEmployeeId"], ##"{"Deidentify":{"MaskConfig":{"MaskWithCharacter":"#"}}}"##),
                                                configuration: config))
        XCTAssertEqual(try p.inbound("id EID-123456789-US ok", principals: []).message, "id ################ ok")
        XCTAssertEqual(reason(policy(statement(["CustomOther"], #"{"Deny":{}}"#), configuration: config)),
                       "Invalid parameter: DataProtectionPolicy Reason: Statement DataIdentifier CustomOther is neither a managed data identifier ARN nor a custom data identifier of the policy")
        let managedName = #""Configuration":{"CustomDataIdentifier":[{"Name":"EmailAddress","Regex":"x"}]},"#
        XCTAssertNotNil(reason(policy(statement(["EmailAddress"], #"{"Deny":{}}"#), configuration: managedName)))
    }

    func testValidationReasons() {
        // Recorded from SNS (DataDirection "Inbxound").
        XCTAssertEqual(reason(policy(statement(["Name"], #"{"Deny":{}}"#, direction: "Inbxound"))),
                       "Invalid parameter: DataProtectionPolicy Reason: Statement DataDirection must be either Inbound or Outbound")
        XCTAssertNil(reason(policy(statement(["Name", "PhoneNumber-US"], #"{"Deny":{}}"#))), "the recorded valid policy's identifiers")
        XCTAssertNotNil(reason(#"{"Name":"p","Version":"2012-10-17","Statement":[]}"#))
        XCTAssertNotNil(reason("not json"))
        XCTAssertNotNil(reason(policy(statement(["NoSuchIdentifier"], #"{"Deny":{}}"#))))
        XCTAssertNotNil(reason(policy(statement(["EmailAddress"], #"{"Deny":{},"Audit":{}}"#))))
        XCTAssertNotNil(reason(policy(statement(["EmailAddress"], #"{"Deidentify":{"RedactConfig":{}}}"#, direction: "Outbound"))))
        XCTAssertNotNil(reason(policy(statement(["EmailAddress"], #"{"Audit":{"SampleRate":"100","FindingsDestination":{"CloudWatchLogs":{"LogGroup":"/aws/vendedlogs/x"}}}}"#))))
        XCTAssertNotNil(reason(policy(statement(["EmailAddress"], #"{"Audit":{"SampleRate":"5","FindingsDestination":{"CloudWatchLogs":{"LogGroup":"plain"}}}}"#))))
        let audit = statement(["EmailAddress"], #"{"Audit":{"SampleRate":"5","NoFindingsDestination":{"S3":{"Bucket":"b"}}}}"#)
        XCTAssertNil(reason(policy(audit)))
        XCTAssertEqual(reason(policy(audit + "," + audit)), "Invalid parameter: DataProtectionPolicy Reason: Policy can have only one Audit statement")
    }

    // MARK: custom identifiers that backtrack

    func custom(_ regex: String) -> String {
        let config = #""Configuration":{"CustomDataIdentifier":[{"Name":"CustomSlow","Regex":"\#(regex)"}]},"#
        return policy(statement(["CustomSlow"], #"{"Deny":{}}"#), configuration: config)
    }

    func testStackedUnboundedQuantifiersAreRefusedWhenPut() {
        let stacked = "Invalid parameter: DataProtectionPolicy Reason: CustomDataIdentifier Regex of CustomSlow must not repeat unbounded quantifiers that can match the same characters"
        // JSON escapes: "\\w" in this Swift source is the regex \w.
        for regex in [#"\\w*\\w*\\w*\\w*\\w*x"#, #"\\w*\\w*x"#, #"a+a+"#, #"\\d+\\s*\\d+"#, #".*.*=.*"#, #"[a-z]+[^0-9]*q+"#,
                      #"\\w{2,}b?\\w+"#, #"x|\\d*\\d*"#] {
            XCTAssertEqual(reason(custom(regex)), stacked, regex)
        }
        // A quantifier on a quantifier does not compile (ICU), so it never reaches matching.
        for regex in [#"a{2,}{3}"#, #"a**"#, #"a*{2}"#] {
            XCTAssertEqual(reason(custom(regex)),
                           "Invalid parameter: DataProtectionPolicy Reason: CustomDataIdentifier Regex of CustomSlow must be a regular expression of 1 to 200 supported characters")
        }
        // A character that only one side can take, a possessive quantifier, or another alternative keeps them apart.
        for regex in [#"EID-\\d{9}-US"#, #"[a-z]+@[a-z]+\\.com"#, #".*foo.*"#, #"\\d+-\\d+"#, #"\\w*+\\w*x"#, #"\\d+|\\d+"#,
                      #"[^@]+@[^@]+"#, #"\\w+=\\d+"#, #"\\w{3,9}\\w{3,9}"#] {
            XCTAssertNil(reason(custom(regex)), regex)
        }
    }

    func testMatchingStopsWhenTheBudgetIsSpent() throws {
        // A single unbounded quantifier passes the put-time checks, yet takes quadratic time on a long run without the
        // final character (seconds at 20,000 characters): the budget stops it.
        let slow = try XCTUnwrap(SharedRegex(#"\w*x"#))
        let body = String(repeating: "a", count: 256 * 1024)
        XCTAssertThrowsError(try DataIdentifiers.detect(["CustomSlow"], in: body, custom: ["CustomSlow": slow], budget: MatchBudget(.milliseconds(200)))) {
            XCTAssertTrue($0 is MatchBudget.Exceeded, "\($0)")
        }
        // The same pattern on an ordinary body finds its match within the budget.
        let found = try DataIdentifiers.detect(["CustomSlow"], in: "id abcx", custom: ["CustomSlow": slow])
        XCTAssertEqual(found.map(\.range), [NSRange(location: 3, length: 4)])
    }

    func testAPathologicalPatternPastTheChecksFailsInsteadOfHanging() throws {
        // Built directly (as if stored before the put-time checks existed): inbound detection throws, it does not hang.
        let slow = try XCTUnwrap(SharedRegex(#"\w*\w*\w*\w*\w*x"#))
        let body = String(repeating: "a", count: 4096)
        XCTAssertThrowsError(try DataIdentifiers.detect(["CustomSlow"], in: body, custom: ["CustomSlow": slow], budget: MatchBudget(.milliseconds(200))))
        let p = try DataProtectionPolicy(policy(statement(["CreditCardNumber"], #"{"Deny":{}}"#)))
        XCTAssertThrowsError(try p.inbound("card 4539894458086459", principals: [], budget: MatchBudget(.zero)))
    }
}
