// What built-in (managed) rotation needs from a database: log in as someone and run statements.
import WardenCore

/// Runs statements on a PostgreSQL server as the given login (the server layer implements it with postgres-nio).
public protocol DatabaseAdmin: Sendable {
    /// Throws when the login or a statement fails.
    func postgres(host: String, port: Int, user: String, password: String, database: String, statements: [String]) async throws
}

/// A database secret in the documented JSON shape (`engine`, `host`, `port`, `username`, `password`, `dbname`,
/// and for the alternating-users strategy `masterarn`).
struct DatabaseSecret {
    var fields: [(String, JSONValue)]

    init?(_ text: String) {
        guard case .object(let f)? = try? JSONParser.parse(Array(text.utf8)) else { return nil }
        fields = f
    }

    subscript(_ key: String) -> String? {
        guard let v = fields.first(where: { $0.0 == key })?.1 else { return nil }
        if case .number(let n) = v { return n }
        return v.stringValue
    }

    mutating func set(_ key: String, _ value: String) {
        if let i = fields.firstIndex(where: { $0.0 == key }) { fields[i].1 = .string(value) } else { fields.append((key, .string(value))) }
    }

    var text: String { String(decoding: JSONWriter.write(.object(fields)), as: UTF8.self) }
    var isPostgres: Bool { ["postgres", "postgresql", "aurora-postgresql"].contains(self["engine"] ?? "") }
    var port: Int { Int(self["port"] ?? "") ?? 5432 }
    var database: String { self["dbname"] ?? "postgres" }

    /// `"name"` with embedded quotes doubled.
    static func identifier(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    /// `'text'` with embedded quotes doubled.
    static func literal(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
}
