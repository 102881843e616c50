// Amazon EventBridge: event buses (the default one per account and region, and custom ones), rules with event
// patterns (the matcher SNS filter policies use), targets (SQS queues, SNS topics, functions, other buses), PutEvents,
// and every CloudTrail management write call put on the default bus as "AWS API Call via CloudTrail".
import Foundation
import Synchronization
import WardenAPI
import WardenCore
import WardenStorage

/// Where EventBridge publishes to SNS topics (SNSService conforms).
public protocol TopicPublisher: Sendable {
    func publish(topicArn: String, message: String, subject: String?, service: String) async throws
    /// The topic's access policy (SNS's default policy when none was set); throws NotFound for a topic that is not there.
    func topicPolicy(topicArn: String) async throws -> String
}

public struct EventsService: Sendable {
    let repository: EventBusRepository
    let queues: (any QueueDelivery)?
    let functions: (any FunctionInvoker)?
    let topics: (any TopicPublisher)?
    /// Decides deliveries to queue and topic targets by their policies (events.amazonaws.com, aws:SourceArn = the rule).
    let access: ServiceAccess
    let now: @Sendable () -> Date
    public let wakeups = QueueSignals()
    /// Each bus's enabled rules, parsed and indexed, kept for a second (and dropped at once when this node changes them).
    let ruleCache = RuleCache()
    /// Per-bus locks (see `lockName`), taken in the database so they hold across nodes.
    let locks: ResourceLocks

    public init(repository: EventBusRepository, queues: (any QueueDelivery)?, functions: (any FunctionInvoker)?,
                topics: (any TopicPublisher)?, access: ServiceAccess = ServiceAccess(enforced: false),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.access = access
        self.repository = repository
        self.locks = ResourceLocks(repository.db)
        self.queues = queues
        self.functions = functions
        self.topics = topics
        self.now = now
    }

    var nowMillis: Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded(.down)) }
    public static let wakeKey = "events-outbox"

    /// Forgets every cached rule (after `/_warden/reset` wiped storage).
    public func clearCache() { ruleCache.dropAll() }
}

/// A document that carries tags (buses and rules).
protocol TaggedDoc: Codable {
    var tags: [String: String]? { get set }
}

struct BusDoc: Codable, Sendable, TaggedDoc {
    var description: String?
    var createdMillis: Int64
    var tags: [String: String]?
    /// When the bus was last changed (buses stored before this was kept read it as their creation time).
    var modifiedMillis: Int64?
}

struct TargetDoc: Codable, Sendable {
    var id: String
    var arn: String
    var input: String?
    var inputPath: String?
    var pathsMap: [String: String]?
    var template: String?
    var maxRetries: Int?
    var maxAgeSeconds: Int?
    var deadLetterArn: String?
    /// SqsParameters.MessageGroupId: the group a FIFO queue target's messages are sent in.
    var messageGroupId: String?
}

struct RuleDoc: Codable, Sendable, TaggedDoc {
    var pattern: String?
    var schedule: String?
    var state: String
    var description: String?
    var roleArn: String?
    var targets: [TargetDoc]
    var tags: [String: String]?
}

/// One queued delivery: where, and for which rule.
struct DeliveryTarget: Codable, Sendable {
    var arn: String
    var ruleArn: String
    var account: String
    var region: String
    /// When the event was routed; with the target's RetryPolicy and dead-letter queue.
    var createdMillis: Int64?
    var maxRetries: Int?
    var maxAgeSeconds: Int?
    var deadLetterArn: String?
    /// A FIFO queue target's message group (its SqsParameters.MessageGroupId).
    var groupId: String?
}

extension EventsService {
    typealias EV = Events
    static func validation(_ m: String) -> AWSError { AWSError(code: "ValidationException", status: 400, message: m) }
    static func notFound(_ m: String) -> AWSError { EV.Errors.resourceNotFoundException(m) }

    static func busArn(_ c: RequestContext, _ name: String) -> String { "arn:\(c.partition.rawValue):events:\(c.region):\(c.account):event-bus/\(name)" }
    static func ruleArn(_ c: RequestContext, bus: String, _ name: String) -> String {
        "arn:\(c.partition.rawValue):events:\(c.region):\(c.account):rule/\(bus == "default" ? "" : bus + "/")\(name)"
    }

    /// The lock every change to a bus, its rules and their targets and tags takes: one per bus (rule changes are rare
    /// calls), so a rule's read-modify-write and the bus's deletion never interleave, and no lock nests in another.
    static func lockName(_ c: RequestContext, bus: String) -> String { "events:\(c.account)/\(c.region)/\(bus)" }

    static func busName(_ ref: String?) -> String {
        guard let ref else { return "default" }
        if ref.hasPrefix("arn:"), let slash = ref.range(of: ":event-bus/") { return String(ref[slash.upperBound...]) }
        return ref
    }

    static func isValidName(_ n: String, max: Int) -> Bool {
        (1...max).contains(n.utf8.count) && n.unicodeScalars.allSatisfy { s in
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || "._-".unicodeScalars.contains(s)
        }
    }

    func busExists(_ name: String, _ c: RequestContext) async throws -> Bool {
        name == "default" ? true : try await repository.get(account: c.account, region: c.region, kind: "bus", name: name) != nil
    }

    // MARK: buses

