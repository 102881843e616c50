// Key policy documents: the default policy, validation, and the lockout safety check.
import WardenAPI
import WardenCore

enum KeyPolicy {
    /// The largest key policy KMS accepts (32 KiB).
    static let maxBytes = 32768

    /// AWS's default key policy: the account (through IAM) may do everything with the key. Formatted as KMS returns it.
    static func defaultPolicy(account: String, partition: String) -> String {
        """
        {
          "Version" : "2012-10-17",
          "Id" : "key-default-1",
          "Statement" : [ {
            "Sid" : "Enable IAM User Permissions",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:\(partition):iam::\(account):root"
            },
            "Action" : "kms:*",
            "Resource" : "*"
          } ]
        }
        """
    }

    static func malformed(_ m: String) -> AWSError { KMS.Errors.malformedPolicyDocumentException(m) }

    /// Parses and checks the document's shape; returns its statements.
    @discardableResult
    static func validate(_ text: String) throws(AWSError) -> [JSONValue] {
        if text.utf8.count > maxBytes {
            throw KMS.Errors.limitExceededException("The key policy exceeds the maximum size of \(maxBytes) bytes.")
        }
        let doc: JSONValue
        do { doc = try JSONParser.parse(Array(text.utf8)) } catch { throw malformed("The policy is not valid JSON.") }
        guard case .object = doc else { throw malformed("The policy must be a JSON object.") }
        if let v = doc["Version"] {
            guard let s = v.stringValue, s == "2012-10-17" || s == "2008-10-17" else {
                throw malformed("The policy Version must be 2012-10-17 or 2008-10-17.")
            }
        }
        let statements: [JSONValue]
        switch doc["Statement"] {
        case .array(let a)?: statements = a
        case .object?: statements = [doc["Statement"] ?? .null]
        default: throw malformed("The policy must contain a Statement.")
        }
        guard !statements.isEmpty else { throw malformed("The policy must contain at least one statement.") }
        for s in statements {
            guard case .object = s else { throw malformed("Each policy statement must be a JSON object.") }
            guard let effect = s["Effect"]?.stringValue, effect == "Allow" || effect == "Deny" else {
                throw malformed("Policy statement Effect must be Allow or Deny.")
            }
            guard s["Action"] != nil || s["NotAction"] != nil else { throw malformed("Policy statement must contain an Action.") }
            guard s["Principal"] != nil || s["NotPrincipal"] != nil else {
                throw malformed("Policy contains a statement with no principal.")
            }
            if let p = s["Principal"], !validPrincipal(p) {
                throw malformed("Policy contains a statement with one or more invalid principals.")
            }
        }
        return statements
    }

    static func validPrincipal(_ p: JSONValue) -> Bool {
        if p.stringValue == "*" { return true }
        guard case .object(let members) = p, !members.isEmpty else { return false }
        for (kind, value) in members {
            guard ["AWS", "Service", "Federated", "CanonicalUser"].contains(kind) else { return false }
            let values: [JSONValue]
            if case .array(let a) = value { values = a } else { values = [value] }
            for v in values {
                guard let s = v.stringValue, !s.isEmpty else { return false }
                if kind == "AWS", s != "*", !(s.hasPrefix("arn:") || (s.count == 12 && s.allSatisfy(\.isNumber))) { return false }
            }
        }
        return true
    }

    /// KMS refuses a policy that would stop the caller from changing the policy again, unless the caller bypasses
    /// the check. Until the IAM evaluator exists this is the direct reading: some Allow statement must name the caller
    /// (its ARN, its account root or account id, or `*`) for an action covering `kms:PutKeyPolicy`, with no Deny doing the same.
    static func allowsPolicyChange(_ statements: [JSONValue], caller: Principal?, account: String, partition: String) -> Bool {
        let names: Set<String> = Set(["*", account, "arn:\(partition):iam::\(account):root"] + (caller.map { [$0.arn] } ?? []))
        func covers(_ s: JSONValue) -> Bool {
            let principalMatch: Bool
            if s["Principal"]?.stringValue == "*" {
                principalMatch = true
            } else if case .object(let members)? = s["Principal"] {
                principalMatch = members.contains { kind, v in
                    guard kind == "AWS" else { return false }
                    if case .array(let a) = v { return a.contains { names.contains($0.stringValue ?? "") } }
                    return names.contains(v.stringValue ?? "")
                }
            } else {
                principalMatch = false
            }
            guard principalMatch, let actions = s["Action"] else { return false }
            let list: [JSONValue]
            if case .array(let a) = actions { list = a } else { list = [actions] }
            return list.contains { Wildcard.matches(pattern: $0.stringValue?.lowercased() ?? "", "kms:putkeypolicy") }
        }
        let allowed = statements.contains { $0["Effect"]?.stringValue == "Allow" && covers($0) }
        let denied = statements.contains { $0["Effect"]?.stringValue == "Deny" && covers($0) }
        return allowed && !denied
    }
}

/// IAM-style glob: `*` any run of characters, `?` any one character; everything else literal.
enum Wildcard {
    static func matches(pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == UInt8(ascii: "?") || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
