// AWS's codes, statuses and messages for authentication failures, per protocol family (SIGV4.md §5).
import WardenCore

public enum ProtocolFamily: Sendable { case json, query, s3 }

extension AuthFailure {
    static let mismatchMessage = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    static let invalidTokenMessage = "The security token included in the request is invalid."

    /// The error a client of `family` sees for this failure.
    public func awsError(for family: ProtocolFamily) -> AWSError {
        switch (self, family) {
        case (.missingAuthentication, .json):
            return AWSError(code: "MissingAuthenticationTokenException", status: 400, message: "Missing Authentication Token")
        case (.missingAuthentication, .query):
            return AWSError(code: "MissingAuthenticationToken", status: 403, message: "Request is missing Authentication Token")
        case (.missingAuthentication, .s3):
            return AWSError(code: "AccessDenied", status: 403, message: "Access Denied")
        case (.incompleteSignature(let m), .json):
            return AWSError(code: "IncompleteSignatureException", status: 400, message: m)
        case (.incompleteSignature(let m), .query):
            return AWSError(code: "IncompleteSignature", status: 400, message: m)
        case (.incompleteSignature(let m), .s3):
            return AWSError(code: "AuthorizationHeaderMalformed", status: 400, message: m)
        case (.unknownAccessKey, .json):
            return AWSError(code: "UnrecognizedClientException", status: 400, message: Self.invalidTokenMessage)
        case (.unknownAccessKey, .query):
            return AWSError(code: "InvalidClientTokenId", status: 403, message: Self.invalidTokenMessage)
        case (.unknownAccessKey, .s3):
            return AWSError(code: "InvalidAccessKeyId", status: 403, message: "The AWS Access Key Id you provided does not exist in our records.")
        case (.signatureMismatch(let detail), .json):
            return AWSError(code: "InvalidSignatureException", status: 400, message: detail ?? Self.mismatchMessage)
        case (.signatureMismatch(let detail), .query):
            return AWSError(code: "SignatureDoesNotMatch", status: 403, message: detail ?? Self.mismatchMessage)
        case (.signatureMismatch(let detail), .s3):
            return AWSError(code: "SignatureDoesNotMatch", status: 403,
                            message: detail ?? "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
        case (.clockSkew(let m), .json):
            return AWSError(code: "InvalidSignatureException", status: 400, message: m)
        case (.clockSkew(let m), .query):
            return AWSError(code: "SignatureDoesNotMatch", status: 403, message: m)
        case (.clockSkew, .s3):
            return AWSError(code: "RequestTimeTooSkewed", status: 403,
                            message: "The difference between the request time and the current time is too large.")
        case (.expired(let m), .json):
            return AWSError(code: "InvalidSignatureException", status: 400, message: m)
        case (.expired(let m), .query):
            return AWSError(code: "SignatureDoesNotMatch", status: 403, message: m)
        case (.expired, .s3):
            return AWSError(code: "AccessDenied", status: 403, message: "Request has expired")
        case (.expiredToken, .json):
            return AWSError(code: "ExpiredTokenException", status: 400, message: "The security token included in the request is expired")
        case (.expiredToken, .query):
            return AWSError(code: "ExpiredToken", status: 403, message: "The security token included in the request is expired")
        case (.expiredToken, .s3):
            return AWSError(code: "ExpiredToken", status: 400, message: "The provided token has expired.")
        case (.invalidToken, .json):
            return AWSError(code: "UnrecognizedClientException", status: 400, message: Self.invalidTokenMessage)
        case (.invalidToken, .query):
            return AWSError(code: "InvalidClientTokenId", status: 403, message: Self.invalidTokenMessage)
        case (.unavailable, .json), (.unavailable, .query):
            return AWSError(code: "InternalFailure", status: 500, senderFault: false,
                            message: "The request could not be authenticated because of an internal error.")
        case (.unavailable, .s3):
            return AWSError(code: "InternalError", status: 500, senderFault: false,
                            message: "We encountered an internal error. Please try again.")
        case (.invalidToken, .s3):
            return AWSError(code: "InvalidToken", status: 400, message: "The provided token is malformed or otherwise invalid.")
        }
    }
}
