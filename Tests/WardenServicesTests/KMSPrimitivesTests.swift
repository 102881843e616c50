// The pure pieces of KMS: blob format, encryption-context canonical form, digests from bytes, key ids, policies.
import Crypto
import WardenStorage
import XCTest
@testable import WardenServices

final class KMSPrimitivesTests: XCTestCase {
    func testBlobBindsKeyMaterialAndContext() throws {
        let key = SymmetricKey(size: .bits256)
        let mid = String(repeating: "ab", count: 32)
        let blob = try CiphertextBlob.seal(Array("hello".utf8), key: key, keyId: "1234abcd-12ab-34cd-56ef-1234567890ab",
                                           materialId: mid, context: ["a": "1", "b": "2"])
        let parsed = try XCTUnwrap(CiphertextBlob(blob))
        XCTAssertEqual(parsed.keyId, "1234abcd-12ab-34cd-56ef-1234567890ab")
        XCTAssertEqual(parsed.materialId, mid)
        XCTAssertEqual(parsed.open(key: key, context: ["b": "2", "a": "1"]), Array("hello".utf8))
        XCTAssertNil(parsed.open(key: key, context: ["a": "1"]))
        XCTAssertNil(parsed.open(key: SymmetricKey(size: .bits256), context: ["a": "1", "b": "2"]))
        for i in 0..<blob.count {
            var bad = blob
            bad[i] ^= 0x80
            if let p = CiphertextBlob(bad) {
                XCTAssertNil(p.open(key: key, context: ["a": "1", "b": "2"]), "byte \(i)")
            }
        }
        XCTAssertNil(CiphertextBlob([0x02] + blob.dropFirst()))
        XCTAssertNil(CiphertextBlob(Array(blob.prefix(40))))
    }

    func testContextEncodingIsUnambiguous() {
        XCTAssertEqual(EncryptionContext.canonical([:]), [])
        XCTAssertNotEqual(EncryptionContext.canonical(["ab": "c"]), EncryptionContext.canonical(["a": "bc"]))
        XCTAssertEqual(EncryptionContext.canonical(["x": "1", "y": "2"]), EncryptionContext.canonical(["y": "2", "x": "1"]))
    }

    func testDigestBytesSignLikeHashedMessages() throws {
        let message = Array("message".utf8)
        let key = try KeyMaterial(try XCTUnwrap(KeySpecInfo("ECC_NIST_P384")), raw: try KeyMaterial.generate(try XCTUnwrap(KeySpecInfo("ECC_NIST_P384"))))
        let digest = try Digests.hash(message, .sha384)
        XCTAssertEqual(digest, Array(SHA384.hash(data: message)))
        let sig = try key.sign(digest: digest, hash: .sha384, algorithm: .ecdsaSha384)
        guard case .p384(let k) = key else { return XCTFail() }
        XCTAssertTrue(k.publicKey.isValidSignature(try P384.Signing.ECDSASignature(derRepresentation: sig), for: message))
        XCTAssertThrowsError(try Digests.typed(Array(digest.dropLast()), .sha384))
    }

    func testKeyIdShapes() {
        XCTAssertTrue(KMSService.isKeyIdShaped("1234abcd-12ab-34cd-56ef-1234567890ab"))
        XCTAssertTrue(KMSService.isKeyIdShaped("mrk-1234abcd12ab34cd56ef1234567890ab"))
        XCTAssertFalse(KMSService.isKeyIdShaped("1234abcd-12ab-34cd-56ef-1234567890a"))
        XCTAssertFalse(KMSService.isKeyIdShaped("alias/x"))
        XCTAssertFalse(KMSService.isKeyIdShaped("1234abcd_12ab-34cd-56ef-1234567890ab"))
    }

    func testPolicyLockoutCheck() throws {
        let allowRoot = try KeyPolicy.validate(KeyPolicy.defaultPolicy(account: "111122223333", partition: "aws"))
        XCTAssertTrue(KeyPolicy.allowsPolicyChange(allowRoot, caller: nil, account: "111122223333", partition: "aws"))
        let onlyDecrypt = try KeyPolicy.validate(#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:Decrypt","Resource":"*"}]}"#)
        XCTAssertFalse(KeyPolicy.allowsPolicyChange(onlyDecrypt, caller: nil, account: "111122223333", partition: "aws"))
        let denied = try KeyPolicy.validate(#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"kms:Put*","Resource":"*"}]}"#)
        XCTAssertFalse(KeyPolicy.allowsPolicyChange(denied, caller: nil, account: "111122223333", partition: "aws"))
        XCTAssertThrowsError(try KeyPolicy.validate(#"{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"kms:*"}]}"#))
        XCTAssertThrowsError(try KeyPolicy.validate(#"{"Statement":[]}"#))
        XCTAssertTrue(Wildcard.matches(pattern: "kms:put*", "kms:putkeypolicy"))
        XCTAssertTrue(Wildcard.matches(pattern: "kms:?utKeyPolicy", "kms:PutKeyPolicy"))
        XCTAssertFalse(Wildcard.matches(pattern: "kms:get*", "kms:putkeypolicy"))
    }
}

final class KeyedAsyncLockTests: XCTestCase {
    /// A counter bumped read-suspend-write by many tasks under the lock loses no update.
    func testLockSerializesReadModifyWrite() async {
        final class Box: @unchecked Sendable { var value = 0 } // only touched under the lock
        let locks = KeyedAsyncLock()
        let box = Box()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    await locks.lock("k")
                    let v = box.value
                    await Task.yield()
                    box.value = v + 1
                    locks.unlock("k")
                }
            }
        }
        XCTAssertEqual(box.value, 200)
        // Other keys are independent, and a released key can be taken again at once.
        await locks.lock("a")
        await locks.lock("b")
        locks.unlock("a")
        locks.unlock("b")
        await locks.lock("a")
        locks.unlock("a")
    }
}
