// Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.
import Foundation
import WardenAPI
import WardenCore

extension KMSService {
    /// AWS's alias rules: `alias/` then letters, digits, `/`, `_` and `-` (1–256 characters in all, the model's
    /// length check); `alias/aws/` is AWS's.
    static func checkAliasName(_ name: String) throws(AWSError) {
        // Recorded from AWS (with the link). A bare "alias/" is not recorded; it gets the same answer here.
        guard name.hasPrefix("alias/"), name.count > 6 else {
            throw validation("Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")
        }
        // The model's pattern admits ':', which AWS's documented alias characters do not. AWS's text here is not
        // recorded; this is moto's wording (UNVERIFIED against AWS).
        guard name.utf8.dropFirst(6).allSatisfy(isAliasCharacter) else { throw validation("\(name) contains invalid characters for an alias") }
        // AWS's text for the reserved prefix is not recorded; Warden's own wording is kept.
        if name.hasPrefix("alias/aws/") {
            throw KMS.Errors.invalidAliasNameException("Alias names beginning with alias/aws/ are reserved for AWS managed keys.")
        }
    }

    /// Letters, digits, '/', '_' and '-' (AWS's documented alias characters).
    static func isAliasCharacter(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "/"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// The key an alias may point at: a customer managed key, not pending deletion.
    private func aliasTarget(_ keyId: String, _ c: RequestContext, action: String) async throws -> LoadedKey {
        let key = try await resolve(keyId, c, aliases: false)
        try Self.requireCustomerManaged(key, c, action: action)
        try Self.requireNotPendingDeletion(key)
        return key
    }

    func createAlias(_ input: KMS.CreateAliasRequest, context c: RequestContext) async throws -> EmptyShape {
        try Self.checkAliasName(input.aliasName)
        let key = try await aliasTarget(input.targetKeyId, c, action: "CreateAlias")
        let created = try await repository.createAlias(account: c.account, region: c.region, name: input.aliasName,
                                                       keyId: key.record.keyId, nowMillis: Int64(now().timeIntervalSince1970 * 1000))
        guard created else {
            throw KMS.Errors.alreadyExistsException("An alias with the name \(Self.aliasArn(c, input.aliasName)) already exists")
        }
        store.invalidateAliases()
        return EmptyShape()
    }

    func updateAlias(_ input: KMS.UpdateAliasRequest, context c: RequestContext) async throws -> EmptyShape {
        try Self.checkAliasName(input.aliasName)
        // Under the alias's lock, with its current target read from storage: the type check compares against the
        // key the alias points at when it is changed, not one a concurrent UpdateAlias has just replaced.
        return try await locks.withLock(Self.aliasLockName(c, input.aliasName)) {
            guard let currentId = try await repository.alias(account: c.account, region: c.region, name: input.aliasName)?.keyId else {
                throw KMS.Errors.notFoundException("Alias \(Self.aliasArn(c, input.aliasName)) is not found.")
            }
            let key = try await aliasTarget(input.targetKeyId, c, action: "UpdateAlias")
            if let current = try await store.key(account: c.account, region: c.region, keyId: currentId),
               current.record.keyUsage != key.record.keyUsage || current.info.isSymmetric != key.info.isSymmetric {
                throw Self.validation("The new target key must have the same key type and key usage as the current target key.")
            }
            guard try await repository.updateAlias(account: c.account, region: c.region, name: input.aliasName,
                                                   keyId: key.record.keyId, nowMillis: Int64(now().timeIntervalSince1970 * 1000)) else {
                throw KMS.Errors.notFoundException("Alias \(Self.aliasArn(c, input.aliasName)) is not found.")
            }
            store.invalidateAliases()
            return EmptyShape()
        }
    }

    func deleteAlias(_ input: KMS.DeleteAliasRequest, context c: RequestContext) async throws -> EmptyShape {
        try Self.checkAliasName(input.aliasName)
        guard try await repository.deleteAlias(account: c.account, region: c.region, name: input.aliasName) else {
            throw KMS.Errors.notFoundException("Alias \(Self.aliasArn(c, input.aliasName)) is not found.")
        }
        store.invalidateAliases()
        return EmptyShape()
    }

    func listAliases(_ input: KMS.ListAliasesRequest, context c: RequestContext) async throws -> KMS.ListAliasesResponse {
        var keyFilter: String?
        if let k = input.keyId { keyFilter = try await resolve(k, c, aliases: false).record.keyId }
        let rows = try await repository.listAliases(account: c.account, region: c.region, keyId: keyFilter)
        if let m = input.marker, !m.hasPrefix("alias/") {
            throw KMS.Errors.invalidMarkerException("The marker that specifies where pagination should next begin is not valid.")
        }
        let limit = input.limit ?? 50
        let remaining = input.marker.map { m in rows.filter { $0.name > m } } ?? rows
        let page = remaining.prefix(limit)
        let truncated = remaining.count > limit
        return KMS.ListAliasesResponse(
            aliases: page.map { r in
                KMS.AliasListEntry(aliasName: r.name, aliasArn: Self.aliasArn(c, r.name), targetKeyId: r.keyId,
                                   creationDate: Date(timeIntervalSince1970: Double(r.createdAtMillis) / 1000),
                                   lastUpdatedDate: Date(timeIntervalSince1970: Double(r.updatedAtMillis) / 1000))
            },
            nextMarker: truncated ? page.last?.name : nil, truncated: truncated)
    }
}
