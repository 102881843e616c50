// Trails: create, update, delete, describe, start and stop logging, status, event selectors, tags.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension CloudTrailService {
    static let maxTrailsPerRegion = 5
    static let maxTags = 50

    // MARK: names and lookup

    static func validateTrailName(_ n: String) throws(AWSError) {
        let b = Array(n.utf8)
        func alnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
        func separator(_ c: UInt8) -> Bool { c == 0x2E || c == 0x5F || c == 0x2D }
        guard b.count >= 3 else {
            throw CloudTrail.Errors.invalidTrailNameException("Trail name too short. Minimum allowed length: 3 characters. Specified name length: \(b.count) characters.")
        }
        guard b.count <= 128 else {
            throw CloudTrail.Errors.invalidTrailNameException("Trail name too long. Maximum allowed length: 128 characters. Specified name length: \(b.count) characters.")
        }
        guard b.allSatisfy({ alnum($0) || separator($0) }) else {
            throw CloudTrail.Errors.invalidTrailNameException("Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).")
        }
        guard alnum(b[0]) else { throw CloudTrail.Errors.invalidTrailNameException("Trail name must starts with a letter or number.") }
        guard alnum(b[b.count - 1]) else { throw CloudTrail.Errors.invalidTrailNameException("Trail name must ends with a letter or number.") }
        for i in 1..<b.count where separator(b[i]) && separator(b[i - 1]) {
            throw CloudTrail.Errors.invalidTrailNameException("Trail name cannot have adjacent periods, underscores or dashes.")
        }
        let parts = n.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) {
            throw CloudTrail.Errors.invalidTrailNameException("Trail name cannot be formatted as an IP address.")
        }
    }

    /// `arn:partition:cloudtrail:region:account:trail/name` → (region, account, name).
    static func parseTrailARN(_ s: String) throws(AWSError) -> (region: String, account: String, name: String) {
        let parts = s.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[2] == "cloudtrail", RegionName.isValid(String(parts[3])), parts[4].count == 12,
              parts[5].hasPrefix("trail/") else {
            throw CloudTrail.Errors.cloudTrailARNInvalidException("\(s) is not a valid ARN.")
        }
        let name = String(parts[5].dropFirst(6))
        try validateTrailName(name)
        return (String(parts[3]), String(parts[4]), name)
    }

    static func trailNotFound(_ c: RequestContext, _ name: String) -> AWSError {
        let arn = name.hasPrefix("arn:") ? name : "arn:\(c.partition.rawValue):cloudtrail:\(c.region):\(c.account):trail/\(name)"
        return CloudTrail.Errors.trailNotFoundException("Unknown trail: \(arn) for the user: \(c.account)")
    }

    /// Finds a trail by name or ARN as seen from the caller's region: its own trails, then multi-Region trails homed
    /// elsewhere (shadow trails). Changes must be made in the home region.
    func findTrail(_ nameOrARN: String, _ c: RequestContext, forChange: Bool) async throws -> TrailRecord {
        var candidates: [TrailKey] = []
        if nameOrARN.hasPrefix("arn:") {
            let arn = try Self.parseTrailARN(nameOrARN)
            guard arn.account == c.account else { throw Self.trailNotFound(c, nameOrARN) }
            candidates = [TrailKey(account: c.account, homeRegion: arn.region, name: arn.name)]
        } else {
            try Self.validateTrailName(nameOrARN)
            candidates = [TrailKey(account: c.account, homeRegion: c.region, name: nameOrARN)]
        }
        if let row = try await trails.trail(candidates[0]) {
            let record = try TrailRecord.decode(row.doc)
            if record.homeRegion != c.region {
                guard record.isMultiRegionTrail else { throw Self.trailNotFound(c, nameOrARN) }
                if forChange { throw Self.homeRegion(record) }
            }
            return record
        }
        if !nameOrARN.hasPrefix("arn:") {
            let shadow = try await trails.trails(account: c.account).first { $0.key.name == nameOrARN && $0.multiRegion }
            if let shadow {
                let record = try TrailRecord.decode(shadow.doc)
                if forChange { throw Self.homeRegion(record) }
                return record
            }
        }
        throw Self.trailNotFound(c, nameOrARN)
    }

    static func homeRegion(_ t: TrailRecord) -> AWSError {
        CloudTrail.Errors.invalidHomeRegionException(
            "This operation must be called from the trail's home region, \(t.homeRegion), for trail \(t.arn).")
    }

    /// The most trails any one region counts: its own trails plus every multi-Region trail homed elsewhere.
    static func busiestRegionCount(_ rows: [TrailRow]) -> Int {
        let regions = Set(rows.map(\.key.homeRegion))
        let multi = rows.filter(\.multiRegion)
        return regions.map { r in rows.filter { $0.key.homeRegion == r }.count + multi.filter { $0.key.homeRegion != r }.count }.max() ?? 0
    }

    // MARK: configuration checks shared by create and update

    func checkDestination(bucket: String, prefix: String?) async throws {
        if let prefix, prefix.utf8.count > 200 {
            throw CloudTrail.Errors.invalidS3PrefixException("Value \(prefix) for parameter S3KeyPrefix is invalid.")
        }
        guard BucketStore.isValidBucketName(bucket) else {
            throw CloudTrail.Errors.invalidS3BucketNameException("Bucket name \(bucket) is not valid.")
        }
        do {
            try await destination(for: bucket).checkWritable(bucket: bucket)
        } catch let e as AWSError where e.code == "NoSuchBucket" {
            throw CloudTrail.Errors.s3BucketDoesNotExistException("S3 bucket \(bucket) does not exist.")
        } catch let e as AWSError where e.code == "ServiceUnavailable" {
            throw CloudTrail.Errors.s3BucketDoesNotExistException("S3 bucket \(bucket) cannot be reached: \(e.message)")
        } catch is AWSError {
            throw CloudTrail.Errors.insufficientS3BucketPolicyException("Incorrect S3 bucket policy is detected for bucket: \(bucket)")
        }
    }

    static func refuseUnsupported(snsTopic: String?, organization: Bool?) throws(AWSError) {
        if let s = snsTopic, !s.isEmpty {
            throw CloudTrail.Errors.unsupportedOperationException("SNS notifications of delivered log files are not supported by Warden yet.")
        }
        if organization == true {
            throw CloudTrail.Errors.organizationsNotInUseException("This account is not a member of an organization.")
        }
    }

    /// A trail's CloudWatch Logs destination: both ARNs or neither (empty strings clear it); the group must exist in the
    /// trail's account and region.
    func checkLogGroup(_ group: String?, role: String?, _ c: RequestContext) async throws -> (group: String, role: String)? {
        let g = group ?? ""
        let r = role ?? ""
        if g.isEmpty && r.isEmpty { return nil }
        guard !g.isEmpty else { throw CloudTrail.Errors.invalidCloudWatchLogsLogGroupArnException("You must specify a log group ARN together with the role ARN.") }
        guard !r.isEmpty, let roleArn = ARN(r), roleArn.service == "iam", roleArn.resource.hasPrefix("role/") else {
            throw CloudTrail.Errors.invalidCloudWatchLogsRoleArnException("Invalid CloudWatchLogs role ARN: \(r)")
        }
        guard let arn = ARN(g), arn.service == "logs", arn.account == c.account, arn.region == c.region, arn.resource.hasPrefix("log-group:"),
              arn.resource.hasSuffix(":*"), let logs else {
            throw CloudTrail.Errors.invalidCloudWatchLogsLogGroupArnException("Invalid CloudWatchLogs log group ARN: \(g)")
        }
        let name = String(arn.resource.dropFirst("log-group:".count).dropLast(2))
        guard try await logs.groupExists(account: c.account, region: c.region, group: name) else {
            throw CloudTrail.Errors.invalidCloudWatchLogsLogGroupArnException("Access denied. Verify in IAM that the role has adequate permissions, or that the log group \(name) exists.")
        }
        return (g, r)
    }

    /// The ARN of the KMS key a trail encrypts its files with, checked as CloudTrail checks it.
    func trailKeyArn(_ keyId: String, _ c: RequestContext) async throws -> String {
        guard let keys else { throw CloudTrail.Errors.kmsException("KMS is not available.") }
        do {
            return try await keys.symmetricKeyArn(keyId, context: c)
        } catch let e as AWSError {
            switch e.code {
            case "NotFoundException": throw CloudTrail.Errors.kmsKeyNotFoundException("KMS key not found: \(keyId)")
            case "DisabledException", "KMSInvalidStateException":
                throw CloudTrail.Errors.kmsKeyDisabledException("KMS key is disabled or not usable: \(keyId)")
            case "InvalidKeyUsageException", "InvalidArnException", "ValidationException":
                throw CloudTrail.Errors.invalidKmsKeyIdException("Invalid KMS key: \(keyId)")
            default: throw CloudTrail.Errors.kmsException(e.message)
            }
        }
    }

    static func checkGlobalEvents(multiRegion: Bool, includeGlobal: Bool) throws(AWSError) {
        if multiRegion && !includeGlobal {
            throw CloudTrail.Errors.invalidParameterCombinationException("Multi-Region trail must include global service events.")
        }
    }

    func save(_ t: TrailRecord) async throws {
        let row = TrailRow(key: TrailKey(account: t.account, homeRegion: t.homeRegion, name: t.name), multiRegion: t.isMultiRegionTrail,
                           createdAtMillis: 0, doc: try t.encoded())
        let outcome: Bool? = try await trails.updateTrail(row, limit: Self.maxTrailsPerRegion, regionsCounted: Self.busiestRegionCount)
        switch outcome {
        case .some(true): return
        case .some(false): throw CloudTrail.Errors.trailNotFoundException("Unknown trail: \(t.arn) for the user: \(t.account)")
        case .none:
            throw CloudTrail.Errors.maximumNumberOfTrailsExceededException("User: \(t.account) already has \(Self.maxTrailsPerRegion) trails in a region.")
        }
    }

    // MARK: operations

    func createTrail(_ input: CloudTrail.CreateTrailRequest, context c: RequestContext) async throws -> CloudTrail.CreateTrailResponse {
        try Self.validateTrailName(input.name)
        try Self.refuseUnsupported(snsTopic: input.snsTopicName, organization: input.isOrganizationTrail)
        let logGroup = try await checkLogGroup(input.cloudWatchLogsLogGroupArn, role: input.cloudWatchLogsRoleArn, c)
        let multi = input.isMultiRegionTrail ?? false
        let global = input.includeGlobalServiceEvents ?? true
        try Self.checkGlobalEvents(multiRegion: multi, includeGlobal: global)
        let prefix = input.s3KeyPrefix.flatMap { $0.isEmpty ? nil : $0 }
        try await checkDestination(bucket: input.s3BucketName, prefix: prefix)
        var tags: [[String]] = []
        if let list = input.tagsList { tags = try Self.mergedTags([], adding: list) }
        var keyArn: String?
        if let k = input.kmsKeyId, !k.isEmpty { keyArn = try await trailKeyArn(k, c) }
        let record = TrailRecord(name: input.name, account: c.account, homeRegion: c.region, partition: c.partition.rawValue,
                                 s3BucketName: input.s3BucketName, s3KeyPrefix: prefix, includeGlobalServiceEvents: global,
                                 isMultiRegionTrail: multi, logFileValidationEnabled: input.enableLogFileValidation ?? false,
                                 kmsKeyId: keyArn, tags: tags, eventSelectors: nil, advancedEventSelectors: nil, isLogging: false,
                                 startLoggingMillis: nil, stopLoggingMillis: nil, startSeq: 0, stopSeq: nil,
                                 cloudWatchLogsLogGroupArn: logGroup?.group, cloudWatchLogsRoleArn: logGroup?.role,
                                 logsStartSeq: logGroup == nil ? nil : try await trails.newestAuditSeq())
        let row = TrailRow(key: TrailKey(account: c.account, homeRegion: c.region, name: input.name), multiRegion: multi,
                           createdAtMillis: Self.millis(now()), doc: try record.encoded())
        let outcome = try await locks.withLock(Self.trailsLock) {
            try await trails.insertTrail(row, limit: Self.maxTrailsPerRegion, regionsCounted: Self.busiestRegionCount,
                                         delivery: DeliveryRow(cursorSeq: 0, doc: DeliveryStatus().encoded()))
        }
        switch outcome {
        case .created: break
        case .exists: throw CloudTrail.Errors.trailAlreadyExistsException("Trail \(input.name) already exists for customer: \(c.account)")
        case .limitReached:
            throw CloudTrail.Errors.maximumNumberOfTrailsExceededException("User: \(c.account) already has \(Self.maxTrailsPerRegion) trails in \(c.region).")
        }
        return CloudTrail.CreateTrailResponse(
            name: record.name, s3BucketName: record.s3BucketName, s3KeyPrefix: record.s3KeyPrefix,
            includeGlobalServiceEvents: record.includeGlobalServiceEvents, isMultiRegionTrail: record.isMultiRegionTrail,
            trailARN: record.arn, logFileValidationEnabled: record.logFileValidationEnabled,
            cloudWatchLogsLogGroupArn: record.cloudWatchLogsLogGroupArn, cloudWatchLogsRoleArn: record.cloudWatchLogsRoleArn, kmsKeyId: record.kmsKeyId,
            isOrganizationTrail: false)
    }

    func updateTrail(_ input: CloudTrail.UpdateTrailRequest, context c: RequestContext) async throws -> CloudTrail.UpdateTrailResponse {
        try Self.refuseUnsupported(snsTopic: input.snsTopicName, organization: input.isOrganizationTrail)
        let logGroup = try await checkLogGroup(input.cloudWatchLogsLogGroupArn, role: input.cloudWatchLogsRoleArn, c)
        let record = try await locks.withLock(Self.trailsLock) {
            var t = try await findTrail(input.name, c, forChange: true)
            if let b = input.s3BucketName { t.s3BucketName = b }
            if let p = input.s3KeyPrefix { t.s3KeyPrefix = p.isEmpty ? nil : p }
            if let g = input.includeGlobalServiceEvents { t.includeGlobalServiceEvents = g }
            if let m = input.isMultiRegionTrail { t.isMultiRegionTrail = m }
            if let v = input.enableLogFileValidation { t.logFileValidationEnabled = v }
            if let k = input.kmsKeyId { t.kmsKeyId = k.isEmpty ? nil : try await trailKeyArn(k, c) }
            if input.cloudWatchLogsLogGroupArn != nil || input.cloudWatchLogsRoleArn != nil {
                if t.cloudWatchLogsLogGroupArn != logGroup?.group { t.logsStartSeq = logGroup == nil ? nil : try await trails.newestAuditSeq() }
                t.cloudWatchLogsLogGroupArn = logGroup?.group
                t.cloudWatchLogsRoleArn = logGroup?.role
            }
            try Self.checkGlobalEvents(multiRegion: t.isMultiRegionTrail, includeGlobal: t.includeGlobalServiceEvents)
            if input.s3BucketName != nil || input.s3KeyPrefix != nil {
                try await checkDestination(bucket: t.s3BucketName, prefix: t.s3KeyPrefix)
            }
            try await save(t)
            return t
        }
        return CloudTrail.UpdateTrailResponse(
            name: record.name, s3BucketName: record.s3BucketName, s3KeyPrefix: record.s3KeyPrefix,
            includeGlobalServiceEvents: record.includeGlobalServiceEvents, isMultiRegionTrail: record.isMultiRegionTrail,
            trailARN: record.arn, logFileValidationEnabled: record.logFileValidationEnabled,
            cloudWatchLogsLogGroupArn: record.cloudWatchLogsLogGroupArn, cloudWatchLogsRoleArn: record.cloudWatchLogsRoleArn, kmsKeyId: record.kmsKeyId,
            isOrganizationTrail: false)
    }

    func deleteTrail(_ input: CloudTrail.DeleteTrailRequest, context c: RequestContext) async throws -> CloudTrail.DeleteTrailResponse {
        try await locks.withLock(Self.trailsLock) {
            let t = try await findTrail(input.name, c, forChange: true)
            guard try await trails.deleteTrail(TrailKey(account: t.account, homeRegion: t.homeRegion, name: t.name)) else {
                throw Self.trailNotFound(c, input.name)
            }
        }
        return CloudTrail.DeleteTrailResponse()
    }

    func getTrail(_ input: CloudTrail.GetTrailRequest, context c: RequestContext) async throws -> CloudTrail.GetTrailResponse {
        CloudTrail.GetTrailResponse(trail: try await findTrail(input.name, c, forChange: false).apiTrail)
    }

    func describeTrails(_ input: CloudTrail.DescribeTrailsRequest, context c: RequestContext) async throws -> CloudTrail.DescribeTrailsResponse {
        let includeShadows = input.includeShadowTrails ?? true
        let all = try await trails.trails(account: c.account).map { try TrailRecord.decode($0.doc) }
        let visible = all.filter { $0.homeRegion == c.region || (includeShadows && $0.isMultiRegionTrail) }
        guard let names = input.trailNameList, !names.isEmpty else {
            return CloudTrail.DescribeTrailsResponse(trailList: visible.map(\.apiTrail))
        }
        // Names that match no visible trail are left out, as CloudTrail does.
        let picked = visible.filter { t in names.contains { $0 == t.arn || ($0 == t.name) } }
        return CloudTrail.DescribeTrailsResponse(trailList: picked.map(\.apiTrail))
    }

    func listTrails(_ input: CloudTrail.ListTrailsRequest, context c: RequestContext) async throws -> CloudTrail.ListTrailsResponse {
        let all = try await trails.trails(account: c.account).map { try TrailRecord.decode($0.doc) }.sorted { $0.arn < $1.arn }
        // AWS does not document ListTrails' page size (nor a page-size parameter); 50 is Warden's choice.
        let (page, next) = try OffsetPage.slice(all, limit: 50, token: input.nextToken,
                                                invalid: CloudTrail.Errors.invalidNextTokenException("Invalid NextToken."))
        return CloudTrail.ListTrailsResponse(trails: page.map { CloudTrail.TrailInfo(trailARN: $0.arn, name: $0.name, homeRegion: $0.homeRegion) },
                                             nextToken: next)
    }

    func startLogging(_ input: CloudTrail.StartLoggingRequest, context c: RequestContext) async throws -> CloudTrail.StartLoggingResponse {
        try await locks.withLock(Self.trailsLock) {
            var t = try await findTrail(input.name, c, forChange: true)
            guard !t.isLogging else { return }
            // Logging covers calls from now on: everything already in the audit log belongs to before.
            t.startSeq = max(t.startSeq, try await trails.newestAuditSeq())
            t.stopSeq = nil
            t.isLogging = true
            t.startLoggingMillis = Self.millis(now())
            try await save(t)
        }
        return CloudTrail.StartLoggingResponse()
    }

    func stopLogging(_ input: CloudTrail.StopLoggingRequest, context c: RequestContext) async throws -> CloudTrail.StopLoggingResponse {
        try await locks.withLock(Self.trailsLock) {
            var t = try await findTrail(input.name, c, forChange: true)
            guard t.isLogging else { return }
            t.isLogging = false
            t.stopSeq = try await trails.newestAuditSeq()
            t.stopLoggingMillis = Self.millis(now())
            try await save(t)
        }
        return CloudTrail.StopLoggingResponse()
    }

    func getTrailStatus(_ input: CloudTrail.GetTrailStatusRequest, context c: RequestContext) async throws -> CloudTrail.GetTrailStatusResponse {
        let t = try await findTrail(input.name, c, forChange: false)
        let row = try await trails.delivery(TrailKey(account: t.account, homeRegion: t.homeRegion, name: t.name))
        let s = DeliveryStatus.decode(row?.doc ?? "{}")
        func date(_ m: Int64?) -> Date? { m.map { Date(timeIntervalSince1970: Double($0) / 1000) } }
        let logsTime = t.cloudWatchLogsLogGroupArn == nil ? nil : date(try await logs?.cursor(Self.logsTimeCursor(t)))
        return CloudTrail.GetTrailStatusResponse(
            isLogging: t.isLogging, latestDeliveryError: s.latestDeliveryError, latestDeliveryTime: date(s.latestDeliveryMillis),
            startLoggingTime: date(t.startLoggingMillis), stopLoggingTime: date(t.stopLoggingMillis),
            latestCloudWatchLogsDeliveryTime: logsTime,
            latestDigestDeliveryTime: date(s.latestDigestDeliveryMillis), latestDigestDeliveryError: s.latestDigestDeliveryError,
            latestDeliveryAttemptTime: s.latestDeliveryAttemptMillis.map { Timestamps.iso8601(date($0) ?? Date(), fractional: false) } ?? "",
            latestNotificationAttemptTime: "", latestNotificationAttemptSucceeded: "",
            latestDeliveryAttemptSucceeded: s.latestDeliveryMillis.map { Timestamps.iso8601(date($0) ?? Date(), fractional: false) } ?? "",
            timeLoggingStarted: t.startLoggingMillis.map { Timestamps.iso8601(date($0) ?? Date(), fractional: false) } ?? "",
            timeLoggingStopped: t.stopLoggingMillis.map { Timestamps.iso8601(date($0) ?? Date(), fractional: false) } ?? "")
    }

    func putEventSelectors(_ input: CloudTrail.PutEventSelectorsRequest, context c: RequestContext) async throws -> CloudTrail.PutEventSelectorsResponse {
        let basic = input.eventSelectors
        let advanced = input.advancedEventSelectors
        guard (basic == nil) != (advanced == nil) else {
            throw CloudTrail.Errors.invalidParameterCombinationException(
                "You must specify either EventSelectors or AdvancedEventSelectors, but not both.")
        }
        let parsedBasic = try basic.map { b throws(AWSError) in try EventSelection.basic(b) }
        let parsedAdvanced = try advanced.map { a throws(AWSError) in try EventSelection.advanced(a) }
        let t = try await locks.withLock(Self.trailsLock) {
            var t = try await findTrail(input.trailName, c, forChange: true)
            t.eventSelectors = parsedBasic
            t.advancedEventSelectors = parsedAdvanced
            try await save(t)
            return t
        }
        return CloudTrail.PutEventSelectorsResponse(trailARN: t.arn, eventSelectors: t.eventSelectors?.map(EventSelection.api),
                                                    advancedEventSelectors: t.advancedEventSelectors?.map(EventSelection.api))
    }

    func getEventSelectors(_ input: CloudTrail.GetEventSelectorsRequest, context c: RequestContext) async throws -> CloudTrail.GetEventSelectorsResponse {
        let t = try await findTrail(input.trailName, c, forChange: false)
        if let advanced = t.advancedEventSelectors {
            return CloudTrail.GetEventSelectorsResponse(trailARN: t.arn, advancedEventSelectors: advanced.map(EventSelection.api))
        }
        return CloudTrail.GetEventSelectorsResponse(trailARN: t.arn, eventSelectors: t.effectiveBasicSelectors.map(EventSelection.api))
    }

    // MARK: tags

    static func mergedTags(_ existing: [[String]], adding: [CloudTrail.Tag]) throws(AWSError) -> [[String]] {
        var tags = existing
        for tag in adding {
            guard (1...128).contains(tag.key.utf8.count), !tag.key.lowercased().hasPrefix("aws:"),
                  (tag.value ?? "").utf8.count <= 256 else {
                throw CloudTrail.Errors.invalidTagParameterException("Tag key or value is invalid: \(tag.key)")
            }
            if let i = tags.firstIndex(where: { $0.first == tag.key }) { tags[i] = [tag.key, tag.value ?? ""] } else {
                tags.append([tag.key, tag.value ?? ""])
            }
        }
        guard tags.count <= maxTags else {
            throw CloudTrail.Errors.tagsLimitExceededException("The number of tags on the resource exceeds the limit of \(maxTags).")
        }
        return tags
    }

    func taggedTrail(_ resourceId: String, _ c: RequestContext) async throws -> TrailRecord {
        guard resourceId.hasPrefix("arn:") else {
            throw CloudTrail.Errors.cloudTrailARNInvalidException("\(resourceId) is not a valid ARN.")
        }
        do {
            return try await findTrail(resourceId, c, forChange: false)
        } catch let e as AWSError where e.code == "TrailNotFoundException" {
            throw CloudTrail.Errors.resourceNotFoundException("Resource not found: \(resourceId)")
        }
    }

    func addTags(_ input: CloudTrail.AddTagsRequest, context c: RequestContext) async throws -> CloudTrail.AddTagsResponse {
        try await locks.withLock(Self.trailsLock) {
            var t = try await taggedTrail(input.resourceId, c)
            t.tags = try Self.mergedTags(t.tags, adding: input.tagsList)
            try await save(t)
        }
        return CloudTrail.AddTagsResponse()
    }

    func removeTags(_ input: CloudTrail.RemoveTagsRequest, context c: RequestContext) async throws -> CloudTrail.RemoveTagsResponse {
        try await locks.withLock(Self.trailsLock) {
            var t = try await taggedTrail(input.resourceId, c)
            let keys = Set(input.tagsList.map(\.key))
            t.tags.removeAll { keys.contains($0.first ?? "") }
            try await save(t)
        }
        return CloudTrail.RemoveTagsResponse()
    }

    func listTags(_ input: CloudTrail.ListTagsRequest, context c: RequestContext) async throws -> CloudTrail.ListTagsResponse {
        var out: [CloudTrail.ResourceTag] = []
        for id in input.resourceIdList {
            let t = try await taggedTrail(id, c)
            out.append(CloudTrail.ResourceTag(resourceId: t.arn, tagsList: t.tags.map { CloudTrail.Tag(key: $0[0], value: $0.count > 1 ? $0[1] : nil) }))
        }
        return CloudTrail.ListTagsResponse(resourceTagList: out)
    }

    static func millis(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// CloudTrail refuses a bucket whose policy does not let the CloudTrail service write into it.
enum BucketPolicyCheck {
    static func allowsCloudTrailWrites(_ policy: String?) -> Bool {
        guard let policy, let doc = try? JSONParser.parse(Array(policy.utf8)) else { return false }
        var statements: [JSONValue] = []
        switch doc["Statement"] {
        case .array(let items)?: statements = items
        case let one?: statements = [one]
        case nil: return false
        }
        return statements.contains { s in
            guard s["Effect"]?.stringValue == "Allow" else { return false }
            let principalOK: Bool
            switch s["Principal"] {
            case .string("*")?: principalOK = true
            case let p?: principalOK = strings(p["Service"]).contains("cloudtrail.amazonaws.com") || strings(p["AWS"]).contains("*")
            case nil: principalOK = false
            }
            let actions = strings(s["Action"])
            return principalOK && (actions.contains("s3:PutObject") || actions.contains("s3:*") || actions.contains("*"))
        }
    }

    static func strings(_ v: JSONValue?) -> [String] {
        switch v {
        case .string(let s)?: return [s]
        case .array(let items)?: return items.compactMap(\.stringValue)
        default: return []
        }
    }
}
