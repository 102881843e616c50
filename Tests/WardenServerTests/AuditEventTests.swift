// The CloudTrail record text, field by field, as CLOUDTRAIL.md §1 lays it out.
import Foundation
import WardenAudit
import WardenCore
import XCTest

final class AuditEventTests: XCTestCase {
    func testRecordText() throws {
        var ctx = RequestContext(requestId: "r-1", account: "111122223333", region: "eu-west-1",
                                 principal: .root(account: "111122223333", partition: .aws, accessKeyId: "AKIA1"),
                                 sourceIP: "192.0.2.10", userAgent: "aws-cli/1 \"quoted\"",
                                 receivedAt: Date(timeIntervalSince1970: 1_705_321_800.9),
                                 tls: TLSDetails(tlsVersion: "TLSv1.3", cipherSuite: nil, clientProvidedHostHeader: "h:1"))
        var e = AuditEvent(eventId: "e-1", context: ctx, eventSource: "kms.amazonaws.com", eventName: "Encrypt", readOnly: true,
                           requestParameters: .object([("keyId", .string("alias/k"))]), responseElements: .object([("x", .int(1))]),
                           resources: [AuditResource(type: "AWS::KMS::Key", arn: "arn:aws:kms:eu-west-1:111122223333:key/k", account: "111122223333")])
        XCTAssertEqual(e.recordJSON, #"{"eventVersion":"1.11","userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","accessKeyId":"AKIA1"},"eventTime":"2024-01-15T12:30:00Z","eventSource":"kms.amazonaws.com","eventName":"Encrypt","awsRegion":"eu-west-1","sourceIPAddress":"192.0.2.10","userAgent":"aws-cli/1 \"quoted\"","requestParameters":{"keyId":"alias/k"},"responseElements":{"x":1},"requestID":"r-1","eventID":"e-1","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:eu-west-1:111122223333:key/k"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","clientProvidedHostHeader":"h:1"}}"#)
        // A failed, unauthenticated call: errorCode/errorMessage present, responseElements null, identity Unknown.
        ctx.principal = nil
        ctx.tls = nil
        e = AuditEvent(eventId: "e-2", context: ctx, eventSource: "sts.amazonaws.com", eventName: "GetCallerIdentity",
                       readOnly: true, responseElements: .object([("x", .int(1))]), errorCode: "InvalidClientTokenId",
                       errorMessage: "The security token included in the request is invalid.")
        let parsed = try JSONParser.parse(Array(e.recordJSON.utf8))
        XCTAssertEqual(parsed["userIdentity"], .object([("type", .string("Unknown")), ("principalId", .string("")),
                                                         ("accountId", .string("111122223333"))]))
        XCTAssertEqual(parsed["responseElements"], .null)
        XCTAssertEqual(parsed["requestParameters"], .null)
        XCTAssertEqual(parsed["errorCode"], .string("InvalidClientTokenId"))
        XCTAssertNil(parsed["tlsDetails"])
        XCTAssertEqual(e.stored.username, nil)
        XCTAssertEqual(e.stored.eventTimeMillis, 1_705_321_800_900)
    }
}
