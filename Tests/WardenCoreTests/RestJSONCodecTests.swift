// REST-JSON: path templates (labels, greedy labels, literal query parts), located members, payload bodies.
import Foundation
import WardenAPI
import WardenCore
import WardenProtocol
import XCTest

final class RestJSONCodecTests: XCTestCase {
    func testPathTemplates() {
        let t = "/2015-03-31/functions/{FunctionName}/invocations"
        XCTAssertEqual(RestJSONProtocol.match(template: t, path: "/2015-03-31/functions/my%3Afn/invocations", query: [:]),
                       ["FunctionName": "my:fn"])
        XCTAssertNil(RestJSONProtocol.match(template: t, path: "/2015-03-31/functions/fn", query: [:]))
        XCTAssertNil(RestJSONProtocol.match(template: t, path: "/2015-03-31/functions//invocations", query: [:]))
        XCTAssertEqual(RestJSONProtocol.match(template: "/{Bucket}/{Key+}", path: "/b/a/b%20c", query: [:]), ["Bucket": "b", "Key": "a/b c"])
        XCTAssertNil(RestJSONProtocol.match(template: "/x?versioning", path: "/x", query: [:]))
        XCTAssertEqual(RestJSONProtocol.match(template: "/x?versioning", path: "/x", query: ["versioning": [""]]), [:])
        XCTAssertEqual(RestJSONProtocol.parseQuery("tagKeys=a&tagKeys=b%20c&x"), ["tagKeys": ["a", "b c"], "x": [""]])
    }

    func testLocatedMembersAndPayload() throws {
        let v = try RestJSONProtocol.decode(labels: ["FunctionName": "fn"], query: ["Qualifier": ["$LATEST"]],
                                            header: { $0.lowercased() == "x-amz-invocation-type" ? "Event" : nil },
                                            body: Array("{\"a\":1}".utf8), shape: Lambda.InvocationRequest.shape)
        let input = try Lambda.InvocationRequest(from: v)
        XCTAssertEqual(input.functionName, "fn")
        XCTAssertEqual(input.qualifier, "$LATEST")
        XCTAssertEqual(input.invocationType, .event)
        XCTAssertEqual(input.payload, Array("{\"a\":1}".utf8), "the payload member is the raw body")
        let out = Lambda.InvocationResponse(statusCode: 200, functionError: "Unhandled", payload: Array("{}".utf8), executedVersion: "$LATEST")
        let e = RestJSONProtocol.encode(out.toValue(), shape: Lambda.InvocationResponse.shape, status: 200)
        XCTAssertEqual(e.status, 200)
        XCTAssertEqual(e.body, Array("{}".utf8))
        XCTAssertTrue(e.headers.contains { $0 == ("X-Amz-Function-Error", "Unhandled") })
        let untag = try Lambda.UntagResourceRequest(from: RestJSONProtocol.decode(
            labels: ["Resource": "arn"], query: ["tagKeys": ["a", "b"]], header: { _ in nil }, body: [],
            shape: Lambda.UntagResourceRequest.shape))
        XCTAssertEqual(untag.tagKeys, ["a", "b"])
    }
}
