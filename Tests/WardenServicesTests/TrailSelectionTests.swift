// Which events a trail delivers: account and region scope, basic and advanced selectors; gzip output is stable.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage
import XCTest
@testable import WardenServices

final class TrailSelectionTests: XCTestCase {
    func trail(multiRegion: Bool = false) -> TrailRecord {
        TrailRecord(name: "t", account: "111122223333", homeRegion: "us-east-1", partition: "aws", s3BucketName: "b", s3KeyPrefix: nil,
                    includeGlobalServiceEvents: true, isMultiRegionTrail: multiRegion, logFileValidationEnabled: false, tags: [],
                    eventSelectors: nil, advancedEventSelectors: nil, isLogging: true, startLoggingMillis: 0, stopLoggingMillis: nil,
                    startSeq: 0, stopSeq: nil)
    }

    func event(_ name: String, source: String = "kms.amazonaws.com", region: String = "us-east-1", account: String = "111122223333",
               readOnly: Bool, management: Bool = true, resources: [(String, String)] = []) -> SelectableEvent {
        let res = resources.map { #"{"type":"\#($0.0)","ARN":"\#($0.1)"}"# }.joined(separator: ",")
        return SelectableEvent(StoredAuditEvent(
            eventId: UUID().uuidString, account: account, region: region, eventTimeMillis: 0, eventSource: source, eventName: name,
            readOnly: readOnly, management: management, username: nil, accessKeyId: nil, requestId: "r", errorCode: nil,
            record: #"{"eventName":"\#(name)","resources":[\#(res)]}"#))
    }

    func delivers(_ t: TrailRecord, _ e: SelectableEvent) -> Bool {
        var e = e
        return t.delivers(&e)
    }

    func testDefaultsScopeAndBasicSelectors() throws {
        var t = trail()
        XCTAssertTrue(delivers(t, event("Encrypt", readOnly: true)))
        XCTAssertFalse(delivers(t, event("Encrypt", region: "eu-west-1", readOnly: true)), "single-region trail")
        XCTAssertFalse(delivers(t, event("Encrypt", account: "999999999999", readOnly: true)), "other account")
        let put = event("PutObject", source: "s3.amazonaws.com", readOnly: false, management: false,
                        resources: [("AWS::S3::Object", "arn:aws:s3:::data/in/x"), ("AWS::S3::Bucket", "arn:aws:s3:::data")])
        XCTAssertFalse(delivers(t, put), "no data events by default")
        t.isMultiRegionTrail = true
        XCTAssertTrue(delivers(t, event("Encrypt", region: "eu-west-1", readOnly: true)))
        t.eventSelectors = try EventSelection.basic([CloudTrail.EventSelector(
            readWriteType: .writeOnly, includeManagementEvents: true,
            dataResources: [CloudTrail.DataResource(type: "AWS::S3::Object", values: ["arn:aws:s3:::data/in/"])],
            excludeManagementEventSources: ["kms.amazonaws.com"])])
        XCTAssertTrue(delivers(t, put))
        XCTAssertFalse(delivers(t, event("CreateKey", readOnly: false)), "kms excluded")
        XCTAssertTrue(delivers(t, event("CreateTrail", source: "cloudtrail.amazonaws.com", readOnly: false)))
        XCTAssertFalse(delivers(t, event("GetTrail", source: "cloudtrail.amazonaws.com", readOnly: true)), "write only")
        let outside = event("PutObject", source: "s3.amazonaws.com", readOnly: false, management: false,
                            resources: [("AWS::S3::Object", "arn:aws:s3:::data/out/x")])
        XCTAssertFalse(delivers(t, outside), "prefix not selected")
        t.eventSelectors = try EventSelection.basic([CloudTrail.EventSelector(
            includeManagementEvents: false, dataResources: [CloudTrail.DataResource(type: "AWS::S3::Object", values: ["arn:aws:s3"])])])
        XCTAssertTrue(delivers(t, outside), "arn:aws:s3 selects every object")
        XCTAssertFalse(delivers(t, event("CreateTrail", source: "cloudtrail.amazonaws.com", readOnly: false)))
    }

    func testAdvancedSelectors() throws {
        var t = trail()
        t.advancedEventSelectors = try EventSelection.advanced([
            CloudTrail.AdvancedEventSelector(fieldSelectors: [
                CloudTrail.AdvancedFieldSelector(field: "eventCategory", equals: ["Management"]),
                CloudTrail.AdvancedFieldSelector(field: "readOnly", equals: ["false"]),
            ]),
            CloudTrail.AdvancedEventSelector(fieldSelectors: [
                CloudTrail.AdvancedFieldSelector(field: "eventCategory", equals: ["Data"]),
                CloudTrail.AdvancedFieldSelector(field: "resources.type", equals: ["AWS::S3::Object"]),
                CloudTrail.AdvancedFieldSelector(field: "eventName", notEquals: ["GetObject"]),
                CloudTrail.AdvancedFieldSelector(field: "resources.ARN", startsWith: ["arn:aws:s3:::data/"], notEndsWith: [".tmp"]),
            ]),
        ])
        XCTAssertTrue(delivers(t, event("CreateKey", readOnly: false)))
        XCTAssertFalse(delivers(t, event("Encrypt", readOnly: true)))
        func s3(_ name: String, _ arn: String) -> SelectableEvent {
            event(name, source: "s3.amazonaws.com", readOnly: name == "GetObject", management: false, resources: [("AWS::S3::Object", arn)])
        }
        XCTAssertTrue(delivers(t, s3("PutObject", "arn:aws:s3:::data/x")))
        XCTAssertFalse(delivers(t, s3("GetObject", "arn:aws:s3:::data/x")))
        XCTAssertFalse(delivers(t, s3("PutObject", "arn:aws:s3:::data/x.tmp")))
        XCTAssertFalse(delivers(t, s3("PutObject", "arn:aws:s3:::other/x")))
        XCTAssertThrowsError(try EventSelection.advanced([CloudTrail.AdvancedEventSelector(fieldSelectors: [
            CloudTrail.AdvancedFieldSelector(field: "eventCategory", equals: ["Management"]),
            CloudTrail.AdvancedFieldSelector(field: "eventSource", notEquals: ["sts.amazonaws.com"]),
        ])]))
    }

    func testGzipIsStableAndRoundTrips() throws {
        let body = Array(String(repeating: #"{"Records":[{"eventName":"Encrypt"}]}"#, count: 50).utf8)
        let a = try Gzip.compress(body)
        let b = try Gzip.compress(body)
        XCTAssertEqual(a, b, "a redone batch must produce the same bytes")
        XCTAssertEqual(Array(a.prefix(2)), [0x1F, 0x8B])
        XCTAssertLessThan(a.count, body.count)
        XCTAssertEqual(Gzip.decompress(a), body)
        XCTAssertNil(Gzip.decompress(Array(a.dropLast(4)) + [0, 0, 0, 1]))
    }
}
