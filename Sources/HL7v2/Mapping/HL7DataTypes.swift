import Clinical
import Foundation

/// Readers of the composite data types (HL7 v2.5.1 chapter 2A) into the clinical model's values.
enum HL7DataTypes {
    /// CE / CWE / CNE: identifier ^ text ^ system ^ alt identifier ^ alt text ^ alt system … ^ original text (CWE.9).
    static func code(_ v: HL7Value) -> Code? {
        let c = v.components
        let id = c[1].trimmed, text = c[2].trimmed, system = v2System(c[3].trimmed)
        let altID = c[4].trimmed, altText = c[5].trimmed, altSystem = v2System(c[6].trimmed)
        let original = c[9].trimmed
        if let id {
            let translations = altID.map { [makeCode(system: altSystem, code: $0, display: altText)] } ?? []
            return makeCode(system: system, code: id, display: text, translations: translations, originalText: original)
        }
        if let altID { return makeCode(system: altSystem, code: altID, display: altText ?? text, originalText: original) }
        if let label = text ?? original ?? altText { return makeCode(system: nil, code: label, display: label, originalText: original) }
        return nil
    }

    /// Coding-system names v2 uses that `CodeSystem.canonical` does not know (CDC race and ethnicity).
    static func v2System(_ name: String?) -> String? {
        guard let name else { return nil }
        switch name {
        case "CDCREC", "HL70005", "HL70189", "cdcrec": return CodeSystem.raceEthnicity
        default: return name
        }
    }

    /// `CodeSystem.canonical` of the names feeds use most, worked out once.
    static let canonicalSystems: [String: String] = {
        var table: [String: String] = [:]
        for name in ["LN", "LOINC", "SCT", "SNM", "SNOMED", "SNOMEDCT", "RXNORM", "RXN", "I10", "I10C", "I9", "I9C", "CVX", "NDC", "C4", "CPT",
                     "UCUM", "MVX", "NIP001", "NIP002", "HL70001", "HL70002", "HL70063", "HL70127", "HL70128", "HL70131", "HL70162", "HL70163",
                     "HL70070", "HL70078", "HL70136", "HL70203", "HL70296", "ISO639", "NCIT", "L", "99ZZZ", CodeSystem.raceEthnicity] {
            table[name] = CodeSystem.canonical(name)
        }
        return table
    }()

    /// A code with a canonical system (cached for the common v2 names). Values are already trimmed.
    static func makeCode(system: String?, code: String, display: String?, translations: [Code] = [], originalText: String? = nil) -> Code {
        var c = Code(system: nil, code: code, display: display, translations: translations, originalText: originalText)
        if let system { c.system = canonicalSystems[system] ?? CodeSystem.canonical(system) }
        return c
    }

    /// A text-only coded element (AL1-5 in v2.5 is ST): the text as code and display.
    static func textCode(_ v: HL7Value) -> Code? {
        if v.componentCount <= 1, let text = v.trimmed { return makeCode(system: nil, code: text, display: text) }
        return code(v)
    }

    /// TS / DTM / DT: the first component, parsed at whatever precision it has.
    static func time(_ v: HL7Value) -> ClinicalTime? {
        let c = v.component(1)
        if let fast = fastTime(c) { return fast }
        guard let text = c.trimmed else { return nil }
        return ClinicalTime.parseHL7(text)
    }

