internal import CLibXML
import Clinical

/// `recordTarget/patientRole` → ``PatientRecord`` (C-CDA R2.1 US Realm Header, §1.1 recordTarget).
extension DocumentMapper {
    static let ssnRoot = "2.16.840.1.113883.4.1"

    func patient(_ role: XMLNode, position: String) throws(CCDAError) -> PatientRecord {
        var identifiers: [PatientIdentifier] = []
        var ssn: String?
        for id in role.children("id") {
            guard let root = id.attribute("root"), id.attribute("nullFlavor") == nil else { continue }
            guard let ext = id.attribute("extension") else {
                skip(position + "/id", "patient id without extension (root only)", id)
                continue
            }
            if root == Self.ssnRoot {
                ssn = ext
                continue
            }
            identifiers.append(PatientIdentifier(value: ext, authority: AssigningAuthority(namespace: id.attribute("assigningAuthorityName"), universalID: root)))
        }

        let addresses = role.children("addr").compactMap(address)
        let telecoms = role.children("telecom").compactMap(telecom)
        var record = PatientRecord(
            source: provenance.source, identifiers: identifiers, addresses: addresses, telecoms: telecoms, ssn: ssn,
            provenance: provenance.at(position))
        if let org = role.child("providerOrganization"), let name = org.child("name")?.text {
            record.generalPractitioner = ProviderReference(identifier: org.child("id").flatMap { $0.attribute("extension") ?? $0.attribute("root") }, organization: name)
        }
        guard let patient = role.child("patient") else {
            skip(position + "/patient", "patientRole without patient", role)
            return record
        }

        var names: [PersonName] = []
        for name in patient.children("name") where name.attribute("nullFlavor") == nil {
            let n = personName(name)
            if !n.isEmpty { names.append(n) }
        }
        // The official name first (stable).
        record.names = names.filter { $0.use == .official } + names.filter { $0.use != .official }

        if let gender = patient.child("administrativeGenderCode") {
            switch gender.attribute("code")?.uppercased() {
            case "M": record.sex = .male
            case "F": record.sex = .female
            case "UN", "U", "UNK": record.sex = .unknown
            case "O", "OTH": record.sex = .other
            default: record.sex = nil
            }
        }
        if let birth = patient.child("birthTime"), let value = birth.attribute("value") {
            guard let t = ClinicalTime.parseHL7(value) else {
                throw CCDAError(.badDate, "patient birthTime is not an HL7 TS", line: birth.line, column: 0)
            }
            record.birthDate = t
        }
        record.maritalStatus = code(patient.child("maritalStatusCode"))
        for child in patient.children {
            if child.isV3("raceCode") || child.isSDTC("raceCode") {
                if child.attribute("nullFlavor") == nil, let c = code(child) { record.race.append(c) }
            } else if child.isV3("ethnicGroupCode") || child.isSDTC("ethnicGroupCode") {
                if child.attribute("nullFlavor") == nil, let c = code(child) { record.ethnicity.append(c) }
            } else if child.isSDTC("deceasedInd") {
                switch child.attribute("value")?.lowercased() {
                case "true": record.deceased = true
                case "false": record.deceased = false
                default: break
                }
            } else if child.isSDTC("deceasedTime") {
                if let t = time(child.attribute("value"), child, position: position + "/patient/deceasedTime") {
                    record.deceasedTime = t
                    record.deceased = true
                }
            } else if child.isSDTC("multipleBirthInd") {
                switch child.attribute("value")?.lowercased() {
                case "true": record.multipleBirth = true
                case "false": record.multipleBirth = false
                default: break
                }
            } else if child.isSDTC("multipleBirthOrderNumber") {
                if let order = child.attribute("value").flatMap({ Int($0) }) {
                    record.birthOrder = order
                    record.multipleBirth = true
                }
            } else if child.isV3("guardian") {
                notes.append(MappingNote(.info, at: position + "/patient/guardian", "guardian present (kept as a note, not mapped)"))
            }
        }
        let languages = patient.children("languageCommunication")
        let preferred = languages.first { $0.child("preferenceInd")?.attribute("value")?.lowercased() == "true" } ?? languages.first
        if let language = preferred?.child("languageCode"), let value = language.attribute("code") {
            record.language = Code(system: "urn:ietf:bcp:47", code: value)
        }
        return record
    }

