// EventBridge event patterns: compiled the way AWS's pattern compiler reads them (a streaming JSON parser walked
// token by token), so an invalid pattern gets AWS's reason and the parser's position, and matched the way EventBridge
// matches: the event flattened into dotted paths of leaf values, a pattern key with dots the same as nested keys.
//
// Error texts are the ones AWS answers with (recorded TestEventPattern/PutRule responses) or, for the few not recorded,
// the open-source matcher's that produced every recorded one. AWS appends the JSON parser's position to most of them:
// `\n at [Source: (String)"<pattern as sent>"; line: 1, column: N]`. The column is where the parser stood: after the
// token it last read, where a string value is read only as far as its opening quote until its text is needed, and
// a member name is read together with the first character (or the whole number or literal) of its value. Syntax
// errors on a character point at the character itself. Every recorded column is reproduced this way.
// Some reasons carry no position (CIDR and IP ones); a few come with the position twice (errors inside anything-but
// lists, which AWS's compiler catches and re-raises).
import Foundation
import WardenCore

struct EventPattern: Sendable {
    enum Condition: Sendable {
        case exactString(String)
        /// A number: equal by value, or by its text.
        case number(Double?, String)
        /// `true`, `false` or `null` as written.
        case literal(String)
        case prefix(String, ignoreCase: Bool)
        case suffix(String, ignoreCase: Bool)
        case equalsIgnoreCase(String)
        case wildcard([WildcardPiece])
        case exists(Bool)
        case numeric(lower: (Double, Bool)?, upper: (Double, Bool)?, equal: Double?)
        case cidr([UInt8], [UInt8])
        case anythingBut(AnythingBut)
    }

    enum AnythingBut: Sendable {
        case strings(Set<String>)
        case numbers([Double])
        case ignoreCase(Set<String>)
        case prefixes([String])
        case suffixes([String])
        case wildcards([[WildcardPiece]])
    }

    enum WildcardPiece: Sendable, Equatable {
        case star
        case scalar(Unicode.Scalar)
    }

    /// Alternatives (one unless `$or` is used); each maps a dotted path to the conditions any of which must hold.
    let alternatives: [[String: [Condition]]]

    static let prefix = "Event pattern is not valid. Reason: "

    static func error(_ reason: String) -> AWSError {
        AWSError(code: "InvalidEventPatternException", status: 400, message: prefix + reason)
    }

    init(_ text: String) throws(AWSError) {
        var compiler = PatternCompiler(text)
        switch Result(catching: { () throws(PatternError) in try compiler.compile() }) {
        case .success(let a): alternatives = a
        case .failure(let e): throw Self.error(e.message)
        }
    }

    /// The exact string values a top-level key must take for any alternative to match, or nil when some alternative
    /// accepts other values (an index of rules by `source` uses it to skip rules that cannot match).
    func exactValues(of key: String) -> Set<String>? {
        var out = Set<String>()
        for alt in alternatives {
            guard let conditions = alt[key] else { return nil }
            for c in conditions {
                guard case .exactString(let v) = c else { return nil }
                out.insert(v)
            }
        }
        return out
    }

    // MARK: matching

    func matches(_ event: JSONValue) -> Bool {
        alternatives.contains { alt in
            alt.allSatisfy { path, conditions in
                let values = Self.leaves(event, path: Substring(path))
                return conditions.contains { Self.matches($0, values) }
            }
        }
    }

    /// The leaf values at a dotted path. An event key may itself contain dots: `a.b` in the event is the path `a.b`
    /// as much as `{"a": {"b": …}}` is. Arrays are looked through; objects are not leaves (exists matches leaves only).
    static func leaves(_ value: JSONValue, path: Substring) -> [JSONValue] {
        switch value {
        case .array(let items):
            return items.flatMap { leaves($0, path: path) }
        case .object(let members):
            guard !path.isEmpty else { return [] }
            var out: [JSONValue] = []
            for (k, v) in members {
                if path == k {
                    out += leaves(v, path: "")
                } else if path.hasPrefix(k), path.dropFirst(k.count).first == "." {
                    out += leaves(v, path: path.dropFirst(k.count + 1))
                }
            }
            return out
        default:
            return path.isEmpty ? [value] : []
        }
    }

