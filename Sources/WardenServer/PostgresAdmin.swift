// Built-in rotation's database access: a short-lived PostgreSQL connection as the secret's user (or its master).
import Foundation
import Logging
import WardenServices
import WardenStorage
import WardenStoragePostgres

struct PostgresAdmin: DatabaseAdmin {
    let logger: Logger

    func postgres(host: String, port: Int, user: String, password: String, database: String, statements: [String]) async throws {
        var url = URLComponents()
        url.scheme = "postgres"
        url.host = host
        url.port = port
        url.user = user
        url.password = password
        url.path = "/" + database
        guard let text = url.string else { throw StorageError("cannot build a connection URL for \(host):\(port)") }
        let db = try await PostgresDatabase.connect(url: text, logger: logger, timeout: .seconds(10))
        do {
            try await db.transaction { tx in
                for sql in statements { try await tx.execute(sql) }
            }
        } catch {
            await db.close()
            throw error
        }
        await db.close()
    }
}
