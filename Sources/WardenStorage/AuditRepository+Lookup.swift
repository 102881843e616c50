// CloudTrail event history over the audit log: one-attribute lookups, newest first, keyset paging; the 90-day purge.
import Foundation

/// A LookupEvents query in storage terms.
public struct AuditLookup: Sendable {
    public enum Attribute: Sendable, Equatable {
        case eventId(String), eventName(String), readOnly(Bool), username(String), accessKeyId(String)
        case eventSource(String), resourceType(String), resourceName(String)
    }

    public var account: String
    public var region: String
    public var attribute: Attribute?
    public var startMillis: Int64
    public var endMillis: Int64
    /// Keyset paging: only events strictly older than this (time, seq).
    public var before: (timeMillis: Int64, seq: Int64)?
    public var limit: Int

    public init(account: String, region: String, attribute: Attribute?, startMillis: Int64, endMillis: Int64,
                before: (timeMillis: Int64, seq: Int64)?, limit: Int) {
        self.account = account
        self.region = region
        self.attribute = attribute
        self.startMillis = startMillis
        self.endMillis = endMillis
        self.before = before
        self.limit = limit
    }
}

extension AuditRepository {
    /// Management events matching the lookup, newest first (time, then log order).
    public func lookup(_ q: AuditLookup) async throws -> [StoredAuditEvent] {
        // Resource lookups are driven from the resource index (newest first) and joined to their events, so only
        // the page's rows are read rather than every event of a busy resource.
        let resource: (column: String, value: String)?
        switch q.attribute {
        case .resourceType(let v)?: resource = ("resource_type", v)
        case .resourceName(let v)?: resource = ("resource_name", v)
        default: resource = nil
        }
        let e = resource == nil ? "" : "e."
        let cols = Self.columns.split(separator: ",").map { e + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
        var sql: String
        var binds: [SQLValue]
        if let resource {
            sql = "SELECT e.seq, \(cols) FROM audit_resources r JOIN audit_events e ON e.event_id = r.event_id"
                + " WHERE r.account_id = ? AND r.region = ? AND r.\(resource.column) = ? AND r.event_time_ms >= ? AND r.event_time_ms <= ?"
                + " AND e.management = 1"
            binds = [.text(q.account), .text(q.region), .text(resource.value), .int(q.startMillis), .int(q.endMillis)]
        } else {
            sql = "SELECT seq, \(cols) FROM audit_events WHERE account_id = ? AND region = ? AND management = 1"
                + " AND event_time_ms >= ? AND event_time_ms <= ?"
            binds = [.text(q.account), .text(q.region), .int(q.startMillis), .int(q.endMillis)]
        }
        switch q.attribute {
        case nil, .resourceType?, .resourceName?: break
        case .eventId(let v)?: sql += " AND event_id = ?"; binds.append(.text(v))
        case .eventName(let v)?: sql += " AND event_name = ?"; binds.append(.text(v))
        case .readOnly(let v)?: sql += " AND read_only = ?"; binds.append(SQLValue(v))
        case .username(let v)?: sql += " AND username = ?"; binds.append(.text(v))
        case .accessKeyId(let v)?: sql += " AND access_key_id = ?"; binds.append(.text(v))
        case .eventSource(let v)?: sql += " AND event_source = ?"; binds.append(.text(v))
        }
        if let b = q.before {
            sql += " AND (\(e)event_time_ms < ? OR (\(e)event_time_ms = ? AND \(e)seq < ?))"
            binds += [.int(b.timeMillis), .int(b.timeMillis), .int(b.seq)]
        }
        sql += resource == nil ? " ORDER BY event_time_ms DESC, seq DESC LIMIT ?" : " ORDER BY r.event_time_ms DESC, e.seq DESC LIMIT ?"
        binds.append(.int(Int64(q.limit)))
        let (query, args) = (sql, binds)
        let rows = try await db.read { tx in try await tx.query(query, args) }
        return rows.map(Self.event)
    }

    /// Deletes events recorded before `cutoffMillis` (and their resource rows), oldest first in batches so a large
    /// purge never holds the writer for long. Returns how many events went.
    @discardableResult
    /// Deletes events older than `cutoffMillis`, but none after `throughSeq` (events a trail has yet to deliver).
    public func purge(before cutoffMillis: Int64, throughSeq: Int64 = .max, batch: Int = 2000) async throws -> Int {
        var total = 0
        while true {
            let rows = try await db.read { tx in
                try await tx.query("SELECT seq, event_id, event_time_ms FROM audit_events ORDER BY seq LIMIT ?", [.int(Int64(batch))])
            }
            let old = Array(rows.prefix { ($0[0].int ?? .max) <= throughSeq }.filter { ($0[2].int ?? .max) < cutoffMillis })
            guard let last = old.last?[0].int else { return total }
            let ids = old.compactMap { $0[1].text }
            try await db.transaction { tx in
                try await tx.execute("DELETE FROM audit_resources WHERE event_id IN (" + Array(repeating: "?", count: ids.count).joined(separator: ", ") + ")",
                                     ids.map { .text($0) })
                try await tx.execute("DELETE FROM audit_events WHERE seq <= ? AND event_time_ms < ?", [.int(last), .int(cutoffMillis)])
            }
            total += old.count
            // Stop when this batch reached events inside the window: everything after it is newer (in log order).
            if old.count < rows.count || rows.count < batch { return total }
        }
    }
}
