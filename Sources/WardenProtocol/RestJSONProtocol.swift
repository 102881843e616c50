// REST-JSON (Lambda): operations found by method and path template; members in the URI, the query string, headers or
// a JSON body (or one payload member that is the whole body); errors named in `X-Amzn-ErrorType`.
import Foundation
import WardenCore

public enum RestJSONProtocol {
    /// The labels of `path` (raw, percent-encoded) under `template` (`/2015-03-31/functions/{FunctionName}`, where
    /// `{Key+}` takes the rest of the path), or nil when it does not match. A template's own query (`?versioning`)
    /// must be present in `query`.
    public static func match(template: String, path: String, query: [String: [String]]) -> [String: String]? {
        let parts = template.split(separator: "?", maxSplits: 1)
        if parts.count == 2 {
            for literal in parts[1].split(separator: "&") {
                let key = literal.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                if query[key] == nil { return nil }
            }
        }
        let want = parts[0].split(separator: "/", omittingEmptySubsequences: false)
        let have = path.split(separator: "/", omittingEmptySubsequences: false)
        var labels: [String: String] = [:]
        var i = 0
        for (n, segment) in want.enumerated() {
            if segment.hasPrefix("{") && segment.hasSuffix("+}") {
                guard i < have.count, n == want.count - 1 else { return nil }
                let rest = have[i...].joined(separator: "/")
                guard !rest.isEmpty, let decoded = PercentEncoding.decodePath(rest) else { return nil }
                labels[String(segment.dropFirst().dropLast(2))] = decoded
                return labels
            }
            guard i < have.count else { return nil }
            if segment.hasPrefix("{") && segment.hasSuffix("}") {
                guard !have[i].isEmpty, let decoded = PercentEncoding.decodePath(String(have[i])) else { return nil }
                labels[String(segment.dropFirst().dropLast())] = decoded
            } else if segment != have[i] {
                return nil
            }
            i += 1
        }
        return i == have.count ? labels : nil
    }

    /// Query parameters, every value of each (a list member repeats its key).
    public static func parseQuery(_ raw: String) -> [String: [String]]? {
        var out: [String: [String]] = [:]
        for pair in raw.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let k = PercentEncoding.decodeForm(ArraySlice(kv[0].utf8)),
                  let v = kv.count > 1 ? PercentEncoding.decodeForm(ArraySlice(kv[1].utf8)) : "" else { return nil }
            out[k, default: []].append(v)
        }
        return out
    }

    /// The input of one operation: body members from the JSON body (or the payload member from the whole body), the
    /// rest from labels, the query and headers.
    public static func decode(labels: [String: String], query: [String: [String]], header: (String) -> String?,
                              body: [UInt8], shape: Shape) throws(AWSError) -> AWSValue {
        var fields: [String: AWSValue] = [:]
        if let payload = shape.payload, let m = shape.member(named: payload) {
            switch m.shape.kind {
            case .blob: if !body.isEmpty { fields[payload] = .blob(body) }
            case .string: if !body.isEmpty { fields[payload] = .string(String(decoding: body, as: UTF8.self)) }
            default:
                if case .structure(let inner) = try JSONProtocol.decode(body, shape: m.shape), !inner.isEmpty || !body.isEmpty {
                    fields[payload] = .structure(inner)
                }
            }
        } else if case .structure(let inBody) = try JSONProtocol.decode(body, shape: shape) {
            for (k, v) in inBody where shape.member(named: k)?.location == nil { fields[k] = v }
        }
        for m in shape.members {
            guard let location = m.location else { continue }
            let name = m.locationName ?? m.name
            switch location {
            case .uri:
                if let v = labels[name] { fields[m.name] = try scalar(v, member: m) }
            case .querystring:
                guard let values = query[name] else { continue }
                if m.shape.kind == .list, let element = m.shape.member {
                    fields[m.name] = .list(try values.map { v throws(AWSError) in try scalar(v, member: element) })
                } else if let first = values.first {
                    fields[m.name] = try scalar(first, member: m)
                }
            case .header:
                if let v = header(name) { fields[m.name] = try scalar(v, member: m) }
            case .headers, .statusCode:
                continue
            }
        }
        return .structure(fields)
    }

    static func scalar(_ text: String, member: Member) throws(AWSError) -> AWSValue {
        let bad = AWSError(code: "SerializationException", status: 400, message: "Value '\(text)' for \(member.name) is invalid.")
        switch member.shape.kind {
        case .string: return .string(text)
        case .integer, .long:
            guard let i = Int64(text) else { throw bad }
            return .integer(i)
        case .float, .double:
            guard let d = Double(text) else { throw bad }
            return .double(d)
        case .boolean:
            switch text.lowercased() {
            case "true": return .boolean(true)
            case "false": return .boolean(false)
            default: throw bad
            }
        case .timestamp:
            if let d = Timestamps.parseISO8601(text) { return .timestamp(d) }
            if let e = Double(text) { return .timestamp(Date(timeIntervalSince1970: e)) }
            throw bad
        case .blob:
            guard let d = Data(base64Encoded: text) else { throw bad }
            return .blob(Array(d))
        case .structure, .list, .map:
            throw bad
        }
    }

    /// A response: its status (the binding's, or a `statusCode` member), header members, and the body — the payload
    /// member as is, or the other members as JSON.
    public struct Encoded: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        public var contentType: String
    }

    public static func encode(_ value: AWSValue, shape: Shape, status: Int) -> Encoded {
        guard case .structure(let fields) = value else {
            return Encoded(status: status, headers: [], body: Array("{}".utf8), contentType: "application/json")
        }
        var out = Encoded(status: status, headers: [], body: [], contentType: "application/json")
        var bodyFields: [String: AWSValue] = [:]
        for m in shape.members {
            guard let v = fields[m.name] else { continue }
            switch m.location {
            case .statusCode?:
                if case .integer(let code) = v { out.status = Int(code) }
            case .header?:
                out.headers.append((m.locationName ?? m.name, headerText(v)))
            case .uri?, .querystring?, .headers?:
                continue
            case nil:
                bodyFields[m.name] = v
            }
        }
        if let payload = shape.payload, let m = shape.member(named: payload) {
            switch bodyFields[payload] {
            case .blob(let b)?:
                out.body = b
            case .string(let s)?:
                out.body = Array(s.utf8)
                out.contentType = "text/plain"
            case let v?:
                out.body = JSONProtocol.encode(v, shape: m.shape)
            case nil:
                out.body = []
            }
            return out
        }
        out.body = JSONProtocol.encode(.structure(bodyFields), shape: shape)
        return out
    }

    static func headerText(_ v: AWSValue) -> String {
        switch v {
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .double(let d): return String(d)
        case .boolean(let b): return b ? "true" : "false"
        case .timestamp(let d): return Timestamps.iso8601(d)
        case .blob(let b): return Data(b).base64EncodedString()
        case .list, .map, .structure: return ""
        }
    }

    /// An error: `X-Amzn-ErrorType` names it (botocore reads the code there), the body carries Type and message.
    public static func encodeError(_ error: AWSError, messageKey: String = "message") -> (headers: [(String, String)], body: [UInt8]) {
        var members: [(String, JSONValue)] = [("Type", .string(error.senderFault ? "User" : "Service"))]
        if !error.message.isEmpty { members.append((messageKey, .string(error.message))) }
        let body = JSONWriter.write(.object(members))
        return ([("X-Amzn-ErrorType", error.code)], body)
    }
}
