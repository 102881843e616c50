// IAM state, per account (IAM is global): users, groups and roles, customer managed policies and their versions,
// inline policies, attachments, group membership, OpenID Connect providers.
//
// Every write runs in one transaction that first bumps the account's `iam_generation` row. That upsert locks the row
// until commit on PostgreSQL (SQLite has one writer anyway), so one account's IAM writes are serialized in the
// database, across nodes: every invariant the service checks inside `write` (at most two access keys, five policy
// versions, ten attached policies, no deletion while something still refers to an entity) still holds at commit.
import Foundation
import Synchronization

public enum IAMEntityKind: String, Sendable { case user, group, role }

public struct IAMEntityRow: Sendable, Equatable {
    public var kind: IAMEntityKind
    public var account: String
    public var name: String
    public var id: String
    public var path: String
    public var createdAtMillis: Int64
    /// The permissions boundary's policy id (users and roles).
    public var boundaryId: String?
    /// The service's document (tags, a role's trust policy, description, ...).
    public var doc: String
    public init(kind: IAMEntityKind, account: String, name: String, id: String, path: String, createdAtMillis: Int64,
                boundaryId: String?, doc: String) {
        self.kind = kind
        self.account = account
        self.name = name
        self.id = id
        self.path = path
        self.createdAtMillis = createdAtMillis
        self.boundaryId = boundaryId
        self.doc = doc
    }
}

/// A customer managed policy; `nextVersion` is the number the next CreatePolicyVersion gets (numbers are not reused).
public struct IAMPolicyRow: Sendable, Equatable {
    public var account: String
    public var name: String
    public var id: String
    public var path: String
    public var createdAtMillis: Int64
    public var updatedAtMillis: Int64
    public var defaultVersion: Int
    public var nextVersion: Int
    public var doc: String
    public init(account: String, name: String, id: String, path: String, createdAtMillis: Int64, updatedAtMillis: Int64,
                defaultVersion: Int, nextVersion: Int, doc: String) {
        self.account = account
        self.name = name
        self.id = id
        self.path = path
        self.createdAtMillis = createdAtMillis
        self.updatedAtMillis = updatedAtMillis
        self.defaultVersion = defaultVersion
        self.nextVersion = nextVersion
        self.doc = doc
    }
}

public struct IAMPolicyVersionRow: Sendable, Equatable {
    public var version: Int
    public var document: String
    public var createdAtMillis: Int64
    public init(version: Int, document: String, createdAtMillis: Int64) {
        self.version = version
        self.document = document
        self.createdAtMillis = createdAtMillis
    }
}

public struct IAMOIDCRow: Sendable, Equatable {
    /// Host and path, without the scheme (the ARN's resource after `oidc-provider/`).
    public var url: String
    public var createdAtMillis: Int64
    public var doc: String
    public init(url: String, createdAtMillis: Int64, doc: String) {
        self.url = url
        self.createdAtMillis = createdAtMillis
        self.doc = doc
    }
}

public struct IAMRepository: Sendable {
    public let db: any SQLDatabase

    public init(db: any SQLDatabase) { self.db = db }

    /// Runs `body` in one transaction after bumping (and so locking) the account's generation.
    public func write<T: Sendable>(account: String, _ body: @Sendable (IAMTx) async throws -> T) async throws -> T {
        try await db.transaction { tx in
            try await tx.execute(
                """
                INSERT INTO iam_generation (account_id, generation) VALUES (?, 1)
                ON CONFLICT (account_id) DO UPDATE SET generation = iam_generation.generation + 1
                """, [.text(account)])
            return try await body(IAMTx(sql: tx, account: account))
        }
    }

    /// Runs reads of committed state.
    public func read<T: Sendable>(account: String, _ body: @Sendable (IAMTx) async throws -> T) async throws -> T {
        try await db.read { tx in try await body(IAMTx(sql: tx, account: account)) }
    }

    /// The account's generation: it changes with every committed IAM write.
    public func generation(account: String) async throws -> Int64 {
        try await db.read { tx in
            try await tx.query("SELECT generation FROM iam_generation WHERE account_id = ?", [.text(account)]).first?[0].int ?? 0
        }
    }
}

