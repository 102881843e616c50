// IPv4 and IPv6 addresses and CIDR blocks for IpAddress / NotIpAddress, parsed without Foundation or sockets.

/// An address with a routing prefix; a bare address is a /32 (IPv4) or /128 (IPv6) block, as IAM documents.
struct IPNetwork: Sendable, Equatable {
    /// 4 bytes for IPv4, 16 for IPv6.
    let bytes: [UInt8]
    let prefix: Int

    init?(_ text: String) {
        var addressText = Substring(text)
        var prefix: Int?
        if let slash = text.firstIndex(of: "/") {
            addressText = text[..<slash]
            let digits = text[text.index(after: slash)...]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy(\.isASCIIDigit), let n = Int(digits) else {
                return nil
            }
            prefix = n
        }
        guard let bytes = Self.parseAddress(addressText) else { return nil }
        let bits = bytes.count * 8
        if let p = prefix, p > bits { return nil }
        self.bytes = bytes
        self.prefix = prefix ?? bits
    }

    /// Whether `address` (an IP, or a block whose address part is used) lies in this block. IPv4 and IPv6 never
    /// match each other.
    func contains(_ other: IPNetwork) -> Bool {
        guard other.bytes.count == bytes.count else { return false }
        var remaining = prefix
        var i = 0
        while remaining > 0 {
            let take = min(8, remaining)
            let mask: UInt8 = take == 8 ? 0xFF : ~(0xFF >> UInt8(take))
            if bytes[i] & mask != other.bytes[i] & mask { return false }
            remaining -= take
            i += 1
        }
        return true
    }

    private static func parseAddress(_ s: Substring) -> [UInt8]? {
        s.contains(":") ? parseIPv6(s) : parseIPv4(s)
    }

    private static func parseIPv4(_ s: Substring) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCIIDigit), let v = Int(p), v <= 255 else { return nil }
            out.append(UInt8(v))
        }
        return out
    }

    private static func parseIPv6(_ s: Substring) -> [UInt8]? {
        // Split around "::" (at most one), then read 16-bit groups; an IPv4 tail takes two groups.
        let halves = s.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        func groups(_ text: String, allowIPv4Tail: Bool) -> [UInt16]? {
            if text.isEmpty { return [] }
            var out: [UInt16] = []
            let items = text.split(separator: ":", omittingEmptySubsequences: false)
            for (k, item) in items.enumerated() {
                if allowIPv4Tail, k == items.count - 1, item.contains(".") {
                    guard let v4 = parseIPv4(item) else { return nil }
                    out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                    continue
                }
                guard !item.isEmpty, item.count <= 4, let v = UInt16(item, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        let head: [UInt16]
        let tail: [UInt16]
        if halves.count == 2 {
            guard let h = groups(halves[0], allowIPv4Tail: false), let t = groups(halves[1], allowIPv4Tail: true),
                  h.count + t.count <= 7 else { return nil }
            head = h
            tail = t
        } else {
            guard let all = groups(halves[0], allowIPv4Tail: true), all.count == 8 else { return nil }
            head = all
            tail = []
        }
        let words = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        return words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}

extension Character {
    var isASCIIDigit: Bool { asciiValue.map { $0 >= 48 && $0 <= 57 } ?? false }
}
