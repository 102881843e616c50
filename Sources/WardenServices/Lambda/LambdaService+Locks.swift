// Per-function locks: every read-modify-write of a function's record (configuration, code, permissions, tags) takes
// the function's lock, in the database, so changes through different nodes cannot lose each other.
import WardenCore
import WardenStorage

extension LambdaService {
    static func lockName(_ account: String, _ region: String, _ name: String) -> String { "lambda:\(account)/\(region)/\(name)" }

    /// Runs a change of one function with the function read under its lock.
    func withFunction<T: Sendable>(_ ref: String, _ c: RequestContext,
                                   _ body: (FunctionRow, FunctionRecord) async throws -> T) async throws -> T {
        let name = try Self.name(ref, c)
        return try await repository.db.withLock(Self.lockName(c.account, c.region, name)) {
            let (row, record) = try await load(ref, c)
            return try await body(row, record)
        }
    }
}
