import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

private typealias F = FactFixtures

@Suite struct DuplicateTestTests {
    let a1c = F.loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood")

    /// HbA1c at North Valley Lab on 2024-01-10, then at St. Mary `days` later.
    private func twoHbA1c(daysApart days: Int) throws -> LedgerHarness {
        var h = try LedgerHarness()
        let first = F.time("20240110")
        let second = ClinicalTime.from(first.instant.addingTimeInterval(Double(days) * 86_400)).date ?? first
        try h.record([F.result(a1c, 7.8, "%", at: first, filler: "NV-100", from: F.provenance(F.northLab, .hl7v2, "NV-MSG-1", "OBR[1]/OBX[1]"))], record: 1)
        try h.record([F.result(a1c, 62, "mmol/mol", at: second, filler: "SM-200", from: F.provenance(F.general, .hl7v2, "SM-MSG-9", "OBR[1]/OBX[1]"))], record: 2)
        return h
    }

    @Test func repeatOneDayInsideTheIntervalIsFlagged() throws {
        let h = try twoHbA1c(daysApart: 89)
        let new = try h.refresh()
        #expect(new.count == 1)
        let flag = try #require(new.first)
        #expect(flag.kind == .repeatedResult)
        #expect(flag.enterpriseID == "EP-00000001")
        #expect(flag.test.code == "4548-4")
        #expect(flag.test.system == CodeSystem.loinc)
        #expect(flag.intervalDays == 90)
        #expect(flag.daysApart == 89)
        #expect(flag.earlier.value == "7.8 %")
        #expect(flag.later.value == "62 mmol/mol")
        #expect(flag.earlier.provenance.source.facility == "North Valley Lab")
        #expect(flag.later.provenance.source.facility == "St. Mary General Hospital")
        #expect(flag.earlier.time == F.time("20240110"))
        #expect(flag.later.time == F.time("20240408"))
        #expect(flag.status == "open")
        #expect(try h.flags() == [flag])
        #expect(try h.ledger.flags(enterpriseID: nil, in: h.db) == [flag])
    }

    @Test func repeatOneDayOutsideTheIntervalIsNotFlagged() throws {
        let h = try twoHbA1c(daysApart: 91)
        #expect(try h.refresh().isEmpty)
        #expect(try h.flags().isEmpty)
    }

    @Test func repeatExactlyAtTheIntervalIsNotFlagged() throws {
        let h = try twoHbA1c(daysApart: 90)
        #expect(try h.refresh().isEmpty)
    }

    @Test func intervalsCountCalendarDaysNotHours() throws {
        var h = try LedgerHarness()
        // 90 dates apart but only 89.7 days by the clock: not inside a 90-day interval.
        try h.record([F.result(a1c, 7.8, "%", at: F.time("202401101600-0600"), from: F.provenance(F.northLab, .hl7v2, "M1", "OBX[1]"))], record: 1)
        try h.record([F.result(a1c, 7.5, "%", at: F.iso("2024-04-09T08:00:00-05:00"), from: F.provenance(F.lakeside, .fhir, "B1", "entry[1]"))], record: 2)
        #expect(try h.refresh().isEmpty)
        // 89 dates apart, later in the day: inside (and the 04-09 result is then one day after it).
        try h.record([F.result(a1c, 7.4, "%", at: F.iso("2024-04-08T23:30:00-05:00"), from: F.provenance(F.general, .fhir, "B2", "entry[1]"))], record: 3)
        let flags = try h.refresh()
        #expect(flags.map(\.daysApart) == [89, 1])
        #expect(flags.map(\.later.provenance.messageID) == ["B2", "B1"])
    }

    @Test func sameValueResentWithNewControlIDIsNotFlagged() throws {
        var h = try LedgerHarness()
        let t = F.time("20240110083000-0500")
        try h.record([F.result(a1c, 7.8, "%", at: t, filler: "NV-100", from: F.provenance(F.northLab, .hl7v2, "NV-MSG-1", "OBR[1]/OBX[1]"))], record: 1)
        try h.record([F.result(a1c, 7.8, "%", at: t, filler: "NV-100", from: F.provenance(F.northLab, .hl7v2, "NV-MSG-1-RESEND", "OBR[1]/OBX[1]"))], record: 1)
        // The same result again, as a FHIR bundle from the clinic that ordered it.
        try h.record([F.result(a1c, 62, "mmol/mol", at: F.iso("2024-01-10T13:30:00Z"), from: F.provenance(F.riverside, .fhir, "bundle-5", "entry[3].resource"))], record: 2)
        #expect(try h.refresh().isEmpty)
        #expect(try h.facts().count == 1)
    }

