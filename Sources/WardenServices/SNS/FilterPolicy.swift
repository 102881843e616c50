// SNS subscription filter policies and EventBridge event patterns (one matcher, two dialects): parsed and checked when
// set, matched against message attributes, a message body (FilterPolicyScope) or an event. AND across keys, OR within
// a key's list, `$or` across alternatives.
import Foundation
import WardenCore

struct FilterPolicy: Sendable {
    indirect enum Node: Sendable {
        /// Conditions on one key (OR).
        case conditions([Condition])
        /// A nested object (body scope): every key must match.
        case object([(String, Node)])
    }

    enum Condition: Sendable {
        case exact(String)
        case number(Double)
        case null
        case prefix(String)
        case suffix(String)
        case equalsIgnoreCase(String)
        case anythingBut([Condition])
        case numeric([(String, Double)])
        case exists(Bool)
        case cidr(UInt32, UInt32)
        /// EventBridge only: `*` matches any run of characters.
        case wildcard(String)
    }

    enum Dialect: Sendable { case snsFilterPolicy, eventPattern }

    /// Alternatives: the policy matches when any of them does (one unless `$or` is used).
    let alternatives: [[(String, Node)]]

    static func invalid(_ m: String) -> AWSError { SNSService.invalid("FilterPolicy: \(m)") }

    init(_ text: String, dialect: Dialect = .snsFilterPolicy) throws(AWSError) {
        guard dialect == .eventPattern else {
            try self.init(sns: text)
            return
        }
        // The same language, EventBridge's errors, no SNS limits, and `wildcard`.
        let parsed = Result { () throws(AWSError) -> [[(String, Node)]] in
            guard case .object(let fields)? = try? JSONParser.parse(Array(text.utf8)) else {
                throw Self.invalid("Filter is not valid JSON")
            }
            return try Self.expand(fields, wildcard: true)
        }
        switch parsed {
        case .success(let a): self.init(alternatives: a)
        case .failure(let error):
            throw AWSError(code: "InvalidEventPatternException", status: 400,
                           message: "Event pattern is not valid. Reason: \(error.message.replacingOccurrences(of: "Invalid parameter: FilterPolicy: ", with: ""))")
        }
    }

    private init(alternatives: [[(String, Node)]]) { self.alternatives = alternatives }

    /// The exact values a top-level key must take for any alternative to match, or nil when some alternative accepts
    /// other values (an index of rules by `source` uses it to skip rules that cannot match).
    func exactValues(of key: String) -> Set<String>? {
        var out = Set<String>()
        for alt in alternatives {
            guard let node = alt.first(where: { $0.0 == key })?.1, case .conditions(let cs) = node else { return nil }
            for c in cs {
                guard case .exact(let v) = c else { return nil }
                out.insert(v)
            }
        }
        return out
    }

    private init(sns text: String) throws(AWSError) {
        guard text.utf8.count <= 256 * 1024 else { throw Self.invalid("Filter policy is too long") }
        guard case .object(let fields)? = try? JSONParser.parse(Array(text.utf8)) else {
            throw Self.invalid("failed to parse JSON. Unexpected character")
        }
        alternatives = try Self.expand(fields, wildcard: false)
        let keys = alternatives.map { $0.count }.max() ?? 0
        guard keys <= 5 else { throw Self.invalid("Filter policy can not have more than 5 keys") }
        let combinations = alternatives.reduce(0) { total, alt in total + alt.reduce(1) { $0 * Self.count($1.1) } }
        guard combinations <= 150 else { throw Self.invalid("Filter policy is too complex") }
    }

    static func count(_ n: Node) -> Int {
        switch n {
        case .conditions(let c): return max(1, c.count)
        case .object(let fields): return fields.reduce(1) { $0 * count($1.1) }
        }
    }

