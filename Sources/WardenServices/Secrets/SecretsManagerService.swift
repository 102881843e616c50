// AWS Secrets Manager: secrets with versions and staging labels, values encrypted through Warden's KMS (encryption
// context SecretARN and SecretVersionId), deletion with a recovery window, resource policies, tags and rotation.
import Crypto
import Foundation
import Synchronization
import WardenAPI
import WardenCore
import WardenStorage

public struct SecretsManagerService: Sendable {
    let repository: SecretRepository
    let keys: (any DataKeyProvider)?
    /// Rotation functions run through this (synchronous invocations).
    let functions: (any FunctionInvoker)?
    /// Built-in (managed) rotation of database secrets logs in to the database through this.
    let databases: (any DatabaseAdmin)?
    let now: @Sendable () -> Date
    /// Per-secret locks, taken in the database (the name is the secret's ARN), so changes through different nodes
    /// cannot lose each other.
    let locks: ResourceLocks
    /// Rotations run here, off the request's path (a graceful shutdown waits for them).
    let background: BackgroundTasks

    public init(repository: SecretRepository, keys: (any DataKeyProvider)?, functions: (any FunctionInvoker)? = nil,
                databases: (any DatabaseAdmin)? = nil, background: BackgroundTasks,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.repository = repository
        self.background = background
        self.locks = ResourceLocks(repository.db)
        self.keys = keys
        self.functions = functions
        self.databases = databases
        self.now = now
    }

    var nowMillis: Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded(.down)) }
}

struct RotationConfig: Codable, Sendable {
    var lambdaArn: String?
    /// A built-in strategy instead of a function: `postgres-single-user` or `postgres-multi-user`.
    var managed: String?
    var afterDays: Int64?
    var schedule: String?
    var duration: String?
    var enabled: Bool
}

struct SecretDoc: Codable, Sendable {
    var description: String?
    var kmsKeyId: String?
    var tags: [[String]]
    var policy: String?
    var rotation: RotationConfig?
    var lastChangedMillis: Int64
    var lastAccessedMillis: Int64?
    var lastRotatedMillis: Int64?
    var deletedMillis: Int64?
    var type: String?
    /// A primary's replicas (region, key, status), or for a replica the region of its primary.
    var replicas: [ReplicaInfo]?
    var primaryRegion: String?
    /// True once the secret was tagged (at creation or by TagResource): DescribeSecret then always has a Tags member.
    var tagged: Bool?

    func encoded() -> String { (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}" }
}

struct ReplicaInfo: Codable, Sendable {
    var region: String
    var kmsKeyId: String?
    var status: String
    var message: String
}

struct SecretVersionDoc: Codable, Sendable {
    var stages: [String]
    var binary: Bool
    var lastAccessedMillis: Int64?
    func encoded() -> String { (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}" }
}

extension SecretsManagerService {
    typealias SM = SecretsManager
    static func invalidParameter(_ m: String) -> AWSError { SM.Errors.invalidParameterException(m) }
    static func invalidRequest(_ m: String) -> AWSError { SM.Errors.invalidRequestException(m) }
    static func notFound() -> AWSError { SM.Errors.resourceNotFoundException("Secrets Manager can't find the specified secret.") }

    static func isValidName(_ n: String) -> Bool {
        (1...512).contains(n.utf8.count) && n.unicodeScalars.allSatisfy { s in
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || "/_+=.@-".unicodeScalars.contains(s)
        }
    }

    static func suffix() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<6).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    /// A secret by name, full ARN or partial ARN (without the random suffix), in the caller's account and region.
    func find(_ id: String, _ c: RequestContext) async throws -> (SecretRow, SecretDoc)? {
        var row: SecretRow?
        if id.hasPrefix("arn:") {
            guard let arn = ARN(id), arn.service == "secretsmanager", arn.account == c.account, arn.region == c.region else { return nil }
            row = try await repository.secret(arn: id)
            if row == nil, let marker = id.range(of: ":secret:") {
                // A partial ARN (without the 6-character suffix) names the secret of that name whose ARN it begins.
                let candidate = try await repository.secret(account: c.account, region: c.region, name: String(id[marker.upperBound...]))
                if let candidate, candidate.arn.hasPrefix(id + "-"), candidate.arn.count == id.count + 7 { row = candidate }
            }
        } else {
            row = try await repository.secret(account: c.account, region: c.region, name: id)
        }
        guard let row else { return nil }
        return (row, try JSONDecoder().decode(SecretDoc.self, from: Data(row.doc.utf8)))
    }

    func load(_ id: String, _ c: RequestContext) async throws -> (SecretRow, SecretDoc) {
        guard let found = try await find(id, c) else { throw Self.notFound() }
        return found
    }

    /// Runs a change of one secret under its lock (named by its ARN), with the secret read again under the lock: a
    /// read-modify-write of its document or stages then cannot lose a concurrent change made through any node.
    func withSecret<T: Sendable>(_ id: String, _ c: RequestContext, _ body: (SecretRow, SecretDoc) async throws -> T) async throws -> T {
        let (first, _) = try await load(id, c)
        return try await locks.withLock(first.arn) {
            guard let row = try await repository.secret(arn: first.arn) else { throw Self.notFound() }
            return try await body(row, try JSONDecoder().decode(SecretDoc.self, from: Data(row.doc.utf8)))
        }
    }

    /// A replica is read-only: changes are made to its primary and replicated.
    func notReplica(_ doc: SecretDoc) throws(AWSError) {
        if let primary = doc.primaryRegion {
            throw Self.invalidRequest("Operation is not permitted on a replica secret. Make the change to the primary secret in \(primary).")
        }
    }

