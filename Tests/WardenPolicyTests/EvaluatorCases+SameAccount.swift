// Table cases for evaluation order within one account: explicit denies, resource-based policies by principal type,
// permissions boundaries and session policies.

import WardenPolicy

enum SameAccountCases {
    static let example = "IAM UG: Policy evaluation logic — Example identity-based and resource-based policy evaluation (carlossalazar)"
    static let denyEval = "IAM UG: How AWS enforcement code logic evaluates requests to allow or deny access — Deny evaluation"
    static let rbp = "IAM UG: Policy evaluation for requests within a single account — Resource-based policies and implicit denies (same account)"
    static let boundaries = "IAM UG: Permissions boundaries for IAM entities"
    static let sessions = "IAM UG: Policies and permissions in IAM — Session policies"
    static let gft = "IAM UG: How AWS enforcement code logic evaluates requests — Session policies step (federated user without session policy is denied)"

    static let carlosIdentity = #"{"Version":"2012-10-17","Statement":[{"Sid":"AllowS3ListRead","Effect":"Allow","Action":["s3:GetBucketLocation","s3:GetAccountPublicAccessBlock","s3:ListAccessPoints","s3:ListAllMyBuckets"],"Resource":"arn:aws:s3:::*"},{"Sid":"AllowS3Self","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]},{"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*log*"}]}"#
    static let carlosBucket = Doc.grant(Doc.aws("arn:aws:iam::111122223333:user/carlossalazar"), "s3:*",
                                        "arn:aws:s3:::carlossalazar/*|arn:aws:s3:::carlossalazar")
    static let shirleyBoundary = Doc.allow("s3:*|cloudwatch:*|ec2:*")
    static let xCompanyBoundaries = #"{"Version":"2012-10-17","Statement":[{"Sid":"ServiceBoundaries","Effect":"Allow","Action":["s3:*","cloudwatch:*","ec2:*","dynamodb:*"],"Resource":"*"},{"Sid":"AllowManageOwnPasswordAndAccessKeys","Effect":"Allow","Action":["iam:*AccessKey*","iam:ChangePassword","iam:GetUser"],"Resource":["arn:aws:iam::*:user/${aws:username}"]},{"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":["arn:aws:s3:::logs","arn:aws:s3:::logs/*"]}]}"#

    static let object = "arn:aws:s3:::amzn-s3-demo-bucket/object"
    static let userGrant = Doc.grant(Doc.aws("arn:aws:iam::111122223333:user/carlossalazar"))
    static let sessionGrant = Doc.grant(Doc.aws("arn:aws:sts::111122223333:assumed-role/examplerole/examplerolesessionname"))
    static let roleGrant = Doc.grant(Doc.aws("arn:aws:iam::111122223333:role/examplerole"))
    static let fedGrant = Doc.grant(Doc.aws("arn:aws:sts::111122223333:federated-user/exampleuser"))
    static let fedUserGrant = Doc.grant(Doc.aws("arn:aws:iam::111122223333:user/exampleuser"))
    static let accountGrant = Doc.grant(Doc.aws("arn:aws:iam::111122223333:root"))
    static let nothing = Doc.allow("ec2:DescribeInstances")

    static func c(_ name: String, _ source: String, identity: [String] = [], resource: [String] = [], boundary: String? = nil,
                  session: [String]? = nil, principal: PolicyPrincipal = P.user(), action: String = "s3:GetObject",
                  arn: String = object, context: [String: [String]] = [:], _ expect: Expect) -> EvalCase {
        EvalCase(name: name, source: source, identity: identity, resource: resource, boundary: boundary, session: session,
                 principal: principal, action: action, resourceArn: arn, context: context, expect: expect)
    }

