// One conformance suite, run against SQLite and PostgreSQL (WARDEN_TEST_POSTGRES_URL, started by scripts/test).
import Crypto
import Foundation
import Logging
import WardenStorage
import WardenStorageSQLite
import WardenStoragePostgres
import XCTest

final class StorageConformanceTests: XCTestCase {
    /// Runs `body` once per backend on a freshly migrated, empty database.
    func eachBackend(_ body: (String, any SQLDatabase) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-storage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let sqlite = try SQLiteDatabase(path: dir.appendingPathComponent("t.sqlite").path)
        try await Migrations.migrate(sqlite)
        try await body("sqlite", sqlite)
        await sqlite.close()

        guard let url = ProcessInfo.processInfo.environment["WARDEN_TEST_POSTGRES_URL"] else {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("CI must run the PostgreSQL half (scripts/test sets WARDEN_TEST_POSTGRES_URL)") }
            print("WARDEN_TEST_POSTGRES_URL not set: PostgreSQL half skipped")
            return
        }
        let pg = try await PostgresDatabase.connect(url: url, logger: Logger(label: "test"))
        try await pg.transaction { tx in
            try await tx.execute("DROP SCHEMA public CASCADE")
            try await tx.execute("CREATE SCHEMA public")
        }
        try await Migrations.migrate(pg)
        try await body("postgres", pg)
        await pg.close()
    }

    func testMigrationsAreIdempotent() async throws {
        try await eachBackend { name, db in
            try await Migrations.migrate(db)
            let v = try await Migrations.currentVersion(db)
            XCTAssertEqual(v, Migrations.all.last?.version, name)
        }
    }

    func testValueRoundTrip() async throws {
        try await eachBackend { name, db in
            try await db.transaction { tx in
                try await tx.execute("CREATE TABLE rt (a BIGINT, b TEXT, c \(db.dialect == .sqlite ? "BLOB" : "BYTEA"), d DOUBLE PRECISION, e TEXT)")
                try await tx.execute("INSERT INTO rt VALUES (?, ?, ?, ?, ?)",
                                     [.int(Int64.max), .text("héllo ☃"), .blob([0, 1, 255]), .double(1.5), .null])
            }
            let rows = try await db.read { try await $0.query("SELECT a, b, c, d, e FROM rt", []) }
            XCTAssertEqual(rows.first?.values, [.int(Int64.max), .text("héllo ☃"), .blob([0, 1, 255]), .double(1.5), .null], name)
        }
    }

    func testTransactionRollsBackOnError() async throws {
        try await eachBackend { name, db in
            let audit = AuditRepository(db: db)
            do {
                try await db.transaction { tx in
                    try await AuditRepository.append([Self.event("e1")], in: tx)
                    throw StorageError("boom")
                }
                XCTFail("expected error")
            } catch {}
            let n = try await audit.count()
            XCTAssertEqual(n, 0, name)
        }
    }

    static func event(_ id: String, account: String = "111122223333", time: Int64 = 1_700_000_000_000) -> StoredAuditEvent {
        StoredAuditEvent(eventId: id, account: account, region: "us-east-1", eventTimeMillis: time, eventSource: "sts.amazonaws.com",
                         eventName: "GetCallerIdentity", readOnly: true, management: true, username: nil, accessKeyId: "AKIA1",
                         requestId: "req-\(id)", errorCode: id.hasSuffix("x") ? "Boom" : nil, record: #"{"eventID":"\#(id)"}"#)
    }

    func testAuditAppendIsOrderedAndComplete() async throws {
        try await eachBackend { name, db in
            let audit = AuditRepository(db: db)
            // More than one INSERT statement's worth in a single batch.
            let batch = (0..<1000).map { Self.event("e\($0)", account: $0 % 2 == 0 ? "111122223333" : "444455556666") }
            try await audit.append(batch)
            try await audit.append([Self.event("last-x")])
            let n = try await audit.count()
            XCTAssertEqual(n, 1001, name)
            let all = try await audit.list(limit: 5000)
            XCTAssertEqual(all.map(\.eventId), batch.map(\.eventId) + ["last-x"], name)
            XCTAssertEqual(all.map(\.seq), all.map(\.seq).sorted(), name)
            XCTAssertEqual(all.last?.errorCode, "Boom", name)
            let one = try await audit.list(account: "444455556666", region: "us-east-1", limit: 5000)
            XCTAssertEqual(one.count, 500, name)
            let after = try await audit.list(afterSeq: all[998].seq, limit: 10)
            XCTAssertEqual(after.map(\.eventId), ["e999", "last-x"], name)
            let found = try await audit.find(requestId: "req-e5")
            XCTAssertEqual(found.first?.record, #"{"eventID":"e5"}"#, name)
            // Duplicate event ids are refused, and the whole batch with them.
            do {
                try await audit.append([Self.event("new"), Self.event("e1")])
                XCTFail("duplicate accepted")
            } catch {}
            let still = try await audit.count()
            XCTAssertEqual(still, 1001, name)
        }
    }

    func testConcurrentTransactionsSerialize() async throws {
        try await eachBackend { name, db in
            let audit = AuditRepository(db: db)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for t in 0..<8 {
                    group.addTask { for i in 0..<25 { try await audit.append([Self.event("t\(t)-\(i)")]) } }
                }
                try await group.waitForAll()
            }
            let n = try await audit.count()
            XCTAssertEqual(n, 200, name)
        }
    }

    func testAccessKeysAreSealed() async throws {
        try await eachBackend { name, db in
            let sealer = Sealer(root: FileRootKey(key: SymmetricKey(size: .bits256)))
            let keys = AccessKeyRepository(db: db, sealer: sealer)
            let (record, secret) = try await keys.create(account: "111122223333")
            XCTAssertTrue(record.accessKeyId.hasPrefix("AKIA") && record.accessKeyId.count == 20, name)
            XCTAssertEqual(secret.count, 40, name)
            let got = try await keys.lookup(record.accessKeyId)
            XCTAssertEqual(got?.secret, secret, name)
            XCTAssertEqual(got?.record.account, "111122223333", name)
            // The database alone does not reveal the secret.
            let raw = try await db.read { try await $0.query("SELECT secret_sealed FROM access_keys", []) }
            let sealed = raw.first?[0].blob ?? []
            XCTAssertFalse(sealed.isEmpty)
            XCTAssertNil(sealed.firstRange(of: Array(secret.utf8)), name)
            // Another root key cannot open it.
            let other = AccessKeyRepository(db: db, sealer: Sealer(root: FileRootKey(key: SymmetricKey(size: .bits256))))
            do { _ = try await other.lookup(record.accessKeyId); XCTFail("opened with the wrong root key") } catch {}
            let listed = try await keys.list()
            XCTAssertEqual(listed.map(\.accessKeyId), [record.accessKeyId], name)
            let deleted = try await keys.delete(record.accessKeyId)
            XCTAssertTrue(deleted, name)
            let gone = try await keys.lookup(record.accessKeyId)
            XCTAssertNil(gone, name)
        }
    }

    func testWipeKeepsSchema() async throws {
        try await eachBackend { name, db in
            let audit = AuditRepository(db: db)
            try await audit.append([Self.event("a")])
            try await Migrations.wipe(db)
            let n = try await audit.count()
            XCTAssertEqual(n, 0, name)
            try await audit.append([Self.event("a")])
            let m = try await audit.count()
            XCTAssertEqual(m, 1, name)
        }
    }
}

final class SealerTests: XCTestCase {
    func testSealBindsContext() throws {
        let sealer = Sealer(root: FileRootKey(key: SymmetricKey(size: .bits256)))
        let ctx = SealContext(table: "t", id: "1")
        let sealed = try sealer.seal(Array("secret".utf8), context: ctx)
        XCTAssertEqual(try sealer.open(sealed, context: ctx), Array("secret".utf8))
        XCTAssertThrowsError(try sealer.open(sealed, context: SealContext(table: "t", id: "2")))
        var flipped = sealed
        flipped[flipped.count - 1] ^= 1
        XCTAssertThrowsError(try sealer.open(flipped, context: ctx))
    }

    func testRootKeyFileIsCreated0600AndReloaded() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rk-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let a = try FileRootKey.loadOrCreate(path: path)
        let perms = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(perms, 0o600)
        let b = try FileRootKey.loadOrCreate(path: path)
        let sealed = try Sealer(root: a).seal([1, 2, 3], context: SealContext(table: "x", id: "y"))
        XCTAssertEqual(try Sealer(root: b).open(sealed, context: SealContext(table: "x", id: "y")), [1, 2, 3])
    }
}
