// Standard base64 (with padding) written straight into a byte buffer: blobs in JSON responses.

public enum Base64Bytes {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8], into out: inout [UInt8]) {
        out.reserveCapacity(out.count + (bytes.count + 2) / 3 * 4)
        alphabet.withUnsafeBufferPointer { a in
            bytes.withUnsafeBufferPointer { b in
                var i = 0
                while i + 3 <= b.count {
                    let n = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
                    out.append(a[Int(n >> 18)])
                    out.append(a[Int(n >> 12 & 63)])
                    out.append(a[Int(n >> 6 & 63)])
                    out.append(a[Int(n & 63)])
                    i += 3
                }
                let rest = b.count - i
                if rest == 1 {
                    let n = UInt32(b[i]) << 16
                    out.append(a[Int(n >> 18)])
                    out.append(a[Int(n >> 12 & 63)])
                    out.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")])
                } else if rest == 2 {
                    let n = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8
                    out.append(a[Int(n >> 18)])
                    out.append(a[Int(n >> 12 & 63)])
                    out.append(a[Int(n >> 6 & 63)])
                    out.append(UInt8(ascii: "="))
                }
            }
        }
    }
}
