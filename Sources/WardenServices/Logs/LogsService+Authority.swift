// What CloudWatch Logs requests are authorized against (CloudWatch Logs User Guide, "Identity and access management";
// Service Authorization Reference, "Amazon CloudWatch Logs"), with the ARNs as Logs renders them in its denials: a log
// group's operations on `…:log-group:NAME:log-stream:` (hence policies name groups `log-group:NAME:*`), a stream's on
// `…:log-group:NAME:log-stream:STREAM`, DescribeLogGroups on `…:log-group::log-stream:`, and the ARN-addressed tag
// operations on the group ARN they are given. Warden keeps no Logs resource policies (PutResourcePolicy is not served).
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

struct LogsAuthority: ResourceAuthority {
    let logs: LogsService

    /// Operations on one log stream. The log-stream resource type has no condition keys, so no group read for them.
    static let streamOperations: Set<String> = ["CreateLogStream", "DeleteLogStream", "PutLogEvents", "GetLogEvents"]

    func authorizationFacts(operation: String, action: String, input: AWSValue, resources: [AuditResource],
                            context c: RequestContext) async throws -> AuthorizationFacts {
        let fields = input.mapValue ?? [:]
        // CreateLogGroup, TagResource and TagLogGroup carry a `tags` map; UntagResource names keys in `tagKeys`,
        // UntagLogGroup in `tags`.
        var conditions = RequestTags.conditions(input, member: "tags")
        for member in ["tagKeys", "tags"] {
            if case .list(let keys)? = fields[member] { conditions["aws:TagKeys"] = keys.compactMap(\.stringValue) }
        }
        let groups = "arn:\(c.partition.rawValue):logs:\(c.region):\(c.account):log-group:"
        var out: [ResourceFacts] = []
        switch operation {
        case "DescribeLogGroups":
            out = [ResourceFacts(arn: groups + ":log-stream:", account: c.account)]
        case "TestMetricFilter":
            break
        case "TagResource", "UntagResource", "ListTagsForResource":
            guard let arn = fields["resourceArn"]?.stringValue else { break }
            var tags: [String: [String]] = [:]
            if let name = try? LogsService.groupOfArn(arn) { tags = try await groupTags(name, c) }
            out = [ResourceFacts(arn: arn, account: ARN(arn)?.account ?? c.account, conditions: tags)]
        default:
            guard let name = try? LogsService.groupName(fields["logGroupName"]?.stringValue, fields["logGroupIdentifier"]?.stringValue)
            else { break }
            if Self.streamOperations.contains(operation) {
                let stream = fields["logStreamName"]?.stringValue ?? ""
                out = [ResourceFacts(arn: "\(groups)\(name):log-stream:\(stream)", account: c.account)]
            } else if operation == "CreateLogGroup" {
                // The group to be has no tags yet. Tags given with it also need logs:TagResource on the group.
                out = [ResourceFacts(arn: "\(groups)\(name):log-stream:", account: c.account)]
                if case .map(let tags)? = fields["tags"], !tags.isEmpty {
                    out.append(ResourceFacts(arn: groups + name, account: c.account, action: "logs:TagResource"))
                }
            } else {
                out = [ResourceFacts(arn: "\(groups)\(name):log-stream:", account: c.account, conditions: try await groupTags(name, c))]
            }
        }
        return AuthorizationFacts(resources: out, conditions: conditions)
    }

    /// `aws:ResourceTag/…` from the log group's tags; none when it does not exist (the operation reports that).
    func groupTags(_ name: String, _ c: RequestContext) async throws -> [String: [String]] {
        guard let group = try await logs.repository.group(account: c.account, region: c.region, name: name) else { return [:] }
        var out: [String: [String]] = [:]
        for (k, v) in LogGroupDoc.decode(group.doc).tags { out["aws:ResourceTag/\(k)"] = [v] }
        return out
    }
}
