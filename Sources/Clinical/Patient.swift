import Foundation

/// Who assigned an identifier: HL7 v2 `CX.4` (namespace, universal id, universal id type), an HL7 v3
/// `II.root` OID, or a FHIR `Identifier.system` URI.
package struct AssigningAuthority: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Local name (HL7 v2 `HD.1`, e.g. `MRN`, `EPIC`, `GHH`).
    package var namespace: String?
    /// Universal id (HL7 v2 `HD.2`, an HL7 v3 root OID, a FHIR system URI). OIDs are stored bare.
    package var universalID: String?
    /// Type of the universal id (`ISO`, `URI`, `DNS` …).
    package var universalIDType: String?

    package init(namespace: String? = nil, universalID: String? = nil, universalIDType: String? = nil) {
        self.namespace = namespace?.nilIfBlank
        var universal = universalID?.nilIfBlank
        if let u = universal, u.lowercased().hasPrefix("urn:oid:") { universal = String(u.dropFirst(8)) }
        self.universalID = universal
        self.universalIDType = universalIDType?.nilIfBlank
    }

    /// The key two authorities are compared by: the universal id when known, else the namespace
    /// (case-insensitive). Empty when the source named no authority.
    package var key: String {
        if let universalID { return universalID.lowercased() }
        return namespace?.uppercased() ?? ""
    }

    package var description: String { universalID ?? namespace ?? "?" }

    /// The US Social Security Administration (SSNs): OID `2.16.840.1.113883.4.1`.
    package static let ssa = AssigningAuthority(namespace: "SSA", universalID: "2.16.840.1.113883.4.1", universalIDType: "ISO")
    package static let ssaSystemURIs: Set<String> = ["http://hl7.org/fhir/sid/us-ssn", "2.16.840.1.113883.4.1"]
}

/// A patient identifier with its assigning authority and type (HL7 v2 `CX`, HL7 v3 `II`, FHIR `Identifier`).
package struct PatientIdentifier: Sendable, Hashable, Codable, CustomStringConvertible {
    package var value: String
    package var authority: AssigningAuthority
    /// HL7 table 0203 identifier type: `MR`, `PI`, `SS`, `DL`, `PT`, `AN`, `PN` …
    package var type: String?

    package init(value: String, authority: AssigningAuthority, type: String? = nil) {
        self.value = value.trimmingWhitespace()
        self.authority = authority
        self.type = type?.nilIfBlank?.uppercased()
    }

    /// Whether this identifier names the person beyond one organization (SSN, driver's licence,
    /// passport, insurance member ids): such identifiers are evidence for matching, not keys of a source record.
    package var isCrossOrganization: Bool {
        if let type, ["SS", "SSN", "DL", "PPN", "SB", "MC", "MA", "NH", "DR", "PRC"].contains(type) { return true }
        return authority.key == AssigningAuthority.ssa.key.lowercased() || authority.universalID.map(AssigningAuthority.ssaSystemURIs.contains) == true
    }

    package var description: String { "\(value)^^^\(authority)" + (type.map { "^\($0)" } ?? "") }
}

/// How a name is used (HL7 v2 table 0200, HL7 v3 EntityNameUse, FHIR name-use).
package enum NameUse: String, Sendable, Hashable, Codable, CaseIterable {
    case official, usual, nickname, maiden, old, alias, anonymous, temporary, unknown
}

/// A person's name (HL7 v2 `XPN`, HL7 v3 `PN`, FHIR `HumanName`).
package struct PersonName: Sendable, Hashable, Codable, CustomStringConvertible {
    package var use: NameUse
    package var family: String?
    /// Given names in order: first, then middle names.
    package var given: [String]
    package var prefix: [String]
    /// Suffixes (`Jr`, `Sr`, `III`, `MD`): kept apart because Jr/Sr tells two people apart.
    package var suffix: [String]

    package init(use: NameUse = .official, family: String?, given: [String] = [], prefix: [String] = [], suffix: [String] = []) {
        self.use = use
        self.family = family?.nilIfBlank
        self.given = given.compactMap(\.nilIfBlank)
        self.prefix = prefix.compactMap(\.nilIfBlank)
        self.suffix = suffix.compactMap(\.nilIfBlank)
    }

    package var first: String? { given.first }
    package var middle: [String] { Array(given.dropFirst()) }

    package var isEmpty: Bool { family == nil && given.isEmpty }

    package var description: String {
        ([prefix.joined(separator: " "), given.joined(separator: " "), family ?? "", suffix.joined(separator: " ")]
            .filter { !$0.isEmpty }).joined(separator: " ")
    }
}

