// What a target receives: the event, a fixed Input, the value at an InputPath, or an InputTransformer's template with
// its `<name>` placeholders filled in the way EventBridge fills them (recorded SQS bodies and the "Transforming target
// input" guide):
//   - inside a JSON string literal (`"at <time>"`) a value goes in as text: a string without quotes, anything else as
//     its compact JSON; a path that is not in the event gives the empty string;
//   - in a value position (`{"t": <time>}`) a value goes in as JSON: a string quoted, a number bare, an object or list
//     as compact JSON; a missing path gives `""` (recorded body parses to `"command": ""`);
//   - a result that is a JSON object or array is passed on minified (the guide: "minified and escaped").
// Predefined placeholders: aws.events.rule-arn, aws.events.rule-name, aws.events.event.ingestion-time,
// aws.events.event (the event without `detail`, with camelCase `detailType`) and aws.events.event.json (the whole event).
// Not recorded, so chosen to follow the rules above: numbers and objects inside a string template, and a template
// that is neither a JSON document nor a quoted string (its values go in as plain text).
import Foundation
import WardenCore

extension EventsService {
    static let predefinedPlaceholders: Set<String> = [
        "aws.events.rule-arn", "aws.events.rule-name", "aws.events.event.ingestion-time", "aws.events.event", "aws.events.event.json",
    ]

    /// The template's placeholders: `<name>` where name is letters, digits, `_`, `-` and `.`.
    static func placeholders(_ template: String) -> [(range: Range<String.Index>, name: String)] {
        var out: [(Range<String.Index>, String)] = []
        var i = template.startIndex
        while let open = template[i...].firstIndex(of: "<") {
            let after = template.index(after: open)
            guard let close = template[after...].firstIndex(where: { !Self.isPlaceholderCharacter($0) }), template[close] == ">", close > after else {
                i = after
                continue
            }
            out.append((open..<template.index(after: close), String(template[after..<close])))
            i = template.index(after: close)
        }
        return out
    }

    static func isPlaceholderCharacter(_ ch: Character) -> Bool {
        ch.isASCII && (ch.isLetter || ch.isNumber || ch == "_" || ch == "-" || ch == ".")
    }

    /// The first placeholder that is neither in InputPathsMap nor predefined (PutTargets refuses the target).
    static func undefinedPlaceholder(_ template: String, defined: Set<String>) -> String? {
        placeholders(template).first { !defined.contains($0.name) && !predefinedPlaceholders.contains($0.name) }?.name
    }

    /// What a target receives for `event` (delivered by the rule `ruleArn`).
    static func input(_ t: TargetDoc, _ event: JSONValue, ruleArn: String = "", nowMillis: Int64 = 0) -> [UInt8] {
        if let fixed = t.input { return Array(fixed.utf8) }
        if let path = t.inputPath { return JSONWriter.write(at(path, event) ?? .null) }
        guard let template = t.template else { return JSONWriter.write(event) }
        var values: [String: JSONValue] = [:]
        for (name, path) in t.pathsMap ?? [:] {
            if let v = at(path, event) { values[name] = v }
        }
        values["aws.events.rule-arn"] = .string(ruleArn)
        values["aws.events.rule-name"] = .string(ruleArn.split(separator: "/").last.map(String.init) ?? "")
        let ingested = JSONValue.string(Timestamps.iso8601(Date(timeIntervalSince1970: Double(nowMillis) / 1000), fractional: false))
        values["aws.events.event.ingestion-time"] = ingested
        // The event without its detail, `detailType` in camelCase and the ingestion time as `time`.
        var original: [(String, JSONValue)] = []
        for (key, name) in [("id", "id"), ("account", "account"), ("detailType", "detail-type")] {
            original.append((key, event[name] ?? JSONValue.null))
        }
        original.append(("time", ingested))
        for (key, name) in [("source", "source"), ("region", "region"), ("resources", "resources"), ("version", "version")] {
            original.append((key, event[name] ?? JSONValue.null))
        }
        values["aws.events.event"] = JSONValue.object(original)
        values["aws.events.event.json"] = event
        let text = render(template, values: values)
        // A JSON document is passed on minified; anything else (a quoted string, plain text) as rendered.
        if let first = text.first(where: { !$0.isWhitespace }), first == "{" || first == "[",
           let parsed = try? JSONParser.parse(Array(text.utf8)) {
            return JSONWriter.write(parsed)
        }
        return Array(text.utf8)
    }

    /// Fills the placeholders, each as text inside a JSON string literal and as JSON elsewhere.
    static func render(_ template: String, values: [String: JSONValue]) -> String {
        let structured = template.first(where: { !$0.isWhitespace }).map { $0 == "{" || $0 == "[" || $0 == "\"" } ?? false
        var out = ""
        var inString = false
        var escaped = false
        var i = template.startIndex
        let found = placeholders(template)
        var next = 0
        while i < template.endIndex {
            if next < found.count, found[next].range.lowerBound == i {
                let value = values[found[next].name]
                if inString || !structured {
                    out += textOf(value, escapeForJSON: inString)
                } else {
                    out += value.map { JSONWriter.string($0) } ?? "\"\""
                }
                i = found[next].range.upperBound
                next += 1
                continue
            }
            let ch = template[i]
            if escaped {
                escaped = false
            } else if ch == "\\" && inString {
                escaped = true
            } else if ch == "\"" {
                inString.toggle()
            }
            out.append(ch)
            i = template.index(after: i)
        }
        return out
    }

    /// A value as text: a string as itself, anything else as its compact JSON, nothing for a missing path; escaped
    /// when it goes inside a JSON string literal (so the document stays valid).
    static func textOf(_ value: JSONValue?, escapeForJSON: Bool) -> String {
        guard let value else { return "" }
        let raw: String
        if case .string(let s) = value { raw = s } else { raw = JSONWriter.string(value) }
        guard escapeForJSON else { return raw }
        let quoted = JSONWriter.string(.string(raw))
        return String(quoted.dropFirst().dropLast())
    }

    /// `$.detail.eventName`, `$.detail.items[0]` and `$['detail']`-style paths; nil when the event has nothing there.
    static func at(_ path: String, _ value: JSONValue) -> JSONValue? {
        guard path.hasPrefix("$") else { return nil }
        var v: JSONValue? = value
        var rest = Substring(path.dropFirst())
        while !rest.isEmpty, let current = v {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let end = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
                let key = String(rest[..<end])
                rest = rest[end...]
                if !key.isEmpty { v = current[key] }
            } else if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                var inner = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
                if inner.count >= 2, let q = inner.first, q == "'" || q == "\"", inner.last == q {
                    inner = inner.dropFirst().dropLast()
                    v = current[String(inner)]
                } else if let n = Int(inner), case .array(let items) = current {
                    v = n >= 0 && n < items.count ? items[n] : nil
                } else {
                    return nil
                }
            } else {
                return nil
            }
        }
        return v
    }
}