    static func matches(_ c: Condition, _ values: [JSONValue]) -> Bool {
        switch c {
        case .exists(let want): return values.isEmpty != want
        default: return values.contains { matches(c, $0) }
        }
    }

    static func number(_ v: JSONValue) -> Double? {
        if case .number(let t) = v { return Double(t) }
        return nil
    }

    static func matches(_ c: Condition, _ v: JSONValue) -> Bool {
        switch c {
        case .exactString(let s):
            return v.stringValue == s
        case .number(let d, let text):
            guard case .number(let t) = v else { return false }
            return t == text || (d != nil && Double(t) == d)
        case .literal(let l):
            switch v {
            case .null: return l == "null"
            case .bool(let b): return l == (b ? "true" : "false")
            default: return false
            }
        case .prefix(let p, let ignoreCase):
            guard let s = v.stringValue else { return false }
            return ignoreCase ? s.lowercased().hasPrefix(p.lowercased()) : s.hasPrefix(p)
        case .suffix(let p, let ignoreCase):
            guard let s = v.stringValue else { return false }
            return ignoreCase ? s.lowercased().hasSuffix(p.lowercased()) : s.hasSuffix(p)
        case .equalsIgnoreCase(let p):
            guard let s = v.stringValue else { return false }
            return s.lowercased() == p.lowercased()
        case .wildcard(let pieces):
            guard let s = v.stringValue else { return false }
            return wildcardMatch(pieces, Array(s.unicodeScalars))
        case .exists:
            return true
        case .numeric(let lower, let upper, let equal):
            guard let x = number(v) else { return false }
            if let e = equal { return x == e }
            if let (l, open) = lower, open ? !(x > l) : !(x >= l) { return false }
            if let (u, open) = upper, open ? !(x < u) : !(x <= u) { return false }
            return true
        case .cidr(let low, let high):
            guard let s = v.stringValue, let ip = PatternCompiler.ipBytes(s), ip.count == low.count else { return false }
            return !ip.lexicographicallyPrecedes(low) && !high.lexicographicallyPrecedes(ip)
        case .anythingBut(let a):
            // Anything but: every present value that is not excluded matches — null and numbers included, even
            // against string exclusions (recorded: null and 12 both match `{"anything-but": {"prefix": "init"}}`).
            switch a {
            case .strings(let set): return v.stringValue.map { !set.contains($0) } ?? true
            case .numbers(let list): return number(v).map { x in !list.contains(x) } ?? true
            case .ignoreCase(let set): return v.stringValue.map { !set.contains($0.lowercased()) } ?? true
            case .prefixes(let list): return v.stringValue.map { s in !list.contains { s.hasPrefix($0) } } ?? true
            case .suffixes(let list): return v.stringValue.map { s in !list.contains { s.hasSuffix($0) } } ?? true
            case .wildcards(let list):
                return v.stringValue.map { s in !list.contains { wildcardMatch($0, Array(s.unicodeScalars)) } } ?? true
            }
        }
    }

    /// `*` matches any run of characters (greedy with backtracking over the last star).
    static func wildcardMatch(_ p: [WildcardPiece], _ v: [Unicode.Scalar]) -> Bool {
        var i = 0, j = 0, star = -1, mark = 0
        while j < v.count {
            if i < p.count, case .scalar(let c) = p[i], c == v[j] {
                i += 1
                j += 1
            } else if i < p.count, p[i] == .star {
                star = i
                mark = j
                i += 1
            } else if star >= 0 {
                i = star + 1
                mark += 1
                j = mark
            } else {
                return false
            }
        }
        while i < p.count, p[i] == .star { i += 1 }
        return i == p.count
    }
}

/// A failure while compiling: the full reason text (with its position suffix, when it has one).
