// AWS STS: who the caller is, and temporary credentials (AssumeRole, GetSessionToken, GetFederationToken).
import Foundation
import WardenAPI
import WardenCore
import WardenPolicy
import WardenStorage

public struct STSService: Sendable {
    let sealer: Sealer?
    let iam: IAMRepository?
    /// OpenID Connect providers' signing keys (AssumeRoleWithWebIdentity).
    let jwks: JWKSCache?
    let now: @Sendable () -> Date

    /// `sealer` and `iam` are nil only in tests that need GetCallerIdentity alone.
    public init(sealer: Sealer? = nil, iam: IAMRepository? = nil, http: OutboundHTTP? = nil,
                now: @escaping @Sendable () -> Date = Date.init) {
        self.sealer = sealer
        self.iam = iam
        self.jwks = http.map { JWKSCache(http: $0) }
        self.now = now
    }

    static func accessDenied(_ message: String) -> AWSError { AWSError(code: "AccessDenied", status: 403, message: message) }
    static func validation(_ message: String) -> AWSError { AWSError(code: "ValidationError", status: 400, message: message) }

    func caller(_ context: RequestContext) throws -> Principal {
        guard let p = context.principal else {
            throw AWSError(code: "MissingAuthenticationToken", status: 403, message: "Request is missing Authentication Token")
        }
        return p
    }

    /// Answers the authenticated caller's account, ARN and user id.
    func getCallerIdentity(_ input: STS.GetCallerIdentityRequest, context: RequestContext) async throws -> STS.GetCallerIdentityResponse {
        let p = try caller(context)
        return STS.GetCallerIdentityResponse(userId: p.userId, account: p.account, arn: p.arn)
    }

    /// The account an access key belongs to, read from the key id itself as AWS does (no lookup: any key, any account).
    func getAccessKeyInfo(_ input: STS.GetAccessKeyInfoRequest, context: RequestContext) async throws -> STS.GetAccessKeyInfoResponse {
        STS.GetAccessKeyInfoResponse(account: AccessKeyRepository.account(ofAccessKeyId: input.accessKeyId))
    }

    func assumeRole(_ input: STS.AssumeRoleRequest, context: RequestContext) async throws -> STS.AssumeRoleResponse {
        let p = try caller(context)
        // The trust policy (and the caller's own policies) were evaluated by the authorizer before this runs.
        if p.kind == .root { throw Self.accessDenied("Roles may not be assumed by root accounts.") }
        guard let iam, let arn = ARN(input.roleArn), arn.service == "iam", arn.resource.hasPrefix("role/"),
              let name = arn.resource.split(separator: "/").last.map(String.init),
              let role = try await iam.role(account: arn.account, name: name)
        else {
            throw Self.accessDenied("User: \(p.arn) is not authorized to perform: sts:AssumeRole on resource: \(input.roleArn)")
        }
        let chained = p.kind == .assumedRole
        let duration = input.durationSeconds ?? 3600
        if chained, duration > 3600 {
            throw Self.validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
        }
        if duration > role.maxSessionDuration {
            throw Self.validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        }
        let (documents, arns) = try await sessionPolicies(input.policy, input.policyArns)
        // Transitive tags of the calling session pass on to the chained one; the caller cannot override them.
        var tags = [String: String]()
        var transitive = input.transitiveTagKeys ?? []
        if let parent = p.session, chained {
            for k in parent.transitiveTagKeys {
                if let v = parent.tags[k] { tags[k] = v }
                if !transitive.contains(k) { transitive.append(k) }
            }
        }
        for t in input.tags ?? [] {
            if let existing = tags.keys.first(where: { $0.lowercased() == t.key.lowercased() }), p.session?.transitiveTagKeys.contains(existing) == true {
                // AWS's text for overriding a transitive tag is not known.
                throw Self.accessDenied("A session tag cannot override the transitive tag \(existing).")
            }
            tags[t.key] = t.value
        }
        let issued = now()
        let expires = issued.addingTimeInterval(TimeInterval(duration))
        let partition = context.partition.rawValue
        let facts = SessionFacts(issuerType: "Role", issuerId: role.roleId, issuerArn: role.arn, issuerName: name, createdAt: issued,
                                 expiresAt: expires, sourceIdentity: input.sourceIdentity ?? p.session?.sourceIdentity,
                                 policyDocuments: documents, policyArns: arns, tags: tags, transitiveTagKeys: transitive, chained: chained)
        let sessionArn = "arn:\(partition):sts::\(arn.account):assumed-role/\(name)/\(input.roleSessionName)"
        let principal = Principal(kind: .assumedRole, account: arn.account, arn: sessionArn,
                                  userId: "\(role.roleId):\(input.roleSessionName)", accessKeyId: nil, session: facts)
        let credentials = try issue(principal, expires: expires)
        return STS.AssumeRoleResponse(credentials: credentials,
                                      assumedRoleUser: STS.AssumedRoleUser(assumedRoleId: principal.userId, arn: sessionArn),
                                      sourceIdentity: facts.sourceIdentity)
    }

