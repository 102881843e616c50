// What Lambda requests are authorized against (Lambda Developer Guide, "Identity-based IAM policies for Lambda" and
// "Resource-based policies"; Service Authorization Reference, "AWS Lambda"): the function's ARN (qualified when the
// request names a version or alias), with its resource-based policy (AddPermission's statements) and tags.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

struct LambdaAuthority: ResourceAuthority {
    let lambda: LambdaService

    /// A function as a request names it.
    struct Target {
        var partition: String
        var region: String
        var account: String
        var name: String
        var qualifier: String?
        var arn: String {
            "arn:\(partition):lambda:\(region):\(account):function:\(name)" + (qualifier.map { ":\($0)" } ?? "")
        }
    }

    func authorizationFacts(operation: String, action: String, input: AWSValue, resources: [AuditResource],
                            context c: RequestContext) async throws -> AuthorizationFacts {
        let fields = input.mapValue ?? [:]
        // CreateFunction and TagResource carry `Tags` (a map); UntagResource names only keys.
        var conditions = RequestTags.conditions(input)
        if case .list(let keys)? = fields["TagKeys"] { conditions["aws:TagKeys"] = keys.compactMap(\.stringValue) }
        // lambda:Principal is listed for AddPermission and RemovePermission; only AddPermission's request names one.
        if operation == "AddPermission", let p = fields["Principal"]?.stringValue { conditions["lambda:Principal"] = [p] }
        guard let ref = (fields["FunctionName"] ?? fields["Resource"])?.stringValue,
              let target = Self.target(ref, qualifier: fields["Qualifier"]?.stringValue, c) else {
            // No function named (ListFunctions), or a name the operation will refuse: as the audit declaration says.
            return AuthorizationFacts(resources: resources.map { ResourceFacts(arn: $0.arn, account: $0.account) },
                                      conditions: conditions)
        }
        if operation == "CreateFunction" {
            // The function to be has no policy or tags of its own yet.
            return AuthorizationFacts(resources: [ResourceFacts(arn: target.arn, account: target.account)], conditions: conditions)
        }
        return AuthorizationFacts(resources: [try await function(target)], conditions: conditions)
    }

    /// The function's resource-based policy and tags; a function that does not exist has neither (the operation then
    /// reports ResourceNotFoundException, once the caller may call it).
    func function(_ t: Target) async throws -> ResourceFacts {
        guard let row = try await lambda.repository.function(account: t.account, region: t.region, name: t.name),
              let record = try? JSONDecoder().decode(FunctionRecord.self, from: Data(row.doc))
        else {
            return ResourceFacts(arn: t.arn, account: t.account)
        }
        var policies: [PolicyText] = []
        if !record.statements.isEmpty {
            policies = [PolicyText(id: "function policy", json: LambdaService.policyDocument(record.statements))]
        }
        var tags: [String: [String]] = [:]
        for (k, v) in record.tags { tags["aws:ResourceTag/\(k)"] = [v] }
        return ResourceFacts(arn: t.arn, account: t.account, policies: policies, conditions: tags)
    }

    /// A FunctionName (or tagging Resource) in any form Lambda takes: a name, `NAME:QUALIFIER`, a partial ARN
    /// `ACCOUNT:function:NAME[:QUALIFIER]`, or a full ARN. The `Qualifier` parameter, when given, qualifies it. Nil when
    /// it is none of these (the operation answers that with its validation error).
    static func target(_ ref: String, qualifier: String?, _ c: RequestContext) -> Target? {
        let parts = ref.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var t = Target(partition: c.partition.rawValue, region: c.region, account: c.account, name: ref, qualifier: nil)
        if parts.count == 2 {
            t.name = parts[0]
            t.qualifier = parts[1]
        } else if (parts.count == 3 || parts.count == 4) && parts[1] == "function" {
            t.account = parts[0]
            t.name = parts[2]
            if parts.count == 4 { t.qualifier = parts[3] }
        } else if (parts.count == 7 || parts.count == 8) && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" {
            t.partition = parts[1]
            t.region = parts[3]
            t.account = parts[4]
            t.name = parts[6]
            if parts.count == 8 { t.qualifier = parts[7] }
        } else if parts.count != 1 {
            return nil
        }
        guard LambdaService.isValidName(t.name), t.qualifier?.isEmpty != true else { return nil }
        if let qualifier, !qualifier.isEmpty { t.qualifier = qualifier }
        return t
    }
}
