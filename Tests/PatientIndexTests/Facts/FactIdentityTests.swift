import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

private typealias F = FactFixtures

@Suite struct FactIdentityTests {
    @Test func sameGlucoseFromORUCCDAAndFHIRIsOneFactWithThreeProvenances() throws {
        var h = try LedgerHarness()
        let glucose = F.loinc("2345-7", "Glucose [Mass/volume] in Serum or Plasma")
        // ORU: local time without offset, mg/dL; C-CDA: HL7 TS with offset, MG/DL; FHIR: mmol/L in UTC.
        try h.record([F.result(glucose, 100, "mg/dL", at: F.time("202403051420"), filler: "NV-88231",
                               from: F.provenance(F.northLab, .hl7v2, "MSG00001", "OBR[1]/OBX[1]"))], record: 1)
        try h.record([F.result(glucose, 100, "MG/DL", at: F.time("20240305142000-0500"),
                               from: F.provenance(F.riverside, .ccda, "2.16.840.1.113883.19.5.99999.1", "section[Results]/entry[1]/observation[1]"))], record: 2)
        try h.record([F.result(Code(system: "http://loinc.org", code: "2345-7"), 5.55, "mmol/L", at: F.iso("2024-03-05T19:20:00Z"),
                               from: F.provenance(F.lakeside, .fhir, "bundle-77", "entry[2].resource"))], record: 3)
        h.enterpriseID = "EP-00000123"
        try h.refresh()
        let facts = try h.facts()
        #expect(facts.count == 1)
        #expect(facts.first?.provenances.map(\.format) == [.hl7v2, .ccda, .fhir])
        #expect(facts.first?.resultNumber == 100)
        #expect(facts.first?.state == "current")
        #expect(facts.first?.history.isEmpty == true)
    }

    @Test(arguments: [
        ("4548-4", 7.0, "%", "59261-8", 53.0, "mmol/mol"),
        ("2093-3", 200.0, "mg/dL", "2093-3", 5.17, "mmol/L"),
        ("2571-8", 150.0, "mg/dl", "2571-8", 1.69, "mmol/l"),
        ("2160-0", 1.0, "mg/dL", "2160-0", 88.0, "µmol/L"),
        ("2160-0", 1.0, "mg/dL", "2160-0", 88.4, "umol/L"),
        ("2085-9", 52.0, "mg/dL", "2085-9", 1.34, "mmol/L"),
    ])
    func commonAnalytesUnifyAcrossUnits(codeA: String, valueA: Double, unitA: String, codeB: String, valueB: Double, unitB: String) throws {
        var h = try LedgerHarness()
        let t = F.time("20240110083000-0600")
        try h.record([F.result(F.loinc(codeA, "A"), valueA, unitA, at: t, from: F.provenance(F.northLab, .hl7v2, "M1", "OBX[1]"))], record: 1)
        try h.record([F.result(F.loinc(codeB, "B"), valueB, unitB, at: t, from: F.provenance(F.lakeside, .fhir, "B1", "entry[1]"))], record: 2)
        try h.refresh()
        #expect(try h.facts().count == 1)
    }

    @Test func differentValuesAtTheSameTimeAreTwoFacts() throws {
        var h = try LedgerHarness()
        let t = F.time("202403051420")
        let glucose = F.loinc("2345-7", "Glucose")
        try h.record([F.result(glucose, 100, "mg/dL", at: t, from: F.provenance(F.northLab, .hl7v2, "M1", "OBX[1]"))], record: 1)
        try h.record([F.result(glucose, 6.1, "mmol/L", at: t, from: F.provenance(F.lakeside, .fhir, "B1", "entry[1]"))], record: 2)
        try h.refresh()
        #expect(try h.facts().compactMap(\.resultNumber) == [100, 6.1])
    }

    @Test func resultsOutsideTheTimeToleranceAreTwoFacts() throws {
        var h = try LedgerHarness()
        let glucose = F.loinc("2345-7", "Glucose")
        try h.record([F.result(glucose, 100, "mg/dL", at: F.iso("2024-03-05T14:20:00-05:00"), from: F.provenance(F.northLab, .hl7v2, "M1", "OBX[1]"))], record: 1)
        try h.record([F.result(glucose, 100, "mg/dL", at: F.iso("2024-03-05T14:31:00-05:00"), from: F.provenance(F.lakeside, .fhir, "B1", "entry[1]"))], record: 2)
        try h.refresh()
        #expect(try h.facts().count == 2)
    }

