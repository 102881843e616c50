// EventBridge's pattern compiler over the streaming reader: each match form with AWS's reasons for invalid ones.
import Foundation
import WardenCore

extension PatternCompiler {
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
