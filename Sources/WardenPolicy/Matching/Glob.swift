// `*` / `?` patterns compiled once into the cheapest matcher that fits: most policy patterns are a literal, a prefix
// ("s3:Get*") or "*", and those never need the general backtracking loop.

/// One element of a pattern: a literal byte, `?` (exactly one character) or `*` (any run, possibly empty).
enum GlobToken: Sendable, Equatable {
    case byte(UInt8)
    case one
    case star

    /// A byte of pattern text, where `*` and `?` are wildcards.
    init(patternByte b: UInt8) {
        self = b == UInt8(ascii: "*") ? .star : (b == UInt8(ascii: "?") ? .one : .byte(b))
    }
}

/// A compiled wildcard pattern matched against UTF-8 bytes. Case folding, where wanted (actions), is done by the
/// caller on both sides before compiling and matching, so the matcher itself only compares bytes.
struct Glob: Sendable, Equatable {
    enum Form: Sendable, Equatable {
        case any, exact, prefix, suffix, contains, general
    }

    let form: Form
    /// The literal operand of `exact`, `prefix`, `suffix` and `contains`.
    let text: [UInt8]
    /// The full token list, kept for `general` (and for describing the pattern).
    let tokens: [GlobToken]

    /// Compiles pattern text in which `*` and `?` are wildcards.
    init(pattern: String) {
        self.init(tokens: pattern.utf8.map(GlobToken.init(patternByte:)))
    }

    /// A pattern that matches exactly `literal` (no wildcards).
    init(literal: String) {
        self.init(tokens: literal.utf8.map { .byte($0) })
    }

    init(tokens: [GlobToken]) {
        self.tokens = tokens
        let stars = tokens.reduce(0) { $0 + ($1 == .star ? 1 : 0) }
        let hasOne = tokens.contains(.one)
        var literal: [UInt8] = []
        literal.reserveCapacity(tokens.count)
        for case .byte(let b) in tokens { literal.append(b) }
        let n = tokens.count
        if n > 0, stars == n {
            (form, text) = (.any, [])
        } else if hasOne {
            (form, text) = (.general, [])
        } else if stars == 0 {
            (form, text) = (.exact, literal)
        } else if stars == 1, tokens[n - 1] == .star {
            (form, text) = (.prefix, literal)
        } else if stars == 1, tokens[0] == .star {
            (form, text) = (.suffix, literal)
        } else if stars == 2, n > 2, tokens[0] == .star, tokens[n - 1] == .star {
            (form, text) = (.contains, literal)
        } else {
            (form, text) = (.general, [])
        }
    }

    func matches(_ s: String) -> Bool {
        if form == .any { return true }
        var s = s
        return s.withUTF8 { matches($0) }
    }

    func matches(_ s: Substring) -> Bool {
        if form == .any { return true }
        if let hit = s.utf8.withContiguousStorageIfAvailable({ matches($0) }) { return hit }
        return matches(String(s))
    }

    func matches(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        switch form {
        case .any:
            return true
        case .exact:
            return input.count == text.count && Self.equal(input, from: 0, text)
        case .prefix:
            return input.count >= text.count && Self.equal(input, from: 0, text)
        case .suffix:
            return input.count >= text.count && Self.equal(input, from: input.count - text.count, text)
        case .contains:
            guard input.count >= text.count else { return false }
            if text.isEmpty { return true }
            var i = 0
            while i + text.count <= input.count {
                if Self.equal(input, from: i, text) { return true }
                i += 1
            }
            return false
        case .general:
            return Self.generalMatch(tokens, input)
        }
    }

    private static func equal(_ input: UnsafeBufferPointer<UInt8>, from start: Int, _ text: [UInt8]) -> Bool {
        var k = 0
        while k < text.count {
            if input[start + k] != text[k] { return false }
            k += 1
        }
        return true
    }

    /// The length in bytes of the UTF-8 character starting at `i`: `?` stands for one character, not one byte.
    private static func characterLength(_ input: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        var j = i + 1
        while j < input.count, input[j] & 0xC0 == 0x80 { j += 1 }
        return j - i
    }

    /// Iterative matching that backtracks only to the most recent `*`: linear in practice, and never recursive, so
    /// a hostile pattern cannot exhaust the stack.
    static func generalMatch(_ tokens: [GlobToken], _ input: UnsafeBufferPointer<UInt8>) -> Bool {
        var t = 0, i = 0
        var starToken = -1, starInput = 0
        while i < input.count {
            if t < tokens.count {
                switch tokens[t] {
                case .star:
                    starToken = t
                    starInput = i
                    t += 1
                    continue
                case .one:
                    i += characterLength(input, at: i)
                    t += 1
                    continue
                case .byte(let b) where b == input[i]:
                    i += 1
                    t += 1
                    continue
                case .byte:
                    break
                }
            }
            guard starToken >= 0 else { return false }
            // Let the last `*` swallow one more character and retry the rest of the pattern from there.
            starInput += characterLength(input, at: starInput)
            i = starInput
            t = starToken + 1
        }
        while t < tokens.count, tokens[t] == .star { t += 1 }
        return t == tokens.count
    }
}
