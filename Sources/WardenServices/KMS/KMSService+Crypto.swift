// Envelope encryption: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateRandom.
import Crypto
import WardenAPI
import WardenCore

extension KMSService {
    /// The result of opening a ciphertext: who opened it and with what.
    struct Opened {
        var key: LoadedKey
        var plaintext: [UInt8]
        var algorithm: KMS.EncryptionAlgorithmSpec
        var materialId: String?
    }

    /// The ciphertext and the material that made it.
    struct Sealed {
        var blob: [UInt8]
        var algorithm: KMS.EncryptionAlgorithmSpec
        var materialId: String?
    }

    static func rejectRecipient(_ r: KMS.RecipientInfo?) throws(AWSError) {
        if r != nil {
            throw KMS.Errors.unsupportedOperationException("Recipient (an attested enclave) is not supported by this server.")
        }
    }

    /// Encrypts with an ENCRYPT_DECRYPT key: AES-256-GCM blobs for symmetric keys, raw RSA-OAEP for RSA keys.
    func seal(_ plaintext: [UInt8], with key: LoadedKey, context: [String: String]?,
              algorithm: KMS.EncryptionAlgorithmSpec?, operation: String) throws -> Sealed {
        try Self.requireUsable(key)
        try Self.requireUsage(key, .encryptDecrypt, operation: operation)
        let alg = algorithm ?? .symmetricDefault
        guard key.info.encryptionAlgorithms.contains(alg) else {
            throw KMS.Errors.invalidKeyUsageException("Algorithm \(alg.rawValue) is incompatible with key spec \(key.record.keySpec).")
        }
        guard let material = key.current else { throw AWSError.internalFailure() }
        if key.info.isSymmetric {
            guard let aes = material.symmetricKey, let mid = key.record.currentMaterialId else { throw AWSError.internalFailure() }
            let blob = try CiphertextBlob.seal(plaintext, key: aes, keyId: key.record.keyId, materialId: mid, context: context ?? [:])
            return Sealed(blob: blob, algorithm: alg, materialId: mid)
        }
        if let context, !context.isEmpty {
            throw Self.validation("EncryptionContext is not supported for asymmetric KMS keys.")
        }
        // OAEP fits k − 2·hLen − 2 bytes; AWS's text, recorded for each RSA spec and algorithm.
        let max = material.rsaMaxPlaintext(alg)
        guard plaintext.count <= max else {
            throw Self.validation("Algorithm \(alg.rawValue) and key spec \(key.record.keySpec) cannot encrypt data larger than \(max) bytes.")
        }
        return Sealed(blob: try material.rsaEncrypt(plaintext, alg), algorithm: alg, materialId: nil)
    }

    /// Decrypts a blob. With no `keyId` the blob must be a symmetric one, and names its own key.
    func open(_ blob: [UInt8], keyId: String?, context: [String: String]?, algorithm: KMS.EncryptionAlgorithmSpec?,
              _ c: RequestContext) async throws -> Opened {
        let parsed = CiphertextBlob(blob)
        let key: LoadedKey
        if let keyId {
            key = try await resolve(keyId, c, aliases: true)
        } else {
            guard let parsed, Self.isKeyIdShaped(parsed.keyId),
                  let k = try await store.key(account: c.account, region: c.region, keyId: parsed.keyId) else {
                throw KMS.Errors.invalidCiphertextException("")
            }
            key = k
        }
        try Self.requireUsable(key)
        // Decrypt and ReEncrypt name the key that must open the ciphertext; a key that cannot (another usage, or
        // not the key that sealed it) is IncorrectKeyException, not InvalidKeyUsageException (recorded from AWS).
        guard key.record.keyUsage == KMS.KeyUsageType.encryptDecrypt.rawValue else { throw Self.incorrectKey() }
        let alg = algorithm ?? .symmetricDefault
        guard key.info.encryptionAlgorithms.contains(alg) else {
            throw KMS.Errors.invalidKeyUsageException("Algorithm \(alg.rawValue) is incompatible with key spec \(key.record.keySpec).")
        }
        if key.info.isSymmetric {
            guard let parsed else { throw KMS.Errors.invalidCiphertextException("") }
            guard parsed.keyId == key.record.keyId else { throw Self.incorrectKey() }
            guard let aes = key.materials[parsed.materialId]?.symmetricKey,
                  let plain = parsed.open(key: aes, context: context ?? [:]) else {
                throw KMS.Errors.invalidCiphertextException("")
            }
            return Opened(key: key, plaintext: plain, algorithm: alg, materialId: parsed.materialId)
        }
        if let context, !context.isEmpty {
            throw Self.validation("EncryptionContext is not supported for asymmetric KMS keys.")
        }
        guard let material = key.current, let plain = material.rsaDecrypt(blob, alg) else {
            throw KMS.Errors.invalidCiphertextException("")
        }
        return Opened(key: key, plaintext: plain, algorithm: alg, materialId: nil)
    }

    /// AWS's text still says "CMK" (recorded for Decrypt and ReEncrypt).
    static func incorrectKey() -> AWSError {
        KMS.Errors.incorrectKeyException("The key ID in the request does not identify a CMK that can perform this operation.")
    }

    func encrypt(_ input: KMS.EncryptRequest, context c: RequestContext) async throws -> KMS.EncryptResponse {
        try Self.checkGrantTokens(input.grantTokens)
        let key = try await resolve(input.keyId, c, aliases: true)
        let sealed = try seal(input.plaintext, with: key, context: input.encryptionContext,
                              algorithm: input.encryptionAlgorithm, operation: "Encrypt")
        try Self.dryRun(input.dryRun)
        return KMS.EncryptResponse(ciphertextBlob: sealed.blob, keyId: key.record.arn, encryptionAlgorithm: sealed.algorithm)
    }

