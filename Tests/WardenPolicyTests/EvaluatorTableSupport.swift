// The shape of one evaluator table case, the principals the cases use, and builders that keep each case one line.

import WardenPolicy

/// What a case expects: an allow, an explicit deny from a policy of the given kind, or an implicit deny naming the
/// kind of policy that failed to allow.
enum Expect: Equatable, CustomStringConvertible {
    case allow
    case deny(PolicyKind)
    case implicit(PolicyKind)

    var description: String {
        switch self {
        case .allow: "allow"
        case .deny(let k): "explicit deny in \(k.rawValue)"
        case .implicit(let k): "implicit deny (no \(k.rawValue) allows)"
        }
    }

    init(_ d: Decision) {
        switch d {
        case .allowed: self = .allow
        case .explicitDeny(let m): self = .deny(m.policyKind)
        case .implicitDeny(let k): self = .implicit(k)
        }
    }
}

struct EvalCase {
    var name: String
    /// The AWS documentation page (and example) the expected decision comes from.
    var source: String
    var identity: [String] = []
    var resource: [String] = []
    var boundary: String? = nil
    var session: [String]? = nil
    var keyPolicy = false
    var principal: PolicyPrincipal = P.user()
    var action = "s3:GetObject"
    var resourceArn = "arn:aws:s3:::amzn-s3-demo-bucket/object"
    var resourceAccount = P.acct
    var context: [String: [String]] = [:]
    var expect: Expect
}

/// Principals named after the examples in the IAM User Guide.
enum P {
    static let acct = "111122223333"
    static let other = "444455556666"

    static func user(_ name: String = "carlossalazar", account: String = acct) -> PolicyPrincipal {
        PolicyPrincipal(kind: .iamUser, arn: "arn:aws:iam::\(account):user/\(name)", account: account)
    }

    static func session(_ role: String = "examplerole", _ name: String = "examplerolesessionname",
                        account: String = acct) -> PolicyPrincipal {
        PolicyPrincipal(kind: .assumedRole, arn: "arn:aws:sts::\(account):assumed-role/\(role)/\(name)", account: account,
                        roleArn: "arn:aws:iam::\(account):role/\(role)")
    }

    static func federated(_ name: String = "exampleuser", account: String = acct) -> PolicyPrincipal {
        PolicyPrincipal(kind: .federatedUser, arn: "arn:aws:sts::\(account):federated-user/\(name)", account: account,
                        roleArn: "arn:aws:iam::\(account):user/\(name)")
    }

    static func root(account: String = acct) -> PolicyPrincipal {
        PolicyPrincipal(kind: .root, arn: "arn:aws:iam::\(account):root", account: account)
    }

    static func service(_ name: String) -> PolicyPrincipal {
        PolicyPrincipal(kind: .service, arn: name, account: "", service: name)
    }

    static let anonymous = PolicyPrincipal(kind: .anonymous, arn: "*", account: "")
}

/// Policy documents used across cases.
enum Doc {
    /// An identity-based policy with one statement.
    static func allow(_ action: String = "s3:GetObject", _ resource: String = "*", condition: String? = nil,
                      version: String? = "2012-10-17", effect: String = "Allow", sid: String? = nil) -> String {
        var members: [String] = []
        if let version { members.append(#""Version":"\#(version)""#) }
        var st = [#""Effect":"\#(effect)""#, #""Action":\#(list(action))"#, #""Resource":\#(list(resource))"#]
        if let sid { st.insert(#""Sid":"\#(sid)""#, at: 0) }
        if let condition { st.append(#""Condition":\#(condition)"#) }
        members.append(#""Statement":{\#(st.joined(separator: ","))}"#)
        return "{\(members.joined(separator: ","))}"
    }

    static func deny(_ action: String = "s3:GetObject", _ resource: String = "*", condition: String? = nil) -> String {
        allow(action, resource, condition: condition, effect: "Deny")
    }

    /// A resource-based policy with one statement; `principal` is the JSON of the Principal element.
    static func grant(_ principal: String, _ action: String = "s3:GetObject", _ resource: String = "*",
                      effect: String = "Allow", condition: String? = nil, notPrincipal: Bool = false) -> String {
        var st = [#""Effect":"\#(effect)""#, #""\#(notPrincipal ? "NotPrincipal" : "Principal")":\#(principal)"#,
                  #""Action":\#(list(action))"#, #""Resource":\#(list(resource))"#]
        if let condition { st.append(#""Condition":\#(condition)"#) }
        return #"{"Version":"2012-10-17","Statement":{\#(st.joined(separator: ","))}}"#
    }

    static func aws(_ v: String) -> String { #"{"AWS":"\#(v)"}"# }

    /// "a|b" becomes ["a","b"]; a single value stays a string.
    static func list(_ s: String) -> String {
        let items = s.split(separator: "|").map { "\"\($0)\"" }
        return items.count == 1 ? items[0] : "[\(items.joined(separator: ","))]"
    }

    /// The KMS default key policy's first statement: "Enable IAM User Permissions" for the account.
    static func kmsDefault(account: String = P.acct) -> String {
        #"{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::\#(account):root"},"Action":"kms:*","Resource":"*"}]}"#
    }
}

/// A condition case: an identity-based policy allowing s3:GetObject on "*" under `condition`, asked by an IAM user
/// with `context`; `allowed` false means the statement did not apply (implicit deny, no identity-based policy).
func cond(_ name: String, _ source: String, _ condition: String, _ context: [String: [String]], _ allowed: Bool,
          version: String? = "2012-10-17", principal: PolicyPrincipal = P.user()) -> EvalCase {
    EvalCase(name: name, source: source, identity: [Doc.allow(condition: condition, version: version)],
             principal: principal, context: context, expect: allowed ? .allow : .implicit(.identity))
}
