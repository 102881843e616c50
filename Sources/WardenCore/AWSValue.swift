// The protocol-neutral value tree every codec decodes into and encodes from.
import Foundation

/// A value shaped by a service model: codecs produce and consume it; generated shapes convert to and from it.
public enum AWSValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case double(Double)
    case boolean(Bool)
    case timestamp(Date)
    case blob([UInt8])
    case list([AWSValue])
    case map([String: AWSValue])
    case structure([String: AWSValue])

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var integerValue: Int64? { if case .integer(let i) = self { return i }; return nil }
    public var doubleValue: Double? {
        switch self {
        case .double(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }
    public var boolValue: Bool? { if case .boolean(let b) = self { return b }; return nil }
    public var dateValue: Date? { if case .timestamp(let d) = self { return d }; return nil }
    public var blobValue: [UInt8]? { if case .blob(let b) = self { return b }; return nil }
    public var listValue: [AWSValue]? { if case .list(let l) = self { return l }; return nil }
    public var mapValue: [String: AWSValue]? {
        switch self {
        case .map(let m), .structure(let m): return m
        default: return nil
        }
    }
}

/// A value that a generated shape can be built from and turned back into.
public protocol AWSShape: Sendable {
    static var shape: Shape { get }
    init(from value: AWSValue) throws
    func toValue() -> AWSValue
}

/// Helpers the generated shapes use to read members of an already validated structure.
public struct AWSFields: Sendable {
    public let fields: [String: AWSValue]

    public init(_ value: AWSValue) throws(AWSError) {
        guard case .structure(let fields) = value else {
            throw AWSError(code: "SerializationException", message: "Expected a structure.")
        }
        self.fields = fields
    }

    public func string(_ name: String) -> String? { fields[name]?.stringValue }
    public func integer(_ name: String) -> Int? { fields[name]?.integerValue.map { Int($0) } }
    public func long(_ name: String) -> Int64? { fields[name]?.integerValue }
    public func double(_ name: String) -> Double? { fields[name]?.doubleValue }
    public func bool(_ name: String) -> Bool? { fields[name]?.boolValue }
    public func date(_ name: String) -> Date? { fields[name]?.dateValue }
    public func blob(_ name: String) -> [UInt8]? { fields[name]?.blobValue }
    public func raw(_ name: String) -> AWSValue? { fields[name] }
    public func value<T: AWSShape>(_ name: String, as: T.Type) throws -> T? {
        guard let v = fields[name] else { return nil }
        return try T(from: v)
    }
}

/// Builds the `.structure` of a generated shape, leaving out absent members.
public struct AWSFieldsBuilder {
    public var fields: [String: AWSValue] = [:]
    public init() {}
    public mutating func set(_ name: String, _ value: AWSValue?) {
        if let value { fields[name] = value }
    }
    public var value: AWSValue { .structure(fields) }
}

/// The typed readers the generated shapes use; values were validated against the model before they get here.
public enum AWSDecode {
    static func mismatch(_ expected: String) -> AWSError {
        AWSError(code: "SerializationException", message: "Expected a value of type \(expected).")
    }
    public static func missing(_ member: String) -> AWSError {
        AWSError(code: "SerializationException", message: "Missing required member \(member).")
    }
    public static func string(_ v: AWSValue) throws -> String {
        guard let s = v.stringValue else { throw mismatch("string") }
        return s
    }
    public static func int(_ v: AWSValue) throws -> Int {
        guard let i = v.integerValue else { throw mismatch("integer") }
        return Int(i)
    }
    public static func long(_ v: AWSValue) throws -> Int64 {
        guard let i = v.integerValue else { throw mismatch("long") }
        return i
    }
    public static func bool(_ v: AWSValue) throws -> Bool {
        guard let b = v.boolValue else { throw mismatch("boolean") }
        return b
    }
    public static func double(_ v: AWSValue) throws -> Double {
        guard let d = v.doubleValue else { throw mismatch("double") }
        return d
    }
    public static func date(_ v: AWSValue) throws -> Date {
        guard let d = v.dateValue else { throw mismatch("timestamp") }
        return d
    }
    public static func blob(_ v: AWSValue) throws -> [UInt8] {
        guard let b = v.blobValue else { throw mismatch("blob") }
        return b
    }
    public static func list<T>(_ v: AWSValue, _ element: (AWSValue) throws -> T) throws -> [T] {
        guard let l = v.listValue else { throw mismatch("list") }
        return try l.map(element)
    }
    public static func map<T>(_ v: AWSValue, _ element: (AWSValue) throws -> T) throws -> [String: T] {
        guard case .map(let m) = v else { throw mismatch("map") }
        return try m.mapValues(element)
    }
}

/// The shape of operations that take or return nothing.
public struct EmptyShape: AWSShape {
    public static let shape = Shape(name: "Empty", kind: .structure)
    public init() {}
    public init(from value: AWSValue) throws {}
    public func toValue() -> AWSValue { .structure([:]) }
}
