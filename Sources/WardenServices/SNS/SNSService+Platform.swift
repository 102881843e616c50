// Mobile push resources: platform applications (APNs, FCM, ADM, Baidu, MPNS, WNS) and their endpoints (one device
// token each). Credentials are checked when set, sealed at rest, and never shown or logged.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

/// What a platform application's document holds: its attributes as SNS shows them (no credentials).
struct PlatformAppRecord: Codable, Sendable {
    var platform: String
    var name: String
    var attributes: [String: String]
    func encoded() -> String { (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}" }
    static func decode(_ doc: String) throws -> PlatformAppRecord { try JSONDecoder().decode(PlatformAppRecord.self, from: Data(doc.utf8)) }
}

/// An endpoint's attributes: Enabled, Token, CustomUserData.
struct EndpointRecord: Codable, Sendable {
    var attributes: [String: String]
    func encoded() -> String { (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}" }
    static func decode(_ doc: String) throws -> EndpointRecord { try JSONDecoder().decode(EndpointRecord.self, from: Data(doc.utf8)) }
}

extension SNSService {
    var platforms: PlatformRepository { PlatformRepository(db: repository.db, sealer: repository.sealer) }

    /// The platforms AWS lists for CreatePlatformApplication.
    static let pushPlatforms: Set<String> = ["APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "GCM", "ADM", "BAIDU", "MPNS", "WNS"]
    /// Attributes an application takes besides its credentials.
    static let appAttributes: Set<String> = ["EventEndpointCreated", "EventEndpointDeleted", "EventEndpointUpdated", "EventDeliveryFailure",
                                             "SuccessFeedbackRoleArn", "FailureFeedbackRoleArn", "SuccessFeedbackSampleRate",
                                             "ApplePlatformTeamID", "ApplePlatformBundleID"]

    // MARK: ARNs

    /// An application ARN (`…:app/PLATFORM/NAME`) in the caller's region: its platform and name.
    static func appARN(_ text: String, _ c: RequestContext) throws(AWSError) -> (arn: ARN, platform: String, name: String) {
        try checkArnElements(text, "PlatformApplicationArn")
        let parts = ARN(text)?.resource.split(separator: "/", omittingEmptySubsequences: false) ?? []
        guard let arn = ARN(text), arn.service == "sns", parts.count == 3, parts[0] == "app" else {
            // AWS's text for this application ARN is by analogy with the one recorded for endpoint ARNs.
            throw invalid("PlatformApplicationArn Reason: Wrong number of slashes in relative portion of the ARN.")
        }
        guard arn.region == c.region else { throw invalid("PlatformApplicationArn") }
        return (arn, String(parts[1]), String(parts[2]))
    }

    /// An endpoint ARN (`…:endpoint/PLATFORM/APP/ID`): its platform and application ARN.
    static func endpointARN(_ text: String, _ c: RequestContext) throws(AWSError) -> (arn: ARN, platform: String, appArn: String) {
        try checkArnElements(text, "EndpointArn")
        let parts = ARN(text)?.resource.split(separator: "/", omittingEmptySubsequences: false) ?? []
        guard let arn = ARN(text), arn.service == "sns", parts.count == 4, parts[0] == "endpoint" else {
            throw invalid("EndpointArn Reason: Wrong number of slashes in relative portion of the ARN.")
        }
        guard arn.region == c.region else { throw invalid("EndpointArn") }
        let app = ARN(partition: arn.partition, service: "sns", region: arn.region, account: arn.account, resource: "app/\(parts[1])/\(parts[2])")
        return (arn, String(parts[1]), app.description)
    }

    /// The caller's application, with its credentials when `credentials` is true.
    func platformApp(_ text: String, _ c: RequestContext, credentials: Bool = false) async throws -> (PlatformAppRow, PlatformAppRecord) {
        let (arn, _, _) = try Self.appARN(text, c)
        guard arn.account == c.account, let row = try await platforms.app(arn: text, credentials: credentials) else {
            throw Self.notFound("PlatformApplication does not exist")
        }
        return (row, try PlatformAppRecord.decode(row.doc))
    }

    func platformEndpoint(_ text: String, _ c: RequestContext) async throws -> (PlatformEndpointRow, EndpointRecord) {
        let (arn, _, _) = try Self.endpointARN(text, c)
        guard arn.account == c.account, let row = try await platforms.endpoint(arn: text) else {
            throw Self.notFound("Endpoint does not exist")
        }
        return (row, try EndpointRecord.decode(row.doc))
    }

    // MARK: attributes

    /// Checks one application attribute (not the credentials); returns the value to keep ("" removes it).
    static func checkAppAttribute(_ name: String, _ value: String) throws(AWSError) -> String {
        // AWS's exact texts for these are not documented: Warden follows the "Invalid value for attribute" form SNS
        // uses for endpoint and credential attributes.
        func bad(_ reason: String) -> AWSError { invalid("Attributes Reason: Invalid value for attribute: \(name): \(reason)") }
        guard appAttributes.contains(name) else { throw invalid("Attributes Reason: Invalid attribute name: \(name)") }
        if value.isEmpty { return value }
        switch name {
        case "EventEndpointCreated", "EventEndpointDeleted", "EventEndpointUpdated", "EventDeliveryFailure":
            guard let arn = ARN(value), arn.service == "sns", !arn.resource.isEmpty, !arn.resource.contains("/") else {
                throw bad("must be a valid SNS topic ARN")
            }
        case "SuccessFeedbackRoleArn", "FailureFeedbackRoleArn":
            guard let arn = ARN(value), arn.service == "iam", arn.resource.hasPrefix("role/") else { throw bad("must be a valid IAM role ARN") }
        case "SuccessFeedbackSampleRate":
            guard let n = Int(value), (0...100).contains(n) else { throw bad("must be an integer from 0 to 100") }
        default:
            break
        }
        return value
    }

    /// The attributes GetPlatformApplicationAttributes shows: Enabled, what the credentials imply (AuthenticationMethod,
    /// AppleCertificateExpiryDate) and the attributes set; never PlatformCredential or PlatformPrincipal.
    static func shownAttributes(_ record: PlatformAppRecord) -> [String: String] {
        var a = record.attributes
        a["Enabled"] = a["Enabled"] ?? "true"
        return a
    }

    /// Checks the credentials given (with the application's other attributes) and records what they imply.
    func applyCredentials(_ stored: StoredCredentials, to record: inout PlatformAppRecord) throws(AWSError) {
        let parsed = try Self.parseCredentials(platform: record.platform, stored, attributes: record.attributes, now: now())
        record.attributes["AuthenticationMethod"] = parsed.authenticationMethod
        if case .apnsCertificate(_, _, _, let expires) = parsed {
            record.attributes["AppleCertificateExpiryDate"] = Self.expiryText(expires)
        } else {
            record.attributes["AppleCertificateExpiryDate"] = nil
        }
    }

    // MARK: applications

    func createPlatformApplication(_ input: SNS.CreatePlatformApplicationInput,
                                   context c: RequestContext) async throws -> SNS.CreatePlatformApplicationResponse {
        let name = input.name
        // Observed texts (LocalStack's provider, written against AWS).
        if name.isEmpty { throw Self.invalid(" Reason: cannot be empty") }
        guard name.utf8.count <= 256 else { throw Self.invalid("\(name) Reason: must be at most 256 characters long") }
        guard name.utf8.allSatisfy({ c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F || c == 0x2E
        }) else {
            throw Self.invalid("\(name) Reason: must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', and '.'")
        }
        guard Self.pushPlatforms.contains(input.platform) else {
            throw Self.invalid("Platform Reason: \(input.platform) is not supported")
        }
        var record = PlatformAppRecord(platform: input.platform, name: name, attributes: [:])
        for (k, v) in input.attributes where k != "PlatformCredential" && k != "PlatformPrincipal" {
            let value = try Self.checkAppAttribute(k, v)
            if !value.isEmpty { record.attributes[k] = value }
        }
        let credential = input.attributes["PlatformCredential"], principal = input.attributes["PlatformPrincipal"]
        if principal != nil && credential == nil {
            throw Self.invalid("Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential")
        }
        guard let credential else {
            // AWS's exact message is not documented: an application needs its credentials.
            throw Self.invalid("Attributes Reason: PlatformCredential attribute is required")
        }
        let stored = StoredCredentials(credential: credential, principal: principal)
        try applyCredentials(stored, to: &record)
        let arn = "arn:\(c.partition.rawValue):sns:\(c.region):\(c.account):app/\(input.platform)/\(name)"
        // Creating an application that exists replaces its attributes and credentials and answers its ARN.
        try await locks.withLock(arn) {
            let created = try await platforms.app(arn: arn)?.createdAtMillis ?? nowMillis
            try await platforms.saveApp(PlatformAppRow(arn: arn, account: c.account, region: c.region, createdAtMillis: created,
                                                       doc: record.encoded(), credentials: Array(try JSONEncoder().encode(stored))))
            // Replaced credentials: the client of the old certificate, if any, is closed.
            push.dropCertificateClients(app: arn, logger: ServiceLog.logger)
        }
        return SNS.CreatePlatformApplicationResponse(platformApplicationArn: arn)
    }

    func getPlatformApplicationAttributes(_ input: SNS.GetPlatformApplicationAttributesInput,
                                          context c: RequestContext) async throws -> SNS.GetPlatformApplicationAttributesResponse {
        let (_, record) = try await platformApp(input.platformApplicationArn, c)
        return SNS.GetPlatformApplicationAttributesResponse(attributes: Self.shownAttributes(record))
    }

    func setPlatformApplicationAttributes(_ input: SNS.SetPlatformApplicationAttributesInput,
                                          context c: RequestContext) async throws -> EmptyShape {
        _ = try Self.appARN(input.platformApplicationArn, c)
        for (k, v) in input.attributes where k != "PlatformCredential" && k != "PlatformPrincipal" { _ = try Self.checkAppAttribute(k, v) }
        return try await locks.withLock(input.platformApplicationArn) {
            var (row, record) = try await platformApp(input.platformApplicationArn, c, credentials: true)
            for (k, v) in input.attributes where k != "PlatformCredential" && k != "PlatformPrincipal" {
                record.attributes[k] = v.isEmpty ? nil : v
            }
            let old = try row.credentials.map { try JSONDecoder().decode(StoredCredentials.self, from: Data($0)) }
            var stored = old ?? StoredCredentials(credential: "", principal: nil)
            if let credential = input.attributes["PlatformCredential"] { stored.credential = credential }
            if let principal = input.attributes["PlatformPrincipal"] { stored.principal = principal }
            // Credentials (or what token-based APNs reads beside them) changed: checked again, as a whole.
            let touched = ["PlatformCredential", "PlatformPrincipal", "ApplePlatformTeamID", "ApplePlatformBundleID"]
            if touched.contains(where: { input.attributes[$0] != nil }) {
                try applyCredentials(stored, to: &record)
            }
            row.doc = record.encoded()
            row.credentials = Array(try JSONEncoder().encode(stored))
            try await platforms.saveApp(row)
            // New credentials: this node's client for the old certificate is closed now (other nodes replace theirs at
            // their next delivery, which reads the credentials afresh).
            if stored != old { push.dropCertificateClients(app: row.arn, logger: ServiceLog.logger) }
            return EmptyShape()
        }
    }

    func listPlatformApplications(_ input: SNS.ListPlatformApplicationsInput,
                                  context c: RequestContext) async throws -> SNS.ListPlatformApplicationsResponse {
        let after = try Self.pageToken(input.nextToken)
        let rows = try await platforms.apps(account: c.account, region: c.region, after: after, limit: 101)
        let page = rows.prefix(100)
        let apps = try page.map { row in
            SNS.PlatformApplication(platformApplicationArn: row.arn, attributes: Self.shownAttributes(try PlatformAppRecord.decode(row.doc)))
        }
        return SNS.ListPlatformApplicationsResponse(platformApplications: apps,
                                                    nextToken: rows.count > 100 ? page.last.map { Data($0.arn.utf8).base64EncodedString() } : nil)
    }

    func deletePlatformApplication(_ input: SNS.DeletePlatformApplicationInput, context c: RequestContext) async throws -> EmptyShape {
        let (arn, _, _) = try Self.appARN(input.platformApplicationArn, c)
        // Deleting an application that does not exist succeeds, as deleting topics and endpoints does.
        guard arn.account == c.account else { return EmptyShape() }
        _ = try await locks.withLock(input.platformApplicationArn) { try await platforms.deleteApp(arn: input.platformApplicationArn) }
        push.dropCertificateClients(app: input.platformApplicationArn, logger: ServiceLog.logger)
        return EmptyShape()
    }

    /// A NextToken: the base64 of the last ARN of the previous page.
    static func pageToken(_ token: String?) throws(AWSError) -> String? {
        guard let token else { return nil }
        guard let raw = Data(base64Encoded: token), let arn = String(data: raw, encoding: .utf8) else { throw invalid("NextToken") }
        return arn
    }

    // MARK: endpoints

    /// A device token as its platform takes it. APNs tokens are hexadecimal (recorded from SNS: "iOS device tokens
    /// must be 64 hexadecimal characters"; Warden also takes the longer tokens Apple says may come).
    static func checkToken(_ token: String, platform: String) throws(AWSError) {
        // AWS's exact message for an empty token is not documented.
        guard !token.isEmpty else { throw invalid("Token Reason: cannot be empty") }
        if isApple(platform) {
            guard token.count >= 64, token.count <= 200, token.count % 2 == 0, token.allSatisfy({ $0.isHexDigit }) else {
                throw invalid("Token Reason: iOS device tokens must be 64 hexadecimal characters")
            }
        }
    }

    /// Checks endpoint attributes (observed texts, LocalStack's provider written against AWS); returns them normalized.
    static func checkEndpointAttributes(_ attributes: [String: String], platform: String) throws(AWSError) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in attributes {
            switch k {
            case "Enabled":
                guard v.lowercased() == "true" || v.lowercased() == "false" else {
                    throw invalid("Attributes Reason: Invalid value for attribute: Enabled")
                }
                out[k] = v.lowercased()
            case "CustomUserData":
                guard v.utf8.count <= 2048 else {
                    throw invalid("Attributes Reason: Invalid value for attribute: CustomUserData: must be at most 2048 bytes long in UTF-8 encoding")
                }
                out[k] = v
            case "Token":
                try checkToken(v, platform: platform)
                out[k] = v
            default:
                throw invalid("Attributes Reason: Invalid attribute name: \(k)")
            }
        }
        return out
    }

