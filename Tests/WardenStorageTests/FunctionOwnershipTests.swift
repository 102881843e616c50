// What a function owns is only ever added while the function is there: a version, alias or invocation setting written
// after a concurrent DeleteFunction removed the function is refused, not left behind for a later function of the same
// name to inherit (a later PublishVersion would then collide with the orphaned version 1).
import Crypto
import Foundation
import WardenStorage
import XCTest

extension StorageConformanceTests {
    func testNothingIsAddedToADeletedFunction() async throws {
        try await eachBackend { name, db in
            let repo = FunctionRepository(db: db, sealer: Sealer(root: FileRootKey(key: SymmetricKey(size: .bits256))))
            let fn = FunctionRow(account: "111122223333", region: "us-east-1", name: "gone", createdAtMillis: 1, doc: Array(#"{"v":0}"#.utf8))
            func version(_ n: Int64) -> FunctionVersionRow {
                FunctionVersionRow(account: fn.account, region: fn.region, name: fn.name, version: n, createdAtMillis: n,
                                   doc: Array(#"{"published":\#(n)}"#.utf8))
            }
            func side(_ n: String) -> FunctionSideRow {
                FunctionSideRow(account: fn.account, region: fn.region, function: fn.name, name: n, doc: #"{"n":"\#(n)"}"#)
            }
            // Never created: nothing can be added.
            let early = try await repo.publish(fn, version: version(1))
            XCTAssertFalse(early, name)
            let earlyAlias = try await repo.putSide(.aliases, side("live"), create: true)
            XCTAssertEqual(earlyAlias, .functionGone, name)

            // Created, given a version, an alias and settings, then deleted (as by a concurrent DeleteFunction between a
            // service's read of the function and its write).
            let created = try await repo.create(fn, code: [1])
            XCTAssertTrue(created, name)
            let published = try await repo.publish(fn, version: version(1))
            XCTAssertTrue(published, name)
            let alias = try await repo.putSide(.aliases, side("live"), create: true)
            XCTAssertEqual(alias, .written, name)
            let deleted = try await repo.delete(account: fn.account, region: fn.region, name: fn.name)
            XCTAssertTrue(deleted, name)
            let late = try await repo.publish(fn, version: version(2))
            XCTAssertFalse(late, name)
            for (table, n, create) in [(FunctionRepository.SideTable.aliases, "beta", true), (.aliases, "live", false),
                                       (.eventConfigs, "$LATEST", false)] {
                let written = try await repo.putSide(table, side(n), create: create)
                XCTAssertEqual(written, .functionGone, "\(name) \(table) \(n)")
            }
            let left = try await db.read { tx in
                try await tx.query("""
                    SELECT (SELECT COUNT(*) FROM lambda_function_versions) + (SELECT COUNT(*) FROM lambda_aliases)
                        + (SELECT COUNT(*) FROM lambda_event_invoke_configs) + (SELECT COUNT(*) FROM lambda_functions)
                    """, [])
            }
            XCTAssertEqual(left.first?[0].int, 0, name)

            // A new function of the same name starts clean: its version 1 is its own.
            let again = try await repo.create(fn, code: [2])
            XCTAssertTrue(again, name)
            let first = try await repo.publish(fn, version: version(1))
            XCTAssertTrue(first, name)
            let code = try await repo.versionCode(account: fn.account, region: fn.region, name: fn.name, version: 1)
            XCTAssertEqual(code, [2], name)
            let aliases = try await repo.sides(.aliases, account: fn.account, region: fn.region, function: fn.name)
            XCTAssertEqual(aliases.map(\.name), [], name)
        }
    }
}