    func notDeleted(_ doc: SecretDoc) throws(AWSError) {
        if doc.deletedMillis != nil {
            throw Self.invalidRequest("You can't perform this operation on the secret because it was marked for deletion.")
        }
    }

    static func versionDoc(_ v: SecretVersionRow) -> SecretVersionDoc { versionDoc(doc: v.doc) }

    static func versionDoc(doc: String) -> SecretVersionDoc {
        (try? JSONDecoder().decode(SecretVersionDoc.self, from: Data(doc.utf8))) ?? SecretVersionDoc(stages: [], binary: false)
    }

    static func token(_ t: String?) throws(AWSError) -> String {
        let token = t ?? UUID().uuidString.lowercased()
        guard (32...64).contains(token.utf8.count) else {
            throw invalidParameter("ClientRequestToken must be 32 to 64 characters.")
        }
        return token
    }

    // MARK: encryption

    static func kmsContext(_ arn: String, _ versionId: String) -> [String: String] { ["SecretARN": arn, "SecretVersionId": versionId] }

    /// `WSM1` + data key blob length (2 bytes) + blob + AES-GCM box (AAD: ARN and version).
    func seal(_ value: [UInt8], arn: String, versionId: String, keyId: String?, _ c: RequestContext) async throws -> [UInt8] {
        guard let keys else { throw SM.Errors.encryptionFailure("Secrets Manager needs Warden's KMS.") }
        let key: (plaintext: [UInt8], ciphertext: [UInt8], keyArn: String)
        do {
            var id = keyId ?? "alias/aws/secretsmanager"
            if id == "alias/aws/secretsmanager" { id = try await keys.managedKeyArn(service: "secretsmanager", context: c) }
            key = try await keys.generateDataKey(keyId: id, encryptionContext: Self.kmsContext(arn, versionId), context: c)
        } catch let e as AWSError {
            if e.code == "AccessDeniedException" { throw Self.kmsAccessDenied }
            throw SM.Errors.encryptionFailure("Access to KMS is not allowed: \(e.code): \(e.message)")
        }
        guard let box = try AES.GCM.seal(value, using: SymmetricKey(data: key.plaintext), authenticating: Array((arn + versionId).utf8)).combined,
              key.ciphertext.count < 65_536 else { throw AWSError.internalFailure() }
        return Array("WSM1".utf8) + [UInt8(key.ciphertext.count >> 8), UInt8(key.ciphertext.count & 0xFF)] + key.ciphertext + Array(box)
    }

    /// A caller without permission on the secret's key: "Access to KMS is not allowed" (AccessDeniedException, as
    /// quoted from Secrets Manager in many public threads).
    static let kmsAccessDenied = AWSError(code: "AccessDeniedException", status: 400, message: "Access to KMS is not allowed")

    func open(_ stored: [UInt8], arn: String, versionId: String, _ c: RequestContext) async throws -> [UInt8] {
        guard let keys, stored.starts(with: Array("WSM1".utf8)), stored.count > 6 else { throw AWSError.internalFailure("A secret value is damaged.") }
        let n = Int(stored[4]) << 8 | Int(stored[5])
        guard stored.count > 6 + n else { throw AWSError.internalFailure("A secret value is damaged.") }
        let plaintext: [UInt8]
        do {
            plaintext = try await keys.decryptDataKey(Array(stored[6..<(6 + n)]), encryptionContext: Self.kmsContext(arn, versionId), context: c)
        } catch let e as AWSError {
            if e.code == "AccessDeniedException" { throw Self.kmsAccessDenied }
            throw SM.Errors.decryptionFailure("Secrets Manager can't decrypt the protected secret text using the provided KMS key: \(e.message)")
        }
        return Array(try AES.GCM.open(AES.GCM.SealedBox(combined: stored[(6 + n)...]), using: SymmetricKey(data: plaintext),
                                      authenticating: Array((arn + versionId).utf8)))
    }

    /// The value a request carries: exactly one of SecretString and SecretBinary.
    static func value(_ string: String?, _ binary: [UInt8]?, required: Bool) throws(AWSError) -> (bytes: [UInt8], binary: Bool)? {
        if string != nil && binary != nil { throw invalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.") }
        if let string {
            guard (1...65_536).contains(string.utf8.count) else { throw invalidParameter("SecretString must be 1 to 65536 bytes.") }
            return (Array(string.utf8), false)
        }
        if let binary {
            guard (1...65_536).contains(binary.count) else { throw invalidParameter("SecretBinary must be 1 to 65536 bytes.") }
            return (binary, true)
        }
        if required { throw invalidParameter("You must provide either SecretString or SecretBinary.") }
        return nil
    }

    // MARK: stages

    /// Versions after moving `stages` onto `target`: each stage leaves the version holding it; moving AWSCURRENT
    /// gives the old current version AWSPREVIOUS (which leaves its former holder).
    static func move(_ stages: [String], to target: String, in docs: inout [String: SecretVersionDoc]) {
        for stage in stages {
            let holder = docs.first { $0.key != target && $0.value.stages.contains(stage) }?.key
            if let holder { docs[holder]?.stages.removeAll { $0 == stage } }
            if stage == "AWSCURRENT", let old = holder {
                for (id, d) in docs where d.stages.contains("AWSPREVIOUS") && id != old { docs[id]?.stages.removeAll { $0 == "AWSPREVIOUS" } }
                if docs[old]?.stages.contains("AWSPREVIOUS") == false { docs[old]?.stages.append("AWSPREVIOUS") }
            }
            if docs[target]?.stages.contains(stage) == false { docs[target]?.stages.append(stage) }
        }
        if docs[target]?.stages.contains("AWSCURRENT") == true { docs[target]?.stages.removeAll { $0 == "AWSPREVIOUS" } }
    }
}