    func getSessionToken(_ input: STS.GetSessionTokenRequest, context: RequestContext) async throws -> STS.GetSessionTokenResponse {
        let p = try caller(context)
        guard p.session == nil else { throw Self.accessDenied("Cannot call GetSessionToken with session credentials") }
        // The root's sessions last at most an hour; IAM users' up to 36 hours, 12 by default.
        let maximum = p.kind == .root ? 3600 : 129_600
        let duration = min(input.durationSeconds ?? 43200, maximum)
        let issued = now()
        let expires = issued.addingTimeInterval(TimeInterval(duration))
        var principal = p
        principal.session = SessionFacts(issuerType: p.kind == .root ? "Root" : "IAMUser", issuerId: p.userId, issuerArn: p.arn,
                                         issuerName: p.userName ?? p.account, createdAt: issued, expiresAt: expires,
                                         mfaAuthenticated: input.serialNumber != nil && input.tokenCode != nil)
        return STS.GetSessionTokenResponse(credentials: try issue(principal, expires: expires))
    }

    func getFederationToken(_ input: STS.GetFederationTokenRequest, context: RequestContext) async throws -> STS.GetFederationTokenResponse {
        let p = try caller(context)
        guard p.session == nil, p.kind == .iamUser || p.kind == .root else {
            // AWS's text for GetFederationToken with session credentials is not known; the call is refused as on AWS.
            throw Self.accessDenied("Cannot call GetFederationToken with session credentials")
        }
        let maximum = p.kind == .root ? 3600 : 129_600
        let duration = min(input.durationSeconds ?? 43200, maximum)
        let (documents, arns) = try await sessionPolicies(input.policy, input.policyArns)
        let issued = now()
        let expires = issued.addingTimeInterval(TimeInterval(duration))
        var tags = [String: String]()
        for t in input.tags ?? [] { tags[t.key] = t.value }
        // Without a session policy a federated user has no permissions at all (STS API reference): an empty, present
        // list of session policies allows nothing.
        let facts = SessionFacts(issuerType: p.kind == .root ? "Root" : "IAMUser", issuerId: p.userId, issuerArn: p.arn,
                                 issuerName: p.userName ?? p.account, createdAt: issued, expiresAt: expires,
                                 policyDocuments: documents ?? [], policyArns: arns, tags: tags)
        let arn = "arn:\(context.partition.rawValue):sts::\(p.account):federated-user/\(input.name)"
        let principal = Principal(kind: .federatedUser, account: p.account, arn: arn, userId: "\(p.account):\(input.name)",
                                  accessKeyId: nil, userName: p.userName, session: facts)
        return STS.GetFederationTokenResponse(credentials: try issue(principal, expires: expires),
                                              federatedUser: STS.FederatedUser(federatedUserId: principal.userId, arn: arn))
    }

    /// Session policies as passed: each document checked with IAM's grammar, each ARN a managed policy that exists.
    func sessionPolicies(_ policy: String?, _ arns: [STS.PolicyDescriptorType]?) async throws -> ([String]?, [String]?) {
        var documents: [String]?
        if let policy {
            do { _ = try Policy(json: policy, kind: .session, id: "session policy") } catch {
                throw STS.Errors.malformedPolicyDocumentException(error.message)
            }
            documents = [policy]
        }
        var out: [String]?
        if let arns {
            out = []
            for d in arns {
                guard let a = d.arn else { continue }
                guard let iam, try await iam.managedPolicyDocument(arn: a) != nil else {
                    // AWS's text for a session policy ARN that does not exist is not known.
                    throw Self.validation("Policy \(a) does not exist or is not attachable.")
                }
                out?.append(a)
            }
        }
        return (documents, out)
    }

    /// New temporary credentials for `principal`: an `ASIA` key carrying the account as AWS's keys do, a random
    /// secret, and the sealed token.
    func issue(_ principal: Principal, expires: Date) throws -> STS.Credentials {
        guard let sealer else { throw AWSError.internalFailure("STS has no sealer.") }
        let id = AccessKeyRepository.randomAccessKeyId(prefix: "ASIA", account: principal.account)
        let secret = AccessKeyRepository.randomSecret()
        var p = principal
        p.accessKeyId = id
        let token = try SessionToken.make(IssuedSession(accessKeyId: id, secretAccessKey: secret, principal: p, expiresAt: expires),
                                          sealer: sealer)
        return STS.Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token, expiration: expires)
    }
}

