// What other services need from KMS (S3 SSE-KMS now; SNS, SQS, SSM, Secrets Manager later): data keys under a
// caller's key, in the caller's account and region, with the same key-state rules as the API.
import Foundation
import WardenAPI
import WardenCore

/// Envelope encryption for services: a fresh data key under `keyId`, and the data key back from its blob.
public protocol DataKeyProvider: Sendable {
    /// The ARN of a key usable for envelope encryption (enabled, symmetric, ENCRYPT_DECRYPT), or KMS's error.
    func symmetricKeyArn(_ keyId: String, context: RequestContext) async throws -> String
    /// The AWS managed key of a service (`alias/aws/s3` …), created on first use.
    func managedKeyArn(service: String, context: RequestContext) async throws -> String
    func generateDataKey(keyId: String, encryptionContext: [String: String], context: RequestContext) async throws
        -> (plaintext: [UInt8], ciphertext: [UInt8], keyArn: String)
    func decryptDataKey(_ ciphertext: [UInt8], encryptionContext: [String: String], context: RequestContext) async throws -> [UInt8]
}

extension KMSService: DataKeyProvider {
    public func symmetricKeyArn(_ keyId: String, context c: RequestContext) async throws -> String {
        let key = try await resolve(keyId, c, aliases: true)
        try Self.requireUsable(key)
        guard key.info.isSymmetric, key.record.keyUsage == KMS.KeyUsageType.encryptDecrypt.rawValue else {
            throw KMS.Errors.invalidKeyUsageException("\(key.record.arn) is not a symmetric encryption key.")
        }
        return key.record.arn
    }

    public func generateDataKey(keyId: String, encryptionContext: [String: String], context c: RequestContext) async throws
        -> (plaintext: [UInt8], ciphertext: [UInt8], keyArn: String) {
        try await authorizeVia("kms:GenerateDataKey", keyId: keyId, encryptionContext: encryptionContext, c)
        let r = try await generateDataKey(KMS.GenerateDataKeyRequest(keyId: keyId, encryptionContext: encryptionContext, keySpec: .aes256),
                                          context: c)
        guard let plain = r.plaintext, let blob = r.ciphertextBlob, let arn = r.keyId else { throw AWSError.internalFailure() }
        return (plain, blob, arn)
    }

    public func decryptDataKey(_ ciphertext: [UInt8], encryptionContext: [String: String], context c: RequestContext) async throws -> [UInt8] {
        if let blob = CiphertextBlob(ciphertext) {
            try await authorizeVia("kms:Decrypt", keyId: blob.keyId, encryptionContext: encryptionContext, c)
        }
        let r = try await decrypt(KMS.DecryptRequest(ciphertextBlob: ciphertext, encryptionContext: encryptionContext), context: c)
        guard let plain = r.plaintext else { throw AWSError.internalFailure() }
        return plain
    }
}

extension KMSService {
    /// A service using a key for its caller (Parameter Store, Secrets Manager, SNS, SQS, the bucket store): the caller
    /// must be allowed to use the key themselves, with `kms:ViaService` naming the service, as AWS checks it.
    /// Background work (deliveries, rotations) carries no caller and no authorizer, and is not checked here.
    func authorizeVia(_ action: String, keyId: String, encryptionContext: [String: String], _ c: RequestContext) async throws {
        guard let authorizer = c.authorizer, c.principal != nil, let service = c.service, service != "kms" else { return }
        let input = AWSValue.structure(["KeyId": .string(keyId), "EncryptionContext": .map(encryptionContext.mapValues { .string($0) })])
        try await authorizer.authorize(action: action, input: input, resources: [], context: c,
                                       viaService: "\(service).\(c.region).amazonaws.com")
    }
}
