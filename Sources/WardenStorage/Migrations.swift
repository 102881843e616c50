// Versioned schema migrations, one text for both dialects.

/// One schema step. The SQL is written once; `{serial}`, `{int}` and `{blob}` become each dialect's types.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: [String]
    /// Set when the step concerns one backend only (it is recorded as applied on the other without running).
    public let only: SQLDialect?

    public init(version: Int, name: String, statements: [String], only: SQLDialect? = nil) {
        self.version = version
        self.name = name
        self.statements = statements
        self.only = only
    }

    public func sql(for dialect: SQLDialect) -> [String] {
        if let only, only != dialect { return [] }
        let types: [(String, String)] = dialect == .sqlite
            ? [("{serial}", "INTEGER PRIMARY KEY"), ("{int}", "INTEGER"), ("{blob}", "BLOB"), ("{bytes}", "TEXT"), ("{real}", "REAL")]
            : [("{serial}", "BIGSERIAL PRIMARY KEY"), ("{int}", "BIGINT"), ("{blob}", "BYTEA"), ("{bytes}", "TEXT COLLATE \"C\""),
               ("{real}", "DOUBLE PRECISION")]
        // `{bytes}` is text that sorts by its UTF-8 bytes (S3 key order): SQLite's default BINARY collation, "C" in
        // PostgreSQL whatever the database's locale.
        // SQLite: a plain INTEGER PRIMARY KEY is the rowid, assigned max+1 — monotonic for an append-only log —
        // without AUTOINCREMENT's extra write to sqlite_sequence on every insert.
        return statements.map { stmt in types.reduce(stmt) { $0.replacingOccurrences(of: $1.0, with: $1.1) } }
    }
}

public enum Migrations {
    /// Tables holding state that `/_warden/reset` wipes: everything but the migration ledger and `service_keys` (service
    /// signing keys survive a reset, like the root key, so messages signed before it still verify).
    public static let stateTables = ["audit_events", "access_keys", "kms_keys", "kms_key_material", "kms_aliases", "kms_grants", "audit_resources",
                                      "s3_buckets", "s3_objects", "cloudtrail_trails", "cloudtrail_delivery",
                                      "cloudtrail_log_files", "cloudtrail_digests", "cloudtrail_signing_keys",
                                      "sqs_queues", "sqs_messages", "sqs_dedup", "sns_topics", "sns_subscriptions", "sns_deliveries",
                                      "sns_sms_settings", "sns_dedup", "sns_archive",
                                      "lambda_functions", "lambda_events", "ssm_parameters", "ssm_parameter_versions",
                                      "sm_secrets", "sm_secret_versions", "pending_events",
                                      "events_resources", "events_outbox", "events_cursor",
                                      "logs_groups", "logs_streams", "logs_events", "cw_datapoints", "cw_alarms", "cw_alarm_history",
                                      "cloudtrail_insights",
                                      "iam_entities", "iam_inline_policies", "iam_policies", "iam_policy_versions",
                                      "iam_attachments", "iam_group_members", "iam_oidc_providers", "iam_generation", "s3_object_data", "sqs_receive_attempts"]
        + sqsMoveTaskTables + snsPushTables + snsSandboxTables + lambdaSourceTables + lambdaVersionTables

