// Event selectors: validating what PutEventSelectors accepts, and deciding which audit events a trail delivers.
import WardenAPI
import WardenCore
import WardenStorage

enum EventSelection {
    static let basicDataResourceTypes: Set<String> = ["AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table"]
    static let excludableSources: Set<String> = ["kms.amazonaws.com", "rdsdata.amazonaws.com"]
    static let advancedFields: Set<String> = ["eventCategory", "eventSource", "eventName", "eventType", "readOnly",
                                              "resources.type", "resources.ARN", "errorCode", "userIdentity.arn",
                                              "sessionCredentialFromConsole", "vpcEndpointId"]
    static let managementFields: Set<String> = ["eventCategory", "readOnly", "eventSource"]

    static func invalid(_ m: String) -> AWSError { CloudTrail.Errors.invalidEventSelectorsException(m) }

    static func basic(_ input: [CloudTrail.EventSelector]) throws(AWSError) -> [BasicSelector] {
        guard (1...5).contains(input.count) else {
            throw invalid("You can have up to five event selectors per trail, and at least one.")
        }
        var totalValues = 0
        var out: [BasicSelector] = []
        for s in input {
            var resources: [DataResourceSpec] = []
            for r in s.dataResources ?? [] {
                guard let type = r.type, basicDataResourceTypes.contains(type) else {
                    throw invalid("Value \(r.type ?? "null") for parameter DataResources.Type is invalid.")
                }
                let values = r.values ?? []
                totalValues += values.count
                for v in values {
                    let service = type == "AWS::S3::Object" ? "s3" : type == "AWS::Lambda::Function" ? "lambda" : "dynamodb"
                    guard v.hasPrefix("arn:") && v.split(separator: ":", omittingEmptySubsequences: false).dropFirst(2).first == Substring(service) else {
                        throw invalid("Value \(v) for parameter DataResources.Values is invalid.")
                    }
                    // S3: every object (`arn:aws:s3`, `arn:aws:s3:::`) or a bucket with an object prefix (`…:::bucket/prefix`).
                    let parts = v.split(separator: ":", omittingEmptySubsequences: false)
                    let allObjects = parts.count == 3 || (parts.count == 6 && parts[5].isEmpty)
                    if type == "AWS::S3::Object", !allObjects, !(parts.count == 6 && parts[5].contains("/") && !parts[5].hasPrefix("/")) {
                        throw invalid("Value \(v) for parameter DataResources.Values is invalid. An S3 value must name a bucket and an object prefix (arn:aws:s3:::bucket/ or arn:aws:s3:::bucket/prefix).")
                    }
                }
                resources.append(DataResourceSpec(type: type, values: values))
            }
            let excluded = s.excludeManagementEventSources ?? []
            for e in excluded where !excludableSources.contains(e) {
                throw invalid("Value \(e) for parameter ExcludeManagementEventSources is invalid.")
            }
            out.append(BasicSelector(readWriteType: s.readWriteType?.rawValue ?? "All",
                                     includeManagementEvents: s.includeManagementEvents ?? true,
                                     dataResources: resources, excludeManagementEventSources: excluded))
        }
        guard totalValues <= 250 else {
            throw invalid("You can specify up to 250 data resource values across all event selectors of a trail.")
        }
        return out
    }

    static func advanced(_ input: [CloudTrail.AdvancedEventSelector]) throws(AWSError) -> [AdvancedSelector] {
        guard !input.isEmpty else { throw invalid("At least one advanced event selector is required.") }
        var conditions = 0
        var out: [AdvancedSelector] = []
        for s in input {
            var fields: [FieldCondition] = []
            var seen: Set<String> = []
            for f in s.fieldSelectors {
                guard advancedFields.contains(f.field) else { throw invalid("Field \(f.field) is not a valid field.") }
                guard seen.insert(f.field).inserted else { throw invalid("Field \(f.field) is specified more than once in a selector.") }
                let ops = [f.equals, f.startsWith, f.endsWith, f.notEquals, f.notStartsWith, f.notEndsWith]
                let count = ops.reduce(0) { $0 + ($1?.count ?? 0) }
                guard count > 0 else { throw invalid("Field \(f.field) must have at least one operator with a value.") }
                conditions += count
                if f.field == "readOnly" {
                    guard f.equals?.count == 1, count == 1, ["true", "false"].contains(f.equals?.first ?? "") else {
                        throw invalid("readOnly supports only the Equals operator with the value true or false.")
                    }
                }
                if f.field == "eventCategory" {
                    guard f.equals?.count == 1, count == 1,
                          ["Management", "Data", "NetworkActivity"].contains(f.equals?.first ?? "") else {
                        throw invalid("eventCategory supports only the Equals operator with one of Management, Data, NetworkActivity.")
                    }
                }
                fields.append(FieldCondition(field: f.field, equals: f.equals, startsWith: f.startsWith, endsWith: f.endsWith,
                                             notEquals: f.notEquals, notStartsWith: f.notStartsWith, notEndsWith: f.notEndsWith))
            }
            guard let category = fields.first(where: { $0.field == "eventCategory" })?.equals?.first else {
                throw invalid("Each advanced event selector must have an eventCategory field.")
            }
            if category == "Management" {
                if let f = fields.first(where: { !managementFields.contains($0.field) }) {
                    throw invalid("Field \(f.field) is not supported for management events.")
                }
                if let source = fields.first(where: { $0.field == "eventSource" }) {
                    let values = source.notEquals ?? []
                    guard source.equals == nil, source.startsWith == nil, source.endsWith == nil, source.notStartsWith == nil,
                          source.notEndsWith == nil, values.allSatisfy(excludableSources.contains) else {
                        throw invalid("For management events, eventSource supports only NotEquals with kms.amazonaws.com or rdsdata.amazonaws.com.")
                    }
                }
            } else {
                guard let type = fields.first(where: { $0.field == "resources.type" }), type.equals?.count == 1 else {
                    throw invalid("Data and network activity selectors need a resources.type field with Equals and one value.")
                }
            }
            out.append(AdvancedSelector(name: s.name, fields: fields))
        }
        guard conditions <= 500 else { throw invalid("You can have up to 500 conditions across all advanced event selectors.") }
        return out
    }

