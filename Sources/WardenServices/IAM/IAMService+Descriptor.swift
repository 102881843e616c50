// The IAM operations Warden serves (Query protocol): IAM action, read-only-ness, and what each names.
import WardenAPI
import WardenCore

extension IAMService {
    /// What an operation acts on: audit records name it, the authorizer authorizes against its ARN.
    enum Subject: Sendable {
        /// A user named by UserName, or the caller's own user when it is omitted (GetUser, access keys).
        case user
        case group
        case role
        /// A policy named by PolicyArn; `newPolicy`: CreatePolicy's PolicyName and Path.
        case policy, newPolicy
        /// A provider named by OpenIDConnectProviderArn; `newProvider`: CreateOpenIDConnectProvider's Url.
        case provider, newProvider
        /// Lists and account-wide calls: no resource (`*`).
        case none
    }

    static let policyOperations: Set<String> = [
        "GetPolicy", "DeletePolicy", "CreatePolicyVersion", "GetPolicyVersion", "ListPolicyVersions", "DeletePolicyVersion",
        "SetDefaultPolicyVersion", "TagPolicy", "UntagPolicy", "ListPolicyTags", "ListEntitiesForPolicy",
    ]

    static func subject(_ operation: String) -> Subject {
        if operation == "CreatePolicy" { return .newPolicy }
        if policyOperations.contains(operation) { return .policy }
        if operation == "CreateOpenIDConnectProvider" { return .newProvider }
        if operation == "ListOpenIDConnectProviders" { return .none }
        if operation.contains("OpenIDConnectProvider") { return .provider }
        if ["ListUsers", "ListGroups", "ListRoles", "ListPolicies", "GetAccessKeyLastUsed"].contains(operation) { return .none }
        if operation == "ListGroupsForUser" || operation.contains("AccessKey") { return .user }
        if operation.contains("Group") { return .group }
        if operation.contains("Role") { return .role }
        if operation.contains("User") { return .user }
        return .none
    }

    /// The resource an audit record names: users, groups and roles by name (CloudTrail's ResourceName for IAM),
    /// policies and providers by ARN.
    static func auditResources(_ subject: Subject) -> @Sendable (AWSValue, RequestContext) -> [AuditResource] {
        { input, c in
            let fields = input.mapValue ?? [:]
            func named(_ member: String, _ type: String) -> [AuditResource] {
                guard let name = fields[member]?.stringValue else { return [] }
                return [AuditResource(type: type, arn: name, account: c.account)]
            }
            switch subject {
            case .user: return named("UserName", "AWS::IAM::User")
            case .group: return named("GroupName", "AWS::IAM::Group")
            case .role: return named("RoleName", "AWS::IAM::Role")
            case .policy: return named("PolicyArn", "AWS::IAM::Policy")
            case .newPolicy:
                guard let name = fields["PolicyName"]?.stringValue else { return [] }
                let path = fields["Path"]?.stringValue ?? "/"
                return [AuditResource(type: "AWS::IAM::Policy", arn: IAMService.arn(c, account: c.account, type: "policy", path: path, name: name),
                                      account: c.account)]
            case .provider: return named("OpenIDConnectProviderArn", "AWS::IAM::OIDCProvider")
            case .newProvider:
                guard let url = fields["Url"]?.stringValue, let key = try? IAMService.oidcKey(url) else { return [] }
                return [AuditResource(type: "AWS::IAM::OIDCProvider", arn: IAMService.oidcArn(c, key), account: c.account)]
            case .none: return []
            }
        }
    }

    static func traits(_ operation: String, readOnly: Bool) -> OperationTraits {
        // A new access key's secret never reaches the audit record; policy documents do, as in CloudTrail.
        OperationTraits(iamAction: "iam:\(operation)", readOnly: readOnly, redactedResponseMembers: ["SecretAccessKey"],
                        resources: auditResources(subject(operation)))
    }

