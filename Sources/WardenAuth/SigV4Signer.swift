// Signing outgoing requests (trail delivery to an external S3 endpoint) with the same canonicalization the verifier uses.
import Foundation

public enum SigV4Signer {
    /// The headers to add to a request: `x-amz-date`, `x-amz-content-sha256` and `Authorization`. `path` and `query`
    /// are as they will go on the wire (already percent-encoded); `headers` must include `host`.
    public static func sign(method: String, path: String, query: String = "", headers: [(name: String, value: String)],
                            body: [UInt8], accessKeyId: String, secretAccessKey: String, region: String, service: String,
                            now: Date = Date()) -> [(name: String, value: String)] {
        let amzDate = AmzDate.format(now)
        let payloadHash = SigV4Canonical.sha256Hex(body)
        var all = headers.map { (name: $0.name.lowercased(), value: $0.value) }
        all.append(("x-amz-date", amzDate))
        all.append(("x-amz-content-sha256", payloadHash))
        let signed = Array(Set(all.map(\.name))).sorted()
        let request = SigV4Request(method: method, rawPath: path, rawQuery: query, headers: all, bodySHA256: payloadHash,
                                   isS3: service == "s3")
        let scope = SigV4Scope(accessKeyId: accessKeyId, date: String(amzDate.prefix(8)), region: region, service: service)
        // Every signed header is present by construction, so the canonical request always exists.
        let canonical = SigV4Canonical.canonicalRequest(request, signedHeaders: signed, payloadHash: payloadHash, presigned: false) ?? ""
        let toSign = SigV4Canonical.stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical)
        let signature = SigV4Canonical.signature(key: SigV4Canonical.signingKey(secret: secretAccessKey, scope: scope), stringToSign: toSign)
        let authorization = "AWS4-HMAC-SHA256 Credential=\(accessKeyId)/\(scope.date)/\(region)/\(service)/aws4_request, "
            + "SignedHeaders=\(signed.joined(separator: ";")), Signature=\(signature)"
        return [("x-amz-date", amzDate), ("x-amz-content-sha256", payloadHash), ("Authorization", authorization)]
    }
}
