// Verifies SigV4 (Authorization header and presigned query) and says who the caller is.
import Crypto
import Foundation
import Synchronization
import WardenCore

/// A signing credential known to the server.
public struct SigningCredential: Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var principal: Principal
    /// Temporary credentials carry a session token and an expiry.
    public var sessionToken: String?
    public var expiration: Date?

    public init(accessKeyId: String, secretAccessKey: String, principal: Principal, sessionToken: String? = nil,
                expiration: Date? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.principal = principal
        self.sessionToken = sessionToken
        self.expiration = expiration
    }
}

/// Where the verifier finds secrets (strict mode).
public protocol CredentialProvider: Sendable {
    /// The credential of `accessKeyId`; temporary keys (`ASIA…`) are known from the session token they came with.
    func credential(accessKeyId: String, sessionToken: String?) async throws -> SigningCredential?
}

/// The outcome of a successful verification.
public struct AuthenticatedCaller: Sendable {
    public var scope: SigV4Scope
    public var principal: Principal
}

public final class SigV4Verifier: Sendable {
    public enum Mode: Sendable {
        /// Signatures are checked against stored secrets.
        case strict(any CredentialProvider)
        /// Any unknown access key is accepted as the root of `account` (the header is still parsed); keys `known`
        /// (made with CreateAccessKey or by STS) are verified and act as their own principals, so a test suite can
        /// exercise policies without strict mode.
        case dev(account: String, known: (any CredentialProvider)? = nil)
    }

    public static let maxSkew: TimeInterval = 15 * 60
    let mode: Mode
    private let keyCache = Mutex<[String: (secret: String, key: SymmetricKey)]>([:])

    public init(mode: Mode) { self.mode = mode }

    /// Verifies `request` at `now`. Throws the reason it is not authentic.
    public func verify(_ request: SigV4Request, now: Date) async throws(AuthFailure) -> AuthenticatedCaller {
        try await verify(request, auth: try SigV4AuthData.parse(request), now: now)
    }

    /// Verifies with the request's auth data already parsed (the router reads the scope from it first).
    public func verify(_ request: SigV4Request, auth: SigV4AuthData, now: Date) async throws(AuthFailure) -> AuthenticatedCaller {
        let scope = auth.scope
        guard RegionName.isValid(scope.region) else {
            throw .incompleteSignature("Credential should be scoped to a valid region. ")
        }
        let credential: SigningCredential
        switch mode {
        case .dev(let account, let known):
            let found: SigningCredential?
            do { found = try await known?.credential(accessKeyId: scope.accessKeyId, sessionToken: auth.sessionToken) } catch {
                throw .unavailable
            }
            guard let found else {
                let principal = Principal.root(account: account, partition: Partition(region: scope.region),
                                               accessKeyId: scope.accessKeyId)
                return AuthenticatedCaller(scope: scope, principal: principal)
            }
            try checkTime(auth, now: now)
            credential = found
        case .strict(let provider):
            try checkTime(auth, now: now)
            let found: SigningCredential?
            // A store that cannot be read is our fault (500), never reported as the caller's bad key.
            do { found = try await provider.credential(accessKeyId: scope.accessKeyId, sessionToken: auth.sessionToken) } catch {
                throw .unavailable
            }
            guard let found else {
                // A temporary key whose token does not open is a bad token, as AWS words it, not an unknown key.
                if auth.sessionToken != nil { throw .invalidToken }
                throw .unknownAccessKey
            }
            credential = found
        }
        try checkSessionToken(auth.sessionToken, credential: credential, now: now)
        // Only S3 lets the client declare the payload hash (x-amz-content-sha256, possibly UNSIGNED-PAYLOAD).
        // Everywhere else the body is always covered: the hash is ours, so an unsigned or altered body cannot pass.
        let payloadHash: String
        if request.isS3, let declared = request.header("x-amz-content-sha256") {
            payloadHash = declared
        } else if auth.presigned && request.isS3 {
            payloadHash = "UNSIGNED-PAYLOAD"
        } else {
            payloadHash = request.bodySHA256
        }
        guard auth.signedHeaders.contains("host"),
              let canonical = SigV4Canonical.canonicalRequest(request, signedHeaders: auth.signedHeaders,
                                                              payloadHash: payloadHash, presigned: auth.presigned)
        else { throw .signatureMismatch(nil) }
        let toSign = SigV4Canonical.stringToSign(amzDate: auth.amzDate, scope: scope, canonicalRequest: canonical)
        let key = signingKey(secret: credential.secretAccessKey, scope: scope)
        let expected = SigV4Canonical.signature(key: key, stringToSign: toSign)
        guard SigV4Canonical.constantTimeEquals(expected, auth.signature.lowercased()) else {
            throw .signatureMismatch(nil)
        }
        return AuthenticatedCaller(scope: scope, principal: credential.principal)
    }

    func checkTime(_ auth: SigV4AuthData, now: Date) throws(AuthFailure) {
        let requestTime = auth.date
        if auth.presigned {
            let expiry = requestTime.addingTimeInterval(TimeInterval(auth.expires ?? 0))
            if now > expiry { throw .expired("Request has expired.") }
            if requestTime.timeIntervalSince(now) > Self.maxSkew {
                throw .clockSkew("Signature not yet current: \(auth.amzDate) is still later than "
                    + "\(AmzDate.format(now.addingTimeInterval(Self.maxSkew))) (\(AmzDate.format(now)) + 15 min.)")
            }
            return
        }
        if now.timeIntervalSince(requestTime) > Self.maxSkew {
            throw .clockSkew("Signature expired: \(auth.amzDate) is now earlier than "
                + "\(AmzDate.format(now.addingTimeInterval(-Self.maxSkew))) (\(AmzDate.format(now)) - 15 min.)")
        }
        if requestTime.timeIntervalSince(now) > Self.maxSkew {
            throw .clockSkew("Signature not yet current: \(auth.amzDate) is still later than "
                + "\(AmzDate.format(now.addingTimeInterval(Self.maxSkew))) (\(AmzDate.format(now)) + 15 min.)")
        }
    }

    func checkSessionToken(_ token: String?, credential: SigningCredential, now: Date) throws(AuthFailure) {
        switch (token, credential.sessionToken) {
        case (nil, nil): return
        case (nil, .some), (.some, nil): throw .invalidToken
        case (.some(let given), .some(let expected)):
            guard SigV4Canonical.constantTimeEquals(given, expected) else { throw .invalidToken }
            if let exp = credential.expiration, now >= exp { throw .expiredToken }
        }
    }

    /// kSigning is derived with four HMACs; cache it per (key, date, region, service).
    func signingKey(secret: String, scope: SigV4Scope) -> SymmetricKey {
        let cacheKey = "\(scope.accessKeyId)/\(scope.date)/\(scope.region)/\(scope.service)"
        if let hit = keyCache.withLock({ $0[cacheKey] }), SigV4Canonical.constantTimeEquals(hit.secret, secret) {
            return hit.key
        }
        let key = SigV4Canonical.signingKey(secret: secret, scope: scope)
        keyCache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[cacheKey] = (secret, key)
        }
        return key
    }
}
