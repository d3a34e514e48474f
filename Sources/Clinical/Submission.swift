/// What one message or document said, in the clinical model: the unit a parser produces and the master
/// patient index ingests in one transaction.
///
/// Entry points of the `Clinical` module: ``Submission``, ``PatientRecord``, ``ClinicalFact`` (with
/// ``FactBody``), ``Code``, ``ClinicalTime``, ``Provenance``, and the read-side values in `ReadSide.swift`.
package struct Submission: Sendable, Hashable, Codable {
    package var format: SourceFormat
    package var source: SourceSystem
    /// MSH-10, the C-CDA document id, the FHIR Bundle id.
    package var messageID: String?
    /// `ADT^A08`, `ORU^R01`, a C-CDA document type code (`34133-9`), `Bundle/collection`, `NDJSON`.
    package var messageType: String?
    /// When the sender says it made the message or document.
    package var createdAt: ClinicalTime?
    /// What happened to the patient, when the message says (ADT events).
    package var event: PatientEvent?
    package var patients: [PatientRecord]
    package var facts: [ClinicalFact]
    /// Merges the source announced (ADT^A40): prior identifiers folded into a surviving patient.
    package var merges: [PatientMerge]
    /// What the mapping noticed but did not turn into facts (skipped sections, unknown resources …).
    package var notes: [MappingNote]

    package init(
        format: SourceFormat, source: SourceSystem, messageID: String? = nil, messageType: String? = nil,
        createdAt: ClinicalTime? = nil, event: PatientEvent? = nil, patients: [PatientRecord] = [],
        facts: [ClinicalFact] = [], merges: [PatientMerge] = [], notes: [MappingNote] = []
    ) {
        self.format = format
        self.source = source
        self.messageID = messageID?.nilIfBlank
        self.messageType = messageType
        self.createdAt = createdAt
        self.event = event
        self.patients = patients
        self.facts = facts
        self.merges = merges
        self.notes = notes
    }

    /// The facts about one patient of the submission.
    package func facts(about subject: Int) -> [ClinicalFact] { facts.filter { $0.subject == subject } }
}

/// An ADT trigger event, as far as the index and the care signals act on it.
package enum PatientEvent: String, Sendable, Hashable, Codable {
    case admit, transfer, discharge, register, preadmit, update, cancelAdmit, cancelDischarge, merge, query
}

/// A merge a source announced (HL7 v2 ADT^A40 and friends): the records known by ``priorIdentifiers`` are
/// the same person as the surviving patient ``survivor`` (an index into ``Submission/patients``).
package struct PatientMerge: Sendable, Hashable, Codable {
    package var survivor: Int
    package var priorIdentifiers: [PatientIdentifier]
    package var provenance: Provenance

    package init(survivor: Int, priorIdentifiers: [PatientIdentifier], provenance: Provenance) {
        self.survivor = survivor
        self.priorIdentifiers = priorIdentifiers
        self.provenance = provenance
    }
}

/// Something the mapping noticed: a part of the input it skipped, with where and why, so an analyst
/// can see coverage. Never carries patient data.
package struct MappingNote: Sendable, Hashable, Codable, CustomStringConvertible {
    package enum Severity: String, Sendable, Hashable, Codable { case info, warning, error }
    package var severity: Severity
    /// Where: `OBX[4]-5`, `section[2.16.840.1.113883.10.20.22.2.17]`, `entry[3].resource`.
    package var position: String
    package var message: String

    package init(_ severity: Severity, at position: String, _ message: String) {
        self.severity = severity
        self.position = position
        self.message = message
    }

    package var description: String { "\(severity.rawValue) at \(position): \(message)" }
}