    /// The common shapes (`YYYY[MM[DD[HH[MM[SS]]]]][±ZZZZ]`, digits only) read straight from the bytes, with the
    /// same result as `ClinicalTime.parseHL7`; anything else returns `nil` and takes the general path.
    static func fastTime(_ v: HL7Value) -> ClinicalTime? {
        let bytes = v.message.storage.bytes
        let r = v.range
        guard r.count >= 4, r.count <= 19 else { return nil }
        var digitsEnd = r.lowerBound
        while digitsEnd < r.upperBound, bytes[digitsEnd] >= 0x30, bytes[digitsEnd] <= 0x39 { digitsEnd += 1 }
        let n = digitsEnd - r.lowerBound
        func number(_ start: Int, _ length: Int) -> Int {
            var value = 0
            for i in start..<(start + length) { value = value * 10 + Int(bytes[i] - 0x30) }
            return value
        }
        var offset: Int?
        if digitsEnd < r.upperBound {
            let sign = bytes[digitsEnd]
            guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"), r.upperBound - digitsEnd == 5 else { return nil }
            for i in (digitsEnd + 1)..<r.upperBound where bytes[i] < 0x30 || bytes[i] > 0x39 { return nil }
            let zone = number(digitsEnd + 1, 4)
            guard zone % 100 < 60 else { return nil }
            let minutes = (zone / 100) * 60 + zone % 100
            offset = sign == UInt8(ascii: "-") ? -minutes : minutes
        }
        let precision: ClinicalTime.Precision
        switch n {
        case 4: precision = .year
        case 6: precision = .month
        case 8: precision = .day
        case 10: precision = .hour
        case 12: precision = .minute
        case 14: precision = .second
        default: return nil
        }
        let b = r.lowerBound
        return ClinicalTime(
            year: number(b, 4), month: n >= 6 ? number(b + 4, 2) : 1, day: n >= 8 ? number(b + 6, 2) : 1, hour: n >= 10 ? number(b + 8, 2) : 0,
            minute: n >= 12 ? number(b + 10, 2) : 0, second: n >= 14 ? number(b + 12, 2) : 0, precision: precision, offsetMinutes: offset)
    }

    /// CX: id ^ check digit ^ scheme ^ assigning authority (HD: namespace & universal id & type) ^ type.
    static func identifier(_ v: HL7Value) -> PatientIdentifier? {
        let c = v.components
        guard let value = c[1].trimmed else { return nil }
        let hd = c[4]
        var authority = AssigningAuthority()
        authority.namespace = hd.subcomponent(1).trimmed
        authority.universalIDType = hd.subcomponent(3).trimmed
        if let universal = hd.subcomponent(2).trimmed {
            authority.universalID = universal.lowercased().hasPrefix("urn:oid:") ? String(universal.dropFirst(8)) : universal
        }
        var id = PatientIdentifier(value: "", authority: authority)
        id.value = value
        id.type = c[5].trimmed?.uppercased()
        return id
    }

    /// XPN: family (FN.1 surname) ^ given ^ middle ^ suffix ^ prefix ^ degree ^ name type (table 0200).
    static func name(_ v: HL7Value, isFirst: Bool) -> PersonName? {
        let c = v.components
        let family = c[1].subcomponent(1).trimmed
        var given: [String] = []
        if let g = c[2].trimmed { given.append(g) }
        if let m = c[3].trimmed { given.append(contentsOf: m.split(separator: " ").map(String.init)) }
        var suffix: [String] = []
        if let s = c[4].trimmed { suffix.append(s) }
        if let degree = c[6].trimmed { suffix.append(degree) }
        let prefix = c[5].trimmed.map { [$0] } ?? []
        guard family != nil || !given.isEmpty else { return nil }
        var name = PersonName(use: nameUse(c[7].trimmed, isFirst: isFirst), family: nil)
        name.family = family
        name.given = given
        name.prefix = prefix
        name.suffix = suffix
        return name
    }

    /// Table 0200 name type to name use: L legal → official, D display → usual, M maiden, N nickname,
    /// A alias, B birth / BAD → old, S coded pseudo-name → anonymous, U unspecified → unknown.
    /// No type: the first name is taken as the official one.
    static func nameUse(_ code: String?, isFirst: Bool) -> NameUse {
        switch code?.uppercased() {
        case nil: return isFirst ? .official : .unknown
        case "L": return .official
        case "D": return .usual
        case "M": return .maiden
        case "N": return .nickname
        case "A": return .alias
        case "B", "BAD": return .old
        case "S": return .anonymous
        case "T", "TEMP": return .temporary
        case "U": return .unknown
        default: return .usual
        }
    }

    /// XAD: street (SAD.1) ^ other designation ^ city ^ state ^ zip ^ country ^ type ^ other geo ^ county.
    static func address(_ v: HL7Value) -> PostalAddress? {
        let c = v.components
        var lines: [String] = []
        if let street = c[1].subcomponent(1).trimmed { lines.append(street) }
        if let other = c[2].trimmed { lines.append(other) }
        let use: String?
        switch c[7].trimmed?.uppercased() {
        case "H", "P", "L": use = "home"
        case "B", "O": use = "work"
        case "M": use = "mailing"
        case "C": use = "temp"
        case "BA", "BI", "BR", "BDL": use = "old"
        case let other: use = other?.lowercased()
        }
        var address = PostalAddress()
        address.use = use
        address.lines = lines
        address.city = c[3].trimmed
        address.district = c[9].trimmed
        address.state = c[4].trimmed
        address.postalCode = c[5].trimmed
        address.country = c[6].trimmed
        return address.isEmpty && address.country == nil ? nil : address
    }

