// Inline policies of users, groups and roles.
import Foundation
import WardenAPI
import WardenCore
import WardenPolicy
import WardenStorage

extension IAMService {
    /// Each entity's inline policies together may not exceed its quota (non-white-space characters).
    static func inlineQuota(_ kind: IAMEntityKind, _ name: String) -> PolicySizeQuota {
        switch kind {
        case .user: .userInline(userName: name)
        case .group: .groupInline(groupName: name)
        case .role: .roleInline(roleName: name)
        }
    }

    func putInline(_ kind: IAMEntityKind, _ name: String, _ policyName: String, _ document: String, _ c: RequestContext) async throws {
        try await write(c) { t in
            guard let e = try await t.entity(kind, name: name) else { throw Self.noSuchEntity(kind, name) }
            try Self.validatePolicy(document, kind: .identity, id: policyName)
            let others = try await t.inlinePolicies(entityId: e.id).filter { $0.name != policyName }.map { $0.document }
            // "Maximum policy size of 10240 bytes exceeded for role NAME" (recorded from IAM for users and roles;
            // groups by analogy), for all the entity's inline policies together.
            try Self.checkSize(others + [document], Self.inlineQuota(kind, e.name))
            try await t.putInlinePolicy(entityId: e.id, name: policyName, document: document)
        }
    }

    /// The entity's stored name and the policy's document (still to be URL-encoded).
    func getInline(_ kind: IAMEntityKind, _ name: String, _ policyName: String, _ c: RequestContext) async throws -> (entity: String, document: String) {
        try await read(c) { t -> (entity: String, document: String) in
            guard let e = try await t.entity(kind, name: name) else { throw Self.noSuchEntity(kind, name) }
            guard let document = try await t.inlinePolicy(entityId: e.id, name: policyName) else {
                throw Self.noSuchInlinePolicy(kind, policyName)
            }
            return (e.name, document)
        }
    }

    func deleteInline(_ kind: IAMEntityKind, _ name: String, _ policyName: String, _ c: RequestContext) async throws -> EmptyShape {
        try await write(c) { t in
            guard let e = try await t.entity(kind, name: name) else { throw Self.noSuchEntity(kind, name) }
            guard try await t.inlinePolicy(entityId: e.id, name: policyName) != nil else { throw Self.noSuchInlinePolicy(kind, policyName) }
            try await t.deleteInlinePolicy(entityId: e.id, name: policyName)
        }
        return EmptyShape()
    }

    func listInline(_ kind: IAMEntityKind, _ name: String, maxItems: Int?, marker: String?,
                    _ c: RequestContext) async throws -> (names: [String], isTruncated: Bool, marker: String?) {
        let names = try await read(c) { t -> [String] in
            guard let e = try await t.entity(kind, name: name) else { throw Self.noSuchEntity(kind, name) }
            return try await t.inlinePolicies(entityId: e.id).map { $0.name }
        }
        let page = try Self.page(names, maxItems: maxItems, marker: marker)
        return (page.items, page.isTruncated, page.marker)
    }

    // MARK: users

    func putUserPolicy(_ input: IAM.PutUserPolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try await putInline(.user, input.userName, input.policyName, input.policyDocument, c)
        return EmptyShape()
    }

    func getUserPolicy(_ input: IAM.GetUserPolicyRequest, context c: RequestContext) async throws -> IAM.GetUserPolicyResponse {
        let r = try await getInline(.user, input.userName, input.policyName, c)
        return IAM.GetUserPolicyResponse(userName: r.entity, policyName: input.policyName, policyDocument: Self.encodedDocument(r.document))
    }

    func deleteUserPolicy(_ input: IAM.DeleteUserPolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try await deleteInline(.user, input.userName, input.policyName, c)
    }

    func listUserPolicies(_ input: IAM.ListUserPoliciesRequest, context c: RequestContext) async throws -> IAM.ListUserPoliciesResponse {
        let r = try await listInline(.user, input.userName, maxItems: input.maxItems, marker: input.marker, c)
        return IAM.ListUserPoliciesResponse(policyNames: r.names, isTruncated: r.isTruncated, marker: r.marker)
    }

    // MARK: groups

    func putGroupPolicy(_ input: IAM.PutGroupPolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try await putInline(.group, input.groupName, input.policyName, input.policyDocument, c)
        return EmptyShape()
    }

    func getGroupPolicy(_ input: IAM.GetGroupPolicyRequest, context c: RequestContext) async throws -> IAM.GetGroupPolicyResponse {
        let r = try await getInline(.group, input.groupName, input.policyName, c)
        return IAM.GetGroupPolicyResponse(groupName: r.entity, policyName: input.policyName, policyDocument: Self.encodedDocument(r.document))
    }

    func deleteGroupPolicy(_ input: IAM.DeleteGroupPolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try await deleteInline(.group, input.groupName, input.policyName, c)
    }

    func listGroupPolicies(_ input: IAM.ListGroupPoliciesRequest, context c: RequestContext) async throws -> IAM.ListGroupPoliciesResponse {
        let r = try await listInline(.group, input.groupName, maxItems: input.maxItems, marker: input.marker, c)
        return IAM.ListGroupPoliciesResponse(policyNames: r.names, isTruncated: r.isTruncated, marker: r.marker)
    }

    // MARK: roles

    func putRolePolicy(_ input: IAM.PutRolePolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try await putInline(.role, input.roleName, input.policyName, input.policyDocument, c)
        return EmptyShape()
    }

    func getRolePolicy(_ input: IAM.GetRolePolicyRequest, context c: RequestContext) async throws -> IAM.GetRolePolicyResponse {
        let r = try await getInline(.role, input.roleName, input.policyName, c)
        return IAM.GetRolePolicyResponse(roleName: r.entity, policyName: input.policyName, policyDocument: Self.encodedDocument(r.document))
    }

    func deleteRolePolicy(_ input: IAM.DeleteRolePolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try await deleteInline(.role, input.roleName, input.policyName, c)
    }

    func listRolePolicies(_ input: IAM.ListRolePoliciesRequest, context c: RequestContext) async throws -> IAM.ListRolePoliciesResponse {
        let r = try await listInline(.role, input.roleName, maxItems: input.maxItems, marker: input.marker, c)
        return IAM.ListRolePoliciesResponse(policyNames: r.names, isTruncated: r.isTruncated, marker: r.marker)
    }
}
