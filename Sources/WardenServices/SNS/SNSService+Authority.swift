// What SNS requests are authorized against (SNS Developer Guide, "Identity and access management in Amazon SNS";
// Service Authorization Reference, "Amazon SNS"): the topic, with its access policy and tags; a subscription's calls
// on the topic it belongs to, as SNS authorizes them; a text message on the phone number it goes to.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

struct SNSAuthority: ResourceAuthority {
    let sns: SNSService

    func authorizationFacts(operation: String, action: String, input: AWSValue, resources: [AuditResource],
                            context c: RequestContext) async throws -> AuthorizationFacts {
        let fields = input.mapValue ?? [:]
        // CreateTopic and TagResource carry `Tags` (aws:RequestTag, aws:TagKeys); UntagResource names only keys.
        var conditions = RequestTags.conditions(input)
        if case .list(let keys)? = fields["TagKeys"] { conditions["aws:TagKeys"] = keys.compactMap(\.stringValue) }
        switch operation {
        case "Subscribe":
            if let p = fields["Protocol"]?.stringValue { conditions["sns:Protocol"] = [p] }
            if let e = fields["Endpoint"]?.stringValue { conditions["sns:Endpoint"] = [e] }
        case "CreateTopic":
            // The topic to be has no policy yet: the caller's own policies decide, on the ARN it will have.
            guard let name = fields["Name"]?.stringValue else { return AuthorizationFacts(conditions: conditions) }
            return AuthorizationFacts(resources: [ResourceFacts(arn: SNSService.topicArn(c, name), account: c.account)],
                                      conditions: conditions)
        case "Publish":
            // A direct text message is authorized on the number itself ("…SNS:Publish on resource: +358…").
            if let phone = fields["PhoneNumber"]?.stringValue {
                return AuthorizationFacts(resources: [ResourceFacts(arn: phone, account: c.account)], conditions: conditions)
            }
        default:
            break
        }
        // The audit declaration already names the topic: from TopicArn, TargetArn, ResourceArn, or the topic part of a
        // SubscriptionArn (Unsubscribe, Get/SetSubscriptionAttributes).
        var out: [ResourceFacts] = []
        for r in resources { out.append(try await topic(r)) }
        return AuthorizationFacts(resources: out, conditions: conditions)
    }

    /// The topic with its policy (SNS's default policy when none was set, as GetTopicAttributes shows it) and tags.
    /// A topic that does not exist has neither: the operation then reports NotFound, once the caller may call it.
    func topic(_ r: AuditResource) async throws -> ResourceFacts {
        guard let arn = ARN(r.arn), arn.service == "sns",
              // Platform endpoints (`endpoint/…`) and malformed names are no topics: no read for them.
              !arn.resource.isEmpty, !arn.resource.contains(":"), !arn.resource.contains("/"),
              let row = try await sns.repository.topic(account: arn.account, region: arn.region, name: arn.resource),
              let record = try? TopicRecord.decode(row.doc)
        else {
            return ResourceFacts(arn: r.arn, account: r.account)
        }
        let policy = record.attributes["Policy"] ?? SNSService.defaultPolicy(arn: r.arn, account: row.account)
        var tags: [String: [String]] = [:]
        for pair in record.tags where !pair.isEmpty {
            tags["aws:ResourceTag/\(pair[0])"] = [pair.count > 1 ? pair[1] : ""]
        }
        return ResourceFacts(arn: r.arn, account: row.account, policies: [PolicyText(id: "topic policy", json: policy)],
                             conditions: tags)
    }
}
