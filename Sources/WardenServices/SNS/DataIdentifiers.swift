// Data identifiers of message data protection: AWS's managed ones that a pattern can find, and custom regexes.
//
// AWS detects "by using machine learning and pattern matching" (SNS Developer Guide, "Managed data identifiers").
// Warden detects what a pattern plus a check can: every identifier below is a regular expression, an optional
// validator (Luhn, mod 97, check digits, value ranges) and, where AWS's tables say "keyword required", a keyword in
// proximity. The identifiers AWS finds by machine learning (Name, Address) and the national formats Warden has no
// pattern for are known names — a policy naming them is valid — but never match; `detectable` lists what does.
//
// Detected (DataIdentifiers+Catalog.swift says how each is matched): AwsSecretKey, OpenSsh/Pgp/Pkcs/PuttyPrivateKey,
// IpAddress (v4 and v6), CreditCardNumber (Luhn, issuer ranges, test numbers excluded), CreditCardExpiration,
// CreditCardSecurityCode, CreditCardMagneticStripe, BankAccountNumber-US and -GB/DE/FR/ES/IT (IBAN mod 97), EmailAddress,
// Ssn-US, Ssn-ES, PhoneNumber and PhoneNumber-US/GB/DE/FR/ES/IT/BR, ZipCode-US, PostalCode-CA, DateOfBirth, LatLong,
// VehicleIdentificationNumber, NationalInsuranceNumber-GB, SocialInsuranceNumber-CA (Luhn),
// IndividualTaxIdentificationNumber-US, PassportNumber-US, DriversLicense-US, CpfCode-BR and Cnpj-BR (check digits),
// CepCode-BR, NieNumber-ES, NifNumber-ES and NationalIdentificationNumber-ES (check letter), InseeCode-FR (key),
// NhsNumber-GB (mod 11), DrugEnforcementAgencyNumber-US (check digit), NationalProviderId-US (Luhn), MedicareBeneficiaryNumber-US,
// NationalDrugCode-US, HealthcareProcedureCode-US, PersonalHealthNumber-CA.
// Known but never detected: Name, Address, the other countries' DriversLicense and PassportNumber, ElectoralRollNumber-GB,
// HealthInsuranceCardNumber-EU, HealthInsuranceClaimNumber-US, HealthInsuranceNumber-FR, NationalIdentificationNumber-DE/IT,
// PermanentResidenceNumber-CA, RgNumber-BR, TaxId-DE/ES/FR/GB.
//
// Keywords follow the guide's rules: not case sensitive, and a keyword with a space also matches it without the
// space or with `_` or `-` in its place. AWS does not publish the proximity distance; Warden takes 50 characters on
// either side of the data (Macie's default maximum match distance for custom identifiers).
import Foundation

/// A compiled regular expression shared between threads.
final class SharedRegex: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable once made and documented as safe to use from several threads.
    let expression: NSRegularExpression
    init(_ e: NSRegularExpression) { expression = e }
    convenience init?(_ pattern: String, caseInsensitive: Bool = false) {
        guard let e = try? NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : []) else { return nil }
        self.init(e)
    }
    /// Every match, or `MatchBudget.Exceeded` once the budget is spent. ICU calls back periodically during a long match
    /// attempt (`.reportProgress`), so even one match that backtracks without end is stopped.
    func matches(in text: String, _ ns: NSString, budget: MatchBudget) throws -> [NSRange] {
        var out: [NSRange] = []
        var overran = false
        expression.enumerateMatches(in: text, options: [.reportProgress], range: NSRange(location: 0, length: ns.length)) { result, _, stop in
            if let result { out.append(result.range) }
            if budget.spent {
                overran = true
                stop.pointee = true
            }
        }
        if overran { throw MatchBudget.Exceeded(pattern: expression.pattern) }
        return out
    }
}