    func createEventBus(_ input: EV.CreateEventBusRequest, context c: RequestContext) async throws -> EV.CreateEventBusResponse {
        guard Self.isValidName(input.name, max: 256), !input.name.hasPrefix("aws.") else {
            throw Self.validation("Event bus name must be 1 to 256 letters, digits, and . _ - characters.")
        }
        if input.eventSourceName != nil { throw Self.validation("Partner event sources are not served by Warden.") }
        let doc = BusDoc(description: input.description, createdMillis: nowMillis, tags: try Self.tagMap(input.tags))
        guard input.name != "default",
              try await repository.create(account: c.account, region: c.region, kind: "bus", name: input.name,
                                          doc: String(decoding: try JSONEncoder().encode(doc), as: UTF8.self)) else {
            throw EV.Errors.resourceAlreadyExistsException("Event bus \(input.name) already exists.")
        }
        return EV.CreateEventBusResponse(eventBusArn: Self.busArn(c, input.name), description: input.description)
    }

    func deleteEventBus(_ input: EV.DeleteEventBusRequest, context c: RequestContext) async throws -> EmptyShape {
        guard input.name != "default" else { throw Self.validation("Cannot delete event bus default.") }
        try await locks.withLock(Self.lockName(c, bus: input.name)) {
            _ = try await repository.delete(account: c.account, region: c.region, kind: "bus", name: input.name)
            for rule in try await repository.list(account: c.account, region: c.region, kind: "rule", prefix: input.name + "/") {
                _ = try await repository.delete(account: c.account, region: c.region, kind: "rule", name: rule.name)
            }
        }
        ruleCache.drop("\(c.account)/\(c.region)/\(input.name)")
        return EmptyShape()
    }

    static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

    func busEntry(_ name: String, _ c: RequestContext, doc: BusDoc?) -> EV.EventBus {
        EV.EventBus(name: name, arn: Self.busArn(c, name), description: doc?.description,
                    creationTime: doc.map { Self.date($0.createdMillis) }, lastModifiedTime: doc.map { Self.date($0.modifiedMillis ?? $0.createdMillis) })
    }

    /// The default bus's document. AWS reports a CreationTime and LastModifiedTime for the default bus too; Warden's
    /// default bus exists without being created, so its times are those of the first call that asks for them (kept
    /// under the name `default`, which CreateEventBus never takes).
    func defaultBus(_ c: RequestContext) async throws -> BusDoc {
        if let text = try await repository.get(account: c.account, region: c.region, kind: "bus", name: "default"),
           let doc = try? JSONDecoder().decode(BusDoc.self, from: Data(text.utf8)) {
            return doc
        }
        let doc = BusDoc(description: nil, createdMillis: nowMillis, tags: nil, modifiedMillis: nil)
        // A concurrent first call may have stored its own: either is as good, the stored one wins from then on.
        _ = try await repository.create(account: c.account, region: c.region, kind: "bus", name: "default",
                                        doc: String(decoding: try JSONEncoder().encode(doc), as: UTF8.self))
        if let text = try await repository.get(account: c.account, region: c.region, kind: "bus", name: "default"),
           let stored = try? JSONDecoder().decode(BusDoc.self, from: Data(text.utf8)) {
            return stored
        }
        return doc
    }

    func listEventBuses(_ input: EV.ListEventBusesRequest, context c: RequestContext) async throws -> EV.ListEventBusesResponse {
        let prefix = input.namePrefix ?? ""
        var all: [EV.EventBus] = []
        if "default".hasPrefix(prefix) { all.append(busEntry("default", c, doc: try await defaultBus(c))) }
        for b in try await repository.list(account: c.account, region: c.region, kind: "bus", prefix: prefix) where b.name != "default" {
            all.append(busEntry(b.name, c, doc: try? JSONDecoder().decode(BusDoc.self, from: Data(b.doc.utf8))))
        }
        let (page, next) = try Self.page(all, limit: input.limit, token: input.nextToken)
        return EV.ListEventBusesResponse(eventBuses: page, nextToken: next)
    }

    static func page<T>(_ all: [T], limit: Int?, token: String?) throws(AWSError) -> ([T], String?) {
        try OffsetPage.slice(all, limit: limit ?? 100, token: token, invalid: Self.validation("The NextToken is not valid."))
    }

    func describeEventBus(_ input: EV.DescribeEventBusRequest, context c: RequestContext) async throws -> EV.DescribeEventBusResponse {
        let name = Self.busName(input.name)
        var doc: BusDoc?
        if name == "default" {
            doc = try await defaultBus(c)
        } else {
            guard let text = try await repository.get(account: c.account, region: c.region, kind: "bus", name: name) else {
                throw Self.notFound("Event bus \(name) does not exist.")
            }
            doc = try? JSONDecoder().decode(BusDoc.self, from: Data(text.utf8))
        }
        return EV.DescribeEventBusResponse(name: name, arn: Self.busArn(c, name), description: doc?.description,
                                           creationTime: doc.map { Self.date($0.createdMillis) },
                                           lastModifiedTime: doc.map { Self.date($0.modifiedMillis ?? $0.createdMillis) })
    }

    // MARK: rules

    func rule(_ name: String, bus: String, _ c: RequestContext) async throws -> RuleDoc {
        guard let text = try await repository.get(account: c.account, region: c.region, kind: "rule", name: "\(bus)/\(name)") else {
            throw Self.notFound("Rule \(name) does not exist on EventBus \(bus).")
        }
        return try JSONDecoder().decode(RuleDoc.self, from: Data(text.utf8))
    }

    func save(_ doc: RuleDoc, name: String, bus: String, _ c: RequestContext) async throws {
        defer { ruleCache.drop("\(c.account)/\(c.region)/\(bus)") }
        try await repository.put(account: c.account, region: c.region, kind: "rule", name: "\(bus)/\(name)",
                                 doc: String(decoding: try JSONEncoder().encode(doc), as: UTF8.self))
    }