    func decrypt(_ input: KMS.DecryptRequest, context c: RequestContext) async throws -> KMS.DecryptResponse {
        try Self.checkGrantTokens(input.grantTokens)
        try Self.rejectRecipient(input.recipient)
        guard let blob = input.ciphertextBlob else {
            throw Self.validation("1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null")
        }
        let opened = try await open(blob, keyId: input.keyId, context: input.encryptionContext,
                                    algorithm: input.encryptionAlgorithm, c)
        try Self.dryRun(input.dryRun)
        return KMS.DecryptResponse(keyId: opened.key.record.arn, plaintext: opened.plaintext,
                                   encryptionAlgorithm: opened.algorithm, keyMaterialId: opened.materialId)
    }

    func reEncrypt(_ input: KMS.ReEncryptRequest, context c: RequestContext) async throws -> KMS.ReEncryptResponse {
        try Self.checkGrantTokens(input.grantTokens)
        guard let blob = input.ciphertextBlob else {
            throw Self.validation("1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null")
        }
        let opened = try await open(blob, keyId: input.sourceKeyId, context: input.sourceEncryptionContext,
                                    algorithm: input.sourceEncryptionAlgorithm, c)
        let destination = try await resolve(input.destinationKeyId, c, aliases: true)
        let sealed = try seal(opened.plaintext, with: destination, context: input.destinationEncryptionContext,
                              algorithm: input.destinationEncryptionAlgorithm, operation: "ReEncrypt")
        try Self.dryRun(input.dryRun)
        return KMS.ReEncryptResponse(
            ciphertextBlob: sealed.blob, sourceKeyId: opened.key.record.arn, keyId: destination.record.arn,
            sourceEncryptionAlgorithm: opened.algorithm, destinationEncryptionAlgorithm: sealed.algorithm,
            sourceKeyMaterialId: opened.materialId, destinationKeyMaterialId: sealed.materialId)
    }

    /// The data key length from `KeySpec` or `NumberOfBytes` (exactly one of them).
    static func dataKeyLength(keySpec: KMS.DataKeySpec?, numberOfBytes: Int?) throws(AWSError) -> Int {
        switch (keySpec, numberOfBytes) {
        case (nil, nil):
            throw validation("Please specify either number of bytes or key spec.")
        case (.some, .some):
            throw validation("Please specify either number of bytes or key spec, not both.")
        case (let s?, nil):
            return s == .aes128 ? 16 : 32
        case (nil, let n?):
            return n
        }
    }

    /// A fresh data key sealed under a symmetric key.
    private func dataKey(keyId: String, context: [String: String]?, length: Int, operation: String,
                         dryRun: Bool?, _ c: RequestContext) async throws -> (key: LoadedKey, plain: [UInt8], sealed: Sealed) {
        let key = try await resolve(keyId, c, aliases: true)
        try Self.requireUsable(key)
        guard key.info.isSymmetric, key.record.keyUsage == KMS.KeyUsageType.encryptDecrypt.rawValue else {
            throw KMS.Errors.invalidKeyUsageException("\(key.record.arn) key usage is \(key.record.keyUsage) and key spec is \(key.record.keySpec), which is not valid for \(operation).")
        }
        let plain = SymmetricKey(size: SymmetricKeySize(bitCount: length * 8)).withUnsafeBytes { Array($0) }
        let sealed = try seal(plain, with: key, context: context, algorithm: nil, operation: operation)
        try Self.dryRun(dryRun)
        return (key, plain, sealed)
    }

    func generateDataKey(_ input: KMS.GenerateDataKeyRequest, context c: RequestContext) async throws -> KMS.GenerateDataKeyResponse {
        try Self.checkGrantTokens(input.grantTokens)
        try Self.rejectRecipient(input.recipient)
        let n = try Self.dataKeyLength(keySpec: input.keySpec, numberOfBytes: input.numberOfBytes)
        let r = try await dataKey(keyId: input.keyId, context: input.encryptionContext, length: n,
                                  operation: "GenerateDataKey", dryRun: input.dryRun, c)
        return KMS.GenerateDataKeyResponse(ciphertextBlob: r.sealed.blob, plaintext: r.plain, keyId: r.key.record.arn,
                                           keyMaterialId: r.sealed.materialId)
    }

    func generateDataKeyWithoutPlaintext(_ input: KMS.GenerateDataKeyWithoutPlaintextRequest,
                                         context c: RequestContext) async throws -> KMS.GenerateDataKeyWithoutPlaintextResponse {
        try Self.checkGrantTokens(input.grantTokens)
        let n = try Self.dataKeyLength(keySpec: input.keySpec, numberOfBytes: input.numberOfBytes)
        let r = try await dataKey(keyId: input.keyId, context: input.encryptionContext, length: n,
                                  operation: "GenerateDataKeyWithoutPlaintext", dryRun: input.dryRun, c)
        return KMS.GenerateDataKeyWithoutPlaintextResponse(ciphertextBlob: r.sealed.blob, keyId: r.key.record.arn,
                                                           keyMaterialId: r.sealed.materialId)
    }

    func generateRandom(_ input: KMS.GenerateRandomRequest, context c: RequestContext) async throws -> KMS.GenerateRandomResponse {
        try Self.rejectRecipient(input.recipient)
        if input.customKeyStoreId != nil {
            throw KMS.Errors.customKeyStoreNotFoundException("Custom key stores are not available on this server.")
        }
        // Recorded from AWS: a missing NumberOfBytes has its own text, not the generic null-member one.
        guard let n = input.numberOfBytes else { throw Self.validation("NumberOfBytes is required.") }
        var rng = SystemRandomNumberGenerator()
        return KMS.GenerateRandomResponse(plaintext: (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }
}
