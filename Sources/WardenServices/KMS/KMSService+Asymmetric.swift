// Asymmetric and MAC operations: Sign, Verify, GetPublicKey, DeriveSharedSecret, GenerateDataKeyPair*, GenerateMac, VerifyMac.
import Crypto
import WardenAPI
import WardenCore

extension KMSService {
    /// The digest a Sign/Verify call covers: RAW messages are hashed here, DIGEST messages must already be one.
    static func digest(_ message: [UInt8], type: KMS.MessageType?, hash: HashAlgorithm,
                       algorithm: KMS.SigningAlgorithmSpec) throws(AWSError) -> [UInt8] {
        switch type ?? .raw {
        case .raw:
            return try Digests.hash(message, hash)
        case .digest:
            guard message.count == hash.byteCount else {
                throw validation("Digest is invalid length for algorithm \(algorithm.rawValue).")
            }
            return message
        default:
            throw validation("MessageType \((type ?? .raw).rawValue) is not valid for algorithm \(algorithm.rawValue).")
        }
    }

    /// The signing key, checked for state, usage and algorithm, with the digest to sign or verify.
    private func signingInput(keyId: String, message: [UInt8], type: KMS.MessageType?, algorithm: KMS.SigningAlgorithmSpec,
                              operation: String, _ c: RequestContext) async throws -> (key: LoadedKey, material: KeyMaterial, digest: [UInt8], hash: HashAlgorithm) {
        let (key, material) = try await usableKey(keyId, c, aliases: true, usage: .signVerify, operation: operation,
                                                  algorithm: algorithm.rawValue) { $0.info.signingAlgorithms.contains(algorithm) }
        guard let hash = HashAlgorithm(signing: algorithm) else { throw AWSError.internalFailure() }
        let digest = try Self.digest(message, type: type, hash: hash, algorithm: algorithm)
        return (key, material, digest, hash)
    }

    func sign(_ input: KMS.SignRequest, context c: RequestContext) async throws -> KMS.SignResponse {
        try Self.checkGrantTokens(input.grantTokens)
        let s = try await signingInput(keyId: input.keyId, message: input.message, type: input.messageType,
                                       algorithm: input.signingAlgorithm, operation: "Sign", c)
        try Self.dryRun(input.dryRun)
        let signature = try s.material.sign(digest: s.digest, hash: s.hash, algorithm: input.signingAlgorithm)
        return KMS.SignResponse(keyId: s.key.record.arn, signature: signature, signingAlgorithm: input.signingAlgorithm)
    }

    func verify(_ input: KMS.VerifyRequest, context c: RequestContext) async throws -> KMS.VerifyResponse {
        try Self.checkGrantTokens(input.grantTokens)
        let s = try await signingInput(keyId: input.keyId, message: input.message, type: input.messageType,
                                       algorithm: input.signingAlgorithm, operation: "Verify", c)
        try Self.dryRun(input.dryRun)
        guard try s.material.verify(signature: input.signature, digest: s.digest, hash: s.hash, algorithm: input.signingAlgorithm) else {
            throw KMS.Errors.kmsInvalidSignatureException("")
        }
        return KMS.VerifyResponse(keyId: s.key.record.arn, signatureValid: true, signingAlgorithm: input.signingAlgorithm)
    }

    func getPublicKey(_ input: KMS.GetPublicKeyRequest, context c: RequestContext) async throws -> KMS.GetPublicKeyResponse {
        try Self.checkGrantTokens(input.grantTokens)
        let key = try await resolve(input.keyId, c, aliases: true)
        switch key.info.family {
        case .rsa, .ecc: break
        default:
            throw KMS.Errors.unsupportedOperationException("\(key.record.arn) key usage is \(key.record.keyUsage) and key spec is \(key.record.keySpec), which is not valid for GetPublicKey.")
        }
        try Self.requireUsable(key)
        guard let material = key.current else { throw AWSError.internalFailure() }
        let m = key.record.metadata
        return KMS.GetPublicKeyResponse(
            keyId: key.record.arn, publicKey: try material.publicKeyDER(), customerMasterKeySpec: m.customerMasterKeySpec,
            keySpec: m.keySpec, keyUsage: m.keyUsage, encryptionAlgorithms: m.encryptionAlgorithms,
            signingAlgorithms: m.signingAlgorithms, keyAgreementAlgorithms: m.keyAgreementAlgorithms)
    }

    func deriveSharedSecret(_ input: KMS.DeriveSharedSecretRequest, context c: RequestContext) async throws -> KMS.DeriveSharedSecretResponse {
        try Self.checkGrantTokens(input.grantTokens)
        try Self.rejectRecipient(input.recipient)
        let (key, material) = try await usableKey(input.keyId, c, aliases: true, usage: .keyAgreement, operation: "DeriveSharedSecret",
                                                  algorithm: input.keyAgreementAlgorithm.rawValue) { _ in input.keyAgreementAlgorithm == .ecdh }
        guard let secret = try material.sharedSecret(peerSPKI: input.publicKey) else {
            // Recorded from AWS: a PublicKey that is not a usable SPKI gets a ValidationException with no message.
            throw Self.validation("")
        }
        try Self.dryRun(input.dryRun)
        return KMS.DeriveSharedSecretResponse(keyId: key.record.arn, sharedSecret: secret, keyAgreementAlgorithm: .ecdh,
                                              keyOrigin: KMS.OriginType(rawValue: key.record.origin))
    }

