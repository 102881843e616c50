// Schema step 27: lambda versions, aliases, event invoke configs.

extension Migrations {
    static let lambdaVersions = Migration(version: 27, name: "lambda versions, aliases, event invoke configs", statements: [
        // A published version: the configuration as it was published (sealed, as $LATEST's: environment variables may
        // be secrets) and its own copy of the code, so the version runs the same zip whatever $LATEST becomes, on any
        // node. Version numbers are never reused (the function's record keeps the last one given).
        """
        CREATE TABLE lambda_function_versions (
            account_id TEXT NOT NULL,
            region TEXT NOT NULL,
            name {bytes} NOT NULL,
            version {int} NOT NULL,
            created_at_ms {int} NOT NULL,
            sealed {blob} NOT NULL,
            code {blob} NOT NULL,
            PRIMARY KEY (account_id, region, name, version))
        """,
        // Aliases (ListAliases orders by name, in byte order as AWS does): a JSON document the service owns.
        """
        CREATE TABLE lambda_aliases (
            account_id TEXT NOT NULL,
            region TEXT NOT NULL,
            function_name {bytes} NOT NULL,
            name {bytes} NOT NULL,
            doc TEXT NOT NULL,
            PRIMARY KEY (account_id, region, function_name, name))
        """,
        // Asynchronous invocation settings per function and qualifier ($LATEST, a version number or an alias name).
        """
        CREATE TABLE lambda_event_invoke_configs (
            account_id TEXT NOT NULL,
            region TEXT NOT NULL,
            function_name {bytes} NOT NULL,
            qualifier {bytes} NOT NULL,
            doc TEXT NOT NULL,
            PRIMARY KEY (account_id, region, function_name, qualifier))
        """,
    ])

    /// The tables of this step that `/_warden/reset` wipes.
    static let lambdaVersionTables: [String] = ["lambda_function_versions", "lambda_aliases", "lambda_event_invoke_configs"]
}
