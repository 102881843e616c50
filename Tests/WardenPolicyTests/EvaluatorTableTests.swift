// Runs every evaluator table case: each names the AWS documentation its expected decision comes from.

import WardenPolicy
import XCTest

final class EvaluatorTableTests: XCTestCase {
    static let allCases: [EvalCase] = StringCases.cases + SetCases.cases + ElementCases.cases + SameAccountCases.cases
        + PrincipalCases.cases

    static func policySet(_ c: EvalCase) throws -> PolicySet {
        PolicySet(
            identity: try c.identity.enumerated().map { try Policy(json: $1, kind: .identity, id: "identity-\($0)") },
            resource: try c.resource.enumerated().map { try Policy(json: $1, kind: .resource, id: "resource-\($0)") },
            boundary: try c.boundary.map { try Policy(json: $0, kind: .boundary, id: "boundary") },
            session: try c.session.map { docs in try docs.enumerated().map { try Policy(json: $1, kind: .session, id: "session-\($0)") } },
            resourcePolicyRequired: c.keyPolicy)
    }

    static func request(_ c: EvalCase) -> AuthorizationRequest {
        AuthorizationRequest(action: c.action, resource: c.resourceArn, resourceAccount: c.resourceAccount,
                             principal: c.principal, context: ConditionContext(c.context))
    }

    func testTableIsLargeAndSourced() {
        XCTAssertGreaterThanOrEqual(Self.allCases.count, 200)
        var names = Set<String>()
        for c in Self.allCases {
            XCTAssertFalse(c.source.isEmpty, c.name)
            XCTAssertTrue(c.source.hasPrefix("IAM UG:") || c.source.hasPrefix("KMS DG:"), "\(c.name): \(c.source)")
            XCTAssertTrue(names.insert(c.name).inserted, "duplicate case name: \(c.name)")
        }
    }

    func testEveryCase() throws {
        for c in Self.allCases {
            let policies: PolicySet
            do {
                policies = try Self.policySet(c)
            } catch {
                XCTFail("\(c.name): a policy did not parse: \(error)")
                continue
            }
            let decision = PolicyEvaluator.evaluate(Self.request(c), policies: policies)
            XCTAssertEqual(Expect(decision), c.expect, "\(c.name) [\(c.source)]")
        }
    }

    /// Every allow names at least one statement that counted, except the root user's implicit full access.
    func testAllowsNameTheirStatements() throws {
        for c in Self.allCases where c.expect == .allow && c.principal.kind != .root {
            guard case .allowed(let matched) = PolicyEvaluator.evaluate(Self.request(c), policies: try Self.policySet(c)) else {
                continue
            }
            XCTAssertFalse(matched.isEmpty, c.name)
        }
    }
}