    public var descriptor: ServiceDescriptor {
        typealias O = IAM.Operations
        func op<Spec: OperationSpec>(_ spec: Spec.Type, _ body: @escaping @Sendable (Spec.Input, RequestContext) async throws -> Spec.Output)
            -> AnyOperation {
            let readOnly = spec.name.hasPrefix("Get") || spec.name.hasPrefix("List")
            return AnyOperation(spec, traits: Self.traits(spec.name, readOnly: readOnly), body)
        }
        var d = ServiceDescriptor(
            model: IAM.model, eventSource: "iam.amazonaws.com",
            validationError: (code: "ValidationError", queryCode: nil, status: 400),
            operations: [
                // Users, groups, membership
                op(O.CreateUser.self, createUser), op(O.GetUser.self, getUser), op(O.ListUsers.self, listUsers),
                op(O.UpdateUser.self, updateUser), op(O.DeleteUser.self, deleteUser),
                op(O.TagUser.self, tagUser), op(O.UntagUser.self, untagUser), op(O.ListUserTags.self, listUserTags),
                op(O.CreateGroup.self, createGroup), op(O.GetGroup.self, getGroup), op(O.ListGroups.self, listGroups),
                op(O.DeleteGroup.self, deleteGroup), op(O.AddUserToGroup.self, addUserToGroup),
                op(O.RemoveUserFromGroup.self, removeUserFromGroup), op(O.ListGroupsForUser.self, listGroupsForUser),
                // Roles
                op(O.CreateRole.self, createRole), op(O.GetRole.self, getRole), op(O.ListRoles.self, listRoles),
                op(O.UpdateRole.self, updateRole), op(O.UpdateAssumeRolePolicy.self, updateAssumeRolePolicy),
                op(O.DeleteRole.self, deleteRole), op(O.TagRole.self, tagRole), op(O.UntagRole.self, untagRole),
                op(O.ListRoleTags.self, listRoleTags),
                // Managed policies and versions
                op(O.CreatePolicy.self, createPolicy), op(O.GetPolicy.self, getPolicy), op(O.ListPolicies.self, listPolicies),
                op(O.DeletePolicy.self, deletePolicy), op(O.CreatePolicyVersion.self, createPolicyVersion),
                op(O.GetPolicyVersion.self, getPolicyVersion), op(O.ListPolicyVersions.self, listPolicyVersions),
                op(O.DeletePolicyVersion.self, deletePolicyVersion), op(O.SetDefaultPolicyVersion.self, setDefaultPolicyVersion),
                op(O.TagPolicy.self, tagPolicy), op(O.UntagPolicy.self, untagPolicy), op(O.ListPolicyTags.self, listPolicyTags),
                // Inline policies
                op(O.PutUserPolicy.self, putUserPolicy), op(O.GetUserPolicy.self, getUserPolicy),
                op(O.ListUserPolicies.self, listUserPolicies), op(O.DeleteUserPolicy.self, deleteUserPolicy),
                op(O.PutGroupPolicy.self, putGroupPolicy), op(O.GetGroupPolicy.self, getGroupPolicy),
                op(O.ListGroupPolicies.self, listGroupPolicies), op(O.DeleteGroupPolicy.self, deleteGroupPolicy),
                op(O.PutRolePolicy.self, putRolePolicy), op(O.GetRolePolicy.self, getRolePolicy),
                op(O.ListRolePolicies.self, listRolePolicies), op(O.DeleteRolePolicy.self, deleteRolePolicy),
                // Attached policies and permissions boundaries
                op(O.AttachUserPolicy.self, attachUserPolicy), op(O.DetachUserPolicy.self, detachUserPolicy),
                op(O.ListAttachedUserPolicies.self, listAttachedUserPolicies),
                op(O.AttachGroupPolicy.self, attachGroupPolicy), op(O.DetachGroupPolicy.self, detachGroupPolicy),
                op(O.ListAttachedGroupPolicies.self, listAttachedGroupPolicies),
                op(O.AttachRolePolicy.self, attachRolePolicy), op(O.DetachRolePolicy.self, detachRolePolicy),
                op(O.ListAttachedRolePolicies.self, listAttachedRolePolicies),
                op(O.ListEntitiesForPolicy.self, listEntitiesForPolicy),
                op(O.PutUserPermissionsBoundary.self, putUserPermissionsBoundary),
                op(O.DeleteUserPermissionsBoundary.self, deleteUserPermissionsBoundary),
                op(O.PutRolePermissionsBoundary.self, putRolePermissionsBoundary),
                op(O.DeleteRolePermissionsBoundary.self, deleteRolePermissionsBoundary),
                // Access keys
                op(O.CreateAccessKey.self, createAccessKey), op(O.ListAccessKeys.self, listAccessKeys),
                op(O.UpdateAccessKey.self, updateAccessKey), op(O.DeleteAccessKey.self, deleteAccessKey),
                op(O.GetAccessKeyLastUsed.self, getAccessKeyLastUsed),
                // Account
                op(O.GetAccountAuthorizationDetails.self, getAccountAuthorizationDetails),
                op(O.GetAccountSummary.self, getAccountSummary),
                // OpenID Connect providers
                op(O.CreateOpenIDConnectProvider.self, createOpenIDConnectProvider),
                op(O.GetOpenIDConnectProvider.self, getOpenIDConnectProvider),
                op(O.ListOpenIDConnectProviders.self, listOpenIDConnectProviders),
                op(O.DeleteOpenIDConnectProvider.self, deleteOpenIDConnectProvider),
                op(O.AddClientIDToOpenIDConnectProvider.self, addClientIDToOpenIDConnectProvider),
                op(O.RemoveClientIDFromOpenIDConnectProvider.self, removeClientIDFromOpenIDConnectProvider),
                op(O.UpdateOpenIDConnectProviderThumbprint.self, updateOpenIDConnectProviderThumbprint),
                // The policy simulator (IAMService+Simulate.swift)
                AnyOperation(O.SimulatePrincipalPolicy.self, traits: Self.traits("SimulatePrincipalPolicy", readOnly: true),
                             simulatePrincipalPolicy),
                AnyOperation(O.SimulateCustomPolicy.self, traits: Self.traits("SimulateCustomPolicy", readOnly: true), simulateCustomPolicy),
                op(O.GetContextKeysForPrincipalPolicy.self, getContextKeysForPrincipalPolicy),
                op(O.GetContextKeysForCustomPolicy.self, getContextKeysForCustomPolicy),
            ])
        d.authority = IAMAuthority(iam: self)
        d.wholeSecondTimestamps = true
        return d
    }
}
