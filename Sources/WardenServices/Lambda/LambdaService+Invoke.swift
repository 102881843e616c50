// Invoke: synchronous (RequestResponse) through the runner; asynchronous (Event) queued durably and run in the
// background with the qualifier's settings (retries, default two more attempts; maximum event age), dead-letter queue
// and destinations; DryRun checks only. A Qualifier (or a qualified FunctionName) runs a version, or an alias's
// version — for a weighted alias, one of its two versions chosen by weight.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

/// Where other services invoke functions asynchronously (SNS `lambda` subscriptions; later EventBridge targets and
/// Secrets Manager rotation).
public protocol FunctionInvoker: Sendable {
    /// Queues an Event invocation on behalf of `service` (e.g. sns.amazonaws.com) for `sourceArn`; the function's
    /// resource policy must allow it. Throws ResourceNotFoundException or AccessDeniedException (client errors).
    func invokeEvent(functionArn: String, payload: [UInt8], service: String, sourceArn: String) async throws
    /// Runs a synchronous invocation on behalf of `service` (Secrets Manager rotation); same policy check.
    func invokeSync(functionArn: String, payload: [UInt8], service: String, sourceArn: String) async throws -> FunctionResult
    /// The same check without invoking (RotateSecret checks its function before it takes the configuration).
    func checkInvoke(functionArn: String, service: String, sourceArn: String) async throws
}

/// What a queued asynchronous invocation carries besides its payload.
struct EventDoc: Codable, Sendable {
    var requestId: String
    /// The access key the function runs with (the caller's; for service-initiated events, the function creator's).
    var accessKey: String?
    /// The version or alias invoked (nil: $LATEST). An alias is resolved when the event runs, as each attempt may go
    /// to either of a weighted alias's versions; its settings and destinations are the alias's.
    var qualifier: String?
    /// When the event was queued: MaximumEventAgeInSeconds counts from here (nil in events queued before it was kept).
    var enqueuedMillis: Int64?

    init(requestId: String, accessKey: String?, qualifier: String? = nil, enqueuedMillis: Int64? = nil) {
        self.requestId = requestId
        self.accessKey = accessKey
        self.qualifier = qualifier
        self.enqueuedMillis = enqueuedMillis
    }
}

extension LambdaService: FunctionInvoker {
    static let maxSyncPayload = 6 * 1024 * 1024
    static let maxAsyncPayload = 1024 * 1024

    func invoke(_ input: Lambda.InvocationRequest, context c: RequestContext) async throws -> Lambda.InvocationResponse {
        let type = input.invocationType ?? .requestResponse
        // An asynchronous event resolves its alias when it runs; a synchronous call picks the version now.
        let target = try await resolve(input.functionName, qualifier: input.qualifier, c, pick: type != .event)
        let (row, r) = (target.row, target.record)
        let payload = (input.payload?.isEmpty ?? true) ? Array("{}".utf8) : input.payload ?? []
        let limit = type == .event ? Self.maxAsyncPayload : Self.maxSyncPayload
        guard payload.count <= limit else {
            throw Lambda.Errors.requestTooLargeException("Request must be smaller than \(limit) bytes for the \(type == .event ? "InvokeAsync" : "Invoke") operation")
        }
        guard (try? JSONParser.parse(payload)) != nil else {
            throw AWSError(code: "InvalidRequestContentException", status: 400,
                           message: "Could not parse request body into json: Could not parse payload into json")
        }
        switch type {
        case .dryRun:
            return Lambda.InvocationResponse(statusCode: 204)
        case .event:
            let doc = EventDoc(requestId: c.requestId, accessKey: c.principal?.accessKeyId ?? target.latest.creatorKey,
                               qualifier: target.qualifier == "$LATEST" ? nil : target.qualifier, enqueuedMillis: nowMillis)
            try await repository.enqueueEvent(functionArn: Self.functionArn(c, row.name), payload: payload,
                                              doc: String(decoding: try JSONEncoder().encode(doc), as: UTF8.self), dueAtMillis: nowMillis)
            wakeups.signal(Self.wakeKey)
            return Lambda.InvocationResponse(statusCode: 202)
        default:
            let result = try await run(row, r, payload: payload, requestId: c.requestId, accessKey: c.principal?.accessKeyId,
                                       version: target.version, invokedArn: target.qualifier.map { _ in target.arn(c) })
            var tail: String?
            if input.logType == .tail { tail = Data(result.log.suffix(4096)).base64EncodedString() }
            // X-Amz-Executed-Version: the version that ran ($LATEST, or the number an alias resolved to).
            return Lambda.InvocationResponse(statusCode: 200, functionError: result.functionError, logResult: tail,
                                             payload: result.payload, executedVersion: target.version)
        }
    }

