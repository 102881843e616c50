// BucketRepository and TrailRepository on both backends: byte-order listings, object bodies in chunks (written and
// deleted with their rows, read by range), the per-region trail limit, the delivery ledger (a redone batch does not list
// a file twice), digest heads and sealed signing keys.
import Crypto
import Foundation
import WardenStorage
import XCTest

extension StorageConformanceTests {
    func testBucketObjectsListInByteOrderWithPrefixBounds() async throws {
        try await eachBackend { name, db in
            let repo = BucketRepository(db: db)
            let created = try await repo.createBucket(BucketRow(name: "b", account: "1", region: "r", createdAtMillis: 1, policy: nil))
            XCTAssertNil(created, name)
            let again = try await repo.createBucket(BucketRow(name: "b", account: "2", region: "r", createdAtMillis: 2, policy: nil))
            XCTAssertEqual(again?.account, "1", "the name is taken, and the owner is reported (\(name))")
            // Upper case sorts before lower case, "/" before letters, multi-byte UTF-8 after ASCII: S3's byte order,
            // whatever the PostgreSQL locale.
            let keys = ["a/b", "a/c", "aB", "ab", "a\u{00FF}", "a\u{4E2D}", "b", "A"]
            for k in keys {
                let stored = try await repo.putObject(ObjectRow(bucket: "b", key: k, size: 1, etag: "e", lastModifiedMillis: 1, fileName: k, doc: "{}"),
                                                      data: [1])
                XCTAssertTrue(stored, name)
            }
            let all = try await repo.listObjects(bucket: "b", prefix: "", after: nil, limit: 100).map(\.key)
            XCTAssertEqual(all, keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }, name)
            let underA = try await repo.listObjects(bucket: "b", prefix: "a", after: nil, limit: 100).map(\.key)
            XCTAssertEqual(underA, ["a/b", "a/c", "aB", "ab", "a\u{00FF}", "a\u{4E2D}"], name)
            let page = try await repo.listObjects(bucket: "b", prefix: "a", after: "aB", limit: 2).map(\.key)
            XCTAssertEqual(page, ["ab", "a\u{00FF}"], name)
            let from = try await repo.listObjects(bucket: "b", prefix: "", after: nil, from: "a0", limit: 100).map(\.key)
            XCTAssertEqual(from.first, "aB", name)
            let replaced = try await repo.putObject(ObjectRow(bucket: "b", key: "b", size: 2, etag: "f", lastModifiedMillis: 2, fileName: "new", doc: "{}"),
                                                    data: [2, 2])
            XCTAssertTrue(replaced, name)
            let oldBody = try await repo.objectData("b")
            XCTAssertNil(oldBody, "the replaced version's body went with it (\(name))")
            let newBody = try await repo.objectData("new")
            XCTAssertEqual(newBody, [2, 2], name)
            let notEmpty = try await repo.deleteBucket("b")
            XCTAssertEqual(notEmpty, .notEmpty, name)
            for k in keys { try await repo.deleteObject(bucket: "b", key: k) }
            let deletedBody = try await repo.objectData("new")
            XCTAssertNil(deletedBody, "a deleted object leaves no body (\(name))")
            let deleted = try await repo.deleteBucket("b")
            XCTAssertEqual(deleted, .deleted, name)
            let orphan = try await repo.putObject(ObjectRow(bucket: "b", key: "x", size: 1, etag: "e", lastModifiedMillis: 1, fileName: "x", doc: "{}"),
                                                  data: [1])
            XCTAssertFalse(orphan, "no object rows without a bucket (\(name))")
            let orphanBody = try await repo.objectData("x")
            XCTAssertNil(orphanBody, "nor bodies (\(name))")
        }
    }

    func testObjectBodiesAreChunkedAndReadByRange() async throws {
        try await eachBackend { name, db in
            let repo = BucketRepository(db: db)
            _ = try await repo.createBucket(BucketRow(name: "c", account: "1", region: "r", createdAtMillis: 1, policy: nil))
            let chunk = BucketRepository.chunkSize
            // Two full chunks and a part, with bytes that differ by position so a misplaced chunk shows.
            let body = (0..<(2 * chunk + 17)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 16) }
            let row = ObjectRow(bucket: "c", key: "k", size: Int64(body.count), etag: "e", lastModifiedMillis: 1, fileName: "d1", doc: "{}")
            let stored = try await repo.putObject(row, data: body)
            XCTAssertTrue(stored, name)
            let chunks = try await db.read { tx in try await tx.query("SELECT COUNT(*) FROM s3_object_data WHERE data_id = ?", [.text("d1")]) }
            XCTAssertEqual(chunks.first?[0].int, 3, name)
            let whole = try await repo.objectData("d1")
            XCTAssertEqual(whole, body, name)
            for r in [0..<10, chunk - 5..<chunk + 5, chunk..<2 * chunk, chunk - 1..<2 * chunk + 1, 2 * chunk + 16..<2 * chunk + 17] {
                let part = try await repo.objectData("d1", range: Int64(r.lowerBound)..<Int64(r.upperBound))
                XCTAssertEqual(part, Array(body[r]), "\(r) (\(name))")
            }
            // An empty body is one empty chunk: present, and distinct from a missing one.
            let empty = ObjectRow(bucket: "c", key: "empty", size: 0, etag: "e", lastModifiedMillis: 1, fileName: "d2", doc: "{}")
            let storedEmpty = try await repo.putObject(empty, data: [])
            XCTAssertTrue(storedEmpty, name)
            let emptyWhole = try await repo.objectData("d2")
            XCTAssertEqual(emptyWhole, [], name)
            let emptyRange = try await repo.objectData("d2", range: 0..<0)
            XCTAssertEqual(emptyRange, [], name)
            let missing = try await repo.objectData("nothing", range: 0..<0)
            XCTAssertNil(missing, name)
            // The legacy import stores a body only for a row that names it and has none yet.
            let again = try await repo.importData("d1", [9])
            XCTAssertFalse(again, "a stored body is kept (\(name))")
            let unnamed = try await repo.importData("nobody", [9])
            XCTAssertFalse(unnamed, "no body without a row (\(name))")
            try await db.transaction { tx in try await tx.execute("DELETE FROM s3_object_data WHERE data_id = ?", [.text("d1")]) }
            let imported = try await repo.importData("d1", body)
            XCTAssertTrue(imported, name)
            let importedWhole = try await repo.objectData("d1")
            XCTAssertEqual(importedWhole, body, name)
        }
    }

    func testTrailLimitLedgerAndDigestHeads() async throws {
        try await eachBackend { name, db in
            let repo = TrailRepository(db: db, sealer: Sealer(root: FileRootKey(key: SymmetricKey(size: .bits256))))
            let count: @Sendable ([TrailRow]) -> Int = { $0.count }
            let k = TrailKey(account: "1", homeRegion: "r", name: "t")
            let row = TrailRow(key: k, multiRegion: false, createdAtMillis: 1, doc: "{}")
            let first = try await repo.insertTrail(row, limit: 2, regionsCounted: count, delivery: DeliveryRow(cursorSeq: 0, doc: "{}"))
            XCTAssertEqual(first, .created, name)
            let dup = try await repo.insertTrail(row, limit: 2, regionsCounted: count, delivery: DeliveryRow(cursorSeq: 0, doc: "{}"))
            XCTAssertEqual(dup, .exists, name)
            var second = row
            second.key.name = "t2"
            let ok = try await repo.insertTrail(second, limit: 2, regionsCounted: count, delivery: DeliveryRow(cursorSeq: 0, doc: "{}"))
            XCTAssertEqual(ok, .created, name)
            second.key.name = "t3"
            let full = try await repo.insertTrail(second, limit: 2, regionsCounted: count, delivery: DeliveryRow(cursorSeq: 0, doc: "{}"))
            XCTAssertEqual(full, .limitReached, name)
            // A batch redone after a crash records the same file once.
            let file = LogFileRow(sourceRegion: "r", deliveredAtMillis: 10, bucket: "b", key: "k1", sha256: "h", oldestMillis: 1, newestMillis: 2)
            try await repo.saveDelivery(k, DeliveryRow(cursorSeq: 5, pendingEndSeq: 9, pendingAtMillis: 3, doc: "{\"a\":1}"))
            try await repo.saveDelivery(k, DeliveryRow(cursorSeq: 9, doc: "{}"), files: [file])
            try await repo.saveDelivery(k, DeliveryRow(cursorSeq: 9, doc: "{}"), files: [file])
            let files = try await repo.logFiles(k, sourceRegion: "r", afterMillis: 0, throughMillis: 10)
            XCTAssertEqual(files, [file], name)
            let none = try await repo.logFiles(k, sourceRegion: "r", afterMillis: 10, throughMillis: 20)
            XCTAssertTrue(none.isEmpty, "digest periods are (start, end] (\(name))")
            let d = try await repo.delivery(k)
            XCTAssertEqual(d?.cursorSeq, 9, name)
            XCTAssertNil(d?.pendingEndSeq, name)
            let head = DigestHead(endMillis: 20, bucket: "b", key: "d1", signature: "s1", sha256: "x")
            try await repo.saveDigestHead(k, sourceRegion: "r", head, delivery: DeliveryRow(cursorSeq: 9, doc: "{\"digest\":1}"))
            var next = head
            next.key = "d2"
            try await repo.saveDigestHead(k, sourceRegion: "r", next, delivery: DeliveryRow(cursorSeq: 9, doc: "{}"))
            let got = try await repo.digestHead(k, sourceRegion: "r")
            XCTAssertEqual(got, next, name)
            let regions = try await repo.sourceRegions(k)
            XCTAssertEqual(regions, ["r"], name)
            let deleted = try await repo.deleteTrail(k)
            XCTAssertTrue(deleted, name)
            let gone = try await repo.logFiles(k, sourceRegion: "r", afterMillis: 0, throughMillis: 100)
            XCTAssertTrue(gone.isEmpty, "a deleted trail takes its ledger (\(name))")
            let noHead = try await repo.digestHead(k, sourceRegion: "r")
            XCTAssertNil(noHead, name)
        }
    }

    func testSigningKeysAreSealedAndRotate() async throws {
        try await eachBackend { name, db in
            let repo = TrailRepository(db: db, sealer: Sealer(root: FileRootKey(key: SymmetricKey(size: .bits256))))
            let secret = Array("-----private key bytes-----".utf8)
            try await repo.addSigningKey(SigningKeyRow(region: "r", fingerprint: "f1", validFromMillis: 1, validToMillis: nil,
                                                       publicDER: [1], privateDER: secret), closing: nil)
            try await repo.addSigningKey(SigningKeyRow(region: "r", fingerprint: "f2", validFromMillis: 5, validToMillis: nil,
                                                       publicDER: [2], privateDER: [9]), closing: "f1")
            let keys = try await repo.signingKeys(region: "r")
            XCTAssertEqual(keys.map(\.fingerprint), ["f1", "f2"], name)
            XCTAssertEqual(keys.map(\.validToMillis), [5, nil], "the replaced key's window closes (\(name))")
            XCTAssertEqual(keys[0].privateDER, secret, name)
            let raw = try await db.read { try await $0.query("SELECT sealed FROM cloudtrail_signing_keys", []) }
            XCTAssertTrue(raw.allSatisfy { ($0[0].blob ?? []).firstRange(of: secret) == nil }, name)
        }
    }
}
