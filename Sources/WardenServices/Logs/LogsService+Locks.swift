// Per-log-group locks: every read-modify-write of a group's document (retention, tags, metric and subscription
// filters) and the group's deletion take the group's lock, in the database, so changes through different nodes
// cannot lose each other.
import WardenCore
import WardenStorage

extension LogsService {
    static func groupLock(_ account: String, _ region: String, _ name: String) -> String { "logs:\(account)/\(region)/\(name)" }

    /// Reads the group's document under the group's lock, lets `change` edit it, and saves it.
    func changeGroup(_ name: String, _ c: RequestContext, _ change: (inout LogGroupDoc) throws -> Void) async throws {
        try await repository.db.withLock(Self.groupLock(c.account, c.region, name)) {
            var doc = try await group(name, c).1
            try change(&doc)
            try await save(doc, name, c)
        }
    }
}
