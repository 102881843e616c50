// The credentials of a platform application: checked when they are set (parsed, and the APNs certificate matched
// with its private key), kept sealed, and turned into what a delivery needs.
import Crypto
import _CryptoExtras
import Foundation
import NIOSSL
import WardenAPI
import WardenCore

/// What the sealed credentials column holds: the two attributes exactly as given.
struct StoredCredentials: Codable, Sendable, Equatable {
    var credential: String
    var principal: String?
}

/// A parsed credential, ready for delivery.
enum PushCredential: Sendable {
    /// APNs, certificate-based: the TLS client identity; the bundle id is the certificate's UID, when it has one.
    case apnsCertificate(certificatePEM: String, keyPEM: String, bundleId: String?, expires: Date)
    /// APNs, token-based: the .p8 signing key and its key id.
    case apnsToken(keyPEM: String, keyId: String)
    /// FCM HTTP v1 with a service account.
    case fcmServiceAccount(clientEmail: String, keyPEM: String, projectId: String, tokenURI: String)
    /// FCM with a legacy server key.
    case fcmKey(String)
    /// ADM (client id/secret), Baidu (API key/secret key), MPNS (certificate/key), WNS (package SID/secret).
    case other(principal: String?, credential: String)

    var authenticationMethod: String? {
        switch self {
        case .apnsCertificate: return "Certificate"
        case .apnsToken, .fcmServiceAccount: return "Token"
        case .fcmKey: return "Key"
        case .other: return nil
        }
    }
}

extension SNSService {
    /// "Invalid parameter: Attributes Reason: Platform credentials are invalid", as SNS refuses credentials it cannot
    /// use (recorded in public issue threads: terraform-provider-aws #20309, aws-sdk-ruby #1328).
    static var badCredentials: AWSError { invalid("Attributes Reason: Platform credentials are invalid") }

    static func isApple(_ platform: String) -> Bool { platform.hasPrefix("APNS") }

