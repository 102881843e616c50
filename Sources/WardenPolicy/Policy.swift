// A policy document parsed once, checked against IAM's grammar for its kind, and compiled for evaluation.

/// A parsed, compiled policy document.
public struct Policy: Sendable {
    /// Names the policy in denials and simulations (a managed policy ARN, "user/NAME/INLINE", "key policy", ...).
    public let id: String
    public let kind: PolicyKind
    /// The document's Version element: "2012-10-17", "2008-10-17", or nil when absent (IAM then reads it as
    /// 2008-10-17, where `${...}` is literal text).
    public let version: String?
    /// The document's Id element, if any.
    public let documentId: String?
    let statements: [CompiledStatement]
    private let keys: [String]

    /// Parses and compiles `json`, throwing IAM's MalformedPolicyDocument text when the grammar for `kind` fails.
    public init(json: String, kind: PolicyKind, id: String) throws(PolicyError) {
        let parsed = try DocumentParser.parse(json: json, kind: kind)
        self.id = id
        self.kind = kind
        self.version = parsed.version
        self.documentId = parsed.documentId
        self.statements = parsed.statements
        self.keys = parsed.conditionKeys
    }

    /// Condition keys the document uses (GetContextKeysFor*Policy), as written, deduplicated, in first-use order.
    /// Keys used as policy variables (`${aws:username}`) are included: evaluating the document needs them too.
    public var conditionKeys: [String] { keys }

    public var statementCount: Int { statements.count }

    /// IAM's managed policies (CreatePolicy, CreatePolicyVersion) must be written in the current language version;
    /// inline and resource-based policies may still be 2008-10-17. Callers storing managed policies call this.
    public func requireCurrentVersion() throws(PolicyError) {
        if version != DocumentParser.currentVersion { throw .versionTooOld }
    }
}
