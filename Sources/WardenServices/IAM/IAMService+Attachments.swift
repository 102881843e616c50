// Managed policies attached to users, groups and roles, their permissions boundaries, and ListEntitiesForPolicy.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

/// A managed policy an ARN or id names: the account's own, or one of AWS's.
enum ManagedRef: Sendable {
    case customer(IAMPolicyRow)
    case aws(AWSManagedPolicies.Entry)

    var id: String {
        switch self {
        case .customer(let p): p.id
        case .aws(let e): e.policyId
        }
    }

    var name: String {
        switch self {
        case .customer(let p): p.name
        case .aws(let e): e.name
        }
    }

    var path: String {
        switch self {
        case .customer(let p): p.path
        case .aws(let e): e.path
        }
    }

    func arn(_ c: RequestContext) -> String {
        switch self {
        case .customer(let p): IAMService.arn(c, account: p.account, type: "policy", path: p.path, name: p.name)
        case .aws(let e): AWSManagedPolicies.arn(e, partition: c.partition.rawValue)
        }
    }
}

/// AWS managed policies by id (attachments and boundaries keep ids).
enum AWSManagedIndex {
    static let byId: [String: AWSManagedPolicies.Entry] = Dictionary(
        AWSManagedPolicies.all.map { ($0.policyId, $0) }, uniquingKeysWith: { first, _ in first })
}

extension IAMService {
    /// Time of an attachment to the millisecond: attachments list in the order they were made.
    var preciseMillis: Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// The policy a well-formed policy ARN names, if it exists: AWS's in any partition, or the caller account's own.
    func managedPolicy(_ t: IAMTx, _ arn: String, _ c: RequestContext) async throws -> ManagedRef? {
        guard let parts = IAMRepository.policyARNParts(arn) else { return nil }
        if parts.owner == "aws" { return AWSManagedPolicies.entry(arn: arn).map { ManagedRef.aws($0) } }
        guard parts.owner == c.account, let row = try await t.policy(name: parts.name), row.path == parts.path else { return nil }
        return .customer(row)
    }

    func managedPolicy(_ t: IAMTx, id: String) async throws -> ManagedRef? {
        if let e = AWSManagedIndex.byId[id] { return .aws(e) }
        return try await t.policy(id: id).map { ManagedRef.customer($0) }
    }

    /// "ARN X is not valid." (recorded from IAM: a ValidationError for policy ARNs of Attach/Detach/Get calls, an
    /// InvalidInput for permissions boundaries).
    static func checkPolicyARN(_ arn: String, boundary: Bool = false) throws {
        guard IAMRepository.policyARNParts(arn) == nil else { return }
        let message = "ARN \(arn) is not valid."
        throw boundary ? IAM.Errors.invalidInputException(message) : validation(message)
    }

    /// "Policy ARN does not exist or is not attachable." (recorded from IAM).
    static func notAttachable(_ arn: String) -> AWSError {
        IAM.Errors.noSuchEntityException("Policy \(arn) does not exist or is not attachable.")
    }

    /// "Policy ARN was not found." (recorded from IAM).
    static func policyNotFound(_ arn: String) -> AWSError { IAM.Errors.noSuchEntityException("Policy \(arn) was not found.") }

    // MARK: permissions boundaries

    /// The policy id a permissions boundary ARN names (texts recorded from IAM).
    func boundaryPolicyId(_ t: IAMTx, _ arn: String, _ c: RequestContext) async throws -> String {
        try Self.checkPolicyARN(arn, boundary: true)
        guard let ref = try await managedPolicy(t, arn, c) else {
            throw IAM.Errors.noSuchEntityException("Scope ARN: \(arn) does not exist or is not attachable.")
        }
        return ref.id
    }

    /// A permissions boundary as IAM shows it (its type recorded from IAM as "Policy").
    func boundaryShape(_ t: IAMTx, _ id: String?, _ c: RequestContext) async throws -> IAM.AttachedPermissionsBoundary? {
        guard let id, let ref = try await managedPolicy(t, id: id) else { return nil }
        return IAM.AttachedPermissionsBoundary(permissionsBoundaryType: IAM.PermissionsBoundaryAttachmentType(rawValue: "Policy"),
                                               permissionsBoundaryArn: ref.arn(c))
    }

