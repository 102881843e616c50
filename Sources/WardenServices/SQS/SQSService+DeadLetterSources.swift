// ListDeadLetterSourceQueues: the queues whose redrive policy names a queue as their dead-letter queue.
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension SQSService {
    /// The queues of the dead-letter queue's account and region whose `RedrivePolicy` targets `deadLetterArn`, by name.
    func deadLetterSources(of deadLetterArn: String, account: String, region: String) async throws -> [QueueRow] {
        var out: [QueueRow] = []
        for row in try await repository.queuesMentioning(deadLetterArn, account: account, region: region) {
            if try QueueRecord.decode(row.doc).redrive?.arn == deadLetterArn { out.append(row) }
        }
        return out
    }

    func listDeadLetterSourceQueues(_ input: SQS.ListDeadLetterSourceQueuesRequest,
                                    context c: RequestContext) async throws -> SQS.ListDeadLetterSourceQueuesResult {
        let (row, _) = try await resolve(input.queueUrl, c)
        // Paging as ListQueues pages (the same limits and texts: API Reference, MaxResults "Value range is 1 to 1000.
        // You must set MaxResults to receive a value for NextToken in the response.").
        if let m = input.maxResults, !(1...1000).contains(m) {
            throw Self.invalidValue("Value \(m) for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.")
        }
        if input.nextToken != nil && input.maxResults == nil {
            throw Self.invalidValue("MaxResults is a mandatory parameter when you provide a value for NextToken.")
        }
        var after: String?
        if let token = input.nextToken {
            guard let raw = Data(base64Encoded: token), let name = String(data: raw, encoding: .utf8) else {
                throw Self.invalidValue("Invalid NextToken value.")
            }
            after = name
        }
        let sources = try await deadLetterSources(of: Self.queueArn(c, row.name), account: row.account, region: row.region)
            .filter { source in after.map { source.name > $0 } ?? true }
        let limit = input.maxResults ?? 1000
        let page = sources.prefix(limit)
        let next = input.maxResults != nil && sources.count > limit ? page.last.map { Data($0.name.utf8).base64EncodedString() } : nil
        return SQS.ListDeadLetterSourceQueuesResult(queueUrls: page.map { Self.queueUrl(c, account: $0.account, name: $0.name) },
                                                    nextToken: next)
    }
}
