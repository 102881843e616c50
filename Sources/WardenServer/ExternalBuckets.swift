// `--trail-external-buckets FILE`: buckets on other S3-compatible servers that trails may deliver into.
//
//   - bucket: corp-audit                 # the S3BucketName a trail names
//     endpoint: https://minio.internal:9000
//     region: us-east-1                  # signing region (default us-east-1)
//     access_key_id: AKIA…
//     secret_access_key_env: MINIO_SECRET   # or secret_access_key: … (the file should then be 0600)
import Foundation
import WardenServices
import Yams

enum ExternalBuckets {
    struct Entry: Decodable {
        var bucket: String
        var endpoint: String
        var region: String?
        var access_key_id: String
        var secret_access_key: String?
        var secret_access_key_env: String?
    }

    static func load(_ path: String) throws -> [ExternalBucket] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StartupError("--trail-external-buckets: cannot read \(path)")
        }
        let entries: [Entry]
        do { entries = try YAMLDecoder().decode([Entry].self, from: data) } catch {
            throw StartupError("--trail-external-buckets: \(path) is not a list of buckets: \(error)")
        }
        return try entries.map { e in
            guard let url = URL(string: e.endpoint), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw StartupError("--trail-external-buckets: \(e.bucket): endpoint must be an http(s) URL")
            }
            let secret: String
            if let name = e.secret_access_key_env {
                guard let v = ProcessInfo.processInfo.environment[name] else {
                    throw StartupError("--trail-external-buckets: \(e.bucket): environment variable \(name) is not set")
                }
                secret = v
            } else if let v = e.secret_access_key {
                secret = v
            } else {
                throw StartupError("--trail-external-buckets: \(e.bucket): secret_access_key or secret_access_key_env is required")
            }
            guard BucketStore.isValidBucketName(e.bucket) else {
                throw StartupError("--trail-external-buckets: \(e.bucket) is not a valid bucket name")
            }
            return ExternalBucket(bucket: e.bucket, endpoint: url, region: e.region ?? "us-east-1", accessKeyId: e.access_key_id,
                                  secretAccessKey: secret)
        }
    }
}
