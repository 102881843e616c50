// Parameter Store operations: put, reads (selectors, paths, filters, history), labels, deletes, tags.
import Crypto
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension SSMService {
    static let standardLimit = 4096
    static let advancedLimit = 8192

    // MARK: SecureString

    static func kmsContext(_ arn: String) -> [String: String] { ["PARAMETER_ARN": arn] }

    /// KMS's failures as Parameter Store reports them.
    static func kmsError(_ error: any Error) -> any Error {
        guard let e = error as? AWSError, e.status < 500 else { return error }
        // The caller's own denial on the key reaches them as KMS words it (kms:ViaService checks).
        if e.code == "AccessDeniedException" { return e }
        return SSM.Errors.invalidKeyId("\(e.code): \(e.message)")
    }

    /// `WSS1` + data key blob length (2 bytes) + blob + AES-GCM box (AAD: the parameter ARN).
    func encrypt(_ value: String, keyId: String, arn: String, _ c: RequestContext) async throws -> [UInt8] {
        guard let keys else { throw SSM.Errors.invalidKeyId("SecureString needs Warden's KMS.") }
        let key: (plaintext: [UInt8], ciphertext: [UInt8], keyArn: String)
        do {
            let id = keyId == "alias/aws/ssm" ? try await keys.managedKeyArn(service: "ssm", context: c) : keyId
            key = try await keys.generateDataKey(keyId: id, encryptionContext: Self.kmsContext(arn), context: c)
        } catch {
            throw Self.kmsError(error)
        }
        guard let box = try AES.GCM.seal(Array(value.utf8), using: SymmetricKey(data: key.plaintext), authenticating: Array(arn.utf8)).combined,
              key.ciphertext.count < 65_536 else { throw AWSError.internalFailure() }
        return Array("WSS1".utf8) + [UInt8(key.ciphertext.count >> 8), UInt8(key.ciphertext.count & 0xFF)] + key.ciphertext + Array(box)
    }

    func decrypt(_ stored: [UInt8], arn: String, _ c: RequestContext) async throws -> String {
        guard let keys, stored.starts(with: Array("WSS1".utf8)), stored.count > 6 else { throw AWSError.internalFailure("A SecureString is damaged.") }
        let n = Int(stored[4]) << 8 | Int(stored[5])
        guard stored.count > 6 + n else { throw AWSError.internalFailure("A SecureString is damaged.") }
        let plaintext: [UInt8]
        do {
            plaintext = try await keys.decryptDataKey(Array(stored[6..<(6 + n)]), encryptionContext: Self.kmsContext(arn), context: c)
        } catch {
            throw Self.kmsError(error)
        }
        let opened = try AES.GCM.open(AES.GCM.SealedBox(combined: stored[(6 + n)...]), using: SymmetricKey(data: plaintext),
                                      authenticating: Array(arn.utf8))
        return String(decoding: opened, as: UTF8.self)
    }

    // MARK: policies

    /// Checks a Policies document (a JSON array of Expiration, ExpirationNotification, NoChangeNotification); returns
    /// each policy's text and the expiration time, if any.
    static func checkPolicies(_ text: String, now: Date) throws(AWSError) -> (policies: [String], expiresAt: Date?) {
        guard case .array(let items)? = try? JSONParser.parse(Array(text.utf8)) else {
            throw SSM.Errors.invalidPolicyTypeException("Policies must be a JSON array of parameter policies.")
        }
        guard items.count <= 10 else { throw SSM.Errors.policiesLimitExceededException("A parameter can have at most 10 policies.") }
        var seen = Set<String>()
        var out: [String] = []
        var expires: Date?
        for item in items {
            guard case .object = item, let type = item["Type"]?.stringValue else {
                throw SSM.Errors.invalidPolicyTypeException("Each policy needs a Type.")
            }
            guard ["Expiration", "ExpirationNotification", "NoChangeNotification"].contains(type) else {
                throw SSM.Errors.invalidPolicyTypeException("The policy type \(type) is not supported.")
            }
            guard seen.insert(type).inserted else { throw SSM.Errors.incompatiblePolicyException("Only one \(type) policy is allowed.") }
            let attributes = item["Attributes"]
            switch type {
            case "Expiration":
                guard let t = attributes?["Timestamp"]?.stringValue, let d = Timestamps.parseISO8601(t) else {
                    throw SSM.Errors.invalidPolicyAttributeException("Expiration needs Attributes.Timestamp in ISO 8601.")
                }
                guard d > now else { throw SSM.Errors.invalidPolicyAttributeException("The Expiration Timestamp is in the past.") }
                expires = d
            case "ExpirationNotification":
                guard let b = attributes?["Before"]?.stringValue, Int(b) != nil, ["Days", "Hours"].contains(attributes?["Unit"]?.stringValue ?? "") else {
                    throw SSM.Errors.invalidPolicyAttributeException("ExpirationNotification needs Attributes.Before and Unit (Days|Hours).")
                }
            default:
                guard let a = attributes?["After"]?.stringValue, Int(a) != nil, ["Days", "Hours"].contains(attributes?["Unit"]?.stringValue ?? "") else {
                    throw SSM.Errors.invalidPolicyAttributeException("NoChangeNotification needs Attributes.After and Unit (Days|Hours).")
                }
            }
            out.append(String(decoding: JSONWriter.write(item), as: UTF8.self))
        }
        if seen.contains("ExpirationNotification") && !seen.contains("Expiration") {
            throw SSM.Errors.incompatiblePolicyException("ExpirationNotification needs an Expiration policy.")
        }
        return (out, expires)
    }

    // MARK: put

    func putParameter(_ input: SSM.PutParameterRequest, context c: RequestContext) async throws -> SSM.PutParameterResult {
        let asked = try Self.normalize(input.name, c)
        try Self.checkName(asked, c)
        return try await locks.withLock(Self.lockKey(c.account, c.region, asked)) {
            let existing = try await lookup(asked, c)
            // A new version of `x` put as `/x` (or the reverse) is a version of the stored parameter.
            let name = existing?.name ?? asked
            let old = try existing.map { try Self.decodeParameter($0.doc) }
            if existing != nil && input.overwrite != true {
                throw SSM.Errors.parameterAlreadyExists("The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
            }
            if existing != nil, let tags = input.tags, !tags.isEmpty {
                throw Self.validation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
            }
            guard let type = input.type?.rawValue ?? old?.latest.type else {
                throw Self.validation("A parameter type is required when you create a parameter.")
            }
            guard ["String", "StringList", "SecureString"].contains(type) else { throw SSM.Errors.unsupportedParameterType("Parameter type \(type) is not supported.") }
            if let old, old.latest.type != type {
                throw SSM.Errors.hierarchyTypeMismatchException("The parameter type can't be changed from \(old.latest.type) to \(type).")
            }
            if input.keyId != nil && type != "SecureString" {
                throw Self.validation("KeyId is only for SecureString parameters.")
            }
            let dataType = input.dataType ?? old?.latest.dataType ?? "text"
            guard ["text", "aws:ec2:image", "aws:ssm:integration"].contains(dataType) else {
                throw Self.validation("The following data type is not supported: \(dataType) (Data type names are all lowercase.)")
            }
            if dataType == "aws:ec2:image" {
                guard input.value.range(of: "^ami-[0-9a-f]{8,17}$", options: .regularExpression) != nil else {
                    throw Self.validation("Parameter value, \(input.value), is not a valid AMI ID.")
                }
            }
            let allowedPattern = input.allowedPattern ?? old?.latest.allowedPattern
            if let pattern = allowedPattern {
                guard let regex = try? NSRegularExpression(pattern: pattern) else {
                    throw SSM.Errors.invalidAllowedPatternException("The allowed pattern \(pattern) is not a valid regular expression.")
                }
                let v = input.value
                guard regex.firstMatch(in: v, range: NSRange(v.startIndex..., in: v)).map({ $0.range.length == (v as NSString).length }) == true else {
                    throw SSM.Errors.parameterPatternMismatchException("Parameter value, cannot be validated against allowedPattern: \(pattern)")
                }
            }
            let now = now()
            var policies = old?.latest.policies
            var expiresAt: Date?
            if let text = input.policies {
                let checked = try Self.checkPolicies(text, now: now)
                policies = checked.policies.isEmpty ? nil : checked.policies
                expiresAt = checked.expiresAt
            } else if let kept = policies {
                expiresAt = try Self.checkPolicies("[\(kept.joined(separator: ","))]", now: .distantPast).expiresAt
            }
            // Tier: Standard holds 4 KB and no policies; Intelligent-Tiering picks Advanced when either needs it.
            let size = input.value.utf8.count
            var tier = input.tier?.rawValue ?? old?.latest.tier ?? "Standard"
            if tier == "Intelligent-Tiering" { tier = (size > Self.standardLimit || policies != nil || old?.latest.tier == "Advanced") ? "Advanced" : "Standard" }
            if old?.latest.tier == "Advanced" && tier == "Standard" {
                throw Self.validation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier.")
            }
            guard size <= (tier == "Advanced" ? Self.advancedLimit : Self.standardLimit) else {
                throw Self.validation("Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.")
            }
            if tier == "Standard" && policies != nil {
                throw Self.validation("Parameter policies are supported only for advanced tier parameters.")
            }
            let arn = Self.arn(c, name)
            let keyId = type == "SecureString" ? (input.keyId ?? old?.latest.keyId ?? "alias/aws/ssm") : nil
            let stored = try await type == "SecureString" ? encrypt(input.value, keyId: keyId ?? "alias/aws/ssm", arn: arn, c) : Array(input.value.utf8)
            let version = VersionDoc(type: type, keyId: keyId, description: input.description ?? old?.latest.description,
                                     allowedPattern: allowedPattern, tier: tier, policies: policies, dataType: dataType, labels: [],
                                     lastModifiedMillis: Int64(now.timeIntervalSince1970 * 1000), user: c.principal?.arn ?? "")
            var tags = old?.tags ?? []
            if old == nil {
                tags = try Self.mergedTags([], input.tags ?? [])
            }
            let doc = ParameterDoc(latest: version, tags: tags)
            let outcome = try await repository.put(
                account: c.account, region: c.region, name: name, value: stored,
                parameterDoc: String(decoding: try JSONEncoder().encode(doc), as: UTF8.self), versionDoc: version.encoded(),
                overwrite: input.overwrite == true, expiresAtMillis: expiresAt.map { Int64($0.timeIntervalSince1970 * 1000) },
                notifyAtMillis: Self.nextNotification(version), labelled: Self.labelled)
            switch outcome {
            case .stored(let v): return SSM.PutParameterResult(version: v, tier: SSM.ParameterTier(rawValue: tier))
            case .exists: throw SSM.Errors.parameterAlreadyExists("The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
            case .oldestLabelled:
                throw SSM.Errors.parameterMaxVersionLimitExceeded("You attempted to create a new version of \(name) by calling the PutParameter API with the overwrite flag. Version 1, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.")
            }
        }
    }

    // MARK: reads

    /// The version a selector names (`3` or a label), or the newest.
    func resolve(_ asked: String, selector: String?, _ c: RequestContext) async throws -> ParameterVersionRow {
        guard let p = try await lookup(asked, c) else { throw Self.notFound(asked) }
        let name = p.name
        guard let selector else {
            guard let v = try await repository.version(account: c.account, region: c.region, name: name, version: p.version) else {
                throw Self.notFound(name)
            }
            return v
        }
        if let n = Int64(selector) {
            guard let v = try await repository.version(account: c.account, region: c.region, name: name, version: n) else {
                throw SSM.Errors.parameterVersionNotFound("Systems Manager could not find version \(n) of \(name). Verify the version and try again.")
            }
            return v
        }
        for v in try await repository.versions(account: c.account, region: c.region, name: name) {
            if (try? Self.decodeVersion(v.doc))?.labels.contains(selector) == true { return v }
        }
        // AWS's text for an unknown label is not recorded; Warden's own wording.
        throw SSM.Errors.parameterVersionNotFound("Systems Manager could not find version labelled \(selector) of \(name). Verify the label and try again.")
    }

    func parameter(_ v: ParameterVersionRow, decrypt: Bool, selector: String?, _ c: RequestContext) async throws -> SSM.Parameter {
        let doc = try Self.decodeVersion(v.doc)
        let arn = Self.arn(c, v.name)
        let value: String
        if doc.type == "SecureString" {
            value = decrypt ? try await self.decrypt(v.value, arn: arn, c) : Data(v.value).base64EncodedString()
        } else {
            value = String(decoding: v.value, as: UTF8.self)
        }
        return SSM.Parameter(name: v.name, type: SSM.ParameterType(rawValue: doc.type), value: value, version: v.version,
                             selector: selector.map { ":" + $0 }, lastModifiedDate: Date(timeIntervalSince1970: Double(doc.lastModifiedMillis) / 1000),
                             arn: arn, dataType: doc.dataType)
    }

    static let referencePrefix = "/aws/reference/secretsmanager/"

    /// `/aws/reference/secretsmanager/ID[:VersionId|:VersionStage]`: the secret's value through Parameter Store's API.
    func referenced(_ raw: String, decrypt: Bool, _ c: RequestContext) async throws -> SSM.Parameter {
        // The user guide says a reference needs WithDecryption; AWS's error text for it is not recorded (Warden's wording).
        guard decrypt else { throw Self.validation("WithDecryption flag must be True for retrieving a Secret Manager secret.") }
        guard let secrets else { throw Self.notFound(raw) }
        var id = String(raw.dropFirst(Self.referencePrefix.count))
        var selector: String?
        let parts = id.split(separator: ":", omittingEmptySubsequences: false)
        if id.hasPrefix("arn:") ? parts.count == 8 : parts.count == 2 {
            selector = parts.last.map(String.init)
            id = parts.dropLast().joined(separator: ":")
        }
        let s: ReferencedSecret
        do {
            // Secrets Manager opens the secret, so its KMS use is Secrets Manager's (`kms:ViaService`), as on AWS.
            var viaSecrets = c
            viaSecrets.service = "secretsmanager"
            s = try await secrets.referencedSecret(id: id, versionIdOrStage: selector, context: viaSecrets)
        } catch let e as AWSError where e.code == "ResourceNotFoundException" {
            // LocalStack's AWS-validated test matches `Secret .*aws/reference/secretsmanager/NAME.* not found.`; the
            // surrounding words are moto's (unverified).
            throw SSM.Errors.parameterNotFound("An error occurred (ParameterNotFound) when referencing Secrets Manager: Secret \(raw) not found.")
        }
        let name = selector.map { _ in String(raw.dropLast((selector?.count ?? 0) + 1)) } ?? raw
        // The ARN is the secret's, not a parameter's (the user guide's example). Version 0 and DataType are moto's
        // (the guide's example shows neither; unverified).
        return SSM.Parameter(name: name, type: .secureString, value: s.value, version: 0, selector: selector.map { ":" + $0 },
                             sourceResult: s.description, lastModifiedDate: s.createdAt, arn: s.arn, dataType: "text")
    }

    func getParameter(_ input: SSM.GetParameterRequest, context c: RequestContext) async throws -> SSM.GetParameterResult {
        if input.name.hasPrefix(Self.referencePrefix) {
            return SSM.GetParameterResult(parameter: try await referenced(input.name, decrypt: input.withDecryption == true, c))
        }
        let name: String
        let selector: String?
        let v: ParameterVersionRow
        do {
            let parsed = try Self.selector(input.name, c)
            name = parsed.name
            selector = parsed.selector
            try Self.checkReadName(name)
            if Self.isPublic(name) {
                guard let p = Self.publicParameter(name, selector: selector, c) else { throw Self.notFound(name) }
                return SSM.GetParameterResult(parameter: p)
            }
            v = try await resolve(name, selector: selector, c)
        } catch let e as AWSError where e.code == "ParameterNotFound" {
            // GetParameter's ParameterNotFound has no message at all: real AWS answers `{"__type":"ParameterNotFound"}`
            // (fact sheet: a deployment log, aws-sdk-js #4330, the CLI's empty text). Other operations keep theirs.
            throw SSM.Errors.parameterNotFound("")
        }
        var p = try await parameter(v, decrypt: input.withDecryption == true, selector: selector, c)
        // The Name is the one asked for (`x` or `/x`; an ARN's plain name), without the selector.
        p.name = name
        return SSM.GetParameterResult(parameter: p)
    }

    /// Reads refuse names that break the hierarchy rules (`/a//b`, `a/b`) with ValidationException, as LocalStack's
    /// AWS-validated test_hierarchical_parameter records (message containing "sub-paths divided by slash symbol"; the
    /// full text is the one moto copies, unverified).
    static func checkReadName(_ name: String) throws(AWSError) {
        if name.contains("//") || (name.contains("/") && !name.hasPrefix("/")) {
            throw validation(#"Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_"#)
        }
    }

    func getParameters(_ input: SSM.GetParametersRequest, context c: RequestContext) async throws -> SSM.GetParametersResult {
        guard (1...10).contains(input.names.count) else { throw Self.validation("Names must hold 1 to 10 names.") }
        var found: [SSM.Parameter] = []
        var invalid: [String] = []
        for raw in input.names {
            do {
                if raw.hasPrefix(Self.referencePrefix) {
                    found.append(try await referenced(raw, decrypt: input.withDecryption == true, c))
                    continue
                }
                let (name, selector) = try Self.selector(raw, c)
                try Self.checkReadName(name)
                if Self.isPublic(name) {
                    if let p = Self.publicParameter(name, selector: selector, c) { found.append(p) } else { invalid.append(raw) }
                    continue
                }
                let v = try await resolve(name, selector: selector, c)
                var p = try await parameter(v, decrypt: input.withDecryption == true, selector: selector, c)
                p.name = name  // as asked (`x` or `/x`), as GetParameter
                found.append(p)
            } catch let e as AWSError where ["ParameterNotFound", "ParameterVersionNotFound", "ValidationException"].contains(e.code) {
                invalid.append(raw)
            }
        }
        return SSM.GetParametersResult(parameters: found.sorted { ($0.name ?? "") < ($1.name ?? "") }, invalidParameters: invalid)
    }

    /// One ParameterStringFilter against a version's facts.
    static func matches(_ f: SSM.ParameterStringFilter, doc: VersionDoc, name: String, tags: [[String]], labels: [String]) -> Bool {
        let values = f.values ?? []
        let option = f.option ?? "Equals"
        func test(_ v: String) -> Bool {
            values.contains { x in
                switch option {
                case "BeginsWith": return v.hasPrefix(x)
                case "Contains": return v.contains(x)
                default: return v == x
                }
            }
        }
        switch f.key {
        case "Type": return test(doc.type)
        case "KeyId": return doc.keyId.map(test) ?? false
        case "Label": return labels.contains(where: test)
        case "Tier": return test(doc.tier)
        case "DataType": return test(doc.dataType)
        case "Name":
            // `x` and `/x` are one name: both sides are compared with a leading slash (the filter `/param` finds
            // `param`); Contains looks inside the name as written with that slash.
            let canonical = name.hasPrefix("/") ? name : "/" + name
            return values.contains { x in
                let wanted = x.hasPrefix("/") ? x : "/" + x
                switch option {
                case "BeginsWith": return canonical.hasPrefix(wanted)
                case "Contains": return canonical.contains(x)
                default: return canonical == wanted
                }
            }
        default:
            if f.key.hasPrefix("tag:") {
                let key = String(f.key.dropFirst(4))
                guard let tag = tags.first(where: { $0.first == key }) else { return false }
                return values.isEmpty || test(tag.count > 1 ? tag[1] : "")
            }
            return false
        }
    }

    func getParametersByPath(_ input: SSM.GetParametersByPathRequest, context c: RequestContext) async throws -> SSM.GetParametersByPathResult {
        let path = try Self.normalize(input.path, c)
        guard path.hasPrefix("/") else { throw Self.validation("The parameter path must begin with a forward slash (/).") }
        let limit = input.maxResults ?? 10
        for f in input.parameterFilters ?? [] {
            // Label is allowed (LocalStack's AWS-validated test_get_parameters_by_path_and_filter_by_labels) though
            // the text, as moto copies it, names only Type and KeyId.
            guard ["Type", "KeyId", "Label"].contains(f.key) else {
                throw SSM.Errors.invalidFilterKey("The following filter key is not valid: \(f.key). Valid filter keys include: [Type, KeyId].")
            }
            guard f.key != "Label" || (f.option ?? "Equals") == "Equals", ["Equals", "BeginsWith"].contains(f.option ?? "Equals") else {
                throw SSM.Errors.invalidFilterOption("The following filter option is not valid: \(f.option ?? ""). Valid options include: [Equals, BeginsWith].")
            }
        }
        // `/` is the top level: names without a hierarchy, stored with or without their slash (moto: `foo`, `baz`).
        let prefix = path == "/" ? "" : (path.hasSuffix("/") ? path : path + "/")
        var after = try input.nextToken.map(Self.token)
        if Self.isPublic(path) {
            let page = Self.publicByPath(path, recursive: input.recursive == true, filters: input.parameterFilters ?? [], limit: limit,
                                         after: after, c)
            return SSM.GetParametersByPathResult(parameters: page.parameters, nextToken: page.next)
        }
        var out: [SSM.Parameter] = []
        var next: String?
        scan: while true {
            let rows = try await repository.parameters(account: c.account, region: c.region, prefix: prefix, after: after, limit: 100)
            if rows.isEmpty { break }
            for row in rows {
                guard row.name.hasPrefix(prefix) else { break scan }
                after = row.name
                if !Self.underPath(row.name, paths: [path], recursive: input.recursive == true) { continue }
                let doc = try Self.decodeParameter(row.doc)
                if let filters = input.parameterFilters, !filters.isEmpty {
                    let labels = filters.contains { $0.key == "Label" }
                        ? try await repository.versions(account: c.account, region: c.region, name: row.name).flatMap { (try? Self.decodeVersion($0.doc))?.labels ?? [] }
                        : []
                    guard filters.allSatisfy({ Self.matches($0, doc: doc.latest, name: row.name, tags: doc.tags, labels: labels) }) else { continue }
                }
                guard let v = try await repository.version(account: c.account, region: c.region, name: row.name, version: row.version) else { continue }
                out.append(try await parameter(v, decrypt: input.withDecryption == true, selector: nil, c))
                if out.count == limit {
                    next = Data(row.name.utf8).base64EncodedString()
                    break scan
                }
            }
            if rows.count < 100 { break }
        }
        return SSM.GetParametersByPathResult(parameters: out, nextToken: next)
    }

    static func token(_ t: String) throws(AWSError) -> String {
        guard let raw = Data(base64Encoded: t), let s = String(data: raw, encoding: .utf8) else { throw SSM.Errors.invalidNextToken("The specified token isn't valid.") }
        return s
    }

    func metadata(_ name: String, _ doc: ParameterDoc, version: Int64, _ c: RequestContext) -> SSM.ParameterMetadata {
        let v = doc.latest
        return SSM.ParameterMetadata(
            name: name, arn: Self.arn(c, name), type: SSM.ParameterType(rawValue: v.type), keyId: v.keyId,
            lastModifiedDate: Date(timeIntervalSince1970: Double(v.lastModifiedMillis) / 1000), lastModifiedUser: v.user,
            description: v.description, allowedPattern: v.allowedPattern, version: version, tier: SSM.ParameterTier(rawValue: v.tier),
            policies: (v.policies ?? []).map { text in
                let type = Self.policyType(text)
                return SSM.ParameterInlinePolicy(policyText: text, policyType: type,
                                                 policyStatus: v.fired?.contains(type ?? "") == true ? "Finished" : "Pending")
            },
            dataType: v.dataType)
    }

    static func policyType(_ text: String) -> String? { (try? JSONParser.parse(Array(text.utf8)))?["Type"]?.stringValue }

    /// The path hierarchy rules a Path filter value must meet (moto's text, copied from AWS; unverified).
    static let pathRequirements = #"The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash "/". It can't be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_."#

    /// DescribeParameters' filter rules, checked in order per filter, with the texts moto's tests copy from AWS:
    /// Label is not a DescribeParameters key; Name/Type/Path/Tier/KeyId need values; a key appears once; Path takes
    /// Recursive or OneLevel (OneLevel when no Option is given) and a valid path outside /aws and /ssm; Type and Tier
    /// values are their enums; other keys take Equals or BeginsWith (Name also Contains).
    static func checkDescribeFilters(_ filters: [SSM.ParameterStringFilter]) throws(AWSError) {
        var seen = Set<String>()
        for f in filters {
            let values = f.values ?? []
            if f.key == "Label" {
                throw SSM.Errors.invalidFilterKey("The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier].")
            }
            if ["Name", "Type", "Path", "Tier", "KeyId"].contains(f.key) && values.isEmpty {
                // Note the space before the colon, as in the recorded text.
                throw SSM.Errors.invalidFilterValue("The following filter values are missing : null for filter key \(f.key).")
            }
            guard seen.insert(f.key).inserted else {
                throw SSM.Errors.invalidFilterKey("The following filter is duplicated in the request: \(f.key). A request can contain only one occurrence of a specific filter.")
            }
            switch f.key {
            case "Path":
                let option = f.option ?? "OneLevel"
                guard ["Recursive", "OneLevel"].contains(option) else {
                    throw SSM.Errors.invalidFilterOption("The following filter option is not valid: \(option). Valid options include: [Recursive, OneLevel].")
                }
                for v in values {
                    let lower = v.lowercased()
                    if lower.hasPrefix("/aws") || lower.hasPrefix("/ssm") {
                        throw validation(#"Filters for common parameters can't be prefixed with "aws" or "ssm" (case-insensitive). When using global parameters, please specify within a global namespace."#)
                    }
                    let allowed = v.unicodeScalars.allSatisfy { s in
                        (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || "_.-/".unicodeScalars.contains(s)
                    }
                    if v.contains("//") || !v.hasPrefix("/") || !allowed { throw validation(pathRequirements) }
                }
                continue
            case "Tier":
                // moto answers InvalidFilterOption here; InvalidFilterValue is Warden's choice (the code is not recorded).
                if let bad = values.first(where: { !["Standard", "Advanced", "Intelligent-Tiering"].contains($0) }) {
                    throw SSM.Errors.invalidFilterValue("The following filter value is not valid: \(bad). Valid values include: [Standard, Advanced, Intelligent-Tiering].")
                }
            case "Type":
                if let bad = values.first(where: { !["String", "StringList", "SecureString"].contains($0) }) {
                    throw SSM.Errors.invalidFilterValue("The following filter value is not valid: \(bad). Valid values include: [String, StringList, SecureString].")
                }
            default:
                break
            }
            let option = f.option ?? "Equals"
            guard ["Equals", "BeginsWith"].contains(option) || (f.key == "Name" && option == "Contains") else {
                throw SSM.Errors.invalidFilterOption("The following filter option is not valid: \(option). Valid options include: [BeginsWith, Equals].")
            }
        }
    }

    /// A Path filter: `/` is the top level (names with no hierarchy, in either spelling); otherwise the names under
    /// the path, one level down (OneLevel) or at any depth (Recursive).
    static func underPath(_ name: String, paths: [String], recursive: Bool) -> Bool {
        let canonical = name.hasPrefix("/") ? name : "/" + name
        return paths.contains { raw in
            let path = raw.hasSuffix("/") && raw.count > 1 ? String(raw.dropLast()) : raw
            if path == "/" { return recursive || !canonical.dropFirst().contains("/") }
            guard canonical.hasPrefix(path + "/") else { return false }
            return recursive || !canonical.dropFirst(path.count + 1).contains("/")
        }
    }

    func describeParameters(_ input: SSM.DescribeParametersRequest, context c: RequestContext) async throws -> SSM.DescribeParametersResult {
        let limit = input.maxResults ?? 50
        if input.filters?.isEmpty == false && input.parameterFilters?.isEmpty == false {
            // moto's text (copied from AWS; unverified).
            throw Self.validation("You can use either Filters or ParameterFilters in a single request.")
        }
        var filters = input.parameterFilters ?? []
        for f in input.filters ?? [] {
            filters.append(SSM.ParameterStringFilter(key: f.key.rawValue, option: "Equals", values: f.values))
        }
        try Self.checkDescribeFilters(filters)
        let pathFilter = filters.first { $0.key == "Path" }.map { f in (paths: f.values ?? [], recursive: f.option == "Recursive") }
        // One path below the top level narrows the scan to its names; otherwise every name is looked at.
        var scanPrefix = ""
        if let pf = pathFilter, pf.paths.count == 1, let only = pf.paths.first, only != "/" {
            scanPrefix = only.hasSuffix("/") ? only : only + "/"
        }
        var after = try input.nextToken.map(Self.token)
        var out: [SSM.ParameterMetadata] = []
        var next: String?
        scan: while true {
            let rows = try await repository.parameters(account: c.account, region: c.region, prefix: scanPrefix, after: after, limit: 200)
            if rows.isEmpty { break }
            for row in rows {
                if !scanPrefix.isEmpty && !row.name.hasPrefix(scanPrefix) { break scan }
                after = row.name
                if let pf = pathFilter, !Self.underPath(row.name, paths: pf.paths, recursive: pf.recursive) { continue }
                let doc = try Self.decodeParameter(row.doc)
                guard filters.filter({ $0.key != "Path" }).allSatisfy({ Self.matches($0, doc: doc.latest, name: row.name, tags: doc.tags, labels: []) }) else { continue }
                out.append(metadata(row.name, doc, version: row.version, c))
                if out.count == limit {
                    next = Data(row.name.utf8).base64EncodedString()
                    break scan
                }
            }
            if rows.count < 200 { break }
        }
        return SSM.DescribeParametersResult(parameters: out, nextToken: next)
    }

    func getParameterHistory(_ input: SSM.GetParameterHistoryRequest, context c: RequestContext) async throws -> SSM.GetParameterHistoryResult {
        let name = try await storedName(try Self.normalize(input.name, c), c)
        guard try await repository.parameter(account: c.account, region: c.region, name: name) != nil else { throw Self.notFound(name) }
        let limit = input.maxResults ?? 50
        let start = try input.nextToken.map { t throws(AWSError) -> Int in
            guard let n = Int(try Self.token(t)) else { throw SSM.Errors.invalidNextToken("The specified token isn't valid.") }
            return n
        } ?? 0
        let all = try await repository.versions(account: c.account, region: c.region, name: name)
        var out: [SSM.ParameterHistory] = []
        for v in all.dropFirst(start).prefix(limit) {
            let doc = try Self.decodeVersion(v.doc)
            let p = try await parameter(v, decrypt: input.withDecryption == true, selector: nil, c)
            out.append(SSM.ParameterHistory(
                name: name, type: p.type, keyId: doc.keyId, lastModifiedDate: p.lastModifiedDate, lastModifiedUser: doc.user,
                description: doc.description, value: p.value, allowedPattern: doc.allowedPattern, version: v.version,
                labels: doc.labels, tier: SSM.ParameterTier(rawValue: doc.tier),
                policies: (doc.policies ?? []).map { SSM.ParameterInlinePolicy(policyText: $0, policyType: Self.policyType($0), policyStatus: "Pending") },
                dataType: doc.dataType))
        }
        let end = start + out.count
        return SSM.GetParameterHistoryResult(parameters: out, nextToken: end < all.count ? Data(String(end).utf8).base64EncodedString() : nil)
    }

    // MARK: labels

    static func isValidLabel(_ l: String) -> Bool {
        guard (1...100).contains(l.utf8.count), let first = l.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        let lower = l.lowercased()
        guard !lower.hasPrefix("aws"), !lower.hasPrefix("ssm") else { return false }
        return l.unicodeScalars.allSatisfy { s in
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || "._-".unicodeScalars.contains(s)
        }
    }

    func labelParameterVersion(_ input: SSM.LabelParameterVersionRequest, context c: RequestContext) async throws -> SSM.LabelParameterVersionResult {
        let name = try await storedName(try Self.normalize(input.name, c), c)
        guard (1...10).contains(input.labels.count) else { throw Self.validation("Labels must hold 1 to 10 labels.") }
        return try await locks.withLock(Self.lockKey(c.account, c.region, name)) {
            guard let p = try await repository.parameter(account: c.account, region: c.region, name: name) else { throw Self.notFound(name) }
            let target = input.parameterVersion ?? p.version
            var versions: [Int64: VersionDoc] = [:]
            for v in try await repository.versions(account: c.account, region: c.region, name: name) { versions[v.version] = try Self.decodeVersion(v.doc) }
            guard versions[target] != nil else {
                throw SSM.Errors.parameterVersionNotFound("Systems Manager could not find version \(target) of \(name). Verify the version and try again.")
            }
            let invalid = input.labels.filter { !Self.isValidLabel($0) }
            let valid = input.labels.filter(Self.isValidLabel)
            var changed: Set<Int64> = [target]
            for label in valid {
                for (n, doc) in versions where n != target && doc.labels.contains(label) {
                    versions[n]?.labels.removeAll { $0 == label }
                    changed.insert(n)
                }
                if versions[target]?.labels.contains(label) == false { versions[target]?.labels.append(label) }
            }
            guard (versions[target]?.labels.count ?? 0) <= 10 else {
                // The text moto copies from AWS, without a space after "labels." (unverified).
                throw SSM.Errors.parameterVersionLabelLimitExceeded("A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.")
            }
            var docs: [Int64: String] = [:]
            for n in changed { docs[n] = versions[n]?.encoded() }
            guard try await repository.updateVersionDocs(account: c.account, region: c.region, name: name, docs: docs) else { throw Self.notFound(name) }
            return SSM.LabelParameterVersionResult(invalidLabels: invalid, parameterVersion: target)
        }
    }

    func unlabelParameterVersion(_ input: SSM.UnlabelParameterVersionRequest, context c: RequestContext) async throws -> SSM.UnlabelParameterVersionResult {
        let name = try await storedName(try Self.normalize(input.name, c), c)
        return try await locks.withLock(Self.lockKey(c.account, c.region, name)) {
            guard try await repository.parameter(account: c.account, region: c.region, name: name) != nil else { throw Self.notFound(name) }
            guard let v = try await repository.version(account: c.account, region: c.region, name: name, version: input.parameterVersion) else {
                throw SSM.Errors.parameterVersionNotFound("Systems Manager could not find version \(input.parameterVersion) of \(name). Verify the version and try again.")
            }
            var doc = try Self.decodeVersion(v.doc)
            let removed = input.labels.filter { doc.labels.contains($0) }
            doc.labels.removeAll { removed.contains($0) }
            _ = try await repository.updateVersionDocs(account: c.account, region: c.region, name: name, docs: [v.version: doc.encoded()])
            return SSM.UnlabelParameterVersionResult(removedLabels: removed, invalidLabels: input.labels.filter { !removed.contains($0) })
        }
    }

    // MARK: delete

    func deleteParameter(_ input: SSM.DeleteParameterRequest, context c: RequestContext) async throws -> SSM.DeleteParameterResult {
        let name = try await storedName(try Self.normalize(input.name, c), c)
        guard try await repository.delete(account: c.account, region: c.region, name: name) else { throw Self.notFound(name) }
        return SSM.DeleteParameterResult()
    }

    func deleteParameters(_ input: SSM.DeleteParametersRequest, context c: RequestContext) async throws -> SSM.DeleteParametersResult {
        guard (1...10).contains(input.names.count) else { throw Self.validation("Names must hold 1 to 10 names.") }
        var deleted: [String] = []
        var invalid: [String] = []
        for raw in input.names {
            let name = try await storedName((try? Self.normalize(raw, c)) ?? raw, c)
            if try await repository.delete(account: c.account, region: c.region, name: name) { deleted.append(raw) } else { invalid.append(raw) }
        }
        return SSM.DeleteParametersResult(deletedParameters: deleted, invalidParameters: invalid)
    }

    /// Deletes parameters whose Expiration time has come (the policy job), recording the policy's event first.
    public func expireParameters() async throws -> Int {
        var n = 0
        for p in try await repository.expired(nowMillis: nowMillis, limit: 500) {
            // Under the parameter's lock, read again: a PutParameter since the listing may have replaced the policy.
            let deleted = try await locks.withLock(Self.lockKey(p.account, p.region, p.name)) { () async throws -> Bool in
                guard let row = try await repository.parameter(account: p.account, region: p.region, name: p.name) else { return false }
                if let doc = try? Self.decodeParameter(row.doc) {
                    let policies = doc.latest.policies ?? []
                    guard let at = (try? Self.checkPolicies("[\(policies.joined(separator: ","))]", now: .distantPast))?.expiresAt,
                          Int64(at.timeIntervalSince1970 * 1000) <= nowMillis else { return false }
                    try await repository.recordNotifications(
                        account: p.account, region: p.region, name: p.name,
                        events: [Self.policyEvent(name: p.name, account: p.account, region: p.region, type: doc.latest.type,
                                                  policy: "Expiration", reason: "The parameter was deleted because its Expiration policy's time came.",
                                                  at: now())],
                        nextAtMillis: nil, doc: row.doc, nowMillis: nowMillis)
                }
                return try await repository.delete(account: p.account, region: p.region, name: p.name)
            }
            if deleted { n += 1 }
        }
        return n
    }

    // MARK: notification policies

    /// The time of each notification policy of a version: ExpirationNotification `Before` the expiration, and
    /// NoChangeNotification `After` the last change.
    static func notificationTimes(_ v: VersionDoc) -> [(type: String, atMillis: Int64)] {
        var expires: Int64?
        var out: [(String, Int64)] = []
        let parsed = (v.policies ?? []).compactMap { try? JSONParser.parse(Array($0.utf8)) }
        for p in parsed where p["Type"]?.stringValue == "Expiration" {
            expires = p["Attributes"]?["Timestamp"]?.stringValue.flatMap(Timestamps.parseISO8601).map { Int64($0.timeIntervalSince1970 * 1000) }
        }
        func span(_ p: JSONValue, _ key: String) -> Int64? {
            guard let n = p["Attributes"]?[key]?.stringValue.flatMap(Int64.init) else { return nil }
            return n * (p["Attributes"]?["Unit"]?.stringValue == "Hours" ? 3_600_000 : 86_400_000)
        }
        for p in parsed {
            switch p["Type"]?.stringValue {
            case "ExpirationNotification":
                if let e = expires, let before = span(p, "Before") { out.append(("ExpirationNotification", e - before)) }
            case "NoChangeNotification":
                if let after = span(p, "After") { out.append(("NoChangeNotification", v.lastModifiedMillis + after)) }
            default: break
            }
        }
        return out
    }

    static func nextNotification(_ v: VersionDoc) -> Int64? {
        notificationTimes(v).filter { !(v.fired ?? []).contains($0.type) }.map(\.atMillis).min()
    }

    /// EventBridge's event for a policy action (detail-type `Parameter Store Policy Action`, source `aws.ssm`).
    static func policyEvent(name: String, account: String, region: String, type: String, policy: String, reason: String, at: Date) -> String {
        let partition = Partition(region: region).rawValue
        let arn = "arn:\(partition):ssm:\(region):\(account):parameter\(name.hasPrefix("/") ? "" : "/")\(name)"
        let event: JSONValue = .object([
            ("version", .string("0")), ("id", .string(UUID().uuidString.lowercased())),
            ("detail-type", .string("Parameter Store Policy Action")), ("source", .string("aws.ssm")),
            ("account", .string(account)), ("time", .string(Timestamps.iso8601(at, fractional: false))), ("region", .string(region)),
            ("resources", .array([.string(arn)])),
            ("detail", .object([("parameter-name", .string(name)), ("parameter-type", .string(type)), ("policy-type", .string(policy)),
                                ("action-status", .string("Finished")), ("action-reason", .string(reason))])),
        ])
        return String(decoding: JSONWriter.write(event), as: UTF8.self)
    }

    /// Sends the notification policies that are due (the policy job): their events are kept for EventBridge.
    public func notifyPolicies() async throws -> Int {
        var sent = 0
        let nowMs = nowMillis
        for p in try await repository.notificationsDue(nowMillis: nowMs, limit: 500) {
            sent += try await locks.withLock(Self.lockKey(p.account, p.region, p.name)) { () async throws -> Int in
                guard let row = try await repository.parameter(account: p.account, region: p.region, name: p.name),
                      var doc = try? Self.decodeParameter(row.doc) else { return 0 }
                var events: [String] = []
                for (type, at) in Self.notificationTimes(doc.latest) where at <= nowMs && !(doc.latest.fired ?? []).contains(type) {
                    let reason = type == "NoChangeNotification"
                        ? "The parameter has not been changed for the time its NoChangeNotification policy names."
                        : "The parameter's Expiration policy deletes it soon."
                    events.append(Self.policyEvent(name: p.name, account: p.account, region: p.region, type: doc.latest.type,
                                                   policy: type, reason: reason, at: now()))
                    doc.latest.fired = (doc.latest.fired ?? []) + [type]
                }
                try await repository.recordNotifications(account: p.account, region: p.region, name: p.name, events: events,
                                                         nextAtMillis: Self.nextNotification(doc.latest),
                                                         doc: String(decoding: try JSONEncoder().encode(doc), as: UTF8.self), nowMillis: nowMs)
                return events.count
            }
        }
        return sent
    }

    // MARK: tags

    static func mergedTags(_ existing: [[String]], _ adding: [SSM.Tag]) throws(AWSError) -> [[String]] {
        var tags = existing
        for t in adding {
            guard (1...128).contains(t.key.utf8.count), t.value.utf8.count <= 256, !t.key.lowercased().hasPrefix("aws:") else {
                throw validation("Tag key or value is not valid: \(t.key)")
            }
            if let i = tags.firstIndex(where: { $0.first == t.key }) { tags[i] = [t.key, t.value] } else { tags.append([t.key, t.value]) }
        }
        guard tags.count <= 50 else { throw SSM.Errors.tooManyTagsError("The Tags parameter contains more than the maximum of 50 tags.") }
        return tags
    }

    func taggedParameter(_ type: SSM.ResourceTypeForTagging, _ id: String, _ c: RequestContext) async throws -> (String, ParameterDoc) {
        guard type == .parameter else { throw SSM.Errors.invalidResourceType("Warden serves tags on parameters only.") }
        let name = try await storedName(try Self.normalize(id, c), c)
        guard let p = try await repository.parameter(account: c.account, region: c.region, name: name) else {
            throw SSM.Errors.invalidResourceId("The resource ID \(id) is not valid. Verify the ID and try again.")
        }
        return (name, try Self.decodeParameter(p.doc))
    }

    func saveTags(_ name: String, _ doc: ParameterDoc, _ c: RequestContext) async throws {
        guard try await repository.updateParameterDoc(account: c.account, region: c.region, name: name,
                                                      doc: String(decoding: try JSONEncoder().encode(doc), as: UTF8.self)) else {
            throw SSM.Errors.invalidResourceId("The resource ID \(name) is not valid.")
        }
    }

    func addTagsToResource(_ input: SSM.AddTagsToResourceRequest, context c: RequestContext) async throws -> SSM.AddTagsToResourceResult {
        let n = try Self.normalize(input.resourceId, c)
        return try await locks.withLock(Self.lockKey(c.account, c.region, n)) {
            var (name, doc) = try await taggedParameter(input.resourceType, input.resourceId, c)
            doc.tags = try Self.mergedTags(doc.tags, input.tags)
            try await saveTags(name, doc, c)
            return SSM.AddTagsToResourceResult()
        }
    }

    func removeTagsFromResource(_ input: SSM.RemoveTagsFromResourceRequest, context c: RequestContext) async throws -> SSM.RemoveTagsFromResourceResult {
        let n = try Self.normalize(input.resourceId, c)
        return try await locks.withLock(Self.lockKey(c.account, c.region, n)) {
            var (name, doc) = try await taggedParameter(input.resourceType, input.resourceId, c)
            doc.tags.removeAll { input.tagKeys.contains($0.first ?? "") }
            try await saveTags(name, doc, c)
            return SSM.RemoveTagsFromResourceResult()
        }
    }

    func listTagsForResource(_ input: SSM.ListTagsForResourceRequest, context c: RequestContext) async throws -> SSM.ListTagsForResourceResult {
        let (_, doc) = try await taggedParameter(input.resourceType, input.resourceId, c)
        return SSM.ListTagsForResourceResult(tagList: doc.tags.map { SSM.Tag(key: $0[0], value: $0.count > 1 ? $0[1] : "") })
    }
}
