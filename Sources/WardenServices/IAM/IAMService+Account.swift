// Account-wide views: GetAccountAuthorizationDetails and GetAccountSummary.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension IAMService {
    /// One item of the authorization details, in the order they page: users, groups, roles, then policies.
    enum DetailItem: Sendable {
        case user(IAM.UserDetail)
        case group(IAM.GroupDetail)
        case role(IAM.RoleDetail)
        case policy(IAM.ManagedPolicyDetail)
    }

    func attachedShapes(_ t: IAMTx, _ entityId: String, _ c: RequestContext) async throws -> [IAM.AttachedPolicy] {
        var out: [IAM.AttachedPolicy] = []
        for id in try await t.attachedPolicyIds(entityId: entityId) {
            if let ref = try await managedPolicy(t, id: id) { out.append(IAM.AttachedPolicy(policyName: ref.name, policyArn: ref.arn(c))) }
        }
        return out
    }

    func inlineShapes(_ t: IAMTx, _ entityId: String) async throws -> [IAM.PolicyDetail] {
        try await t.inlinePolicies(entityId: entityId).map { IAM.PolicyDetail(policyName: $0.name, policyDocument: Self.encodedDocument($0.document)) }
    }

    /// Every user, group, role and managed policy in use, with their policies (recorded shapes: a user's
    /// UserPolicyList only when it has inline policies; the other lists always).
    func getAccountAuthorizationDetails(_ input: IAM.GetAccountAuthorizationDetailsRequest,
                                        context c: RequestContext) async throws -> IAM.GetAccountAuthorizationDetailsResponse {
        let filter = Set((input.filter ?? []).map { $0.rawValue })
        let wants: @Sendable (IAM.EntityType) -> Bool = { filter.isEmpty || filter.contains($0.rawValue) }
        let items = try await read(c) { t -> [DetailItem] in
            var out: [DetailItem] = []
            if wants(.user) {
                for u in try await t.entities(.user) {
                    let doc = try IAMJSON.decode(IAMEntityDoc.self, u.doc)
                    let inline = try await self.inlineShapes(t, u.id)
                    let groups = try await t.groups(userId: u.id).map { $0.name }
                    let attached = try await self.attachedShapes(t, u.id, c)
                    let boundary = try await self.boundaryShape(t, u.boundaryId, c)
                    out.append(.user(IAM.UserDetail(
                        path: u.path, userName: u.name, userId: u.id, arn: Self.arn(u, c), createDate: Self.date(u.createdAtMillis),
                        userPolicyList: inline.isEmpty ? nil : inline, groupList: groups, attachedManagedPolicies: attached,
                        permissionsBoundary: boundary, tags: Self.shapes(doc.tags ?? []))))
                }
            }
            if wants(.group) {
                for g in try await t.entities(.group) {
                    let inline = try await self.inlineShapes(t, g.id)
                    let attached = try await self.attachedShapes(t, g.id, c)
                    out.append(.group(IAM.GroupDetail(
                        path: g.path, groupName: g.name, groupId: g.id, arn: Self.arn(g, c), createDate: Self.date(g.createdAtMillis),
                        groupPolicyList: inline, attachedManagedPolicies: attached)))
                }
            }
            if wants(.role) {
                for r in try await t.entities(.role) {
                    let doc = try IAMJSON.decode(IAMEntityDoc.self, r.doc)
                    let inline = try await self.inlineShapes(t, r.id)
                    let attached = try await self.attachedShapes(t, r.id, c)
                    let boundary = try await self.boundaryShape(t, r.boundaryId, c)
                    out.append(.role(IAM.RoleDetail(
                        path: r.path, roleName: r.name, roleId: r.id, arn: Self.arn(r, c), createDate: Self.date(r.createdAtMillis),
                        assumeRolePolicyDocument: Self.encodedDocument(doc.trustPolicy ?? "{}"), instanceProfileList: [],
                        rolePolicyList: inline, attachedManagedPolicies: attached, permissionsBoundary: boundary,
                        tags: Self.shapes(doc.tags ?? []), roleLastUsed: Self.roleLastUsed(doc))))
                }
            }
            let policies = try await self.policyDetails(t, c, local: wants(.localManagedPolicy), aws: wants(.aWSManagedPolicy))
            out += policies.map { DetailItem.policy($0) }
            return out
        }
        let page = try Self.page(items, maxItems: input.maxItems, marker: input.marker)
        var users: [IAM.UserDetail] = []
        var groups: [IAM.GroupDetail] = []
        var roles: [IAM.RoleDetail] = []
        var policies: [IAM.ManagedPolicyDetail] = []
        for item in page.items {
            switch item {
            case .user(let u): users.append(u)
            case .group(let g): groups.append(g)
            case .role(let r): roles.append(r)
            case .policy(let p): policies.append(p)
            }
        }
        return IAM.GetAccountAuthorizationDetailsResponse(userDetailList: users, groupDetailList: groups, roleDetailList: roles,
                                                          policies: policies, isTruncated: page.isTruncated, marker: page.marker)
    }

    /// The account's customer managed policies with all their versions, and the AWS managed policies it uses (recorded:
    /// only those attached), with the default version Warden keeps.
    func policyDetails(_ t: IAMTx, _ c: RequestContext, local: Bool, aws: Bool) async throws -> [IAM.ManagedPolicyDetail] {
        guard local || aws else { return [] }
        let attachments = try await t.attachmentCounts()
        let boundaries = try await t.boundaryCounts()
        var out: [IAM.ManagedPolicyDetail] = []
        if local {
            for p in try await t.policies() {
                let doc = try IAMJSON.decode(IAMPolicyDoc.self, p.doc)
                let versions = try await t.versions(policyId: p.id).map {
                    IAM.PolicyVersion(document: Self.encodedDocument($0.document), versionId: "v\($0.version)",
                                      isDefaultVersion: $0.version == p.defaultVersion, createDate: Self.date($0.createdAtMillis))
                }
                let ref = ManagedRef.customer(p)
                out.append(IAM.ManagedPolicyDetail(
                    policyName: p.name, policyId: p.id, arn: ref.arn(c), path: p.path, defaultVersionId: "v\(p.defaultVersion)",
                    attachmentCount: attachments[p.id] ?? 0, permissionsBoundaryUsageCount: boundaries[p.id] ?? 0, isAttachable: true,
                    description: doc.description, createDate: Self.date(p.createdAtMillis), updateDate: Self.date(p.updatedAtMillis),
                    policyVersionList: versions))
            }
        }
        if aws {
            for e in AWSManagedPolicies.all where (attachments[e.policyId] ?? 0) + (boundaries[e.policyId] ?? 0) > 0 {
                let version = IAM.PolicyVersion(document: Self.encodedDocument(e.document), versionId: e.versionId, isDefaultVersion: true,
                                                createDate: Timestamps.parseISO8601(e.updateDate))
                out.append(IAM.ManagedPolicyDetail(
                    policyName: e.name, policyId: e.policyId, arn: AWSManagedPolicies.arn(e, partition: c.partition.rawValue), path: e.path,
                    defaultVersionId: e.versionId, attachmentCount: attachments[e.policyId] ?? 0,
                    permissionsBoundaryUsageCount: boundaries[e.policyId] ?? 0, isAttachable: true, description: e.description,
                    createDate: Timestamps.parseISO8601(e.createDate), updateDate: Timestamps.parseISO8601(e.updateDate),
                    policyVersionList: [version]))
            }
        }
        return out
    }

    /// Counts of the account's IAM entities and IAM's default quotas (the quota values recorded from IAM).
    func getAccountSummary(_ input: EmptyShape, context c: RequestContext) async throws -> IAM.GetAccountSummaryResponse {
        let counts = try await read(c) { t -> [String: Int] in
            let users = try await t.entityCount(.user)
            let groups = try await t.entityCount(.group)
            let roles = try await t.entityCount(.role)
            let policies = try await t.policyCount()
            let attachments = try await t.attachmentCounts().values.reduce(0, +)
            let providers = try await t.oidcProviders().count
            let rootKeys = try await t.rootAccessKeyCount()
            return ["Users": users, "Groups": groups, "Roles": roles, "Policies": policies, "PolicyVersionsInUse": attachments,
                    "Providers": providers, "AccountAccessKeysPresent": rootKeys > 0 ? 1 : 0]
        }
        var map: [String: Int] = [
            "AccessKeysPerUserQuota": 2, "AccountMFAEnabled": 0, "AccountPasswordPresent": 0, "AccountSigningCertificatesPresent": 0,
            "AssumeRolePolicySizeQuota": 2048, "AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10,
            "AttachedPoliciesPerUserQuota": 10, "GlobalEndpointTokenVersion": 1, "GroupPolicySizeQuota": 5120, "GroupsPerUserQuota": 10,
            "GroupsQuota": 300, "InstanceProfiles": 0, "InstanceProfilesQuota": 1000, "MFADevices": 0, "MFADevicesInUse": 0,
            "PoliciesQuota": 1500, "PolicySizeQuota": 6144, "PolicyVersionsInUseQuota": 10000, "RolePolicySizeQuota": 10240,
            "RolesQuota": 1000, "ServerCertificates": 0, "ServerCertificatesQuota": 20, "SigningCertificatesPerUserQuota": 2,
            "UserPolicySizeQuota": 2048, "UsersQuota": 5000, "VersionsPerPolicyQuota": 5,
        ]
        map.merge(counts) { _, new in new }
        return IAM.GetAccountSummaryResponse(summaryMap: map)
    }
}
