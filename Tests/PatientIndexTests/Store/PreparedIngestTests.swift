import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

private typealias F = FactFixtures

/// The unified facts of a new patient computed on the parsing worker (`prepare(_:ledger:)`) must be what
/// the writer's own refresh would have stored: same ids, same content, same flags.
@Suite struct PreparedIngestTests {
    let potassium = F.loinc("2823-3", "Potassium [Moles/volume] in Serum or Plasma")
    let sodium = F.loinc("2951-2", "Sodium [Moles/volume] in Serum or Plasma")
    let a1c = F.loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood")

    /// An Epic-style ORU for a first-time patient: a preliminary potassium later corrected under the same
    /// filler order number, a sodium, and an A1c without a time.
    private func firstVisitFacts() -> [ClinicalFact] {
        let at = F.time("202403051420")
        return [
            F.result(potassium, 5.9, "mmol/L", at: at, status: .preliminary, filler: "RMC-5531", sourceID: "OBX-1",
                     from: F.provenance(F.riverside, .hl7v2, "RMC-ORU-1", "OBR[1]/OBX[1]")),
            F.result(sodium, 139, "mmol/L", at: at, filler: "RMC-5531", sourceID: "OBX-2",
                     from: F.provenance(F.riverside, .hl7v2, "RMC-ORU-1", "OBR[1]/OBX[2]")),
            F.result(potassium, 4.4, "mmol/L", at: at, status: .corrected, filler: "RMC-5531", sourceID: "OBX-1",
                     from: F.provenance(F.riverside, .hl7v2, "RMC-ORU-1", "OBR[1]/OBX[3]")),
            F.result(a1c, 6.9, "%", at: F.time("20240301"), filler: "RMC-5532",
                     from: F.provenance(F.riverside, .hl7v2, "RMC-ORU-1", "OBR[2]/OBX[1]")),
        ]
    }

    private func submission(_ facts: [ClinicalFact]) -> Submission {
        Patients.submission([Patients.mariaAtRiverside()], from: Clinics.riverside, messageID: "RMC-ORU-1", facts: facts)
    }

    /// Ingests `facts` for Maria into a fresh index, prepared with or without the ledger; returns her
    /// unified record and whether the worker prepared her unified facts.
    private func ingest(_ facts: [ClinicalFact], preparedAhead: Bool) throws -> (UnifiedRecord, Bool) {
        let index = try TemporaryIndex()
        defer { try? FileManager.default.removeItem(at: index.directory) }
        let prepared = try PatientIndexStore.prepare(submission(facts), ledger: preparedAhead ? index.store.ledger : nil)
        let outcome = try index.store.ingest(prepared, messageID: nil)
        let id = try #require(outcome.patients.first?.enterpriseID)
        let record = try #require(try index.reader().unifiedRecord(enterpriseID: id))
        return (record, prepared.newPatientFacts[0] != nil)
    }

    @Test func preparedUnifiedFactsEqualTheWritersRefresh() throws {
        let (ahead, usedAhead) = try ingest(firstVisitFacts(), preparedAhead: true)
        let (writer, usedWriter) = try ingest(firstVisitFacts(), preparedAhead: false)
        #expect(usedAhead)
        #expect(!usedWriter)
        #expect(ahead.facts == writer.facts)
        #expect(ahead.facts.count == 3)
        let k = try #require(ahead.facts.first { $0.resultBody?.code.code == "2823-3" })
        #expect(k.resultNumber == 4.4)
        #expect(k.history.count == 1)
        #expect(k.id.hasPrefix("F-"))
        // Ids are the instance ids the writer gave, not the worker's provisional 0, 1, 2…
        #expect(Set(ahead.facts.map(\.id)).count == 3)
        #expect(!ahead.facts.contains { $0.id == "F-0" })
    }

    @Test func aFactStatedTwiceInOneMessageFallsBackToTheWriter() throws {
        var facts = firstVisitFacts()
        facts.append(facts[1])
        let (ahead, usedAhead) = try ingest(facts, preparedAhead: true)
        let (writer, _) = try ingest(facts, preparedAhead: false)
        #expect(!usedAhead)
        #expect(ahead.facts == writer.facts)
    }