    func putRule(_ input: EV.PutRuleRequest, context c: RequestContext) async throws -> EV.PutRuleResponse {
        guard Self.isValidName(input.name, max: 64) else { throw Self.validation("Rule name must be 1 to 64 letters, digits, and . _ - characters.") }
        let bus = Self.busName(input.eventBusName)
        guard try await busExists(bus, c) else { throw Self.notFound("Event bus \(bus) does not exist.") }
        guard input.eventPattern != nil || input.scheduleExpression != nil else {
            throw Self.validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        }
        if let p = input.eventPattern { _ = try EventPattern(p) }
        if let expr = input.scheduleExpression {
            guard bus == "default" else { throw Self.validation("ScheduleExpression is supported only on the default event bus.") }
            guard (try? Schedule(expr)) != nil else { throw Self.validation("Parameter ScheduleExpression is not valid.") }
        }
        try await locks.withLock(Self.lockName(c, bus: bus)) {
            // Checked again under the bus's lock: a rule is not stored on a bus being deleted.
            guard try await busExists(bus, c) else { throw Self.notFound("Event bus \(bus) does not exist.") }
            let existing = try? await rule(input.name, bus: bus, c)
            var doc = existing ?? RuleDoc(state: "ENABLED", targets: [])
            if existing == nil { doc.tags = try Self.tagMap(input.tags) }
            doc.pattern = input.eventPattern
            doc.schedule = input.scheduleExpression
            doc.state = input.state?.rawValue ?? doc.state
            doc.description = input.description ?? doc.description
            doc.roleArn = input.roleArn ?? doc.roleArn
            try await save(doc, name: input.name, bus: bus, c)
        }
        return EV.PutRuleResponse(ruleArn: Self.ruleArn(c, bus: bus, input.name))
    }

    func describeRule(_ input: EV.DescribeRuleRequest, context c: RequestContext) async throws -> EV.DescribeRuleResponse {
        let bus = Self.busName(input.eventBusName)
        let doc = try await rule(input.name, bus: bus, c)
        return EV.DescribeRuleResponse(name: input.name, arn: Self.ruleArn(c, bus: bus, input.name), eventPattern: doc.pattern,
                                       scheduleExpression: doc.schedule, state: EV.RuleState(rawValue: doc.state), description: doc.description, roleArn: doc.roleArn,
                                       eventBusName: bus, createdBy: c.account)
    }

    func listRules(_ input: EV.ListRulesRequest, context c: RequestContext) async throws -> EV.ListRulesResponse {
        let bus = Self.busName(input.eventBusName)
        var all: [EV.Rule] = []
        for r in try await repository.list(account: c.account, region: c.region, kind: "rule", prefix: "\(bus)/\(input.namePrefix ?? "")") {
            let name = String(r.name.dropFirst(bus.count + 1))
            guard !name.contains("/"), let doc = try? JSONDecoder().decode(RuleDoc.self, from: Data(r.doc.utf8)) else { continue }
            all.append(EV.Rule(name: name, arn: Self.ruleArn(c, bus: bus, name), eventPattern: doc.pattern,
                               state: EV.RuleState(rawValue: doc.state), description: doc.description, scheduleExpression: doc.schedule, roleArn: doc.roleArn, eventBusName: bus))
        }
        let (page, next) = try Self.page(all, limit: input.limit, token: input.nextToken)
        return EV.ListRulesResponse(rules: page, nextToken: next)
    }

    func setState(_ name: String, bus: String?, state: String, _ c: RequestContext) async throws {
        let b = Self.busName(bus)
        try await locks.withLock(Self.lockName(c, bus: b)) {
            var doc = try await rule(name, bus: b, c)
            doc.state = state
            try await save(doc, name: name, bus: b, c)
        }
    }

    func enableRule(_ input: EV.EnableRuleRequest, context c: RequestContext) async throws -> EmptyShape {
        try await setState(input.name, bus: input.eventBusName, state: "ENABLED", c)
        return EmptyShape()
    }

    func disableRule(_ input: EV.DisableRuleRequest, context c: RequestContext) async throws -> EmptyShape {
        try await setState(input.name, bus: input.eventBusName, state: "DISABLED", c)
        return EmptyShape()
    }

    func deleteRule(_ input: EV.DeleteRuleRequest, context c: RequestContext) async throws -> EmptyShape {
        let bus = Self.busName(input.eventBusName)
        try await locks.withLock(Self.lockName(c, bus: bus)) {
            guard let doc = try? await rule(input.name, bus: bus, c) else { return }
            guard doc.targets.isEmpty || input.force == true else { throw Self.validation("Rule can't be deleted since it has targets.") }
            _ = try await repository.delete(account: c.account, region: c.region, kind: "rule", name: "\(bus)/\(input.name)")
            ruleCache.drop("\(c.account)/\(c.region)/\(bus)")
        }
        return EmptyShape()
    }

    // MARK: targets

