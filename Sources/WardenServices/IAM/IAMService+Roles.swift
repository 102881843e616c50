// IAM roles: trust policies, session duration, description, tags.
import Foundation
import WardenAPI
import WardenCore
import WardenPolicy
import WardenStorage

extension IAMService {
    /// Which members a role answer carries (recorded): CreateRole shows neither description nor session duration;
    /// GetRole shows everything; ListRoles leaves out the boundary, tags and RoleLastUsed.
    enum RoleView { case created, full, listed }

    func role(_ t: IAMTx, _ name: String) async throws -> IAMEntityRow {
        guard let r = try await t.entity(.role, name: name) else { throw Self.noSuchEntity(.role, name) }
        return r
    }

    func roleShape(_ t: IAMTx, _ r: IAMEntityRow, _ c: RequestContext, _ view: RoleView) async throws -> IAM.Role {
        let doc = try IAMJSON.decode(IAMEntityDoc.self, r.doc)
        var role = IAM.Role(path: r.path, roleName: r.name, roleId: r.id, arn: Self.arn(r, c), createDate: Self.date(r.createdAtMillis),
                            assumeRolePolicyDocument: Self.encodedDocument(doc.trustPolicy ?? "{}"))
        if view != .listed {
            role.permissionsBoundary = try await boundaryShape(t, r.boundaryId, c)
            role.tags = Self.optionalShapes(doc.tags)
        }
        if view != .created {
            role.description = doc.description
            role.maxSessionDuration = doc.maxSessionDuration ?? 3600
        }
        if view == .full { role.roleLastUsed = Self.roleLastUsed(doc) }
        return role
    }

    /// `{}` until the role is used.
    static func roleLastUsed(_ doc: IAMEntityDoc) -> IAM.RoleLastUsed {
        IAM.RoleLastUsed(lastUsedDate: doc.lastUsedMillis.map(date), region: doc.lastUsedRegion)
    }

    /// A trust policy's size quota (text recorded from IAM) and grammar.
    static func checkTrustPolicy(_ document: String, role: String) throws {
        try checkSize([document], .trustPolicy)
        try validatePolicy(document, kind: .trust, id: role)
    }

    func createRole(_ input: IAM.CreateRoleRequest, context c: RequestContext) async throws -> IAM.CreateRoleResponse {
        try Self.checkTrustPolicy(input.assumeRolePolicyDocument, role: input.roleName)
        let tags = try Self.merge([], input.tags ?? [], caseSensitive: false)
        let stored = IAMEntityDoc(tags: tags.isEmpty ? nil : tags, description: input.description,
                                  trustPolicy: input.assumeRolePolicyDocument, maxSessionDuration: input.maxSessionDuration ?? 3600)
        let created = nowMillis
        let role = try await write(c) { t -> IAM.Role in
            let boundaryId = try await input.permissionsBoundary.asyncMap { try await self.boundaryPolicyId(t, $0, c) }
            let row = IAMEntityRow(kind: .role, account: c.account, name: input.roleName, id: Self.newId("AROA"),
                                   path: input.path ?? "/", createdAtMillis: created, boundaryId: boundaryId, doc: IAMJSON.encode(stored))
            // AWS's text for this case is not known.
            guard try await t.entityCount(.role) < 1000 else { throw Self.limit("Cannot exceed quota for RolesPerAccount: 1000") }
            guard try await t.insert(row) else { throw Self.alreadyExists(.role, input.roleName) }
            return try await self.roleShape(t, row, c, .created)
        }
        return IAM.CreateRoleResponse(role: role)
    }

    func getRole(_ input: IAM.GetRoleRequest, context c: RequestContext) async throws -> IAM.GetRoleResponse {
        let role = try await read(c) { t in try await self.roleShape(t, try await self.role(t, input.roleName), c, .full) }
        return IAM.GetRoleResponse(role: role)
    }

    func listRoles(_ input: IAM.ListRolesRequest, context c: RequestContext) async throws -> IAM.ListRolesResponse {
        let prefix = input.pathPrefix ?? "/"
        let roles = try await read(c) { t -> ([IAM.Role], Bool, String?) in
            let all = try await t.entities(.role).filter { $0.path.hasPrefix(prefix) }
            let page = try Self.page(all, maxItems: input.maxItems, marker: input.marker)
            var shapes: [IAM.Role] = []
            for r in page.items { shapes.append(try await self.roleShape(t, r, c, .listed)) }
            return (shapes, page.isTruncated, page.marker)
        }
        return IAM.ListRolesResponse(roles: roles.0, isTruncated: roles.1, marker: roles.2)
    }

    /// Changes only what is given (recorded: UpdateRole without members leaves description and duration as they were).
    func updateRole(_ input: IAM.UpdateRoleRequest, context c: RequestContext) async throws -> IAM.UpdateRoleResponse {
        try await write(c) { t in
            var r = try await self.role(t, input.roleName)
            var doc = try IAMJSON.decode(IAMEntityDoc.self, r.doc)
            if let d = input.description { doc.description = d }
            if let m = input.maxSessionDuration { doc.maxSessionDuration = m }
            r.doc = IAMJSON.encode(doc)
            try await t.update(r)
        }
        return IAM.UpdateRoleResponse()
    }

    func updateAssumeRolePolicy(_ input: IAM.UpdateAssumeRolePolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try await write(c) { t in
            var r = try await self.role(t, input.roleName)
            try Self.checkTrustPolicy(input.policyDocument, role: r.name)
            var doc = try IAMJSON.decode(IAMEntityDoc.self, r.doc)
            doc.trustPolicy = input.policyDocument
            r.doc = IAMJSON.encode(doc)
            try await t.update(r)
        }
        return EmptyShape()
    }

    func deleteRole(_ input: IAM.DeleteRoleRequest, context c: RequestContext) async throws -> EmptyShape {
        try await write(c) { t in
            let r = try await self.role(t, input.roleName)
            try await Self.checkNoPolicies(t, r.id)
            try await t.delete(entityId: r.id)
        }
        return EmptyShape()
    }

    // MARK: tags

    func tagRole(_ input: IAM.TagRoleRequest, context c: RequestContext) async throws -> EmptyShape {
        try await retag(.role, input.roleName, c) { try Self.merge($0, input.tags, caseSensitive: false) }
    }

    func untagRole(_ input: IAM.UntagRoleRequest, context c: RequestContext) async throws -> EmptyShape {
        try await retag(.role, input.roleName, c) { Self.removing(input.tagKeys, from: $0, caseSensitive: false) }
    }

    func listRoleTags(_ input: IAM.ListRoleTagsRequest, context c: RequestContext) async throws -> IAM.ListRoleTagsResponse {
        let page = try Self.page(try await tags(.role, input.roleName, c), maxItems: input.maxItems, marker: input.marker)
        return IAM.ListRoleTagsResponse(tags: Self.shapes(page.items), isTruncated: page.isTruncated, marker: page.marker)
    }
}