    /// Runs one invocation through the runner, with the code unpacked and credentials resolved. `r` is the
    /// configuration of `version` ($LATEST's, or a published version's); `invokedArn` is the ARN the caller named
    /// (an alias's, say) when it was qualified.
    func run(_ row: FunctionRow, _ r: FunctionRecord, payload: [UInt8], requestId: String, accessKey: String?,
             version: String = "$LATEST", invokedArn: String? = nil) async throws -> FunctionResult {
        guard let runner else { throw AWSError(code: "ServiceException", status: 500, senderFault: false, message: "No function runner.") }
        let dir = codeRoot.appendingPathComponent(r.codeHex)
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent(".complete").path) {
            // Unpacked by another node, or before a data directory move: unpack again from the stored zip (a
            // version's own copy for a version).
            let stored: [UInt8]?
            if let n = Int64(version) {
                stored = try await repository.versionCode(account: row.account, region: row.region, name: row.name, version: n)
            } else {
                stored = try await repository.code(account: row.account, region: row.region, name: row.name)
            }
            guard let zip = stored else { throw Lambda.Errors.resourceNotFoundException("Function not found: \(row.name)") }
            try unpack(zip, sha: r.codeSha256)
        }
        let key = accessKey ?? r.creatorKey ?? "AKIDWARDENFUNCTION"
        let secret = await secretOf(key) ?? "warden-dev-secret"
        let partition = Partition(region: row.region).rawValue
        // Each version has processes of its own (the pool is keyed by the version's ARN).
        let base = "arn:\(partition):lambda:\(row.region):\(row.account):function:\(row.name)"
        let spec = FunctionSpec(arn: version == "$LATEST" ? base : "\(base):\(version)", name: row.name,
                                account: row.account, region: row.region, runtime: r.runtime, handler: r.handler ?? "",
                                codeDirectory: dir, timeoutSeconds: r.timeout, memoryMB: r.memorySize,
                                environment: r.environment ?? [:], revision: r.revisionId, version: version, invokedArn: invokedArn)
        var result = try await runner.invoke(spec, payload: payload, requestId: requestId,
                                             credentials: FunctionCredentials(accessKeyId: key, secretAccessKey: secret), endpoint: endpoint())
        if result.payload.count > Self.maxSyncPayload {
            result.payload = Array(#"{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}"#.utf8)
            result.functionError = "Unhandled"
        }
        shipLog(result, account: row.account, region: row.region, name: row.name, version: version)
        return result
    }

