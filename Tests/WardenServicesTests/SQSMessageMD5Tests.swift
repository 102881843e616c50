// The MD5 fields SQS SDKs verify, against the spec's vectors.
import Foundation
import XCTest
@testable import WardenServices

final class SQSMessageMD5Tests: XCTestCase {
    func testBodyAndAttributeVectors() {
        XCTAssertEqual(MessageMD5.body("hi"), "49f68a5c8493ec2c0bf489821c21fc3b")
        let attrs = [StoredAttribute(name: "k", dataType: "String", string: "v"),
                     StoredAttribute(name: "n", dataType: "Number", string: "42"),
                     StoredAttribute(name: "b", dataType: "Binary", binary: Data([1, 2]).base64EncodedString())]
        XCTAssertEqual(MessageMD5.attributes(attrs), "70365af2d0c804f26166bb6794ee77e4", "sorted by name: b, k, n")
        XCTAssertNil(MessageMD5.attributes([]))
    }

    func testBodyCharacters() {
        XCTAssertTrue(SQSService.isValidBody("tab\tnewline\n\u{E000}\u{10FFFF}"))
        XCTAssertFalse(SQSService.isValidBody("nul\u{0}"))
        XCTAssertFalse(SQSService.isValidBody("\u{FFFE}"))
    }
}
