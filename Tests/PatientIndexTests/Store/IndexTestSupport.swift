import Clinical
import Foundation
@testable import PatientIndex
import SQLite

/// A fresh index in its own temporary directory, removed when the value goes away.
final class TemporaryIndex {
    let directory: URL
    let path: String
    private(set) var store: PatientIndexStore

    init(model: MatchModel? = nil, configuration: IndexConfiguration = IndexConfiguration()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("index.sqlite").path
        store = try PatientIndexStore(path: path, model: model, configuration: configuration)
    }

    func reader() throws -> PatientIndexReader { try PatientIndexReader(path: path) }

    /// Closes the write connection and opens it again, as after a restart.
    func reopen(model: MatchModel? = nil) throws {
        store = try PatientIndexStore(path: path, model: model)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

/// A deterministic generator for randomized tests (a seed replays a failure).
struct Dice {
    var state: UInt64
    mutating func next(_ n: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(n))
    }
}

/// Clinics that send patients to the tests, in the shapes their systems use.
enum Clinics {
    /// An Epic hospital: MRNs under its own OID.
    static let riverside = SourceSystem(facility: "RIVERSIDE_MC", application: "EPIC", facilityID: "2.16.840.1.113883.3.1001")
    static let riversideMRN = AssigningAuthority(namespace: "RMC", universalID: "2.16.840.1.113883.3.1001.1", universalIDType: "ISO")
    /// An athenahealth practice: MRNs in a local namespace only.
    static let lakeview = SourceSystem(facility: "LAKEVIEW_FP", application: "ATHENA")
    static let lakeviewMRN = AssigningAuthority(namespace: "MRN")
    /// A Quest-style lab sending its own patient ids.
    static let northLab = SourceSystem(facility: "NORTH_LAB", application: "LIS")
    static let northLabMRN = AssigningAuthority(namespace: "MRN")
}

/// Realistic patient records.
enum Patients {
    static func record(
        at source: SourceSystem, authority: AssigningAuthority, mrn: String, family: String, given: [String],
        suffix: [String] = [], use: NameUse = .official, born: (Int, Int, Int)?, sex: AdministrativeSex?, ssn: String? = nil,
        phone: String? = nil, street: String? = nil, city: String = "Springfield", state: String = "IL", zip: String = "62704",
        multipleBirth: Bool? = nil, birthOrder: Int? = nil, messageID: String? = nil, recordedAt: ClinicalTime? = nil,
        extraNames: [PersonName] = []
    ) -> PatientRecord {
        PatientRecord(
            source: source,
            identifiers: [PatientIdentifier(value: mrn, authority: authority, type: "MR")],
            names: [PersonName(use: use, family: family, given: given, suffix: suffix)] + extraNames,
            birthDate: born.flatMap { ClinicalTime(year: $0.0, month: $0.1, day: $0.2) },
            sex: sex,
            addresses: street.map { [PostalAddress(use: "home", lines: [$0], city: city, state: state, postalCode: zip, country: "USA")] } ?? [],
            telecoms: phone.map { [Telecom(system: .phone, value: $0, use: "home")] } ?? [],
            ssn: ssn,
            multipleBirth: multipleBirth,
            birthOrder: birthOrder,
            provenance: Provenance(source: source, format: .hl7v2, messageID: messageID, position: "PID", recordedAt: recordedAt))
    }

    /// Maria Elena Garcia as Riverside registers her.
    static func mariaAtRiverside(mrn: String = "E1002345") -> PatientRecord {
        record(at: Clinics.riverside, authority: Clinics.riversideMRN, mrn: mrn, family: "Garcia", given: ["Maria", "Elena"],
            born: (1971, 3, 14), sex: .female, ssn: "123-44-5678", phone: "(217) 555-0143", street: "1418 Maple Ave")
    }