    func createPlatformEndpoint(_ input: SNS.CreatePlatformEndpointInput, context c: RequestContext) async throws -> SNS.CreateEndpointResponse {
        let (row, app) = try await platformApp(input.platformApplicationArn, c)
        try Self.checkToken(input.token, platform: app.platform)
        var given = try Self.checkEndpointAttributes(input.attributes ?? [:], platform: app.platform)
        given["Token"] = nil
        // CustomUserData may come as the parameter or as an attribute; the attribute wins.
        if given["CustomUserData"] == nil, let data = input.customUserData {
            given = try given.merging(Self.checkEndpointAttributes(["CustomUserData": data], platform: app.platform)) { a, _ in a }
        }
        // One endpoint per (application, token), made once even when created twice at once through several nodes. Locks
        // are always taken in the order application, token, endpoint: the application's lock keeps a concurrent
        // DeletePlatformApplication from running between the check and the insert (which also re-checks the application
        // in its transaction, the database's own guard), the token's lock keeps two creates of one token apart.
        let (arn, created) = try await locks.withLock(row.arn) {
            try await locks.withLock(Self.tokenLock(app: row.arn, token: input.token)) { () async throws -> (String, Bool) in
                if let existing = try await platforms.endpoint(appArn: row.arn, token: input.token) {
                    // The same token again returns the endpoint when every attribute given has the value it has (Enabled
                    // "true" by default); otherwise refused (recorded from SNS: moto's AWS-verified platform tests).
                    let have = try EndpointRecord.decode(existing.doc).attributes
                    for (k, v) in given where (have[k] ?? (k == "Enabled" ? "true" : nil)) != v {
                        throw Self.invalid("Token Reason: Endpoint \(existing.arn) already exists with the same Token, but different attributes.")
                    }
                    return (existing.arn, false)
                }
                var attributes = given
                attributes["Enabled"] = attributes["Enabled"] ?? "true"
                attributes["Token"] = input.token
                let arn = row.arn.replacingOccurrences(of: ":app/", with: ":endpoint/") + "/" + UUID().uuidString.lowercased()
                let endpoint = PlatformEndpointRow(arn: arn, appArn: row.arn, token: input.token, createdAtMillis: nowMillis,
                                                   doc: EndpointRecord(attributes: attributes).encoded())
                guard try await platforms.insertEndpoint(endpoint) else {
                    throw Self.notFound("PlatformApplication does not exist")
                }
                return (arn, true)
            }
        }
        if created { await applicationEvent(app: row.arn, record: app, kind: "EndpointCreated", endpoint: arn) }
        return SNS.CreateEndpointResponse(endpointArn: arn)
    }

