// Schema step 24: sns platform applications and endpoints.

extension Migrations {
    static let snsPush = Migration(version: 24, name: "sns platform applications and endpoints", statements: [
        // One row per platform application. `doc` holds the attributes SNS shows (never the credentials); the
        // credentials (PlatformCredential and PlatformPrincipal) are sealed in `credentials`, bound to the ARN.
        """
        CREATE TABLE sns_platform_apps (
            arn TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            region TEXT NOT NULL,
            created_at_ms {int} NOT NULL,
            doc TEXT NOT NULL,
            credentials {blob})
        """,
        "CREATE INDEX sns_platform_apps_account ON sns_platform_apps (account_id, region, arn)",
        // Endpoints: a device token of one application. `doc` holds Enabled, Token and CustomUserData.
        """
        CREATE TABLE sns_platform_endpoints (
            arn TEXT PRIMARY KEY,
            app_arn TEXT NOT NULL,
            token TEXT NOT NULL,
            created_at_ms {int} NOT NULL,
            doc TEXT NOT NULL)
        """,
        "CREATE INDEX sns_platform_endpoints_app ON sns_platform_endpoints (app_arn, arn)",
        // One endpoint per device token of an application: the services check this under their locks, and the index
        // keeps it true even if a write ever slipped past them.
        "CREATE UNIQUE INDEX sns_platform_endpoints_token ON sns_platform_endpoints (app_arn, token)",
    ])

    /// The tables of this step that `/_warden/reset` wipes.
    static let snsPushTables: [String] = ["sns_platform_apps", "sns_platform_endpoints"]
}
