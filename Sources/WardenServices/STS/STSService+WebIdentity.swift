// AssumeRoleWithWebIdentity: an OpenID Connect token (a JWT) from a provider registered in IAM is exchanged for a role
// session. The token's signature is checked against the provider's published keys (JWKS), then the role's trust policy
// decides with the provider's `aud`/`sub` claims as condition keys.
import Crypto
import Foundation
import Synchronization
import WardenAPI
import WardenCore
import WardenPolicy
import _CryptoExtras

/// The signing keys of each issuer, fetched through its discovery document and kept for ten minutes.
final class JWKSCache: Sendable {
    let http: OutboundHTTP
    private let keys = Mutex<[String: (keys: [JSONValue], until: Date)]>([:])

    init(http: OutboundHTTP) { self.http = http }

    func keys(issuer: String, now: Date) async throws -> [JSONValue] {
        if let hit = keys.withLock({ $0[issuer] }), hit.until > now { return hit.keys }
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        // An issuer that cannot be reached, or answers anything but its documents, is STS's "couldn't retrieve".
        guard let discovery = try? await http.send("GET", url: base + "/.well-known/openid-configuration", headers: [], body: []),
              discovery.status == 200, let doc = try? JSONParser.parse(discovery.body),
              let uri = doc["jwks_uri"]?.stringValue, uri.hasPrefix("https://"),
              let jwks = try? await http.send("GET", url: uri, headers: [], body: [])
        else { throw STSService.jwksUnavailable }
        guard jwks.status == 200, let set = try? JSONParser.parse(jwks.body), case .array(let list)? = set["keys"] else {
            throw STSService.jwksUnavailable
        }
        keys.withLock { $0[issuer] = (list, now.addingTimeInterval(600)) }
        return list
    }
}

extension STSService {
    /// "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity
    /// documentation for requirements" (quoted from STS in aws/aws-cli#7194; two spaces after the comma, no period).
    static let jwksUnavailable = STS.Errors.invalidIdentityTokenException(
        "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")

    static func base64URL(_ s: Substring) -> [UInt8]? {
        var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while t.count % 4 != 0 { t += "=" }
        return Data(base64Encoded: t).map { [UInt8]($0) }
    }

