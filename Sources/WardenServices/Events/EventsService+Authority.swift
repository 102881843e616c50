// What EventBridge requests are authorized against (EventBridge User Guide, "Managing access permissions" and
// "Using IAM policy conditions"; Service Authorization Reference, "Amazon EventBridge"): the event bus or rule ARN with
// its tags, and EventBridge's condition keys. Warden keeps no event bus policies (PutPermission is not served), so
// no resource policy applies.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

struct EventsAuthority: ResourceAuthority {
    let events: EventsService

    /// Operations on one rule, named by `Name` (or `Rule`) on `EventBusName`.
    static let ruleOperations: Set<String> = ["PutRule", "DescribeRule", "EnableRule", "DisableRule", "DeleteRule",
                                              "PutTargets", "RemoveTargets", "ListTargetsByRule"]

    func authorizationFacts(operation: String, action: String, input: AWSValue, resources: [AuditResource],
                            context c: RequestContext) async throws -> AuthorizationFacts {
        let fields = input.mapValue ?? [:]
        // CreateEventBus, PutRule and TagResource carry `Tags`; UntagResource names only keys.
        var conditions = RequestTags.conditions(input)
        if case .list(let keys)? = fields["TagKeys"] { conditions["aws:TagKeys"] = keys.compactMap(\.stringValue) }
        var out: [ResourceFacts] = []
        switch operation {
        case "CreateEventBus":
            if let name = fields["Name"]?.stringValue { out = [ResourceFacts(arn: EventsService.busArn(c, name), account: c.account)] }
        case "DeleteEventBus", "DescribeEventBus":
            out = [try await bus(fields["Name"]?.stringValue, c)]
        case "PutEvents":
            // events:source and events:detail-type hold every entry's value; each bus named is authorized once.
            let entries = (fields["Entries"]?.listValue ?? []).compactMap(\.mapValue)
            var sources: [String] = [], types: [String] = [], buses: [String?] = []
            for e in entries {
                if let s = e["Source"]?.stringValue, !sources.contains(s) { sources.append(s) }
                if let t = e["DetailType"]?.stringValue, !types.contains(t) { types.append(t) }
                let b = e["EventBusName"]?.stringValue
                if !buses.contains(b) { buses.append(b) }
            }
            if !sources.isEmpty { conditions["events:source"] = sources }
            if !types.isEmpty { conditions["events:detail-type"] = types }
            for b in buses {
                let facts = try await bus(b, c)
                if !out.contains(where: { $0.arn == facts.arn }) { out.append(facts) }
            }
        case "TagResource", "UntagResource", "ListTagsForResource":
            if let arn = fields["ResourceARN"]?.stringValue { out = [try await tagged(arn, c, conditions: &conditions)] }
        case let op where Self.ruleOperations.contains(op):
            guard let name = (fields["Name"] ?? fields["Rule"])?.stringValue else { break }
            let busName = EventsService.busName(fields["EventBusName"]?.stringValue)
            // Warden's rules are always made by the account that owns them.
            conditions["events:creatorAccount"] = [c.account]
            if op == "PutTargets" {
                let arns = (fields["Targets"]?.listValue ?? []).compactMap { $0.mapValue?["Arn"]?.stringValue }
                if !arns.isEmpty { conditions["events:TargetArn"] = arns }
            }
            if op == "PutRule", let text = fields["EventPattern"]?.stringValue, let pattern = try? EventPattern(text) {
                // A rule may be limited to the sources and detail types its pattern matches exactly.
                if let s = pattern.exactValues(of: "source") { conditions["events:source"] = s.sorted() }
                if let t = pattern.exactValues(of: "detail-type") { conditions["events:detail-type"] = t.sorted() }
            }
            let tags = try await storedTags(RuleDoc.self, kind: "rule", name: "\(busName)/\(name)", c)
            out = [ResourceFacts(arn: EventsService.ruleArn(c, bus: busName, name), account: c.account, conditions: tags)]
        default:
            // ListEventBuses, ListRules, TestEventPattern: no resource.
            break
        }
        return AuthorizationFacts(resources: out, conditions: conditions)
    }

    /// An event bus by name or ARN (none: the default bus), with its tags. A bus ARN keeps the account it names.
    func bus(_ ref: String?, _ c: RequestContext) async throws -> ResourceFacts {
        let name = EventsService.busName(ref)
        if let ref, let arn = ARN(ref), arn.account != c.account || arn.region != c.region {
            return ResourceFacts(arn: ref, account: arn.account)
        }
        let tags = try await storedTags(BusDoc.self, kind: "bus", name: name, c)
        return ResourceFacts(arn: EventsService.busArn(c, name), account: c.account, conditions: tags)
    }

    /// A bus or rule named by ARN (the tagging operations), with its tags; rules add `events:creatorAccount`.
    func tagged(_ arn: String, _ c: RequestContext, conditions: inout [String: [String]]) async throws -> ResourceFacts {
        let account = ARN(arn)?.account ?? c.account
        guard let named = try? events.resource(arn, c) else { return ResourceFacts(arn: arn, account: account) }
        let tags: [String: [String]]
        if named.kind == "rule" {
            tags = try await storedTags(RuleDoc.self, kind: named.kind, name: named.name, c)
            conditions["events:creatorAccount"] = [c.account]
        } else {
            tags = try await storedTags(BusDoc.self, kind: named.kind, name: named.name, c)
        }
        return ResourceFacts(arn: arn, account: account, conditions: tags)
    }

    /// `aws:ResourceTag/…` from a stored bus or rule; none when it does not exist (the operation reports that).
    func storedTags<Doc: TaggedDoc>(_ type: Doc.Type, kind: String, name: String, _ c: RequestContext) async throws -> [String: [String]] {
        guard let text = try await events.repository.get(account: c.account, region: c.region, kind: kind, name: name),
              let doc = try? JSONDecoder().decode(Doc.self, from: Data(text.utf8)) else { return [:] }
        var out: [String: [String]] = [:]
        for (k, v) in doc.tags ?? [:] { out["aws:ResourceTag/\(k)"] = [v] }
        return out
    }
}
