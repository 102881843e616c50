// Golden vectors from botocore's signer (shared/specs/SIGV4.md §6) and the verifier's failure modes.
import Foundation
import WardenAuth
import WardenCore
import XCTest

struct StaticProvider: CredentialProvider {
    var creds: [String: SigningCredential]
    func credential(accessKeyId: String, sessionToken: String?) async throws -> SigningCredential? { creds[accessKeyId] }
}

final class SigV4VectorTests: XCTestCase {
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    let now = AmzDate.parse("20240115T123000Z")!

    var verifier: SigV4Verifier {
        let principal = Principal.root(account: "111122223333", partition: .aws, accessKeyId: "AKIDEXAMPLE")
        let cred = SigningCredential(accessKeyId: "AKIDEXAMPLE", secretAccessKey: secret, principal: principal)
        return SigV4Verifier(mode: .strict(StaticProvider(creds: ["AKIDEXAMPLE": cred])))
    }

    func v1(signature: String = "4ae244e8884eb329153f1a9f914ad735db729f0296857ad2c202bad7a19da783",
            date: String = "20240115T123000Z", body: String = #"{"KeyId": "alias/test", "Plaintext": "aGVsbG8="}"#) -> SigV4Request {
        SigV4Request(method: "POST", rawPath: "/", rawQuery: "", headers: [
            ("content-type", "application/x-amz-json-1.1"), ("host", "localhost:5300"), ("x-amz-date", date),
            ("x-amz-target", "TrentService.Encrypt"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(date.prefix(8))/us-east-1/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=\(signature)"),
        ], bodySHA256: SigV4Canonical.sha256Hex(Array(body.utf8)))
    }

    func testV1CanonicalRequestAndSignature() async throws {
        let req = v1()
        let canonical = SigV4Canonical.canonicalRequest(req, signedHeaders: ["content-type", "host", "x-amz-date", "x-amz-target"],
                                                        payloadHash: req.bodySHA256, presigned: false)!
        XCTAssertEqual(canonical, "POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:localhost:5300\nx-amz-date:20240115T123000Z\nx-amz-target:TrentService.Encrypt\n\ncontent-type;host;x-amz-date;x-amz-target\ncc19150aa07c9bb07e75493a02d2c2c1459e304cef1dd5d5bd4c9b7aa7e39643")
        let scope = SigV4Scope(accessKeyId: "AKIDEXAMPLE", date: "20240115", region: "us-east-1", service: "kms")
        let key = SigV4Canonical.signingKey(secret: secret, scope: scope)
        XCTAssertEqual(key.withUnsafeBytes { SigV4Canonical.hex($0) }, "7dc7def2d1bc8036681ceab27e542c63886c844848158f1b359881fc00e13a92")
        let caller = try await verifier.verify(req, now: now)
        XCTAssertEqual(caller.scope.service, "kms")
        XCTAssertEqual(caller.principal.account, "111122223333")
    }

    func testV2QueryWithSessionToken() async throws {
        let body = "Action=ListTopics&Version=2010-03-31"
        let req = SigV4Request(method: "POST", rawPath: "/", rawQuery: "", headers: [
            ("content-type", "application/x-www-form-urlencoded; charset=utf-8"), ("host", "localhost:5300"),
            ("x-amz-date", "20240115T123000Z"), ("x-amz-security-token", "SESSIONTOKEN123"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/sns/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=954533a3da02ee6b3c9a6adc4c72d374648812a67857e950a919084a339a9080"),
        ], bodySHA256: SigV4Canonical.sha256Hex(Array(body.utf8)))
        XCTAssertEqual(req.bodySHA256, "55e772bd3d832d8507965af84ab07fd17d9be3cbb788151ceb0d7fc2be442a54")
        let principal = Principal.root(account: "1", partition: .aws, accessKeyId: "AKIDEXAMPLE")
        let temp = SigningCredential(accessKeyId: "AKIDEXAMPLE", secretAccessKey: secret, principal: principal,
                                     sessionToken: "SESSIONTOKEN123", expiration: now.addingTimeInterval(600))
        let v = SigV4Verifier(mode: .strict(StaticProvider(creds: ["AKIDEXAMPLE": temp])))
        _ = try await v.verify(req, now: now)
        // The same request after the session expired.
        do {
            _ = try await v.verify(req, now: now.addingTimeInterval(601))
            XCTFail("expired token accepted")
        } catch { XCTAssertEqual(error, .expiredToken) }
        // A permanent key presented with a session token is not valid.
        do {
            _ = try await verifier.verify(req, now: now)
            XCTFail("token accepted for a permanent key")
        } catch { XCTAssertEqual(error, .invalidToken) }
    }

    func testV3DoubleEncodingAndQuerySorting() throws {
        let req = SigV4Request(method: "GET", rawPath: "/a%20b/c%2Fd", rawQuery: "b=2&a=%20x&a=1",
                               headers: [("host", "localhost:5300"), ("x-amz-date", "20240115T123000Z")],
                               bodySHA256: SigV4Canonical.sha256Hex([UInt8]()))
        XCTAssertEqual(SigV4Canonical.canonicalURI(req.rawPath, isS3: false), "/a%2520b/c%252Fd")
        XCTAssertEqual(SigV4Canonical.canonicalQuery(req.rawQuery, excludeSignature: false), "a=%20x&a=1&b=2")
        let canonical = SigV4Canonical.canonicalRequest(req, signedHeaders: ["host", "x-amz-date"], payloadHash: req.bodySHA256, presigned: false)!
        XCTAssertEqual(SigV4Canonical.sha256Hex(Array(canonical.utf8)), "add1e61985049558aaab579ae8a24f43b8357961592bb76fd5bbc3726c39b1de")
        let scope = SigV4Scope(accessKeyId: "AKIDEXAMPLE", date: "20240115", region: "us-east-1", service: "execute-api")
        let sts = SigV4Canonical.stringToSign(amzDate: "20240115T123000Z", scope: scope, canonicalRequest: canonical)
        XCTAssertEqual(SigV4Canonical.signature(key: SigV4Canonical.signingKey(secret: secret, scope: scope), stringToSign: sts),
                       "af29aceb2473583343976912b59dc17d3da754a33c31d15c3cd2573516b2ec78")
    }

    func testV4S3PutKeepsRawPath() async throws {
        let req = SigV4Request(method: "PUT", rawPath: "/my-bucket/a%20b/c.txt", rawQuery: "x=1&acl=", headers: [
            ("host", "localhost:5300"),
            ("x-amz-content-sha256", "8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4"),
            ("x-amz-date", "20240115T123000Z"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=de166116519ed6325cf4c21835370dc1b59e455ea92fdd930e90a66c68255657"),
        ], bodySHA256: SigV4Canonical.sha256Hex(Array("hi".utf8)), isS3: true)
        _ = try await verifier.verify(req, now: now)
    }

    func testV5S3PresignedGetAndExpiry() async throws {
        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240115T123000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=fcce92794af0e315ca01a9b2851db945ee1c4b2565597ae11434f9b7a2cccd94"
        let req = SigV4Request(method: "GET", rawPath: "/my-bucket/AWSLogs/a%20b.json.gz", rawQuery: q,
                               headers: [("host", "localhost:5300")], bodySHA256: SigV4Canonical.sha256Hex([UInt8]()), isS3: true)
        _ = try await verifier.verify(req, now: now.addingTimeInterval(3500))
        do {
            _ = try await verifier.verify(req, now: now.addingTimeInterval(3601))
            XCTFail("expired URL accepted")
        } catch { XCTAssertEqual(error, .expired("Request has expired.")) }
        var tampered = req
        tampered.rawPath = "/my-bucket/AWSLogs/other.json.gz"
        do {
            _ = try await verifier.verify(tampered, now: now)
            XCTFail("tampered URL accepted")
        } catch { XCTAssertEqual(error, .signatureMismatch(nil)) }
    }

    func testFailures() async {
        func failure(_ req: SigV4Request, at: Date? = nil, _ v: SigV4Verifier? = nil) async -> AuthFailure? {
            do { _ = try await (v ?? verifier).verify(req, now: at ?? now); return nil } catch { return error }
        }
        let wrongSig = await failure(v1(signature: String(repeating: "0", count: 64)))
        XCTAssertEqual(wrongSig, .signatureMismatch(nil))
        let tamperedBody = await failure(v1(body: #"{"KeyId": "alias/other"}"#))
        XCTAssertEqual(tamperedBody, .signatureMismatch(nil))
        guard case .clockSkew(let m)? = await failure(v1(), at: now.addingTimeInterval(16 * 60)) else { return XCTFail() }
        XCTAssertEqual(m, "Signature expired: 20240115T123000Z is now earlier than 20240115T123100Z (20240115T124600Z - 15 min.)")
        let okWithinSkew = await failure(v1(), at: now.addingTimeInterval(14 * 60))
        XCTAssertNil(okWithinSkew)
        let unknown = SigV4Verifier(mode: .strict(StaticProvider(creds: [:])))
        let u = await failure(v1(), at: nil, unknown)
        XCTAssertEqual(u, .unknownAccessKey)
        var noAuth = v1()
        noAuth.headers.removeAll { $0.name == "authorization" }
        let missing = await failure(noAuth)
        XCTAssertEqual(missing, .missingAuthentication)
        var partial = v1()
        partial.headers[4].value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/kms/aws4_request"
        guard case .incompleteSignature(let msg)? = await failure(partial) else { return XCTFail() }
        XCTAssertTrue(msg.hasPrefix("Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."))
        var badDate = v1()
        badDate.headers[4].value = badDate.headers[4].value.replacingOccurrences(of: "/20240115/", with: "/20240114/")
        guard case .signatureMismatch(let d?)? = await failure(badDate) else { return XCTFail() }
        XCTAssertTrue(d.hasPrefix("Date in Credential scope does not match"))
    }

    func testNonS3BodyIsAlwaysCovered() async throws {
        // A JSON request signed with UNSIGNED-PAYLOAD must not let its body change: only S3 honours the header.
        let body = #"{"KeyId": "alias/test"}"#
        let date = "20240115T123000Z"
        var headers: [(name: String, value: String)] = [("content-type", "application/x-amz-json-1.1"), ("host", "localhost:5300"),
                                                         ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), ("x-amz-date", date)]
        let scope = SigV4Scope(accessKeyId: "AKIDEXAMPLE", date: "20240115", region: "us-east-1", service: "kms")
        let unsigned = SigV4Request(method: "POST", rawPath: "/", rawQuery: "", headers: headers,
                                    bodySHA256: SigV4Canonical.sha256Hex(Array(body.utf8)))
        let signed = ["content-type", "host", "x-amz-content-sha256", "x-amz-date"]
        let canonical = SigV4Canonical.canonicalRequest(unsigned, signedHeaders: signed, payloadHash: "UNSIGNED-PAYLOAD", presigned: false)!
        let sig = SigV4Canonical.signature(key: SigV4Canonical.signingKey(secret: secret, scope: scope),
                                           stringToSign: SigV4Canonical.stringToSign(amzDate: date, scope: scope, canonicalRequest: canonical))
        headers.append(("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/kms/aws4_request, SignedHeaders=\(signed.joined(separator: ";")), Signature=\(sig)"))
        let req = SigV4Request(method: "POST", rawPath: "/", rawQuery: "", headers: headers,
                               bodySHA256: SigV4Canonical.sha256Hex(Array(body.utf8)))
        do {
            _ = try await verifier.verify(req, now: now)
            XCTFail("UNSIGNED-PAYLOAD accepted outside S3")
        } catch { XCTAssertEqual(error, .signatureMismatch(nil)) }
        // The same signature is valid where the header is honoured (S3).
        var s3 = req
        s3.isS3 = true
        _ = try await verifier.verify(s3, now: now)
    }

    func testUnreadableCredentialStoreIsAServerFault() async {
        struct Down: CredentialProvider {
            func credential(accessKeyId: String, sessionToken: String?) async throws -> SigningCredential? { throw CancellationError() }
        }
        do {
            _ = try await SigV4Verifier(mode: .strict(Down())).verify(v1(), now: now)
            XCTFail("verified without a credential store")
        } catch {
            XCTAssertEqual(error, .unavailable)
        }
    }

    func testDevModeAcceptsAnyKey() async throws {
        let v = SigV4Verifier(mode: .dev(account: "000000000000"))
        let caller = try await v.verify(v1(signature: "00"), now: now.addingTimeInterval(86400))
        XCTAssertEqual(caller.principal.accessKeyId, "AKIDEXAMPLE")
        XCTAssertEqual(caller.principal.arn, "arn:aws:iam::000000000000:root")
    }
}
