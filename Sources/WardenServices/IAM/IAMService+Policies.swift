// Customer managed policies and their versions, AWS managed policies as the account sees them, and policy tags.
import Foundation
import WardenAPI
import WardenCore
import WardenPolicy
import WardenStorage

extension IAMService {
    /// Which members a policy answer carries (recorded): CreatePolicy leaves out the description, GetPolicy always
    /// has Tags (an empty list too), ListPolicies has neither description nor tags.
    enum PolicyView { case created, full, listed }

    static func policyShape(_ ref: ManagedRef, _ c: RequestContext, attachments: Int, boundaries: Int, _ view: PolicyView) throws -> IAM.Policy {
        var policy = IAM.Policy(policyName: ref.name, policyId: ref.id, arn: ref.arn(c), path: ref.path, attachmentCount: attachments,
                                permissionsBoundaryUsageCount: boundaries, isAttachable: true)
        switch ref {
        case .customer(let p):
            let doc = try IAMJSON.decode(IAMPolicyDoc.self, p.doc)
            policy.defaultVersionId = "v\(p.defaultVersion)"
            policy.createDate = date(p.createdAtMillis)
            policy.updateDate = date(p.updatedAtMillis)
            switch view {
            case .created: policy.tags = optionalShapes(doc.tags)
            case .full:
                policy.description = doc.description
                policy.tags = shapes(doc.tags ?? [])
            case .listed: break
            }
        case .aws(let e):
            policy.defaultVersionId = e.versionId
            policy.createDate = Timestamps.parseISO8601(e.createDate)
            policy.updateDate = Timestamps.parseISO8601(e.updateDate)
            if view == .full {
                policy.description = e.description
                policy.tags = []
            }
        }
        return policy
    }

    /// The caller's own customer managed policy an ARN names, for calls that change it. AWS managed policies cannot be
    /// changed; they get the same answer as a policy that does not exist.
    func ownPolicy(_ t: IAMTx, _ arn: String, _ c: RequestContext, missing: (String) -> AWSError) async throws -> IAMPolicyRow {
        guard case .customer(let row)? = try await managedPolicy(t, arn, c) else { throw missing(arn) }
        return row
    }

    /// "Policy ARN version vN does not exist or is not attachable." (recorded from IAM, for a missing policy too).
    static func noSuchVersion(_ arn: String, _ versionId: String) -> AWSError {
        IAM.Errors.noSuchEntityException("Policy \(arn) version \(versionId) does not exist or is not attachable.")
    }

    /// `v3` → 3 (the model's pattern also allows `v3.suffix`, which names no version IAM creates).
    static func versionNumber(_ versionId: String) -> Int? {
        guard versionId.hasPrefix("v") else { return nil }
        return Int(versionId.dropFirst())
    }

    /// A managed policy's size quota (text recorded from IAM) and grammar.
    static func checkManagedPolicy(_ document: String, id: String) throws {
        try checkSize([document], .managedPolicy)
        try validatePolicy(document, kind: .identity, id: id, managed: true)
    }

    // MARK: policies

    func createPolicy(_ input: IAM.CreatePolicyRequest, context c: RequestContext) async throws -> IAM.CreatePolicyResponse {
        let path = input.path ?? "/"
        try Self.checkManagedPolicy(input.policyDocument, id: Self.arn(c, account: c.account, type: "policy", path: path, name: input.policyName))
        let tags = try Self.merge([], input.tags ?? [], caseSensitive: true)
        let doc = IAMPolicyDoc(description: input.description, tags: tags.isEmpty ? nil : tags)
        let created = nowMillis
        let row = IAMPolicyRow(account: c.account, name: input.policyName, id: Self.newId("ANPA"), path: path, createdAtMillis: created,
                               updatedAtMillis: created, defaultVersion: 1, nextVersion: 2, doc: IAMJSON.encode(doc))
        try await write(c) { t in
            // AWS's text for this case is not known.
            guard try await t.policyCount() < 1500 else { throw Self.limit("Cannot exceed quota for PoliciesPerAccount: 1500") }
            guard try await t.insert(row, document: input.policyDocument) else {
                // Recorded from IAM.
                throw IAM.Errors.entityAlreadyExistsException("A policy called \(input.policyName) already exists. Duplicate names are not allowed.")
            }
        }
        return IAM.CreatePolicyResponse(policy: try Self.policyShape(.customer(row), c, attachments: 0, boundaries: 0, .created))
    }

