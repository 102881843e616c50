// A swift-log handler writing one logfmt line per event to stderr: cheap enough to run on every request.
import Foundation
import Logging
import Synchronization
import WardenCore

public struct LogfmtLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    static let lock = Mutex(())

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
        var out = Timestamps.iso8601(Date())
        out += " level=" + level.rawValue
        out += " msg="
        Self.append(message.description, to: &out)
        for (k, v) in metadata where explicit?[k] == nil { Self.pair(k, v, to: &out) }
        if let explicit { for (k, v) in explicit.sorted(by: { $0.key < $1.key }) { Self.pair(k, v, to: &out) } }
        out += "\n"
        Self.lock.withLock { _ in FileHandle.standardError.write(Data(out.utf8)) }
    }

    static func pair(_ key: String, _ value: Logger.Metadata.Value, to out: inout String) {
        out += " " + key + "="
        append(value.description, to: &out)
    }

    /// Quotes values with spaces, quotes or `=` so a line stays machine-readable.
    static func append(_ s: String, to out: inout String) {
        if !s.isEmpty, !s.utf8.contains(where: { $0 == 0x20 || $0 == 0x22 || $0 == 0x3D || $0 < 0x20 }) {
            out += s
            return
        }
        out += "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        out += "\""
    }
}
