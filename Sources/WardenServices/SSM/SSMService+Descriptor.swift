// The Parameter Store operations Warden serves (AWS JSON 1.1, AmazonSSM): IAM action, read-only-ness, the parameter named.
import WardenAPI
import WardenCore

extension SSMService {
    /// The parameter an audit record names, from Name or ResourceId.
    static func parameterResource(_ input: AWSValue, _ c: RequestContext) -> [AuditResource] {
        guard case .structure(let fields) = input else { return [] }
        for member in ["Name", "ResourceId", "Path"] {
            if case .string(let raw)? = fields[member], let name = try? normalize(raw, c) {
                let bare = name.split(separator: ":").first.map(String.init) ?? name
                return [AuditResource(type: "AWS::SSM::Parameter", arn: arn(c, bare), account: c.account)]
            }
        }
        return []
    }

    static func traits(_ action: String, readOnly: Bool) -> OperationTraits {
        // Values (and SecureString plaintexts) never reach the audit record, as in CloudTrail's SSM events.
        OperationTraits(iamAction: "ssm:\(action)", readOnly: readOnly, redactedRequestMembers: ["Value"],
                        redactedResponseMembers: ["Value"], resources: parameterResource)
    }

    public var descriptor: ServiceDescriptor {
        typealias Ops = SSM.Operations
        return ServiceDescriptor(
            model: SSM.model, eventSource: "ssm.amazonaws.com",
            validationError: (code: "ValidationException", queryCode: nil, status: 400),
            operations: [
                AnyOperation(Ops.PutParameter.self, traits: Self.traits("PutParameter", readOnly: false), putParameter),
                AnyOperation(Ops.GetParameter.self, traits: Self.traits("GetParameter", readOnly: true), getParameter),
                AnyOperation(Ops.GetParameters.self, traits: Self.traits("GetParameters", readOnly: true), getParameters),
                AnyOperation(Ops.GetParametersByPath.self, traits: Self.traits("GetParametersByPath", readOnly: true), getParametersByPath),
                AnyOperation(Ops.DescribeParameters.self, traits: Self.traits("DescribeParameters", readOnly: true), describeParameters),
                AnyOperation(Ops.GetParameterHistory.self, traits: Self.traits("GetParameterHistory", readOnly: true), getParameterHistory),
                AnyOperation(Ops.LabelParameterVersion.self, traits: Self.traits("LabelParameterVersion", readOnly: false), labelParameterVersion),
                AnyOperation(Ops.UnlabelParameterVersion.self, traits: Self.traits("UnlabelParameterVersion", readOnly: false),
                             unlabelParameterVersion),
                AnyOperation(Ops.DeleteParameter.self, traits: Self.traits("DeleteParameter", readOnly: false), deleteParameter),
                AnyOperation(Ops.DeleteParameters.self, traits: Self.traits("DeleteParameters", readOnly: false), deleteParameters),
                AnyOperation(Ops.AddTagsToResource.self, traits: Self.traits("AddTagsToResource", readOnly: false), addTagsToResource),
                AnyOperation(Ops.RemoveTagsFromResource.self, traits: Self.traits("RemoveTagsFromResource", readOnly: false),
                             removeTagsFromResource),
                AnyOperation(Ops.ListTagsForResource.self, traits: Self.traits("ListTagsForResource", readOnly: true), listTagsForResource),
            ])
    }
}