    func putTargets(_ input: EV.PutTargetsRequest, context c: RequestContext) async throws -> EV.PutTargetsResponse {
        let bus = Self.busName(input.eventBusName)
        return try await locks.withLock(Self.lockName(c, bus: bus)) {
            var doc = try await rule(input.rule, bus: bus, c)
            guard (1...10).contains(input.targets.count) else { throw Self.validation("Targets must hold 1 to 10 targets.") }
            var failed: [EV.PutTargetsResultEntry] = []
            for t in input.targets {
                guard let arn = ARN(t.arn), ["sqs", "sns", "lambda", "events"].contains(arn.service) else {
                    failed.append(EV.PutTargetsResultEntry(targetId: t.id, errorCode: "InvalidArgument",
                                                           errorMessage: "Warden delivers to SQS queues, SNS topics, functions and event buses."))
                    continue
                }
                if let r = t.retryPolicy {
                    if let n = r.maximumRetryAttempts, !(0...185).contains(n) { throw Self.validation("MaximumRetryAttempts must be between 0 and 185.") }
                    if let a = r.maximumEventAgeInSeconds, !(60...86_400).contains(a) {
                        throw Self.validation("MaximumEventAgeInSeconds must be between 60 and 86400.")
                    }
                }
                if let dlq = t.deadLetterConfig?.arn {
                    guard let d = ARN(dlq), d.service == "sqs" else {
                        failed.append(EV.PutTargetsResultEntry(targetId: t.id, errorCode: "InvalidArgument",
                                                               errorMessage: "The dead-letter queue must be an SQS queue ARN."))
                        continue
                    }
                }
                // AWS's recorded texts for these two.
                if [t.input != nil, t.inputPath != nil, t.inputTransformer != nil].filter({ $0 }).count > 1 {
                    throw Self.validation("Only one of Input, InputPath, or InputTransformer must be provided for target \(t.id).")
                }
                if let tr = t.inputTransformer, let bad = Self.undefinedPlaceholder(tr.inputTemplate, defined: Set((tr.inputPathsMap ?? [:]).keys)) {
                    throw Self.validation("InputTemplate for target \(t.id) contains invalid placeholder \(bad).")
                }
                // A FIFO queue needs a message group. AWS's text (moto's aws-verified copy); whether AWS raises it or lists
                // it in FailedEntries is not settled, Warden raises it.
                if arn.service == "sqs", arn.resource.hasSuffix(".fifo"), t.sqsParameters?.messageGroupId == nil {
                    throw Self.validation("Parameter(s) SqsParameters must be specified for target: \(t.id).")
                }
                let targetDoc = TargetDoc(id: t.id, arn: t.arn, input: t.input, inputPath: t.inputPath,
                                          pathsMap: t.inputTransformer?.inputPathsMap, template: t.inputTransformer?.inputTemplate,
                                          maxRetries: t.retryPolicy?.maximumRetryAttempts, maxAgeSeconds: t.retryPolicy?.maximumEventAgeInSeconds,
                                          deadLetterArn: t.deadLetterConfig?.arn, messageGroupId: t.sqsParameters?.messageGroupId)
                if let i = doc.targets.firstIndex(where: { $0.id == t.id }) { doc.targets[i] = targetDoc } else { doc.targets.append(targetDoc) }
            }
            guard doc.targets.count <= 5 else { throw EV.Errors.limitExceededException("The requested resource exceeds the maximum number allowed.") }
            try await save(doc, name: input.rule, bus: bus, c)
            return EV.PutTargetsResponse(failedEntryCount: failed.count, failedEntries: failed)
        }
    }

    func removeTargets(_ input: EV.RemoveTargetsRequest, context c: RequestContext) async throws -> EV.RemoveTargetsResponse {
        let bus = Self.busName(input.eventBusName)
        try await locks.withLock(Self.lockName(c, bus: bus)) {
            var doc = try await rule(input.rule, bus: bus, c)
            doc.targets.removeAll { input.ids.contains($0.id) }
            try await save(doc, name: input.rule, bus: bus, c)
        }
        return EV.RemoveTargetsResponse(failedEntryCount: 0, failedEntries: [])
    }

    func listTargetsByRule(_ input: EV.ListTargetsByRuleRequest, context c: RequestContext) async throws -> EV.ListTargetsByRuleResponse {
        let doc = try await rule(input.rule, bus: Self.busName(input.eventBusName), c)
        let all = doc.targets.map { t in
            EV.Target(id: t.id, arn: t.arn, input: t.input, inputPath: t.inputPath,
                      inputTransformer: t.template.map { EV.InputTransformer(inputPathsMap: t.pathsMap, inputTemplate: $0) },
                      sqsParameters: t.messageGroupId.map { EV.SqsParameters(messageGroupId: $0) },
                      deadLetterConfig: t.deadLetterArn.map { EV.DeadLetterConfig(arn: $0) },
                      retryPolicy: (t.maxRetries != nil || t.maxAgeSeconds != nil)
                        ? EV.RetryPolicy(maximumRetryAttempts: t.maxRetries, maximumEventAgeInSeconds: t.maxAgeSeconds) : nil)
        }
        let (page, next) = try Self.page(all, limit: input.limit, token: input.nextToken)
        return EV.ListTargetsByRuleResponse(targets: page, nextToken: next)
    }

    // MARK: events

    /// An event as EventBridge delivers it.
    static func event(id: String, source: String, detailType: String, account: String, region: String, time: Date,
                      resources: [String], detail: JSONValue) -> JSONValue {
        .object([("version", .string("0")), ("id", .string(id)), ("detail-type", .string(detailType)), ("source", .string(source)),
                 ("account", .string(account)), ("time", .string(Timestamps.iso8601(time, fractional: false))), ("region", .string(region)),
                 ("resources", .array(resources.map { .string($0) })), ("detail", detail)])
    }

