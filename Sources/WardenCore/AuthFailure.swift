// Why a request could not be authenticated; each protocol renders it with AWS's own code and status.

public enum AuthFailure: Error, Sendable, Equatable {
    /// No Authorization header and no presigned query parameters.
    case missingAuthentication
    /// The Authorization header or presigned parameters are malformed; the message says what is missing.
    case incompleteSignature(String)
    /// The access key id is not known.
    case unknownAccessKey
    /// The computed signature differs (also: scope date mismatch, missing signed header).
    case signatureMismatch(String?)
    /// X-Amz-Date is more than 15 minutes away from now.
    case clockSkew(String)
    /// A presigned URL used after X-Amz-Date + X-Amz-Expires.
    case expired(String)
    case expiredToken
    case invalidToken
    /// The credential store could not be read: a server fault, not the caller's.
    case unavailable
}
