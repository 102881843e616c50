// Signs SNS messages as AWS does (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA, over the documented string) with
// an RSA key whose self-signed certificate Warden serves at the SigningCertURL.
import COpenSSLShim
import Crypto
import CryptoExtras
import Foundation
import Synchronization
import WardenCore
import WardenStorage

public struct NotificationSigner: Sendable {
    let key: _RSA.Signing.PrivateKey.SendableBox
    /// The certificate as PEM, and the name it is served under (`SimpleNotificationService-<sha1>.pem`).
    public let certificatePEM: String
    public let certificateName: String

    /// Loads the key (sealed in storage) or makes it and its certificate on first start.
    public static func load(_ repository: TopicRepository) async throws -> NotificationSigner {
        let (privateDER, cert) = try await repository.signingKey(name: "sns") {
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let der = Array(key.derRepresentation)
            var out = [UInt8](repeating: 0, count: 4096)
            var len = out.count
            guard warden_self_signed_cert(der, der.count, "sns.amazonaws.com", 3650, &out, &len) == 1 else {
                throw StorageError("cannot make the SNS signing certificate")
            }
            return (der, Array(out.prefix(len)))
        }
        let key = try _RSA.Signing.PrivateKey(derRepresentation: privateDER)
        let b64 = Data(cert).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        let pem = "-----BEGIN CERTIFICATE-----\n\(b64)\n-----END CERTIFICATE-----\n"
        let name = "SimpleNotificationService-\(Hex.encode(Insecure.SHA1.hash(data: cert))).pem"
        return NotificationSigner(key: .init(key), certificatePEM: pem, certificateName: name)
    }

    /// Base64 signature of `fields` (already in the documented order, absent ones left out).
    func sign(_ fields: [(String, String)], version: String) throws -> String {
        var text = ""
        for (k, v) in fields { text += "\(k)\n\(v)\n" }
        let bytes = Array(text.utf8)
        let signature = version == "2"
            ? try key.value.signature(for: SHA256.hash(data: bytes), padding: .insecurePKCS1v1_5)
            : try key.value.signature(for: Insecure.SHA1.hash(data: bytes), padding: .insecurePKCS1v1_5)
        return Data(signature.rawRepresentation).base64EncodedString()
    }
}

extension _RSA.Signing.PrivateKey {
    /// swift-crypto's RSA keys are not Sendable; this one is only read after creation.
    struct SendableBox: @unchecked Sendable {
        let value: _RSA.Signing.PrivateKey
        init(_ value: _RSA.Signing.PrivateKey) { self.value = value }
    }
}

/// The signer, loaded from storage on first use (so a server whose root key cannot open it still starts, and fails
/// only the calls that need it).
public final class LazyNotificationSigner: Sendable {
    let repository: TopicRepository
    private let loaded = Mutex<NotificationSigner?>(nil)

    public init(repository: TopicRepository) { self.repository = repository }

    public func get() async throws -> NotificationSigner {
        if let s = loaded.withLock({ $0 }) { return s }
        let s = try await NotificationSigner.load(repository)
        loaded.withLock { $0 = s }
        return s
    }
}
