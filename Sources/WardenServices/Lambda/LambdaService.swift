// AWS Lambda, the subset Warden runs locally: functions (Python and `provided` runtimes, zip code), their
// configuration, resource policies and tags; versions and aliases (LambdaService+Versions, +Aliases); invocations go
// through a FunctionRunner (LambdaService+Invoke), asynchronous ones with their settings and destinations
// (LambdaService+InvokeConfig, +Destinations).
import Crypto
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

public struct LambdaService: Sendable {
    let repository: FunctionRepository
    let runner: (any FunctionRunner)?
    /// Function code runs with Warden's privileges: creating functions needs `--enable-functions`.
    let enabled: Bool
    /// Unpacked code lives under here, one directory per code hash.
    let codeRoot: URL
    let buckets: BucketStore?
    /// The secret of an access key (strict mode), so a function can call Warden as its creator or caller.
    let secretOf: @Sendable (String) async -> String?
    let now: @Sendable () -> Date
    /// Warden's own URL, given to handlers as AWS_ENDPOINT_URL so their SDK calls come back here.
    let endpoint: @Sendable () -> String
    /// Dead-letter queues of asynchronous invocations, and SQS destinations.
    let queues: (any QueueDelivery)?
    /// SNS topics and EventBridge buses that asynchronous invocation records go to (set once those services exist).
    public let destinations = LateDestinations()
    public let wakeups = QueueSignals()
    /// CloudWatch Logs: each invocation's output goes to `/aws/lambda/NAME`, off the invocation's path.
    public let logSink = LateLogSink()
    let logShipper: LogShipper
    let eventSlots = DeliverySlots(capacity: 64)
    /// Asynchronous invocations and log shipping run here (a graceful shutdown waits for them).
    let background: BackgroundTasks

    public init(repository: FunctionRepository, runner: (any FunctionRunner)?, enabled: Bool, dataDir: String,
                endpoint: @escaping @Sendable () -> String,
                buckets: BucketStore? = nil, queues: (any QueueDelivery)? = nil,
                secretOf: @escaping @Sendable (String) async -> String? = { _ in nil }, background: BackgroundTasks,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.repository = repository
        self.runner = runner
        self.enabled = enabled
        self.codeRoot = URL(fileURLWithPath: dataDir).appendingPathComponent("functions")
        self.background = background
        self.logShipper = LogShipper(sink: logSink, background: background)
        self.endpoint = endpoint
        self.buckets = buckets
        self.queues = queues
        self.secretOf = secretOf
        self.now = now
    }

    var nowMillis: Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// A function's configuration as stored (sealed).
struct FunctionRecord: Codable, Sendable {
    var runtime: String
    var handler: String?
    var role: String
    var description: String
    var timeout: Int
    var memorySize: Int
    var environment: [String: String]?
    var codeSha256: String
    var codeSize: Int64
    var lastModified: String
    var revisionId: String
    var tags: [String: String]
    /// Resource policy statements (JSON text each), in the order added.
    var statements: [String]
    var deadLetterTarget: String?
    /// The access key of the caller that created the function: asynchronous invocations run with its credentials.
    var creatorKey: String?
    /// Changes with every code or configuration update (nil in records stored before versions existed):
    /// PublishVersion publishes only when $LATEST changed since the last version.
    var changeId: String?
    /// The highest version number given; numbers are never reused, even after that version is deleted.
    var lastVersion: Int64?
    /// The change $LATEST was at when `lastVersion` was published.
    var publishedChange: String?

    var changeToken: String { changeId ?? lastModified }

    var codeHex: String {
        Data(base64Encoded: codeSha256).map { Hex.encode(Array($0)) } ?? codeSha256
    }
}

extension LambdaService {
    static let pythonRuntimes: Set<String> = ["python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14"]
    static let providedRuntimes: Set<String> = ["provided", "provided.al2", "provided.al2023"]
    /// Environment variables Lambda sets itself and refuses to let a function override.
    static let reservedKeys: Set<String> = [
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    ]

    static func invalid(_ m: String) -> AWSError { Lambda.Errors.invalidParameterValueException(m) }

    static func notFound(_ arn: String) -> AWSError {
        Lambda.Errors.resourceNotFoundException("Function not found: \(arn)")
    }

