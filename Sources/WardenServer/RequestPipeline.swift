// The one request path: route → authenticate → authorize → decode/validate → operation → encode → audit → respond.
import Crypto
import Foundation
import Logging
import WardenAudit
import WardenAuth
import WardenCore
import WardenProtocol
import WardenServices

/// Decides whether a caller may perform an operation. Every call goes through it.
public protocol Authorizer: Sendable {
    /// nil when the call is allowed; the denial's AWS message otherwise. Throws an AWS error a service raised while
    /// gathering its facts (a key that does not exist).
    func authorize(operation: AnyOperation, service: ServiceDescriptor, input: AWSValue, resources: [AuditResource],
                   context: RequestContext) async throws -> Denial?
    /// The same decision for a call whose facts are already known (the bucket store's requests).
    func authorize(action: String, facts: AuthorizationFacts, context: RequestContext) async -> Denial?
    /// The authorizer services use for what they do on the caller's behalf (`RequestContext.authorizer`).
    var callAuthorizer: (any CallAuthorizer)? { get }
}

/// Why a call was refused: AWS's message, and which statement decided (for the request log).
public struct Denial: Sendable, Error {
    public var message: String
    public var decidedBy: String
}

public struct AllowAllAuthorizer: Authorizer {
    public init() {}
    public func authorize(operation: AnyOperation, service: ServiceDescriptor, input: AWSValue, resources: [AuditResource],
                          context: RequestContext) async throws -> Denial? { nil }
    public func authorize(action: String, facts: AuthorizationFacts, context: RequestContext) async -> Denial? { nil }
    public var callAuthorizer: (any CallAuthorizer)? { nil }
}

public final class RequestPipeline: Sendable {
    let services: ServiceTable
    let verifier: SigV4Verifier
    let audit: AuditWriter
    let authorizer: any Authorizer
    let metrics: RequestMetrics
    let logger: Logger
    /// The bucket store's REST-XML front, for requests signed for `s3`.
    let s3: S3Handler?
    let defaultAccount: String
    let defaultRegion: String
    /// The server clock: event times and `receivedAt` (WardenClock; the wall clock unless dev mode moved it).
    let now: @Sendable () -> Date
    /// Notes each use of a long-term access key (GetAccessKeyLastUsed).
    let keyUse: KeyUseRecorder?

    public init(services: [ServiceDescriptor], verifier: SigV4Verifier, audit: AuditWriter, authorizer: any Authorizer,
                metrics: RequestMetrics, logger: Logger, defaultAccount: String, defaultRegion: String,
                bucketStore: BucketStore? = nil, now: @escaping @Sendable () -> Date = Date.init, keyUse: KeyUseRecorder? = nil) {
        self.keyUse = keyUse
        self.s3 = bucketStore.map { S3Handler(store: $0) }
        self.services = ServiceTable(services)
        self.verifier = verifier
        self.audit = audit
        self.authorizer = authorizer
        self.metrics = metrics
        self.logger = logger
        self.defaultAccount = defaultAccount
        self.defaultRegion = defaultRegion
        self.now = now
    }

