// Asynchronous invocation settings per function and qualifier (API reference PutFunctionEventInvokeConfig …
// ListFunctionEventInvokeConfigs; Developer Guide, "Configuring error handling for asynchronous invocation" and
// "Capturing records of Lambda asynchronous invocations"): retries (0–2), maximum event age (60–21600 s) and the
// destinations that get the invocation record. Errors and texts are AWS's as LocalStack recorded them
// (tests/aws/services/lambda_/test_lambda_api.snapshot.json, TestLambdaEventInvokeConfig).
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

/// One qualifier's settings as stored.
struct EventConfigDoc: Codable, Sendable {
    var maxRetry: Int?
    var maxAge: Int?
    var onSuccess: String?
    var onFailure: String?
    /// Epoch seconds (the API's LastModified is a timestamp, unlike a function's).
    var lastModified: Double
}

extension LambdaService {
    /// Lambda's defaults when no setting says otherwise: two retries, events kept six hours.
    static let defaultRetryAttempts = 2
    static let defaultMaxEventAge = 21_600

    static var functionMissing: AWSError { Lambda.Errors.resourceNotFoundException("The function doesn't exist.") }

    static func noEventConfig(_ c: RequestContext, _ name: String, _ qualifier: String) -> AWSError {
        Lambda.Errors.resourceNotFoundException("The function \(functionArn(c, name)):\(qualifier) doesn't have an EventInvokeConfig")
    }

    func eventConfig(account: String, region: String, function: String, qualifier: String) async throws -> EventConfigDoc? {
        guard let side = try await repository.side(.eventConfigs, account: account, region: region, function: function, name: qualifier) else {
            return nil
        }
        return try JSONDecoder().decode(EventConfigDoc.self, from: Data(side.doc.utf8))
    }

    func eventConfigShape(_ c: RequestContext, _ name: String, _ qualifier: String, _ d: EventConfigDoc) -> Lambda.FunctionEventInvokeConfig {
        Lambda.FunctionEventInvokeConfig(
            lastModified: Date(timeIntervalSince1970: d.lastModified), functionArn: Self.functionArn(c, name) + ":" + qualifier,
            maximumRetryAttempts: d.maxRetry, maximumEventAgeInSeconds: d.maxAge,
            // Both members always, empty when unset (AWS's answers, recorded).
            destinationConfig: Lambda.DestinationConfig(onSuccess: Lambda.OnSuccess(destination: d.onSuccess),
                                                        onFailure: Lambda.OnFailure(destination: d.onFailure)))
    }

    /// The function and qualifier the settings are for: "The function doesn't exist." when either is not there.
    func configTarget(_ ref: String, _ given: String?, _ c: RequestContext) async throws -> (FunctionRow, String) {
        let (name, qualifier) = try Self.qualified(ref, given, c)
        guard let row = try await repository.function(account: c.account, region: c.region, name: name) else { throw Self.functionMissing }
        let q = qualifier ?? "$LATEST"
        if q != "$LATEST" {
            let exists = Self.isVersionNumber(q) ? try await versionRecord(row, Int64(q) ?? -1) != nil : try await aliasDoc(row, q) != nil
            guard exists else { throw Self.functionMissing }
        }
        return (row, q)
    }

    /// Destinations: an SQS queue, an SNS topic, an EventBridge bus or another function. A function of the caller's
    /// account must exist; one of another account is not looked up — whether it exists is that account's business,
    /// and the answer is the same either way. Resources of other accounts are checked against their policies when a
    /// record is delivered (LambdaService+ResourceAccess), as Lambda delivers with the function's execution role.
    func checkDestinations(_ d: Lambda.DestinationConfig?, function: String, _ c: RequestContext) async throws -> (String?, String?) {
        let success = d?.onSuccess?.destination.flatMap { $0.isEmpty ? nil : $0 }
        let failure = d?.onFailure?.destination.flatMap { $0.isEmpty ? nil : $0 }
        var valid = true
        for arn in [failure, success].compactMap({ $0 }) {
            let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
            switch parts.count > 2 ? String(parts[2]) : "" {
            case "lambda":
                guard parts.count >= 7, parts[5] == "function", Self.isValidName(String(parts[6])) else {
                    throw Self.invalid("The destination ARN \(arn) is invalid.")
                }
                guard String(parts[4]) == c.account else { continue }
                guard try await repository.function(account: c.account, region: String(parts[3]), name: String(parts[6])) != nil else {
                    throw Self.invalid("The destination ARN \(arn) is invalid.")
                }
                if parts[6] == Substring(function), String(parts[3]) == c.region {
                    throw Self.invalid("You can't specify the function as a destination for itself.")
                }
            case "sqs", "sns", "events":
                continue
            default:
                // S3 buckets (an OnFailure destination on AWS) are not served as destinations by Warden; they are
                // refused the way AWS refuses a service it does not deliver to.
                valid = false
            }
        }
        guard valid else {
            let s = success.map { "OnSuccess(destination=\($0))" } ?? "null"
            let f = failure.map { "OnFailure(destination=\($0))" } ?? "null"
            throw Self.invalid("The provided destination config DestinationConfig(onSuccess=\(s), onFailure=\(f)) is invalid.")
        }
        return (success, failure)
    }

