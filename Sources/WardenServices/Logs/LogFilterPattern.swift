// CloudWatch Logs filter patterns (metric filters, subscription filters, FilterLogEvents): terms and quoted phrases
// (all of them; `?term` any of; `-term` none of), `%regex%`, JSON `{ $.a = "x" && ($.n > 3 || $.b IS TRUE) }`, and
// space-delimited `[ip, user, ..., status = 4*, bytes > 1000]`. A match yields the values the pattern extracted.
import Foundation
import WardenCore

public struct LogFilterPattern: Sendable {
    indirect enum JSONExpr: Sendable {
        case and(JSONExpr, JSONExpr)
        case or(JSONExpr, JSONExpr)
        case compare(selector: String, op: String, value: Literal)
        case isNull(String), isTrue(String), isFalse(String), notExists(String), exists(String)
    }

    enum Literal: Sendable {
        case number(Double, text: String)
        case text(String)
        case regex(CompiledRegex)
    }

    struct Term: Sendable {
        var text: String
        var regex: CompiledRegex?
        var negated: Bool
        var optional: Bool
    }

    struct Field: Sendable {
        var name: String?  // nil for `...`
        /// Conditions joined by `&&` (all) within `||` alternatives (any).
        var alternatives: [[(op: String, value: Literal)]]
    }

    enum Kind: Sendable {
        case all
        case terms([Term])
        case json(JSONExpr, selectors: [String])
        case delimited([Field])
    }

    let kind: Kind
    public let text: String

    static func invalid(_ why: String) -> AWSError {
        AWSError(code: "InvalidParameterException", status: 400, message: "Invalid filter pattern: \(why)")
    }

    public init(_ text: String) throws(AWSError) {
        self.text = text
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard text.utf8.count <= 1024 else { throw Self.invalid("longer than 1024 characters") }
        if trimmed.isEmpty {
            kind = .all
        } else if trimmed.hasPrefix("{") {
            var p = Parser(Array(trimmed.unicodeScalars))
            let e = try p.jsonPattern()
            kind = .json(e, selectors: p.selectors)
        } else if trimmed.hasPrefix("[") {
            var p = Parser(Array(trimmed.unicodeScalars))
            kind = .delimited(try p.delimitedPattern())
        } else {
            var p = Parser(Array(trimmed.unicodeScalars))
            kind = .terms(try p.terms())
        }
    }

    /// Nil when the message does not match; otherwise the extracted values (`$.path` or `$name` → text).
    public func match(_ message: String) -> [String: String]? {
        switch kind {
        case .all:
            return [:]
        case .terms(let terms):
            return Self.matchTerms(terms, message) ? [:] : nil
        case .json(let expr, let selectors):
            guard let json = try? JSONParser.parse(Array(message.utf8)), case .object = json else { return nil }
            guard Self.eval(expr, json) else { return nil }
            var out: [String: String] = [:]
            for s in selectors { if let v = Self.select(s, json).first, let t = Self.scalarText(v) { out[s] = t } }
            return out
        case .delimited(let fields):
            guard let bound = Self.matchFields(fields, Self.tokenize(message)) else { return nil }
            return Dictionary(uniqueKeysWithValues: bound.map { ("$" + $0.key, $0.value) })
        }
    }

    /// A metric transformation's value: a number, `$.path` (JSON) or `$name` (space-delimited) read from the event.
    public func value(_ expression: String, message: String, extracted: [String: String]) -> Double? {
        if let d = Double(expression) { return d }
        if let t = extracted[expression] { return Double(t) }
        if expression.hasPrefix("$."), let json = try? JSONParser.parse(Array(message.utf8)),
           let v = Self.select(expression, json).first, let t = Self.scalarText(v) { return Double(t) }
        return nil
    }

    /// A dimension's value, read like a metric value but kept as text.
    public func text(_ expression: String, message: String, extracted: [String: String]) -> String? {
        if let t = extracted[expression] { return t }
        if expression.hasPrefix("$."), let json = try? JSONParser.parse(Array(message.utf8)),
           let v = Self.select(expression, json).first { return Self.scalarText(v) }
        return expression.hasPrefix("$") ? nil : expression
    }

