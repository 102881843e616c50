// AWS STS: who the caller is.
import WardenAPI
import WardenCore

public struct STSService: Sendable {
    public init() {}

    /// Answers the authenticated caller's account, ARN and user id.
    func getCallerIdentity(_ input: STS.GetCallerIdentityRequest, context: RequestContext) async throws -> STS.GetCallerIdentityResponse {
        guard let p = context.principal else {
            throw AWSError(code: "MissingAuthenticationToken", status: 403, message: "Request is missing Authentication Token")
        }
        return STS.GetCallerIdentityResponse(userId: p.userId, account: p.account, arn: p.arn)
    }
}

extension STSService {
    /// The operations Warden serves, each with its audit and authorization declarations.
    public var descriptor: ServiceDescriptor {
        ServiceDescriptor(
            model: STS.model, eventSource: "sts.amazonaws.com",
            validationError: (code: "ValidationError", queryCode: nil, status: 400),
            operations: [
                AnyOperation(STS.Operations.GetCallerIdentity.self,
                             traits: OperationTraits(iamAction: "sts:GetCallerIdentity", readOnly: true),
                             getCallerIdentity),
            ])
    }
}