    func getEndpointAttributes(_ input: SNS.GetEndpointAttributesInput, context c: RequestContext) async throws -> SNS.GetEndpointAttributesResponse {
        let (_, record) = try await platformEndpoint(input.endpointArn, c)
        return SNS.GetEndpointAttributesResponse(attributes: record.attributes)
    }

    /// The lock that keeps one device token to one endpoint of an application.
    static func tokenLock(app: String, token: String) -> String { "\(app)#\(token)" }

    func setEndpointAttributes(_ input: SNS.SetEndpointAttributesInput, context c: RequestContext) async throws -> EmptyShape {
        let (_, platform, appArn) = try Self.endpointARN(input.endpointArn, c)
        let given = try Self.checkEndpointAttributes(input.attributes, platform: platform)
        let update = { () async throws -> Bool in
            try await self.locks.withLock(input.endpointArn) { () async throws -> Bool in
                var (row, record) = try await self.platformEndpoint(input.endpointArn, c)
                if let token = given["Token"], token != row.token,
                   let holder = try await self.platforms.endpoint(appArn: row.appArn, token: token), holder.arn != row.arn {
                    // AWS's answer to a Token that another endpoint of the application already has is not documented: Warden
                    // refuses it with the text SNS uses when CreatePlatformEndpoint meets such a token, so that one token
                    // never has two endpoints.
                    throw Self.invalid("Token Reason: Endpoint \(holder.arn) already exists with the same Token, but different attributes.")
                }
                let before = record.attributes
                for (k, v) in given { record.attributes[k] = k == "CustomUserData" && v.isEmpty ? nil : v }
                guard record.attributes != before else { return false }
                row.token = record.attributes["Token"] ?? row.token
                row.doc = record.encoded()
                guard try await self.platforms.updateEndpoint(row) else { throw Self.notFound("Endpoint does not exist") }
                return true
            }
        }
        // A new token is locked (before the endpoint, in the order CreatePlatformEndpoint takes them) while it is checked
        // and written, so neither a create nor another update can give the same token to a second endpoint meanwhile.
        let changed = if let token = given["Token"] {
            try await locks.withLock(Self.tokenLock(app: appArn, token: token), update)
        } else {
            try await update()
        }
        if changed, let record = await appRecord(appArn) {
            await applicationEvent(app: appArn, record: record, kind: "EndpointUpdated", endpoint: input.endpointArn)
        }
        return EmptyShape()
    }

