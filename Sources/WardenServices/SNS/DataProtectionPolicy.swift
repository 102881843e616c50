// Message data protection policies (SNS Developer Guide, "Understanding data protection policies", "Data protection
// policy operations", "Custom data identifiers"): the document parsed and validated, and evaluated against one message —
// Deny, De-identify (mask or redact) and Audit findings, by direction and principal.
//
// Validation errors read "Invalid parameter: DataProtectionPolicy Reason: <reason>". One reason is recorded from SNS
// ("Statement DataDirection must be either Inbound or Outbound", WSO2's ballerina-aws-sns connector tests run against
// AWS); AWS's exact texts for the others are not documented, so they are Warden's own, written in the same style.
import Foundation
import WardenAPI
import WardenCore

struct DataProtectionPolicy: Sendable {
    enum Direction: String, Sendable { case inbound = "Inbound", outbound = "Outbound" }

    /// Where an Audit statement sends its findings.
    struct Destinations: Sendable, Equatable {
        var logGroup: String?
        var deliveryStream: String?
        var bucket: String?
    }

    struct Audit: Sendable, Equatable {
        var sampleRate: Int
        var findings: Destinations?
        var noFindings: Destinations?
    }

    enum Operation: Sendable, Equatable {
        case audit(Audit)
        /// `mask`: the character that replaces each character of the data; nil redacts (removes) it.
        case deidentify(mask: Character?)
        case deny
    }

    struct Statement: Sendable {
        var sid: String?
        var direction: Direction
        var principals: [String]
        /// Managed identifier names (the ARN's last part) and custom identifier names.
        var identifiers: [String]
        var operation: Operation

        func applies(to principals: [String]) -> Bool {
            self.principals.contains("*") || self.principals.contains { principals.contains($0) }
        }
    }

    let name: String
    let statements: [Statement]
    let custom: [String: SharedRegex]

    static let version = "2021-06-01"
    static let maxCustomIdentifiers = 10
    static let logGroupPrefix = "/aws/vendedlogs/"

    static func invalid(_ reason: String) -> AWSError { SNSService.invalid("DataProtectionPolicy Reason: \(reason)") }

    init(_ text: String) throws(AWSError) {
        guard let doc = try? JSONParser.parse(Array(text.utf8)) else { throw Self.invalid(SNSService.jsonParseFailure(text)) }
        guard case .object(let members) = doc else { throw Self.invalid("Policy must be a JSON object") }
        for (key, _) in members where !["Name", "Description", "Version", "Statement", "Configuration"].contains(key) {
            throw Self.invalid("Unrecognized policy field \(key)")
        }
        guard let name = doc["Name"]?.stringValue, !name.isEmpty else { throw Self.invalid("Policy Name must be a non-empty string") }
        if let d = doc["Description"], d.stringValue == nil { throw Self.invalid("Policy Description must be a string") }
        guard doc["Version"]?.stringValue == Self.version else { throw Self.invalid("Policy Version must be \(Self.version)") }
        let custom = try Self.customIdentifiers(doc["Configuration"])
        guard case .array(let items)? = doc["Statement"], !items.isEmpty else {
            throw Self.invalid("Policy Statement must be a non-empty list of statements")
        }
        var statements: [Statement] = []
        for item in items { statements.append(try Self.statement(item, custom: custom)) }
        guard statements.filter({ if case .audit = $0.operation { return true }; return false }).count <= 1 else {
            throw Self.invalid("Policy can have only one Audit statement")
        }
        self.name = name
        self.statements = statements
        self.custom = custom
    }