    /// A new key pair whose private key is sealed under a symmetric KMS key.
    private func dataKeyPair(keyId: String, spec: KMS.DataKeyPairSpec, context: [String: String]?, operation: String,
                             dryRun: Bool?, _ c: RequestContext) async throws -> (key: LoadedKey, pkcs8: [UInt8], spki: [UInt8], sealed: Sealed) {
        let key = try await resolve(keyId, c, aliases: true)
        try Self.requireUsable(key)
        guard key.info.isSymmetric, key.record.keyUsage == KMS.KeyUsageType.encryptDecrypt.rawValue else {
            throw KMS.Errors.invalidKeyUsageException("\(key.record.arn) key usage is \(key.record.keyUsage) and key spec is \(key.record.keySpec), which is not valid for \(operation).")
        }
        guard let info = KeySpecInfo(spec.rawValue), !info.isSymmetric else {
            throw KMS.Errors.unsupportedOperationException("KeyPairSpec \(spec.rawValue) is not supported in this region.")
        }
        try Self.dryRun(dryRun)
        let pair = try KeyMaterial(info, raw: try KeyMaterial.generate(info))
        let pkcs8 = try pair.privateKeyPKCS8()
        let sealed = try seal(pkcs8, with: key, context: context, algorithm: nil, operation: operation)
        return (key, pkcs8, try pair.publicKeyDER(), sealed)
    }

    func generateDataKeyPair(_ input: KMS.GenerateDataKeyPairRequest, context c: RequestContext) async throws -> KMS.GenerateDataKeyPairResponse {
        try Self.checkGrantTokens(input.grantTokens)
        try Self.rejectRecipient(input.recipient)
        let r = try await dataKeyPair(keyId: input.keyId, spec: input.keyPairSpec, context: input.encryptionContext,
                                      operation: "GenerateDataKeyPair", dryRun: input.dryRun, c)
        return KMS.GenerateDataKeyPairResponse(
            privateKeyCiphertextBlob: r.sealed.blob, privateKeyPlaintext: r.pkcs8, publicKey: r.spki,
            keyId: r.key.record.arn, keyPairSpec: input.keyPairSpec, keyMaterialId: r.sealed.materialId)
    }

    func generateDataKeyPairWithoutPlaintext(_ input: KMS.GenerateDataKeyPairWithoutPlaintextRequest,
                                             context c: RequestContext) async throws -> KMS.GenerateDataKeyPairWithoutPlaintextResponse {
        try Self.checkGrantTokens(input.grantTokens)
        let r = try await dataKeyPair(keyId: input.keyId, spec: input.keyPairSpec, context: input.encryptionContext,
                                      operation: "GenerateDataKeyPairWithoutPlaintext", dryRun: input.dryRun, c)
        return KMS.GenerateDataKeyPairWithoutPlaintextResponse(
            privateKeyCiphertextBlob: r.sealed.blob, publicKey: r.spki, keyId: r.key.record.arn,
            keyPairSpec: input.keyPairSpec, keyMaterialId: r.sealed.materialId)
    }

    private func macInput(keyId: String, algorithm: KMS.MacAlgorithmSpec, operation: String,
                          _ c: RequestContext) async throws -> (key: LoadedKey, material: KeyMaterial, hash: HashAlgorithm) {
        let (key, material) = try await usableKey(keyId, c, aliases: false, usage: .generateVerifyMac, operation: operation,
                                                  algorithm: algorithm.rawValue) { $0.info.macAlgorithms.contains(algorithm) }
        guard let hash = HashAlgorithm(mac: algorithm) else { throw AWSError.internalFailure() }
        return (key, material, hash)
    }

    func generateMac(_ input: KMS.GenerateMacRequest, context c: RequestContext) async throws -> KMS.GenerateMacResponse {
        try Self.checkGrantTokens(input.grantTokens)
        let m = try await macInput(keyId: input.keyId, algorithm: input.macAlgorithm, operation: "GenerateMac", c)
        try Self.dryRun(input.dryRun)
        return KMS.GenerateMacResponse(mac: try m.material.mac(input.message, hash: m.hash), macAlgorithm: input.macAlgorithm,
                                       keyId: m.key.record.arn)
    }

    func verifyMac(_ input: KMS.VerifyMacRequest, context c: RequestContext) async throws -> KMS.VerifyMacResponse {
        try Self.checkGrantTokens(input.grantTokens)
        let m = try await macInput(keyId: input.keyId, algorithm: input.macAlgorithm, operation: "VerifyMac", c)
        try Self.dryRun(input.dryRun)
        let expected = try m.material.mac(input.message, hash: m.hash)
        guard Self.constantTimeEqual(expected, input.mac) else { throw KMS.Errors.kmsInvalidMacException("") }
        return KMS.VerifyMacResponse(keyId: m.key.record.arn, macValid: true, macAlgorithm: input.macAlgorithm)
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
