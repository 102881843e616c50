// Unit vectors for the building blocks: wildcard patterns, variables, CIDR blocks, dates, base64 and operator names.

@testable import WardenPolicy
import XCTest

final class MatcherTests: XCTestCase {
    func testGlobFormsAndMatches() {
        let vectors: [(String, String, Bool, Glob.Form)] = [
            ("*", "anything", true, .any),
            ("**", "", true, .any),
            ("s3:getobject", "s3:getobject", true, .exact),
            ("s3:getobject", "s3:getobjectacl", false, .exact),
            ("s3:get*", "s3:getobjectacl", true, .prefix),
            ("s3:get*", "s3:putobject", false, .prefix),
            ("*report", "iam:generatecredentialreport", true, .suffix),
            ("*accesskey*", "iam:updateaccesskey", true, .contains),
            ("*accesskey*", "iam:getuser", false, .contains),
            ("iam:*access*key*", "iam:listaccesskeys", true, .general),
            ("t?.micro", "t3.micro", true, .general),
            ("t?.micro", "t.micro", false, .general),
            ("a*b*c", "abbbbc", true, .general),
            ("a*b*c", "abbbbd", false, .general),
            ("?", "é", true, .general),
            ("??", "é", false, .general),
            ("*a*a*a*a*a*b", String(repeating: "a", count: 200), false, .general),
            ("", "", true, .exact),
            ("", "x", false, .exact),
        ]
        for (pattern, input, expected, form) in vectors {
            let g = Glob(pattern: pattern)
            XCTAssertEqual(g.form, form, pattern)
            XCTAssertEqual(g.matches(input), expected, "\(pattern) vs \(input)")
        }
        XCTAssertTrue(Glob(literal: "a*b").matches("a*b"))
        XCTAssertFalse(Glob(literal: "a*b").matches("axb"))
    }

    func testTemplates() throws {
        XCTAssertNil(Template.parse("arn:aws:s3:::bucket/*"))
        XCTAssertNil(Template.parse("${unterminated"))
        let t = try XCTUnwrap(Template.parse("home/${aws:username}/${*}/${aws:userid, 'anonymous'}"))
        XCTAssertEqual(t.variables.map(\.key), ["aws:username", "aws:userid"])
        XCTAssertEqual(t.variables.map(\.defaultValue), [nil, "anonymous"])
        let lookup: (String) -> [String]? = { $0 == "aws:username" ? ["David"] : nil }
        XCTAssertEqual(t.fill(lookup)?.joined, "home/David/*/anonymous")
        XCTAssertNil(t.fill { _ in nil })
        XCTAssertEqual(t.unresolvedKeys { _ in nil }, ["aws:username"])
        // A default must be quoted; otherwise the text is left as written.
        XCTAssertNil(Template.parse("${aws:username, anonymous}"))
    }

    func testNetworks() throws {
        let v4 = try XCTUnwrap(IPNetwork("203.0.113.0/24"))
        XCTAssertTrue(v4.contains(try XCTUnwrap(IPNetwork("203.0.113.255"))))
        XCTAssertFalse(v4.contains(try XCTUnwrap(IPNetwork("203.0.112.255"))))
        XCTAssertEqual(IPNetwork("10.1.2.3")?.prefix, 32)
        XCTAssertTrue(try XCTUnwrap(IPNetwork("0.0.0.0/0")).contains(try XCTUnwrap(IPNetwork("8.8.8.8"))))
        XCTAssertTrue(try XCTUnwrap(IPNetwork("10.0.0.0/9")).contains(try XCTUnwrap(IPNetwork("10.127.0.1"))))
        XCTAssertFalse(try XCTUnwrap(IPNetwork("10.0.0.0/9")).contains(try XCTUnwrap(IPNetwork("10.128.0.1"))))
        let v6 = try XCTUnwrap(IPNetwork("2001:DB8:1234:5678::/64"))
        XCTAssertTrue(v6.contains(try XCTUnwrap(IPNetwork("2001:db8:1234:5678:ffff:ffff:ffff:ffff"))))
        XCTAssertFalse(v6.contains(try XCTUnwrap(IPNetwork("203.0.113.1"))))
        XCTAssertEqual(IPNetwork("::ffff:192.0.2.1")?.bytes.suffix(4), [192, 0, 2, 1])
        XCTAssertEqual(IPNetwork("::1")?.bytes.last, 1)
        for bad in ["256.0.0.1", "1.2.3", "10.0.0.0/33", "2001:db8::1::2", "::/129", "abc", "1.2.3.4/", "2001:db8:0:0:0:0:0:0:1"] {
            XCTAssertNil(IPNetwork(bad), bad)
        }
    }

    func testDates() {
        XCTAssertEqual(ScalarParsing.date("1970-01-01T00:00:00Z"), 0)
        XCTAssertEqual(ScalarParsing.date("2026-01-01T00:00:00Z"), 1_767_225_600)
        XCTAssertEqual(ScalarParsing.date("1767225600"), 1_767_225_600)
        XCTAssertEqual(ScalarParsing.date("2026-01-01"), 1_767_225_600)
        // Digits alone are epoch seconds (moto: a value without "t" or "-" is a timestamp), so "2026" is not a year.
        XCTAssertEqual(ScalarParsing.date("2026"), 2026)
        XCTAssertEqual(ScalarParsing.date("2026-01-01T01:00:00+01:00"), 1_767_225_600)
        XCTAssertEqual(ScalarParsing.date("2025-12-31T19:00-05:00"), 1_767_225_600)
        XCTAssertEqual(ScalarParsing.date("2026-01-01T00:00:00.5Z"), 1_767_225_600.5)
        XCTAssertEqual(ScalarParsing.date("2000-02-29T12:00:00Z"), 951_825_600)
        for bad in ["", "yesterday", "2026-13-01", "2026-01-01T25:00:00Z", "2026-01-01T00:00:00Q", "2026-01-01T00"] {
            XCTAssertNil(ScalarParsing.date(bad), bad)
        }
    }

    func testNumbersAndBase64() {
        XCTAssertEqual(ScalarParsing.number("10"), 10)
        XCTAssertEqual(ScalarParsing.number("-2.5"), -2.5)
        XCTAssertNil(ScalarParsing.number("nan"))
        XCTAssertNil(ScalarParsing.number("ten"))
        XCTAssertEqual(ScalarParsing.base64("QmluYXJ5VmFsdWVJbkJhc2U2NA==").map { String(decoding: $0, as: UTF8.self) },
                       "BinaryValueInBase64")
        XCTAssertEqual(ScalarParsing.base64("YQ"), [97])
        XCTAssertNil(ScalarParsing.base64("a=b"))
        XCTAssertNil(ScalarParsing.base64("*"))
    }

    func testOperatorNames() throws {
        let op = try XCTUnwrap(ConditionOperator("ForAnyValue:StringNotLikeIfExists"))
        XCTAssertEqual(op.test, .stringLike)
        XCTAssertTrue(op.negated)
        XCTAssertTrue(op.ifExists)
        XCTAssertEqual(op.qualifier, .forAnyValue)
        XCTAssertEqual(ConditionOperator("ArnNotEquals")?.test, .arnLike)
        XCTAssertNil(ConditionOperator("NullIfExists"))
        XCTAssertNil(ConditionOperator("stringequals"))
        XCTAssertNil(ConditionOperator("ForAllValues:"))
    }
}
