// One operator applied to one key ("StringLike": {"s3:prefix": [...]}) with its values compiled for fast tests.

/// An ARN pattern for ArnEquals/ArnLike: each of the six colon-separated parts is matched on its own, so a `*`
/// never crosses a colon except inside the resource part.
struct ARNPattern: Sendable, Equatable {
    /// Six globs, or nil for a pattern that is "*" alone (matches any value).
    let segments: [Glob]?

    init?(_ text: String) {
        if text == "*" {
            segments = nil
            return
        }
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        segments = parts.map { Glob(pattern: String($0)) }
    }

    init(tokens: [GlobToken]) {
        var segs: [[GlobToken]] = [[]]
        for t in tokens {
            if t == .byte(UInt8(ascii: ":")), segs.count < 6 { segs.append([]) } else { segs[segs.count - 1].append(t) }
        }
        segments = segs.count == 6 ? segs.map { Glob(tokens: $0) } : (tokens == [.star] ? nil : [])
    }

    func matches(_ parts: [Substring]?) -> Bool {
        guard let segments else { return true }
        guard let parts, parts.count == 6, segments.count == 6 else { return false }
        for k in 0..<6 where !segments[k].matches(parts[k]) { return false }
        return true
    }
}

/// A policy value, compiled for the operator's test.
enum ConditionValue: Sendable, Equatable {
    case text(String)
    /// Lowercased, for StringEqualsIgnoreCase and Bool.
    case folded(String)
    case pattern(Glob)
    case number(Double?)
    case date(Double?)
    case binary([UInt8]?)
    case network(IPNetwork?)
    case arn(ARNPattern?)
    case null(Bool?)
    /// A value with policy variables; compiled as one of the above once the request fills it in.
    case template(Template)

    static func compile(_ raw: String, test: ConditionTest, variables: Bool) -> ConditionValue {
        if variables, test.allowsVariables, let t = Template.parse(raw) { return .template(t) }
        switch test {
        case .stringEquals: return .text(raw)
        case .stringEqualsIgnoreCase, .bool: return .folded(raw.lowercased())
        case .stringLike: return .pattern(Glob(pattern: raw))
        case .numericEquals, .numericLessThan, .numericLessThanEquals, .numericGreaterThan, .numericGreaterThanEquals:
            return .number(ScalarParsing.number(raw))
        case .dateEquals, .dateLessThan, .dateLessThanEquals, .dateGreaterThan, .dateGreaterThanEquals:
            return .date(ScalarParsing.date(raw))
        case .binaryEquals: return .binary(ScalarParsing.base64(raw))
        case .ipAddress: return .network(IPNetwork(raw))
        case .arnLike: return .arn(ARNPattern(raw))
        case .null:
            switch raw.lowercased() {
            case "true": return .null(true)
            case "false": return .null(false)
            default: return .null(nil)
            }
        }
    }

    /// Compiles a filled-in template; substituted text is literal, never a wildcard.
    static func compile(_ filled: [Template.Filled], test: ConditionTest) -> ConditionValue {
        switch test {
        case .stringLike: return .pattern(Glob(tokens: filled.globTokens))
        case .arnLike: return .arn(ARNPattern(tokens: filled.globTokens))
        default: return compile(filled.joined, test: test, variables: false)
        }
    }
}

/// The request side of a comparison, computed once per request value rather than once per policy value.
enum ConditionOperand {
    case string(String)
    case number(Double?)
    case date(Double?)
    case bytes([UInt8])
    case network(IPNetwork?)
    case arnParts([Substring]?)

    init(_ value: String, test: ConditionTest) {
        switch test {
        case .stringEquals, .stringLike, .null: self = .string(value)
        case .stringEqualsIgnoreCase, .bool: self = .string(value.lowercased())
        case .numericEquals, .numericLessThan, .numericLessThanEquals, .numericGreaterThan, .numericGreaterThanEquals:
            self = .number(ScalarParsing.number(value))
        case .dateEquals, .dateLessThan, .dateLessThanEquals, .dateGreaterThan, .dateGreaterThanEquals:
            self = .date(ScalarParsing.date(value))
        // Binary context values arrive as base64 text; anything else is compared as its own bytes.
        case .binaryEquals: self = .bytes(ScalarParsing.base64(value) ?? Array(value.utf8))
        case .ipAddress: self = .network(IPNetwork(value))
        case .arnLike:
            let parts = value.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            self = .arnParts(parts.count == 6 ? parts : nil)
        }
    }
}

