// The managed data identifiers Warden detects: pattern, check and keywords of each (keywords as SNS's sensitive data
// types pages list them). The identifiers AWS documents but Warden cannot find by pattern are in `DataIdentifiers.known`
// only. Each entry says how it is matched.
import Foundation

enum ManagedCatalog {
    static func id(_ patterns: [String], keywords: [String]? = nil, keywordFree: Set<Int> = [], caseInsensitive: Bool = false,
                   validate: (@Sendable (String) -> Bool)? = nil) -> ManagedIdentifier {
        ManagedIdentifier(sources: patterns, patterns: patterns.compactMap { SharedRegex($0, caseInsensitive: caseInsensitive) },
                          keywords: keywords, keywordFree: keywordFree, validate: validate)
    }

    static let cardKeywords = ["account number", "american express", "amex", "bank card", "card", "card num", "card number", "cc #",
                               "ccn", "check card", "credit", "credit card#", "dankort", "debit", "debit card", "diners club",
                               "discover", "electron", "elo verification code", "japanese card bureau", "jcb", "mastercard", "mc",
                               "pan", "payment account number", "payment card number", "pcn", "union pay", "visa"]
    static let europeanBankKeywords = ["account code", "account number", "accountno#", "accountnumber#", "bban", "customer account id",
                                       "customer account number", "customer bank account id", "iban"]
    static let phoneKeywords = ["cell", "contact", "fax", "fax number", "mobile", "phone", "phone number", "tel", "telephone",
                                "telephone number"]
    static let usDriverKeywords = ["dl#", "dl:", "dlno#", "driver licence", "driver licences", "driver license", "driver licenses",
                                   "driver permit", "drivers lic.", "drivers licence", "driver's licence", "drivers licences",
                                   "driver's licences", "drivers license", "driver's license", "drivers licenses", "driver's licenses",
                                   "drivers permit", "driver's permit", "drivers permit number", "driving licence", "driving license",
                                   "driving permit"]
    static let spanishIdKeywords = ["cif", "cif número", "cifnúmero#", "nie", "nif", "número de contribuyente", "número de identidad de extranjero",
                                    "número de identificación fiscal", "número de impuesto corporativo", "personal tax number", "tax id",
                                    "tax identification number", "tax number", "tin", "tin#", "dni", "dni#", "documento nacional de identidad",
                                    "national identification number", "national identity", "nationalid#", "personal identification number"]

    /// An international number: `+`, the country code, then `min`…`max` digits (spaces, dots, dashes, brackets between).
    static func international(_ code: String, _ min: Int, _ max: Int) -> String {
        #"(?<![\d+])\+\#(code)(?:[ .()-]*\d){\#(min),\#(max)}(?!\d)"#
    }

    /// A national number with its trunk 0 (European formats), found only beside a keyword.
    static let nationalWithTrunk = #"(?<![\d+])0(?:[ .()/-]*\d){8,10}(?!\d)"#

    static func phone(_ code: String, _ min: Int, _ max: Int, national: String = nationalWithTrunk, extraKeywords: [String] = []) -> ManagedIdentifier {
        // With its country code a number needs no keyword; without it, it does (SNS PII types page, PhoneNumber).
        id([international(code, min, max), national], keywords: phoneKeywords + extraKeywords, keywordFree: [0])
    }

