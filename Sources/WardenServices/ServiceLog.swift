// Failures of best-effort side effects are logged, never dropped silently.
import Logging

enum ServiceLog {
    static let logger = Logger(label: "warden.services")

    /// Runs a side effect whose failure must not fail the work that triggered it (a status note, a dead-letter copy,
    /// a subscription hand-off), logging the failure with `what` instead of dropping it.
    static func attempt(_ what: String, _ metadata: Logger.Metadata = [:], _ body: () async throws -> Void) async {
        do { try await body() } catch {
            var m = metadata
            m["error"] = "\(error)"
            logger.error("\(what) failed", metadata: m)
        }
    }
}
