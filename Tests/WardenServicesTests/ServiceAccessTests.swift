// Service principals decided by resource policies: the queue policies SNS's and EventBridge's guides write, SNS's
// default topic policy, function policies as AddPermission writes them, and the unenforced mode.
import XCTest
@testable import WardenServices

final class ServiceAccessTests: XCTestCase {
    let queue = "arn:aws:sqs:us-east-1:111122223333:orders"
    let topic = "arn:aws:sns:us-east-1:111122223333:alerts"
    let rule = "arn:aws:events:us-east-1:111122223333:rule/orders"

    func queuePolicy(_ service: String, _ source: String, principal: String? = nil) -> String {
        let who = principal ?? #"{"Service":"\#(service)"}"#
        return #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":\#(who),"Action":"sqs:SendMessage","Resource":"\#(queue)","Condition":{"ArnEquals":{"aws:SourceArn":"\#(source)"}}}]}"#
    }

    func sendAllowed(_ access: ServiceAccess, _ service: String, policy: String?, source: String) -> Bool {
        access.allows(service: service, action: "sqs:SendMessage", resourceArn: queue, resourceAccount: "111122223333",
                      policy: policy, sourceArn: source, sourceAccount: "111122223333")
    }

    func testQueuePoliciesDecideByServiceAndSourceArn() {
        let access = ServiceAccess(enforced: true)
        let sns = queuePolicy("sns.amazonaws.com", topic)
        XCTAssertTrue(sendAllowed(access, "sns.amazonaws.com", policy: sns, source: topic))
        XCTAssertFalse(sendAllowed(access, "sns.amazonaws.com", policy: sns, source: topic + "-other"), "another topic")
        XCTAssertFalse(sendAllowed(access, "events.amazonaws.com", policy: sns, source: topic), "another service")
        XCTAssertFalse(sendAllowed(access, "sns.amazonaws.com", policy: nil, source: topic), "no policy allows nothing")
        XCTAssertFalse(sendAllowed(access, "sns.amazonaws.com", policy: "", source: topic))
        XCTAssertFalse(sendAllowed(access, "sns.amazonaws.com", policy: "not json", source: topic), "a broken document allows nothing")
        // SNS's developer guide writes the statement with Principal "*" and the topic as aws:SourceArn.
        XCTAssertTrue(sendAllowed(access, "sns.amazonaws.com", policy: queuePolicy("", topic, principal: #""*""#), source: topic))
        XCTAssertTrue(sendAllowed(access, "events.amazonaws.com", policy: queuePolicy("events.amazonaws.com", rule), source: rule))
        // The same document twice comes from the cache and decides the same.
        XCTAssertTrue(sendAllowed(access, "sns.amazonaws.com", policy: sns, source: topic))
    }

    func testSNSSetsTheLegacySourceOwnerKey() {
        let access = ServiceAccess(enforced: true)
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"\#(queue)","Condition":{"StringEquals":{"aws:SourceOwner":"111122223333"}}}]}"#
        XCTAssertTrue(sendAllowed(access, "sns.amazonaws.com", policy: policy, source: topic))
        XCTAssertFalse(sendAllowed(access, "events.amazonaws.com", policy: policy, source: rule))
    }

    func testSNSDefaultTopicPolicyLetsNoServicePublish() {
        let access = ServiceAccess(enforced: true)
        let policy = SNSService.defaultPolicy(arn: topic, account: "111122223333")
        XCTAssertFalse(access.allows(service: "events.amazonaws.com", action: "sns:Publish", resourceArn: topic,
                                     resourceAccount: "111122223333", policy: policy, sourceArn: rule, sourceAccount: "111122223333"))
    }

    func testFunctionPolicyAsAddPermissionWritesIt() {
        let access = ServiceAccess(enforced: true)
        let fn = "arn:aws:lambda:us-east-1:111122223333:function:rotator"
        let policy = LambdaService.policyDocument([
            #"{"Sid":"sm","Effect":"Allow","Principal":{"Service":"secretsmanager.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"\#(fn)","Condition":{"StringEquals":{"AWS:SourceAccount":"111122223333"}}}"#,
        ])
        let secret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"
        func invoke(_ service: String, account: String) -> Bool {
            access.allows(service: service, action: "lambda:InvokeFunction", resourceArn: fn, resourceAccount: "111122223333",
                          policy: policy, sourceArn: secret, sourceAccount: account)
        }
        XCTAssertTrue(invoke("secretsmanager.amazonaws.com", account: "111122223333"))
        XCTAssertFalse(invoke("secretsmanager.amazonaws.com", account: "444455556666"), "another account's secret")
        XCTAssertFalse(invoke("sns.amazonaws.com", account: "111122223333"))
    }

    func testUnenforcedAllowsEverything() {
        let access = ServiceAccess(enforced: false)
        XCTAssertTrue(sendAllowed(access, "sns.amazonaws.com", policy: nil, source: topic))
        XCTAssertTrue(sendAllowed(access, "events.amazonaws.com", policy: queuePolicy("sns.amazonaws.com", topic), source: rule))
    }
}
