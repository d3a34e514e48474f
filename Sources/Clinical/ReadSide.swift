/// How sure the index is that a source record is the enterprise patient (FHIR `match-grade`).
package enum MatchGrade: String, Sendable, Hashable, Codable, CaseIterable {
    case certain, probable, possible, certainlyNot = "certainly-not"
}

/// One field's part in a match decision: which comparison level it reached and the weight it added.
package struct FieldComparison: Sendable, Hashable, Codable {
    /// `family`, `given`, `birthDate`, `sex`, `ssn`, `phone`, `email`, `address`, `identifier` …
    package var field: String
    /// `exact`, `jaroWinkler≥0.92`, `nickname`, `initial`, `phonetic`, `transposed`, `yearOnly`, `missing`, `different` …
    package var level: String
    /// Log2 odds added to the total (negative is evidence against).
    package var weight: Double

    package init(field: String, level: String, weight: Double) {
        self.field = field
        self.level = level
        self.weight = weight
    }
}

/// Why a source record was linked to (or queued for) an enterprise patient: every field's comparison
/// level and weight, the total, the thresholds in force and the model version.
package struct MatchExplanation: Sendable, Hashable, Codable {
    /// `identifier` (deterministic), `probabilistic`, `steward`, `sourceMerge` (ADT^A40), `new`.
    package var method: String
    package var comparisons: [FieldComparison]
    package var total: Double
    package var upperThreshold: Double
    package var lowerThreshold: Double
    package var modelVersion: String
    package var grade: MatchGrade
    /// Hard rules that stopped an automatic link (`sex conflict`, `different MRN from MRN authority`, `twin`, `Jr/Sr`).
    package var blockers: [String]
    /// The record compared against, when one.
    package var comparedWith: String?
    /// Free text a steward gave, for steward decisions.
    package var reason: String?

    package init(
        method: String, comparisons: [FieldComparison] = [], total: Double = 0, upperThreshold: Double = 0,
        lowerThreshold: Double = 0, modelVersion: String = "", grade: MatchGrade, blockers: [String] = [],
        comparedWith: String? = nil, reason: String? = nil
    ) {
        self.method = method
        self.comparisons = comparisons
        self.total = total
        self.upperThreshold = upperThreshold
        self.lowerThreshold = lowerThreshold
        self.modelVersion = modelVersion
        self.grade = grade
        self.blockers = blockers
        self.comparedWith = comparedWith
        self.reason = reason
    }
}

/// A source record as linked to an enterprise patient.
package struct LinkedRecord: Sendable, Hashable, Codable {
    /// The index's id of the source record.
    package var recordID: String
    package var record: PatientRecord
    package var explanation: MatchExplanation
    package var linkedAt: ClinicalTime?

    package init(recordID: String, record: PatientRecord, explanation: MatchExplanation, linkedAt: ClinicalTime? = nil) {
        self.recordID = recordID
        self.record = record
        self.explanation = explanation
        self.linkedAt = linkedAt
    }
}

/// One person as the index knows them: the golden record computed from the linked source records.
package struct EnterprisePatient: Sendable, Hashable, Codable {
    /// The enterprise id (`EP-…`).
    package var id: String
    /// The survivorship result: the best name, birth date, sex, addresses and telecoms of the members,
    /// with every identifier of every member.
    package var golden: PatientRecord
    package var members: [LinkedRecord]

    package init(id: String, golden: PatientRecord, members: [LinkedRecord]) {
        self.id = id
        self.golden = golden
        self.members = members
    }
}

/// A fact of the unified record: one fact, however many times and channels it arrived through.
package struct UnifiedFact: Sendable, Hashable, Codable {
    package var id: String
    /// The current version of the fact (after corrections).
    package var body: FactBody
    /// Every place the fact arrived from, the first first.
    package var provenances: [Provenance]
    /// `current`, `superseded`, `withdrawn`.
    package var state: String
    /// Earlier versions, oldest first, when corrected.
    package var history: [FactBody]

    package init(id: String, body: FactBody, provenances: [Provenance], state: String = "current", history: [FactBody] = []) {
        self.id = id
        self.body = body
        self.provenances = provenances
        self.state = state
        self.history = history
    }

    package var kind: FactKind { body.kind }
}

/// One side of a duplicate-test flag.
package struct FlaggedTest: Sendable, Hashable, Codable {
    package var factID: String
    package var code: Code
    package var time: ClinicalTime?
    package var value: String?
    package var provenance: Provenance

    package init(factID: String, code: Code, time: ClinicalTime?, value: String?, provenance: Provenance) {
        self.factID = factID
        self.code = code
        self.time = time
        self.value = value
        self.provenance = provenance
    }
}

/// A test repeated for the same enterprise patient inside its minimum retest interval, or ordered again
/// while an earlier result is still inside it.
package struct DuplicateTestFlag: Sendable, Hashable, Codable {
    package enum Kind: String, Sendable, Hashable, Codable {
        /// Both tests were performed (two results).
        case repeatedResult
        /// A new order arrived for a test resulted inside the interval: the repeat can still be avoided.
        case avoidableOrder
    }
    package var id: String
    package var enterpriseID: String
    package var kind: Kind
    /// The test, as the key the interval table knows it by (a LOINC code, or a mapped local code).
    package var test: Code
    package var intervalDays: Int
    package var daysApart: Double
    package var earlier: FlaggedTest
    package var later: FlaggedTest
    /// `open`, `acknowledged`, `dismissed`.
    package var status: String

    package init(
        id: String, enterpriseID: String, kind: Kind, test: Code, intervalDays: Int, daysApart: Double,
        earlier: FlaggedTest, later: FlaggedTest, status: String = "open"
    ) {
        self.id = id
        self.enterpriseID = enterpriseID
        self.kind = kind
        self.test = test
        self.intervalDays = intervalDays
        self.daysApart = daysApart
        self.earlier = earlier
        self.later = later
        self.status = status
    }
}

/// An enterprise patient's unified record: the golden record, every fact once with its provenances, and
/// the duplicate-test flags.
package struct UnifiedRecord: Sendable, Hashable, Codable {
    package var patient: EnterprisePatient
    package var facts: [UnifiedFact]
    package var flags: [DuplicateTestFlag]

    package init(patient: EnterprisePatient, facts: [UnifiedFact], flags: [DuplicateTestFlag]) {
        self.patient = patient
        self.facts = facts
        self.flags = flags
    }
}
