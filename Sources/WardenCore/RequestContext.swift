// Who is calling, where, and which request this is: built by the server, read by services.
import Foundation

/// The authenticated caller.
public struct Principal: Sendable, Equatable {
    /// CloudTrail's `userIdentity.type` for each kind of caller.
    public enum Kind: String, Sendable {
        case root = "Root", iamUser = "IAMUser", assumedRole = "AssumedRole", federatedUser = "FederatedUser",
             webIdentityUser = "WebIdentityUser", awsService = "AWSService", anonymous = "Unknown"
    }

    public var kind: Kind
    public var account: String
    public var arn: String
    /// The `aws:userid` value: the account id for root, the unique id for users.
    public var userId: String
    public var accessKeyId: String?
    public var userName: String?
    /// Temporary credentials: what the session was issued with (nil for long-term keys).
    public var session: SessionFacts?

    public init(kind: Kind, account: String, arn: String, userId: String, accessKeyId: String?, userName: String? = nil,
                session: SessionFacts? = nil) {
        self.kind = kind
        self.account = account
        self.arn = arn
        self.userId = userId
        self.accessKeyId = accessKeyId
        self.userName = userName
        self.session = session
    }

    /// The same identity with its ARN in `partition` (a key is not tied to one partition; the request's region is).
    public func inPartition(_ partition: Partition) -> Principal {
        if self.arn.hasPrefix("arn:\(partition.rawValue):") { return self }
        guard let arn = ARN(self.arn), arn.partition != partition else { return self }
        var copy = self
        copy.arn = ARN(partition: partition, service: arn.service, region: arn.region, account: arn.account, resource: arn.resource).description
        return copy
    }

    /// The root identity of an account in a partition.
    public static func root(account: String, partition: Partition, accessKeyId: String?) -> Principal {
        Principal(kind: .root, account: account, arn: "arn:\(partition.rawValue):iam::\(account):root",
                  userId: account, accessKeyId: accessKeyId)
    }
}

/// What a set of temporary credentials carries: who issued it, when, and the limits it was issued with. STS seals these
/// into the session token, so any node can verify a session without a database read.
public struct SessionFacts: Sendable, Equatable {
    /// CloudTrail's `sessionIssuer.type`: "Role" for AssumeRole sessions, "IAMUser" or "Root" for GetSessionToken and
    /// GetFederationToken.
    public var issuerType: String
    /// The role's (or user's) unique id: `AROA…`, `AIDA…`, or the account for the root.
    public var issuerId: String
    public var issuerArn: String
    public var issuerName: String
    public var createdAt: Date
    public var expiresAt: Date
    public var mfaAuthenticated: Bool
    public var sourceIdentity: String?
    /// Session policies passed as documents (`Policy`) and by ARN (`PolicyArns`); nil when none were passed, which is
    /// not the same as an empty list (no session policy means the session is not limited by one).
    public var policyDocuments: [String]?
    public var policyArns: [String]?
    /// Session tags (principal tags of the session), and which of them are transitive.
    public var tags: [String: String]
    public var transitiveTagKeys: [String]
    /// This session was made from another role session (role chaining).
    public var chained: Bool

    public init(issuerType: String, issuerId: String, issuerArn: String, issuerName: String, createdAt: Date, expiresAt: Date,
                mfaAuthenticated: Bool = false, sourceIdentity: String? = nil, policyDocuments: [String]? = nil,
                policyArns: [String]? = nil, tags: [String: String] = [:], transitiveTagKeys: [String] = [], chained: Bool = false) {
        self.issuerType = issuerType
        self.issuerId = issuerId
        self.issuerArn = issuerArn
        self.issuerName = issuerName
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.mfaAuthenticated = mfaAuthenticated
        self.sourceIdentity = sourceIdentity
        self.policyDocuments = policyDocuments
        self.policyArns = policyArns
        self.tags = tags
        self.transitiveTagKeys = transitiveTagKeys
        self.chained = chained
    }
}

/// Lets a service ask, in the middle of an operation, whether the caller may also do something else — KMS use by
/// Parameter Store, Secrets Manager, SNS and SQS on the caller's behalf (`kms:ViaService`) — with the same decision
/// enforcement would make. Throws the AWS error the caller should see.
public protocol CallAuthorizer: Sendable {
    /// `input` is the request the other service would have received (KMS: `KeyId`, `EncryptionContext`).
    func authorize(action: String, input: AWSValue, resources: [AuditResource], context: RequestContext,
                   viaService: String?) async throws
}

/// TLS facts about the connection, recorded in `tlsDetails`.
public struct TLSDetails: Sendable, Equatable {
    public var tlsVersion: String
    /// Left out when the TLS library does not tell which suite was negotiated.
    public var cipherSuite: String?
    public var clientProvidedHostHeader: String
    public init(tlsVersion: String, cipherSuite: String?, clientProvidedHostHeader: String) {
        self.tlsVersion = tlsVersion
        self.cipherSuite = cipherSuite
        self.clientProvidedHostHeader = clientProvidedHostHeader
    }
}

/// Everything a service operation may know about the request besides its input.
public struct RequestContext: Sendable {
    public var requestId: String
    public var account: String
    public var region: String
    public var partition: Partition
    public var principal: Principal?
    public var sourceIP: String
    public var userAgent: String
    public var receivedAt: Date
    public var tls: TLSDetails?
    /// The Host the client addressed (for URLs a service hands out, such as SQS queue URLs).
    public var host: String?
    /// Authorization of further actions the operation performs for the caller (nil: nothing to check, e.g. in tests).
    public var authorizer: (any CallAuthorizer)?
    /// The service calling on the caller's behalf (`aws:CalledVia`, `kms:ViaService`), when this context is one.
    public var viaService: String?
    /// The signing name of the service the request was sent to (`ssm`), set by the server.
    public var service: String?

    public init(requestId: String, account: String, region: String, principal: Principal?, sourceIP: String,
                userAgent: String, receivedAt: Date, tls: TLSDetails? = nil, host: String? = nil) {
        self.host = host
        self.requestId = requestId
        self.account = account
        self.region = region
        self.partition = Partition(region: region)
        self.principal = principal
        self.sourceIP = sourceIP
        self.userAgent = userAgent
        self.receivedAt = receivedAt
        self.tls = tls
    }
}
