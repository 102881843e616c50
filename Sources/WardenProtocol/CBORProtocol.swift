// Smithy RPC v2 CBOR (RFC 8949 bodies): `POST /service/<ServiceName>/operation/<Op>` with `smithy-protocol:
// rpc-v2-cbor`. Request bodies decode into model values; responses and errors (`__type`, `message`) encode back.
// Timestamps are tag 1 (epoch seconds), blobs are byte strings.
import Foundation
import WardenCore

/// A decoded CBOR data item.
indirect enum CBORItem {
    case unsigned(UInt64)
    case negative(UInt64)  // the value is -1 - n
    case bytes([UInt8])
    case text(String)
    case array([CBORItem])
    case map([(CBORItem, CBORItem)])
    case tagged(UInt64, CBORItem)
    case bool(Bool)
    case null
    case float(Double)
}

struct CBORReader {
    let b: [UInt8]
    var i = 0
    var depth = 0

    init(_ b: [UInt8]) { self.b = b }

    static func fail(_ m: String) -> AWSError { AWSError(code: "SerializationException", status: 400, message: "Malformed CBOR: \(m)") }

    mutating func byte() throws(AWSError) -> UInt8 {
        guard i < b.count else { throw Self.fail("unexpected end of input") }
        defer { i += 1 }
        return b[i]
    }

    mutating func uint(_ n: Int) throws(AWSError) -> UInt64 {
        var v: UInt64 = 0
        for _ in 0..<n { v = v << 8 | UInt64(try byte()) }
        return v
    }

    /// The argument of an initial byte; nil for indefinite length (31).
    mutating func argument(_ info: UInt8) throws(AWSError) -> UInt64? {
        switch info {
        case 0..<24: return UInt64(info)
        case 24: return try uint(1)
        case 25: return try uint(2)
        case 26: return try uint(4)
        case 27: return try uint(8)
        case 31: return nil
        default: throw Self.fail("reserved additional information \(info)")
        }
    }

    mutating func take(_ n: UInt64) throws(AWSError) -> [UInt8] {
        guard n <= UInt64(b.count - i) else { throw Self.fail("length beyond the body") }
        defer { i += Int(n) }
        return Array(b[i..<(i + Int(n))])
    }

    mutating func item() throws(AWSError) -> CBORItem {
        depth += 1
        defer { depth -= 1 }
        guard depth < 100 else { throw Self.fail("nested too deeply") }
        let initial = try byte()
        let major = initial >> 5
        let info = initial & 0x1F
        switch major {
        case 0, 1:
            guard let v = try argument(info) else { throw Self.fail("indefinite integer") }
            return major == 0 ? .unsigned(v) : .negative(v)
        case 2, 3:
            var out: [UInt8] = []
            if let n = try argument(info) {
                out = try take(n)
            } else {
                while true {
                    if i < b.count, b[i] == 0xFF { i += 1; break }
                    let chunk = try item()
                    switch (major, chunk) {
                    case (2, .bytes(let c)): out += c
                    case (3, .text(let s)): out += Array(s.utf8)
                    default: throw Self.fail("bad chunk in an indefinite string")
                    }
                }
            }
            if major == 2 { return .bytes(out) }
            guard let s = String(validating: out, as: UTF8.self) else { throw Self.fail("invalid UTF-8 text") }
            return .text(s)
        case 4:
            var out: [CBORItem] = []
            if let n = try argument(info) {
                guard n <= UInt64(b.count - i) else { throw Self.fail("array length beyond the body") }
                for _ in 0..<n { out.append(try item()) }
            } else {
                while true {
                    if i < b.count, b[i] == 0xFF { i += 1; break }
                    out.append(try item())
                }
            }
            return .array(out)
        case 5:
            var out: [(CBORItem, CBORItem)] = []
            if let n = try argument(info) {
                guard n <= UInt64(b.count - i) else { throw Self.fail("map length beyond the body") }
                for _ in 0..<n { out.append((try item(), try item())) }
            } else {
                while true {
                    if i < b.count, b[i] == 0xFF { i += 1; break }
                    out.append((try item(), try item()))
                }
            }
            return .map(out)
        case 6:
            guard let tag = try argument(info) else { throw Self.fail("indefinite tag") }
            return .tagged(tag, try item())
        default:
            switch info {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22, 23: return .null
            case 25:
                let h = UInt16(try uint(2))
                return .float(Double(Float16Bits.decode(h)))
            case 26: return .float(Double(Float(bitPattern: UInt32(try uint(4)))))
            case 27: return .float(Double(bitPattern: try uint(8)))
            default: throw Self.fail("unsupported simple value \(info)")
            }
        }
    }
}

/// IEEE 754 half precision, which CBOR allows for floats.
enum Float16Bits {
    static func decode(_ h: UInt16) -> Float {
        let sign: Float = (h & 0x8000) != 0 ? -1 : 1
        let exp = Int((h >> 10) & 0x1F)
        let frac = Float(h & 0x3FF)
        if exp == 0 { return sign * frac * pow(2, -24) }
        if exp == 31 { return frac == 0 ? sign * .infinity : .nan }
        return sign * (1 + frac / 1024) * pow(2, Float(exp - 15))
    }
}

public enum CBORProtocol {
    static func serialization(_ m: String) -> AWSError { AWSError(code: "SerializationException", status: 400, message: m) }

    /// A request body against the operation's input shape; an empty body is an empty structure.
    public static func decode(_ body: [UInt8], shape: Shape) throws(AWSError) -> AWSValue {
        if body.isEmpty { return .structure([:]) }
        var r = CBORReader(body)
        let item = try r.item()
        guard r.i == body.count else { throw serialization("Malformed CBOR: data after the top-level item") }
        guard case .map = item else { throw serialization("Expected a map at the top level.") }
        return try value(item, shape: shape)
    }