/// The statements IAM runs, inside `IAMRepository.write` or `read`, for one account.
public struct IAMTx: Sendable {
    /// The transaction, for statements of other repositories that must share it (access keys).
    public let sql: any SQLExecutor
    public let account: String

    static let entityColumns = "kind, account_id, name, entity_id, path, created_at_ms, boundary_id, doc"
    static let joinedEntityColumns = "e.kind, e.account_id, e.name, e.entity_id, e.path, e.created_at_ms, e.boundary_id, e.doc"
    static let policyColumns = "account_id, name, policy_id, path, created_at_ms, updated_at_ms, default_version, next_version, doc"

    static func entityRow(_ r: SQLRow) -> IAMEntityRow {
        IAMEntityRow(kind: IAMEntityKind(rawValue: r[0].text ?? "") ?? .user, account: r[1].text ?? "", name: r[2].text ?? "",
                     id: r[3].text ?? "", path: r[4].text ?? "/", createdAtMillis: r[5].int ?? 0, boundaryId: r[6].text,
                     doc: r[7].text ?? "{}")
    }

    static func policyRow(_ r: SQLRow) -> IAMPolicyRow {
        IAMPolicyRow(account: r[0].text ?? "", name: r[1].text ?? "", id: r[2].text ?? "", path: r[3].text ?? "/",
                     createdAtMillis: r[4].int ?? 0, updatedAtMillis: r[5].int ?? 0, defaultVersion: Int(r[6].int ?? 1),
                     nextVersion: Int(r[7].int ?? 2), doc: r[8].text ?? "{}")
    }

    /// IAM names are unique regardless of case; lookups by name ignore case too.
    static func key(_ name: String) -> String { name.lowercased() }

    func count(_ sql: String, _ binds: [SQLValue]) async throws -> Int {
        Int(try await self.sql.query(sql, binds).first?[0].int ?? 0)
    }

    // MARK: users, groups, roles

    public func entity(_ kind: IAMEntityKind, name: String) async throws -> IAMEntityRow? {
        try await sql.query("SELECT \(Self.entityColumns) FROM iam_entities WHERE account_id = ? AND kind = ? AND name_key = ?",
                            [.text(account), .text(kind.rawValue), .text(Self.key(name))]).first.map(Self.entityRow)
    }

    public func entity(id: String) async throws -> IAMEntityRow? {
        try await sql.query("SELECT \(Self.entityColumns) FROM iam_entities WHERE account_id = ? AND entity_id = ?",
                            [.text(account), .text(id)]).first.map(Self.entityRow)
    }

    /// All entities of a kind, by name.
    public func entities(_ kind: IAMEntityKind) async throws -> [IAMEntityRow] {
        try await sql.query("SELECT \(Self.entityColumns) FROM iam_entities WHERE account_id = ? AND kind = ? ORDER BY name_key",
                            [.text(account), .text(kind.rawValue)]).map(Self.entityRow)
    }

    public func entityCount(_ kind: IAMEntityKind) async throws -> Int {
        try await count("SELECT COUNT(*) FROM iam_entities WHERE account_id = ? AND kind = ?", [.text(account), .text(kind.rawValue)])
    }

