// AWS managed keys (alias/aws/<service>): created the first time a service needs one, managed by "AWS".
import Foundation
import WardenAPI
import WardenCore

extension KMSService {
    /// The services that have an AWS managed key, with the description KMS gives it.
    static let managedKeyDescriptions: [String: String] = [
        "ssm": "Default key that protects my SSM parameters when no other key is defined",
        "secretsmanager": "Default key that protects my Secrets Manager data when no other key is defined",
        "sns": "Default key that protects my SNS data when no other key is defined",
        "sqs": "Default key that protects my SQS messages when no other key is defined",
        "lambda": "Default key that protects my Lambda functions when no other key is defined",
        "logs": "Default key that protects my CloudWatch Logs data when no other key is defined",
        "s3": "Default key that protects my S3 objects when no other key is defined",
    ]

    /// The key policy of an AWS managed key: the account may use it through the owning service and read it.
    static func managedKeyPolicy(service: String, account: String, partition: String, region: String) -> String {
        """
        {
          "Version" : "2012-10-17",
          "Id" : "auto-\(service)",
          "Statement" : [ {
            "Sid" : "Allow access through \(service) for all principals in the account that are authorized to use it",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "*"
            },
            "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey" ],
            "Resource" : "*",
            "Condition" : {
              "StringEquals" : {
                "kms:CallerAccount" : "\(account)",
                "kms:ViaService" : "\(service).\(region).amazonaws.com"
              }
            }
          }, {
            "Sid" : "Allow direct access to key metadata to the account",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:\(partition):iam::\(account):root"
            },
            "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*" ],
            "Resource" : "*"
          } ]
        }
        """
    }

    /// The AWS managed key of `service` in the caller's account and region, created on first use. Other services
    /// (SSM, Secrets Manager, SNS, …) call this when a caller does not name a key.
    public func managedKeyArn(service: String, context c: RequestContext) async throws -> String {
        let alias = "alias/aws/\(service)"
        if let id = try await store.aliasTarget(account: c.account, region: c.region, name: alias) {
            return Self.keyArn(c, id)
        }
        guard let description = Self.managedKeyDescriptions[service] else {
            throw KMS.Errors.notFoundException("Alias \(Self.aliasArn(c, alias)) is not found.")
        }
        guard let info = KeySpecInfo("SYMMETRIC_DEFAULT") else { throw AWSError.internalFailure("No AWS managed key for \(service).") }
        let created = now().timeIntervalSince1970
        let keyId = UUID().uuidString.lowercased()
        let materialId = Self.newMaterialId()
        let record = KeyRecord(
            keyId: keyId, account: c.account, region: c.region, partition: c.partition.rawValue, createdAt: created,
            description: description, keySpec: info.spec, keyUsage: KMS.KeyUsageType.encryptDecrypt.rawValue,
            origin: KMS.OriginType.awsKms.rawValue, keyManager: KMS.KeyManagerType.aws.rawValue,
            state: KMS.KeyState.enabled.rawValue, deletionDate: nil, pendingWindowDays: nil, multiRegion: false,
            policy: Self.managedKeyPolicy(service: service, account: c.account, partition: c.partition.rawValue, region: c.region),
            tags: [],
            // AWS managed keys rotate every year; callers cannot change that.
            rotation: .init(enabled: true, periodDays: 365, nextRotation: created + 365 * 86400),
            materials: [.init(id: materialId, createdAt: created, rotationType: nil)], currentMaterialId: materialId,
            onDemandRotations: nil, validTo: nil, expirationModel: nil, importedMaterialId: nil, primaryRegion: nil, replicaRegions: nil)
        _ = try await repository.insertKey(try Self.write(record), createdAtMillis: Int64(created * 1000),
                                           materials: [(materialId, try KeyMaterial.generate(info))])
        if try await repository.createAlias(account: c.account, region: c.region, name: alias, keyId: keyId,
                                            nowMillis: Int64(created * 1000)) {
            store.invalidateAliases()
            return Self.keyArn(c, keyId)
        }
        // Another request created it first: use theirs and drop ours.
        try await repository.deleteKey(account: c.account, region: c.region, keyId: keyId)
        store.invalidateAliases()
        guard let id = try await store.aliasTarget(account: c.account, region: c.region, name: alias) else {
            throw AWSError.internalFailure()
        }
        return Self.keyArn(c, id)
    }
}
