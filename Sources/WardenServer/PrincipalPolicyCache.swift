// The caller's policies, compiled once and kept until IAM changes. A change on this node invalidates at once; a change
// made through another node sharing the database is seen within `checkInterval`, because each account's IAM generation
// (bumped in the same transaction as every IAM write) is re-read at most that often.
import Foundation
import Logging
import Synchronization
import WardenCore
import WardenPolicy
import WardenStorage

struct IdentityPolicies: Sendable {
    var policies: [Policy] = []
    var boundary: Policy?
    var tags: [String: String] = [:]
}

final class PrincipalPolicyCache: Sendable {
    let iam: IAMRepository
    let logger: Logger
    let checkInterval: TimeInterval

    private struct State {
        var identities: [String: (policies: IdentityPolicies, generation: Int64)] = [:]
        var generations: [String: (value: Int64, checkedAt: Date)] = [:]
        var sessions: [String: [Policy]] = [:]
        var resources: [String: Policy?] = [:]
    }

    private let state = Mutex(State())
    /// A policy that allows everything: the root's own identity, for sessions the root issued.
    static let allowAll: Policy? = try? Policy(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
                                               kind: .identity, id: "root")

    init(iam: IAMRepository, logger: Logger, checkInterval: TimeInterval = 1) {
        self.iam = iam
        self.logger = logger
        self.checkInterval = checkInterval
    }

    /// Called after every committed IAM write on this node.
    func invalidate(account: String) {
        state.withLock { s in
            s.generations[account] = nil
            s.sessions.removeAll()
        }
    }

    func clear() { state.withLock { $0 = State() } }

    func identity(of p: Principal) async throws -> IdentityPolicies {
        let partition = ARN(p.arn)?.partition.rawValue ?? "aws"
        switch p.kind {
        case .iamUser:
            guard let name = p.userName else { return IdentityPolicies() }
            return try await cached("u|\(p.account)|\(name)", account: p.account) {
                try await self.iam.userPolicies(account: p.account, userName: name, partition: partition)
            }
        case .assumedRole:
            guard let role = p.session?.issuerName else { return IdentityPolicies() }
            return try await cached("r|\(p.account)|\(role)", account: p.account) {
                try await self.iam.rolePolicies(account: p.account, roleName: role, partition: partition)
            }
        case .federatedUser:
            if p.session?.issuerType == "IAMUser", let name = p.userName {
                return try await cached("u|\(p.account)|\(name)", account: p.account) {
                    try await self.iam.userPolicies(account: p.account, userName: name, partition: partition)
                }
            }
            return IdentityPolicies(policies: Self.allowAll.map { [$0] } ?? [])
        default:
            return IdentityPolicies()
        }
    }

    private func cached(_ key: String, account: String,
                        load: @Sendable () async throws -> PrincipalPolicies?) async throws -> IdentityPolicies {
        let generation = try await currentGeneration(account)
        if let hit = state.withLock({ $0.identities[key] }), hit.generation == generation { return hit.policies }
        var compiled = IdentityPolicies()
        // A principal that no longer exists (a deleted user's still-valid session) has no policies: nothing is allowed.
        if let loaded = try await load() {
            compiled.policies = loaded.documents.compactMap { compile($0.json, kind: .identity, id: $0.id) }
            compiled.boundary = loaded.boundary.flatMap { compile($0.json, kind: .boundary, id: $0.id) }
            compiled.tags = loaded.tags
        }
        state.withLock { s in
            if s.identities.count > 10_000 { s.identities.removeAll() }
            s.identities[key] = (compiled, generation)
        }
        return compiled
    }

    private func currentGeneration(_ account: String) async throws -> Int64 {
        let now = Date()
        if let g = state.withLock({ $0.generations[account] }), now.timeIntervalSince(g.checkedAt) < checkInterval { return g.value }
        let value = try await iam.generation(account: account)
        state.withLock { $0.generations[account] = (value, now) }
        return value
    }

    /// Session policies of a session (nil: it was issued without any, so they do not limit it).
    func session(of p: Principal) async throws -> [Policy]? {
        guard let s = p.session, s.policyDocuments != nil || s.policyArns != nil else { return nil }
        let key = p.accessKeyId ?? p.arn
        if let hit = state.withLock({ $0.sessions[key] }) { return hit }
        var out: [Policy] = []
        for (i, doc) in (s.policyDocuments ?? []).enumerated() {
            if let policy = compile(doc, kind: .session, id: "session policy \(i + 1)") { out.append(policy) }
        }
        for arn in s.policyArns ?? [] {
            if let doc = try await iam.managedPolicyDocument(arn: arn), let policy = compile(doc, kind: .session, id: arn) {
                out.append(policy)
            }
        }
        state.withLock { st in
            if st.sessions.count > 10_000 { st.sessions.removeAll() }
            st.sessions[key] = out
        }
        return out
    }

    /// Resource policies compiled once per distinct document.
    func resourcePolicies(_ texts: [PolicyText]) -> [Policy] {
        texts.compactMap { t in
            let key = t.id + "\u{0}" + t.json
            if let hit = state.withLock({ $0.resources[key] }) { return hit }
            let policy = compile(t.json, kind: .resource, id: t.id)
            state.withLock { s in
                if s.resources.count > 10_000 { s.resources.removeAll() }
                s.resources[key] = policy
            }
            return policy
        }
    }

    private func compile(_ json: String, kind: PolicyKind, id: String) -> Policy? {
        do {
            return try Policy(json: json, kind: kind, id: id)
        } catch {
            // Stored documents were checked when written; one that fails now counts as no statements, and says so.
            logger.error("stored policy does not parse; ignoring it", metadata: ["policy": "\(id)", "error": "\(error.message)"])
            return nil
        }
    }
}
