// SQLite group commit: concurrent transactions share COMMITs, and each keeps all-or-nothing on its own.
import Foundation
import WardenStorage
import WardenStorageSQLite
import XCTest

final class GroupCommitTests: XCTestCase {
    struct Refused: Error {}

    func testConcurrentTransactionsShareCommitsAndFailAlone() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-group-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try SQLiteDatabase(path: dir.appendingPathComponent("g.sqlite").path)
        try await db.transaction { try await $0.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT)", []) }
        let before = db.commits
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { tasks in
            for n in 0..<200 {
                tasks.addTask {
                    do {
                        try await db.transaction { tx in
                            try await tx.execute("INSERT INTO t (n, v) VALUES (?, 'a')", [.int(Int64(n))])
                            try await tx.execute("UPDATE t SET v = 'b' WHERE n = ?", [.int(Int64(n))])
                            // Every 10th transaction fails after writing: its rows must vanish, the others' stay.
                            if n % 10 == 0 { throw Refused() }
                        }
                        return (n, true)
                    } catch {
                        XCTAssertTrue(error is Refused, "\(error)")
                        return (n, false)
                    }
                }
            }
            var out: [Int: Bool] = [:]
            for await (n, ok) in tasks { out[n] = ok }
            return out
        }
        XCTAssertEqual(outcomes.filter(\.value).count, 180)
        let rows = try await db.read { try await $0.query("SELECT n, v FROM t ORDER BY n", []) }
        XCTAssertEqual(rows.map { Int($0[0].int ?? -1) }, (0..<200).filter { $0 % 10 != 0 })
        XCTAssertTrue(rows.allSatisfy { $0[1].text == "b" })
        let commits = db.commits - before
        XCTAssertLessThan(commits, 200, "concurrent transactions shared COMMITs (\(commits) for 200)")
        XCTAssertGreaterThanOrEqual(commits, 200 / 64)
        // A later transaction on its own still commits.
        try await db.transaction { try await $0.execute("INSERT INTO t (n, v) VALUES (1000, 'c')", []) }
        let last = try await db.read { try await $0.query("SELECT v FROM t WHERE n = 1000", []) }
        XCTAssertEqual(last.first?[0].text, "c")
        await db.close()
    }
}
