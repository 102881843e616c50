// The event source mapping operations as the pipeline sees them: IAM actions, audit resources, and what they are
// authorized against (Lambda Developer Guide, "Fine-tuning the Resources and Conditions sections of policies": event
// source mapping ARNs `arn:aws:lambda:REGION:ACCOUNT:event-source-mapping:UUID`, and the `lambda:FunctionArn`
// condition key naming the function a mapping invokes).
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension LambdaService {
    /// The mapping an audit record names: by UUID (Get/Update/Delete), or the new one Create made.
    static func mappingResource(_ input: AWSValue, _ c: RequestContext) -> [AuditResource] {
        guard case .structure(let fields) = input, case .string(let uuid)? = fields["UUID"] else { return [] }
        return [AuditResource(type: "AWS::Lambda::EventSourceMapping",
                              arn: mappingArn(partition: c.partition.rawValue, region: c.region, account: c.account, uuid: uuid),
                              account: c.account)]
    }

    static func mappingTraits(_ action: String, readOnly: Bool) -> OperationTraits {
        var t = OperationTraits(iamAction: "lambda:\(action)", readOnly: readOnly, resources: mappingResource)
        t.outputResources = { output, c in
            guard case .structure(let fields) = output, case .string(let arn)? = fields["EventSourceMappingArn"] else { return [] }
            return [AuditResource(type: "AWS::Lambda::EventSourceMapping", arn: arn, account: c.account)]
        }
        return t
    }

    var eventSourceOperations: [AnyOperation] {
        typealias Ops = Lambda.Operations
        return [
            AnyOperation(Ops.CreateEventSourceMapping.self, traits: Self.mappingTraits("CreateEventSourceMapping", readOnly: false),
                         createEventSourceMapping),
            AnyOperation(Ops.GetEventSourceMapping.self, traits: Self.mappingTraits("GetEventSourceMapping", readOnly: true),
                         getEventSourceMapping),
            AnyOperation(Ops.UpdateEventSourceMapping.self, traits: Self.mappingTraits("UpdateEventSourceMapping", readOnly: false),
                         updateEventSourceMapping),
            AnyOperation(Ops.DeleteEventSourceMapping.self, traits: Self.mappingTraits("DeleteEventSourceMapping", readOnly: false),
                         deleteEventSourceMapping),
            AnyOperation(Ops.ListEventSourceMappings.self, traits: Self.mappingTraits("ListEventSourceMappings", readOnly: true),
                         listEventSourceMappings),
        ]
    }
}

/// Authorizes the event source mapping operations on the mapping's ARN with `lambda:FunctionArn`; every other Lambda
/// operation goes to the function authority.
struct EventSourceAuthority: ResourceAuthority {
    let lambda: LambdaService
    let functions: any ResourceAuthority

    static let operations: Set<String> = ["CreateEventSourceMapping", "GetEventSourceMapping", "UpdateEventSourceMapping",
                                          "DeleteEventSourceMapping", "ListEventSourceMappings"]

    func authorizationFacts(operation: String, action: String, input: AWSValue, resources: [AuditResource],
                            context c: RequestContext) async throws -> AuthorizationFacts {
        guard Self.operations.contains(operation) else {
            return try await functions.authorizationFacts(operation: operation, action: action, input: input, resources: resources, context: c)
        }
        let fields = input.mapValue ?? [:]
        var conditions = RequestTags.conditions(input)
        // The function the request names (Create, Update, List), or the one the mapping invokes (Get, Update, Delete).
        if let ref = fields["FunctionName"]?.stringValue, let t = LambdaAuthority.target(ref, qualifier: nil, c) {
            conditions["lambda:FunctionArn"] = [t.arn]
        }
        switch operation {
        case "ListEventSourceMappings":
            return AuthorizationFacts(resources: [], conditions: conditions)
        case "CreateEventSourceMapping":
            // The mapping has no UUID yet: any mapping of the account and region.
            let arn = LambdaService.mappingArn(partition: c.partition.rawValue, region: c.region, account: c.account, uuid: "*")
            return AuthorizationFacts(resources: [ResourceFacts(arn: arn, account: c.account)], conditions: conditions)
        default:
            if conditions["lambda:FunctionArn"] == nil, let uuid = fields["UUID"]?.stringValue,
               let row = try await lambda.mappings.mapping(uuid: uuid, account: c.account, region: c.region) {
                conditions["lambda:FunctionArn"] = [row.functionArn]
            }
            return AuthorizationFacts(resources: resources.map { ResourceFacts(arn: $0.arn, account: $0.account) },
                                      conditions: conditions)
        }
    }
}
