// Table cases for policy variables, Action/NotAction and Resource/NotResource matching.

import Foundation
import WardenPolicy

enum ElementCases {
    static let vars = "IAM UG: IAM policy elements: Variables and tags"
    static let action = "IAM UG: IAM JSON policy elements: Action"
    static let notAction = "IAM UG: IAM JSON policy elements: NotAction"
    static let resource = "IAM UG: IAM JSON policy elements: Resource"
    static let notResource = "IAM UG: IAM JSON policy elements: NotResource"
    static let interplay = "IAM UG: The difference between explicit and implicit denies — AllowGetList/DenyReports example"

    static let home = Doc.allow("s3:GetObject|s3:PutObject", "arn:aws:s3:::mybucket/${aws:username}/*")
    static let reports = #"{"Version":"2012-10-17","Statement":[{"Sid":"AllowGetList","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"},{"Sid":"DenyReports","Effect":"Deny","Action":"iam:*Report","Resource":"*"}]}"#

    static func v(_ name: String, _ source: String, _ policy: String, _ resource: String, _ context: [String: [String]],
                  _ expect: Expect, principal: PolicyPrincipal = P.user("David")) -> EvalCase {
        EvalCase(name: name, source: source, identity: [policy], principal: principal, resourceArn: resource,
                 context: context, expect: expect)
    }

    static func a(_ name: String, _ source: String, _ policies: [String], _ action: String, _ expect: Expect,
                  resource: String = "arn:aws:iam::111122223333:user/carlossalazar") -> EvalCase {
        EvalCase(name: name, source: source, identity: policies, action: action, resourceArn: resource, expect: expect)
    }

