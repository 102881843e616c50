// KMSRepository on both backends: sealed material, conflicts, aliases, due deletions, multi-region sharing.
import Crypto
import Foundation
import WardenStorage
import XCTest

extension StorageConformanceTests {
    static func kw(_ account: String, _ region: String, _ id: String, doc: String = "{}") -> KMSKeyWrite {
        KMSKeyWrite(account: account, region: region, keyId: id, state: "Enabled", dueAtMillis: nil, doc: doc)
    }

    func testKMSGrants() async throws {
        try await eachBackend { name, db in
            let repo = KMSRepository(db: db, sealer: Sealer(root: FileRootKey(key: SymmetricKey(size: .bits256))))
            _ = try await repo.insertKey(Self.kw("1", "r", "k"), createdAtMillis: 1, materials: [])
            for (i, id) in ["g2", "g1", "g3"].enumerated() {
                try await repo.insertGrant(account: "1", region: "r", KMSGrantRow(
                    grantId: id, keyId: "k", grantee: "arn:aws:iam::1:role/a", retiring: i == 1 ? "arn:aws:iam::1:role/r" : nil,
                    name: nil, createdAtMillis: Int64(i), doc: "{}"))
            }
            let all = try await repo.grants(account: "1", region: "r", keyId: "k")
            XCTAssertEqual(all.map(\.grantId), ["g2", "g1", "g3"], "creation order (\(name))")
            let retirable = try await repo.retirableGrants(account: "1", region: "r", retiring: "arn:aws:iam::1:role/r")
            XCTAssertEqual(retirable.map(\.grantId), ["g1"], name)
            let deleted = try await repo.deleteGrant(account: "1", region: "r", grantId: "g1")
            XCTAssertTrue(deleted, name)
            let again = try await repo.deleteGrant(account: "1", region: "r", grantId: "g1")
            XCTAssertFalse(again, name)
            try await repo.deleteKey(account: "1", region: "r", keyId: "k")
            let left = try await repo.grants(account: "1", region: "r", keyId: "k")
            XCTAssertTrue(left.isEmpty, "a deleted key takes its grants (\(name))")
        }
    }

    func testKMSKeysAndMaterialAreSealed() async throws {
        try await eachBackend { name, db in
            let sealer = Sealer(root: FileRootKey(key: SymmetricKey(size: .bits256)))
            let repo = KMSRepository(db: db, sealer: sealer)
            let material = Array("0123456789abcdef0123456789abcdef".utf8)
            let ok = try await repo.insertKey(Self.kw("111122223333", "us-east-1", "k1", doc: "{\"a\":1}"), createdAtMillis: 1,
                                              materials: [("m1", material)])
            XCTAssertTrue(ok, name)
            let again = try await repo.insertKey(Self.kw("111122223333", "us-east-1", "k1"), createdAtMillis: 1, materials: [])
            XCTAssertFalse(again, "a duplicate key id is refused (\(name))")
            let got = try await repo.key(account: "111122223333", region: "us-east-1", keyId: "k1")
            XCTAssertEqual(got?.doc, "{\"a\":1}", name)
            XCTAssertEqual(got?.materials["m1"], material, name)
            let missing = try await repo.key(account: "111122223333", region: "eu-west-1", keyId: "k1")
            XCTAssertNil(missing, "keys are per region (\(name))")
            let raw = try await db.read { try await $0.query("SELECT sealed FROM kms_key_material", []) }
            XCTAssertNil((raw.first?[0].blob ?? []).firstRange(of: material), name)
            // Rotation adds material in the same transaction as the new document.
            try await repo.updateKey([KMSKeyWrite(account: "111122223333", region: "us-east-1", keyId: "k1", state: "PendingDeletion",
                                                  dueAtMillis: 500, doc: "{\"a\":2}")], addMaterial: ("m2", [1, 2, 3]))
            let updated = try await repo.key(account: "111122223333", region: "us-east-1", keyId: "k1")
            XCTAssertEqual(updated?.materials.count, 2, name)
            let notYet = try await repo.keysDue(nowMillis: 499)
            XCTAssertTrue(notYet.isEmpty, name)
            let due = try await repo.keysDue(nowMillis: 500)
            XCTAssertEqual(due.map(\.keyId), ["k1"], name)
            // A sealed row moved to another key does not open.
            try await db.transaction { tx in
                try await tx.execute("UPDATE kms_key_material SET key_id = 'k2' WHERE material_id = 'm2'")
                try await tx.execute("INSERT INTO kms_keys (account_id, region, key_id, state, created_at_ms, doc) VALUES ('111122223333', 'us-east-1', 'k2', 'Enabled', 1, '{}')")
            }
            do {
                _ = try await repo.key(account: "111122223333", region: "us-east-1", keyId: "k2")
                XCTFail("material moved between keys opened (\(name))")
            } catch is UnsealError {}
        }
    }