/// How long detection may take for one message. Custom identifiers are the customer's regular expressions, run on
/// bodies of up to 256 KB: even a pattern that passes the put-time checks can backtrack for minutes on an unlucky body.
/// A publish whose detection runs past its budget fails (InternalFailure, logged) rather than holding its request.
struct MatchBudget: Sendable {
    /// Warden's own bound: AWS does not document one. Far above what the managed identifiers (linear patterns) and
    /// sensible custom ones need for the largest message.
    static let perMessage: Duration = .seconds(2)

    struct Exceeded: Error, CustomStringConvertible {
        var pattern: String
        var description: String { "data identifier matching ran past its time budget (pattern \(pattern))" }
    }

    let deadline: ContinuousClock.Instant

    init(_ limit: Duration = MatchBudget.perMessage) { deadline = ContinuousClock.now.advanced(by: limit) }

    var spent: Bool { ContinuousClock.now >= deadline }
}

/// One occurrence of sensitive data: which identifier found it and where (UTF-16 offsets into the message).
struct Detection: Sendable, Equatable {
    var identifier: String
    var range: NSRange
}

/// How one managed identifier is found.
struct ManagedIdentifier: Sendable {
    /// The patterns' sources, and the ones that compiled (the same number, which the unit tests check).
    var sources: [String]
    var patterns: [SharedRegex]
    /// nil: found without a keyword.
    var keywords: [String]?
    /// Patterns (by index) that need no keyword even when `keywords` is set (a phone number with its country code).
    var keywordFree: Set<Int> = []
    var validate: (@Sendable (String) -> Bool)?
}

enum DataIdentifiers {
    static let arnPrefix = "arn:aws:dataprotection::aws:data-identifier/"