    func liveRules(bus: String, account: String, region: String) async throws -> RuleSet {
        let key = "\(account)/\(region)/\(bus)"
        if let cached = ruleCache.get(key) { return cached }
        // One caller reloads an expired entry; the others keep using the rules they have meanwhile.
        let started = ContinuousClock.now
        let c = DataKeyCache.serviceContext(account: account, region: region, service: "events.amazonaws.com", now: now())
        var out: [LiveRule] = []
        for r in try await repository.list(account: account, region: region, kind: "rule", prefix: bus + "/") {
            let name = String(r.name.dropFirst(bus.count + 1))
            guard !name.contains("/"), let doc = try? JSONDecoder().decode(RuleDoc.self, from: Data(r.doc.utf8)), doc.state == "ENABLED",
                  let text = doc.pattern, let pattern = try? EventPattern(text) else { continue }
            out.append(LiveRule(arn: Self.ruleArn(c, bus: bus, name), pattern: pattern, targets: doc.targets))
        }
        let set = RuleSet(out)
        ruleCache.put(key, set, loadStarted: started)
        return set
    }

    /// The deliveries an event makes: every rule whose pattern matches, each target's input.
    static func route(_ event: JSONValue, rules: RuleSet, account: String, region: String, nowMillis: Int64) throws -> [(target: String, payload: [UInt8])] {
        var out: [(String, [UInt8])] = []
        for rule in rules.candidates(for: event) where rule.pattern.matches(event) {
            out += try deliveries(event, targets: rule.targets, ruleArn: rule.arn, account: account, region: region, nowMillis: nowMillis)
        }
        return out
    }

    static func deliveries(_ event: JSONValue, targets: [TargetDoc], ruleArn: String, account: String, region: String,
                           nowMillis: Int64) throws -> [(target: String, payload: [UInt8])] {
        try targets.map { t in
            let target = DeliveryTarget(arn: t.arn, ruleArn: ruleArn, account: account, region: region, createdMillis: nowMillis,
                                        maxRetries: t.maxRetries, maxAgeSeconds: t.maxAgeSeconds, deadLetterArn: t.deadLetterArn,
                                        groupId: t.messageGroupId)
            return (String(decoding: try JSONEncoder().encode(target), as: UTF8.self), Self.input(t, event, ruleArn: ruleArn, nowMillis: nowMillis))
        }
    }

    func route(_ event: JSONValue, bus: String, account: String, region: String) async throws -> [(target: String, payload: [UInt8])] {
        try Self.route(event, rules: try await liveRules(bus: bus, account: account, region: region), account: account, region: region,
                       nowMillis: nowMillis)
    }

    func putEvents(_ input: EV.PutEventsRequest, context c: RequestContext) async throws -> EV.PutEventsResponse {
        guard (1...10).contains(input.entries.count) else { throw Self.validation("Entries must hold 1 to 10 entries.") }
        let size = input.entries.reduce(0) { $0 + ($1.detail?.utf8.count ?? 0) + ($1.source?.utf8.count ?? 0) + ($1.detailType?.utf8.count ?? 0) }
        guard size <= 256 * 1024 else { throw Self.validation("Total size of the entries in the request is over the limit.") }
        var results: [EV.PutEventsResultEntry] = []
        var deliveries: [(target: String, payload: [UInt8])] = []
        var failed = 0
        // Each bus's rules are read once per request, however many entries name it.
        var rulesOf: [String: RuleSet] = [:]
        // A bus that does not exist fails the whole call (recorded: ResourceNotFoundException), before any entry is put.
        var known: Set<String> = []
        for e in input.entries {
            let bus = Self.busName(e.eventBusName)
            guard !known.contains(bus) else { continue }
            guard try await busExists(bus, c) else { throw Self.notFound("Event bus \(bus) does not exist.") }
            known.insert(bus)
        }
        for e in input.entries {
            // Checked in AWS's order: Source, DetailType, Detail (recorded texts; a failed entry has no EventId).
            func fail(_ code: String, _ message: String) {
                results.append(EV.PutEventsResultEntry(errorCode: code, errorMessage: message))
                failed += 1
            }
            guard let source = e.source, !source.isEmpty else {
                fail("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument.")
                continue
            }
            guard let type = e.detailType, !type.isEmpty else {
                fail("InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument.")
                continue
            }
            guard let text = e.detail, !text.isEmpty else {
                fail("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument.")
                continue
            }
            // Detail must be a JSON object.
            guard let detail = try? JSONParser.parse(Array(text.utf8)), case .object = detail else {
                fail("MalformedDetail", "Detail is malformed.")
                continue
            }
            let bus = Self.busName(e.eventBusName)
            let id = UUID().uuidString.lowercased()
            let event = Self.event(id: id, source: source, detailType: type, account: c.account, region: c.region, time: e.time ?? now(),
                                   resources: e.resources ?? [], detail: detail)
            if rulesOf[bus] == nil { rulesOf[bus] = try await liveRules(bus: bus, account: c.account, region: c.region) }
            deliveries += try Self.route(event, rules: rulesOf[bus] ?? RuleSet([]), account: c.account, region: c.region, nowMillis: nowMillis)
            results.append(EV.PutEventsResultEntry(eventId: id))
        }
        try await repository.enqueue(deliveries, dueAtMillis: nowMillis)
        if !deliveries.isEmpty { wakeups.signal(Self.wakeKey) }
        return EV.PutEventsResponse(failedEntryCount: failed, entries: results)
    }

    func testEventPattern(_ input: EV.TestEventPatternRequest, context c: RequestContext) async throws -> EV.TestEventPatternResponse {
        let pattern = try EventPattern(input.eventPattern)
        // An event that is not a JSON object, or lacks one of the members every event has, is refused with AWS's
        // recorded text (which names no reason). `resources` is not required.
        guard let event = try? JSONParser.parse(Array(input.event.utf8)), case .object = event,
              ["id", "account", "source", "time", "region", "detail-type"].allSatisfy({ event[$0] != nil }) else {
            throw Self.validation("Parameter Event is not valid.")
        }
        return EV.TestEventPatternResponse(result: pattern.matches(event))
    }

