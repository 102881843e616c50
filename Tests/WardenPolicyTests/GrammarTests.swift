// Malformed and oversized documents, each with the MalformedPolicyDocument (or LimitExceeded) text IAM answers.

import WardenPolicy
import XCTest

struct GrammarCase {
    let name: String
    let kind: PolicyKind
    let json: String
    let error: PolicyError
}

/// Wraps one statement's members in a 2012-10-17 document.
private func doc(_ statement: String) -> String { #"{"Version":"2012-10-17","Statement":{\#(statement)}}"# }

private let ok = #""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#
private let okGrant = #""Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"*""#
private let okTrust = #""Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole""#

private func id(_ name: String, _ json: String, _ error: PolicyError) -> GrammarCase {
    GrammarCase(name: name, kind: .identity, json: json, error: error)
}

private func res(_ name: String, _ json: String, _ error: PolicyError) -> GrammarCase {
    GrammarCase(name: name, kind: .resource, json: json, error: error)
}

private func trust(_ name: String, _ json: String, _ error: PolicyError) -> GrammarCase {
    GrammarCase(name: name, kind: .trust, json: json, error: error)
}

let grammarCases: [GrammarCase] = [
    // Syntax.
    id("not JSON", #"{"Version":"#, .syntax),
    id("empty document", "", .syntax),
    id("top level is an array", "[]", .syntax),
    id("unknown top-level element", #"{"Version":"2012-10-17","Foo":1,"Statement":{\#(ok)}}"#, .syntax),
    id("unknown Version", #"{"Version":"2012-10-18","Statement":{\#(ok)}}"#, .syntax),
    id("Version as a number", #"{"Version":2012,"Statement":{\#(ok)}}"#, .syntax),
    id("Id not a string", #"{"Version":"2012-10-17","Id":7,"Statement":{\#(ok)}}"#, .syntax),
    id("no Statement", #"{"Version":"2012-10-17"}"#, .syntax),
    res("no Statement in a bucket policy", #"{"Version":"2012-10-17"}"#, .missingField("Statement")),
    id("empty Statement list", #"{"Version":"2012-10-17","Statement":[]}"#, .syntax),
    id("Statement is a string", #"{"Version":"2012-10-17","Statement":"Allow"}"#, .syntax),
    id("Statement item is not an object", #"{"Version":"2012-10-17","Statement":[1]}"#, .syntax),
    id("unknown statement element", doc(#""Effect":"Allow","Actions":"s3:GetObject","Resource":"*""#), .syntax),
    id("no Effect", doc(#""Action":"s3:GetObject","Resource":"*""#), .syntax),
    res("no Effect in a bucket policy", doc(#""Principal":"*","Action":"s3:GetObject","Resource":"*""#), .missingField("Effect")),
    id("Effect Permit", doc(#""Effect":"Permit","Action":"s3:GetObject","Resource":"*""#), .syntax),
    res("Effect hello in a bucket policy", doc(#""Effect":"hello","Principal":"*","Action":"s3:*","Resource":"*""#), .invalidEffect("hello")),
    res("Effect in the wrong case in a bucket policy", doc(#""Effect":"allow","Principal":"*","Action":"s3:*","Resource":"*""#),
        .invalidEffect("allow")),
    id("Effect not a string", doc(#""Effect":true,"Action":"s3:GetObject","Resource":"*""#), .syntax),
    id("Action and NotAction", doc(#""Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*""#), .syntax),
    id("Resource and NotResource", doc(#""Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"*""#), .syntax),
    id("Action list with a number", doc(#""Effect":"Allow","Action":["s3:GetObject",3],"Resource":"*""#), .syntax),
    id("Action is an object", doc(#""Effect":"Allow","Action":{"s3":"GetObject"},"Resource":"*""#), .syntax),
    id("Resource is an object", doc(#""Effect":"Allow","Action":"s3:GetObject","Resource":{"arn":"x"}"#), .syntax),
    id("Condition is a list", doc(#"\#(ok),"Condition":[]"#), .syntax),
    id("Condition block is a string", doc(#"\#(ok),"Condition":{"StringEquals":"x"}"#), .syntax),
    id("Condition without an operator", doc(#"\#(ok),"Condition":{"servicecatalog:accountLevel":"self"}"#), .syntax),
    id("Unknown condition operator", doc(#"\#(ok),"Condition":{"StringEqualz":{"aws:username":"x"}}"#), .syntax),
    id("Null cannot take IfExists", doc(#"\#(ok),"Condition":{"NullIfExists":{"aws:TokenIssueTime":"true"}}"#), .syntax),
    id("Condition value null", doc(#"\#(ok),"Condition":{"StringEquals":{"aws:username":null}}"#), .syntax),
    id("Condition value object", doc(#"\#(ok),"Condition":{"StringEquals":{"aws:username":{"a":"b"}}}"#), .syntax),
    id("Element named twice", doc(#"\#(ok),"Effect":"Deny""#), .syntax),
    id("Sid not a string", doc(#""Sid":1,\#(ok)"#), .syntax),
    res("Principal and NotPrincipal", doc(#"\#(okGrant),"NotPrincipal":"*""#), .syntax),
    res("Principal is a number", doc(#""Effect":"Allow","Principal":1,"Action":"s3:*","Resource":"*""#), .syntax),
    // Principals where they do not belong, and missing where they must be.
    id("Principal in an identity-based policy", doc(#"\#(ok),"Principal":"*""#), .principalNotAllowed),
    GrammarCase(name: "NotPrincipal in a permissions boundary", kind: .boundary, json: doc(#"\#(ok),"NotPrincipal":{"AWS":"*"}"#),
                error: .principalNotAllowed),
    GrammarCase(name: "Principal in a session policy", kind: .session, json: doc(#"\#(ok),"Principal":{"AWS":"111122223333"}"#),
                error: .principalNotAllowed),
    res("no Principal in a bucket policy", doc(ok), .missingPrincipal),
    trust("no Principal in a trust policy", doc(#""Effect":"Allow","Action":"sts:AssumeRole""#), .missingPrincipal),
    // Legacy parsing.
    id("Effect in the wrong case", doc(#""Effect":"allow","Action":"s3:GetObject","Resource":"*""#), .legacyParsing),
    id("Date condition that is not a date", doc(#"\#(ok),"Condition":{"DateGreaterThan":{"aws:CurrentTime":"yesterday"}}"#),
       .legacyParsing),
    id("Date with month 13", doc(#"\#(ok),"Condition":{"DateLessThan":{"aws:CurrentTime":"2026-13-01T00:00:00Z"}}"#), .legacyParsing),
    id("Resource with too few parts", doc(#""Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3::bucket""#), .legacyParsing),
    id("Resource without a service", doc(#""Effect":"Allow","Action":"s3:*","Resource":"arn:aws::x:y:z""#), .legacyParsing),
    // Sids.
    id("Sids repeated", #"{"Version":"2012-10-17","Statement":[{"Sid":"A",\#(ok)},{"Sid":"A",\#(ok)}]}"#, .sidNotUnique),
    res("Sids repeated in a bucket policy", #"{"Version":"2012-10-17","Statement":[{"Sid":"A",\#(okGrant)},{"Sid":"A",\#(okGrant)}]}"#,
        .sidNotUnique),
    id("Sid with a dash", doc(#""Sid":"autogenerated-id",\#(ok)"#), .sidNotAlphanumeric),
    trust("Sid with a space in a trust policy", doc(#""Sid":"Trust EC2",\#(okTrust)"#), .sidNotAlphanumeric),
    // Actions and resources present.
    id("no Action", doc(#""Effect":"Allow","Resource":"*""#), .mustContainActions),
    id("empty Action list", doc(#""Effect":"Allow","Action":[],"Resource":"*""#), .mustContainActions),
    res("no Action in a bucket policy", doc(#""Effect":"Allow","Principal":"*","Resource":"*""#), .missingField("Action")),
    id("no Resource", doc(#""Effect":"Allow","Action":"s3:GetObject""#), .mustContainResources),
    id("empty Resource list", doc(#""Effect":"Allow","Action":"s3:GetObject","Resource":[]"#), .mustContainResources),
    GrammarCase(name: "no Resource in a session policy", kind: .session, json: doc(#""Effect":"Allow","Action":"s3:*""#),
                error: .mustContainResources),
    // Resource formats.
    id("Resource is a bucket name", doc(#""Effect":"Allow","Action":"s3:*","Resource":"s3-bucket-ukcloud-replica""#),
       .resourceNotARN("s3-bucket-ukcloud-replica")),
    id("Resource in an unknown partition", doc(#""Effect":"Allow","Action":"s3:*","Resource":"arn:aws-foo:s3:::b""#),
       .partitionNotValid("aws-foo", "s3:::b")),
    id("Resource vendor with a wildcard", doc(#""Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s*:::b""#), .resourceVendor),
    id("IAM resource with a Region", doc(#""Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam:us-east-1:111122223333:user/x""#),
       .iamResourceRegion("arn:aws:iam:us-east-1:111122223333:user/x")),
    id("S3 resource with a Region", doc(#""Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:us-east-1::bucket""#),
       .s3ResourceRegion("arn:aws:s3:us-east-1::bucket")),
    id("IAM resource of an unknown type", doc(#""Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::111122223333:widget/x""#),
       .iamResourcePath),
    // Actions and condition keys.
    id("Action without a vendor", doc(#""Effect":"Allow","Action":"GetObject","Resource":"*""#), .needsVendor),
    id("Action with two colons", doc(#""Effect":"Allow","Action":"s3:Get:Object","Resource":"*""#), .oneColon),
    id("Action vendor with a space", doc(#""Effect":"Allow","Action":"s 3:GetObject","Resource":"*""#), .vendorNotValid("s 3")),
    id("Action vendor wildcard", doc(#""Effect":"Allow","Action":"*:Untag*","Resource":"*""#), .vendorWildcard),
    id("NotAction without a vendor", doc(#""Effect":"Allow","NotAction":"iam","Resource":"*""#), .needsVendor),
    id("Condition key without a vendor", doc(#"\#(ok),"Condition":{"StringEquals":{"username":"x"}}"#), .needsVendor),
    // Trust policies.
    trust("Resource in a trust policy", doc(#"\#(okTrust),"Resource":"*""#), .prohibitedField("Resource")),
    trust("NotResource in a trust policy", doc(#"\#(okTrust),"NotResource":"*""#), .prohibitedField("NotResource")),
    trust("S3 action in a trust policy", doc(#""Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"s3:GetObject""#),
          .trustPolicyActions),
    // Principal values.
    res("Wildcard inside a user ARN", doc(#""Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"s3:*""#),
        .invalidPrincipal("AWS", "arn:aws:iam::111122223333:user/*")),
    trust("Principal that is not an ARN", doc(#""Effect":"Allow","Principal":{"AWS":"not-an-arn"},"Action":"sts:AssumeRole""#),
          .invalidPrincipal("AWS", "not-an-arn")),
    res("Unknown principal type", doc(#""Effect":"Allow","Principal":{"Foo":"bar"},"Action":"s3:*""#), .invalidPrincipal("Foo", "bar")),
    res("Principal string other than *", doc(#""Effect":"Allow","Principal":"arn:aws:iam::111122223333:root","Action":"s3:*""#),
        .invalidPrincipalPlain),
    res("S3 ARN as a principal", doc(#""Effect":"Allow","Principal":{"AWS":"arn:aws:s3:::bucket"},"Action":"s3:*""#),
        .invalidPrincipal("AWS", "arn:aws:s3:::bucket")),
    res("Empty principal object", doc(#""Effect":"Allow","Principal":{},"Action":"s3:*""#), .invalidPrincipalPlain),
    res("Service wildcard", doc(#""Effect":"Allow","Principal":{"Service":"*"},"Action":"sqs:*""#), .invalidPrincipal("Service", "*")),
    res("Short account id", doc(#""Effect":"Allow","Principal":{"AWS":"12345"},"Action":"s3:*""#), .invalidPrincipal("AWS", "12345")),
    res("Session ARN without a session name", doc(#""Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/r"},"Action":"s3:*""#),
        .invalidPrincipal("AWS", "arn:aws:sts::111122223333:assumed-role/r")),
    // Which check wins when several fail: syntax, then legacy parsing, then Sids, actions, resources, formats, names.
    id("syntax before legacy parsing", doc(#""Effect":"allow","Action":"s3:*","Resource":"*","Foo":1"#), .syntax),
    id("legacy parsing before Sids", #"{"Version":"2012-10-17","Statement":[{"Sid":"A",\#(ok)},{"Sid":"A","Effect":"deny","Action":"s3:*","Resource":"*"}]}"#,
       .legacyParsing),
    id("Sids before missing actions", #"{"Version":"2012-10-17","Statement":[{"Sid":"A",\#(ok)},{"Sid":"A","Effect":"Allow","Resource":"*"}]}"#,
       .sidNotUnique),
    id("missing actions before missing resources", doc(#""Effect":"Allow""#), .mustContainActions),
    id("missing resources before resource format", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"},{"Effect":"Allow","Action":"s3:*"}]}"#,
       .mustContainResources),
    id("resource format before action names", doc(#""Effect":"Allow","Action":"GetObject","Resource":"bucket""#), .resourceNotARN("bucket")),
]

final class GrammarTests: XCTestCase {
    func testMalformedDocuments() {
        XCTAssertGreaterThanOrEqual(grammarCases.count, 50)
        for c in grammarCases {
            do {
                _ = try Policy(json: c.json, kind: c.kind, id: c.name)
                XCTFail("\(c.name): parsed, expected \"\(c.error.message)\"")
            } catch {
                XCTAssertEqual(error, c.error, c.name)
            }
        }
    }

    func testAWSWordingOfSelectedMessages() {
        // Pinned whole, as AWS writes them (see PolicyError.swift for where each was seen).
        XCTAssertEqual(PolicyError.invalidPrincipal("AWS", "arn:aws:iam::959325414060:role/bk-1588-092-a-eks-nodes").message,
                       #"Invalid principal in policy: "AWS":"arn:aws:iam::959325414060:role/bk-1588-092-a-eks-nodes""#)
        XCTAssertEqual(PolicyError.resourceNotARN("s3-bucket-ukcloud-replica20220511075839843300000001").message,
                       #"Resource s3-bucket-ukcloud-replica20220511075839843300000001 must be in ARN format or "*"."#)
        XCTAssertEqual(PolicyError.sidNotAlphanumeric.message,
                       "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")
        XCTAssertEqual(PolicyError.partitionNotValid("aws-foo", "s3:::b").message,
                       #"Partition "aws-foo" is not valid for resource "arn:aws-foo:s3:::b"."#)
    }

    func testValidDocumentsOfEveryKind() throws {
        let valid: [(PolicyKind, String)] = [
            (.identity, doc(ok)),
            (.identity, #"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::b/*"]}]}"#),
            (.identity, #"{"Version":"2008-10-17","Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::b"}}"#),
            (.identity, doc(#"\#(ok),"Condition":{"NumericLessThanEquals":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true}}"#)),
            (.identity, doc(#"\#(ok),"Condition":{"StringEquals":{"kms:EncryptionContext:AppName":"ExampleApp"}}"#)),
            (.identity, doc(#"\#(ok),"Condition":{"SomethingNew":{}}"#)),
            (.resource, Doc.kmsDefault()),
            (.resource, #"{"Version":"2012-10-17","Statement":{"Sid":"Public read","Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#),
            (.resource, #"{"Version":"2012-10-17","Statement":{"Principal":{"AWS":"999999999999"},"Effect":"Allow","Action":"sns:*","Condition":{"StringLike":{"sns:endpoint":"https://example.com/${aws:username}/"}}}}"#),
            (.resource, #"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#),
            (.trust, doc(okTrust)),
            (.trust, doc(#""Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"accounts.google.com:aud":"66677788899900pro0"}}"#)),
            (.trust, doc(#""Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","444455556666"]},"Action":["sts:AssumeRole","sts:TagSession"]"#)),
            (.boundary, doc(ok)),
            (.session, doc(ok)),
        ]
        for (kind, json) in valid {
            XCTAssertNoThrow(try Policy(json: json, kind: kind, id: "valid"), json)
        }
    }

    func testManagedPolicyVersion() throws {
        XCTAssertNoThrow(try Policy(json: doc(ok), kind: .identity, id: "p").requireCurrentVersion())
        let legacy = try Policy(json: #"{"Statement":{\#(ok)}}"#, kind: .identity, id: "p")
        XCTAssertNil(legacy.version)
        XCTAssertThrowsError(try legacy.requireCurrentVersion()) { XCTAssertEqual($0 as? PolicyError, .versionTooOld) }
        XCTAssertEqual(PolicyError.versionTooOld.message, "Policy document must be version 2012-10-17 or greater.")
    }
}
