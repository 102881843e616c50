// Put-time checks of a custom data identifier's regular expression, against patterns that backtrack without end.
//
// The SNS Developer Guide ("Custom data identifiers") limits a custom identifier's Regex to 200 characters of letters,
// digits, `_ # = @ / ; , -` and space, and the reserved characters `^ $ ? [ ] { } | \ * + .`: no parentheses, so no
// groups, so no nested repetition, lookaround or backreference; a quantifier applied to a quantifier (`a**`,
// `a{2}{3}`) does not compile in ICU. What those rules still allow and what makes matching slow is repetition stacked
// in sequence: two unbounded quantifiers in one alternative that can both take the same character with nothing
// required in between that tells them apart (`\w*\w*x`, `\d+\s*\d+`), whose ways of splitting a long run multiply.
// Warden refuses those when the policy is put; AWS documents no such rule and no message for it, so the reason is
// Warden's own. Matching also runs under a time budget (`MatchBudget`), which bounds whatever this check lets through.
import Foundation

enum CustomIdentifierRegex {
    /// The characters an atom can match: one slot per ASCII character and one for everything beyond ASCII (which
    /// always holds characters of every class, so it is never told apart).
    struct CharSet: Equatable {
        var slots = [Bool](repeating: false, count: 129)

        static let any = CharSet(slots: [Bool](repeating: true, count: 129))

        static func of(_ chars: String, other: Bool = false) -> CharSet {
            var s = CharSet()
            for c in chars.unicodeScalars where c.value < 128 { s.slots[Int(c.value)] = true }
            s.slots[128] = other
            return s
        }

        static func range(_ from: UInt32, _ to: UInt32) -> CharSet {
            var s = CharSet()
            if from <= to { for v in from...min(to, 127) { s.slots[Int(v)] = true } }
            if to > 127 { s.slots[128] = true }
            return s
        }

        /// The complement; beyond ASCII stays in (a negated class still matches some non-ASCII character).
        var inverted: CharSet {
            var s = CharSet(slots: slots.map { !$0 })
            s.slots[128] = true
            return s
        }

        func union(_ o: CharSet) -> CharSet { CharSet(slots: zip(slots, o.slots).map { $0 || $1 }) }
        func intersection(_ o: CharSet) -> CharSet { CharSet(slots: zip(slots, o.slots).map { $0 && $1 }) }
        var isEmpty: Bool { !slots.contains(true) }
    }

    static let digits = CharSet.range(0x30, 0x39).union(CharSet.of("", other: true))
    static let word = CharSet.of("_", other: true).union(.range(0x30, 0x39)).union(.range(0x41, 0x5A)).union(.range(0x61, 0x7A))
    static let space = CharSet.of(" \t\n\u{0B}\u{0C}\r", other: true)

    /// One atom and how often it repeats.
    struct Piece {
        var set: CharSet
        var required: Bool
        /// `*`, `+` or `{n,}`, and not possessive (a possessive quantifier never gives characters back).
        var unbounded: Bool
    }

    /// Whether a pattern (one that compiled) stacks unbounded quantifiers that can take the same characters.
    static func stacksUnboundedQuantifiers(_ pattern: String) -> Bool {
        let chars = Array(pattern.unicodeScalars)
        var i = 0
        var pieces: [Piece] = []
        func finishAlternative() -> Bool {
            defer { pieces.removeAll() }
            return stacked(pieces)
        }
        while i < chars.count {
            let c = chars[i]
            i += 1
            let set: CharSet
            switch c {
            case "|":
                if finishAlternative() { return true }
                continue
            case "^", "$":
                continue
            case "*", "+", "?":
                // A quantifier with nothing before it: ICU refuses it when compiling; nothing to add here.
                continue
            case ".":
                set = .any
            case "[":
                set = parseClass(chars, &i)
            case "\\":
                guard let s = parseEscape(chars, &i) else { continue }  // zero-width: \b \B \A \z \Z \G
                set = s
            default:
                set = .of(String(c))
            }
            // The quantifier, if any, then at most a lazy `?` or possessive `+` mark (ICU refuses anything more).
            var (minimum, unbounded) = (1, false)
            if let q = quantifier(chars, &i) {
                (minimum, unbounded) = (q.min, q.unbounded)
                if i < chars.count, chars[i] == "+" {
                    unbounded = false  // possessive
                    i += 1
                } else if i < chars.count, chars[i] == "?" {
                    i += 1
                }
            }
            pieces.append(Piece(set: set, required: minimum > 0, unbounded: unbounded))
        }
        return finishAlternative()
    }

