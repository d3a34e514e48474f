import Foundation
import Clinical

/// One row of the minimum-retest-interval table: the codes that name one test, and how soon it may be
/// repeated without a flag (or that it is a monitoring test, never flagged).
///
/// The defaults follow RCPath/ACB/IBMS *National minimum retesting intervals in pathology* (G147, 2015;
/// 2021 update) and the guideline named in ``source``; `docs/unified-record.md` lists them.
package struct RetestRule: Sendable, Codable, Hashable {
    /// LOINC codes (or `system|code` / `facility|code` keys of unmapped local codes) that are this test.
    /// The first names the test in flags.
    package var codes: [String]
    /// The test as a person would name it (`HbA1c`, `LDL cholesterol`).
    package var name: String
    /// Days before a repeat is expected; `nil` marks a monitoring test that is exempt from flags.
    package var minimumIntervalDays: Int?
    /// Where the default comes from.
    package var source: String?

    package init(codes: [String], name: String, minimumIntervalDays: Int?, source: String? = nil) {
        self.codes = codes
        self.name = name
        self.minimumIntervalDays = minimumIntervalDays
        self.source = source
    }

    /// Whether the test is a monitoring test that is never flagged.
    package var isExempt: Bool { minimumIntervalDays == nil }
}

/// How the fact ledger recognizes one fact arriving through several channels, which local codes are which
/// LOINC tests, and how soon each test may be repeated. Loadable from the gateway's JSON configuration;
/// every key is optional there and falls back to ``standard``.
package struct FactConfiguration: Sendable, Codable {
    /// Per test: minimum interval in days, or exempt (monitoring).
    package var retestIntervals: [RetestRule]
    /// `system|code` (canonical system) or `facility|localcode` → LOINC.
    package var localCodeMap: [String: String]
    /// Identity tolerance for the same result from several channels, in minutes.
    package var resultTimeToleranceMinutes: Int
    /// Order codes that stand for several tests (panels): code (LOINC, `system|code`, or a key of
    /// ``localCodeMap``'s targets) → the LOINC codes of the tests they contain.
    package var panelComponents: [String: [String]]
    /// Whether a repeat at the same clinic is flagged too (it is by default: a repeat inside the interval
    /// is avoidable wherever it happened; the flag names both sources so the clinic can be seen).
    package var flagSameFacility: Bool
    /// Code prefixes that mark a problem as chronic (ICD-10-CM prefixes, SNOMED CT concept codes).
    package var chronicProblemCodes: [String]
    /// Active medications at which a patient counts as on polypharmacy.
    package var polypharmacyThreshold: Int

    package init(
        retestIntervals: [RetestRule], localCodeMap: [String: String] = [:], resultTimeToleranceMinutes: Int = 5,
        panelComponents: [String: [String]] = FactConfiguration.standardPanels, flagSameFacility: Bool = true,
        chronicProblemCodes: [String] = FactConfiguration.standardChronicProblemCodes, polypharmacyThreshold: Int = 5
    ) {
        self.retestIntervals = retestIntervals
        self.localCodeMap = localCodeMap
        self.resultTimeToleranceMinutes = resultTimeToleranceMinutes
        self.panelComponents = panelComponents
        self.flagSameFacility = flagSameFacility
        self.chronicProblemCodes = chronicProblemCodes
        self.polypharmacyThreshold = polypharmacyThreshold
    }

    private enum CodingKeys: String, CodingKey {
        case retestIntervals, localCodeMap, resultTimeToleranceMinutes, panelComponents, flagSameFacility
        case chronicProblemCodes, polypharmacyThreshold
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let standard = FactConfiguration.standard
        retestIntervals = try c.decodeIfPresent([RetestRule].self, forKey: .retestIntervals) ?? standard.retestIntervals
        localCodeMap = try c.decodeIfPresent([String: String].self, forKey: .localCodeMap) ?? standard.localCodeMap
        resultTimeToleranceMinutes = try c.decodeIfPresent(Int.self, forKey: .resultTimeToleranceMinutes) ?? standard.resultTimeToleranceMinutes
        panelComponents = try c.decodeIfPresent([String: [String]].self, forKey: .panelComponents) ?? standard.panelComponents
        flagSameFacility = try c.decodeIfPresent(Bool.self, forKey: .flagSameFacility) ?? standard.flagSameFacility
        chronicProblemCodes = try c.decodeIfPresent([String].self, forKey: .chronicProblemCodes) ?? standard.chronicProblemCodes
        polypharmacyThreshold = try c.decodeIfPresent(Int.self, forKey: .polypharmacyThreshold) ?? standard.polypharmacyThreshold
    }

    /// The defaults: the retest table below, no local code map, a 5-minute result time tolerance.
    package static let standard = FactConfiguration(retestIntervals: standardRetestIntervals)

    private static let g147 = "RCPath/ACB G147 National minimum retesting intervals in pathology (2015, rev. 2021)"

    /// The default minimum-retest-interval table (see `docs/unified-record.md` for the reasoning per row).
    package static let standardRetestIntervals: [RetestRule] = [
        RetestRule(codes: ["4548-4", "17856-6", "4549-2", "59261-8"], name: "HbA1c", minimumIntervalDays: 90,
                   source: g147 + "; NICE NG28 (3–6-monthly); ADA Standards of Care (quarterly)"),
        RetestRule(codes: ["2093-3"], name: "Total cholesterol", minimumIntervalDays: 365, source: g147 + "; NICE CG181/NG238 annual review"),
        RetestRule(codes: ["2085-9"], name: "HDL cholesterol", minimumIntervalDays: 365, source: g147 + "; NICE CG181/NG238 annual review"),
        RetestRule(codes: ["13457-7", "18262-6", "2089-1"], name: "LDL cholesterol", minimumIntervalDays: 365, source: g147 + "; NICE CG181/NG238 annual review"),
        RetestRule(codes: ["2571-8"], name: "Triglycerides", minimumIntervalDays: 365, source: g147 + "; NICE CG181/NG238 annual review"),
        RetestRule(codes: ["3016-3", "11580-8"], name: "TSH", minimumIntervalDays: 42, source: g147 + " (6 weeks after a dose change)"),
        RetestRule(codes: ["3024-7"], name: "Free T4", minimumIntervalDays: 42, source: g147 + " (6 weeks after a dose change)"),
        RetestRule(codes: ["1989-3", "62292-8", "14635-7"], name: "25-hydroxyvitamin D", minimumIntervalDays: 90, source: g147 + " (3 months)"),
        RetestRule(codes: ["2276-4"], name: "Ferritin", minimumIntervalDays: 90, source: g147 + " (iron studies, 3 months after starting replacement)"),
        RetestRule(codes: ["2498-4", "2500-7", "2502-3"], name: "Iron studies", minimumIntervalDays: 90, source: g147 + " (iron studies)"),
        RetestRule(codes: ["2857-1", "35741-8"], name: "PSA", minimumIntervalDays: 365,
                   source: "PHE Prostate Cancer Risk Management Programme (annual in stable men); " + g147 + " gives 6 weeks only after infection or instrumentation"),
        RetestRule(codes: ["2132-9"], name: "Vitamin B12", minimumIntervalDays: 56, source: g147 + " (2 months)"),
        RetestRule(codes: ["2284-8"], name: "Folate", minimumIntervalDays: 56, source: g147 + " (2 months)"),
        RetestRule(codes: ["9318-7", "14959-1"], name: "Urine albumin/creatinine ratio", minimumIntervalDays: 90,
                   source: g147 + "; NICE NG203 (confirm a raised ACR within 3 months)"),
        // Monitoring tests: repeats are expected (anticoagulation, electrolytes, inpatient glucose, blood counts, serial troponin).
        RetestRule(codes: ["6301-6", "34714-6", "5902-2"], name: "INR / prothrombin time", minimumIntervalDays: nil, source: "monitoring (warfarin)"),
        RetestRule(codes: ["2823-3", "6298-4"], name: "Potassium", minimumIntervalDays: nil, source: "monitoring"),
        RetestRule(codes: ["2951-2", "2947-0"], name: "Sodium", minimumIntervalDays: nil, source: "monitoring"),
        RetestRule(codes: ["2075-0", "2028-9", "3094-0", "17861-6"], name: "Chloride, CO2, urea nitrogen, calcium (BMP)", minimumIntervalDays: nil, source: "monitoring"),
        RetestRule(codes: ["2345-7", "2339-0", "41653-7"], name: "Glucose", minimumIntervalDays: nil, source: "monitoring"),
        RetestRule(codes: ["2160-0", "38483-4"], name: "Creatinine", minimumIntervalDays: nil, source: "monitoring"),
        RetestRule(codes: ["718-7", "6690-2", "789-8", "787-2", "777-3", "4544-3"], name: "Blood count", minimumIntervalDays: nil, source: "monitoring"),
        RetestRule(codes: ["10839-9", "6598-7", "49563-0", "89579-7", "67151-1"], name: "Troponin", minimumIntervalDays: nil, source: "monitoring (serial troponin)"),
    ]

    /// Default panel order codes → component LOINC codes.
    package static let standardPanels: [String: [String]] = [
        "57698-3": ["2093-3", "2085-9", "13457-7", "2571-8"],  // Lipid panel with direct LDL
        "24331-1": ["2093-3", "2085-9", "13457-7", "2571-8"],  // Lipid 1996 panel
        "http://www.ama-assn.org/go/cpt|80061": ["2093-3", "2085-9", "13457-7", "2571-8"],  // CPT lipid panel
        "http://www.ama-assn.org/go/cpt|83036": ["4548-4"],  // CPT hemoglobin A1c
        "http://www.ama-assn.org/go/cpt|84443": ["3016-3"],  // CPT TSH
        "http://www.ama-assn.org/go/cpt|82306": ["1989-3"],  // CPT vitamin D 25-hydroxy
        "http://www.ama-assn.org/go/cpt|84153": ["2857-1"],  // CPT PSA total
        "24348-5": ["3016-3", "3024-7"],  // Thyroid panel (free T4 + TSH)
    ]

    /// Default chronic-condition codes: ICD-10-CM category prefixes and SNOMED CT concepts.
    package static let standardChronicProblemCodes: [String] = [
        // ICD-10-CM
        "E10", "E11", "E13", "I10", "I11", "I12", "I13", "I20", "I25", "I48", "I50", "J44", "J45", "N18",
        "E78", "F20", "F31", "F32", "F33", "G20", "G30", "G35", "G40", "K50", "K51", "M05", "M06", "B20", "E66",
        // SNOMED CT
        "44054006", "46635009", "73211009", "38341003", "59621000", "84114007", "42343007", "13645005",
        "195967001", "709044004", "431855005", "49436004", "53741008", "414545008", "55822004", "35489007",
        "26929004", "49049000", "24700007", "84757009", "69896004",
    ]
}
