// Lambda's SQS event records and its reading of a function's partial batch response (Developer Guide, "Using Lambda
// with Amazon SQS" and "Implementing partial batch responses"), as pure vectors.
import Foundation
import WardenAPI
import WardenCore
import XCTest
@testable import WardenServices

final class SQSEventRecordsTests: XCTestCase {
    let ids: Set<String> = ["a", "b", "c"]

    func outcome(_ text: String?, error: String? = nil, report: Bool = true) -> SQSEventRecords.Outcome {
        SQSEventRecords.outcome(payload: Array((text ?? "").utf8), functionError: error, reportsBatchItemFailures: report,
                                messageIds: ids)
    }

    func testCompleteSuccessConditions() {
        // An empty or null batchItemFailures list, an empty or null response.
        XCTAssertEqual(outcome(#"{"batchItemFailures": []}"#), .succeeded)
        XCTAssertEqual(outcome(#"{"batchItemFailures": null}"#), .succeeded)
        XCTAssertEqual(outcome("{}"), .succeeded)
        XCTAssertEqual(outcome("null"), .succeeded)
        XCTAssertEqual(outcome(""), .succeeded)
        // Without ReportBatchItemFailures the response is not read at all.
        XCTAssertEqual(outcome(#"{"batchItemFailures": [{"itemIdentifier": "a"}]}"#, report: false), .succeeded)
        XCTAssertEqual(outcome("not json", report: false), .succeeded)
    }

    func testCompleteFailureConditions() {
        XCTAssertEqual(outcome(nil, error: "Unhandled"), .failed)
        XCTAssertEqual(outcome(#"{"batchItemFailures": [{"itemIdentifier": "a"}]}"#, error: "Unhandled", report: false), .failed)
        XCTAssertEqual(outcome("{not json"), .failed)
        XCTAssertEqual(outcome(#"{"batchItemFailures": [{"itemIdentifier": ""}]}"#), .failed)
        XCTAssertEqual(outcome(#"{"batchItemFailures": [{"itemIdentifier": null}]}"#), .failed)
        XCTAssertEqual(outcome(#"{"batchItemFailures": [{"foo": "notvalid"}]}"#), .failed)
        XCTAssertEqual(outcome(#"{"batchItemFailures": [{"itemIdentifier": "zzz"}]}"#), .failed)
        XCTAssertEqual(outcome(#"{"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "nope"}]}"#), .failed)
        XCTAssertEqual(outcome(#"{"batchItemFailures": "a"}"#), .failed)
        XCTAssertEqual(outcome(#""done""#), .failed)
    }

    func testPartialFailure() {
        XCTAssertEqual(outcome(#"{"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "c"}]}"#), .partial(["b", "c"]))
    }

    func record(_ m: SQS.Message, window: Bool = false) -> String {
        JSONWriter.string(SQSEventRecords.record(m, queueArn: "arn:aws:sqs:us-east-2:123456789012:my-queue", region: "us-east-2",
                                                 batchingWindow: window))
    }

    func testStandardRecordAsTheDeveloperGuideShowsIt() {
        let m = SQS.Message(messageId: "059f36b4-87a3-44ab-83d2-661975830a7d", receiptHandle: "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
                            md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3", body: "Test message.",
                            attributes: ["ApproximateFirstReceiveTimestamp": "1545082649185", "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                                         "SentTimestamp": "1545082649183", "ApproximateReceiveCount": "1"],
                            md5OfMessageAttributes: "00484c68...59e48f06",
                            messageAttributes: ["myAttribute": SQS.MessageAttributeValue(stringValue: "myValue", dataType: "String")])
        XCTAssertEqual(record(m), #"{"messageId":"059f36b4-87a3-44ab-83d2-661975830a7d","receiptHandle":"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a","body":"Test message.","attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1545082649183","SenderId":"AIDAIENQZJOLO23YVJ4VO","ApproximateFirstReceiveTimestamp":"1545082649185"},"messageAttributes":{"myAttribute":{"stringValue":"myValue","stringListValues":[],"binaryListValues":[],"dataType":"String"}},"md5OfMessageAttributes":"00484c68...59e48f06","md5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-2:123456789012:my-queue","awsRegion":"us-east-2"}"#)
    }

    func testFifoRecordAndTheAttributesDigestWithoutAttributes() {
        let m = SQS.Message(messageId: "11d6ee51-4cc7-4302-9e22-7cd8afdaadf5", receiptHandle: "AQEBBX8nesZEXmkhsmZeyIE8iQAMig7qw",
                            md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3", body: "Test message.",
                            attributes: ["ApproximateReceiveCount": "1", "SentTimestamp": "1573251510774", "SequenceNumber": "18849496460467696128",
                                         "MessageGroupId": "1", "SenderId": "AIDAIO23YVJENQZJOL4VO", "MessageDeduplicationId": "1",
                                         "ApproximateFirstReceiveTimestamp": "1573251510774"])
        let text = record(m)
        XCTAssertTrue(text.contains(#""attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1573251510774","SequenceNumber":"18849496460467696128","MessageGroupId":"1","SenderId":"AIDAIO23YVJENQZJOL4VO","MessageDeduplicationId":"1","ApproximateFirstReceiveTimestamp":"1573251510774"},"messageAttributes":{},"md5OfBody""#), text)
        XCTAssertTrue(record(m, window: true).contains(#""messageAttributes":{},"md5OfMessageAttributes":null,"md5OfBody""#))
    }

    func testFiltersSeeJSONBodiesAsJSON() throws {
        let m = SQS.Message(messageId: "x", receiptHandle: "r", md5OfBody: "", body: #"{"kind": "keep"}"#, attributes: [:])
        let rec = SQSEventRecords.record(m, queueArn: "arn:aws:sqs:us-east-1:1:q", region: "us-east-1", batchingWindow: false)
        let pattern = try EventPattern(#"{"body": {"kind": ["keep"]}}"#)
        XCTAssertTrue(pattern.matches(SQSEventRecords.filterView(rec, body: #"{"kind": "keep"}"#)))
        XCTAssertFalse(pattern.matches(rec))  // the body as a string does not match a JSON pattern
        let text = SQS.Message(messageId: "y", receiptHandle: "r", md5OfBody: "", body: "hello world", attributes: [:])
        let textRecord = SQSEventRecords.record(text, queueArn: "arn:aws:sqs:us-east-1:1:q", region: "us-east-1", batchingWindow: false)
        let plain = try EventPattern(#"{"body": [{"prefix": "hello"}]}"#)
        XCTAssertTrue(plain.matches(SQSEventRecords.filterView(textRecord, body: "hello world")))
        XCTAssertFalse(pattern.matches(SQSEventRecords.filterView(textRecord, body: "hello world")))
    }
}
