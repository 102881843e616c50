// Canonical request, string to sign and signing key (SIGV4.md §2–3).
import Crypto
import Foundation
import WardenCore

public enum SigV4Canonical {
    static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)

    public static func hex(_ bytes: some Sequence<UInt8>) -> String { Hex.encode(bytes) }

    public static func sha256Hex(_ bytes: some DataProtocol) -> String { hex(SHA256.hash(data: bytes)) }

    static func isUnreserved(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
            || c == 0x2D || c == 0x5F || c == 0x2E || c == 0x7E
    }

    /// RFC 3986 encoding: unreserved characters stay, everything else is `%XX` (uppercase); `/` stays if asked.
    public static func uriEncode(_ s: some StringProtocol, keepSlash: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for c in s.utf8 {
            if isUnreserved(c) || (keepSlash && c == 0x2F) {
                out.append(c)
            } else {
                out.append(0x25)
                out.append(upperHex[Int(c >> 4)])
                out.append(upperHex[Int(c & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Non-S3: remove dot segments and empty segments, then encode the still-encoded path again.
    public static func canonicalURI(_ rawPath: String, isS3: Bool) -> String {
        if isS3 { return rawPath.isEmpty ? "/" : rawPath }
        var segments: [Substring] = []
        for seg in rawPath.split(separator: "/", omittingEmptySubsequences: true) {
            if seg == "." { continue }
            if seg == ".." { _ = segments.popLast(); continue }
            segments.append(seg)
        }
        var path = "/" + segments.joined(separator: "/")
        if rawPath.hasSuffix("/"), !segments.isEmpty { path += "/" }
        return uriEncode(path, keepSlash: true)
    }

    public static func canonicalQuery(_ rawQuery: String, excludeSignature: Bool) -> String {
        var pairs: [(String, String)] = []
        for pair in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = PercentEncoding.decodeLenient(kv[0])
            if excludeSignature && key == "X-Amz-Signature" { continue }
            let value = kv.count > 1 ? PercentEncoding.decodeLenient(kv[1]) : ""
            pairs.append((uriEncode(key), uriEncode(value)))
        }
        pairs.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Trims and collapses inner whitespace runs to one space.
    static func normalizeHeaderValue(_ v: String) -> String {
        // Fast path: nothing to trim or collapse (the common case).
        var previousSpace = true
        var clean = true
        for b in v.utf8 {
            let space = b == 0x20 || b == 0x09
            if (space && previousSpace) || b == 0x09 { clean = false; break }
            previousSpace = space
        }
        if clean && !previousSpace { return v }
        var out = ""
        out.reserveCapacity(v.utf8.count)
        var pendingSpace = false
        for ch in v.unicodeScalars {
            if ch == " " || ch == "\t" {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" "); pendingSpace = false }
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Returns nil when a signed header is missing from the request.
    public static func canonicalHeaders(_ request: SigV4Request, signed: [String]) -> String? {
        var out = ""
        out.reserveCapacity(256)
        for name in signed {
            var found = false
            for h in request.headers where h.name == name {
                out += found ? "," : name + ":"
                out += normalizeHeaderValue(h.value)
                found = true
            }
            if !found { return nil }
            out += "\n"
        }
        return out
    }

    public static func canonicalRequest(_ request: SigV4Request, signedHeaders: [String], payloadHash: String,
                                        presigned: Bool) -> String? {
        guard let headers = canonicalHeaders(request, signed: signedHeaders) else { return nil }
        return [
            request.method,
            canonicalURI(request.rawPath, isS3: request.isS3),
            canonicalQuery(request.rawQuery, excludeSignature: presigned),
            headers,
            signedHeaders.joined(separator: ";"),
            payloadHash,
        ].joined(separator: "\n")
    }

    public static func stringToSign(amzDate: String, scope: SigV4Scope, canonicalRequest: String) -> String {
        "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope.date)/\(scope.region)/\(scope.service)/aws4_request\n"
            + sha256Hex(Array(canonicalRequest.utf8))
    }

    public static func signingKey(secret: String, scope: SigV4Scope) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ msg: String) -> SymmetricKey {
            SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(msg.utf8), using: key))
        }
        let kDate = hmac(SymmetricKey(data: Array(("AWS4" + secret).utf8)), scope.date)
        return hmac(hmac(hmac(kDate, scope.region), scope.service), "aws4_request")
    }

    public static func signature(key: SymmetricKey, stringToSign: String) -> String {
        hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    /// Constant-time equality of two ASCII strings.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<min(x.count, y.count) { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