    @Test func monitoringTestRepeatedNextDayIsNotFlagged() throws {
        var h = try LedgerHarness()
        let k = F.loinc("2823-3", "Potassium")
        let inr = F.loinc("6301-6", "INR")
        try h.record([F.result(k, 5.9, "mmol/L", at: F.time("202402010600"), from: F.provenance(F.general, .hl7v2, "K1", "OBX[1]")),
                      F.result(inr, 3.4, nil, at: F.time("202402010600"), from: F.provenance(F.general, .hl7v2, "K1", "OBX[2]"))], record: 1)
        try h.record([F.result(k, 5.1, "mmol/L", at: F.time("202402020600"), from: F.provenance(F.riverside, .hl7v2, "K2", "OBX[1]")),
                      F.result(inr, 2.8, nil, at: F.time("202402020600"), from: F.provenance(F.riverside, .hl7v2, "K2", "OBX[2]"))], record: 2)
        #expect(try h.refresh().isEmpty)
        #expect(try h.facts().count == 4)
    }

    @Test func repeatAtTheSameClinicIsFlaggedUnlessConfiguredOtherwise() throws {
        let tsh = F.loinc("3016-3", "TSH")
        func run(_ configuration: FactConfiguration) throws -> Int {
            var h = try LedgerHarness(configuration: configuration)
            try h.record([F.result(tsh, 6.2, "mIU/L", at: F.time("20240301"), from: F.provenance(F.riverside, .hl7v2, "T1", "OBX[1]")),
                          F.result(tsh, 5.9, "mIU/L", at: F.time("20240320"), from: F.provenance(F.riverside, .hl7v2, "T2", "OBX[1]"))], record: 1)
            return try h.refresh().count
        }
        #expect(try run(.standard) == 1)
        var otherClinicsOnly = FactConfiguration.standard
        otherClinicsOnly.flagSameFacility = false
        #expect(try run(otherClinicsOnly) == 0)
    }

    @Test func mappedLocalCodeIsFlaggedAgainstLOINC() throws {
        var configuration = FactConfiguration.standard
        configuration.localCodeMap = ["Lakeside Cardiology|LDLD": "18262-6"]
        var h = try LedgerHarness(configuration: configuration)
        try h.record([F.result(F.loinc("13457-7", "LDL calculated"), 131, "mg/dL", at: F.time("20230905"), from: F.provenance(F.northLab, .hl7v2, "L1", "OBX[3]"))], record: 1)
        try h.record([F.result(Code(system: "LCL", code: "LDLD", display: "LDL DIRECT"), 3.3, "mmol/L", at: F.time("20240115"), from: F.provenance(F.lakeside, .hl7v2, "L2", "OBX[1]"))], record: 2)
        let flags = try h.refresh()
        #expect(flags.map(\.test.code) == ["18262-6"])
        #expect(flags.map(\.test.display) == ["LDL cholesterol"])
        #expect(flags.map(\.intervalDays) == [365])
        #expect(flags.map(\.later.code.code) == ["LDLD"])
    }

    @Test func orderForATestResultedInsideTheIntervalIsAnAvoidableOrder() throws {
        var h = try LedgerHarness()
        try h.record([F.result(F.loinc("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma"), 198, "mg/dL", at: F.time("20240110"), filler: "NV-300", from: F.provenance(F.northLab, .hl7v2, "NV-9", "OBR[1]/OBX[1]"))], record: 1)
        let order = Order(code: F.loinc("57698-3", "Lipid panel with direct LDL"), placerOrderNumber: "LC-7781", orderedAt: F.time("202404221015-0500"),
                          orderingProvider: ProviderReference(identifier: "1234567890", name: "Dana Whitfield MD"))
        try h.record([F.fact(.order(order), F.provenance(F.lakeside, .hl7v2, "ORM-1", "ORC[1]"))], record: 2)
        // A CPT-coded HbA1c order with no earlier HbA1c: nothing to avoid.
        try h.record([F.fact(.order(Order(code: Code(system: "CPT", code: "83036"), orderedAt: F.time("20240422"))), F.provenance(F.lakeside, .fhir, "B1", "entry[1]"))], record: 2)
        let flags = try h.refresh()
        #expect(flags.count == 1)
        let flag = try #require(flags.first)
        #expect(flag.kind == .avoidableOrder)
        #expect(flag.test.code == "2093-3")
        #expect(flag.intervalDays == 365)
        #expect(flag.earlier.value == "198 mg/dL")
        #expect(flag.later.code.code == "57698-3")
        #expect(flag.later.value == nil)
        #expect(flag.later.provenance.messageID == "ORM-1")
        #expect(flag.id == DuplicateTestRules.flagID(.avoidableOrder, flag.earlier.factID, flag.later.factID))
    }

