// The request pipeline in-process: routing, auth, validation, redaction, audit (including failing closed).
import Foundation
import Logging
import WardenAPI
import WardenAudit
import WardenAuth
import WardenCore
import WardenServices
import WardenStorage
import WardenStorageSQLite
import XCTest
@testable import WardenServer

struct OneKey: CredentialProvider {
    func credential(accessKeyId: String, sessionToken: String?) async throws -> SigningCredential? {
        guard accessKeyId == "AKIATESTTESTTESTTEST" else { return nil }
        return SigningCredential(accessKeyId: accessKeyId, secretAccessKey: "secret",
                                 principal: .root(account: "111122223333", partition: .aws, accessKeyId: accessKeyId))
    }
}

/// A database whose writes always fail, to prove the audit fails closed.
struct BrokenDatabase: SQLDatabase {
    let dialect = SQLDialect.sqlite
    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T { throw StorageError("disk gone") }
    func read<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T { throw StorageError("disk gone") }
    func withLock<T: Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T { throw StorageError("disk gone") }
    func close() async {}
}

/// A JSON service for pipeline tests only, built on the generated KMS shapes; it echoes, it is not KMS.
func echoJSONService() -> ServiceDescriptor {
    ServiceDescriptor(
        model: KMS.model, eventSource: "kms.amazonaws.com",
        validationError: (code: "ValidationException", queryCode: nil, status: 400),
        operations: [
            AnyOperation(KMS.Operations.Encrypt.self,
                         traits: OperationTraits(iamAction: "kms:Encrypt", readOnly: true, responseRecording: .full)) { input, _ in
                KMS.EncryptResponse(ciphertextBlob: input.plaintext.reversed(), keyId: input.keyId, encryptionAlgorithm: .symmetricDefault)
            },
            AnyOperation(KMS.Operations.CreateAlias.self,
                         traits: OperationTraits(iamAction: "kms:CreateAlias", readOnly: false)) { input, _ in
                if input.aliasName == "alias/fail" { throw KMS.Errors.notFoundException("Alias target not found") }
                if input.aliasName == "alias/crash" { throw StorageError("unexpected") }
                return EmptyShape()
            },
        ])
}

final class PipelineTests: XCTestCase {
    var dir: URL!

    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-pipe-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func sign(_ r: inout WardenRequest, service: String, region: String = "us-east-1", key: String = "AKIATESTTESTTESTTEST",
              secret: String = "secret", date: Date = Date()) {
        let amz = AmzDate.format(date)
        r.headers.append(("host", "localhost:4566"))
        r.headers.append(("x-amz-date", amz))
        let signed = r.headers.map(\.name).sorted()
        let scope = SigV4Scope(accessKeyId: key, date: String(amz.prefix(8)), region: region, service: service)
        let sreq = SigV4Request(method: r.method, rawPath: r.path, rawQuery: r.query, headers: r.headers,
                                bodySHA256: SigV4Canonical.sha256Hex(r.body))
        let canonical = SigV4Canonical.canonicalRequest(sreq, signedHeaders: signed, payloadHash: sreq.bodySHA256, presigned: false)!
        let sig = SigV4Canonical.signature(key: SigV4Canonical.signingKey(secret: secret, scope: scope),
                                           stringToSign: SigV4Canonical.stringToSign(amzDate: amz, scope: scope, canonicalRequest: canonical))
        r.headers.append(("authorization", "AWS4-HMAC-SHA256 Credential=\(key)/\(scope.date)/\(region)/\(service)/aws4_request, SignedHeaders=\(signed.joined(separator: ";")), Signature=\(sig)"))
    }

