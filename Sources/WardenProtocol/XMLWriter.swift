// Minimal XML output: escaped text, nested elements.

public struct XMLWriter {
    /// Timestamps with milliseconds (most Query services) or in whole seconds (STS and IAM, as they answer).
    public var fractionalTimestamps = true
    public private(set) var bytes: [UInt8] = []

    public init(declaration: Bool = false) {
        bytes.reserveCapacity(512)
        if declaration { bytes.append(contentsOf: #"<?xml version="1.0" encoding="UTF-8"?>"#.utf8) }
    }

    public mutating func open(_ name: String, xmlns: String? = nil) {
        bytes.append(UInt8(ascii: "<"))
        bytes.append(contentsOf: name.utf8)
        if let xmlns {
            bytes.append(contentsOf: #" xmlns=""#.utf8)
            escape(xmlns)
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: ">"))
    }

    public mutating func close(_ name: String) {
        bytes.append(contentsOf: "</".utf8)
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: ">"))
    }

    /// `<name/>`.
    public mutating func empty(_ name: String) {
        bytes.append(UInt8(ascii: "<"))
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: "/>".utf8)
    }

    public mutating func element(_ name: String, _ text: String) {
        open(name)
        escape(text)
        close(name)
    }

    public mutating func escape(_ text: String) {
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "&"): bytes.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): bytes.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): bytes.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): bytes.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): bytes.append(contentsOf: "&apos;".utf8)
            case 0x09, 0x0A, 0x0D: bytes.append(contentsOf: "&#x\(String(b, radix: 16, uppercase: true));".utf8)
            case 0..<0x20: bytes.append(contentsOf: "&#x\(String(b, radix: 16, uppercase: true));".utf8)
            default: bytes.append(b)
            }
        }
    }
}
