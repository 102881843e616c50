// Event source mappings (Create/Get/Update/Delete/ListEventSourceMappings) for SQS standard and FIFO queues, as the
// Lambda API reference and the Developer Guide ("Using Lambda with Amazon SQS") describe them. The pollers that feed
// the functions are in LambdaService+QueuePollers.
//
// Wire facts not stated in the API reference come from responses recorded against AWS (localstack/localstack
// tests/aws/services/lambda_/event_source_mapping/*.snapshot.json) and from AWS CLI output published in blog posts:
// Create answers 202 with State "Creating" (or "Disabled" when created disabled) and StateTransitionReason
// "USER_INITIATED"; Update answers "Enabling", "Disabling" or "Updating"; Delete answers "Deleting"; SQS mappings
// always carry MaximumBatchingWindowInSeconds, FunctionResponseTypes (an empty list by default) and
// EventSourceMappingArn, and carry FilterCriteria and ScalingConfig only when set.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

/// A mapping's configuration as stored (the row holds its state, function and event source).
struct MappingRecord: Codable, Sendable {
    var batchSize: Int
    var maximumBatchingWindowInSeconds: Int
    var functionResponseTypes: [String]
    var maximumConcurrency: Int?
    /// FilterCriteria patterns, as the caller wrote them (AWS returns them unchanged).
    var filters: [String]?
    var lastModifiedMillis: Int64
    var tags: [String: String]?

    var reportsBatchItemFailures: Bool { functionResponseTypes.contains("ReportBatchItemFailures") }

    func encoded() throws -> String { String(decoding: try JSONEncoder().encode(self), as: UTF8.self) }
    static func decode(_ doc: String) throws -> MappingRecord { try JSONDecoder().decode(MappingRecord.self, from: Data(doc.utf8)) }
}

extension LambdaService {
    /// Event source mappings live beside the functions, in the same database.
    var mappings: EventSourceMappingRepository { EventSourceMappingRepository(db: repository.db) }

    /// The queue service, when it can also be polled (Warden's SQS service always can).
    var eventQueues: (any EventSourceQueues)? { queues as? any EventSourceQueues }

    /// The key that wakes the pollers' job when a mapping is created, changed or deleted.
    public static let pollerWakeKey = "lambda-sqs-pollers"

    static func mappingArn(partition: String, region: String, account: String, uuid: String) -> String {
        "arn:\(partition):lambda:\(region):\(account):event-source-mapping:\(uuid)"
    }

    static func mappingNotFound() -> AWSError {
        Lambda.Errors.resourceNotFoundException("The resource you requested does not exist.")
    }

    /// Lambda serializes a mapping's changes, and the check that a queue is mapped to a function only once.
    static func mappingLockName(_ uuid: String) -> String { "lambda-esm:" + uuid }
    static func sourceLockName(_ eventSourceArn: String) -> String { "lambda-esm-source:" + eventSourceArn }

    // MARK: the response shape

    func mappingConfiguration(_ row: EventSourceMappingRow, _ r: MappingRecord) -> Lambda.EventSourceMappingConfiguration {
        let partition = Partition(region: row.region).rawValue
        return Lambda.EventSourceMappingConfiguration(
            uuid: row.uuid, batchSize: r.batchSize, maximumBatchingWindowInSeconds: r.maximumBatchingWindowInSeconds,
            eventSourceArn: row.eventSourceArn,
            filterCriteria: r.filters.map { Lambda.FilterCriteria(filters: $0.map { Lambda.Filter(pattern: $0) }) },
            functionArn: row.functionArn, lastModified: Date(timeIntervalSince1970: Double(r.lastModifiedMillis) / 1000),
            lastProcessingResult: row.lastResult, state: row.state, stateTransitionReason: "USER_INITIATED",
            functionResponseTypes: r.functionResponseTypes.map { Lambda.FunctionResponseType(rawValue: $0) },
            scalingConfig: r.maximumConcurrency.map { Lambda.ScalingConfig(maximumConcurrency: $0) },
            eventSourceMappingArn: Self.mappingArn(partition: partition, region: row.region, account: row.account, uuid: row.uuid))
    }

