// A typed AWS error: the code a client sees, its HTTP status and who is at fault.

/// An error the way AWS reports it. Codecs render it per protocol; services only throw it.
public struct AWSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The error shape name as JSON protocols send it in `__type` (e.g. `InvalidCiphertextException`).
    public var code: String
    /// The code Query protocols send in `<Code>` (the model's `error.code`), when it differs from `code`.
    public var queryCode: String?
    public var status: Int
    public var senderFault: Bool
    public var message: String
    /// The message over the Query protocol, where the service words it differently there (SQS's missing queue).
    public var queryMessage: String?

    public init(code: String, queryCode: String? = nil, status: Int = 400, senderFault: Bool = true, message: String,
                queryMessage: String? = nil) {
        self.code = code
        self.queryCode = queryCode
        self.queryMessage = queryMessage
        self.status = status
        self.senderFault = senderFault
        self.message = message
    }

    public var description: String { "\(code) (\(status)): \(message)" }

    /// The catch-all for bugs: never part of normal operation, always logged with the request id.
    public static func internalFailure(_ message: String = "An internal error occurred.") -> AWSError {
        AWSError(code: "InternalFailure", status: 500, senderFault: false, message: message)
    }
}
