// The EventBridge operations Warden serves (AWS JSON 1.1, AWSEvents): IAM action, read-only-ness.
import WardenAPI
import WardenCore

extension EventsService {
    static func traits(_ action: String, readOnly: Bool) -> OperationTraits {
        OperationTraits(iamAction: "events:\(action)", readOnly: readOnly)
    }

    public var descriptor: ServiceDescriptor {
        typealias Ops = Events.Operations
        var d = ServiceDescriptor(
            model: Events.model, eventSource: "events.amazonaws.com",
            validationError: (code: "ValidationException", queryCode: nil, status: 400),
            operations: [
                AnyOperation(Ops.CreateEventBus.self, traits: Self.traits("CreateEventBus", readOnly: false), createEventBus),
                AnyOperation(Ops.DeleteEventBus.self, traits: Self.traits("DeleteEventBus", readOnly: false), deleteEventBus),
                AnyOperation(Ops.ListEventBuses.self, traits: Self.traits("ListEventBuses", readOnly: true), listEventBuses),
                AnyOperation(Ops.DescribeEventBus.self, traits: Self.traits("DescribeEventBus", readOnly: true), describeEventBus),
                AnyOperation(Ops.PutRule.self, traits: Self.traits("PutRule", readOnly: false), putRule),
                AnyOperation(Ops.DescribeRule.self, traits: Self.traits("DescribeRule", readOnly: true), describeRule),
                AnyOperation(Ops.ListRules.self, traits: Self.traits("ListRules", readOnly: true), listRules),
                AnyOperation(Ops.EnableRule.self, traits: Self.traits("EnableRule", readOnly: false), enableRule),
                AnyOperation(Ops.DisableRule.self, traits: Self.traits("DisableRule", readOnly: false), disableRule),
                AnyOperation(Ops.DeleteRule.self, traits: Self.traits("DeleteRule", readOnly: false), deleteRule),
                AnyOperation(Ops.PutTargets.self, traits: Self.traits("PutTargets", readOnly: false), putTargets),
                AnyOperation(Ops.RemoveTargets.self, traits: Self.traits("RemoveTargets", readOnly: false), removeTargets),
                AnyOperation(Ops.ListTargetsByRule.self, traits: Self.traits("ListTargetsByRule", readOnly: true), listTargetsByRule),
                AnyOperation(Ops.PutEvents.self, traits: Self.traits("PutEvents", readOnly: false), putEvents),
                AnyOperation(Ops.TestEventPattern.self, traits: Self.traits("TestEventPattern", readOnly: true), testEventPattern),
                AnyOperation(Ops.TagResource.self, traits: Self.traits("TagResource", readOnly: false), tagResource),
                AnyOperation(Ops.UntagResource.self, traits: Self.traits("UntagResource", readOnly: false), untagResource),
                AnyOperation(Ops.ListTagsForResource.self, traits: Self.traits("ListTagsForResource", readOnly: true), listTagsForResource),
            ])
        d.authority = EventsAuthority(events: self)
        return d
    }
}
