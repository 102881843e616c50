// Asynchronous invocations in the background (Developer Guide, "How Lambda handles errors and retries with
// asynchronous invocation"): each queued event runs under a claim; a function error is retried after about a minute
// and then two (MaximumRetryAttempts, default 2); an event older than MaximumEventAgeInSeconds (default six hours) is
// discarded. An event that succeeds goes to the OnSuccess destination; one that fails for good goes to the
// dead-letter queue and the OnFailure destination, each with its invocation record (LambdaService+Destinations).
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension LambdaService {
    /// Delays before the second and third attempts: about a minute, then two.
    static let asyncRetryDelays: [Int64] = [60_000, 120_000]

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
        let doc: EventDoc
        do {
            doc = try JSONDecoder().decode(EventDoc.self, from: Data(event.doc.utf8))
        } catch {
            // Not written by this service: nothing to run it as.
            background.logger.error("an asynchronous invocation has an unreadable record; it is dropped",
                                    metadata: ["function": "\(event.functionArn)", "seq": "\(event.seq)", "error": "\(error)"])
            await complete(event)
            return
        }
        do {
            guard let arn = ARN(event.functionArn) else {
                try await repository.completeEvent(seq: event.seq, claim: event.claimedUntil)
                return
            }
            let name = String(arn.resource.dropFirst("function:".count))
            let target: ResolvedFunction
            do {
                target = try await resolve(name, qualifier: doc.qualifier, Self.functionContext(arn, now: now()), pick: true)
            } catch let e as AWSError where e.status == 404 {
                // The function, version or alias is gone: nothing left to run it.
                try await repository.completeEvent(seq: event.seq, claim: event.claimedUntil)
                return
            }
            let qualifier = doc.qualifier ?? "$LATEST"
            let settings = try await eventConfig(account: arn.account, region: arn.region, function: name, qualifier: qualifier)
            let maxRetries = Int64(settings?.maxRetry ?? Self.defaultRetryAttempts)
            let maxAge = Int64(settings?.maxAge ?? Self.defaultMaxEventAge) * 1000
            let queued = doc.enqueuedMillis ?? nowMillis
            let invoked = event.functionArn + ":" + qualifier
            if nowMillis - queued > maxAge {
                // Waited too long to run at all (a backlog, throttling): discarded as AWS discards it.
                try await failed(event, doc, target, settings, invoked: invoked, condition: "EventAgeExceeded", count: event.attempts,
                                 response: nil, error: ("EventAgeExceeded", "The event is older than the maximum event age."))
                return
            }
            var statusCode = 200
            let result: FunctionResult
            do {
                result = try await run(target.row, target.record, payload: event.payload, requestId: doc.requestId,
                                       accessKey: doc.accessKey, version: target.version, invokedArn: doc.qualifier.map { _ in invoked })
            } catch let e as AWSError where e.code == "TooManyRequestsException" {
                // Throttled: tried again shortly, without using up an attempt (the event's age still counts).
                try await repository.rescheduleEvent(seq: event.seq, attempts: event.attempts, dueAtMillis: nowMillis + 1_000, claim: event.claimedUntil)
                return
            } catch let e as AWSError {
                // The function could not run (its process did not start): a failed attempt like a function error.
                statusCode = e.status
                result = FunctionResult(payload: Array(JSONWriter.string(.object([("errorMessage", .string(e.message)),
                                                                                  ("errorType", .string(e.code))])).utf8),
                                        functionError: "Unhandled", log: [])
            }
            let outcome = InvocationOutcome(statusCode: statusCode, executedVersion: target.version, functionError: result.functionError,
                                            payload: result.payload)
            guard result.functionError != nil else {
                if let destination = settings?.onSuccess {
                    let record = Self.invocationRecord(requestId: doc.requestId, functionArn: invoked, condition: "Success",
                                                       invokeCount: event.attempts + 1, requestPayload: event.payload,
                                                       response: outcome, time: now())
                    await deliverRecord(record, to: destination, success: true, functionArn: invoked, role: target.record.role)
                }
                try await repository.completeEvent(seq: event.seq, claim: event.claimedUntil)
                return
            }
            let parsed = try? JSONParser.parse(result.payload)
            let error = (code: parsed?["errorType"]?.stringValue ?? "Unhandled", message: parsed?["errorMessage"]?.stringValue ?? "")
            let attempts = event.attempts + 1
            var condition = "RetriesExhausted"
            if attempts <= maxRetries {
                let delay = Self.asyncRetryDelays[min(Int(attempts) - 1, Self.asyncRetryDelays.count - 1)]
                if nowMillis + delay - queued <= maxAge {
                    try await repository.rescheduleEvent(seq: event.seq, attempts: attempts, dueAtMillis: nowMillis + delay, claim: event.claimedUntil)
                    return
                }
                // The next attempt would come after the event's maximum age.
                condition = "EventAgeExceeded"
            }
            try await failed(event, doc, target, settings, invoked: invoked, condition: condition, count: attempts, response: outcome, error: error)
        } catch {
            // Storage failed: the lease runs out and the event comes due again.
            background.logger.error("an asynchronous invocation could not record its outcome; it comes due again when its lease ends",
                                    metadata: ["function": "\(event.functionArn)", "seq": "\(event.seq)", "error": "\(error)"])
        }
    }

    /// An event that failed for good: the version's dead-letter queue gets the event, the OnFailure destination the
    /// invocation record; then the event is done.
    func failed(_ event: FunctionEvent, _ doc: EventDoc, _ target: ResolvedFunction, _ settings: EventConfigDoc?, invoked: String,
                condition: String, count: Int64, response: InvocationOutcome?, error: (code: String, message: String)) async throws {
        if let dlq = target.record.deadLetterTarget, let queues,
           try await deadLetterAllowed(dlq, functionArn: event.functionArn, role: target.record.role) {
            // Lambda's dead-letter message: the event as the body, the failure in message attributes. A queue that
            // cannot take it fails the step, so the event comes due again when its claim ends.
            try await queues.deliver(queueArn: dlq, body: String(decoding: event.payload, as: UTF8.self), attributes: [
                "RequestID": SQS.MessageAttributeValue(stringValue: doc.requestId, dataType: "String"),
                "ErrorCode": SQS.MessageAttributeValue(stringValue: "200", dataType: "Number"),
                "ErrorMessage": SQS.MessageAttributeValue(stringValue: String("\(error.code): \(error.message)".prefix(1000)), dataType: "String"),
            ], senderId: "AROAWARDENLAMBDA:lambda", groupId: nil, dedupId: nil)
        }
        if let destination = settings?.onFailure {
            let record = Self.invocationRecord(requestId: doc.requestId, functionArn: invoked, condition: condition, invokeCount: count,
                                               requestPayload: event.payload, response: response, time: now())
            await deliverRecord(record, to: destination, success: false, functionArn: invoked, role: target.record.role)
        }
        try await repository.completeEvent(seq: event.seq, claim: event.claimedUntil)
    }

    /// Whether the dead-letter queue takes the event: a queue of another account must let the execution role send to
    /// it (its policy). When it does not, the event is not written there — logged, as AWS only counts a
    /// DeadLetterErrors metric — and the rest of the failure's handling goes on.
    func deadLetterAllowed(_ dlq: String, functionArn: String, role: String) async throws -> Bool {
        guard try await destinationAllows(dlq, functionArn: functionArn, role: role) else {
            background.logger.notice("a dead-letter queue of another account does not allow the function's execution role to send to it; the event is not written there",
                                     metadata: ["function": "\(functionArn)", "queue": "\(dlq)"])
            return false
        }
        return true
    }

    /// Drops an event, logging a storage failure (its claim then runs out and it comes due again).
    func complete(_ event: FunctionEvent) async {
        await ServiceLog.attempt("completing an asynchronous invocation", ["function": "\(event.functionArn)", "seq": "\(event.seq)"]) {
            try await repository.completeEvent(seq: event.seq, claim: event.claimedUntil)
        }
    }
}