    /// `Configuration.CustomDataIdentifier`: at most 10, each a Name (1–128 letters, digits, `_`, `-`, not a managed
    /// identifier's) and a Regex (1–200 of the characters the guide lists).
    static func customIdentifiers(_ value: JSONValue?) throws(AWSError) -> [String: SharedRegex] {
        guard let value else { return [:] }
        guard case .object(let members) = value else { throw invalid("Configuration must be a JSON object") }
        for (key, _) in members where key != "CustomDataIdentifier" { throw invalid("Unrecognized Configuration field \(key)") }
        guard let list = value["CustomDataIdentifier"] else { return [:] }
        guard case .array(let entries) = list else { throw invalid("CustomDataIdentifier must be a list") }
        guard entries.count <= maxCustomIdentifiers else {
            throw invalid("A maximum of \(maxCustomIdentifiers) custom data identifiers are supported")
        }
        let nameChars = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
        let regexChars = nameChars.union("#=@/;, ^$?[]{}|\\*+.")
        var out: [String: SharedRegex] = [:]
        for entry in entries {
            guard let name = entry["Name"]?.stringValue, (1...128).contains(name.count), name.allSatisfy(nameChars.contains) else {
                throw invalid("CustomDataIdentifier Name must be 1 to 128 letters, digits, underscores or hyphens")
            }
            guard !DataIdentifiers.known.contains(name) else {
                throw invalid("CustomDataIdentifier Name \(name) is the name of a managed data identifier")
            }
            guard out[name] == nil else { throw invalid("CustomDataIdentifier Name \(name) is defined more than once") }
            guard let regex = entry["Regex"]?.stringValue, (1...200).contains(regex.count), regex.allSatisfy(regexChars.contains),
                  let compiled = SharedRegex(regex) else {
                throw invalid("CustomDataIdentifier Regex of \(name) must be a regular expression of 1 to 200 supported characters")
            }
            // A pattern that would backtrack without end (CustomIdentifierRegex.swift): AWS documents no such rule, so this
            // reason is Warden's own.
            guard !CustomIdentifierRegex.stacksUnboundedQuantifiers(regex) else {
                throw invalid("CustomDataIdentifier Regex of \(name) must not repeat unbounded quantifiers that can match the same characters")
            }
            out[name] = compiled
        }
        return out
    }

    static func strings(_ value: JSONValue?) -> [String]? {
        guard case .array(let items)? = value else { return nil }
        let out = items.compactMap(\.stringValue)
        return out.count == items.count && !out.isEmpty ? out : nil
    }

    static func statement(_ item: JSONValue, custom: [String: SharedRegex]) throws(AWSError) -> Statement {
        guard case .object(let members) = item else { throw invalid("Statement must be a JSON object") }
        for (key, _) in members where !["Sid", "DataDirection", "Principal", "DataIdentifier", "Operation"].contains(key) {
            throw invalid("Unrecognized Statement field \(key)")
        }
        if let sid = item["Sid"], sid.stringValue == nil { throw invalid("Statement Sid must be a string") }
        // Recorded from SNS, for a DataDirection of "Inbxound".
        guard let direction = item["DataDirection"]?.stringValue.flatMap(Direction.init(rawValue:)) else {
            throw invalid("Statement DataDirection must be either Inbound or Outbound")
        }
        guard let principals = strings(item["Principal"]) else { throw invalid("Statement Principal must be a non-empty list of principals") }
        guard let identifiers = strings(item["DataIdentifier"]) else {
            throw invalid("Statement DataIdentifier must be a non-empty list of data identifiers")
        }
        var names: [String] = []
        for id in identifiers {
            if id.hasPrefix(DataIdentifiers.arnPrefix), DataIdentifiers.known.contains(String(id.dropFirst(DataIdentifiers.arnPrefix.count))) {
                names.append(String(id.dropFirst(DataIdentifiers.arnPrefix.count)))
            } else if custom[id] != nil {
                names.append(id)
            } else {
                throw invalid("Statement DataIdentifier \(id) is neither a managed data identifier ARN nor a custom data identifier of the policy")
            }
        }
        guard case .object(let ops)? = item["Operation"], ops.count == 1, let op = ops.first else {
            throw invalid("Statement Operation must contain exactly one of Audit, Deidentify or Deny")
        }
        let (kind, body) = op
        let operation: Operation
        switch kind {
        case "Deny":
            guard case .object(let fields) = body, fields.isEmpty else { throw invalid("Deny operation must be an empty object") }
            operation = .deny
        case "Deidentify":
            // The guide: "This operation is available for inbound messages only".
            guard direction == .inbound else { throw invalid("Deidentify operation is supported for Inbound statements only") }
            operation = try deidentify(body)
        case "Audit":
            // The guide: "The Audit operation samples topic inbound messages".
            guard direction == .inbound else { throw invalid("Audit operation is supported for Inbound statements only") }
            operation = .audit(try audit(body))
        default:
            throw invalid("Statement Operation must contain exactly one of Audit, Deidentify or Deny")
        }
        return Statement(sid: item["Sid"]?.stringValue, direction: direction, principals: principals, identifiers: names, operation: operation)
    }