    // MARK: terms

    static func matchTerms(_ terms: [Term], _ message: String) -> Bool {
        func has(_ t: Term) -> Bool { t.regex.map { $0.matches(message) } ?? message.contains(t.text) }
        let optional = terms.filter(\.optional)
        for t in terms where !t.optional {
            if has(t) == t.negated { return false }
        }
        return optional.isEmpty || optional.contains { has($0) != $0.negated }
    }

    /// A `%regex%`, compiled once when the pattern is parsed.
    final class CompiledRegex: @unchecked Sendable {
        // @unchecked: NSRegularExpression is immutable once made and safe to use from several threads.
        let expression: NSRegularExpression
        init(_ e: NSRegularExpression) { expression = e }
        func matches(_ text: String) -> Bool {
            expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
    }

    // MARK: JSON

    static func eval(_ e: JSONExpr, _ json: JSONValue) -> Bool {
        switch e {
        case .and(let a, let b): return eval(a, json) && eval(b, json)
        case .or(let a, let b): return eval(a, json) || eval(b, json)
        case .isNull(let s): return select(s, json).contains { $0 == .null }
        case .isTrue(let s): return select(s, json).contains { $0 == .bool(true) }
        case .isFalse(let s): return select(s, json).contains { $0 == .bool(false) }
        case .notExists(let s): return select(s, json).isEmpty
        case .exists(let s): return !select(s, json).isEmpty
        case .compare(let s, let op, let lit): return select(s, json).contains { compare($0, op, lit) }
        }
    }

    static func compare(_ v: JSONValue, _ op: String, _ lit: Literal) -> Bool {
        switch lit {
        case .number(let n, let text):
            if case .number(let raw) = v, let d = Double(raw) {
                switch op {
                case "=": return d == n
                case "!=": return d != n
                case "<": return d < n
                case "<=": return d <= n
                case ">": return d > n
                case ">=": return d >= n
                default: return false
                }
            }
            guard let t = scalarText(v) else { return false }
            return op == "=" ? t == text : op == "!=" ? t != text : false
        case .text(let pattern):
            guard let t = scalarText(v) else { return false }
            return op == "=" ? glob(pattern, t) : op == "!=" ? !glob(pattern, t) : false
        case .regex(let re):
            guard let t = scalarText(v) else { return false }
            return op == "=" ? re.matches(t) : op == "!=" ? !re.matches(t) : false
        }
    }

