// Table cases for IP address, ARN and Null operators, set operators (ForAllValues/ForAnyValue) and multiple keys.

import WardenPolicy

enum SetCases {
    static let ops = "IAM UG: IAM JSON policy elements: Condition operators"
    static let ip = "\(ops) — IP address condition operators"
    static let arn = "\(ops) — Amazon Resource Name (ARN) condition operators"
    static let null = "\(ops) — Condition operator to check existence of condition keys (Null)"
    static let sets = "IAM UG: Creating a condition that tests multiple key values (set operations)"
    static let multiEx = "IAM UG: Multivalued context key examples — Deny policy with condition set operator ForAllValues"
    static let multi = "IAM UG: Conditions with multiple context keys or values — Evaluation logic for multiple context keys or values"

    static let docArn = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    static let tagKeysDeny = #"{"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}}"#
    static let requested = #"{"ForAllValues:StringLike":{"dynamodb:requestedAttributes":["PostDateTime","Message","Tags"]}}"#
    static let forbidden = #"{"ForAnyValue:StringLike":{"dynamodb:requestedAttributes":["ID","PostDateTime"]}}"#

    static func tagDeny(_ name: String, _ context: [String: [String]], _ expect: Expect) -> EvalCase {
        EvalCase(name: name, source: "\(multiEx), table row", identity: [Doc.allow("iam:Tag*"), Doc.deny("iam:Tag*", condition: tagKeysDeny)],
                 action: "iam:TagUser", resourceArn: "arn:aws:iam::111122223333:user/carlossalazar", context: context, expect: expect)
    }

    static func putItem(_ name: String, _ attrs: [String], _ expect: Expect) -> EvalCase {
        EvalCase(name: name, source: "\(sets) — Examples of condition set operators (ForAnyValue with Deny on PutItem)",
                 identity: [Doc.allow("dynamodb:*"), Doc.deny("dynamodb:PutItem", condition: forbidden)],
                 action: "dynamodb:PutItem", resourceArn: "arn:aws:dynamodb:us-east-2:111122223333:table/Thread",
                 context: ["dynamodb:requestedAttributes": attrs], expect: expect)
    }

