// The checks IAM runs after syntax: legacy parsing, Sids, presence of actions and resources, resource ARN formats
// and action names, each with the message IAM gives.

extension DocumentParser {
    /// Partitions a resource ARN may name.
    static let partitions: Set<String> = [
        "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc",
    ]

    static let iamResourcePrefixes = [
        "user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/", "server-certificate/", "policy/",
        "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/",
    ]

    /// IAM re-reads a document with its original ("legacy") parser, which is stricter about a few things: the
    /// Effect's case, the dates in Date conditions, and resources it cannot split into ARN parts.
    mutating func checkLegacyParsing() throws(PolicyError) {
        for s in statements {
            if s.effect != "Allow", s.effect != "Deny" { throw .legacyParsing }
            for (op, _, values) in s.conditions where op.test.isDate {
                for v in values where ScalarParsing.date(v) == nil { throw .legacyParsing }
            }
            for r in (s.resource ?? []) + (s.notResource ?? []) where r != "*" && Self.resourceFormatError(r) == nil {
                let parts = r.split(separator: ":", omittingEmptySubsequences: false)
                if parts.count < 6, r.contains("::") { throw .legacyParsing }
                if parts.count < 3 || parts[2].isEmpty { throw .legacyParsing }
            }
        }
    }

    mutating func checkSids() throws(PolicyError) {
        var seen = Set<String>()
        for s in statements {
            guard let sid = s.sid, !sid.isEmpty else { continue }
            if !seen.insert(sid).inserted { throw .sidNotUnique }
        }
        guard kind.isIAMDocument else { return }
        for s in statements {
            guard let sid = s.sid else { continue }
            let ok = sid.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
            if !ok { throw .sidNotAlphanumeric }
        }
    }

    func checkActionsPresent() throws(PolicyError) {
        for s in statements {
            let list = s.action ?? s.notAction ?? []
            if list.isEmpty { throw kind == .resource ? .missingField("Action") : .mustContainActions }
        }
    }

    /// Identity-based, boundary and session policies must say which resources they cover; a resource-based
    /// policy without Resource covers the resource it is attached to (SNS and SQS policies are written so).
    func checkResourcesPresent() throws(PolicyError) {
        guard kind == .identity || kind == .boundary || kind == .session else { return }
        for s in statements {
            let list = s.resource ?? s.notResource ?? []
            if list.isEmpty { throw .mustContainResources }
        }
    }

    func checkResourceFormats() throws(PolicyError) {
        for s in statements {
            for r in (s.resource ?? []) + (s.notResource ?? []) {
                if let error = Self.resourceFormatError(r) { throw error }
            }
        }
    }

    /// What IAM says about a resource that is not "*" or a well-formed ARN (moto's rules, after IAM's answers).
    static func resourceFormatError(_ r: String) -> PolicyError? {
        if r == "*" { return nil }
        let parts = r.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "arn" else { return .resourceNotARN(r) }
        let partition = String(parts[1])
        if !partitions.contains(partition) {
            let rest = parts.dropFirst(2)
            func part(_ k: Int) -> String {
                k < rest.count ? String(rest[rest.startIndex + k]) : "*"
            }
            let first = (!(rest.first?.isEmpty ?? true) || rest.count > 1) ? part(0) : "*"
            let last = rest.count > 3 ? rest.dropFirst(3).joined(separator: ":") : "*"
            return .partitionNotValid(partition, "\(first):\(part(1)):\(part(2)):\(last)")
        }
        guard parts.count >= 3, !parts[2].contains("*"), !parts[2].contains("?") else { return .resourceVendor }
        let service = parts[2]
        let region = parts.count > 3 ? parts[3] : ""
        if service == "iam", !region.isEmpty { return .iamResourceRegion(r) }
        if service == "s3", !region.isEmpty { return .s3ResourceRegion(r) }
        if service == "iam" {
            let path = parts.count > 5 ? parts[5...].joined(separator: ":") : ""
            let ok = path.hasPrefix("*") || iamResourcePrefixes.contains { path.hasPrefix($0) }
            if !ok { return .iamResourcePath }
        }
        return nil
    }

    func checkActionNames() throws(PolicyError) {
        for s in statements {
            for a in (s.action ?? []) + (s.notAction ?? []) {
                try Self.checkActionName(a)
                if kind == .trust, a.split(separator: ":").first?.lowercased() != "sts" { throw .trustPolicyActions }
            }
            for (_, key, _) in s.conditions { try Self.checkConditionKey(key) }
        }
    }

    static func checkActionName(_ action: String) throws(PolicyError) {
        if action == "*" { return }
        let parts = action.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 1 { throw .needsVendor }
        if parts.count > 2 { throw .oneColon }
        let vendor = parts[0]
        if vendor.contains("*") || vendor.contains("?") { throw .vendorWildcard }
        let valid = !vendor.isEmpty && vendor.utf8.allSatisfy {
            ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 46
        }
        if !valid { throw .vendorNotValid(String(vendor)) }
    }

    /// Condition keys must name their vendor like actions do ("Actions/Conditions must be prefaced by a vendor").
    /// More colons are fine: kms:EncryptionContext:KEY and aws:ResourceTag/aws:cloudformation:stack-name are keys.
    static func checkConditionKey(_ key: String) throws(PolicyError) {
        if !key.contains(":") { throw .needsVendor }
    }
}