    // MARK: validation

    /// The function a mapping invokes: its ARN as the caller named it (qualified when a version or alias was named),
    /// after checking that it exists (ResourceNotFoundException "Function not found: ARN" otherwise).
    func mappedFunction(_ ref: String, _ c: RequestContext) async throws -> (arn: String, timeout: Int, role: String) {
        let f = try await resolve(ref, qualifier: nil, c)
        return (f.arn(c), f.record.timeout, f.record.role)
    }

    /// The parameters of stream and broker sources, which SQS mappings refuse.
    static func streamOnly(_ p: (parallelization: Int?, destination: Lambda.DestinationConfig?, recordAge: Int?, bisect: Bool?,
                                  retries: Int?, tumbling: Int?, topics: [String]?, queues: [String]?,
                                  access: [Lambda.SourceAccessConfiguration]?, selfManaged: Lambda.SelfManagedEventSource?,
                                  msk: Lambda.AmazonManagedKafkaEventSourceConfig?, kafka: Lambda.SelfManagedKafkaEventSourceConfig?,
                                  docdb: Lambda.DocumentDBEventSourceConfig?)) throws(AWSError) {
        let given: [(String, Bool)] = [
            ("ParallelizationFactor", p.parallelization != nil), ("DestinationConfig", p.destination != nil),
            ("MaximumRecordAgeInSeconds", p.recordAge != nil), ("BisectBatchOnFunctionError", p.bisect != nil),
            ("MaximumRetryAttempts", p.retries != nil), ("TumblingWindowInSeconds", p.tumbling != nil), ("Topics", p.topics != nil),
            ("Queues", p.queues != nil), ("SourceAccessConfigurations", p.access != nil), ("SelfManagedEventSource", p.selfManaged != nil),
            ("AmazonManagedKafkaEventSourceConfig", p.msk != nil), ("SelfManagedKafkaEventSourceConfig", p.kafka != nil),
            ("DocumentDBEventSourceConfig", p.docdb != nil),
        ]
        if let name = given.first(where: \.1)?.0 {
            // AWS's exact message is not documented; this is the form recorded for DestinationConfig on a mapping type
            // that does not take it.
            throw invalid("Unsupported \(name) parameter for given event source mapping type.")
        }
    }

    /// Settings Warden does not implement for SQS mappings are refused rather than accepted and ignored.
    static func notImplemented(kmsKeyArn: String?, metrics: Lambda.EventSourceMappingMetricsConfig?,
                               logging: Lambda.EventSourceMappingLoggingConfig?,
                               provisioned: Lambda.ProvisionedPollerConfig?) throws(AWSError) {
        let given: [(String, Bool)] = [("KMSKeyArn", kmsKeyArn != nil), ("MetricsConfig", metrics != nil),
                                       ("LoggingConfig", logging != nil), ("ProvisionedPollerConfig", provisioned != nil)]
        if let name = given.first(where: \.1)?.0 { throw invalid("\(name) is not implemented by Warden yet.") }
    }

    /// Batch size and window rules for SQS (Developer Guide: a batching window is needed above 10 messages and is not
    /// supported for FIFO queues). The texts are AWS's recorded answers.
    static func checkBatching(batchSize: Int, window: Int, fifo: Bool) throws(AWSError) {
        if fifo && window > 0 { throw invalid("Batching window is not supported for FIFO queues") }
        if batchSize > 10 && window == 0 {
            throw invalid("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")
        }
    }

    /// FilterCriteria: every pattern must be an EventBridge-style pattern object (AWS answers anything else with
    /// "Invalid filter pattern definition.", recorded). Nil when no filter is set.
    static func checkFilters(_ criteria: Lambda.FilterCriteria?) throws(AWSError) -> [String]? {
        guard let filters = criteria?.filters, !filters.isEmpty else { return nil }
        var patterns: [String] = []
        for f in filters {
            guard let text = f.pattern, case .object? = try? JSONParser.parse(Array(text.utf8)),
                  (try? EventPattern(text)) != nil else {
                throw invalid("Invalid filter pattern definition.")
            }
            patterns.append(text)
        }
        return patterns
    }

