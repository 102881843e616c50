// The request's condition keys and values, looked up case-insensitively as IAM does.

/// The request's condition context: keys are case-insensitive ("aws:SourceIp" == "AWS:sourceip");
/// values are strings (numbers, dates, bools as AWS writes them in context: "true", "2026-12-06T10:00:00Z", epoch secs).
public struct ConditionContext: Sendable {
    /// Keyed by the lowercased key so that a lookup costs one hash of an already-lowercased key.
    private(set) var storage: [String: [String]]

    public init(_ values: [String: [String]] = [:]) {
        var storage: [String: [String]] = [:]
        storage.reserveCapacity(values.count)
        // Keys that differ only in case are one key to IAM; their values are merged rather than one lost.
        for (key, vals) in values { storage[key.lowercased(), default: []].append(contentsOf: vals) }
        self.storage = storage
    }

    public subscript(key: String) -> [String]? {
        get { storage[key.lowercased()] }
        set { storage[key.lowercased()] = newValue }
    }

    func values(lowercasedKey key: String) -> [String]? { storage[key] }
}