    static let cases: [EvalCase] = [
        // Variables.
        v("${aws:username} in Resource, own prefix", "\(vars) — Introduction, mybucket/${aws:username}/* example", home,
          "arn:aws:s3:::mybucket/David/notes.txt", [:], .allow),
        v("${aws:username} in Resource, someone else's prefix", "\(vars) — Introduction, mybucket/${aws:username}/* example",
          home, "arn:aws:s3:::mybucket/Adele/notes.txt", [:], .implicit(.identity)),
        v("${aws:username} from the context wins", "\(vars) — Request information that you can use for policy variables",
          home, "arn:aws:s3:::mybucket/Adele/notes.txt", ["aws:username": ["Adele"]], .allow),
        v("${aws:username} not present for a role session", "\(vars) — Principal key values (not present: any attempt to match it fails)",
          home, "arn:aws:s3:::mybucket/examplerole/notes.txt", [:], .implicit(.identity), principal: P.session()),
        v("Default value used when the key is absent", "\(vars) — Specifying default values (${aws:userid, 'anonymous'})",
          Doc.allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:userid, 'anonymous'}/*"), "arn:aws:s3:::bucket/anonymous/x", [:], .allow),
        v("Default value ignored when the key is present", "\(vars) — Specifying default values",
          Doc.allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:userid, 'anonymous'}/*"), "arn:aws:s3:::bucket/anonymous/x",
          ["aws:userid": ["AIDAEXAMPLE"]], .implicit(.identity)),
        v("Principal tag as a variable", "\(vars) — Tags as policy variables (bucket/${aws:PrincipalTag/department})",
          Doc.allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:PrincipalTag/department}"), "arn:aws:s3:::bucket/finance",
          ["aws:PrincipalTag/department": ["finance"]], .allow),
        v("Principal tag variable without the tag", "\(vars) — Tags as policy variables; Note: an unresolved variable invalidates the statement",
          Doc.allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:PrincipalTag/department}"), "arn:aws:s3:::bucket/finance", [:],
          .implicit(.identity)),
        v("${*} is a literal asterisk", "\(vars) — Special characters (${*})",
          Doc.allow("s3:GetObject", "arn:aws:s3:::bucket/${*}"), "arn:aws:s3:::bucket/*", [:], .allow),
        v("${*} is not a wildcard", "\(vars) — Special characters (${*})",
          Doc.allow("s3:GetObject", "arn:aws:s3:::bucket/${*}"), "arn:aws:s3:::bucket/anything", [:], .implicit(.identity)),
        v("${?} and ${$} are literal", "\(vars) — Special characters (${?}, ${$})",
          Doc.allow("s3:GetObject", "arn:aws:s3:::bucket/why${?}-${$}5"), "arn:aws:s3:::bucket/why?-$5", [:], .allow),
        v("Variables are literal without Version", "\(vars) — Note: without Version 2012-10-17, variables are literal strings",
          Doc.allow("s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/*", version: nil),
          "arn:aws:s3:::mybucket/${aws:username}/x", [:], .allow),
        v("Variables are literal in 2008-10-17", "\(vars) — Note: variables were introduced in version 2012-10-17",
          Doc.allow("s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/*", version: "2008-10-17"),
          "arn:aws:s3:::mybucket/David/x", [:], .implicit(.identity)),
        EvalCase(name: "Variable in a StringLike condition, other user's prefix", source: "\(vars) — Condition element (StringLike s3:prefix ${aws:username}/*)",
                 identity: [Doc.allow("s3:ListBucket", "arn:aws:s3:::mybucket", condition: #"{"StringLike":{"s3:prefix":["${aws:username}/*"]}}"#)],
                 principal: P.user("David"), action: "s3:ListBucket", resourceArn: "arn:aws:s3:::mybucket",
                 context: ["s3:prefix": ["Adele/photos"]], expect: .implicit(.identity)),
        EvalCase(name: "Variable in a StringLike condition, ListBucket", source: "\(vars) — Condition element (StringLike s3:prefix ${aws:username}/*)",
                 identity: [Doc.allow("s3:ListBucket", "arn:aws:s3:::mybucket", condition: #"{"StringLike":{"s3:prefix":["${aws:username}/*"]}}"#)],
                 principal: P.user("David"), action: "s3:ListBucket", resourceArn: "arn:aws:s3:::mybucket",
                 context: ["s3:prefix": ["David/photos"]], expect: .allow),
        EvalCase(name: "Variable in a condition: substituted text is not a wildcard", source: "\(vars) — Special characters",
                 identity: [Doc.allow(condition: #"{"StringLike":{"s3:prefix":"${aws:PrincipalTag/folder}"}}"#)],
                 context: ["aws:PrincipalTag/folder": ["a*"], "s3:prefix": ["abc"]], expect: .implicit(.identity)),
        EvalCase(name: "Unresolved variable in a Deny condition: the Deny does not apply",
                 source: "\(vars) — Principal key values (not present: the statement is invalid)",
                 identity: [Doc.allow(), Doc.deny(condition: #"{"StringNotEquals":{"s3:prefix":"${aws:username}"}}"#)],
                 principal: P.session(), context: ["s3:prefix": ["x"]], expect: .allow),
        EvalCase(name: "Variable in ArnEquals", source: "\(SetCases.arn) — You can use a policy variable with the ARN condition operator",
                 identity: [Doc.allow(condition: #"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:*:${aws:username}-topic"}}"#)],
                 principal: P.user("David"), context: ["aws:SourceArn": ["arn:aws:sns:us-east-2:111122223333:David-topic"]], expect: .allow),
        EvalCase(name: "SQS queue named after the user", source: "\(vars) — Resource element (sqs:* on arn:aws:sqs:us-east-2:*:${aws:username}-queue)",
                 identity: [Doc.allow("sqs:*", "arn:aws:sqs:us-east-2:*:${aws:username}-queue")], principal: P.user("David"),
                 action: "sqs:SendMessage", resourceArn: "arn:aws:sqs:us-east-2:111122223333:David-queue", expect: .allow),
        EvalCase(name: "SQS queue in another Region", source: "\(vars) — Resource element (us-east-2 only)",
                 identity: [Doc.allow("sqs:*", "arn:aws:sqs:us-east-2:*:${aws:username}-queue")], principal: P.user("David"),
                 action: "sqs:SendMessage", resourceArn: "arn:aws:sqs:eu-west-1:111122223333:David-queue", expect: .implicit(.identity)),
        EvalCase(name: "Multivalued key cannot be a variable", source: "IAM UG: Single-valued vs. multivalued context keys — multivalued keys cannot be policy variables",
                 identity: [Doc.allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:TagKeys}")], resourceArn: "arn:aws:s3:::bucket/a",
                 context: ["aws:TagKeys": ["a", "b"]], expect: .implicit(.identity)),

        // Actions.
        a("Action names are case-insensitive", "\(action) — the prefix and the action name are case insensitive",
          [Doc.allow("IAM:listaccesskeys")], "iam:ListAccessKeys", .allow),
        a("Action * wildcard within a service", "\(action) — wildcards (s3:*)", [Doc.allow("iam:*")], "iam:CreateUser", .allow),
        a("Action wildcard in the middle", "\(action) — iam:*AccessKey*", [Doc.allow("iam:*AccessKey*")], "iam:UpdateAccessKey", .allow),
        a("Action wildcard does not cross services", "\(action) — wildcards", [Doc.allow("iam:*")], "sts:GetCallerIdentity",
          .implicit(.identity)),
        a("Action ? wildcard", "\(action) — wildcards (?)", [Doc.allow("iam:Get?ser")], "iam:GetUser", .allow),
        a("Action * alone allows every action", "\(action) — \"Action\": \"*\"", [Doc.allow("*")], "ec2:RunInstances", .allow),
        a("Action list", "\(action) — multiple actions in an array", [Doc.allow("sqs:SendMessage|sqs:ReceiveMessage")],
          "sqs:ReceiveMessage", .allow),
        a("NotAction allows everything else", "\(notAction) — Allow with NotAction iam:*", [Doc.allow("iam:*", effect: "Allow").replacingOccurrences(of: "\"Action\"", with: "\"NotAction\"")],
          "s3:ListAllMyBuckets", .allow),
        a("NotAction excludes the listed service", "\(notAction) — Allow with NotAction iam:*",
          [Doc.allow("iam:*").replacingOccurrences(of: "\"Action\"", with: "\"NotAction\"")], "iam:CreateUser", .implicit(.identity)),
        a("Deny with NotAction denies everything else", "\(notAction) — NotAction with Deny",
          [Doc.allow("*"), Doc.deny("iam:*").replacingOccurrences(of: "\"Action\"", with: "\"NotAction\"")], "s3:GetObject", .deny(.identity)),
        a("Deny with NotAction leaves the listed actions", "\(notAction) — NotAction with Deny",
          [Doc.allow("*"), Doc.deny("iam:*").replacingOccurrences(of: "\"Action\"", with: "\"NotAction\"")], "iam:GetUser", .allow),
        a("AllowGetList allows iam:GetUser", interplay, [reports], "iam:GetUser", .allow),
        a("Other IAM actions are implicitly denied", interplay, [reports], "iam:CreatePolicy", .implicit(.identity)),
        a("DenyReports explicitly denies a report", interplay, [reports], "iam:GetOrganizationsAccessReport", .deny(.identity)),
        a("DenyReports wins over another policy's allow", interplay, [reports, Doc.allow("iam:GenerateCredentialReport")],
          "iam:GenerateCredentialReport", .deny(.identity)),

        // Resources.
        v("Resource wildcard spans ARN segments", "\(resource) — wildcards; Policy evaluation logic, DenyS3Logs (arn:aws:s3:::*log*)",
          Doc.allow("s3:*", "arn:aws:s3:::*log*"), "arn:aws:s3:::carlossalazar-logs/2026/file", [:], .allow),
        v("Resource ARNs are case-sensitive", "\(resource) — resource ARNs are case sensitive",
          Doc.allow("s3:*", "arn:aws:s3:::Bucket/*"), "arn:aws:s3:::bucket/x", [:], .implicit(.identity)),
        v("Resource ? wildcard", "\(resource) — wildcards (?)", Doc.allow("s3:*", "arn:aws:s3:::bucket-?"),
          "arn:aws:s3:::bucket-1", [:], .allow),
        v("Resource list", "\(resource) — multiple resources", Doc.allow("s3:*", "arn:aws:s3:::carlossalazar/*|arn:aws:s3:::carlossalazar"),
          "arn:aws:s3:::carlossalazar", [:], .allow),
        v("Specific resource does not match \"*\" requests", "\(resource) — actions without resources need \"Resource\": \"*\"",
          Doc.allow("s3:*", "arn:aws:s3:::carlossalazar"), "*", [:], .implicit(.identity)),
        v("NotResource allows other resources", "\(notResource) — Allow with NotResource",
          Doc.allow("s3:*", "arn:aws:s3:::HRBucket/Payroll|arn:aws:s3:::HRBucket/Payroll/*").replacingOccurrences(of: "\"Resource\"", with: "\"NotResource\""),
          "arn:aws:s3:::HRBucket/Staff", [:], .allow),
        v("NotResource excludes the listed ones", "\(notResource) — Allow with NotResource",
          Doc.allow("s3:*", "arn:aws:s3:::HRBucket/Payroll|arn:aws:s3:::HRBucket/Payroll/*").replacingOccurrences(of: "\"Resource\"", with: "\"NotResource\""),
          "arn:aws:s3:::HRBucket/Payroll/june.csv", [:], .implicit(.identity)),
        EvalCase(name: "Deny with NotResource denies everything but the listed", source: "\(notResource) — Deny with NotResource",
                 identity: [Doc.allow("s3:*"), Doc.deny("s3:*", "arn:aws:s3:::HRBucket/*").replacingOccurrences(of: "\"Resource\"", with: "\"NotResource\"")],
                 resourceArn: "arn:aws:s3:::OtherBucket/x", expect: .deny(.identity)),
        EvalCase(name: "Deny with NotResource leaves the listed", source: "\(notResource) — Deny with NotResource",
                 identity: [Doc.allow("s3:*"), Doc.deny("s3:*", "arn:aws:s3:::HRBucket/*").replacingOccurrences(of: "\"Resource\"", with: "\"NotResource\"")],
                 resourceArn: "arn:aws:s3:::HRBucket/x", expect: .allow),
    ]
}