    func putBoundary(_ kind: IAMEntityKind, _ name: String, _ arn: String, _ c: RequestContext) async throws -> EmptyShape {
        try await write(c) { t in
            guard var e = try await t.entity(kind, name: name) else { throw Self.noSuchEntity(kind, name) }
            e.boundaryId = try await self.boundaryPolicyId(t, arn, c)
            try await t.update(e)
        }
        return EmptyShape()
    }

    func deleteBoundary(_ kind: IAMEntityKind, _ name: String, _ c: RequestContext) async throws -> EmptyShape {
        try await write(c) { t in
            guard var e = try await t.entity(kind, name: name) else { throw Self.noSuchEntity(kind, name) }
            e.boundaryId = nil
            try await t.update(e)
        }
        return EmptyShape()
    }

    func putUserPermissionsBoundary(_ input: IAM.PutUserPermissionsBoundaryRequest, context c: RequestContext) async throws -> EmptyShape {
        try await putBoundary(.user, input.userName, input.permissionsBoundary, c)
    }

    func deleteUserPermissionsBoundary(_ input: IAM.DeleteUserPermissionsBoundaryRequest, context c: RequestContext) async throws -> EmptyShape {
        try await deleteBoundary(.user, input.userName, c)
    }

    func putRolePermissionsBoundary(_ input: IAM.PutRolePermissionsBoundaryRequest, context c: RequestContext) async throws -> EmptyShape {
        try await putBoundary(.role, input.roleName, input.permissionsBoundary, c)
    }

    func deleteRolePermissionsBoundary(_ input: IAM.DeleteRolePermissionsBoundaryRequest, context c: RequestContext) async throws -> EmptyShape {
        try await deleteBoundary(.role, input.roleName, c)
    }

    // MARK: attach, detach, list

    func attach(_ kind: IAMEntityKind, _ name: String, _ arn: String, _ c: RequestContext) async throws -> EmptyShape {
        try Self.checkPolicyARN(arn)
        let at = preciseMillis
        try await write(c) { t in
            guard let e = try await t.entity(kind, name: name) else { throw Self.noSuchEntity(kind, name) }
            guard let ref = try await self.managedPolicy(t, arn, c) else { throw Self.notAttachable(arn) }
            let attached = try await t.attachedPolicyIds(entityId: e.id)
            if attached.contains(ref.id) { return }
            // Recorded from IAM for users and roles ("Cannot exceed quota for PoliciesPerUser: 10"); groups by analogy.
            guard attached.count < 10 else { throw Self.limit("Cannot exceed quota for PoliciesPer\(Self.title(kind)): 10") }
            _ = try await t.attach(entityId: e.id, policyId: ref.id, atMillis: at)
        }
        return EmptyShape()
    }

    func detach(_ kind: IAMEntityKind, _ name: String, _ arn: String, _ c: RequestContext) async throws -> EmptyShape {
        try Self.checkPolicyARN(arn)
        try await write(c) { t in
            guard let e = try await t.entity(kind, name: name) else { throw Self.noSuchEntity(kind, name) }
            guard let ref = try await self.managedPolicy(t, arn, c), try await t.detach(entityId: e.id, policyId: ref.id) else {
                throw Self.policyNotFound(arn)
            }
        }
        return EmptyShape()
    }

    /// An entity's attached policies (name and ARN), in the order they were attached, filtered by policy path.
    func attachedPolicies(_ kind: IAMEntityKind, _ name: String, pathPrefix: String?, maxItems: Int?, marker: String?,
                          _ c: RequestContext) async throws -> (policies: [IAM.AttachedPolicy], isTruncated: Bool, marker: String?) {
        let refs = try await read(c) { t -> [ManagedRef] in
            guard let e = try await t.entity(kind, name: name) else { throw Self.noSuchEntity(kind, name) }
            var out: [ManagedRef] = []
            for id in try await t.attachedPolicyIds(entityId: e.id) {
                if let ref = try await self.managedPolicy(t, id: id) { out.append(ref) }
            }
            return out
        }
        let prefix = pathPrefix ?? "/"
        let page = try Self.page(refs.filter { $0.path.hasPrefix(prefix) }, maxItems: maxItems, marker: marker)
        return (page.items.map { IAM.AttachedPolicy(policyName: $0.name, policyArn: $0.arn(c)) }, page.isTruncated, page.marker)
    }

    func attachUserPolicy(_ input: IAM.AttachUserPolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try await attach(.user, input.userName, input.policyArn, c)
    }

    func attachGroupPolicy(_ input: IAM.AttachGroupPolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try await attach(.group, input.groupName, input.policyArn, c)
    }

