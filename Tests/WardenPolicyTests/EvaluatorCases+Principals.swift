// Table cases for cross-account access, KMS key policies, service principals, anonymous callers and NotPrincipal.

import WardenPolicy

enum PrincipalCases {
    static let cross = "IAM UG: Cross-account policy evaluation logic — Determining whether a cross-account request is allowed"
    static let kmsDefault = "KMS DG: Default key policy — Allows access to the AWS account and enables IAM policies"
    static let kmsKeyPolicies = "KMS DG: Key policies in AWS KMS — every KMS key must have exactly one key policy"
    static let principal = "IAM UG: AWS JSON policy elements: Principal"
    static let notPrincipal = "IAM UG: AWS JSON policy elements: NotPrincipal — NotPrincipal with Deny"
    static let arnOps = "IAM UG: IAM JSON policy elements: Condition operators — ARN condition operators, SQS queue policy example"

    static let bucket = "arn:aws:s3:::amzn-s3-demo-bucket/object"
    static let key = "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    static let queue = "arn:aws:sqs:us-east-2:111122223333:QUEUE-ID"
    static let topic = "arn:aws:sns:us-east-2:111122223333:TOPIC-ID"
    static let bob = "arn:aws:iam::444455556666:user/Bob"
    static let otherUser = P.user("Bob", account: P.other)
    static let otherSession = P.session("cross-account-read-only-role", "cross-account-audit-app", account: P.other)
    static let nothing = Doc.allow("ec2:DescribeInstances")