    /// The queue's facts, or Lambda's answer for a queue that is not there. A queue of another account must first let
    /// the function's execution role poll it (its policy); until it does, a queue that is not there gets the same
    /// answer, so the answer tells nothing about another account's queues.
    func mappedQueue(_ arn: String, functionArn: String, role: String) async throws -> EventSourceQueue {
        guard let queues = eventQueues else { throw Self.invalid("Event source mappings need Warden's SQS service.") }
        if let action = try await missingQueuePermission(arn, functionArn: functionArn, role: role) {
            throw Self.queuePermissionMissing(action)
        }
        guard let q = try await queues.eventSourceQueue(arn: arn) else {
            // AWS's exact text is not documented; Lambda reports what SQS told its poller, in this form.
            throw Self.invalid("Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist or you do not have access to it.")
        }
        return q
    }

    /// Lambda refuses a queue whose messages would become visible again while the function still runs (recorded:
    /// "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds").
    static func checkVisibility(_ queue: EventSourceQueue, functionTimeout: Int) throws(AWSError) {
        if queue.visibilityTimeout < functionTimeout {
            throw invalid("Queue visibility timeout: \(queue.visibilityTimeout) seconds is less than Function timeout: \(functionTimeout) seconds")
        }
    }

    /// The queue a mapping polls: an SQS queue ARN in the caller's region (Lambda polls only event sources of its own
    /// region).
    static func sqsSource(_ arn: String?, _ c: RequestContext) throws(AWSError) -> String {
        guard let arn else {
            // AWS's exact message is not documented; without an EventSourceArn only self-managed Kafka is possible.
            throw invalid("Unrecognized event source, must be one of the supported event sources; Warden serves SQS queues.")
        }
        guard let a = ARN(arn), a.service == "sqs", !a.resource.isEmpty else {
            throw invalid("Warden serves event source mappings for Amazon SQS queues only; \(arn) is not one.")
        }
        guard a.region == c.region else {
            // AWS's text as CloudFormation relayed it for an event source of another region
            // (pmuens/serverless-kinesis-streams#1, a Kinesis stream); for SQS queues AWS's exact message is not documented.
            throw invalid("Event source region must match Lambda region \(c.region).")
        }
        return arn
    }

    static func conflict(source: String, function: String, uuid: String) -> AWSError {
        Lambda.Errors.resourceConflictException(
            "An event source mapping with SQS arn (\" \(source) \") and function (\" \(function) \") already exists. Please update or delete the existing mapping with UUID \(uuid)")
    }

    // MARK: operations

    func createEventSourceMapping(_ input: Lambda.CreateEventSourceMappingRequest,
                                  context c: RequestContext) async throws -> Lambda.EventSourceMappingConfiguration {
        let source = try Self.sqsSource(input.eventSourceArn, c)
        try Self.streamOnly((input.parallelizationFactor, input.destinationConfig, input.maximumRecordAgeInSeconds,
                             input.bisectBatchOnFunctionError, input.maximumRetryAttempts, input.tumblingWindowInSeconds,
                             input.topics, input.queues, input.sourceAccessConfigurations, input.selfManagedEventSource,
                             input.amazonManagedKafkaEventSourceConfig, input.selfManagedKafkaEventSourceConfig,
                             input.documentDBEventSourceConfig))
        if input.startingPosition != nil || input.startingPositionTimestamp != nil {
            throw Self.invalid("StartingPosition is not valid for SQS event sources.")
        }
        try Self.notImplemented(kmsKeyArn: input.kmsKeyArn, metrics: input.metricsConfig, logging: input.loggingConfig,
                                provisioned: input.provisionedPollerConfig)
        let (functionArn, functionTimeout, role) = try await mappedFunction(input.functionName, c)
        let queue = try await mappedQueue(source, functionArn: functionArn, role: role)
        let record = MappingRecord(
            batchSize: input.batchSize ?? 10, maximumBatchingWindowInSeconds: input.maximumBatchingWindowInSeconds ?? 0,
            functionResponseTypes: (input.functionResponseTypes ?? []).map(\.rawValue),
            maximumConcurrency: input.scalingConfig?.maximumConcurrency, filters: try Self.checkFilters(input.filterCriteria),
            lastModifiedMillis: nowMillis, tags: input.tags)
        try Self.checkBatching(batchSize: record.batchSize, window: record.maximumBatchingWindowInSeconds, fifo: queue.fifo)
        try Self.checkVisibility(queue, functionTimeout: functionTimeout)
        let enabled = input.enabled ?? true
        let row = EventSourceMappingRow(uuid: UUID().uuidString.lowercased(), account: c.account, region: c.region,
                                        eventSourceArn: source, functionArn: functionArn, state: enabled ? "Creating" : "Disabled",
                                        enabled: enabled, createdAtMillis: nowMillis, doc: try record.encoded())
        // One mapping per queue and function, across nodes: checked and inserted under the queue's lock.
        if let existing = try await repository.db.withLock(Self.sourceLockName(source), { try await mappings.create(row) }) {
            throw Self.conflict(source: source, function: input.functionName, uuid: existing)
        }
        wakeups.signal(Self.pollerWakeKey)
        return mappingConfiguration(row, record)
    }