    static func scalarText(_ v: JSONValue) -> String? {
        switch v {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    /// `*` matches any run of characters.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        guard pattern.contains("*") else { return pattern == text }
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        var rest = Substring(text)
        guard let head = parts.first, rest.hasPrefix(head) else { return false }
        rest = rest.dropFirst(head.count)
        for (i, part) in parts.enumerated().dropFirst() {
            if i == parts.count - 1 { return part.isEmpty || rest.hasSuffix(part) }
            guard !part.isEmpty else { continue }
            guard let r = rest.range(of: part) else { return false }
            rest = rest[r.upperBound...]
        }
        return true
    }

    /// The values a selector reaches (`$.a.b[0].c`); an array met without an index offers each element.
    static func select(_ selector: String, _ root: JSONValue) -> [JSONValue] {
        var current: [JSONValue] = [root]
        var s = Substring(selector.dropFirst())
        while !s.isEmpty {
            if s.hasPrefix("[") {
                guard let close = s.firstIndex(of: "]"), let i = Int(s[s.index(after: s.startIndex)..<close]) else { return [] }
                current = current.compactMap { if case .array(let a) = $0, i >= 0, i < a.count { return a[i] } else { return nil } }
                s = s[s.index(after: close)...]
            } else if s.hasPrefix(".") {
                s = s.dropFirst()
                let end = s.firstIndex { $0 == "." || $0 == "[" } ?? s.endIndex
                let key = String(s[..<end])
                s = s[end...]
                var next: [JSONValue] = []
                for v in current {
                    if key == "*" {
                        if case .object(let members) = v { next += members.map(\.1) }
                        if case .array(let a) = v { next += a }
                    } else if case .array(let a) = v {
                        next += a.compactMap { $0[key] }
                    } else if let child = v[key] {
                        next.append(child)
                    }
                }
                current = next
            } else {
                return []
            }
        }
        return current
    }

    // MARK: space-delimited

    /// Splits a message on spaces; `"…"` and `[…]` are single fields (without their delimiters).
    static func tokenize(_ message: String) -> [String] {
        var out: [String] = []
        var i = message.startIndex
        while i < message.endIndex {
            let c = message[i]
            if c == " " || c == "\t" { i = message.index(after: i); continue }
            if c == "\"" || c == "[" {
                let close: Character = c == "\"" ? "\"" : "]"
                let start = message.index(after: i)
                let end = message[start...].firstIndex(of: close) ?? message.endIndex
                out.append(String(message[start..<end]))
                i = end < message.endIndex ? message.index(after: end) : end
            } else {
                let end = message[i...].firstIndex { $0 == " " || $0 == "\t" } ?? message.endIndex
                out.append(String(message[i..<end]))
                i = end
            }
        }
        return out
    }

    /// The fields' values when the tokens match them (`...` takes any number of tokens), else nil. Bottom-up over
    /// (field, token) positions with one bit each, so neither many `...` nor many tokens can blow up time or stack.
    static func matchFields(_ fields: [Field], _ tokens: [String]) -> [String: String]? {
        let n = tokens.count
        let words = (n + 1 + 63) / 64
        func get(_ row: [UInt64], _ t: Int) -> Bool { row[t >> 6] & (1 << UInt64(t & 63)) != 0 }
        func set(_ row: inout [UInt64], _ t: Int) { row[t >> 6] |= 1 << UInt64(t & 63) }
        func fits(_ f: Field, _ token: String) -> Bool {
            f.alternatives.isEmpty || f.alternatives.contains { conds in conds.allSatisfy { compare(jsonish(token), $0.op, $0.value) } }
        }
        // reach[i] bit t: fields i... match tokens t...
        var reach = Array(repeating: [UInt64](repeating: 0, count: words), count: fields.count + 1)
        set(&reach[fields.count], n)
        for i in stride(from: fields.count - 1, through: 0, by: -1) {
            var row = [UInt64](repeating: 0, count: words)
            for t in stride(from: n, through: 0, by: -1) {
                let ok = fields[i].name == nil
                    ? get(reach[i + 1], t) || (t < n && get(row, t + 1))
                    : t < n && get(reach[i + 1], t + 1) && fits(fields[i], tokens[t])
                if ok { set(&row, t) }
            }
            reach[i] = row
        }
        guard get(reach[0], 0) else { return nil }
        var bound: [String: String] = [:]
        var i = 0
        var t = 0
        while i < fields.count {
            if let name = fields[i].name {
                bound[name] = tokens[t]
                i += 1
                t += 1
            } else if get(reach[i + 1], t) {
                i += 1
            } else {
                t += 1
            }
        }
        return bound
    }

    /// A field's text as a number when it reads as one, so numeric comparisons work on it.
    static func jsonish(_ token: String) -> JSONValue { Double(token) != nil ? .number(token) : .string(token) }
}

// MARK: parsing

struct Parser {
    var s: [Unicode.Scalar]
    var i = 0
    var selectors: [String] = []
    var depth = 0

    init(_ s: [Unicode.Scalar]) { self.s = s }

    var atEnd: Bool { i >= s.count }
    var peek: Unicode.Scalar? { i < s.count ? s[i] : nil }

    mutating func skipSpace() { while let c = peek, c == " " || c == "\t" || c == "\n" { i += 1 } }

    mutating func eat(_ text: String) -> Bool {
        skipSpace()
        let t = Array(text.unicodeScalars)
        guard i + t.count <= s.count, Array(s[i..<(i + t.count)]) == t else { return false }
        i += t.count
        return true
    }

