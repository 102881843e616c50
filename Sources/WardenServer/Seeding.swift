// `--seed FILE`: reads the YAML fixtures and hands each service its part.
import Foundation
import Logging
import WardenServices
import Yams

enum Seeding {
    /// The whole seed file. Unknown top-level sections are refused, so a typo does not silently seed nothing.
    struct File: Decodable {
        var kms: KMSSeed?

        enum CodingKeys: String, CodingKey, CaseIterable { case kms }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            for key in c.allKeys where CodingKeys(rawValue: key.stringValue) == nil {
                throw StartupError("seed: unknown section '\(key.stringValue)' (known: kms)")
            }
            kms = try c.decodeIfPresent(KMSSeed.self, forKey: AnyKey(stringValue: "kms"))
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func apply(file: String, kms: KMSService, config: WardenConfiguration, logger: Logger) async throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw StartupError("seed: cannot read \(file)") }
        let parsed: File
        do {
            parsed = try YAMLDecoder().decode(File.self, from: data)
        } catch let e as StartupError {
            throw e
        } catch {
            throw StartupError("seed: \(file) is not a valid seed file: \(error)")
        }
        if let k = parsed.kms {
            do {
                let (created, present) = try await kms.seed(k, account: config.accountId, region: config.region)
                logger.notice("seeded KMS keys", metadata: ["file": "\(file)", "created": "\(created)", "present": "\(present)"])
            } catch let e as SeedError {
                throw StartupError("seed: \(e.description)")
            }
        }
    }
}
