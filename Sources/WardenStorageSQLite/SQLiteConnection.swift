// A thin wrapper over one sqlite3 handle, with a prepared-statement cache.
import CSQLite
import WardenStorage

let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection.
/// `@unchecked Sendable`: a connection is only ever used by one task at a time — the writer is guarded by
/// `SQLiteDatabase`'s lock and runs on its serial queue; readers are checked out of the pool exclusively.
final class SQLiteConnection: @unchecked Sendable {
    let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    init(path: String, readOnly: Bool) throws {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw StorageError("cannot open SQLite database \(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, 10_000)
        if !readOnly {
            // WAL: readers never block the writer. synchronous=FULL: a committed transaction survives power loss.
            try exec("PRAGMA journal_mode=WAL")
            try exec("PRAGMA synchronous=FULL")
        }
    }

    deinit {
        for (_, stmt) in statements { sqlite3_finalize(stmt) }
        sqlite3_close_v2(handle)
    }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &err) != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? lastError
            sqlite3_free(err)
            throw StorageError("SQLite: \(message) in \(sql.prefix(120))")
        }
    }

    private func prepare(_ sql: String) throws -> OpaquePointer {
        if let stmt = statements[sql] {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
            return stmt
        }
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw StorageError("SQLite prepare: \(lastError) in \(sql.prefix(120))")
        }
        if statements.count > 256 {
            for (_, s) in statements { sqlite3_finalize(s) }
            statements.removeAll()
        }
        statements[sql] = stmt
        return stmt
    }

    func run(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        let stmt = try prepare(sql)
        defer { sqlite3_reset(stmt) }
        for (i, value) in binds.enumerated() {
            let idx = Int32(i + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(stmt, idx)
            case .int(let v): rc = sqlite3_bind_int64(stmt, idx, v)
            case .double(let v): rc = sqlite3_bind_double(stmt, idx, v)
            case .text(let v): rc = sqlite3_bind_text(stmt, idx, v, -1, transient)
            case .blob(let v):
                rc = v.withUnsafeBytes { sqlite3_bind_blob(stmt, idx, $0.baseAddress, Int32($0.count), transient) }
            }
            guard rc == SQLITE_OK else { throw StorageError("SQLite bind: \(lastError)") }
        }
        var rows: [SQLRow] = []
        let columns = sqlite3_column_count(stmt)
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw StorageError("SQLite: \(lastError) in \(sql.prefix(120))") }
            var values: [SQLValue] = []
            values.reserveCapacity(Int(columns))
            for c in 0..<columns {
                switch sqlite3_column_type(stmt, c) {
                case SQLITE_INTEGER: values.append(.int(sqlite3_column_int64(stmt, c)))
                case SQLITE_FLOAT: values.append(.double(sqlite3_column_double(stmt, c)))
                case SQLITE_TEXT:
                    if let p = sqlite3_column_text(stmt, c) {
                        let n = Int(sqlite3_column_bytes(stmt, c))
                        values.append(.text(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)))
                    } else { values.append(.text("")) }
                case SQLITE_BLOB:
                    let n = Int(sqlite3_column_bytes(stmt, c))
                    if let p = sqlite3_column_blob(stmt, c), n > 0 {
                        values.append(.blob(Array(UnsafeRawBufferPointer(start: p, count: n))))
                    } else { values.append(.blob([])) }
                default: values.append(.null)
                }
            }
            rows.append(SQLRow(values))
        }
        return rows
    }
}
