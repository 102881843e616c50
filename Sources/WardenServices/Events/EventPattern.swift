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
struct PatternError: Error {
    var message: String
}

/// Reads a pattern token by token, as a streaming JSON parser does, and compiles it.
struct PatternCompiler {
    enum Token: Equatable {
        case startObject, endObject, startArray, endArray, fieldName(String), string, number(String), trueValue, falseValue, null
    }

    enum Context { case object(expectingName: Bool, first: Bool), array(first: Bool) }

    /// How a location names its source: EventBridge's parser quotes the text (`(String)"…"`); SNS's newer one
    /// leaves it out (`REDACTED (…)`), both as recorded.
    enum SourceStyle { case quoted, redacted }

    let text: String
    let scalars: [Unicode.Scalar]
    var sourceStyle = SourceStyle.quoted
    var pos = 0
    var stack: [Context] = []
    /// The value token already read along with a member name.
    var pending: Token?
    /// A string value whose text is not read yet: the index just after its opening quote.
    var stringStart: Int?
    var stringText: String?
    var current: Token?

    init(_ text: String) {
        self.text = text
        self.scalars = Array(text.unicodeScalars)
    }

    // MARK: positions

    /// ` at [Source: (String)"…"; line: L, column: C]` for the scalar index `at`.
    func location(_ at: Int) -> String {
        var line = 1
        var rowStart = 0
        var i = 0
        var units = 0
        var rowStartUnits = 0
        while i < at && i < scalars.count {
            let s = scalars[i]
            units += s.utf16.count
            i += 1
            if s == "\n" || (s == "\r" && (i >= scalars.count || scalars[i] != "\n")) {
                line += 1
                rowStart = i
                rowStartUnits = units
            }
        }
        _ = rowStart
        let column = units - rowStartUnits + 1
        if sourceStyle == .redacted {
            return "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: \(line), column: \(column)]"
        }
        // The source is quoted up to 500 UTF-16 units, then how much was left out.
        let utf16 = Array(text.utf16)
        var source = "\"" + (String(decoding: utf16.prefix(500), as: UTF16.self)) + "\""
        if utf16.count > 500 { source += "[truncated \(utf16.count - 500) chars]" }
        return "\n at [Source: (String)\(source); line: \(line), column: \(column)]"
    }

    func barf(_ reason: String) -> PatternError { PatternError(message: reason + location(pos)) }

    /// An error the JSON parser itself reports about the character before the current position.
    func charError(_ c: Unicode.Scalar, _ expecting: String) -> PatternError {
        PatternError(message: "Unexpected character (\(Self.describe(c))): \(expecting)" + location(max(0, pos - 1)))
    }

    /// The JSON parser's own message for the first syntax error in `text` (with its location), or nil when the text
    /// reads as JSON to the end or fails in a way whose wording is not known.
    static func syntaxError(in text: String, sourceStyle: SourceStyle) -> String? {
        var reader = PatternCompiler(text)
        reader.sourceStyle = sourceStyle
        do {
            while try reader.nextToken() != nil {}
            return nil
        } catch {
            return error.message == unknownSyntax().message ? nil : error.message
        }
    }

    /// A syntax error whose wording AWS's parser would give is not known: Warden's own text, without a position.
    static func unknownSyntax() -> PatternError { PatternError(message: "Filter is not valid JSON") }

    static func describe(_ c: Unicode.Scalar) -> String {
        if c.value < 32 || (c.value >= 127 && c.value < 160) { return "(CTRL-CHAR, code \(c.value))" }
        if c.value > 255 { return "'\(Character(c))' (code \(c.value) / 0x\(String(c.value, radix: 16, uppercase: true)))" }
        return "'\(Character(c))' (code \(c.value))"
    }

    static let validValues = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"

    // MARK: tokens

    mutating func skipWhitespace() {
        while pos < scalars.count, [" ", "\n", "\r", "\t"].contains(scalars[pos]) { pos += 1 }
    }