    /// The same Maria as the family practice has her.
    static func mariaAtLakeview(mrn: String = "88231") -> PatientRecord {
        record(at: Clinics.lakeview, authority: Clinics.lakeviewMRN, mrn: mrn, family: "GARCIA", given: ["MARIA", "E"],
            born: (1971, 3, 14), sex: .female, ssn: "123445678", phone: "217-555-0143", street: "1418 Maple Avenue")
    }

    /// Robert Chen, unrelated to Maria.
    static func robertAtRiverside(mrn: String = "E1009911") -> PatientRecord {
        record(at: Clinics.riverside, authority: Clinics.riversideMRN, mrn: mrn, family: "Chen", given: ["Robert", "Wei"],
            born: (1958, 11, 2), sex: .male, ssn: "301-22-9087", phone: "(217) 555-0199", street: "77 Oak St")
    }

    /// Robert's second Riverside chart, registered as "Bob Chen": the duplicate an ADT^A40 later folds.
    static func robertsSecondChart() -> PatientRecord {
        var chart = robertAtRiverside(mrn: "E1009999")
        chart.names = [PersonName(family: "Chen", given: ["Bob"])]
        return chart
    }

    /// The ADT^A40 by which Riverside folds Robert's second chart (E1009999) into his first (E1009911).
    static func a40FoldingRobertsSecondChart() -> Submission {
        Submission(format: .hl7v2, source: Clinics.riverside, messageID: "MSG00040", messageType: "ADT^A40", event: .merge,
            patients: [robertAtRiverside(mrn: "E1009911")],
            merges: [PatientMerge(survivor: 0, priorIdentifiers: [PatientIdentifier(value: "E1009999", authority: Clinics.riversideMRN, type: "MR")],
                provenance: Provenance(source: Clinics.riverside, format: .hl7v2, messageID: "MSG00040", position: "MRG"))])
    }

    static func submission(_ records: [PatientRecord], from source: SourceSystem, messageID: String = "MSG00001",
                           facts: [ClinicalFact] = [], merges: [PatientMerge] = []) -> Submission {
        Submission(format: .hl7v2, source: source, messageID: messageID, messageType: merges.isEmpty ? "ADT^A04" : "ADT^A40",
            patients: records, facts: facts, merges: merges)
    }

    /// A potassium result about patient `subject` of a submission.
    static func potassium(subject: Int, source: SourceSystem, messageID: String) -> ClinicalFact {
        let observation = Observation(
            code: Code(system: "http://loinc.org", code: "2823-3", display: "Potassium [Moles/volume] in Serum or Plasma"),
            value: .quantity(Quantity(value: 4.1, unit: "mmol/L")), unit: "mmol/L", status: .final,
            effectiveTime: ClinicalTime(year: 2024, month: 5, day: 2))
        return ClinicalFact(subject: subject, body: .result(observation), provenance: Provenance(source: source, format: .hl7v2, messageID: messageID, position: "OBX[1]"))
    }
}

extension PatientIndexStore {
    /// Ingests one submission outside any enclosing transaction.
    func ingest(_ records: [PatientRecord], from source: SourceSystem, messageID: String = "MSG00001") throws -> IngestOutcome {
        try ingest(Patients.submission(records, from: source, messageID: messageID), messageID: nil)
    }

    /// The model's total for two records, as ingest computes it on a small index (no term frequencies).
    func score(_ a: PatientRecord, _ b: PatientRecord) -> Double {
        model.compare(MatchNormalizer.features(of: a), MatchNormalizer.features(of: b), frequencies: nil).total
    }
}

extension MatchModel {
    /// The standard model with thresholds placed around `total`, so that a pair scoring `total` lands
    /// between them whatever the weights are.
    static func reviewing(around total: Double) -> MatchModel {
        var model = MatchModel.standard
        model.upperThreshold = total + 1
        model.lowerThreshold = total - 1
        return model
    }

    /// The standard model with thresholds no pair reaches or falls under: every candidate goes to review.
    static var reviewingEverything: MatchModel {
        var model = MatchModel.standard
        model.upperThreshold = 1_000
        model.lowerThreshold = -1_000
        return model
    }
}
