// Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant, and grant-token checks.
// Grants are stored and validated now; enforcing them on every call comes with the IAM evaluator.
import Crypto
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

/// What a grant allows, as stored beside its row.
struct GrantDocument: Codable, Sendable, Equatable {
    var operations: [String]
    var subset: [String: String]?
    var equals: [String: String]?
    var token: String
    var issuingAccount: String
}

extension KMSService {
    /// Operations a grant may name, per key type (KMS's grant rules).
    static func grantableOperations(_ key: LoadedKey) -> Set<String> {
        let common: Set<String> = ["CreateGrant", "RetireGrant", "DescribeKey"]
        switch (key.info.family, key.record.keyUsage) {
        case (.symmetric, _):
            return common.union(["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom",
                                 "ReEncryptTo", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"])
        case (.hmac, _):
            return common.union(["GenerateMac", "VerifyMac"])
        case (_, KMS.KeyUsageType.signVerify.rawValue):
            return common.union(["Sign", "Verify", "GetPublicKey"])
        case (_, KMS.KeyUsageType.keyAgreement.rawValue):
            return common.union(["DeriveSharedSecret", "GetPublicKey"])
        default:
            return common.union(["Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"])
        }
    }

    static func validPrincipal(_ p: String) -> Bool {
        (p.hasPrefix("arn:") && p.split(separator: ":", omittingEmptySubsequences: false).count >= 6) || p.hasSuffix(".amazonaws.com")
    }

    // Grant tokens: base64 of version 0x01, the 32-byte grant id, 32 random bytes.
    static func makeGrantToken(grantId: String) -> String {
        let random = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        return Data([0x01] + (Hex.decode(grantId) ?? []) + random).base64EncodedString()
    }

    static func grantId(fromToken token: String) -> String? {
        guard let raw = Data(base64Encoded: token), raw.count == 65, raw.first == 0x01 else { return nil }
        return Hex.encode(raw[raw.startIndex + 1..<raw.startIndex + 33])
    }

    /// Every token a request carries must be one Warden issued.
    static func checkGrantTokens(_ tokens: [String]?) throws(AWSError) {
        for t in tokens ?? [] where grantId(fromToken: t) == nil {
            throw KMS.Errors.invalidGrantTokenException("The grant token is not valid.")
        }
    }

    static func isGrantIdShaped(_ id: String) -> Bool {
        id.utf8.count == 64 && Hex.decode(id) != nil
    }

    func createGrant(_ input: KMS.CreateGrantRequest, context c: RequestContext) async throws -> KMS.CreateGrantResponse {
        try Self.checkGrantTokens(input.grantTokens)
        // Under the key's lock: two requests with one grant name cannot both create it, and the key's state is current.
        return try await withKeyForUpdate(input.keyId, c) { key in
            try Self.requireCustomerManaged(key, c, action: "CreateGrant")
            try Self.requireUsable(key)
            for p in [input.granteePrincipal] + (input.retiringPrincipal.map { [$0] } ?? []) where !Self.validPrincipal(p) {
                throw Self.validation("\(p) is not a valid principal.")
            }
            let ops = input.operations.map(\.rawValue)
            guard !ops.isEmpty else { throw Self.validation("A grant must allow at least one operation.") }
            let allowed = Self.grantableOperations(key)
            if let bad = ops.first(where: { !allowed.contains($0) }) {
                throw Self.validation("Grant operation \(bad) is not valid for a \(key.record.keySpec) key with usage \(key.record.keyUsage).")
            }
            let subset = input.constraints?.encryptionContextSubset
            let equals = input.constraints?.encryptionContextEquals
            if subset != nil, equals != nil {
                throw Self.validation("A grant can have EncryptionContextEquals or EncryptionContextSubset, not both.")
            }
            if subset != nil || equals != nil, !key.info.isSymmetric {
                throw Self.validation("Encryption context grant constraints are valid only for symmetric encryption keys.")
            }
            try Self.dryRun(input.dryRun)
            let existing = try await repository.grants(account: c.account, region: c.region, keyId: key.record.keyId)
            if let name = input.name {
                // Retrying with the same name and the same parameters returns the same grant.
                for g in existing where g.name == name && g.grantee == input.granteePrincipal && g.retiring == input.retiringPrincipal {
                    if let doc = try? JSONDecoder().decode(GrantDocument.self, from: Data(g.doc.utf8)),
                       doc.operations == ops, doc.subset == subset, doc.equals == equals {
                        return KMS.CreateGrantResponse(grantToken: doc.token, grantId: g.grantId)
                    }
                }
            }
            let id = Self.newMaterialId()
            let doc = GrantDocument(operations: ops, subset: subset, equals: equals, token: Self.makeGrantToken(grantId: id),
                                    issuingAccount: "arn:\(c.partition.rawValue):iam::\(c.account):root")
            let text = String(decoding: try JSONEncoder().encode(doc), as: UTF8.self)
            try await repository.insertGrant(account: c.account, region: c.region, KMSGrantRow(
                grantId: id, keyId: key.record.keyId, grantee: input.granteePrincipal, retiring: input.retiringPrincipal,
                name: input.name, createdAtMillis: Int64(now().timeIntervalSince1970 * 1000), doc: text))
            return KMS.CreateGrantResponse(grantToken: doc.token, grantId: id)
        }
    }

    static func entry(_ g: KMSGrantRow, _ c: RequestContext) -> KMS.GrantListEntry {
        let doc = try? JSONDecoder().decode(GrantDocument.self, from: Data(g.doc.utf8))
        let constraints: KMS.GrantConstraints? = (doc?.subset != nil || doc?.equals != nil)
            ? KMS.GrantConstraints(encryptionContextSubset: doc?.subset, encryptionContextEquals: doc?.equals) : nil
        return KMS.GrantListEntry(
            keyId: keyArn(c, g.keyId), grantId: g.grantId, name: g.name,
            creationDate: Date(timeIntervalSince1970: Double(g.createdAtMillis) / 1000), granteePrincipal: g.grantee,
            retiringPrincipal: g.retiring, issuingAccount: doc?.issuingAccount,
            operations: doc?.operations.map { KMS.GrantOperation(rawValue: $0) }, constraints: constraints)
    }

    /// One page of grants; the marker is the last grant id of the previous page.
    static func page(_ rows: [KMSGrantRow], limit: Int?, marker: String?, _ c: RequestContext) throws(AWSError) -> ([KMS.GrantListEntry], String?) {
        var start = 0
        if let m = marker {
            guard let i = rows.firstIndex(where: { $0.grantId == m }) else {
                throw KMS.Errors.invalidMarkerException("The marker that specifies where pagination should next begin is not valid.")
            }
            start = i + 1
        }
        let page = rows[start...].prefix(limit ?? 50)
        let more = start + page.count < rows.count
        return (page.map { entry($0, c) }, more ? page.last?.grantId : nil)
    }

    func listGrants(_ input: KMS.ListGrantsRequest, context c: RequestContext) async throws -> KMS.ListGrantsResponse {
        let key = try await resolve(input.keyId, c, aliases: false)
        if let g = input.grantId, !Self.isGrantIdShaped(g) { throw KMS.Errors.invalidGrantIdException("Grant ID \(g) is not valid.") }
        let rows = try await repository.grants(account: c.account, region: c.region, keyId: key.record.keyId).filter { g in
            (input.grantId.map { $0 == g.grantId } ?? true) && (input.granteePrincipal.map { $0 == g.grantee } ?? true)
        }
        let (entries, next) = try Self.page(rows, limit: input.limit, marker: input.marker, c)
        return KMS.ListGrantsResponse(grants: entries, nextMarker: next, truncated: next != nil)
    }

    func listRetirableGrants(_ input: KMS.ListRetirableGrantsRequest, context c: RequestContext) async throws -> KMS.ListGrantsResponse {
        let rows = try await repository.retirableGrants(account: c.account, region: c.region, retiring: input.retiringPrincipal)
        let (entries, next) = try Self.page(rows, limit: input.limit, marker: input.marker, c)
        return KMS.ListGrantsResponse(grants: entries, nextMarker: next, truncated: next != nil)
    }

    func retireGrant(_ input: KMS.RetireGrantRequest, context c: RequestContext) async throws -> EmptyShape {
        let grantId: String
        if let token = input.grantToken {
            guard let id = Self.grantId(fromToken: token) else {
                throw KMS.Errors.invalidGrantTokenException("The grant token is not valid.")
            }
            guard let g = try await repository.grant(account: c.account, region: c.region, grantId: id),
                  let doc = try? JSONDecoder().decode(GrantDocument.self, from: Data(g.doc.utf8)),
                  Self.constantTimeEqual(Array(doc.token.utf8), Array(token.utf8)) else {
                throw KMS.Errors.invalidGrantTokenException("The grant token is not valid.")
            }
            grantId = id
        } else if let keyId = input.keyId, let id = input.grantId {
            guard Self.isGrantIdShaped(id) else { throw KMS.Errors.invalidGrantIdException("Grant ID \(id) is not valid.") }
            let key = try await resolve(keyId, c, aliases: false)
            guard let g = try await repository.grant(account: c.account, region: c.region, grantId: id), g.keyId == key.record.keyId else {
                throw KMS.Errors.notFoundException("Grant ID \(id) not found.")
            }
            grantId = id
        } else {
            throw Self.validation("Either GrantToken, or both KeyId and GrantId, must be specified.")
        }
        try Self.dryRun(input.dryRun)
        try await repository.deleteGrant(account: c.account, region: c.region, grantId: grantId)
        return EmptyShape()
    }

    func revokeGrant(_ input: KMS.RevokeGrantRequest, context c: RequestContext) async throws -> EmptyShape {
        guard Self.isGrantIdShaped(input.grantId) else { throw KMS.Errors.invalidGrantIdException("Grant ID \(input.grantId) is not valid.") }
        let key = try await resolve(input.keyId, c, aliases: false)
        guard let g = try await repository.grant(account: c.account, region: c.region, grantId: input.grantId), g.keyId == key.record.keyId else {
            throw KMS.Errors.notFoundException("Grant ID \(input.grantId) not found.")
        }
        try Self.dryRun(input.dryRun)
        try await repository.deleteGrant(account: c.account, region: c.region, grantId: input.grantId)
        return EmptyShape()
    }
}