    /// Handles one AWS API request. Never throws: every failure becomes an AWS error response, and every
    /// request that gets a response other than an audit failure has its CloudTrail record committed first.
    public func handle(_ incoming: WardenRequest) async -> WardenResponse {
        let started = ContinuousClock.now
        var request = incoming
        let requestId = TimeOrderedID.make()
        if let s3, request.header("x-amz-target") == nil, ServiceTable.credentialScope(request)?[3] == "s3" {
            return await handleS3(request, handler: s3, requestId: requestId, started: started)
        }
        let sigRequest = SigV4Request(method: request.method, rawPath: request.path, rawQuery: request.query,
                                      headers: request.headers, bodySHA256: SigV4Canonical.sha256Hex(request.body))
        let auth = Result { () throws(AuthFailure) in try SigV4AuthData.parse(sigRequest) }
        // SDKs gzip large bodies (CloudWatch PutMetricData) and sign the compressed bytes: decode what was signed.
        if request.header("content-encoding")?.lowercased() == "gzip", !request.body.isEmpty {
            guard let plain = Gzip.decompress(request.body, limit: 16 * 1024 * 1024) else {
                return await reject(request, error: AWSError(code: "SerializationException", queryCode: "MalformedInput", status: 400,
                                                             message: "The request body is not valid gzip, or inflates past 16 MiB."))
            }
            request.body = plain
        }
        let signing = (try? auth.get())?.scope.service ?? ServiceTable.credentialScope(request).map { String($0[3]) }
        let route = services.route(request, signing: signing)
        var context = baseContext(request, requestId: requestId)
        var event = AuditEvent(context: context, eventSource: route.eventSource, eventName: route.operationName,
                               readOnly: route.operation?.traits.readOnly ?? false,
                               category: route.operation?.traits.category ?? .management)
        let outcome = await execute(request, sigRequest: sigRequest, auth: auth, route: route, context: &context, event: &event)
        event.context = context
        let response: WardenResponse
        switch outcome {
        case .success(let body):
            response = success(body, route: route, requestId: requestId)
        case .failure(let error):
            event.fail(with: error, family: route.family)
            response = render(error, route: route, requestId: requestId)
        }
        let final = await commit(event, then: response, route: route)
        let service = route.service?.model.signingName ?? "unknown"
        let elapsed = ContinuousClock.now - started
        metrics.record(service: service, operation: route.metricsOperation, status: final.status, duration: elapsed)
        logger.info("request", metadata: [
            "requestId": "\(requestId)", "service": "\(service)", "operation": "\(route.operationName)",
            "status": "\(final.status)", "account": "\(context.account)",
            "durationUs": "\(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)",
        ])
        return final
    }

    enum Outcome {
        case success(Encoded)
        case failure(AWSError)
    }

    /// A success in the request's protocol: REST protocols also choose the status and headers.
    struct Encoded {
        var body: [UInt8]
        var status = 200
        var headers: [(String, String)] = []
        var contentType: String?
    }

