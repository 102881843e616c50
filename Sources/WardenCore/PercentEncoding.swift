// Percent-decoding shared by form parsing (strict) and SigV4 canonicalization (lenient).

public enum PercentEncoding {
    public static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// Form decoding (`application/x-www-form-urlencoded`): `+` is a space; nil on a malformed escape or invalid UTF-8.
    public static func decodeForm(_ bytes: ArraySlice<UInt8>) -> String? { decode(bytes, plusIsSpace: true) }

    /// A URI path: like form decoding, but `+` stays `+` (S3 object keys).
    public static func decodePath(_ s: String) -> String? { decode(ArraySlice(s.utf8), plusIsSpace: false) }

    static func decode(_ bytes: ArraySlice<UInt8>, plusIsSpace: Bool) -> String? {
        // Fast path: most names and values need no decoding.
        if !bytes.contains(where: { $0 == 0x25 || (plusIsSpace && $0 == 0x2B) }) { return String(validating: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if c == 0x2B && plusIsSpace {
                out.append(0x20)
            } else if c == 0x25 {
                guard i + 2 < bytes.endIndex, let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) else { return nil }
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(c)
            }
            i += 1
        }
        return String(validating: out, as: UTF8.self)
    }

    /// SigV4's reading of a query component: malformed escapes stay as they are and `+` is not a space.
    public static func decodeLenient(_ s: Substring) -> String {
        guard s.utf8.contains(0x25) else { return String(s) }
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x25, i + 2 < bytes.count, let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
