// A swift-log handler writing one logfmt line per event to stderr: cheap enough to run on every request.
import Foundation
import Logging
import WardenCore
#if canImport(Glibc)
import Glibc
#endif

public struct LogfmtLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
                    file: String, function: String, line: UInt) {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: Timestamps.iso8601(Date()).utf8)
        out.append(contentsOf: " level=".utf8)
        out.append(contentsOf: level.rawValue.utf8)
        out.append(contentsOf: " msg=".utf8)
        Self.append(message.description, to: &out)
        for (k, v) in metadata where explicit?[k] == nil { Self.pair(k, v, to: &out) }
        if let explicit { for (k, v) in explicit.sorted(by: { $0.key < $1.key }) { Self.pair(k, v, to: &out) } }
        out.append(0x0A)
        // One write(2) per line: lines from concurrent requests never interleave (O_APPEND-sized writes).
        out.withUnsafeBytes { buf in
            guard let base = buf.baseAddress else { return }
            var offset = 0
            while offset < buf.count {
                let n = write(2, base + offset, buf.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }

    static func pair(_ key: String, _ value: Logger.Metadata.Value, to out: inout [UInt8]) {
        out.append(0x20)
        out.append(contentsOf: key.utf8)
        out.append(0x3D)
        switch value {
        case .string(let s): append(s, to: &out)
        case .stringConvertible(let c): append(c.description, to: &out)
        default: append(value.description, to: &out)
        }
    }

    /// Quotes values with spaces, quotes or `=` so a line stays machine-readable.
    static func append(_ s: String, to out: inout [UInt8]) {
        if !s.isEmpty, !s.utf8.contains(where: { $0 <= 0x20 || $0 == 0x22 || $0 == 0x3D || $0 == 0x5C }) {
            out.append(contentsOf: s.utf8)
            return
        }
        out.append(0x22)
        for b in s.utf8 {
            switch b {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            default: out.append(b)
            }
        }
        out.append(0x22)
    }
}
