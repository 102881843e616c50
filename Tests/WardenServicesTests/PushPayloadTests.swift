// Mobile push pure parts: what each push service is sent for a publish, the log timestamps, the APNs certificate's
// bundle id, and the provider JWTs (verified with the public key, as APNs and Google verify them).
import Crypto
import Foundation
import WardenCore
import XCTest
@testable import WardenServices

final class PushPayloadTests: XCTestCase {
    func json(_ bytes: [UInt8]) throws -> JSONValue { try JSONParser.parse(bytes) }

    func testPlainTextIsWrappedAsSNSWrapsIt() throws {
        let body = PushBody(text: "hi \"there\"", raw: false, publishedAt: 0)
        XCTAssertEqual(try json(PushPayload.apns(body)), .object([("aps", .object([("alert", .string("hi \"there\""))]))]))
        let fcm = try json(PushPayload.fcmV1(body, token: "T", ttl: nil))
        XCTAssertEqual(fcm, .object([("message", .object([("token", .string("T")), ("data", .object([("default", .string("hi \"there\""))]))]))]))
    }

    func testPlatformSelectionPrefersThePlatformKey() {
        let per = ["default": "d", "APNS": "{\"aps\":{}}", "GCM": "{}"]
        XCTAssertEqual(PushPayload.select(platform: "APNS", perProtocol: per, message: "m").text, "{\"aps\":{}}")
        XCTAssertTrue(PushPayload.select(platform: "APNS", perProtocol: per, message: "m").raw)
        XCTAssertEqual(PushPayload.select(platform: "APNS_SANDBOX", perProtocol: per, message: "m").text, "d")
        XCTAssertEqual(PushPayload.select(platform: "ADM", perProtocol: [:], message: "m").text, "m")
    }

    func testLegacyGCMPayloadIsMappedToV1() throws {
        let legacy = #"{"data":{"a":"1","n":2},"notification":{"title":"t","body":"b","sound":"s"},"collapse_key":"c","priority":"high","time_to_live":30}"#
        let v1 = try json(PushPayload.fcmV1(PushBody(text: legacy, raw: true, publishedAt: 0), token: "T", ttl: nil))
        let message = try XCTUnwrap(v1["message"])
        XCTAssertEqual(message["data"], .object([("a", .string("1")), ("n", .string("2"))]))
        XCTAssertEqual(message["notification"], .object([("title", .string("t")), ("body", .string("b"))]))
        XCTAssertEqual(message["android"], .object([("notification", .object([("sound", .string("s"))])), ("collapse_key", .string("c")),
                                                    ("priority", .string("high")), ("ttl", .string("30s"))]))
    }

    func testBackgroundPushTypeIsInferred() {
        XCTAssertEqual(PushPayload.apnsPushType(platform: "APNS", payload: Array(#"{"aps":{"content-available":1}}"#.utf8)), "background")
        XCTAssertEqual(PushPayload.apnsPushType(platform: "APNS", payload: Array(#"{"aps":{"content-available":1,"badge":1}}"#.utf8)), "alert")
        XCTAssertEqual(PushPayload.apnsPushType(platform: "APNS_VOIP", payload: Array("{}".utf8)), "voip")
    }

    func testLogTimestampsAreJavaTimestamps() {
        // 2015-01-26 23:07:39.540 UTC, shown as the SNS Developer Guide's example shows it.
        XCTAssertEqual(SNSService.javaTimestamp(1_422_313_659_540), "2015-01-26 23:07:39.54")
        XCTAssertEqual(SNSService.javaTimestamp(1_422_313_659_000), "2015-01-26 23:07:39.0")
        XCTAssertEqual(SNSService.javaTimestamp(1_422_313_659_678), "2015-01-26 23:07:39.678")
    }

    func testAPNsProviderTokenVerifies() throws {
        let key = P256.Signing.PrivateKey()
        let jwt = try PushJWT.apns(keyPEM: key.pemRepresentation, keyId: "KEY", teamId: "TEAM", issuedAt: Date(timeIntervalSince1970: 1000))
        let parts = jwt.split(separator: ".").map(String.init)
        XCTAssertEqual(parts.count, 3)
        func decode(_ s: String) -> Data {
            var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while t.count % 4 != 0 { t += "=" }
            return Data(base64Encoded: t) ?? Data()
        }
        XCTAssertEqual(try json(Array(decode(parts[0]))), .object([("alg", .string("ES256")), ("kid", .string("KEY"))]))
        XCTAssertEqual(try json(Array(decode(parts[1]))), .object([("iss", .string("TEAM")), ("iat", .number("1000"))]))
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: decode(parts[2]))
        XCTAssertTrue(key.publicKey.isValidSignature(signature, for: Array("\(parts[0]).\(parts[1])".utf8)))
    }

    func testCredentialChecks() throws {
        let key = P256.Signing.PrivateKey().pemRepresentation
        let token = StoredCredentials(credential: key, principal: "ABC123DEFG")
        XCTAssertThrowsError(try SNSService.parseCredentials(platform: "APNS", token, attributes: [:], now: Date()))
        let parsed = try SNSService.parseCredentials(platform: "APNS", token, attributes: ["ApplePlatformTeamID": "T", "ApplePlatformBundleID": "b"],
                                                     now: Date())
        XCTAssertEqual(parsed.authenticationMethod, "Token")
        XCTAssertThrowsError(try SNSService.parseCredentials(platform: "GCM", StoredCredentials(credential: "{\"client_email\":\"x\"}"), attributes: [:],
                                                             now: Date()))
        XCTAssertEqual(try SNSService.parseCredentials(platform: "GCM", StoredCredentials(credential: "AAAAkey"), attributes: [:], now: Date())
            .authenticationMethod, "Key")
    }
}
