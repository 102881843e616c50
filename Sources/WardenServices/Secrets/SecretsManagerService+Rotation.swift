// Rotation: RotateSecret and its schedule; each rotation calls the rotation function four times (createSecret,
// setSecret, testSecret, finishSecret). The new version keeps AWSPENDING beside AWSCURRENT afterwards, as recorded from
// Secrets Manager (the next rotation moves AWSPENDING to its own new version). Rotations run on the node's
// BackgroundTasks; a failed one is logged and reported as a RotationFailed event.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension SecretsManagerService {
    static let steps = ["createSecret", "setSecret", "testSecret", "finishSecret"]

    /// When the next rotation is due after `from`, per AutomaticallyAfterDays or ScheduleExpression (`rate(N hours|days)`,
    /// or `cron(...)`).
    static func nextRotation(_ r: RotationConfig, from: Date) throws(AWSError) -> Date {
        if let days = r.afterDays { return from.addingTimeInterval(Double(days) * 86_400) }
        guard let expr = r.schedule else { throw invalidParameter("RotationRules needs AutomaticallyAfterDays or ScheduleExpression.") }
        if expr.hasPrefix("rate(") && expr.hasSuffix(")") {
            let parts = expr.dropFirst(5).dropLast().split(separator: " ")
            guard parts.count == 2, let n = Int(parts[0]), n > 0 else { throw invalidParameter("Invalid ScheduleExpression: \(expr)") }
            switch parts[1] {
            case "hour", "hours":
                guard n >= 4 else { throw invalidParameter("The schedule expression must be at least 4 hours: \(expr)") }
                return from.addingTimeInterval(Double(n) * 3600)
            case "day", "days": return from.addingTimeInterval(Double(n) * 86_400)
            default: throw invalidParameter("Invalid ScheduleExpression: \(expr)")
            }
        }
        if expr.hasPrefix("cron(") && expr.hasSuffix(")") {
            guard let schedule = try? Schedule(expr), let next = schedule.next(after: from) else {
                throw invalidParameter("Invalid ScheduleExpression: \(expr)")
            }
            return next
        }
        throw invalidParameter("Invalid ScheduleExpression: \(expr)")
    }

    static func checkRules(_ rules: SM.RotationRulesType?) throws(AWSError) {
        guard let rules else { return }
        if rules.automaticallyAfterDays != nil && rules.scheduleExpression != nil {
            throw invalidParameter("You can't specify both AutomaticallyAfterDays and ScheduleExpression.")
        }
        if let d = rules.automaticallyAfterDays, !(1...1000).contains(d) {
            throw invalidParameter("AutomaticallyAfterDays must be between 1 and 1000.")
        }
        if let w = rules.duration, w.range(of: "^[0-9]+h$", options: .regularExpression) == nil {
            throw invalidParameter("Duration must be a number of hours, like 3h.")
        }
    }

    func rotateSecret(_ input: SM.RotateSecretRequest, context c: RequestContext) async throws -> SM.RotateSecretResponse {
        // The configuration changes under the secret's lock, with the secret read again under it.
        try await withSecret(input.secretId, c) { row, doc in
            var (row, doc) = (row, doc)
            try notDeleted(doc)
            try notReplica(doc)
            let lambdaArn = input.rotationLambdaARN ?? doc.rotation?.lambdaArn
            // Built-in rotation: the AWS rotation templates' function names, or a PostgreSQL secret with no function.
            var managed: String?
            if let name = lambdaArn?.split(separator: ":").last.map(String.init) {
                managed = Self.builtInStrategies[name]
            } else if let current = try? await currentValue(row), let db = DatabaseSecret(current), db.isPostgres {
                managed = db["masterarn"] != nil ? "postgres-multi-user" : "postgres-single-user"
            }
            guard lambdaArn != nil || managed != nil else {
                throw Self.invalidRequest("No Lambda rotation function ARN is associated with this secret.")
            }
            if managed == nil && functions == nil {
                throw Self.invalidRequest("Rotation needs functions: start Warden with --enable-functions.")
            }
            try Self.checkRules(input.rotationRules)
            if managed == nil, let functions, let lambda = lambdaArn {
                try await Self.checkRotationFunction(functions, lambda, secretArn: row.arn)
            }
            let versions = try await repository.versions(arn: row.arn)
            if versions.contains(where: { let s = Self.versionDoc($0).stages; return s.contains("AWSPENDING") && !s.contains("AWSCURRENT") }) {
                throw Self.invalidRequest("A previous rotation isn't complete. That rotation will be reattempted.")
            }
            let token = try Self.token(input.clientRequestToken)
            var config = doc.rotation ?? RotationConfig(enabled: true)
            config.lambdaArn = lambdaArn
            config.managed = managed
            config.enabled = true
            if let rules = input.rotationRules {
                config.afterDays = rules.automaticallyAfterDays
                config.schedule = rules.scheduleExpression
                config.duration = rules.duration
            }
            doc.rotation = config
            if config.afterDays != nil || config.schedule != nil {
                row.rotateAtMillis = Int64(try Self.nextRotation(config, from: now()).timeIntervalSince1970 * 1000)
            }
            row.doc = doc.encoded()
            guard try await repository.save(row) else { throw Self.notFound() }
            let arn = row.arn
            // Never refused while a request is served: the ServiceGroup stops the HTTP server (finishing its requests)
            // before it closes the background tasks. Were it refused, only the configuration changed (no version, no
            // AWSPENDING), so the rotation starts on its schedule or at the next RotateSecret.
            if input.rotateImmediately != false {
                background.submit("secretsmanager-rotation") { await rotate(arn: arn, token: token, c) }
            } else if managed == nil, let functions, let lambda = lambdaArn {
                // RotateImmediately=false: the function's testSecret step checks the configuration; the rotation waits
                // for its schedule. Its outcome changes nothing stored, so a refused check is only logged.
                let payload = JSONWriter.write(.object([("Step", .string("testSecret")), ("SecretId", .string(arn)),
                                                        ("ClientRequestToken", .string(token))]))
                let logger = background.logger
                background.submit("secretsmanager-test-rotation") {
                    let result = try await functions.invokeSync(functionArn: lambda, payload: payload, service: "secretsmanager.amazonaws.com",
                                                                sourceArn: arn)
                    if let error = result.functionError {
                        logger.warning("the rotation function's testSecret step failed",
                                       metadata: ["secret": "\(arn)", "function": "\(lambda)", "functionError": "\(error)"])
                    }
                }
            }
            return SM.RotateSecretResponse(arn: row.arn, name: row.name, versionId: token)
        }
    }

    /// "When you add a Lambda rotation function Amazon Resource Name (ARN) to your secret, Secrets Manager checks the
    /// permissions of the function" (Troubleshoot rotation, "I get access denied when trying to configure rotation for my
    /// secret"): its policy must let secretsmanager.amazonaws.com invoke it for this secret (aws:SourceArn,
    /// aws:SourceAccount), or RotateSecret fails before it changes anything, with the refusal recorded from Secrets
    /// Manager (HTTP 400, AccessDeniedException). The check is Lambda's own, which applies in every mode: it is what the
    /// rotation's invocations will meet. A function that cannot be found is left to the rotation itself, as before:
    /// what AWS answers then is not known.
    static func checkRotationFunction(_ functions: any FunctionInvoker, _ lambda: String, secretArn: String) async throws {
        do {
            try await functions.checkInvoke(functionArn: lambda, service: "secretsmanager.amazonaws.com", sourceArn: secretArn)
        } catch let e as AWSError where e.code == "AccessDeniedException" {
            throw AWSError(code: "AccessDeniedException", status: 400,
                           message: "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.")
        } catch let e as AWSError where e.status < 500 {
            // ResourceNotFoundException or an ARN Lambda does not take: the rotation reports it when it runs.
        }
    }

    func cancelRotateSecret(_ input: SM.CancelRotateSecretRequest, context c: RequestContext) async throws -> SM.CancelRotateSecretResponse {
        try await withSecret(input.secretId, c) { row, doc in
            var (row, doc) = (row, doc)
            try notDeleted(doc)
            doc.rotation?.enabled = false
            row.rotateAtMillis = nil
            row.doc = doc.encoded()
            // An unfinished rotation's AWSPENDING label goes too.
            var changed: [String: String] = [:]
            var pending: String?
            for v in try await repository.versions(arn: row.arn) {
                var d = Self.versionDoc(v)
                if d.stages.contains("AWSPENDING") && !d.stages.contains("AWSCURRENT") {
                    pending = v.versionId
                    d.stages.removeAll { $0 == "AWSPENDING" }
                    changed[v.versionId] = d.encoded()
                }
            }
            guard try await repository.save(row, versionDocs: changed) else { throw Self.notFound() }
            return SM.CancelRotateSecretResponse(arn: row.arn, name: row.name, versionId: pending)
        }
    }

    /// One rotation: the four steps through the function; the new version keeps AWSPENDING. A failing step
    /// stops it, leaving AWSCURRENT where it was and AWSPENDING on the new version, as Secrets Manager does. Not cut
    /// short by a graceful shutdown, which waits for it: stopping between setSecret and finishSecret would leave a
    /// database password changed that AWSCURRENT does not hold.
    func rotate(arn: String, token: String, _ c: RequestContext) async {
        await recordRotationEvent("RotationStarted", arn: arn, c)
        var done = false
        do {
            try await rotateSteps(arn: arn, token: token, c)
            done = true
        } catch {
            background.logger.warning("secret rotation failed", metadata: ["secret": "\(arn)", "error": "\(error)"])
        }
        await recordRotationEvent(done ? "RotationSucceeded" : "RotationFailed", arn: arn, c)
    }

    /// A rotation's outcome for EventBridge's default bus, shaped as the CloudTrail service event AWS records.
    func recordRotationEvent(_ name: String, arn: String, _ c: RequestContext) async {
        let at = now()
        let time = Timestamps.iso8601(at, fractional: false)
        let detail: JSONValue = .object([
            ("eventVersion", .string("1.08")),
            ("userIdentity", .object([("accountId", .string(c.account)), ("invokedBy", .string("secretsmanager.amazonaws.com"))])),
            ("eventTime", .string(time)), ("eventSource", .string("secretsmanager.amazonaws.com")), ("eventName", .string(name)),
            ("awsRegion", .string(c.region)), ("sourceIPAddress", .string("secretsmanager.amazonaws.com")),
            ("userAgent", .string("secretsmanager.amazonaws.com")), ("requestParameters", .null), ("responseElements", .null),
            ("additionalEventData", .object([("SecretId", .string(arn))])), ("requestID", .string(UUID().uuidString.lowercased())),
            ("eventID", .string(UUID().uuidString.lowercased())), ("readOnly", .bool(false)), ("eventType", .string("AwsServiceEvent")),
            ("managementEvent", .bool(true)), ("recipientAccountId", .string(c.account)), ("eventCategory", .string("Management")),
        ])
        let event: JSONValue = .object([
            ("version", .string("0")), ("id", .string(UUID().uuidString.lowercased())), ("detail-type", .string("AWS Service Event via CloudTrail")),
            ("source", .string("aws.secretsmanager")), ("account", .string(c.account)), ("time", .string(time)), ("region", .string(c.region)),
            ("resources", .array([])), ("detail", detail),
        ])
        do {
            try await PendingEvents.add(repository.db, account: c.account, region: c.region,
                                        event: String(decoding: JSONWriter.write(event), as: UTF8.self), nowMillis: nowMillis)
        } catch {
            background.logger.error("a rotation event could not be recorded",
                                    metadata: ["secret": "\(arn)", "event": "\(name)", "error": "\(error)"])
        }
    }

    /// Why a rotation stopped, for the log.
    struct RotationStopped: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// The four steps and the final stage move; returns when the rotation completed, throws why it did not.
    func rotateSteps(arn: String, token: String, _ c: RequestContext) async throws {
        guard let row = try await repository.secret(arn: arn) else { throw RotationStopped("the secret is gone") }
        let doc = try JSONDecoder().decode(SecretDoc.self, from: Data(row.doc.utf8))
        guard let config = doc.rotation else { throw RotationStopped("the secret has no rotation configuration") }
        for step in Self.steps {
            if let strategy = config.managed {
                try await builtInStep(step, strategy: strategy, arn: arn, token: token, c)
                continue
            }
            guard let functions, let lambda = config.lambdaArn else { throw RotationStopped("no rotation function to run") }
            let payload = JSONWriter.write(.object([("Step", .string(step)), ("SecretId", .string(arn)),
                                                    ("ClientRequestToken", .string(token)),
                                                    ("RotationToken", .string(UUID().uuidString.lowercased()))]))
            let result = try await functions.invokeSync(functionArn: lambda, payload: payload, service: "secretsmanager.amazonaws.com",
                                                        sourceArn: arn)
            if let error = result.functionError { throw RotationStopped("the function's \(step) step failed (\(error))") }
        }
        try await locks.withLock(arn) {
            guard var latest = try await repository.secret(arn: arn) else { throw RotationStopped("the secret is gone") }
            var d = try JSONDecoder().decode(SecretDoc.self, from: Data(latest.doc.utf8))
            guard let mine = try await repository.versions(arn: arn).first(where: { $0.versionId == token }) else {
                throw RotationStopped("the new version is gone")
            }
            // finishSecret must have made the new version current; only then is the rotation done.
            guard Self.versionDoc(mine).stages.contains("AWSCURRENT") else {
                throw RotationStopped("finishSecret did not make the new version AWSCURRENT")
            }
            d.lastRotatedMillis = nowMillis
            d.lastChangedMillis = nowMillis
            if let config = d.rotation, config.enabled, config.afterDays != nil || config.schedule != nil {
                // The rules were checked when they were stored (RotateSecret), so this does not fail.
                latest.rotateAtMillis = (try? Self.nextRotation(config, from: now())).map { Int64($0.timeIntervalSince1970 * 1000) }
            }
            latest.doc = d.encoded()
            guard try await repository.save(latest, versionDocs: [:]) else { throw RotationStopped("the secret is gone") }
            do {
                try await syncReplicas(arn, c)
            } catch {
                // The rotation is done; replicas catch up with the next change of the secret.
                background.logger.error("replicas were not updated after a rotation", metadata: ["secret": "\(arn)", "error": "\(error)"])
            }
        }
    }

    /// Starts the rotations that are due (the scheduler); returns how many.
    public func runDueRotations() async throws -> Int {
        let due = try await repository.dueRotations(nowMillis: nowMillis)
        var started = 0
        for arn in due {
            // A node shutting down starts no more: those left due are started by the next run, here after a restart or
            // on another node.
            if background.isShuttingDown { break }
            let c = try await locks.withLock(arn) { () async throws -> RequestContext? in
                guard var row = try await repository.secret(arn: arn), let at = row.rotateAtMillis, at <= nowMillis,
                      let doc = try? JSONDecoder().decode(SecretDoc.self, from: Data(row.doc.utf8)), doc.deletedMillis == nil,
                      let config = doc.rotation, config.enabled else { return nil }
                // Pushed forward first, so a slow or failing rotation is not started again every tick (nor by another
                // node: the row is read again under the lock).
                row.rotateAtMillis = Int64(try Self.nextRotation(config, from: now()).timeIntervalSince1970 * 1000)
                guard try await repository.save(row) else { return nil }
                return DataKeyCache.serviceContext(account: row.account, region: row.region, service: "secretsmanager.amazonaws.com", now: now())
            }
            guard let c else { continue }
            let token = UUID().uuidString.lowercased()
            // Refused only if shutdown began since the check above: this rotation then waits for its next due time.
            background.submit("secretsmanager-rotation") { await rotate(arn: arn, token: token, c) }
            started += 1
        }
        return started
    }

    // MARK: built-in rotation (PostgreSQL)

    /// The AWS rotation templates' function names, which select Warden's built-in strategies.
    static let builtInStrategies = [
        "SecretsManagerRDSPostgreSQLRotationSingleUser": "postgres-single-user",
        "SecretsManagerRDSPostgreSQLRotationMultiUser": "postgres-multi-user",
    ]

    func currentValue(_ row: SecretRow) async throws -> String {
        let c = DataKeyCache.serviceContext(account: row.account, region: row.region, service: "secretsmanager.amazonaws.com", now: now())
        let (v, _) = try await pick(row, versionId: nil, stage: "AWSCURRENT")
        return String(decoding: try await open(v.value, arn: row.arn, versionId: v.versionId, c), as: UTF8.self)
    }

    func versionValue(_ row: SecretRow, _ versionId: String, _ c: RequestContext) async throws -> String {
        let (v, _) = try await pick(row, versionId: versionId, stage: nil)
        return String(decoding: try await open(v.value, arn: row.arn, versionId: v.versionId, c), as: UTF8.self)
    }

    static func databasePassword() -> String {
        // Letters and digits only: safe in any connection string and SQL literal.
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet.randomElement(using: &rng) ?? "a" })
    }

    /// One step of a built-in rotation, as the AWS PostgreSQL rotation templates do it.
    func builtInStep(_ step: String, strategy: String, arn: String, token: String, _ c: RequestContext) async throws {
        guard let databases, let row = try await repository.secret(arn: arn),
              let doc = try? JSONDecoder().decode(SecretDoc.self, from: Data(row.doc.utf8)) else {
            throw Self.invalidRequest("Built-in rotation needs a database connection.")
        }
        guard let current = DatabaseSecret(try await currentValue(row)), current.isPostgres,
              let host = current["host"], let user = current["username"], let password = current["password"] else {
            throw Self.invalidRequest("The secret is not a PostgreSQL secret in the documented JSON shape.")
        }
        switch step {
        case "createSecret":
            if (try? await versionValue(row, token, c)) != nil { return }
            var pending = current
            pending.set("password", Self.databasePassword())
            if strategy == "postgres-multi-user" {
                pending.set("username", user.hasSuffix("_clone") ? String(user.dropLast(6)) : user + "_clone")
            }
            _ = try await newVersion(row, doc, token: token, value: (Array(pending.text.utf8), false), stages: ["AWSPENDING"], c)
        case "setSecret":
            guard let pending = DatabaseSecret(try await versionValue(row, token, c)), let newUser = pending["username"],
                  let newPassword = pending["password"] else { throw Self.invalidRequest("The pending version is not a database secret.") }
            let alter = "ALTER ROLE \(DatabaseSecret.identifier(newUser)) WITH PASSWORD \(DatabaseSecret.literal(newPassword))"
            if strategy == "postgres-single-user" {
                do {
                    try await databases.postgres(host: host, port: current.port, user: user, password: password,
                                                 database: current.database, statements: [alter])
                } catch {
                    // A retried rotation: the new password may already be set.
                    try await databases.postgres(host: host, port: current.port, user: newUser, password: newPassword,
                                                 database: current.database, statements: ["SELECT 1"])
                }
            } else {
                guard let masterArn = current["masterarn"], let (masterRow, _) = try await find(masterArn, c),
                      let master = DatabaseSecret(try await currentValue(masterRow)),
                      let masterUser = master["username"], let masterPassword = master["password"] else {
                    throw Self.invalidRequest("The masterarn secret of an alternating-users rotation is missing or not a database secret.")
                }
                let base = newUser.hasSuffix("_clone") ? String(newUser.dropLast(6)) : newUser
                var statements = [
                    "DO $warden$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = \(DatabaseSecret.literal(newUser))) THEN CREATE ROLE \(DatabaseSecret.identifier(newUser)) WITH LOGIN; END IF; END $warden$",
                    alter,
                ]
                if newUser != base { statements.append("GRANT \(DatabaseSecret.identifier(base)) TO \(DatabaseSecret.identifier(newUser))") }
                try await databases.postgres(host: master["host"] ?? host, port: master.port, user: masterUser, password: masterPassword,
                                             database: master.database, statements: statements)
            }
        case "testSecret":
            guard let pending = DatabaseSecret(try await versionValue(row, token, c)), let newUser = pending["username"],
                  let newPassword = pending["password"] else { throw Self.invalidRequest("The pending version is not a database secret.") }
            try await databases.postgres(host: pending["host"] ?? host, port: pending.port, user: newUser, password: newPassword,
                                         database: pending.database, statements: ["SELECT 1"])
        default:
            // finishSecret: AWSCURRENT moves to the new version (the old one becomes AWSPREVIOUS).
            try await locks.withLock(arn) {
                let versions = try await repository.versions(arn: arn)
                var docs: [String: SecretVersionDoc] = [:]
                for v in versions { docs[v.versionId] = Self.versionDoc(v) }
                guard docs[token] != nil else { throw Self.invalidRequest("The pending version is gone.") }
                Self.move(["AWSCURRENT"], to: token, in: &docs)
                var changed: [String: String] = [:]
                for v in versions where docs[v.versionId]?.stages != Self.versionDoc(v).stages { changed[v.versionId] = docs[v.versionId]?.encoded() }
                guard let latest = try await repository.secret(arn: arn), try await repository.save(latest, versionDocs: changed) else {
                    throw Self.notFound()
                }
            }
        }
    }
}