    /// Inserts the entity; false when one of that kind and name (in any case) exists.
    public func insert(_ e: IAMEntityRow) async throws -> Bool {
        if try await entity(e.kind, name: e.name) != nil { return false }
        try await sql.execute(
            "INSERT INTO iam_entities (account_id, kind, name_key, name, entity_id, path, created_at_ms, boundary_id, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [.text(account), .text(e.kind.rawValue), .text(Self.key(e.name)), .text(e.name), .text(e.id), .text(e.path),
             .int(e.createdAtMillis), SQLValue(e.boundaryId), .text(e.doc)])
        return true
    }

    /// Writes name, path, boundary and document of the entity with `e.id` (the caller checked a new name is free).
    public func update(_ e: IAMEntityRow) async throws {
        try await sql.execute(
            "UPDATE iam_entities SET name_key = ?, name = ?, path = ?, boundary_id = ?, doc = ? WHERE account_id = ? AND entity_id = ?",
            [.text(Self.key(e.name)), .text(e.name), .text(e.path), SQLValue(e.boundaryId), .text(e.doc), .text(account), .text(e.id)])
    }

    /// Deletes the entity with whatever still refers to it (the service refuses while anything does, as IAM).
    public func delete(entityId: String) async throws {
        try await sql.execute("DELETE FROM iam_entities WHERE account_id = ? AND entity_id = ?", [.text(account), .text(entityId)])
        try await sql.execute("DELETE FROM iam_inline_policies WHERE entity_id = ?", [.text(entityId)])
        try await sql.execute("DELETE FROM iam_attachments WHERE entity_id = ?", [.text(entityId)])
        try await sql.execute("DELETE FROM iam_group_members WHERE group_id = ? OR user_id = ?", [.text(entityId), .text(entityId)])
    }

    /// Users and roles whose permissions boundary is the policy.
    public func entities(boundaryId: String) async throws -> [IAMEntityRow] {
        try await sql.query("SELECT \(Self.entityColumns) FROM iam_entities WHERE account_id = ? AND boundary_id = ? ORDER BY kind, name_key",
                            [.text(account), .text(boundaryId)]).map(Self.entityRow)
    }

    /// How many users and roles use each policy as their boundary.
    public func boundaryCounts() async throws -> [String: Int] {
        let rows = try await sql.query(
            "SELECT boundary_id, COUNT(*) FROM iam_entities WHERE account_id = ? AND boundary_id IS NOT NULL GROUP BY boundary_id",
            [.text(account)])
        return Dictionary(rows.map { ($0[0].text ?? "", Int($0[1].int ?? 0)) }, uniquingKeysWith: +)
    }

    // MARK: group membership

    /// Adds the user to the group; false when already a member.
    public func addMember(groupId: String, userId: String) async throws -> Bool {
        let found = try await count("SELECT COUNT(*) FROM iam_group_members WHERE group_id = ? AND user_id = ?", [.text(groupId), .text(userId)])
        if found > 0 { return false }
        try await sql.execute("INSERT INTO iam_group_members (account_id, group_id, user_id) VALUES (?, ?, ?)",
                              [.text(account), .text(groupId), .text(userId)])
        return true
    }

    public func removeMember(groupId: String, userId: String) async throws {
        try await sql.execute("DELETE FROM iam_group_members WHERE group_id = ? AND user_id = ?", [.text(groupId), .text(userId)])
    }

    /// The group's users, by name.
    public func members(groupId: String) async throws -> [IAMEntityRow] {
        try await sql.query(
            """
            SELECT \(Self.joinedEntityColumns)
            FROM iam_entities e JOIN iam_group_members m ON m.user_id = e.entity_id
            WHERE m.group_id = ? AND e.account_id = ? ORDER BY e.name_key
            """, [.text(groupId), .text(account)]).map(Self.entityRow)
    }

    /// The user's groups, by name.
    public func groups(userId: String) async throws -> [IAMEntityRow] {
        try await sql.query(
            """
            SELECT \(Self.joinedEntityColumns)
            FROM iam_entities e JOIN iam_group_members m ON m.group_id = e.entity_id
            WHERE m.user_id = ? AND e.account_id = ? ORDER BY e.name_key
            """, [.text(userId), .text(account)]).map(Self.entityRow)
    }

    // MARK: inline policies

    /// The entity's inline policies, by name.
    public func inlinePolicies(entityId: String) async throws -> [(name: String, document: String)] {
        try await sql.query("SELECT policy_name, document FROM iam_inline_policies WHERE entity_id = ? ORDER BY policy_name",
                            [.text(entityId)]).map { (name: $0[0].text ?? "", document: $0[1].text ?? "") }
    }

    public func inlinePolicy(entityId: String, name: String) async throws -> String? {
        try await sql.query("SELECT document FROM iam_inline_policies WHERE entity_id = ? AND policy_name = ?",
                            [.text(entityId), .text(name)]).first?[0].text
    }

    /// Creates or replaces an inline policy.
    public func putInlinePolicy(entityId: String, name: String, document: String) async throws {
        try await sql.execute("DELETE FROM iam_inline_policies WHERE entity_id = ? AND policy_name = ?", [.text(entityId), .text(name)])
        try await sql.execute("INSERT INTO iam_inline_policies (account_id, entity_id, policy_name, document) VALUES (?, ?, ?, ?)",
                              [.text(account), .text(entityId), .text(name), .text(document)])
    }

    public func deleteInlinePolicy(entityId: String, name: String) async throws {
        try await sql.execute("DELETE FROM iam_inline_policies WHERE entity_id = ? AND policy_name = ?", [.text(entityId), .text(name)])
    }

    // MARK: attachments

    /// Ids of the managed policies attached to the entity, in the order they were attached.
    public func attachedPolicyIds(entityId: String) async throws -> [String] {
        try await sql.query("SELECT policy_id FROM iam_attachments WHERE entity_id = ? ORDER BY attached_at_ms, policy_id",
                            [.text(entityId)]).map { $0[0].text ?? "" }
    }

    /// Attaches; false when already attached.
    public func attach(entityId: String, policyId: String, atMillis: Int64) async throws -> Bool {
        let found = try await count("SELECT COUNT(*) FROM iam_attachments WHERE entity_id = ? AND policy_id = ?", [.text(entityId), .text(policyId)])
        if found > 0 { return false }
        try await sql.execute("INSERT INTO iam_attachments (account_id, entity_id, policy_id, attached_at_ms) VALUES (?, ?, ?, ?)",
                              [.text(account), .text(entityId), .text(policyId), .int(atMillis)])
        return true
    }

    /// Detaches; false when it was not attached.
    public func detach(entityId: String, policyId: String) async throws -> Bool {
        let found = try await count("SELECT COUNT(*) FROM iam_attachments WHERE entity_id = ? AND policy_id = ?", [.text(entityId), .text(policyId)])
        if found == 0 { return false }
        try await sql.execute("DELETE FROM iam_attachments WHERE entity_id = ? AND policy_id = ?", [.text(entityId), .text(policyId)])
        return true
    }

    /// The users, groups and roles the policy is attached to.
    public func attachedEntities(policyId: String) async throws -> [IAMEntityRow] {
        try await sql.query(
            """
            SELECT \(Self.joinedEntityColumns)
            FROM iam_entities e JOIN iam_attachments a ON a.entity_id = e.entity_id
            WHERE a.account_id = ? AND a.policy_id = ? ORDER BY e.kind, e.name_key
            """, [.text(account), .text(policyId)]).map(Self.entityRow)
    }

    /// How many entities of the account each policy (customer or AWS managed) is attached to.
    public func attachmentCounts() async throws -> [String: Int] {
        let rows = try await sql.query("SELECT policy_id, COUNT(*) FROM iam_attachments WHERE account_id = ? GROUP BY policy_id", [.text(account)])
        return Dictionary(rows.map { ($0[0].text ?? "", Int($0[1].int ?? 0)) }, uniquingKeysWith: +)
    }

    // MARK: managed policies

    public func policy(name: String) async throws -> IAMPolicyRow? {
        try await sql.query("SELECT \(Self.policyColumns) FROM iam_policies WHERE account_id = ? AND name_key = ?",
                            [.text(account), .text(Self.key(name))]).first.map(Self.policyRow)
    }

    public func policy(id: String) async throws -> IAMPolicyRow? {
        try await sql.query("SELECT \(Self.policyColumns) FROM iam_policies WHERE account_id = ? AND policy_id = ?",
                            [.text(account), .text(id)]).first.map(Self.policyRow)
    }

    /// The account's customer managed policies, by name.
    public func policies() async throws -> [IAMPolicyRow] {
        try await sql.query("SELECT \(Self.policyColumns) FROM iam_policies WHERE account_id = ? ORDER BY name_key",
                            [.text(account)]).map(Self.policyRow)
    }

    public func policyCount() async throws -> Int {
        try await count("SELECT COUNT(*) FROM iam_policies WHERE account_id = ?", [.text(account)])
    }

    /// Inserts the policy and its first version (v`p.defaultVersion`); false when a policy of that name exists.
    public func insert(_ p: IAMPolicyRow, document: String) async throws -> Bool {
        if try await policy(name: p.name) != nil { return false }
        try await sql.execute(
            "INSERT INTO iam_policies (account_id, name_key, name, policy_id, path, created_at_ms, updated_at_ms, default_version, next_version, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [.text(account), .text(Self.key(p.name)), .text(p.name), .text(p.id), .text(p.path), .int(p.createdAtMillis),
             .int(p.updatedAtMillis), .int(Int64(p.defaultVersion)), .int(Int64(p.nextVersion)), .text(p.doc)])
        try await insertVersion(policyId: p.id, IAMPolicyVersionRow(version: p.defaultVersion, document: document, createdAtMillis: p.createdAtMillis))
        return true
    }

    /// Writes the policy's default and next version numbers, update time and document.
    public func update(_ p: IAMPolicyRow) async throws {
        try await sql.execute(
            "UPDATE iam_policies SET updated_at_ms = ?, default_version = ?, next_version = ?, doc = ? WHERE account_id = ? AND policy_id = ?",
            [.int(p.updatedAtMillis), .int(Int64(p.defaultVersion)), .int(Int64(p.nextVersion)), .text(p.doc), .text(account), .text(p.id)])
    }

    public func delete(policyId: String) async throws {
        try await sql.execute("DELETE FROM iam_policies WHERE account_id = ? AND policy_id = ?", [.text(account), .text(policyId)])
        try await sql.execute("DELETE FROM iam_policy_versions WHERE policy_id = ?", [.text(policyId)])
    }

    /// The policy's versions, newest first.
    public func versions(policyId: String) async throws -> [IAMPolicyVersionRow] {
        try await sql.query("SELECT version, document, created_at_ms FROM iam_policy_versions WHERE policy_id = ? ORDER BY version DESC",
                            [.text(policyId)]).map { IAMPolicyVersionRow(version: Int($0[0].int ?? 0), document: $0[1].text ?? "", createdAtMillis: $0[2].int ?? 0) }
    }

    public func version(policyId: String, version: Int) async throws -> IAMPolicyVersionRow? {
        try await sql.query("SELECT version, document, created_at_ms FROM iam_policy_versions WHERE policy_id = ? AND version = ?",
                            [.text(policyId), .int(Int64(version))])
            .first.map { IAMPolicyVersionRow(version: Int($0[0].int ?? 0), document: $0[1].text ?? "", createdAtMillis: $0[2].int ?? 0) }
    }

    public func insertVersion(policyId: String, _ v: IAMPolicyVersionRow) async throws {
        try await sql.execute("INSERT INTO iam_policy_versions (policy_id, version, document, created_at_ms) VALUES (?, ?, ?, ?)",
                              [.text(policyId), .int(Int64(v.version)), .text(v.document), .int(v.createdAtMillis)])
    }

    public func deleteVersion(policyId: String, version: Int) async throws {
        try await sql.execute("DELETE FROM iam_policy_versions WHERE policy_id = ? AND version = ?", [.text(policyId), .int(Int64(version))])
    }

    // MARK: OpenID Connect providers

    public func oidcProvider(url: String) async throws -> IAMOIDCRow? {
        try await sql.query("SELECT url, created_at_ms, doc FROM iam_oidc_providers WHERE account_id = ? AND url = ?", [.text(account), .text(url)])
            .first.map { IAMOIDCRow(url: $0[0].text ?? "", createdAtMillis: $0[1].int ?? 0, doc: $0[2].text ?? "{}") }
    }

    public func oidcProviders() async throws -> [IAMOIDCRow] {
        try await sql.query("SELECT url, created_at_ms, doc FROM iam_oidc_providers WHERE account_id = ? ORDER BY url", [.text(account)])
            .map { IAMOIDCRow(url: $0[0].text ?? "", createdAtMillis: $0[1].int ?? 0, doc: $0[2].text ?? "{}") }
    }

    /// Inserts the provider; false when one with that URL exists.
    public func insert(_ p: IAMOIDCRow) async throws -> Bool {
        if try await oidcProvider(url: p.url) != nil { return false }
        try await sql.execute("INSERT INTO iam_oidc_providers (account_id, url, created_at_ms, doc) VALUES (?, ?, ?, ?)",
                              [.text(account), .text(p.url), .int(p.createdAtMillis), .text(p.doc)])
        return true
    }

    public func update(_ p: IAMOIDCRow) async throws {
        try await sql.execute("UPDATE iam_oidc_providers SET doc = ? WHERE account_id = ? AND url = ?", [.text(p.doc), .text(account), .text(p.url)])
    }

    public func deleteOIDCProvider(url: String) async throws {
        try await sql.execute("DELETE FROM iam_oidc_providers WHERE account_id = ? AND url = ?", [.text(account), .text(url)])
    }

    // MARK: access keys of users

    public func accessKeyCount(userName: String) async throws -> Int {
        try await count("SELECT COUNT(*) FROM access_keys WHERE account_id = ? AND user_name = ?", [.text(account), .text(userName)])
    }

    /// Root access keys the account has (GetAccountSummary's AccountAccessKeysPresent).
    public func rootAccessKeyCount() async throws -> Int {
        try await count("SELECT COUNT(*) FROM access_keys WHERE account_id = ? AND user_name IS NULL", [.text(account)])
    }

    /// A renamed user keeps its keys (their records show the new name, as IAM's do).
    public func renameAccessKeys(from old: String, to new: String) async throws {
        try await sql.execute("UPDATE access_keys SET user_name = ? WHERE account_id = ? AND user_name = ?", [.text(new), .text(account), .text(old)])
    }
}

