// The barrier: every secret at rest is sealed under a per-record data key wrapped by the root key.
import Crypto
import Foundation

/// Holds the root key and wraps data keys. The seam for an HSM-held root key later: an HSM implementation
/// wraps and unwraps inside the device and never exposes the key.
public protocol RootKeyProvider: Sendable {
    func wrap(_ dataKey: SymmetricKey, aad: [UInt8]) throws -> [UInt8]
    func unwrap(_ wrapped: [UInt8], aad: [UInt8]) throws -> SymmetricKey
}

/// A 256-bit root key held in memory, read from a 0600 file that never goes into the database.
public struct FileRootKey: RootKeyProvider {
    let key: SymmetricKey

    public init(key: SymmetricKey) { self.key = key }

    /// Loads `path`, or creates it (0600) with a fresh random key if it does not exist.
    public static func loadOrCreate(path: String) throws -> FileRootKey {
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            guard let data = fm.contents(atPath: path) else { throw StorageError("cannot read root key \(path)") }
            // Accept raw 32 bytes or base64 text.
            if data.count == 32 { return FileRootKey(key: SymmetricKey(data: data)) }
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let raw = Data(base64Encoded: text), raw.count == 32 else {
                throw StorageError("root key \(path) must hold 32 bytes (raw or base64)")
            }
            return FileRootKey(key: SymmetricKey(data: raw))
        }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        guard fm.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw StorageError("cannot create root key \(path)")
        }
        return FileRootKey(key: key)
    }

    public func wrap(_ dataKey: SymmetricKey, aad: [UInt8]) throws -> [UInt8] {
        let box = try dataKey.withUnsafeBytes { try AES.GCM.seal(Array($0), using: key, authenticating: aad) }
        guard let combined = box.combined else { throw StorageError("seal failed") }
        return [UInt8](combined)
    }

    public func unwrap(_ wrapped: [UInt8], aad: [UInt8]) throws -> SymmetricKey {
        let box = try AES.GCM.SealedBox(combined: wrapped)
        return SymmetricKey(data: try AES.GCM.open(box, using: key, authenticating: aad))
    }
}

/// Where a sealed value lives; bound as associated data so a ciphertext moved to another row fails to open.
public struct SealContext: Sendable {
    public var table: String
    public var id: String
    public var version: String
    public init(table: String, id: String, version: String = "1") {
        self.table = table
        self.id = id
        self.version = version
    }
    var aad: [UInt8] { Array("warden:\(table):\(id):\(version)".utf8) }
}

/// AES-256-GCM sealing with per-record data keys. Format: `0x01 | len(wrapped) u16 | wrapped | nonce+ct+tag`.
public struct Sealer: Sendable {
    public let root: any RootKeyProvider

    public init(root: any RootKeyProvider) { self.root = root }

    public func seal(_ plaintext: [UInt8], context: SealContext) throws -> [UInt8] {
        let aad = context.aad
        let dataKey = SymmetricKey(size: .bits256)
        let wrapped = try root.wrap(dataKey, aad: Array("dk:".utf8) + aad)
        guard let body = try AES.GCM.seal(plaintext, using: dataKey, authenticating: aad).combined else {
            throw StorageError("seal failed")
        }
        return [0x01, UInt8(wrapped.count >> 8), UInt8(wrapped.count & 0xFF)] + wrapped + [UInt8](body)
    }

    public func open(_ sealed: [UInt8], context: SealContext) throws -> [UInt8] {
        guard sealed.count > 3, sealed[0] == 0x01 else { throw StorageError("unknown sealed format") }
        let n = Int(sealed[1]) << 8 | Int(sealed[2])
        guard sealed.count > 3 + n else { throw StorageError("truncated sealed value") }
        let aad = context.aad
        let dataKey = try root.unwrap(Array(sealed[3..<(3 + n)]), aad: Array("dk:".utf8) + aad)
        let box = try AES.GCM.SealedBox(combined: sealed[(3 + n)...])
        return [UInt8](try AES.GCM.open(box, using: dataKey, authenticating: aad))
    }
}