    private func execute(_ request: WardenRequest, sigRequest: SigV4Request, auth: Result<SigV4AuthData, AuthFailure>,
                         route: Route, context: inout RequestContext, event: inout AuditEvent) async -> Outcome {
        // Authenticate first: even an unroutable request is answered only after we know who sent it.
        let caller: AuthenticatedCaller?
        do throws(AuthFailure) {
            // Signatures are checked against the wall clock; `receivedAt` follows the server clock, which dev mode can
            // move forward for time-bound state and would otherwise make every signature look expired.
            let verified = try await verifier.verify(sigRequest, auth: try auth.get(), now: Date())
            // A session's expiry is time-bound state: it follows the server clock (which dev mode can move forward).
            if let s = verified.principal.session, now() >= s.expiresAt { throw AuthFailure.expiredToken }
            caller = verified
        } catch {
            if case .missingAuthentication = error, route.failure == nil, route.operation?.traits.allowsAnonymous == true {
                caller = nil
            } else {
                if let region = ServiceTable.scopeRegion(request), RegionName.isValid(region) { context.region = region }
                context.partition = Partition(region: context.region)
                return .failure(error.awsError(for: route.family))
            }
        }
        if let caller {
            if let keyUse, caller.principal.session == nil, let id = caller.principal.accessKeyId, id.hasPrefix("AKIA") {
                await keyUse.record(accessKeyId: id, service: caller.scope.service, region: caller.scope.region, at: now())
            }
            context.region = caller.scope.region
            context.partition = Partition(region: caller.scope.region)
            context.account = caller.principal.account
            context.principal = caller.principal.inPartition(context.partition)
        }
        if let failure = route.failure { return .failure(failure) }
        guard let service = route.service, let op = route.operation else {
            return .failure(.internalFailure())
        }
        if let caller, caller.scope.service != service.model.signingName {
            return .failure(AuthFailure.signatureMismatch(
                "Credential should be scoped to correct service: '\(service.model.signingName)'. ").awsError(for: route.family))
        }
        // GetSessionToken's credentials cannot call IAM (IAM User Guide, "Permissions for GetSessionToken"); IAM
        // answers them as it answers a token it does not know (quoted in cloudyr/aws.iam#15).
        if let s = caller?.principal.session, s.issuerType == "IAMUser" || s.issuerType == "Root",
           caller?.principal.kind != .federatedUser, service.model.signingName == "iam" {
            return .failure(AuthFailure.invalidToken.awsError(for: route.family))
        }
        // Decode and validate against the model.
        let input: AWSValue
        do {
            input = try decode(request, route: route, service: service, op: op)
        } catch {
            return .failure(error)
        }
        event.requestParameters = Redaction.record(input, shape: op.inputShape, dropped: op.traits.redactedRequestMembers)
        let resources = op.traits.resources(input, context)
        event.resources = resources
        do {
            if let denial = try await authorizer.authorize(operation: op, service: service, input: input, resources: resources,
                                                           context: context) {
                logger.notice("denied", metadata: [
                    "requestId": "\(context.requestId)", "action": "\(op.traits.iamAction)",
                    "principal": "\(context.principal?.arn ?? "anonymous")", "decidedBy": "\(denial.decidedBy)",
                ])
                return .failure(Self.accessDenied(denial.message, service: service, family: route.family))
            }
            context.authorizer = authorizer.callAuthorizer
            context.service = service.model.signingName
            let output = try await op.call(input, context)
            if let more = op.traits.outputResources?(output, context), !more.isEmpty { event.resources += more }
            if op.traits.responseRecording == .full {
                event.responseElements = Redaction.record(output, shape: op.outputShape, dropped: op.traits.redactedResponseMembers)
            }
            if case .query = route.wire, service.model.signingName == "sts",
               request.header("accept")?.lowercased().contains("application/json") == true {
                return .success(Self.stsJSON(output, op: op, requestId: context.requestId))
            }
            return .success(encode(output, route: route, op: op, requestId: context.requestId))
        } catch let error as AWSError {
            return .failure(error)
        } catch {
            logger.error("operation failed unexpectedly", metadata: [
                "requestId": "\(context.requestId)", "operation": "\(op.name)", "error": "\(error)",
            ])
            return .failure(.internalFailure())
        }
    }

    /// STS answers in JSON when asked with `Accept: application/json` (aws-iam-authenticator relies on it):
    /// `{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{…},"ResponseMetadata":{"RequestId":…}}}`.
    static func stsJSON(_ output: AWSValue, op: AnyOperation, requestId: String) -> Encoded {
        var body = Array("{\"\(op.name)Response\":{\"\(op.resultWrapper ?? op.name + "Result")\":".utf8)
        body += JSONProtocol.encode(output, shape: op.outputShape, omitEmptyCollections: false)
        body += Array(",\"ResponseMetadata\":{\"RequestId\":\"\(requestId)\"}}}".utf8)
        return Encoded(body: body, contentType: "application/json")
    }

    /// A denial in the service's protocol: its own error where it has one (SNS's `AuthorizationError`), else the
    /// JSON protocols' `AccessDeniedException` and the Query protocols' `AccessDenied`, as AWS answers.
    static func accessDenied(_ message: String, service: ServiceDescriptor, family: ProtocolFamily) -> AWSError {
        if let own = service.accessDenied { return own(message) }
        switch service.model.signingName {
        case "sns": return AWSError(code: "AuthorizationErrorException", queryCode: "AuthorizationError", status: 403, message: message)
        case "sqs": return AWSError(code: "AccessDenied", queryCode: "AccessDenied", status: 403, message: message)
        case "lambda": return AWSError(code: "AccessDeniedException", status: 403, message: message)
        default: break
        }
        switch family {
        case .json: return AWSError(code: "AccessDeniedException", queryCode: "AccessDenied", status: 400, message: message)
        case .query, .s3: return AWSError(code: "AccessDenied", status: 403, message: message)
        }
    }