    func assumeRoleWithWebIdentity(_ input: STS.AssumeRoleWithWebIdentityRequest, context: RequestContext) async throws
        -> STS.AssumeRoleWithWebIdentityResponse {
        guard let iam, let jwks, let arn = ARN(input.roleArn), arn.resource.hasPrefix("role/") else {
            throw Self.validation("\(input.roleArn) is invalid")
        }
        // AWS's text for a token that is not a JWT is not known.
        let malformed = STS.Errors.invalidIdentityTokenException("The ID Token provided is not a valid JWT.")
        let parts = input.webIdentityToken.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Self.base64URL(parts[0]), let payloadBytes = Self.base64URL(parts[1]),
              let signature = Self.base64URL(parts[2]), let header = try? JSONParser.parse(headerBytes),
              let claims = try? JSONParser.parse(payloadBytes), let issuer = claims["iss"]?.stringValue else { throw malformed }
        // "No OpenIDConnect provider found in your account for ISSUER" (quoted in kubernetes-sigs/aws-load-balancer-controller#2315).
        guard let provider = try await iam.openIDConnectProvider(account: arn.account, url: issuer) else {
            throw STS.Errors.invalidIdentityTokenException("No OpenIDConnect provider found in your account for \(issuer)")
        }
        let keys = try await jwks.keys(issuer: issuer.hasPrefix("https://") ? issuer : "https://" + issuer, now: Date())
        let signed = Array(input.webIdentityToken.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard Self.verify(signed, signature: signature, header: header, keys: keys) else { throw Self.jwksUnavailable }
        let now = self.now()
        if let exp = Self.number(claims["exp"]), now.timeIntervalSince1970 >= exp {
            // Quoted from STS in aws/aws-sdk-java-v2#5709.
            throw STS.Errors.expiredTokenException(
                "Token expired: current date/time \(Int64(now.timeIntervalSince1970)) must be before the expiration date/time \(Int64(exp))")
        }
        let audiences: [String]
        switch claims["aud"] {
        case .string(let a)?: audiences = [a]
        case .array(let list)?: audiences = list.compactMap(\.stringValue)
        default: audiences = []
        }
        // "Incorrect token audience" (quoted in awslabs/amazon-eks-irsa-cfn#18).
        guard let audience = audiences.first(where: { provider.clientIds.contains($0) }) else {
            throw STS.Errors.invalidIdentityTokenException("Incorrect token audience")
        }
        let subject = claims["sub"]?.stringValue ?? ""
        let host = issuer.hasPrefix("https://") ? String(issuer.dropFirst(8)) : issuer
        guard let name = arn.resource.split(separator: "/").last.map(String.init),
              let role = try await iam.role(account: arn.account, name: name),
              Self.trustAllows(role.trustPolicy, provider: provider.arn, host: host, audience: audience, subject: subject,
                               roleArn: input.roleArn, account: arn.account)
        else {
            // Quoted from STS in aws-actions/configure-aws-credentials#1446.
            throw Self.accessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity")
        }
        let duration = input.durationSeconds ?? 3600
        if duration > role.maxSessionDuration {
            throw Self.validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        }
        let (documents, arns) = try await sessionPolicies(input.policy, input.policyArns)
        let expires = now.addingTimeInterval(TimeInterval(duration))
        let facts = SessionFacts(issuerType: "Role", issuerId: role.roleId, issuerArn: role.arn, issuerName: name, createdAt: now,
                                 expiresAt: expires, policyDocuments: documents, policyArns: arns)
        let sessionArn = "arn:\(context.partition.rawValue):sts::\(arn.account):assumed-role/\(name)/\(input.roleSessionName)"
        let principal = Principal(kind: .assumedRole, account: arn.account, arn: sessionArn,
                                  userId: "\(role.roleId):\(input.roleSessionName)", accessKeyId: nil, session: facts)
        return STS.AssumeRoleWithWebIdentityResponse(
            credentials: try issue(principal, expires: expires), subjectFromWebIdentityToken: subject,
            assumedRoleUser: STS.AssumedRoleUser(assumedRoleId: principal.userId, arn: sessionArn), provider: provider.arn,
            audience: audience)
    }

    /// The trust policy, evaluated for the provider with its claims as `HOST:aud`, `HOST:sub` and `HOST:oaud` keys.
    static func trustAllows(_ trust: String, provider: String, host: String, audience: String, subject: String, roleArn: String,
                            account: String) -> Bool {
        guard let policy = try? Policy(json: trust, kind: .trust, id: "trust policy") else { return false }
        let context = ConditionContext(["\(host):aud": [audience], "\(host):sub": [subject], "\(host):oaud": [audience],
                                        "aws:FederatedProvider": [provider]])
        let request = AuthorizationRequest(action: "sts:AssumeRoleWithWebIdentity", resource: roleArn, resourceAccount: account,
                                           principal: .federatedIdentity(provider: provider, account: account, subject: subject),
                                           context: context)
        return PolicyEvaluator.evaluate(request, policies: PolicySet(resource: [policy], resourcePolicyRequired: true)).isAllowed
    }

    /// RS256 and ES256 signatures against the issuer's keys (the key named by `kid`, or any key of the right type).
    static func verify(_ signed: [UInt8], signature: [UInt8], header: JSONValue, keys: [JSONValue]) -> Bool {
        let kid = header["kid"]?.stringValue
        let candidates = keys.filter { kid == nil || $0["kid"]?.stringValue == kid }
        switch header["alg"]?.stringValue {
        case "RS256"?:
            for k in candidates where k["kty"]?.stringValue == "RSA" {
                guard let n = k["n"]?.stringValue.flatMap({ base64URL(Substring($0)) }),
                      let e = k["e"]?.stringValue.flatMap({ base64URL(Substring($0)) }),
                      let key = try? _RSA.Signing.PublicKey(n: n, e: e) else { continue }
                if key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: signed),
                                        padding: .insecurePKCS1v1_5) { return true }
            }
        case "ES256"?:
            for k in candidates where k["kty"]?.stringValue == "EC" && k["crv"]?.stringValue == "P-256" {
                guard let x = k["x"]?.stringValue.flatMap({ base64URL(Substring($0)) }),
                      let y = k["y"]?.stringValue.flatMap({ base64URL(Substring($0)) }),
                      let key = try? P256.Signing.PublicKey(rawRepresentation: x + y),
                      let sig = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { continue }
                if key.isValidSignature(sig, for: SHA256.hash(data: signed)) { return true }
            }
        default:
            return false
        }
        return false
    }

    static func number(_ v: JSONValue?) -> Double? {
        if case .number(let n)? = v { return Double(n) }
        return nil
    }

    /// No Warden service hands out encoded authorization messages (on AWS they come from EC2), so none decodes.
    func decodeAuthorizationMessage(_ input: STS.DecodeAuthorizationMessageRequest, context: RequestContext) async throws
        -> STS.DecodeAuthorizationMessageResponse {
        // AWS's text for a message it did not encode is not known.
        throw STS.Errors.invalidAuthorizationMessageException("The encoded authorization message is not valid.")
    }
}
