// Schema step 21: every name a List or Describe operation orders or pages by sorts by its bytes on PostgreSQL too.

extension Migrations {
    /// AWS lists names in byte order ("B" < "Z1" < "_x" < "a"), and SQLite's default BINARY collation already does; a
    /// PostgreSQL database created with a locale (en_US, ICU) would otherwise put "a" before "B" and ignore punctuation,
    /// so the two backends would list differently, and a keyset page (`name > marker`, or a marker compared in Swift)
    /// would disagree with the order the rows came in. Columns created as `{bytes}` are "C" already; these were plain
    /// TEXT. Changing a column's collation rebuilds the indexes on it (the primary keys that serve these `ORDER BY`s).
    /// SQLite needs nothing: its TEXT compares bytes.
    static let byteOrderNames = Migration(version: 21, name: "names sort by bytes on PostgreSQL", statements: [
        // ListKeys pages by key id (`key_id > marker`); ListAliases orders by name and pages with a marker compared
        // in Swift; ListGrants and ListRetirableGrants break creation-time ties by grant id.
        "ALTER TABLE kms_keys ALTER COLUMN key_id TYPE TEXT COLLATE \"C\"",
        "ALTER TABLE kms_aliases ALTER COLUMN alias_name TYPE TEXT COLLATE \"C\"",
        "ALTER TABLE kms_grants ALTER COLUMN grant_id TYPE TEXT COLLATE \"C\"",
        // ListQueues and ListTopics page by name (`name > after`); ListSubscriptions(ByTopic) break ties by ARN.
        "ALTER TABLE sqs_queues ALTER COLUMN name TYPE TEXT COLLATE \"C\"",
        "ALTER TABLE sns_topics ALTER COLUMN name TYPE TEXT COLLATE \"C\"",
        "ALTER TABLE sns_subscriptions ALTER COLUMN arn TYPE TEXT COLLATE \"C\"",
        // ListFunctions pages by name.
        "ALTER TABLE lambda_functions ALTER COLUMN name TYPE TEXT COLLATE \"C\"",
        // DescribeTrails lists in (home region, name) order.
        "ALTER TABLE cloudtrail_trails ALTER COLUMN home_region TYPE TEXT COLLATE \"C\", ALTER COLUMN name TYPE TEXT COLLATE \"C\"",
        // ListMetrics: (namespace, metric name, dimensions as canonical JSON text), paged by offset into that order.
        """
        ALTER TABLE cw_datapoints ALTER COLUMN namespace TYPE TEXT COLLATE "C", ALTER COLUMN metric_name TYPE TEXT COLLATE "C",
            ALTER COLUMN dims TYPE TEXT COLLATE "C"
        """,
        // Tie-breaks after a timestamp: ListAccessKeys, ListSecretVersionIds (version ids may be client request
        // tokens of any case), ListAttached{User,Group,Role}Policies.
        "ALTER TABLE access_keys ALTER COLUMN access_key_id TYPE TEXT COLLATE \"C\"",
        "ALTER TABLE sm_secret_versions ALTER COLUMN version_id TYPE TEXT COLLATE \"C\"",
        "ALTER TABLE iam_attachments ALTER COLUMN policy_id TYPE TEXT COLLATE \"C\"",
    ], only: .postgres)
}