    static let cases: [EvalCase] = [
        // The carlossalazar example.
        c("Saving to carlossalazar-logs: DenyS3Logs", example, identity: [carlosIdentity], resource: [carlosBucket],
          action: "s3:PutObject", arn: "arn:aws:s3:::carlossalazar-logs/file", .deny(.identity)),
        c("Saving to carlossalazar: both policies allow", example, identity: [carlosIdentity], resource: [carlosBucket],
          action: "s3:PutObject", arn: "arn:aws:s3:::carlossalazar/file", .allow),
        c("Identity-based policy alone allows", "\(example) — Important: if either allows and the other doesn't, the request is allowed",
          identity: [carlosIdentity], action: "s3:PutObject", arn: "arn:aws:s3:::carlossalazar/file", .allow),
        c("Resource-based policy alone allows", "\(example) — Important: if either allows and the other doesn't, the request is allowed",
          resource: [carlosBucket], action: "s3:PutObject", arn: "arn:aws:s3:::carlossalazar/file", .allow),
        c("Neither allows", "IAM UG: The difference between explicit and implicit denies — implicit deny",
          identity: [carlosIdentity], resource: [carlosBucket], action: "s3:PutObject", arn: "arn:aws:s3:::otherbucket/file",
          .implicit(.identity)),
        c("AllowS3ListRead on a bucket ARN", example, identity: [carlosIdentity], action: "s3:ListAllMyBuckets",
          arn: "arn:aws:s3:::anybucket", .allow),
        c("No policies at all", "IAM UG: How AWS enforcement code logic evaluates requests — by default, all requests are implicitly denied",
          .implicit(.identity)),
        // Explicit deny in each kind of policy.
        c("Explicit deny in a resource-based policy", denyEval, identity: [Doc.allow()],
          resource: [Doc.grant(Doc.aws("arn:aws:iam::111122223333:user/carlossalazar"), effect: "Deny")], .deny(.resource)),
        c("Explicit deny in a permissions boundary", denyEval, identity: [Doc.allow()], boundary: Doc.deny(), .deny(.boundary)),
        c("Explicit deny in a session policy", denyEval, identity: [Doc.allow()], session: [Doc.deny()], principal: P.session(),
          .deny(.session)),
        c("Deny in identity beats a resource policy naming the user", denyEval, identity: [Doc.deny()], resource: [userGrant],
          .deny(.identity)),
        c("Deny in resource policy naming the account applies to its users", denyEval, identity: [Doc.allow()],
          resource: [Doc.grant(Doc.aws(P.acct), effect: "Deny")], .deny(.resource)),
        c("Deny in resource policy naming the role applies to its sessions", denyEval, identity: [Doc.allow()],
          resource: [Doc.grant(Doc.aws("arn:aws:iam::111122223333:role/examplerole"), effect: "Deny")], principal: P.session(),
          .deny(.resource)),
        c("Deny naming another user does not apply", denyEval, identity: [Doc.allow()],
          resource: [Doc.grant(Doc.aws("arn:aws:iam::111122223333:user/someoneelse"), effect: "Deny")], .allow),
        // Resource-based policies by principal type (same account).
        c("IAM user named: not limited by identity-based policy or boundary", "\(rbp) — IAM user", resource: [userGrant],
          boundary: nothing, .allow),
        c("Role session named: not limited by anything", "\(rbp) — IAM role session", resource: [sessionGrant],
          boundary: nothing, session: [nothing], principal: P.session(), .allow),
        c("Role named: no identity-based policy needed", "\(rbp) — IAM role (limited only by boundary or session policy)",
          resource: [roleGrant], principal: P.session(), .allow),
        c("Role named: limited by the boundary", "\(rbp) — IAM role", resource: [roleGrant], boundary: nothing,
          principal: P.session(), .implicit(.boundary)),
        c("Role named: limited by the session policy", "\(rbp) — IAM role", resource: [roleGrant], session: [nothing],
          principal: P.session(), .implicit(.session)),
        c("Role named: session policy allows", "\(rbp) — IAM role", resource: [roleGrant], session: [Doc.allow()],
          principal: P.session(), .allow),
        c("Federated user session named: not limited", "\(rbp) — IAM federated user sessions", resource: [fedGrant],
          session: [nothing], principal: P.federated(), .allow),
        c("IAM user who federated named: limited by the session policy", "\(rbp) — IAM federated user sessions (ARN of the IAM user who federated)",
          resource: [fedUserGrant], session: [nothing], principal: P.federated(), .implicit(.session)),
        c("Account named: delegates to identity-based policies", "IAM UG: Policies and permissions — resource-based policy granting the account",
          resource: [accountGrant], .implicit(.identity)),
        c("Account (12-digit id) named and identity-based policy allows", "IAM UG: AWS JSON policy elements: Principal — AWS account principals",
          identity: [Doc.allow()], resource: [Doc.grant(Doc.aws(P.acct))], .allow),
        c("Account named, identity allows, boundary does not", boundaries, identity: [Doc.allow()], resource: [accountGrant],
          boundary: nothing, .implicit(.boundary)),
        c("Another user named", rbp, resource: [Doc.grant(Doc.aws("arn:aws:iam::111122223333:user/someoneelse"))],
          .implicit(.identity)),
        c("Principal * grants directly", "IAM UG: AWS JSON policy elements: Principal — All principals", resource: [Doc.grant("\"*\"")],
          boundary: nothing, .allow),
        c("Principal {\"AWS\":\"*\"} grants directly", "IAM UG: AWS JSON policy elements: Principal — All principals",
          resource: [Doc.grant(Doc.aws("*"))], .allow),
        // Permissions boundaries.
        c("ShirleyRodriguez cannot create users", "\(boundaries) — ShirleyRodriguez example (iam:CreateUser fails)",
          identity: [Doc.allow("iam:CreateUser")], boundary: shirleyBoundary, principal: P.user("ShirleyRodriguez"),
          action: "iam:CreateUser", arn: "arn:aws:iam::111122223333:user/new", .implicit(.boundary)),
        c("ShirleyRodriguez within the boundary", "\(boundaries) — ShirleyRodriguez example (add a permissions policy with S3 actions)",
          identity: [Doc.allow("s3:*")], boundary: shirleyBoundary, principal: P.user("ShirleyRodriguez"), .allow),
        c("Boundary alone grants nothing", "\(boundaries) — a boundary limits permissions but does not provide them",
          boundary: shirleyBoundary, principal: P.user("ShirleyRodriguez"), .implicit(.identity)),
        c("XCompanyBoundaries DenyS3Logs", "\(boundaries) — Delegating responsibility, XCompanyBoundaries DenyS3Logs",
          identity: [Doc.allow("s3:*")], boundary: xCompanyBoundaries, arn: "arn:aws:s3:::logs/today", .deny(.boundary)),
        c("XCompanyBoundaries own access keys", "\(boundaries) — XCompanyBoundaries AllowManageOwnPasswordAndAccessKeys",
          identity: [Doc.allow("iam:*")], boundary: xCompanyBoundaries, principal: P.user("Zhang"), action: "iam:CreateAccessKey",
          arn: "arn:aws:iam::111122223333:user/Zhang", .allow),
        c("XCompanyBoundaries someone else's access keys", "\(boundaries) — XCompanyBoundaries AllowManageOwnPasswordAndAccessKeys",
          identity: [Doc.allow("iam:*")], boundary: xCompanyBoundaries, principal: P.user("Zhang"), action: "iam:CreateAccessKey",
          arn: "arn:aws:iam::111122223333:user/Maria", .implicit(.boundary)),
        c("Resource-based policy adds to a bounded user", "\(boundaries) — Evaluating effective permissions: boundaries do not reduce permissions granted by resource-based policies",
          identity: [Doc.allow()], resource: [userGrant], boundary: nothing, .allow),
        // Session policies.
        c("Identity and session policy allow", sessions, identity: [Doc.allow()], session: [Doc.allow()], principal: P.session(), .allow),
        c("Session policy does not allow", sessions, identity: [Doc.allow()], session: [nothing], principal: P.session(),
          .implicit(.session)),
        c("Session policy cannot grant more than the role", "\(sessions) — session permissions are the intersection",
          identity: [nothing], session: [Doc.allow()], principal: P.session(), .implicit(.identity)),
        c("Session, identity allow but boundary does not", "\(boundaries) — Evaluating effective permissions: session policies",
          identity: [Doc.allow()], boundary: nothing, session: [Doc.allow()], principal: P.session(), .implicit(.boundary)),
        c("Role session without session policies", "IAM UG: How AWS enforcement code logic evaluates requests — Session policies step (role session without session policy)",
          identity: [Doc.allow()], principal: P.session(), .allow),
        c("Empty session policy list counts as none", sessions, identity: [Doc.allow()], session: [], principal: P.session(), .allow),
        c("Federated user without session policies", gft, identity: [Doc.allow()], principal: P.federated(), .implicit(.session)),
        c("Federated user with session policy", sessions, identity: [Doc.allow()], session: [Doc.allow()],
          principal: P.federated(), .allow),
        c("One of several session policies allows", "\(sessions) — up to 10 managed session policies (PolicyArns)",
          identity: [Doc.allow()], session: [nothing, Doc.allow()], principal: P.session(), .allow),
        c("Deny in one of several session policies", "\(sessions) — an explicit deny in any of these policies overrides the allow",
          identity: [Doc.allow()], session: [Doc.allow(), Doc.deny()], principal: P.session(), .deny(.session)),
        c("Session ARN named: resource policy not limited by session policy", "\(sessions) — resource-based policy specifying the session ARN",
          resource: [sessionGrant], session: [nothing], principal: P.session(), .allow),
        c("Role ARN named: resource policy limited by session policy", "\(sessions) — resource-based policy specifying the role ARN",
          identity: [Doc.allow()], resource: [roleGrant], session: [nothing], principal: P.session(), .implicit(.session)),
        // The root user.
        c("Root user: full access in the account", "IAM UG: How AWS enforcement code logic evaluates requests — with the exception of the root user",
          principal: P.root(), .allow),
        c("Root user: explicit deny in a resource-based policy", "IAM UG: Policies and permissions — Policies and the root user (resource-based policies)",
          resource: [Doc.grant(Doc.aws(P.acct), effect: "Deny")], principal: P.root(), .deny(.resource)),
        c("Root user: a policy naming someone else changes nothing", "IAM UG: How AWS enforcement code logic evaluates requests",
          resource: [userGrant], principal: P.root(), .allow),
    ]
}
