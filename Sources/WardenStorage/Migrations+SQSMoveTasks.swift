// Schema step 23: sqs message move tasks.

extension Migrations {
    /// One row per message move task (StartMessageMoveTask). `source_queue_id` is the dead-letter queue's
    /// account/region/name; `status` is RUNNING, CANCELLING, COMPLETED, CANCELLED or FAILED; `moved` advances in the same
    /// transaction as each batch of moved messages, so a restart continues from the last committed batch.
    /// The messages a task moves are the ones visible in the source queue when it started: they carry the task's id in
    /// `sqs_messages.move_task` (AWS's task "photographs" the queue; a message dead-lettered later is not moved).
    static let sqsMoveTasks = Migration(version: 23, name: "sqs message move tasks", statements: [
        """
        CREATE TABLE sqs_move_tasks (
            seq {serial},
            task_id TEXT NOT NULL UNIQUE,
            account_id TEXT NOT NULL,
            region TEXT NOT NULL,
            source_queue_id TEXT NOT NULL,
            source_arn TEXT NOT NULL,
            destination_arn TEXT,
            max_per_second {int},
            status TEXT NOT NULL,
            moved {int} NOT NULL,
            to_move {int} NOT NULL,
            failure_reason TEXT,
            started_at_ms {int} NOT NULL)
        """,
        "CREATE INDEX sqs_move_tasks_source ON sqs_move_tasks (source_queue_id, seq)",
        // Only one active task per source queue, guarded by the database too (StartMessageMoveTask checks under the
        // queue's lock first, so this index never fires in normal operation).
        "CREATE UNIQUE INDEX sqs_move_tasks_active ON sqs_move_tasks (source_queue_id) WHERE status IN ('RUNNING', 'CANCELLING')",
        "ALTER TABLE sqs_messages ADD COLUMN move_task TEXT",
        "CREATE INDEX sqs_messages_move ON sqs_messages (move_task, seq)",
    ])

    /// The tables of this step that `/_warden/reset` wipes.
    static let sqsMoveTaskTables: [String] = ["sqs_move_tasks"]
}
