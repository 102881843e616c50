// The Lambda operations Warden serves (REST-JSON): IAM action, read-only-ness, the function each record names.
import WardenAPI
import WardenCore

extension LambdaService {
    /// The function an audit record names, from FunctionName or Resource.
    static func functionResource(_ input: AWSValue, _ c: RequestContext) -> [AuditResource] {
        guard case .structure(let fields) = input else { return [] }
        for member in ["FunctionName", "Resource"] {
            if case .string(let ref)? = fields[member], let name = try? parse(ref, c).name {
                return [AuditResource(type: "AWS::Lambda::Function", arn: functionArn(c, name), account: c.account)]
            }
        }
        return []
    }

    static func traits(_ action: String, readOnly: Bool, data: Bool = false) -> OperationTraits {
        // Code, invocation payloads and environment variables never reach the audit record.
        OperationTraits(iamAction: "lambda:\(action)", readOnly: readOnly, category: data ? .data : .management,
                        redactedRequestMembers: ["ZipFile", "Payload", "Variables", "ClientContext"],
                        redactedResponseMembers: ["Payload", "Variables", "LogResult"], resources: functionResource)
    }

    public var descriptor: ServiceDescriptor {
        typealias Ops = Lambda.Operations
        var d = ServiceDescriptor(
            model: Lambda.model, eventSource: "lambda.amazonaws.com",
            validationError: (code: "ValidationException", queryCode: nil, status: 400),
            operations: [
                AnyOperation(Ops.CreateFunction.self, traits: Self.traits("CreateFunction", readOnly: false), createFunction),
                AnyOperation(Ops.GetFunction.self, traits: Self.traits("GetFunction", readOnly: true), getFunction),
                AnyOperation(Ops.GetFunctionConfiguration.self, traits: Self.traits("GetFunctionConfiguration", readOnly: true),
                             getFunctionConfiguration),
                AnyOperation(Ops.ListFunctions.self, traits: Self.traits("ListFunctions", readOnly: true), listFunctions),
                AnyOperation(Ops.UpdateFunctionCode.self, traits: Self.traits("UpdateFunctionCode", readOnly: false), updateFunctionCode),
                AnyOperation(Ops.UpdateFunctionConfiguration.self, traits: Self.traits("UpdateFunctionConfiguration", readOnly: false),
                             updateFunctionConfiguration),
                AnyOperation(Ops.DeleteFunction.self, traits: Self.traits("DeleteFunction", readOnly: false), deleteFunction),
                AnyOperation(Ops.Invoke.self, traits: Self.traits("InvokeFunction", readOnly: false, data: true), invoke),
                AnyOperation(Ops.AddPermission.self, traits: Self.traits("AddPermission", readOnly: false), addPermission),
                AnyOperation(Ops.RemovePermission.self, traits: Self.traits("RemovePermission", readOnly: false), removePermission),
                AnyOperation(Ops.GetPolicy.self, traits: Self.traits("GetPolicy", readOnly: true), getPolicy),
                AnyOperation(Ops.TagResource.self, traits: Self.traits("TagResource", readOnly: false), tagResource),
                AnyOperation(Ops.UntagResource.self, traits: Self.traits("UntagResource", readOnly: false), untagResource),
                AnyOperation(Ops.ListTags.self, traits: Self.traits("ListTags", readOnly: true), listTags),
                // Versions, aliases and asynchronous invocation settings (LambdaService+Versions, +Aliases, +InvokeConfig).
                AnyOperation(Ops.PublishVersion.self, traits: Self.traits("PublishVersion", readOnly: false), publishVersion),
                AnyOperation(Ops.ListVersionsByFunction.self, traits: Self.traits("ListVersionsByFunction", readOnly: true),
                             listVersionsByFunction),
                AnyOperation(Ops.CreateAlias.self, traits: Self.traits("CreateAlias", readOnly: false), createAlias),
                AnyOperation(Ops.GetAlias.self, traits: Self.traits("GetAlias", readOnly: true), getAlias),
                AnyOperation(Ops.UpdateAlias.self, traits: Self.traits("UpdateAlias", readOnly: false), updateAlias),
                AnyOperation(Ops.DeleteAlias.self, traits: Self.traits("DeleteAlias", readOnly: false), deleteAlias),
                AnyOperation(Ops.ListAliases.self, traits: Self.traits("ListAliases", readOnly: true), listAliases),
                AnyOperation(Ops.PutFunctionEventInvokeConfig.self, traits: Self.traits("PutFunctionEventInvokeConfig", readOnly: false),
                             putFunctionEventInvokeConfig),
                AnyOperation(Ops.UpdateFunctionEventInvokeConfig.self, traits: Self.traits("UpdateFunctionEventInvokeConfig", readOnly: false),
                             updateFunctionEventInvokeConfig),
                AnyOperation(Ops.GetFunctionEventInvokeConfig.self, traits: Self.traits("GetFunctionEventInvokeConfig", readOnly: true),
                             getFunctionEventInvokeConfig),
                AnyOperation(Ops.DeleteFunctionEventInvokeConfig.self, traits: Self.traits("DeleteFunctionEventInvokeConfig", readOnly: false),
                             deleteFunctionEventInvokeConfig),
                AnyOperation(Ops.ListFunctionEventInvokeConfigs.self, traits: Self.traits("ListFunctionEventInvokeConfigs", readOnly: true),
                             listFunctionEventInvokeConfigs),
            ] + eventSourceOperations)
        d.authority = EventSourceAuthority(lambda: self, functions: LambdaAuthority(lambda: self))
        return d
    }
}
