// The request path for the bucket store: the same authentication, authorization and audit as every other call,
// with S3's signing rules (declared payload hash, no path normalization) and S3's REST-XML wire.
import Foundation
import WardenAudit
import WardenAuth
import WardenCore
import WardenProtocol

extension RequestPipeline {
    static let s3EventSource = "s3.amazonaws.com"

    /// The IAM action of an S3 operation (they differ from the operation names for listing and reading).
    static func s3Action(_ name: String) -> String {
        switch name {
        case "ListObjects", "ListObjectsV2", "HeadBucket": return "s3:ListBucket"
        case "HeadObject": return "s3:GetObject"
        case "DeleteObjects": return "s3:DeleteObject"
        case "ListBuckets": return "s3:ListAllMyBuckets"
        default: return "s3:\(name)"
        }
    }

    func handleS3(_ request: WardenRequest, handler: S3Handler, requestId: String, started: ContinuousClock.Instant) async -> WardenResponse {
        let bodyHash = SigV4Canonical.sha256Hex(request.body)
        let sigRequest = SigV4Request(method: request.method, rawPath: request.path, rawQuery: request.query,
                                      headers: request.headers, bodySHA256: bodyHash, isS3: true)
        let target = S3Target.parse(request)
        let op = target.flatMap { S3Handler.operation(request.method, $0) }
        var context = baseContext(request, requestId: requestId)
        var event = AuditEvent(context: context, eventSource: Self.s3EventSource, eventName: op?.name ?? "Unknown",
                               readOnly: op?.readOnly ?? false, category: op?.data == true ? .data : .management)
        var response: WardenResponse
        do {
            let caller: AuthenticatedCaller
            switch await authenticate(sigRequest) {
            case .success(let c):
                if let s = c.principal.session, now() >= s.expiresAt { throw AuthFailure.expiredToken.awsError(for: .s3) }
                caller = c
            case .failure(let failure):
                if let region = ServiceTable.scopeRegion(request), RegionName.isValid(region) { context.region = region }
                throw failure.awsError(for: .s3)
            }
            context.region = caller.scope.region
            context.partition = Partition(region: caller.scope.region)
            context.account = caller.principal.account
            context.principal = caller.principal.inPartition(context.partition)
            try Self.checkPayloadHash(request, computed: bodyHash)
            guard let target else {
                throw AWSError(code: "InvalidURI", status: 400, message: "Couldn't parse the specified URI.")
            }
            let host = request.header("host") ?? ""
            let (params, resources) = S3Handler.recordParts(target, host: host, account: context.account,
                                                            partition: context.partition.rawValue)
            event.requestParameters = params
            event.resources = resources
            guard let op else {
                throw AWSError(code: "NotImplemented", status: 501,
                               message: "A header you provided implies functionality that is not implemented")
            }
            let facts = AuthorizationFacts(resources: resources.map { ResourceFacts(arn: $0.arn, account: $0.account) })
            if let denial = await authorizer.authorize(action: Self.s3Action(op.name), facts: facts, context: context) {
                logger.notice("denied", metadata: [
                    "requestId": "\(requestId)", "action": "\(Self.s3Action(op.name))",
                    "principal": "\(context.principal?.arn ?? "anonymous")", "decidedBy": "\(denial.decidedBy)",
                ])
                throw AWSError(code: "AccessDenied", status: 403, message: denial.message)
            }
            context.authorizer = authorizer.callAuthorizer
            context.service = "s3"
            response = try await handler.handle(op, target, request, context: context)
            response.headers.append(("x-amz-request-id", requestId))
        } catch {
            let awsError: AWSError
            if let e = error as? AWSError {
                awsError = e
            } else {
                logger.error("s3 operation failed unexpectedly", metadata: ["requestId": "\(requestId)", "error": "\(error)"])
                awsError = .internalFailure("We encountered an internal error. Please try again.")
            }
            event.errorCode = awsError.code
            event.errorMessage = awsError.message
            response = S3Handler.error(awsError, method: request.method, target: target, requestId: requestId)
        }
        event.context = context
        let final: WardenResponse
        do {
            try await audit.record(event.stored)
            final = response
        } catch {
            logger.error("audit record not written; failing the request", metadata: ["requestId": "\(requestId)"])
            final = S3Handler.error(.internalFailure("We encountered an internal error. Please try again."),
                                    method: request.method, target: target, requestId: requestId)
        }
        let elapsed = ContinuousClock.now - started
        metrics.record(service: "s3", operation: op?.name ?? "unknown", status: final.status, duration: elapsed)
        logger.info("request", metadata: [
            "requestId": "\(requestId)", "service": "s3", "operation": "\(op?.name ?? "unknown")",
            "status": "\(final.status)", "account": "\(context.account)",
        ])
        return final
    }

    private func authenticate(_ sigRequest: SigV4Request) async -> Result<AuthenticatedCaller, AuthFailure> {
        do {
            let auth = try SigV4AuthData.parse(sigRequest)
            return .success(try await verifier.verify(sigRequest, auth: auth, now: Date()))
        } catch {
            return .failure(error)
        }
    }

    /// S3 lets the client declare the payload hash; a declared hash must match the body we received.
    static func checkPayloadHash(_ request: WardenRequest, computed: String) throws(AWSError) {
        guard let declared = request.header("x-amz-content-sha256") else {
            if request.header("authorization") != nil {
                throw AWSError(code: "InvalidRequest", status: 400, message: "Missing required header for this request: x-amz-content-sha256")
            }
            return
        }
        if declared == "UNSIGNED-PAYLOAD" { return }
        if declared.hasPrefix("STREAMING-") {
            throw AWSError(code: "NotImplemented", status: 501,
                           message: "aws-chunked uploads (\(declared)) are not implemented by Warden's bucket store.")
        }
        guard declared.lowercased() == computed else {
            throw AWSError(code: "XAmzContentSHA256Mismatch", status: 400,
                           message: "The provided 'x-amz-content-sha256' header does not match what was computed.")
        }
    }
}
