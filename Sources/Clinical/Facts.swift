/// A measured quantity (HL7 v2 NM + OBX-6, HL7 v3 `PQ`, FHIR `Quantity`).
package struct Quantity: Sendable, Hashable, Codable, CustomStringConvertible {
    package var value: Double
    /// The unit as the source wrote it (UCUM when the source used UCUM).
    package var unit: String?
    /// `<`, `<=`, `>=`, `>` when the value is a bound (`<0.5`).
    package var comparator: String?
    /// The number exactly as the source wrote it (`5.70`), so nothing is lost to floating point.
    package var text: String?

    package init(value: Double, unit: String? = nil, comparator: String? = nil, text: String? = nil) {
        self.value = value
        self.unit = unit?.nilIfBlank
        self.comparator = comparator?.nilIfBlank
        self.text = text?.nilIfBlank
    }

    package var description: String {
        (comparator ?? "") + (text ?? String(value)) + (unit.map { " \($0)" } ?? "")
    }
}

/// The value of an observation, of any type the formats carry.
package enum ObservationValue: Sendable, Hashable, Codable, CustomStringConvertible {
    /// NM, SN with a single number, `PQ`, `INT`, `REAL`, `valueQuantity`, `valueInteger`.
    case quantity(Quantity)
    /// ST, TX, FT, `ST`/`ED` text, `valueString`.
    case text(String)
    /// CE, CWE, CNE, `CD`/`CE`/`CO`, `valueCodeableConcept`.
    case coded(Code)
    /// `BL`, `valueBoolean`.
    case boolean(Bool)
    /// SN ranges (`2-5`), `IVL_PQ`, `valueRange`.
    case range(low: Quantity?, high: Quantity?)
    /// SN ratios (`1:128`), `RTO`, `valueRatio`.
    case ratio(numerator: Quantity, denominator: Quantity)
    /// DT/DTM/TS values, `valueDateTime`.
    case time(ClinicalTime)

    package var description: String {
        switch self {
        case .quantity(let q): return q.description
        case .text(let t): return t
        case .coded(let c): return c.label
        case .boolean(let b): return b ? "true" : "false"
        case .range(let low, let high): return "\(low?.description ?? "")-\(high?.description ?? "")"
        case .ratio(let n, let d): return "\(n):\(d)"
        case .time(let t): return t.iso8601
        }
    }
}

/// An observation's result status (HL7 v2 table 0085, FHIR observation-status), as far as Concord acts on it.
package enum ResultStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case registered, preliminary, final, amended, corrected, cancelled, enteredInError, unknown

    /// Whether the result replaces an earlier version of itself.
    package var isCorrection: Bool { self == .corrected || self == .amended }
    /// Whether the result withdraws itself from the current view.
    package var isWithdrawn: Bool { self == .cancelled || self == .enteredInError }
}

/// A result or other observation: a lab result, a vital sign, a social-history item.
package struct Observation: Sendable, Hashable, Codable {
    /// What was observed (LOINC, or a local code with LOINC translations).
    package var code: Code
    package var value: ObservationValue?
    /// The unit, when separate from the value (OBX-6), repeated here for quick access.
    package var unit: String?
    /// The reference range as text (`3.5-5.1`, `<200`).
    package var referenceRange: String?
    package var referenceLow: Quantity?
    package var referenceHigh: Quantity?
    /// Abnormal flags / interpretation codes (`H`, `L`, `A`, `HH`, `N`).
    package var interpretation: [String]
    package var status: ResultStatus
    /// When the observation was made (specimen collection or physiologically relevant time).
    package var effectiveTime: ClinicalTime?
    /// When the result was issued.
    package var issued: ClinicalTime?
    /// `laboratory`, `vital-signs`, `social-history`, `imaging` …
    package var category: String?
    /// The panel or order this belongs to (OBR-4, DiagnosticReport.code, the C-CDA organizer code).
    package var panel: Code?
    /// The placer order number (OBR-2/ORC-2), when known.
    package var placerOrderNumber: String?
    /// The filler order number (OBR-3/ORC-3), the lab's accession: re-sent results share it.
    package var fillerOrderNumber: String?
    /// The source's own id for this observation (OBX-21, C-CDA `id`, FHIR `Observation.id`), used to
    /// recognize corrections of the same observation.
    package var sourceID: String?
    package var performer: ProviderReference?
    package var note: String?

    package init(
        code: Code, value: ObservationValue? = nil, unit: String? = nil, referenceRange: String? = nil,
        referenceLow: Quantity? = nil, referenceHigh: Quantity? = nil, interpretation: [String] = [],
        status: ResultStatus = .final, effectiveTime: ClinicalTime? = nil, issued: ClinicalTime? = nil,
        category: String? = nil, panel: Code? = nil, placerOrderNumber: String? = nil, fillerOrderNumber: String? = nil,
        sourceID: String? = nil, performer: ProviderReference? = nil, note: String? = nil
    ) {
        self.code = code
        self.value = value
        self.unit = unit?.nilIfBlank
        self.referenceRange = referenceRange?.nilIfBlank
        self.referenceLow = referenceLow
        self.referenceHigh = referenceHigh
        self.interpretation = interpretation
        self.status = status
        self.effectiveTime = effectiveTime
        self.issued = issued
        self.category = category
        self.panel = panel
        self.placerOrderNumber = placerOrderNumber?.nilIfBlank
        self.fillerOrderNumber = fillerOrderNumber?.nilIfBlank
        self.sourceID = sourceID?.nilIfBlank
        self.performer = performer
        self.note = note
    }
}