extension STSService {
    /// The operations Warden serves, each with its audit and authorization declarations.
    public var descriptor: ServiceDescriptor {
        typealias O = STS.Operations
        var d = ServiceDescriptor(
            model: STS.model, eventSource: "sts.amazonaws.com",
            validationError: (code: "ValidationError", queryCode: nil, status: 400),
            operations: [
                AnyOperation(O.GetCallerIdentity.self, traits: OperationTraits(iamAction: "sts:GetCallerIdentity", readOnly: true),
                             getCallerIdentity),
                AnyOperation(O.GetAccessKeyInfo.self, traits: OperationTraits(iamAction: "sts:GetAccessKeyInfo", readOnly: true),
                             getAccessKeyInfo),
                AnyOperation(O.AssumeRole.self, traits: OperationTraits(
                    iamAction: "sts:AssumeRole", readOnly: true, redactedResponseMembers: ["SecretAccessKey", "SessionToken"],
                    responseRecording: .full, resources: Self.roleResource), assumeRole),
                AnyOperation(O.GetSessionToken.self, traits: OperationTraits(
                    iamAction: "sts:GetSessionToken", readOnly: true, redactedResponseMembers: ["SecretAccessKey", "SessionToken"],
                    responseRecording: .full), getSessionToken),
                AnyOperation(O.AssumeRoleWithWebIdentity.self, traits: Self.anonymous(OperationTraits(
                    iamAction: "sts:AssumeRoleWithWebIdentity", readOnly: true, redactedRequestMembers: ["WebIdentityToken"],
                    redactedResponseMembers: ["SecretAccessKey", "SessionToken"], responseRecording: .full,
                    resources: Self.roleResource)), assumeRoleWithWebIdentity),
                AnyOperation(O.DecodeAuthorizationMessage.self,
                             traits: OperationTraits(iamAction: "sts:DecodeAuthorizationMessage", readOnly: true), decodeAuthorizationMessage),
                AnyOperation(O.GetFederationToken.self, traits: OperationTraits(
                    iamAction: "sts:GetFederationToken", readOnly: true, redactedResponseMembers: ["SecretAccessKey", "SessionToken"],
                    responseRecording: .full, resources: Self.federatedUserResource), getFederationToken),
            ])
        d.authority = STSAuthority(iam: iam)
        d.wholeSecondTimestamps = true
        return d
    }

    /// AssumeRoleWithWebIdentity is called without AWS credentials: the token is the proof.
    static func anonymous(_ t: OperationTraits) -> OperationTraits {
        var traits = t
        traits.allowsAnonymous = true
        return traits
    }

    static let roleResource: @Sendable (AWSValue, RequestContext) -> [AuditResource] = { input, c in
        guard let arn = input.mapValue?["RoleArn"]?.stringValue, let parsed = ARN(arn) else { return [] }
        return [AuditResource(type: "AWS::IAM::Role", arn: arn, account: parsed.account)]
    }

    static let federatedUserResource: @Sendable (AWSValue, RequestContext) -> [AuditResource] = { input, c in
        guard let name = input.mapValue?["Name"]?.stringValue else { return [] }
        return [AuditResource(type: "AWS::STS::FederatedUser",
                              arn: "arn:\(c.partition.rawValue):sts::\(c.account):federated-user/\(name)", account: c.account)]
    }
}

/// AssumeRole is authorized against the role's trust policy, which must allow the caller (directly, or by naming the
/// account, which then needs the caller's own policies to allow `sts:AssumeRole` on the role).
struct STSAuthority: ResourceAuthority {
    let iam: IAMRepository?

    func authorizationFacts(operation: String, action: String, input: AWSValue, resources: [AuditResource],
                            context: RequestContext) async throws -> AuthorizationFacts {
        var conditions = RequestTags.conditions(input)
        let fields = input.mapValue ?? [:]
        switch operation {
        case "AssumeRole":
            if let v = fields["ExternalId"]?.stringValue { conditions["sts:ExternalId"] = [v] }
            if let v = fields["RoleSessionName"]?.stringValue { conditions["sts:RoleSessionName"] = [v] }
            if let v = fields["SourceIdentity"]?.stringValue { conditions["sts:SourceIdentity"] = [v] }
            if case .list(let keys)? = fields["TransitiveTagKeys"] { conditions["sts:TransitiveTagKeys"] = keys.compactMap(\.stringValue) }
            guard let r = resources.first else { return AuthorizationFacts(conditions: conditions) }
            var policies: [PolicyText] = []
            var tags: [String: [String]] = [:]
            if let iam, let arn = ARN(r.arn), let name = arn.resource.split(separator: "/").last.map(String.init),
               let role = try await iam.role(account: arn.account, name: name) {
                policies = [PolicyText(id: "trust policy", json: role.trustPolicy)]
                for (k, v) in role.tags { tags["aws:ResourceTag/\(k)"] = [v] }
            }
            // A role that does not exist has no trust policy: the call is denied, as AWS denies it, without saying so.
            return AuthorizationFacts(resources: [ResourceFacts(arn: r.arn, account: r.account, policies: policies, policyRequired: true,
                                                                conditions: tags)], conditions: conditions)
        default:
            return AuthorizationFacts(resources: resources.map { ResourceFacts(arn: $0.arn, account: $0.account) }, conditions: conditions)
        }
    }
}
