import Clinical
import Foundation

/// A birth date as far as the source stated it (year, or year and month, or the full date).
package struct MatchDate: Sendable, Codable, Hashable, CustomStringConvertible {
    package var year: Int
    package var month: Int?
    package var day: Int?

    package init(year: Int, month: Int? = nil, day: Int? = nil) {
        self.year = year
        self.month = month
        self.day = month == nil ? nil : day
    }

    package var precision: ClinicalTime.Precision { day != nil ? .day : month != nil ? .month : .year }

    /// `YYYYMMDD`, `YYYYMM` or `YYYY`.
    package var compact: String { String(decoding: compactDigits, as: UTF8.self) }

    /// ``compact`` as ASCII digits, without formatting a string (the comparator runs once per candidate).
    package var compactDigits: [UInt8] {
        var digits: [UInt8] = []
        digits.reserveCapacity(8)
        func append(_ value: Int, width: Int) {
            // Zero-padded to `width`, as "%0*d" would (a negative year keeps its sign).
            if value < 0 { digits.append(UInt8(ascii: "-")) }
            var magnitude = value.magnitude
            var reversed: [UInt8] = []
            repeat {
                reversed.append(UInt8(48 + magnitude % 10))
                magnitude /= 10
            } while magnitude > 0
            if reversed.count < width - (value < 0 ? 1 : 0) {
                digits.append(contentsOf: repeatElement(UInt8(48), count: width - (value < 0 ? 1 : 0) - reversed.count))
            }
            digits.append(contentsOf: reversed.reversed())
        }
        append(year, width: 4)
        if let month { append(month, width: 2) }
        if let day { append(day, width: 2) }
        return digits
    }

    /// The date with day and month exchanged (`1980-03-07` → `1980-07-03`) when that is another valid date.
    package var dayMonthSwapped: MatchDate? {
        guard let month, let day, day <= 12, day != month, ClinicalTime(year: year, month: day, day: month) != nil else { return nil }
        return MatchDate(year: year, month: day, day: month)
    }

    package var description: String { compact }
}