// MARK: documents

/// A tag as IAM rows keep it (in the order it was first set).
public struct IAMTag: Codable, Sendable, Equatable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// What a user, group or role row keeps beyond its columns.
public struct IAMEntityDoc: Codable, Sendable, Equatable {
    public var tags: [IAMTag]?
    public var description: String?
    /// Roles: the trust policy, as given.
    public var trustPolicy: String?
    public var maxSessionDuration: Int?
    /// Roles: when and in which region the role was last used (RoleLastUsed).
    public var lastUsedMillis: Int64?
    public var lastUsedRegion: String?
    public init(tags: [IAMTag]? = nil, description: String? = nil, trustPolicy: String? = nil, maxSessionDuration: Int? = nil) {
        self.tags = tags
        self.description = description
        self.trustPolicy = trustPolicy
        self.maxSessionDuration = maxSessionDuration
    }
}

/// What a customer managed policy row keeps beyond its columns.
public struct IAMPolicyDoc: Codable, Sendable, Equatable {
    public var description: String?
    public var tags: [IAMTag]?
    public init(description: String? = nil, tags: [IAMTag]? = nil) {
        self.description = description
        self.tags = tags
    }
}

/// An OpenID Connect provider's client ids, thumbprints and tags.
public struct IAMOIDCDoc: Codable, Sendable, Equatable {
    public var clientIds: [String]
    public var thumbprints: [String]
    public var tags: [IAMTag]?
    public init(clientIds: [String], thumbprints: [String], tags: [IAMTag]? = nil) {
        self.clientIds = clientIds
        self.thumbprints = thumbprints
        self.tags = tags
    }
}

