// AddPermission/RemovePermission: statements in the topic's access policy (enforced once IAM arrives).
import Foundation
import WardenAPI
import WardenCore

extension SNSService {
    static let permissionActions: Set<String> = ["Publish", "Subscribe", "Receive", "GetTopicAttributes", "SetTopicAttributes",
                                                 "AddPermission", "RemovePermission", "DeleteTopic", "ListSubscriptionsByTopic",
                                                 "ListTopics", "Unsubscribe", "ConfirmSubscription", "ListSubscriptions"]

    /// Rewrites the topic's policy statements with `change` under the topic's lock.
    func editPolicy(_ topicArn: String, _ c: RequestContext,
                    _ change: ([JSONValue]) throws(AWSError) -> [JSONValue]) async throws {
        try await locks.withLock(topicArn) {
            var (row, record) = try await topic(topicArn, c)
            let text = record.attributes["Policy"] ?? Self.defaultPolicy(arn: topicArn, account: row.account)
            guard case .object(var fields)? = try? JSONParser.parse(Array(text.utf8)) else { throw Self.invalid("Policy") }
            var statements: [JSONValue] = []
            if let i = fields.firstIndex(where: { $0.0 == "Statement" }) {
                switch fields[i].1 {
                case .array(let items): statements = items
                case let one: statements = [one]
                }
                fields.remove(at: i)
            }
            fields.append(("Statement", .array(try change(statements))))
            record.attributes["Policy"] = String(decoding: JSONWriter.write(.object(fields)), as: UTF8.self)
            row.doc = record.encoded()
            guard try await repository.updateTopic(row) else { throw Self.notFound("Topic does not exist") }
        }
    }

    func addPermission(_ input: SNS.AddPermissionInput, context c: RequestContext) async throws -> EmptyShape {
        guard !input.label.isEmpty, input.label.utf8.count <= 100 else { throw Self.invalid("Label") }
        guard !input.awsAccountId.isEmpty, input.awsAccountId.allSatisfy({ $0.count == 12 && $0.allSatisfy(\.isNumber) }) else {
            throw Self.invalid("AWSAccountId")
        }
        guard !input.actionName.isEmpty else { throw Self.invalid("ActionName") }
        guard input.actionName.allSatisfy({ Self.permissionActions.contains($0) }) else {
            // SNS's text for an action it does not know (seen in real SNS errors).
            throw Self.invalid("Policy statement action out of service scope!")
        }
        let label = input.label, arn = input.topicArn, partition = c.partition.rawValue
        try await editPolicy(input.topicArn, c) { statements throws(AWSError) in
            if statements.contains(where: { $0["Sid"]?.stringValue == label }) {
                throw Self.invalid("Statement already exists")
            }
            // As SNS writes the statement: one principal or action as a plain string, several as a list (in the
            // request's order), and no Condition.
            let principals = input.awsAccountId.map { JSONValue.string("arn:\(partition):iam::\($0):root") }
            let actions = input.actionName.map { JSONValue.string("SNS:\($0)") }
            return statements + [.object([
                ("Sid", .string(label)), ("Effect", .string("Allow")),
                ("Principal", .object([("AWS", principals.count == 1 ? principals[0] : .array(principals))])),
                ("Action", actions.count == 1 ? actions[0] : .array(actions)), ("Resource", .string(arn)),
            ])]
        }
        return EmptyShape()
    }

    func removePermission(_ input: SNS.RemovePermissionInput, context c: RequestContext) async throws -> EmptyShape {
        let label = input.label
        try await editPolicy(input.topicArn, c) { statements throws(AWSError) in
            guard statements.contains(where: { $0["Sid"]?.stringValue == label }) else { throw Self.invalid("Label") }
            return statements.filter { $0["Sid"]?.stringValue != label }
        }
        return EmptyShape()
    }
}
