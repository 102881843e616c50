// AES Key Wrap with Padding (RFC 5649), the second layer of KMS's RSA_AES_KEY_WRAP import algorithms.
import Crypto
import _CryptoExtras

enum KeyWrap {
    static let kwpPrefix: [UInt8] = [0xA6, 0x59, 0x59, 0xA6]

    /// Unwraps RFC 5649 output; nil when the integrity check fails.
    static func unwrapWithPadding(_ wrapped: [UInt8], kek: SymmetricKey) -> [UInt8]? {
        guard wrapped.count >= 16, wrapped.count % 8 == 0 else { return nil }
        var a: [UInt8]
        var r: [[UInt8]]
        do {
            if wrapped.count == 16 {
                var block = wrapped
                try AES.inversePermute(&block, key: kek)
                a = Array(block[0..<8])
                r = [Array(block[8..<16])]
            } else {
                a = Array(wrapped[0..<8])
                r = stride(from: 8, to: wrapped.count, by: 8).map { Array(wrapped[$0..<($0 + 8)]) }
                let n = r.count
                for j in stride(from: 5, through: 0, by: -1) {
                    for i in stride(from: n, through: 1, by: -1) {
                        let t = UInt64(n * j + i)
                        var block = a
                        for k in 0..<8 { block[7 - k] ^= UInt8(truncatingIfNeeded: t >> (8 * UInt64(k))) }
                        block += r[i - 1]
                        try AES.inversePermute(&block, key: kek)
                        a = Array(block[0..<8])
                        r[i - 1] = Array(block[8..<16])
                    }
                }
            }
        } catch {
            return nil
        }
        guard Array(a[0..<4]) == kwpPrefix else { return nil }
        let mli = Int(a[4]) << 24 | Int(a[5]) << 16 | Int(a[6]) << 8 | Int(a[7])
        let padded = r.flatMap { $0 }
        guard mli > padded.count - 8, mli <= padded.count else { return nil }
        guard padded[mli...].allSatisfy({ $0 == 0 }) else { return nil }
        return Array(padded[..<mli])
    }
}
