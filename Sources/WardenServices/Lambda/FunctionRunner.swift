// What the Lambda service needs from whoever runs function code (the server layer: local processes speaking the
// Lambda Runtime API).
import Foundation

/// Everything a run of a function needs.
public struct FunctionSpec: Sendable {
    public var arn: String
    public var name: String
    public var account: String
    public var region: String
    public var runtime: String
    public var handler: String
    /// The unpacked code.
    public var codeDirectory: URL
    public var timeoutSeconds: Int
    public var memoryMB: Int
    public var environment: [String: String]
    /// Changes whenever code or configuration does: warm processes of another revision are not reused.
    public var revision: String
    /// "$LATEST" or the published version that runs (AWS_LAMBDA_FUNCTION_VERSION); `arn` is then the version's ARN,
    /// so each version has processes of its own.
    public var version: String = "$LATEST"
    /// The ARN the caller invoked when it named a version or alias (the context's invoked_function_arn); nil: `arn`.
    public var invokedArn: String? = nil
}

public struct FunctionCredentials: Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public init(accessKeyId: String, secretAccessKey: String) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
    }
}

/// The outcome of one invocation. `functionError` is "Unhandled" when the handler raised, timed out or its process
/// died; the payload is then Lambda's error document.
public struct FunctionResult: Sendable {
    public var payload: [UInt8]
    public var functionError: String?
    /// The invocation's log lines (START … END, REPORT), for LogType Tail and the function's log.
    public var log: [UInt8]
    /// The execution environment that ran it (its log stream), empty when none did.
    public var instance: String
    public init(payload: [UInt8], functionError: String?, log: [UInt8], instance: String = "") {
        self.payload = payload
        self.functionError = functionError
        self.log = log
        self.instance = instance
    }
}

public protocol FunctionRunner: Sendable {
    /// Runs one invocation on a warm process of the function (starting one if none is free and the function is
    /// below its concurrency); throws `TooManyRequestsException` when it is at its concurrency.
    func invoke(_ spec: FunctionSpec, payload: [UInt8], requestId: String, credentials: FunctionCredentials,
                endpoint: String) async throws -> FunctionResult
    /// Stops the function's processes (its code or configuration changed, or it was deleted).
    func retire(functionArn: String) async
}
