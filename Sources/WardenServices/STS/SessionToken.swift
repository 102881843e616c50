// Temporary credentials without a session table: everything a session is (its secret, its principal, its limits) is
// sealed under the root key into the session token the client sends back with every request. Any node that holds the
// root key verifies any session, and nothing needs to be written when STS issues one.
import Foundation
import WardenCore
import WardenStorage

public struct IssuedSession: Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var principal: Principal
    public var expiresAt: Date
}

public enum SessionToken {
    static func context(_ accessKeyId: String) -> SealContext { SealContext(table: "sts_session", id: accessKeyId) }

    /// Seals `session` (whose principal carries `SessionFacts`) into a token.
    public static func make(_ session: IssuedSession, sealer: Sealer) throws -> String {
        let p = session.principal
        guard let s = p.session else { throw StorageError("a session token needs session facts") }
        var fields: [(String, JSONValue)] = [
            ("k", .string(session.accessKeyId)), ("s", .string(session.secretAccessKey)),
            ("t", .string(p.kind.rawValue)), ("a", .string(p.account)), ("arn", .string(p.arn)), ("uid", .string(p.userId)),
            ("it", .string(s.issuerType)), ("ii", .string(s.issuerId)), ("ia", .string(s.issuerArn)), ("in", .string(s.issuerName)),
            ("c", .int(Int64(s.createdAt.timeIntervalSince1970))), ("e", .int(Int64(s.expiresAt.timeIntervalSince1970))),
            ("mfa", .bool(s.mfaAuthenticated)), ("ch", .bool(s.chained)),
            ("tg", .object(s.tags.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("tt", .array(s.transitiveTagKeys.map { .string($0) })),
        ]
        if let u = p.userName { fields.append(("un", .string(u))) }
        if let si = s.sourceIdentity { fields.append(("si", .string(si))) }
        if let d = s.policyDocuments { fields.append(("pd", .array(d.map { .string($0) }))) }
        if let a = s.policyArns { fields.append(("pa", .array(a.map { .string($0) }))) }
        let plain = JSONWriter.write(.object(fields))
        let sealed = try sealer.seal(plain, context: context(session.accessKeyId))
        return Data(sealed).base64EncodedString()
    }

    /// Opens a token presented with `accessKeyId`; nil when it was not issued for that key (or by this root key).
    public static func open(_ token: String, accessKeyId: String, sealer: Sealer) -> IssuedSession? {
        guard let data = Data(base64Encoded: token),
              let plain = try? sealer.open([UInt8](data), context: context(accessKeyId)),
              let doc = try? JSONParser.parse(plain),
              doc["k"]?.stringValue == accessKeyId,
              let secret = doc["s"]?.stringValue,
              let kind = doc["t"]?.stringValue.flatMap(Principal.Kind.init(rawValue:)),
              let account = doc["a"]?.stringValue, let arn = doc["arn"]?.stringValue, let uid = doc["uid"]?.stringValue,
              let created = number(doc["c"]), let expires = number(doc["e"])
        else { return nil }
        func strings(_ key: String) -> [String]? {
            guard case .array(let a)? = doc[key] else { return nil }
            return a.compactMap(\.stringValue)
        }
        var tags: [String: String] = [:]
        if case .object(let members)? = doc["tg"] { for (k, v) in members { tags[k] = v.stringValue ?? "" } }
        let facts = SessionFacts(
            issuerType: doc["it"]?.stringValue ?? "Role", issuerId: doc["ii"]?.stringValue ?? "",
            issuerArn: doc["ia"]?.stringValue ?? "", issuerName: doc["in"]?.stringValue ?? "",
            createdAt: Date(timeIntervalSince1970: created), expiresAt: Date(timeIntervalSince1970: expires),
            mfaAuthenticated: flag(doc["mfa"]), sourceIdentity: doc["si"]?.stringValue,
            policyDocuments: strings("pd"), policyArns: strings("pa"), tags: tags,
            transitiveTagKeys: strings("tt") ?? [], chained: flag(doc["ch"]))
        let principal = Principal(kind: kind, account: account, arn: arn, userId: uid, accessKeyId: accessKeyId,
                                  userName: doc["un"]?.stringValue, session: facts)
        return IssuedSession(accessKeyId: accessKeyId, secretAccessKey: secret, principal: principal,
                             expiresAt: facts.expiresAt)
    }

    private static func number(_ v: JSONValue?) -> Double? {
        if case .number(let n)? = v { return Double(n) }
        return nil
    }

    private static func flag(_ v: JSONValue?) -> Bool {
        if case .bool(let b)? = v { return b }
        return false
    }
}
