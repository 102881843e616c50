// Invoke: synchronous (RequestResponse) through the runner; asynchronous (Event) queued durably and run in the
// background with Lambda's retries (two more attempts) and dead-letter queue; DryRun checks only.
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
}

extension LambdaService: FunctionInvoker {
    static let maxSyncPayload = 6 * 1024 * 1024
    static let maxAsyncPayload = 1024 * 1024
    /// Asynchronous retries: two more attempts, about a minute and then two minutes later.
    static let asyncRetryDelays: [Int64] = [60_000, 120_000]

    func invoke(_ input: Lambda.InvocationRequest, context c: RequestContext) async throws -> Lambda.InvocationResponse {
        if let q = input.qualifier, q != "$LATEST" { throw Self.notFound(Self.functionArn(c, try Self.name(input.functionName, c)) + ":" + q) }
        let (row, r) = try await load(input.functionName, c)
        let payload = (input.payload?.isEmpty ?? true) ? Array("{}".utf8) : input.payload ?? []
        let type = input.invocationType ?? .requestResponse
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
            let doc = EventDoc(requestId: c.requestId, accessKey: c.principal?.accessKeyId ?? r.creatorKey)
            try await repository.enqueueEvent(functionArn: Self.functionArn(c, row.name), payload: payload,
                                              doc: String(decoding: try JSONEncoder().encode(doc), as: UTF8.self), dueAtMillis: nowMillis)
            wakeups.signal(Self.wakeKey)
            return Lambda.InvocationResponse(statusCode: 202)
        default:
            let result = try await run(row, r, payload: payload, requestId: c.requestId, accessKey: c.principal?.accessKeyId)
            var tail: String?
            if input.logType == .tail { tail = Data(result.log.suffix(4096)).base64EncodedString() }
            return Lambda.InvocationResponse(statusCode: 200, functionError: result.functionError, logResult: tail,
                                             payload: result.payload, executedVersion: "$LATEST")
        }
    }

    /// Runs one invocation through the runner, with the code unpacked and credentials resolved.
    func run(_ row: FunctionRow, _ r: FunctionRecord, payload: [UInt8], requestId: String, accessKey: String?) async throws -> FunctionResult {
        guard let runner else { throw AWSError(code: "ServiceException", status: 500, senderFault: false, message: "No function runner.") }
        let dir = codeRoot.appendingPathComponent(r.codeHex)
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent(".complete").path) {
            // Unpacked by another node, or before a data directory move: unpack again from the stored zip.
            guard let zip = try await repository.code(account: row.account, region: row.region, name: row.name) else {
                throw Lambda.Errors.resourceNotFoundException("Function not found: \(row.name)")
            }
            try unpack(zip, sha: r.codeSha256)
        }
        let key = accessKey ?? r.creatorKey ?? "AKIDWARDENFUNCTION"
        let secret = await secretOf(key) ?? "warden-dev-secret"
        let partition = Partition(region: row.region).rawValue
        let spec = FunctionSpec(arn: "arn:\(partition):lambda:\(row.region):\(row.account):function:\(row.name)", name: row.name,
                                account: row.account, region: row.region, runtime: r.runtime, handler: r.handler ?? "",
                                codeDirectory: dir, timeoutSeconds: r.timeout, memoryMB: r.memorySize,
                                environment: r.environment ?? [:], revision: r.revisionId)
        var result = try await runner.invoke(spec, payload: payload, requestId: requestId,
                                             credentials: FunctionCredentials(accessKeyId: key, secretAccessKey: secret), endpoint: endpoint())
        if result.payload.count > Self.maxSyncPayload {
            result.payload = Array(#"{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}"#.utf8)
            result.functionError = "Unhandled"
        }
        shipLog(result, account: row.account, region: row.region, name: row.name)
        return result
    }

    /// The invocation's output, one event per line, in `/aws/lambda/NAME` (made on first use, as Lambda does) under
    /// the execution environment's stream `YYYY/MM/DD/[$LATEST]<id>`.
    func shipLog(_ result: FunctionResult, account: String, region: String, name: String) {
        let lines = String(decoding: result.log, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        guard !lines.isEmpty else { return }
        let ms = Int64((now().timeIntervalSince1970 * 1000).rounded(.down))
        let (y, mo, d, _, _, _) = Timestamps.civil(ms / 1000)
        func p(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let instance = result.instance.isEmpty ? String(repeating: "0", count: 32) : result.instance
        let stream = "\(y)/\(p(mo))/\(p(d))/[$LATEST]\(instance)"
        // Logging never fails or delays the invocation.
        logShipper.ship(account: account, region: region, group: "/aws/lambda/\(name)", stream: stream, events: lines.map { (ms, String($0)) })
    }

    // MARK: asynchronous invocations

    public static let wakeKey = "lambda-events"

    /// The function a service may invoke for `sourceArn`, or ResourceNotFoundException / AccessDeniedException.
    func permitted(functionArn: String, service: String, sourceArn: String) async throws -> (FunctionRow, FunctionRecord) {
        guard let arn = ARN(functionArn), arn.service == "lambda", arn.resource.hasPrefix("function:") else {
            throw Self.invalid("Invalid function ARN: \(functionArn)")
        }
        let name = String(arn.resource.dropFirst("function:".count).split(separator: ":").first ?? "")
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
        return (row, r)
    }

    /// Function policies decide service invocations in every mode, dev mode included: Warden enforced them before IAM
    /// was, and a dev server's tests rely on a function refusing a topic its policy does not name.
    static let functionPolicies = ServiceAccess(enforced: true)

    public func checkInvoke(functionArn: String, service: String, sourceArn: String) async throws {
        _ = try await permitted(functionArn: functionArn, service: service, sourceArn: sourceArn)
    }

    public func invokeSync(functionArn: String, payload: [UInt8], service: String, sourceArn: String) async throws -> FunctionResult {
        let (row, r) = try await permitted(functionArn: functionArn, service: service, sourceArn: sourceArn)
        return try await run(row, r, payload: payload, requestId: UUID().uuidString.lowercased(), accessKey: nil)
    }

    public func invokeEvent(functionArn: String, payload: [UInt8], service: String, sourceArn: String) async throws {
        let (_, r) = try await permitted(functionArn: functionArn, service: service, sourceArn: sourceArn)
        let doc = EventDoc(requestId: UUID().uuidString.lowercased(), accessKey: r.creatorKey)
        try await repository.enqueueEvent(functionArn: functionArn, payload: payload,
                                          doc: String(decoding: try JSONEncoder().encode(doc), as: UTF8.self), dueAtMillis: nowMillis)
        wakeups.signal(Self.wakeKey)
    }

    /// Starts the due asynchronous invocations (each leased while it runs); returns how many were started.
    public func runEvents() async throws -> Int {
        let nowMs = nowMillis
        let free = eventSlots.free
        // A node shutting down leases no more: the events stay due, for this node after a restart or another node.
        guard free > 0, !background.isShuttingDown else { return 0 }
        // Claimed (every node takes a share) and leased for the function's longest run; a crash makes it due again
        // then (at least once, as Lambda).
        let due = try await repository.claimEvents(nowMillis: nowMs, limit: free, leaseMillis: 960_000)
        for event in due {
            eventSlots.take(1)
            let accepted = background.submit("lambda-async-invoke") {
                defer {
                    eventSlots.give()
                    wakeups.signal(Self.wakeKey)
                }
                await runEvent(event)
            }
            guard !accepted else { continue }
            // Refused: shutdown began since the check above. Due again at once (for another node, or this one after a
            // restart) rather than when the lease runs out.
            eventSlots.give()
            try await repository.rescheduleEvent(seq: event.seq, attempts: event.attempts, dueAtMillis: nowMs, claim: event.claimedUntil)
        }
        return due.count
    }

    func runEvent(_ event: FunctionEvent) async {
        let doc = (try? JSONDecoder().decode(EventDoc.self, from: Data(event.doc.utf8))) ?? EventDoc(requestId: UUID().uuidString.lowercased())
        do {
            guard let arn = ARN(event.functionArn) else {
                try await repository.completeEvent(seq: event.seq, claim: event.claimedUntil)
                return
            }
            let name = String(arn.resource.dropFirst("function:".count))
            guard let row = try await repository.function(account: arn.account, region: arn.region, name: name),
                  let r = try? JSONDecoder().decode(FunctionRecord.self, from: Data(row.doc)) else {
                // The function is gone: nothing left to run it.
                try await repository.completeEvent(seq: event.seq, claim: event.claimedUntil)
                return
            }
            let outcome: (code: String, message: String)?
            do {
                let result = try await run(row, r, payload: event.payload, requestId: doc.requestId, accessKey: doc.accessKey)
                outcome = result.functionError.map { _ in
                    let e = try? JSONParser.parse(result.payload)
                    return (e?["errorType"]?.stringValue ?? "Unhandled", e?["errorMessage"]?.stringValue ?? "")
                }
            } catch let e as AWSError where e.code == "TooManyRequestsException" {
                // Throttled: tried again shortly, without using up an attempt.
                try await repository.rescheduleEvent(seq: event.seq, attempts: event.attempts, dueAtMillis: nowMillis + 1_000, claim: event.claimedUntil)
                return
            } catch let e as AWSError {
                outcome = (e.code, e.message)
            }
            guard let (code, message) = outcome else {
                try await repository.completeEvent(seq: event.seq, claim: event.claimedUntil)
                return
            }
            let attempts = event.attempts + 1
            if attempts <= Int64(Self.asyncRetryDelays.count) {
                try await repository.rescheduleEvent(seq: event.seq, attempts: attempts,
                                                     dueAtMillis: nowMillis + Self.asyncRetryDelays[Int(attempts - 1)],
                                                     claim: event.claimedUntil)
                return
            }
            if let target = r.deadLetterTarget, let queues {
                // Lambda's dead-letter message: the event as the body, the failure in message attributes.
                try await queues.deliver(queueArn: target, body: String(decoding: event.payload, as: UTF8.self), attributes: [
                    "RequestID": SQS.MessageAttributeValue(stringValue: doc.requestId, dataType: "String"),
                    "ErrorCode": SQS.MessageAttributeValue(stringValue: "200", dataType: "Number"),
                    "ErrorMessage": SQS.MessageAttributeValue(stringValue: String("\(code): \(message)".prefix(1000)), dataType: "String"),
                ], senderId: "AROAWARDENLAMBDA:lambda", groupId: nil, dedupId: nil)
            }
            try await repository.completeEvent(seq: event.seq, claim: event.claimedUntil)
        } catch {
            // Storage failed: the lease runs out and the event comes due again.
            background.logger.error("an asynchronous invocation could not record its outcome; it comes due again when its lease ends",
                                    metadata: ["function": "\(event.functionArn)", "seq": "\(event.seq)", "error": "\(error)"])
        }
    }
}