    static let cases: [EvalCase] = [
        // IP addresses.
        cond("IpAddress inside the /24", "\(ip), example 203.0.113.0/24", #"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
             ["aws:SourceIp": ["203.0.113.77"]], true),
        cond("IpAddress outside the /24", "\(ip), example 203.0.113.0/24", #"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
             ["aws:SourceIp": ["203.0.114.1"]], false),
        cond("IpAddress without prefix is /32", "\(ip) — address without routing prefix uses /32",
             #"{"IpAddress":{"aws:SourceIp":"203.0.113.5"}}"#, ["aws:SourceIp": ["203.0.113.5"]], true),
        cond("IpAddress /32 other address", "\(ip) — address without routing prefix uses /32",
             #"{"IpAddress":{"aws:SourceIp":"203.0.113.5"}}"#, ["aws:SourceIp": ["203.0.113.6"]], false),
        cond("IpAddress IPv6 block", "\(ip), example mixing IPv4 and IPv6",
             #"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}"#,
             ["aws:SourceIp": ["2001:db8:1234:5678:abcd::1"]], true),
        cond("IpAddress IPv6 outside", "\(ip), example mixing IPv4 and IPv6",
             #"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}"#,
             ["aws:SourceIp": ["2001:db8:1234:5679::1"]], false),
        cond("IpAddress IPv4 in mixed list", "\(ip), example mixing IPv4 and IPv6",
             #"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}"#,
             ["aws:SourceIp": ["203.0.113.200"]], true),
        cond("IpAddress key absent (VPC endpoint)", "\(ip) — request through a VPC endpoint: condition returns false",
             #"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, [:], false),
        cond("NotIpAddress outside", "\(ip) — NotIpAddress", #"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
             ["aws:SourceIp": ["198.51.100.1"]], true),
        cond("NotIpAddress inside", "\(ip) — NotIpAddress", #"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
             ["aws:SourceIp": ["203.0.113.1"]], false),
        cond("NotIpAddress key absent is true", "\(ops) — Important note (negated operators)",
             #"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, [:], true),
        cond("IpAddressIfExists key absent", "\(ops) — ...IfExists condition operators",
             #"{"IpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}"#, [:], true),
        cond("NotIpAddressIfExists present inside", "\(ops) — ...IfExists condition operators",
             #"{"NotIpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#, ["aws:SourceIp": ["10.1.2.3"]], false),
        // ARNs.
        cond("ArnEquals same ARN", "\(arn), example aws:SourceArn (SNS topic)",
             #"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-2:123456789012:TOPIC-ID"}}"#,
             ["aws:SourceArn": ["arn:aws:sns:us-east-2:123456789012:TOPIC-ID"]], true),
        cond("ArnEquals other topic", "\(arn), example aws:SourceArn (SNS topic)",
             #"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-2:123456789012:TOPIC-ID"}}"#,
             ["aws:SourceArn": ["arn:aws:sns:us-east-2:123456789012:OTHER"]], false),
        cond("ArnEquals key absent (direct call)", "\(arn) — aws:SourceArn present only when a service calls on behalf of a resource",
             #"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-2:123456789012:TOPIC-ID"}}"#, [:], false),
        cond("StringLike crosses colons", "\(arn), example finance/* (StringLike succeeds)",
             #"{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#, ["aws:SourceArn": [docArn]], true),
        cond("ArnLike matches segment by segment", "\(arn), example finance/* (ArnLike fails)",
             #"{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#, ["aws:SourceArn": [docArn]], false),
        cond("ArnLike wildcard region", "\(arn) — each of the six components can include wildcards",
             #"{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#,
             ["aws:SourceArn": ["arn:aws:someservice:eu-west-1:111122223333:finance/q3.txt"]], true),
        cond("ArnEquals behaves like ArnLike", "\(arn) — ArnEquals and ArnLike behave identically",
             #"{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::amzn-s3-demo-bucket-*"}}"#,
             ["aws:SourceArn": ["arn:aws:s3:::amzn-s3-demo-bucket-logs"]], true),
        cond("ArnLike is case-sensitive", "\(arn) — case-sensitive matching of the ARN",
             #"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::Bucket"}}"#, ["aws:SourceArn": ["arn:aws:s3:::bucket"]], false),
        cond("ArnNotEquals other ARN", "\(arn) — ArnNotEquals", #"{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/admin"}}"#,
             ["aws:PrincipalArn": ["arn:aws:iam::111122223333:user/carlossalazar"]], true),
        cond("ArnNotLike matching ARN", "\(arn) — ArnNotLike", #"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}"#,
             ["aws:PrincipalArn": ["arn:aws:iam::111122223333:user/carlossalazar"]], false),
        cond("ArnNotLike key absent", "\(ops) — Important note (ArnNotLike with a missing key is true)",
             #"{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}"#, [:], true),
        cond("ArnLikeIfExists key absent", "\(ops) — ...IfExists condition operators",
             #"{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}"#, [:], true),
        cond("ArnLike value that is not an ARN", arn, #"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}"#,
             ["aws:SourceArn": ["not-an-arn"]], false),
        // Null.
        cond("Null true, key absent", "\(null), example aws:TokenIssueTime (long-term credentials)",
             #"{"Null":{"aws:TokenIssueTime":"true"}}"#, [:], true),
        cond("Null true, key present", "\(null), example aws:TokenIssueTime (temporary credentials)",
             #"{"Null":{"aws:TokenIssueTime":"true"}}"#, ["aws:TokenIssueTime": ["2026-01-01T00:00:00Z"]], false),
        cond("Null false, key present", null, #"{"Null":{"aws:TokenIssueTime":"false"}}"#,
             ["aws:TokenIssueTime": ["2026-01-01T00:00:00Z"]], true),
        cond("Null false, key absent", null, #"{"Null":{"aws:TokenIssueTime":"false"}}"#, [:], false),
        cond("Null with a JSON boolean", null, #"{"Null":{"aws:TokenIssueTime":true}}"#, [:], true),
        // Set operators.
        cond("ForAllValues all requested attributes listed", "\(sets) — ForAllValues:StringLike example (PostDateTime, Message)",
             requested, ["dynamodb:requestedAttributes": ["PostDateTime", "Message"]], true),
        cond("ForAllValues one attribute not listed", "\(sets) — Evaluation logic (PostDateTime, UserName)",
             requested, ["dynamodb:requestedAttributes": ["PostDateTime", "UserName"]], false),
        cond("ForAllValues empty set is true", "\(sets) — Note: empty data set, ForAllValues returns true", requested,
             ["dynamodb:requestedAttributes": []], true),
        cond("ForAllValues missing key is true", "IAM UG: Multivalued context key examples — ForAllValues returns true when the key is not in the request",
             requested, [:], true),
        cond("ForAnyValue one value listed", "\(sets) — ForAnyValue: any one of the key values matches", #"{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}"#,
             ["aws:TagKeys": ["owner", "team"]], true),
        cond("ForAnyValue no value listed", "\(sets) — ForAnyValue", #"{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}"#,
             ["aws:TagKeys": ["owner"]], false),
        cond("ForAnyValue empty set is false", "\(sets) — Note: empty data set, ForAnyValue returns false",
             #"{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}"#, ["aws:TagKeys": []], false),
        cond("ForAnyValue missing key is false", "\(sets) — Note: empty data set, ForAnyValue returns false",
             #"{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}"#, [:], false),
        cond("ForAnyValue:StringNotEquals one value outside", "IAM UG: Set operators for multivalued context keys — ForAnyValue with a negated operator",
             #"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env","team"]}}"#, ["aws:TagKeys": ["env", "owner"]], true),
        cond("ForAnyValue:StringNotEquals all inside", "IAM UG: Set operators for multivalued context keys — ForAnyValue with a negated operator",
             #"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env","team"]}}"#, ["aws:TagKeys": ["env", "team"]], false),
        cond("ForAllValues:StringEqualsIfExists key absent", "\(ops) — ...IfExists condition operators",
             #"{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":["env"]}}"#, [:], true),
        cond("ForAnyValue:StringLikeIfExists key absent", "\(ops) — ...IfExists condition operators",
             #"{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["env*"]}}"#, [:], true),
        cond("ForAllValues:NumericLessThan", sets, #"{"ForAllValues:NumericLessThan":{"example:sizes":"100"}}"#,
             ["example:sizes": ["10", "99"]], true),
        cond("ForAnyValue:IpAddress", sets, #"{"ForAnyValue:IpAddress":{"example:addresses":"10.0.0.0/8"}}"#,
             ["example:addresses": ["192.0.2.1", "10.9.9.9"]], true),
        tagDeny("ForAllValues:StringNotLike key1:legal: no match", ["aws:TagKeys": ["key1:legal"]], .allow),
        tagDeny("ForAllValues:StringNotLike key1:hr, key1:personnel: no match", ["aws:TagKeys": ["key1:hr", "key1:personnel"]], .allow),
        tagDeny("ForAllValues:StringNotLike key2:audit: match", ["aws:TagKeys": ["key2:audit"]], .deny(.identity)),
        tagDeny("ForAllValues:StringNotLike no aws:TagKeys: match", [:], .deny(.identity)),
        tagDeny("ForAllValues:StringNotLike mixed: match", ["aws:TagKeys": ["key1:hr", "key2:audit"]], .allow),
        putItem("ForAnyValue deny: PostDateTime among UserName, Message", ["UserName", "Message", "PostDateTime"], .deny(.identity)),
        putItem("ForAnyValue deny: UserName alone", ["UserName"], .allow),
        // Several keys and operators.
        cond("Two operators both true", "\(multi) — condition operators are ANDed",
             #"{"StringEquals":{"aws:PrincipalTag/department":"finance"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}"#,
             ["aws:PrincipalTag/department": ["finance"]], true),
        cond("Two operators, one false", "\(multi) — condition operators are ANDed",
             #"{"StringEquals":{"aws:PrincipalTag/department":"finance"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}"#,
             ["aws:PrincipalTag/department": ["finance"]], false),
        cond("Two keys in one operator, both true", "\(multi) — context keys in one operator are ANDed",
             #"{"StringEquals":{"aws:PrincipalTag/department":"finance","aws:PrincipalTag/role":"audit"}}"#,
             ["aws:PrincipalTag/department": ["finance"], "aws:PrincipalTag/role": ["audit"]], true),
        cond("Two keys in one operator, one absent", "\(multi) — context keys in one operator are ANDed",
             #"{"StringEquals":{"aws:PrincipalTag/department":"finance","aws:PrincipalTag/role":"audit"}}"#,
             ["aws:PrincipalTag/department": ["finance"]], false),
    ]
}
