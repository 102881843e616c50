// What each KMS key spec is: its family, the usages AWS allows for it and the algorithms it lists.
import WardenAPI

struct KeySpecInfo: Sendable {
    enum Family: Sendable, Equatable {
        case symmetric
        case rsa(bits: Int)
        case ecc(Curve)
        case hmac(bits: Int)
    }

    enum Curve: String, Sendable {
        case p256, p384, p521, secp256k1
    }

    let spec: String
    let family: Family
    let usages: [KMS.KeyUsageType]

    /// Nil for a spec Warden does not serve (SM2 outside China, ML-DSA, Ed25519).
    init?(_ spec: String) {
        self.spec = spec
        switch spec {
        case "SYMMETRIC_DEFAULT": family = .symmetric; usages = [.encryptDecrypt]
        case "RSA_2048": family = .rsa(bits: 2048); usages = [.encryptDecrypt, .signVerify]
        case "RSA_3072": family = .rsa(bits: 3072); usages = [.encryptDecrypt, .signVerify]
        case "RSA_4096": family = .rsa(bits: 4096); usages = [.encryptDecrypt, .signVerify]
        case "ECC_NIST_P256": family = .ecc(.p256); usages = [.signVerify, .keyAgreement]
        case "ECC_NIST_P384": family = .ecc(.p384); usages = [.signVerify, .keyAgreement]
        case "ECC_NIST_P521": family = .ecc(.p521); usages = [.signVerify, .keyAgreement]
        case "ECC_SECG_P256K1": family = .ecc(.secp256k1); usages = [.signVerify]
        case "HMAC_224": family = .hmac(bits: 224); usages = [.generateVerifyMac]
        case "HMAC_256": family = .hmac(bits: 256); usages = [.generateVerifyMac]
        case "HMAC_384": family = .hmac(bits: 384); usages = [.generateVerifyMac]
        case "HMAC_512": family = .hmac(bits: 512); usages = [.generateVerifyMac]
        default: return nil
        }
    }

    var isSymmetric: Bool { family == .symmetric }

    var encryptionAlgorithms: [KMS.EncryptionAlgorithmSpec] {
        switch family {
        case .symmetric: return [.symmetricDefault]
        case .rsa: return [.rsaesOaepSha1, .rsaesOaepSha256]
        default: return []
        }
    }

    var signingAlgorithms: [KMS.SigningAlgorithmSpec] {
        switch family {
        case .rsa: return [.rsassaPssSha256, .rsassaPssSha384, .rsassaPssSha512,
                           .rsassaPkcs1V15Sha256, .rsassaPkcs1V15Sha384, .rsassaPkcs1V15Sha512]
        case .ecc(.p256), .ecc(.secp256k1): return [.ecdsaSha256]
        case .ecc(.p384): return [.ecdsaSha384]
        case .ecc(.p521): return [.ecdsaSha512]
        default: return []
        }
    }

    var macAlgorithms: [KMS.MacAlgorithmSpec] {
        switch family {
        case .hmac(224): return [.hmacSha224]
        case .hmac(256): return [.hmacSha256]
        case .hmac(384): return [.hmacSha384]
        case .hmac(512): return [.hmacSha512]
        default: return []
        }
    }
}

/// The hash a signing or MAC algorithm uses.
enum HashAlgorithm: Sendable {
    case sha224, sha256, sha384, sha512

    var byteCount: Int {
        switch self {
        case .sha224: 28
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    init?(signing a: KMS.SigningAlgorithmSpec) {
        switch a {
        case .rsassaPssSha256, .rsassaPkcs1V15Sha256, .ecdsaSha256: self = .sha256
        case .rsassaPssSha384, .rsassaPkcs1V15Sha384, .ecdsaSha384: self = .sha384
        case .rsassaPssSha512, .rsassaPkcs1V15Sha512, .ecdsaSha512: self = .sha512
        default: return nil
        }
    }

    init?(mac a: KMS.MacAlgorithmSpec) {
        switch a {
        case .hmacSha224: self = .sha224
        case .hmacSha256: self = .sha256
        case .hmacSha384: self = .sha384
        case .hmacSha512: self = .sha512
        default: return nil
        }
    }
}