public enum IAMDocuments {
    public static func encode<T: Encodable>(_ value: T) -> String {
        (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(text.utf8)) } catch {
            throw StorageError("a stored IAM document does not decode: \(error)")
        }
    }
}

// MARK: AWS managed policies

/// An AWS managed policy's default version, as the authorizer needs it.
public struct AWSManagedPolicyInfo: Sendable {
    public let id: String
    public let path: String
    public let name: String
    public let document: String
    public init(id: String, path: String, name: String, document: String) {
        self.id = id
        self.path = path
        self.name = name
        self.document = document
    }
}

/// The AWS managed policies, installed once by the IAM service (their catalog is service data, not stored state), so
/// that attached ones and STS's PolicyArns resolve here too. Until installed, none resolves.
public final class AWSManagedPolicyCatalog: Sendable {
    public static let shared = AWSManagedPolicyCatalog()

    private struct Index: Sendable {
        var byId: [String: AWSManagedPolicyInfo]
        var byPathName: [String: AWSManagedPolicyInfo]
    }

    private let index = Mutex<Index?>(nil)

    public var isInstalled: Bool { index.withLock { $0 != nil } }

    public func install(_ policies: [AWSManagedPolicyInfo]) {
        let built = Index(byId: Dictionary(policies.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }),
                          byPathName: Dictionary(policies.map { ($0.path + $0.name, $0) }, uniquingKeysWith: { a, _ in a }))
        index.withLock { $0 = built }
    }

    public func policy(id: String) -> AWSManagedPolicyInfo? { index.withLock { $0?.byId[id] } }

    public func policy(path: String, name: String) -> AWSManagedPolicyInfo? { index.withLock { $0?.byPathName[path + name] } }
}

