// Model-driven input validation: required members, lengths, ranges, enums and patterns.

/// Checks a decoded value against its shape and reports violations the way AWS words them.
public enum ModelValidator {
    /// Returns AWS-style constraint violations, e.g. `Value null at 'keyId' failed to satisfy constraint: Member must not be null`.
    public static func violations(of value: AWSValue?, shape: Shape) -> [String] {
        var out: [String] = []
        check(value, shape: shape, path: "", out: &out)
        return out
    }

    /// The single error AWS answers with, in the service's own validation error code.
    public static func error(for violations: [String], code: String, queryCode: String? = nil, status: Int = 400) -> AWSError? {
        guard !violations.isEmpty else { return nil }
        let count = violations.count
        let head = "\(count) validation error\(count == 1 ? "" : "s") detected: "
        return AWSError(code: code, queryCode: queryCode, status: status, message: head + violations.joined(separator: "; "))
    }

    private static func lowerFirst(_ s: String) -> String {
        guard let f = s.first else { return s }
        return f.lowercased() + s.dropFirst()
    }

    private static func describe(_ value: AWSValue) -> String {
        switch value {
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .double(let d): return JavaDouble.format(d)
        case .boolean(let b): return String(b)
        default: return ""
        }
    }

    private static func check(_ value: AWSValue?, shape: Shape, path: String, out: inout [String]) {
        guard let value else { return }
        let sensitive = shape.sensitive
        func fail(_ constraint: String) {
            // A list of plain values is shown as Java prints a list (`[a, b, c]`), as AWS shows it; lists of
            // structures and maps are left out (AWS prints their Java objects, which have no equivalent here).
            let shown: String
            if sensitive {
                shown = ""
            } else if isScalar(value) {
                shown = "'\(describe(value))' "
            } else if case .list(let items) = value, items.allSatisfy(isScalar) {
                shown = "'[\(items.map(describe).joined(separator: ", "))]' "
            } else {
                shown = ""
            }
            out.append("Value \(shown)at '\(path)' failed to satisfy constraint: \(constraint)")
        }
        switch shape.kind {
        case .structure:
            let fields = value.mapValue ?? [:]
            for m in shape.members {
                let childPath = path.isEmpty ? lowerFirst(m.name) : "\(path).\(lowerFirst(m.name))"
                if let child = fields[m.name] {
                    check(child, shape: m.shape, path: childPath, out: &out)
                } else if m.required {
                    out.append("Value null at '\(childPath)' failed to satisfy constraint: Member must not be null")
                }
            }
        case .list:
            let items = value.listValue ?? []
            checkLength(Double(items.count), shape: shape, fail: fail)
            if let m = shape.member {
                for (i, item) in items.enumerated() { check(item, shape: m.shape, path: "\(path).\(i + 1).member", out: &out) }
            }
        case .map:
            let entries = value.mapValue ?? [:]
            checkLength(Double(entries.count), shape: shape, fail: fail)
            if let k = shape.key, let v = shape.value {
                for (key, item) in entries.sorted(by: { $0.key < $1.key }) {
                    check(.string(key), shape: k.shape, path: "\(path).\(key).key", out: &out)
                    check(item, shape: v.shape, path: "\(path).\(key).value", out: &out)
                }
            }
        case .string:
            guard let s = value.stringValue else { return }
            if let allowed = shape.enumValues, !allowed.contains(s) {
                // AWS's order where recorded; otherwise sorted (AWS's order is neither the model's nor derivable).
                fail("Member must satisfy enum value set: [\((shape.enumMessageOrder ?? allowed.sorted()).joined(separator: ", "))]")
                return
            }
            checkLength(Double(s.unicodeScalars.count), shape: shape, fail: fail)
            if let regex = shape.regex {
                let range = NSRange(s.startIndex..<s.endIndex, in: s)
                if regex.firstMatch(in: s, options: [], range: range) == nil {
                    fail("Member must satisfy regular expression pattern: \(shape.pattern ?? "")")
                }
            }
        case .blob:
            checkLength(Double(value.blobValue?.count ?? 0), shape: shape, fail: fail)
        case .integer, .long, .float, .double:
            guard let n = value.doubleValue else { return }
            if let min = shape.min, n < min { fail("Member must have value greater than or equal to \(format(min))") }
            if let max = shape.max, n > max { fail("Member must have value less than or equal to \(format(max))") }
        case .boolean, .timestamp:
            return
        }
    }

    private static func isScalar(_ v: AWSValue) -> Bool {
        switch v {
        case .string, .integer, .double, .boolean: return true
        default: return false
        }
    }

    private static func format(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e18 ? String(Int64(d)) : String(d)
    }

    private static func checkLength(_ n: Double, shape: Shape, fail: (String) -> Void) {
        if let min = shape.min, n < min { fail("Member must have length greater than or equal to \(format(min))") }
        if let max = shape.max, n > max { fail("Member must have length less than or equal to \(format(max))") }
    }
}

import Foundation