    static func number(_ item: CBORItem) -> Double? {
        switch item {
        case .unsigned(let v): return Double(v)
        case .negative(let v): return -1 - Double(v)
        case .float(let d): return d
        default: return nil
        }
    }

    static func value(_ item: CBORItem, shape: Shape) throws(AWSError) -> AWSValue {
        switch shape.kind {
        case .structure, .map:
            guard case .map(let pairs) = item else { throw serialization("Expected a map.") }
            var out: [String: AWSValue] = [:]
            for (k, v) in pairs {
                guard case .text(let key) = k else { throw serialization("Map keys must be text.") }
                if case .null = v { continue }
                if shape.kind == .structure {
                    guard let m = shape.member(named: key) else { continue }
                    out[key] = try value(v, shape: m.shape)
                } else if let vs = shape.value {
                    out[key] = try value(v, shape: vs.shape)
                }
            }
            return shape.kind == .structure ? .structure(out) : .map(out)
        case .list:
            guard case .array(let items) = item, let m = shape.member else { throw serialization("Expected an array.") }
            var out: [AWSValue] = []
            for x in items {
                if case .null = x { continue }
                out.append(try value(x, shape: m.shape))
            }
            return .list(out)
        case .string:
            guard case .text(let s) = item else { throw serialization("Expected a text string.") }
            return .string(s)
        case .boolean:
            guard case .bool(let v) = item else { throw serialization("Expected a boolean.") }
            return .boolean(v)
        case .integer, .long:
            switch item {
            case .unsigned(let v):
                guard v <= UInt64(Int64.max) else { throw serialization("Integer out of range.") }
                let i = Int64(v)
                if shape.kind == .integer, i > Int64(Int32.max) { throw serialization("Integer out of range.") }
                return .integer(i)
            case .negative(let v):
                guard v < UInt64(Int64.max) else { throw serialization("Integer out of range.") }
                let i = -1 - Int64(v)
                if shape.kind == .integer, i < Int64(Int32.min) { throw serialization("Integer out of range.") }
                return .integer(i)
            default: throw serialization("Expected an integer.")
            }
        case .float, .double:
            guard let d = number(item) else { throw serialization("Expected a number.") }
            return .double(d)
        case .timestamp:
            var inner = item
            if case .tagged(1, let x) = item { inner = x }
            guard let d = number(inner) else { throw serialization("Expected a timestamp (tag 1, epoch seconds).") }
            return .timestamp(Date(timeIntervalSince1970: d))
        case .blob:
            guard case .bytes(let v) = item else { throw serialization("Expected a byte string.") }
            return .blob(v)
        }
    }

    // MARK: encoding

    static func head(_ major: UInt8, _ n: UInt64, into out: inout [UInt8]) {
        let m = major << 5
        switch n {
        case 0..<24: out.append(m | UInt8(n))
        case 24..<256: out += [m | 24, UInt8(n)]
        case 256..<65536: out += [m | 25, UInt8(n >> 8), UInt8(n & 0xFF)]
        case 65536..<4_294_967_296: out.append(m | 26); for s in stride(from: 24, through: 0, by: -8) { out.append(UInt8((n >> UInt64(s)) & 0xFF)) }
        default: out.append(m | 27); for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8((n >> UInt64(s)) & 0xFF)) }
        }
    }

    static func text(_ s: String, into out: inout [UInt8]) {
        head(3, UInt64(s.utf8.count), into: &out)
        out += s.utf8
    }

    static func double(_ d: Double, into out: inout [UInt8]) {
        out.append(0xFB)
        let bits = d.bitPattern
        for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8((bits >> UInt64(s)) & 0xFF)) }
    }

    public static func encode(_ value: AWSValue, shape: Shape) -> [UInt8] {
        var out: [UInt8] = []
        write(value, shape: shape, into: &out)
        return out
    }

    static func write(_ value: AWSValue, shape: Shape, into out: inout [UInt8]) {
        switch value {
        case .string(let s): text(s, into: &out)
        case .integer(let i):
            if i >= 0 { head(0, UInt64(i), into: &out) } else { head(1, UInt64(-1 - i), into: &out) }
        case .double(let d): double(d, into: &out)
        case .boolean(let b): out.append(b ? 0xF5 : 0xF4)
        case .timestamp(let d):
            head(6, 1, into: &out)
            double((d.timeIntervalSince1970 * 1000).rounded() / 1000, into: &out)
        case .blob(let b):
            head(2, UInt64(b.count), into: &out)
            out += b
        case .list(let items):
            let m = shape.member?.shape ?? shape
            head(4, UInt64(items.count), into: &out)
            for x in items { write(x, shape: m, into: &out) }
        case .map(let entries):
            let v = shape.value?.shape ?? shape
            head(5, UInt64(entries.count), into: &out)
            for (k, x) in entries.sorted(by: { $0.key < $1.key }) {
                text(k, into: &out)
                write(x, shape: v, into: &out)
            }
        case .structure(let fields):
            let present = shape.members.filter { fields[$0.name] != nil }
            head(5, UInt64(present.count), into: &out)
            for m in present {
                guard let f = fields[m.name] else { continue }
                text(m.name, into: &out)
                write(f, shape: m.shape, into: &out)
            }
        }
    }

    public static func encodeError(_ error: AWSError, messageKey: String = "message") -> [UInt8] {
        var out: [UInt8] = []
        head(5, error.message.isEmpty ? 1 : 2, into: &out)
        text("__type", into: &out)
        text(error.code, into: &out)
        if !error.message.isEmpty {
            text(messageKey, into: &out)
            text(error.message, into: &out)
        }
        return out
    }
}