// MARK: what the authorizer and STS read

/// The policies that apply to a user or role: identity policies (inline, attached managed, and for users their
/// groups' inline and attached), the permissions boundary, and the principal's tags.
public struct PrincipalPolicies: Sendable {
    public var documents: [(id: String, json: String)]
    public var boundary: (id: String, json: String)?
    public var tags: [String: String]
    public init(documents: [(id: String, json: String)], boundary: (id: String, json: String)?, tags: [String: String]) {
        self.documents = documents
        self.boundary = boundary
        self.tags = tags
    }
}

extension IAMRepository {
    /// `arn:aws:iam::aws:policy/PATH/NAME` or `arn:PARTITION:iam::ACCOUNT:policy/PATH/NAME` split into owner, path, name.
    public static func policyARNParts(_ arn: String) -> (owner: String, path: String, name: String)? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "iam", parts[3].isEmpty, !parts[4].isEmpty,
              parts[5].hasPrefix("policy/") else { return nil }
        let rest = parts[5].dropFirst("policy".count)
        guard let slash = rest.lastIndex(of: "/") else { return nil }
        let name = String(rest[rest.index(after: slash)...])
        guard !name.isEmpty else { return nil }
        return (String(parts[4]), String(rest[...slash]), name)
    }

    static func arn(_ partition: String, _ e: IAMEntityRow) -> String {
        "arn:\(partition):iam::\(e.account):\(e.kind.rawValue)\(e.path)\(e.name)"
    }

    static func tagMap(_ tags: [IAMTag]?) -> [String: String] {
        Dictionary((tags ?? []).map { ($0.key, $0.value) }, uniquingKeysWith: { _, b in b })
    }

    /// A user by name (any case), with its ARN in the `aws` partition.
    public func user(account: String, name: String) async throws -> (userId: String, arn: String, path: String, tags: [String: String])? {
        guard let e = try await read(account: account, { try await $0.entity(.user, name: name) }) else { return nil }
        let doc = try IAMDocuments.decode(IAMEntityDoc.self, e.doc)
        return (e.id, Self.arn("aws", e), e.path, Self.tagMap(doc.tags))
    }

    /// A role by name (any case), with its ARN in the `aws` partition and its trust policy.
    public func role(account: String, name: String) async throws
        -> (roleId: String, arn: String, path: String, trustPolicy: String, maxSessionDuration: Int, tags: [String: String])? {
        guard let e = try await read(account: account, { try await $0.entity(.role, name: name) }) else { return nil }
        let doc = try IAMDocuments.decode(IAMEntityDoc.self, e.doc)
        return (e.id, Self.arn("aws", e), e.path, doc.trustPolicy ?? "{}", doc.maxSessionDuration ?? 3600, Self.tagMap(doc.tags))
    }

    public func userPolicies(account: String, userName: String, partition: String) async throws -> PrincipalPolicies? {
        try await read(account: account) { t -> PrincipalPolicies? in
            guard let user = try await t.entity(.user, name: userName) else { return nil }
            var documents = try await t.identityDocuments(of: user, partition: partition)
            for group in try await t.groups(userId: user.id) {
                documents += try await t.identityDocuments(of: group, partition: partition)
            }
            return try await t.principalPolicies(user, documents: documents, partition: partition)
        }
    }

    public func rolePolicies(account: String, roleName: String, partition: String) async throws -> PrincipalPolicies? {
        try await read(account: account) { t -> PrincipalPolicies? in
            guard let role = try await t.entity(.role, name: roleName) else { return nil }
            return try await t.principalPolicies(role, documents: try await t.identityDocuments(of: role, partition: partition),
                                                 partition: partition)
        }
    }

    /// A group's own policies (the policy simulator's PolicySourceArn may name a group).
    public func groupPolicies(account: String, groupName: String, partition: String) async throws -> PrincipalPolicies? {
        try await read(account: account) { t -> PrincipalPolicies? in
            guard let group = try await t.entity(.group, name: groupName) else { return nil }
            return try await t.principalPolicies(group, documents: try await t.identityDocuments(of: group, partition: partition),
                                                 partition: partition)
        }
    }

    /// The default version of a managed policy (AWS managed or of any account): STS's PolicyArns.
    public func managedPolicyDocument(arn: String) async throws -> String? {
        guard let p = Self.policyARNParts(arn) else { return nil }
        if p.owner == "aws" { return AWSManagedPolicyCatalog.shared.policy(path: p.path, name: p.name)?.document }
        return try await read(account: p.owner) { t -> String? in
            guard let row = try await t.policy(name: p.name), row.path == p.path else { return nil }
            return try await t.version(policyId: row.id, version: row.defaultVersion)?.document
        }
    }

    /// The OpenID Connect provider for an issuer URL (`https://host/path`, or without the scheme), its ARN in `aws`.
    public func openIDConnectProvider(account: String, url: String) async throws -> (arn: String, clientIds: [String], thumbprints: [String])? {
        var key = url.hasPrefix("https://") ? String(url.dropFirst(8)) : url
        while key.hasSuffix("/") { key.removeLast() }
        let lookup = key
        guard let row = try await read(account: account, { try await $0.oidcProvider(url: lookup) }) else { return nil }
        let doc = try IAMDocuments.decode(IAMOIDCDoc.self, row.doc)
        return ("arn:aws:iam::\(account):oidc-provider/\(row.url)", doc.clientIds, doc.thumbprints)
    }
}

