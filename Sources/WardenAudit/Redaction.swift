// Turns an operation's input or output into the lowerCamelCase JSON a CloudTrail record carries, minus secrets.
import Foundation
import WardenCore

public enum Redaction {
    public static let hidden = JSONValue.string("HIDDEN_DUE_TO_SECURITY_REASONS")

    /// Members the model marks sensitive are shown as HIDDEN_DUE_TO_SECURITY_REASONS; members named in `dropped`
    /// and every blob (plaintexts, ciphertexts, key material) are left out. Nil when nothing remains.
    public static func record(_ value: AWSValue, shape: Shape, dropped: Set<String>) -> JSONValue? {
        guard case .structure(let fields) = value, !fields.isEmpty else { return nil }
        let out = render(value, shape: shape, dropped: dropped)
        if case .object(let members) = out, members.isEmpty { return nil }
        return out
    }

    static func lowerFirst(_ s: String) -> String {
        // CloudTrail lowercases a leading acronym as a run: `KeyId` -> `keyId`, `ARN` -> `arn`, `SSEType` -> `sseType`.
        let scalars = Array(s)
        var i = 0
        while i < scalars.count, scalars[i].isUppercase { i += 1 }
        if i == 0 { return s }
        if i == 1 || i == scalars.count { return s.prefix(i).lowercased() + s.dropFirst(i) }
        return s.prefix(i - 1).lowercased() + s.dropFirst(i - 1)
    }

    static func render(_ value: AWSValue, shape: Shape, dropped: Set<String>) -> JSONValue {
        if shape.sensitive { return hidden }
        switch value {
        case .structure(let fields):
            var out: [(String, JSONValue)] = []
            for m in shape.members {
                guard let f = fields[m.name], !dropped.contains(m.name) else { continue }
                if case .blob = f { continue }
                out.append((lowerFirst(m.name), render(f, shape: m.shape, dropped: dropped)))
            }
            return .object(out)
        case .list(let items):
            let element = shape.member?.shape ?? shape
            return .array(items.map { render($0, shape: element, dropped: dropped) })
        case .map(let entries):
            let v = shape.value?.shape ?? shape
            return .object(entries.sorted { $0.key < $1.key }.map { ($0.key, render($0.value, shape: v, dropped: dropped)) })
        case .string(let s): return .string(s)
        case .integer(let i): return .int(i)
        case .double(let d): return .double(d)
        case .boolean(let b): return .bool(b)
        case .timestamp(let d): return .string(AuditEvent.eventTime(d))
        case .blob: return hidden
        }
    }
}
