// IAM users and groups: create, read, rename, delete, membership, and users' tags.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension IAMService {
    func user(_ t: IAMTx, _ name: String) async throws -> IAMEntityRow {
        guard let u = try await t.entity(.user, name: name) else { throw Self.noSuchEntity(.user, name) }
        return u
    }

    func group(_ t: IAMTx, _ name: String) async throws -> IAMEntityRow {
        guard let g = try await t.entity(.group, name: name) else { throw Self.noSuchEntity(.group, name) }
        return g
    }

    /// A user as IAM answers it: lists leave out the permissions boundary and tags; CreateUser and GetUser show them.
    func userShape(_ t: IAMTx, _ u: IAMEntityRow, _ c: RequestContext, detail: Bool) async throws -> IAM.User {
        var boundary: IAM.AttachedPermissionsBoundary?
        var tags: [IAM.Tag]?
        if detail {
            boundary = try await boundaryShape(t, u.boundaryId, c)
            tags = Self.optionalShapes(try IAMJSON.decode(IAMEntityDoc.self, u.doc).tags)
        }
        return IAM.User(path: u.path, userName: u.name, userId: u.id, arn: Self.arn(u, c), createDate: Self.date(u.createdAtMillis),
                        permissionsBoundary: boundary, tags: tags)
    }

    static func groupShape(_ g: IAMEntityRow, _ c: RequestContext) -> IAM.Group {
        IAM.Group(path: g.path, groupName: g.name, groupId: g.id, arn: arn(g, c), createDate: date(g.createdAtMillis))
    }

    /// Deleting a user, group or role needs its inline and attached policies gone first (texts recorded from IAM).
    static func checkNoPolicies(_ t: IAMTx, _ entityId: String) async throws {
        let inline = try await t.inlinePolicies(entityId: entityId)
        if !inline.isEmpty { throw conflict("Cannot delete entity, must delete policies first.") }
        let attached = try await t.attachedPolicyIds(entityId: entityId)
        if !attached.isEmpty { throw conflict("Cannot delete entity, must detach all policies first.") }
    }

    // MARK: users

    func createUser(_ input: IAM.CreateUserRequest, context c: RequestContext) async throws -> IAM.CreateUserResponse {
        let tags = try Self.merge([], input.tags ?? [], caseSensitive: false)
        let doc = IAMEntityDoc(tags: tags.isEmpty ? nil : tags)
        let created = nowMillis
        let user = try await write(c) { t -> IAM.User in
            let boundaryId = try await input.permissionsBoundary.asyncMap { try await self.boundaryPolicyId(t, $0, c) }
            let row = IAMEntityRow(kind: .user, account: c.account, name: input.userName, id: Self.newId("AIDA"),
                                   path: input.path ?? "/", createdAtMillis: created, boundaryId: boundaryId, doc: IAMJSON.encode(doc))
            // AWS's text for this case is not known.
            guard try await t.entityCount(.user) < 5000 else { throw Self.limit("Cannot exceed quota for UsersPerAccount: 5000") }
            guard try await t.insert(row) else { throw Self.alreadyExists(.user, input.userName) }
            return try await self.userShape(t, row, c, detail: true)
        }
        return IAM.CreateUserResponse(user: user)
    }

    func getUser(_ input: IAM.GetUserRequest, context c: RequestContext) async throws -> IAM.GetUserResponse {
        guard let name = input.userName ?? Self.callerUserName(c) else {
            guard let p = c.principal, p.kind == .root else {
                // Recorded from IAM for calls without UserName by callers that are not IAM users (DeleteAccessKey).
                throw Self.validation("Must specify userName when calling with non-User credentials")
            }
            // The root identity has no user name or path in IAM; the model requires both, so they are empty and "/".
            return IAM.GetUserResponse(user: IAM.User(path: "/", userName: "", userId: c.account,
                                                      arn: "arn:\(c.partition.rawValue):iam::\(c.account):root", createDate: Self.date(0)))
        }
        let user = try await read(c) { t in try await self.userShape(t, try await self.user(t, name), c, detail: true) }
        return IAM.GetUserResponse(user: user)
    }

    func listUsers(_ input: IAM.ListUsersRequest, context c: RequestContext) async throws -> IAM.ListUsersResponse {
        let prefix = input.pathPrefix ?? "/"
        let all = try await read(c) { t in try await t.entities(.user).filter { $0.path.hasPrefix(prefix) } }
        let page = try Self.page(all, maxItems: input.maxItems, marker: input.marker)
        var users: [IAM.User] = []
        for u in page.items {
            users.append(IAM.User(path: u.path, userName: u.name, userId: u.id, arn: Self.arn(u, c), createDate: Self.date(u.createdAtMillis)))
        }
        return IAM.ListUsersResponse(users: users, isTruncated: page.isTruncated, marker: page.marker)
    }

    func updateUser(_ input: IAM.UpdateUserRequest, context c: RequestContext) async throws -> EmptyShape {
        try await write(c) { t in
            var u = try await self.user(t, input.userName)
            let oldName = u.name
            if let newName = input.newUserName {
                if let other = try await t.entity(.user, name: newName), other.id != u.id { throw Self.alreadyExists(.user, newName) }
                u.name = newName
            }
            if let newPath = input.newPath { u.path = newPath }
            try await t.update(u)
            if u.name != oldName { try await t.renameAccessKeys(from: oldName, to: u.name) }
        }
        return EmptyShape()
    }

    func deleteUser(_ input: IAM.DeleteUserRequest, context c: RequestContext) async throws -> EmptyShape {
        try await write(c) { t in
            let u = try await self.user(t, input.userName)
            // IAM refuses while anything still belongs to the user (texts recorded from IAM).
            let keys = try await t.accessKeyCount(userName: u.name)
            if keys > 0 { throw Self.conflict("Cannot delete entity, must delete access keys first.") }
            let groups = try await t.groups(userId: u.id)
            if !groups.isEmpty { throw Self.conflict("Cannot delete entity, must remove users from group first.") }
            try await Self.checkNoPolicies(t, u.id)
            try await t.delete(entityId: u.id)
        }
        return EmptyShape()
    }

    // MARK: users' tags

    func tagUser(_ input: IAM.TagUserRequest, context c: RequestContext) async throws -> EmptyShape {
        try await retag(.user, input.userName, c) { try Self.merge($0, input.tags, caseSensitive: false) }
    }

    func untagUser(_ input: IAM.UntagUserRequest, context c: RequestContext) async throws -> EmptyShape {
        try await retag(.user, input.userName, c) { Self.removing(input.tagKeys, from: $0, caseSensitive: false) }
    }

    func listUserTags(_ input: IAM.ListUserTagsRequest, context c: RequestContext) async throws -> IAM.ListUserTagsResponse {
        let page = try Self.page(try await tags(.user, input.userName, c), maxItems: input.maxItems, marker: input.marker)
        return IAM.ListUserTagsResponse(tags: Self.shapes(page.items), isTruncated: page.isTruncated, marker: page.marker)
    }

    // MARK: tags of users and roles

    /// Rewrites a user's or role's tags in one transaction.
    func retag(_ kind: IAMEntityKind, _ name: String, _ c: RequestContext,
               _ change: @escaping @Sendable ([IAMTag]) throws -> [IAMTag]) async throws -> EmptyShape {
        try await write(c) { t in
            guard var e = try await t.entity(kind, name: name) else { throw Self.noSuchEntity(kind, name) }
            var doc = try IAMJSON.decode(IAMEntityDoc.self, e.doc)
            doc.tags = try change(doc.tags ?? [])
            e.doc = IAMJSON.encode(doc)
            try await t.update(e)
        }
        return EmptyShape()
    }

    func tags(_ kind: IAMEntityKind, _ name: String, _ c: RequestContext) async throws -> [IAMTag] {
        try await read(c) { t in
            guard let e = try await t.entity(kind, name: name) else { throw Self.noSuchEntity(kind, name) }
            return try IAMJSON.decode(IAMEntityDoc.self, e.doc).tags ?? []
        }
    }

    // MARK: groups

    func createGroup(_ input: IAM.CreateGroupRequest, context c: RequestContext) async throws -> IAM.CreateGroupResponse {
        let created = nowMillis
        let group = try await write(c) { t -> IAMEntityRow in
            let row = IAMEntityRow(kind: .group, account: c.account, name: input.groupName, id: Self.newId("AGPA"),
                                   path: input.path ?? "/", createdAtMillis: created, boundaryId: nil, doc: "{}")
            // AWS's text for this case is not known.
            guard try await t.entityCount(.group) < 300 else { throw Self.limit("Cannot exceed quota for GroupsPerAccount: 300") }
            guard try await t.insert(row) else { throw Self.alreadyExists(.group, input.groupName) }
            return row
        }
        return IAM.CreateGroupResponse(group: Self.groupShape(group, c))
    }

    func getGroup(_ input: IAM.GetGroupRequest, context c: RequestContext) async throws -> IAM.GetGroupResponse {
        let (group, members) = try await read(c) { t -> (IAMEntityRow, [IAMEntityRow]) in
            let g = try await self.group(t, input.groupName)
            return (g, try await t.members(groupId: g.id))
        }
        let page = try Self.page(members, maxItems: input.maxItems, marker: input.marker)
        let users = page.items.map {
            IAM.User(path: $0.path, userName: $0.name, userId: $0.id, arn: Self.arn($0, c), createDate: Self.date($0.createdAtMillis))
        }
        return IAM.GetGroupResponse(group: Self.groupShape(group, c), users: users, isTruncated: page.isTruncated, marker: page.marker)
    }

    func listGroups(_ input: IAM.ListGroupsRequest, context c: RequestContext) async throws -> IAM.ListGroupsResponse {
        let prefix = input.pathPrefix ?? "/"
        let all = try await read(c) { t in try await t.entities(.group).filter { $0.path.hasPrefix(prefix) } }
        let page = try Self.page(all, maxItems: input.maxItems, marker: input.marker)
        return IAM.ListGroupsResponse(groups: page.items.map { Self.groupShape($0, c) }, isTruncated: page.isTruncated, marker: page.marker)
    }

    func deleteGroup(_ input: IAM.DeleteGroupRequest, context c: RequestContext) async throws -> EmptyShape {
        try await write(c) { t in
            let g = try await self.group(t, input.groupName)
            // Texts recorded from IAM.
            let members = try await t.members(groupId: g.id)
            if !members.isEmpty { throw Self.conflict("Cannot delete entity, must remove users from group first.") }
            try await Self.checkNoPolicies(t, g.id)
            try await t.delete(entityId: g.id)
        }
        return EmptyShape()
    }

    // MARK: membership

    func addUserToGroup(_ input: IAM.AddUserToGroupRequest, context c: RequestContext) async throws -> EmptyShape {
        try await write(c) { t in
            let u = try await self.user(t, input.userName)
            let g = try await self.group(t, input.groupName)
            let groups = try await t.groups(userId: u.id)
            if groups.contains(where: { $0.id == g.id }) { return }
            // IAM's quota text pattern ("Cannot exceed quota for NAME: N"), with the GroupsPerUser quota's name.
            guard groups.count < 10 else { throw Self.limit("Cannot exceed quota for GroupsPerUser: 10") }
            _ = try await t.addMember(groupId: g.id, userId: u.id)
        }
        return EmptyShape()
    }

    func removeUserFromGroup(_ input: IAM.RemoveUserFromGroupRequest, context c: RequestContext) async throws -> EmptyShape {
        // Recorded: an unknown user is reported before an unknown group; a user not in the group is no error.
        try await write(c) { t in
            let u = try await self.user(t, input.userName)
            let g = try await self.group(t, input.groupName)
            try await t.removeMember(groupId: g.id, userId: u.id)
        }
        return EmptyShape()
    }

    func listGroupsForUser(_ input: IAM.ListGroupsForUserRequest, context c: RequestContext) async throws -> IAM.ListGroupsForUserResponse {
        let groups = try await read(c) { t in try await t.groups(userId: try await self.user(t, input.userName).id) }
        let page = try Self.page(groups, maxItems: input.maxItems, marker: input.marker)
        return IAM.ListGroupsForUserResponse(groups: page.items.map { Self.groupShape($0, c) }, isTruncated: page.isTruncated,
                                             marker: page.marker)
    }
}

extension Optional {
    /// `map` with an asynchronous, throwing transform.
    func asyncMap<U>(_ transform: (Wrapped) async throws -> U) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