    /// Two unbounded pieces that can take one same character, with every required piece between them taking it too.
    static func stacked(_ pieces: [Piece]) -> Bool {
        for i in pieces.indices where pieces[i].unbounded {
            var shared = pieces[i].set
            for j in pieces.indices where j > i {
                if pieces[j].unbounded, !shared.intersection(pieces[j].set).isEmpty { return true }
                if pieces[j].required { shared = shared.intersection(pieces[j].set) }
                if shared.isEmpty { break }
            }
        }
        return false
    }

    /// `*`, `+`, `?`, `{n}`, `{n,}` or `{n,m}` at `i` (consumed), or nil.
    static func quantifier(_ chars: [Unicode.Scalar], _ i: inout Int) -> (min: Int, unbounded: Bool)? {
        guard i < chars.count else { return nil }
        switch chars[i] {
        case "*": i += 1; return (0, true)
        case "+": i += 1; return (1, true)
        case "?": i += 1; return (0, false)
        case "{":
            var j = i + 1
            var low = "", high: String?
            while j < chars.count, chars[j].properties.numericType != nil, chars[j].isASCII { low.unicodeScalars.append(chars[j]); j += 1 }
            guard !low.isEmpty, j < chars.count else { return nil }
            if chars[j] == "," {
                j += 1
                var h = ""
                while j < chars.count, chars[j].properties.numericType != nil, chars[j].isASCII { h.unicodeScalars.append(chars[j]); j += 1 }
                high = h
            }
            guard j < chars.count, chars[j] == "}" else { return nil }
            i = j + 1
            let minimum = Int(low) ?? 0
            return (minimum, high == "")
        default:
            return nil
        }
    }

    /// The escape after a `\` (consumed): its characters, or nil for a zero-width assertion. Escapes Warden does not
    /// model (code points, properties, named characters) count as matching anything, which errs towards refusing.
    static func parseEscape(_ chars: [Unicode.Scalar], _ i: inout Int) -> CharSet? {
        guard i < chars.count else { return .any }
        let c = chars[i]
        i += 1
        switch c {
        case "d": return digits
        case "D": return digits.inverted
        case "w": return word
        case "W": return word.inverted
        case "s": return space
        case "S": return space.inverted
        case "b", "B", "A", "z", "Z", "G": return nil
        case "n": return .of("\n")
        case "t": return .of("\t")
        case "r": return .of("\r")
        case "f": return .of("\u{0C}")
        case "e": return .of("\u{1B}")
        case "a": return .of("\u{07}")
        default:
            // `\x{…}`, `\p{…}`, `\N{…}` and the like: skip a braced argument, if any.
            if c.properties.isAlphabetic || c.properties.numericType != nil {
                if i < chars.count, chars[i] == "{" {
                    while i < chars.count, chars[i] != "}" { i += 1 }
                    i += 1
                }
                return .any
            }
            return .of(String(c))
        }
    }

    /// A bracket class after its `[` (consumed through its `]`). Nested classes, set operations and POSIX names count
    /// as matching anything.
    static func parseClass(_ chars: [Unicode.Scalar], _ i: inout Int) -> CharSet {
        var negated = false
        if i < chars.count, chars[i] == "^" {
            negated = true
            i += 1
        }
        var set = CharSet()
        var simple = true
        var first = true
        var previous: UInt32?
        while i < chars.count {
            let c = chars[i]
            if c == "]" && !first { i += 1; break }
            first = false
            i += 1
            switch c {
            case "[":
                // A nested class or POSIX name: skip to its end.
                simple = false
                var depth = 1
                while i < chars.count, depth > 0 {
                    if chars[i] == "[" { depth += 1 } else if chars[i] == "]" { depth -= 1 } else if chars[i] == "\\" { i += 1 }
                    i += 1
                }
                previous = nil
            case "\\":
                let escaped = parseEscape(chars, &i) ?? .any
                set = set.union(escaped)
                previous = nil
                if escaped == .any { simple = false }
            case "-" where previous != nil && i < chars.count && chars[i] != "]":
                var high = chars[i].value
                i += 1
                if chars[i - 1] == "\\", i < chars.count {
                    high = chars[i].value
                    i += 1
                }
                set = set.union(.range(previous ?? 0, high))
                previous = nil
            case "&":
                simple = false
                set = set.union(.of(String(c)))
                previous = c.value
            default:
                set = set.union(.of(String(c)))
                previous = c.value
            }
        }
        if !simple { return .any }
        return negated ? set.inverted : set
    }
}
