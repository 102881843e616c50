// The Lambda operations Warden serves (REST-JSON): IAM action, read-only-ness, the function each record names.
import WardenAPI
import WardenCore

extension LambdaService {
    /// The function an audit record names, from FunctionName or Resource.
    static func functionResource(_ input: AWSValue, _ c: RequestContext) -> [AuditResource] {
        guard case .structure(let fields) = input else { return [] }
        for member in ["FunctionName", "Resource"] {
            if case .string(let ref)? = fields[member], let name = try? name(ref, c) {
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
            ])
        d.authority = LambdaAuthority(lambda: self)
        return d
    }
}