    static func api(_ s: BasicSelector) -> CloudTrail.EventSelector {
        CloudTrail.EventSelector(readWriteType: CloudTrail.ReadWriteType(rawValue: s.readWriteType),
                                 includeManagementEvents: s.includeManagementEvents,
                                 dataResources: s.dataResources.map { CloudTrail.DataResource(type: $0.type, values: $0.values) },
                                 excludeManagementEventSources: s.excludeManagementEventSources)
    }

    static func api(_ s: AdvancedSelector) -> CloudTrail.AdvancedEventSelector {
        CloudTrail.AdvancedEventSelector(name: s.name, fieldSelectors: s.fields.map {
            CloudTrail.AdvancedFieldSelector(field: $0.field, equals: $0.equals, startsWith: $0.startsWith, endsWith: $0.endsWith,
                                             notEquals: $0.notEquals, notStartsWith: $0.notStartsWith, notEndsWith: $0.notEndsWith)
        })
    }
}

/// The facts of one audit event that selectors look at; the record is parsed only when a selector needs it.
struct SelectableEvent {
    let event: StoredAuditEvent
    private var parsed: JSONValue??

    init(_ event: StoredAuditEvent) { self.event = event }

    mutating func record() -> JSONValue? {
        if let parsed { return parsed }
        let doc = try? JSONParser.parse(Array(event.record.utf8))
        parsed = .some(doc)
        return doc
    }

    /// (type, ARN) of each resource the record names.
    mutating func resources() -> [(type: String, arn: String)] {
        guard case .array(let items)? = record()?["resources"] else { return [] }
        return items.compactMap { r in
            guard let t = r["type"]?.stringValue, let a = r["ARN"]?.stringValue else { return nil }
            return (t, a)
        }
    }

    mutating func values(of field: String) -> [String] {
        switch field {
        case "eventCategory": return [event.management ? "Management" : "Data"]
        case "readOnly": return [event.readOnly ? "true" : "false"]
        case "eventSource": return [event.eventSource]
        case "eventName": return [event.eventName]
        case "errorCode": return [event.errorCode ?? ""]
        case "eventType": return [record()?["eventType"]?.stringValue ?? "AwsApiCall"]
        case "userIdentity.arn": return [record()?["userIdentity"]?["arn"]?.stringValue ?? ""]
        case "resources.type": return resources().map(\.type)
        case "resources.ARN": return resources().map(\.arn)
        default: return [record()?[field]?.stringValue ?? ""]
        }
    }
}

extension TrailRecord {
    /// Whether this trail delivers `event` (account and region scope first, then the selectors).
    func delivers(_ e: inout SelectableEvent) -> Bool {
        guard e.event.account == account, isMultiRegionTrail || e.event.region == homeRegion else { return false }
        if let advanced = advancedEventSelectors {
            return advanced.contains { s in s.fields.allSatisfy { Self.matches($0, &e) } }
        }
        return effectiveBasicSelectors.contains { Self.matches($0, &e) }
    }

    static func matches(_ s: BasicSelector, _ e: inout SelectableEvent) -> Bool {
        switch s.readWriteType {
        case "ReadOnly": guard e.event.readOnly else { return false }
        case "WriteOnly": guard !e.event.readOnly else { return false }
        default: break
        }
        if e.event.management {
            return s.includeManagementEvents && !s.excludeManagementEventSources.contains(e.event.eventSource)
        }
        let resources = e.resources()
        return s.dataResources.contains { spec in
            resources.contains { r in
                guard r.type == spec.type else { return false }
                return spec.values.contains { v in
                    // A bare service prefix (`arn:aws:s3`) selects every resource of the type.
                    v.split(separator: ":", omittingEmptySubsequences: false).count <= 3 ? r.arn.hasPrefix(v + ":") : r.arn.hasPrefix(v)
                }
            }
        }
    }

    /// Within one field selector: every operator given must hold (a value among Equals/StartsWith/EndsWith, none
    /// among the negative ones); multi-valued fields (resources) need one value that satisfies all of them.
    static func matches(_ f: FieldCondition, _ e: inout SelectableEvent) -> Bool {
        let values = e.values(of: f.field)
        return values.contains { v in
            if let l = f.equals, !l.contains(v) { return false }
            if let l = f.startsWith, !l.contains(where: { v.hasPrefix($0) }) { return false }
            if let l = f.endsWith, !l.contains(where: { v.hasSuffix($0) }) { return false }
            if let l = f.notEquals, l.contains(v) { return false }
            if let l = f.notStartsWith, l.contains(where: { v.hasPrefix($0) }) { return false }
            if let l = f.notEndsWith, l.contains(where: { v.hasSuffix($0) }) { return false }
            return true
        }
    }
}