    private func decode(_ request: WardenRequest, route: Route, service: ServiceDescriptor, op: AnyOperation) throws(AWSError) -> AWSValue {
        let v = service.validationError
        let value: AWSValue
        switch route.wire {
        case .json:
            value = try JSONProtocol.decode(request.body, shape: op.inputShape)
        case .cbor:
            value = try CBORProtocol.decode(request.body, shape: op.inputShape)
        case .query:
            value = try QueryProtocol.decode(route.params, shape: op.inputShape) { message in
                AWSError(code: v.code, queryCode: v.queryCode, status: v.status, message: message)
            }
        case .rest(let labels, let query):
            value = try RestJSONProtocol.decode(labels: labels, query: query, header: { request.header($0.lowercased()) },
                                                body: request.body, shape: op.inputShape)
        }
        if let missing = service.missingParameter, let fields = value.mapValue,
           let absent = op.inputShape.members.first(where: { $0.required && fields[$0.name] == nil }) {
            throw missing(absent.name)
        }
        let violations = ModelValidator.violations(of: value, shape: op.inputShape)
        if let error = ModelValidator.error(for: violations, code: v.code, queryCode: v.queryCode, status: v.status) {
            throw error
        }
        return value
    }

    private func encode(_ output: AWSValue, route: Route, op: AnyOperation, requestId: String) -> Encoded {
        switch route.wire {
        case .json:
            // An operation the model gives no output "sends back an HTTP 200 response with an empty HTTP body" (the
            // API references' wording), not `{}`.
            if op.outputShape === EmptyShape.shape { return Encoded(body: []) }
            return Encoded(body: JSONProtocol.encode(output, shape: op.outputShape,
                                                     omitEmptyCollections: route.service?.jsonOmitsEmptyCollections ?? false))
        case .cbor:
            return Encoded(body: CBORProtocol.encode(output, shape: op.outputShape))
        case .query(let ns):
            return Encoded(body: QueryProtocol.encodeResponse(operation: op.name, resultWrapper: op.resultWrapper, value: output,
                                                              shape: op.outputShape, xmlNamespace: ns ?? "", requestId: requestId,
                                                              fractionalTimestamps: route.service?.wholeSecondTimestamps != true))
        case .rest:
            let status = route.service?.model.httpBindings[op.name]?.responseCode ?? 200
            let e = RestJSONProtocol.encode(output, shape: op.outputShape, status: status)
            return Encoded(body: e.body, status: e.status, headers: e.headers, contentType: e.contentType)
        }
    }

    private func success(_ encoded: Encoded, route: Route, requestId: String) -> WardenResponse {
        switch route.wire {
        case .json(let contentType):
            return WardenResponse(status: 200, headers: [("Content-Type", contentType), ("x-amzn-RequestId", requestId)], body: encoded.body)
        case .query:
            return WardenResponse(status: 200, headers: [("Content-Type", encoded.contentType ?? "text/xml"), ("x-amzn-RequestId", requestId)],
                                  body: encoded.body)
        case .cbor:
            return WardenResponse(status: 200, headers: [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"),
                                                         ("x-amzn-RequestId", requestId)], body: encoded.body)
        case .rest:
            var headers: [(name: String, value: String)] = [("Content-Type", encoded.contentType ?? "application/json"),
                                                            ("x-amzn-RequestId", requestId)]
            for (n, v) in encoded.headers { headers.append((n, v)) }
            return WardenResponse(status: encoded.status, headers: headers, body: encoded.body)
        }
    }