    public static let all: [Migration] = [
        Migration(version: 1, name: "audit log and access keys", statements: [
            """
            CREATE TABLE audit_events (
                seq {serial},
                event_id TEXT NOT NULL UNIQUE,
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                event_time_ms {int} NOT NULL,
                event_source TEXT NOT NULL,
                event_name TEXT NOT NULL,
                read_only {int} NOT NULL,
                management {int} NOT NULL,
                username TEXT,
                access_key_id TEXT,
                request_id TEXT NOT NULL,
                error_code TEXT,
                record TEXT NOT NULL)
            """,
            "CREATE INDEX audit_events_time ON audit_events (account_id, region, event_time_ms)",
            """
            CREATE TABLE access_keys (
                access_key_id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL,
                user_name TEXT,
                status TEXT NOT NULL,
                created_at_ms {int} NOT NULL,
                secret_sealed {blob} NOT NULL)
            """,
        ]),
        Migration(version: 2, name: "kms keys, key material, aliases, grants", statements: [
            """
            CREATE TABLE kms_keys (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                key_id TEXT NOT NULL,
                state TEXT NOT NULL,
                due_at_ms {int},
                created_at_ms {int} NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (account_id, region, key_id))
            """,
            "CREATE INDEX kms_keys_due ON kms_keys (due_at_ms)",
            """
            CREATE TABLE kms_key_material (
                account_id TEXT NOT NULL,
                key_id TEXT NOT NULL,
                material_id TEXT NOT NULL,
                created_at_ms {int} NOT NULL,
                sealed {blob} NOT NULL,
                PRIMARY KEY (account_id, key_id, material_id))
            """,
            """
            CREATE TABLE kms_aliases (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                alias_name TEXT NOT NULL,
                key_id TEXT NOT NULL,
                created_at_ms {int} NOT NULL,
                updated_at_ms {int} NOT NULL,
                PRIMARY KEY (account_id, region, alias_name))
            """,
            """
            CREATE TABLE kms_grants (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                grant_id TEXT NOT NULL,
                key_id TEXT NOT NULL,
                grantee TEXT NOT NULL,
                retiring TEXT,
                name TEXT,
                created_at_ms {int} NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (account_id, region, grant_id))
            """,
            "CREATE INDEX kms_grants_key ON kms_grants (account_id, region, key_id, created_at_ms)",
            "CREATE INDEX kms_grants_retiring ON kms_grants (account_id, region, retiring)",
        ]),
        Migration(version: 3, name: "audit lookups (CloudTrail event history)", statements: [
            // One index per lookup attribute, each ending in time so a lookup reads newest-first without sorting.
            "CREATE INDEX audit_events_name ON audit_events (account_id, region, event_name, event_time_ms)",
            "CREATE INDEX audit_events_user ON audit_events (account_id, region, username, event_time_ms)",
            "CREATE INDEX audit_events_key ON audit_events (account_id, region, access_key_id, event_time_ms)",
            "CREATE INDEX audit_events_source ON audit_events (account_id, region, event_source, event_time_ms)",
            """
            CREATE TABLE audit_resources (
                event_id TEXT NOT NULL,
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                event_time_ms {int} NOT NULL,
                resource_type TEXT NOT NULL,
                resource_name TEXT NOT NULL,
                PRIMARY KEY (event_id, resource_type, resource_name))
            """,
            "CREATE INDEX audit_resources_name ON audit_resources (account_id, region, resource_name, event_time_ms)",
            "CREATE INDEX audit_resources_type ON audit_resources (account_id, region, resource_type, event_time_ms)",
        ]),
        Migration(version: 4, name: "bucket store, trails, log delivery, digests", statements: [
            """
            CREATE TABLE s3_buckets (
                bucket TEXT PRIMARY KEY,
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                created_at_ms {int} NOT NULL,
                policy TEXT)
            """,
            """
            CREATE TABLE s3_objects (
                bucket TEXT NOT NULL,
                object_key {bytes} NOT NULL,
                size {int} NOT NULL,
                etag TEXT NOT NULL,
                last_modified_ms {int} NOT NULL,
                file_name TEXT NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (bucket, object_key))
            """,
            """
            CREATE TABLE cloudtrail_trails (
                account_id TEXT NOT NULL,
                home_region TEXT NOT NULL,
                name TEXT NOT NULL,
                multi_region {int} NOT NULL,
                created_at_ms {int} NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (account_id, home_region, name))
            """,
            // One row per trail: the delivery cursor (last audit seq delivered), the batch being delivered (so a
            // crash redoes exactly that batch under the same object names) and the status GetTrailStatus shows.
            """
            CREATE TABLE cloudtrail_delivery (
                account_id TEXT NOT NULL,
                home_region TEXT NOT NULL,
                name TEXT NOT NULL,
                cursor_seq {int} NOT NULL,
                pending_end_seq {int},
                pending_at_ms {int},
                doc TEXT NOT NULL,
                PRIMARY KEY (account_id, home_region, name))
            """,
            """
            CREATE TABLE cloudtrail_log_files (
                account_id TEXT NOT NULL,
                home_region TEXT NOT NULL,
                name TEXT NOT NULL,
                source_region TEXT NOT NULL,
                delivered_at_ms {int} NOT NULL,
                s3_bucket TEXT NOT NULL,
                s3_key TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                oldest_ms {int} NOT NULL,
                newest_ms {int} NOT NULL,
                PRIMARY KEY (account_id, home_region, name, s3_key))
            """,
            "CREATE INDEX cloudtrail_log_files_time ON cloudtrail_log_files (account_id, home_region, name, source_region, delivered_at_ms)",
            // The newest digest of each chain (trail × source region).
            """
            CREATE TABLE cloudtrail_digests (
                account_id TEXT NOT NULL,
                home_region TEXT NOT NULL,
                name TEXT NOT NULL,
                source_region TEXT NOT NULL,
                end_ms {int} NOT NULL,
                s3_bucket TEXT NOT NULL,
                s3_key TEXT NOT NULL,
                signature TEXT NOT NULL,
                digest_sha256 TEXT NOT NULL,
                PRIMARY KEY (account_id, home_region, name, source_region))
            """,
            """
            CREATE TABLE cloudtrail_signing_keys (
                region TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                valid_from_ms {int} NOT NULL,
                valid_to_ms {int},
                public_der {blob} NOT NULL,
                sealed {blob} NOT NULL,
                PRIMARY KEY (region, fingerprint))
            """,
        ]),
        Migration(version: 5, name: "sqs queues and messages", statements: [
            """
            CREATE TABLE sqs_queues (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at_ms {int} NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (account_id, region, name))
            """,
            // One row per message; `queue_id` is account/region/name. Bodies are sealed; `doc` holds attributes and MD5s.
            """
            CREATE TABLE sqs_messages (
                seq {serial},
                queue_id TEXT NOT NULL,
                message_id TEXT NOT NULL,
                sent_at_ms {int} NOT NULL,
                visible_at_ms {int} NOT NULL,
                expires_at_ms {int} NOT NULL,
                receive_count {int} NOT NULL,
                first_receive_ms {int},
                receipt TEXT,
                body {blob} NOT NULL,
                doc TEXT NOT NULL)
            """,
            "CREATE INDEX sqs_messages_ready ON sqs_messages (queue_id, visible_at_ms, seq)",
            "CREATE INDEX sqs_messages_expiry ON sqs_messages (expires_at_ms)",
        ]),
        Migration(version: 6, name: "sns topics, subscriptions, deliveries", statements: [
            """
            CREATE TABLE sns_topics (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at_ms {int} NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (account_id, region, name))
            """,
            """
            CREATE TABLE sns_subscriptions (
                arn TEXT PRIMARY KEY,
                topic_arn TEXT NOT NULL,
                account_id TEXT NOT NULL,
                created_at_ms {int} NOT NULL,
                doc TEXT NOT NULL)
            """,
            "CREATE INDEX sns_subscriptions_topic ON sns_subscriptions (topic_arn, created_at_ms)",
            "CREATE INDEX sns_subscriptions_account ON sns_subscriptions (account_id, created_at_ms)",
            // The outbox: one row per (published message, subscription), written with the publish, removed once delivered.
            """
            CREATE TABLE sns_deliveries (
                seq {serial},
                subscription_arn TEXT NOT NULL,
                due_at_ms {int} NOT NULL,
                attempts {int} NOT NULL,
                body {blob} NOT NULL,
                doc TEXT NOT NULL)
            """,
            "CREATE INDEX sns_deliveries_due ON sns_deliveries (due_at_ms, seq)",
            // Keys services sign with (SNS notifications): private half sealed, certificate beside it.
            """
            CREATE TABLE service_keys (
                name TEXT PRIMARY KEY,
                created_at_ms {int} NOT NULL,
                certificate {blob} NOT NULL,
                sealed {blob} NOT NULL)
            """,
        ]),
        Migration(version: 7, name: "sqs fifo queues", statements: [
            "ALTER TABLE sqs_messages ADD COLUMN group_id TEXT",
            "CREATE INDEX sqs_messages_group ON sqs_messages (queue_id, group_id, seq)",
            // Deduplication ids seen in the last 5 minutes (kept after the message itself is deleted).
            """
            CREATE TABLE sqs_dedup (
                queue_id TEXT NOT NULL,
                dedup_key TEXT NOT NULL,
                message_id TEXT NOT NULL,
                seq {int} NOT NULL,
                sent_at_ms {int} NOT NULL,
                PRIMARY KEY (queue_id, dedup_key))
            """,
        ]),
        Migration(version: 8, name: "sns sms settings", statements: [
            // Per account and region: SMS attributes and the phone numbers that opted out.
            """
            CREATE TABLE sns_sms_settings (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (account_id, region))
            """,
        ]),
        Migration(version: 9, name: "sns fifo deduplication", statements: [
            // FIFO topics: deduplication keys of the last 5 minutes; `seq` doubles as the message's sequence number.
            """
            CREATE TABLE sns_dedup (
                seq {int} NOT NULL,
                topic_arn TEXT NOT NULL,
                dedup_key TEXT NOT NULL,
                message_id TEXT NOT NULL,
                sent_at_ms {int} NOT NULL)
            """,
            "CREATE INDEX sns_dedup_key ON sns_dedup (topic_arn, dedup_key, sent_at_ms)",
        ]),
        Migration(version: 10, name: "sns delivery lanes and fifo archive", statements: [
            // FIFO topics: copies for one (subscription, message group) are delivered strictly in order (`lane`).
            "ALTER TABLE sns_deliveries ADD COLUMN lane TEXT",
            "CREATE INDEX sns_deliveries_lane ON sns_deliveries (lane, seq)",
            // FIFO topics with an ArchivePolicy keep what was published (sealed) for replays.
            """
            CREATE TABLE sns_archive (
                seq {int} NOT NULL,
                topic_arn TEXT NOT NULL,
                sent_at_ms {int} NOT NULL,
                body {blob} NOT NULL,
                PRIMARY KEY (topic_arn, seq))
            """,
            "CREATE INDEX sns_archive_time ON sns_archive (topic_arn, sent_at_ms)",
        ]),
        Migration(version: 11, name: "functions", statements: [
            // A function's configuration (sealed: environment variables may hold secrets) and its code (the zip).
            """
            CREATE TABLE lambda_functions (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at_ms {int} NOT NULL,
                sealed {blob} NOT NULL,
                code {blob} NOT NULL,
                PRIMARY KEY (account_id, region, name))
            """,
            // Asynchronous invocations (InvocationType Event, SNS): durable before the 202, retried in the background.
            """
            CREATE TABLE lambda_events (
                seq {serial},
                function_arn TEXT NOT NULL,
                due_at_ms {int} NOT NULL,
                attempts {int} NOT NULL,
                payload {blob} NOT NULL,
                doc TEXT NOT NULL)
            """,
            "CREATE INDEX lambda_events_due ON lambda_events (due_at_ms, seq)",
        ]),
        Migration(version: 12, name: "parameter store", statements: [
            // A parameter's current state (its newest version and what is not versioned: tags), and every retained
            // version with its value sealed (SecureString values are KMS ciphertext underneath).
            """
            CREATE TABLE ssm_parameters (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name {bytes} NOT NULL,
                version {int} NOT NULL,
                doc TEXT NOT NULL,
                expires_at_ms {int},
                PRIMARY KEY (account_id, region, name))
            """,
            // Parameters with an Expiration policy, for the job that deletes them at their time.
            "CREATE INDEX ssm_parameters_expiry ON ssm_parameters (expires_at_ms)",
            """
            CREATE TABLE ssm_parameter_versions (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name {bytes} NOT NULL,
                version {int} NOT NULL,
                value {blob} NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (account_id, region, name, version))
            """,
        ]),
        Migration(version: 13, name: "secrets manager", statements: [
            // A secret's metadata (document), and its versions: values sealed (KMS-encrypted underneath), stages beside.
            """
            CREATE TABLE sm_secrets (
                arn TEXT PRIMARY KEY,
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name {bytes} NOT NULL,
                created_at_ms {int} NOT NULL,
                doc TEXT NOT NULL,
                delete_at_ms {int},
                rotate_at_ms {int})
            """,
            "CREATE UNIQUE INDEX sm_secrets_name ON sm_secrets (account_id, region, name)",
            "CREATE INDEX sm_secrets_delete ON sm_secrets (delete_at_ms)",
            "CREATE INDEX sm_secrets_rotate ON sm_secrets (rotate_at_ms)",
            """
            CREATE TABLE sm_secret_versions (
                arn TEXT NOT NULL,
                version_id TEXT NOT NULL,
                created_at_ms {int} NOT NULL,
                value {blob} NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (arn, version_id))
            """,
        ]),
        Migration(version: 14, name: "parameter policy notifications", statements: [
            // When a parameter's next ExpirationNotification or NoChangeNotification is due.
            "ALTER TABLE ssm_parameters ADD COLUMN notify_at_ms {int}",
            "CREATE INDEX ssm_parameters_notify ON ssm_parameters (notify_at_ms)",
            // Events for EventBridge's default bus (issue 8), kept here until it exists: full event documents.
            """
            CREATE TABLE pending_events (
                seq {serial},
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                created_at_ms {int} NOT NULL,
                event TEXT NOT NULL)
            """,
        ]),
        Migration(version: 15, name: "eventbridge", statements: [
            // Buses and rules (documents; a rule is named `bus/rule`), the delivery outbox, and how far the CloudTrail
            // tail has read the audit log.
            """
            CREATE TABLE events_resources (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                kind TEXT NOT NULL,
                name {bytes} NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (account_id, region, kind, name))
            """,
            """
            CREATE TABLE events_outbox (
                seq {serial},
                due_at_ms {int} NOT NULL,
                attempts {int} NOT NULL,
                target TEXT NOT NULL,
                payload {blob} NOT NULL)
            """,
            "CREATE INDEX events_outbox_due ON events_outbox (due_at_ms, seq)",
            "CREATE TABLE events_cursor (name TEXT PRIMARY KEY, seq {int} NOT NULL)",
        ]),
        Migration(version: 16, name: "cloudwatch logs, metrics, alarms, insights", statements: [
            // Log groups (a document: retention, tags, metric and subscription filters), their streams, and events.
            """
            CREATE TABLE logs_groups (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name {bytes} NOT NULL,
                created_at_ms {int} NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (account_id, region, name))
            """,
            """
            CREATE TABLE logs_streams (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                group_name {bytes} NOT NULL,
                name {bytes} NOT NULL,
                created_at_ms {int} NOT NULL,
                first_ts_ms {int},
                last_ts_ms {int},
                last_ingest_ms {int},
                stored_bytes {int} NOT NULL,
                PRIMARY KEY (account_id, region, group_name, name))
            """,
            """
            CREATE TABLE logs_events (
                seq {serial},
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                group_name {bytes} NOT NULL,
                stream_name {bytes} NOT NULL,
                ts_ms {int} NOT NULL,
                ingest_ms {int} NOT NULL,
                message TEXT NOT NULL)
            """,
            "CREATE INDEX logs_events_stream ON logs_events (account_id, region, group_name, stream_name, ts_ms, seq)",
            "CREATE INDEX logs_events_group ON logs_events (account_id, region, group_name, ts_ms, seq)",
            // Metric data points: one row per value (with its count) or statistic set; `dims` is canonical JSON.
            """
            CREATE TABLE cw_datapoints (
                seq {serial},
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                namespace TEXT NOT NULL,
                metric_name TEXT NOT NULL,
                dims TEXT NOT NULL,
                ts_ms {int} NOT NULL,
                unit TEXT NOT NULL,
                sample_count {real} NOT NULL,
                sum_value {real} NOT NULL,
                min_value {real} NOT NULL,
                max_value {real} NOT NULL,
                distribution {int} NOT NULL)
            """,
            "CREATE INDEX cw_datapoints_metric ON cw_datapoints (account_id, region, namespace, metric_name, dims, ts_ms)",
            "CREATE INDEX cw_datapoints_time ON cw_datapoints (ts_ms)",
            """
            CREATE TABLE cw_alarms (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name {bytes} NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (account_id, region, name))
            """,
            """
            CREATE TABLE cw_alarm_history (
                seq {serial},
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                alarm_name {bytes} NOT NULL,
                ts_ms {int} NOT NULL,
                item_type TEXT NOT NULL,
                summary TEXT NOT NULL,
                data TEXT NOT NULL)
            """,
            "CREATE INDEX cw_alarm_history_alarm ON cw_alarm_history (account_id, region, alarm_name, seq)",
            // CloudTrail Insights events (full records), for LookupEvents, trails and EventBridge.
            """
            CREATE TABLE cloudtrail_insights (
                seq {serial},
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                event_id TEXT NOT NULL,
                event_time_ms {int} NOT NULL,
                event_name TEXT NOT NULL,
                record TEXT NOT NULL)
            """,
            "CREATE INDEX cloudtrail_insights_time ON cloudtrail_insights (account_id, region, event_time_ms)",
        ]),
        Migration(version: 17, name: "sqs dead-letter source", statements: [
            // The queue a message was moved from to a dead-letter queue (its DeadLetterQueueSourceArn).
            "ALTER TABLE sqs_messages ADD COLUMN dlq_source TEXT",
        ]),
        Migration(version: 18, name: "iam", statements: [
            // Users, groups and roles share one table: IAM names are unique per account and kind regardless of case
            // (`name_key` is the lowercased name); ids (AIDA…, AGPA…, AROA…) never change, so everything else refers
            // to an entity by id and a rename touches one row. `boundary_id` is a permissions boundary's policy id.
            """
            CREATE TABLE iam_entities (
                account_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                name_key {bytes} NOT NULL,
                name TEXT NOT NULL,
                entity_id TEXT NOT NULL UNIQUE,
                path {bytes} NOT NULL,
                created_at_ms {int} NOT NULL,
                boundary_id TEXT,
                doc TEXT NOT NULL,
                PRIMARY KEY (account_id, kind, name_key))
            """,
            "CREATE INDEX iam_entities_boundary ON iam_entities (account_id, boundary_id)",
            """
            CREATE TABLE iam_inline_policies (
                account_id TEXT NOT NULL,
                entity_id TEXT NOT NULL,
                policy_name {bytes} NOT NULL,
                document TEXT NOT NULL,
                PRIMARY KEY (entity_id, policy_name))
            """,
            // Customer managed policies (names unique per account regardless of path and case) and their versions.
            """
            CREATE TABLE iam_policies (
                account_id TEXT NOT NULL,
                name_key {bytes} NOT NULL,
                name TEXT NOT NULL,
                policy_id TEXT NOT NULL UNIQUE,
                path {bytes} NOT NULL,
                created_at_ms {int} NOT NULL,
                updated_at_ms {int} NOT NULL,
                default_version {int} NOT NULL,
                next_version {int} NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (account_id, name_key))
            """,
            """
            CREATE TABLE iam_policy_versions (
                policy_id TEXT NOT NULL,
                version {int} NOT NULL,
                document TEXT NOT NULL,
                created_at_ms {int} NOT NULL,
                PRIMARY KEY (policy_id, version))
            """,
            // Managed policies attached to users, groups and roles (AWS managed ones by their ANPA… id too).
            """
            CREATE TABLE iam_attachments (
                account_id TEXT NOT NULL,
                entity_id TEXT NOT NULL,
                policy_id TEXT NOT NULL,
                attached_at_ms {int} NOT NULL,
                PRIMARY KEY (entity_id, policy_id))
            """,
            "CREATE INDEX iam_attachments_policy ON iam_attachments (account_id, policy_id)",
            """
            CREATE TABLE iam_group_members (
                account_id TEXT NOT NULL,
                group_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                PRIMARY KEY (group_id, user_id))
            """,
            "CREATE INDEX iam_group_members_user ON iam_group_members (user_id)",
            // OpenID Connect providers by URL (host and path, without the scheme).
            """
            CREATE TABLE iam_oidc_providers (
                account_id TEXT NOT NULL,
                url {bytes} NOT NULL,
                created_at_ms {int} NOT NULL,
                doc TEXT NOT NULL,
                PRIMARY KEY (account_id, url))
            """,
            // Bumped by every IAM write in its transaction: caches of compiled policies compare it, and its row lock
            // serializes one account's IAM writes on PostgreSQL.
            "CREATE TABLE iam_generation (account_id TEXT PRIMARY KEY, generation {int} NOT NULL)",
            // Access keys: when and where each was last used (GetAccessKeyLastUsed), and a per-user index.
            "ALTER TABLE access_keys ADD COLUMN last_used_ms {int}",
            "ALTER TABLE access_keys ADD COLUMN last_used_service TEXT",
            "ALTER TABLE access_keys ADD COLUMN last_used_region TEXT",
            "CREATE INDEX access_keys_user ON access_keys (account_id, user_name)",
        ]),
        Migration(version: 19, name: "leases and cluster settings", statements: [
            // One row per singleton background job: who runs it, until when (the database's clock, in ms), and the
            // fencing token every effect of the job checks in its own transaction.
            """
            CREATE TABLE warden_leases (
                name TEXT PRIMARY KEY,
                holder TEXT,
                token {int} NOT NULL,
                expires_at_ms {int} NOT NULL)
            """,
            // Settings every node shares (the dev clock's offset).
            "CREATE TABLE warden_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
            // FIFO receive attempts (ReceiveRequestAttemptId) of the last 5 minutes: what each handed out, for retries
            // that reach another node.
            "CREATE TABLE sqs_receive_attempts (attempt_key TEXT PRIMARY KEY, queue_id TEXT NOT NULL, at_ms {int} NOT NULL, claims TEXT NOT NULL)",
        ]),
        bucketObjectData,
        byteOrderNames,
        Migration(version: 22, name: "claims of shared deliveries", statements: [
            // Until when (the database's clock) a node has claimed a delivery: nodes share these outboxes.
            "ALTER TABLE events_outbox ADD COLUMN claimed_until_ms {int}",
            "ALTER TABLE lambda_events ADD COLUMN claimed_until_ms {int}",
        ]),
        sqsMoveTasks,
        snsPush,
        snsSandbox,
        lambdaSources,
        lambdaVersions,
    ]