    func load(_ ref: String, _ c: RequestContext) async throws -> (FunctionRow, FunctionRecord) {
        let n = try Self.name(ref, c)
        guard let row = try await repository.function(account: c.account, region: c.region, name: n) else {
            throw Self.notFound(Self.functionArn(c, n))
        }
        return (row, try JSONDecoder().decode(FunctionRecord.self, from: Data(row.doc)))
    }

    func save(_ row: FunctionRow, _ record: FunctionRecord, code: [UInt8]? = nil) async throws {
        var row = row
        row.doc = Array(try JSONEncoder().encode(record))
        guard try await repository.update(row, code: code) else {
            throw Self.notFound("arn:aws:lambda:\(row.region):\(row.account):function:\(row.name)")
        }
    }

    static func lastModified(_ d: Date) -> String {
        // Lambda's format: 2024-01-15T12:30:00.000+0000.
        String(Timestamps.iso8601(d).dropLast()) + "+0000"
    }

    /// A configuration as the API shows it: $LATEST's, or a version's (`version`), under the ARN the request named
    /// (`arn`: qualified when the request gave a qualifier — the alias's ARN when it named an alias).
    func configuration(_ row: FunctionRow, _ r: FunctionRecord, _ c: RequestContext, version: String = "$LATEST",
                       arn: String? = nil) -> Lambda.FunctionConfiguration {
        let arn = arn ?? Self.functionArn(c, row.name)
        return Lambda.FunctionConfiguration(
            functionName: row.name, functionArn: arn, runtime: r.runtime, role: r.role, handler: r.handler,
            codeSize: r.codeSize, description: r.description, timeout: r.timeout, memorySize: r.memorySize,
            lastModified: r.lastModified, codeSha256: r.codeSha256, version: version,
            deadLetterConfig: r.deadLetterTarget.map { Lambda.DeadLetterConfig(targetArn: $0) },
            environment: r.environment.map { Lambda.EnvironmentResponse(variables: $0) },
            tracingConfig: Lambda.TracingConfigResponse(mode: .passThrough), revisionId: r.revisionId,
            state: .active, lastUpdateStatus: .successful, packageType: .zip, architectures: [.x8664],
            ephemeralStorage: Lambda.EphemeralStorage(size: 512),
            // `Lambda.SnapStartApplyOn.none` spelled out: a bare `.none` is Optional's nil.
            snapStart: Lambda.SnapStartResponse(applyOn: Lambda.SnapStartApplyOn.none, optimizationStatus: .off),
            runtimeVersionConfig: Lambda.RuntimeVersionConfig(runtimeVersionArn: Self.runtimeVersionArn(r.runtime, c)),
            loggingConfig: Lambda.LoggingConfig(logFormat: .text, logGroup: "/aws/lambda/\(row.name)"))
    }

    /// The runtime version a function runs on, as AWS names one (`arn:aws:lambda:REGION::runtime:<64 hex>`). Warden's
    /// runtime is whatever interpreter the host has, so the id is a stable digest of the runtime's name.
    static func runtimeVersionArn(_ runtime: String, _ c: RequestContext) -> String {
        let digest = Hex.encode(Array(SHA256.hash(data: Array("warden-runtime:\(runtime)".utf8))))
        return "arn:\(c.partition.rawValue):lambda:\(c.region)::runtime:\(digest)"
    }

    /// A configuration as the list operations show it: ListFunctions and ListVersionsByFunction return a subset of
    /// the fields (API reference, ListFunctions: "To get the additional fields (State, StateReasonCode, StateReason,
    /// LastUpdateStatus, LastUpdateStatusReason, LastUpdateStatusReasonCode) ... use GetFunction"); LocalStack's
    /// recording of ListVersionsByFunction (TestLambdaVersions::test_version_lifecycle) has no RuntimeVersionConfig
    /// either.
    static func listed(_ config: Lambda.FunctionConfiguration) -> Lambda.FunctionConfiguration {
        var out = config
        out.runtimeVersionConfig = nil
        out.state = nil
        out.stateReason = nil
        out.stateReasonCode = nil
        out.lastUpdateStatus = nil
        out.lastUpdateStatusReason = nil
        out.lastUpdateStatusReasonCode = nil
        return out
    }

    // MARK: code

