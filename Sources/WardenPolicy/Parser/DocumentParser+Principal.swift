// Principal and NotPrincipal: validated as IAM does ("Invalid principal in policy: ...") and sorted for matching.

import WardenCore

extension DocumentParser {
    static func principalSpec(_ value: JSONValue) throws(PolicyError) -> PrincipalSpec {
        var spec = PrincipalSpec()
        switch value {
        case .string("*"):
            spec.everyone = true
            return spec
        case .object(let members) where !members.isEmpty:
            for (type, raw) in members {
                let values: [String]
                do {
                    values = try strings(raw)
                } catch {
                    throw .invalidPrincipal(type, "")
                }
                if values.isEmpty { throw .invalidPrincipal(type, "") }
                for v in values { try add(type: type, value: v, to: &spec) }
            }
            return spec
        default:
            throw .invalidPrincipalPlain
        }
    }

    private static func add(type: String, value v: String, to spec: inout PrincipalSpec) throws(PolicyError) {
        let invalid = PolicyError.invalidPrincipal(type, v)
        // "You cannot use a wildcard to match part of a principal name or ARN."
        let hasWildcard = v.contains("*") || v.contains("?")
        switch type {
        case "AWS":
            if v == "*" {
                spec.anyAWS = true
            } else if hasWildcard {
                throw invalid
            } else if isAccountID(v) {
                spec.accounts.append(v)
            } else if let arn = ARN(v) {
                guard let account = principalAccount(arn) else { throw invalid }
                if arn.service == "iam", arn.resource == "root" {
                    spec.accounts.append(account)
                } else {
                    spec.arns.append(v)
                }
            } else if isUniqueID(v) {
                // IAM shows a principal's unique id once the entity is deleted; it can never match a caller again.
                spec.arns.append(v)
            } else {
                throw invalid
            }
        case "Service":
            guard !v.isEmpty, !hasWildcard, !v.contains(" ") else { throw invalid }
            spec.services.append(v.lowercased())
        case "Federated":
            guard !v.isEmpty, !hasWildcard else { throw invalid }
            spec.federated.append(v)
        case "CanonicalUser":
            guard !v.isEmpty, !hasWildcard else { throw invalid }
            spec.canonicalUsers.append(v)
        default:
            throw invalid
        }
    }

    /// The account of an ARN that can name a principal: arn:P:iam::ACCOUNT:root|user/...|role/... or
    /// arn:P:sts::ACCOUNT:assumed-role/ROLE/SESSION|federated-user/NAME. CloudFront origin access identities
    /// (arn:aws:iam::cloudfront:user/...) have "cloudfront" for an account.
    private static func principalAccount(_ arn: ARN) -> String? {
        guard arn.region.isEmpty, isAccountID(arn.account) || arn.account == "cloudfront" else { return nil }
        switch arn.service {
        case "iam":
            guard arn.resource == "root" || arn.resource.hasPrefix("user/") || arn.resource.hasPrefix("role/") else {
                return nil
            }
        case "sts":
            if arn.resource.hasPrefix("assumed-role/") {
                guard arn.resource.split(separator: "/", omittingEmptySubsequences: false).count >= 3 else { return nil }
            } else if !arn.resource.hasPrefix("federated-user/") {
                return nil
            }
        default:
            return nil
        }
        return arn.account
    }

    static func isAccountID(_ s: String) -> Bool {
        s.utf8.count == 12 && s.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// AIDA... (user), AROA... (role) and the other IAM unique-id prefixes: 4 letters, then 16+ characters.
    private static func isUniqueID(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count >= 20, b.count <= 128, b[0] == UInt8(ascii: "A") else { return false }
        return b.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) }
    }
}