    func testKMSAliasesAndDeletion() async throws {
        try await eachBackend { name, db in
            let repo = KMSRepository(db: db, sealer: Sealer(root: FileRootKey(key: SymmetricKey(size: .bits256))))
            for region in ["us-east-1", "eu-west-1"] {
                _ = try await repo.insertKey(Self.kw("1", region, "mrk-1"), createdAtMillis: 1,
                                             materials: region == "us-east-1" ? [("m", [9])] : [])
            }
            let created = try await repo.createAlias(account: "1", region: "us-east-1", name: "alias/a", keyId: "mrk-1", nowMillis: 5)
            XCTAssertTrue(created, name)
            let dup = try await repo.createAlias(account: "1", region: "us-east-1", name: "alias/a", keyId: "mrk-1", nowMillis: 6)
            XCTAssertFalse(dup, name)
            let moved = try await repo.updateAlias(account: "1", region: "us-east-1", name: "alias/a", keyId: "other", nowMillis: 7)
            XCTAssertTrue(moved, name)
            let row = try await repo.alias(account: "1", region: "us-east-1", name: "alias/a")
            XCTAssertEqual(row?.keyId, "other", name)
            XCTAssertEqual(row?.updatedAtMillis, 7, name)
            let absent = try await repo.updateAlias(account: "1", region: "us-east-1", name: "alias/none", keyId: "x", nowMillis: 7)
            XCTAssertFalse(absent, name)
            _ = try await repo.createAlias(account: "1", region: "us-east-1", name: "alias/b", keyId: "mrk-1", nowMillis: 8)
            let ofKey = try await repo.listAliases(account: "1", region: "us-east-1", keyId: "mrk-1")
            XCTAssertEqual(ofKey.map(\.name), ["alias/b"], name)
            // Replica regions share material: deleting one region keeps it, deleting the last destroys it.
            try await repo.deleteKey(account: "1", region: "us-east-1", keyId: "mrk-1")
            let kept = try await repo.materialCount(account: "1", keyId: "mrk-1")
            XCTAssertEqual(kept, 1, name)
            let aliasesLeft = try await repo.listAliases(account: "1", region: "us-east-1", keyId: "mrk-1")
            XCTAssertTrue(aliasesLeft.isEmpty, name)
            let replica = try await repo.key(account: "1", region: "eu-west-1", keyId: "mrk-1")
            XCTAssertEqual(replica?.materials["m"], [9], name)
            try await repo.deleteKey(account: "1", region: "eu-west-1", keyId: "mrk-1")
            let gone = try await repo.materialCount(account: "1", keyId: "mrk-1")
            XCTAssertEqual(gone, 0, name)
            let deleted = try await repo.deleteAlias(account: "1", region: "us-east-1", name: "alias/a")
            XCTAssertTrue(deleted, name)
            let deletedAgain = try await repo.deleteAlias(account: "1", region: "us-east-1", name: "alias/a")
            XCTAssertFalse(deletedAgain, name)
        }
    }
}
