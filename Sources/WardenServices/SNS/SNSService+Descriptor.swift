// The SNS operations Warden serves (Query protocol): IAM action, read-only-ness, data vs management, the topic named.
import WardenAPI
import WardenCore

extension SNSService {
    /// The topic an audit record names, from TopicArn/TargetArn/ResourceArn or the topic part of a SubscriptionArn.
    static func topicResource(_ input: AWSValue, _ c: RequestContext) -> [AuditResource] {
        guard case .structure(let fields) = input else { return [] }
        for member in ["TopicArn", "TargetArn", "ResourceArn"] {
            if case .string(let arn)? = fields[member], let parsed = ARN(arn), parsed.service == "sns" {
                return [AuditResource(type: "AWS::SNS::Topic", arn: arn, account: parsed.account)]
            }
        }
        if case .string(let sub)? = fields["SubscriptionArn"] {
            let parts = sub.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 7 {
                let topic = parts.prefix(6).joined(separator: ":")
                return [AuditResource(type: "AWS::SNS::Topic", arn: topic, account: String(parts[4]))]
            }
        }
        return []
    }

    static func traits(_ action: String, readOnly: Bool, data: Bool = false, anonymous: Bool = false) -> OperationTraits {
        // Published messages and confirmation tokens never reach the audit record.
        var t = OperationTraits(iamAction: "sns:\(action)", readOnly: readOnly, category: data ? .data : .management,
                                redactedRequestMembers: ["Message", "MessageAttributes", "Token"], resources: topicResource)
        t.allowsAnonymous = anonymous
        return t
    }

    public var descriptor: ServiceDescriptor {
        typealias Ops = SNS.Operations
        var d = ServiceDescriptor(
            model: SNS.model, eventSource: "sns.amazonaws.com",
            validationError: (code: "InvalidParameterException", queryCode: "InvalidParameter", status: 400),
            operations: [
                AnyOperation(Ops.CreateTopic.self, traits: Self.traits("CreateTopic", readOnly: false), createTopic),
                AnyOperation(Ops.DeleteTopic.self, traits: Self.traits("DeleteTopic", readOnly: false), deleteTopic),
                AnyOperation(Ops.ListTopics.self, traits: Self.traits("ListTopics", readOnly: true), listTopics),
                AnyOperation(Ops.GetTopicAttributes.self, traits: Self.traits("GetTopicAttributes", readOnly: true), getTopicAttributes),
                AnyOperation(Ops.SetTopicAttributes.self, traits: Self.traits("SetTopicAttributes", readOnly: false), setTopicAttributes),
                AnyOperation(Ops.CheckIfPhoneNumberIsOptedOut.self, traits: Self.traits("CheckIfPhoneNumberIsOptedOut", readOnly: true),
                             checkIfPhoneNumberIsOptedOut),
                AnyOperation(Ops.ListPhoneNumbersOptedOut.self, traits: Self.traits("ListPhoneNumbersOptedOut", readOnly: true),
                             listPhoneNumbersOptedOut),
                AnyOperation(Ops.OptInPhoneNumber.self, traits: Self.traits("OptInPhoneNumber", readOnly: false), optInPhoneNumber),
                AnyOperation(Ops.GetSMSAttributes.self, traits: Self.traits("GetSMSAttributes", readOnly: true), getSMSAttributes),
                AnyOperation(Ops.SetSMSAttributes.self, traits: Self.traits("SetSMSAttributes", readOnly: false), setSMSAttributes),
                AnyOperation(Ops.AddPermission.self, traits: Self.traits("AddPermission", readOnly: false), addPermission),
                AnyOperation(Ops.RemovePermission.self, traits: Self.traits("RemovePermission", readOnly: false), removePermission),
                AnyOperation(Ops.TagResource.self, traits: Self.traits("TagResource", readOnly: false), tagResource),
                AnyOperation(Ops.UntagResource.self, traits: Self.traits("UntagResource", readOnly: false), untagResource),
                AnyOperation(Ops.ListTagsForResource.self, traits: Self.traits("ListTagsForResource", readOnly: true), listTagsForResource),
                AnyOperation(Ops.Subscribe.self, traits: Self.traits("Subscribe", readOnly: false), subscribe),
                AnyOperation(Ops.Unsubscribe.self, traits: Self.traits("Unsubscribe", readOnly: false, anonymous: true), unsubscribe),
                AnyOperation(Ops.ConfirmSubscription.self, traits: Self.traits("ConfirmSubscription", readOnly: false, anonymous: true),
                             confirmSubscription),
                AnyOperation(Ops.ListSubscriptions.self, traits: Self.traits("ListSubscriptions", readOnly: true), listSubscriptions),
                AnyOperation(Ops.ListSubscriptionsByTopic.self, traits: Self.traits("ListSubscriptionsByTopic", readOnly: true),
                             listSubscriptionsByTopic),
                AnyOperation(Ops.GetSubscriptionAttributes.self, traits: Self.traits("GetSubscriptionAttributes", readOnly: true),
                             getSubscriptionAttributes),
                AnyOperation(Ops.SetSubscriptionAttributes.self, traits: Self.traits("SetSubscriptionAttributes", readOnly: false),
                             setSubscriptionAttributes),
                AnyOperation(Ops.Publish.self, traits: Self.traits("Publish", readOnly: false, data: true), publish),
                AnyOperation(Ops.PublishBatch.self, traits: Self.traits("Publish", readOnly: false, data: true), publishBatch),
            ] + platformOperations + sandboxOperations + dataProtectionOperations)
        d.authority = SNSAuthority(sns: self)
        return d
    }
}
