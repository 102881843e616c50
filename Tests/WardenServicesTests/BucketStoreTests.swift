// The bucket store on a real SQLite store: bodies live in storage (chunked, ranged, sealed for SSE-KMS), a replaced or
// deleted object leaves no body behind, and bodies kept as files by earlier versions are imported once.
import Crypto
import Foundation
import WardenCore
import WardenStorage
import WardenStorageSQLite
import XCTest
@testable import WardenServices

/// Envelope keys without KMS: the "wrapped" data key is the key itself, enough to see what the store keeps.
struct PlainDataKeys: DataKeyProvider {
    static let arn = "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555"
    func symmetricKeyArn(_ keyId: String, context: RequestContext) async throws -> String { Self.arn }
    func managedKeyArn(service: String, context: RequestContext) async throws -> String { Self.arn }
    func generateDataKey(keyId: String, encryptionContext: [String: String], context: RequestContext) async throws
        -> (plaintext: [UInt8], ciphertext: [UInt8], keyArn: String) {
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        return (key, key, Self.arn)
    }
    func decryptDataKey(_ ciphertext: [UInt8], encryptionContext: [String: String], context: RequestContext) async throws -> [UInt8] {
        ciphertext
    }
}

final class BucketStoreTests: XCTestCase {
    /// A bucket store on a fresh SQLite database in its own data directory.
    func withStore(_ body: (BucketStore, SQLiteDatabase, URL) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-s3-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try SQLiteDatabase(path: dir.appendingPathComponent("s.sqlite").path)
        try await Migrations.migrate(db)
        do {
            try await body(BucketStore(repository: BucketRepository(db: db), keys: PlainDataKeys()), db, dir)
        } catch {
            await db.close()
            throw error
        }
        await db.close()
    }

    func context() -> RequestContext {
        RequestContext(requestId: "r", account: "111122223333", region: "us-east-1", principal: nil, sourceIP: "127.0.0.1",
                       userAgent: "test", receivedAt: Date(), tls: nil)
    }

    func dataRows(_ db: SQLiteDatabase) async throws -> Int64 {
        try await db.read { tx in try await tx.query("SELECT COUNT(*) FROM s3_object_data", []) }.first?[0].int ?? -1
    }

