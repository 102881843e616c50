// What Secrets Manager requests are authorized against (Secrets Manager User Guide, "Authentication and access
// control"; Service Authorization Reference, "AWS Secrets Manager"): the secret's full ARN, found from a name or a
// partial ARN, with its resource policy, tags and Secrets Manager's condition keys.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

struct SecretsManagerAuthority: ResourceAuthority {
    let secrets: SecretsManagerService

    func authorizationFacts(operation: String, action: String, input: AWSValue, resources: [AuditResource],
                            context c: RequestContext) async throws -> AuthorizationFacts {
        let fields = input.mapValue ?? [:]
        var conditions = RequestTags.conditions(input)
        if case .list(let keys)? = fields["TagKeys"] { conditions["aws:TagKeys"] = keys.compactMap(\.stringValue) }
        Self.requestConditions(operation, fields, into: &conditions)
        switch operation {
        case "CreateSecret":
            return AuthorizationFacts(resources: Self.newSecret(fields, c), conditions: conditions)
        case "BatchGetSecretValue":
            return AuthorizationFacts(resources: await batch(input, c), conditions: conditions)
        default:
            break
        }
        // A secret that cannot be found keeps the audit declaration's resources (its ARN when one was given, else
        // none): the operation reports ResourceNotFoundException once the caller may call it.
        guard let id = fields["SecretId"]?.stringValue, let found = try? await secrets.find(id, c) else {
            return AuthorizationFacts(resources: resources.map { ResourceFacts(arn: $0.arn, account: $0.account) },
                                      conditions: conditions)
        }
        return AuthorizationFacts(resources: [Self.facts(found.0, found.1)], conditions: conditions)
    }

    /// The secret's ARN, resource policy and the condition keys that belong to it.
    static func facts(_ row: SecretRow, _ doc: SecretDoc, action: String? = nil) -> ResourceFacts {
        var keys: [String: [String]] = [
            "secretsmanager:SecretId": [row.arn],
            // A primary names its own region; a replica its primary's.
            "secretsmanager:SecretPrimaryRegion": [doc.primaryRegion ?? row.region],
        ]
        for pair in doc.tags where !pair.isEmpty {
            let value = pair.count > 1 ? pair[1] : ""
            keys["aws:ResourceTag/\(pair[0])"] = [value]
            keys["secretsmanager:ResourceTag/\(pair[0])"] = [value]
        }
        if let lambda = doc.rotation?.lambdaArn { keys["secretsmanager:resource/AllowRotationLambdaArn"] = [lambda] }
        var policies: [PolicyText] = []
        if let policy = doc.policy, !policy.isEmpty { policies = [PolicyText(id: "resource policy", json: policy)] }
        return ResourceFacts(arn: row.arn, account: row.account, policies: policies, conditions: keys, action: action)
    }

    /// CreateSecret: the new secret's ARN, whose random suffix is not drawn yet, so it stands as `-??????` (the pattern
    /// Secrets Manager's documentation gives for naming a secret in a policy). Tags also need TagResource, and replica
    /// regions ReplicateSecretToRegions, on the same secret (CreateSecret API reference, "Required permissions").
    static func newSecret(_ fields: [String: AWSValue], _ c: RequestContext) -> [ResourceFacts] {
        guard let name = fields["Name"]?.stringValue else { return [] }
        let arn = "arn:\(c.partition.rawValue):secretsmanager:\(c.region):\(c.account):secret:\(name)-??????"
        var out = [ResourceFacts(arn: arn, account: c.account)]
        if case .list(let tags)? = fields["Tags"], !tags.isEmpty {
            out.append(ResourceFacts(arn: arn, account: c.account, action: "secretsmanager:TagResource"))
        }
        if case .list(let regions)? = fields["AddReplicaRegions"], !regions.isEmpty {
            out.append(ResourceFacts(arn: arn, account: c.account, action: "secretsmanager:ReplicateSecretToRegions"))
        }
        return out
    }

