// AWS Query: form parameters into model values; model values and errors into XML.
import Foundation
import WardenCore

public enum QueryProtocol {
    /// Parses `application/x-www-form-urlencoded` text (body or query string). `+` is a space.
    /// Returns nil when the percent-encoding or the UTF-8 underneath is invalid.
    public static func parseForm(_ bytes: [UInt8]) -> [String: String]? {
        var out: [String: String] = [:]
        var start = 0
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.count
            if end > start {
                let pair = bytes[start..<end]
                let eq = pair.firstIndex(of: UInt8(ascii: "=")) ?? end
                guard let key = PercentEncoding.decodeForm(bytes[start..<eq]) else { return nil }
                guard let value = eq < end ? PercentEncoding.decodeForm(bytes[(eq + 1)..<end]) : "" else { return nil }
                if out[key] == nil { out[key] = value }
            }
            start = end + 1
        }
        return out
    }

    /// Decodes the parameters of one operation. `invalid` builds the service's error for a malformed value.
    public static func decode(_ params: [String: String], shape: Shape,
                              invalid: @escaping (String) -> AWSError) throws(AWSError) -> AWSValue {
        let reader = Reader(params: params, invalid: invalid)
        return try reader.structure(prefix: "", shape: shape)
    }

    struct Reader {
        let params: [String: String]
        let prefixes: Set<String>
        let invalid: (String) -> AWSError

        init(params: [String: String], invalid: @escaping (String) -> AWSError) {
            self.params = params
            self.invalid = invalid
            var p = Set<String>()
            for key in params.keys {
                var idx = key.startIndex
                while let dot = key[idx...].firstIndex(of: ".") {
                    p.insert(String(key[..<dot]))
                    idx = key.index(after: dot)
                }
            }
            self.prefixes = p
        }

        func present(_ key: String) -> Bool { params[key] != nil || prefixes.contains(key) }

        func structure(prefix: String, shape: Shape) throws(AWSError) -> AWSValue {
            var fields: [String: AWSValue] = [:]
            for m in shape.members {
                let key = prefix.isEmpty ? m.wireName : "\(prefix).\(m.wireName)"
                if let v = try value(key: key, member: m) { fields[m.name] = v }
            }
            return .structure(fields)
        }

        func value(key: String, member: Member) throws(AWSError) -> AWSValue? {
            let shape = member.shape
            switch shape.kind {
            case .structure:
                guard prefixes.contains(key) else { return nil }
                return try structure(prefix: key, shape: shape)
            case .list:
                guard let element = shape.member else { return nil }
                if params[key] == "" && !prefixes.contains(key) { return .list([]) }
                let base = listBase(key, member: member, element: element)
                var items: [AWSValue] = []
                var n = 1
                while present("\(base).\(n)") {
                    if let v = try value(key: "\(base).\(n)", member: element) { items.append(v) }
                    n += 1
                }
                return items.isEmpty && !present(key) ? nil : .list(items)
            case .map:
                guard let k = shape.key, let v = shape.value else { return nil }
                let flattened = member.flattened || shape.flattened
                let base = flattened ? key : "\(key).entry"
                var out: [String: AWSValue] = [:]
                var n = 1
                while present("\(base).\(n)") {
                    let entry = "\(base).\(n)"
                    guard let name = params["\(entry).\(k.locationName ?? "key")"] else {
                        throw invalid("Map entry \(entry) has no key")
                    }
                    if let item = try value(key: "\(entry).\(v.locationName ?? "value")", member: v) { out[name] = item }
                    n += 1
                }
                return out.isEmpty && !present(key) ? nil : .map(out)
            default:
                guard let text = params[key] else { return nil }
                return try scalar(text, key: key, shape: shape)
            }
        }

        /// Where a list's items are numbered: `Key.member.N`, or for a flattened list `Key.N`, where a named element
        /// replaces the last part of the key (legacy SQS: `AttributeNames` is sent as `AttributeName.1`).
        func listBase(_ key: String, member: Member, element: Member) -> String {
            guard member.flattened || member.shape.flattened else { return "\(key).\(element.locationName ?? "member")" }
            guard let name = element.locationName else { return key }
            guard let dot = key.lastIndex(of: ".") else { return name }
            return "\(key[..<dot]).\(name)"
        }

        func scalar(_ text: String, key: String, shape: Shape) throws(AWSError) -> AWSValue {
            switch shape.kind {
            case .string: return .string(text)
            case .boolean:
                switch text.lowercased() {
                case "true": return .boolean(true)
                case "false": return .boolean(false)
                default: throw invalid("Value '\(text)' for parameter \(key) is invalid. Expected a boolean.")
                }
            case .integer, .long:
                guard let i = Int64(text) else { throw invalid("Value '\(text)' for parameter \(key) is invalid. Expected an integer.") }
                return .integer(i)
            case .float, .double:
                guard let d = Double(text) else { throw invalid("Value '\(text)' for parameter \(key) is invalid. Expected a number.") }
                return .double(d)
            case .timestamp:
                if let d = Timestamps.parseISO8601(text) { return .timestamp(d) }
                if let e = Double(text) { return .timestamp(Date(timeIntervalSince1970: e)) }
                throw invalid("Value '\(text)' for parameter \(key) is invalid. Expected a timestamp.")
            case .blob:
                guard let data = Data(base64Encoded: text) else {
                    throw invalid("Value for parameter \(key) is invalid. Expected base64.")
                }
                return .blob([UInt8](data))
            case .structure, .list, .map:
                throw invalid("Value for parameter \(key) is invalid.")
            }
        }
    }

    /// `<OpResponse xmlns=…><OpResult>…</OpResult><ResponseMetadata><RequestId>…` as Query services answer.
    public static func encodeResponse(operation: String, resultWrapper: String?, value: AWSValue, shape: Shape,
                                      xmlNamespace: String, requestId: String, fractionalTimestamps: Bool = true) -> [UInt8] {
        var w = XMLWriter()
        w.fractionalTimestamps = fractionalTimestamps
        w.open("\(operation)Response", xmlns: xmlNamespace)
        if let resultWrapper {
            w.open(resultWrapper)
            writeMembers(value, shape: shape, into: &w)
            w.close(resultWrapper)
        }
        w.open("ResponseMetadata")
        w.element("RequestId", requestId)
        w.close("ResponseMetadata")
        w.close("\(operation)Response")
        return w.bytes
    }

    static func writeMembers(_ value: AWSValue, shape: Shape, into w: inout XMLWriter) {
        guard case .structure(let fields) = value else { return }
        for m in shape.members {
            if let f = fields[m.name] { write(f, name: m.wireName, member: m, into: &w) }
        }
    }

    static func write(_ value: AWSValue, name: String, member: Member, into w: inout XMLWriter) {
        let shape = member.shape
        switch value {
        case .structure:
            w.open(name)
            writeMembers(value, shape: shape, into: &w)
            w.close(name)
        case .list(let items):
            guard let element = shape.member else { return }
            if member.flattened || shape.flattened {
                // A flattened list's items carry the element's name when it has one (`<Message>` in ReceiveMessageResult).
                for item in items { write(item, name: element.locationName ?? name, member: element, into: &w) }
            } else {
                w.open(name)
                for item in items { write(item, name: element.locationName ?? "member", member: element, into: &w) }
                w.close(name)
            }
        case .map(let entries):
            guard let k = shape.key, let v = shape.value else { return }
            let flattened = member.flattened || shape.flattened
            if !flattened { w.open(name) }
            for (key, item) in entries.sorted(by: { $0.key < $1.key }) {
                w.open(flattened ? name : "entry")
                w.element(k.locationName ?? "key", key)
                write(item, name: v.locationName ?? "value", member: v, into: &w)
                w.close(flattened ? name : "entry")
            }
            if !flattened { w.close(name) }
        case .string(let s): w.element(name, s)
        case .integer(let i): w.element(name, String(i))
        case .double(let d): w.element(name, JavaDouble.format(d))
        case .boolean(let b): w.element(name, b ? "true" : "false")
        case .timestamp(let d): w.element(name, Timestamps.iso8601(d, fractional: w.fractionalTimestamps))
        case .blob(let b): w.element(name, Data(b).base64EncodedString())
        }
    }

    /// `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error><RequestId>…`.
    /// `detail`: SQS ends the error with an empty `<Detail/>`, which clients read as `Detail: None`.
    public static func encodeError(_ error: AWSError, xmlNamespace: String?, requestId: String, detail: Bool = false) -> [UInt8] {
        var w = XMLWriter()
        w.open("ErrorResponse", xmlns: xmlNamespace)
        w.open("Error")
        w.element("Type", error.senderFault ? "Sender" : "Receiver")
        w.element("Code", error.queryCode ?? error.code)
        let message = error.queryMessage ?? error.message
        if !message.isEmpty { w.element("Message", message) }
        if detail { w.empty("Detail") }
        w.close("Error")
        w.element("RequestId", requestId)
        w.close("ErrorResponse")
        return w.bytes
    }
}