    func testBodiesAreStoredReadByRangeAndLeaveNothingBehind() async throws {
        try await withStore { s, db, _ in
            _ = try await s.createBucket(name: "bodies", account: "111122223333", region: "us-east-1", locationConstraint: nil)
            let chunk = BucketRepository.chunkSize
            let body = (0..<(2 * chunk + 100)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 12) }
            let put = try await s.putObject(bucket: "bodies", key: "big", account: "111122223333", body: body, meta: ObjectMeta())
            XCTAssertEqual(put.row.etag, "\"\(Hex.encode(Array(Insecure.MD5.hash(data: body))))\"")
            let first = try await s.headObject(bucket: "bodies", key: "big", account: "111122223333")
            let whole = try await s.read(first)
            XCTAssertEqual(whole, body)
            let across = try await s.read(first, range: Int64(chunk - 3)..<Int64(chunk + 3))
            XCTAssertEqual(across, Array(body[chunk - 3..<chunk + 3]))
            // Replacing it: a reader holding the old row is told to read again, never served the new bytes under old headers.
            _ = try await s.putObject(bucket: "bodies", key: "big", account: "111122223333", body: [1, 2, 3], meta: ObjectMeta())
            do {
                _ = try await s.read(first)
                XCTFail("the old version's body should be gone")
            } catch is ObjectReplaced {}
            let current = try await s.currentBody(bucket: "bodies", key: "big", account: "111122223333")
            XCTAssertEqual(current, [1, 2, 3])
            let rowsAfterReplace = try await dataRows(db)
            XCTAssertEqual(rowsAfterReplace, 1, "only the new version's one chunk is stored")
            let second = try await s.headObject(bucket: "bodies", key: "big", account: "111122223333")
            try await s.deleteObject(bucket: "bodies", key: "big", account: "111122223333")
            do {
                _ = try await s.read(second)
                XCTFail("a deleted object has no body")
            } catch let e as AWSError {
                XCTAssertEqual(e.code, "NoSuchKey")
            }
            let rowsAfterDelete = try await dataRows(db)
            XCTAssertEqual(rowsAfterDelete, 0)
            // An empty object is an object.
            _ = try await s.putObject(bucket: "bodies", key: "empty", account: "111122223333", body: [], meta: ObjectMeta())
            let empty = try await s.currentBody(bucket: "bodies", key: "empty", account: "111122223333")
            XCTAssertEqual(empty, [])
        }
    }

    func testSSEKMSBodiesAreStoredSealed() async throws {
        try await withStore { s, db, _ in
            _ = try await s.createBucket(name: "sealed", account: "111122223333", region: "us-east-1", locationConstraint: nil)
            let secret = Array(String(repeating: "plaintext that must not be at rest ", count: 40).utf8)
            let put = try await s.putObject(bucket: "sealed", key: "k", account: "111122223333", body: secret, meta: ObjectMeta(),
                                            sse: SSEKMSRequest(keyId: nil, context: context()))
            XCTAssertEqual(put.meta.sseKmsKeyArn, PlainDataKeys.arn)
            let stored = try await db.read { tx in try await tx.query("SELECT data FROM s3_object_data", []) }
                .flatMap { $0[0].blob ?? [] }
            XCTAssertEqual(stored.count, secret.count + 28, "nonce | ciphertext | tag")
            XCTAssertNil(String(decoding: stored, as: UTF8.self).range(of: "plaintext that must not"))
            let object = try await s.headObject(bucket: "sealed", key: "k", account: "111122223333")
            let got = try await s.read(object)
            XCTAssertEqual(got, secret)
            let part = try await s.read(object, range: 10..<20)
            XCTAssertEqual(part, Array(secret[10..<20]))
        }
    }

    func testLegacyFilesAreImportedOnceAndTheirDirectoryRemoved() async throws {
        try await withStore { s, db, dir in
            _ = try await s.createBucket(name: "legacy", account: "111122223333", region: "us-east-1", locationConstraint: nil)
            // As an earlier version left things: rows naming files under DATA/s3/objects, a file no row names, a temp file.
            let root = dir.appendingPathComponent("s3")
            for sub in ["objects", "tmp"] {
                try FileManager.default.createDirectory(at: root.appendingPathComponent(sub), withIntermediateDirectories: true)
            }
            try Data("kept in a file".utf8).write(to: root.appendingPathComponent("objects/file-1"))
            try Data("orphan".utf8).write(to: root.appendingPathComponent("objects/file-orphan"))
            try Data("half written".utf8).write(to: root.appendingPathComponent("tmp/x"))
            try await db.transaction { tx in
                for (key, file, size) in [("a", "file-1", 14), ("lost", "file-2", 3)] {
                    try await tx.execute("""
                        INSERT INTO s3_objects (bucket, object_key, size, etag, last_modified_ms, file_name, doc)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """, [.text("legacy"), .text(key), .int(Int64(size)), .text("\"e\""), .int(1), .text(file), .text("{}")])
                }
            }
            let dataDir = dir.path
            let first = try await s.importLegacyFiles(dataDir: dataDir)
            XCTAssertEqual(first.imported, 1)
            XCTAssertEqual(first.missing, 1, "a row whose file was gone is reported")
            XCTAssertFalse(FileManager.default.fileExists(atPath: root.path))
            let body = try await s.currentBody(bucket: "legacy", key: "a", account: "111122223333")
            XCTAssertEqual(body, Array("kept in a file".utf8))
            let again = try await s.importLegacyFiles(dataDir: dataDir)
            XCTAssertEqual(again.imported, 0)
            XCTAssertEqual(again.missing, 0)
            // Repeating it after a crash (directory still there, bodies already stored) keeps what is stored.
            try FileManager.default.createDirectory(at: root.appendingPathComponent("objects"), withIntermediateDirectories: true)
            try Data("stale copy".utf8).write(to: root.appendingPathComponent("objects/file-1"))
            let redo = try await s.importLegacyFiles(dataDir: dataDir)
            XCTAssertEqual(redo.imported, 0)
            let unchanged = try await s.currentBody(bucket: "legacy", key: "a", account: "111122223333")
            XCTAssertEqual(unchanged, Array("kept in a file".utf8))
        }
    }
}
