// The push services' wire protocols: APNs' provider API over HTTP/2 (POST /3/device/TOKEN, apns-* headers, a
// provider JWT or a TLS client certificate) and FCM (HTTP v1 with an OAuth2 access token from the service account's
// JWT-bearer grant, or the legacy API with a server key). Each answer is classified as a PushOutcome.
import AsyncHTTPClient
import Crypto
import Foundation
import WardenCore

extension SNSService {
    /// One APNs notification.
    func sendAPNs(_ credential: PushCredential, app: String, record: PlatformAppRecord, token: String, body: PushBody,
                  attributes: [StoredAttribute]) async throws -> PushOutcome {
        let platform = record.platform
        let base = platform.hasSuffix("SANDBOX") ? push.endpoints.apnsSandbox : push.endpoints.apns
        let payload = PushPayload.apns(body)
        let pushType = PushPayload.attribute(attributes, platform: platform, "PUSH_TYPE") ?? PushPayload.apnsPushType(platform: platform, payload: payload)
        var headers: [(String, String)] = [("apns-push-type", pushType),
                                           ("apns-priority", PushPayload.attribute(attributes, platform: platform, "PRIORITY")
                                            ?? (pushType == "background" ? "5" : "10"))]
        if let ttl = PushPayload.attribute(attributes, platform: platform, "TTL"), let seconds = Int64(ttl) {
            // TTL 0: deliver now or never, which APNs spells as expiration 0.
            headers.append(("apns-expiration", seconds <= 0 ? "0" : String(Int64(now().timeIntervalSince1970) + seconds)))
        }
        if let collapse = PushPayload.attribute(attributes, platform: platform, "COLLAPSE_ID") { headers.append(("apns-collapse-id", collapse)) }
        let voip = platform.hasPrefix("APNS_VOIP") ? ".voip" : ""
        let client: HTTPClient
        var tokenKey: String?
        switch credential {
        case .apnsToken(let keyPEM, let keyId):
            let team = record.attributes["ApplePlatformTeamID"] ?? "", bundle = record.attributes["ApplePlatformBundleID"] ?? ""
            headers.append(("apns-topic", PushPayload.attribute(attributes, platform: platform, "TOPIC") ?? bundle + voip))
            // Apple takes a provider token for up to an hour and refuses new ones more often than every 20 minutes:
            // one token per key is reused for 50 minutes.
            let key = "apns|\(keyId)|\(team)|\(Hex.encode(SHA256.hash(data: Array(keyPEM.utf8))))"
            tokenKey = key
            let issued = now()
            let jwt = try await push.token(key, now: issued) { (try PushJWT.apns(keyPEM: keyPEM, keyId: keyId, teamId: team, issuedAt: issued), 50 * 60) }
            headers.append(("authorization", "bearer \(jwt)"))
            client = try http.shared()
        case .apnsCertificate(let certificatePEM, let keyPEM, let bundle, _):
            // With a certificate, the topic may be left out when the certificate has one topic; the bundle id in the
            // certificate's UID is sent when known.
            if let topic = PushPayload.attribute(attributes, platform: platform, "TOPIC") ?? bundle.map({ $0 + voip }) {
                headers.append(("apns-topic", topic))
            }
            client = try push.certificateClient(app: app, certificatePEM: certificatePEM, keyPEM: keyPEM, base: http.configuration,
                                                now: now(), logger: background.logger)
        default:
            return .permanent(status: 0, response: "not an APNs credential")
        }
        let (status, answer) = try await PushSupport.send(client, "POST", url: "\(base)/3/device/\(token)", headers: headers, body: payload)
        let response = String(decoding: answer, as: UTF8.self)
        let reason = (try? JSONParser.parse(answer))?["reason"]?.stringValue ?? ""
        switch status {
        case 200..<300: return .delivered(status: status, response: response)
        case 410: return .invalidToken(status: status, response: response)
        case 400 where ["BadDeviceToken", "DeviceTokenNotForTopic"].contains(reason): return .invalidToken(status: status, response: response)
        case 403 where reason == "ExpiredProviderToken":
            if let tokenKey { push.dropToken(tokenKey) }
            return .retry(status: status, response: response)
        case 429, 500..<600: return .retry(status: status, response: response)
        default: return .permanent(status: status, response: response)
        }
    }