/// An order for a test or service (ORM^O01, OML^O21, ORC/OBR, FHIR `ServiceRequest`).
package struct Order: Sendable, Hashable, Codable {
    package enum Status: String, Sendable, Hashable, Codable { case new, inProgress, completed, cancelled, onHold, enteredInError, unknown }
    package var code: Code
    package var status: Status
    package var placerOrderNumber: String?
    package var fillerOrderNumber: String?
    package var orderedAt: ClinicalTime?
    /// When the service is wanted (quantity/timing, `occurrence[x]`).
    package var scheduledFor: ClinicalTime?
    package var orderingProvider: ProviderReference?
    package var priority: String?
    package var reason: [Code]

    package init(
        code: Code, status: Status = .new, placerOrderNumber: String? = nil, fillerOrderNumber: String? = nil,
        orderedAt: ClinicalTime? = nil, scheduledFor: ClinicalTime? = nil, orderingProvider: ProviderReference? = nil,
        priority: String? = nil, reason: [Code] = []
    ) {
        self.code = code
        self.status = status
        self.placerOrderNumber = placerOrderNumber?.nilIfBlank
        self.fillerOrderNumber = fillerOrderNumber?.nilIfBlank
        self.orderedAt = orderedAt
        self.scheduledFor = scheduledFor
        self.orderingProvider = orderingProvider
        self.priority = priority
        self.reason = reason
    }
}

/// A problem or diagnosis (DG1, PRB, the C-CDA Problem Concern Act, FHIR `Condition`).
package struct Problem: Sendable, Hashable, Codable {
    package enum Status: String, Sendable, Hashable, Codable { case active, recurrence, relapse, inactive, remission, resolved, unknown }
    package enum Verification: String, Sendable, Hashable, Codable { case unconfirmed, provisional, differential, confirmed, refuted, enteredInError }
    package var code: Code
    package var status: Status
    package var verification: Verification?
    /// `problem-list-item`, `encounter-diagnosis`, `admitting`, `working`, `final` …
    package var category: String?
    package var onset: ClinicalTime?
    package var abatement: ClinicalTime?
    package var recordedAt: ClinicalTime?
    package var sourceID: String?

    package init(
        code: Code, status: Status = .active, verification: Verification? = nil, category: String? = nil,
        onset: ClinicalTime? = nil, abatement: ClinicalTime? = nil, recordedAt: ClinicalTime? = nil, sourceID: String? = nil
    ) {
        self.code = code
        self.status = status
        self.verification = verification
        self.category = category
        self.onset = onset
        self.abatement = abatement
        self.recordedAt = recordedAt
        self.sourceID = sourceID?.nilIfBlank
    }
}

