import Foundation

/// A coded concept: a code in a code system, its display text, and equivalent codes in other systems.
///
/// HL7 v2 `CE`/`CWE`/`CNE` (identifier, text, coding system, then the alternate triplet), HL7 v3 `CD`
/// (`code`, `codeSystem` OID, `displayName`, `translation`s, `originalText`) and FHIR `CodeableConcept`
/// (`coding[]`, `text`) all map here. ``system`` is always canonical (see ``CodeSystem/canonical(_:)``), so
/// the same LOINC code from all three formats compares equal.
package struct Code: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The canonical code system (a FHIR system URI when one is known, otherwise what the source said).
    package var system: String?
    package var code: String
    package var display: String?
    /// The same concept in other code systems (CE alternate identifier, CD translation, extra codings).
    package var translations: [Code]
    /// The text the user saw, when the source gave it apart from the display (HL7 v3 `originalText`,
    /// FHIR `CodeableConcept.text`, CWE-9).
    package var originalText: String?

    package init(system: String?, code: String, display: String? = nil, translations: [Code] = [], originalText: String? = nil) {
        self.system = system.map(CodeSystem.canonical)
        self.code = code
        self.display = display
        self.translations = translations
        self.originalText = originalText
    }

    /// This code and its translations, primary first.
    package var allCodings: [Code] {
        var all = [Code(system: system, code: code, display: display)]
        for translation in translations { all.append(contentsOf: translation.allCodings) }
        return all
    }

    /// The first coding (this one or a translation) in `system`.
    package func coding(in system: String) -> Code? {
        allCodings.first { $0.system == system }
    }

    /// The LOINC code of this concept, if it or a translation is LOINC.
    package var loinc: String? { coding(in: CodeSystem.loinc)?.code }

    /// A stable key `system|code` for comparisons across sources.
    package var key: String { (system ?? "") + "|" + code }

    /// Whether any coding of the two concepts is the same system and code.
    package func sharesCoding(with other: Code) -> Bool {
        let mine = Set(allCodings.map(\.key))
        return other.allCodings.contains { mine.contains($0.key) }
    }

    /// The best human label: display, then original text, then the code.
    package var label: String { display ?? originalText ?? code }

    package var description: String { "\(system ?? "?")|\(code)" + (display.map { " \($0)" } ?? "") }
}

/// Canonical names of the code systems the three formats use, and the mapping from the OIDs (C-CDA) and
/// HL7 v2 table 0396 names (`LN`, `SCT`, `I10` …) to them.
package enum CodeSystem {
    package static let loinc = "http://loinc.org"
    package static let snomed = "http://snomed.info/sct"
    package static let rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    package static let icd10cm = "http://hl7.org/fhir/sid/icd-10-cm"
    package static let icd9cm = "http://hl7.org/fhir/sid/icd-9-cm"
    package static let cvx = "http://hl7.org/fhir/sid/cvx"
    package static let ndc = "http://hl7.org/fhir/sid/ndc"
    package static let cpt = "http://www.ama-assn.org/go/cpt"
    package static let ucum = "http://unitsofmeasure.org"
    package static let unii = "http://fdasis.nlm.nih.gov"
    package static let ndfrt = "http://hl7.org/fhir/ndfrt"
    package static let medrt = "http://va.gov/terminology/medrt"
    package static let raceEthnicity = "urn:oid:2.16.840.1.113883.6.238"
    package static let actCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
    package static let observationInterpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
    package static let administrativeGender = "http://hl7.org/fhir/administrative-gender"

    private static let byAlias: [String: String] = [
        // HL7 v2 table 0396
        "LN": loinc, "LOINC": loinc, "SCT": snomed, "SNM": snomed, "SNOMED": snomed, "SNOMEDCT": snomed,
        "SNOMED-CT": snomed, "RXNORM": rxnorm, "RXN": rxnorm, "I10": icd10cm, "I10C": icd10cm, "ICD10": icd10cm,
        "ICD-10-CM": icd10cm, "ICD10CM": icd10cm, "I9": icd9cm, "I9C": icd9cm, "ICD9": icd9cm, "CVX": cvx,
        "NDC": ndc, "C4": cpt, "CPT": cpt, "CPT4": cpt, "UCUM": ucum, "UNII": unii,
        // OIDs (C-CDA, and FHIR urn:oid: systems)
        "2.16.840.1.113883.6.1": loinc, "2.16.840.1.113883.6.96": snomed, "2.16.840.1.113883.6.88": rxnorm,
        "2.16.840.1.113883.6.90": icd10cm, "2.16.840.1.113883.6.103": icd9cm, "2.16.840.1.113883.12.292": cvx,
        "2.16.840.1.113883.6.69": ndc, "2.16.840.1.113883.6.12": cpt, "2.16.840.1.113883.6.8": ucum,
        "2.16.840.1.113883.4.9": unii, "2.16.840.1.113883.3.26.1.5": ndfrt, "2.16.840.1.113883.6.345": medrt,
        "2.16.840.1.113883.6.238": raceEthnicity, "2.16.840.1.113883.5.4": actCode,
        "2.16.840.1.113883.5.83": observationInterpretation, "2.16.840.1.113883.5.1": administrativeGender,
        // Variants seen in the wild
        "HTTP://LOINC.ORG/": loinc, "HTTP://SNOMED.INFO/SCT/": snomed, "HTTP://WWW.NLM.NIH.GOV/RESEARCH/UMLS/RXNORM/": rxnorm,
    ]

    private static let canonicalSet: Set<String> = Set(canonicalUpper.values)

    private static let canonicalUpper: [String: String] = {
        var table: [String: String] = [:]
        for system in [loinc, snomed, rxnorm, icd10cm, icd9cm, cvx, ndc, cpt, ucum, unii, ndfrt, medrt, raceEthnicity, actCode, observationInterpretation, administrativeGender] {
            table[system.uppercased()] = system
        }
        return table
    }()

    /// The canonical name of a code system given as a URI, an OID (bare or `urn:oid:`), or an HL7 v2 name.
    /// Unknown systems are returned trimmed, with a bare OID written as `urn:oid:…`.
    package static func canonical(_ system: String) -> String {
        // Fast paths: most systems arrive already canonical (decoded from storage, FHIR URIs) or as an
        // exact HL7 v2 name or OID; only the rest need Foundation's slower case folding and trimming.
        if canonicalSet.contains(system) { return system }
        if let known = byAlias[system] { return known }
        let trimmed = system.trimmingWhitespace()
        var bare = trimmed
        if bare.lowercased().hasPrefix("urn:oid:") { bare = String(bare.dropFirst(8)) }
        let upper = bare.uppercased()
        if let known = byAlias[upper] ?? canonicalUpper[upper] { return known }
        if isOID(bare) { return "urn:oid:" + bare }
        return trimmed
    }

    /// Whether text is an ISO object identifier (`2.16.840.1.113883.6.1`).
    package static func isOID(_ text: String) -> Bool {
        guard let first = text.utf8.first, first >= 48, first <= 57, text.contains(".") else { return false }
        return text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: ".") }
    }
}
