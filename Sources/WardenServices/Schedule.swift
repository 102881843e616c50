// Schedule expressions as EventBridge and Secrets Manager take them: `rate(N unit)` and the six-field `cron(minutes
// hours day-of-month month day-of-week year)` in UTC, with `, - * / ?`, month and weekday names, `L` (last day of the
// month, last weekday of a kind), `W` (nearest weekday) and `#` (nth weekday).
import Foundation

public struct Schedule: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case rate(seconds: Int)
        case cron(Cron)
    }

    public let kind: Kind
    public let text: String

    public struct Invalid: Error, Sendable { public let reason: String }

    public init(_ text: String) throws(Invalid) {
        self.text = text
        if text.hasPrefix("rate(") && text.hasSuffix(")") {
            let parts = text.dropFirst(5).dropLast().split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let n = Int(parts[0]), n > 0 else { throw Invalid(reason: "rate() takes a positive whole number and a unit") }
            let unit = String(parts[1])
            let singular = ["minute": 60, "hour": 3600, "day": 86_400]
            let plural = ["minutes": 60, "hours": 3600, "days": 86_400]
            if n == 1, let s = singular[unit] {
                kind = .rate(seconds: s)
            } else if n > 1, let s = plural[unit] {
                kind = .rate(seconds: n * s)
            } else {
                throw Invalid(reason: "rate() takes minute(s), hour(s) or day(s), singular for 1 and plural otherwise")
            }
        } else if text.hasPrefix("cron(") && text.hasSuffix(")") {
            kind = .cron(try Cron(String(text.dropFirst(5).dropLast())))
        } else {
            throw Invalid(reason: "a schedule is rate(...) or cron(...)")
        }
    }

    /// The first time strictly after `date` (whole minutes for cron; rate counts from `date`).
    public func next(after date: Date) -> Date? {
        switch kind {
        case .rate(let s): return date.addingTimeInterval(Double(s))
        case .cron(let c): return c.next(after: date)
        }
    }
}

public struct Cron: Sendable, Equatable {
    var minutes: Set<Int>
    var hours: Set<Int>
    var months: Set<Int>
    var years: Set<Int>?
    var dayOfMonth: DayRule
    var dayOfWeek: DayRule

    enum DayRule: Sendable, Equatable {
        case any
        case set(Set<Int>)
        case last(offset: Int)             // L, L-3 (day of month)
        case nearestWeekday(Int)           // 15W
        case lastWeekdayOfKind(Int)        // 5L (last Thursday)
        case nth(weekday: Int, n: Int)     // 3#2
    }

