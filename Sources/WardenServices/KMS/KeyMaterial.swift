// Key material parsed and ready for use: generation, signing, verification, RSA encryption, MACs and ECDH.
import COpenSSLShim
import Crypto
import _CryptoExtras
import Foundation
import WardenAPI
import WardenCore

/// One generation of a key's material, parsed once and cached; the stored form is `raw`.
enum KeyMaterial: Sendable {
    case symmetric(SymmetricKey)
    case rsa(_RSA.Signing.PrivateKey, RSAEncryptionKey)
    case p256(P256.Signing.PrivateKey)
    case p384(P384.Signing.PrivateKey)
    case p521(P521.Signing.PrivateKey)
    case secp256k1([UInt8])
    case hmac(SymmetricKey)

    /// Fresh material for a spec, in its stored form: AES/HMAC bytes, RSA PKCS#1 DER, EC private scalar.
    static func generate(_ info: KeySpecInfo) throws -> [UInt8] {
        switch info.family {
        case .symmetric:
            return SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        case .hmac(let bits):
            return SymmetricKey(size: SymmetricKeySize(bitCount: bits)).withUnsafeBytes { Array($0) }
        case .rsa(let bits):
            return Array(try _RSA.Signing.PrivateKey(keySize: .init(bitCount: bits)).derRepresentation)
        case .ecc(.p256): return Array(P256.Signing.PrivateKey().rawRepresentation)
        case .ecc(.p384): return Array(P384.Signing.PrivateKey().rawRepresentation)
        case .ecc(.p521): return Array(P521.Signing.PrivateKey().rawRepresentation)
        case .ecc(.secp256k1):
            var priv = [UInt8](repeating: 0, count: 32)
            guard warden_k1_generate(&priv) == 1 else { throw AWSError.internalFailure() }
            return priv
        }
    }

    /// Parses stored material; a spec/material mismatch is a storage bug, answered as an internal failure.
    init(_ info: KeySpecInfo, raw: [UInt8]) throws {
        do {
            switch info.family {
            case .symmetric: self = .symmetric(SymmetricKey(data: raw))
            case .hmac: self = .hmac(SymmetricKey(data: raw))
            case .rsa:
                self = .rsa(try _RSA.Signing.PrivateKey(derRepresentation: raw),
                            RSAEncryptionKey(key: try _RSA.Encryption.PrivateKey(derRepresentation: raw)))
            case .ecc(.p256): self = .p256(try P256.Signing.PrivateKey(rawRepresentation: raw))
            case .ecc(.p384): self = .p384(try P384.Signing.PrivateKey(rawRepresentation: raw))
            case .ecc(.p521): self = .p521(try P521.Signing.PrivateKey(rawRepresentation: raw))
            case .ecc(.secp256k1):
                guard raw.count == 32 else { throw AWSError.internalFailure() }
                self = .secp256k1(raw)
            }
        } catch {
            throw AWSError.internalFailure("The key material could not be loaded.")
        }
    }

    var symmetricKey: SymmetricKey? {
        if case .symmetric(let k) = self { return k }
        return nil
    }

    /// DER SubjectPublicKeyInfo, as GetPublicKey answers.
    func publicKeyDER() throws -> [UInt8] {
        switch self {
        case .rsa(let k, _): return Array(k.publicKey.derRepresentation)
        case .p256(let k): return Array(k.publicKey.derRepresentation)
        case .p384(let k): return Array(k.publicKey.derRepresentation)
        case .p521(let k): return Array(k.publicKey.derRepresentation)
        case .secp256k1(let d): return try Self.k1Out { warden_k1_public_spki(d, $0, $1) }
        case .symmetric, .hmac: throw AWSError.internalFailure()
        }
    }

    /// DER PKCS#8 PrivateKeyInfo, as GenerateDataKeyPair hands out.
    func privateKeyPKCS8() throws -> [UInt8] {
        switch self {
        case .rsa(let k, _): return Array(k.pkcs8DERRepresentation)
        case .p256(let k): return Array(k.derRepresentation)
        case .p384(let k): return Array(k.derRepresentation)
        case .p521(let k): return Array(k.derRepresentation)
        case .secp256k1(let d): return try Self.k1Out { warden_k1_private_pkcs8(d, $0, $1) }
        case .symmetric, .hmac: throw AWSError.internalFailure()
        }
    }

