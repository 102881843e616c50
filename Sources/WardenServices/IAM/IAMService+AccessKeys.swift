// Access keys of IAM users (and of the root, when the root calls without UserName).
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension IAMService {
    /// Whose keys a call means.
    enum KeyOwner: Sendable {
        case user(String)
        case root
    }

    /// UserName given, or omitted: the calling IAM user's own keys, or the root's own for the root; any other caller
    /// must name the user (text recorded from IAM).
    static func keyOwner(_ userName: String?, _ c: RequestContext) throws -> KeyOwner {
        if let userName { return .user(userName) }
        if let own = callerUserName(c) { return .user(own) }
        if let p = c.principal, p.kind == .root, p.account == c.account { return .root }
        throw validation("Must specify userName when calling with non-User credentials")
    }

    /// The owner's stored user name (nil for the root), after checking the user exists.
    func ownerName(_ t: IAMTx, _ owner: KeyOwner) async throws -> String? {
        switch owner {
        case .root: return nil
        case .user(let name): return try await user(t, name).name
        }
    }

    /// "The Access Key with id X cannot be found." (recorded from IAM).
    static func noSuchAccessKey(_ id: String) -> AWSError {
        IAM.Errors.noSuchEntityException("The Access Key with id \(id) cannot be found.")
    }

    func createAccessKey(_ input: IAM.CreateAccessKeyRequest, context c: RequestContext) async throws -> IAM.CreateAccessKeyResponse {
        let owner = try Self.keyOwner(input.userName, c)
        let (record, secret) = try await write(c) { t -> (record: AccessKeyRecord, secret: String) in
            let name = try await self.ownerName(t, owner)
            let existing = try await self.accessKeys.keys(account: c.account, userName: name, in: t.sql)
            // Recorded from IAM.
            guard existing.count < 2 else { throw Self.limit("Cannot exceed quota for AccessKeysPerUser: 2") }
            return try await self.accessKeys.create(account: c.account, userName: name, in: t.sql)
        }
        return IAM.CreateAccessKeyResponse(accessKey: IAM.AccessKey(
            userName: record.userName ?? "", accessKeyId: record.accessKeyId, status: .active, secretAccessKey: secret,
            createDate: Self.date(record.createdAtMillis)))
    }

    func listAccessKeys(_ input: IAM.ListAccessKeysRequest, context c: RequestContext) async throws -> IAM.ListAccessKeysResponse {
        let owner = try Self.keyOwner(input.userName, c)
        let keys = try await read(c) { t -> [AccessKeyRecord] in
            let name = try await self.ownerName(t, owner)
            return try await self.accessKeys.keys(account: c.account, userName: name, in: t.sql)
        }
        let page = try Self.page(keys, maxItems: input.maxItems, marker: input.marker)
        let metadata = page.items.map {
            IAM.AccessKeyMetadata(userName: $0.userName, accessKeyId: $0.accessKeyId, status: IAM.statusType(rawValue: $0.status),
                                  createDate: Self.date($0.createdAtMillis))
        }
        return IAM.ListAccessKeysResponse(accessKeyMetadata: metadata, isTruncated: page.isTruncated, marker: page.marker)
    }

    func updateAccessKey(_ input: IAM.UpdateAccessKeyRequest, context c: RequestContext) async throws -> EmptyShape {
        let owner = try Self.keyOwner(input.userName, c)
        guard input.status == .active || input.status == .inactive else {
            // AWS's text for this case is not known.
            throw Self.validation("Status must be Active or Inactive.")
        }
        try await write(c) { t in
            let name = try await self.ownerName(t, owner)
            let found = try await self.accessKeys.setStatus(account: c.account, userName: name, id: input.accessKeyId,
                                                            status: input.status.rawValue, in: t.sql)
            guard found else { throw Self.noSuchAccessKey(input.accessKeyId) }
        }
        return EmptyShape()
    }

    func deleteAccessKey(_ input: IAM.DeleteAccessKeyRequest, context c: RequestContext) async throws -> EmptyShape {
        let owner = try Self.keyOwner(input.userName, c)
        try await write(c) { t in
            let name = try await self.ownerName(t, owner)
            let found = try await self.accessKeys.delete(account: c.account, userName: name, id: input.accessKeyId, in: t.sql)
            guard found else { throw Self.noSuchAccessKey(input.accessKeyId) }
        }
        return EmptyShape()
    }

    /// Any key of the caller's account; another account's key, or one that does not exist, is refused as IAM refuses
    /// it (recorded: AccessDenied naming the key). Never used: "N/A" for service and region (recorded).
    func getAccessKeyLastUsed(_ input: IAM.GetAccessKeyLastUsedRequest, context c: RequestContext) async throws -> IAM.GetAccessKeyLastUsedResponse {
        guard let record = try await accessKeys.record(input.accessKeyId), record.account == c.account else {
            let caller = c.principal?.arn ?? "arn:\(c.partition.rawValue):iam::\(c.account):root"
            throw AWSError(code: "AccessDenied", status: 403,
                           message: "User: \(caller) is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key \(input.accessKeyId)")
        }
        let used = IAM.AccessKeyLastUsed(lastUsedDate: record.lastUsedMillis.map(Self.date), serviceName: record.lastUsedService ?? "N/A",
                                         region: record.lastUsedRegion ?? "N/A")
        return IAM.GetAccessKeyLastUsedResponse(userName: record.userName, accessKeyLastUsed: used)
    }
}
