// AWS's public parameters under /aws/service/global-infrastructure: the Regions and the services Warden serves, read
// with GetParameter, GetParameters and GetParametersByPath like any other String parameter. Shape and tree as AWS's
// user guide (parameter-store-public-parameters-global-infrastructure) and recorded CLI output show them: Type
// String, DataType text, Version 1, and an ARN in the caller's Region with an EMPTY account field.
import Foundation
import WardenAPI
import WardenCore

extension SSMService {
    static let publicRoot = "/aws/service/global-infrastructure"

    /// The Regions: code, long name (AWS's published Region names; "Europe (Ireland)" and "US East (N. Virginia)" are
    /// recorded, the rest are the console's names), ISO country. The geolocationRegion child is served only where a
    /// recorded value is known (us-east-1: US-VA); other Regions' subdivision codes are not recorded.
    static let publicRegions: [(id: String, longName: String, country: String)] = [
        ("af-south-1", "Africa (Cape Town)", "ZA"),
        ("ap-east-1", "Asia Pacific (Hong Kong)", "HK"),
        ("ap-northeast-1", "Asia Pacific (Tokyo)", "JP"),
        ("ap-northeast-2", "Asia Pacific (Seoul)", "KR"),
        ("ap-northeast-3", "Asia Pacific (Osaka)", "JP"),
        ("ap-south-1", "Asia Pacific (Mumbai)", "IN"),
        ("ap-south-2", "Asia Pacific (Hyderabad)", "IN"),
        ("ap-southeast-1", "Asia Pacific (Singapore)", "SG"),
        ("ap-southeast-2", "Asia Pacific (Sydney)", "AU"),
        ("ap-southeast-3", "Asia Pacific (Jakarta)", "ID"),
        ("ap-southeast-4", "Asia Pacific (Melbourne)", "AU"),
        ("ca-central-1", "Canada (Central)", "CA"),
        ("ca-west-1", "Canada West (Calgary)", "CA"),
        ("cn-north-1", "China (Beijing)", "CN"),
        ("cn-northwest-1", "China (Ningxia)", "CN"),
        ("eu-central-1", "Europe (Frankfurt)", "DE"),
        ("eu-central-2", "Europe (Zurich)", "CH"),
        ("eu-north-1", "Europe (Stockholm)", "SE"),
        ("eu-south-1", "Europe (Milan)", "IT"),
        ("eu-south-2", "Europe (Spain)", "ES"),
        ("eu-west-1", "Europe (Ireland)", "IE"),
        ("eu-west-2", "Europe (London)", "GB"),
        ("eu-west-3", "Europe (Paris)", "FR"),
        ("il-central-1", "Israel (Tel Aviv)", "IL"),
        ("me-central-1", "Middle East (UAE)", "AE"),
        ("me-south-1", "Middle East (Bahrain)", "BH"),
        ("sa-east-1", "South America (Sao Paulo)", "BR"),
        ("us-east-1", "US East (N. Virginia)", "US"),
        ("us-east-2", "US East (Ohio)", "US"),
        ("us-gov-east-1", "AWS GovCloud (US-East)", "US"),
        ("us-gov-west-1", "AWS GovCloud (US-West)", "US"),
        ("us-west-1", "US West (N. California)", "US"),
        ("us-west-2", "US West (Oregon)", "US"),
    ]

    /// The services Warden serves, as global-infrastructure names them, with their endpoint host's first label
    /// (CloudWatch's API is `monitoring`). Their longName and marketingHomeURL children are not served: AWS's texts
    /// for them are not recorded (only EC2's is), and the protocols child is left out for the same reason.
    static let publicServices: [(id: String, host: String)] = [
        ("cloudtrail", "cloudtrail"), ("cloudwatch", "monitoring"), ("events", "events"), ("kms", "kms"), ("lambda", "lambda"),
        ("logs", "logs"), ("secretsmanager", "secretsmanager"), ("sns", "sns"), ("sqs", "sqs"), ("ssm", "ssm"), ("sts", "sts"),
    ]

    /// Every public parameter, name → value, built once.
    static let publicTable: [String: String] = {
        var t: [String: String] = [:]
        for r in SSMService.publicRegions {
            let base = "\(SSMService.publicRoot)/regions/\(r.id)"
            let domain = r.id.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
            t[base] = r.id
            t[base + "/longName"] = r.longName
            t[base + "/domain"] = domain
            t[base + "/partition"] = Partition(region: r.id).rawValue
            t[base + "/geolocationCountry"] = r.country
            if r.id == "us-east-1" { t[base + "/geolocationRegion"] = "US-VA" }
            for s in SSMService.publicServices {
                t["\(base)/services/\(s.id)"] = s.id
                t["\(base)/services/\(s.id)/endpoint"] = "\(s.host).\(r.id).\(domain)"
                t["\(SSMService.publicRoot)/services/\(s.id)/regions/\(r.id)"] = r.id
            }
        }
        for s in SSMService.publicServices { t["\(SSMService.publicRoot)/services/\(s.id)"] = s.id }
        return t
    }()

    static let publicNames: [String] = publicTable.keys.sorted()

    /// When AWS published these parameters (2019-04-08, as the recorded output shows for the Region entries).
    static let publicModified = Date(timeIntervalSince1970: 1_554_759_458)

    static func isPublic(_ name: String) -> Bool { name == publicRoot || name.hasPrefix(publicRoot + "/") }

    /// A public parameter as the API returns it; nil when there is none of that name.
    static func publicParameter(_ name: String, selector: String?, _ c: RequestContext) -> SSM.Parameter? {
        // Every public parameter here is at version 1; a label names none of them.
        if let selector, selector != "1" { return nil }
        guard let value = publicTable[name] else { return nil }
        return SSM.Parameter(name: name, type: .string, value: value, version: 1, selector: selector.map { ":" + $0 },
                             lastModifiedDate: publicModified, arn: "arn:\(c.partition.rawValue):ssm:\(c.region)::parameter\(name)",
                             dataType: "text")
    }

    /// GetParametersByPath over the public tree: one level or recursive, pages of `limit` after the token's name.
    static func publicByPath(_ path: String, recursive: Bool, filters: [SSM.ParameterStringFilter], limit: Int, after: String?,
                             _ c: RequestContext) -> (parameters: [SSM.Parameter], next: String?) {
        let facts = VersionDoc(type: "String", keyId: nil, description: nil, allowedPattern: nil, tier: "Standard", policies: nil,
                               dataType: "text", labels: [], lastModifiedMillis: Int64(publicModified.timeIntervalSince1970 * 1000), user: "")
        var out: [SSM.Parameter] = []
        for name in publicNames where after.map({ name > $0 }) ?? true {
            guard Self.underPath(name, paths: [path], recursive: recursive),
                  filters.allSatisfy({ Self.matches($0, doc: facts, name: name, tags: [], labels: []) }),
                  let p = Self.publicParameter(name, selector: nil, c) else { continue }
            out.append(p)
            if out.count == limit {
                let more = publicNames.contains { $0 > name && Self.underPath($0, paths: [path], recursive: recursive) }
                return (out, more ? Data(name.utf8).base64EncodedString() : nil)
            }
        }
        return (out, nil)
    }
}
