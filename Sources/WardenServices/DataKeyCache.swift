// Envelope encryption of stored message bodies (SSE-KMS queues and topics): data keys made through Warden's KMS,
// reused for a period, and their plaintexts cached by blob.
import Crypto
import Foundation
import Synchronization
import WardenCore

/// Data keys of SSE-KMS queues and topics, reused for a period (and decrypted keys by their blob).
final class DataKeyCache: Sendable {
    struct Entry: Sendable {
        var plaintext: [UInt8]
        var blob: [UInt8]
        var until: Date
    }
    private let entries = Mutex<[String: Entry]>([:])

    func get(_ key: String, now: Date) -> Entry? {
        entries.withLock { e in
            guard let hit = e[key], hit.until > now else { return nil }
            return hit
        }
    }

    func put(_ key: String, _ entry: Entry) {
        entries.withLock { e in
            if e.count > 10_000 { e.removeAll() }
            e[key] = entry
        }
    }

    /// The data key in use for `cacheKey`, made through KMS when none is (then reused for `reuse` seconds).
    func current(_ cacheKey: String, keyId: String, encryptionContext: [String: String], keys: any DataKeyProvider,
                 context: RequestContext, reuse: TimeInterval, now: Date) async throws -> Entry {
        if let hit = get(cacheKey, now: now) { return hit }
        var keyId = keyId
        if keyId.hasPrefix("alias/aws/") {
            // A service's AWS managed key (alias/aws/sqs, alias/aws/sns) exists once a service first needs it.
            keyId = try await keys.managedKeyArn(service: String(keyId.dropFirst("alias/aws/".count)), context: context)
        }
        let key = try await keys.generateDataKey(keyId: keyId, encryptionContext: encryptionContext, context: context)
        let entry = Entry(plaintext: key.plaintext, blob: key.ciphertext, until: now.addingTimeInterval(reuse))
        put(cacheKey, entry)
        put("blob|" + Data(key.ciphertext).base64EncodedString(), entry)
        return entry
    }

    /// The plaintext of a data key blob, decrypted through KMS unless already known.
    func plaintext(blob: [UInt8], encryptionContext: [String: String], keys: any DataKeyProvider, context: RequestContext,
                   now: Date) async throws -> [UInt8] {
        let cacheKey = "blob|" + Data(blob).base64EncodedString()
        if let hit = get(cacheKey, now: .distantPast) { return hit.plaintext }
        let plaintext = try await keys.decryptDataKey(blob, encryptionContext: encryptionContext, context: context)
        put(cacheKey, Entry(plaintext: plaintext, blob: blob, until: now.addingTimeInterval(300)))
        return plaintext
    }

    /// A service's own call to KMS (no caller: the service acts for the resource's account).
    static func serviceContext(account: String, region: String, service: String, now: Date) -> RequestContext {
        RequestContext(requestId: "", account: account, region: region, principal: nil, sourceIP: "", userAgent: service, receivedAt: now)
    }
}