    /// XTN in both styles: v2.3 (`(555)555-1212` in XTN.1) and v2.5 (XTN.2 use, XTN.3 equipment, XTN.4
    /// e-mail, XTN.5 country, XTN.6 area, XTN.7 local number, XTN.8 extension, XTN.12 unformatted).
    /// `defaultUse` is `home` for PID-13 and `work` for PID-14.
    static func telecom(_ v: HL7Value, defaultUse: String) -> Telecom? {
        let c = v.components
        let useCode = c[2].trimmed?.uppercased()
        let equipment = c[3].trimmed?.uppercased()
        let email = c[4].trimmed
        if useCode == "NET" || equipment == "INTERNET" || equipment == "X.400" || (email != nil && c[7].trimmed == nil) {
            guard let address = email ?? c[1].trimmed else { return nil }
            return makeTelecom(.email, address, defaultUse)
        }
        var value: String?
        if let local = c[7].trimmed {
            var number = local
            if local.count == 7, local.allSatisfy(\.isNumber) { number = String(local.prefix(3)) + "-" + String(local.suffix(4)) }
            if let area = c[6].trimmed { number = "(" + area + ")" + number }
            if let country = c[5].trimmed, country != "1" { number = "+" + country + " " + number }
            if let ext = c[8].trimmed { number += " x" + ext }
            value = number
        } else {
            value = c[1].trimmed ?? c[12].trimmed
        }
        guard let value else { return nil }
        var system = Telecom.System.phone
        var use = defaultUse
        switch equipment {
        case "FX": system = .fax
        case "BP": system = .pager
        case "CP": use = "mobile"
        default: break
        }
        switch useCode {
        case "WPN": use = "work"
        case "PRN", "ORN", "VHN": if equipment != "CP" { use = "home" }
        case "BPN": system = .pager
        case "EMR": use = "temp"
        default: break
        }
        return makeTelecom(system, value, use)
    }

    static func makeTelecom(_ system: Telecom.System, _ value: String, _ use: String) -> Telecom {
        var t = Telecom(system: system, value: "")
        t.value = value
        t.use = use
        return t
    }

    /// XCN: id ^ family ^ given ^ middle ^ suffix ^ prefix ^ degree. The name reads `FAMILY, GIVEN M`.
    static func provider(_ v: HL7Value) -> ProviderReference? {
        let c = v.components
        let id = c[1].trimmed
        let family = c[2].subcomponent(1).trimmed
        var name = family ?? ""
        let given = [c[3].trimmed, c[4].trimmed].compactMap { $0 }.joined(separator: " ")
        if !given.isEmpty { name += name.isEmpty ? given : ", " + given }
        guard id != nil || !name.isEmpty else { return nil }
        var provider = ProviderReference()
        provider.identifier = id
        provider.name = name.isEmpty ? nil : name
        return provider
    }

    /// A decimal number with an optional leading comparator (`<0.5`, `>=10`).
    static func quantity(_ text: String?, unit: String?) -> Quantity? {
        guard let text else { return nil }
        var t = text.trimmingWhitespace()
        guard !t.isEmpty else { return nil }
        var comparator: String?
        for c in ["<=", ">=", "<", ">"] where t.hasPrefix(c) {
            comparator = c
            t = String(t.dropFirst(c.count)).trimmingWhitespace()
            break
        }
        guard isDecimal(t), let value = Double(t) else { return nil }
        // Set the (already trimmed) parts directly: the initializer's blank checks go through Foundation.
        var q = Quantity(value: value)
        q.unit = unit
        q.comparator = comparator
        q.text = t
        return q
    }

    static func isDecimal(_ t: String) -> Bool {
        var digits = 0, dots = 0, index = 0
        for b in t.utf8 {
            if b >= 0x30 && b <= 0x39 { digits += 1 } else if b == UInt8(ascii: ".") { dots += 1 } else if (b == UInt8(ascii: "-") || b == UInt8(ascii: "+")) && index == 0 {} else { return false }
            index += 1
        }
        return digits > 0 && dots <= 1
    }

