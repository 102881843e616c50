// Condition operator names ("ForAnyValue:StringNotLikeIfExists") split into what they test and how.

/// The comparison an operator makes, before negation, set qualifiers and IfExists.
enum ConditionTest: Sendable, Equatable {
    case stringEquals, stringEqualsIgnoreCase, stringLike
    case numericEquals, numericLessThan, numericLessThanEquals, numericGreaterThan, numericGreaterThanEquals
    case dateEquals, dateLessThan, dateLessThanEquals, dateGreaterThan, dateGreaterThanEquals
    case bool, binaryEquals, ipAddress, arnLike, null

    /// Operators whose values may hold policy variables. The Condition operators page lists String, Bool and ARN
    /// ("You can use a policy variable with the ... condition operator"); Numeric, Date, Binary, IP and Null say
    /// "You can not use a policy variable", so `${...}` is literal text there.
    var allowsVariables: Bool {
        switch self {
        case .stringEquals, .stringEqualsIgnoreCase, .stringLike, .bool, .arnLike: true
        default: false
        }
    }

    var isDate: Bool {
        switch self {
        case .dateEquals, .dateLessThan, .dateLessThanEquals, .dateGreaterThan, .dateGreaterThanEquals: true
        default: false
        }
    }
}

enum SetQualifier: Sendable, Equatable {
    case none, forAllValues, forAnyValue
}

/// A parsed operator name.
struct ConditionOperator: Sendable, Equatable {
    let test: ConditionTest
    /// StringNotEquals, NotIpAddress, ArnNotLike, ...: values are combined with NOR, and a missing key matches.
    let negated: Bool
    let qualifier: SetQualifier
    let ifExists: Bool

    private static let bases: [String: (ConditionTest, Bool)] = [
        "StringEquals": (.stringEquals, false), "StringNotEquals": (.stringEquals, true),
        "StringEqualsIgnoreCase": (.stringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase": (.stringEqualsIgnoreCase, true),
        "StringLike": (.stringLike, false), "StringNotLike": (.stringLike, true),
        "NumericEquals": (.numericEquals, false), "NumericNotEquals": (.numericEquals, true),
        "NumericLessThan": (.numericLessThan, false), "NumericLessThanEquals": (.numericLessThanEquals, false),
        "NumericGreaterThan": (.numericGreaterThan, false),
        "NumericGreaterThanEquals": (.numericGreaterThanEquals, false),
        "DateEquals": (.dateEquals, false), "DateNotEquals": (.dateEquals, true),
        "DateLessThan": (.dateLessThan, false), "DateLessThanEquals": (.dateLessThanEquals, false),
        "DateGreaterThan": (.dateGreaterThan, false), "DateGreaterThanEquals": (.dateGreaterThanEquals, false),
        "Bool": (.bool, false), "BinaryEquals": (.binaryEquals, false),
        "IpAddress": (.ipAddress, false), "NotIpAddress": (.ipAddress, true),
        "ArnEquals": (.arnLike, false), "ArnLike": (.arnLike, false),
        "ArnNotEquals": (.arnLike, true), "ArnNotLike": (.arnLike, true),
        "Null": (.null, false),
    ]

    /// Parses an operator name as IAM spells it (case-sensitive, as moto's list of IAM's operators is).
    init?(_ name: String) {
        var rest = Substring(name)
        var qualifier = SetQualifier.none
        if rest.hasPrefix("ForAllValues:") {
            qualifier = .forAllValues
            rest = rest.dropFirst("ForAllValues:".count)
        } else if rest.hasPrefix("ForAnyValue:") {
            qualifier = .forAnyValue
            rest = rest.dropFirst("ForAnyValue:".count)
        }
        var ifExists = false
        if rest.hasSuffix("IfExists") {
            ifExists = true
            rest = rest.dropLast("IfExists".count)
        }
        guard let (test, negated) = Self.bases[String(rest)] else { return nil }
        // "You can add IfExists to the end of any condition operator name except the Null condition."
        if test == .null, ifExists { return nil }
        self.test = test
        self.negated = negated
        self.qualifier = qualifier
        self.ifExists = ifExists
    }
}
