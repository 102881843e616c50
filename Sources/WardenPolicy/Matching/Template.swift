// Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, `${*}`): parsed once, filled in per request.

/// A `${key}` or `${key, 'default'}` placeholder.
struct PolicyVariable: Sendable, Equatable {
    /// The key as written (GetContextKeysFor*Policy reports it so).
    let key: String
    /// Lowercased: context keys are case-insensitive.
    let lookupKey: String
    let defaultValue: String?
}

/// Text from a 2012-10-17 document that contains at least one variable or special-character escape.
struct Template: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        /// Policy text: `*` and `?` in it keep their wildcard meaning for patterns.
        case text(String)
        /// `${*}`, `${?}`, `${$}`: the character itself, never a wildcard.
        case escaped(String)
        case variable(PolicyVariable)
    }

    /// A filled-in part: policy text keeps its wildcards, anything substituted is literal.
    enum Filled: Sendable {
        case text(String)
        case literal(String)
    }

    let parts: [Part]
    /// The parts as pattern tokens (text keeps its wildcards, escapes are literal) and the variables between them,
    /// so that filling in a pattern only appends the substituted bytes.
    private let tokenParts: [TokenPart]
    /// Bytes every match must start and end with: most requests fail on these before any variable is looked up.
    let requiredPrefix: [UInt8]
    let requiredSuffix: [UInt8]

    private enum TokenPart: Sendable, Equatable {
        case tokens([GlobToken])
        case variable(PolicyVariable)
    }

    init(parts: [Part]) {
        self.parts = parts
        tokenParts = parts.map { part in
            switch part {
            case .text(let t): .tokens(t.utf8.map(GlobToken.init(patternByte:)))
            case .escaped(let e): .tokens(e.utf8.map { .byte($0) })
            case .variable(let v): .variable(v)
            }
        }
        requiredPrefix = Self.literalRun(tokenParts)
        requiredSuffix = Self.literalRun(tokenParts.reversed().map { part in
            if case .tokens(let t) = part { return .tokens(t.reversed()) }
            return part
        }).reversed()
    }

    /// The literal bytes at the start of the token parts, up to the first wildcard or variable.
    private static func literalRun(_ parts: [TokenPart]) -> [UInt8] {
        var out: [UInt8] = []
        for part in parts {
            guard case .tokens(let tokens) = part else { return out }
            for t in tokens {
                guard case .byte(let b) = t else { return out }
                out.append(b)
            }
        }
        return out
    }

    /// A cheap necessary condition for `globTokens(_:)` to match `input`.
    func mayMatch(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        guard input.count >= requiredPrefix.count, input.count >= requiredSuffix.count else { return false }
        for (k, b) in requiredPrefix.enumerated() where input[k] != b { return false }
        let offset = input.count - requiredSuffix.count
        for (k, b) in requiredSuffix.enumerated() where input[offset + k] != b { return false }
        return true
    }

    /// The filled-in pattern: wildcards only where the policy wrote them; nil when a variable has no value.
    func globTokens(_ lookup: (String) -> [String]?) -> [GlobToken]? {
        var out: [GlobToken] = []
        out.reserveCapacity(requiredPrefix.count + requiredSuffix.count + 32)
        for part in tokenParts {
            switch part {
            case .tokens(let t): out.append(contentsOf: t)
            case .variable(let v):
                guard let value = Self.value(of: v, lookup) else { return nil }
                for b in value.utf8 { out.append(.byte(b)) }
            }
        }
        return out
    }

    /// A variable's value: the key's single value, else its default. A multivalued key cannot be a variable.
    private static func value(of v: PolicyVariable, _ lookup: (String) -> [String]?) -> String? {
        if let values = lookup(v.lookupKey), values.count == 1 { return values[0] }
        return v.defaultValue
    }

    var variables: [PolicyVariable] {
        parts.compactMap { if case .variable(let v) = $0 { return v } else { return nil } }
    }

    /// Returns nil when `text` has nothing to substitute, so callers can precompile it as plain text.
    static func parse(_ text: String) -> Template? {
        guard text.contains("${") else { return nil }
        var parts: [Part] = []
        var pending = ""
        var rest = Substring(text)
        while let open = rest.firstRange(of: "${") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
            pending += rest[..<open.lowerBound]
            let inner = rest[open.upperBound..<close]
            if let part = Self.part(inner) {
                if !pending.isEmpty { parts.append(.text(pending)) }
                pending = ""
                parts.append(part)
            } else {
                // Not a variable IAM would recognise: the characters stay as they were written.
                pending += rest[open.lowerBound...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        pending += rest
        if !pending.isEmpty { parts.append(.text(pending)) }
        guard parts.contains(where: { if case .text = $0 { return false } else { return true } }) else { return nil }
        return Template(parts: parts)
    }

    private static func part(_ inner: Substring) -> Part? {
        switch inner {
        case "*", "?", "$": return .escaped(String(inner))
        default: break
        }
        var key = Substring(inner)
        var defaultValue: String?
        if let comma = inner.firstIndex(of: ",") {
            key = inner[..<comma]
            // IAM writes the default as `, 'value'`: a comma, a space, and the value in single quotes.
            let raw = inner[inner.index(after: comma)...].trimmingSpaces()
            guard raw.count >= 2, raw.first == "'", raw.last == "'" else { return nil }
            defaultValue = String(raw.dropFirst().dropLast())
        }
        let trimmed = key.trimmingSpaces()
        guard !trimmed.isEmpty, !trimmed.contains(where: { $0 == "{" || $0 == "$" || $0 == " " }) else { return nil }
        return .variable(PolicyVariable(key: String(trimmed), lookupKey: trimmed.lowercased(), defaultValue: defaultValue))
    }

    /// Substitutes every variable, or returns nil when one has no value and no default: IAM then treats the
    /// element as not matching ("any attempt to match it fails").
    func fill(_ lookup: (String) -> [String]?) -> [Filled]? {
        var out: [Filled] = []
        out.reserveCapacity(parts.count)
        for part in parts {
            switch part {
            case .text(let t): out.append(.text(t))
            case .escaped(let e): out.append(.literal(e))
            case .variable(let v):
                guard let value = Self.value(of: v, lookup) else { return nil }
                out.append(.literal(value))
            }
        }
        return out
    }

    /// The keys of variables that have neither a value nor a default.
    func unresolvedKeys(_ lookup: (String) -> [String]?) -> [String] {
        variables.compactMap { v in
            if let values = lookup(v.lookupKey), values.count == 1 { return nil }
            return v.defaultValue == nil ? v.key : nil
        }
    }
}

extension Array where Element == Template.Filled {
    /// The filled-in value as a plain string (exact comparisons).
    var joined: String {
        var s = ""
        for f in self {
            switch f {
            case .text(let t), .literal(let t): s += t
            }
        }
        return s
    }

    /// The filled-in value as pattern tokens: wildcards only where the policy wrote them.
    var globTokens: [GlobToken] {
        var out: [GlobToken] = []
        for f in self {
            switch f {
            case .text(let t):
                out.append(contentsOf: t.utf8.map(GlobToken.init(patternByte:)))
            case .literal(let l):
                out.append(contentsOf: l.utf8.map { .byte($0) })
            }
        }
        return out
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