    /// An AWS error in the request's protocol.
    func render(_ error: AWSError, route: Route, requestId: String) -> WardenResponse {
        switch route.wire {
        case .json(let contentType):
            var headers: [(name: String, value: String)] = [
                ("Content-Type", contentType), ("x-amzn-RequestId", requestId), ("x-amzn-ErrorType", error.code),
            ]
            if route.service?.queryCompatible == true, let q = error.queryCode {
                headers.append(("x-amzn-query-error", "\(q);\(error.senderFault ? "Sender" : "Receiver")"))
            }
            return WardenResponse(status: error.status, headers: headers,
                                  body: JSONProtocol.encodeError(error, messageKey: route.service?.errorMessageKey(error.code) ?? "message",
                                                                 typePrefix: route.service?.errorTypePrefix ?? ""))
        case .cbor:
            var headers: [(name: String, value: String)] = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"),
                                                            ("x-amzn-RequestId", requestId)]
            if route.service?.queryCompatible == true, let q = error.queryCode {
                headers.append(("x-amzn-query-error", "\(q);\(error.senderFault ? "Sender" : "Receiver")"))
            }
            return WardenResponse(status: error.status, headers: headers,
                                  body: CBORProtocol.encodeError(error, messageKey: route.service?.errorMessageKey(error.code) ?? "message"))
        case .query(let ns):
            return WardenResponse(status: error.status, headers: [("Content-Type", "text/xml"), ("x-amzn-RequestId", requestId)],
                                  body: QueryProtocol.encodeError(error, xmlNamespace: ns, requestId: requestId,
                                                                  detail: route.service?.model.legacyQuery != nil))
        case .rest:
            let e = RestJSONProtocol.encodeError(error, messageKey: route.service?.errorMessageKey(error.code) ?? "message")
            var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("x-amzn-RequestId", requestId)]
            for (n, v) in e.headers { headers.append((n, v)) }
            return WardenResponse(status: error.status, headers: headers, body: e.body)
        }
    }

    /// An error for a request refused before routing (e.g. a body over the size limit), in the protocol it looks like.
    public func reject(_ request: WardenRequest, error: AWSError) async -> WardenResponse {
        var headersOnly = request
        headersOnly.body = []
        let route = services.route(headersOnly, signing: ServiceTable.credentialScope(request).map { String($0[3]) })
        var context = baseContext(request, requestId: TimeOrderedID.make())
        if let region = ServiceTable.scopeRegion(request), RegionName.isValid(region) { context.region = region }
        var event = AuditEvent(context: context, eventSource: route.eventSource, eventName: route.operationName, readOnly: false)
        event.fail(with: error, family: route.family)
        return await commit(event, then: render(error, route: route, requestId: context.requestId), route: route)
    }

    /// The context of a request before authentication: the server's default account and region.
    func baseContext(_ request: WardenRequest, requestId: String) -> RequestContext {
        RequestContext(requestId: requestId, account: defaultAccount, region: defaultRegion, principal: nil,
                       sourceIP: request.sourceIP, userAgent: request.header("user-agent") ?? "", receivedAt: now(),
                       tls: request.tls, host: request.header("host"))
    }

    /// Commits the audit record, then answers `response`; if the record cannot be written, the request fails (closed).
    func commit(_ event: AuditEvent, then response: WardenResponse, route: Route) async -> WardenResponse {
        do {
            try await audit.record(event.stored)
            return response
        } catch {
            logger.error("audit record not written; failing the request", metadata: ["requestId": "\(event.context.requestId)"])
            return render(.internalFailure("The request could not be recorded."), route: route, requestId: event.context.requestId)
        }
    }
}

extension AuditEvent {
    /// Records a failed call: the code as the client saw it (Query services show the model's error code).
    mutating func fail(with error: AWSError, family: ProtocolFamily) {
        errorCode = family == .query ? (error.queryCode ?? error.code) : error.code
        errorMessage = error.message
        responseElements = nil
    }
}