    /// ``quantity(_:unit:)-(String?,_)`` read straight from a value's bytes (no escapes in it), so only the number's
    /// text is allocated; values with escapes take the text path.
    static func quantity(_ v: HL7Value, unit: String?) -> Quantity? {
        let bytes = v.message.storage.bytes
        guard let (lo, hi) = plainBounds(v, bytes) else { return quantity(v.text, unit: unit) }
        return quantity(bytes, lo, hi, unit: unit)
    }

    /// ``range(_:unit:)-(String?,_)`` read straight from a value's bytes.
    static func range(_ v: HL7Value, unit: String?) -> (low: Quantity?, high: Quantity?) {
        let bytes = v.message.storage.bytes
        guard let (lo, hi) = plainBounds(v, bytes) else { return range(v.text, unit: unit) }
        guard lo < hi else { return (nil, nil) }
        if bytes[lo] == UInt8(ascii: "<") { return (nil, quantity(bytes, lo, hi, unit: unit)) }
        if bytes[lo] == UInt8(ascii: ">") { return (quantity(bytes, lo, hi, unit: unit), nil) }
        var i = lo + 1
        while i < hi {
            if bytes[i] == UInt8(ascii: "-"), let l = quantity(bytes, lo, i, unit: unit), let h = quantity(bytes, i + 1, hi, unit: unit) { return (l, h) }
            i += 1
        }
        return (nil, nil)
    }

    /// The value's byte bounds trimmed of spaces and tabs, or `nil` when it holds an escape sequence.
    private static func plainBounds(_ v: HL7Value, _ bytes: [UInt8]) -> (Int, Int)? {
        var lo = v.range.lowerBound, hi = v.range.upperBound
        if let esc = v.message.delimiters.escape {
            for i in lo..<hi where bytes[i] == esc { return nil }
        }
        while lo < hi, bytes[lo] == 0x20 || bytes[lo] == 0x09 { lo += 1 }
        while hi > lo, bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09 { hi -= 1 }
        return (lo, hi)
    }

    private static func quantity(_ bytes: [UInt8], _ lower: Int, _ upper: Int, unit: String?) -> Quantity? {
        var lo = lower, hi = upper
        while lo < hi, bytes[lo] == 0x20 || bytes[lo] == 0x09 { lo += 1 }
        while hi > lo, bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09 { hi -= 1 }
        guard lo < hi else { return nil }
        var comparator: String?
        if bytes[lo] == UInt8(ascii: "<") || bytes[lo] == UInt8(ascii: ">") {
            let orEqual = lo + 1 < hi && bytes[lo + 1] == UInt8(ascii: "=")
            comparator = bytes[lo] == UInt8(ascii: "<") ? (orEqual ? "<=" : "<") : (orEqual ? ">=" : ">")
            lo += orEqual ? 2 : 1
            while lo < hi, bytes[lo] == 0x20 || bytes[lo] == 0x09 { lo += 1 }
        }
        var digits = 0, dots = 0
        for i in lo..<hi {
            let b = bytes[i]
            if b >= 0x30 && b <= 0x39 { digits += 1 } else if b == UInt8(ascii: ".") { dots += 1 } else if (b == UInt8(ascii: "-") || b == UInt8(ascii: "+")) && i == lo {} else { return nil }
        }
        guard digits > 0, dots <= 1 else { return nil }
        let text = String(decoding: bytes[lo..<hi], as: UTF8.self)
        guard let value = Double(text) else { return nil }
        var q = Quantity(value: value)
        q.unit = unit
        q.comparator = comparator
        q.text = text
        return q
    }

    /// A reference range: `3.5-5.1`, `<200`, `>=60`, `-2.0-2.0`.
    static func range(_ text: String?, unit: String?) -> (low: Quantity?, high: Quantity?) {
        guard let text else { return (nil, nil) }
        let t = text.trimmingWhitespace()
        guard !t.isEmpty else { return (nil, nil) }
        if t.hasPrefix("<") { return (nil, quantity(t, unit: unit)) }
        if t.hasPrefix(">") { return (quantity(t, unit: unit), nil) }
        let bytes = Array(t.utf8)
        for i in 1..<max(1, bytes.count) where bytes[i] == UInt8(ascii: "-") {
            let low = String(decoding: bytes[..<i], as: UTF8.self), high = String(decoding: bytes[(i + 1)...], as: UTF8.self)
            if let l = quantity(low, unit: unit), let h = quantity(high, unit: unit) { return (l, h) }
        }
        return (nil, nil)
    }
}