struct ConditionBlock: Sendable, Equatable {
    let op: ConditionOperator
    /// As written, for GetContextKeysFor*Policy and MissingContextValues.
    let key: String
    let lookupKey: String
    let values: [ConditionValue]
    let hasTemplates: Bool

    init(op: ConditionOperator, key: String, values: [ConditionValue]) {
        self.op = op
        self.key = key
        self.lookupKey = key.lowercased()
        self.values = values
        self.hasTemplates = values.contains { if case .template = $0 { return true } else { return false } }
    }

    var variables: [PolicyVariable] {
        values.flatMap { v -> [PolicyVariable] in if case .template(let t) = v { return t.variables } else { return [] } }
    }

    /// The Condition operators page: a missing key makes a condition false, except that negated operators match,
    /// `...IfExists` matches, `ForAllValues` matches an empty set and `ForAnyValue` does not.
    func evaluate(_ lookup: (String) -> [String]?) -> Bool {
        let requestValues = lookup(lookupKey)
        let present = !(requestValues?.isEmpty ?? true)
        if op.test == .null {
            // "true" asks that the key be absent, "false" that it be present; several values are ORed.
            return values.contains { if case .null(let wantsNull?) = $0 { return wantsNull != present } else { return false } }
        }
        guard present, let requestValues else {
            if op.ifExists { return true }
            switch op.qualifier {
            case .forAllValues: return true
            case .forAnyValue: return false
            case .none: return op.negated
            }
        }
        // A variable without a value makes the statement fail to match, whatever the operator's polarity.
        guard let policyValues = resolved(lookup) else { return false }
        let test = op.test
        let negated = op.negated
        func holds(_ value: String) -> Bool {
            let operand = ConditionOperand(value, test: test)
            let any = policyValues.contains { Self.matches(operand, $0, test) }
            return negated ? !any : any
        }
        switch op.qualifier {
        // Without a set qualifier a negated operator is NOR over every pair, so each request value must hold.
        case .none: return negated ? requestValues.allSatisfy(holds) : requestValues.contains(where: holds)
        case .forAllValues: return requestValues.allSatisfy(holds)
        case .forAnyValue: return requestValues.contains(where: holds)
        }
    }

    private func resolved(_ lookup: (String) -> [String]?) -> [ConditionValue]? {
        guard hasTemplates else { return values }
        var out: [ConditionValue] = []
        out.reserveCapacity(values.count)
        for v in values {
            if case .template(let t) = v {
                guard let filled = t.fill(lookup) else { return nil }
                out.append(ConditionValue.compile(filled, test: op.test))
            } else {
                out.append(v)
            }
        }
        return out
    }

    private static func matches(_ operand: ConditionOperand, _ value: ConditionValue, _ test: ConditionTest) -> Bool {
        switch (operand, value) {
        // Byte for byte: String's == would also equate canonically equivalent Unicode spellings, which IAM does not.
        case (.string(let s), .text(let p)), (.string(let s), .folded(let p)): return s.utf8.elementsEqual(p.utf8)
        case (.string(let s), .pattern(let g)): return g.matches(s)
        case (.number(let a?), .number(let b?)): return compare(a, b, test)
        case (.date(let a?), .date(let b?)): return compare(a, b, test)
        case (.bytes(let a), .binary(let b?)): return a == b
        case (.network(let address?), .network(let block?)): return block.contains(address)
        case (.arnParts(let parts), .arn(let pattern?)): return pattern.matches(parts)
        default: return false
        }
    }

    private static func compare(_ request: Double, _ policy: Double, _ test: ConditionTest) -> Bool {
        switch test {
        case .numericEquals, .dateEquals: return request == policy
        case .numericLessThan, .dateLessThan: return request < policy
        case .numericLessThanEquals, .dateLessThanEquals: return request <= policy
        case .numericGreaterThan, .dateGreaterThan: return request > policy
        case .numericGreaterThanEquals, .dateGreaterThanEquals: return request >= policy
        default: return false
        }
    }
}
