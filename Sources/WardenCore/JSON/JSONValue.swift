// A JSON document tree that keeps object member order (audit records read better that way).

public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's text as it appeared (or was written), so integers keep full precision.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public static func int<T: BinaryInteger>(_ i: T) -> JSONValue { .number(String(i)) }

    public static func double(_ d: Double) -> JSONValue {
        guard d.isFinite else { return .null }
        if d.rounded() == d, abs(d) < 9e15 { return .number(String(Int64(d))) }
        return .number(String(d))
    }

    /// A model `double` as AWS's JSON serializers write it (Java's `Double.toString`): always with a fraction or an
    /// exponent, so `45.0` stays a double for clients that keep the distinction (`45` would read back as an integer).
    /// Plain decimals for magnitudes in [10^-3, 10^7), `d.dddE±n` outside it.
    public static func modelDouble(_ d: Double) -> JSONValue {
        guard d.isFinite else { return .null }
        return .number(JavaDouble.format(d))
    }

    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
}