    // MARK: background

    /// Puts new CloudTrail management write calls, and events other services kept, on default buses; returns how many.
    public func tailAuditLog(_ audit: AuditRepository) async throws -> Int {
        var cursor = try await repository.cursor("cloudtrail")
        if cursor == nil {
            // A first start does not replay history: the tail begins at the newest record.
            let newest = try await repository.newestAuditSeq()
            try await repository.enqueue([], dueAtMillis: nowMillis, cursor: ("cloudtrail", newest))
            cursor = newest
        }
        let records = try await audit.list(afterSeq: cursor ?? 0, limit: 500)
        var deliveries: [(target: String, payload: [UInt8])] = []
        // The default buses' rules, read once per account and region for the whole batch.
        var rulesOf: [String: RuleSet] = [:]
        for r in records where r.management && !r.readOnly {
            let key = r.account + "/" + r.region
            if rulesOf[key] == nil { rulesOf[key] = try await liveRules(bus: "default", account: r.account, region: r.region) }
            guard let rules = rulesOf[key], !rules.isEmpty else { continue }
            guard let detail = try? JSONParser.parse(Array(r.record.utf8)) else { continue }
            let service = r.eventSource.split(separator: ".").first.map(String.init) ?? r.eventSource
            let event = Self.event(id: UUID().uuidString.lowercased(), source: "aws.\(service)", detailType: "AWS API Call via CloudTrail",
                                   account: r.account, region: r.region, time: Date(timeIntervalSince1970: Double(r.eventTimeMillis) / 1000),
                                   resources: [], detail: detail)
            deliveries += try Self.route(event, rules: rules, account: r.account, region: r.region, nowMillis: nowMillis)
        }
        if let last = records.last {
            try await repository.enqueue(deliveries, dueAtMillis: nowMillis, cursor: ("cloudtrail", last.seq))
        }
        var kept = 0
        for p in try await repository.pendingEvents(limit: 100) {
            guard let event = try? JSONParser.parse(Array(p.event.utf8)) else { continue }
            let routed = try await route(event, bus: "default", account: p.account, region: p.region)
            try await repository.takePending(seq: p.seq, deliveries: routed, dueAtMillis: nowMillis)
            deliveries += routed
            kept += 1
        }
        if !deliveries.isEmpty { wakeups.signal(Self.wakeKey) }
        return records.count + kept
    }

    /// An event a target could not take, into the target's dead-letter queue with EventBridge's attributes.
    func deadLetter(_ d: EventTargetDelivery, _ target: DeliveryTarget, error: any Error, attempts: Int64, condition: String) async {
        guard let dlq = target.deadLetterArn, let queues else { return }
        let e = error as? AWSError
        func text(_ v: String) -> SQS.MessageAttributeValue { SQS.MessageAttributeValue(stringValue: v, dataType: "String") }
        var attributes = ["RULE_ARN": text(target.ruleArn), "TARGET_ARN": text(target.arn), "ERROR_CODE": text(e?.code ?? "InternalFailure"),
                          "ERROR_MESSAGE": text(String((e?.message ?? "\(error)").prefix(1000))), "RETRY_ATTEMPTS": text(String(attempts))]
        if !condition.isEmpty { attributes["EXHAUSTED_RETRY_CONDITION"] = text(condition) }
        await ServiceLog.attempt("EventBridge dead-letter delivery", ["queue": "\(dlq)", "rule": "\(target.ruleArn)"]) {
            try await queues.deliver(queueArn: dlq, body: String(decoding: d.payload, as: UTF8.self), attributes: attributes,
                                     senderId: "AIDAWARDENEVENTBRIDGE", groupId: nil, dedupId: nil)
        }
    }

