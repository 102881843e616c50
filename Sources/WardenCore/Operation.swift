// Operations as the pipeline sees them: model metadata, the declarations next to each implementation, and a call.

/// What an operation declares next to its implementation; the pipeline reads only this.
public struct OperationTraits: Sendable {
    public enum EventCategory: String, Sendable { case management = "Management", data = "Data" }
    /// How the audit record's `responseElements` is filled.
    public enum ResponseRecording: Sendable { case full, omitted }

    /// The IAM action, e.g. `kms:Encrypt`; the policy engine will authorize against it.
    public var iamAction: String
    public var readOnly: Bool
    public var category: EventCategory
    /// Members (model names, any depth) never written to the audit record, beyond those the model marks sensitive.
    public var redactedRequestMembers: Set<String>
    public var redactedResponseMembers: Set<String>
    public var responseRecording: ResponseRecording
    /// The resources an audit record names (`resources`), derived from the input.
    public var resources: @Sendable (AWSValue, RequestContext) -> [AuditResource]
    /// Further resources known only from a successful output (the key CreateKey made).
    public var outputResources: (@Sendable (AWSValue, RequestContext) -> [AuditResource])?
    /// The few operations AWS serves without a signature (SNS ConfirmSubscription and the UnsubscribeURL): an unsigned
    /// request reaches them with no principal; the operation decides what it may do.
    public var allowsAnonymous = false

    public init(iamAction: String, readOnly: Bool, category: EventCategory = .management,
                redactedRequestMembers: Set<String> = [], redactedResponseMembers: Set<String> = [],
                responseRecording: ResponseRecording? = nil,
                resources: @escaping @Sendable (AWSValue, RequestContext) -> [AuditResource] = { _, _ in [] },
                outputResources: (@Sendable (AWSValue, RequestContext) -> [AuditResource])? = nil) {
        self.iamAction = iamAction
        self.readOnly = readOnly
        self.category = category
        self.redactedRequestMembers = redactedRequestMembers
        self.redactedResponseMembers = redactedResponseMembers
        // CloudTrail leaves responseElements null for read-only calls unless an operation says otherwise.
        self.responseRecording = responseRecording ?? (readOnly ? .omitted : .full)
        self.resources = resources
        self.outputResources = outputResources
    }
}

/// A resource named by an audit record.
public struct AuditResource: Sendable, Equatable {
    public var type: String
    public var arn: String
    public var account: String
    public init(type: String, arn: String, account: String) {
        self.type = type
        self.arn = arn
        self.account = account
    }
}

/// The model facts about one operation (generated).
public protocol OperationSpec {
    associatedtype Input: AWSShape
    associatedtype Output: AWSShape
    static var name: String { get }
    /// Query protocol: the element wrapping the output (`GetCallerIdentityResult`).
    static var resultWrapper: String? { get }
}

/// An operation with its types erased, ready for the dispatch table.
public struct AnyOperation: Sendable {
    public let name: String
    public let inputShape: Shape
    public let outputShape: Shape
    public let resultWrapper: String?
    public let traits: OperationTraits
    public let call: @Sendable (AWSValue, RequestContext) async throws -> AWSValue

    public init<Spec: OperationSpec>(
        _ spec: Spec.Type, traits: OperationTraits,
        _ body: @escaping @Sendable (Spec.Input, RequestContext) async throws -> Spec.Output
    ) {
        self.name = Spec.name
        self.inputShape = Spec.Input.shape
        self.outputShape = Spec.Output.shape
        self.resultWrapper = Spec.resultWrapper
        self.traits = traits
        self.call = { value, context in
            let input = try Spec.Input(from: value)
            return try await body(input, context).toValue()
        }
    }
}

/// The wire protocol a service speaks.
public enum WireProtocol: Sendable, Equatable {
    /// AWS JSON 1.0 or 1.1, dispatched by `X-Amz-Target: <prefix>.<Operation>`.
    case json(version: String, targetPrefix: String)
    /// AWS Query: form-encoded `Action`, XML responses in `xmlNamespace`.
    case query(apiVersion: String, xmlNamespace: String)
    /// REST-JSON: dispatched by method and path (the operations' HTTP bindings), JSON bodies.
    case restJSON
}

