// UUIDv7 ids: well-formed, unique, ordered by time.
import Foundation
import WardenCore
import XCTest

final class TimeOrderedIDTests: XCTestCase {
    func testFormatUniquenessAndOrder() {
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        var seen = Set<String>()
        var previous = ""
        for i in 0..<5000 {
            // 2 ms apart: far enough that floating-point rounding cannot put two ids in one millisecond.
            let id = TimeOrderedID.make(now: t0.addingTimeInterval(Double(i) * 0.002))
            XCTAssertEqual(id.count, 36)
            XCTAssertNotNil(UUID(uuidString: id), id)
            let chars = Array(id)
            XCTAssertEqual(chars[14], "7")
            XCTAssertTrue("89ab".contains(chars[19]), id)
            XCTAssertTrue(seen.insert(id).inserted)
            XCTAssertGreaterThan(id, previous)
            previous = id
        }
    }
}
