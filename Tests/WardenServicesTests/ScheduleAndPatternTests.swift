// Schedule expressions (rate and cron with L, W and #) and CloudWatch Logs filter patterns, unit by unit.
import Foundation
import XCTest
@testable import WardenServices

final class ScheduleAndPatternTests: XCTestCase {
    static func utc(_ text: String) -> Date {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        return f.date(from: text) ?? Date(timeIntervalSince1970: 0)
    }

    func next(_ expr: String, after: String) throws -> String? {
        let s = try Schedule(expr)
        guard let d = s.next(after: Self.utc(after)) else { return nil }
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d)
    }

    func testRates() throws {
        XCTAssertEqual(try next("rate(1 minute)", after: "2026-11-26T10:00:30Z"), "2026-11-26T10:01:30Z")
        XCTAssertEqual(try next("rate(5 hours)", after: "2026-11-26T10:00:00Z"), "2026-11-26T15:00:00Z")
        XCTAssertEqual(try next("rate(2 days)", after: "2026-11-26T10:00:00Z"), "2026-11-28T10:00:00Z")
        for bad in ["rate(1 minutes)", "rate(2 minute)", "rate(0 minutes)", "rate(-1 minutes)", "rate(1 week)", "rate(1)", "rate()"] {
            XCTAssertThrowsError(try Schedule(bad), bad)
        }
    }

    func testCronFields() throws {
        // Every 5 minutes.
        XCTAssertEqual(try next("cron(0/5 * * * ? *)", after: "2026-11-26T10:02:10Z"), "2026-11-26T10:05:00Z")
        // 12:00 on weekdays (2026-11-28 is a Saturday).
        XCTAssertEqual(try next("cron(0 12 ? * MON-FRI *)", after: "2026-11-27T12:00:00Z"), "2026-11-30T12:00:00Z")
        // The last day of the month, and three days before it.
        XCTAssertEqual(try next("cron(30 6 L * ? *)", after: "2026-02-10T00:00:00Z"), "2026-02-28T06:30:00Z")
        XCTAssertEqual(try next("cron(0 0 L-2 * ? *)", after: "2026-04-01T00:00:00Z"), "2026-04-28T00:00:00Z")
        // The weekday nearest the 15th: 2026-11-15 is a Sunday, so Monday the 16th.
        XCTAssertEqual(try next("cron(0 9 15W * ? *)", after: "2026-11-01T00:00:00Z"), "2026-11-16T09:00:00Z")
        // The second Tuesday, and the last Friday, of the month.
        XCTAssertEqual(try next("cron(0 8 ? * 3#2 *)", after: "2026-12-01T00:00:00Z"), "2026-12-08T08:00:00Z")
        XCTAssertEqual(try next("cron(0 8 ? * 6L *)", after: "2026-12-01T00:00:00Z"), "2026-12-25T08:00:00Z")
        // Named months and a year.
        XCTAssertEqual(try next("cron(15 10 1 JAN,JUL ? 2027)", after: "2026-11-26T00:00:00Z"), "2027-01-01T10:15:00Z")
        XCTAssertNil(try next("cron(0 0 1 1 ? 2020)", after: "2026-11-26T00:00:00Z"))
        for bad in ["cron(0 12 * * * *)", "cron(0 12 ? * ? *)", "cron(60 * * * ? *)", "cron(0 24 * * ? *)", "cron(0 0 32 * ? *)",
                    "cron(0 0 ? * 8 *)", "cron(0 0 ? * MON-XYZ *)", "cron(0 0 * *)", "cron(0 0 ? * 2#6 *)", "every day"] {
            XCTAssertThrowsError(try Schedule(bad), bad)
        }
    }

    func matches(_ pattern: String, _ message: String) throws -> [String: String]? {
        try LogFilterPattern(pattern).match(message)
    }

    func testTermsPhrasesAndRegex() throws {
        XCTAssertNotNil(try matches("ERROR", "an ERROR here"))
        XCTAssertNil(try matches("ERROR", "an error here"))  // case-sensitive
        XCTAssertNotNil(try matches("ERROR disk", "disk ERROR"))
        XCTAssertNil(try matches("ERROR disk", "ERROR net"))
        XCTAssertNotNil(try matches("?ERROR ?WARN", "WARN low"))
        XCTAssertNil(try matches("?ERROR ?WARN", "INFO ok"))
        XCTAssertNotNil(try matches(#""disk full""#, "the disk full now"))
        XCTAssertNil(try matches(#""disk full""#, "full disk"))
        XCTAssertNotNil(try matches("ERROR -retry", "ERROR fatal"))
        XCTAssertNil(try matches("ERROR -retry", "ERROR will retry"))
        XCTAssertNotNil(try matches("%[0-9]{3} ms%", "took 250 ms"))
        XCTAssertNil(try matches("%^took%", "it took 250 ms"))
        XCTAssertThrowsError(try LogFilterPattern("%(a+)+$%"))  // no groups, as CloudWatch Logs allows
        XCTAssertThrowsError(try LogFilterPattern("%something!%"))
        XCTAssertNotNil(try matches("", "anything"))
    }

    func testJSONPatterns() throws {
        let m = #"{"a": {"b": [1, {"c": "x"}]}, "n": 2.5, "s": "hello", "t": true, "z": null}"#
        XCTAssertEqual(try matches("{ $.a.b[1].c = \"x\" }", m), ["$.a.b[1].c": "x"])
        XCTAssertNotNil(try matches("{ $.n > 2 && $.n < 3 }", m))
        XCTAssertNil(try matches("{ $.n >= 3 }", m))
        XCTAssertNotNil(try matches("{ $.s = \"he*\" }", m))
        XCTAssertNotNil(try matches("{ $.s = %^h.l+o$% }", m))
        XCTAssertNotNil(try matches("{ $.t IS TRUE || $.missing = 1 }", m))
        XCTAssertNotNil(try matches("{ $.z IS NULL }", m))
        XCTAssertNotNil(try matches("{ $.missing NOT EXISTS }", m))
        XCTAssertNil(try matches("{ $.s NOT EXISTS }", m))
        XCTAssertNotNil(try matches("{ ($.n = 1 || $.n = 2.5) && $.s != \"bye\" }", m))
        XCTAssertNil(try matches("{ $.s = \"hello\" }", "not json"))
        XCTAssertThrowsError(try LogFilterPattern("{ " + String(repeating: "(", count: 200) + "$.a = 1" + String(repeating: ")", count: 200) + " }"))
        for bad in ["{ $.a = ", "{ a = 1 }", "{ $.a = 1", "{ $.a IS MAYBE }", "{ $.a ~ 1 }", "{ $.a = 1 } extra"] {
            XCTAssertThrowsError(try LogFilterPattern(bad), bad)
        }
    }

    func testSpaceDelimitedPatterns() throws {
        let line = #"10.0.0.1 - bob [26/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 404 512"#
        let all = try matches("[ip, id, user, ts, request, status, bytes]", line)
        XCTAssertEqual(all?["$request"], "GET /a HTTP/1.1")
        XCTAssertEqual(all?["$ts"], "26/Nov/2026:10:00:00 +0000")
        XCTAssertNil(try matches("[ip, id, user, ts, request, status]", line))  // six fields, seven tokens
        XCTAssertNotNil(try matches("[..., status = 4*, bytes > 500]", line))
        XCTAssertNil(try matches("[..., status = 4*, bytes > 600]", line))
        XCTAssertNotNil(try matches("[ip = 10.*, ..., status = 500 || status = 404, bytes]", line))
        XCTAssertNotNil(try matches("[ip, ..., bytes >= 500 && bytes <= 512]", line))
        XCTAssertThrowsError(try LogFilterPattern("[a, b"))
        XCTAssertThrowsError(try LogFilterPattern("[a = 1 && b = 2]"))
    }

    func testManyEllipsesStayFastAndGzipBodiesAreBounded() throws {
        let message = (0..<3000).map { "t\($0)" }.joined(separator: " ")
        let started = Date()
        XCTAssertNil(try matches("[..., ..., ..., ..., ..., ..., x = nope]", message))
        XCTAssertEqual(try matches("[..., a = t10, ..., b = t2999]", message), ["$a": "t10", "$b": "t2999"])
        let huge = Array(repeating: "x", count: 200_000).joined(separator: " ")
        XCTAssertNotNil(try matches("[first, ..., last = x]", huge))
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        let big = try Gzip.compress(Array(repeating: 0x41, count: 1_000_000))
        XCTAssertEqual(Gzip.decompress(big, limit: 2_000_000)?.count, 1_000_000)
        XCTAssertNil(Gzip.decompress(big, limit: 100_000))
        XCTAssertNil(Gzip.decompress([0x1F, 0x8B, 0x08, 0x00], limit: 100))
    }

    func testMetricValuesAndDimensions() throws {
        let p = try LogFilterPattern("{ $.latency > 0 }")
        let m = #"{"latency": 42, "op": "get"}"#
        let x = try XCTUnwrap(p.match(m))
        XCTAssertEqual(p.value("$.latency", message: m, extracted: x), 42)
        XCTAssertEqual(p.value("1", message: m, extracted: x), 1)
        XCTAssertEqual(p.text("$.op", message: m, extracted: x), "get")
        let d = try LogFilterPattern("[op, ms]")
        let y = try XCTUnwrap(d.match("put 17"))
        XCTAssertEqual(d.value("$ms", message: "put 17", extracted: y), 17)
    }
}
