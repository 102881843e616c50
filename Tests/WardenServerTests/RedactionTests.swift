// What reaches an audit record: lowerCamelCase names, sensitive members hidden, blobs and declared members dropped.
import WardenAPI
import WardenAudit
import WardenCore
import XCTest

final class RedactionTests: XCTestCase {
    func testSensitiveStringsAreHiddenAndDeclaredMembersDropped() throws {
        // AssumeRoleWithSAML's SAMLAssertion is a sensitive string in the STS model.
        let v = AWSValue.structure(["RoleArn": .string("arn:aws:iam::1:role/r"), "PrincipalArn": .string("p"),
                                    "SAMLAssertion": .string("PHNhbWw+"), "DurationSeconds": .integer(900)])
        let out = Redaction.record(v, shape: STS.AssumeRoleWithSAMLRequest.shape, dropped: [])
        XCTAssertEqual(JSONWriter.string(out ?? .null),
                       #"{"roleArn":"arn:aws:iam::1:role/r","principalArn":"p","samlAssertion":"HIDDEN_DUE_TO_SECURITY_REASONS","durationSeconds":900}"#)
        let dropped = Redaction.record(v, shape: STS.AssumeRoleWithSAMLRequest.shape, dropped: ["PrincipalArn"])
        XCTAssertNil(dropped?["principalArn"])
        XCTAssertNil(Redaction.record(.structure([:]), shape: STS.GetCallerIdentityRequest.shape, dropped: []))
    }
}
