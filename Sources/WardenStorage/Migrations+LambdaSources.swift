// Schema step 26: lambda event source mappings (SQS queues feeding functions).

extension Migrations {
    static let lambdaSources = Migration(version: 26, name: "lambda event source mappings", statements: [
        // One row per mapping. The configuration is a document the Lambda service owns; the columns are what the
        // pollers and the API query: the mapping's state (Creating, Enabled, Disabling, Deleting, …), whether it is
        // meant to be enabled once a transition completes, and the outcome of its last batch (written apart from the
        // document, so a poller recording it never overwrites a concurrent UpdateEventSourceMapping).
        """
        CREATE TABLE lambda_event_source_mappings (
            uuid TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            region TEXT NOT NULL,
            event_source_arn TEXT NOT NULL,
            function_arn TEXT NOT NULL,
            state TEXT NOT NULL,
            enabled {int} NOT NULL,
            created_at_ms {int} NOT NULL,
            doc TEXT NOT NULL,
            last_result TEXT)
        """,
        // AWS refuses a second mapping of one queue to one function (ResourceConflictException); the service checks
        // under a lock, the index makes it hold whatever happens.
        "CREATE UNIQUE INDEX lambda_esm_source_function ON lambda_event_source_mappings (event_source_arn, function_arn)",
        "CREATE INDEX lambda_esm_account ON lambda_event_source_mappings (account_id, region, uuid)",
        "CREATE INDEX lambda_esm_state ON lambda_event_source_mappings (state)",
    ])

    /// The tables of this step that `/_warden/reset` wipes.
    static let lambdaSourceTables: [String] = ["lambda_event_source_mappings"]
}