    /// Runs `body` with a pipeline whose audit writer is live.
    func withPipeline(database: (any SQLDatabase)? = nil,
                      _ body: (RequestPipeline, AuditRepository) async throws -> Void) async throws {
        let db: any SQLDatabase
        if let database { db = database } else {
            let sqlite = try SQLiteDatabase(path: dir.appendingPathComponent("w.sqlite").path)
            try await Migrations.migrate(sqlite)
            db = sqlite
        }
        let repo = AuditRepository(db: db)
        let writer = AuditWriter(repository: repo, logger: Logger(label: "test"))
        let pipeline = RequestPipeline(services: [STSService().descriptor, echoJSONService()],
                                       verifier: SigV4Verifier(mode: .strict(OneKey())), audit: writer,
                                       authorizer: AllowAllAuthorizer(), metrics: RequestMetrics(), logger: Logger(label: "test"),
                                       defaultAccount: "000000000000", defaultRegion: "us-east-1")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            try await body(pipeline, repo)
            group.cancelAll()
        }
    }

    func query(_ body: String) -> WardenRequest {
        WardenRequest(method: "POST", path: "/", headers: [("content-type", "application/x-www-form-urlencoded; charset=utf-8")],
                      body: Array(body.utf8))
    }

    func json(_ target: String, _ body: String) -> WardenRequest {
        WardenRequest(method: "POST", path: "/", headers: [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target)],
                      body: Array(body.utf8))
    }

    func record(_ repo: AuditRepository, _ response: WardenResponse) async throws -> JSONValue {
        let rid = try XCTUnwrap(response.header("x-amzn-RequestId"))
        let found = try await repo.find(requestId: rid)
        XCTAssertEqual(found.count, 1)
        return try JSONParser.parse(Array(try XCTUnwrap(found.first).record.utf8))
    }

    func testGetCallerIdentityIsAnsweredAndRecorded() async throws {
        try await withPipeline { pipeline, repo in
            var r = query("Action=GetCallerIdentity&Version=2011-06-15")
            sign(&r, service: "sts", region: "eu-central-1")
            let resp = await pipeline.handle(r)
            XCTAssertEqual(resp.status, 200, resp.text)
            XCTAssertTrue(resp.text.contains("<Account>111122223333</Account>"))
            let rec = try await record(repo, resp)
            XCTAssertEqual(rec["awsRegion"], .string("eu-central-1"))
            XCTAssertEqual(rec["recipientAccountId"], .string("111122223333"))
            XCTAssertEqual(rec["userIdentity"]?["type"], .string("Root"))
            XCTAssertEqual(rec["responseElements"], .null)
        }
    }

    func testJSONRouteValidationAndRedaction() async throws {
        try await withPipeline { pipeline, repo in
            var r = json("TrentService.Encrypt", #"{"KeyId": "alias/k", "Plaintext": "c2VjcmV0", "EncryptionContext": {"purpose": "test"}}"#)
            sign(&r, service: "kms")
            let ok = await pipeline.handle(r)
            XCTAssertEqual(ok.status, 200, ok.text)
            XCTAssertEqual(ok.header("content-type"), "application/x-amz-json-1.1")
            XCTAssertEqual(ok.text, #"{"CiphertextBlob":"dGVyY2Vz","KeyId":"alias/k","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#)
            let rec = try await record(repo, ok)
            // Blobs (the plaintext, the ciphertext) never appear; the encryption context does, as in CloudTrail.
            XCTAssertEqual(JSONWriter.string(rec["requestParameters"] ?? .null),
                           #"{"keyId":"alias/k","encryptionContext":{"purpose":"test"}}"#)
            XCTAssertEqual(JSONWriter.string(rec["responseElements"] ?? .null), #"{"keyId":"alias/k","encryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#)
            let stored = try await repo.find(requestId: try XCTUnwrap(ok.header("x-amzn-RequestId")))
            XCTAssertFalse(try XCTUnwrap(stored.first).record.contains("c2VjcmV0"))

            var bad = json("TrentService.Encrypt", #"{"KeyId": ""}"#)
            sign(&bad, service: "kms")
            let v = await pipeline.handle(bad)
            XCTAssertEqual(v.status, 400)
            XCTAssertEqual(v.header("x-amzn-ErrorType"), "ValidationException")
            XCTAssertTrue(v.text.contains("2 validation errors detected"), v.text)
            let vrec = try await record(repo, v)
            XCTAssertEqual(vrec["errorCode"], .string("ValidationException"))

            var malformed = json("TrentService.Encrypt", "{nope")
            sign(&malformed, service: "kms")
            let m = await pipeline.handle(malformed)
            XCTAssertEqual(m.status, 400)
            XCTAssertTrue(m.text.hasPrefix(#"{"__type":"SerializationException""#), m.text)

            var wrongScope = json("TrentService.Encrypt", #"{"KeyId": "k", "Plaintext": "AA=="}"#)
            sign(&wrongScope, service: "sts")
            let w = await pipeline.handle(wrongScope)
            XCTAssertEqual(w.header("x-amzn-ErrorType"), "InvalidSignatureException")
            XCTAssertTrue(w.text.contains("Credential should be scoped to correct service: 'kms'."))
        }
    }

    func testServiceErrorsAndUnexpectedFailures() async throws {
        try await withPipeline { pipeline, repo in
            var r = json("TrentService.CreateAlias", #"{"AliasName": "alias/fail", "TargetKeyId": "k"}"#)
            sign(&r, service: "kms")
            let resp = await pipeline.handle(r)
            XCTAssertEqual(resp.status, 400)
            XCTAssertEqual(resp.text, #"{"__type":"NotFoundException","message":"Alias target not found"}"#)
            let rec = try await record(repo, resp)
            XCTAssertEqual(rec["readOnly"], .bool(false))
            XCTAssertEqual(rec["errorMessage"], .string("Alias target not found"))

            var crash = json("TrentService.CreateAlias", #"{"AliasName": "alias/crash", "TargetKeyId": "k"}"#)
            sign(&crash, service: "kms")
            let c = await pipeline.handle(crash)
            XCTAssertEqual(c.status, 500)
            XCTAssertEqual(c.header("x-amzn-ErrorType"), "InternalFailure")
            XCTAssertFalse(c.text.contains("unexpected"), "internal details leak to the client")

            var unserved = json("TrentService.ListKeys", "{}")
            sign(&unserved, service: "kms")
            let u = await pipeline.handle(unserved)
            XCTAssertEqual(u.header("x-amzn-ErrorType"), "UnknownOperationException")
        }
    }

    func testAuditFailureFailsTheRequest() async throws {
        try await withPipeline(database: BrokenDatabase()) { pipeline, _ in
            var r = query("Action=GetCallerIdentity&Version=2011-06-15")
            sign(&r, service: "sts")
            let resp = await pipeline.handle(r)
            XCTAssertEqual(resp.status, 500)
            XCTAssertTrue(resp.text.contains("<Code>InternalFailure</Code>"))
            XCTAssertFalse(resp.text.contains("<Account>"), "an unrecorded call must not be answered")
        }
    }

    func testConcurrentRequestsShareCommits() async throws {
        try await withPipeline { pipeline, repo in
            let requests: [WardenRequest] = (0..<200).map { _ in
                var r = query("Action=GetCallerIdentity&Version=2011-06-15")
                sign(&r, service: "sts")
                return r
            }
            let statuses = await withTaskGroup(of: Int.self) { group in
                for r in requests { group.addTask { await pipeline.handle(r).status } }
                return await group.reduce(into: [Int]()) { $0.append($1) }
            }
            XCTAssertEqual(statuses, Array(repeating: 200, count: 200))
            let n = try await repo.count()
            XCTAssertEqual(n, 200)
        }
    }

    func testRandomRequestsNeverFailServerSide() async throws {
        try await withPipeline { pipeline, _ in
            var rng = SystemRandomNumberGenerator()
            let targets = [nil, "TrentService.Encrypt", "TrentService.", ".", "AmazonSQS.SendMessage"]
            let types = ["application/x-www-form-urlencoded", "application/x-amz-json-1.1", "text/plain", ""]
            for i in 0..<500 {
                let body = (0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                var headers: [(name: String, value: String)] = [("content-type", types.randomElement(using: &rng)!)]
                if let t = targets.randomElement(using: &rng)! { headers.append(("x-amz-target", t)) }
                var r = WardenRequest(method: i % 3 == 0 ? "GET" : "POST", path: "/", query: i % 5 == 0 ? "Action=GetCallerIdentity" : "",
                                      headers: headers, body: body)
                if i % 2 == 0 { sign(&r, service: ["sts", "kms", "sns"].randomElement(using: &rng)!) }
                let resp = await pipeline.handle(r)
                XCTAssertTrue((400..<500).contains(resp.status) || resp.status == 200, "\(resp.status) \(resp.text)")
            }
        }
    }
}

final class RouteLabelTests: XCTestCase {
    func testClientChosenNamesDoNotBecomeMetricLabels() throws {
        let table = ServiceTable([STSService().descriptor])
        let made = WardenRequest(method: "POST", path: "/", headers: [("content-type", "application/x-www-form-urlencoded")],
                                 body: Array("Action=Made\(String(repeating: "x", count: 500))Up&Version=2011-06-15".utf8))
        let r = table.route(made, signing: "sts")
        XCTAssertEqual(r.metricsOperation, "unknown")
        XCTAssertEqual(r.operationName.utf8.count, 128)
        let known = WardenRequest(method: "POST", path: "/", headers: [("content-type", "application/x-www-form-urlencoded")],
                                  body: Array("Action=AssumeRole&Version=2011-06-15".utf8))
        XCTAssertEqual(table.route(known, signing: "sts").metricsOperation, "AssumeRole")
    }
}