    static let queuePolicy = Doc.grant(#"{"Service":"sns.amazonaws.com"}"#, "sqs:SendMessage", queue,
                                       condition: #"{"ArnEquals":{"aws:SourceArn":"\#(topic)"}}"#)
    static let keyAdminOnly = Doc.grant(Doc.aws("arn:aws:iam::111122223333:role/KeyAdmin"), "kms:*")
    static let bobNotDenied = #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::444455556666:user/Bob","arn:aws:iam::444455556666:root"]},"Action":"s3:*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"]},{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:*","Resource":"*"}]}"#
    static let bobOnlyListed = #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:user/Bob"},"Action":"s3:*","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:*","Resource":"*"}]}"#
    static let auditNotDenied = #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app","arn:aws:iam::444455556666:role/cross-account-read-only-role","arn:aws:iam::444455556666:root"]},"Action":"s3:*","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:*","Resource":"*"}]}"#
    static let auditSessionOnly = #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app","arn:aws:iam::444455556666:root"]},"Action":"s3:*","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:*","Resource":"*"}]}"#

    static func c(_ name: String, _ source: String, identity: [String] = [], resource: [String] = [], boundary: String? = nil,
                  session: [String]? = nil, kms: Bool = false, principal: PolicyPrincipal, action: String = "s3:GetObject",
                  arn: String = bucket, context: [String: [String]] = [:], _ expect: Expect) -> EvalCase {
        EvalCase(name: name, source: source, identity: identity, resource: resource, boundary: boundary, session: session,
                 keyPolicy: kms, principal: principal, action: action, resourceArn: arn, context: context, expect: expect)
    }

    static func kmsCase(_ name: String, _ source: String, identity: [String] = [], key policy: String,
                        boundary: String? = nil, session: [String]? = nil, principal: PolicyPrincipal = P.user(),
                        _ expect: Expect) -> EvalCase {
        c(name, source, identity: identity, resource: [policy], boundary: boundary, session: session, kms: true,
          principal: principal, action: "kms:Encrypt", arn: key, expect)
    }

    static let cases: [EvalCase] = [
        // Cross-account.
        c("Resource policy trusts the account, identity allows", cross, identity: [Doc.allow()], resource: [Doc.grant(Doc.aws(P.other))],
          principal: otherUser, .allow),
        c("Resource policy trusts the account, identity does not", "\(cross) — the requester must have an identity-based policy",
          resource: [Doc.grant(Doc.aws(P.other))], principal: otherUser, .implicit(.identity)),
        c("Identity allows, no resource-based policy", "\(cross) — the resource-based policy must allow the requester",
          identity: [Doc.allow()], principal: otherUser, .implicit(.resource)),
        c("Resource policy names the user, identity allows", "\(cross) — you can specify the account or its IAM users",
          identity: [Doc.allow()], resource: [Doc.grant(Doc.aws(bob))], principal: otherUser, .allow),
        c("Resource policy names the user, no identity policy", "\(cross) — both evaluations must return Allow",
          resource: [Doc.grant(Doc.aws(bob))], principal: otherUser, .implicit(.identity)),
        c("Resource policy names the session, session policy does not allow", "\(cross) — the trusted account's evaluation includes session policies",
          identity: [Doc.allow()], resource: [Doc.grant(Doc.aws(otherSession.arn))], session: [nothing], principal: otherSession,
          .implicit(.session)),
        c("Resource policy names the role, session asks", "\(cross) — you can specify IAM roles or assumed-role sessions",
          identity: [Doc.allow()], resource: [Doc.grant(Doc.aws("arn:aws:iam::444455556666:role/cross-account-read-only-role"))],
          principal: otherSession, .allow),
        c("Cross-account with a boundary that does not allow", "\(cross) — policies that can limit an identity-based policy",
          identity: [Doc.allow()], resource: [Doc.grant(Doc.aws(P.other))], boundary: nothing, principal: otherUser, .implicit(.boundary)),
        c("Cross-account Principal *", "\(principal) — All principals", identity: [Doc.allow()], resource: [Doc.grant("\"*\"")],
          principal: otherUser, .allow),
        c("Resource policy names a third account", cross, identity: [Doc.allow()], resource: [Doc.grant(Doc.aws("999988887777"))],
          principal: otherUser, .implicit(.resource)),
        c("Root user of the trusted account", "\(principal) — AWS account principals (delegates authority to the account)",
          resource: [Doc.grant(Doc.aws("arn:aws:iam::444455556666:root"))], principal: P.root(account: P.other), .allow),
        c("Root user of another account without a resource policy", cross, principal: P.root(account: P.other), .implicit(.resource)),
        c("Cross-account explicit deny in the resource policy", "IAM UG: How AWS enforcement code logic evaluates requests — Deny evaluation",
          identity: [Doc.allow()], resource: [Doc.grant(Doc.aws(P.other)), Doc.grant(Doc.aws(bob), effect: "Deny")],
          principal: otherUser, .deny(.resource)),
        c("Cross-account explicit deny in the caller's identity policy", "IAM UG: How AWS enforcement code logic evaluates requests — Deny evaluation",
          identity: [Doc.allow(), Doc.deny()], resource: [Doc.grant(Doc.aws(P.other))], principal: otherUser, .deny(.identity)),
        // KMS key policies.
        kmsCase("Default key policy delegates to IAM policies", kmsDefault, identity: [Doc.allow("kms:Encrypt")],
                key: Doc.kmsDefault(), .allow),
        kmsCase("Default key policy without an IAM policy", kmsDefault, key: Doc.kmsDefault(), .implicit(.identity)),
        kmsCase("Key policy without the account statement ignores IAM policies",
                "\(kmsDefault) — without it, IAM policies that allow access to the key are ineffective",
                identity: [Doc.allow("kms:*")], key: keyAdminOnly, .implicit(.resource)),
        kmsCase("Key policy names the user directly", "\(kmsKeyPolicies) — key policy allows a principal directly",
                key: Doc.grant(Doc.aws("arn:aws:iam::111122223333:user/carlossalazar"), "kms:Encrypt"), .allow),
        kmsCase("Key policy names the role", "\(kmsKeyPolicies); IAM UG: resource-based policy naming a role ARN",
                key: Doc.grant(Doc.aws("arn:aws:iam::111122223333:role/examplerole"), "kms:Encrypt"), principal: P.session(), .allow),
        kmsCase("Key policy names the role, boundary does not allow", "IAM UG: Policy evaluation for requests within a single account — IAM role",
                key: Doc.grant(Doc.aws("arn:aws:iam::111122223333:role/examplerole"), "kms:Encrypt"), boundary: nothing,
                principal: P.session(), .implicit(.boundary)),
        kmsCase("Root user with the default key policy", kmsDefault, key: Doc.kmsDefault(), principal: P.root(), .allow),
        kmsCase("Root user with a key policy that omits the account",
                "\(kmsDefault) — the key becomes unmanageable without the account statement",
                key: keyAdminOnly, principal: P.root(), .implicit(.resource)),
        kmsCase("Default key policy, session policy does not allow", "\(kmsDefault); IAM UG: Session policies",
                identity: [Doc.allow("kms:*")], key: Doc.kmsDefault(), session: [nothing], principal: P.session(), .implicit(.session)),
        kmsCase("Key policy denies the user", "IAM UG: How AWS enforcement code logic evaluates requests — Deny evaluation",
                identity: [Doc.allow("kms:*")],
                key: #"{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},{"Sid":"NoEncrypt","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/carlossalazar"},"Action":"kms:Encrypt","Resource":"*"}]}"#,
                .deny(.resource)),
        kmsCase("Default key policy written with the account id", "\(principal) — AWS account principals (12-digit id same as root ARN)",
                identity: [Doc.allow("kms:Encrypt")], key: Doc.grant(Doc.aws(P.acct), "kms:*"), .allow),
        kmsCase("External account allowed by the key policy", "KMS DG: Allowing users in other accounts to use a KMS key",
                identity: [Doc.allow("kms:Encrypt")], key: Doc.grant(Doc.aws("arn:aws:iam::444455556666:root"), "kms:Encrypt"),
                principal: otherUser, .allow),
        kmsCase("External account not in the key policy", "KMS DG: Allowing users in other accounts to use a KMS key",
                identity: [Doc.allow("kms:Encrypt")], key: Doc.kmsDefault(), principal: otherUser, .implicit(.resource)),
        // Service principals.
        c("SNS may send to the queue for its topic", arnOps, resource: [queuePolicy], principal: P.service("sns.amazonaws.com"),
          action: "sqs:SendMessage", arn: queue, context: ["aws:SourceArn": [topic]], .allow),
        c("SNS for another topic", arnOps, resource: [queuePolicy], principal: P.service("sns.amazonaws.com"),
          action: "sqs:SendMessage", arn: queue, context: ["aws:SourceArn": ["arn:aws:sns:us-east-2:111122223333:OTHER"]],
          .implicit(.resource)),
        c("Another service", "\(principal) — AWS service principals", resource: [queuePolicy], principal: P.service("events.amazonaws.com"),
          action: "sqs:SendMessage", arn: queue, context: ["aws:SourceArn": [topic]], .implicit(.resource)),
        c("Principal * includes services", "\(principal) — All principals", resource: [Doc.grant("\"*\"", "sqs:SendMessage")],
          principal: P.service("sns.amazonaws.com"), action: "sqs:SendMessage", arn: queue, .allow),
        c("{\"AWS\":\"*\"} includes services", "\(principal) — All principals (\"Principal\": {\"AWS\": \"*\"} is the same as "
          + "\"*\"); the SQS console's own topic-subscription policy names {\"AWS\":\"*\"} with aws:SourceArn",
          resource: [Doc.grant(Doc.aws("*"), "sqs:SendMessage")], principal: P.service("sns.amazonaws.com"), action: "sqs:SendMessage",
          arn: queue, .allow),
        c("Service explicitly denied", "IAM UG: How AWS enforcement code logic evaluates requests — Deny evaluation",
          resource: [queuePolicy, Doc.grant(#"{"Service":"sns.amazonaws.com"}"#, "sqs:SendMessage", effect: "Deny")],
          principal: P.service("sns.amazonaws.com"), action: "sqs:SendMessage", arn: queue, context: ["aws:SourceArn": [topic]],
          .deny(.resource)),
        c("Service without a resource policy", "\(principal) — AWS service principals", principal: P.service("sns.amazonaws.com"),
          action: "sqs:SendMessage", arn: queue, .implicit(.resource)),
        c("Service principal list", "\(principal) — AWS service principals (array)",
          resource: [Doc.grant(#"{"Service":["events.amazonaws.com","sns.amazonaws.com"]}"#, "sns:Publish", topic)],
          principal: P.service("events.amazonaws.com"), action: "sns:Publish", arn: topic, .allow),
        // Anonymous callers.
        c("Public read with Principal *", "\(principal) — All principals (anonymous access)", resource: [Doc.grant("\"*\"")],
          principal: P.anonymous, .allow),
        c("Public read with {\"AWS\":\"*\"}", "\(principal) — All principals (\"Principal\": {\"AWS\": \"*\"})",
          resource: [Doc.grant(Doc.aws("*"))], principal: P.anonymous, .allow),
        c("Anonymous caller and an account principal", principal, resource: [Doc.grant(Doc.aws(P.acct))], principal: P.anonymous,
          .implicit(.resource)),
        c("Anonymous caller without a resource policy", "IAM UG: Policy evaluation logic — Authentication (anonymous requests)",
          principal: P.anonymous, .implicit(.resource)),
        c("Public read limited by source IP", "\(principal) — All principals (limit access with a Condition)",
          resource: [Doc.grant("\"*\"", condition: #"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#)], principal: P.anonymous,
          context: ["aws:SourceIp": ["198.51.100.7"]], .implicit(.resource)),
        // NotPrincipal.
        c("Bob and his account listed: Bob not denied", "\(notPrincipal), example IAM user in the same or a different account",
          identity: [Doc.allow("s3:*")], resource: [bobNotDenied], principal: otherUser, .allow),
        c("Everyone else in Bob's account denied", "\(notPrincipal), example IAM user in the same or a different account",
          identity: [Doc.allow("s3:*")], resource: [bobNotDenied], principal: P.user("Alice", account: P.other), .deny(.resource)),
        c("Only Bob's ARN listed: Bob denied through his account", "\(notPrincipal) — you must also specify the account ARN",
          identity: [Doc.allow("s3:*")], resource: [bobOnlyListed], principal: otherUser, .deny(.resource)),
        c("Session, role and account listed: session not denied", "\(notPrincipal), example IAM role in the same or different account",
          identity: [Doc.allow("s3:*")], resource: [auditNotDenied], principal: otherSession, .allow),
        c("Role missing from NotPrincipal: session denied", "\(notPrincipal), example IAM role (missing role ARN denies the role)",
          identity: [Doc.allow("s3:*")], resource: [auditSessionOnly], principal: otherSession, .deny(.resource)),
        c("Deny with NotPrincipal always applies to bounded principals",
          "IAM UG: Permissions boundaries for IAM entities — Important: NotPrincipal with Deny always denies principals with a boundary",
          identity: [Doc.allow("s3:*")], resource: [bobNotDenied], boundary: Doc.allow("s3:*"), principal: otherUser, .deny(.resource)),
        c("Allow with NotPrincipal grants everyone else", "IAM UG: AWS JSON policy elements: NotPrincipal — NotPrincipal with Allow",
          resource: [Doc.grant(Doc.aws("arn:aws:iam::111122223333:user/Mallory"), notPrincipal: true)], principal: P.user(), .allow),
        c("Allow with NotPrincipal leaves out the listed", "IAM UG: AWS JSON policy elements: NotPrincipal — NotPrincipal with Allow",
          resource: [Doc.grant(#"{"AWS":["arn:aws:iam::111122223333:user/Mallory","arn:aws:iam::111122223333:root"]}"#, notPrincipal: true)],
          principal: P.user("Mallory"), .implicit(.identity)),
        // Keys AWS derives from the principal.
        c("aws:PrincipalArn is the role for a session", "IAM UG: AWS global condition context keys — aws:PrincipalArn (role ARN for assumed roles)",
          resource: [Doc.grant("\"*\"", condition: #"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/examplerole"}}"#)],
          principal: P.session(), .allow),
        c("aws:PrincipalAccount from the caller", "IAM UG: AWS global condition context keys — aws:PrincipalAccount",
          resource: [Doc.grant("\"*\"", condition: #"{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}"#)], principal: P.user(), .allow),
        c("aws:PrincipalAccount of another account", "IAM UG: AWS global condition context keys — aws:PrincipalAccount",
          identity: [Doc.allow()], resource: [Doc.grant("\"*\"", condition: #"{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}"#)],
          principal: otherUser, .implicit(.resource)),
        c("aws:PrincipalType for a role session", "IAM UG: IAM policy elements: Variables and tags — Principal key values (AssumedRole)",
          identity: [Doc.allow(condition: #"{"StringEquals":{"aws:PrincipalType":"AssumedRole"}}"#)], principal: P.session(), .allow),
    ]
}
