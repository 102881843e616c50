// The token bucket that paces message move tasks, and the task handle format, on explicit times.
import Foundation
import XCTest
@testable import WardenServices

final class SQSMoveRateTests: XCTestCase {
    func testStartsFullThenRefillsByElapsedTime() {
        var r = MoveRate(rate: 500, now: 0)
        XCTAssertEqual(r.take(100, now: 0), 100, "the first messages move at once")
        XCTAssertEqual(r.take(1000, now: 0), 400, "at most one second's worth")
        XCTAssertEqual(r.take(100, now: 0), 0)
        XCTAssertEqual(r.take(1000, now: 0.25), 125, "a quarter second refills a quarter of the rate")
        XCTAssertEqual(r.take(1000, now: 10), 500, "a long wait does not save up more than one second")
    }

    func testRateHeldAcrossManySmallSteps() {
        var r = MoveRate(rate: 7, now: 0)
        var moved = r.take(100, now: 0)
        XCTAssertEqual(moved, 7)
        var t = 0.0
        while t < 10 {
            t += 0.03
            moved += r.take(100, now: t)
        }
        // 7 at once, then 7 a second for ~10 s: fractions of a token carry over between steps.
        XCTAssertTrue(abs(moved - 77) <= 1, "moved \(moved)")
    }

    func testRefundAndClockGoingBackwards() {
        var r = MoveRate(rate: 2, now: 5)
        XCTAssertEqual(r.take(2, now: 5), 2)
        r.refund(1)
        XCTAssertEqual(r.take(5, now: 4), 1, "an earlier time adds nothing")
        r.refund(10)
        XCTAssertEqual(r.take(5, now: 5), 2, "a refund never fills past the bucket")
    }

    func testTaskHandleIsBase64JSONOfTaskIdAndSourceArn() throws {
        let h = MoveTaskHandle(taskId: "10f57157-fc38-4da9-a113-4de7e12d05dd", sourceArn: "arn:aws:sqs:us-east-1:123456789012:dlq")
        let raw = try XCTUnwrap(Data(base64Encoded: h.encoded))
        XCTAssertEqual(String(decoding: raw, as: UTF8.self),
                       #"{"taskId":"10f57157-fc38-4da9-a113-4de7e12d05dd","sourceArn":"arn:aws:sqs:us-east-1:123456789012:dlq"}"#)
        XCTAssertEqual(MoveTaskHandle.decode(h.encoded), h)
        XCTAssertNil(MoveTaskHandle.decode("foobared"))
        XCTAssertNil(MoveTaskHandle.decode(Data(#"{"taskId":"x"}"#.utf8).base64EncodedString()))
    }
}