    func storeEventConfig(_ row: FunctionRow, _ qualifier: String, _ doc: EventConfigDoc) async throws {
        let side = FunctionSideRow(account: row.account, region: row.region, function: row.name, name: qualifier,
                                   doc: String(decoding: try JSONEncoder().encode(doc), as: UTF8.self))
        guard try await repository.putSide(.eventConfigs, side, create: false) == .written else { throw Self.functionMissing }
    }

    var nowSeconds: Double { (now().timeIntervalSince1970 * 1000).rounded(.down) / 1000 }

    // MARK: operations

    func putFunctionEventInvokeConfig(_ input: Lambda.PutFunctionEventInvokeConfigRequest,
                                      context c: RequestContext) async throws -> Lambda.FunctionEventInvokeConfig {
        guard input.maximumRetryAttempts != nil || input.maximumEventAgeInSeconds != nil || input.destinationConfig != nil else {
            throw Self.invalid("You must specify at least one of error handling or destination setting.")
        }
        let (name, _) = try Self.qualified(input.functionName, input.qualifier, c)
        return try await locked(name, c, missing: Self.functionMissing) { _, _ in
            let (row, qualifier) = try await configTarget(input.functionName, input.qualifier, c)
            let (success, failure) = try await checkDestinations(input.destinationConfig, function: name, c)
            // Put replaces whatever was set before.
            let doc = EventConfigDoc(maxRetry: input.maximumRetryAttempts, maxAge: input.maximumEventAgeInSeconds,
                                     onSuccess: success, onFailure: failure, lastModified: nowSeconds)
            try await storeEventConfig(row, qualifier, doc)
            return eventConfigShape(c, name, qualifier, doc)
        }
    }

    func updateFunctionEventInvokeConfig(_ input: Lambda.UpdateFunctionEventInvokeConfigRequest,
                                         context c: RequestContext) async throws -> Lambda.FunctionEventInvokeConfig {
        guard input.maximumRetryAttempts != nil || input.maximumEventAgeInSeconds != nil || input.destinationConfig != nil else {
            throw Self.invalid("You must specify at least one of error handling or destination setting.")
        }
        let (name, _) = try Self.qualified(input.functionName, input.qualifier, c)
        return try await locked(name, c, missing: Self.functionMissing) { _, _ in
            let (row, qualifier) = try await configTarget(input.functionName, input.qualifier, c)
            guard var doc = try await eventConfig(account: row.account, region: row.region, function: name, qualifier: qualifier) else {
                throw Self.noEventConfig(c, name, qualifier)
            }
            // Update changes only what it names; a DestinationConfig replaces both destinations.
            if let d = input.destinationConfig {
                (doc.onSuccess, doc.onFailure) = try await checkDestinations(d, function: name, c)
            }
            if let v = input.maximumRetryAttempts { doc.maxRetry = v }
            if let v = input.maximumEventAgeInSeconds { doc.maxAge = v }
            doc.lastModified = nowSeconds
            try await storeEventConfig(row, qualifier, doc)
            return eventConfigShape(c, name, qualifier, doc)
        }
    }

    func getFunctionEventInvokeConfig(_ input: Lambda.GetFunctionEventInvokeConfigRequest,
                                      context c: RequestContext) async throws -> Lambda.FunctionEventInvokeConfig {
        let (name, qualifier) = try Self.qualified(input.functionName, input.qualifier, c)
        let q = qualifier ?? "$LATEST"
        guard let doc = try await eventConfig(account: c.account, region: c.region, function: name, qualifier: q) else {
            throw Self.noEventConfig(c, name, q)
        }
        return eventConfigShape(c, name, q, doc)
    }

    func deleteFunctionEventInvokeConfig(_ input: Lambda.DeleteFunctionEventInvokeConfigRequest, context c: RequestContext) async throws -> EmptyShape {
        let (name, qualifier) = try Self.qualified(input.functionName, input.qualifier, c)
        let q = qualifier ?? "$LATEST"
        guard try await repository.deleteSide(.eventConfigs, account: c.account, region: c.region, function: name, name: q) else {
            throw Self.noEventConfig(c, name, q)
        }
        return EmptyShape()
    }

    func listFunctionEventInvokeConfigs(_ input: Lambda.ListFunctionEventInvokeConfigsRequest,
                                        context c: RequestContext) async throws -> Lambda.ListFunctionEventInvokeConfigsResponse {
        let limit = input.maxItems ?? 50
        var after: String?
        if let marker = input.marker {
            guard let raw = Data(base64Encoded: marker), let q = String(data: raw, encoding: .utf8) else { throw Self.invalid("Invalid marker") }
            after = q
        }
        let name = try Self.name(input.functionName, c)
        guard try await repository.function(account: c.account, region: c.region, name: name) != nil else { throw Self.functionMissing }
        // Qualifiers in byte order ($LATEST, versions, aliases), as the store lists them.
        let all = try await repository.sides(.eventConfigs, account: c.account, region: c.region, function: name).filter { side in
            after.map { Array($0.utf8).lexicographicallyPrecedes(Array(side.name.utf8)) } ?? true
        }
        let page = all.prefix(limit)
        var out: [Lambda.FunctionEventInvokeConfig] = []
        for side in page {
            out.append(eventConfigShape(c, name, side.name, try JSONDecoder().decode(EventConfigDoc.self, from: Data(side.doc.utf8))))
        }
        return Lambda.ListFunctionEventInvokeConfigsResponse(
            functionEventInvokeConfigs: out, nextMarker: all.count > limit ? page.last.map { Data($0.name.utf8).base64EncodedString() } : nil)
    }
}
