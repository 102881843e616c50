// AWS Query: form parsing, model-driven decoding (lists, maps, nesting) and XML responses.
import Foundation
import WardenAPI
import WardenCore
import WardenProtocol
import XCTest

final class QueryCodecTests: XCTestCase {
    func invalid(_ m: String) -> AWSError { AWSError(code: "ValidationError", message: m) }

    func testParseForm() {
        XCTAssertEqual(QueryProtocol.parseForm(Array("Action=A&x=a%20b+c&empty=&flag".utf8)),
                       ["Action": "A", "x": "a b c", "empty": "", "flag": ""])
        XCTAssertNil(QueryProtocol.parseForm(Array("x=%ZZ".utf8)))
        XCTAssertNil(QueryProtocol.parseForm(Array("x=%FF".utf8)))
        XCTAssertNil(QueryProtocol.parseForm([0x78, 0x3D, 0xC3]))
    }

    func testDecodeAssumeRoleWithListsAndNesting() throws {
        let params = QueryProtocol.parseForm(Array(("Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fr&RoleSessionName=session"
            + "&DurationSeconds=900&Tags.member.1.Key=team&Tags.member.1.Value=sec&Tags.member.2.Key=env&Tags.member.2.Value=prod"
            + "&TransitiveTagKeys.member.1=team&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess").utf8))!
        let v = try QueryProtocol.decode(params, shape: STS.AssumeRoleRequest.shape, invalid: invalid)
        let input = try STS.AssumeRoleRequest(from: v)
        XCTAssertEqual(input.roleArn, "arn:aws:iam::111122223333:role/r")
        XCTAssertEqual(input.durationSeconds, 900)
        XCTAssertEqual(input.tags?.map(\.key), ["team", "env"])
        XCTAssertEqual(input.tags?.map(\.value), ["sec", "prod"])
        XCTAssertEqual(input.transitiveTagKeys, ["team"])
        XCTAssertEqual(input.policyArns?.first?.arn, "arn:aws:iam::aws:policy/ReadOnlyAccess")
        XCTAssertEqual(ModelValidator.violations(of: v, shape: STS.AssumeRoleRequest.shape), [])
    }

    func testEmptyListAndBadScalars() throws {
        let v = try QueryProtocol.decode(["Tags": "", "RoleArn": "a", "RoleSessionName": "b"], shape: STS.AssumeRoleRequest.shape, invalid: invalid)
        XCTAssertEqual(v.mapValue?["Tags"], .list([]))
        XCTAssertThrowsError(try QueryProtocol.decode(["DurationSeconds": "ten"], shape: STS.AssumeRoleRequest.shape, invalid: invalid)) {
            XCTAssertEqual(($0 as? AWSError)?.code, "ValidationError")
        }
    }

    func testValidationOfQueryInput() throws {
        let v = try QueryProtocol.decode(["RoleArn": "short", "RoleSessionName": "bad name!", "DurationSeconds": "100"],
                                         shape: STS.AssumeRoleRequest.shape, invalid: invalid)
        let violations = ModelValidator.violations(of: v, shape: STS.AssumeRoleRequest.shape)
        XCTAssertEqual(violations.count, 3, "\(violations)")
        XCTAssertTrue(violations.contains("Value 'short' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"))
        XCTAssertTrue(violations.contains("Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"))
    }

