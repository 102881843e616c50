// CloudWatch Logs and metrics storage on both backends: events with their metric data points in one transaction,
// stream counters, time-ordered reads in both directions, retention; data points by metric and time; alarm history.
import Foundation
import WardenStorage
import XCTest

extension StorageConformanceTests {
    func testLogEventsMetricPointsAndRetention() async throws {
        try await eachBackend { name, db in
            let logs = LogsRepository(db: db)
            let metrics = MetricsRepository(db: db)
            let created = try await logs.createGroup(account: "a", region: "r", name: "g", createdMillis: 1, doc: "{}")
            XCTAssertTrue(created, name)
            let again = try await logs.createGroup(account: "a", region: "r", name: "g", createdMillis: 1, doc: "{}")
            XCTAssertFalse(again, name)
            let missing = try await logs.append(account: "a", region: "r", group: "g", stream: "s", events: [(1, "x")], ingestMillis: 5, datapoints: [])
            XCTAssertFalse(missing, name)  // no such stream
            _ = try await logs.createStream(account: "a", region: "r", group: "g", name: "s", createdMillis: 2)
            let point = MetricDatum(account: "a", region: "r", namespace: "N", name: "M", dimensions: "[]", timestampMillis: 10, unit: "Count",
                                    sampleCount: 1, sum: 3, min: 3, max: 3, distribution: true)
            _ = try await logs.append(account: "a", region: "r", group: "g", stream: "s", events: [(10, "one"), (20, "two"), (20, "three")],
                                      ingestMillis: 30, datapoints: [point], cursor: ("c", 7))
            let cursor = try await logs.cursor("c")
            XCTAssertEqual(cursor, 7, name)
            let s = try await logs.streams(account: "a", region: "r", group: "g")
            XCTAssertEqual(s.first?.firstMillis, 10, name)
            XCTAssertEqual(s.first?.lastMillis, 20, name)
            XCTAssertEqual(s.first?.storedBytes, Int64(3 + 3 + 5 + 3 * 26), name)
            let groups = try await logs.listGroups(account: "a", region: "r", prefix: "")
            XCTAssertEqual(groups.map(\.storedBytes), [Int64(3 + 3 + 5 + 3 * 26)], name)
            let forward = try await logs.streamEvents(account: "a", region: "r", group: "g", stream: "s", startMillis: 0, endMillis: .max,
                                                      after: nil, before: nil, forward: true, limit: 2)
            XCTAssertEqual(forward.map(\.message), ["one", "two"], name)
            let rest = try await logs.streamEvents(account: "a", region: "r", group: "g", stream: "s", startMillis: 0, endMillis: .max,
                                                   after: (forward[1].timestampMillis, forward[1].seq), before: nil, forward: true, limit: 10)
            XCTAssertEqual(rest.map(\.message), ["three"], name)
            let backward = try await logs.streamEvents(account: "a", region: "r", group: "g", stream: "s", startMillis: 0, endMillis: .max,
                                                       after: nil, before: nil, forward: false, limit: 2)
            XCTAssertEqual(backward.map(\.message), ["three", "two"], name)
            let points = try await metrics.points(account: "a", region: "r", namespace: "N", name: "M", dimensions: "[]", startMillis: 0, endMillis: 100)
            XCTAssertEqual(points.map(\.sum), [3], name)
            let listed = try await metrics.metrics(account: "a", region: "r", namespace: nil, name: nil, sinceMillis: 0)
            XCTAssertEqual(listed.map(\.name), ["M"], name)
            let removed = try await logs.deleteEvents(account: "a", region: "r", group: "g", olderThanMillis: 15)
            XCTAssertEqual(removed, 1, name)
            let left = try await logs.groupEvents(account: "a", region: "r", group: "g", startMillis: 0, endMillis: .max, after: nil, limit: 10)
            XCTAssertEqual(left.map(\.message), ["two", "three"], name)
            // Alarms: a document and its history, newest first; deleting takes both.
            try await metrics.putAlarm(account: "a", region: "r", name: "al", doc: "{}")
            try await metrics.saveAlarm(account: "a", region: "r", name: "al", doc: "{\"v\":1}", history: ("StateUpdate", "one", "{}", 1))
            try await metrics.saveAlarm(account: "a", region: "r", name: "al", doc: "{\"v\":2}", history: ("StateUpdate", "two", "{}", 2))
            let h = try await metrics.history(account: "a", region: "r", alarmName: "al", startMillis: 0, endMillis: .max)
            XCTAssertEqual(h.map(\.summary), ["two", "one"], name)
            let doc = try await metrics.alarm(account: "a", region: "r", name: "al")
            XCTAssertEqual(doc, "{\"v\":2}", name)
            let refused = try await metrics.deleteAlarms(account: "a", region: "r", names: ["al", "nope"])
            XCTAssertEqual(refused, "nope", name)  // all or none: "al" is still there
            let kept = try await metrics.alarm(account: "a", region: "r", name: "al")
            XCTAssertNotNil(kept, name)
            let gone = try await metrics.deleteAlarms(account: "a", region: "r", names: ["al"])
            XCTAssertNil(gone, name)
            let deleted = try await logs.deleteGroup(account: "a", region: "r", name: "g")
            XCTAssertTrue(deleted, name)
            let after = try await logs.groupEvents(account: "a", region: "r", group: "g", startMillis: 0, endMillis: .max, after: nil, limit: 10)
            XCTAssertEqual(after.count, 0, name)
        }
    }
}
