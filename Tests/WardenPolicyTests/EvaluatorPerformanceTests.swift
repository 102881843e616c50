// A principal with 10 policies of 5 statements: decisions asserted, plus a micro-benchmark that only prints.

import Foundation
import WardenPolicy
import XCTest

final class EvaluatorPerformanceTests: XCTestCase {
    static let services = ["secretsmanager", "sqs", "sns", "kms", "dynamodb", "ec2", "events", "logs", "lambda", "ssm"]

    /// Ten policies, one per service, each with five statements of the shapes real policies use.
    static func policies() throws -> PolicySet {
        let identity = try services.enumerated().map { i, svc in
            try Policy(json: #"""
            {"Version":"2012-10-17","Statement":[
              {"Sid":"Read","Effect":"Allow","Action":["\#(svc):Get*","\#(svc):List*","\#(svc):Describe*"],"Resource":"*"},
              {"Sid":"Write","Effect":"Allow","Action":"\#(svc):Put*","Resource":"arn:aws:\#(svc):*:111122223333:app-*"},
              {"Sid":"Own","Effect":"Allow","Action":"\#(svc):*","Resource":"arn:aws:\#(svc):*:111122223333:${aws:username}/*"},
              {"Sid":"Office","Effect":"Allow","Action":"\#(svc):Update*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"Bool":{"aws:SecureTransport":"true"}}},
              {"Sid":"NoDelete","Effect":"Deny","Action":"\#(svc):Delete*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/role":"admin"}}}
            ]}
            """#, kind: .identity, id: "policy-\(i)")
        }
        return PolicySet(identity: identity)
    }

    static func request(_ action: String, _ resource: String = "*") -> AuthorizationRequest {
        AuthorizationRequest(action: action, resource: resource, resourceAccount: P.acct, principal: P.user("carlossalazar"),
                             context: ConditionContext(["aws:SourceIp": ["203.0.113.9"], "aws:SecureTransport": ["true"],
                                                        "aws:PrincipalTag/role": ["dev"]]))
    }

    func testDecisionsForALargePolicySet() throws {
        let set = try Self.policies()
        XCTAssertEqual(set.identity.count * set.identity[0].statementCount, 50)
        let expectations: [(AuthorizationRequest, Expect)] = [
            (Self.request("ssm:GetParameter"), .allow),
            (Self.request("SSM:getparameter"), .allow),
            (Self.request("ssm:PutParameter", "arn:aws:ssm:us-east-1:111122223333:app-config"), .allow),
            (Self.request("ssm:PutParameter", "arn:aws:ssm:us-east-1:111122223333:other"), .implicit(.identity)),
            (Self.request("ssm:TagResource", "arn:aws:ssm:us-east-1:111122223333:carlossalazar/p"), .allow),
            (Self.request("ssm:UpdateDocument"), .allow),
            (Self.request("ssm:DeleteParameter"), .deny(.identity)),
            (Self.request("rds:DescribeDBInstances"), .implicit(.identity)),
        ]
        for (request, expected) in expectations {
            XCTAssertEqual(Expect(PolicyEvaluator.evaluate(request, policies: set)), expected, request.action)
        }
    }

    /// Prints the cost of one decision; it never asserts a time (shared CI machines are too noisy for that).
    /// Run with WARDEN_POLICY_BENCH=1 to see the numbers.
    func testMicroBenchmark() throws {
        guard ProcessInfo.processInfo.environment["WARDEN_POLICY_BENCH"] != nil else { return }
        let set = try Self.policies()
        // The worst case for the scan: an action that no statement allows walks all 50 statements.
        let requests = [Self.request("ssm:GetParameter"), Self.request("rds:DescribeDBInstances"),
                        Self.request("ssm:DeleteParameter")]
        let iterations = 100_000
        let clock = ContinuousClock()
        func nanoseconds(_ d: Duration) -> Int {
            Int((Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9) / Double(iterations))
        }
        for r in requests {
            var allowed = 0
            let elapsed = clock.measure {
                for _ in 0..<iterations where PolicyEvaluator.evaluate(r, policies: set).isAllowed { allowed += 1 }
            }
            print("WardenPolicy benchmark: \(r.action): \(nanoseconds(elapsed)) ns per decision "
                  + "(10 policies x 5 statements, allowed \(allowed) of \(iterations))")
        }
    }
}
