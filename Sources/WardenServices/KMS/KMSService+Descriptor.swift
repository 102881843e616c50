// The KMS operations Warden serves, each with its IAM action, audit category and the resources its record names.
import WardenAPI
import WardenCore

extension KMSService {
    /// The key an audit record names: from `KeyId` (an id or key ARN; aliases resolve later) or from the
    /// ciphertext blob of a Decrypt/ReEncrypt without one.
    static func auditResources(_ members: [String]) -> @Sendable (AWSValue, RequestContext) -> [AuditResource] {
        { input, c in
            guard case .structure(let fields) = input else { return [] }
            var out: [AuditResource] = []
            for m in members {
                var id: String?
                switch fields[m] {
                case .string(let s)?:
                    if case .key(let k, let account, let region)? = try? parseKeyRef(s), isKeyIdShaped(k),
                       account == nil || account == c.account, region == nil || region == c.region {
                        id = k
                    }
                case .blob(let b)?:
                    if let parsed = CiphertextBlob(b), isKeyIdShaped(parsed.keyId) { id = parsed.keyId }
                default: break
                }
                if let id {
                    let arn = keyArn(c, id)
                    if !out.contains(where: { $0.arn == arn }) {
                        out.append(AuditResource(type: "AWS::KMS::Key", arn: arn, account: c.account))
                    }
                }
            }
            return out
        }
    }

    /// Binary members CloudTrail does not record for KMS (beyond what the model marks sensitive).
    static let unrecorded: Set<String> = ["CiphertextBlob", "Message", "Signature", "Mac", "PublicKey", "GrantToken", "GrantTokens",
                                          "ImportToken", "EncryptedKeyMaterial"]

    static func traits(_ action: String, readOnly: Bool, keys: [String] = ["KeyId"],
                       created: String? = nil) -> OperationTraits {
        OperationTraits(iamAction: "kms:" + action, readOnly: readOnly, redactedRequestMembers: unrecorded,
                        redactedResponseMembers: unrecorded.union(["PrivateKeyCiphertextBlob"]),
                        resources: auditResources(keys), outputResources: created.map(createdKey))
    }

    /// The key an operation made (`KeyMetadata` of CreateKey, `ReplicaKeyMetadata` of ReplicateKey), for its record.
    static func createdKey(_ member: String) -> @Sendable (AWSValue, RequestContext) -> [AuditResource] {
        { output, c in
            guard case .structure(let fields) = output, case .structure(let meta)? = fields[member],
                  case .string(let arn)? = meta["Arn"] else { return [] }
            return [AuditResource(type: "AWS::KMS::Key", arn: arn, account: c.account)]
        }
    }