/// Normalized, comparison-ready view of one source record. Codable (the store keeps it as JSON).
///
/// Names are folded to upper-case ASCII without punctuation; placeholders ("Baby Boy", "Unknown",
/// 1900-01-01, 123-45-6789 …) are dropped to `nil` and named in ``placeholderFields``.
package struct MatchFeatures: Sendable, Codable, Hashable {
    /// The primary family name, its parts joined without spaces (`DE LA CRUZ` → `DELACRUZ`).
    package var family: String?
    /// The parts of a hyphenated or multi-part family name without particles (`Garcia-Lopez` → `GARCIA`, `LOPEZ`).
    package var familyParts: [String]
    /// Maiden, previous and alias family names of the patient.
    package var formerFamilies: [String]
    /// The first given name.
    package var given: String?
    /// Every given-name token, first then middle names.
    package var givenNames: [String]
    /// The formal name the first given name is a nickname of (`BOB` → `ROBERT`); the name itself when formal.
    package var givenRoot: String?
    /// Every formal name the first given name can stand for.
    package var givenRoots: [String]
    package var middleInitial: String?
    /// Generational suffix: `JR`, `SR`, `II`, `III`, `IV`, `V`.
    package var suffix: String?
    package var familyNYSIIS: String?
    package var familySoundex: String?
    package var givenNYSIIS: String?
    package var givenSoundex: String?
    /// `nil` when absent or a placeholder.
    package var birthDate: MatchDate?
    /// `YYYYMMDD` of a birth date the source sent that is no calendar date (`19450493`), for a one-digit
    /// comparison with the other record's date; `nil` when ``birthDate`` was read or nothing usable was sent.
    package var unreadableBirthDigits: String?
    /// Male or female; `nil` when unknown or other.
    package var sex: AdministrativeSex?
    /// Nine digits; `nil` when absent, invalid or a placeholder.
    package var ssn: String?
    /// Cross-organization identifiers other than the SSN (driver's licence, insurance member id …), by authority key.
    package var nationalIDs: [String: [String]]
    /// Digits, last ten (or a bare seven-digit local number).
    package var phones: [String]
    /// Lower-cased.
    package var emails: [String]
    package var addresses: [StandardAddress]
    /// Record keys (MRNs and other organization-local identifiers) by assigning-authority key.
    package var identifiers: [String: [String]]
    package var multipleBirth: Bool?
    package var birthOrder: Int?
    /// Fields whose source value was a placeholder: `given`, `family`, `birthDate`, `ssn`, `phone`, `email`.
    package var placeholderFields: [String]

    package init(
        family: String? = nil, familyParts: [String] = [], formerFamilies: [String] = [], given: String? = nil,
        givenNames: [String] = [], middleInitial: String? = nil, suffix: String? = nil, birthDate: MatchDate? = nil,
        sex: AdministrativeSex? = nil, ssn: String? = nil, nationalIDs: [String: [String]] = [:], phones: [String] = [],
        emails: [String] = [], addresses: [StandardAddress] = [], identifiers: [String: [String]] = [:],
        multipleBirth: Bool? = nil, birthOrder: Int? = nil, placeholderFields: [String] = [], unreadableBirthDigits: String? = nil
    ) {
        self.family = family
        self.familyParts = familyParts
        self.formerFamilies = formerFamilies
        self.given = given
        self.givenNames = givenNames.isEmpty ? given.map { [$0] } ?? [] : givenNames
        self.middleInitial = middleInitial
        self.suffix = suffix
        self.birthDate = birthDate
        self.unreadableBirthDigits = birthDate == nil ? unreadableBirthDigits : nil
        self.sex = sex
        self.ssn = ssn
        self.nationalIDs = nationalIDs
        self.phones = phones
        self.emails = emails
        self.addresses = addresses
        self.identifiers = identifiers
        self.multipleBirth = multipleBirth
        self.birthOrder = birthOrder
        self.placeholderFields = placeholderFields
        let roots = given.map(Nicknames.roots(of:)) ?? []
        self.givenRoots = roots
        self.givenRoot = given.map { g in roots.contains(g) ? g : roots.first ?? g }
        self.familyNYSIIS = family.map(NYSIIS.code).flatMap(\.nilIfBlank)
        self.familySoundex = family.map(Soundex.code).flatMap(\.nilIfBlank)
        self.givenNYSIIS = given.map(NYSIIS.code).flatMap(\.nilIfBlank)
        self.givenSoundex = given.map(Soundex.code).flatMap(\.nilIfBlank)
    }

    /// Whether a field that decides a match (given or family name, birth date) was a placeholder.
    package var hasDecidingPlaceholder: Bool {
        placeholderFields.contains { $0 == "given" || $0 == "family" || $0 == "birthDate" }
    }
}