    func deleteEndpoint(_ input: SNS.DeleteEndpointInput, context c: RequestContext) async throws -> EmptyShape {
        let (arn, _, appArn) = try Self.endpointARN(input.endpointArn, c)
        // Deleting an endpoint that does not exist (or no longer does) succeeds (recorded from SNS).
        guard arn.account == c.account else { return EmptyShape() }
        let existed = try await locks.withLock(input.endpointArn) { try await platforms.deleteEndpoint(arn: input.endpointArn) }
        if existed, let record = await appRecord(appArn) {
            await applicationEvent(app: appArn, record: record, kind: "EndpointDeleted", endpoint: input.endpointArn)
        }
        return EmptyShape()
    }

    func listEndpointsByPlatformApplication(_ input: SNS.ListEndpointsByPlatformApplicationInput,
                                            context c: RequestContext) async throws -> SNS.ListEndpointsByPlatformApplicationResponse {
        let (app, _) = try await platformApp(input.platformApplicationArn, c)
        let after = try Self.pageToken(input.nextToken)
        let rows = try await platforms.endpoints(appArn: app.arn, after: after, limit: 101)
        let page = rows.prefix(100)
        let endpoints = try page.map { SNS.Endpoint(endpointArn: $0.arn, attributes: try EndpointRecord.decode($0.doc).attributes) }
        return SNS.ListEndpointsByPlatformApplicationResponse(
            endpoints: endpoints, nextToken: rows.count > 100 ? page.last.map { Data($0.arn.utf8).base64EncodedString() } : nil)
    }

