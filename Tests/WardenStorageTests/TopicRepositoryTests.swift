// TopicRepository's outbox and archive on both backends: FIFO lanes never overtake themselves, leases hide copies
// until they run out, archived messages are sealed and come back in order within a time window.
import Crypto
import Foundation
import WardenStorage
import XCTest

extension StorageConformanceTests {
    func testOutboxLanesKeepOrderAcrossRetriesAndLeases() async throws {
        try await eachBackend { name, db in
            let repo = TopicRepository(db: db, sealer: Sealer(root: FileRootKey(key: SymmetricKey(size: .bits256))))
            func bodies(_ now: Int64, limit: Int = 10) async throws -> [String] {
                try await repo.due(nowMillis: now, limit: limit).map { String(decoding: $0.body, as: UTF8.self) }
            }
            func item(_ body: String, lane: String?) -> DeliveryItem {
                DeliveryItem(subscriptionArn: "arn:s", body: Array(body.utf8), doc: "{}", lane: lane)
            }
            try await repo.enqueue([item("a1", lane: "s|A"), item("b1", lane: "s|B"), item("a2", lane: "s|A"),
                                    item("x", lane: nil), item("a3", lane: "s|A")], dueAtMillis: 100)
            let all = try await repo.due(nowMillis: 100, limit: 10)
            XCTAssertEqual(all.map { String(decoding: $0.body, as: UTF8.self) }, ["a1", "b1", "a2", "x", "a3"], name)
            // a1 waits for a retry: nothing after it in lane A is due, other lanes and laneless copies are.
            try await repo.retryDelivery(seq: all[0].seq, attempts: 1, dueAtMillis: 5_000)
            let blocked = try await repo.due(nowMillis: 200, limit: 10)
            XCTAssertEqual(blocked.map { String(decoding: $0.body, as: UTF8.self) }, ["b1", "x"], name)
            // A lease hides a copy (and its lane's followers) until it runs out.
            try await repo.reschedule(seqs: [all[1].seq], dueAtMillis: 1_000)
            var got = try await bodies(200, limit: 10)
            XCTAssertEqual(got, ["x"], name)
            got = try await bodies(1_000, limit: 10)
            XCTAssertEqual(got, ["b1", "x"], name)
            // Once a1 is due again the lane comes back whole, in order; once delivered, a2 heads it.
            got = try await bodies(5_000, limit: 10)
            XCTAssertEqual(got, ["a1", "b1", "a2", "x", "a3"], name)
            try await repo.completeDelivery(seq: all[0].seq)
            got = try await bodies(5_000, limit: 1)
            XCTAssertEqual(got, ["b1"], name)
            let pending = try await repo.pendingDeliveries()
            XCTAssertEqual(pending, 4, name)
        }
    }

    func testArchiveIsSealedAndWindowed() async throws {
        try await eachBackend { name, db in
            let repo = TopicRepository(db: db, sealer: Sealer(root: FileRootKey(key: SymmetricKey(size: .bits256))))
            for (i, at) in [(1, 1_000), (2, 2_000), (3, 3_000)] as [(Int64, Int64)] {
                _ = try await repo.enqueueFIFO(topicArn: "t.fifo", dedupKey: "k\(i)", messageId: "m\(i)", sequence: i, nowMillis: at,
                                               items: [], archive: Array("secret message \(i)".utf8))
            }
            let window = try await repo.archived(topicArn: "t.fifo", fromMillis: 1_500, toMillis: 3_000)
            XCTAssertEqual(window.map(\.seq), [2, 3], name)
            XCTAssertEqual(window.map { String(decoding: $0.body, as: UTF8.self) }, ["secret message 2", "secret message 3"], name)
            let oldest = try await repo.oldestArchived(topicArn: "t.fifo")
            XCTAssertEqual(oldest, 1_000, name)
            let raw = try await db.read { try await $0.query("SELECT body FROM sns_archive", []) }
            XCTAssertTrue(raw.allSatisfy { ($0[0].blob ?? []).firstRange(of: Array("secret".utf8)) == nil }, "sealed (\(name))")
            try await repo.purgeArchive(topicArn: "t.fifo", beforeMillis: 2_500)
            let left = try await repo.archived(topicArn: "t.fifo", fromMillis: 0, toMillis: .max).map(\.seq)
            XCTAssertEqual(left, [3], name)
            try await repo.purgeArchive(topicArn: "t.fifo", beforeMillis: nil)
            let none = try await repo.oldestArchived(topicArn: "t.fifo")
            XCTAssertNil(none, name)
        }
    }
}
