// SNS subscription filter policies: parsed and checked when set, matched against message attributes or a message body
// (FilterPolicyScope). AND across keys, OR within a key's list, `$or` across alternatives. (EventBridge's patterns have
// their own parser and matcher, Events/EventPattern.swift: their errors and semantics differ.)
import Foundation
import WardenCore

struct FilterPolicy: Sendable {
    indirect enum Node: Sendable {
        /// Conditions on one key (OR).
        case conditions([Condition])
        /// A nested object (body scope): every key of one of its alternatives must match (one alternative unless the
        /// object has its own `$or`).
        case object([[(String, Node)]])
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
    }

    /// Alternatives: the policy matches when any of them does (one unless `$or` is used).
    let alternatives: [[(String, Node)]]

    /// Whether some key's value is an object (a nested policy, which only the MessageBody scope takes).
    var nested: Bool {
        alternatives.contains { alt in
            alt.contains { _, node in
                if case .object = node { return true }
                return false
            }
        }
    }

    static func invalid(_ m: String) -> AWSError { SNSService.invalid("FilterPolicy: \(m)") }

    // SNS follows most reasons below with its JSON parser's position, "\n at [Source: …; line: 1, column: N]", whose
    // Source part differs between AWS's parser versions (the policy echoed, or REDACTED) and whose column depends on
    // where SNS's policy reader stands when it objects: Warden leaves that suffix off these reasons rather than guess
    // it. A policy that is not JSON at all gets the parser's message and position (`jsonParseFailure`).
    init(_ text: String) throws(AWSError) {
        guard text.utf8.count <= 256 * 1024 else { throw Self.invalid("Filter policy is too long") }
        guard case .object(let fields)? = try? JSONParser.parse(Array(text.utf8)) else {
            throw Self.invalid(SNSService.jsonParseFailure(text))
        }
        alternatives = try Self.expand(fields)
        let keys = alternatives.map { $0.count }.max() ?? 0
        guard keys <= 5 else { throw Self.invalid("Filter policy can not have more than 5 keys") }
        let combinations = alternatives.reduce(0) { total, alt in total + alt.reduce(1) { $0 * Self.count($1.1) } }
        guard combinations <= 150 else { throw Self.invalid("Filter policy is too complex") }
    }

    static func count(_ n: Node) -> Int {
        switch n {
        case .conditions(let c): return max(1, c.count)
        case .object(let alternatives): return alternatives.reduce(0) { $0 + $1.reduce(1) { $0 * count($1.1) } }
        }
    }

    /// `$or` multiplies out into alternatives.
    static func expand(_ fields: [(String, JSONValue)]) throws(AWSError) -> [[(String, Node)]] {
        var alternatives: [[(String, Node)]] = [[]]
        for (key, value) in fields {
            if key == "$or" {
                guard case .array(let options) = value, options.count >= 2 else { throw invalid("$or must be an array of at least 2 objects") }
                var expanded: [[(String, Node)]] = []
                for option in options {
                    guard case .object(let o) = option else { throw invalid("$or must contain objects") }
                    for alt in try expand(o) { for base in alternatives { expanded.append(base + alt) } }
                }
                alternatives = expanded
            } else {
                let node = try parse(value, key: key)
                alternatives = alternatives.map { $0 + [(key, node)] }
            }
        }
        return alternatives
    }

    static func parse(_ value: JSONValue, key: String) throws(AWSError) -> Node {
        switch value {
        case .array(let items):
            guard !items.isEmpty else { throw invalid("Empty arrays are not allowed") }
            var out: [Condition] = []
            for item in items { out.append(try condition(item)) }
            return .conditions(out)
        case .object(let fields):
            // A nested object may hold its own `$or` (recorded: SNS delivers by a `$or` inside `detail`).
            return .object(try expand(fields))
        default:
            // A key whose value is neither a list nor a nested object (recorded from SNS, the key's name quoted).
            throw invalid("\"\(key)\" must be an object or an array")
        }
    }

    /// A JSON token as SNS's parser names it in a reason ("Invalid member in numeric match: 1").
    static func token(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .number(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array: return "["
        case .object: return "{"
        }
    }

