import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

/// A record left alone on arrival is decided again when a later record joins one of its candidate
/// patients (`PatientIndexStore.rematchAlone`): the FEBRL3 pattern, where a person's first record matched
/// nothing there was, and the copies that arrived later linked to each other.
@Suite struct RematchTests {
    static let oakClinic = SourceSystem(facility: "OAK_CLINIC", application: "ALLSCRIPTS")
    static let oakMRN = AssigningAuthority(namespace: "MRN")

    /// Rosa Lopez as the lab has her first: her maiden name, her birth date and her address before she
    /// moved across town (or none).
    static func rosaAtTheLab(address: Bool = true) -> PatientRecord {
        Patients.record(at: Clinics.northLab, authority: Clinics.northLabMRN, mrn: "L-40917", family: "Garcia",
            given: ["Rosa", "Isabel"], born: (1968, 9, 21), sex: .female, street: address ? "77 Cedar Ln" : nil)
    }

    /// The practice: her married name, her home and phone, and the birth date keyed with two digits swapped.
    static func rosaAtThePractice() -> PatientRecord {
        Patients.record(at: Clinics.lakeview, authority: Clinics.lakeviewMRN, mrn: "77310", family: "Lopez", given: ["Rosa"],
            born: (1968, 9, 12), sex: .female, phone: "(217) 555-0188", street: "905 Walnut St")
    }

    /// The hospital: married name, home and phone as the practice has them, and the right birth date.
    static func rosaAtTheHospital() -> PatientRecord {
        Patients.record(at: Clinics.riverside, authority: Clinics.riversideMRN, mrn: "E2200871", family: "Lopez",
            given: ["Rosa", "Isabel"], born: (1968, 9, 21), sex: .female, phone: "(217) 555-0188", street: "905 Walnut St")
    }

    /// The three arrive lab, practice, hospital. The practice matches nothing (married name, swapped
    /// birth-date digits, no middle name, another street: 9.4 bits against the lab); the hospital links to the
    /// practice (34.6 bits, ahead of the lab by more than the margin), and the lab, alone, now has a match
    /// in that patient: the hospital (exact birth date and middle name, the same town: 21.7 bits).
    /// An open review item of `record` against `candidate`, written straight into the queue (arrival
    /// decisions that produce one need records these tests do not otherwise want).
    static func openReview(of record: PatientOutcome, against candidate: String, in index: TemporaryIndex) throws {
        try index.store.db.run("""
            INSERT INTO review_queue (record_id, candidate_enterprise_id, explanation_data, status, created_at)
            VALUES (?, ?, ?, 'open', ?)
            """, [record.recordID, candidate, try IndexRows.encode(record.explanation), IndexRows.timestamp()])
    }