    /// `$or` multiplies out into alternatives.
    static func expand(_ fields: [(String, JSONValue)], wildcard: Bool) throws(AWSError) -> [[(String, Node)]] {
        var alternatives: [[(String, Node)]] = [[]]
        for (key, value) in fields {
            if key == "$or" {
                guard case .array(let options) = value, options.count >= 2 else { throw invalid("$or must be an array of at least 2 objects") }
                var expanded: [[(String, Node)]] = []
                for option in options {
                    guard case .object(let o) = option else { throw invalid("$or must contain objects") }
                    for alt in try expand(o, wildcard: wildcard) { for base in alternatives { expanded.append(base + alt) } }
                }
                alternatives = expanded
            } else {
                let node = try parse(value, wildcard: wildcard)
                alternatives = alternatives.map { $0 + [(key, node)] }
            }
        }
        return alternatives
    }

    static func parse(_ value: JSONValue, wildcard: Bool) throws(AWSError) -> Node {
        switch value {
        case .array(let items):
            guard !items.isEmpty else { throw invalid("Empty arrays are not allowed") }
            var out: [Condition] = []
            for item in items { out.append(try condition(item, wildcard: wildcard)) }
            return .conditions(out)
        case .object(let fields):
            var out: [(String, Node)] = []
            for (k, v) in fields { out.append((k, try parse(v, wildcard: wildcard))) }
            return .object(out)
        default:
            throw invalid("Match value must be String, number, true, false, or null")
        }
    }

    static func number(_ v: JSONValue) -> Double? {
        if case .number(let s) = v { return Double(s) }
        return nil
    }

    static func condition(_ v: JSONValue, wildcard: Bool = false) throws(AWSError) -> Condition {
        switch v {
        case .string(let s): return .exact(s)
        case .number(let s):
            guard let d = Double(s), abs(d) <= 1e9 else { throw invalid("Numeric values must be between -1.0E9 and 1.0E9") }
            return .number(d)
        case .null: return .null
        case .bool(let b): return .exact(b ? "true" : "false")
        case .object(let fields):
            guard fields.count == 1, let (op, arg) = fields.first else { throw invalid("Only one key allowed in match expression") }
            switch (op, arg) {
            case ("prefix", .string(let s)): return .prefix(s)
            case ("suffix", .string(let s)): return .suffix(s)
            case ("equals-ignore-case", .string(let s)): return .equalsIgnoreCase(s)
            case ("exists", .bool(let b)): return .exists(b)
            case ("anything-but", .array(let items)):
                var out: [Condition] = []
                for i in items {
                    switch i {
                    case .string(let s): out.append(.exact(s))
                    case .number: out.append(try condition(i))
                    default: throw invalid("anything-but list must contain strings or numbers")
                    }
                }
                return .anythingBut(out)
            case ("anything-but", .string(let s)): return .anythingBut([.exact(s)])
            case ("anything-but", .number): return .anythingBut([try condition(arg)])
            case ("anything-but", .object(let inner)):
                guard inner.count == 1, let (iop, iarg) = inner.first, case .string(let s) = iarg, iop == "prefix" || iop == "suffix" else {
                    throw invalid("Unsupported anything-but pattern")
                }
                return .anythingBut([iop == "prefix" ? .prefix(s) : .suffix(s)])
            case ("numeric", .array(let items)):
                var pairs: [(String, Double)] = []
                var i = 0
                while i + 1 < items.count {
                    guard case .string(let o) = items[i], ["=", "<", "<=", ">", ">="].contains(o), let d = number(items[i + 1]) else {
                        throw invalid("Value of numeric must be an array of operator and number pairs")
                    }
                    pairs.append((o, d))
                    i += 2
                }
                guard !pairs.isEmpty, i == items.count, pairs.count <= 2 else { throw invalid("Bad numeric range") }
                if pairs.count == 2 {
                    guard pairs[0].0.hasPrefix(">"), pairs[1].0.hasPrefix("<"), pairs[0].1 < pairs[1].1 else {
                        throw invalid("Bad numeric range operator")
                    }
                }
                return .numeric(pairs)
            case ("wildcard", .string(let s)) where wildcard:
                return .wildcard(s)
            case ("cidr", .string(let s)):
                guard let range = cidr(s) else { throw invalid("Malformed CIDR, one '/' required") }
                return .cidr(range.0, range.1)
            default:
                throw invalid("Unrecognized match type \(op)")
            }
        case .array:
            throw invalid("Match value must be String, number, true, false, or null")
        }
    }