    func testXMLResponseAndError() {
        let out = STS.GetCallerIdentityResponse(userId: "AIDA<&>", account: "111122223333", arn: "arn:aws:iam::111122223333:root")
        let xml = String(decoding: QueryProtocol.encodeResponse(
            operation: "GetCallerIdentity", resultWrapper: "GetCallerIdentityResult", value: out.toValue(),
            shape: STS.GetCallerIdentityResponse.shape, xmlNamespace: "https://sts.amazonaws.com/doc/2011-06-15/", requestId: "r-1"), as: UTF8.self)
        XCTAssertEqual(xml, #"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><UserId>AIDA&lt;&amp;&gt;</UserId><Account>111122223333</Account><Arn>arn:aws:iam::111122223333:root</Arn></GetCallerIdentityResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#)
        let err = String(decoding: QueryProtocol.encodeError(STS.Errors.expiredTokenException("gone"), xmlNamespace: "ns", requestId: "r-2"), as: UTF8.self)
        XCTAssertEqual(err, #"<ErrorResponse xmlns="ns"><Error><Type>Sender</Type><Code>ExpiredTokenException</Code><Message>gone</Message></Error><RequestId>r-2</RequestId></ErrorResponse>"#)
        // Query services answer the model's error.code, not the shape name.
        XCTAssertEqual(STS.Errors.malformedPolicyDocumentException("x").queryCode, "MalformedPolicyDocument")
    }

    func testXMLListsAndTimestamps() {
        let creds = STS.Credentials(accessKeyId: "ASIA", secretAccessKey: "s", sessionToken: "t",
                                    expiration: Date(timeIntervalSince1970: 1_704_067_200))
        let out = STS.AssumeRoleResponse(credentials: creds, packedPolicySize: 5)
        let xml = String(decoding: QueryProtocol.encodeResponse(operation: "AssumeRole", resultWrapper: "AssumeRoleResult",
                                                                value: out.toValue(), shape: STS.AssumeRoleResponse.shape,
                                                                xmlNamespace: "ns", requestId: "r"), as: UTF8.self)
        XCTAssertTrue(xml.contains("<Expiration>2024-01-01T00:00:00.000Z</Expiration>"), xml)
        XCTAssertTrue(xml.contains("<PackedPolicySize>5</PackedPolicySize>"), xml)
    }

    func testTimestampsFormat() {
        XCTAssertEqual(Timestamps.iso8601(Date(timeIntervalSince1970: 951_782_400.25)), "2000-02-29T00:00:00.250Z")
        XCTAssertEqual(Timestamps.iso8601(Date(timeIntervalSince1970: -1), fractional: false), "1969-12-31T23:59:59Z")
        XCTAssertEqual(Timestamps.parseISO8601("2024-01-15T12:30:00Z"), Date(timeIntervalSince1970: 1_705_321_800))
    }

    /// Legacy SQS Query: flattened lists and maps under their element names (`AttributeName.1`, `MessageAttribute.1.Name`).
    func testFlattenedListsAndMapsUnderElementNames() throws {
        let params = ["QueueUrl": "u", "AttributeName.1": "All", "AttributeName.2": "SentTimestamp", "MessageAttributeName.1": "k",
                      "MaxNumberOfMessages": "3"]
        let input = try SQS.ReceiveMessageRequest(from: QueryProtocol.decode(params, shape: SQS.ReceiveMessageRequest.shape, invalid: invalid))
        XCTAssertEqual(input.attributeNames, ["All", "SentTimestamp"])
        XCTAssertEqual(input.messageAttributeNames, ["k"])
        let send = try SQS.SendMessageBatchRequest(from: QueryProtocol.decode([
            "QueueUrl": "u", "SendMessageBatchRequestEntry.1.Id": "a", "SendMessageBatchRequestEntry.1.MessageBody": "b",
            "SendMessageBatchRequestEntry.1.MessageAttribute.1.Name": "n",
            "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType": "String",
            "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue": "v",
        ], shape: SQS.SendMessageBatchRequest.shape, invalid: invalid))
        XCTAssertEqual(send.entries.first?.messageAttributes?["n"]?.stringValue, "v")
        let message = SQS.Message(messageId: "m", body: "b", attributes: ["SentTimestamp": "1"])
        let xml = String(decoding: QueryProtocol.encodeResponse(
            operation: "ReceiveMessage", resultWrapper: "ReceiveMessageResult", value: SQS.ReceiveMessageResult(messages: [message]).toValue(),
            shape: SQS.ReceiveMessageResult.shape, xmlNamespace: "ns", requestId: "r"), as: UTF8.self)
        XCTAssertTrue(xml.contains("<ReceiveMessageResult><Message><MessageId>m</MessageId>"), xml)
        XCTAssertTrue(xml.contains("<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>"), xml)
    }
}
