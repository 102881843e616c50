// A trail as stored: its configuration, selectors, tags and logging state (the document in cloudtrail_trails).
import Foundation
import WardenAPI
import WardenCore

struct BasicSelector: Codable, Sendable, Equatable {
    var readWriteType: String
    var includeManagementEvents: Bool
    var dataResources: [DataResourceSpec]
    var excludeManagementEventSources: [String]

    static let allManagement = BasicSelector(readWriteType: "All", includeManagementEvents: true, dataResources: [],
                                             excludeManagementEventSources: [])
}

struct DataResourceSpec: Codable, Sendable, Equatable {
    var type: String
    var values: [String]
}

struct AdvancedSelector: Codable, Sendable, Equatable {
    var name: String?
    var fields: [FieldCondition]
}

struct FieldCondition: Codable, Sendable, Equatable {
    var field: String
    var equals: [String]?
    var startsWith: [String]?
    var endsWith: [String]?
    var notEquals: [String]?
    var notStartsWith: [String]?
    var notEndsWith: [String]?
}

struct TrailRecord: Codable, Sendable {
    var name: String
    var account: String
    var homeRegion: String
    var partition: String
    var s3BucketName: String
    var s3KeyPrefix: String?
    var includeGlobalServiceEvents: Bool
    var isMultiRegionTrail: Bool
    var logFileValidationEnabled: Bool
    /// SSE-KMS of delivered files: the key's ARN.
    var kmsKeyId: String?
    var tags: [[String]]
    /// Nil until PutEventSelectors: then the trail logs all management events (AWS's default selector).
    var eventSelectors: [BasicSelector]?
    var advancedEventSelectors: [AdvancedSelector]?
    var isLogging: Bool
    var startLoggingMillis: Int64?
    var stopLoggingMillis: Int64?
    /// The audit sequence number logging (re)started after: events at or before it are not delivered.
    var startSeq: Int64
    /// While stopped: the last audit sequence number that belongs to the logging period that ended.
    var stopSeq: Int64?
    /// CloudWatch Logs delivery: the log group's ARN (`…:log-group:NAME:*`) and the role CloudTrail would assume.
    var cloudWatchLogsLogGroupArn: String?
    var cloudWatchLogsRoleArn: String?
    /// The audit sequence number the log group was set at: later events go to it.
    var logsStartSeq: Int64?
    /// PutInsightSelectors: ApiCallRateInsight and/or ApiErrorRateInsight.
    var insightTypes: [String]?

    var arn: String { "arn:\(partition):cloudtrail:\(homeRegion):\(account):trail/\(name)" }

    var hasCustomEventSelectors: Bool { eventSelectors != nil || advancedEventSelectors != nil }

    var effectiveBasicSelectors: [BasicSelector] { eventSelectors ?? [.allManagement] }

    func encoded() throws -> String { String(decoding: try JSONEncoder().encode(self), as: UTF8.self) }
    static func decode(_ doc: String) throws -> TrailRecord { try JSONDecoder().decode(TrailRecord.self, from: Data(doc.utf8)) }

    var apiTrail: CloudTrail.Trail {
        CloudTrail.Trail(name: name, s3BucketName: s3BucketName, s3KeyPrefix: s3KeyPrefix,
                         includeGlobalServiceEvents: includeGlobalServiceEvents, isMultiRegionTrail: isMultiRegionTrail,
                         homeRegion: homeRegion, trailARN: arn, logFileValidationEnabled: logFileValidationEnabled,
                         cloudWatchLogsLogGroupArn: cloudWatchLogsLogGroupArn, cloudWatchLogsRoleArn: cloudWatchLogsRoleArn,
                         kmsKeyId: kmsKeyId, hasCustomEventSelectors: hasCustomEventSelectors, hasInsightSelectors: !(insightTypes ?? []).isEmpty, isOrganizationTrail: false)
    }
}

/// What the delivery job keeps about a trail (the document in cloudtrail_delivery), shown by GetTrailStatus.
struct DeliveryStatus: Codable, Sendable {
    var latestDeliveryMillis: Int64?
    var latestDeliveryAttemptMillis: Int64?
    var latestDeliveryError: String?
    var latestDigestDeliveryMillis: Int64?
    var latestDigestDeliveryError: String?
    /// A digest being written per source region: its end time, so a redo after a crash writes the same object.
    var pendingDigestEnds: [String: Int64]?

    func encoded() -> String { (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}" }
    static func decode(_ doc: String) -> DeliveryStatus {
        (try? JSONDecoder().decode(DeliveryStatus.self, from: Data(doc.utf8))) ?? DeliveryStatus()
    }
}
