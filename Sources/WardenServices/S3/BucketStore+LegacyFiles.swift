// The one-time move of object bodies kept as files under DATA/s3 (before bodies moved into storage) into the table.
import Foundation
import WardenStorage

extension BucketStore {
    /// Moves object bodies kept as files under `DATA/s3/objects` (before bodies moved into storage) into the table,
    /// then removes `DATA/s3`. Safe to repeat after a crash: a body already stored is skipped, and the directory
    /// goes only once every file an object names has been read. Files no object names (left by a crash between a
    /// file write and its row's commit) are dropped with the directory.
    /// Returns how many bodies were imported, and how many objects name a file that was not there (their GETs fail).
    public func importLegacyFiles(dataDir: String) async throws -> (imported: Int, missing: Int) {
        let root = (dataDir as NSString).appendingPathComponent("s3")
        let objects = (root as NSString).appendingPathComponent("objects")
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: objects, isDirectory: &isDir), isDir.boolValue else { return (0, 0) }
        var imported = 0
        var missing = 0
        for id in try await repository.allFileNames().sorted() {
            let path = (objects as NSString).appendingPathComponent(id)
            guard !id.isEmpty, !id.contains("/"), FileManager.default.fileExists(atPath: path) else {
                if try await repository.objectData(id, range: 0..<0) == nil { missing += 1 }
                continue
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw StorageError("cannot read \(path)")
            }
            if try await repository.importData(id, Array(data)) { imported += 1 }
        }
        try FileManager.default.removeItem(atPath: root)
        return (imported, missing)
    }
}