    static func ipv4(_ s: Substring) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard let b = UInt8(p) else { return nil }
            v = v << 8 | UInt32(b)
        }
        return v
    }

    static func cidr(_ s: String) -> (UInt32, UInt32)? {
        let parts = s.split(separator: "/")
        guard parts.count == 2, let ip = ipv4(parts[0]), let bits = Int(parts[1]), (0...32).contains(bits) else { return nil }
        let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
        return (ip & mask, mask)
    }

    // MARK: matching

    /// One value as the filter sees it: a string, a number (with its text), or null.
    enum Value {
        case string(String)
        case number(Double, String)
        case null
    }

    static func matches(_ c: Condition, _ values: [Value]?) -> Bool {
        switch c {
        case .exists(let want): return (values != nil) == want
        case .anythingBut(let inner):
            guard let values, !values.isEmpty else { return false }
            return values.allSatisfy { v in !inner.contains { matches($0, [v]) } }
        default:
            guard let values else { return false }
            return values.contains { v in
                switch (c, v) {
                case (.exact(let s), .string(let x)): return s == x
                case (.exact(let s), .number(_, let t)): return s == t
                case (.number(let d), .number(let x, _)): return d == x
                case (.null, .null): return true
                case (.prefix(let p), .string(let x)): return x.hasPrefix(p)
                case (.suffix(let p), .string(let x)): return x.hasSuffix(p)
                case (.equalsIgnoreCase(let p), .string(let x)): return p.lowercased() == x.lowercased()
                case (.numeric(let pairs), .number(let x, _)):
                    return pairs.allSatisfy { op, d in
                        switch op {
                        case "=": return x == d
                        case "<": return x < d
                        case "<=": return x <= d
                        case ">": return x > d
                        default: return x >= d
                        }
                    }
                case (.wildcard(let p), .string(let x)):
                    return Self.wildcardMatch(Array(p.unicodeScalars), Array(x.unicodeScalars))
                case (.cidr(let net, let mask), .string(let x)):
                    guard let ip = ipv4(Substring(x)) else { return false }
                    return ip & mask == net
                default: return false
                }
            }
        }
    }

    /// Attribute scope: values of message attributes by name (Binary attributes are ignored: nil).
    func matches(attributes: [String: [Value]]) -> Bool {
        alternatives.contains { alt in
            alt.allSatisfy { key, node in
                guard case .conditions(let cs) = node else { return false }
                return cs.contains { Self.matches($0, attributes[key]) }
            }
        }
    }

    /// Body scope: nested keys into the message parsed as JSON.
    func matches(body: JSONValue) -> Bool {
        alternatives.contains { alt in alt.allSatisfy { key, node in Self.matches(node, body[key]) } }
    }

    static func matches(_ node: Node, _ value: JSONValue?) -> Bool {
        switch node {
        case .object(let fields):
            guard let value, case .object = value else { return false }
            return fields.allSatisfy { k, n in matches(n, value[k]) }
        case .conditions(let cs):
            let values: [Value]?
            switch value {
            case nil: values = nil
            case .array(let items)?: values = items.compactMap(Self.value)
            case let v?: values = Self.value(v).map { [$0] }
            }
            return cs.contains { matches($0, values) }
        }
    }

    /// `*` matches any run of characters (greedy with backtracking over the last star).
    static func wildcardMatch(_ p: [Unicode.Scalar], _ v: [Unicode.Scalar]) -> Bool {
        var i = 0, j = 0, star = -1, mark = 0
        while j < v.count {
            if i < p.count && p[i] != "*" && p[i] == v[j] {
                i += 1
                j += 1
            } else if i < p.count && p[i] == "*" {
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
        while i < p.count && p[i] == "*" { i += 1 }
        return i == p.count
    }

    static func value(_ v: JSONValue) -> Value? {
        switch v {
        case .string(let s): return .string(s)
        case .number(let s): return Double(s).map { .number($0, s) }
        case .bool(let b): return .string(b ? "true" : "false")
        case .null: return .null
        default: return nil
        }
    }
}
