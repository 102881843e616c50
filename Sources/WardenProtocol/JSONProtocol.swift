// AWS JSON 1.0/1.1: request bodies into model values, model values and errors into response bodies.
import Foundation
import WardenCore

public enum JSONProtocol {
    static func serialization(_ message: String) -> AWSError {
        AWSError(code: "SerializationException", status: 400, message: message)
    }

    /// Decodes a request body against the operation's input shape. An empty body means `{}`.
    public static func decode(_ body: [UInt8], shape: Shape) throws(AWSError) -> AWSValue {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .structure([:]) }
        let json: JSONValue
        do {
            json = try JSONParser.parse(body)
        } catch {
            throw serialization("Could not parse request body into json: \(error.message) at offset \(error.offset)")
        }
        guard case .object = json else { throw serialization("Start of structure or map found where not expected.") }
        return try value(json, shape: shape)
    }

    static func value(_ json: JSONValue, shape: Shape) throws(AWSError) -> AWSValue {
        switch shape.kind {
        case .structure:
            guard case .object(let pairs) = json else { throw serialization("Start of structure or map found where not expected.") }
            var fields: [String: AWSValue] = [:]
            for (key, item) in pairs {
                guard let m = shape.member(named: key) else { continue }  // AWS ignores unknown members
                if case .null = item { continue }
                fields[key] = try value(item, shape: m.shape)
            }
            return .structure(fields)
        case .list:
            guard case .array(let items) = json, let m = shape.member else {
                throw serialization("Start of list found where not expected")
            }
            var out: [AWSValue] = []
            out.reserveCapacity(items.count)
            for item in items {
                if case .null = item { continue }
                out.append(try value(item, shape: m.shape))
            }
            return .list(out)
        case .map:
            guard case .object(let pairs) = json, let v = shape.value else {
                throw serialization("Start of structure or map found where not expected.")
            }
            var out: [String: AWSValue] = [:]
            for (key, item) in pairs {
                if case .null = item { continue }
                out[key] = try value(item, shape: v.shape)
            }
            return .map(out)
        case .string:
            guard case .string(let s) = json else { throw serialization("STRING_VALUE can not be converted to a String") }
            return .string(s)
        case .boolean:
            guard case .bool(let b) = json else { throw serialization("Expected a boolean value") }
            return .boolean(b)
        case .integer, .long:
            guard case .number(let n) = json else { throw serialization("Expected a numeric value") }
            if let i = Int64(n) {
                if shape.kind == .integer, i < Int64(Int32.min) || i > Int64(Int32.max) {
                    throw serialization("Numeric value (\(n)) out of range of int")
                }
                return .integer(i)
            }
            throw serialization("Expected an integer value but found \(n)")
        case .float, .double:
            guard case .number(let n) = json, let d = Double(n) else { throw serialization("Expected a numeric value") }
            return .double(d)
        case .timestamp:
            switch json {
            case .number(let n):
                guard let d = Double(n) else { throw serialization("Invalid timestamp") }
                return .timestamp(Date(timeIntervalSince1970: d))
            case .string(let s):
                if let d = Double(s) { return .timestamp(Date(timeIntervalSince1970: d)) }
                guard let d = Timestamps.parseISO8601(s) else { throw serialization("Invalid timestamp \(s)") }
                return .timestamp(d)
            default:
                throw serialization("Expected a timestamp")
            }
        case .blob:
            guard case .string(let s) = json else { throw serialization("Expected a base64 string") }
            guard let data = Data(base64Encoded: s) else {
                throw serialization("Could not decode base64 value")
            }
            return .blob([UInt8](data))
        }
    }

    /// The JSON tree of a model value (response bodies; also used for audit records).
    public static func json(_ value: AWSValue, shape: Shape) -> JSONValue {
        switch value {
        case .string(let s): return .string(s)
        case .integer(let i): return .int(i)
        case .double(let d): return .modelDouble(d)
        case .boolean(let b): return .bool(b)
        // Epoch seconds as AWS's serializers write a double (`1.5977884524E9`), so a whole second still reads back
        // as a number with a fraction (AWS CLI examples print `1673395200.0`).
        case .timestamp(let d): return .modelDouble((d.timeIntervalSince1970 * 1000).rounded() / 1000)
        case .blob(let b): return .string(Data(b).base64EncodedString())
        case .list(let items):
            let m = shape.member?.shape ?? shape
            return .array(items.map { json($0, shape: m) })
        case .map(let entries):
            let v = shape.value?.shape ?? shape
            return .object(entries.sorted { $0.key < $1.key }.map { ($0.key, json($0.value, shape: v)) })
        case .structure(let fields):
            var out: [(String, JSONValue)] = []
            for m in shape.members {
                if let f = fields[m.name] { out.append((m.name, json(f, shape: m.shape))) }
            }
            return .object(out)
        }
    }

    /// Response bodies, written straight to bytes (no intermediate JSON tree); same output as `json` + `JSONWriter`.
    /// `omitEmptyCollections`: leave out members whose list or map is empty (SQS's JSON, which grew out of its Query
    /// protocol, never sends an empty list or map).
    public static func encode(_ value: AWSValue, shape: Shape, omitEmptyCollections: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, shape: shape, omitEmpty: omitEmptyCollections, into: &out)
        return out
    }

    static func write(_ value: AWSValue, shape: Shape, omitEmpty: Bool = false, into out: inout [UInt8]) {
        switch value {
        case .string(let s): JSONWriter.writeString(s, into: &out)
        case .blob(let b):
            out.append(UInt8(ascii: "\""))
            Base64Bytes.encode(b, into: &out)
            out.append(UInt8(ascii: "\""))
        case .list(let items):
            let m = shape.member?.shape ?? shape
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, shape: m, omitEmpty: omitEmpty, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .map(let entries):
            let v = shape.value?.shape ?? shape
            out.append(UInt8(ascii: "{"))
            for (i, (key, item)) in entries.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(item, shape: v, omitEmpty: omitEmpty, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .structure(let fields):
            out.append(UInt8(ascii: "{"))
            var first = true
            for m in shape.members {
                guard let f = fields[m.name] else { continue }
                if omitEmpty {
                    if case .list(let l) = f, l.isEmpty { continue }
                    if case .map(let e) = f, e.isEmpty { continue }
                }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSONWriter.writeString(m.name, into: &out)
                out.append(UInt8(ascii: ":"))
                write(f, shape: m.shape, omitEmpty: omitEmpty, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .integer, .double, .boolean, .timestamp:
            JSONWriter.write(json(value, shape: shape), into: &out)
        }
    }

    /// `{"__type": "...", "message": "..."}`; the caller adds `x-amzn-ErrorType` with the same code. An error AWS sends
    /// without a message (SSM's `ParameterNotFound`) has an empty `message` and gets no message member at all.
    /// `typePrefix` is the model namespace some services put before the shape name (`com.amazonaws.sqs#`).
    public static func encodeError(_ error: AWSError, messageKey: String = "message", typePrefix: String = "") -> [UInt8] {
        var members: [(String, JSONValue)] = [("__type", .string(typePrefix + error.code))]
        if !error.message.isEmpty { members.append((messageKey, .string(error.message))) }
        return JSONWriter.write(.object(members))
    }
}
