// A minimal SMTP client (RFC 5321, plain TCP, optional AUTH PLAIN) for SNS email subscriptions: one message per
// connection, blocking socket I/O on a background thread.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where SNS sends mail: `smtp://[user:password@]host:port`, and the sender address.
public struct SMTPSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String?
    public var password: String?
    public var from: String

    public init?(url: String, from: String) {
        guard let u = URL(string: url), u.scheme == "smtp", let host = u.host else { return nil }
        self.host = host
        self.port = u.port ?? 25
        self.user = u.user
        self.password = u.password
        self.from = from
    }
}

struct SMTPError: Error, CustomStringConvertible {
    let description: String
}

enum SMTPClient {
    static func send(_ s: SMTPSettings, to: String, subject: String, body: String) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread {
                do {
                    try sendBlocking(s, to: to, subject: subject, body: body)
                    c.resume()
                } catch {
                    c.resume(throwing: error)
                }
            }
        }
    }

    static func sendBlocking(_ s: SMTPSettings, to: String, subject: String, body: String) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(s.host, String(s.port), &hints, &res) == 0, let info = res else {
            throw SMTPError(description: "cannot resolve \(s.host)")
        }
        defer { freeaddrinfo(res) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { throw SMTPError(description: "socket failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            throw SMTPError(description: "cannot connect to \(s.host):\(s.port)")
        }
        var buffer: [UInt8] = []
        func reply(_ expect: Int) throws {
            // Reads one (possibly multi-line) reply and checks its code.
            while true {
                if let nl = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[..<nl], as: UTF8.self)
                    buffer.removeSubrange(...nl)
                    let chars = Array(line)
                    if chars.count >= 4 && chars[3] == "-" { continue }
                    guard let code = Int(String(chars.prefix(3))), code / 100 == expect / 100 else {
                        throw SMTPError(description: "SMTP: \(line)")
                    }
                    return
                }
                var chunk = [UInt8](repeating: 0, count: 1024)
                let n = read(fd, &chunk, chunk.count)
                guard n > 0 else { throw SMTPError(description: "SMTP connection closed") }
                buffer += chunk.prefix(n)
            }
        }
        func send(_ text: String) throws {
            let bytes = Array(text.utf8)
            var off = 0
            while off < bytes.count {
                let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                guard n > 0 else { throw SMTPError(description: "SMTP write failed") }
                off += n
            }
        }
        try reply(220)
        try send("EHLO warden\r\n")
        try reply(250)
        if let user = s.user, let password = s.password {
            let token = Data("\u{0}\(user)\u{0}\(password)".utf8).base64EncodedString()
            try send("AUTH PLAIN \(token)\r\n")
            try reply(235)
        }
        try send("MAIL FROM:<\(s.from)>\r\n")
        try reply(250)
        try send("RCPT TO:<\(to)>\r\n")
        try reply(250)
        try send("DATA\r\n")
        try reply(354)
        let date = DateFormatter()
        date.locale = Locale(identifier: "en_US_POSIX")
        date.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        var safeSubject = subject.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        // Non-ASCII subjects go as RFC 2047 encoded words.
        if !safeSubject.utf8.allSatisfy({ $0 < 0x80 }) { safeSubject = "=?UTF-8?B?\(Data(safeSubject.utf8).base64EncodedString())?=" }
        // Base64 keeps every line short (JSON notifications are one long line; SMTP allows 998 characters) and never
        // starts a line with ".", so no dot-stuffing is needed.
        var lines = ["From: \(s.from)", "To: \(to)", "Subject: \(safeSubject)", "Date: \(date.string(from: Date()))",
                     "MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: base64", ""]
        lines += Data(body.utf8).base64EncodedString(options: [.lineLength76Characters]).components(separatedBy: "\r\n")
        try send(lines.joined(separator: "\r\n") + "\r\n.\r\n")
        try reply(250)
        try send("QUIT\r\n")
    }
}