    /// The invocation's output, one event per line, in `/aws/lambda/NAME` (made on first use, as Lambda does) under
    /// the execution environment's stream `YYYY/MM/DD/[VERSION]<id>`.
    func shipLog(_ result: FunctionResult, account: String, region: String, name: String, version: String = "$LATEST") {
        let lines = String(decoding: result.log, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        guard !lines.isEmpty else { return }
        let ms = Int64((now().timeIntervalSince1970 * 1000).rounded(.down))
        let (y, mo, d, _, _, _) = Timestamps.civil(ms / 1000)
        func p(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let instance = result.instance.isEmpty ? String(repeating: "0", count: 32) : result.instance
        let stream = "\(y)/\(p(mo))/\(p(d))/[\(version)]\(instance)"
        // Logging never fails or delays the invocation.
        logShipper.ship(account: account, region: region, group: "/aws/lambda/\(name)", stream: stream, events: lines.map { (ms, String($0)) })
    }

    // MARK: asynchronous invocations

    public static let wakeKey = "lambda-events"

    /// The function a service may invoke for `sourceArn` (its ARN may name a version or alias), or
    /// ResourceNotFoundException / AccessDeniedException. The function's policy decides (versions and aliases have
    /// no policies of their own in Warden).
    func permitted(functionArn: String, service: String, sourceArn: String) async throws -> (FunctionRow, FunctionRecord, String?) {
        guard let arn = ARN(functionArn), arn.service == "lambda", arn.resource.hasPrefix("function:") else {
            throw Self.invalid("Invalid function ARN: \(functionArn)")
        }
        let parts = arn.resource.dropFirst("function:".count).split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let name = parts.first ?? ""
        guard let row = try await repository.function(account: arn.account, region: arn.region, name: name),
              let r = try? JSONDecoder().decode(FunctionRecord.self, from: Data(row.doc)) else {
            throw Self.notFound(functionArn)
        }
        // The function policy, read with IAM's grammar (ArnLike/ArnEquals, StringEquals on aws:SourceAccount, Deny).
        let resource = "arn:\(arn.partition.rawValue):lambda:\(arn.region):\(arn.account):function:\(name)"
        guard Self.functionPolicies.allows(service: service, action: "lambda:InvokeFunction", resourceArn: resource,
                                           resourceAccount: arn.account,
                                           policy: r.statements.isEmpty ? nil : Self.policyDocument(r.statements),
                                           sourceArn: sourceArn, sourceAccount: ARN(sourceArn)?.account ?? "") else {
            throw AWSError(code: "AccessDeniedException", status: 403,
                           message: "\(service) is not authorized to invoke \(functionArn): no resource policy statement allows it for \(sourceArn).")
        }
        return (row, r, parts.count > 1 ? parts[1] : nil)
    }

    /// Function policies decide service invocations in every mode, dev mode included: Warden enforced them before IAM
    /// was, and a dev server's tests rely on a function refusing a topic its policy does not name.
    static let functionPolicies = ServiceAccess(enforced: true)

    /// A request context in the function's account and region, for work no caller's request carries.
    static func functionContext(_ arn: ARN, now: Date) -> RequestContext {
        var c = DataKeyCache.serviceContext(account: arn.account, region: arn.region, service: "lambda.amazonaws.com", now: now)
        c.partition = arn.partition
        return c
    }

    public func checkInvoke(functionArn: String, service: String, sourceArn: String) async throws {
        _ = try await permitted(functionArn: functionArn, service: service, sourceArn: sourceArn)
    }

    public func invokeSync(functionArn: String, payload: [UInt8], service: String, sourceArn: String) async throws -> FunctionResult {
        let (row, _, qualifier) = try await permitted(functionArn: functionArn, service: service, sourceArn: sourceArn)
        guard let arn = ARN(functionArn) else { throw Self.invalid("Invalid function ARN: \(functionArn)") }
        let target = try await resolve(row.name, qualifier: qualifier, Self.functionContext(arn, now: now()), pick: true)
        return try await run(target.row, target.record, payload: payload, requestId: UUID().uuidString.lowercased(), accessKey: nil,
                             version: target.version, invokedArn: qualifier.map { _ in functionArn })
    }

    public func invokeEvent(functionArn: String, payload: [UInt8], service: String, sourceArn: String) async throws {
        let (row, r, qualifier) = try await permitted(functionArn: functionArn, service: service, sourceArn: sourceArn)
        guard let arn = ARN(functionArn) else { throw Self.invalid("Invalid function ARN: \(functionArn)") }
        // The version or alias must be there when the event is accepted, as for a caller's Invoke.
        _ = try await resolve(row.name, qualifier: qualifier, Self.functionContext(arn, now: now()))
        let doc = EventDoc(requestId: UUID().uuidString.lowercased(), accessKey: r.creatorKey,
                           qualifier: qualifier == "$LATEST" ? nil : qualifier, enqueuedMillis: nowMillis)
        let unqualified = "arn:\(arn.partition.rawValue):lambda:\(arn.region):\(arn.account):function:\(row.name)"
        try await repository.enqueueEvent(functionArn: unqualified, payload: payload,
                                          doc: String(decoding: try JSONEncoder().encode(doc), as: UTF8.self), dueAtMillis: nowMillis)
        wakeups.signal(Self.wakeKey)
    }

    /// Runs `functionArn` — a function ARN, optionally qualified by a version or alias — synchronously with `payload`,
    /// as Lambda's own pollers do (event source mappings): no resource policy applies, and the function runs with its
    /// creator's credentials. Returns the result (a function error is in it, not thrown) and the version that ran;
    /// throws ResourceNotFoundException when the function, version or alias is not there, TooManyRequestsException
    /// when the function is at its concurrency.
    public func invokeFunction(functionArn: String, payload: [UInt8], requestId: String? = nil) async throws -> (result: FunctionResult, executedVersion: String) {
        guard let arn = ARN(functionArn), arn.service == "lambda", arn.resource.hasPrefix("function:") else {
            throw Self.invalid("Invalid function ARN: \(functionArn)")
        }
        let target = try await resolve(String(arn.resource.dropFirst("function:".count)), qualifier: nil,
                                       Self.functionContext(arn, now: now()), pick: true)
        let result = try await run(target.row, target.record, payload: payload, requestId: requestId ?? UUID().uuidString.lowercased(),
                                   accessKey: nil, version: target.version, invokedArn: target.qualifier.map { _ in functionArn })
        return (result, target.version)
    }
}