    /// One FCM message.
    func sendFCM(_ credential: PushCredential, token: String, body: PushBody, attributes: [StoredAttribute]) async throws -> PushOutcome {
        let ttl = PushPayload.attribute(attributes, platform: "GCM", "TTL")
        switch credential {
        case .fcmServiceAccount(let email, let keyPEM, let project, let tokenURI):
            let key = "fcm|\(email)|\(tokenURI)|\(Hex.encode(SHA256.hash(data: Array(keyPEM.utf8))))"
            let access: String
            do {
                access = try await push.token(key, now: now()) { try await googleAccessToken(email: email, keyPEM: keyPEM, tokenURI: tokenURI) }
            } catch let refused as TokenRefused {
                return .permanent(status: refused.status, response: refused.response)
            }
            let (status, answer) = try await PushSupport.send(
                try http.shared(), "POST", url: "\(push.endpoints.fcm)/v1/projects/\(project)/messages:send",
                headers: [("authorization", "Bearer \(access)"), ("content-type", "application/json")],
                body: PushPayload.fcmV1(body, token: token, ttl: ttl))
            let response = String(decoding: answer, as: UTF8.self)
            let error = (try? JSONParser.parse(answer))?["error"]
            var codes: [String] = []
            if case .array(let details)? = error?["details"] { codes = details.compactMap { $0["errorCode"]?.stringValue } }
            let message = error?["message"]?.stringValue ?? ""
            switch status {
            case 200..<300: return .delivered(status: status, response: response)
            case _ where codes.contains("UNREGISTERED") || status == 404: return .invalidToken(status: status, response: response)
            case 400 where message.lowercased().contains("registration token"): return .invalidToken(status: status, response: response)
            case 401:
                push.dropToken(key)
                return .retry(status: status, response: response)
            case 429, 500..<600: return .retry(status: status, response: response)
            default: return .permanent(status: status, response: response)
            }
        case .fcmKey(let serverKey):
            let (status, answer) = try await PushSupport.send(
                try http.shared(), "POST", url: "\(push.endpoints.fcm)/fcm/send",
                headers: [("authorization", "key=\(serverKey)"), ("content-type", "application/json")],
                body: PushPayload.fcmLegacy(body, token: token, ttl: ttl))
            let response = String(decoding: answer, as: UTF8.self)
            guard (200..<300).contains(status) else {
                return status == 429 || status >= 500 ? .retry(status: status, response: response) : .permanent(status: status, response: response)
            }
            var errors: [String] = []
            if case .array(let results)? = (try? JSONParser.parse(answer))?["results"] { errors = results.compactMap { $0["error"]?.stringValue } }
            if errors.contains(where: { ["NotRegistered", "InvalidRegistration"].contains($0) }) { return .invalidToken(status: status, response: response) }
            if errors.contains(where: { ["Unavailable", "InternalServerError"].contains($0) }) { return .retry(status: status, response: response) }
            return errors.isEmpty ? .delivered(status: status, response: response) : .permanent(status: status, response: response)
        default:
            return .permanent(status: 0, response: "not an FCM credential")
        }
    }

    /// Google refused the service account's assertion (a 4xx from the token endpoint): the credentials are bad, and
    /// retrying does not help.
    struct TokenRefused: Error {
        var status: Int
        var response: String
    }

    /// An OAuth2 access token for the service account (JWT-bearer grant, RS256), and how long to keep it.
    func googleAccessToken(email: String, keyPEM: String, tokenURI: String) async throws -> (String, TimeInterval) {
        let assertion = try PushJWT.googleAssertion(keyPEM: keyPEM, clientEmail: email, audience: tokenURI, issuedAt: now())
        let form = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)"
        let response = try await http.send("POST", url: push.endpoints.fcmToken ?? tokenURI,
                                           headers: [("content-type", "application/x-www-form-urlencoded")], body: Array(form.utf8))
        let text = String(decoding: response.body, as: UTF8.self)
        guard (200..<300).contains(response.status) else {
            if (400..<500).contains(response.status) && response.status != 429 { throw TokenRefused(status: response.status, response: text) }
            throw AWSError(code: "DeliveryFailed", status: 502, senderFault: false, message: "token endpoint answered \(response.status)")
        }
        let doc = try? JSONParser.parse(response.body)
        guard let token = doc?["access_token"]?.stringValue else { throw TokenRefused(status: response.status, response: text) }
        let lifetime = doc?["expires_in"].flatMap(PushPayload.numberText).flatMap(Double.init) ?? 3600
        // Renewed a minute before Google's expiry, so a token never expires on its way.
        return (token, max(30, lifetime - 60))
    }
}
