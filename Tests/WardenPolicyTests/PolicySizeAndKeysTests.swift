// Policy size quotas, the context keys a document uses, and the keys a request was missing.

import WardenPolicy
import XCTest

final class PolicySizeAndKeysTests: XCTestCase {
    /// A document of exactly `n` characters once whitespace is left out, padded with `spaces` spaces.
    private func document(size n: Int, spaces: Int = 0) -> String {
        let head = #"{"Version":"2012-10-17","Statement":{"Sid":""#
        let tail = #"","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#
        let fill = n - head.count - tail.count
        return head + String(repeating: "a", count: fill) + tail + String(repeating: " ", count: spaces)
    }

    func testManagedPolicyQuota() throws {
        XCTAssertEqual(Policy.size(of: document(size: 6144)), 6144)
        XCTAssertNoThrow(try Policy.checkSize(document(size: 6144), limit: 6144))
        XCTAssertThrowsError(try Policy.checkSize(document(size: 6145), limit: 6144)) {
            XCTAssertEqual(($0 as? PolicyError)?.message, "Cannot exceed quota for PolicySize: 6144")
        }
        // "IAM doesn't count white space when calculating the size of a policy against this limit."
        XCTAssertNoThrow(try Policy.checkSize(document(size: 6000, spaces: 5000), limit: 6144))
        XCTAssertNoThrow(try Policy.checkSize([document(size: 6144)], quota: .managedPolicy))
    }

    func testInlineAggregateQuotas() {
        let half = document(size: 1100)
        XCTAssertThrowsError(try Policy.checkSize([half, half], quota: .userInline(userName: "Bob"))) {
            XCTAssertEqual(($0 as? PolicyError)?.message, "Maximum policy size of 2048 bytes exceeded for user Bob")
        }
        XCTAssertNoThrow(try Policy.checkSize([half, half], quota: .groupInline(groupName: "travis-ci")))
        XCTAssertThrowsError(try Policy.checkSize([half, half, half, half, half], quota: .groupInline(groupName: "travis-ci"))) {
            XCTAssertEqual(($0 as? PolicyError)?.message, "Maximum policy size of 5120 bytes exceeded for group travis-ci")
        }
        XCTAssertNoThrow(try Policy.checkSize(Array(repeating: half, count: 9), quota: .roleInline(roleName: "r")))
        XCTAssertThrowsError(try Policy.checkSize(Array(repeating: half, count: 10), quota: .roleInline(roleName: "adf-codepipeline-role"))) {
            XCTAssertEqual(($0 as? PolicyError)?.message, "Maximum policy size of 10240 bytes exceeded for role adf-codepipeline-role")
        }
        XCTAssertThrowsError(try Policy.checkSize([document(size: 2049)], quota: .trustPolicy)) {
            XCTAssertEqual(($0 as? PolicyError)?.message, "Cannot exceed quota for ACLSizePerRole: 2048")
        }
        XCTAssertEqual([PolicySizeQuota.managedPolicy, .userInline(userName: ""), .roleInline(roleName: ""),
                        .groupInline(groupName: ""), .trustPolicy].map(\.limit), [6144, 2048, 10240, 5120, 2048])
    }

    func testSizeCountsCharactersNotBytes() {
        XCTAssertEqual(Policy.size(of: "é ü\n\t€"), 3)
    }

    func testConditionKeysInFirstUseOrder() throws {
        let json = #"""
        {"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*",
           "Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue","s3:prefix":"${aws:PrincipalTag/folder}"},
                        "IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
          {"Effect":"Deny","Action":"s3:*","Resource":"*",
           "Condition":{"Bool":{"AWS:SecureTransport":"false","aws:securetransport":"false"},"NumericLessThan":{"s3:max-keys":"${x:literal}"}}}
        ]}
        """#
        let p = try Policy(json: json, kind: .identity, id: "p")
        XCTAssertEqual(p.conditionKeys, ["aws:username", "aws:PrincipalTag/team", "s3:prefix", "aws:PrincipalTag/folder",
                                         "aws:SourceIp", "AWS:SecureTransport", "s3:max-keys"])
        XCTAssertEqual(p.statementCount, 2)
        // Without Version 2012-10-17 a `${...}` is literal text, not a key.
        let legacy = try Policy(json: #"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}}"#,
                                kind: .identity, id: "legacy")
        XCTAssertEqual(legacy.conditionKeys, [])
    }

    func testMissingContextKeys() throws {
        let identity = try Policy(json: #"""
        {"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:PrincipalTag/dept}/*",
           "Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"},"Bool":{"aws:SecureTransport":"true"}}},
          {"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"ec2:InstanceType":"t2.micro"}}},
          {"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}}
        ]}
        """#, kind: .identity, id: "p")
        let request = AuthorizationRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/finance/x", resourceAccount: P.acct,
                                           principal: P.user(), context: ConditionContext(["aws:SecureTransport": ["true"]]))
        XCTAssertEqual(PolicyEvaluator.missingContextKeys(request, policies: PolicySet(identity: [identity])),
                       ["aws:PrincipalTag/dept", "aws:RequestedRegion", "aws:SourceVpc"])
        var complete = request
        complete.context = ConditionContext(["aws:SecureTransport": ["true"], "aws:PrincipalTag/dept": ["finance"],
                                             "aws:RequestedRegion": ["us-east-1"], "aws:SourceVpc": ["vpc-1"]])
        XCTAssertEqual(PolicyEvaluator.missingContextKeys(complete, policies: PolicySet(identity: [identity])), [])
        XCTAssertTrue(PolicyEvaluator.evaluate(complete, policies: PolicySet(identity: [identity])).isAllowed)
    }

    func testDecisionDetails() throws {
        let p = try Policy(json: #"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:Get*","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObjectAcl","Resource":"*"}]}"#,
                           kind: .identity, id: "arn:aws:iam::111122223333:policy/read")
        func ask(_ action: String) -> Decision {
            PolicyEvaluator.evaluate(AuthorizationRequest(action: action, resource: "arn:aws:s3:::b/k", resourceAccount: P.acct,
                                                          principal: P.user(), context: ConditionContext()),
                                     policies: PolicySet(identity: [p]))
        }
        XCTAssertEqual(ask("s3:GetObject"), .allowed(matched: [
            MatchedStatement(policyId: "arn:aws:iam::111122223333:policy/read", policyKind: .identity, sid: "Read", index: 0),
        ]))
        XCTAssertEqual(ask("s3:GetObjectAcl"), .explicitDeny(
            MatchedStatement(policyId: "arn:aws:iam::111122223333:policy/read", policyKind: .identity, sid: nil, index: 1)))
        XCTAssertEqual(ask("s3:PutObject"), .implicitDeny(missing: .identity))
        XCTAssertEqual([PolicyKind.identity, .resource, .boundary, .session, .trust].map(\.denialPhrase),
                       ["identity-based policy", "resource-based policy", "permissions boundary", "session policy",
                        "resource-based policy"])
    }

    func testConditionContextIsCaseInsensitive() {
        var c = ConditionContext(["aws:SourceIp": ["203.0.113.1"]])
        XCTAssertEqual(c["AWS:SOURCEIP"], ["203.0.113.1"])
        c["Aws:UserAgent"] = ["curl"]
        XCTAssertEqual(c["aws:useragent"], ["curl"])
        c["aws:useragent"] = nil
        XCTAssertNil(c["Aws:UserAgent"])
    }
}
