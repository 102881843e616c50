// How KMS authorizes (KMS Developer Guide, "Key policies", "Grants in AWS KMS", "Condition keys for AWS KMS"): the key
// policy must allow the call, directly or by naming the account (then IAM policies must allow it too); grants allow
// their operations under their constraints; KMS's condition keys come from the key and the request.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

struct KMSAuthority: ResourceAuthority {
    let kms: KMSService

    /// Which request members name keys, and the action each is authorized for when it differs from the operation's.
    static func keyMembers(_ operation: String) -> [(member: String, action: String?)] {
        switch operation {
        case "ReEncrypt":
            return [("SourceKeyId", "kms:ReEncryptFrom"), ("CiphertextBlob", "kms:ReEncryptFrom"), ("DestinationKeyId", "kms:ReEncryptTo")]
        case "CreateAlias", "UpdateAlias": return [("TargetKeyId", nil)]
        case "Decrypt": return [("KeyId", nil), ("CiphertextBlob", nil)]
        case "CreateKey", "ListKeys", "ListAliases", "GenerateRandom", "ListRetirableGrants", "DeleteAlias": return []
        default: return [("KeyId", nil)]
        }
    }

    func authorizationFacts(operation: String, action: String, input: AWSValue, resources: [AuditResource],
                            context c: RequestContext) async throws -> AuthorizationFacts {
        let fields = input.mapValue ?? [:]
        var conditions = RequestTags.conditions(input)
        if let p = c.principal { conditions["kms:CallerAccount"] = [p.account] }
        Self.requestConditions(operation, fields, into: &conditions)
        if case .list(let tokens)? = fields["GrantTokens"] {
            try await checkGrantTokens(tokens.compactMap(\.stringValue), c)
        }
        var out: [ResourceFacts] = []
        for (member, memberAction) in Self.keyMembers(operation) {
            guard let value = fields[member] else { continue }
            let key: LoadedKey
            var requestAlias: String?
            do {
                switch value {
                case .string(let s):
                    key = try await kms.resolve(s, c, aliases: true)
                    if case .alias(let name, _, _)? = try? KMSService.parseKeyRef(s) { requestAlias = name }
                case .blob(let b):
                    guard let parsed = CiphertextBlob(b) else { continue }
                    key = try await kms.resolve(parsed.keyId, c, aliases: false)
                default: continue
                }
            } catch {
                // A key that cannot be found is the operation's to report (NotFoundException), as KMS reports it.
                continue
            }
            let arn = key.record.arn
            if out.contains(where: { $0.arn == arn && $0.action == memberAction }) { continue }
            var keyConditions: [String: [String]] = [
                "kms:KeySpec": [key.record.keySpec], "kms:KeyUsage": [key.record.keyUsage], "kms:KeyOrigin": [key.record.origin],
                "kms:KeyManager": [key.record.keyManager], "kms:MultiRegion": [key.record.multiRegion ? "true" : "false"],
            ]
            for t in key.record.tags { keyConditions["aws:ResourceTag/\(t.key)"] = [t.value] }
            if let requestAlias { keyConditions["kms:RequestAlias"] = [requestAlias] }
            let record = key.record
            let grantContext = Self.encryptionContext(fields, for: memberAction)
            out.append(ResourceFacts(
                arn: arn, account: record.account, policies: [PolicyText(id: "key policy", json: record.policy)], policyRequired: true,
                conditions: keyConditions, action: memberAction,
                grant: { grantees, action in try await grantAllowing(keyId: record.keyId, account: record.account, region: record.region,
                                                                  grantees: grantees, action: action, context: grantContext) }))
        }
        return AuthorizationFacts(resources: out, conditions: conditions)
    }