    @Test func aDuplicateTestInsideOneSubmissionIsFlaggedByTheWriter() throws {
        // A referral packet carrying two clinics' A1c ten days apart: the flag needs the final ids.
        let facts = [
            F.result(a1c, 7.8, "%", at: F.time("20240110"), filler: "NV-100", from: F.provenance(F.northLab, .hl7v2, "PKT-1", "OBR[1]/OBX[1]")),
            F.result(a1c, 7.6, "%", at: F.time("20240120"), filler: "SM-200", from: F.provenance(F.general, .hl7v2, "PKT-1", "OBR[2]/OBX[1]")),
        ]
        let (ahead, usedAhead) = try ingest(facts, preparedAhead: true)
        let (writer, _) = try ingest(facts, preparedAhead: false)
        #expect(!usedAhead)
        #expect(ahead.flags.count == 1)
        #expect(ahead.flags.map(\.kind) == writer.flags.map(\.kind))
        #expect(ahead.facts == writer.facts)
    }

    @Test func aSecondMessageForAKnownPatientRefreshesFromTheStoredFacts() throws {
        let index = try TemporaryIndex()
        defer { try? FileManager.default.removeItem(at: index.directory) }
        let store = index.store
        let first = try store.ingest(PatientIndexStore.prepare(submission(firstVisitFacts()), ledger: store.ledger), messageID: nil)
        let later = F.result(potassium, 4.1, "mmol/L", at: F.time("202405021000"), filler: "RMC-6001",
                             from: F.provenance(F.riverside, .hl7v2, "RMC-ORU-2", "OBR[1]/OBX[1]"))
        let second = Patients.submission([Patients.mariaAtRiverside()], from: Clinics.riverside, messageID: "RMC-ORU-2", facts: [later])
        let outcome = try store.ingest(PatientIndexStore.prepare(second, ledger: store.ledger), messageID: nil)
        #expect(outcome.patients.first?.enterpriseID == first.patients.first?.enterpriseID)
        let id = try #require(outcome.patients.first?.enterpriseID)
        let record = try #require(try index.reader().unifiedRecord(enterpriseID: id))
        #expect(record.facts.count == 4)
        // Time order: the A1c (March 1), the March 5 panel in arrival order, then May's potassium.
        #expect(record.facts.map { $0.resultBody?.code.code } == ["4548-4", "2823-3", "2951-2", "2823-3"])
    }

    /// A new record from another clinic that links to a known patient: its facts are taken from what the
    /// ingest recorded instead of read back, and the result must equal a refresh from the stored facts.
    @Test func aNewRecordLinkedToAKnownPatientGivesTheSameUnifiedRecordAsAFullRefresh() throws {
        let index = try TemporaryIndex()
        defer { try? FileManager.default.removeItem(at: index.directory) }
        let store = index.store
        let first = try store.ingest(PatientIndexStore.prepare(submission(firstVisitFacts()), ledger: store.ledger), messageID: nil)
        // Lakeview repeats the A1c within its retest interval (a duplicate test) and sends its own sodium.
        let lakeviewFacts = [
            F.result(a1c, 7.0, "%", at: F.time("20240322"), filler: "LV-900", from: F.provenance(Clinics.lakeview, .hl7v2, "LV-ORU-7", "OBR[1]/OBX[1]")),
            F.result(sodium, 139, "mmol/L", at: F.time("202403051420"), filler: "LV-901", from: F.provenance(Clinics.lakeview, .hl7v2, "LV-ORU-7", "OBR[2]/OBX[1]")),
        ]
        let linked = Patients.submission([Patients.mariaAtLakeview()], from: Clinics.lakeview, messageID: "LV-ORU-7", facts: lakeviewFacts)
        let outcome = try store.ingest(PatientIndexStore.prepare(linked, ledger: store.ledger), messageID: nil)
        let id = try #require(first.patients.first?.enterpriseID)
        try #require(outcome.patients.first?.enterpriseID == id, "Maria at Lakeview links to Maria at Riverside")
        let record = try #require(try index.reader().unifiedRecord(enterpriseID: id))
        #expect(outcome.flags.count == 1, "the repeated A1c is flagged in the linking ingest")
        // A refresh that reads every fact back changes nothing.
        let members = try IndexRows.memberIDs(of: id, in: store.db)
        #expect(members.count == 2)
        let again = try store.ledger.refresh(enterpriseID: id, memberRecordIDs: members, in: store.db)
        #expect(again.isEmpty)
        let after = try #require(try index.reader().unifiedRecord(enterpriseID: id))
        #expect(after.facts == record.facts)
        #expect(after.flags == record.flags)
        #expect(record.facts.count == 4, "sodium at the same moment is one fact with two provenances")
        #expect(record.facts.first { $0.resultBody?.code.code == "2951-2" }?.provenances.count == 2)
    }
}