/// Turns a ``PatientRecord`` into ``MatchFeatures``.
package enum MatchNormalizer {
    private static let particles: Set<String> = ["DE", "LA", "DEL", "DELA", "DA", "DI", "DOS", "DAS", "DU", "VAN", "VON", "DER", "DEN", "LE", "LOS", "Y", "TER", "TEN", "BIN", "AL", "EL"]
    private static let titles: Set<String> = ["MR", "MRS", "MS", "MISS", "DR", "PROF", "REV", "SIR", "FR", "SR", "SRA"]
    private static let generational: [String: String] = [
        "JR": "JR", "JNR": "JR", "JUNIOR": "JR", "SR": "SR", "SNR": "SR", "SENIOR": "SR", "II": "II", "2ND": "II",
        "III": "III", "3RD": "III", "IV": "IV", "4TH": "IV", "V": "V", "5TH": "V",
    ]
    private static let placeholderGiven: Set<String> = [
        "BABY", "BABY BOY", "BABY GIRL", "BABYBOY", "BABYGIRL", "BB", "BG", "BOY", "GIRL", "UNKNOWN", "UNK", "NONE", "FNU", "NFN",
        "NO NAME", "NONAME", "TEST", "PATIENT", "NEWBORN", "INFANT", "MALE", "FEMALE", "TRAUMA", "TWIN", "TWIN A", "TWIN B",
        "X", "XX", "XXX", "NOT GIVEN", "UNNAMED", "BABY A", "BABY B",
    ]
    private static let placeholderFamily: Set<String> = [
        "UNKNOWN", "UNK", "LNU", "NLN", "NONE", "TEST", "PATIENT", "TRAUMA", "ZZTEST", "ZZZ", "XXX", "X", "NO NAME", "NONAME", "UNIDENTIFIED",
    ]

    /// The comparison-ready features of a record.
    package static func features(of record: PatientRecord) -> MatchFeatures {
        var placeholders: [String] = []
        let primary = record.primaryName
        var suffix: String?

        // Family name: tokens, trailing generational suffix split off, particles dropped from the parts.
        var familyTokens = primary?.family.map(MatchText.tokens) ?? []
        if familyTokens.count > 1, let last = familyTokens.last, let g = generational[last] {
            suffix = g
            familyTokens.removeLast()
        }
        var family: String? = familyTokens.isEmpty ? nil : familyTokens.joined()
        var givenTokens = (primary?.given ?? []).flatMap(MatchText.tokens).filter { !titles.contains($0) }
        if let last = givenTokens.last, givenTokens.count > 1, let g = generational[last] {
            suffix = suffix ?? g
            givenTokens.removeLast()
        }
        let givenJoined = givenTokens.joined(separator: " ")
        let givenPlaceholder = placeholderGiven.contains(givenJoined) || givenTokens.first == "BABY"
            || (familyTokens == ["DOE"] && ["JOHN", "JANE", "BABY"].contains(givenTokens.first ?? ""))
        if let f = family, placeholderFamily.contains(familyTokens.joined(separator: " ")) || (f == "DOE" && givenPlaceholder) || f.count < 1 {
            placeholders.append("family")
            family = nil
            familyTokens = []
        }
        if givenPlaceholder {
            placeholders.append("given")
            givenTokens = []
        }
        let parts = familyTokens.count > 1 ? familyTokens.filter { !particles.contains($0) } : []

        for s in primary?.suffix ?? [] {
            for token in MatchText.tokens(s) { if let g = generational[token] { suffix = g } }
        }

        var former: [String] = []
        for name in record.names where name != primary {
            guard let f = name.family else { continue }
            let folded = MatchText.tokens(f).filter { generational[$0] == nil }.joined()
            if !folded.isEmpty, folded != family, !former.contains(folded), !placeholderFamily.contains(folded) { former.append(folded) }
        }

        // Birth date: placeholders (1900-01-01 and friends) are missing.
        var birth: MatchDate?
        if let b = record.birthDate {
            let date = MatchDate(year: b.year, month: b.precision >= .month ? b.month : nil, day: b.precision >= .day ? b.day : nil)
            if isPlaceholderBirthDate(date) { placeholders.append("birthDate") } else { birth = date }
        }
        let unreadableBirth = record.birthDate == nil ? record.birthDateAsSent.flatMap(unreadableBirthDigits) : nil

        var ssn: String?
        if let raw = record.ssn {
            ssn = SSNRules.normalize(raw)
            if ssn == nil { placeholders.append("ssn") }
        }
        var identifiers: [String: [String]] = [:]
        var national: [String: [String]] = [:]
        for id in record.identifiers {
            let folded = MatchText.fold(id.value)
            // Without its spaces (bytes, not Foundation's slow replacing: a space is never part of another character's UTF-8).
            let value = folded.utf8.contains(0x20) ? String(decoding: folded.utf8.filter { $0 != 0x20 }, as: UTF8.self) : folded
            guard !value.isEmpty else { continue }
            if id.isCrossOrganization {
                let isSSN = id.type == "SS" || id.type == "SSN" || id.authority.key == AssigningAuthority.ssa.key.lowercased()
                    || id.authority.universalID.map(AssigningAuthority.ssaSystemURIs.contains) == true
                if isSSN {
                    if ssn == nil {
                        ssn = SSNRules.normalize(value)
                        if ssn == nil, !placeholders.contains("ssn") { placeholders.append("ssn") }
                    }
                } else {
                    let key = id.authority.key.isEmpty ? (id.type ?? "") : id.authority.key
                    if !(national[key]?.contains(value) ?? false) { national[key, default: []].append(value) }
                }
            }
        }
        for id in record.recordKeys {
            let value = id.value.trimmingWhitespace().uppercased()
            guard !value.isEmpty else { continue }
            if !(identifiers[id.authority.key]?.contains(value) ?? false) { identifiers[id.authority.key, default: []].append(value) }
        }

        var phones: [String] = []
        var emails: [String] = []
        for t in record.telecoms {
            switch t.system {
            case .email:
                if let e = EmailNormalizer.normalize(t.value) { if !emails.contains(e) { emails.append(e) } } else { appendOnce(&placeholders, "email") }
            case .phone, .sms, .fax, .other, .pager:
                if t.value.utf8.contains(UInt8(ascii: "@")) {
                    if let e = EmailNormalizer.normalize(t.value), !emails.contains(e) { emails.append(e) }
                } else if let p = PhoneNormalizer.normalize(t.value) {
                    if t.system != .fax, !phones.contains(p) { phones.append(p) }
                } else if MatchText.digits(t.value).count >= 7 {
                    appendOnce(&placeholders, "phone")
                }
            case .url: continue
            }
        }
        let addresses = record.addresses.map(AddressStandardizer.standardize).filter { !$0.isEmpty }
        let sex: AdministrativeSex? = record.sex == .male || record.sex == .female ? record.sex : nil
        var features = MatchFeatures(
            family: family, familyParts: parts, formerFamilies: former, given: givenTokens.first,
            givenNames: givenTokens, middleInitial: givenTokens.dropFirst().first.flatMap { $0.first.map(String.init) },
            suffix: suffix, birthDate: birth, sex: sex, ssn: ssn, nationalIDs: national, phones: phones, emails: emails,
            addresses: dedupe(addresses), identifiers: identifiers, multipleBirth: record.multipleBirth,
            birthOrder: record.birthOrder, placeholderFields: placeholders, unreadableBirthDigits: unreadableBirth)
        if features.birthOrder != nil, features.multipleBirth == nil { features.multipleBirth = true }
        return features
    }

    /// Whether a birth date is a filler (1900-01-01, 1901-01-01, 1800-01-01, 1899-12-31, 1753-01-01, 0001-01-01, 9999-12-31, before 1880).
    package static func isPlaceholderBirthDate(_ d: MatchDate) -> Bool {
        if d.year < 1880 || d.year >= 9999 { return true }
        if (d.year == 1900 || d.year == 1901) && (d.month ?? 1) == 1 && (d.day ?? 1) == 1 { return true }
        return false
    }

    /// The leading `YYYYMMDD` of a birth date that did not parse, when it has eight digits and a year that
    /// is no placeholder (`19450493` → `19450493`, `1945-04-93` → `19450493`); `nil` otherwise.
    static func unreadableBirthDigits(_ sent: String) -> String? {
        var digits: [UInt8] = []
        for byte in sent.utf8 {
            if byte >= 0x30, byte <= 0x39 {
                digits.append(byte)
                if digits.count == 8 { break }
            } else if byte != UInt8(ascii: "-") || digits.count == 0 {
                break
            }
        }
        guard digits.count == 8 else { return nil }
        let year = digits[0..<4].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        guard !isPlaceholderBirthDate(MatchDate(year: year)) else { return nil }
        return String(decoding: digits, as: UTF8.self)
    }

    private static func appendOnce(_ list: inout [String], _ value: String) {
        if !list.contains(value) { list.append(value) }
    }

    private static func dedupe(_ addresses: [StandardAddress]) -> [StandardAddress] {
        var seen = Set<String>()
        return addresses.filter { seen.insert($0.key).inserted }
    }
}
