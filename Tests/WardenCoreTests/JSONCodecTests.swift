// The JSON parser and the AWS JSON protocol codec, driven by the generated KMS model.
import Foundation
import WardenAPI
import WardenCore
import WardenProtocol
import XCTest

final class JSONCodecTests: XCTestCase {
    func testParserAcceptsRFC8259() throws {
        let v = try JSONParser.parse(Array(#" {"a": [1, -2.5e3, true, false, null, "x\u00e9\ud83d\ude00\n"], "b": {}} "#.utf8))
        XCTAssertEqual(v["a"], .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .string("xé😀\n")]))
        XCTAssertEqual(v["b"], .object([]))
    }

    func testParserRejectsMalformed() {
        for bad in ["", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\ud800\"", "\"\u{01}\"", "nul", "{}x", "[\"\\x\"]"] {
            XCTAssertThrowsError(try JSONParser.parse(Array(bad.utf8)), bad)
        }
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]), "invalid UTF-8")
        XCTAssertThrowsError(try JSONParser.parse(Array(String(repeating: "[", count: 100_000).utf8)), "depth")
    }

    func testWriterEscapes() {
        XCTAssertEqual(JSONWriter.string(.object([("k", .string("a\"b\\c\n\u{01}é"))])), #"{"k":"a\"b\\c\n\u0001é"}"#)
        XCTAssertEqual(JSONWriter.string(.array([.string("\"edge\t"), .string(""), .string("\u{1f}")])), #"["\"edge\t","","\u001f"]"#)
    }

    func testDecodeKMSEncryptRequest() throws {
        let body = #"{"KeyId": "alias/test", "Plaintext": "aGVsbG8=", "EncryptionContext": {"a": "b"}, "Unknown": 1}"#
        let v = try JSONProtocol.decode(Array(body.utf8), shape: KMS.EncryptRequest.shape)
        let input = try KMS.EncryptRequest(from: v)
        XCTAssertEqual(input.keyId, "alias/test")
        XCTAssertEqual(input.plaintext, Array("hello".utf8))
        XCTAssertEqual(input.encryptionContext, ["a": "b"])
        XCTAssertTrue(ModelValidator.violations(of: v, shape: KMS.EncryptRequest.shape).isEmpty)
    }

    func testDecodeErrorsAreSerializationExceptions() {
        let shape = KMS.EncryptRequest.shape
        for body in [#"{"KeyId": 5}"#, #"{"Plaintext": "***"}"#, #"{"EncryptionContext": []}"#, "[1]", "{bad",
                     #"{"GrantTokens": "x"}"#] {
            XCTAssertThrowsError(try JSONProtocol.decode(Array(body.utf8), shape: shape), body) { e in
                XCTAssertEqual((e as? AWSError)?.code, "SerializationException", body)
                XCTAssertEqual((e as? AWSError)?.status, 400)
            }
        }
        // Integer members reject fractions and out-of-range numbers.
        XCTAssertThrowsError(try JSONProtocol.decode(Array(#"{"KeyId":"k","NumberOfBytes": 1.5}"#.utf8), shape: KMS.GenerateDataKeyRequest.shape))
        XCTAssertThrowsError(try JSONProtocol.decode(Array(#"{"KeyId":"k","NumberOfBytes": 99999999999}"#.utf8), shape: KMS.GenerateDataKeyRequest.shape))
    }

    func testValidationMessagesFollowAWS() throws {
        let v = try JSONProtocol.decode(Array(#"{"KeyId": "", "NumberOfBytes": 2000, "KeySpec": "AES_512"}"#.utf8),
                                        shape: KMS.GenerateDataKeyRequest.shape)
        let violations = ModelValidator.violations(of: v, shape: KMS.GenerateDataKeyRequest.shape)
        XCTAssertEqual(violations, [
            "Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1",
            "Value '2000' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
            "Value 'AES_512' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_128, AES_256]",
        ])
        let err = ModelValidator.error(for: violations, code: "ValidationException")
        XCTAssertEqual(err?.message.hasPrefix("3 validation errors detected: Value '' at 'keyId'"), true)
        let missing = ModelValidator.violations(of: .structure([:]), shape: KMS.EncryptRequest.shape)
        XCTAssertEqual(missing, [
            "Value null at 'keyId' failed to satisfy constraint: Member must not be null",
            "Value null at 'plaintext' failed to satisfy constraint: Member must not be null",
        ])
    }

    func testSensitiveValuesAreNotEchoedInValidation() throws {
        // Plaintext is sensitive in the model: a length violation must not repeat it.
        let big = Data(repeating: 65, count: 5000).base64EncodedString()
        let v = try JSONProtocol.decode(Array(#"{"KeyId": "k", "Plaintext": "\#(big)"}"#.utf8), shape: KMS.EncryptRequest.shape)
        let violations = ModelValidator.violations(of: v, shape: KMS.EncryptRequest.shape)
        XCTAssertEqual(violations, ["Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"])
    }

    func testPatternValidation() throws {
        // AliasName pattern ^[a-zA-Z0-9:/_-]+$
        let ok = try JSONProtocol.decode(Array(#"{"AliasName": "alias/ok_1", "TargetKeyId": "k"}"#.utf8), shape: KMS.CreateAliasRequest.shape)
        XCTAssertTrue(ModelValidator.violations(of: ok, shape: KMS.CreateAliasRequest.shape).isEmpty)
        let bad = try JSONProtocol.decode(Array(#"{"AliasName": "alias/bad name!", "TargetKeyId": "k"}"#.utf8), shape: KMS.CreateAliasRequest.shape)
        let v = ModelValidator.violations(of: bad, shape: KMS.CreateAliasRequest.shape)
        XCTAssertEqual(v.count, 1)
        XCTAssertTrue(v[0].contains("Member must satisfy regular expression pattern"))
    }

    func testEncodeResponseRoundTrips() throws {
        let date = Date(timeIntervalSince1970: 1_704_067_200.5)
        let meta = KMS.KeyMetadata(keyId: "1234", creationDate: date, enabled: true, keyUsage: .encryptDecrypt,
                                   encryptionAlgorithms: [.symmetricDefault])
        let out = KMS.DescribeKeyResponse(keyMetadata: meta)
        let bytes = JSONProtocol.encode(out.toValue(), shape: KMS.DescribeKeyResponse.shape)
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertEqual(text, #"{"KeyMetadata":{"KeyId":"1234","CreationDate":1.7040672005E9,"Enabled":true,"KeyUsage":"ENCRYPT_DECRYPT","EncryptionAlgorithms":["SYMMETRIC_DEFAULT"]}}"#)
        let back = try KMS.DescribeKeyResponse(from: try JSONProtocol.decode(bytes, shape: KMS.DescribeKeyResponse.shape))
        XCTAssertEqual(back.keyMetadata?.creationDate, date)
        XCTAssertEqual(back.keyMetadata?.keyUsage, .encryptDecrypt)
    }

    func testErrorEnvelope() {
        let e = KMS.Errors.invalidCiphertextException("bad")
        XCTAssertEqual(e.status, 400)
        XCTAssertEqual(String(decoding: JSONProtocol.encodeError(e), as: UTF8.self), #"{"__type":"InvalidCiphertextException","message":"bad"}"#)
        XCTAssertEqual(KMS.Errors.kmsInternalException("x").status, 500)
        XCTAssertFalse(KMS.Errors.kmsInternalException("x").senderFault)
        // An error AWS sends without a message has no message member; some services spell the key `Message`.
        XCTAssertEqual(String(decoding: JSONProtocol.encodeError(KMS.Errors.invalidCiphertextException("")), as: UTF8.self),
                       #"{"__type":"InvalidCiphertextException"}"#)
        XCTAssertEqual(String(decoding: JSONProtocol.encodeError(e, messageKey: "Message", typePrefix: "com.amazonaws.sqs#"), as: UTF8.self),
                       #"{"__type":"com.amazonaws.sqs#InvalidCiphertextException","Message":"bad"}"#)
        // The key follows the model's spelling of each error's message member.
        XCTAssertTrue(SecretsManager.model.capitalMessageErrors.contains("ResourceNotFoundException"))
        XCTAssertFalse(KMS.model.capitalMessageErrors.contains("NotFoundException"))
        XCTAssertFalse(SSM.model.capitalMessageErrors.contains("ParameterNotFound"))
    }

    /// Model doubles are written as AWS's Java serializers write them, so `45.0` never reads back as an integer.
    func testDoublesAreWrittenAsJavaWritesThem() {
        let cases: [(Double, String)] = [
            (45, "45.0"), (0, "0.0"), (-2.5, "-2.5"), (0.001, "0.001"), (0.0001, "1.0E-4"), (1.5e-5, "1.5E-5"),
            (1_234_567, "1234567.0"), (10_000_000, "1.0E7"), (12_345_678.9, "1.23456789E7"), (1e16, "1.0E16"),
            (0.1, "0.1"), (99.99, "99.99"), (-1e21, "-1.0E21"), (123.456, "123.456"), (0.0123, "0.0123"),
        ]
        for (d, text) in cases { XCTAssertEqual(JavaDouble.format(d), text, "\(d)") }
        for (d, _) in cases { XCTAssertEqual(Double(JavaDouble.format(d)), d) }
        let shape = CloudWatch.MetricAlarm.shape
        let alarm = CloudWatch.MetricAlarm(alarmName: "a", threshold: 45).toValue()
        XCTAssertEqual(String(decoding: JSONProtocol.encode(alarm, shape: shape), as: UTF8.self), #"{"AlarmName":"a","Threshold":45.0}"#)
    }
}

final class DirectEncoderTests: XCTestCase {
    /// The byte-level response encoder writes exactly what the tree encoder writes, blobs of every length included.
    func testDirectEncodingMatchesTheTree() throws {
        for n in 0..<70 {
            let blob = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            XCTAssertEqual(String(decoding: { var o: [UInt8] = []; Base64Bytes.encode(blob, into: &o); return o }(), as: UTF8.self),
                           Data(blob).base64EncodedString(), "length \(n)")
        }
        let shape = KMS.GenerateDataKeyPairResponse.shape
        let value = KMS.GenerateDataKeyPairResponse(
            privateKeyCiphertextBlob: [1, 2, 3, 4], privateKeyPlaintext: Array(repeating: 0xFF, count: 33), publicKey: [],
            keyId: #"arn:aws:kms:us-east-1:1:key/"quoted"\n"#, keyPairSpec: .eccNistP256).toValue()
        XCTAssertEqual(JSONProtocol.encode(value, shape: shape), JSONWriter.write(JSONProtocol.json(value, shape: shape)))
        let list = KMS.ListAliasesResponse(aliases: [KMS.AliasListEntry(aliasName: "alias/a", creationDate: Date(timeIntervalSince1970: 1.5))],
                                           truncated: false).toValue()
        XCTAssertEqual(JSONProtocol.encode(list, shape: KMS.ListAliasesResponse.shape),
                       JSONWriter.write(JSONProtocol.json(list, shape: KMS.ListAliasesResponse.shape)))
    }
}