    /// `{"numeric": [...]}`: one comparison, or a range from a lower (`>`, `>=`) to an upper (`<`, `<=`) bound. The
    /// reasons are SNS's, recorded for each malformed form.
    static func numericCondition(_ items: [JSONValue]) throws(AWSError) -> Condition {
        guard let first = items.first else { throw invalid("Invalid member in numeric match: ]") }
        guard case .string(let op) = first else { throw invalid("Invalid member in numeric match: \(token(first))") }
        func operand(_ i: Int, _ name: String) throws(AWSError) -> Double {
            guard i < items.count, let d = Self.number(items[i]) else { throw Self.invalid("Value of \(name) must be numeric") }
            return d
        }
        switch op {
        case "=", "<", "<=":
            let d = try operand(1, op == "=" ? "equals" : op)
            guard items.count == 2 else { throw invalid("Too many elements in numeric expression") }
            return .numeric([(op, d)])
        case ">", ">=":
            let bottom = try operand(1, op)
            guard items.count > 2 else { return .numeric([(op, bottom)]) }
            guard case .string(let op2) = items[2] else { throw invalid("Bad value in numeric range: \(token(items[2]))") }
            guard op2 == "<" || op2 == "<=" else { throw invalid("Bad numeric range operator: \(op2)") }
            let top = try operand(3, op2)
            guard bottom < top else { throw invalid("Bottom must be less than top") }
            guard items.count == 4 else { throw invalid("Too many terms in numeric range expression") }
            return .numeric([(op, bottom), (op2, top)])
        default:
            throw invalid("Unrecognized numeric range operator: \(op)")
        }
    }

    static func number(_ v: JSONValue) -> Double? {
        if case .number(let s) = v { return Double(s) }
        return nil
    }

    static func condition(_ v: JSONValue) throws(AWSError) -> Condition {
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
            case ("prefix", _), ("suffix", _): throw invalid("\(op) match pattern must be a string")
            case ("equals-ignore-case", .string(let s)): return .equalsIgnoreCase(s)
            case ("exists", .bool(let b)): return .exists(b)
            case ("exists", _): throw invalid("exists match pattern must be either true or false.")
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
                // SNS takes only `prefix` here (recorded: suffix, exists and unknown names are "Unsupported
                // anything-but pattern: <name>").
                guard let (iop, iarg) = inner.first else { throw invalid("Unsupported anything-but pattern") }
                guard iop == "prefix" else { throw invalid("Unsupported anything-but pattern: \(iop)") }
                guard case .string(let s) = iarg else { throw invalid("\(iop) match pattern must be a string") }
                // AWS's text for more than one name inside anything-but is unknown: Warden's own.
                guard inner.count == 1 else { throw invalid("Unsupported anything-but pattern") }
                return .anythingBut([.prefix(s)])
            case ("numeric", .array(let items)):
                return try numericCondition(items)
            case ("numeric", _):
                // AWS's text for a numeric condition that is not a list is unknown: Warden's own.
                throw invalid("Value of numeric must be an array of operator and number pairs")
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

    /// A number as SNS compares it: to five decimal places (SNS documents five digits of accuracy after the point).
    static func fivePlaces(_ d: Double) -> Double { (d * 100_000).rounded() }

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
                case (.number(let d), .number(let x, _)): return fivePlaces(d) == fivePlaces(x)
                case (.numeric(let pairs), .number(let raw, _)):
                    let x = fivePlaces(raw)
                    return pairs.allSatisfy { op, bound in
                        let d = fivePlaces(bound)
                        switch op {
                        case "=": return x == d
                        case "<": return x < d
                        case "<=": return x <= d
                        case ">": return x > d
                        default: return x >= d
                        }
                    }
                case (.null, .null): return true
                case (.prefix(let p), .string(let x)): return x.hasPrefix(p)
                case (.suffix(let p), .string(let x)): return x.hasSuffix(p)
                case (.equalsIgnoreCase(let p), .string(let x)): return p.lowercased() == x.lowercased()
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
        // Only a JSON object can match. Its leaves are compared by dotted path, so a policy's nested keys and a
        // body's dotted names meet ({"a":{"b":…}} and {"a.b":…} are the same path), and arrays (of values, objects or
        // arrays) count as all of their elements: both as recorded from SNS.
        guard case .object = body else { return false }
        var leaves: [String: [Value]] = [:]
        Self.flatten(body, "", into: &leaves)
        return alternatives.contains { alt in alt.allSatisfy { key, node in Self.matches(node, at: key, leaves) } }
    }

    /// A policy node against the body's leaves under the dotted path `key`.
    static func matches(_ node: Node, at key: String, _ leaves: [String: [Value]]) -> Bool {
        switch node {
        case .conditions(let cs): return cs.contains { matches($0, leaves[key]) }
        case .object(let alternatives):
            return alternatives.contains { alt in alt.allSatisfy { k, n in matches(n, at: "\(key).\(k)", leaves) } }
        }
    }

    /// A body's leaf values by dotted path.
    static func flatten(_ v: JSONValue, _ path: String, into out: inout [String: [Value]]) {
        switch v {
        case .object(let fields):
            for (k, x) in fields { flatten(x, path.isEmpty ? k : "\(path).\(k)", into: &out) }
        case .array(let items):
            for x in items { flatten(x, path, into: &out) }
        default:
            if let leaf = value(v) { out[path, default: []].append(leaf) }
        }
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