    func getPolicy(_ input: IAM.GetPolicyRequest, context c: RequestContext) async throws -> IAM.GetPolicyResponse {
        try Self.checkPolicyARN(input.policyArn)
        let (ref, attachments, boundaries) = try await read(c) { t -> (ManagedRef, Int, Int) in
            guard let found = try await self.managedPolicy(t, input.policyArn, c) else { throw Self.policyNotFound(input.policyArn) }
            return (found, try await t.attachmentCounts()[found.id] ?? 0, try await t.boundaryCounts()[found.id] ?? 0)
        }
        return IAM.GetPolicyResponse(policy: try Self.policyShape(ref, c, attachments: attachments, boundaries: boundaries, .full))
    }

    func listPolicies(_ input: IAM.ListPoliciesRequest, context c: RequestContext) async throws -> IAM.ListPoliciesResponse {
        let scope = input.scope ?? .all
        let (local, attachments, boundaries) = try await read(c) { t -> ([IAMPolicyRow], [String: Int], [String: Int]) in
            var rows: [IAMPolicyRow] = []
            if scope != .aws { rows = try await t.policies() }
            return (rows, try await t.attachmentCounts(), try await t.boundaryCounts())
        }
        var refs: [ManagedRef] = local.map { ManagedRef.customer($0) }
        if scope != .local { refs += AWSManagedPolicies.all.map { ManagedRef.aws($0) } }
        let prefix = input.pathPrefix ?? "/"
        refs = refs.filter { ref in
            guard ref.path.hasPrefix(prefix) else { return false }
            if input.onlyAttached == true, (attachments[ref.id] ?? 0) == 0 { return false }
            if input.policyUsageFilter == .permissionsBoundary, (boundaries[ref.id] ?? 0) == 0 { return false }
            return true
        }
        refs.sort { $0.name.lowercased() == $1.name.lowercased() ? $0.name < $1.name : $0.name.lowercased() < $1.name.lowercased() }
        let page = try Self.page(refs, maxItems: input.maxItems, marker: input.marker)
        let policies = try page.items.map {
            try Self.policyShape($0, c, attachments: attachments[$0.id] ?? 0, boundaries: boundaries[$0.id] ?? 0, .listed)
        }
        return IAM.ListPoliciesResponse(policies: policies, isTruncated: page.isTruncated, marker: page.marker)
    }