    public var descriptor: ServiceDescriptor {
        typealias O = KMS.Operations
        var d = ServiceDescriptor(
            model: KMS.model, eventSource: "kms.amazonaws.com",
            validationError: (code: "ValidationException", queryCode: nil, status: 400),
            operations: [
                AnyOperation(O.CreateKey.self, traits: Self.traits("CreateKey", readOnly: false, keys: [], created: "KeyMetadata"), createKey),
                AnyOperation(O.DescribeKey.self, traits: Self.traits("DescribeKey", readOnly: true), describeKey),
                AnyOperation(O.ListKeys.self, traits: Self.traits("ListKeys", readOnly: true, keys: []), listKeys),
                AnyOperation(O.UpdateKeyDescription.self, traits: Self.traits("UpdateKeyDescription", readOnly: false), updateKeyDescription),
                AnyOperation(O.EnableKey.self, traits: Self.traits("EnableKey", readOnly: false), enableKey),
                AnyOperation(O.DisableKey.self, traits: Self.traits("DisableKey", readOnly: false), disableKey),
                AnyOperation(O.ScheduleKeyDeletion.self, traits: Self.traits("ScheduleKeyDeletion", readOnly: false), scheduleKeyDeletion),
                AnyOperation(O.CancelKeyDeletion.self, traits: Self.traits("CancelKeyDeletion", readOnly: false), cancelKeyDeletion),
                AnyOperation(O.TagResource.self, traits: Self.traits("TagResource", readOnly: false), tagResource),
                AnyOperation(O.UntagResource.self, traits: Self.traits("UntagResource", readOnly: false), untagResource),
                AnyOperation(O.ListResourceTags.self, traits: Self.traits("ListResourceTags", readOnly: true), listResourceTags),
                AnyOperation(O.GetKeyPolicy.self, traits: Self.traits("GetKeyPolicy", readOnly: true), getKeyPolicy),
                AnyOperation(O.PutKeyPolicy.self, traits: Self.traits("PutKeyPolicy", readOnly: false), putKeyPolicy),
                AnyOperation(O.ListKeyPolicies.self, traits: Self.traits("ListKeyPolicies", readOnly: true), listKeyPolicies),
                AnyOperation(O.CreateAlias.self, traits: Self.traits("CreateAlias", readOnly: false, keys: ["TargetKeyId"]), createAlias),
                AnyOperation(O.UpdateAlias.self, traits: Self.traits("UpdateAlias", readOnly: false, keys: ["TargetKeyId"]), updateAlias),
                AnyOperation(O.DeleteAlias.self, traits: Self.traits("DeleteAlias", readOnly: false, keys: []), deleteAlias),
                AnyOperation(O.ListAliases.self, traits: Self.traits("ListAliases", readOnly: true), listAliases),
                AnyOperation(O.EnableKeyRotation.self, traits: Self.traits("EnableKeyRotation", readOnly: false), enableKeyRotation),
                AnyOperation(O.DisableKeyRotation.self, traits: Self.traits("DisableKeyRotation", readOnly: false), disableKeyRotation),
                AnyOperation(O.GetKeyRotationStatus.self, traits: Self.traits("GetKeyRotationStatus", readOnly: true), getKeyRotationStatus),
                AnyOperation(O.RotateKeyOnDemand.self, traits: Self.traits("RotateKeyOnDemand", readOnly: false), rotateKeyOnDemand),
                AnyOperation(O.ListKeyRotations.self, traits: Self.traits("ListKeyRotations", readOnly: true), listKeyRotations),
                AnyOperation(O.CreateGrant.self, traits: Self.traits("CreateGrant", readOnly: false), createGrant),
                AnyOperation(O.ListGrants.self, traits: Self.traits("ListGrants", readOnly: true), listGrants),
                AnyOperation(O.ListRetirableGrants.self, traits: Self.traits("ListRetirableGrants", readOnly: true, keys: []), listRetirableGrants),
                AnyOperation(O.RetireGrant.self, traits: Self.traits("RetireGrant", readOnly: false), retireGrant),
                AnyOperation(O.RevokeGrant.self, traits: Self.traits("RevokeGrant", readOnly: false), revokeGrant),
                AnyOperation(O.GetParametersForImport.self, traits: Self.traits("GetParametersForImport", readOnly: true), getParametersForImport),
                AnyOperation(O.ImportKeyMaterial.self, traits: Self.traits("ImportKeyMaterial", readOnly: false), importKeyMaterial),
                AnyOperation(O.DeleteImportedKeyMaterial.self, traits: Self.traits("DeleteImportedKeyMaterial", readOnly: false), deleteImportedKeyMaterial),
                AnyOperation(O.ReplicateKey.self, traits: Self.traits("ReplicateKey", readOnly: false, created: "ReplicaKeyMetadata"), replicateKey),
                AnyOperation(O.UpdatePrimaryRegion.self, traits: Self.traits("UpdatePrimaryRegion", readOnly: false), updatePrimaryRegion),
                AnyOperation(O.Encrypt.self, traits: Self.traits("Encrypt", readOnly: true), encrypt),
                AnyOperation(O.Decrypt.self, traits: Self.traits("Decrypt", readOnly: true, keys: ["KeyId", "CiphertextBlob"]), decrypt),
                AnyOperation(O.ReEncrypt.self, traits: Self.traits("ReEncrypt", readOnly: true,
                                                                   keys: ["SourceKeyId", "CiphertextBlob", "DestinationKeyId"]), reEncrypt),
                AnyOperation(O.GenerateDataKey.self, traits: Self.traits("GenerateDataKey", readOnly: true), generateDataKey),
                AnyOperation(O.GenerateDataKeyWithoutPlaintext.self,
                             traits: Self.traits("GenerateDataKeyWithoutPlaintext", readOnly: true), generateDataKeyWithoutPlaintext),
                AnyOperation(O.GenerateDataKeyPair.self, traits: Self.traits("GenerateDataKeyPair", readOnly: true), generateDataKeyPair),
                AnyOperation(O.GenerateDataKeyPairWithoutPlaintext.self,
                             traits: Self.traits("GenerateDataKeyPairWithoutPlaintext", readOnly: true), generateDataKeyPairWithoutPlaintext),
                AnyOperation(O.GenerateRandom.self, traits: Self.traits("GenerateRandom", readOnly: true, keys: []), generateRandom),
                AnyOperation(O.Sign.self, traits: Self.traits("Sign", readOnly: true), sign),
                AnyOperation(O.Verify.self, traits: Self.traits("Verify", readOnly: true), verify),
                AnyOperation(O.GetPublicKey.self, traits: Self.traits("GetPublicKey", readOnly: true), getPublicKey),
                AnyOperation(O.DeriveSharedSecret.self, traits: Self.traits("DeriveSharedSecret", readOnly: true), deriveSharedSecret),
                AnyOperation(O.GenerateMac.self, traits: Self.traits("GenerateMac", readOnly: true), generateMac),
                AnyOperation(O.VerifyMac.self, traits: Self.traits("VerifyMac", readOnly: true), verifyMac),
            ])
        d.authority = KMSAuthority(kms: self)
        return d
    }
}
