import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

private typealias F = FactFixtures

@Suite struct CareSignalsTests {
    @Test func signalsCountClinicsProvidersMedicationsAdmissionsChronicProblemsAndOpenFlags() throws {
        var h = try LedgerHarness()
        let rx = { (code: String, name: String) in Code(system: "RXNORM", code: code, display: name) }
        let prescriber = ProviderReference(identifier: "1457389021", name: "Priya Raman MD")
        // Riverside (C-CDA): five medications, one of them stopped, one ended last year.
        try h.record([
            F.fact(.medication(Medication(code: rx("861007", "metformin 500 MG Oral Tablet"), start: F.time("20220110"), prescriber: prescriber)), F.provenance(F.riverside, .ccda, "D1", "section[Medications]/entry[1]")),
            F.fact(.medication(Medication(code: rx("314076", "lisinopril 10 MG Oral Tablet"), start: F.time("20210405"), prescriber: prescriber)), F.provenance(F.riverside, .ccda, "D1", "section[Medications]/entry[2]")),
            F.fact(.medication(Medication(code: rx("617312", "atorvastatin 40 MG Oral Tablet"), start: F.time("20230301"))), F.provenance(F.riverside, .ccda, "D1", "section[Medications]/entry[3]")),
            F.fact(.medication(Medication(code: rx("197361", "amlodipine 5 MG Oral Tablet"), status: .stopped, start: F.time("20200101"), end: F.time("20230101"))), F.provenance(F.riverside, .ccda, "D1", "section[Medications]/entry[4]")),
            F.fact(.medication(Medication(code: rx("310965", "ibuprofen 200 MG Oral Tablet"), start: F.time("20230101"), end: F.time("20230201"))), F.provenance(F.riverside, .ccda, "D1", "section[Medications]/entry[5]")),
            F.fact(.problem(Problem(code: Code(system: "I10", code: "E11.65", display: "Type 2 diabetes mellitus with hyperglycemia"))), F.provenance(F.riverside, .ccda, "D1", "section[Problems]/entry[1]")),
            F.fact(.problem(Problem(code: Code(system: "I10", code: "J06.9", display: "Acute upper respiratory infection"))), F.provenance(F.riverside, .ccda, "D1", "section[Problems]/entry[2]")),
            F.fact(.problem(Problem(code: Code(system: "SCT", code: "38341003", display: "Hypertensive disorder"), status: .active)), F.provenance(F.riverside, .ccda, "D1", "section[Problems]/entry[3]")),
            F.fact(.problem(Problem(code: Code(system: "I10", code: "J44.9", display: "COPD"), status: .resolved)), F.provenance(F.riverside, .ccda, "D1", "section[Problems]/entry[4]")),
        ], record: 1)
        // Lakeside (FHIR): two more active medications, one the same metformin.
        try h.record([
            F.fact(.medication(Medication(code: rx("861007", "metformin"), start: F.time("20220110"))), F.provenance(F.lakeside, .fhir, "B1", "entry[1]")),
            F.fact(.medication(Medication(code: rx("855332", "warfarin sodium 5 MG Oral Tablet"), start: F.time("20240110"), prescriber: ProviderReference(name: "Omar Haddad DO"))), F.provenance(F.lakeside, .fhir, "B1", "entry[2]")),
            F.fact(.medication(Medication(code: rx("1361048", "insulin glargine"), start: F.time("20240201"))), F.provenance(F.lakeside, .fhir, "B1", "entry[3]")),
        ], record: 2)
        // St. Mary (ADT): two admissions in the last year, one older, one cancelled.
        let attending = ProviderReference(identifier: "004777", name: "Helen Ortiz MD")
        try h.record([
            F.fact(.encounter(Encounter(visitNumber: "V1", encounterClass: .inpatient, status: .finished, start: F.time("202311020800-0500"), location: "5 NORTH", attendingProvider: attending)), F.provenance(F.general, .hl7v2, "A1", "PV1")),
            F.fact(.encounter(Encounter(visitNumber: "V2", encounterClass: .inpatient, status: .inProgress, start: F.time("202404140930-0500"), location: "ICU")), F.provenance(F.general, .hl7v2, "A2", "PV1")),
            F.fact(.encounter(Encounter(visitNumber: "V0", encounterClass: .inpatient, status: .finished, start: F.time("202301050800-0500"), location: "5 NORTH")), F.provenance(F.general, .hl7v2, "A0", "PV1")),
            F.fact(.encounter(Encounter(visitNumber: "V3", encounterClass: .inpatient, status: .cancelled, start: F.time("202403010800-0500"), location: "5 NORTH")), F.provenance(F.general, .hl7v2, "A3", "PV1")),
            F.fact(.encounter(Encounter(visitNumber: "V4", encounterClass: .emergency, status: .finished, start: F.time("202402010800-0500"), location: "ED")), F.provenance(F.general, .hl7v2, "A4", "PV1")),
            F.result(F.loinc("4548-4", "HbA1c"), 8.1, "%", at: F.time("20240415"), from: F.provenance(F.general, .hl7v2, "R1", "OBX[1]")),
        ], record: 3)
        try h.record([F.result(F.loinc("4548-4", "HbA1c"), 8.3, "%", at: F.time("20240501"), from: F.provenance(F.northLab, .hl7v2, "R2", "OBX[1]"), performer: "Quest Pathologist")], record: 4)
        #expect(try h.refresh().count == 1)
        let signals = try h.ledger.careSignals(enterpriseID: h.enterpriseID, memberRecordIDs: h.members, asOf: F.iso("2024-06-01T00:00:00Z"), in: h.db)
        #expect(signals.clinics == ["Lakeside Cardiology", "North Valley Lab", "Riverside Family Medicine", "St. Mary General Hospital"])
        #expect(signals.providers == ["Helen Ortiz MD", "Omar Haddad DO", "Priya Raman MD", "Quest Pathologist"])
        #expect(signals.activeMedicationCount == 5)
        #expect(signals.polypharmacy)
        #expect(signals.admissionsLast12Months == 2)
        #expect(signals.chronicProblems.map(\.code) == ["E11.65", "38341003"])
        #expect(signals.openDuplicateTestFlags == 1)

        let flag = try #require(try h.flags().first)
        try h.ledger.setFlagStatus("dismissed", flagID: flag.id, in: h.db)
        let later = try h.ledger.careSignals(enterpriseID: h.enterpriseID, memberRecordIDs: h.members, asOf: F.iso("2024-06-01T00:00:00Z"), in: h.db)
        #expect(later.openDuplicateTestFlags == 0)
    }

    @Test func fourActiveMedicationsIsNotPolypharmacy() throws {
        var h = try LedgerHarness()
        let codes = ["861007", "314076", "617312", "197361"]
        try h.record(codes.enumerated().map { i, code in
            F.fact(.medication(Medication(code: Code(system: "RXNORM", code: code))), F.provenance(F.riverside, .fhir, "B1", "entry[\(i)]"))
        }, record: 1)
        try h.refresh()
        let signals = try h.ledger.careSignals(enterpriseID: h.enterpriseID, memberRecordIDs: h.members, asOf: F.iso("2024-06-01"), in: h.db)
        #expect(signals.activeMedicationCount == 4)
        #expect(!signals.polypharmacy)
        #expect(signals.admissionsLast12Months == 0)
        #expect(signals.chronicProblems.isEmpty)
        #expect(signals.clinics == ["Riverside Family Medicine"])
    }
}
