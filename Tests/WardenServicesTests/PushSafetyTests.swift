// Mobile push safeguards: which topics of other accounts take an application's events, and the lifecycle of the
// per-application APNs certificate clients.
import AsyncHTTPClient
import Foundation
import Logging
import XCTest
@testable import WardenServices

final class PushSafetyTests: XCTestCase {
    let app = "arn:aws:sns:us-east-1:111111111111:app/APNS/mine"
    let sameAccountTopic = "arn:aws:sns:us-east-1:111111111111:events"
    let foreignTopic = "arn:aws:sns:us-east-1:222222222222:events"

    func policy(_ principal: String, condition: String = "") -> String {
        #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":\#(principal),"Action":"sns:Publish","Resource":"\#(foreignTopic)"\#(condition)}]}"#
    }

    func testEventTopicsOfOtherAccountsNeedTheirPolicysConsent() {
        let ownerOnly = SNSService.defaultPolicy(arn: foreignTopic, account: "222222222222")
        XCTAssertTrue(SNSService.eventTopicAllows(app: app, topic: sameAccountTopic, policy: ""), "the same account, as before")
        XCTAssertFalse(SNSService.eventTopicAllows(app: app, topic: foreignTopic, policy: ownerOnly), "the default policy names only its owner")
        XCTAssertFalse(SNSService.eventTopicAllows(app: app, topic: foreignTopic, policy: ""))
        // SNS acting for the application's account, or that account itself.
        XCTAssertTrue(SNSService.eventTopicAllows(app: app, topic: foreignTopic, policy: policy(#"{"Service":"sns.amazonaws.com"}"#,
            condition: #","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}"#)))
        XCTAssertFalse(SNSService.eventTopicAllows(app: app, topic: foreignTopic, policy: policy(#"{"Service":"sns.amazonaws.com"}"#,
            condition: #","Condition":{"StringEquals":{"aws:SourceAccount":"333333333333"}}"#)))
        XCTAssertTrue(SNSService.eventTopicAllows(app: app, topic: foreignTopic, policy: policy(#"{"AWS":"111111111111"}"#)))
        XCTAssertTrue(SNSService.eventTopicAllows(app: app, topic: foreignTopic, policy: policy(#"{"AWS":"arn:aws:iam::111111111111:root"}"#)))
        XCTAssertFalse(SNSService.eventTopicAllows(app: app, topic: foreignTopic, policy: policy(#"{"AWS":"333333333333"}"#)))
    }

    /// A self-signed certificate and its key, made by openssl.
    func certificate(_ dir: URL, _ name: String) throws -> (cert: String, key: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-keyout", dir.appendingPathComponent("\(name).key").path, "-out", dir.appendingPathComponent("\(name).pem").path,
                             "-days", "1", "-subj", "/CN=\(name)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw XCTSkip("openssl is not available: \(error)") }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("openssl could not make a certificate") }
        return (try String(contentsOf: dir.appendingPathComponent("\(name).pem"), encoding: .utf8),
                try String(contentsOf: dir.appendingPathComponent("\(name).key"), encoding: .utf8))
    }

    func testCertificateClientsFollowTheCredentialsAndAreClosed() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("push-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (a, b) = (try certificate(dir, "a"), try certificate(dir, "b"))
        let push = PushSupport()
        let logger = Logger(label: "test")
        let base = HTTPClient.Configuration()
        let t0 = Date()
        let other = "arn:aws:sns:us-east-1:111111111111:app/APNS/other"

        let first = try push.certificateClient(app: app, certificatePEM: a.cert, keyPEM: a.key, base: base, now: t0, logger: logger)
        XCTAssertTrue(first === (try push.certificateClient(app: app, certificatePEM: a.cert, keyPEM: a.key, base: base, now: t0, logger: logger)),
                      "the same credential reuses its client")
        // New credentials (set through any node: each delivery passes what it just read) get a new client; the old one goes.
        let second = try push.certificateClient(app: app, certificatePEM: b.cert, keyPEM: b.key, base: base, now: t0, logger: logger)
        XCTAssertFalse(first === second)
        XCTAssertEqual(push.certificateClientCount(app: app), 1)
        _ = try push.certificateClient(app: other, certificatePEM: a.cert, keyPEM: a.key, base: base, now: t0, logger: logger)
        XCTAssertEqual(push.certificateClientCount(app: other), 1)
        // DeletePlatformApplication / SetPlatformApplicationAttributes drop the application's clients.
        push.dropCertificateClients(app: app, logger: logger)
        XCTAssertEqual(push.certificateClientCount(app: app), 0)
        XCTAssertEqual(push.certificateClientCount(app: other), 1)
        // A client idle past its lifetime is closed the next time the cache is used (an application deleted elsewhere).
        let later = t0.addingTimeInterval(PushSupport.idleClientLifetime + 1)
        _ = try push.certificateClient(app: app, certificatePEM: a.cert, keyPEM: a.key, base: base, now: later, logger: logger)
        XCTAssertEqual(push.certificateClientCount(app: other), 0)
        XCTAssertEqual(push.certificateClientCount(app: app), 1)
        await push.shutdown()
        XCTAssertEqual(push.certificateClientCount(app: app), 0)
    }
}
