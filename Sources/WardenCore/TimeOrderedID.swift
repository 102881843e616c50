// Request and event ids: RFC 9562 UUIDv7 (time-ordered), so the audit log's indexes grow at one end.
import Foundation

public enum TimeOrderedID {
    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// A lowercase UUIDv7 string: 48 bits of Unix milliseconds, then random bits.
    public static func make(now: Date = Date()) -> String {
        var rng = SystemRandomNumberGenerator()
        let ms = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let r1 = rng.next() as UInt64
        let r2 = rng.next() as UInt64
        var b = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { b[i] = UInt8(truncatingIfNeeded: ms >> (40 - 8 * UInt64(i))) }
        b[6] = 0x70 | UInt8(truncatingIfNeeded: r1 & 0x0F)
        b[7] = UInt8(truncatingIfNeeded: r1 >> 8)
        b[8] = 0x80 | UInt8(truncatingIfNeeded: (r1 >> 16) & 0x3F)
        for i in 9..<16 { b[i] = UInt8(truncatingIfNeeded: r2 >> (8 * UInt64(i - 9))) }
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, byte) in b.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
