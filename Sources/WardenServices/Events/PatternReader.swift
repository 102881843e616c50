// The streaming reader under EventBridge's pattern compiler: JSON read token by token as AWS's parser reads it, so a
// syntax error gets the parser's own message and position (SNS reuses it for policies that are not JSON).
import Foundation
import WardenCore

struct PatternError: Error {
    var message: String
}

/// Reads a pattern token by token, as a streaming JSON parser does, and compiles it.
struct PatternCompiler {
    enum Token: Equatable {
        case startObject, endObject, startArray, endArray, fieldName(String), string, number(String), trueValue, falseValue, null
    }

    enum Context { case object(expectingName: Bool, first: Bool), array(first: Bool) }

    /// How a location names its source: EventBridge's parser quotes the text (`(String)"…"`); SNS's newer one
    /// leaves it out (`REDACTED (…)`), both as recorded.
    enum SourceStyle { case quoted, redacted }

    let text: String
    let scalars: [Unicode.Scalar]
    var sourceStyle = SourceStyle.quoted
    var pos = 0
    var stack: [Context] = []
    /// The value token already read along with a member name.
    var pending: Token?
    /// A string value whose text is not read yet: the index just after its opening quote.
    var stringStart: Int?
    var stringText: String?
    var current: Token?

    init(_ text: String) {
        self.text = text
        self.scalars = Array(text.unicodeScalars)
    }

    // MARK: positions

    /// ` at [Source: (String)"…"; line: L, column: C]` for the scalar index `at`.
    func location(_ at: Int) -> String {
        var line = 1
        var rowStart = 0
        var i = 0
        var units = 0
        var rowStartUnits = 0
        while i < at && i < scalars.count {
            let s = scalars[i]
            units += s.utf16.count
            i += 1
            if s == "\n" || (s == "\r" && (i >= scalars.count || scalars[i] != "\n")) {
                line += 1
                rowStart = i
                rowStartUnits = units
            }
        }
        _ = rowStart
        let column = units - rowStartUnits + 1
        if sourceStyle == .redacted {
            return "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: \(line), column: \(column)]"
        }
        // The source is quoted up to 500 UTF-16 units, then how much was left out.
        let utf16 = Array(text.utf16)
        var source = "\"" + (String(decoding: utf16.prefix(500), as: UTF16.self)) + "\""
        if utf16.count > 500 { source += "[truncated \(utf16.count - 500) chars]" }
        return "\n at [Source: (String)\(source); line: \(line), column: \(column)]"
    }

    func barf(_ reason: String) -> PatternError { PatternError(message: reason + location(pos)) }

    /// An error the JSON parser itself reports about the character before the current position.
    func charError(_ c: Unicode.Scalar, _ expecting: String) -> PatternError {
        PatternError(message: "Unexpected character (\(Self.describe(c))): \(expecting)" + location(max(0, pos - 1)))
    }

    /// The JSON parser's own message for the first syntax error in `text` (with its location), or nil when the text
    /// reads as JSON to the end or fails in a way whose wording is not known.
    static func syntaxError(in text: String, sourceStyle: SourceStyle) -> String? {
        var reader = PatternCompiler(text)
        reader.sourceStyle = sourceStyle
        do {
            while try reader.nextToken() != nil {}
            return nil
        } catch {
            return error.message == unknownSyntax().message ? nil : error.message
        }
    }

    /// A syntax error whose wording AWS's parser would give is not known: Warden's own text, without a position.
    static func unknownSyntax() -> PatternError { PatternError(message: "Filter is not valid JSON") }

    static func describe(_ c: Unicode.Scalar) -> String {
        if c.value < 32 || (c.value >= 127 && c.value < 160) { return "(CTRL-CHAR, code \(c.value))" }
        if c.value > 255 { return "'\(Character(c))' (code \(c.value) / 0x\(String(c.value, radix: 16, uppercase: true)))" }
        return "'\(Character(c))' (code \(c.value))"
    }

