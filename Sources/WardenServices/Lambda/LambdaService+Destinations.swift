// Destinations of asynchronous invocations (Developer Guide, "Capturing records of Lambda asynchronous invocations"):
// when an event succeeds, or fails for good, Lambda sends an invocation record — the request, the response and why —
// to the qualifier's OnSuccess or OnFailure destination: an SQS queue (the record as the message body), an SNS topic
// (as the message), an EventBridge bus (as the event's detail, source "lambda") or another function (as its event).
// Lambda delivers with the function's execution role: a destination of the function's own account takes the record,
// one of another account only when its resource policy lets the role (LambdaService+ResourceAccess); otherwise the
// record is dropped, as AWS drops a record it cannot deliver.
import Foundation
import Logging
import Synchronization
import WardenAPI
import WardenCore
import WardenStorage

/// Where Lambda puts invocation records on an EventBridge bus (EventsService conforms).
public protocol EventBusPublisher: Sendable {
    /// Puts one event an AWS service emits on the bus `busArn` (its rules route it on); throws ResourceNotFoundException
    /// for a bus that is not there.
    func putServiceEvent(busArn: String, source: String, detailType: String, resources: [String], detail: JSONValue) async throws
}

/// The SNS and EventBridge services, which exist only after Lambda (they deliver to functions): set once at start-up.
public final class LateDestinations: Sendable {
    private let state = Mutex<(topics: (any TopicPublisher)?, buses: (any EventBusPublisher)?)>((nil, nil))
    public init() {}
    public func set(topics: (any TopicPublisher)?, buses: (any EventBusPublisher)?) { state.withLock { $0 = (topics, buses) } }
    var topics: (any TopicPublisher)? { state.withLock { $0.topics } }
    var buses: (any EventBusPublisher)? { state.withLock { $0.buses } }
}

/// What an invocation answered, for the record's responseContext and responsePayload.
struct InvocationOutcome: Sendable {
    var statusCode: Int
    var executedVersion: String
    var functionError: String?
    var payload: [UInt8]
}

extension LambdaService {
    /// A payload as the record carries it: the JSON document itself when it is one, otherwise its text.
    static func embedded(_ bytes: [UInt8]) -> JSONValue {
        if bytes.isEmpty { return .null }
        return (try? JSONParser.parse(bytes)) ?? .string(String(decoding: bytes, as: UTF8.self))
    }

    /// The invocation record (the layout of AWS's documented example): `condition` is Success, RetriesExhausted or
    /// EventAgeExceeded; `functionArn` is qualified by the version or alias invoked ($LATEST when none).
    static func invocationRecord(requestId: String, functionArn: String, condition: String, invokeCount: Int64, requestPayload: [UInt8],
                                 response: InvocationOutcome?, time: Date) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("version", .string("1.0")),
            ("timestamp", .string(Timestamps.iso8601(time))),
            ("requestContext", .object([("requestId", .string(requestId)), ("functionArn", .string(functionArn)),
                                        ("condition", .string(condition)), ("approximateInvokeCount", .int(invokeCount))])),
            ("requestPayload", embedded(requestPayload)),
        ]
        if let response {
            var context: [(String, JSONValue)] = [("statusCode", .int(response.statusCode)), ("executedVersion", .string(response.executedVersion))]
            if let e = response.functionError { context.append(("functionError", .string(e))) }
            fields.append(("responseContext", .object(context)))
            fields.append(("responsePayload", embedded(response.payload)))
        }
        return .object(fields)
    }

    /// Sends a record to a destination. A destination that cannot take it loses the record (AWS counts a
    /// DestinationDeliveryFailures metric); the failure is logged, and the event is done either way. `role` is the
    /// function's execution role, which another account's destination must allow.
    func deliverRecord(_ record: JSONValue, to destination: String, success: Bool, functionArn: String, role: String) async {
        let metadata: Logger.Metadata = ["destination": "\(destination)", "function": "\(functionArn)"]
        await ServiceLog.attempt("Lambda destination delivery", metadata) {
            guard let arn = ARN(destination) else { throw Self.invalid("The destination ARN \(destination) is invalid.") }
            guard try await destinationAllows(destination, functionArn: functionArn, role: role) else {
                // Dropped, as AWS drops a record its execution role may not deliver; the destination's owner sees nothing.
                background.logger.notice("a destination of another account does not allow the function's execution role to deliver to it; the invocation record is dropped",
                                         metadata: metadata)
                return
            }
            let body = JSONWriter.string(record)
            switch arn.service {
            case "sqs":
                guard let queues else { throw Self.invalid("SQS destinations need Warden's queues.") }
                try await queues.deliver(queueArn: destination, body: body, attributes: nil, senderId: "AROAWARDENLAMBDA:lambda",
                                         groupId: nil, dedupId: nil)
            case "sns":
                guard let topics = destinations.topics else { throw Self.invalid("SNS destinations need Warden's topics.") }
                try await topics.publish(topicArn: destination, message: body, subject: nil, service: "lambda.amazonaws.com")
            case "events":
                guard let buses = destinations.buses else { throw Self.invalid("EventBridge destinations need Warden's event buses.") }
                try await buses.putServiceEvent(
                    busArn: destination, source: "lambda",
                    detailType: success ? "Lambda Function Invocation Result - Success" : "Lambda Function Invocation Result - Failure",
                    resources: [functionArn, destination], detail: record)
            case "lambda":
                try await enqueueDestination(functionArn: destination, payload: Array(body.utf8))
            default:
                throw Self.invalid("The destination ARN \(destination) is invalid.")
            }
        }
    }

    /// A destination function gets the record as an asynchronous event of its own (run with its creator's
    /// credentials, as Lambda runs it with its execution role).
    func enqueueDestination(functionArn: String, payload: [UInt8]) async throws {
        guard let arn = ARN(functionArn), arn.service == "lambda", arn.resource.hasPrefix("function:") else {
            throw Self.invalid("The destination ARN \(functionArn) is invalid.")
        }
        let parts = arn.resource.split(separator: ":").map(String.init)
        guard parts.count >= 2, try await repository.function(account: arn.account, region: arn.region, name: parts[1]) != nil else {
            throw Self.notFound(functionArn)
        }
        let unqualified = "arn:\(arn.partition.rawValue):lambda:\(arn.region):\(arn.account):function:\(parts[1])"
        let doc = EventDoc(requestId: UUID().uuidString.lowercased(), accessKey: nil, qualifier: parts.count > 2 ? parts[2] : nil,
                           enqueuedMillis: nowMillis)
        try await repository.enqueueEvent(functionArn: unqualified, payload: payload,
                                          doc: String(decoding: try JSONEncoder().encode(doc), as: UTF8.self), dueAtMillis: nowMillis)
        wakeups.signal(Self.wakeKey)
    }
}
