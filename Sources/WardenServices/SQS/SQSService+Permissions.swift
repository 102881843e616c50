// AddPermission and RemovePermission: statements SQS writes into (and removes from) the queue's `Policy` attribute.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension SQSService {
    /// Actions a permission may grant (SQS API Reference, AddPermission; the names moto and Eucalyptus accept, and
    /// both name the same set). `*` grants them all.
    static let grantableActions: Set<String> = ["*", "ChangeMessageVisibility", "DeleteMessage", "GetQueueAttributes", "GetQueueUrl",
                                                "ListDeadLetterSourceQueues", "PurgeQueue", "ReceiveMessage", "SendMessage"]
    /// Actions only the queue's owner may call, which AddPermission refuses with its own reason.
    static let ownerOnlyActions: Set<String> = ["AddPermission", "RemovePermission", "CreateQueue", "DeleteQueue", "ListQueues",
                                                "SetQueueAttributes", "ListQueueTags", "TagQueue", "UntagQueue",
                                                "StartMessageMoveTask", "ListMessageMoveTasks", "CancelMessageMoveTask"]

    /// SQS's policy quotas (SQS Developer Guide, "Amazon SQS policy quotas"): 7 actions per statement, 20 statements,
    /// 50 principals.
    static let maxActionsPerStatement = 7
    static let maxStatements = 20
    static let maxPrincipals = 50

    static func overLimit(_ m: String) -> AWSError {
        AWSError(code: "OverLimit", queryCode: "OverLimit", status: 403, message: m)
    }

    /// Labels are Sids: up to 80 alphanumerics, hyphens and underscores (API Reference, AddPermission `Label`).
    static func checkLabel(_ label: String) throws(AWSError) {
        guard isValidQueueName(label) else {
            // AWS's exact message is not documented; this is the queue-name message with the word for labels.
            throw invalidValue("Label can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
        }
    }

    func addPermission(_ input: SQS.AddPermissionRequest, context c: RequestContext) async throws -> EmptyShape {
        let (first, _) = try await resolve(input.queueUrl, c)
        // Errors in the order moto checks them (its tests assert each text and status).
        guard !input.actions.isEmpty else { throw Self.missingParameter("Actions") }
        let accounts = input.awsAccountIds.filter { $0.utf8.count == 12 && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }
        guard !accounts.isEmpty else {
            // Eucalyptus (which matched AWS's answers): a list where no account can be verified fails; the ones that can
            // are kept otherwise. Warden has no account directory, so any 12-digit id counts as verified.
            throw Self.invalidValue("Value [\(input.awsAccountIds.joined(separator: ", "))] for parameter PrincipalId is invalid. Reason: Unable to verify.")
        }
        guard input.actions.count <= Self.maxActionsPerStatement else {
            throw Self.overLimit("\(input.actions.count) Actions were found, maximum allowed is \(Self.maxActionsPerStatement).")
        }
        for action in input.actions where !Self.grantableActions.contains(action) {
            let reason = Self.ownerOnlyActions.contains(action)
                ? "Only the queue owner is allowed to invoke this action."
                : "Please refer to the appropriate WSDL for a list of valid actions."
            throw Self.invalidValue("Value SQS:\(action) for parameter ActionName is invalid. Reason: \(reason)")
        }
        try Self.checkLabel(input.label)
        let principals = accounts.map { "arn:\(c.partition.rawValue):iam::\($0):root" }
        let actions = input.actions.map { "SQS:\($0)" }
        return try await locks.withLock(Self.lockName(first.queueId)) {
            var (row, record) = try await resolve(input.queueUrl, c)
            let arn = Self.queueArn(c, row.name)
            var (members, statements) = try Self.policyParts(record.attributes["Policy"], queueArn: arn)
            if statements.contains(where: { $0["Sid"]?.stringValue == input.label }) {
                throw Self.invalidValue("Value \(input.label) for parameter Label is invalid. Reason: Already exists.")
            }
            // AWS's exact messages for the statement and principal quotas are not documented; these follow its
            // recorded message for the actions quota.
            guard statements.count < Self.maxStatements else {
                throw Self.overLimit("\(statements.count + 1) Statements were found, maximum allowed is \(Self.maxStatements).")
            }
            let principalCount = statements.reduce(principals.count) { n, s in n + Self.principalCount(s) }
            guard principalCount <= Self.maxPrincipals else {
                throw Self.overLimit("\(principalCount) Principals were found, maximum allowed is \(Self.maxPrincipals).")
            }
            func oneOrMany(_ items: [String]) -> JSONValue { items.count == 1 ? .string(items[0]) : .array(items.map { .string($0) }) }
            // The statement as SQS writes it (recorded: LocalStack's test_sqs_permission_lifecycle snapshot).
            statements.append(.object([("Sid", .string(input.label)), ("Effect", .string("Allow")),
                                       ("Principal", .object([("AWS", oneOrMany(principals))])),
                                       ("Action", oneOrMany(actions)), ("Resource", .string(arn))]))
            members = Self.replacing("Statement", with: .array(statements), in: members)
            record.attributes["Policy"] = JSONWriter.string(.object(members))
            record.lastModified = nowMillis / 1000
            row.doc = record.encoded()
            guard try await repository.updateQueue(row) else { throw Self.noQueue() }
            return EmptyShape()
        }
    }

    func removePermission(_ input: SQS.RemovePermissionRequest, context c: RequestContext) async throws -> EmptyShape {
        let (first, _) = try await resolve(input.queueUrl, c)
        // Recorded (LocalStack's test_sqs_permission_lifecycle snapshot): a label the policy does not have, or no policy.
        let notFound = Self.invalidValue("Value \(input.label) for parameter Label is invalid. Reason: can't find label.")
        return try await locks.withLock(Self.lockName(first.queueId)) {
            var (row, record) = try await resolve(input.queueUrl, c)
            guard let text = record.attributes["Policy"], !text.isEmpty else { throw notFound }
            var (members, statements) = try Self.policyParts(text, queueArn: Self.queueArn(c, row.name))
            let kept = statements.filter { $0["Sid"]?.stringValue != input.label }
            guard kept.count < statements.count else { throw notFound }
            statements = kept
            if statements.isEmpty {
                // The last statement gone, the queue has no policy at all (recorded: no Policy attribute afterwards).
                record.attributes["Policy"] = nil
            } else {
                members = Self.replacing("Statement", with: .array(statements), in: members)
                record.attributes["Policy"] = JSONWriter.string(.object(members))
            }
            record.lastModified = nowMillis / 1000
            row.doc = record.encoded()
            guard try await repository.updateQueue(row) else { throw Self.noQueue() }
            return EmptyShape()
        }
    }

    /// The policy's top-level members and its statements (a lone statement object counts as a list of one). Without a
    /// policy: the document AddPermission starts, `{"Version":"2008-10-17","Id":"<queue ARN>/SQSDefaultPolicy"}` (recorded).
    static func policyParts(_ text: String?, queueArn: String) throws -> (members: [(String, JSONValue)], statements: [JSONValue]) {
        guard let text, !text.isEmpty else {
            return ([("Version", .string("2008-10-17")), ("Id", .string(queueArn + "/SQSDefaultPolicy"))], [])
        }
        // SetQueueAttributes only stores policies that are JSON objects.
        guard case .object(let members) = try JSONParser.parse(Array(text.utf8)) else { throw AWSError.internalFailure() }
        switch members.first(where: { $0.0 == "Statement" })?.1 {
        case .array(let list)?: return (members, list)
        case .object(let one)?: return (members, [.object(one)])
        default: return (members, [])
        }
    }

    static func replacing(_ key: String, with value: JSONValue, in members: [(String, JSONValue)]) -> [(String, JSONValue)] {
        guard members.contains(where: { $0.0 == key }) else { return members + [(key, value)] }
        return members.map { $0.0 == key ? (key, value) : $0 }
    }

    static func principalCount(_ statement: JSONValue) -> Int {
        switch statement["Principal"] {
        case .object(let kinds)?:
            return kinds.reduce(0) { n, kind in
                if case .array(let items) = kind.1 { return n + items.count }
                return n + 1
            }
        case .some: return 1
        case nil: return 0
        }
    }
}
