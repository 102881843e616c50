// Key policies (GetKeyPolicy, PutKeyPolicy, ListKeyPolicies) and tags (TagResource, UntagResource, ListResourceTags).
import WardenAPI
import WardenCore

extension KMSService {
    func getKeyPolicy(_ input: KMS.GetKeyPolicyRequest, context c: RequestContext) async throws -> KMS.GetKeyPolicyResponse {
        let key = try await resolve(input.keyId, c, aliases: false)
        let name = input.policyName ?? "default"
        guard name == "default" else { throw KMS.Errors.notFoundException("No such policy exists") }
        return KMS.GetKeyPolicyResponse(policy: key.record.policy, policyName: "default")
    }

    func putKeyPolicy(_ input: KMS.PutKeyPolicyRequest, context c: RequestContext) async throws -> EmptyShape {
        let name = input.policyName ?? "default"
        guard name == "default" else { throw KMS.Errors.notFoundException("No such policy exists") }
        try Self.checkPolicy(input.policy, bypass: input.bypassPolicyLockoutSafetyCheck, c)
        try await updateRecord(input.keyId, c, action: "PutKeyPolicy", whilePendingDeletion: true) { $0.policy = input.policy }
        return EmptyShape()
    }

    /// A policy a caller sets (CreateKey, PutKeyPolicy, ReplicateKey): valid, and — unless the caller bypasses the
    /// check — not locking the caller out of changing it again.
    static func checkPolicy(_ policy: String, bypass: Bool?, _ c: RequestContext) throws(AWSError) {
        let statements = try KeyPolicy.validate(policy)
        if bypass != true,
           !KeyPolicy.allowsPolicyChange(statements, caller: c.principal, account: c.account, partition: c.partition.rawValue) {
            throw KMS.Errors.malformedPolicyDocumentException(
                "The new key policy will not allow you to update the key policy in the future.")
        }
    }

    func listKeyPolicies(_ input: KMS.ListKeyPoliciesRequest, context c: RequestContext) async throws -> KMS.ListKeyPoliciesResponse {
        _ = try await resolve(input.keyId, c, aliases: false)
        return KMS.ListKeyPoliciesResponse(policyNames: ["default"], nextMarker: nil, truncated: false)
    }

    // MARK: Tags

    static let maxTags = 50

    /// Merges `new` into `existing` (a new value replaces the old one, in place; new keys are appended), enforcing
    /// KMS's tag rules. All three texts are recorded from AWS (TagException, no trailing period); the `aws:` prefix
    /// is reserved in any case. Key and value lengths are the model's (ValidationException at `tags.N.member.tagKey`).
    /// Which rule AWS checks first when a request breaks several is not recorded.
    static func validatedTags(_ new: [KMS.Tag], existing: [KeyRecord.Tag]) throws(AWSError) -> [KeyRecord.Tag] {
        var out = existing
        var seen = Set<String>()
        for t in new {
            if t.tagKey.lowercased().hasPrefix("aws:") {
                throw KMS.Errors.tagException("Tags beginning with aws: are reserved")
            }
            guard seen.insert(t.tagKey).inserted else { throw KMS.Errors.tagException("Duplicate tag keys") }
            if let i = out.firstIndex(where: { $0.key == t.tagKey }) {
                out[i].value = t.tagValue
            } else {
                out.append(.init(key: t.tagKey, value: t.tagValue))
            }
        }
        if out.count > maxTags {
            throw KMS.Errors.tagException("Too many tags")
        }
        return out
    }

    func tagResource(_ input: KMS.TagResourceRequest, context c: RequestContext) async throws -> EmptyShape {
        try await updateRecord(input.keyId, c, action: "TagResource") { r in
            r.tags = try Self.validatedTags(input.tags, existing: r.tags)
        }
        return EmptyShape()
    }

    func untagResource(_ input: KMS.UntagResourceRequest, context c: RequestContext) async throws -> EmptyShape {
        let drop = Set(input.tagKeys)
        try await updateRecord(input.keyId, c, action: "UntagResource") { $0.tags.removeAll { drop.contains($0.key) } }
        return EmptyShape()
    }

    func listResourceTags(_ input: KMS.ListResourceTagsRequest, context c: RequestContext) async throws -> KMS.ListResourceTagsResponse {
        let key = try await resolve(input.keyId, c, aliases: false)
        let limit = input.limit ?? 50
        let start: Int
        if let m = input.marker {
            guard let i = Int(m), i >= 0, i <= key.record.tags.count else {
                throw KMS.Errors.invalidMarkerException("The marker that specifies where pagination should next begin is not valid.")
            }
            start = i
        } else {
            start = 0
        }
        let page = key.record.tags[start...].prefix(limit)
        let next = start + page.count
        let truncated = next < key.record.tags.count
        return KMS.ListResourceTagsResponse(tags: page.map { KMS.Tag(tagKey: $0.key, tagValue: $0.value) },
                                            nextMarker: truncated ? String(next) : nil, truncated: truncated)
    }
}
