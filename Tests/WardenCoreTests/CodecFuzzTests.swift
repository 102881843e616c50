// Random and mutated inputs through every decoder: they may reject, never crash or hang.
import Foundation
import WardenAPI
import WardenCore
import WardenProtocol
import XCTest

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class CodecFuzzTests: XCTestCase {
    static let seeds: [String] = [
        #"{"KeyId": "alias/test", "Plaintext": "aGVsbG8=", "EncryptionContext": {"a": "b"}, "GrantTokens": ["t"]}"#,
        #"{"Policy": "{\"Version\":\"2012-10-17\"}", "Tags": [{"TagKey": "k", "TagValue": "v"}], "MultiRegion": true}"#,
        #"{"KeyId": "k", "NumberOfBytes": 32, "KeySpec": "AES_256", "DryRun": false}"#,
    ]
    static let shapes: [Shape] = [KMS.EncryptRequest.shape, KMS.CreateKeyRequest.shape, KMS.GenerateDataKeyRequest.shape,
                                  KMS.ReEncryptRequest.shape, KMS.ListAliasesRequest.shape]

    func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var b = input
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            guard !b.isEmpty else { b.append(UInt8.random(in: 0...255, using: &rng)); continue }
            let i = Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: b[i] = UInt8.random(in: 0...255, using: &rng)
            case 1: b.remove(at: i)
            case 2: b.insert(Array(#"{}[]",:\0123456789.eEtrufalsn"#.utf8).randomElement(using: &rng) ?? 0, at: i)
            case 3: b.insert(contentsOf: b[i..<min(b.count, i + 8)], at: i)
            default: b = Array(b[..<i])
            }
        }
        return b
    }

    func testJSONDecodeNeverCrashes() {
        var rng = SplitMix64(state: 42)
        var accepted = 0
        for n in 0..<20_000 {
            let seed = Array(Self.seeds[n % Self.seeds.count].utf8)
            let input = n % 10 == 0 ? (0..<Int.random(in: 0..<256, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                                    : mutate(seed, &rng)
            let shape = Self.shapes[n % Self.shapes.count]
            do {
                let v = try JSONProtocol.decode(input, shape: shape)
                _ = ModelValidator.violations(of: v, shape: shape)
                _ = JSONProtocol.encode(v, shape: shape)
                accepted += 1
            } catch let e as AWSError {
                XCTAssertEqual(e.status, 400)
            } catch {
                XCTFail("non-AWS error \(error)")
            }
        }
        XCTAssertGreaterThan(accepted, 100, "mutations should not all be rejected")
    }

    func testQueryDecodeNeverCrashes() {
        var rng = SplitMix64(state: 7)
        let seed = Array("Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&RoleSessionName=s&Tags.member.1.Key=a&Tags.member.1.Value=b&DurationSeconds=900&PolicyArns.member.1.arn=x".utf8)
        for _ in 0..<20_000 {
            let input = mutate(seed, &rng)
            guard let params = QueryProtocol.parseForm(input) else { continue }
            do {
                let v = try QueryProtocol.decode(params, shape: STS.AssumeRoleRequest.shape) { AWSError(code: "ValidationError", message: $0) }
                _ = ModelValidator.violations(of: v, shape: STS.AssumeRoleRequest.shape)
            } catch let e as AWSError {
                XCTAssertEqual(e.code, "ValidationError")
            } catch {
                XCTFail("non-AWS error \(error)")
            }
        }
    }
}