    /// A keyword: case-insensitive, followed by a non-letter.
    mutating func keyword(_ word: String) -> Bool {
        skipSpace()
        let t = Array(word.uppercased().unicodeScalars)
        guard i + t.count <= s.count else { return false }
        let got = String(String.UnicodeScalarView(s[i..<(i + t.count)])).uppercased()
        guard Array(got.unicodeScalars) == t else { return false }
        if i + t.count < s.count, CharacterSet.letters.contains(s[i + t.count]) { return false }
        i += t.count
        return true
    }

    func fail(_ why: String) -> AWSError { LogFilterPattern.invalid(why) }

    mutating func quoted() throws(AWSError) -> String {
        i += 1
        var out = String.UnicodeScalarView()
        while let c = peek, c != "\"" {
            if c == "\\", i + 1 < s.count { i += 1 }
            out.append(s[i])
            i += 1
        }
        guard peek == "\"" else { throw fail("unterminated quoted string") }
        i += 1
        return String(out)
    }

    /// `%…%`: letters, digits, the symbols `: _ # = @ / ; , -` and the operators `^ $ ? [ ] { } | \ * + .` — no
    /// groups, as CloudWatch Logs allows (which also keeps backtracking tame).
    mutating func regex() throws(AWSError) -> LogFilterPattern.CompiledRegex {
        i += 1
        var out = String.UnicodeScalarView()
        while let c = peek, c != "%" {
            guard c.isASCII, CharacterSet.alphanumerics.contains(c) || ":_#=@/;,-^$?[]{}|\\*+. ".unicodeScalars.contains(c) else {
                throw fail("'\(c)' is not allowed in a regular expression")
            }
            out.append(c)
            i += 1
        }
        guard peek == "%" else { throw fail("unterminated regular expression") }
        i += 1
        let text = String(out)
        guard !text.isEmpty, let re = try? NSRegularExpression(pattern: text) else { throw fail("invalid regular expression") }
        return LogFilterPattern.CompiledRegex(re)
    }

    // Terms.
    mutating func terms() throws(AWSError) -> [LogFilterPattern.Term] {
        var out: [LogFilterPattern.Term] = []
        while true {
            skipSpace()
            guard let c = peek else { break }
            var optional = false
            var negated = false
            if c == "?" { optional = true; i += 1 }
            if peek == "-" { negated = true; i += 1 }
            guard let d = peek else { throw fail("a term is missing") }
            if d == "\"" {
                out.append(.init(text: try quoted(), regex: nil, negated: negated, optional: optional))
            } else if d == "%" {
                out.append(.init(text: "", regex: try regex(), negated: negated, optional: optional))
            } else {
                var word = String.UnicodeScalarView()
                while let e = peek, e != " ", e != "\t" {
                    guard !"{}[]\"()".unicodeScalars.contains(e) else { throw fail("unexpected '\(e)'") }
                    word.append(e)
                    i += 1
                }
                guard !word.isEmpty else { throw fail("a term is missing") }
                out.append(.init(text: String(word), regex: nil, negated: negated, optional: optional))
            }
        }
        return out
    }

    // JSON.
    mutating func jsonPattern() throws(AWSError) -> LogFilterPattern.JSONExpr {
        guard eat("{") else { throw fail("expected '{'") }
        let e = try orExpr()
        guard eat("}") else { throw fail("expected '}'") }
        skipSpace()
        guard atEnd else { throw fail("text after '}'") }
        return e
    }

    mutating func orExpr() throws(AWSError) -> LogFilterPattern.JSONExpr {
        var e = try andExpr()
        while eat("||") { e = .or(e, try andExpr()) }
        return e
    }

    mutating func andExpr() throws(AWSError) -> LogFilterPattern.JSONExpr {
        var e = try unary()
        while eat("&&") { e = .and(e, try unary()) }
        return e
    }