    /// `kms:EncryptionContext:…`, `kms:EncryptionContextKeys`, algorithms, grant and key-creation keys.
    static func requestConditions(_ operation: String, _ fields: [String: AWSValue], into c: inout [String: [String]]) {
        for member in ["EncryptionContext", "SourceEncryptionContext", "DestinationEncryptionContext"] {
            guard case .map(let ctx)? = fields[member] else { continue }
            for (k, v) in ctx { c["kms:EncryptionContext:\(k)"] = [v.stringValue ?? ""] }
            c["kms:EncryptionContextKeys", default: []].append(contentsOf: ctx.keys.sorted())
        }
        for (member, key) in [("EncryptionAlgorithm", "kms:EncryptionAlgorithm"), ("SigningAlgorithm", "kms:SigningAlgorithm"),
                              ("MacAlgorithm", "kms:MacAlgorithm"), ("KeyPairSpec", "kms:DataKeyPairSpec"),
                              ("GranteePrincipal", "kms:GranteePrincipal"), ("RetiringPrincipal", "kms:RetiringPrincipal"),
                              ("MessageType", "kms:MessageType")] {
            if let v = fields[member]?.stringValue { c[key] = [v] }
        }
        if operation == "CreateGrant" {
            if case .list(let ops)? = fields["Operations"] { c["kms:GrantOperations"] = ops.compactMap(\.stringValue) }
            c["kms:GrantIsForAWSResource"] = ["false"]
            if case .structure(let constraints)? = fields["Constraints"] {
                for (member, key) in [("EncryptionContextSubset", "kms:GrantConstraintType"), ("EncryptionContextEquals", "kms:GrantConstraintType")]
                where constraints[member] != nil {
                    c[key, default: []].append(member)
                }
            }
        }
        if operation == "CreateKey" {
            c["kms:KeySpec"] = [fields["KeySpec"]?.stringValue ?? fields["CustomerMasterKeySpec"]?.stringValue ?? "SYMMETRIC_DEFAULT"]
            c["kms:KeyUsage"] = [fields["KeyUsage"]?.stringValue ?? "ENCRYPT_DECRYPT"]
            c["kms:KeyOrigin"] = [fields["Origin"]?.stringValue ?? "AWS_KMS"]
            c["kms:MultiRegion"] = [fields["MultiRegion"]?.boolValue == true ? "true" : "false"]
        }
        if operation == "CreateKey" || operation == "PutKeyPolicy" {
            c["kms:BypassPolicyLockoutSafetyCheck"] = [fields["BypassPolicyLockoutSafetyCheck"]?.boolValue == true ? "true" : "false"]
        }
    }

    /// The encryption context a grant's constraints are checked against.
    static func encryptionContext(_ fields: [String: AWSValue], for action: String?) -> [String: String] {
        let member: String
        switch action {
        case "kms:ReEncryptFrom"?: member = "SourceEncryptionContext"
        case "kms:ReEncryptTo"?: member = "DestinationEncryptionContext"
        default: member = "EncryptionContext"
        }
        guard case .map(let ctx)? = fields[member] else { return [:] }
        return ctx.compactMapValues(\.stringValue)
    }

    /// The id of a grant on the key that lets one of `grantees` perform `action` under `context`, if any.
    func grantAllowing(keyId: String, account: String, region: String, grantees: [String], action: String,
                       context: [String: String]) async throws -> String? {
        let operation = String(action.dropFirst(4))
        let rows = try await kms.repository.grants(account: account, region: region, keyId: keyId)
        for row in rows where grantees.contains(row.grantee) {
            guard let doc = try? JSONDecoder().decode(GrantDocument.self, from: Data(row.doc.utf8)),
                  doc.operations.contains(operation) else { continue }
            // Constraints (KMS Developer Guide, "Using grant constraints"): Subset — every pair of the constraint is in
            // the request's context; Equals — the request's context is exactly the constraint.
            if let subset = doc.subset, !subset.allSatisfy({ context[$0.key] == $0.value }) { continue }
            if let equals = doc.equals, equals != context { continue }
            return row.grantId
        }
        return nil
    }

    /// Only tokens Warden issued for grants that still exist are accepted.
    func checkGrantTokens(_ tokens: [String], _ c: RequestContext) async throws {
        for token in tokens {
            guard let id = KMSService.grantId(fromToken: token),
                  let row = try await kms.repository.grant(account: c.account, region: c.region, grantId: id),
                  let doc = try? JSONDecoder().decode(GrantDocument.self, from: Data(row.doc.utf8)), doc.token == token
            else {
                // AWS's text for a token it did not issue is not known.
                throw KMS.Errors.invalidGrantTokenException("The grant token is not valid.")
            }
        }
    }
}