    /// The zip a request names (inline, or an object in Warden's bucket store), checked and unpacked.
    func code(_ zipFile: [UInt8]?, s3Bucket: String?, s3Key: String?, _ c: RequestContext) async throws -> (zip: [UInt8], sha: String) {
        let zip: [UInt8]
        if let zipFile {
            zip = zipFile
        } else if let bucket = s3Bucket, let key = s3Key {
            guard let buckets else { throw Self.invalid("Code from S3 needs Warden's bucket store.") }
            do {
                zip = try await buckets.currentBody(bucket: bucket, key: key, account: c.account, requestId: c.requestId)
            } catch let e as AWSError where e.status == 404 || e.status == 403 {
                throw Self.invalid("Error occurred while GetObject. S3 Error Code: \(e.code). S3 Error Message: \(e.message)")
            }
        } else {
            throw Self.invalid("Please provide a source for function code.")
        }
        guard zip.count <= 50 * 1024 * 1024 else {
            throw Lambda.Errors.requestTooLargeException("Request must be smaller than 70167211 bytes for the CreateFunction operation")
        }
        let sha = Data(SHA256.hash(data: zip)).base64EncodedString()
        try unpack(zip, sha: sha)
        return (zip, sha)
    }

    /// Unpacks a zip into its content-addressed directory (once; other nodes unpack on first use).
    func unpack(_ zip: [UInt8], sha: String) throws {
        let hex = Data(base64Encoded: sha).map { Hex.encode(Array($0)) } ?? sha
        let dir = codeRoot.appendingPathComponent(hex)
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent(".complete").path) { return }
        let entries: [ZipArchive.Entry]
        do {
            entries = try ZipArchive.entries(zip)
        } catch {
            throw Self.invalid("Could not unzip uploaded file. Please check your file, then try to upload again. (\(error.reason))")
        }
        let staging = codeRoot.appendingPathComponent(".staging-\(UUID().uuidString)")
        try ZipArchive.unpack(entries, into: staging)
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.moveItem(at: staging, to: dir)
        FileManager.default.createFile(atPath: dir.appendingPathComponent(".complete").path, contents: Data())
    }

    static func checkRuntime(_ runtime: String?, handler: String?) throws(AWSError) -> String {
        guard let runtime else { throw invalid("Runtime is required for zip functions.") }
        if pythonRuntimes.contains(runtime) {
            guard let handler, !handler.isEmpty else { throw invalid("The Handler parameter is required for the \(runtime) runtime.") }
            return runtime
        }
        if providedRuntimes.contains(runtime) { return runtime }
        if ["nodejs", "java", "dotnet", "ruby", "go", "python"].contains(where: { runtime.hasPrefix($0) }) {
            throw invalid("Warden runs python3.x and provided runtimes; \(runtime) is not supported.")
        }
        throw invalid("Value \(runtime) at 'runtime' failed to satisfy constraint: Member must satisfy enum value set")
    }

    static func checkEnvironment(_ env: Lambda.Environment?) throws(AWSError) -> [String: String]? {
        guard let vars = env?.variables else { return nil }
        let reserved = vars.keys.filter { reservedKeys.contains($0) }.sorted()
        guard reserved.isEmpty else {
            throw invalid("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: \(reserved.joined(separator: ", "))")
        }
        let size = vars.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        guard size <= 4096 else {
            throw invalid("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: \(size)")
        }
        return vars
    }

    // MARK: operations

    func createFunction(_ input: Lambda.CreateFunctionRequest, context c: RequestContext) async throws -> Lambda.FunctionConfiguration {
        guard enabled else {
            throw AWSError(code: "AccessDeniedException", status: 403,
                           message: "Functions are disabled: function code runs with the privileges of the Warden process. Start Warden with --enable-functions to allow it.")
        }
        let name = try Self.name(input.functionName, c)
        if let type = input.packageType, type != .zip { throw Self.invalid("Warden runs zip functions only (PackageType Zip).") }
        let runtime = try Self.checkRuntime(input.runtime, handler: input.handler)
        let env = try Self.checkEnvironment(input.environment)
        let (zip, sha) = try await code(input.code.zipFile, s3Bucket: input.code.s3Bucket, s3Key: input.code.s3Key, c)
        let record = FunctionRecord(
            runtime: runtime, handler: input.handler, role: input.role, description: input.description ?? "",
            timeout: input.timeout ?? 3, memorySize: input.memorySize ?? 128, environment: env, codeSha256: sha,
            codeSize: Int64(zip.count), lastModified: Self.lastModified(now()), revisionId: UUID().uuidString.lowercased(),
            tags: input.tags ?? [:], statements: [], deadLetterTarget: input.deadLetterConfig?.targetArn,
            creatorKey: c.principal?.accessKeyId, changeId: UUID().uuidString.lowercased())
        let row = FunctionRow(account: c.account, region: c.region, name: name, createdAtMillis: nowMillis,
                              doc: Array(try JSONEncoder().encode(record)))
        guard try await repository.create(row, code: zip) else {
            throw Lambda.Errors.resourceConflictException("Function already exist: \(name)")
        }
        if input.publish == true {
            // Version 1 is published with the function; the answer describes it under the function's ARN (as AWS
            // answers, LocalStack's recording TestLambdaAlias::test_notfound_and_invalid_routingconfigs).
            let (n, v, _) = try await withFunction(name, c) { row, r in try await publish(row, r, c) }
            return configuration(row, v, c, version: String(n))
        }
        return configuration(row, record, c)
    }