extension IAMTx {
    /// The managed policy's default document and its id (the policy ARN) in `partition`.
    public func managedDocument(policyId: String, partition: String) async throws -> (id: String, json: String)? {
        if let aws = AWSManagedPolicyCatalog.shared.policy(id: policyId) {
            return ("arn:\(partition):iam::aws:policy\(aws.path)\(aws.name)", aws.document)
        }
        guard let p = try await policy(id: policyId), let v = try await version(policyId: p.id, version: p.defaultVersion) else { return nil }
        return ("arn:\(partition):iam::\(account):policy\(p.path)\(p.name)", v.document)
    }

    /// An entity's inline policies (id `ENTITY-ARN/inline/NAME`) and attached managed policies (id: the policy ARN).
    func identityDocuments(of e: IAMEntityRow, partition: String) async throws -> [(id: String, json: String)] {
        let entityArn = IAMRepository.arn(partition, e)
        var out = try await inlinePolicies(entityId: e.id).map { (id: "\(entityArn)/inline/\($0.name)", json: $0.document) }
        for policyId in try await attachedPolicyIds(entityId: e.id) {
            if let d = try await managedDocument(policyId: policyId, partition: partition) { out.append(d) }
        }
        return out
    }

    func principalPolicies(_ e: IAMEntityRow, documents: [(id: String, json: String)], partition: String) async throws -> PrincipalPolicies {
        let doc = try IAMDocuments.decode(IAMEntityDoc.self, e.doc)
        var boundary: (id: String, json: String)?
        if let b = e.boundaryId { boundary = try await managedDocument(policyId: b, partition: partition) }
        return PrincipalPolicies(documents: documents, boundary: boundary, tags: IAMRepository.tagMap(doc.tags))
    }
}
