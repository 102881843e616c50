// Events other AWS services emit onto a bus (Lambda's asynchronous invocation records, source "lambda"): routed by
// the bus's rules into the same outbox as PutEvents, in the bus's own account and region.
import Foundation
import WardenCore

extension EventsService: EventBusPublisher {
    public func putServiceEvent(busArn: String, source: String, detailType: String, resources: [String], detail: JSONValue) async throws {
        guard let arn = ARN(busArn), arn.service == "events", arn.resource.hasPrefix("event-bus/") else {
            throw Self.validation("Parameter EventBusName is not valid.")
        }
        let bus = String(arn.resource.dropFirst("event-bus/".count))
        var c = DataKeyCache.serviceContext(account: arn.account, region: arn.region, service: "events.amazonaws.com", now: now())
        c.partition = arn.partition
        guard try await busExists(bus, c) else { throw Self.notFound("Event bus \(bus) does not exist.") }
        let event = Self.event(id: UUID().uuidString.lowercased(), source: source, detailType: detailType, account: arn.account,
                               region: arn.region, time: now(), resources: resources, detail: detail)
        let routed = try await route(event, bus: bus, account: arn.account, region: arn.region)
        try await repository.enqueue(routed, dueAtMillis: nowMillis)
        if !routed.isEmpty { wakeups.signal(Self.wakeKey) }
    }
}