    /// Every managed identifier name SNS documents (SNS Developer Guide, "Managed data identifiers" and the sensitive
    /// data types pages: credentials, devices, financial, PHI, PII).
    static let known: Set<String> = {
        var names: Set<String> = ["Address", "AwsSecretKey", "CreditCardExpiration", "CreditCardMagneticStripe", "CreditCardNumber",
                                  "CreditCardSecurityCode", "DateOfBirth", "EmailAddress", "IpAddress", "LatLong", "Name",
                                  "OpenSshPrivateKey", "PgpPrivateKey", "PhoneNumber", "PkcsPrivateKey", "PuttyPrivateKey",
                                  "VehicleIdentificationNumber"]
        let regional: [String: [String]] = [
            "BankAccountNumber": ["DE", "ES", "FR", "GB", "IT", "US"], "CepCode": ["BR"], "Cnpj": ["BR"], "CpfCode": ["BR"],
            "DriversLicense": ["AT", "AU", "BE", "BG", "CA", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR", "HU",
                               "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "US"],
            "DrugEnforcementAgencyNumber": ["US"], "ElectoralRollNumber": ["GB"], "HealthInsuranceCardNumber": ["EU"],
            "HealthInsuranceClaimNumber": ["US"], "HealthInsuranceNumber": ["FR"], "HealthcareProcedureCode": ["US"],
            "IndividualTaxIdentificationNumber": ["US"], "InseeCode": ["FR"], "MedicareBeneficiaryNumber": ["US"],
            "NationalDrugCode": ["US"], "NationalIdentificationNumber": ["DE", "ES", "IT"], "NationalInsuranceNumber": ["GB"],
            "NationalProviderId": ["US"], "NhsNumber": ["GB"], "NieNumber": ["ES"], "NifNumber": ["ES"],
            "PassportNumber": ["CA", "DE", "ES", "FR", "GB", "IT", "US"], "PermanentResidenceNumber": ["CA"],
            "PersonalHealthNumber": ["CA"], "PhoneNumber": ["BR", "DE", "ES", "FR", "GB", "IT", "US"], "PostalCode": ["CA"],
            "RgNumber": ["BR"], "SocialInsuranceNumber": ["CA"], "Ssn": ["ES", "US"], "TaxId": ["DE", "ES", "FR", "GB"],
            "ZipCode": ["US"],
        ]
        for (base, countries) in regional { for c in countries { names.insert("\(base)-\(c)") } }
        return names
    }()

    /// The managed identifiers Warden finds, by name.
    static let detectable: [String: ManagedIdentifier] = ManagedCatalog.all

    /// Finds every occurrence of the named identifiers (managed names or custom ones) in `text`; throws
    /// `MatchBudget.Exceeded` when that takes longer than `budget` allows.
    static func detect(_ names: [String], in text: String, custom: [String: SharedRegex], budget: MatchBudget = MatchBudget()) throws -> [Detection] {
        let ns = text as NSString
        var out: [Detection] = []
        for name in names {
            if let regex = custom[name] {
                for r in try regex.matches(in: text, ns, budget: budget) where r.length > 0 { out.append(Detection(identifier: name, range: r)) }
                continue
            }
            guard let id = detectable[name] else { continue }
            // A keyword that appears nowhere in the message cannot be near anything: skip the patterns that need one.
            let keywordAnywhere = id.keywords.map { keywords in
                keywords.contains { k in variants(k).contains { text.range(of: $0, options: [.caseInsensitive]) != nil } }
            } ?? true
            var seen: [NSRange] = []
            for (i, pattern) in id.patterns.enumerated() where keywordAnywhere || id.keywords == nil || id.keywordFree.contains(i) {
                for r in try pattern.matches(in: text, ns, budget: budget) where r.length > 0 {
                    guard !seen.contains(where: { NSIntersectionRange($0, r).length > 0 }) else { continue }
                    let value = ns.substring(with: r)
                    if let validate = id.validate, !validate(value) { continue }
                    if let keywords = id.keywords, !id.keywordFree.contains(i), !keywordNear(keywords, r, ns) { continue }
                    seen.append(r)
                    out.append(Detection(identifier: name, range: r))
                }
            }
        }
        return out.sorted { ($0.range.location, $0.identifier) < ($1.range.location, $1.identifier) }
    }

    static let proximity = 50

    /// Whether one of `keywords` appears (in any letter case) within `proximity` characters before or after `range`.
    static func keywordNear(_ keywords: [String], _ range: NSRange, _ text: NSString) -> Bool {
        let start = max(0, range.location - proximity)
        let end = min(text.length, range.location + range.length + proximity)
        let before = text.substring(with: NSRange(location: start, length: range.location - start))
        let after = text.substring(with: NSRange(location: range.location + range.length, length: end - range.location - range.length))
        for keyword in keywords {
            for variant in variants(keyword) where occurs(variant, in: before) || occurs(variant, in: after) { return true }
        }
        return false
    }

    /// The keyword and, when it has spaces, the forms without them or with `_` or `-` instead.
    static func variants(_ keyword: String) -> [String] {
        let k = keyword.lowercased()
        guard k.contains(" ") else { return [k] }
        return [k, k.replacingOccurrences(of: " ", with: ""), k.replacingOccurrences(of: " ", with: "_"),
                k.replacingOccurrences(of: " ", with: "-")]
    }

    /// `word` in `text`, starting a word (not preceded by a letter or digit).
    static func occurs(_ word: String, in text: String) -> Bool {
        var search = text.startIndex..<text.endIndex
        while let r = text.range(of: word, options: [.caseInsensitive], range: search) {
            if r.lowerBound == text.startIndex { return true }
            let prev = text[text.index(before: r.lowerBound)]
            if !(prev.isLetter || prev.isNumber) { return true }
            search = text.index(after: r.lowerBound)..<text.endIndex
        }
        return false
    }

    // MARK: checks

    static func digits(_ s: String) -> [Int] { s.compactMap { $0.wholeNumberValue } }

    static func luhn(_ d: [Int]) -> Bool {
        var sum = 0
        for (i, x) in d.reversed().enumerated() {
            let v = i % 2 == 1 ? x * 2 : x
            sum += v > 9 ? v - 9 : v
        }
        return !d.isEmpty && sum % 10 == 0
    }

    /// ISO 13616 IBAN check: the country code and check digits moved to the end, letters as 10–35, mod 97 is 1.
    static func ibanValid(_ raw: String, country: String, length: Int) -> Bool {
        let s = raw.replacingOccurrences(of: " ", with: "").uppercased()
        guard s.count == length, s.hasPrefix(country) else { return false }
        var remainder = 0
        for ch in s.dropFirst(4) + s.prefix(4) {
            if let d = ch.wholeNumberValue, ch.isASCII {
                remainder = (remainder * 10 + d) % 97
            } else if let a = ch.asciiValue, (65...90).contains(a) {
                remainder = (remainder * 100 + Int(a) - 55) % 97
            } else {
                return false
            }
        }
        return remainder == 1
    }

    /// The card number ranges of American Express, Dankort, Diners Club, Discover, Electron, JCB, Mastercard, UnionPay and
    /// Visa, 13–19 digits with a valid Luhn digit, and not one of the numbers issuers reserve for public testing (which
    /// SNS does not report, per its financial data types page).
    static func creditCard(_ s: String) -> Bool {
        let d = digits(s)
        guard (13...19).contains(d.count), luhn(d) else { return false }
        let text = d.map(String.init).joined()
        guard !testCardNumbers.contains(text) else { return false }
        func prefix(_ n: Int) -> Int { Int(text.prefix(n)) ?? -1 }
        switch d[0] {
        case 4: return true                                                         // Visa, Electron, Dankort co-branded
        case 5: return (51...55).contains(prefix(2)) || prefix(4) == 5019              // Mastercard, Dankort
        case 2: return (2221...2720).contains(prefix(4))                              // Mastercard 2-series
        case 3: return [34, 37, 36, 38, 39].contains(prefix(2)) || (300...305).contains(prefix(3)) || prefix(4) == 3095
            || (3528...3589).contains(prefix(4))                                       // Amex, Diners, JCB
        case 6: return prefix(4) == 6011 || (644...649).contains(prefix(3)) || prefix(2) == 65 || prefix(2) == 62 // Discover, UnionPay
        default: return false
        }
    }

    static let testCardNumbers: Set<String> = [
        "122000000000003", "2222405343248877", "2222990905257051", "2223007648726984", "2223577120017656", "30569309025904",
        "34343434343434", "3528000700000000", "3530111333300000", "3566002020360505", "36148900647913", "36700102000000",
        "371449635398431", "378282246310005", "378734493671000", "38520000023237", "4012888888881881", "4111111111111111",
        "4222222222222", "4444333322221111", "4462030000000000", "4484070000000000", "4911830000000", "4917300800000000",
        "4917610000000000", "4917610000000000003", "5019717010103742", "5105105105105100", "5111010030175156",
        "5185540810000019", "5200828282828210", "5204230080000017", "5204740009900014", "5420923878724339",
        "5454545454545454", "5455330760000018", "5506900490000436", "5506900490000444", "5506900510000234",
        "5506920809243667", "5506922400634930", "5506927427317625", "5553042241984105", "5555553753048194",
        "5555555555554444", "5610591081018250", "6011000990139424", "6011000400000000", "6011111111111117",
        "630490017740292441", "630495060000000000", "6331101999990016", "6759649826438453", "6799990100000000019", "76009244561",
    ]

    /// An IPv6 address in any of RFC 4291's text forms (at most one `::`, eight groups of up to four hex digits).
    static func ipv6(_ s: String) -> Bool {
        let parts = s.components(separatedBy: "::")
        guard parts.count <= 2 else { return false }
        func groups(_ p: String) -> [Substring]? {
            guard !p.isEmpty else { return [] }
            let g = p.split(separator: ":", omittingEmptySubsequences: false)
            return g.allSatisfy({ (1...4).contains($0.count) && $0.allSatisfy(\.isHexDigit) }) ? g : nil
        }
        guard let head = groups(parts[0]) else { return false }
        if parts.count == 1 { return head.count == 8 }
        guard let tail = groups(parts[1]) else { return false }
        return head.count + tail.count <= 7
    }
}