/// Where a REST operation lives: `POST /2015-03-31/functions/{FunctionName}/invocations`, answering `responseCode`.
public struct HTTPBinding: Sendable, Equatable {
    public let method: String
    public let requestUri: String
    public let responseCode: Int
    public init(method: String, requestUri: String, responseCode: Int) {
        self.method = method
        self.requestUri = requestUri
        self.responseCode = responseCode
    }
}

/// The model facts about one service (generated).
public struct ServiceModel: Sendable {
    public let signingName: String
    public let endpointPrefix: String
    public let wireProtocol: WireProtocol
    /// The Query protocol a JSON service spoke before (SQS), still served to older clients.
    public let legacyQuery: WireProtocol?
    public let operationNames: Set<String>
    /// REST protocols: each generated operation's method and path.
    public let httpBindings: [String: HTTPBinding]
    /// The service also speaks Smithy RPC v2 CBOR (CloudWatch).
    public let rpcV2CBOR: Bool
    /// Modeled errors whose message member the model spells `Message` (Secrets Manager's, some of SSM's and
    /// CloudWatch's): JSON and CBOR bodies carry their message under that key, every other error under `message`.
    public let capitalMessageErrors: Set<String>
    public init(signingName: String, endpointPrefix: String, wireProtocol: WireProtocol, legacyQuery: WireProtocol? = nil,
                rpcV2CBOR: Bool = false, capitalMessageErrors: Set<String> = [], operationNames: Set<String>,
                httpBindings: [String: HTTPBinding] = [:]) {
        self.rpcV2CBOR = rpcV2CBOR
        self.capitalMessageErrors = capitalMessageErrors
        self.signingName = signingName
        self.endpointPrefix = endpointPrefix
        self.wireProtocol = wireProtocol
        self.legacyQuery = legacyQuery
        self.operationNames = operationNames
        self.httpBindings = httpBindings
    }
}

/// One service as the server mounts it: its model, its validation error, its implemented operations.
public struct ServiceDescriptor: Sendable {
    public let model: ServiceModel
    /// `eventSource` of its audit records, e.g. `sts.amazonaws.com`.
    public let eventSource: String
    /// The error the service answers model validation failures with.
    public let validationError: (code: String, queryCode: String?, status: Int)
    public let operations: [String: AnyOperation]
    /// A JSON service that was a Query service (SQS): errors also carry their Query code in `x-amzn-query-error`.
    public let queryCompatible: Bool
    /// What JSON error bodies put before the shape name in `__type` (SQS: `com.amazonaws.sqs#`); clients drop it.
    public let errorTypePrefix: String
    /// The error for a missing required request member, where the service has its own (SQS: `MissingParameter`)
    /// rather than a generic validation message.
    public let missingParameter: (@Sendable (String) -> AWSError)?
    /// JSON responses leave out empty lists and maps (SQS, whose JSON grew out of its Query protocol, as recorded).
    public let jsonOmitsEmptyCollections: Bool
    /// Resource policies, resource and request condition keys for authorization (nil: the audit ARNs, no policies).
    public var authority: (any ResourceAuthority)?
    /// Query responses write timestamps in whole seconds (STS: recorded `<Expiration>2021-09-21T18:41:26Z</Expiration>`;
    /// IAM: its API reference's examples), not with the milliseconds other Query services send.
    public var wholeSecondTimestamps = false
    /// The error a denial is answered with, given AWS's message (nil: the protocol's usual access-denied error).
    public var accessDenied: (@Sendable (String) -> AWSError)?

    public init(model: ServiceModel, eventSource: String, validationError: (code: String, queryCode: String?, status: Int),
                operations: [AnyOperation], queryCompatible: Bool = false, errorTypePrefix: String = "",
                missingParameter: (@Sendable (String) -> AWSError)? = nil, jsonOmitsEmptyCollections: Bool = false) {
        self.model = model
        self.jsonOmitsEmptyCollections = jsonOmitsEmptyCollections
        self.errorTypePrefix = errorTypePrefix
        self.missingParameter = missingParameter
        self.eventSource = eventSource
        self.validationError = validationError
        self.queryCompatible = queryCompatible
        var table: [String: AnyOperation] = [:]
        for op in operations { table[op.name] = op }
        self.operations = table
    }

    /// The key an error body carries the message under.
    public func errorMessageKey(_ code: String) -> String { model.capitalMessageErrors.contains(code) ? "Message" : "message" }
}
