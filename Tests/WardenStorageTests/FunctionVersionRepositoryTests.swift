// FunctionRepository's versions, aliases and invocation settings on both backends: a publish keeps its own sealed
// configuration and a copy of the code, lists come in order (names by their bytes), and deleting a function takes
// everything it owns.
import Crypto
import Foundation
import WardenStorage
import XCTest

extension StorageConformanceTests {
    func testFunctionVersionsAliasesAndSettings() async throws {
        try await eachBackend { name, db in
            let repo = FunctionRepository(db: db, sealer: Sealer(root: FileRootKey(key: SymmetricKey(size: .bits256))))
            let fn = FunctionRow(account: "111122223333", region: "us-east-1", name: "f", createdAtMillis: 1, doc: Array(#"{"v":0}"#.utf8))
            let created = try await repo.create(fn, code: [1, 2, 3])
            XCTAssertTrue(created, name)
            for n in Int64(1)...3 {
                var latest = fn
                latest.doc = Array(#"{"v":\#(n)}"#.utf8)
                let v = FunctionVersionRow(account: fn.account, region: fn.region, name: "f", version: n, createdAtMillis: n,
                                           doc: Array(#"{"published":\#(n)}"#.utf8))
                let ok = try await repo.publish(latest, version: v)
                XCTAssertTrue(ok, name)
                // The next version's code differs: a version keeps the zip it was published with.
                _ = try await repo.update(latest, code: [UInt8(n), 9])
            }
            let v2 = try await repo.version(account: fn.account, region: fn.region, name: "f", version: 2)
            XCTAssertEqual(v2.map { String(decoding: $0.doc, as: UTF8.self) }, #"{"published":2}"#, name)
            let code2 = try await repo.versionCode(account: fn.account, region: fn.region, name: "f", version: 2)
            XCTAssertEqual(code2, [1, 9], name)
            let latestDoc = try await repo.function(account: fn.account, region: fn.region, name: "f")?.doc
            XCTAssertEqual(latestDoc.map { String(decoding: $0, as: UTF8.self) }, #"{"v":3}"#, name)
            let after1 = try await repo.versions(account: fn.account, region: fn.region, name: "f", after: 1, limit: 10).map(\.version)
            XCTAssertEqual(after1, [2, 3], name)
            let deleted = try await repo.deleteVersion(account: fn.account, region: fn.region, name: "f", version: 2)
            let again = try await repo.deleteVersion(account: fn.account, region: fn.region, name: "f", version: 2)
            XCTAssertEqual([deleted, again], [true, false], name)

            func side(_ n: String) -> FunctionSideRow {
                FunctionSideRow(account: fn.account, region: fn.region, function: "f", name: n, doc: #"{"n":"\#(n)"}"#)
            }
            for alias in ["live", "Beta", "_x", "alpha"] {
                let made = try await repo.putSide(.aliases, side(alias), create: true)
                XCTAssertEqual(made, .written, name)
            }
            let dup = try await repo.putSide(.aliases, side("live"), create: true)
            XCTAssertEqual(dup, .exists, name)
            let aliases = try await repo.sides(.aliases, account: fn.account, region: fn.region, function: "f").map(\.name)
            XCTAssertEqual(aliases, ["Beta", "_x", "alpha", "live"], name)  // byte order, as AWS lists
            for q in ["$LATEST", "3", "live"] { _ = try await repo.putSide(.eventConfigs, side(q), create: false) }
            // Deleting an alias takes its settings.
            _ = try await repo.deleteSide(.aliases, account: fn.account, region: fn.region, function: "f", name: "live")
            let settings = try await repo.sides(.eventConfigs, account: fn.account, region: fn.region, function: "f").map(\.name)
            XCTAssertEqual(settings, ["$LATEST", "3"], name)

            // The function goes with all it owns.
            let gone = try await repo.delete(account: fn.account, region: fn.region, name: "f")
            XCTAssertTrue(gone, name)
            let left = try await db.read { tx in
                try await tx.query("""
                    SELECT (SELECT COUNT(*) FROM lambda_function_versions) + (SELECT COUNT(*) FROM lambda_aliases)
                        + (SELECT COUNT(*) FROM lambda_event_invoke_configs)
                    """, [])
            }
            XCTAssertEqual(left.first?[0].int, 0, name)
        }
    }
}
