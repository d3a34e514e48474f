internal import CLibXML
import Clinical

// CCDA — reads C-CDA R2.1 documents (CCD, Discharge Summary, Referral Note, Progress Note, …) through
// libxml2 into the Clinical model.
//
// Entry points:
// - `CCDAReader.read(_ bytes:) throws(CCDAError) -> CCDADocument` — parse, read the header and every
//   known section, map to a `Submission` (format `.ccda`) with a `CCDAParseReport` of coverage.
// - `CCDAReader.read(_:limits:)` — the same with size/depth limits other than the defaults (32 MiB, 256).
// - `CCDAError` — code, reason, line, column.
// - `CCDAXPath` — XPath queries over a document (namespaces `v3`/`hl7`, `sdtc`, `xsi`) for tools and tests.
//
// Inside: `XML/` holds the libxml2 layer — `DoctypeScreen` (refuses entity declarations before libxml2
// sees them), `CompactDocument` (libxml2 SAX2 events into flat arrays: the reader's fast path, no
// libxml2 tree), `XMLDocument` + `XPathContext` + `XPathResult` (one wrapper per libxml2 handle, freed
// in deinit). `Mapping/` maps the header (`DocumentMapper`, `Patient`) and sections (`Sections`) with the
// HL7 v3 data types (`Values`) to Clinical.

/// Reads C-CDA documents. Pure: bytes in, a document or a positioned error out; safe to call from
/// several threads at once (each parse has its own libxml2 context and error collector).
package enum CCDAReader {
    /// Parses and maps one C-CDA document.
    ///
    /// Throws for input that cannot be a C-CDA document at all: not well-formed XML, too large or too
    /// deep, a DOCTYPE declaring entities, a root other than `ClinicalDocument`, no
    /// `recordTarget/patientRole`, or an unparseable document `effectiveTime` or patient `birthTime`.
    /// Anything less (an unknown section, an entry without a code, a bad entry date) is kept out of the
    /// facts and listed in ``CCDADocument/report``.
    package static func read(_ bytes: [UInt8], limits: XMLLimits = XMLLimits()) throws(CCDAError) -> CCDADocument {
        let document = try CompactDocument(parsing: bytes, limits: limits)
        return try withExtendedLifetime(document) { () throws(CCDAError) -> CCDADocument in
            try DocumentMapper(document).map()
        }
    }
}

/// One C-CDA document as read: the submission for the index and the report of what was read.
package struct CCDADocument: Sendable, Hashable {
    /// The patients (normally one), facts and notes, `format == .ccda`.
    package var submission: Submission
    package var report: CCDAParseReport
    /// The custodian organization (`custodian/assignedCustodian/representedCustodianOrganization`).
    package var custodian: CCDAOrganization?
    /// The first author's organization (`author/assignedAuthor/representedOrganization`).
    package var authorOrganization: CCDAOrganization?
    /// The document type (`ClinicalDocument/code`, LOINC: `34133-9` CCD, `18842-5` Discharge Summary …).
    package var documentType: Code?
    /// The document title, as written.
    package var title: String?
}

/// An organization named in the header.
package struct CCDAOrganization: Sendable, Hashable {
    package var name: String?
    /// The first `id/@root` (an OID or UUID).
    package var idRoot: String?
    /// The first `id/@extension`.
    package var idExtension: String?

    package init(name: String?, idRoot: String?, idExtension: String? = nil) {
        self.name = name
        self.idRoot = idRoot
        self.idExtension = idExtension
    }
}

/// The C-CDA sections Concord maps, found by templateId (with or without extension) or, when a sender
/// omits templateIds, by the section's LOINC code.
package enum CCDASectionKind: String, Sendable, Hashable, CaseIterable, Codable {
    case results = "Results", vitalSigns = "VitalSigns", problems = "Problems", medications = "Medications"
    case allergies = "Allergies", immunizations = "Immunizations", encounters = "Encounters"
    case procedures = "Procedures", socialHistory = "SocialHistory"

    /// C-CDA R2.1 section templateId roots (entries-optional and entries-required forms).
    package var templateRoots: [String] {
        let base = "2.16.840.1.113883.10.20.22.2."
        switch self {
        case .results: return [base + "3", base + "3.1"]
        case .vitalSigns: return [base + "4", base + "4.1"]
        case .problems: return [base + "5", base + "5.1"]
        case .medications: return [base + "1", base + "1.1"]
        case .allergies: return [base + "6", base + "6.1"]
        case .immunizations: return [base + "2", base + "2.1"]
        case .encounters: return [base + "22", base + "22.1"]
        case .procedures: return [base + "7", base + "7.1"]
        case .socialHistory: return [base + "17"]
        }
    }

    /// The section's LOINC code.
    package var loinc: String {
        switch self {
        case .results: return "30954-2"
        case .vitalSigns: return "8716-3"
        case .problems: return "11450-4"
        case .medications: return "10160-0"
        case .allergies: return "48765-2"
        case .immunizations: return "11369-6"
        case .encounters: return "46240-8"
        case .procedures: return "47519-4"
        case .socialHistory: return "29762-2"
        }
    }

    static let byTemplate: [String: CCDASectionKind] = {
        var table: [String: CCDASectionKind] = [:]
        for kind in allCases { for root in kind.templateRoots { table[root] = kind } }
        return table
    }()

    static let byLOINC: [String: CCDASectionKind] = {
        var table: [String: CCDASectionKind] = [:]
        for kind in allCases { table[kind.loinc] = kind }
        return table
    }()
}

/// What was read from one document: an analyst's view of coverage. Carries no patient data.
package struct CCDAParseReport: Sendable, Hashable {
    /// One section of the body, known or not.
    package struct Section: Sendable, Hashable {
        /// `nil` for a section Concord does not map.
        package var kind: CCDASectionKind?
        /// How the section was recognized: `templateId`, `code`, or `unknown`.
        package var matchedBy: String
        /// The section's LOINC code, if any.
        package var code: String?
        package var line: Int
        /// `entry` elements in the section.
        package var entries: Int
        /// Facts mapped from the section.
        package var factsMapped: Int
    }

    /// Something not mapped: where, why, and the source line.
    package struct Skipped: Sendable, Hashable, CustomStringConvertible {
        package var position: String
        package var reason: String
        package var line: Int

        package init(position: String, reason: String, line: Int) {
            self.position = position
            self.reason = reason
            self.line = line
        }

        package var description: String { "\(position) (line \(line)): \(reason)" }
    }

    package var sections: [Section] = []
    package var skipped: [Skipped] = []

    /// Sections Concord mapped.
    package var sectionsRead: [CCDASectionKind] { sections.compactMap(\.kind) }
    /// Facts mapped in all.
    package var entriesMapped: Int { sections.reduce(0) { $0 + $1.factsMapped } }

    package init() {}
}
