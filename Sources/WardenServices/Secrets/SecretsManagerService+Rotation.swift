// Rotation: RotateSecret and its schedule; each rotation calls the rotation function four times (createSecret,
// setSecret, testSecret, finishSecret) and then takes AWSPENDING off the new version, as Secrets Manager does.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension SecretsManagerService {
    static let steps = ["createSecret", "setSecret", "testSecret", "finishSecret"]

    /// When the next rotation is due after `from`, per AutomaticallyAfterDays or ScheduleExpression (`rate(N hours|days)`,
    /// or a daily `cron(M H * * ? *)`).
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
            let f = expr.dropFirst(5).dropLast().split(separator: " ").map(String.init)
            guard f.count == 6, let minute = Int(f[0]), let hour = Int(f[1]), (0..<60).contains(minute), (0..<24).contains(hour),
                  ["*", "?"].contains(f[2]), f[3] == "*", ["*", "?"].contains(f[4]), f[5] == "*" else {
                throw invalidParameter("Warden's rotation schedules take rate() or a daily cron(M H * * ? *); \(expr) is not supported yet.")
            }
            var cal = Calendar(identifier: .gregorian)
            cal.timeZone = TimeZone(identifier: "UTC") ?? .current
            let next = cal.nextDate(after: from, matching: DateComponents(hour: hour, minute: minute), matchingPolicy: .nextTime)
            return next ?? from.addingTimeInterval(86_400)
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
        var (row, doc) = try await load(input.secretId, c)
        try notDeleted(doc)
        guard functions != nil else { throw Self.invalidRequest("Rotation needs functions: start Warden with --enable-functions.") }
        guard let lambdaArn = input.rotationLambdaARN ?? doc.rotation?.lambdaArn else {
            throw Self.invalidRequest("No Lambda rotation function ARN is associated with this secret.")
        }
        try Self.checkRules(input.rotationRules)
        let versions = try await repository.versions(arn: row.arn)
        if versions.contains(where: { let s = Self.versionDoc($0).stages; return s.contains("AWSPENDING") && !s.contains("AWSCURRENT") }) {
            throw Self.invalidRequest("A previous rotation isn't complete. That rotation will be reattempted.")
        }
        let token = try Self.token(input.clientRequestToken)
        var config = doc.rotation ?? RotationConfig(enabled: true)
        config.lambdaArn = lambdaArn
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
        if input.rotateImmediately != false {
            let arn = row.arn
            Task { await rotate(arn: arn, token: token, c) }
        }
        return SM.RotateSecretResponse(arn: row.arn, name: row.name, versionId: token)
    }

    func cancelRotateSecret(_ input: SM.CancelRotateSecretRequest, context c: RequestContext) async throws -> SM.CancelRotateSecretResponse {
        var (row, doc) = try await load(input.secretId, c)
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

    /// One rotation: the four steps through the function, then AWSPENDING leaves the new version. A failing step
    /// stops it, leaving AWSCURRENT where it was and AWSPENDING on the new version, as Secrets Manager does.
    func rotate(arn: String, token: String, _ c: RequestContext) async {
        guard let functions, let row = try? await repository.secret(arn: arn),
              let doc = try? JSONDecoder().decode(SecretDoc.self, from: Data(row.doc.utf8)), let lambda = doc.rotation?.lambdaArn else { return }
        for step in Self.steps {
            let payload = JSONWriter.write(.object([("Step", .string(step)), ("SecretId", .string(arn)),
                                                    ("ClientRequestToken", .string(token)),
                                                    ("RotationToken", .string(UUID().uuidString.lowercased()))]))
            guard let result = try? await functions.invokeSync(functionArn: lambda, payload: payload, service: "secretsmanager.amazonaws.com",
                                                               sourceArn: arn), result.functionError == nil else { return }
        }
        await locks.lock(arn)
        defer { locks.unlock(arn) }
        guard var latest = try? await repository.secret(arn: arn), var d = try? JSONDecoder().decode(SecretDoc.self, from: Data(latest.doc.utf8)),
              let versions = try? await repository.versions(arn: arn),
              let mine = versions.first(where: { $0.versionId == token }) else { return }
        var vdoc = Self.versionDoc(mine)
        // finishSecret must have made the new version current; only then is the rotation done.
        guard vdoc.stages.contains("AWSCURRENT") else { return }
        vdoc.stages.removeAll { $0 == "AWSPENDING" }
        d.lastRotatedMillis = nowMillis
        d.lastChangedMillis = nowMillis
        if let config = d.rotation, config.enabled, config.afterDays != nil || config.schedule != nil {
            latest.rotateAtMillis = (try? Self.nextRotation(config, from: now())).map { Int64($0.timeIntervalSince1970 * 1000) }
        }
        latest.doc = d.encoded()
        _ = try? await repository.save(latest, versionDocs: [token: vdoc.encoded()])
    }

    /// Starts the rotations that are due (the scheduler); returns how many.
    public func runDueRotations() async throws -> Int {
        let due = try await repository.dueRotations(nowMillis: nowMillis)
        for arn in due {
            guard var row = try await repository.secret(arn: arn),
                  let doc = try? JSONDecoder().decode(SecretDoc.self, from: Data(row.doc.utf8)), doc.deletedMillis == nil,
                  let config = doc.rotation, config.enabled else { continue }
            // Pushed forward first, so a slow or failing rotation is not started again every tick.
            row.rotateAtMillis = Int64(try Self.nextRotation(config, from: now()).timeIntervalSince1970 * 1000)
            _ = try await repository.save(row)
            let c = DataKeyCache.serviceContext(account: row.account, region: row.region, service: "secretsmanager.amazonaws.com", now: now())
            let token = UUID().uuidString.lowercased()
            Task { await rotate(arn: arn, token: token, c) }
        }
        return due.count
    }
}