    @Test(arguments: [
        ("202403051420", "2024-03-05T14:20:00-05:00", true),   // no offset: read in the other's offset
        ("20240305192000+0000", "2024-03-05T14:20:00-05:00", true),
        ("20240305142400-0500", "2024-03-05T19:20:00Z", true),  // 4 minutes apart, tolerance 5
        ("20240305", "2024-03-05T23:40:00-05:00", true),       // a date covers the whole day
        ("202403", "2024-03-31T10:00:00Z", true),              // a month covers the month
        ("202403", "2024-04-02", false),
        ("20240305142000-0500", "2024-03-05T14:20:00Z", false), // five hours apart
    ])
    func timesCompareAcrossOffsetsAndPrecisions(hl7: String, iso: String, same: Bool) {
        #expect(FactTimeMatch.sameMoment(F.time(hl7), F.iso(iso), toleranceSeconds: 300) == same)
    }

    @Test func unitSpellingsNormalize() {
        #expect(UnitNormalization.normalizeUnit("MG/DL") == "mg/dl")
        #expect(UnitNormalization.normalizeUnit("mg / dl") == "mg/dl")
        #expect(UnitNormalization.normalizeUnit("\u{03BC}mol/L") == "umol/l")
        #expect(UnitNormalization.normalizeUnit("\u{00B5}mol/L") == "umol/l")
        #expect(UnitNormalization.normalizeUnit("%{HbA1c}") == "%")
        #expect(UnitNormalization.normalizeUnit("mmol/mol{Hb}") == "mmol/mol")
        #expect(UnitNormalization.normalizeUnit("") == nil)
    }

    @Test func resentMessageWithNewControlIDAddsAProvenance() throws {
        var h = try LedgerHarness()
        let a1c = F.loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood")
        let t = F.time("20240212091500-0500")
        try h.record([F.result(a1c, 7.2, "%", at: t, filler: "NV-1001", from: F.provenance(F.northLab, .hl7v2, "MSG1001", "OBR[1]/OBX[1]"))], record: 1)
        try h.record([F.result(a1c, 7.2, "%", at: t, filler: "NV-1001", from: F.provenance(F.northLab, .hl7v2, "MSG1001-R", "OBR[1]/OBX[1]"))], record: 1)
        #expect(try h.refresh().isEmpty)
        let facts = try h.facts()
        #expect(facts.count == 1)
        #expect(facts.first?.provenances.compactMap(\.messageID) == ["MSG1001", "MSG1001-R"])
        #expect(try h.flags().isEmpty)
    }

    @Test func recordingTheSameMessageTwiceKeepsOneInstance() throws {
        var h = try LedgerHarness()
        let fact = F.result(F.loinc("2823-3", "Potassium"), 4.1, "mmol/L", at: F.time("202401100800"), from: F.provenance(F.general, .hl7v2, "K1", "OBX[1]"))
        try h.record([fact], record: 7)
        try h.record([fact], record: 7)
        #expect(try h.db.scalar("SELECT COUNT(*) FROM fact_instance") == .integer(1))
    }

    @Test func mappedLocalCodeIsTheSameTestAsLOINC() throws {
        var configuration = FactConfiguration.standard
        configuration.localCodeMap = ["North Valley Lab|GLU": "2345-7"]
        var h = try LedgerHarness(configuration: configuration)
        let t = F.time("202403051420")
        try h.record([F.result(Code(system: "99NVL", code: "GLU", display: "GLUCOSE"), 100, "mg/dL", at: t, from: F.provenance(F.northLab, .hl7v2, "M1", "OBX[1]"))], record: 1)
        try h.record([F.result(F.loinc("2345-7", "Glucose"), 5.55, "mmol/L", at: t, from: F.provenance(F.lakeside, .fhir, "B1", "entry[1]"))], record: 2)
        try h.refresh()
        #expect(try h.facts().count == 1)
        #expect(try h.ledger.unmappedCodes(in: h.db).isEmpty)
    }

