// Schema step 25: sns sms sandbox and data protection.

extension Migrations {
    /// One row per destination phone number in an account's SMS sandbox (per region, as SNS keeps it). `status` is
    /// Pending or Verified. `code` is the one-time password, never in the clear: a random salt and SHA-256(salt‖code),
    /// sealed under the root key with the row's identity as associated data (NULL once verified). `sent_ms` lists when
    /// codes were sent (epoch ms as decimal text, comma-separated, oldest first; the last 24 hours) for the
    /// five-sends-a-day limit; `touched_ms` is the verification or the last verification attempt, from which a number
    /// may be deleted 24 hours later.
    /// Data protection policies live in the topic's document (`sns_topics.doc`), so this step has no table for them.
    static let snsSandbox = Migration(version: 25, name: "sns sms sandbox and data protection", statements: [
        """
        CREATE TABLE sns_sms_sandbox (
            account_id TEXT NOT NULL,
            region TEXT NOT NULL,
            phone {bytes} NOT NULL,
            status TEXT NOT NULL,
            language TEXT NOT NULL,
            code {blob},
            code_expires_ms {int},
            failed_attempts {int} NOT NULL,
            sent_ms TEXT NOT NULL,
            touched_ms {int} NOT NULL,
            created_at_ms {int} NOT NULL,
            PRIMARY KEY (account_id, region, phone))
        """,
    ])

    /// The tables of this step that `/_warden/reset` wipes.
    static let snsSandboxTables: [String] = ["sns_sms_sandbox"]
}