    @Test func aRecordLeftAloneJoinsWhenItsMatchLinksElsewhere() throws {
        let index = try TemporaryIndex()
        let labMessage = Patients.submission([Self.rosaAtTheLab()], from: Clinics.northLab, messageID: "LAB0001",
            facts: [Patients.potassium(subject: 0, source: Clinics.northLab, messageID: "LAB0001")])
        let lab = try index.store.ingest(labMessage, messageID: nil).patients[0]
        let practice = try index.store.ingest([Self.rosaAtThePractice()], from: Clinics.lakeview).patients[0]
        #expect(practice.decision == .new)
        let hospital = try index.store.ingest([Self.rosaAtTheHospital()], from: Clinics.riverside).patients[0]
        #expect(hospital.decision == .linked)
        #expect(hospital.enterpriseID == practice.enterpriseID)
        #expect(index.store.work.rematched == 1)
        let model = index.store.model
        let features = [Self.rosaAtTheLab(), Self.rosaAtThePractice(), Self.rosaAtTheHospital()].map(PatientIndexStore.features(of:))
        #expect(model.compare(features[0], features[1], frequencies: nil).total < model.lowerThreshold)
        #expect(model.compare(features[0], features[2], frequencies: nil).total >= model.upperThreshold + model.margin)

        let reader = try index.reader()
        #expect(try reader.enterpriseID(ofRecord: lab.recordID) == practice.enterpriseID)
        #expect(try reader.counts().enterprisePatients == 1)
        // The lab's own patient is gone and resolves to where its record went.
        #expect(try reader.resolve(lab.enterpriseID) == practice.enterpriseID)
        let patient = try #require(try reader.enterprisePatient(id: practice.enterpriseID))
        #expect(Set(patient.members.map(\.recordID)) == Set([lab, practice, hospital].map { String($0.recordID) }))
        // Her record is whole again: the lab's identifier in the golden record, the lab's result in hers.
        #expect(patient.golden.identifiers.contains { $0.value == "L-40917" })
        let record = try #require(try reader.unifiedRecord(enterpriseID: practice.enterpriseID))
        #expect(record.facts.map(\.body.code?.code) == ["2823-3"])
        #expect(try reader.unifiedRecord(enterpriseID: lab.enterpriseID)?.patient.id == practice.enterpriseID)

        // Explained: a matcher link of the lab record, compared with the hospital's, above the threshold.
        let event = try #require(try reader.history(enterpriseID: nil).last)
        #expect(event.action == .link)
        #expect(event.actor == PatientIndexStore.matcherActor)
        #expect(event.recordID == lab.recordID)
        #expect(event.fromEnterpriseID == lab.enterpriseID)
        #expect(event.toEnterpriseID == practice.enterpriseID)
        #expect(event.reason == "matched again when record \(hospital.recordID) joined \(practice.enterpriseID)")
        let explanation = try #require(event.explanation)
        #expect(explanation.comparedWith == "record:\(hospital.recordID)")
        #expect(explanation.total >= explanation.upperThreshold)
        #expect(explanation.blockers.isEmpty)
        #expect(patient.members.first { $0.recordID == String(lab.recordID) }?.explanation == explanation)
    }

    /// A re-match must clear the upper threshold by the runner-up margin. Without the old address the
    /// lab's best is the hospital at 19.1 bits: enough for a link on arrival (16), not for a second
    /// chance (16 + 4).
    @Test func aRecordWhoseMatchStaysBelowTheBarStaysAlone() throws {
        let index = try TemporaryIndex()
        let labRecord = Self.rosaAtTheLab(address: false)
        let lab = try index.store.ingest([labRecord], from: Clinics.northLab).patients[0]
        let practice = try index.store.ingest([Self.rosaAtThePractice()], from: Clinics.lakeview).patients[0]
        let hospital = try index.store.ingest([Self.rosaAtTheHospital()], from: Clinics.riverside).patients[0]
        #expect(hospital.decision == .linked)
        #expect(hospital.enterpriseID == practice.enterpriseID)
        let pair = index.store.model.compare(PatientIndexStore.features(of: labRecord),
            PatientIndexStore.features(of: Self.rosaAtTheHospital()), frequencies: nil)
        #expect(pair.total >= index.store.model.upperThreshold)
        #expect(pair.total < index.store.model.upperThreshold + index.store.model.margin)
        #expect(index.store.work.rematched == 0)
        #expect(try index.reader().enterpriseID(ofRecord: lab.recordID) == lab.enterpriseID)
        #expect(try index.reader().counts().enterprisePatients == 2)
    }

    /// Both of her other records in one message (an exchange's bundle, say): the hospital's, second,
    /// links to the practice's patient and takes the lab's, first, with it; the outcome says where each
    /// went, not where the first was when it was decided.
    @Test func aRecordOfTheSameMessageIsReportedWhereItWent() throws {
        let index = try TemporaryIndex()
        let practice = try index.store.ingest([Self.rosaAtThePractice()], from: Clinics.lakeview).patients[0]
        let exchange = SourceSystem(facility: "IL_HIE", application: "HIE")
        let outcome = try index.store.ingest([Self.rosaAtTheLab(), Self.rosaAtTheHospital()], from: exchange)
        #expect(outcome.patients.map(\.enterpriseID) == [practice.enterpriseID, practice.enterpriseID])
        #expect(outcome.patients.map(\.decision) == [.linked, .linked])
        #expect(outcome.patients[0].explanation.comparedWith == "record:\(outcome.patients[1].recordID)")
        #expect(index.store.work.rematched == 1)
        #expect(try index.reader().counts().enterprisePatients == 1)
    }