    static func deidentify(_ body: JSONValue) throws(AWSError) -> Operation {
        guard case .object(let fields) = body, fields.count == 1, let field = fields.first, case .object(let settings) = field.1 else {
            throw invalid("Deidentify operation must contain exactly one of MaskConfig or RedactConfig")
        }
        let (kind, config) = field
        switch kind {
        case "RedactConfig":
            guard settings.isEmpty else { throw invalid("RedactConfig must be an empty object") }
            return .deidentify(mask: nil)
        case "MaskConfig":
            for (key, _) in settings where key != "MaskWithCharacter" { throw invalid("Unrecognized MaskConfig field \(key)") }
            guard let given = config["MaskWithCharacter"] else { return .deidentify(mask: "*") }
            // The guide lists the supported characters in a table (asterisk by default); Warden takes any one printable
            // ASCII character.
            guard let text = given.stringValue, text.count == 1, let c = text.first, let a = c.asciiValue, (0x20...0x7E).contains(a) else {
                throw invalid("MaskConfig MaskWithCharacter must be one supported character")
            }
            return .deidentify(mask: c)
        default:
            throw invalid("Deidentify operation must contain exactly one of MaskConfig or RedactConfig")
        }
    }

    static func audit(_ body: JSONValue) throws(AWSError) -> Audit {
        guard case .object(let fields) = body else { throw invalid("Audit operation must be a JSON object") }
        for (key, _) in fields where !["SampleRate", "FindingsDestination", "NoFindingsDestination"].contains(key) {
            throw invalid("Unrecognized Audit field \(key)")
        }
        // "The sample rate can be an integer between 0–99" (written as a string in every example; a number is taken too).
        let rate: Int?
        switch body["SampleRate"] {
        case .string(let s)?: rate = Int(s)
        case .number(let s)?: rate = Int(s)
        default: rate = nil
        }
        guard let rate, (0...99).contains(rate) else { throw invalid("Audit SampleRate must be an integer between 0 and 99") }
        let findings = try destinations(body["FindingsDestination"], "FindingsDestination")
        let noFindings = try destinations(body["NoFindingsDestination"], "NoFindingsDestination")
        guard findings != nil || noFindings != nil else {
            throw invalid("Audit operation requires a FindingsDestination or a NoFindingsDestination")
        }
        return Audit(sampleRate: rate, findings: findings, noFindings: noFindings)
    }

    static func destinations(_ value: JSONValue?, _ field: String) throws(AWSError) -> Destinations? {
        guard let value else { return nil }
        guard case .object(let members) = value else { throw invalid("\(field) must be a JSON object") }
        var d = Destinations()
        for (key, target) in members {
            let (inner, name): (String, String)
            switch key {
            case "CloudWatchLogs": (inner, name) = ("LogGroup", "CloudWatchLogs LogGroup")
            case "Firehose": (inner, name) = ("DeliveryStream", "Firehose DeliveryStream")
            case "S3": (inner, name) = ("Bucket", "S3 Bucket")
            default: throw invalid("Unrecognized \(field) field \(key)")
            }
            guard let text = target[inner]?.stringValue, !text.isEmpty else { throw invalid("\(field) \(name) must be a non-empty string") }
            switch key {
            case "CloudWatchLogs":
                // "The LogGroup must be in the topic region and the name must start with /aws/vendedlogs/".
                guard text.hasPrefix(logGroupPrefix), text.count > logGroupPrefix.count else {
                    throw invalid("\(field) CloudWatchLogs LogGroup must start with \(logGroupPrefix)")
                }
                d.logGroup = text
            case "Firehose": d.deliveryStream = text
            default: d.bucket = text
            }
        }
        return d
    }

