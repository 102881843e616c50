// AWS managed keys through the service on a real SQLite store: created once, usable, not changeable by callers.
import Crypto
import Foundation
import WardenAPI
import WardenCore
import WardenStorage
import WardenStorageSQLite
import XCTest
@testable import WardenServices

final class KMSManagedKeyTests: XCTestCase {
    func context() -> RequestContext {
        RequestContext(requestId: "r", account: "111122223333", region: "eu-central-1", principal: nil, sourceIP: "127.0.0.1",
                       userAgent: "test", receivedAt: Date(), tls: nil)
    }

    func testManagedKeyIsCreatedOnceAndIsReadOnly() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-kms-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try SQLiteDatabase(path: dir.appendingPathComponent("k.sqlite").path)
        try await Migrations.migrate(db)
        let kms = KMSService(repository: KMSRepository(db: db, sealer: Sealer(root: FileRootKey(key: SymmetricKey(size: .bits256)))))
        let c = context()
        async let a = kms.managedKeyArn(service: "ssm", context: c)
        async let b = kms.managedKeyArn(service: "ssm", context: c)
        let (first, second) = try await (a, b)
        XCTAssertEqual(first, second, "concurrent first uses agree on one key")
        let again = try await kms.managedKeyArn(service: "ssm", context: c)
        XCTAssertEqual(again, first)
        let keys = try await kms.listKeys(KMS.ListKeysRequest(), context: c)
        XCTAssertEqual(keys.keys?.count, 1, "the losing key of the race was removed")
        let meta = try await kms.describeKey(KMS.DescribeKeyRequest(keyId: "alias/aws/ssm"), context: c).keyMetadata
        XCTAssertEqual(meta?.arn, first)
        XCTAssertEqual(meta?.keyManager, .aws)
        XCTAssertEqual(meta?.description, "Default key that protects my SSM parameters when no other key is defined")
        let ct = try await kms.encrypt(KMS.EncryptRequest(keyId: "alias/aws/ssm", plaintext: [1, 2, 3]), context: c)
        let pt = try await kms.decrypt(KMS.DecryptRequest(ciphertextBlob: ct.ciphertextBlob), context: c)
        XCTAssertEqual(pt.plaintext, [1, 2, 3])
        let rotation = try await kms.getKeyRotationStatus(KMS.GetKeyRotationStatusRequest(keyId: meta?.keyId ?? ""), context: c)
        XCTAssertEqual(rotation.keyRotationEnabled, true)
        XCTAssertEqual(rotation.rotationPeriodInDays, 365)
        do {
            _ = try await kms.disableKey(KMS.DisableKeyRequest(keyId: meta?.keyId ?? ""), context: c)
            XCTFail("an AWS managed key was disabled")
        } catch let e as AWSError {
            XCTAssertEqual(e.code, "AccessDeniedException")
        }
        do {
            _ = try await kms.scheduleKeyDeletion(KMS.ScheduleKeyDeletionRequest(keyId: meta?.keyId ?? ""), context: c)
            XCTFail("an AWS managed key was scheduled for deletion")
        } catch let e as AWSError {
            XCTAssertEqual(e.code, "AccessDeniedException")
        }
        do {
            _ = try await kms.deleteAlias(KMS.DeleteAliasRequest(aliasName: "alias/aws/ssm"), context: c)
            XCTFail("an AWS alias was deleted")
        } catch let e as AWSError {
            XCTAssertEqual(e.code, "InvalidAliasNameException")
        }
        await db.close()
    }
}
