// The CloudWatch Logs operations Warden serves (AWS JSON 1.1, Logs_20140328): IAM action, read-only-ness.
import WardenAPI
import WardenCore

extension LogsService {
    /// Reading and writing log events are data events (a trail's management events do not carry log lines).
    static let dataActions: Set<String> = ["PutLogEvents", "GetLogEvents", "FilterLogEvents"]

    static func traits(_ action: String, readOnly: Bool) -> OperationTraits {
        OperationTraits(iamAction: "logs:\(action)", readOnly: readOnly, category: dataActions.contains(action) ? .data : .management,
                        redactedRequestMembers: ["logEvents", "logEventMessages"])
    }

    public var descriptor: ServiceDescriptor {
        typealias Ops = Logs.Operations
        var d = ServiceDescriptor(
            model: Logs.model, eventSource: "logs.amazonaws.com",
            validationError: (code: "InvalidParameterException", queryCode: nil, status: 400),
            operations: [
                AnyOperation(Ops.CreateLogGroup.self, traits: Self.traits("CreateLogGroup", readOnly: false), createLogGroup),
                AnyOperation(Ops.DeleteLogGroup.self, traits: Self.traits("DeleteLogGroup", readOnly: false), deleteLogGroup),
                AnyOperation(Ops.DescribeLogGroups.self, traits: Self.traits("DescribeLogGroups", readOnly: true), describeLogGroups),
                AnyOperation(Ops.PutRetentionPolicy.self, traits: Self.traits("PutRetentionPolicy", readOnly: false), putRetentionPolicy),
                AnyOperation(Ops.DeleteRetentionPolicy.self, traits: Self.traits("DeleteRetentionPolicy", readOnly: false), deleteRetentionPolicy),
                AnyOperation(Ops.CreateLogStream.self, traits: Self.traits("CreateLogStream", readOnly: false), createLogStream),
                AnyOperation(Ops.DeleteLogStream.self, traits: Self.traits("DeleteLogStream", readOnly: false), deleteLogStream),
                AnyOperation(Ops.DescribeLogStreams.self, traits: Self.traits("DescribeLogStreams", readOnly: true), describeLogStreams),
                AnyOperation(Ops.PutLogEvents.self, traits: Self.traits("PutLogEvents", readOnly: false), putLogEvents),
                AnyOperation(Ops.GetLogEvents.self, traits: Self.traits("GetLogEvents", readOnly: true), getLogEvents),
                AnyOperation(Ops.FilterLogEvents.self, traits: Self.traits("FilterLogEvents", readOnly: true), filterLogEvents),
                AnyOperation(Ops.PutMetricFilter.self, traits: Self.traits("PutMetricFilter", readOnly: false), putMetricFilter),
                AnyOperation(Ops.DescribeMetricFilters.self, traits: Self.traits("DescribeMetricFilters", readOnly: true), describeMetricFilters),
                AnyOperation(Ops.DeleteMetricFilter.self, traits: Self.traits("DeleteMetricFilter", readOnly: false), deleteMetricFilter),
                AnyOperation(Ops.TestMetricFilter.self, traits: Self.traits("TestMetricFilter", readOnly: true), testMetricFilter),
                AnyOperation(Ops.PutSubscriptionFilter.self, traits: Self.traits("PutSubscriptionFilter", readOnly: false), putSubscriptionFilter),
                AnyOperation(Ops.DescribeSubscriptionFilters.self, traits: Self.traits("DescribeSubscriptionFilters", readOnly: true), describeSubscriptionFilters),
                AnyOperation(Ops.DeleteSubscriptionFilter.self, traits: Self.traits("DeleteSubscriptionFilter", readOnly: false), deleteSubscriptionFilter),
                AnyOperation(Ops.TagResource.self, traits: Self.traits("TagResource", readOnly: false), tagResource),
                AnyOperation(Ops.UntagResource.self, traits: Self.traits("UntagResource", readOnly: false), untagResource),
                AnyOperation(Ops.ListTagsForResource.self, traits: Self.traits("ListTagsForResource", readOnly: true), listTagsForResource),
                AnyOperation(Ops.TagLogGroup.self, traits: Self.traits("TagLogGroup", readOnly: false), tagLogGroup),
                AnyOperation(Ops.UntagLogGroup.self, traits: Self.traits("UntagLogGroup", readOnly: false), untagLogGroup),
                AnyOperation(Ops.ListTagsLogGroup.self, traits: Self.traits("ListTagsLogGroup", readOnly: true), listTagsLogGroup),
            ])
        d.authority = LogsAuthority(logs: self)
        return d
    }
}