/// Administrative sex (HL7 v2 table 0001, HL7 v3 AdministrativeGender, FHIR administrative-gender).
package enum AdministrativeSex: String, Sendable, Hashable, Codable, CaseIterable {
    case female, male, other, unknown
}

/// A postal address (HL7 v2 `XAD`, HL7 v3 `AD`, FHIR `Address`).
package struct PostalAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `home`, `work`, `temp`, `old`, `billing`, `mailing` …
    package var use: String?
    package var lines: [String]
    package var city: String?
    package var district: String?
    package var state: String?
    package var postalCode: String?
    package var country: String?

    package init(use: String? = nil, lines: [String] = [], city: String? = nil, district: String? = nil, state: String? = nil, postalCode: String? = nil, country: String? = nil) {
        self.use = use?.nilIfBlank
        self.lines = lines.compactMap(\.nilIfBlank)
        self.city = city?.nilIfBlank
        self.district = district?.nilIfBlank
        self.state = state?.nilIfBlank
        self.postalCode = postalCode?.nilIfBlank
        self.country = country?.nilIfBlank
    }

    package var isEmpty: Bool { lines.isEmpty && city == nil && postalCode == nil && state == nil }

    package var description: String {
        (lines + [city, state, postalCode, country].compactMap { $0 }).joined(separator: ", ")
    }
}

/// A phone number, e-mail address or other contact point (HL7 v2 `XTN`, HL7 v3 `TEL`, FHIR `ContactPoint`).
package struct Telecom: Sendable, Hashable, Codable {
    package enum System: String, Sendable, Hashable, Codable { case phone, fax, email, pager, url, sms, other }
    package var system: System
    /// The value as the source wrote it (`(555)555-1212`, `mailto:` already removed).
    package var value: String
    /// `home`, `work`, `mobile`, `temp`, `old`.
    package var use: String?

    package init(system: System, value: String, use: String? = nil) {
        self.system = system
        self.value = value.trimmingWhitespace()
        self.use = use?.nilIfBlank
    }
}

/// Where something came from: the sending system and facility (HL7 v2 MSH-3/MSH-4, C-CDA custodian or
/// author organization, FHIR `meta.source` or the managing organization).
package struct SourceSystem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The sending facility or organization: the clinic.
    package var facility: String
    /// The sending application, when known.
    package var application: String?
    /// An OID or URI identifying the facility, when the source gave one.
    package var facilityID: String?

    package init(facility: String, application: String? = nil, facilityID: String? = nil) {
        self.facility = facility.trimmingWhitespace()
        self.application = application?.nilIfBlank
        self.facilityID = facilityID?.nilIfBlank
    }

    /// The key sources are grouped by (the facility, case-insensitive).
    package var key: String { facility.uppercased() }

    package var description: String { application.map { "\($0)@\(facility)" } ?? facility }
}

/// A reference to a provider (HL7 v2 `XCN`, HL7 v3 `assignedAuthor`/`performer`, FHIR `Practitioner`).
package struct ProviderReference: Sendable, Hashable, Codable {
    package var identifier: String?
    package var name: String?
    package var organization: String?

    package init(identifier: String? = nil, name: String? = nil, organization: String? = nil) {
        self.identifier = identifier?.nilIfBlank
        self.name = name?.nilIfBlank
        self.organization = organization?.nilIfBlank
    }

    package var label: String { name ?? identifier ?? organization ?? "unknown" }
}