    /// Applies every migration not yet recorded, each in its own transaction. Safe to run from several nodes
    /// at once on PostgreSQL (an advisory lock serializes them).
    public static func migrate(_ db: any SQLDatabase) async throws {
        let dialect = db.dialect
        try await db.transaction { tx in
            try await tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)")
        }
        for m in all {
            try await db.transaction { tx in
                if dialect == .postgres { _ = try await tx.query("SELECT pg_advisory_xact_lock(727172)", []) }
                let done = try await tx.query("SELECT version FROM schema_migrations WHERE version = ?", [.int(Int64(m.version))])
                guard done.isEmpty else { return }
                for sql in m.sql(for: dialect) { try await tx.execute(sql) }
                try await tx.execute("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)",
                                     [.int(Int64(m.version)), .text(m.name), .int(Clock.nowMillis())])
            }
        }
    }

    /// The newest applied version.
    public static func currentVersion(_ db: any SQLDatabase) async throws -> Int {
        try await db.read { tx in
            let rows = try await tx.query("SELECT MAX(version) FROM schema_migrations", [])
            return Int(rows.first?[0].int ?? 0)
        }
    }

    /// Wipes all state (dev mode's reset), keeping the schema.
    public static func wipe(_ db: any SQLDatabase) async throws {
        try await db.transaction { tx in
            for table in stateTables { try await tx.execute("DELETE FROM \(table)") }
        }
    }
}

import Foundation

public enum Clock {
    public static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