    // MARK: evaluation

    /// What the inbound statements make of one published message.
    struct Inbound: Sendable {
        /// The message after de-identification.
        var message: String
        /// A Deny statement found data, or de-identification would leave nothing of the message.
        var denied: Bool
        /// The Audit statement that applies, with its detections in the message as published.
        var audit: Audit?
        var findings: [Detection]
    }

    var hasOutbound: Bool { statements.contains { $0.direction == .outbound } }

    func detections(_ s: Statement, _ text: String, _ budget: MatchBudget) throws -> [Detection] {
        try DataIdentifiers.detect(s.identifiers, in: text, custom: custom, budget: budget)
    }

    /// Inbound statements for a message published by `principals` (the caller's ARN, and its role's for a session).
    /// Audit looks at the message as published; de-identification follows, as the guide orders them. Throws
    /// `MatchBudget.Exceeded` when detection runs past `budget`.
    func inbound(_ message: String, principals: [String], budget: MatchBudget = MatchBudget()) throws -> Inbound {
        var result = Inbound(message: message, denied: false, audit: nil, findings: [])
        var edits: [(NSRange, Character?)] = []
        for s in statements where s.direction == .inbound && s.applies(to: principals) {
            let found = try detections(s, message, budget)
            switch s.operation {
            case .deny: if !found.isEmpty { result.denied = true }
            case .audit(let a):
                result.audit = a
                result.findings = found
            case .deidentify(let mask): edits += found.map { ($0.range, mask) }
            }
        }
        guard !edits.isEmpty else { return result }
        // "The SNS:Publish API caller receives … AuthorizationError … when the entire message is sensitive."
        if Self.covers(edits.map(\.0), message) { result.denied = true }
        result.message = Self.apply(edits, to: message)
        return result
    }

    /// The Outbound Deny statements that find data in `message`: a subscription whose principal one of them names does
    /// not get it. Found once per message, whatever the number of subscriptions.
    func outboundDenials(_ message: String, budget: MatchBudget = MatchBudget()) throws -> [Statement] {
        var out: [Statement] = []
        for s in statements where s.direction == .outbound && s.operation == .deny {
            if !(try detections(s, message, budget)).isEmpty { out.append(s) }
        }
        return out
    }

    /// Whether an Outbound Deny statement keeps `message` from a subscription whose principal is `principal`.
    func deniesOutbound(_ message: String, principal: String, budget: MatchBudget = MatchBudget()) throws -> Bool {
        try outboundDenials(message, budget: budget).contains { $0.applies(to: [principal]) }
    }

    /// Whether the ranges leave nothing of the message but white space.
    static func covers(_ ranges: [NSRange], _ message: String) -> Bool {
        let ns = message as NSString
        var covered = [Bool](repeating: false, count: ns.length)
        for r in ranges { for i in r.location..<min(ns.length, r.location + r.length) { covered[i] = true } }
        for i in 0..<ns.length where !covered[i] {
            guard let scalar = Unicode.Scalar(ns.character(at: i)), scalar.properties.isWhitespace else { return false }
        }
        return true
    }

    /// Masks or removes the ranges (an overlap keeps the first statement's choice), from the end so offsets hold.
    static func apply(_ edits: [(NSRange, Character?)], to message: String) -> String {
        var merged: [(NSRange, Character?)] = []
        for (r, mask) in edits.sorted(by: { $0.0.location < $1.0.location }) {
            if let last = merged.last, NSMaxRange(last.0) > r.location {
                merged[merged.count - 1].0 = NSUnionRange(last.0, r)
            } else {
                merged.append((r, mask))
            }
        }
        let out = NSMutableString(string: message)
        for (r, mask) in merged.reversed() {
            let original = out.substring(with: r)
            out.replaceCharacters(in: r, with: mask.map { String(repeating: $0, count: original.count) } ?? "")
        }
        return out as String
    }
}