    func getFunction(_ input: Lambda.GetFunctionRequest, context c: RequestContext) async throws -> Lambda.GetFunctionResponse {
        let t = try await resolve(input.functionName, qualifier: input.qualifier, c)
        // A qualified request answers under the qualified ARN (the alias's, when it named an alias) with the version.
        return Lambda.GetFunctionResponse(configuration: configuration(t.row, t.record, c, version: t.version,
                                                                       arn: t.qualifier.map { _ in t.arn(c) }),
                                          code: Lambda.FunctionCodeLocation(repositoryType: "S3"),
                                          tags: t.latest.tags.isEmpty ? nil : t.latest.tags)
    }

    func getFunctionConfiguration(_ input: Lambda.GetFunctionConfigurationRequest, context c: RequestContext) async throws -> Lambda.FunctionConfiguration {
        let t = try await resolve(input.functionName, qualifier: input.qualifier, c)
        return configuration(t.row, t.record, c, version: t.version, arn: t.qualifier.map { _ in t.arn(c) })
    }

    func listFunctions(_ input: Lambda.ListFunctionsRequest, context c: RequestContext) async throws -> Lambda.ListFunctionsResponse {
        let limit = input.maxItems ?? 50
        guard (1...10_000).contains(limit) else { throw Self.invalid("MaxItems must be between 1 and 10000.") }
        var after: String?
        if let marker = input.marker {
            guard let raw = Data(base64Encoded: marker), let name = String(data: raw, encoding: .utf8) else { throw Self.invalid("Invalid marker") }
            after = name
        }
        let rows = try await repository.functions(account: c.account, region: c.region, after: after, limit: limit + 1)
        let page = rows.prefix(limit)
        var out: [Lambda.FunctionConfiguration] = []
        for row in page {
            if let r = try? JSONDecoder().decode(FunctionRecord.self, from: Data(row.doc)) { out.append(configuration(row, r, c)) }
        }
        return Lambda.ListFunctionsResponse(nextMarker: rows.count > limit ? page.last.map { Data($0.name.utf8).base64EncodedString() } : nil,
                                            functions: out)
    }

