// Event-history lookups and the retention purge on both backends.
import Foundation
import WardenStorage
import XCTest

extension StorageConformanceTests {
    func testAuditLookupsNewestFirstWithPaging() async throws {
        try await eachBackend { name, db in
            let audit = AuditRepository(db: db)
            var events: [StoredAuditEvent] = []
            for i in 0..<30 {
                var e = Self.event("ev\(i)", time: 1_700_000_000_000 + Int64(i / 2) * 1000)  // pairs share a millisecond
                e.eventName = i % 3 == 0 ? "Encrypt" : "ListKeys"
                e.eventSource = "kms.amazonaws.com"
                e.readOnly = i % 3 == 0
                e.management = i != 29
                e.username = i % 2 == 0 ? "root" : "alice"
                if i % 3 == 0 { e.resources = [StoredAuditResource(type: "AWS::KMS::Key", name: "arn:k\(i % 2)")] }
                events.append(e)
            }
            try await audit.append(events)
            func q(_ a: AuditLookup.Attribute?, before: (Int64, Int64)? = nil, limit: Int = 100, start: Int64 = 0) async throws -> [String] {
                try await audit.lookup(AuditLookup(account: "111122223333", region: "us-east-1", attribute: a, startMillis: start,
                                                   endMillis: .max, before: before, limit: limit)).map(\.eventId)
            }
            let all = try await q(nil)
            XCTAssertEqual(all.count, 29, "data events (management = 0) stay out of history (\(name))")
            XCTAssertEqual(all.first, "ev28", name)
            XCTAssertEqual(Array(all.prefix(3)), ["ev28", "ev27", "ev26"], "newest first, then log order (\(name))")
            let encrypts = try await q(.eventName("Encrypt"))
            XCTAssertEqual(encrypts, stride(from: 27, through: 0, by: -3).map { "ev\($0)" }, name)
            let byResource = try await q(.resourceName("arn:k1"))
            XCTAssertEqual(byResource, ["ev27", "ev21", "ev15", "ev9", "ev3"], name)
            let byType = try await q(.resourceType("AWS::KMS::Key"))
            XCTAssertEqual(byType.count, 10, name)
            let alice = try await q(.username("alice"))
            XCTAssertEqual(alice.count, 14, name)
            let readOnly = try await q(.readOnly(true))
            XCTAssertEqual(readOnly, encrypts, name)
            let one = try await q(.eventId("ev7"))
            XCTAssertEqual(one, ["ev7"], name)
            // Keyset paging walks the same order without gaps or repeats, across equal timestamps.
            var paged: [String] = []
            var before: (Int64, Int64)?
            while true {
                let page = try await audit.lookup(AuditLookup(account: "111122223333", region: "us-east-1", attribute: nil,
                                                              startMillis: 0, endMillis: .max, before: before, limit: 4))
                paged += page.map(\.eventId)
                guard page.count == 4, let last = page.last else { break }
                before = (last.eventTimeMillis, last.seq)
            }
            XCTAssertEqual(paged, all, name)
            let recent = try await q(nil, start: 1_700_000_010_000)
            XCTAssertEqual(recent.count, 9, name)
            // Retention keeps what a trail has yet to deliver (here: everything after the fourth event)...
            let seqs = try await db.read { try await $0.query("SELECT seq FROM audit_events ORDER BY seq", []) }.compactMap { $0[0].int }
            let held = try await audit.purge(before: 1_700_000_005_000, throughSeq: seqs[3], batch: 3)
            XCTAssertEqual(held, 4, name)
            // ...and otherwise everything before the cutoff goes, resource rows with it, in batches.
            let purged = try await audit.purge(before: 1_700_000_005_000, batch: 3)
            XCTAssertEqual(purged, 6, name)
            let left = try await q(nil)
            XCTAssertEqual(left.count, 19, name)
            let oldResource = try await q(.resourceName("arn:k0"))
            XCTAssertFalse(oldResource.contains("ev0"), name)
            let leftRows = try await db.read { try await $0.query("SELECT COUNT(*) FROM audit_resources", []) }
            XCTAssertEqual(leftRows.first?[0].int, 6, name)
        }
    }
}