/// A medication the patient takes or was prescribed (RXE/RXO/RDE, the C-CDA Medication Activity,
/// FHIR `MedicationRequest`/`MedicationStatement`).
package struct Medication: Sendable, Hashable, Codable {
    package enum Status: String, Sendable, Hashable, Codable { case active, completed, stopped, onHold, cancelled, draft, enteredInError, unknown }
    /// The drug (RxNorm preferred; NDC or local with translations).
    package var code: Code
    package var status: Status
    /// The dosage as a person would read it (`500 mg by mouth twice daily`).
    package var dosage: String?
    package var dose: Quantity?
    package var route: Code?
    package var frequency: String?
    package var start: ClinicalTime?
    package var end: ClinicalTime?
    package var prescriber: ProviderReference?
    package var sourceID: String?

    package init(
        code: Code, status: Status = .active, dosage: String? = nil, dose: Quantity? = nil, route: Code? = nil,
        frequency: String? = nil, start: ClinicalTime? = nil, end: ClinicalTime? = nil,
        prescriber: ProviderReference? = nil, sourceID: String? = nil
    ) {
        self.code = code
        self.status = status
        self.dosage = dosage?.nilIfBlank
        self.dose = dose
        self.route = route
        self.frequency = frequency?.nilIfBlank
        self.start = start
        self.end = end
        self.prescriber = prescriber
        self.sourceID = sourceID?.nilIfBlank
    }
}

/// An allergy or intolerance (AL1/IAM, the C-CDA Allergy Concern Act, FHIR `AllergyIntolerance`).
package struct Allergy: Sendable, Hashable, Codable {
    package enum Status: String, Sendable, Hashable, Codable { case active, inactive, resolved, refuted, enteredInError, unknown }
    /// The substance (RxNorm, UNII, SNOMED, or text).
    package var substance: Code
    /// `allergy` or `intolerance`.
    package var type: String?
    /// `food`, `medication`, `environment`, `biologic`.
    package var category: String?
    package var reactions: [Code]
    /// `mild`, `moderate`, `severe` (or the source's word).
    package var severity: String?
    package var status: Status
    package var onset: ClinicalTime?
    package var sourceID: String?

    package init(
        substance: Code, type: String? = nil, category: String? = nil, reactions: [Code] = [], severity: String? = nil,
        status: Status = .active, onset: ClinicalTime? = nil, sourceID: String? = nil
    ) {
        self.substance = substance
        self.type = type?.nilIfBlank
        self.category = category?.nilIfBlank
        self.reactions = reactions
        self.severity = severity?.nilIfBlank
        self.status = status
        self.onset = onset
        self.sourceID = sourceID?.nilIfBlank
    }
}

/// A visit (PV1/PV2 in ADT, the C-CDA Encounter Activity, FHIR `Encounter`).
package struct Encounter: Sendable, Hashable, Codable {
    package enum Class: String, Sendable, Hashable, Codable { case inpatient, outpatient, emergency, observation, preadmit, recurring, virtual, unknown }
    package enum Status: String, Sendable, Hashable, Codable { case planned, arrived, inProgress, finished, cancelled, enteredInError, unknown }
    /// The visit number (PV1-19, `Encounter.identifier`, C-CDA encounter `id`).
    package var visitNumber: String?
    package var encounterClass: Class
    package var type: Code?
    package var status: Status
    package var start: ClinicalTime?
    package var end: ClinicalTime?
    /// Where (point of care / facility name).
    package var location: String?
    package var attendingProvider: ProviderReference?
    package var reason: [Code]
    package var dischargeDisposition: String?

    package init(
        visitNumber: String? = nil, encounterClass: Class = .unknown, type: Code? = nil, status: Status = .unknown,
        start: ClinicalTime? = nil, end: ClinicalTime? = nil, location: String? = nil,
        attendingProvider: ProviderReference? = nil, reason: [Code] = [], dischargeDisposition: String? = nil
    ) {
        self.visitNumber = visitNumber?.nilIfBlank
        self.encounterClass = encounterClass
        self.type = type
        self.status = status
        self.start = start
        self.end = end
        self.location = location?.nilIfBlank
        self.attendingProvider = attendingProvider
        self.reason = reason
        self.dischargeDisposition = dischargeDisposition?.nilIfBlank
    }

    /// Whether the encounter is an admission (inpatient stay), for the care-management signals.
    package var isAdmission: Bool { encounterClass == .inpatient }
}