    func attachRolePolicy(_ input: IAM.AttachRolePolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try await attach(.role, input.roleName, input.policyArn, c)
    }

    func detachUserPolicy(_ input: IAM.DetachUserPolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try await detach(.user, input.userName, input.policyArn, c)
    }

    func detachGroupPolicy(_ input: IAM.DetachGroupPolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try await detach(.group, input.groupName, input.policyArn, c)
    }

    func detachRolePolicy(_ input: IAM.DetachRolePolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try await detach(.role, input.roleName, input.policyArn, c)
    }

    func listAttachedUserPolicies(_ input: IAM.ListAttachedUserPoliciesRequest,
                                  context c: RequestContext) async throws -> IAM.ListAttachedUserPoliciesResponse {
        let r = try await attachedPolicies(.user, input.userName, pathPrefix: input.pathPrefix, maxItems: input.maxItems, marker: input.marker, c)
        return IAM.ListAttachedUserPoliciesResponse(attachedPolicies: r.policies, isTruncated: r.isTruncated, marker: r.marker)
    }

    func listAttachedGroupPolicies(_ input: IAM.ListAttachedGroupPoliciesRequest,
                                   context c: RequestContext) async throws -> IAM.ListAttachedGroupPoliciesResponse {
        let r = try await attachedPolicies(.group, input.groupName, pathPrefix: input.pathPrefix, maxItems: input.maxItems, marker: input.marker, c)
        return IAM.ListAttachedGroupPoliciesResponse(attachedPolicies: r.policies, isTruncated: r.isTruncated, marker: r.marker)
    }

    func listAttachedRolePolicies(_ input: IAM.ListAttachedRolePoliciesRequest,
                                  context c: RequestContext) async throws -> IAM.ListAttachedRolePoliciesResponse {
        let r = try await attachedPolicies(.role, input.roleName, pathPrefix: input.pathPrefix, maxItems: input.maxItems, marker: input.marker, c)
        return IAM.ListAttachedRolePoliciesResponse(attachedPolicies: r.policies, isTruncated: r.isTruncated, marker: r.marker)
    }

    /// The users, groups and roles a policy is attached to or bounds. All three lists are always present (recorded).
    func listEntitiesForPolicy(_ input: IAM.ListEntitiesForPolicyRequest,
                               context c: RequestContext) async throws -> IAM.ListEntitiesForPolicyResponse {
        try Self.checkPolicyARN(input.policyArn)
        let usage = input.policyUsageFilter
        let entities = try await read(c) { t -> [IAMEntityRow] in
            guard let ref = try await self.managedPolicy(t, input.policyArn, c) else { throw Self.notAttachable(input.policyArn) }
            var found: [IAMEntityRow] = []
            if usage != .permissionsBoundary { found += try await t.attachedEntities(policyId: ref.id) }
            if usage != .permissionsPolicy {
                for e in try await t.entities(boundaryId: ref.id) where !found.contains(where: { $0.id == e.id }) { found.append(e) }
            }
            return found
        }
        // LocalManagedPolicy and AWSManagedPolicy name no users, groups or roles (recorded: all three lists empty).
        var kinds: Set<IAMEntityKind> = [.user, .group, .role]
        if let f = input.entityFilter {
            if f == .user { kinds = [.user] } else if f == .group { kinds = [.group] } else if f == .role { kinds = [.role] } else { kinds = [] }
        }
        let prefix = input.pathPrefix ?? "/"
        let order: [IAMEntityKind] = [.group, .user, .role]
        let matching = entities.filter { kinds.contains($0.kind) && $0.path.hasPrefix(prefix) }
            .sorted { (order.firstIndex(of: $0.kind) ?? 0, $0.name.lowercased()) < (order.firstIndex(of: $1.kind) ?? 0, $1.name.lowercased()) }
        let page = try Self.page(matching, maxItems: input.maxItems, marker: input.marker)
        return IAM.ListEntitiesForPolicyResponse(
            policyGroups: page.items.filter { $0.kind == .group }.map { IAM.PolicyGroup(groupName: $0.name, groupId: $0.id) },
            policyUsers: page.items.filter { $0.kind == .user }.map { IAM.PolicyUser(userName: $0.name, userId: $0.id) },
            policyRoles: page.items.filter { $0.kind == .role }.map { IAM.PolicyRole(roleName: $0.name, roleId: $0.id) },
            isTruncated: page.isTruncated, marker: page.marker)
    }
}
