// What IAM requests are authorized against: the ARN of the user, group, role, policy or provider they act on (with
// the entity's real path, which the request does not carry) and IAM's condition keys.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

struct IAMAuthority: ResourceAuthority {
    let iam: IAMService

    func authorizationFacts(operation: String, action: String, input: AWSValue, resources: [AuditResource],
                            context c: RequestContext) async throws -> AuthorizationFacts {
        let fields = input.mapValue ?? [:]
        var conditions = RequestTags.conditions(input)
        if case .list(let keys)? = fields["TagKeys"] { conditions["aws:TagKeys"] = keys.compactMap(\.stringValue) }
        if operation.hasPrefix("Attach") || operation.hasPrefix("Detach"), let arn = fields["PolicyArn"]?.stringValue {
            conditions["iam:PolicyARN"] = [arn]
        }
        if let boundary = fields["PermissionsBoundary"]?.stringValue { conditions["iam:PermissionsBoundary"] = [boundary] }
        var out: [ResourceFacts] = []
        switch IAMService.subject(operation) {
        case .user:
            let name = fields["UserName"]?.stringValue ?? IAMService.callerUserName(c)
            if let name { out.append(try await entity(.user, name, fields, c)) }
        case .group:
            if let name = fields["GroupName"]?.stringValue { out.append(try await entity(.group, name, fields, c)) }
        case .role:
            if let name = fields["RoleName"]?.stringValue { out.append(try await entity(.role, name, fields, c)) }
        case .policy, .provider:
            let member = IAMService.subject(operation) == .policy ? "PolicyArn" : "OpenIDConnectProviderArn"
            if let arn = fields[member]?.stringValue {
                let tags = try await policyTags(arn, c)
                // AWS managed policies (account "aws") are readable and attachable by every account: they are decided
                // as the caller's own resources, by identity policies alone.
                let owner = ARN(arn)?.account
                out.append(ResourceFacts(arn: arn, account: owner == nil || owner == "aws" ? c.account : owner ?? c.account,
                                         conditions: tags))
            }
        case .newPolicy, .newProvider:
            out += resources.map { ResourceFacts(arn: $0.arn, account: $0.account) }
        case .none:
            break
        }
        return AuthorizationFacts(resources: out, conditions: conditions)
    }

    /// The entity's ARN with its stored path (a new or unknown entity: the request's Path, or "/") and its tags as
    /// `aws:ResourceTag/…` and `iam:ResourceTag/…`.
    func entity(_ kind: IAMEntityKind, _ name: String, _ fields: [String: AWSValue], _ c: RequestContext) async throws -> ResourceFacts {
        let row = try await iam.repo.read(account: c.account) { t in try await t.entity(kind, name: name) }
        var conditions: [String: [String]] = [:]
        var path = fields["Path"]?.stringValue ?? "/"
        var stored = name
        if let row {
            path = row.path
            stored = row.name
            for tag in (try? IAMDocuments.decode(IAMEntityDoc.self, row.doc))?.tags ?? [] {
                conditions["aws:ResourceTag/\(tag.key)"] = [tag.value]
                conditions["iam:ResourceTag/\(tag.key)"] = [tag.value]
            }
        }
        return ResourceFacts(arn: IAMService.arn(c, account: c.account, type: kind.rawValue, path: path, name: stored),
                             account: c.account, conditions: conditions)
    }

    /// A customer managed policy's tags as resource conditions.
    func policyTags(_ arn: String, _ c: RequestContext) async throws -> [String: [String]] {
        guard let parts = IAMRepository.policyARNParts(arn), parts.owner == c.account else { return [:] }
        let row = try await iam.repo.read(account: c.account) { t in try await t.policy(name: parts.name) }
        guard let row, row.path == parts.path else { return [:] }
        var conditions: [String: [String]] = [:]
        for tag in (try? IAMDocuments.decode(IAMPolicyDoc.self, row.doc))?.tags ?? [] {
            conditions["aws:ResourceTag/\(tag.key)"] = [tag.value]
            conditions["iam:ResourceTag/\(tag.key)"] = [tag.value]
        }
        return conditions
    }
}
