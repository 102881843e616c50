// How requests name functions (API reference, "Name formats"): a name, `NAME:QUALIFIER`, a partial ARN
// `ACCOUNT:function:NAME[:QUALIFIER]` or a full ARN, the qualifier being $LATEST, a version number or an alias.
import WardenAPI
import WardenCore

extension LambdaService {
    static func functionArn(_ c: RequestContext, _ name: String) -> String {
        "arn:\(c.partition.rawValue):lambda:\(c.region):\(c.account):function:\(name)"
    }

    static func isValidName(_ n: String) -> Bool {
        (1...64).contains(n.utf8.count) && n.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
        }
    }

    /// The function a `FunctionName` names, for operations on the function itself: a name, `ACCOUNT:function:NAME`
    /// partial ARN, or a full ARN of the caller's account and region; a qualifier other than $LATEST names no function
    /// these operations serve.
    static func name(_ ref: String, _ c: RequestContext) throws(AWSError) -> String {
        let (name, qualifier) = try parse(ref, c)
        if let qualifier, qualifier != "$LATEST" { throw notFound(ref) }
        return name
    }

    /// A `FunctionName` in any form Lambda takes, with the qualifier it carries (`NAME:QUALIFIER`, a partial or full
    /// ARN with a version or alias), if any.
    static func parse(_ ref: String, _ c: RequestContext) throws(AWSError) -> (name: String, qualifier: String?) {
        var text = ref
        var qualifier: String?
        if text.hasPrefix("arn:") {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard (7...8).contains(parts.count), parts[2] == "lambda", parts[5] == "function" else { throw invalid("Invalid function ARN: \(ref)") }
            guard parts[3] == Substring(c.region), parts[4] == Substring(c.account) else { throw notFound(ref) }
            if parts.count == 8 { qualifier = String(parts[7]) }
            text = String(parts[6])
        } else if text.contains(":") {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            if (3...4).contains(parts.count), parts[1] == "function" {
                guard parts[0] == Substring(c.account) else { throw notFound(ref) }
                if parts.count == 4 { qualifier = String(parts[3]) }
                text = String(parts[2])
            } else if parts.count == 2 {
                qualifier = String(parts[1])
                text = String(parts[0])
            } else {
                throw invalid("Invalid function name: \(ref)")
            }
        }
        guard isValidName(text), qualifier.map(isValidQualifier) ?? true else {
            throw invalid("1 validation error detected: Value '\(ref)' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern")
        }
        return (text, qualifier)
    }

    /// `$LATEST`, a version number or an alias name.
    static func isValidQualifier(_ q: String) -> Bool {
        q == "$LATEST" || ((1...128).contains(q.utf8.count) && q.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
        })
    }
}
