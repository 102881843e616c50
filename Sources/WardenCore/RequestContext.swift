// Who is calling, where, and which request this is: built by the server, read by services.
import Foundation

/// The authenticated caller.
public struct Principal: Sendable, Equatable {
    public enum Kind: String, Sendable { case root = "Root", iamUser = "IAMUser", assumedRole = "AssumedRole", anonymous = "Unknown" }

    public var kind: Kind
    public var account: String
    public var arn: String
    /// The `aws:userid` value: the account id for root, the unique id for users.
    public var userId: String
    public var accessKeyId: String?
    public var userName: String?

    public init(kind: Kind, account: String, arn: String, userId: String, accessKeyId: String?, userName: String? = nil) {
        self.kind = kind
        self.account = account
        self.arn = arn
        self.userId = userId
        self.accessKeyId = accessKeyId
        self.userName = userName
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
