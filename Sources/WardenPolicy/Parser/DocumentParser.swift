// Reads a policy document and checks IAM's grammar in the order IAM reports problems: syntax, legacy parsing, Sids,
// actions, resources, then principals. The first failing check decides the message, as with IAM.

import WardenCore

/// A statement as written, after the syntax checks and before compilation.
struct RawStatement {
    var index: Int
    var members: [(String, JSONValue)]
    var sid: String?
    var effect = ""
    var action: [String]?
    var notAction: [String]?
    var resource: [String]?
    var notResource: [String]?
    var principal: JSONValue?
    var notPrincipal: JSONValue?
    /// Operator name → [(key, values)], in document order; unknown operators with empty blocks are dropped.
    var conditions: [(ConditionOperator, String, [String])] = []
}

/// The result of parsing: what `Policy` keeps.
struct ParsedDocument: Sendable {
    let version: String?
    let documentId: String?
    let statements: [CompiledStatement]
    let conditionKeys: [String]
}

struct DocumentParser {
    static let currentVersion = "2012-10-17"
    static let legacyVersion = "2008-10-17"

    let kind: PolicyKind
    var version: String?
    var documentId: String?
    var statements: [RawStatement] = []

    /// Variables exist only in 2012-10-17 documents; elsewhere `${...}` is literal text.
    var variablesEnabled: Bool { version == Self.currentVersion }

    static func parse(json: String, kind: PolicyKind) throws(PolicyError) -> ParsedDocument {
        var parser = DocumentParser(kind: kind)
        try parser.checkSyntax(json)
        try parser.checkLegacyParsing()
        try parser.checkSids()
        try parser.checkActionsPresent()
        try parser.checkResourcesPresent()
        try parser.checkResourceFormats()
        try parser.checkActionNames()
        return try parser.compile()
    }

    // MARK: Syntax

    private mutating func checkSyntax(_ json: String) throws(PolicyError) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(Array(json.utf8))
        } catch {
            throw .syntax
        }
        guard case .object(let members) = root else { throw .syntax }
        try Self.rejectDuplicateNames(members)
        var statementValue: JSONValue?
        for (name, value) in members {
            switch name {
            case "Version":
                guard let v = value.stringValue, v == Self.currentVersion || v == Self.legacyVersion else { throw .syntax }
                version = v
            case "Id":
                guard let v = value.stringValue else { throw .syntax }
                documentId = v
            case "Statement":
                statementValue = value
            default:
                throw .syntax
            }
        }
        guard let statementValue else { throw kind == .resource ? .missingField("Statement") : .syntax }
        let items: [JSONValue]
        switch statementValue {
        case .object: items = [statementValue]
        case .array(let list) where !list.isEmpty: items = list
        default: throw .syntax
        }
        for (index, item) in items.enumerated() {
            guard case .object(let fields) = item else { throw .syntax }
            statements.append(try statementSyntax(fields, index: index))
        }
    }

    /// JSON allows a name twice; IAM's element grammar does not, and taking either copy silently would let two
    /// readers of one document disagree on what it grants.
    private static func rejectDuplicateNames(_ members: [(String, JSONValue)]) throws(PolicyError) {
        var seen = Set<String>()
        for (name, _) in members where !seen.insert(name).inserted { throw .syntax }
    }

    private func statementSyntax(_ fields: [(String, JSONValue)], index: Int) throws(PolicyError) -> RawStatement {
        try Self.rejectDuplicateNames(fields)
        var s = RawStatement(index: index, members: fields)
        var effect: JSONValue?
        for (name, value) in fields {
            switch name {
            case "Sid":
                guard let v = value.stringValue else { throw .syntax }
                s.sid = v
            case "Effect": effect = value
            case "Action": s.action = try Self.strings(value)
            case "NotAction": s.notAction = try Self.strings(value)
            case "Resource", "NotResource":
                if kind == .trust { throw .prohibitedField(name) }
                if name == "Resource" { s.resource = try Self.strings(value) } else { s.notResource = try Self.strings(value) }
            case "Principal", "NotPrincipal":
                guard kind.namesPrincipal else { throw .principalNotAllowed }
                switch value {
                case .string, .object: break
                default: throw .syntax
                }
                if name == "Principal" { s.principal = value } else { s.notPrincipal = value }
            case "Condition":
                s.conditions = try Self.conditions(value)
            default:
                throw .syntax
            }
        }
        guard let effect else { throw kind == .resource ? .missingField("Effect") : .syntax }
        guard let e = effect.stringValue else { throw .syntax }
        // IAM's first pass accepts any case (the wrong case fails legacy parsing later); S3 names the bad value.
        guard e.lowercased() == "allow" || e.lowercased() == "deny" else {
            throw kind == .resource ? .invalidEffect(e) : .syntax
        }
        if kind == .resource, e != "Allow", e != "Deny" { throw .invalidEffect(e) }
        s.effect = e
        if s.action != nil, s.notAction != nil { throw .syntax }
        if s.resource != nil, s.notResource != nil { throw .syntax }
        if s.principal != nil, s.notPrincipal != nil { throw .syntax }
        if kind.namesPrincipal, s.principal == nil, s.notPrincipal == nil { throw .missingPrincipal }
        return s
    }

    /// A string or an array of strings (Action, Resource and their Not forms).
    static func strings(_ value: JSONValue) throws(PolicyError) -> [String] {
        switch value {
        case .string(let s): return [s]
        case .array(let items):
            var out: [String] = []
            out.reserveCapacity(items.count)
            for item in items {
                guard let s = item.stringValue else { throw .syntax }
                out.append(s)
            }
            return out
        default: throw .syntax
        }
    }

    /// `{"Operator": {"key": value-or-values}}`; values may be strings, numbers or booleans.
    private static func conditions(_ value: JSONValue) throws(PolicyError) -> [(ConditionOperator, String, [String])] {
        guard case .object(let operators) = value else { throw .syntax }
        try rejectDuplicateNames(operators)
        var out: [(ConditionOperator, String, [String])] = []
        for (name, block) in operators {
            guard case .object(let keys) = block else { throw .syntax }
            try rejectDuplicateNames(keys)
            guard let op = ConditionOperator(name) else {
                // moto (after IAM) lets an unknown operator through when its block is empty: it tests nothing.
                if keys.isEmpty { continue }
                throw .syntax
            }
            for (key, raw) in keys {
                switch raw {
                case .array(let items):
                    var values: [String] = []
                    for item in items {
                        guard let v = scalar(item) else { throw .syntax }
                        values.append(v)
                    }
                    out.append((op, key, values))
                default:
                    guard let v = scalar(raw) else { throw .syntax }
                    out.append((op, key, [v]))
                }
            }
        }
        return out
    }

    private static func scalar(_ v: JSONValue) -> String? {
        switch v {
        case .string(let s): s
        case .number(let n): n
        case .bool(let b): b ? "true" : "false"
        default: nil
        }
    }
}
