// Timestamp text forms: ISO-8601 for Query/XML and CloudTrail, epoch seconds for JSON.
import Foundation

public enum Timestamps {
    /// `2024-01-15T12:30:00.123Z` (milliseconds, UTC), as AWS Query services write them.
    public static func iso8601(_ date: Date, fractional: Bool = true) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let frac = ms - secs * 1000
        let (y, mo, d, h, mi, s) = civil(secs)
        func pad(_ v: Int, _ width: Int) -> String {
            let t = String(v)
            return t.count >= width ? t : String(repeating: "0", count: width - t.count) + t
        }
        let base = "\(pad(y, 4))-\(pad(mo, 2))-\(pad(d, 2))T\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2))"
        return fractional ? base + "." + pad(Int(frac), 3) + "Z" : base + "Z"
    }

    /// Parses ISO-8601 with optional fractional seconds and `Z` or `±hh:mm`.
    public static func parseISO8601(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }

    /// Days-from-civil inverse (Howard Hinnant's algorithm): no Calendar, no locale.
    public static func civil(_ epochSeconds: Int64) -> (Int, Int, Int, Int, Int, Int) {
        let days = epochSeconds >= 0 ? epochSeconds / 86400 : (epochSeconds - 86399) / 86400
        let rem = Int(epochSeconds - days * 86400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        let y = Int(yoe + era * 400) + (m <= 2 ? 1 : 0)
        return (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
    }
}