/// A patient as one source system recorded them: the unit the master patient index links.
///
/// Parsers fill what the source gave and leave the rest `nil`/empty; they never guess. Values are kept
/// as sent (normalization for matching happens in the index), except SSNs, which every mapper moves from
/// the identifier list into ``ssn`` (digits only) so matching sees them in one place.
package struct PatientRecord: Sendable, Hashable, Codable {
    package var source: SourceSystem
    package var identifiers: [PatientIdentifier]
    /// Names, the legal/official name first.
    package var names: [PersonName]
    package var birthDate: ClinicalTime?
    /// The birth date as the source sent it, kept only when it is no calendar date (`19450493`, a slip of
    /// one digit in the month or day) and ``birthDate`` is therefore `nil`: matching still compares its digits.
    package var birthDateAsSent: String?
    package var sex: AdministrativeSex?
    package var addresses: [PostalAddress]
    package var telecoms: [Telecom]
    /// Social Security Number, digits only, when the source gave one.
    package var ssn: String?
    package var mothersMaidenName: String?
    /// Whether the patient was part of a multiple birth (HL7 v2 PID-24, FHIR `multipleBirth[x]`): twins are
    /// the hardest negatives of record linkage.
    package var multipleBirth: Bool?
    /// Birth order within a multiple birth (PID-25, `multipleBirthInteger`).
    package var birthOrder: Int?
    package var deceased: Bool?
    package var deceasedTime: ClinicalTime?
    package var race: [Code]
    package var ethnicity: [Code]
    package var language: Code?
    package var maritalStatus: Code?
    /// Primary care provider, when the source named one (PID-… PD1-4, C-CDA `providerOrganization`, FHIR `generalPractitioner`).
    package var generalPractitioner: ProviderReference?
    package var provenance: Provenance

    package init(
        source: SourceSystem, identifiers: [PatientIdentifier] = [], names: [PersonName] = [], birthDate: ClinicalTime? = nil,
        sex: AdministrativeSex? = nil, addresses: [PostalAddress] = [], telecoms: [Telecom] = [], ssn: String? = nil,
        mothersMaidenName: String? = nil, multipleBirth: Bool? = nil, birthOrder: Int? = nil, deceased: Bool? = nil,
        deceasedTime: ClinicalTime? = nil, race: [Code] = [], ethnicity: [Code] = [], language: Code? = nil,
        maritalStatus: Code? = nil, generalPractitioner: ProviderReference? = nil, birthDateAsSent: String? = nil,
        provenance: Provenance
    ) {
        self.source = source
        self.identifiers = identifiers
        self.names = names
        self.birthDate = birthDate
        self.birthDateAsSent = birthDate == nil ? birthDateAsSent?.nilIfBlank : nil
        self.sex = sex
        self.addresses = addresses
        self.telecoms = telecoms
        self.ssn = ssn.map { $0.filter(\.isNumber) }.flatMap(\.nilIfBlank)
        self.mothersMaidenName = mothersMaidenName?.nilIfBlank
        self.multipleBirth = multipleBirth
        self.birthOrder = birthOrder
        self.deceased = deceased
        self.deceasedTime = deceasedTime
        self.race = race
        self.ethnicity = ethnicity
        self.language = language
        self.maritalStatus = maritalStatus
        self.generalPractitioner = generalPractitioner
        self.provenance = provenance
    }

    /// The official name, or the first name given.
    package var primaryName: PersonName? { names.first { $0.use == .official } ?? names.first }

    /// The identifiers that key this record inside its source (MRNs and other organization-local ids),
    /// as opposed to cross-organization evidence such as SSNs.
    package var recordKeys: [PatientIdentifier] { identifiers.filter { !$0.isCrossOrganization } }
}

extension String {
    /// The string without leading and trailing white space: what Foundation's
    /// `trimmingCharacters(in: .whitespaces)` gives (with `newlines`, `.whitespacesAndNewlines`).
    ///
    /// Foundation's trimming costs thousands of instructions a call on Linux even when there is nothing to
    /// trim, and the mappers and matchers trim every field. So the ASCII white space at each end is
    /// dropped byte by byte, and Foundation is asked only when what is left starts or ends with a byte
    /// beyond ASCII (which may be Unicode white space, or a mark combining with a space just dropped).
    package func trimmingWhitespace(newlines: Bool = false) -> String {
        let utf8 = self.utf8
        @inline(__always) func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || (newlines && b >= 0x0A && b <= 0x0D) }
        var start = utf8.startIndex, end = utf8.endIndex
        while start < end, isSpace(utf8[start]) { start = utf8.index(after: start) }
        while start < end, isSpace(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        if start < end, utf8[start] >= 0x80 || utf8[utf8.index(before: end)] >= 0x80 {
            return trimmingCharacters(in: newlines ? .whitespacesAndNewlines : .whitespaces)
        }
        if start == utf8.startIndex, end == utf8.endIndex { return self }
        return String(Substring(utf8[start..<end]))
    }
}

extension String {
    /// `nil` when the string is empty or only white space; otherwise the string trimmed.
    ///
    /// Every mapper calls this for every field, so it checks the UTF-8 bytes first and only falls back
    /// to Foundation's Unicode-aware trimming when the ends are not plain ASCII.
    package var nilIfBlank: String? {
        let trimmed = trimmingWhitespace(newlines: true)
        return trimmed.isEmpty ? nil : trimmed
    }
}