    /// Delivers queued target invocations; failures retry with backoff (up to 185 attempts, as EventBridge).
    public func runDeliveries() async throws -> Int {
        // Claimed for a minute: every node takes a share, and a node that dies mid-batch leaves its share due then.
        let claimed = try await repository.claimDue(nowMillis: nowMillis, limit: 100, leaseMillis: 60_000)
        // Queue targets go in batches (EventsService+Fanout.swift); what a batch could not deliver, and every other
        // target, one by one below.
        var (n, remaining) = try await deliverToQueues(claimed)
        for d in remaining {
            guard let target = try? JSONDecoder().decode(DeliveryTarget.self, from: Data(d.target.utf8)), let arn = ARN(target.arn) else {
                try await repository.complete(seq: d.seq, claim: d.claimedUntil)
                continue
            }
            do {
                try await checkTargetAccess(target, arn)
                let body = String(decoding: d.payload, as: UTF8.self)
                switch arn.service {
                case "sqs":
                    guard let queues else { throw Self.validation("no queues") }
                    // A FIFO queue gets the target's MessageGroupId; deduplication is the queue's own (content-based),
                    // as EventBridge sets no deduplication id of its own on classic targets.
                    try await queues.deliver(queueArn: target.arn, body: body, attributes: nil, senderId: "AIDAWARDENEVENTBRIDGE",
                                             groupId: target.groupId, dedupId: nil)
                case "lambda":
                    guard let functions else { throw Self.validation("no functions") }
                    try await functions.invokeEvent(functionArn: target.arn, payload: d.payload, service: "events.amazonaws.com", sourceArn: target.ruleArn)
                case "sns":
                    guard let topics else { throw Self.validation("no topics") }
                    try await topics.publish(topicArn: target.arn, message: body, subject: nil, service: "events.amazonaws.com")
                default:
                    // Another bus: the event is put on it (its rules route it on).
                    let bus = String(arn.resource.dropFirst("event-bus/".count))
                    if let event = try? JSONParser.parse(d.payload) {
                        guard try await busExists(bus, DataKeyCache.serviceContext(account: arn.account, region: arn.region,
                                                                                  service: "events.amazonaws.com", now: now())) else {
                            throw Self.notFound("Event bus \(bus) does not exist.")
                        }
                        let routed = try await route(event, bus: bus, account: arn.account, region: arn.region)
                        try await repository.enqueue(routed, dueAtMillis: nowMillis)
                    }
                }
                try await repository.complete(seq: d.seq, claim: d.claimedUntil)
                n += 1
            } catch {
                // Client errors (a missing target, a refusing policy) are not retried; others back off until the target's
                // RetryPolicy (185 attempts and 24 hours by default) runs out. Then the dead-letter queue gets the event.
                let attempts = d.attempts + 1
                let clientError = ((error as? AWSError)?.status ?? 500) < 500
                let age = nowMillis - (target.createdMillis ?? nowMillis)
                let exhausted = clientError || attempts > Int64(target.maxRetries ?? 185) || age >= Int64(target.maxAgeSeconds ?? 86_400) * 1000
                if exhausted {
                    await deadLetter(d, target, error: error, attempts: attempts - 1,
                                     condition: clientError ? "" : attempts > Int64(target.maxRetries ?? 185) ? "MaximumRetryAttempts" : "MaximumEventAgeInSeconds")
                    try await repository.complete(seq: d.seq, claim: d.claimedUntil)
                } else {
                    try await repository.retry(seq: d.seq, attempts: attempts, dueAtMillis: nowMillis + min(60_000, 1000 << min(attempts, 6)),
                                               claim: d.claimedUntil)
                }
            }
        }
        return n
    }
}

// MARK: schedules and tags

extension EventsService {
    static func tagMap(_ tags: [EV.Tag]?) throws(AWSError) -> [String: String]? {
        guard let tags else { return nil }
        var out: [String: String] = [:]
        for t in tags { out[t.key] = t.value }
        guard out.count <= 50 else { throw EV.Errors.limitExceededException("A resource can have up to 50 tags.") }
        return out
    }

    /// Scheduled rules: each enabled rule whose time has come puts a "Scheduled Event" to its targets; the rule's next
    /// time moves in the same transaction. A rule's first time is one period (or the next cron match) after it is seen.
    public func runSchedules() async throws -> Int {
        var fired = 0
        let nowDate = now()
        for r in try await repository.all(kind: "rule") {
            guard let doc = try? JSONDecoder().decode(RuleDoc.self, from: Data(r.doc.utf8)), let expr = doc.schedule,
                  doc.state == "ENABLED", let schedule = try? Schedule(expr) else { continue }
            let bus = r.name.split(separator: "/").first.map(String.init) ?? "default"
            let name = String(r.name.dropFirst(bus.count + 1))
            let c = DataKeyCache.serviceContext(account: r.account, region: r.region, service: "events.amazonaws.com", now: nowDate)
            let arn = Self.ruleArn(c, bus: bus, name)
            let key = "schedule:\(arn):\(expr)"
            guard let due = try await repository.cursor(key) else {
                let first = schedule.next(after: nowDate) ?? nowDate.addingTimeInterval(86_400)
                try await repository.enqueue([], dueAtMillis: nowMillis, cursor: (key, Int64(first.timeIntervalSince1970 * 1000)))
                continue
            }
            guard due <= nowMillis else { continue }
            let event = Self.event(id: UUID().uuidString.lowercased(), source: "aws.events", detailType: "Scheduled Event", account: r.account,
                                   region: r.region, time: Date(timeIntervalSince1970: Double(due) / 1000), resources: [arn], detail: .object([]))
            let next = schedule.next(after: nowDate) ?? nowDate.addingTimeInterval(86_400)
            let items = try Self.deliveries(event, targets: doc.targets, ruleArn: arn, account: r.account, region: r.region, nowMillis: nowMillis)
            try await repository.enqueue(items, dueAtMillis: nowMillis, cursor: (key, Int64(next.timeIntervalSince1970 * 1000)))
            if !items.isEmpty { wakeups.signal(Self.wakeKey) }
            fired += 1
        }
        return fired
    }

    /// A rule or bus named by its ARN: (kind, stored name).
    func resource(_ arnText: String, _ c: RequestContext) throws(AWSError) -> (kind: String, name: String) {
        guard let arn = ARN(arnText), arn.service == "events", arn.account == c.account, arn.region == c.region else {
            throw Self.validation("Invalid resource ARN: \(arnText)")
        }
        if arn.resource.hasPrefix("rule/") {
            let rest = arn.resource.dropFirst(5)
            return ("rule", rest.contains("/") ? String(rest) : "default/\(rest)")
        }
        if arn.resource.hasPrefix("event-bus/") { return ("bus", String(arn.resource.dropFirst(10))) }
        throw Self.validation("Invalid resource ARN: \(arnText)")
    }