    /// An HL7 v3 `PN`: `use` (L, P, A, ASGN, C, BR, ANON, TEMP …), given ×n, family, prefix, suffix.
    /// A name given only as text (no parts) is split at white space, the last word taken as family.
    func personName(_ node: XMLNode) -> PersonName {
        var use = NameUse.official
        if let uses = node.attribute("use")?.split(separator: " ").map({ $0.uppercased() }) {
            if uses.contains("L") || uses.contains("OR") { use = .official }
            else if uses.contains("P") || uses.contains("A") { use = .nickname }
            else if uses.contains("ASGN") || uses.contains("C") { use = .usual }
            else if uses.contains("BR") { use = .maiden }
            else if uses.contains("ANON") { use = .anonymous }
            else if uses.contains("TEMP") { use = .temporary }
            else if uses.contains("SRCH") || uses.contains("PHON") || uses.contains("SNDX") || uses.contains("ABC") || uses.contains("IDE") || uses.contains("SYL") { use = .alias }
            else { use = .unknown }
        }
        var family: [String] = []
        var given: [String] = []
        var prefix: [String] = []
        var suffix: [String] = []
        var hasParts = false
        for part in node.children {
            if part.isV3("given") { hasParts = true; if let t = part.text { given.append(t) } }
            else if part.isV3("family") { hasParts = true; if let t = part.text { family.append(t) } }
            else if part.isV3("prefix") { hasParts = true; if let t = part.text { prefix.append(t) } }
            else if part.isV3("suffix") { hasParts = true; if let t = part.text { suffix.append(t) } }
        }
        if !hasParts, let text = node.text {
            var words = text.split(separator: " ").map(String.init)
            let last = words.popLast()
            return PersonName(use: use, family: last, given: words)
        }
        return PersonName(use: use, family: family.isEmpty ? nil : family.joined(separator: " "), given: given, prefix: prefix, suffix: suffix)
    }

    /// An HL7 v3 `AD`: use (HP/H → home, WP → work, TMP → temp, OLD/BAD → old, PST → mailing, PHYS → physical).
    func address(_ node: XMLNode) -> PostalAddress? {
        guard node.attribute("nullFlavor") == nil else { return nil }
        var lines: [String] = []
        var city: String?, state: String?, postal: String?, country: String?, county: String?
        for part in node.children {
            if part.isV3("streetAddressLine") { if let t = part.text { lines.append(t) } }
            else if part.isV3("city") { city = part.text }
            else if part.isV3("state") { state = part.text }
            else if part.isV3("postalCode") { postal = part.text }
            else if part.isV3("country") { country = part.text }
            else if part.isV3("county") { county = part.text }
        }
        let use: String?
        switch node.attribute("use")?.split(separator: " ").first?.uppercased() {
        case "HP", "H", "HV": use = "home"
        case "WP", "DIR", "PUB": use = "work"
        case "TMP": use = "temp"
        case "OLD", "BAD": use = "old"
        case "PST": use = "mailing"
        case "PHYS": use = "physical"
        default: use = nil
        }
        let address = PostalAddress(use: use, lines: lines, city: city, district: county, state: state, postalCode: postal, country: country)
        return address.isEmpty ? nil : address
    }

    /// An HL7 v3 `TEL`: `tel:` → phone, `mailto:` → email, `fax:` → fax, `http(s):` → url; use HP/H → home,
    /// WP → work, MC → mobile, PG → pager, TMP → temp, BAD → old.
    func telecom(_ node: XMLNode) -> Telecom? {
        guard node.attribute("nullFlavor") == nil, let raw = node.attribute("value") else { return nil }
        var system = Telecom.System.phone
        var value = raw
        let lower = raw.lowercased()
        if lower.hasPrefix("tel:") { value = String(raw.dropFirst(4)) }
        else if lower.hasPrefix("mailto:") { system = .email; value = String(raw.dropFirst(7)) }
        else if lower.hasPrefix("fax:") { system = .fax; value = String(raw.dropFirst(4)) }
        else if lower.hasPrefix("http:") || lower.hasPrefix("https:") { system = .url }
        else if lower.hasPrefix("sms:") { system = .sms; value = String(raw.dropFirst(4)) }
        else if raw.contains("@") { system = .email }
        let use: String?
        switch node.attribute("use")?.split(separator: " ").first?.uppercased() {
        case "HP", "H", "HV": use = "home"
        case "WP", "DIR", "PUB": use = "work"
        case "MC": use = "mobile"
        case "PG": use = nil; system = .pager
        case "TMP": use = "temp"
        case "BAD": use = "old"
        default: use = nil
        }
        let trimmed = value.trimmingWhitespace()
        guard !trimmed.isEmpty else { return nil }
        return Telecom(system: system, value: trimmed, use: use)
    }
}