/// A vaccine given or refused (RXA in VXU^V04, the C-CDA Immunization Activity, FHIR `Immunization`).
package struct Immunization: Sendable, Hashable, Codable {
    package enum Status: String, Sendable, Hashable, Codable { case completed, notDone, enteredInError, unknown }
    /// The vaccine (CVX, with NDC or local translations).
    package var vaccine: Code
    package var status: Status
    package var administeredAt: ClinicalTime?
    package var lotNumber: String?
    package var manufacturer: String?
    package var dose: Quantity?
    package var route: Code?
    package var site: Code?
    /// Why it was not given, for `notDone`.
    package var statusReason: Code?
    package var sourceID: String?

    package init(
        vaccine: Code, status: Status = .completed, administeredAt: ClinicalTime? = nil, lotNumber: String? = nil,
        manufacturer: String? = nil, dose: Quantity? = nil, route: Code? = nil, site: Code? = nil,
        statusReason: Code? = nil, sourceID: String? = nil
    ) {
        self.vaccine = vaccine
        self.status = status
        self.administeredAt = administeredAt
        self.lotNumber = lotNumber?.nilIfBlank
        self.manufacturer = manufacturer?.nilIfBlank
        self.dose = dose
        self.route = route
        self.site = site
        self.statusReason = statusReason
        self.sourceID = sourceID?.nilIfBlank
    }
}

/// A procedure performed (PR1, the C-CDA Procedure Activity, FHIR `Procedure`).
package struct Procedure: Sendable, Hashable, Codable {
    package enum Status: String, Sendable, Hashable, Codable { case preparation, inProgress, completed, notDone, stopped, enteredInError, unknown }
    package var code: Code
    package var status: Status
    package var performedAt: ClinicalTime?
    package var performedEnd: ClinicalTime?
    package var performer: ProviderReference?
    package var bodySite: Code?
    package var sourceID: String?

    package init(
        code: Code, status: Status = .completed, performedAt: ClinicalTime? = nil, performedEnd: ClinicalTime? = nil,
        performer: ProviderReference? = nil, bodySite: Code? = nil, sourceID: String? = nil
    ) {
        self.code = code
        self.status = status
        self.performedAt = performedAt
        self.performedEnd = performedEnd
        self.performer = performer
        self.bodySite = bodySite
        self.sourceID = sourceID?.nilIfBlank
    }
}

/// The kinds of clinical fact Concord keeps.
package enum FactKind: String, Sendable, Hashable, Codable, CaseIterable {
    case result, order, problem, medication, allergy, encounter, immunization, procedure
}

/// One clinical fact of any kind.
package enum FactBody: Sendable, Hashable, Codable {
    case result(Observation)
    case order(Order)
    case problem(Problem)
    case medication(Medication)
    case allergy(Allergy)
    case encounter(Encounter)
    case immunization(Immunization)
    case procedure(Procedure)

    package var kind: FactKind {
        switch self {
        case .result: return .result
        case .order: return .order
        case .problem: return .problem
        case .medication: return .medication
        case .allergy: return .allergy
        case .encounter: return .encounter
        case .immunization: return .immunization
        case .procedure: return .procedure
        }
    }

    /// The concept the fact is about (the test, the order, the problem, the drug, the substance …).
    package var code: Code? {
        switch self {
        case .result(let o): return o.code
        case .order(let o): return o.code
        case .problem(let p): return p.code
        case .medication(let m): return m.code
        case .allergy(let a): return a.substance
        case .encounter(let e): return e.type
        case .immunization(let i): return i.vaccine
        case .procedure(let p): return p.code
        }
    }

    /// The time the fact is placed at on a timeline (effective, ordered, onset, start, administered, performed).
    package var time: ClinicalTime? {
        switch self {
        case .result(let o): return o.effectiveTime ?? o.issued
        case .order(let o): return o.orderedAt ?? o.scheduledFor
        case .problem(let p): return p.onset ?? p.recordedAt
        case .medication(let m): return m.start
        case .allergy(let a): return a.onset
        case .encounter(let e): return e.start
        case .immunization(let i): return i.administeredAt
        case .procedure(let p): return p.performedAt
        }
    }
}

/// A clinical fact as a submission stated it, about one of the submission's patients.
package struct ClinicalFact: Sendable, Hashable, Codable {
    /// Index into ``Submission/patients`` of the patient the fact is about.
    package var subject: Int
    package var body: FactBody
    package var provenance: Provenance

    package init(subject: Int, body: FactBody, provenance: Provenance) {
        self.subject = subject
        self.body = body
        self.provenance = provenance
    }

    package var kind: FactKind { body.kind }
}
