// Schema step 20: object bodies move from files under DATA/s3 into storage, so every node sharing a database reads them.

extension Migrations {
    /// Object bodies in chunks of `BucketRepository.chunkSize` bytes, keyed by the object row's `file_name` (now the id
    /// of its data: one per object version written, never reused) and the chunk number. Chunks rather than one blob:
    /// a ranged GET reads only the chunks it covers, and a raised `--max-body-bytes` never becomes one huge value.
    /// A put writes its chunks and its row, and deletes the chunks of the version it replaces, in one transaction.
    static let bucketObjectData = Migration(version: 20, name: "bucket object data in storage", statements: [
        // `data` may be NULL: SQLite binds an empty byte array as NULL, and an empty object is one empty chunk.
        """
        CREATE TABLE s3_object_data (
            data_id TEXT NOT NULL,
            chunk {int} NOT NULL,
            data {blob},
            PRIMARY KEY (data_id, chunk))
        """,
        // The one-time import of legacy files looks rows up by the file they name.
        "CREATE INDEX s3_objects_file ON s3_objects (file_name)",
    ])
}
