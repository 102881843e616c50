// Reading function code zips: the central directory, stored and deflated entries, CRC checks, and paths that may
// not leave the directory they are unpacked into.
import COpenSSLShim
import Foundation

struct ZipArchive {
    struct Entry {
        var path: String
        var data: [UInt8]
        /// Unix permission bits from the entry's external attributes (0 when the zip did not record them).
        var mode: UInt32
        var isDirectory: Bool { path.hasSuffix("/") }
    }

    struct Invalid: Error { var reason: String }

    /// Unzipped functions may hold at most 250 MB, as Lambda's quota.
    static let maxUnzipped = 262_144_000

    static func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
    static func u32(_ b: [UInt8], _ at: Int) -> Int { u16(b, at) | u16(b, at + 2) << 16 }

    /// Every entry of a zip, or `Invalid` for anything that is not a well-formed zip Warden can unpack safely.
    static func entries(_ zip: [UInt8]) throws(Invalid) -> [Entry] {
        guard zip.count >= 22 else { throw Invalid(reason: "too short to be a zip") }
        // End of central directory: the last PK\x05\x06 within the final 64 KiB + 22 bytes.
        var eocd = -1
        var i = zip.count - 22
        let floor = max(0, zip.count - 22 - 65_535)
        while i >= floor {
            if zip[i] == 0x50, zip[i + 1] == 0x4B, zip[i + 2] == 0x05, zip[i + 3] == 0x06 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw Invalid(reason: "no end of central directory") }
        let count = u16(zip, eocd + 10)
        let dirSize = u32(zip, eocd + 12)
        var at = u32(zip, eocd + 16)
        guard count != 0xFFFF, at != 0xFFFF_FFFF, at + dirSize <= eocd else { throw Invalid(reason: "zip64 or a damaged directory") }
        var out: [Entry] = []
        var total = 0
        for _ in 0..<count {
            guard at + 46 <= zip.count, u32(zip, at) == 0x0201_4B50 else { throw Invalid(reason: "damaged central directory") }
            let method = u16(zip, at + 10)
            let crc = UInt32(u32(zip, at + 16))
            let compressed = u32(zip, at + 20)
            let size = u32(zip, at + 24)
            let nameLength = u16(zip, at + 28), extraLength = u16(zip, at + 30), commentLength = u16(zip, at + 32)
            let external = UInt32(u32(zip, at + 38))
            let local = u32(zip, at + 42)
            guard at + 46 + nameLength <= zip.count, let path = String(bytes: zip[(at + 46)..<(at + 46 + nameLength)], encoding: .utf8) else {
                throw Invalid(reason: "an entry name is not UTF-8")
            }
            at += 46 + nameLength + extraLength + commentLength
            try checkPath(path)
            guard local + 30 <= zip.count, u32(zip, local) == 0x0403_4B50 else { throw Invalid(reason: "damaged local header of \(path)") }
            let start = local + 30 + u16(zip, local + 26) + u16(zip, local + 28)
            guard start + compressed <= zip.count else { throw Invalid(reason: "\(path) runs past the end") }
            total += size
            guard total <= maxUnzipped else { throw Invalid(reason: "unzipped size over 250 MB") }
            let raw = Array(zip[start..<(start + compressed)])
            let data: [UInt8]
            switch method {
            case 0: data = raw
            case 8:
                var outPtr: UnsafeMutablePointer<UInt8>?
                var outLen = 0
                guard raw.withUnsafeBufferPointer({ warden_inflate_raw($0.baseAddress, $0.count, size, &outPtr, &outLen) }) == 1,
                      let outPtr else { throw Invalid(reason: "\(path) does not inflate") }
                data = Array(UnsafeBufferPointer(start: outPtr, count: outLen))
                free(outPtr)
            default:
                throw Invalid(reason: "\(path) uses compression method \(method)")
            }
            guard data.count == size, data.withUnsafeBufferPointer({ warden_crc32($0.baseAddress, $0.count) }) == crc else {
                throw Invalid(reason: "\(path) fails its CRC check")
            }
            out.append(Entry(path: path, data: data, mode: (external >> 16) & 0o777))
        }
        return out
    }

    /// Relative, without `..`, backslashes or NUL: an entry may not escape the directory it is unpacked into.
    static func checkPath(_ path: String) throws(Invalid) {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\\"), !path.contains("\0"),
              !path.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." }) else {
            throw Invalid(reason: "entry \(path) would escape the function's directory")
        }
    }

    /// Unpacks into `dir` (created); file modes kept, `bootstrap` always executable.
    static func unpack(_ entries: [Entry], into dir: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        for e in entries {
            let target = dir.appendingPathComponent(e.path)
            if e.isDirectory {
                try fm.createDirectory(at: target, withIntermediateDirectories: true)
                continue
            }
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(e.data).write(to: target)
            var mode = e.mode == 0 ? 0o644 : e.mode
            if e.path == "bootstrap" { mode |= 0o755 }
            try fm.setAttributes([.posixPermissions: NSNumber(value: mode)], ofItemAtPath: target.path)
        }
    }
}
