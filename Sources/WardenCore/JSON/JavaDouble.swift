// Doubles in the text form AWS's (Java) serializers give them: `45.0`, `0.001`, `1.0E7`, `1.5E-4`.

public enum JavaDouble {
    /// Java's `Double.toString` layout over the shortest digits that read back to `d` (Swift's own shortest form).
    public static func format(_ d: Double) -> String {
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        guard d.isFinite else { return d.isNaN ? "NaN" : (d < 0 ? "-Infinity" : "Infinity") }
        let magnitude = abs(d)
        let text = String(magnitude)  // "45.0", "1e-05", "1.2345e+16"
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let whole = parts.first.map(String.init) ?? ""
        var digits = Array(whole + (parts.count > 1 ? String(parts[1]) : ""))
        // The value is 0.digits × 10^point.
        var point = whole.count + exponent
        while digits.count > 1, digits.first == "0" { digits.removeFirst(); point -= 1 }
        while digits.count > 1, digits.last == "0" { digits.removeLast() }
        var out: String
        if magnitude >= 1e-3, magnitude < 1e7 {
            if point <= 0 {
                out = "0." + String(repeating: "0", count: -point) + String(digits)
            } else if point >= digits.count {
                out = String(digits) + String(repeating: "0", count: point - digits.count) + ".0"
            } else {
                out = String(digits[..<point]) + "." + String(digits[point...])
            }
        } else {
            let rest = digits.dropFirst()
            out = String(digits[0]) + "." + (rest.isEmpty ? "0" : String(rest)) + "E" + String(point - 1)
        }
        return d < 0 ? "-" + out : out
    }
}
