// Warden's symmetric ciphertext blob: which key and which material sealed it, then AES-256-GCM.
import Crypto
import Foundation
import WardenCore

/// Layout (version 1): `0x01 | len u8 | key id (ASCII) | material id (32 bytes) | nonce (12) | ciphertext | tag (16)`.
/// The header up to the nonce plus the canonical encryption context are the GCM associated data, so a blob moved
/// to another key, another material generation or another context fails to open, and any changed byte fails the tag.
struct CiphertextBlob: Sendable {
    static let version: UInt8 = 0x01
    static let materialIdBytes = 32

    var keyId: String
    /// The material generation as 64 lowercase hex characters (KMS's KeyMaterialId form).
    var materialId: String
    var header: [UInt8]
    var sealed: ArraySlice<UInt8>

    /// Parses the header; nil when the bytes are not a Warden blob.
    init?(_ blob: [UInt8]) {
        guard blob.count > 2, blob[0] == Self.version else { return nil }
        let n = Int(blob[1])
        let headerLen = 2 + n + Self.materialIdBytes
        guard n > 0, blob.count >= headerLen + 12 + 16 else { return nil }
        guard let id = String(validating: blob[2..<(2 + n)], as: UTF8.self) else { return nil }
        keyId = id
        materialId = Hex.encode(blob[(2 + n)..<headerLen])
        header = Array(blob[..<headerLen])
        sealed = blob[headerLen...]
    }

    static func header(keyId: String, materialId: String) -> [UInt8]? {
        let id = Array(keyId.utf8)
        guard id.count < 256, let m = Hex.decode(materialId), m.count == materialIdBytes else { return nil }
        return [version, UInt8(id.count)] + id + m
    }

    static func seal(_ plaintext: [UInt8], key: SymmetricKey, keyId: String, materialId: String,
                     context: [String: String]) throws -> [UInt8] {
        guard let header = header(keyId: keyId, materialId: materialId) else { throw AWSError.internalFailure() }
        let box = try AES.GCM.seal(plaintext, using: key, authenticating: header + EncryptionContext.canonical(context))
        guard let combined = box.combined else { throw AWSError.internalFailure() }
        return header + combined
    }

    /// The plaintext, or nil when the tag does not verify (wrong context, tampered bytes).
    func open(key: SymmetricKey, context: [String: String]) -> [UInt8]? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
              let plain = try? AES.GCM.open(box, using: key, authenticating: header + EncryptionContext.canonical(context))
        else { return nil }
        return Array(plain)
    }
}

enum EncryptionContext {
    /// Sorted by key bytes, each key and value length-prefixed, so no two different maps encode alike;
    /// an empty map and no map encode the same, as in KMS.
    static func canonical(_ context: [String: String]) -> [UInt8] {
        var out: [UInt8] = []
        for (k, v) in context.sorted(by: { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }) {
            for s in [k, v] {
                let b = Array(s.utf8)
                let n = UInt32(b.count)
                out += [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
                out += b
            }
        }
        return out
    }
}