    /// BatchGetSecretValue: the batch action (no resource), ListSecrets when secrets are chosen by filters, and
    /// GetSecretValue on every secret the call would read (Secrets Manager API reference, "Required permissions").
    /// Secrets that cannot be found are left to the operation, which lists them among its errors.
    func batch(_ input: AWSValue, _ c: RequestContext) async -> [ResourceFacts] {
        var out = [ResourceFacts(arn: "*", account: c.account)]
        guard let request = try? SecretsManager.BatchGetSecretValueRequest(from: input) else { return out }
        if let ids = request.secretIdList {
            for id in ids {
                guard let found = try? await secrets.find(id, c) else { continue }
                out.append(Self.facts(found.0, found.1, action: "secretsmanager:GetSecretValue"))
            }
        } else if let filters = request.filters {
            out.append(ResourceFacts(arn: "*", account: c.account, action: "secretsmanager:ListSecrets"))
            // The same page the operation will read, so exactly its secrets are checked. A listing that fails here
            // fails the operation too, which then reads nothing.
            guard let page = try? await secrets.listSecrets(
                SecretsManager.ListSecretsRequest(maxResults: request.maxResults ?? 20, nextToken: request.nextToken, filters: filters),
                context: c),
                let rows = try? await secrets.repository.secrets(account: c.account, region: c.region) else { return out }
            let byArn = Dictionary(rows.map { ($0.arn, $0) }, uniquingKeysWith: { first, _ in first })
            for entry in page.secretList ?? [] {
                guard let arn = entry.arn, let row = byArn[arn],
                      let doc = try? JSONDecoder().decode(SecretDoc.self, from: Data(row.doc.utf8)) else { continue }
                out.append(Self.facts(row, doc, action: "secretsmanager:GetSecretValue"))
            }
        }
        return out
    }

    /// The request's own condition keys, for the actions the Service Authorization Reference lists them with.
    static func requestConditions(_ operation: String, _ fields: [String: AWSValue], into c: inout [String: [String]]) {
        func string(_ member: String, _ key: String) { if let v = fields[member]?.stringValue { c[key] = [v] } }
        func bool(_ member: String, _ key: String, default d: Bool? = nil) {
            if let v = fields[member]?.boolValue ?? d { c[key] = [v ? "true" : "false"] }
        }
        switch operation {
        case "CreateSecret":
            string("Name", "secretsmanager:Name")
            string("Description", "secretsmanager:Description")
            string("KmsKeyId", "secretsmanager:KmsKeyId")
            replicaRegions(fields, into: &c)
            bool("ForceOverwriteReplicaSecret", "secretsmanager:ForceOverwriteReplicaSecret")
        case "UpdateSecret":
            string("Description", "secretsmanager:Description")
            string("KmsKeyId", "secretsmanager:KmsKeyId")
        case "GetSecretValue":
            string("VersionId", "secretsmanager:VersionId")
            string("VersionStage", "secretsmanager:VersionStage")
        case "UpdateSecretVersionStage":
            string("VersionStage", "secretsmanager:VersionStage")
        case "PutResourcePolicy":
            // Public policies are not blocked unless the request asks (PutResourcePolicy API reference).
            bool("BlockPublicPolicy", "secretsmanager:BlockPublicPolicy", default: false)
        case "DeleteSecret":
            if let days = fields["RecoveryWindowInDays"]?.integerValue { c["secretsmanager:RecoveryWindowInDays"] = [String(days)] }
            bool("ForceDeleteWithoutRecovery", "secretsmanager:ForceDeleteWithoutRecovery")
        case "RotateSecret":
            string("RotationLambdaARN", "secretsmanager:RotationLambdaARN")
            // Rotation starts at once unless the request says otherwise (RotateSecret API reference).
            bool("RotateImmediately", "secretsmanager:RotateImmediately", default: true)
            c["secretsmanager:ModifyRotationRules"] = [fields["RotationRules"] == nil ? "false" : "true"]
        case "ReplicateSecretToRegions":
            replicaRegions(fields, into: &c)
            bool("ForceOverwriteReplicaSecret", "secretsmanager:ForceOverwriteReplicaSecret")
        default:
            break
        }
    }

    static func replicaRegions(_ fields: [String: AWSValue], into c: inout [String: [String]]) {
        guard case .list(let items)? = fields["AddReplicaRegions"] else { return }
        let regions = items.compactMap { $0.mapValue?["Region"]?.stringValue }
        if !regions.isEmpty { c["secretsmanager:AddReplicaRegions"] = regions }
    }
}
