// Parsing the Authorization header or presigned query parameters into their parts, with AWS's messages.
import Foundation
import WardenCore

/// `yyyyMMdd'T'HHmmss'Z'` timestamps.
public enum AmzDate {
    public static func parse(_ s: String) -> Date? {
        let b = Array(s.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let y = num(0..<4), let mo = num(4..<6), let d = num(6..<8), let h = num(9..<11), let mi = num(11..<13),
              let se = num(13..<15), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61
        else { return nil }
        // days from civil (Howard Hinnant)
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Date(timeIntervalSince1970: TimeInterval(days * 86400 + h * 3600 + mi * 60 + se))
    }

    public static func format(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: date)
    }

    static func parseHTTPDate(_ s: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: s)
    }
}

/// The signature parts of a request (Authorization header or presigned query), parsed once per request.
public struct SigV4AuthData: Sendable {
    public var scope: SigV4Scope
    var signedHeaders: [String]
    var signature: String
    var amzDate: String
    var date: Date
    var presigned: Bool
    var expires: Int?
    var sessionToken: String?

    static let algorithm = "AWS4-HMAC-SHA256"

    public static func parse(_ request: SigV4Request) throws(AuthFailure) -> SigV4AuthData {
        if let header = request.header("authorization") {
            return try parseHeader(header, request: request)
        }
        let query = request.queryItems
        if query.contains(where: { $0.0 == "X-Amz-Algorithm" || $0.0 == "X-Amz-Credential" || $0.0 == "X-Amz-Signature" }) {
            return try parseQuery(query)
        }
        throw .missingAuthentication
    }

    static func parseHeader(_ header: String, request: SigV4Request) throws(AuthFailure) -> SigV4AuthData {
        // Byte-level: this runs on every request, and Character-based slicing costs more than the crypto.
        let u = Array(header.utf8)
        var i = 0
        while i < u.count, u[i] == 0x20 || u[i] == 0x09 { i += 1 }
        let algStart = i
        while i < u.count, u[i] != 0x20 { i += 1 }
        guard i < u.count else {
            throw .incompleteSignature("Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=\(header)")
        }
        let algorithm = String(decoding: u[algStart..<i], as: UTF8.self)
        guard algorithm == Self.algorithm else {
            throw .incompleteSignature("Unsupported AWS 'algorithm': '\(algorithm)'")
        }
        var parts: [String: String] = [:]
        for token in u[(i + 1)...].split(separator: 0x2C) {
            var a = token.startIndex, b = token.endIndex
            while a < b, token[a] == 0x20 || token[a] == 0x09 { a += 1 }
            while b > a, token[b - 1] == 0x20 || token[b - 1] == 0x09 { b -= 1 }
            if a == b { continue }
            guard let eq = token[a..<b].firstIndex(of: 0x3D) else {
                let t = String(decoding: token[a..<b], as: UTF8.self)
                throw .incompleteSignature("'\(t)' not a valid key=value pair (missing equal-sign) in Authorization header: '\(header)'.")
            }
            parts[String(decoding: token[a..<eq], as: UTF8.self)] = String(decoding: token[(eq + 1)..<b], as: UTF8.self)
        }
        var missing: [String] = []
        if parts["Credential"] == nil { missing.append("Authorization header requires 'Credential' parameter.") }
        if parts["Signature"] == nil { missing.append("Authorization header requires 'Signature' parameter.") }
        if parts["SignedHeaders"] == nil { missing.append("Authorization header requires 'SignedHeaders' parameter.") }
        let amzHeader = request.header("x-amz-date")
        let httpDate = request.header("date")
        if amzHeader == nil && httpDate == nil {
            missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        }
        guard missing.isEmpty, let credential = parts["Credential"], let signature = parts["Signature"],
              let signed = parts["SignedHeaders"] else {
            throw .incompleteSignature(missing.joined(separator: " ") + " Authorization=\(header)")
        }
        let amzDate: String
        let date: Date
        if let amzHeader {
            guard let d = AmzDate.parse(amzHeader) else {
                throw .incompleteSignature("Date must be in ISO-8601 'basic format'. Got '\(amzHeader)'. See http://en.wikipedia.org/wiki/ISO_8601")
            }
            amzDate = amzHeader
            date = d
        } else {
            guard let httpDate, let d = AmzDate.parseHTTPDate(httpDate) else {
                throw .incompleteSignature("Date header is not in a valid format.")
            }
            amzDate = AmzDate.format(d)
            date = d
        }
        let scope = try parseScope(credential)
        try checkScopeDate(scope, amzDate: amzDate)
        return SigV4AuthData(scope: scope, signedHeaders: signed.split(separator: ";").map { String($0) },
                             signature: signature, amzDate: amzDate, date: date, presigned: false, expires: nil,
                             sessionToken: request.header("x-amz-security-token"))
    }

    static func parseQuery(_ items: [(String, String)]) throws(AuthFailure) -> SigV4AuthData {
        var q: [String: String] = [:]
        for (k, v) in items where q[k] == nil { q[k] = v }
        var missing: [String] = []
        for name in ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"]
        where q[name] == nil {
            missing.append("AWS query-string parameters must include '\(name)'.")
        }
        guard missing.isEmpty, let algorithm = q["X-Amz-Algorithm"], let credential = q["X-Amz-Credential"],
              let signature = q["X-Amz-Signature"], let signed = q["X-Amz-SignedHeaders"], let amzDate = q["X-Amz-Date"]
        else { throw .incompleteSignature(missing.joined(separator: " ") + " Re-examine the query-string parameters.") }
        guard algorithm == Self.algorithm else {
            throw .incompleteSignature("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        }
        guard let date = AmzDate.parse(amzDate) else {
            throw .incompleteSignature("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        }
        var expires: Int? = nil
        if let e = q["X-Amz-Expires"] {
            guard let n = Int(e), n >= 1, n <= 604_800 else {
                throw .incompleteSignature("X-Amz-Expires must be between 1 and 604800 seconds")
            }
            expires = n
        }
        let scope = try parseScope(credential)
        try checkScopeDate(scope, amzDate: amzDate)
        return SigV4AuthData(scope: scope, signedHeaders: signed.split(separator: ";").map { String($0) },
                             signature: signature, amzDate: amzDate, date: date, presigned: true,
                             expires: expires ?? 900, sessionToken: q["X-Amz-Security-Token"])
    }

    static func parseScope(_ credential: String) throws(AuthFailure) -> SigV4Scope {
        let p = Array(credential.utf8).split(separator: 0x2F, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        guard p.count == 5, !p[0].isEmpty else {
            throw .incompleteSignature("Credential should be scoped to a valid region, not '\(p.count > 2 ? p[2] : "")'. ")
        }
        guard p[4] == "aws4_request" else {
            throw .incompleteSignature("Credential should be scoped with a valid terminator: 'aws4_request', not '\(p[4])'. ")
        }
        return SigV4Scope(accessKeyId: p[0], date: p[1], region: p[2], service: p[3])
    }

    static func checkScopeDate(_ scope: SigV4Scope, amzDate: String) throws(AuthFailure) {
        let day = String(amzDate.prefix(8))
        guard scope.date == day else {
            throw .signatureMismatch("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '\(scope.date)' != '\(day)', from '\(amzDate)'.")
        }
    }
}