    mutating func unary() throws(AWSError) -> LogFilterPattern.JSONExpr {
        if eat("(") {
            depth += 1
            defer { depth -= 1 }
            guard depth <= 32 else { throw fail("parentheses nested too deeply") }
            let e = try orExpr()
            guard eat(")") else { throw fail("expected ')'") }
            return e
        }
        let sel = try selector()
        selectors.append(sel)
        if keyword("IS") {
            if keyword("NULL") { return .isNull(sel) }
            if keyword("TRUE") { return .isTrue(sel) }
            if keyword("FALSE") { return .isFalse(sel) }
            throw fail("IS takes NULL, TRUE or FALSE")
        }
        if keyword("NOT") {
            guard keyword("EXISTS") else { throw fail("NOT takes EXISTS") }
            return .notExists(sel)
        }
        if keyword("EXISTS") { return .exists(sel) }
        let op = try comparison()
        return .compare(selector: sel, op: op, value: try literal(stopAt: "&|)}"))
    }

    mutating func comparison() throws(AWSError) -> String {
        for op in ["!=", "<=", ">=", "=", "<", ">"] where eat(op) { return op }
        throw fail("expected a comparison operator")
    }

    mutating func selector() throws(AWSError) -> String {
        skipSpace()
        guard peek == "$" else { throw fail("expected a selector starting with $") }
        var out = String.UnicodeScalarView()
        while let c = peek, CharacterSet.alphanumerics.contains(c) || "$._-[]*@:".unicodeScalars.contains(c) {
            out.append(c)
            i += 1
        }
        let text = String(out)
        guard text.count > 1, text.hasPrefix("$.") || text.hasPrefix("$[") else { throw fail("invalid selector \(text)") }
        return text
    }

    mutating func literal(stopAt stops: String) throws(AWSError) -> LogFilterPattern.Literal {
        skipSpace()
        guard let c = peek else { throw fail("a value is missing") }
        if c == "\"" { return .text(try quoted()) }
        if c == "%" { return .regex(try regex()) }
        var out = String.UnicodeScalarView()
        while let e = peek, e != " ", e != "\t", !stops.unicodeScalars.contains(e), e != "," , e != "]" {
            out.append(e)
            i += 1
        }
        let text = String(out)
        guard !text.isEmpty else { throw fail("a value is missing") }
        if let d = Double(text), !text.contains("*") { return .number(d, text: text) }
        return .text(text)
    }

    // Space-delimited.
    mutating func delimitedPattern() throws(AWSError) -> [LogFilterPattern.Field] {
        guard eat("[") else { throw fail("expected '['") }
        var fields: [LogFilterPattern.Field] = []
        if eat("]") { throw fail("no fields") }
        repeat {
            if eat("...") {
                fields.append(.init(name: nil, alternatives: []))
                continue
            }
            let name = try identifier()
            var alternatives: [[(op: String, value: LogFilterPattern.Literal)]] = []
            var current: [(op: String, value: LogFilterPattern.Literal)] = []
            while true {
                skipSpace()
                guard let c = peek, "=!<>".unicodeScalars.contains(c) else { break }
                let op = try comparison()
                current.append((op, try literal(stopAt: "&|")))
                if eat("&&") { _ = try identifierNamed(name); continue }
                if eat("||") { alternatives.append(current); current = []; _ = try identifierNamed(name); continue }
                break
            }
            if !current.isEmpty { alternatives.append(current) }
            fields.append(.init(name: name, alternatives: alternatives))
        } while eat(",")
        guard eat("]") else { throw fail("expected ']'") }
        skipSpace()
        guard atEnd else { throw fail("text after ']'") }
        return fields
    }

    mutating func identifier() throws(AWSError) -> String {
        skipSpace()
        var out = String.UnicodeScalarView()
        while let c = peek, CharacterSet.alphanumerics.contains(c) || c == "_" || c == "-" {
            out.append(c)
            i += 1
        }
        guard !out.isEmpty else { throw fail("expected a field name") }
        return String(out)
    }

    mutating func identifierNamed(_ name: String) throws(AWSError) -> String {
        let n = try identifier()
        guard n == name else { throw fail("a condition on \(name) names \(n)") }
        return n
    }
}
