// The runtime form of a service model shape: what codecs and validation are driven by.
import Foundation

/// One shape of an AWS service model. Generated code builds these as static constants.
public final class Shape: Sendable {
    public enum Kind: String, Sendable {
        case structure, list, map, string, integer, long, boolean, float, double, timestamp, blob
    }

    public let name: String
    public let kind: Kind
    /// Structure members in model order.
    public let members: [Member]
    /// List element, or map key and value.
    public let member: Member?
    public let key: Member?
    public let value: Member?
    /// Length bounds for strings, blobs, lists and maps; value bounds for numbers.
    public let min: Double?
    public let max: Double?
    public let enumValues: Set<String>?
    /// The order AWS lists `enumValues` in its validation message, where a recorded response shows it.
    public let enumMessageOrder: [String]?
    public let pattern: String?
    public let sensitive: Bool
    public let flattened: Bool
    public let timestampFormat: String?
    /// REST protocols: the member that is the whole HTTP body (a blob sent raw, or a structure as the document).
    public let payload: String?
    // NSRegularExpression is immutable after creation and documented as safe to use from several threads.
    nonisolated(unsafe) public let regex: NSRegularExpression?
    private let membersByName: [String: Member]

    public init(
        name: String, kind: Kind, members: [Member] = [], member: Member? = nil, key: Member? = nil,
        value: Member? = nil, min: Double? = nil, max: Double? = nil, enumValues: [String]? = nil,
        enumMessageOrder: [String]? = nil, pattern: String? = nil, sensitive: Bool = false, flattened: Bool = false, timestampFormat: String? = nil,
        payload: String? = nil
    ) {
        self.payload = payload
        self.name = name
        self.kind = kind
        self.members = members
        self.member = member
        self.key = key
        self.value = value
        self.min = min
        self.max = max
        self.enumValues = enumValues.map(Set.init)
        self.enumMessageOrder = enumMessageOrder
        self.pattern = pattern
        self.sensitive = sensitive
        self.flattened = flattened
        self.timestampFormat = timestampFormat
        self.regex = pattern.flatMap { try? NSRegularExpression(pattern: "^(?:\($0))$", options: []) }
        var byName: [String: Member] = [:]
        for m in members { byName[m.name] = m }
        self.membersByName = byName
    }

    public func member(named name: String) -> Member? { membersByName[name] }
}

/// A member of a structure (or the element, key or value of a list or map).
public struct Member: Sendable {
    /// Where a REST protocol carries a member, when not in the body.
    public enum Location: String, Sendable {
        case uri, querystring, header, headers, statusCode
    }

    public let name: String
    /// The wire name for Query and XML, when the model renames the member; for REST, the URI label, query
    /// parameter or header name.
    public let locationName: String?
    public let location: Location?
    public let required: Bool
    public let flattened: Bool
    public let idempotencyToken: Bool
    private let resolve: @Sendable () -> Shape

    public init(_ name: String, locationName: String? = nil, location: Location? = nil, required: Bool = false,
                flattened: Bool = false, idempotencyToken: Bool = false, shape: @escaping @Sendable () -> Shape) {
        self.name = name
        self.locationName = locationName
        self.location = location
        self.required = required
        self.flattened = flattened
        self.idempotencyToken = idempotencyToken
        self.resolve = shape
    }

    /// Resolved lazily so that recursive shapes can refer to each other.
    public var shape: Shape { resolve() }
    public var wireName: String { locationName ?? name }
}