    func retag(_ arn: String, _ c: RequestContext, add: [EV.Tag] = [], remove: [String] = []) async throws -> [String: String] {
        let (kind, name) = try resource(arn, c)
        let read = { () async throws -> [String: String] in
            guard let text = try await repository.get(account: c.account, region: c.region, kind: kind, name: name) else {
                throw Self.notFound("Resource \(arn) does not exist.")
            }
            return kind == "rule" ? try await retag(RuleDoc.self, text, kind: kind, name: name, c, add: add, remove: remove)
                                  : try await retag(BusDoc.self, text, kind: kind, name: name, c, add: add, remove: remove)
        }
        // A change holds the bus's lock (a rule's stored name is "<bus>/<rule>"); a listing is a plain read.
        guard !add.isEmpty || !remove.isEmpty else { return try await read() }
        let bus = kind == "rule" ? String(name.prefix(while: { $0 != "/" })) : name
        return try await locks.withLock(Self.lockName(c, bus: bus), read)
    }

    /// A bus's or rule's tags after the change, saved when there was one.
    func retag<Doc: TaggedDoc>(_ type: Doc.Type, _ text: String, kind: String, name: String, _ c: RequestContext,
                               add: [EV.Tag], remove: [String]) async throws -> [String: String] {
        var doc = try JSONDecoder().decode(Doc.self, from: Data(text.utf8))
        var tags = doc.tags ?? [:]
        for k in remove { tags[k] = nil }
        for x in add { tags[x.key] = x.value }
        guard tags.count <= 50 else { throw EV.Errors.limitExceededException("A resource can have up to 50 tags.") }
        if !add.isEmpty || !remove.isEmpty {
            doc.tags = tags
            try await repository.put(account: c.account, region: c.region, kind: kind, name: name,
                                     doc: String(decoding: try JSONEncoder().encode(doc), as: UTF8.self))
        }
        return tags
    }

    func tagResource(_ input: EV.TagResourceRequest, context c: RequestContext) async throws -> EV.TagResourceResponse {
        _ = try await retag(input.resourceARN, c, add: input.tags)
        return EV.TagResourceResponse()
    }

    func untagResource(_ input: EV.UntagResourceRequest, context c: RequestContext) async throws -> EV.UntagResourceResponse {
        _ = try await retag(input.resourceARN, c, remove: input.tagKeys)
        return EV.UntagResourceResponse()
    }

    func listTagsForResource(_ input: EV.ListTagsForResourceRequest, context c: RequestContext) async throws -> EV.ListTagsForResourceResponse {
        let tags = try await retag(input.resourceARN, c)
        return EV.ListTagsForResourceResponse(tags: tags.sorted { $0.key < $1.key }.map { EV.Tag(key: $0.key, value: $0.value) })
    }
}

/// A bus's enabled rule with its parsed pattern.
struct LiveRule: Sendable {
    var arn: String
    var pattern: EventPattern
    var targets: [TargetDoc]
}

/// A bus's rules indexed by the exact `source` values their patterns require; rules without such a constraint are
/// tried for every event.
struct RuleSet: Sendable {
    let bySource: [String: [LiveRule]]
    let others: [LiveRule]

    init(_ rules: [LiveRule]) {
        var by: [String: [LiveRule]] = [:]
        var rest: [LiveRule] = []
        for r in rules {
            if let sources = r.pattern.exactValues(of: "source") {
                for s in sources { by[s, default: []].append(r) }
            } else {
                rest.append(r)
            }
        }
        bySource = by
        others = rest
    }

    var isEmpty: Bool { bySource.isEmpty && others.isEmpty }

    func candidates(for event: JSONValue) -> [LiveRule] {
        guard let s = event["source"]?.stringValue, let indexed = bySource[s] else { return others }
        return others.isEmpty ? indexed : indexed + others
    }
}

final class RuleCache: Sendable {
    struct Entry {
        var at: ContinuousClock.Instant
        var rules: RuleSet
        var reloading: Bool
    }
    let entries = Mutex<[String: Entry]>([:])
    /// When this node last changed each bus's rules, so a load that began before a change never installs what it read.
    let changes = Mutex<[String: ContinuousClock.Instant]>([:])
    static let ttl: Duration = .seconds(1)

    /// The cached rules while fresh; once stale, the first caller gets nil (and reloads) and the rest the stale rules.
    func get(_ key: String) -> RuleSet? {
        entries.withLock { e in
            guard var hit = e[key] else { return nil }
            let age = ContinuousClock.now - hit.at
            // (A reload that has not finished within five periods has failed: the next caller tries again.)
            if age < Self.ttl || (hit.reloading && age < Self.ttl * 5) { return hit.rules }
            hit.reloading = true
            e[key] = hit
            return nil
        }
    }

    func put(_ key: String, _ rules: RuleSet, loadStarted: ContinuousClock.Instant) {
        let changed = changes.withLock { $0[key] }
        entries.withLock { e in
            // A change made after this load began: leave the entry out, the next caller reads again.
            if let c = changed, c >= loadStarted { e[key] = nil; return }
            e[key] = Entry(at: .now, rules: rules, reloading: false)
        }
    }

    /// Other nodes hear of this node's rule changes (set at start-up; nil on a single node).
    let bus = Mutex<ClusterBus?>(nil)

    func drop(_ key: String) {
        forget(key)
        bus.withLock { $0 }?.publish("events-rules", key)
    }

    /// A change on this node or another.
    func forget(_ key: String) {
        changes.withLock { $0[key] = .now }
        entries.withLock { _ = $0.removeValue(forKey: key) }
    }

    func dropAll() {
        let keys = entries.withLock { e -> [String] in
            defer { e.removeAll() }
            return Array(e.keys)
        }
        changes.withLock { c in for k in keys { c[k] = .now } }
    }
}
