import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

private typealias F = FactFixtures

@Suite struct FactCorrectionTests {
    let potassium = F.loinc("2823-3", "Potassium [Moles/volume] in Serum or Plasma")
    let t = F.time("20240415071500-0500")

    @Test func correctedResultReplacesTheValueAndKeepsHistory() throws {
        var h = try LedgerHarness()
        try h.record([F.result(potassium, 6.8, "mmol/L", at: t, filler: "SM-4410", from: F.provenance(F.general, .hl7v2, "ORU-1", "OBR[1]/OBX[1]"))], record: 1)
        try h.record([F.result(potassium, 4.2, "mmol/L", at: t, status: .corrected, filler: "SM-4410", from: F.provenance(F.general, .hl7v2, "ORU-2", "OBR[1]/OBX[1]"))], record: 1)
        // The corrected value then arrives in a C-CDA summary from another clinic.
        try h.record([F.result(potassium, 4.2, "mmol/L", at: t, from: F.provenance(F.riverside, .ccda, "D1", "section[Results]/entry[1]/observation[1]"))], record: 2)
        try h.refresh()
        let facts = try h.facts()
        #expect(facts.count == 1)
        #expect(facts.first?.resultNumber == 4.2)
        #expect(facts.first?.resultBody?.status == .corrected)
        #expect(facts.first?.state == "current")
        #expect(facts.first?.history.count == 1)
        if case .result(let old)? = facts.first?.history.first, case .quantity(let q)? = old.value {
            #expect(q.value == 6.8)
            #expect(old.status == .final)
        } else {
            Issue.record("history lacks the original result")
        }
        #expect(facts.first?.provenances.compactMap(\.messageID) == ["ORU-1", "ORU-2", "D1"])
    }

    @Test func amendmentIsMatchedBySourceObservationID() throws {
        var h = try LedgerHarness()
        let obs = F.result(F.loinc("2093-3", "Cholesterol"), 212, "mg/dL", at: t, sourceID: "Observation/chol-1", from: F.provenance(F.lakeside, .fhir, "B1", "entry[1]"))
        let amended = F.result(F.loinc("2093-3", "Cholesterol"), 221, "mg/dL", at: t, status: .amended, sourceID: "Observation/chol-1", from: F.provenance(F.lakeside, .fhir, "B2", "entry[1]"))
        try h.record([obs], record: 1)
        try h.record([amended], record: 1)
        try h.refresh()
        let facts = try h.facts()
        #expect(facts.compactMap(\.resultNumber) == [221])
        #expect(facts.first?.history.count == 1)
    }

    @Test func cancellationWithdrawsFromTheCurrentViewAndKeepsHistory() throws {
        var h = try LedgerHarness()
        try h.record([F.result(potassium, 6.8, "mmol/L", at: t, filler: "SM-4411", from: F.provenance(F.general, .hl7v2, "ORU-1", "OBR[1]/OBX[1]"))], record: 1)
        let cancel = ClinicalFact(subject: 0, body: .result(Observation(code: potassium, status: .enteredInError, effectiveTime: t, fillerOrderNumber: "SM-4411")),
                                  provenance: F.provenance(F.general, .hl7v2, "ORU-3", "OBR[1]/OBX[1]"))
        try h.record([cancel], record: 1)
        // A late re-send of the original does not bring it back.
        try h.record([F.result(potassium, 6.8, "mmol/L", at: t, filler: "SM-4411", from: F.provenance(F.general, .hl7v2, "ORU-1R", "OBR[1]/OBX[1]"))], record: 1)
        try h.refresh()
        let facts = try h.facts()
        #expect(facts.count == 1)
        #expect(facts.first?.state == "withdrawn")
        #expect(facts.first?.resultBody?.status == .enteredInError)
        #expect(facts.first?.resultNumber == 6.8)
        #expect(facts.first?.history.count == 1)
        #expect(facts.first?.provenances.count == 3)
    }

    @Test func cancelledHbA1cIsNotADuplicate() throws {
        var h = try LedgerHarness()
        let a1c = F.loinc("4548-4", "HbA1c")
        try h.record([F.result(a1c, 7.1, "%", at: F.time("20240101"), filler: "NV-1", from: F.provenance(F.northLab, .hl7v2, "M1", "OBX[1]"))], record: 1)
        try h.record([F.result(a1c, 7.4, "%", at: F.time("20240201"), filler: "SM-2", from: F.provenance(F.general, .hl7v2, "M2", "OBX[1]"))], record: 2)
        #expect(try h.refresh().count == 1)
        let cancel = ClinicalFact(subject: 0, body: .result(Observation(code: a1c, status: .cancelled, effectiveTime: F.time("20240201"), fillerOrderNumber: "SM-2")),
                                  provenance: F.provenance(F.general, .hl7v2, "M3", "OBX[1]"))
        try h.record([cancel], record: 2)
        #expect(try h.refresh().isEmpty)
        #expect(try h.flags().isEmpty)
    }

    @Test func withdrawalFromAnotherClinicDoesNotRemoveAFactItNeverSent() throws {
        var h = try LedgerHarness()
        let asthma = Code(system: "I10", code: "J45.40", display: "Moderate persistent asthma")
        try h.record([F.fact(.problem(Problem(code: asthma)), F.provenance(F.riverside, .ccda, "D1", "section[Problems]/entry[1]"))], record: 1)
        try h.record([F.fact(.problem(Problem(code: asthma, verification: .enteredInError)), F.provenance(F.lakeside, .fhir, "B1", "entry[2]"))], record: 2)
        try h.refresh()
        #expect(try h.facts([.problem]).map(\.state) == ["current", "withdrawn"])
    }

    @Test func problemEnteredInErrorBySameClinicIsWithdrawn() throws {
        var h = try LedgerHarness()
        let chf = Code(system: "I10", code: "I50.9", display: "Heart failure, unspecified")
        try h.record([F.fact(.problem(Problem(code: chf, sourceID: "prob-77")), F.provenance(F.lakeside, .fhir, "B1", "entry[2]"))], record: 1)
        try h.record([F.fact(.problem(Problem(code: chf, verification: .enteredInError, sourceID: "prob-77")), F.provenance(F.lakeside, .fhir, "B2", "entry[2]"))], record: 1)
        try h.refresh()
        let problems = try h.facts([.problem])
        #expect(problems.map(\.state) == ["withdrawn"])
        #expect(problems.first?.history.count == 1)
    }
}