    static let all: [String: ManagedIdentifier] = {
        var m: [String: ManagedIdentifier] = [:]
        // Credentials. A secret access key is 40 characters of base64; the check (both letter cases) leaves out hex
        // digests, and AWS requires a keyword.
        m["AwsSecretKey"] = id([#"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])"#],
                               keywords: ["aws_secret_access_key", "credentials", "secret access key", "secret key", "set-awscredential"],
                               validate: { s in s.contains(where: \.isUppercase) && s.contains(where: \.isLowercase) })
        m["OpenSshPrivateKey"] = id([#"-----BEGIN OPENSSH PRIVATE KEY-----[\s\S]+?-----END OPENSSH PRIVATE KEY-----"#])
        m["PgpPrivateKey"] = id([#"-----BEGIN PGP PRIVATE KEY BLOCK-----[\s\S]+?-----END PGP PRIVATE KEY BLOCK-----"#])
        m["PkcsPrivateKey"] = id([#"-----BEGIN (RSA |DSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (RSA |DSA |EC |ENCRYPTED )?PRIVATE KEY-----"#])
        m["PuttyPrivateKey"] = id([#"PuTTY-User-Key-File-\d+:[\s\S]+?Private-MAC: ?[0-9A-Fa-f]+"#])
        // Devices: dotted IPv4 with octets up to 255; IPv6 candidates checked against RFC 4291's forms.
        let octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
        m["IpAddress"] = id([#"(?<![\d.])\#(octet)(?:\.\#(octet)){3}(?![\d]|\.\d)"#,
                             #"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])"#],
                            validate: { s in s.contains(".") || DataIdentifiers.ipv6(s) })
        // Financial.
        m["CreditCardNumber"] = id([#"(?<!\d)\d{13,19}(?!\d)"#, #"(?<!\d)\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?(?!\d)"#,
                                    #"(?<!\d)\d{4}([ -])\d{6}\1\d{4,5}(?!\d)"#],
                                   keywords: cardKeywords, validate: DataIdentifiers.creditCard)
        m["CreditCardExpiration"] = id([#"(?<!\d)(?:0?[1-9]|1[0-2]) ?[/-] ?(?:\d{4}|\d{2})(?!\d)"#],
                                       keywords: ["exp d", "exp m", "exp y", "expiration", "expiry"])
        m["CreditCardSecurityCode"] = id([#"(?<!\d)\d{3,4}(?!\d)"#],
                                         keywords: ["card id", "card identification code", "card identification number", "card security code",
                                                    "card validation code", "card validation number", "card verification data",
                                                    "card verification value", "cvc", "cvc2", "cvv", "cvv2", "elo verification code"])
        m["CreditCardMagneticStripe"] = id([#"%?B\d{13,19}\^[^^\n]{2,26}\^\d{7,}[^?\s]*\??"#, #";?\d{13,19}=\d{7,}[^?\s]*\??"#],
                                           keywords: ["card data", "iso7813", "mag", "magstripe", "stripe", "swipe"])
        m["BankAccountNumber-US"] = id([#"(?<!\d)\d{8,17}(?!\d)"#],
                                       keywords: ["bank account", "bank acct", "checking account", "checking acct", "deposit account",
                                                  "deposit acct", "savings account", "savings acct", "chequing account", "chequing acct"])
        let ibans: [(String, Int, [String])] = [
            ("GB", 22, ["sepa"]), ("DE", 22, ["bankleitzahl", "geheimzahl", "kartennummer", "kontonummer", "kreditkartennummer", "sepa"]),
            ("FR", 27, ["code bancaire", "compte bancaire", "numéro de compte"]), ("ES", 24, ["código cuenta", "código cuenta bancaria",
            "cuenta cliente id", "número cuenta bancaria cliente", "número cuenta cliente"]),
            ("IT", 27, ["codice bancario", "conto bancario", "numero di conto"]),
        ]
        for (country, length, extra) in ibans {
            m["BankAccountNumber-\(country)"] = id([#"(?<![A-Za-z0-9])\#(country)\d{2}(?: ?[A-Za-z0-9]{1,4}){3,8}(?![A-Za-z0-9])"#],
                                                   keywords: europeanBankKeywords + extra,
                                                   validate: { DataIdentifiers.ibanValid($0, country: country, length: length) })
        }
        // Personal information.
        m["EmailAddress"] = id([#"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])"#])
        m["Ssn-US"] = id([#"(?<!\d)\d{3}-?\d{2}-?\d{4}(?!\d)"#], keywords: ["social security", "ss#", "ssn"], validate: { s in
            let d = DataIdentifiers.digits(s)
            let area = d[0] * 100 + d[1] * 10 + d[2]
            return area != 0 && area != 666 && area < 900 && (d[3] != 0 || d[4] != 0) && d[5...].contains { $0 != 0 }
        })
        m["Ssn-ES"] = id([#"(?<!\d)\d{2}/?\d{8}/?\d{2}(?!\d)"#],
                         keywords: ["número de la seguridad social", "social security no.", "social security number", "socialsecurityno#",
                                    "ssn", "ssn#"])
        m["PhoneNumber-US"] = phone("1", 10, 10, national: #"(?<![\d+])\(?[2-9]\d{2}\)?[ .-]?[2-9]\d{2}[ .-]?\d{4}(?!\d)"#)
        m["PhoneNumber-GB"] = phone("44", 9, 11)
        m["PhoneNumber-DE"] = phone("49", 6, 12)
        m["PhoneNumber-FR"] = phone("33", 9, 10)
        m["PhoneNumber-ES"] = phone("34", 9, 9, national: #"(?<![\d+])[6-9](?:[ .-]?\d){8}(?!\d)"#)
        m["PhoneNumber-IT"] = phone("39", 6, 11)
        m["PhoneNumber-BR"] = phone("55", 10, 11, national: #"(?<![\d+])\(?\d{2}\)?[ .-]?9?\d{4}[ .-]?\d{4}(?!\d)"#,
                                    extraKeywords: ["cel", "celular", "fone", "móvel", "número residencial", "numero residencial", "telefone"])
        // PhoneNumber without a country: any of the countries above.
        m["PhoneNumber"] = id([international("1", 10, 10), international("44", 9, 11), international("49", 6, 12), international("33", 9, 10),
                               international("34", 9, 9), international("39", 6, 11), international("55", 10, 11),
                               #"(?<![\d+])\(?[2-9]\d{2}\)?[ .-]?[2-9]\d{2}[ .-]?\d{4}(?!\d)"#, nationalWithTrunk],
                              keywords: phoneKeywords, keywordFree: [0, 1, 2, 3, 4, 5, 6])
        m["ZipCode-US"] = id([#"(?<!\d)\d{5}(?:-\d{4})?(?!\d)"#], keywords: ["zip code", "zip+4"])
        m["PostalCode-CA"] = id([#"(?<![A-Za-z0-9])[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d(?![A-Za-z0-9])"#])
        let month = "(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\\.?"
        m["DateOfBirth"] = id([#"(?<!\d)\d{1,2}[/ -]\d{1,2}[/ -](?:\d{4}|\d{2})(?!\d)"#, #"(?<!\d)\d{4}[/ -]\d{1,2}[/ -]\d{1,2}(?!\d)"#,
                               #"(?<![a-z])\#(month) \d{1,2},? \d{4}(?!\d)"#, #"(?<!\d)\d{1,2} \#(month),? \d{4}(?!\d)"#],
                              keywords: ["dob", "date of birth", "birthdate", "birth date", "birthday", "b-day", "bday"], caseInsensitive: true)
        // Decimal degrees only, as SNS documents (a latitude, a comma, a longitude, each with a fraction).
        m["LatLong"] = id([#"(?<![\d.])-?(?:90(?:\.0+)?|[1-8]?\d\.\d+) ?, ?-?(?:180(?:\.0+)?|1[0-7]\d\.\d+|[1-9]?\d\.\d+)(?![\d.])"#],
                          keywords: ["coordinate", "coordinates", "lat long", "latitude longitude", "location", "position"])
        m["VehicleIdentificationNumber"] = id([#"(?<![A-Za-z0-9])[A-HJ-NPR-Z0-9]{17}(?![A-Za-z0-9])"#],
                                              keywords: ["fahrgestellnummer", "niv", "numarul de identificare", "numarul seriei de sasiu",
                                                         "serie sasiu", "numer vin", "número de identificação do veículo",
                                                         "número de identificación de automóviles", "numéro d'identification du véhicule",
                                                         "vehicle identification number", "vin", "vin numeris"],
                                              validate: { s in s.contains(where: \.isLetter) && s.contains(where: \.isNumber) })
        m["NationalInsuranceNumber-GB"] = id([#"(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])"#],
                                             keywords: ["insurance no.", "insurance number", "insurance#", "national insurance number",
                                                        "nationalinsurance#", "nationalinsurancenumber", "nin", "nino"])
        m["SocialInsuranceNumber-CA"] = id([#"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{3}(?!\d)"#],
                                           keywords: ["canadian id", "numéro d'assurance sociale", "social insurance number", "sin"],
                                           validate: { DataIdentifiers.luhn(DataIdentifiers.digits($0)) })
        m["IndividualTaxIdentificationNumber-US"] = id([#"(?<!\d)9\d{2}[ -]?(?:5\d|6[0-5]|7\d|8[0-8]|9[0-2]|9[4-9])[ -]?\d{4}(?!\d)"#],
                                                       keywords: ["individual taxpayer identification number", "itin", "i.t.i.n."])
        m["PassportNumber-US"] = id([#"(?<![A-Za-z0-9])[A-Z]?\d{8,9}(?![A-Za-z0-9])"#], keywords: ["passport", "travel document"])
        m["DriversLicense-US"] = id([#"(?<![A-Za-z0-9])[A-Z]{0,2}\d{5,13}(?![A-Za-z0-9])"#], keywords: usDriverKeywords)
        m["CpfCode-BR"] = id([#"(?<!\d)\d{3}\.?\d{3}\.?\d{3}-?\d{2}(?!\d)"#],
                             keywords: ["cadastro de pessoas fisicas", "cadastro de pessoas físicas", "cadastro de pessoa física",
                                        "cadastro de pessoa fisica", "cpf"], validate: { ManagedChecks.cpf(DataIdentifiers.digits($0)) })
        m["Cnpj-BR"] = id([#"(?<!\d)\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}(?!\d)"#],
                          keywords: ["cadastro nacional da pessoa jurídica", "cadastro nacional da pessoa juridica", "cnpj"],
                          validate: { ManagedChecks.cnpj(DataIdentifiers.digits($0)) })
        m["CepCode-BR"] = id([#"(?<!\d)\d{5}-?\d{3}(?!\d)"#], keywords: ["cep", "código de endereçamento postal", "codigo de endereçamento postal"])
        m["NieNumber-ES"] = id([#"(?<![A-Za-z0-9])[XYZ]-?\d{7}-?[A-Z](?![A-Za-z0-9])"#], keywords: spanishIdKeywords, validate: ManagedChecks.nie)
        m["NifNumber-ES"] = id([#"(?<![A-Za-z0-9])\d{8}-?[A-Z](?![A-Za-z0-9])"#], keywords: spanishIdKeywords, validate: ManagedChecks.dni)
        m["NationalIdentificationNumber-ES"] = m["NifNumber-ES"]
        m["InseeCode-FR"] = id([#"(?<!\d)[12] ?\d{2} ?(?:0[1-9]|1[0-2]) ?(?:\d{2}|2A|2B) ?\d{3} ?\d{3} ?\d{2}(?!\d)"#],
                               keywords: ["assurance sociale", "carte nationale d’identité", "cni", "code sécurité sociale",
                                          "french social security number", "fssn#", "insee", "insurance number", "national id number",
                                          "nationalid#", "numéro d'assurance", "sécurité sociale", "social security", "social security number",
                                          "socialsecuritynumber", "ss#", "ssn", "ssn#"], validate: ManagedChecks.insee)
        // Health information.
        m["NhsNumber-GB"] = id([#"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)"#], keywords: ["national health service", "nhs"],
                               validate: { ManagedChecks.nhs(DataIdentifiers.digits($0)) })
        m["DrugEnforcementAgencyNumber-US"] = id([#"(?<![A-Za-z0-9])[A-Za-z]{2}\d{7}(?![A-Za-z0-9])"#],
                                                 keywords: ["dea number", "dea registration"],
                                                 validate: { ManagedChecks.dea(DataIdentifiers.digits($0)) })
        m["NationalProviderId-US"] = id([#"(?<!\d)[12]\d{9}(?!\d)"#], keywords: ["hipaa", "n.p.i", "national provider", "npi"],
                                        validate: { DataIdentifiers.luhn([8, 0, 8, 4, 0] + DataIdentifiers.digits($0)) })
        m["MedicareBeneficiaryNumber-US"] = id([#"(?<![A-Za-z0-9])[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y]{2}\d{2}(?![A-Za-z0-9])"#],
                                               keywords: ["mbi", "medicare beneficiary"])
        m["NationalDrugCode-US"] = id([#"(?<!\d)(?:\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d{1,2}|\d{10,11})(?!\d)"#],
                                      keywords: ["national drug code", "ndc"])
        m["HealthcareProcedureCode-US"] = id([#"(?<![A-Za-z0-9])(?:[A-V]\d{4}|\d{4}[0-9FTU])(?![A-Za-z0-9])"#],
                                             keywords: ["current procedural terminology", "hcpcs", "healthcare common procedure coding system"])
        m["PersonalHealthNumber-CA"] = id([#"(?<!\d)\d{4}[ -]?\d{3}[ -]?\d{3}(?!\d)"#],
                                          keywords: ["canada healthcare number", "msp number", "personal healthcare number", "phn", "soins de santé"])
        return m
    }()
}

/// Check digits of national identifiers.
enum ManagedChecks {
    static func cpf(_ d: [Int]) -> Bool {
        guard d.count == 11, Set(d).count > 1 else { return false }
        func digit(_ n: Int) -> Int {
            let sum = (0..<n).reduce(0) { $0 + d[$1] * (n + 1 - $1) }
            let r = sum * 10 % 11
            return r == 10 ? 0 : r
        }
        return digit(9) == d[9] && digit(10) == d[10]
    }

    static func cnpj(_ d: [Int]) -> Bool {
        guard d.count == 14, Set(d).count > 1 else { return false }
        func digit(_ weights: [Int]) -> Int {
            let r = zip(d, weights).reduce(0) { $0 + $1.0 * $1.1 } % 11
            return r < 2 ? 0 : 11 - r
        }
        return digit([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]) == d[12] && digit([6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]) == d[13]
    }

    static let dniLetters = Array("TRWAGMYFPDXBNJZSQVHLCKE")

    static func dni(_ s: String) -> Bool {
        let clean = s.replacingOccurrences(of: "-", with: "")
        guard let n = Int(clean.prefix(8)), let letter = clean.last else { return false }
        return dniLetters[n % 23] == letter
    }

    static func nie(_ s: String) -> Bool {
        let clean = s.replacingOccurrences(of: "-", with: "")
        guard let first = clean.first, let lead = ["X": "0", "Y": "1", "Z": "2"][String(first)] else { return false }
        return dni(lead + clean.dropFirst())
    }

    static func insee(_ s: String) -> Bool {
        let clean = s.replacingOccurrences(of: " ", with: "").uppercased()
        guard clean.count == 15 else { return false }
        // Corsica's departments 2A and 2B count as 19 and 18 in the key.
        let body = String(clean.prefix(13))
        let numeric = body.replacingOccurrences(of: "2A", with: "19").replacingOccurrences(of: "2B", with: "18")
        guard let n = UInt64(numeric), let key = UInt64(clean.suffix(2)) else { return false }
        return 97 - n % 97 == key
    }

    static func nhs(_ d: [Int]) -> Bool {
        guard d.count == 10 else { return false }
        let r = 11 - (0..<9).reduce(0) { $0 + d[$1] * (10 - $1) } % 11
        let check = r == 11 ? 0 : r
        return check != 10 && check == d[9]
    }

    static func dea(_ d: [Int]) -> Bool {
        guard d.count == 7 else { return false }
        return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]
    }
}