    static let monthNames = ["JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12]
    static let dayNames = ["SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7]

    init(_ text: String) throws(Schedule.Invalid) {
        let f = text.split(separator: " ").map { String($0).uppercased() }
        guard f.count == 6 else { throw Schedule.Invalid(reason: "cron() takes six fields: minutes hours day-of-month month day-of-week year") }
        minutes = try Self.values(f[0], 0...59, names: [:])
        hours = try Self.values(f[1], 0...23, names: [:])
        months = try Self.values(f[3], 1...12, names: Self.monthNames)
        years = f[5] == "*" ? nil : try Self.values(f[5], 1970...2199, names: [:])
        guard (f[2] == "?") != (f[4] == "?") else {
            throw Schedule.Invalid(reason: "one of day-of-month and day-of-week must be ?, and only one")
        }
        dayOfMonth = try Self.dayRule(f[2], 1...31, names: [:], monthDay: true)
        dayOfWeek = try Self.dayRule(f[4], 1...7, names: Self.dayNames, monthDay: false)
    }

    static func number(_ s: Substring, _ names: [String: Int]) -> Int? { Int(s) ?? names[String(s)] }

    static func values(_ field: String, _ range: ClosedRange<Int>, names: [String: Int]) throws(Schedule.Invalid) -> Set<Int> {
        var out = Set<Int>()
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            var body = part
            var step = 1
            if let slash = part.firstIndex(of: "/") {
                guard let s = Int(part[part.index(after: slash)...]), s > 0 else { throw Schedule.Invalid(reason: "bad step in \(field)") }
                step = s
                body = part[..<slash]
            }
            var lo = range.lowerBound
            var hi = range.upperBound
            if body == "*" {
                // the whole range
            } else if let dash = body.firstIndex(of: "-") {
                guard let a = number(body[..<dash], names), let b = number(body[body.index(after: dash)...], names) else {
                    throw Schedule.Invalid(reason: "bad range in \(field)")
                }
                lo = a
                hi = b
            } else {
                guard let v = number(body, names) else { throw Schedule.Invalid(reason: "bad value \(body) in \(field)") }
                lo = v
                hi = part.contains("/") ? range.upperBound : v
            }
            guard range.contains(lo), range.contains(hi), lo <= hi else { throw Schedule.Invalid(reason: "\(field) is out of range") }
            out.formUnion(stride(from: lo, through: hi, by: step))
        }
        return out
    }

    static func dayRule(_ field: String, _ range: ClosedRange<Int>, names: [String: Int], monthDay: Bool) throws(Schedule.Invalid) -> DayRule {
        if field == "?" { return .any }
        if field == "*" { return .set(Set(range)) }
        if monthDay {
            if field == "L" { return .last(offset: 0) }
            if field.hasPrefix("L-"), let n = Int(field.dropFirst(2)), (0...30).contains(n) { return .last(offset: n) }
            if field.hasSuffix("W"), let d = Int(field.dropLast()), range.contains(d) { return .nearestWeekday(d) }
        } else {
            if field == "L" { return .set([7]) }
            if field.hasSuffix("L"), let d = number(field.dropLast(), names), range.contains(d) { return .lastWeekdayOfKind(d) }
            if let hash = field.firstIndex(of: "#") {
                guard let d = number(field[..<hash], names), let n = Int(field[field.index(after: hash)...]), range.contains(d), (1...5).contains(n) else {
                    throw Schedule.Invalid(reason: "bad \(field)")
                }
                return .nth(weekday: d, n: n)
            }
        }
        return .set(try values(field, range, names: names))
    }

    static var utc: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current
        return c
    }

    /// Whether a day (UTC) matches the day rules.
    func dayMatches(year: Int, month: Int, day: Int, weekday: Int, daysInMonth: Int) -> Bool {
        func weekdayOf(_ d: Int) -> Int { ((weekday - 1 + (d - day)) % 7 + 7) % 7 + 1 }
        switch dayOfMonth {
        case .any: break
        case .set(let s): return s.contains(day)
        case .last(let off): return day == daysInMonth - off
        case .nearestWeekday(let target):
            let t = min(target, daysInMonth)
            var d = t
            let w = weekdayOf(t)
            if w == 7 { d = t == 1 ? t + 2 : t - 1 }        // Saturday → Friday (or Monday at the 1st)
            if w == 1 { d = t == daysInMonth ? t - 2 : t + 1 }  // Sunday → Monday (or Friday at the month's end)
            return day == d
        default: return false
        }
        switch dayOfWeek {
        case .any: return true
        case .set(let s): return s.contains(weekday)
        case .lastWeekdayOfKind(let k): return weekday == k && day + 7 > daysInMonth
        case .nth(let k, let n): return weekday == k && (day - 1) / 7 + 1 == n
        default: return false
        }
    }

    /// The first matching minute strictly after `date`, within the next five years.
    public func next(after date: Date) -> Date? {
        let cal = Self.utc
        var start = date.addingTimeInterval(60 - date.timeIntervalSince1970.truncatingRemainder(dividingBy: 60))
        let limit = date.addingTimeInterval(5 * 366 * 86_400)
        while start < limit {
            let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: start)
            guard let y = c.year, let mo = c.month, let d = c.day, let wd = c.weekday,
                  let days = cal.range(of: .day, in: .month, for: start)?.count else { return nil }
            let dayStart = cal.startOfDay(for: start)
            if !(years?.contains(y) ?? true) || !months.contains(mo) || !dayMatches(year: y, month: mo, day: d, weekday: wd, daysInMonth: days) {
                start = dayStart.addingTimeInterval(86_400)
                continue
            }
            let offset = Int(start.timeIntervalSince(dayStart)) / 60
            for m in offset..<(24 * 60) where hours.contains(m / 60) && minutes.contains(m % 60) {
                return dayStart.addingTimeInterval(Double(m * 60))
            }
            start = dayStart.addingTimeInterval(86_400)
        }
        return nil
    }
}
