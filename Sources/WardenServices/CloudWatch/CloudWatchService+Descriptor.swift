// The CloudWatch operations Warden serves (AWS JSON 1.0 `GraniteServiceVersion20100801`, and Query): IAM action,
// read-only-ness. Metric data calls are data events, as CloudTrail records them.
import WardenAPI
import WardenCore

extension CloudWatchService {
    static let dataActions: Set<String> = ["PutMetricData", "GetMetricData", "GetMetricStatistics", "ListMetrics"]

    static func traits(_ action: String, readOnly: Bool) -> OperationTraits {
        OperationTraits(iamAction: "cloudwatch:\(action)", readOnly: readOnly, category: dataActions.contains(action) ? .data : .management)
    }

    public var descriptor: ServiceDescriptor {
        typealias Ops = CloudWatch.Operations
        return ServiceDescriptor(
            model: CloudWatch.model, eventSource: "monitoring.amazonaws.com",
            validationError: (code: "ValidationError", queryCode: "ValidationError", status: 400),
            operations: [
                AnyOperation(Ops.PutMetricData.self, traits: Self.traits("PutMetricData", readOnly: false), putMetricData),
                AnyOperation(Ops.GetMetricData.self, traits: Self.traits("GetMetricData", readOnly: true), getMetricData),
                AnyOperation(Ops.GetMetricStatistics.self, traits: Self.traits("GetMetricStatistics", readOnly: true), getMetricStatistics),
                AnyOperation(Ops.ListMetrics.self, traits: Self.traits("ListMetrics", readOnly: true), listMetrics),
                AnyOperation(Ops.PutMetricAlarm.self, traits: Self.traits("PutMetricAlarm", readOnly: false), putMetricAlarm),
                AnyOperation(Ops.DescribeAlarms.self, traits: Self.traits("DescribeAlarms", readOnly: true), describeAlarms),
                AnyOperation(Ops.DescribeAlarmsForMetric.self, traits: Self.traits("DescribeAlarmsForMetric", readOnly: true), describeAlarmsForMetric),
                AnyOperation(Ops.DescribeAlarmHistory.self, traits: Self.traits("DescribeAlarmHistory", readOnly: true), describeAlarmHistory),
                AnyOperation(Ops.SetAlarmState.self, traits: Self.traits("SetAlarmState", readOnly: false), setAlarmState),
                AnyOperation(Ops.DeleteAlarms.self, traits: Self.traits("DeleteAlarms", readOnly: false), deleteAlarms),
                AnyOperation(Ops.EnableAlarmActions.self, traits: Self.traits("EnableAlarmActions", readOnly: false), enableAlarmActions),
                AnyOperation(Ops.DisableAlarmActions.self, traits: Self.traits("DisableAlarmActions", readOnly: false), disableAlarmActions),
                AnyOperation(Ops.TagResource.self, traits: Self.traits("TagResource", readOnly: false), tagResource),
                AnyOperation(Ops.UntagResource.self, traits: Self.traits("UntagResource", readOnly: false), untagResource),
                AnyOperation(Ops.ListTagsForResource.self, traits: Self.traits("ListTagsForResource", readOnly: true), listTagsForResource),
            ], queryCompatible: true)
    }
}