    private static func k1Out(_ body: (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<Int>) -> Int32) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 512)
        var n = out.count
        let ok = out.withUnsafeMutableBufferPointer { buf -> Int32 in
            guard let base = buf.baseAddress else { return 0 }
            return body(base, &n)
        }
        guard ok == 1 else { throw AWSError.internalFailure() }
        return Array(out[..<n])
    }
}

// MARK: Signing

extension KeyMaterial {
    /// Signs a digest of `hash`'s length (the caller hashed a RAW message already). ECDSA signatures are DER.
    func sign(digest: [UInt8], hash: HashAlgorithm, algorithm: KMS.SigningAlgorithmSpec) throws -> [UInt8] {
        switch self {
        case .rsa(let k, _):
            let d = try Digests.typed(digest, hash)
            return Array(try k.signature(for: d, padding: Self.rsaPadding(algorithm)).rawRepresentation)
        case .p256(let k): return Array(try k.signature(for: try Digests.typed(digest, hash)).derRepresentation)
        case .p384(let k): return Array(try k.signature(for: try Digests.typed(digest, hash)).derRepresentation)
        case .p521(let k): return Array(try k.signature(for: try Digests.typed(digest, hash)).derRepresentation)
        case .secp256k1(let d):
            return try Self.k1Out { out, n in warden_k1_sign(d, digest, digest.count, out, n) }
        case .symmetric, .hmac: throw AWSError.internalFailure()
        }
    }

    func verify(signature: [UInt8], digest: [UInt8], hash: HashAlgorithm, algorithm: KMS.SigningAlgorithmSpec) throws -> Bool {
        switch self {
        case .rsa(let k, _):
            let d = try Digests.typed(digest, hash)
            return k.publicKey.isValidSignature(.init(rawRepresentation: signature), for: d, padding: Self.rsaPadding(algorithm))
        case .p256(let k):
            guard let s = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.publicKey.isValidSignature(s, for: try Digests.typed(digest, hash))
        case .p384(let k):
            guard let s = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.publicKey.isValidSignature(s, for: try Digests.typed(digest, hash))
        case .p521(let k):
            guard let s = try? P521.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.publicKey.isValidSignature(s, for: try Digests.typed(digest, hash))
        case .secp256k1(let d):
            return warden_k1_verify(d, digest, digest.count, signature, signature.count) == 1
        case .symmetric, .hmac: throw AWSError.internalFailure()
        }
    }

    static func rsaPadding(_ a: KMS.SigningAlgorithmSpec) -> _RSA.Signing.Padding {
        switch a {
        case .rsassaPkcs1V15Sha256, .rsassaPkcs1V15Sha384, .rsassaPkcs1V15Sha512: return .insecurePKCS1v1_5
        default: return .PSS
        }
    }
}

// MARK: RSA encryption, MACs, key agreement

extension KeyMaterial {
    static func oaep(_ a: KMS.EncryptionAlgorithmSpec) -> _RSA.Encryption.Padding {
        a == .rsaesOaepSha1 ? .PKCS1_OAEP : .PKCS1_OAEP_SHA256
    }

    /// The largest plaintext RSA-OAEP takes with this key and algorithm (k − 2·hLen − 2).
    func rsaMaxPlaintext(_ a: KMS.EncryptionAlgorithmSpec) -> Int {
        guard case .rsa(_, let k) = self else { return 0 }
        return k.key.publicKey.maximumEncryptSize(with: Self.oaep(a))
    }

    func rsaEncrypt(_ plaintext: [UInt8], _ a: KMS.EncryptionAlgorithmSpec) throws -> [UInt8] {
        guard case .rsa(_, let k) = self else { throw AWSError.internalFailure() }
        return Array(try k.key.publicKey.encrypt(plaintext, padding: Self.oaep(a)))
    }