    static func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
        c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "$"
    }

    /// The rest of a bad bare word, for "Unrecognized token '…'".
    mutating func invalidToken(from start: Int) -> PatternError {
        while pos < scalars.count, Self.isIdentifierPart(scalars[pos]), pos - start < 256 { pos += 1 }
        var word = ""
        word.unicodeScalars.append(contentsOf: scalars[start..<pos])
        return barf("Unrecognized token '\(word)': was expecting \(Self.validValues)")
    }

    /// The token a value starts with, read as far as the parser reads it.
    mutating func valueStart() throws(PatternError) -> Token {
        guard pos < scalars.count else { throw Self.unknownSyntax() }
        let c = scalars[pos]
        switch c {
        case "\"":
            pos += 1
            stringStart = pos
            stringText = nil
            return .string
        case "{":
            pos += 1
            stack.append(.object(expectingName: true, first: true))
            return .startObject
        case "[":
            pos += 1
            stack.append(.array(first: true))
            return .startArray
        case "t", "f", "n":
            let word: [Unicode.Scalar] = c == "t" ? ["t", "r", "u", "e"] : c == "f" ? ["f", "a", "l", "s", "e"] : ["n", "u", "l", "l"]
            let start = pos
            for w in word {
                guard pos < scalars.count, scalars[pos] == w else { throw invalidToken(from: start) }
                pos += 1
            }
            if pos < scalars.count, Self.isIdentifierPart(scalars[pos]) { throw invalidToken(from: start) }
            return c == "t" ? .trueValue : c == "f" ? .falseValue : .null
        case "-", "0"..."9":
            let start = pos
            if scalars[pos] == "-" { pos += 1 }
            func digits() -> Int {
                let s = pos
                while pos < scalars.count, ("0"..."9").contains(scalars[pos]) { pos += 1 }
                return pos - s
            }
            guard digits() > 0 else { throw Self.unknownSyntax() }
            if pos < scalars.count, scalars[pos] == "." {
                pos += 1
                guard digits() > 0 else { throw Self.unknownSyntax() }
            }
            if pos < scalars.count, scalars[pos] == "e" || scalars[pos] == "E" {
                pos += 1
                if pos < scalars.count, scalars[pos] == "+" || scalars[pos] == "-" { pos += 1 }
                guard digits() > 0 else { throw Self.unknownSyntax() }
            }
            var t = ""
            t.unicodeScalars.append(contentsOf: scalars[start..<pos])
            return .number(t)
        default:
            pos += 1
            if c.properties.isAlphabetic || c == "_" || c == "$" {
                throw invalidToken(from: pos - 1)
            }
            throw charError(c, "expected a valid value \(Self.validValues)")
        }
    }

    /// A string's text from `start` (after the opening quote); leaves `pos` after the closing quote.
    mutating func readString(from start: Int) throws(PatternError) -> String {
        pos = start
        var out = ""
        while pos < scalars.count {
            let c = scalars[pos]
            pos += 1
            if c == "\"" { return out }
            if c.value < 32 { throw Self.unknownSyntax() }
            guard c == "\\" else { out.unicodeScalars.append(c); continue }
            guard pos < scalars.count else { throw Self.unknownSyntax() }
            let e = scalars[pos]
            pos += 1
            switch e {
            case "\"": out += "\""
            case "\\": out += "\\"
            case "/": out += "/"
            case "b": out += "\u{8}"
            case "f": out += "\u{C}"
            case "n": out += "\n"
            case "r": out += "\r"
            case "t": out += "\t"
            case "u":
                func hex4() throws(PatternError) -> UInt32 {
                    guard pos + 4 <= scalars.count else { throw Self.unknownSyntax() }
                    var s = ""
                    s.unicodeScalars.append(contentsOf: scalars[pos..<pos + 4])
                    guard let v = UInt32(s, radix: 16) else { throw Self.unknownSyntax() }
                    pos += 4
                    return v
                }
                var v = try hex4()
                if (0xD800..<0xDC00).contains(v), pos + 1 < scalars.count, scalars[pos] == "\\", scalars[pos + 1] == "u" {
                    pos += 2
                    let low = try hex4()
                    v = 0x10000 + ((v - 0xD800) << 10) + (low &- 0xDC00)
                }
                out.unicodeScalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            default:
                throw Self.unknownSyntax()
            }
        }
        throw Self.unknownSyntax()
    }

    /// The current string value's text (read now if it was not yet).
    mutating func getText() throws(PatternError) -> String {
        if let t = stringText { return t }
        guard let start = stringStart else { return "" }
        let t = try readString(from: start)
        stringText = t
        stringStart = nil
        return t
    }

    /// The current token's text as the parser gives it (for messages).
    mutating func tokenText() throws(PatternError) -> String {
        switch current {
        case .string?: return try getText()
        case .number(let t)?: return t
        case .fieldName(let n)?: return n
        case .startObject?: return "{"
        case .endObject?: return "}"
        case .startArray?: return "["
        case .endArray?: return "]"
        case .trueValue?: return "true"
        case .falseValue?: return "false"
        case .null?: return "null"
        case nil: return ""
        }
    }

    mutating func nextToken() throws(PatternError) -> Token? {
        let t = try readToken()
        current = t
        return t
    }

    mutating func readToken() throws(PatternError) -> Token? {
        // A value read along with its member name comes next, as it is (a string's text still unread).
        if let p = pending {
            pending = nil
            return p
        }
        // The rest of a string that was never read is skipped.
        if let start = stringStart {
            _ = try readString(from: start)
            stringStart = nil
        }
        stringText = nil
        skipWhitespace()
        guard let context = stack.last else {
            guard pos < scalars.count else { return nil }
            return try valueStart()
        }
        guard pos < scalars.count else { throw Self.unknownSyntax() }
        var c = scalars[pos]
        switch context {
        case .array(let first):
            if c == "]" && first {
                pos += 1
                stack.removeLast()
                return .endArray
            }
            if !first {
                if c == "]" {
                    pos += 1
                    stack.removeLast()
                    return .endArray
                }
                guard c == "," else {
                    pos += 1
                    throw charError(c, "was expecting comma to separate Array entries")
                }
                pos += 1
                skipWhitespace()
            }
            stack[stack.count - 1] = .array(first: false)
            return try valueStart()
        case .object(_, let first):
            if c == "}" && first {
                pos += 1
                stack.removeLast()
                return .endObject
            }
            if !first {
                if c == "}" {
                    pos += 1
                    stack.removeLast()
                    return .endObject
                }
                guard c == "," else {
                    pos += 1
                    throw charError(c, "was expecting comma to separate Object entries")
                }
                pos += 1
                skipWhitespace()
                guard pos < scalars.count else { throw Self.unknownSyntax() }
                c = scalars[pos]
            }
            stack[stack.count - 1] = .object(expectingName: false, first: false)
            guard c == "\"" else {
                pos += 1
                throw charError(c, "was expecting double-quote to start field name")
            }
            let name = try readString(from: pos + 1)
            skipWhitespace()
            guard pos < scalars.count else { throw Self.unknownSyntax() }
            guard scalars[pos] == ":" else {
                let bad = scalars[pos]
                pos += 1
                throw charError(bad, "was expecting a colon to separate field name and value")
            }
            pos += 1
            skipWhitespace()
            // The value's first token is read with the name.
            pending = try valueStart()
            return .fieldName(name)
        }
    }

    // MARK: compiling

    mutating func compile() throws(PatternError) -> [[String: [EventPattern.Condition]]] {
        guard try nextToken() == .startObject else { throw barf("Filter is not an object") }
        var rules: [[String: [EventPattern.Condition]]] = []
        try parseObject(&rules, path: [], insideOr: false)
        return rules.isEmpty ? [[:]] : rules
    }

    mutating func parseObject(_ rules: inout [[String: [EventPattern.Condition]]], path: [String], insideOr: Bool) throws(PatternError) {
        var fields = false
        while true {
            guard let t = try nextToken() else { throw Self.unknownSyntax() }
            if t == .endObject { break }
            guard case .fieldName(let name) = t else { throw Self.unknownSyntax() }
            fields = true
            if name == "$or" {
                try parseOr(&rules, path: path)
                continue
            }
            if insideOr, Self.reservedInOr.contains(name) {
                throw barf("\(name) is Ruler reserved fieldName which cannot be used inside $or.")
            }
            switch try nextToken() {
            case .startObject?:
                try parseObject(&rules, path: path + [name], insideOr: insideOr)
            case .startArray?:
                let conditions = try writeRules()
                if rules.isEmpty { rules.append([:]) }
                let full = (path + [name]).joined(separator: ".")
                for i in rules.indices { rules[i][full] = conditions }
            default:
                throw barf("\"\(name)\" must be an object or an array")
            }
        }
        if !fields { throw barf("Empty objects are not allowed") }
    }

    static let reservedInOr: Set<String> = [
        "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard", "numeric", "cidr",
        "=", "<", "<=", ">", ">=", "regex", "not-wildcard", "not-equals-ignore-case", "date-after", "date-on-or-after",
        "date-before", "date-on-or-before", "in-date-range", "ip-address-in-range", "ip-address-not-in-range",
    ]

    mutating func parseOr(_ rules: inout [[String: [EventPattern.Condition]]], path: [String]) throws(PatternError) {
        let before = rules
        rules = []
        guard try nextToken() == .startArray else { throw barf("It must be an Array followed with $or.") }
        var count = 0
        while let t = try nextToken(), t != .endArray {
            count += 1
            guard t == .startObject else { throw barf("Only JSON object is allowed in array of $or relationship.") }
            var branch = before.isEmpty ? [[:]] : before
            try parseObject(&branch, path: path, insideOr: true)
            rules += branch
        }
        if count < 2 { throw barf("There must have at least 2 Objects in $or relationship.") }
    }

    /// A key's list of values and match expressions.
    mutating func writeRules() throws(PatternError) -> [EventPattern.Condition] {
        var values: [EventPattern.Condition] = []
        while true {
            guard let t = try nextToken() else { throw Self.unknownSyntax() }
            switch t {
            case .endArray:
                if values.isEmpty { throw barf("Empty arrays are not allowed") }
                return values
            case .startObject:
                values.append(try matchExpression())
            case .string:
                values.append(.exactString(try getText()))
            case .number(let n):
                values.append(.number(Double(n), n))
            case .trueValue: values.append(.literal("true"))
            case .falseValue: values.append(.literal("false"))
            case .null: values.append(.literal("null"))
            default:
                throw barf("Match value must be String, number, true, false, or null")
            }
        }
    }

    mutating func expectEndObject() throws(PatternError) {
        if try nextToken() != .endObject { throw barf("Only one key allowed in match expression") }
    }

    mutating func matchExpression() throws(PatternError) -> EventPattern.Condition {
        guard case .fieldName(let op)? = try nextToken() else { throw barf("Match expression name not found") }
        switch op {
        case "exactly":
            guard try nextToken() == .string else { throw barf("exact match pattern must be a string") }
            let s = try getText()
            try expectEndObject()
            return .exactString(s)
        case "prefix", "suffix":
            let t = try nextToken()
            if t == .startObject { return try affixIgnoreCase(op) }
            guard t == .string else { throw barf("\(op) match pattern must be a string") }
            let s = try getText()
            try expectEndObject()
            return op == "prefix" ? .prefix(s, ignoreCase: false) : .suffix(s, ignoreCase: false)
        case "numeric":
            guard try nextToken() == .startArray else { throw barf("Value of numeric must be an array.") }
            let range = try numericExpression()
            if try nextToken() != .endObject { throw barf("Too many elements in numeric expression") }
            return range
        case "anything-but":
            return try anythingBut()
        case "exists":
            let t = try nextToken()
            guard t == .trueValue || t == .falseValue else { throw barf("exists match pattern must be either true or false.") }
            try expectEndObject()
            return .exists(t == .trueValue)
        case "cidr":
            // (AWS's compiler says "prefix" here.)
            guard try nextToken() == .string else { throw barf("prefix match pattern must be a string") }
            let s = try getText()
            let range = try Self.cidr(s)
            try expectEndObject()
            return range
        case "equals-ignore-case":
            guard try nextToken() == .string else { throw barf("equals-ignore-case match pattern must be a string") }
            let s = try getText()
            try expectEndObject()
            return .equalsIgnoreCase(s)
        case "wildcard":
            guard try nextToken() == .string else { throw barf("wildcard match pattern must be a string") }
            // (The text is read first: the error position is after it.)
            let text = try getText()
            let pieces = try wildcard(text)
            try expectEndObject()
            return .wildcard(pieces)
        default:
            throw barf("Unrecognized match type \(op)")
        }
    }

    /// `{"prefix": {"equals-ignore-case": "…"}}` and the suffix form.
    mutating func affixIgnoreCase(_ op: String) throws(PatternError) -> EventPattern.Condition {
        let title = op == "prefix" ? "Prefix" : "Suffix"
        guard case .fieldName(let inner)? = try nextToken() else { throw barf("\(title) expression name not found") }
        guard inner == "equals-ignore-case" else { throw barf("Unsupported \(op) pattern: \(inner)") }
        guard try nextToken() == .string else { throw barf("equals-ignore-case match pattern must be a string") }
        let s = try getText()
        try expectEndObject()
        try expectEndObject()
        return op == "prefix" ? .prefix(s, ignoreCase: true) : .suffix(s, ignoreCase: true)
    }

    /// A wildcard value: `*` any run, `\*` and `\\` the characters; positions are UTF-8 bytes of the quoted value.
    func wildcard(_ s: String) throws(PatternError) -> [EventPattern.WildcardPiece] {
        let bytes = Array(("\"" + s + "\"").utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "*"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "*") {
                throw barf("Consecutive wildcard characters at pos \(i)")
            }
            if bytes[i] == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "*") || bytes[i + 1] == UInt8(ascii: "\\") else {
                    throw barf("Invalid escape character at pos \(i)")
                }
                i += 1
            }
            i += 1
        }
        var out: [EventPattern.WildcardPiece] = []
        var escaped = false
        for c in s.unicodeScalars {
            if escaped { out.append(.scalar(c)); escaped = false; continue }
            if c == "\\" { escaped = true; continue }
            out.append(c == "*" ? .star : .scalar(c))
        }
        return out
    }

    mutating func numericExpression() throws(PatternError) -> EventPattern.Condition {
        guard try nextToken() == .string else {
            let shown = try tokenText()
            throw barf("Invalid member in numeric match: \(shown)")
        }
        let op = try getText()
        let t = try nextToken()
        func value(_ t: Token?) -> Double? {
            if case .number(let n)? = t { return Double(n) }
            return nil
        }
        switch op {
        case "=":
            guard let v = value(t) else { throw barf("Value of equals must be numeric") }
            if try nextToken() != .endArray { throw barf("Too many elements in numeric expression") }
            return .numeric(lower: nil, upper: nil, equal: v)
        case ">=", ">":
            guard let v = value(t) else { throw barf("Value of \(op) must be numeric") }
            let next = try nextToken()
            if next == .endArray { return .numeric(lower: (v, op == ">"), upper: nil, equal: nil) }
            guard next == .string else {
                let shown = try tokenText()
                throw barf("Bad value in numeric range: \(shown)")
            }
            let topOp = try getText()
            guard topOp == "<" || topOp == "<=" else { throw barf("Bad numeric range operator: \(topOp)") }
            guard let top = value(try nextToken()) else { throw barf("Value of \(topOp) must be numeric") }
            if try nextToken() != .endArray { throw barf("Too many terms in numeric range expression") }
            return .numeric(lower: (v, op == ">"), upper: (top, topOp == "<"), equal: nil)
        case "<=", "<":
            guard let v = value(t) else { throw barf("Value of \(op) must be numeric") }
            if try nextToken() != .endArray { throw barf("Too many elements in numeric expression") }
            return .numeric(lower: nil, upper: (v, op == "<"), equal: nil)
        default:
            throw barf("Unrecognized numeric range operator: \(op)")
        }
    }

    /// Runs `body`; a failure inside it comes out with the position appended once more (AWS's compiler catches and
    /// re-raises errors in anything-but lists, so their text carries the position twice).
    mutating func rethrowingTwice<T>(_ body: (inout PatternCompiler) throws(PatternError) -> T) throws(PatternError) -> T {
        var copy = self
        let outcome = Result(catching: { () throws(PatternError) -> T in try body(&copy) })
        self = copy
        switch outcome {
        case .success(let v): return v
        case .failure(let e): throw PatternError(message: e.message + location(pos))
        }
    }

    mutating func anythingBut() throws(PatternError) -> EventPattern.Condition {
        var kind = "anything-but"
        var t = try nextToken()
        if t == .startObject {
            guard case .fieldName(let inner)? = try nextToken() else { throw barf("Anything-But expression name not found") }
            guard ["equals-ignore-case", "prefix", "suffix", "wildcard"].contains(inner) else {
                throw barf("Unsupported anything-but pattern: \(inner)")
            }
            kind = inner
            t = try nextToken()
        }
        var isNumber = false
        if case .number? = t { isNumber = true }
        guard t == .startArray || t == .string || isNumber else {
            throw barf("Value of anything-but must be an array or single string/number value.")
        }
        let result: EventPattern.AnythingBut
        if kind == "anything-but" {
            if t == .startArray {
                var strings = Set<String>()
                var numbers: [Double] = []
                try rethrowingTwice { (p: inout PatternCompiler) throws(PatternError) -> Void in
                    while let item = try p.nextToken(), item != .endArray {
                        switch item {
                        case .string: strings.insert(try p.getText())
                        case .number(let n): numbers.append(Double(n) ?? .nan)
                        default: throw p.barf("Inside anything but list, start|null|boolean is not supported.")
                        }
                    }
                }
                if strings.isEmpty == numbers.isEmpty {
                    throw barf("Inside anything but list, either all values are number or string, mixed type is not supported")
                }
                result = strings.isEmpty ? .numbers(numbers) : .strings(strings)
            } else if case .number(let n)? = t {
                result = .numbers([Double(n) ?? .nan])
            } else {
                result = .strings([try getText()])
            }
        } else {
            var texts: [String] = []
            func notString(_ p: PatternCompiler) -> PatternError {
                kind == "equals-ignore-case" ? p.barf("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.")
                    : kind == "wildcard" ? p.barf("wildcard match pattern must be a string") : p.barf("prefix/suffix match pattern must be a string")
            }
            let affix = kind == "prefix" || kind == "suffix"
            if t == .startArray {
                // AWS places a non-string in an anything-but wildcard list at the list's opening bracket (recorded:
                // column 57 twice for `{"wildcard": [123, …]}`), unlike the other lists, which point after the value.
                let listStart = pos
                try rethrowingTwice { (p: inout PatternCompiler) throws(PatternError) -> Void in
                    while let item = try p.nextToken(), item != .endArray {
                        if item != .string, kind == "wildcard" {
                            p.pos = listStart
                            throw notString(p)
                        }
                        guard item == .string else { throw notString(p) }
                        let s = try p.getText()
                        if affix && s.isEmpty { throw p.barf("Null prefix/suffix not allowed") }
                        texts.append(s)
                    }
                }
            } else {
                guard t == .string else { throw notString(self) }
                let s = try getText()
                if affix && s.isEmpty { throw barf("Null prefix/suffix not allowed") }
                texts.append(s)
            }
            switch kind {
            case "equals-ignore-case": result = .ignoreCase(Set(texts.map { $0.lowercased() }))
            case "prefix": result = .prefixes(texts)
            case "suffix": result = .suffixes(texts)
            default:
                var list: [[EventPattern.WildcardPiece]] = []
                for s in texts { list.append(try wildcard(s)) }
                result = .wildcards(list)
            }
        }
        // (AWS's compiler words an extra member here as it does for numeric expressions.)
        if try nextToken() != .endObject { throw barf("Too many elements in numeric expression") }
        if kind != "anything-but", try nextToken() != .endObject { throw barf("Too many elements in numeric expression") }
        return .anythingBut(result)
    }

    // MARK: IP addresses

    /// An IPv4 (4 bytes) or IPv6 (16 bytes) address literal.
    static func ipBytes(_ s: String) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) {
            var out: [UInt8] = []
            for p in parts {
                guard p.count <= 3, let b = UInt8(p) else { return nil }
                out.append(b)
            }
            return out
        }
        guard s.contains(":"), s.allSatisfy({ $0.isHexDigit || $0 == ":" }) else { return nil }
        let halves = s.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ h: String) -> [UInt16]? {
            if h.isEmpty { return [] }
            var out: [UInt16] = []
            for g in h.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(g.count), let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// A `cidr` value as a byte range; AWS's reasons, without a position.
    static func cidr(_ s: String) throws(PatternError) -> EventPattern.Condition {
        // As Java's split: trailing empty parts are dropped ("10.0.0.0/" has one part).
        var parts = s.components(separatedBy: "/")
        while parts.count > 1, parts.last == "" { parts.removeLast() }
        guard parts.count == 2 else { throw PatternError(message: "Malformed CIDR, one '/' required") }
        guard let bits = Int32(parts[1]) else { throw PatternError(message: "Malformed CIDR, mask bits must be an integer") }
        guard bits >= 0 else { throw PatternError(message: "Malformed CIDR, mask bits must not be negative") }
        guard let ip = ipBytes(parts[0]) else { throw PatternError(message: "Nonstandard IP address: \(parts[0])") }
        if ip.count == 4 && bits > 31 { throw PatternError(message: "IPv4 mask bits must be < 32") }
        if ip.count == 16 && bits > 127 { throw PatternError(message: "IPv6 mask bits must be < 128") }
        // The range starts at the address as written (not masked down) and ends with the host bits all set, as AWS's
        // matcher builds it.
        var high = ip
        for i in 0..<ip.count {
            let keep = max(0, min(8, Int(bits) - i * 8))
            let mask: UInt8 = keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
            high[i] = ip[i] | ~mask
        }
        return .cidr(ip, high)
    }
}