    func checkRevision(_ given: String?, _ r: FunctionRecord) throws(AWSError) {
        if let given, given != r.revisionId {
            throw Lambda.Errors.preconditionFailedException("The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
        }
    }

    func updateFunctionCode(_ input: Lambda.UpdateFunctionCodeRequest, context c: RequestContext) async throws -> Lambda.FunctionConfiguration {
        // The running instances retire after the lock is released.
        let (config, changed) = try await withFunction(input.functionName, c) { (row, r) async throws -> (Lambda.FunctionConfiguration, String?) in
            var (row, r) = (row, r)
            try checkRevision(input.revisionId, r)
            let (zip, sha) = try await code(input.zipFile, s3Bucket: input.s3Bucket, s3Key: input.s3Key, c)
            if input.dryRun == true { return (configuration(row, r, c), nil) }
            r.codeSha256 = sha
            r.codeSize = Int64(zip.count)
            r.lastModified = Self.lastModified(now())
            r.revisionId = UUID().uuidString.lowercased()
            r.changeId = UUID().uuidString.lowercased()
            try await save(row, r, code: zip)
            row.doc = Array(try JSONEncoder().encode(r))
            if input.publish == true {
                // Publish: the new code becomes the next version, and the answer describes that version.
                let (n, v, _) = try await publish(row, r, c)
                return (configuration(row, v, c, version: String(n), arn: Self.functionArn(c, row.name) + ":\(n)"), Self.functionArn(c, row.name))
            }
            return (configuration(row, r, c), Self.functionArn(c, row.name))
        }
        if let changed { await runner?.retire(functionArn: changed) }
        return config
    }

    func updateFunctionConfiguration(_ input: Lambda.UpdateFunctionConfigurationRequest,
                                     context c: RequestContext) async throws -> Lambda.FunctionConfiguration {
        // The running instances retire after the lock is released.
        let (config, arn) = try await withFunction(input.functionName, c) { (row, r) async throws -> (Lambda.FunctionConfiguration, String) in
            var (row, r) = (row, r)
            try checkRevision(input.revisionId, r)
            if let v = input.role { r.role = v }
            if let v = input.description { r.description = v }
            if let v = input.timeout { r.timeout = v }
            if let v = input.memorySize { r.memorySize = v }
            if let env = input.environment { r.environment = try Self.checkEnvironment(env) ?? [:] }
            if let dl = input.deadLetterConfig { r.deadLetterTarget = dl.targetArn.flatMap { $0.isEmpty ? nil : $0 } }
            let runtime = input.runtime ?? r.runtime
            let handler = input.handler ?? r.handler
            r.runtime = try Self.checkRuntime(runtime, handler: handler)
            r.handler = handler
            r.lastModified = Self.lastModified(now())
            r.revisionId = UUID().uuidString.lowercased()
            r.changeId = UUID().uuidString.lowercased()
            try await save(row, r)
            row.doc = Array(try JSONEncoder().encode(r))
            return (configuration(row, r, c), Self.functionArn(c, row.name))
        }
        await runner?.retire(functionArn: arn)
        return config
    }

    func deleteFunction(_ input: Lambda.DeleteFunctionRequest, context c: RequestContext) async throws -> Lambda.DeleteFunctionResponse {
        let (name, qualifier) = try Self.qualified(input.functionName, input.qualifier, c)
        if let qualifier {
            // One version ($LATEST only goes with the function).
            try await deleteVersion(name: name, qualifier: qualifier, c)
            return Lambda.DeleteFunctionResponse(statusCode: 204)
        }
        // The function with its versions, aliases and invocation settings (one transaction), under the function's
        // lock like every change that adds to what it owns (PublishVersion, CreateAlias, Put…EventInvokeConfig); then
        // every version's processes stop.
        let versions = try await repository.db.withLock(Self.lockName(c.account, c.region, name)) { () async throws -> [Int64] in
            let versions = try await versionNumbers(c.account, c.region, name)
            guard try await repository.delete(account: c.account, region: c.region, name: name) else {
                throw Self.notFound(Self.functionArn(c, name))
            }
            return versions
        }
        await runner?.retire(functionArn: Self.functionArn(c, name))
        for n in versions { await runner?.retire(functionArn: Self.functionArn(c, name) + ":\(n)") }
        return Lambda.DeleteFunctionResponse(statusCode: 204)
    }

    // MARK: resource policy

    static func policyDocument(_ statements: [String]) -> String {
        "{\"Version\":\"2012-10-17\",\"Id\":\"default\",\"Statement\":[\(statements.joined(separator: ","))]}"
    }

    func addPermission(_ input: Lambda.AddPermissionRequest, context c: RequestContext) async throws -> Lambda.AddPermissionResponse {
        if let q = input.qualifier, q != "$LATEST" { throw Self.invalid("Qualifiers are not implemented by Warden yet.") }
        return try await withFunction(input.functionName, c) { row, r0 in
            var r = r0
            try checkRevision(input.revisionId, r)
            guard input.action.hasPrefix("lambda:") else { throw Self.invalid("The action must be a Lambda action (lambda:InvokeFunction).") }
            if r.statements.contains(where: { (try? JSONParser.parse(Array($0.utf8)))?["Sid"]?.stringValue == input.statementId }) {
                throw Lambda.Errors.resourceConflictException("The statement id (\(input.statementId)) provided already exists. Please provide a new statement id, or remove the existing statement.")
            }
            var statement = JSONObjectWriter()
            statement.field("Sid", input.statementId)
            statement.field("Effect", "Allow")
            let principal = input.principal
            statement.object("Principal") { p in
                if principal.hasSuffix(".amazonaws.com") {
                    p.field("Service", principal)
                } else if principal.allSatisfy(\.isNumber), principal.count == 12 {
                    p.field("AWS", "arn:\(c.partition.rawValue):iam::\(principal):root")
                } else {
                    p.field("AWS", principal)
                }
            }
            statement.field("Action", input.action)
            statement.field("Resource", Self.functionArn(c, row.name))
            var conditions: [(String, String, String)] = []
            if let a = input.sourceAccount { conditions.append(("StringEquals", "AWS:SourceAccount", a)) }
            if let a = input.sourceArn { conditions.append(("ArnLike", "AWS:SourceArn", a)) }
            if !conditions.isEmpty {
                statement.object("Condition") { cond in
                    for op in ["StringEquals", "ArnLike"] {
                        let mine = conditions.filter { $0.0 == op }
                        if !mine.isEmpty { cond.object(op) { o in for (_, k, v) in mine { o.field(k, v) } } }
                    }
                }
            }
            let text = String(decoding: statement.finish(), as: UTF8.self)
            r.statements.append(text)
            guard Self.policyDocument(r.statements).utf8.count <= 20_480 else {
                throw Lambda.Errors.policyLengthExceededException("The final policy size (\(Self.policyDocument(r.statements).utf8.count)) is bigger than the limit (20480).")
            }
            r.revisionId = UUID().uuidString.lowercased()
            try await save(row, r)
            return Lambda.AddPermissionResponse(statement: text)
        }
    }

    func removePermission(_ input: Lambda.RemovePermissionRequest, context c: RequestContext) async throws -> EmptyShape {
        try await withFunction(input.functionName, c) { row, r0 in
            var r = r0
            try checkRevision(input.revisionId, r)
            guard let i = r.statements.firstIndex(where: { (try? JSONParser.parse(Array($0.utf8)))?["Sid"]?.stringValue == input.statementId }) else {
                throw Lambda.Errors.resourceNotFoundException("Statement \(input.statementId) is not found in resource policy.")
            }
            r.statements.remove(at: i)
            r.revisionId = UUID().uuidString.lowercased()
            try await save(row, r)
        }
        return EmptyShape()
    }

    func getPolicy(_ input: Lambda.GetPolicyRequest, context c: RequestContext) async throws -> Lambda.GetPolicyResponse {
        let (_, r) = try await load(input.functionName, c)
        guard !r.statements.isEmpty else {
            throw Lambda.Errors.resourceNotFoundException("The resource you requested does not exist.")
        }
        return Lambda.GetPolicyResponse(policy: Self.policyDocument(r.statements), revisionId: r.revisionId)
    }

    // MARK: tags

    func taggedFunction(_ arn: String, _ c: RequestContext) async throws -> (FunctionRow, FunctionRecord) {
        guard arn.hasPrefix("arn:"), arn.contains(":function:") else { throw Self.invalid("Invalid resource ARN: \(arn)") }
        return try await load(arn, c)
    }

    func tagResource(_ input: Lambda.TagResourceRequest, context c: RequestContext) async throws -> EmptyShape {
        _ = try await taggedFunction(input.resource, c)
        try await withFunction(input.resource, c) { row, r0 in
            var r = r0
            for (k, v) in input.tags {
                guard (1...128).contains(k.utf8.count), v.utf8.count <= 256, !k.lowercased().hasPrefix("aws:") else {
                    throw Self.invalid("Invalid tag: \(k)")
                }
                r.tags[k] = v
            }
            guard r.tags.count <= 50 else { throw Self.invalid("Number of tags exceeds resource tag limit.") }
            try await save(row, r)
        }
        return EmptyShape()
    }

    func untagResource(_ input: Lambda.UntagResourceRequest, context c: RequestContext) async throws -> EmptyShape {
        _ = try await taggedFunction(input.resource, c)
        try await withFunction(input.resource, c) { row, r0 in
            var r = r0
            for k in input.tagKeys { r.tags[k] = nil }
            try await save(row, r)
        }
        return EmptyShape()
    }

    func listTags(_ input: Lambda.ListTagsRequest, context c: RequestContext) async throws -> Lambda.ListTagsResponse {
        let (_, r) = try await taggedFunction(input.resource, c)
        return Lambda.ListTagsResponse(tags: r.tags)
    }
}