    @Test func unmappedLocalCodesAreReportedAndStillUnifyBySourceCode() throws {
        var configuration = FactConfiguration.standard
        configuration.localCodeMap = ["99NVL|GLU": "2345-7"]
        var h = try LedgerHarness(configuration: configuration)
        let t = F.time("202403051420")
        let bun = Code(system: "99NVL", code: "BUN", display: "UREA NITROGEN")
        try h.record([F.result(bun, 14, "mg/dL", at: t, from: F.provenance(F.northLab, .hl7v2, "M1", "OBX[2]")),
                      F.result(Code(system: "99NVL", code: "GLU"), 99, "mg/dL", at: t, from: F.provenance(F.northLab, .hl7v2, "M1", "OBX[1]"))], record: 1)
        try h.record([F.result(bun, 14, "mg/dL", at: t, from: F.provenance(F.northLab, .hl7v2, "M2", "OBX[2]"))], record: 1)
        try h.record([F.result(Code(system: "L", code: "CRP"), 3, "mg/L", at: t, from: F.provenance(F.general, .hl7v2, "G1", "OBX[1]"))], record: 2)
        try h.refresh()
        #expect(try h.facts().count == 3)
        let report = try h.ledger.unmappedCodes(in: h.db)
        #expect(report.map { "\($0.facility) \($0.code.key) \($0.count)" } == [
            "North Valley Lab 99NVL|BUN 2", "St. Mary General Hospital L|CRP 1",
        ])
        #expect(report.first?.code.display == "UREA NITROGEN")
    }

    @Test func problemsUnifyByAnySharedCoding() throws {
        var h = try LedgerHarness()
        let dg1 = Code(system: "I10", code: "E11.9", display: "Type 2 diabetes mellitus without complications")
        let ccda = Code(system: "2.16.840.1.113883.6.96", code: "44054006", display: "Diabetes mellitus type 2",
                        translations: [Code(system: "2.16.840.1.113883.6.90", code: "E11.9")])
        let fhir = Code(system: "http://snomed.info/sct", code: "44054006")
        try h.record([F.fact(.problem(Problem(code: dg1, onset: F.time("20190301"))), F.provenance(F.riverside, .hl7v2, "A1", "DG1[1]"))], record: 1)
        try h.record([F.fact(.problem(Problem(code: ccda, onset: F.time("2019"))), F.provenance(F.riverside, .ccda, "D1", "section[Problems]/entry[1]"))], record: 1)
        try h.record([F.fact(.problem(Problem(code: fhir, status: .active)), F.provenance(F.lakeside, .fhir, "B1", "entry[4]"))], record: 2)
        try h.record([F.fact(.problem(Problem(code: Code(system: "I10", code: "I10", display: "Essential hypertension"))), F.provenance(F.lakeside, .hl7v2, "A9", "DG1[1]"))], record: 2)
        try h.refresh()
        let problems = try h.facts([.problem])
        #expect(problems.count == 2)
        #expect(problems.map(\.provenances.count).sorted() == [1, 3])
    }

    @Test func allergiesUnifyByCodeOrSameTextSubstance() throws {
        var h = try LedgerHarness()
        let penicillinRx = Code(system: "RXNORM", code: "7980", display: "Penicillin G")
        try h.record([F.fact(.allergy(Allergy(substance: penicillinRx, severity: "severe")), F.provenance(F.riverside, .ccda, "D1", "section[Allergies]/entry[1]"))], record: 1)
        try h.record([F.fact(.allergy(Allergy(substance: Code(system: "http://www.nlm.nih.gov/research/umls/rxnorm", code: "7980"))), F.provenance(F.lakeside, .fhir, "B1", "entry[3]"))], record: 2)
        try h.record([F.fact(.allergy(Allergy(substance: Code(system: nil, code: "", display: "Shellfish"))), F.provenance(F.riverside, .hl7v2, "A1", "AL1[1]"))], record: 1)
        try h.record([F.fact(.allergy(Allergy(substance: Code(system: nil, code: "", display: "SHELLFISH "))), F.provenance(F.lakeside, .hl7v2, "A2", "AL1[1]"))], record: 2)
        try h.refresh()
        #expect(try h.facts([.allergy]).map(\.provenances.count) == [2, 2])
    }

    @Test func medicationsUnifyByRxNormOrSharedCoding() throws {
        var h = try LedgerHarness()
        let metformin = Code(system: "RXNORM", code: "861007", display: "metFORMIN hydrochloride 500 MG Oral Tablet")
        let ndc = Code(system: "NDC", code: "00093-1048-01", translations: [Code(system: "RXNORM", code: "861007")])
        try h.record([F.fact(.medication(Medication(code: metformin, dosage: "500 mg twice daily")), F.provenance(F.riverside, .ccda, "D1", "section[Medications]/entry[1]"))], record: 1)
        try h.record([F.fact(.medication(Medication(code: ndc)), F.provenance(F.general, .hl7v2, "R1", "RXE[1]"))], record: 2)
        try h.record([F.fact(.medication(Medication(code: Code(system: "RXNORM", code: "314076", display: "lisinopril 10 MG Oral Tablet"))), F.provenance(F.lakeside, .fhir, "B1", "entry[5]"))], record: 3)
        try h.refresh()
        #expect(try h.facts([.medication]).map(\.provenances.count) == [2, 1])
    }

    @Test func encountersUnifyByVisitNumberOrStartAndLocation() throws {
        var h = try LedgerHarness()
        let admit = Encounter(visitNumber: "V20240301-17", encounterClass: .inpatient, status: .inProgress, start: F.time("202403011015-0500"), location: "4 WEST")
        var discharge = admit
        discharge.status = .finished
        discharge.end = F.time("202403041200-0500")
        try h.record([F.fact(.encounter(admit), F.provenance(F.general, .hl7v2, "A01-1", "PV1"))], record: 1)
        try h.record([F.fact(.encounter(discharge), F.provenance(F.general, .hl7v2, "A03-1", "PV1"))], record: 1)
        // A C-CDA from another system: no visit number, same start and location.
        try h.record([F.fact(.encounter(Encounter(encounterClass: .inpatient, start: F.iso("2024-03-01T15:15:00Z"), location: "4 West")), F.provenance(F.riverside, .ccda, "D1", "section[Encounters]/entry[1]"))], record: 2)
        try h.record([F.fact(.encounter(Encounter(encounterClass: .outpatient, start: F.iso("2024-03-20T09:00:00-05:00"), location: "Lakeside Cardiology")), F.provenance(F.lakeside, .fhir, "B1", "entry[1]"))], record: 3)
        try h.refresh()
        let encounters = try h.facts([.encounter])
        #expect(encounters.map(\.provenances.count) == [3, 1])
        guard case .encounter(let merged)? = encounters.first?.body else { Issue.record("no encounter"); return }
        #expect(merged.end == F.time("202403041200-0500"))
        #expect(merged.visitNumber == "V20240301-17")
        #expect(merged.status == .finished)
    }

    @Test func immunizationsUnifyByVaccineAndDate() throws {
        var h = try LedgerHarness()
        let flu = Code(system: "CVX", code: "150", display: "Influenza, injectable, quadrivalent, preservative free")
        try h.record([F.fact(.immunization(Immunization(vaccine: flu, administeredAt: F.time("20231012"))), F.provenance(F.riverside, .hl7v2, "V1", "RXA[1]"))], record: 1)
        try h.record([F.fact(.immunization(Immunization(vaccine: Code(system: "http://hl7.org/fhir/sid/cvx", code: "150"), administeredAt: F.iso("2023-10-12T10:30:00-04:00"))), F.provenance(F.lakeside, .fhir, "B1", "entry[7]"))], record: 2)
        try h.record([F.fact(.immunization(Immunization(vaccine: flu, administeredAt: F.time("20241003"))), F.provenance(F.riverside, .hl7v2, "V2", "RXA[1]"))], record: 1)
        try h.refresh()
        #expect(try h.facts([.immunization]).map(\.provenances.count) == [2, 1])
    }

    @Test func proceduresUnifyByCodeAndDate() throws {
        var h = try LedgerHarness()
        let colonoscopy = Code(system: "CPT", code: "45378", display: "Colonoscopy, diagnostic")
        try h.record([F.fact(.procedure(Procedure(code: colonoscopy, performedAt: F.time("20230615"))), F.provenance(F.general, .ccda, "D1", "section[Procedures]/entry[1]"))], record: 1)
        try h.record([F.fact(.procedure(Procedure(code: colonoscopy, performedAt: F.iso("2023-06-15T08:10:00-05:00"))), F.provenance(F.riverside, .fhir, "B1", "entry[2]"))], record: 2)
        try h.record([F.fact(.procedure(Procedure(code: colonoscopy, performedAt: F.time("20230616"))), F.provenance(F.riverside, .hl7v2, "P1", "PR1[1]"))], record: 2)
        try h.refresh()
        #expect(try h.facts([.procedure]).map(\.provenances.count) == [2, 1])
    }

    @Test func ordersUnifyByPlacerNumberOrCodeAndDate() throws {
        var h = try LedgerHarness()
        let lipid = F.loinc("57698-3", "Lipid panel with direct LDL")
        try h.record([F.fact(.order(Order(code: lipid, placerOrderNumber: "RFM-5521", orderedAt: F.time("202405020900-0500"))), F.provenance(F.riverside, .hl7v2, "O1", "ORC[1]"))], record: 1)
        try h.record([F.fact(.order(Order(code: lipid, status: .inProgress, placerOrderNumber: "RFM-5521", orderedAt: F.time("202405021130-0500"))), F.provenance(F.riverside, .hl7v2, "O2", "ORC[1]"))], record: 1)
        try h.record([F.fact(.order(Order(code: lipid, orderedAt: F.iso("2024-05-02"))), F.provenance(F.riverside, .fhir, "B1", "entry[3]"))], record: 1)
        try h.refresh()
        let orders = try h.facts([.order])
        #expect(orders.map(\.provenances.count) == [3])
        guard case .order(let order)? = orders.first?.body else { Issue.record("no order"); return }
        #expect(order.status == .new)
    }

    @Test func readsFilterByKindAndTimeRange() throws {
        var h = try LedgerHarness()
        let k = F.loinc("2823-3", "Potassium")
        try h.record([
            F.result(k, 4.0, "mmol/L", at: F.time("20240101"), from: F.provenance(F.general, .hl7v2, "K1", "OBX[1]")),
            F.result(k, 4.4, "mmol/L", at: F.time("20240201"), from: F.provenance(F.general, .hl7v2, "K2", "OBX[1]")),
            F.result(k, 4.8, "mmol/L", at: F.time("20240301"), from: F.provenance(F.general, .hl7v2, "K3", "OBX[1]")),
            F.fact(.allergy(Allergy(substance: Code(system: "RXNORM", code: "7980"))), F.provenance(F.general, .hl7v2, "A1", "AL1[1]")),
        ], record: 1)
        try h.refresh()
        #expect(try h.facts().count == 4)
        #expect(try h.facts([.allergy]).count == 1)
        let february = try h.ledger.unifiedFacts(enterpriseID: h.enterpriseID, kinds: [.result], from: F.time("202402"), to: F.time("202402"), in: h.db)
        #expect(february.compactMap(\.resultNumber) == [4.4])
        let fromFebruary = try h.ledger.unifiedFacts(enterpriseID: h.enterpriseID, kinds: nil, from: F.time("20240201"), to: nil, in: h.db)
        #expect(fromFebruary.compactMap(\.resultNumber) == [4.4, 4.8])
    }

    @Test func configurationLoadsFromPartialJSON() throws {
        let json = #"{"resultTimeToleranceMinutes": 10, "localCodeMap": {"North Valley Lab|A1C": "4548-4"}, "retestIntervals": [{"codes": ["4548-4"], "name": "HbA1c", "minimumIntervalDays": 60}, {"codes": ["2823-3"], "name": "Potassium", "minimumIntervalDays": null}]}"#
        let configuration = try JSONDecoder().decode(FactConfiguration.self, from: Data(json.utf8))
        #expect(configuration.resultTimeToleranceMinutes == 10)
        #expect(configuration.localCodeMap == ["North Valley Lab|A1C": "4548-4"])
        #expect(configuration.retestIntervals.map(\.minimumIntervalDays) == [60, nil])
        #expect(configuration.retestIntervals.last?.isExempt == true)
        #expect(configuration.flagSameFacility == true)
        #expect(configuration.polypharmacyThreshold == 5)
        #expect(configuration.panelComponents["57698-3"] == ["2093-3", "2085-9", "13457-7", "2571-8"])
    }
}