    /// A steward's undo of the move puts the record back, and it stays there when more of the person's
    /// records arrive: a record a steward placed is never matched again automatically.
    @Test func anUndoneRematchIsNotRedone() throws {
        let index = try TemporaryIndex()
        let lab = try index.store.ingest([Self.rosaAtTheLab()], from: Clinics.northLab).patients[0]
        _ = try index.store.ingest([Self.rosaAtThePractice()], from: Clinics.lakeview)
        let hospital = try index.store.ingest([Self.rosaAtTheHospital()], from: Clinics.riverside).patients[0]
        let event = try #require(try index.reader().history(enterpriseID: nil).last)
        #expect(event.recordID == lab.recordID)
        let undone = try index.store.undo(eventID: event.eventID, actor: "steward:kim", reason: "lab record is her sister's")
        #expect(undone.enterpriseID != hospital.enterpriseID)
        #expect(try index.reader().enterpriseID(ofRecord: lab.recordID) == undone.enterpriseID)

        // Another copy of her, from a fourth clinic, links to the hospital's patient; the lab record stays.
        var oak = Self.rosaAtTheHospital()
        oak.source = Self.oakClinic
        oak.identifiers = [PatientIdentifier(value: "OAK-5521", authority: Self.oakMRN, type: "MR")]
        oak.provenance.source = Self.oakClinic
        let fourth = try index.store.ingest([oak], from: Self.oakClinic).patients[0]
        #expect(fourth.decision == .linked)
        #expect(fourth.enterpriseID == hospital.enterpriseID)
        #expect(index.store.work.rematched == 1)
        #expect(try index.reader().enterpriseID(ofRecord: lab.recordID) == undone.enterpriseID)
    }

    /// A record with an open review item against the patient it then joins is matched again all the
    /// same, and the item is withdrawn: nothing is left to decide.
    @Test func aRecordUnderReviewAgainstThePatientItJoinsHasItsItemSettled() throws {
        let index = try TemporaryIndex()
        let lab = try index.store.ingest([Self.rosaAtTheLab()], from: Clinics.northLab).patients[0]
        let practice = try index.store.ingest([Self.rosaAtThePractice()], from: Clinics.lakeview).patients[0]
        // As if the lab record had been sent to review against the practice's patient.
        try Self.openReview(of: lab, against: practice.enterpriseID, in: index)
        let hospital = try index.store.ingest([Self.rosaAtTheHospital()], from: Clinics.riverside).patients[0]
        #expect(hospital.enterpriseID == practice.enterpriseID)
        #expect(index.store.work.rematched == 1)
        #expect(try index.reader().enterpriseID(ofRecord: lab.recordID) == practice.enterpriseID)
        #expect(try index.reader().reviewQueue().isEmpty)
        #expect(try index.reader().reviewQueue(status: .withdrawn).map(\.recordID) == [lab.recordID])
    }

    /// A record with an open review item against some other patient waits for the steward's decision
    /// (and without the item, the same records move it).
    @Test(arguments: [true, false])
    func aRecordUnderReviewAgainstAnotherPatientWaitsForTheSteward(underReview: Bool) throws {
        let index = try TemporaryIndex()
        let lab = try index.store.ingest([Self.rosaAtTheLab()], from: Clinics.northLab).patients[0]
        let other = try index.store.ingest([Patients.record(at: Self.oakClinic, authority: Self.oakMRN, mrn: "OAK-1180", family: "Garcia",
            given: ["Rosa"], born: (1975, 2, 3), sex: .female, street: "12 Elm St")], from: Self.oakClinic).patients[0]
        #expect(other.enterpriseID != lab.enterpriseID)
        // As if the lab record had been sent to review against that patient on arrival.
        if underReview { try Self.openReview(of: lab, against: other.enterpriseID, in: index) }
        _ = try index.store.ingest([Self.rosaAtThePractice()], from: Clinics.lakeview)
        let hospital = try index.store.ingest([Self.rosaAtTheHospital()], from: Clinics.riverside).patients[0]
        #expect(hospital.decision == .linked)
        #expect(index.store.work.rematched == (underReview ? 0 : 1))
        #expect(try index.reader().enterpriseID(ofRecord: lab.recordID) == (underReview ? lab.enterpriseID : hospital.enterpriseID))
    }
}