    func getEventSourceMapping(_ input: Lambda.GetEventSourceMappingRequest,
                               context c: RequestContext) async throws -> Lambda.EventSourceMappingConfiguration {
        guard let row = try await mappings.mapping(uuid: input.uuid, account: c.account, region: c.region) else {
            throw Self.mappingNotFound()
        }
        return mappingConfiguration(row, try MappingRecord.decode(row.doc))
    }

    func listEventSourceMappings(_ input: Lambda.ListEventSourceMappingsRequest,
                                 context c: RequestContext) async throws -> Lambda.ListEventSourceMappingsResponse {
        // The API reference: at most 100 items in each response, even if MaxItems is higher.
        let limit = min(input.maxItems ?? 100, 100)
        var after: String?
        if let marker = input.marker {
            guard let raw = Data(base64Encoded: marker), let uuid = String(data: raw, encoding: .utf8) else {
                throw Self.invalid("Invalid marker")
            }
            after = uuid
        }
        var functionArn: String?
        if let ref = input.functionName {
            let (name, qualifier) = try Self.qualified(ref, nil, c)
            functionArn = Self.functionArn(c, name) + (qualifier.map { ":\($0)" } ?? "")
        }
        let rows = try await mappings.list(account: c.account, region: c.region, eventSourceArn: input.eventSourceArn,
                                           functionArn: functionArn, after: after, limit: limit + 1)
        let page = Array(rows.prefix(limit))
        var out: [Lambda.EventSourceMappingConfiguration] = []
        for row in page { out.append(mappingConfiguration(row, try MappingRecord.decode(row.doc))) }
        let next = rows.count > limit ? page.last.map { Data($0.uuid.utf8).base64EncodedString() } : nil
        return Lambda.ListEventSourceMappingsResponse(nextMarker: next, eventSourceMappings: out)
    }

