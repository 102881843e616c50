// Where a policy document is used; each kind has its own grammar rules and its own place in evaluation.

/// Where a document is used: each kind has its own grammar rules (identity policies must not name a
/// Principal; resource/trust policies must; trust policies allow only sts:* actions, ...).
public enum PolicyKind: String, Sendable {
    case identity, resource, trust, boundary, session

    /// The words AWS puts after "explicit deny in a" / "because no" in an AccessDenied message.
    public var denialPhrase: String {
        switch self {
        case .identity: "identity-based policy"
        // A role trust policy is IAM's resource-based policy on the role.
        case .resource, .trust: "resource-based policy"
        case .boundary: "permissions boundary"
        case .session: "session policy"
        }
    }

    /// Resource-based and trust policies name who they apply to; the others are attached to their principal.
    var namesPrincipal: Bool { self == .resource || self == .trust }

    /// IAM validates its own documents more strictly than S3, SNS, SQS or KMS validate theirs (Sid characters).
    var isIAMDocument: Bool { self != .resource }
}
