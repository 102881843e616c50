// The event Lambda hands a function for a batch of SQS messages, and how it reads the function's answer (Developer
// Guide, "Using Lambda with Amazon SQS": the example events for standard and FIFO queues, and "Implementing partial
// batch responses" for the success and failure conditions of ReportBatchItemFailures).
import Foundation
import WardenAPI
import WardenCore

enum SQSEventRecords {
    /// Lambda's order of a record's system attributes (the Developer Guide's example events); attributes it does not
    /// list (DeadLetterQueueSourceArn) follow in name order.
    static let standardOrder = ["ApproximateReceiveCount", "AWSTraceHeader", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"]
    static let fifoOrder = ["ApproximateReceiveCount", "AWSTraceHeader", "SentTimestamp", "SequenceNumber", "MessageGroupId", "SenderId",
                            "MessageDeduplicationId", "ApproximateFirstReceiveTimestamp"]

    /// One record of the event, built from a message received with every attribute.
    ///
    /// `md5OfMessageAttributes` is there with the digest when the message has attributes. Without attributes AWS
    /// leaves the member out of the events its pollers build without a batching window, and writes it as `null` when
    /// the mapping has one (both recorded against AWS on the same day: localstack tests/aws/services/lambda_/
    /// event_source_mapping/test_lambda_integration_sqs.snapshot.json, window 0 vs. window 1), so Warden does the same.
    static func record(_ m: SQS.Message, queueArn: String, region: String, batchingWindow: Bool) -> JSONValue {
        let attributes = m.attributes ?? [:]
        let order = attributes["MessageGroupId"] != nil ? fifoOrder : standardOrder
        var system: [(String, JSONValue)] = order.compactMap { k in attributes[k].map { (k, .string($0)) } }
        for k in attributes.keys.sorted() where !order.contains(k) { system.append((k, .string(attributes[k] ?? ""))) }
        var members: [(String, JSONValue)] = [
            ("messageId", .string(m.messageId ?? "")),
            ("receiptHandle", .string(m.receiptHandle ?? "")),
            ("body", .string(m.body ?? "")),
            ("attributes", .object(system)),
            ("messageAttributes", .object((m.messageAttributes ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, attribute($0.value)) })),
        ]
        if let digest = m.md5OfMessageAttributes {
            members.append(("md5OfMessageAttributes", .string(digest)))
        } else if batchingWindow {
            members.append(("md5OfMessageAttributes", .null))
        }
        members += [
            ("md5OfBody", .string(m.md5OfBody ?? "")),
            ("eventSource", .string("aws:sqs")),
            ("eventSourceARN", .string(queueArn)),
            ("awsRegion", .string(region)),
        ]
        return .object(members)
    }

    /// A message attribute in Lambda's shape: lower-camel members, the (always empty) list members included.
    static func attribute(_ v: SQS.MessageAttributeValue) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let s = v.stringValue { members.append(("stringValue", .string(s))) }
        if let b = v.binaryValue { members.append(("binaryValue", .string(Data(b).base64EncodedString()))) }
        members += [
            ("stringListValues", .array((v.stringListValues ?? []).map { .string($0) })),
            ("binaryListValues", .array((v.binaryListValues ?? []).map { .string(Data($0).base64EncodedString()) })),
            ("dataType", .string(v.dataType)),
        ]
        return .object(members)
    }

    /// The event: `{"Records": [...]}`.
    static func event(_ records: [JSONValue]) -> [UInt8] {
        JSONWriter.write(.object([("Records", .array(records))]))
    }

    /// The record as filter patterns see it: a body that is JSON is matched as JSON, any other body as a string
    /// (Developer Guide, "Filtering Amazon SQS messages").
    static func filterView(_ record: JSONValue, body: String) -> JSONValue {
        guard case .object(var members) = record else { return record }
        if let parsed = try? JSONParser.parse(Array(body.utf8)), let i = members.firstIndex(where: { $0.0 == "body" }) {
            members[i].1 = parsed
        }
        return .object(members)
    }

    /// What a batch's invocation decided.
    enum Outcome: Equatable, Sendable {
        /// Every message is done: delete them all.
        case succeeded
        /// The batch failed: every message becomes visible again after the visibility timeout.
        case failed
        /// These message ids failed; the others are done.
        case partial(Set<String>)
    }

    /// Reads a function's answer. Without ReportBatchItemFailures any successful invocation completes the batch.
    /// With it, Lambda treats as a complete success an empty or null `batchItemFailures` list and an empty or null
    /// response; as a complete failure a response that is not valid JSON, an `itemIdentifier` that is empty, null,
    /// under another key name, or not the id of a message of the batch. A response of another JSON type cannot be read
    /// as a batch response either, so it fails the batch.
    static func outcome(payload: [UInt8], functionError: String?, reportsBatchItemFailures: Bool,
                        messageIds: Set<String>) -> Outcome {
        if functionError != nil { return .failed }
        guard reportsBatchItemFailures else { return .succeeded }
        if payload.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .succeeded }
        guard let response = try? JSONParser.parse(payload) else { return .failed }
        switch response {
        case .null:
            return .succeeded
        case .object:
            switch response["batchItemFailures"] {
            case nil, .null?:
                return .succeeded
            case .array(let items)?:
                var failed = Set<String>()
                for item in items {
                    guard case .string(let id)? = item["itemIdentifier"], !id.isEmpty, messageIds.contains(id) else { return .failed }
                    failed.insert(id)
                }
                return failed.isEmpty ? .succeeded : .partial(failed)
            default:
                return .failed
            }
        default:
            return .failed
        }
    }
}
