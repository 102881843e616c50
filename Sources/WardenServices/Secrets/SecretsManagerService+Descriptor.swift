// The Secrets Manager operations Warden serves (AWS JSON 1.1, secretsmanager): IAM action, read-only-ness, the secret named.
import WardenAPI
import WardenCore

extension SecretsManagerService {
    static func secretResource(_ input: AWSValue, _ c: RequestContext) -> [AuditResource] {
        guard case .structure(let fields) = input else { return [] }
        if case .string(let id)? = fields["SecretId"], id.hasPrefix("arn:") {
            return [AuditResource(type: "AWS::SecretsManager::Secret", arn: id, account: c.account)]
        }
        return []
    }

    static func traits(_ action: String, readOnly: Bool) -> OperationTraits {
        // Secret values never reach the audit record (the model marks them sensitive as well).
        OperationTraits(iamAction: "secretsmanager:\(action)", readOnly: readOnly,
                        redactedRequestMembers: ["SecretString", "SecretBinary"],
                        redactedResponseMembers: ["SecretString", "SecretBinary", "RandomPassword", "SecretValues"],
                        resources: secretResource)
    }

    public var descriptor: ServiceDescriptor {
        typealias Ops = SecretsManager.Operations
        var d = ServiceDescriptor(
            model: SecretsManager.model, eventSource: "secretsmanager.amazonaws.com",
            validationError: (code: "InvalidParameterException", queryCode: nil, status: 400),
            operations: [
                AnyOperation(Ops.CreateSecret.self, traits: Self.traits("CreateSecret", readOnly: false), createSecret),
                AnyOperation(Ops.GetSecretValue.self, traits: Self.traits("GetSecretValue", readOnly: true), getSecretValue),
                AnyOperation(Ops.BatchGetSecretValue.self, traits: Self.traits("BatchGetSecretValue", readOnly: true), batchGetSecretValue),
                AnyOperation(Ops.PutSecretValue.self, traits: Self.traits("PutSecretValue", readOnly: false), putSecretValue),
                AnyOperation(Ops.UpdateSecret.self, traits: Self.traits("UpdateSecret", readOnly: false), updateSecret),
                AnyOperation(Ops.DescribeSecret.self, traits: Self.traits("DescribeSecret", readOnly: true), describeSecret),
                AnyOperation(Ops.ListSecrets.self, traits: Self.traits("ListSecrets", readOnly: true), listSecrets),
                AnyOperation(Ops.ListSecretVersionIds.self, traits: Self.traits("ListSecretVersionIds", readOnly: true), listSecretVersionIds),
                AnyOperation(Ops.UpdateSecretVersionStage.self, traits: Self.traits("UpdateSecretVersionStage", readOnly: false),
                             updateSecretVersionStage),
                AnyOperation(Ops.DeleteSecret.self, traits: Self.traits("DeleteSecret", readOnly: false), deleteSecret),
                AnyOperation(Ops.RestoreSecret.self, traits: Self.traits("RestoreSecret", readOnly: false), restoreSecret),
                AnyOperation(Ops.GetRandomPassword.self, traits: Self.traits("GetRandomPassword", readOnly: true), getRandomPassword),
                AnyOperation(Ops.PutResourcePolicy.self, traits: Self.traits("PutResourcePolicy", readOnly: false), putResourcePolicy),
                AnyOperation(Ops.GetResourcePolicy.self, traits: Self.traits("GetResourcePolicy", readOnly: true), getResourcePolicy),
                AnyOperation(Ops.DeleteResourcePolicy.self, traits: Self.traits("DeleteResourcePolicy", readOnly: false), deleteResourcePolicy),
                AnyOperation(Ops.ValidateResourcePolicy.self, traits: Self.traits("ValidateResourcePolicy", readOnly: true), validateResourcePolicy),
                AnyOperation(Ops.TagResource.self, traits: Self.traits("TagResource", readOnly: false), tagResource),
                AnyOperation(Ops.UntagResource.self, traits: Self.traits("UntagResource", readOnly: false), untagResource),
                AnyOperation(Ops.RotateSecret.self, traits: Self.traits("RotateSecret", readOnly: false), rotateSecret),
                AnyOperation(Ops.CancelRotateSecret.self, traits: Self.traits("CancelRotateSecret", readOnly: false), cancelRotateSecret),
                AnyOperation(Ops.ReplicateSecretToRegions.self, traits: Self.traits("ReplicateSecretToRegions", readOnly: false),
                             replicateSecretToRegions),
                AnyOperation(Ops.RemoveRegionsFromReplication.self, traits: Self.traits("RemoveRegionsFromReplication", readOnly: false),
                             removeRegionsFromReplication),
                AnyOperation(Ops.StopReplicationToReplica.self, traits: Self.traits("StopReplicationToReplica", readOnly: false),
                             stopReplicationToReplica),
            ])
        d.authority = SecretsManagerAuthority(secrets: self)
        return d
    }
}