    @Test func anOrdersOwnResultDoesNotMakeItAvoidable() throws {
        var h = try LedgerHarness()
        var result = Observation(code: F.loinc("3016-3", "TSH"), value: .quantity(Quantity(value: 2.1, unit: "mIU/L")), effectiveTime: F.time("202403010800"), placerOrderNumber: "RFM-1")
        result.fillerOrderNumber = "RFM-1-F"
        try h.record([F.fact(.result(result), F.provenance(F.riverside, .hl7v2, "ORU-1", "OBR[1]/OBX[1]")),
                      F.fact(.order(Order(code: F.loinc("3016-3", "TSH"), placerOrderNumber: "RFM-1", orderedAt: F.time("202403010900"))), F.provenance(F.riverside, .hl7v2, "ORM-1", "ORC[1]"))], record: 1)
        #expect(try h.refresh().isEmpty)
    }

    @Test func flagStatusSurvivesRefreshAndMerge() throws {
        var h = try twoHbA1c(daysApart: 30)
        let flag = try #require(try h.refresh().first)
        try h.ledger.setFlagStatus("acknowledged", flagID: flag.id, in: h.db)
        // A new unrelated fact, then a refresh: the flag is not new and keeps its status.
        try h.record([F.result(F.loinc("2823-3", "Potassium"), 4.0, "mmol/L", at: F.time("20240301"), from: F.provenance(F.riverside, .hl7v2, "K1", "OBX[1]"))], record: 3)
        #expect(try h.refresh().isEmpty)
        #expect(try h.flags().map(\.status) == ["acknowledged"])
        #expect(try h.flags().map(\.id) == [flag.id])
        // The patient is merged into another: forget it, refresh the survivor.
        try h.ledger.forget(enterpriseID: h.enterpriseID, in: h.db)
        #expect(try h.flags().isEmpty)
        #expect(try h.facts().isEmpty)
        h.enterpriseID = "EP-00000777"
        #expect(try h.refresh().isEmpty)
        #expect(try h.flags().map(\.status) == ["acknowledged"])
        #expect(try h.flags().map(\.enterpriseID) == ["EP-00000777"])
    }

    @Test func splitLeavesOnlyTheRemainingRecordsFactsAndRetiresTheirFlags() throws {
        var h = try twoHbA1c(daysApart: 30)
        #expect(try h.refresh().count == 1)
        let before = try h.facts()
        #expect(before.count == 2)
        // A steward unlinks record 2: the enterprise patient keeps record 1 only.
        h.members = [1]
        #expect(try h.refresh().isEmpty)
        #expect(try h.facts() == [before[0]])
        #expect(try h.flags().isEmpty)
        // Record 2 becomes its own enterprise patient.
        var other = h
        other.enterpriseID = "EP-00000002"
        other.members = [2]
        #expect(try other.refresh().isEmpty)
        #expect(try other.facts() == [before[1]])
        // Linked again: the same flag (same id) comes back active, and is not new.
        h.members = [1, 2]
        try h.ledger.forget(enterpriseID: "EP-00000002", in: h.db)
        #expect(try h.refresh().isEmpty)
        #expect(try h.flags().count == 1)
    }

    @Test func unknownStatusAndUnknownFlagAreTypedErrors() throws {
        let h = try twoHbA1c(daysApart: 30)
        try h.refresh()
        #expect(throws: FactLedgerError(.invalidStatus, "", at: "")) {
            try h.ledger.setFlagStatus("closed", flagID: "DT-0", in: h.db)
        }
        #expect(throws: FactLedgerError(.unknownFlag, "", at: "")) {
            try h.ledger.setFlagStatus("dismissed", flagID: "DT-0", in: h.db)
        }
    }

    @Test func flagIDsAreStable() {
        #expect(DuplicateTestRules.flagID(.repeatedResult, "F-1", "F-2") == DuplicateTestRules.flagID(.repeatedResult, "F-1", "F-2"))
        #expect(DuplicateTestRules.flagID(.repeatedResult, "F-1", "F-2") != DuplicateTestRules.flagID(.avoidableOrder, "F-1", "F-2"))
        #expect(DuplicateTestRules.flagID(.repeatedResult, "F-1", "F-2").count == 19)
        // Pinned: flag ids are stored (with a steward's status), so the hash may never change.
        #expect(DuplicateTestRules.flagID(.repeatedResult, "F-1", "F-2") == "DT-dd6ee6d93cd0214f")
    }
}