    /// Subscribe's check of an `application` endpoint: it must exist (recorded from SNS; the missing space after
    /// "arn" is SNS's).
    func checkApplicationEndpoint(_ endpoint: String, _ c: RequestContext) async throws {
        guard let arn = ARN(endpoint), arn.account == c.account, try await platforms.endpoint(arn: endpoint) != nil else {
            throw Self.invalid("Endpoint Reason: Endpoint does not exist for endpoint arn\(endpoint)")
        }
    }

    // MARK: operations

    /// The platform operations as the descriptor registers them. Application attributes carry the credentials, so
    /// they never reach the audit record.
    var platformOperations: [AnyOperation] {
        typealias Ops = SNS.Operations
        func secret(_ action: String) -> OperationTraits {
            var t = Self.traits(action, readOnly: false)
            t.redactedRequestMembers.insert("Attributes")
            return t
        }
        return [
            AnyOperation(Ops.CreatePlatformApplication.self, traits: secret("CreatePlatformApplication"), createPlatformApplication),
            AnyOperation(Ops.SetPlatformApplicationAttributes.self, traits: secret("SetPlatformApplicationAttributes"),
                         setPlatformApplicationAttributes),
            AnyOperation(Ops.GetPlatformApplicationAttributes.self, traits: Self.traits("GetPlatformApplicationAttributes", readOnly: true),
                         getPlatformApplicationAttributes),
            AnyOperation(Ops.ListPlatformApplications.self, traits: Self.traits("ListPlatformApplications", readOnly: true),
                         listPlatformApplications),
            AnyOperation(Ops.DeletePlatformApplication.self, traits: Self.traits("DeletePlatformApplication", readOnly: false),
                         deletePlatformApplication),
            AnyOperation(Ops.CreatePlatformEndpoint.self, traits: Self.traits("CreatePlatformEndpoint", readOnly: false), createPlatformEndpoint),
            AnyOperation(Ops.GetEndpointAttributes.self, traits: Self.traits("GetEndpointAttributes", readOnly: true), getEndpointAttributes),
            AnyOperation(Ops.SetEndpointAttributes.self, traits: Self.traits("SetEndpointAttributes", readOnly: false), setEndpointAttributes),
            AnyOperation(Ops.DeleteEndpoint.self, traits: Self.traits("DeleteEndpoint", readOnly: false), deleteEndpoint),
            AnyOperation(Ops.ListEndpointsByPlatformApplication.self, traits: Self.traits("ListEndpointsByPlatformApplication", readOnly: true),
                         listEndpointsByPlatformApplication),
        ]
    }
}
