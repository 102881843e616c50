// Dates (W3C ISO 8601 profiles and epoch seconds), numbers and base64 as Date, Numeric and Binary conditions read them.

enum ScalarParsing {
    /// A number as NumericEquals & co. compare it; NaN and infinities are not numbers to IAM.
    static func number(_ s: String) -> Double? {
        guard !s.isEmpty, s.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 || $0 == 43 || $0 == 101 || $0 == 69 }),
              let d = Double(s), d.isFinite else { return nil }
        return d
    }

    /// Seconds since 1970 for an epoch value ("1767225600") or one of the W3C date-time profiles IAM names:
    /// YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.s]]TZD, where TZD is Z, +hh:mm or -hh:mm (UTC if absent).
    static func date(_ s: String) -> Double? {
        let b = Array(s.utf8)
        guard !b.isEmpty else { return nil }
        if b.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 }), b.filter({ $0 == 46 }).count <= 1 {
            return Double(s)
        }
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += n
            return v
        }
        func take(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4) else { return nil }
        var month = 1, day = 1, hour = 0, minute = 0
        var second = 0.0
        if take(45) {  // "-"
            guard let m = digits(2), (1...12).contains(m) else { return nil }
            month = m
            if take(45) {
                guard let d = digits(2), (1...31).contains(d) else { return nil }
                day = d
            }
        }
        var offset = 0
        if i < b.count, b[i] == 84 || b[i] == 116 {  // "T" or "t"
            i += 1
            guard let h = digits(2), h <= 23, take(58), let mi = digits(2), mi <= 59 else { return nil }
            hour = h
            minute = mi
            if take(58) {
                guard let sec = digits(2), sec <= 59 else { return nil }
                second = Double(sec)
                if take(46) {
                    let start = i
                    var fraction = 0.0, scale = 0.1
                    while i < b.count, b[i] >= 48, b[i] <= 57 {
                        fraction += Double(b[i] - 48) * scale
                        scale /= 10
                        i += 1
                    }
                    guard i > start else { return nil }
                    second += fraction
                }
            }
            if i < b.count {
                if b[i] == 90 || b[i] == 122 {  // "Z" or "z"
                    i += 1
                } else if b[i] == 43 || b[i] == 45 {  // "+" or "-"
                    let sign = b[i] == 43 ? 1 : -1
                    i += 1
                    guard let oh = digits(2), oh <= 23 else { return nil }
                    var om = 0
                    if take(58) {
                        guard let m = digits(2), m <= 59 else { return nil }
                        om = m
                    }
                    offset = sign * (oh * 3600 + om * 60)
                } else {
                    return nil
                }
            }
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year, month, day)
        return Double(days * 86400 + hour * 3600 + minute * 60 - offset) + second
    }

    /// Howard Hinnant's days-from-civil: no Calendar, no locale.
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = m > 2 ? m - 3 : m + 9
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Standard base64 (padding optional), as BinaryEquals values are written.
    static func base64(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count * 3 / 4)
        var acc: UInt32 = 0, bits = 0, padding = 0
        for c in s.utf8 {
            let v: UInt32
            switch c {
            case 65...90: v = UInt32(c - 65)
            case 97...122: v = UInt32(c - 97 + 26)
            case 48...57: v = UInt32(c - 48 + 52)
            case 43: v = 62
            case 47: v = 63
            case 61:
                padding += 1
                continue
            default: return nil
            }
            guard padding == 0 else { return nil }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> UInt32(bits)) & 0xFF))
            }
        }
        guard padding <= 2, bits < 6 else { return nil }
        return out
    }
}