    func deletePolicy(_ input: IAM.DeletePolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try Self.checkPolicyARN(input.policyArn)
        try await write(c) { t in
            // AWS managed policies: AWS's text for deleting one is not known; it is answered as a missing policy.
            let row = try await self.ownPolicy(t, input.policyArn, c, missing: Self.policyNotFound)
            let attached = try await t.attachmentCounts()[row.id] ?? 0
            let bounding = try await t.boundaryCounts()[row.id] ?? 0
            // Recorded from IAM (a policy in use as a permissions boundary is refused the same way here).
            guard attached == 0, bounding == 0 else { throw Self.conflict("Cannot delete a policy attached to entities.") }
            let versions = try await t.versions(policyId: row.id)
            guard versions.count <= 1 else {
                // Recorded from IAM.
                throw Self.conflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. "
                    + "The default version is deleted with the policy.")
            }
            try await t.delete(policyId: row.id)
        }
        return EmptyShape()
    }

    // MARK: versions

    func createPolicyVersion(_ input: IAM.CreatePolicyVersionRequest, context c: RequestContext) async throws -> IAM.CreatePolicyVersionResponse {
        try Self.checkPolicyARN(input.policyArn)
        try Self.checkManagedPolicy(input.policyDocument, id: input.policyArn)
        let created = nowMillis
        let version = try await write(c) { t -> IAM.PolicyVersion in
            // AWS's text for a missing policy here is not known; GetPolicy's is used.
            var row = try await self.ownPolicy(t, input.policyArn, c, missing: Self.policyNotFound)
            let versions = try await t.versions(policyId: row.id)
            guard versions.count < 5 else {
                // Recorded from IAM.
                throw Self.limit("A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
            }
            let number = row.nextVersion
            try await t.insertVersion(policyId: row.id, IAMPolicyVersionRow(version: number, document: input.policyDocument, createdAtMillis: created))
            row.nextVersion = number + 1
            row.updatedAtMillis = created
            if input.setAsDefault == true { row.defaultVersion = number }
            try await t.update(row)
            return IAM.PolicyVersion(versionId: "v\(number)", isDefaultVersion: row.defaultVersion == number, createDate: Self.date(created))
        }
        return IAM.CreatePolicyVersionResponse(policyVersion: version)
    }

    func getPolicyVersion(_ input: IAM.GetPolicyVersionRequest, context c: RequestContext) async throws -> IAM.GetPolicyVersionResponse {
        try Self.checkPolicyARN(input.policyArn)
        let missing = Self.noSuchVersion(input.policyArn, input.versionId)
        let version = try await read(c) { t -> IAM.PolicyVersion in
            guard let number = Self.versionNumber(input.versionId), let ref = try await self.managedPolicy(t, input.policyArn, c) else {
                throw missing
            }
            switch ref {
            case .aws(let e):
                // Warden keeps an AWS managed policy's default version only.
                guard e.versionId == input.versionId else { throw missing }
                return IAM.PolicyVersion(document: Self.encodedDocument(e.document), versionId: e.versionId, isDefaultVersion: true,
                                         createDate: Timestamps.parseISO8601(e.updateDate))
            case .customer(let p):
                guard let v = try await t.version(policyId: p.id, version: number) else { throw missing }
                return IAM.PolicyVersion(document: Self.encodedDocument(v.document), versionId: "v\(v.version)",
                                         isDefaultVersion: v.version == p.defaultVersion, createDate: Self.date(v.createdAtMillis))
            }
        }
        return IAM.GetPolicyVersionResponse(policyVersion: version)
    }

    func listPolicyVersions(_ input: IAM.ListPolicyVersionsRequest, context c: RequestContext) async throws -> IAM.ListPolicyVersionsResponse {
        try Self.checkPolicyARN(input.policyArn)
        let versions = try await read(c) { t -> [IAM.PolicyVersion] in
            // AWS's text for a missing policy here is not known; GetPolicy's is used.
            guard let ref = try await self.managedPolicy(t, input.policyArn, c) else { throw Self.policyNotFound(input.policyArn) }
            switch ref {
            case .aws(let e):
                return [IAM.PolicyVersion(versionId: e.versionId, isDefaultVersion: true, createDate: Timestamps.parseISO8601(e.updateDate))]
            case .customer(let p):
                return try await t.versions(policyId: p.id).map {
                    IAM.PolicyVersion(versionId: "v\($0.version)", isDefaultVersion: $0.version == p.defaultVersion,
                                      createDate: Self.date($0.createdAtMillis))
                }
            }
        }
        let page = try Self.page(versions, maxItems: input.maxItems, marker: input.marker)
        return IAM.ListPolicyVersionsResponse(versions: page.items, isTruncated: page.isTruncated, marker: page.marker)
    }

    func deletePolicyVersion(_ input: IAM.DeletePolicyVersionRequest, context c: RequestContext) async throws -> EmptyShape {
        try Self.checkPolicyARN(input.policyArn)
        let missing = Self.noSuchVersion(input.policyArn, input.versionId)
        try await write(c) { t in
            var row = try await self.ownPolicy(t, input.policyArn, c, missing: { _ in missing })
            guard let number = Self.versionNumber(input.versionId), try await t.version(policyId: row.id, version: number) != nil else {
                throw missing
            }
            // Recorded from IAM.
            guard number != row.defaultVersion else { throw Self.conflict("Cannot delete the default version of a policy.") }
            try await t.deleteVersion(policyId: row.id, version: number)
            // UpdateDate is when the newest remaining version was created.
            row.updatedAtMillis = try await t.versions(policyId: row.id).map(\.createdAtMillis).max() ?? row.createdAtMillis
            try await t.update(row)
        }
        return EmptyShape()
    }

    func setDefaultPolicyVersion(_ input: IAM.SetDefaultPolicyVersionRequest, context c: RequestContext) async throws -> EmptyShape {
        try Self.checkPolicyARN(input.policyArn)
        let missing = Self.noSuchVersion(input.policyArn, input.versionId)
        try await write(c) { t in
            var row = try await self.ownPolicy(t, input.policyArn, c, missing: { _ in missing })
            guard let number = Self.versionNumber(input.versionId), try await t.version(policyId: row.id, version: number) != nil else {
                throw missing
            }
            row.defaultVersion = number
            try await t.update(row)
        }
        return EmptyShape()
    }

    // MARK: tags

    /// Policy tags list shortest key first, then by bytes (recorded: `a, b, z, abc` and `A, a`).
    static func listOrder(_ tags: [IAMTag]) -> [IAMTag] {
        tags.sorted { a, b in
            let (x, y) = (Array(a.key.utf8), Array(b.key.utf8))
            return x.count != y.count ? x.count < y.count : x.lexicographicallyPrecedes(y)
        }
    }

    func tagPolicy(_ input: IAM.TagPolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try Self.checkPolicyARN(input.policyArn)
        try await write(c) { t in
            var row = try await self.ownPolicy(t, input.policyArn, c, missing: Self.policyNotFound)
            var doc = try IAMJSON.decode(IAMPolicyDoc.self, row.doc)
            doc.tags = try Self.merge(doc.tags ?? [], input.tags, caseSensitive: true)
            row.doc = IAMJSON.encode(doc)
            try await t.update(row)
        }
        return EmptyShape()
    }

    func untagPolicy(_ input: IAM.UntagPolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        try Self.checkPolicyARN(input.policyArn)
        try await write(c) { t in
            var row = try await self.ownPolicy(t, input.policyArn, c, missing: Self.policyNotFound)
            var doc = try IAMJSON.decode(IAMPolicyDoc.self, row.doc)
            doc.tags = Self.removing(input.tagKeys, from: doc.tags ?? [], caseSensitive: true)
            row.doc = IAMJSON.encode(doc)
            try await t.update(row)
        }
        return EmptyShape()
    }

    func listPolicyTags(_ input: IAM.ListPolicyTagsRequest, context c: RequestContext) async throws -> IAM.ListPolicyTagsResponse {
        try Self.checkPolicyARN(input.policyArn)
        let tags = try await read(c) { t -> [IAMTag] in
            guard let ref = try await self.managedPolicy(t, input.policyArn, c) else { throw Self.policyNotFound(input.policyArn) }
            guard case .customer(let p) = ref else { return [] }
            return try IAMJSON.decode(IAMPolicyDoc.self, p.doc).tags ?? []
        }
        let page = try Self.page(Self.listOrder(tags), maxItems: input.maxItems, marker: input.marker)
        return IAM.ListPolicyTagsResponse(tags: Self.shapes(page.items), isTruncated: page.isTruncated, marker: page.marker)
    }
}