    /// Nil when the ciphertext does not open under this key and algorithm.
    func rsaDecrypt(_ ciphertext: [UInt8], _ a: KMS.EncryptionAlgorithmSpec) -> [UInt8]? {
        guard case .rsa(_, let k) = self else { return nil }
        return (try? k.key.decrypt(ciphertext, padding: Self.oaep(a))).map(Array.init)
    }

    func mac(_ message: [UInt8], hash: HashAlgorithm) throws -> [UInt8] {
        guard case .hmac(let key) = self else { throw AWSError.internalFailure() }
        switch hash {
        case .sha224:
            var out = [UInt8](repeating: 0, count: 28)
            let ok = key.withUnsafeBytes { k in
                warden_hmac_sha224(k.bindMemory(to: UInt8.self).baseAddress, k.count, message, message.count, &out)
            }
            guard ok == 1 else { throw AWSError.internalFailure() }
            return out
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        case .sha384: return Array(HMAC<SHA384>.authenticationCode(for: message, using: key))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
        }
    }

    /// ECDH with the peer's DER SubjectPublicKeyInfo: the raw shared secret (the x-coordinate). Nil for a bad peer key.
    func sharedSecret(peerSPKI: [UInt8]) throws -> [UInt8]? {
        func raw(_ s: SharedSecret) -> [UInt8] { s.withUnsafeBytes { Array($0) } }
        switch self {
        case .p256(let k):
            guard let p = try? P256.KeyAgreement.PublicKey(derRepresentation: peerSPKI) else { return nil }
            return raw(try P256.KeyAgreement.PrivateKey(rawRepresentation: k.rawRepresentation).sharedSecretFromKeyAgreement(with: p))
        case .p384(let k):
            guard let p = try? P384.KeyAgreement.PublicKey(derRepresentation: peerSPKI) else { return nil }
            return raw(try P384.KeyAgreement.PrivateKey(rawRepresentation: k.rawRepresentation).sharedSecretFromKeyAgreement(with: p))
        case .p521(let k):
            guard let p = try? P521.KeyAgreement.PublicKey(derRepresentation: peerSPKI) else { return nil }
            return raw(try P521.KeyAgreement.PrivateKey(rawRepresentation: k.rawRepresentation).sharedSecretFromKeyAgreement(with: p))
        default: throw AWSError.internalFailure()
        }
    }
}

/// swift-crypto's RSA encryption key is not marked Sendable, but it is an immutable handle to a BoringSSL RSA
/// object, whose private operations are safe from several threads (blinding is guarded inside BoringSSL).
struct RSAEncryptionKey: @unchecked Sendable {
    let key: _RSA.Encryption.PrivateKey
}

/// Message digests, and swift-crypto digest values made from digest bytes a client sent (MessageType=DIGEST).
enum Digests {
    /// The digest of a RAW message for signing (SHA-224 is only a MAC hash here, computed by OpenSSL's HMAC).
    static func hash(_ message: [UInt8], _ h: HashAlgorithm) throws(AWSError) -> [UInt8] {
        switch h {
        case .sha224: throw AWSError.internalFailure()
        case .sha256: return Array(SHA256.hash(data: message))
        case .sha384: return Array(SHA384.hash(data: message))
        case .sha512: return Array(SHA512.hash(data: message))
        }
    }

    static func typed(_ bytes: [UInt8], _ h: HashAlgorithm) throws -> any Digest {
        switch h {
        case .sha256: return try load(bytes, SHA256Digest.self)
        case .sha384: return try load(bytes, SHA384Digest.self)
        case .sha512: return try load(bytes, SHA512Digest.self)
        case .sha224: throw AWSError.internalFailure()
        }
    }

    /// swift-crypto has no public initializer from bytes; its digests are plain fixed-size byte values, so the bytes
    /// are loaded as one — and read back to prove the layout, so a library change fails closed instead of signing
    /// something else.
    private static func load<D: Digest>(_ bytes: [UInt8], _ type: D.Type) throws -> D {
        guard bytes.count == D.byteCount, MemoryLayout<D>.size == D.byteCount else { throw AWSError.internalFailure() }
        let d = bytes.withUnsafeBytes { $0.loadUnaligned(as: D.self) }
        guard d.elementsEqual(bytes) else { throw AWSError.internalFailure() }
        return d
    }
}