    func updateEventSourceMapping(_ input: Lambda.UpdateEventSourceMappingRequest,
                                  context c: RequestContext) async throws -> Lambda.EventSourceMappingConfiguration {
        try Self.streamOnly((input.parallelizationFactor, input.destinationConfig, input.maximumRecordAgeInSeconds,
                             input.bisectBatchOnFunctionError, input.maximumRetryAttempts, input.tumblingWindowInSeconds,
                             nil, nil, input.sourceAccessConfigurations, nil, input.amazonManagedKafkaEventSourceConfig,
                             input.selfManagedKafkaEventSourceConfig, input.documentDBEventSourceConfig))
        try Self.notImplemented(kmsKeyArn: input.kmsKeyArn, metrics: input.metricsConfig, logging: input.loggingConfig,
                                provisioned: input.provisionedPollerConfig)
        let (row, record) = try await repository.db.withLock(Self.mappingLockName(input.uuid)) {
            () async throws -> (EventSourceMappingRow, MappingRecord) in
            guard var row = try await mappings.mapping(uuid: input.uuid, account: c.account, region: c.region) else {
                throw Self.mappingNotFound()
            }
            if row.state == "Deleting" {
                // AWS's exact message is not documented.
                throw Lambda.Errors.resourceInUseException("The event source mapping \(row.uuid) is being deleted.")
            }
            var r = try MappingRecord.decode(row.doc)
            var newFunction: (arn: String, timeout: Int, role: String)?
            if let ref = input.functionName { newFunction = try await mappedFunction(ref, c) }
            if let v = input.batchSize { r.batchSize = v }
            if let v = input.maximumBatchingWindowInSeconds { r.maximumBatchingWindowInSeconds = v }
            if let v = input.functionResponseTypes { r.functionResponseTypes = v.map(\.rawValue) }
            if let v = input.scalingConfig { r.maximumConcurrency = v.maximumConcurrency }
            if let v = input.filterCriteria { r.filters = try Self.checkFilters(v) }
            // The queue may be gone by now; its kind still shows in its name (FIFO queue names end in .fifo).
            let queue = try await eventQueues?.eventSourceQueue(arn: row.eventSourceArn)
            try Self.checkBatching(batchSize: r.batchSize, window: r.maximumBatchingWindowInSeconds,
                                   fifo: queue?.fifo ?? row.eventSourceArn.hasSuffix(".fifo"))
            let functionChanged = newFunction.map { $0.arn != row.functionArn } ?? false
            if let newFunction, functionChanged {
                // The new function's role must be able to poll a queue of another account, as at creation.
                if let action = try await missingQueuePermission(row.eventSourceArn, functionArn: newFunction.arn, role: newFunction.role) {
                    throw Self.queuePermissionMissing(action)
                }
                if let queue { try Self.checkVisibility(queue, functionTimeout: newFunction.timeout) }
                row.functionArn = newFunction.arn
            }
            if let enabled = input.enabled, enabled != row.enabled {
                row.enabled = enabled
                row.state = enabled ? "Enabling" : "Disabling"
            } else {
                row.state = "Updating"
            }
            r.lastModifiedMillis = nowMillis
            row.doc = try r.encoded()
            // The one-mapping-per-pair check and the write under the queue's lock, as CreateEventSourceMapping checks and
            // inserts under it: a concurrent create of the same pair then gets ResourceConflictException either way.
            let saved = try await repository.db.withLock(Self.sourceLockName(row.eventSourceArn)) { () async throws -> Bool in
                if functionChanged, let other = try await mappings.mapping(eventSourceArn: row.eventSourceArn, functionArn: row.functionArn),
                   other != row.uuid {
                    throw Self.conflict(source: row.eventSourceArn, function: input.functionName ?? row.functionArn, uuid: other)
                }
                return try await mappings.update(row)
            }
            guard saved else { throw Self.mappingNotFound() }
            return (row, r)
        }
        wakeups.signal(Self.pollerWakeKey)
        return mappingConfiguration(row, record)
    }

    func deleteEventSourceMapping(_ input: Lambda.DeleteEventSourceMappingRequest,
                                  context c: RequestContext) async throws -> Lambda.EventSourceMappingConfiguration {
        let (row, record) = try await repository.db.withLock(Self.mappingLockName(input.uuid)) {
            () async throws -> (EventSourceMappingRow, MappingRecord) in
            guard var row = try await mappings.mapping(uuid: input.uuid, account: c.account, region: c.region) else {
                throw Self.mappingNotFound()
            }
            // Polling stops at once; the pollers' job removes the mapping on its next pass, as Lambda does after a
            // few seconds in Deleting.
            row.state = "Deleting"
            guard try await mappings.update(row) else { throw Self.mappingNotFound() }
            return (row, try MappingRecord.decode(row.doc))
        }
        wakeups.signal(Self.pollerWakeKey)
        return mappingConfiguration(row, record)
    }
}