    static let validValues = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"

    // MARK: tokens

    mutating func skipWhitespace() {
        while pos < scalars.count, [" ", "\n", "\r", "\t"].contains(scalars[pos]) { pos += 1 }
    }

    static func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
        c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "$"
    }

    /// The rest of a bad bare word, for "Unrecognized token '…'".
    mutating func invalidToken(from start: Int) -> PatternError {
        while pos < scalars.count, Self.isIdentifierPart(scalars[pos]), pos - start < 256 { pos += 1 }
        var word = ""
        word.unicodeScalars.append(contentsOf: scalars[start..<pos])
        return barf("Unrecognized token '\(word)': was expecting \(Self.validValues)")
    }

    /// The token a value starts with, read as far as the parser reads it.
    mutating func valueStart() throws(PatternError) -> Token {
        guard pos < scalars.count else { throw Self.unknownSyntax() }
        let c = scalars[pos]
        switch c {
        case "\"":
            pos += 1
            stringStart = pos
            stringText = nil
            return .string
        case "{":
            pos += 1
            stack.append(.object(expectingName: true, first: true))
            return .startObject
        case "[":
            pos += 1
            stack.append(.array(first: true))
            return .startArray
        case "t", "f", "n":
            let word: [Unicode.Scalar] = c == "t" ? ["t", "r", "u", "e"] : c == "f" ? ["f", "a", "l", "s", "e"] : ["n", "u", "l", "l"]
            let start = pos
            for w in word {
                guard pos < scalars.count, scalars[pos] == w else { throw invalidToken(from: start) }
                pos += 1
            }
            if pos < scalars.count, Self.isIdentifierPart(scalars[pos]) { throw invalidToken(from: start) }
            return c == "t" ? .trueValue : c == "f" ? .falseValue : .null
        case "-", "0"..."9":
            let start = pos
            if scalars[pos] == "-" { pos += 1 }
            func digits() -> Int {
                let s = pos
                while pos < scalars.count, ("0"..."9").contains(scalars[pos]) { pos += 1 }
                return pos - s
            }
            guard digits() > 0 else { throw Self.unknownSyntax() }
            if pos < scalars.count, scalars[pos] == "." {
                pos += 1
                guard digits() > 0 else { throw Self.unknownSyntax() }
            }
            if pos < scalars.count, scalars[pos] == "e" || scalars[pos] == "E" {
                pos += 1
                if pos < scalars.count, scalars[pos] == "+" || scalars[pos] == "-" { pos += 1 }
                guard digits() > 0 else { throw Self.unknownSyntax() }
            }
            var t = ""
            t.unicodeScalars.append(contentsOf: scalars[start..<pos])
            return .number(t)
        default:
            pos += 1
            if c.properties.isAlphabetic || c == "_" || c == "$" {
                throw invalidToken(from: pos - 1)
            }
            throw charError(c, "expected a valid value \(Self.validValues)")
        }
    }

    /// A string's text from `start` (after the opening quote); leaves `pos` after the closing quote.
    mutating func readString(from start: Int) throws(PatternError) -> String {
        pos = start
        var out = ""
        while pos < scalars.count {
            let c = scalars[pos]
            pos += 1
            if c == "\"" { return out }
            if c.value < 32 { throw Self.unknownSyntax() }
            guard c == "\\" else { out.unicodeScalars.append(c); continue }
            guard pos < scalars.count else { throw Self.unknownSyntax() }
            let e = scalars[pos]
            pos += 1
            switch e {
            case "\"": out += "\""
            case "\\": out += "\\"
            case "/": out += "/"
            case "b": out += "\u{8}"
            case "f": out += "\u{C}"
            case "n": out += "\n"
            case "r": out += "\r"
            case "t": out += "\t"
            case "u":
                func hex4() throws(PatternError) -> UInt32 {
                    guard pos + 4 <= scalars.count else { throw Self.unknownSyntax() }
                    var s = ""
                    s.unicodeScalars.append(contentsOf: scalars[pos..<pos + 4])
                    guard let v = UInt32(s, radix: 16) else { throw Self.unknownSyntax() }
                    pos += 4
                    return v
                }
                var v = try hex4()
                if (0xD800..<0xDC00).contains(v), pos + 1 < scalars.count, scalars[pos] == "\\", scalars[pos + 1] == "u" {
                    pos += 2
                    let low = try hex4()
                    v = 0x10000 + ((v - 0xD800) << 10) + (low &- 0xDC00)
                }
                out.unicodeScalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            default:
                throw Self.unknownSyntax()
            }
        }
        throw Self.unknownSyntax()
    }

    /// The current string value's text (read now if it was not yet).
    mutating func getText() throws(PatternError) -> String {
        if let t = stringText { return t }
        guard let start = stringStart else { return "" }
        let t = try readString(from: start)
        stringText = t
        stringStart = nil
        return t
    }

    /// The current token's text as the parser gives it (for messages).
    mutating func tokenText() throws(PatternError) -> String {
        switch current {
        case .string?: return try getText()
        case .number(let t)?: return t
        case .fieldName(let n)?: return n
        case .startObject?: return "{"
        case .endObject?: return "}"
        case .startArray?: return "["
        case .endArray?: return "]"
        case .trueValue?: return "true"
        case .falseValue?: return "false"
        case .null?: return "null"
        case nil: return ""
        }
    }

    mutating func nextToken() throws(PatternError) -> Token? {
        let t = try readToken()
        current = t
        return t
    }

    mutating func readToken() throws(PatternError) -> Token? {
        // A value read along with its member name comes next, as it is (a string's text still unread).
        if let p = pending {
            pending = nil
            return p
        }
        // The rest of a string that was never read is skipped.
        if let start = stringStart {
            _ = try readString(from: start)
            stringStart = nil
        }
        stringText = nil
        skipWhitespace()
        guard let context = stack.last else {
            guard pos < scalars.count else { return nil }
            return try valueStart()
        }
        guard pos < scalars.count else { throw Self.unknownSyntax() }
        var c = scalars[pos]
        switch context {
        case .array(let first):
            if c == "]" && first {
                pos += 1
                stack.removeLast()
                return .endArray
            }
            if !first {
                if c == "]" {
                    pos += 1
                    stack.removeLast()
                    return .endArray
                }
                guard c == "," else {
                    pos += 1
                    throw charError(c, "was expecting comma to separate Array entries")
                }
                pos += 1
                skipWhitespace()
            }
            stack[stack.count - 1] = .array(first: false)
            return try valueStart()
        case .object(_, let first):
            if c == "}" && first {
                pos += 1
                stack.removeLast()
                return .endObject
            }
            if !first {
                if c == "}" {
                    pos += 1
                    stack.removeLast()
                    return .endObject
                }
                guard c == "," else {
                    pos += 1
                    throw charError(c, "was expecting comma to separate Object entries")
                }
                pos += 1
                skipWhitespace()
                guard pos < scalars.count else { throw Self.unknownSyntax() }
                c = scalars[pos]
            }
            stack[stack.count - 1] = .object(expectingName: false, first: false)
            guard c == "\"" else {
                pos += 1
                throw charError(c, "was expecting double-quote to start field name")
            }
            let name = try readString(from: pos + 1)
            skipWhitespace()
            guard pos < scalars.count else { throw Self.unknownSyntax() }
            guard scalars[pos] == ":" else {
                let bad = scalars[pos]
                pos += 1
                throw charError(bad, "was expecting a colon to separate field name and value")
            }
            pos += 1
            skipWhitespace()
            // The value's first token is read with the name.
            pending = try valueStart()
            return .fieldName(name)
        }
    }
}