    /// Parses and checks an application's credentials for its platform. `attributes` are the application's other
    /// attributes (token-based APNs needs ApplePlatformTeamID and ApplePlatformBundleID).
    static func parseCredentials(platform: String, _ stored: StoredCredentials, attributes: [String: String],
                                 now: Date) throws(AWSError) -> PushCredential {
        let credential = stored.credential
        guard !credential.isEmpty else {
            // Observed text (LocalStack's earlier provider, written from AWS's answer).
            throw invalid("Attributes Reason: Invalid value for attribute: PlatformCredential: cannot be empty")
        }
        switch platform {
        case _ where isApple(platform):
            guard let principal = stored.principal, !principal.isEmpty else {
                throw invalid("Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal")
            }
            if principal.contains("-----BEGIN") {
                return try apnsCertificate(principal, credential, now: now)
            }
            // Token-based: PlatformPrincipal is the signing key's id, PlatformCredential the .p8 key (P-256).
            guard (try? P256.Signing.PrivateKey(pemRepresentation: credential)) != nil,
                  principal.count <= 64, principal.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw badCredentials
            }
            guard let team = attributes["ApplePlatformTeamID"], !team.isEmpty,
                  let bundle = attributes["ApplePlatformBundleID"], !bundle.isEmpty else {
                // AWS's exact message is not documented; SNS needs both for token-based authentication.
                throw invalid("Attributes Reason: ApplePlatformTeamID and ApplePlatformBundleID are required for token-based authentication")
            }
            return .apnsToken(keyPEM: credential, keyId: principal)
        case "GCM":
            if credential.hasPrefix("{") {
                // A service account's JSON key file (FCM HTTP v1).
                guard case .object? = try? JSONParser.parse(Array(credential.utf8)),
                      let doc = try? JSONParser.parse(Array(credential.utf8)),
                      let email = doc["client_email"]?.stringValue, !email.isEmpty,
                      let key = doc["private_key"]?.stringValue, (try? _RSA.Signing.PrivateKey(pemRepresentation: key)) != nil,
                      let project = doc["project_id"]?.stringValue, !project.isEmpty,
                      let tokenURI = doc["token_uri"]?.stringValue, let url = URL(string: tokenURI),
                      ["http", "https"].contains(url.scheme ?? "") else {
                    throw badCredentials
                }
                return .fcmServiceAccount(clientEmail: email, keyPEM: key, projectId: project, tokenURI: tokenURI)
            }
            // A legacy server key: Warden cannot ask Google whether it is live, so it is taken as given (AWS checks
            // it with Google, which has refused legacy keys since the legacy API was shut down in 2024).
            guard !credential.contains(where: { $0.isWhitespace }) else { throw badCredentials }
            return .fcmKey(credential)
        default:
            guard let principal = stored.principal, !principal.isEmpty else {
                throw invalid("Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal")
            }
            if platform == "MPNS", principal.contains("-----BEGIN") {
                _ = try apnsCertificate(principal, credential, now: now, name: "PlatformPrincipal")
            }
            return .other(principal: principal, credential: credential)
        }
    }

    /// A PEM certificate and its PEM private key: both must parse, and the key must be the certificate's.
    static func apnsCertificate(_ certificatePEM: String, _ keyPEM: String, now: Date,
                                name: String = "PlatformPrincipal") throws(AWSError) -> PushCredential {
        guard let certificate = try? NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).first,
              let spki = try? certificate.extractPublicKey().toSPKIBytes() else {
            // Recorded from SNS (soto-project/soto #107).
            throw invalid("\(name) not valid.")
        }
        guard let keySPKI = publicKeyInfo(ofPrivateKey: keyPEM), keySPKI == spki else { throw badCredentials }
        let expires = Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter))
        guard expires > now, let der = try? certificate.toDERBytes() else { throw badCredentials }
        return .apnsCertificate(certificatePEM: certificatePEM, keyPEM: keyPEM, bundleId: userID(der), expires: expires)
    }

    /// The SubjectPublicKeyInfo of a PEM private key (RSA or P-256/P-384/P-521), to compare with a certificate's.
    static func publicKeyInfo(ofPrivateKey pem: String) -> [UInt8]? {
        if let k = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) { return Array(k.publicKey.derRepresentation) }
        if let k = try? P256.Signing.PrivateKey(pemRepresentation: pem) { return Array(k.publicKey.derRepresentation) }
        if let k = try? P384.Signing.PrivateKey(pemRepresentation: pem) { return Array(k.publicKey.derRepresentation) }
        if let k = try? P521.Signing.PrivateKey(pemRepresentation: pem) { return Array(k.publicKey.derRepresentation) }
        return nil
    }

    /// The subject's UID (OID 0.9.2342.19200300.100.1.1) of a DER certificate: Apple's push certificates carry the
    /// app's bundle id there, which is the apns-topic. The first UID in the certificate is the subject's (the issuer,
    /// Apple's intermediate, has none).
    static func userID(_ der: [UInt8]) -> String? {
        let oid: [UInt8] = [0x06, 0x0A, 0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x01]
        guard der.count > oid.count else { return nil }
        for i in 0...(der.count - oid.count) where Array(der[i..<(i + oid.count)]) == oid {
            var j = i + oid.count
            // A string type (UTF8String, PrintableString, IA5String …) with a short length.
            guard j + 2 <= der.count else { return nil }
            let length = Int(der[j + 1])
            j += 2
            guard length < 0x80, j + length <= der.count else { return nil }
            return String(decoding: der[j..<(j + length)], as: UTF8.self)
        }
        return nil
    }

    /// A credential's expiry as GetPlatformApplicationAttributes shows AppleCertificateExpiryDate.
    // AWS's exact format is not documented; Warden writes ISO 8601 in UTC without fractions.
    static func expiryText(_ d: Date) -> String { Timestamps.iso8601(d, fractional: false) }
}
