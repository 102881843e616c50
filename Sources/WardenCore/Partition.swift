// Regions, partitions and ARNs.

/// The AWS partition a region belongs to; ARNs carry it.
public enum Partition: String, Sendable {
    case aws, awsCN = "aws-cn", awsUSGov = "aws-us-gov"

    public init(region: String) {
        if region.hasPrefix("cn-") { self = .awsCN }
        else if region.hasPrefix("us-gov-") { self = .awsUSGov }
        else { self = .aws }
    }
}

/// An Amazon Resource Name.
public struct ARN: Sendable, Hashable, CustomStringConvertible {
    public var partition: Partition
    public var service: String
    public var region: String
    public var account: String
    public var resource: String

    public init(partition: Partition, service: String, region: String, account: String, resource: String) {
        self.partition = partition
        self.service = service
        self.region = region
        self.account = account
        self.resource = resource
    }

    /// Parses `arn:partition:service:region:account:resource`; the resource may itself contain `:`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", let p = Partition(rawValue: String(parts[1])), !parts[2].isEmpty else {
            return nil
        }
        self.init(partition: p, service: String(parts[2]), region: String(parts[3]), account: String(parts[4]),
                  resource: String(parts[5]))
    }

    public var description: String { "arn:\(partition.rawValue):\(service):\(region):\(account):\(resource)" }
}

/// A region name as it comes from the SigV4 credential scope.
public enum RegionName {
    /// Region names are lowercase letters, digits and dashes (`us-east-1`, `cn-north-1`, `us-gov-west-1`).
    public static func isValid(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 64 && s.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
    }
}
