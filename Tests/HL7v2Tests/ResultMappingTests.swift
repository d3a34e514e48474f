import Clinical
import Foundation
import Testing
@testable import HL7v2

private func submission(_ fixture: String) throws -> Submission {
    try HL7v2Mapper.submission(from: Fixture.message(fixture))
}

private func time(_ text: String) -> ClinicalTime? { ClinicalTime.parseHL7(text) }

private func observations(_ s: Submission) -> [Observation] {
    s.facts.compactMap { if case .result(let o) = $0.body { return o } else { return nil } }
}

@Suite struct ResultMappingTests {
    @Test func cernerV23ResultsWithNotesAndCorrections() throws {
        let s = try submission("pass/cerner_oru_r01_v23.hl7")
        #expect(s.messageType == "ORU^R01")
        #expect(s.event == nil)
        let obs = observations(s)
        #expect(s.facts.map(\.provenance.position) == ["OBR[1]/OBX[1]", "OBR[1]/OBX[2]"])
        #expect(obs[0] == Observation(
            code: Code(system: CodeSystem.loinc, code: "2345-7", display: "Glucose"),
            value: .quantity(Quantity(value: 105, unit: "mg/dL", text: "105")), unit: "mg/dL", referenceRange: "70-99",
            referenceLow: Quantity(value: 70, unit: "mg/dL", text: "70"), referenceHigh: Quantity(value: 99, unit: "mg/dL", text: "99"),
            interpretation: ["H"], status: .final, effectiveTime: time("200403050800"), issued: time("200403051400"), category: "laboratory",
            panel: Code(system: "LN", code: "2345-7", display: "Glucose"), placerOrderNumber: "P7788", fillerOrderNumber: "F5566",
            performer: nil, note: "Fasting status unknown."))
        #expect(obs[1].value == .quantity(Quantity(value: 2.5, unit: "mmol/L", comparator: "<", text: "2.5")))
        #expect(obs[1].status == .corrected)
        #expect(obs[1].status.isCorrection)
        #expect(obs[1].interpretation == ["LL"])
        #expect(obs[1].note == nil)
    }

    @Test func questValueTypes() throws {
        let s = try submission("pass/quest_oru_r01_v251.hl7")
        #expect(s.source == SourceSystem(facility: "QDI", application: "QUEST", facilityID: "2.16.840.1.113883.3.3102"))
        let obs = observations(s)
        #expect(obs.count == 10)
        #expect(obs.map(\.code.code) == ["2160-0", "33914-3", "5048-4", "2951-2", "8251-1", "11526-1", "94500-6", "2823-3", "21112-8", "5778-6"])
        #expect(obs.allSatisfy { $0.code.system == CodeSystem.loinc })
        // SN with comparator, range and ratio.
        #expect(obs[0].value == .quantity(Quantity(value: 10, unit: "mg/dL", comparator: ">", text: "10")))
        #expect(obs[0].sourceID == "OBS-1")
        #expect(obs[0].unit == "mg/dL")
        #expect(obs[1].value == .range(low: Quantity(value: 60, unit: "mL/min/{1.73_m2}", text: "60"), high: Quantity(value: 90, unit: "mL/min/{1.73_m2}", text: "90")))
        #expect(obs[1].referenceLow == Quantity(value: 60, unit: "mL/min/{1.73_m2}", comparator: ">=", text: "60"))
        #expect(obs[1].referenceHigh == nil)
        #expect(obs[2].value == .ratio(numerator: Quantity(value: 1, text: "1"), denominator: Quantity(value: 128, text: "128")))
        #expect(obs[2].effectiveTime == time("20240601073000-0400"))
        #expect(obs[3].status == .corrected)
        #expect(obs[3].sourceID == "OBS-4")
        // Text types: TX repetitions are lines; FT formatting commands resolved.
        #expect(obs[4].value == .text("Line one\nLine two with & and ^"))
        #expect(obs[5].value == .text("FINDINGS:\nBenign tissue no malignancy."))
        // Coded, cancelled, deleted.
        #expect(obs[6].value == .coded(Code(system: CodeSystem.snomed, code: "260373001", display: "Detected")))
        #expect(obs[6].status == .cancelled)
        #expect(obs[6].interpretation == ["A"])
        #expect(obs[7].value == .text("Hemolyzed specimen"))
        #expect(obs[7].status == .enteredInError)
        #expect(obs[7].status.isWithdrawn)
        #expect(obs[8].value == .time(ClinicalTime(year: 1975, month: 3, day: 14)!))
        #expect(obs[9].value == .coded(Code(system: CodeSystem.snomed, code: "371244009", display: "Yellow", translations: [Code(system: "L", code: "Y", display: "Yellow")])))
        #expect(obs[9].status == .preliminary)
        #expect(obs.allSatisfy { $0.placerOrderNumber == "PL1001" && $0.fillerOrderNumber == "FL2002" })
        #expect(obs.allSatisfy { $0.issued == time("20240601115500-0400") })
        #expect(obs[0].panel == Code(system: CodeSystem.loinc, code: "24323-8", display: "Comprehensive metabolic panel"))
        #expect(s.patients.first?.identifiers.first?.authority == AssigningAuthority(namespace: "QUEST", universalID: "2.16.840.1.113883.3.3102", universalIDType: "ISO"))
    }

    @Test func nonStandardDelimiterLabFeed() throws {
        let s = try submission("pass/labcorp_oru_r01_nonstandard_delimiters.hl7")
        let p = try #require(s.patients.first)
        #expect(p.ssn == "999887777")
        #expect(p.identifiers == [PatientIdentifier(value: "LC778", authority: AssigningAuthority(namespace: "LABCORP"), type: "MR")])
        #expect(p.names == [PersonName(use: .official, family: "TAYLOR", given: ["JAMES", "Q"])])
        let obs = observations(s)
        #expect(obs[0].value == .quantity(Quantity(value: 7.2, unit: "%", text: "7.2")))
        #expect(obs[0].referenceLow?.value == 4.0)
        #expect(obs[0].referenceHigh?.value == 5.6)
        #expect(obs[1].value == .text("A!B @ C / D"))
        #expect(s.facts.map(\.provenance.position) == ["OBR[1]/OBX[1]", "OBR[1]/OBX[2]"])
    }

    @Test(arguments: [("F", ResultStatus.final), ("P", .preliminary), ("C", .corrected), ("A", .amended), ("X", .cancelled), ("D", .enteredInError),
                      ("W", .enteredInError), ("I", .registered), ("R", .preliminary), ("", .unknown)])
    func resultStatusesMap(code: String, status: ResultStatus) throws {
        let m = try msg("MSH|^~\\&|L|F|||20240101||ORU^R01|C|P|2.5.1\rPID|1||1^^^F^MR\rOBR|1|||X^Y^LN\rOBX|1|NM|X^Y^LN||1||||||\(code)")
        #expect(observations(try HL7v2Mapper.submission(from: m)).first?.status == status)
    }

    @Test func cneAndTimestampValues() throws {
        let m = try msg("MSH|^~\\&|L|F|||20240101||ORU^R01|C|P|2.7\rPID|1||1^^^F^MR\rOBR|1|||X^Y^LN\rOBX|1|CNE|X^Y^LN||Y^Yes^HL70136||||||F\rOBX|2|TS|X^Y^LN||202401021530-0500||||||F\rOBX|3|ED|X^Y^LN||^AP^PDF^Base64^QUJD||||||F")
        let s = try HL7v2Mapper.submission(from: m)
        let obs = observations(s)
        #expect(obs[0].value == .coded(Code(system: "HL70136", code: "Y", display: "Yes")))
        #expect(obs[1].value == .time(ClinicalTime(year: 2024, month: 1, day: 2, hour: 15, minute: 30, precision: .minute, offsetMinutes: -300)!))
        #expect(obs[2].value == .text("^AP^PDF^Base64^QUJD"))
        #expect(s.notes.map(\.description) == ["info at OBX[3]-5: value type ED kept as text"])
    }

    @Test func nonNumericNMIsKeptAsTextWithANote() throws {
        let m = try msg("MSH|^~\\&|L|F|||20240101||ORU^R01|C|P|2.5.1\rPID|1||1^^^F^MR\rOBR|1|||X^Y^LN\rOBX|1|NM|X^Y^LN||see note")
        let s = try HL7v2Mapper.submission(from: m)
        #expect(observations(s).first?.value == .text("see note"))
        #expect(s.notes.map(\.description) == ["warning at OBX-5: NM value is not a number; kept as text"])
    }

    @Test func severalPatientGroupsGetTheirOwnSubjects() throws {
        let m = try msg("MSH|^~\\&|L|F|||20240101||ORU^R01|C|P|2.5.1\rPID|1||1^^^F^MR\rOBR|1|||X^Y^LN\rOBX|1|NM|X^Y^LN||1\rPID|2||2^^^F^MR\rOBR|2|||X^Y^LN\rOBX|1|NM|X^Y^LN||2\r")
        let s = try HL7v2Mapper.submission(from: m)
        #expect(s.patients.map { $0.identifiers.first?.value } == ["1", "2"])
        #expect(s.facts.map(\.subject) == [0, 1])
        #expect(s.facts.map(\.provenance.position) == ["OBR[1]/OBX[1]", "OBR[2]/OBX[2]"])
    }

    @Test func oruWithoutPIDFails() throws {
        let m = try msg("MSH|^~\\&|L|F|||20240101||ORU^R01|C|P|2.5.1\rOBR|1|||X^Y^LN\rOBX|1|NM|X^Y^LN||1")
        #expect(throws: HL7MappingError(.missingSegment, "", location: HL7ErrorLocation(segment: "PID", sequence: 1))) { try HL7v2Mapper.submission(from: m) }
    }

    @Test func obxWithoutIdentifierFailsAtOBX3() throws {
        let m = try msg("MSH|^~\\&|L|F|||20240101||ORU^R01|C|P|2.5.1\rPID|1||1^^^F^MR\rOBR|1|||X^Y^LN\rOBX|1|NM|||1")
        #expect(throws: HL7MappingError(.missingField, "", location: HL7ErrorLocation(segment: "OBX", sequence: 1, segmentIndex: 4, field: 3))) { try HL7v2Mapper.submission(from: m) }
    }
}

@Suite struct OrderAndImmunizationMappingTests {
    @Test func ormO01NewOrder() throws {
        let s = try submission("pass/allscripts_orm_o01_v23.hl7")
        #expect(s.messageType == "ORM^O01")
        #expect(s.facts.map(\.provenance.position) == ["ORC[1]/OBR[1]"])
        guard case .order(let o) = s.facts.first?.body else { Issue.record("no order"); return }
        #expect(o == Order(
            code: Code(system: CodeSystem.loinc, code: "57698-3", display: "Lipid panel"), status: .new, placerOrderNumber: "ORD-77",
            orderedAt: time("20240201085900"), scheduledFor: time("20240202080000"),
            orderingProvider: ProviderReference(identifier: "1376459208", name: "ROSS, DOUGLAS J"), priority: "R",
            reason: [Code(system: CodeSystem.icd10cm, code: "E78.5", display: "Hyperlipidemia")]))
    }

    @Test func omlO21CancelledOrder() throws {
        let s = try submission("pass/oml_o21_v28.hl7")
        #expect(s.messageType == "OML^O21")
        #expect(s.patients.first?.names.first == PersonName(use: .official, family: "MÜLLER", given: ["JOSÉ"]))
        guard case .order(let o) = s.facts.first?.body else { Issue.record("no order"); return }
        #expect(o.status == .cancelled)
        #expect(o.placerOrderNumber == "ORD-88")
        #expect(o.fillerOrderNumber == "LAB-1")
        #expect(o.code == Code(system: CodeSystem.loinc, code: "58410-2", display: "CBC panel"))
    }

    @Test(arguments: [("NW", "", Order.Status.new), ("NW", "SC", .new), ("NW", "CM", .completed), ("CA", "", .cancelled), ("HD", "", .onHold), ("SC", "CM", .completed), ("SC", "IP", .inProgress), ("SC", "ER", .enteredInError)])
    func orderStatusesMap(control: String, status: String, expected: Order.Status) throws {
        let m = try msg("MSH|^~\\&|A|F|||20240101||ORM^O01|C|P|2.3\rPID|1||1^^^F^MR\rORC|\(control)|P1|||\(status)\rOBR|1|P1||X^Y^LN")
        guard case .order(let o) = try HL7v2Mapper.submission(from: m).facts.first?.body else { Issue.record("no order"); return }
        #expect(o.status == expected)
    }

    @Test func vxuImmunizations() throws {
        let s = try submission("pass/athena_vxu_v04_v251.hl7")
        #expect(s.source == SourceSystem(facility: "8675309", application: "ATHENANET", facilityID: "ATHENA"))
        #expect(s.facts.map(\.provenance.position) == ["RXA[1]", "RXA[2]"])
        guard case .immunization(let flu) = s.facts[0].body, case .immunization(let mmr) = s.facts[1].body else { Issue.record("no immunizations"); return }
        #expect(flu == Immunization(
            vaccine: Code(system: CodeSystem.cvx, code: "141", display: "Influenza, seasonal, injectable"), status: .completed,
            administeredAt: time("20240415101500"), lotNumber: "L123AB", manufacturer: "GlaxoSmithKline",
            dose: Quantity(value: 0.5, unit: "mL", text: "0.5"), route: Code(system: "NCIT", code: "C28161", display: "Intramuscular"),
            site: Code(system: "HL70163", code: "LA", display: "Left arm"), sourceID: "IMM-9988"))
        #expect(mmr == Immunization(
            vaccine: Code(system: CodeSystem.cvx, code: "03", display: "MMR"), status: .notDone, administeredAt: time("20240415101600"),
            statusReason: Code(system: "NIP002", code: "00", display: "Parental decision"), sourceID: "IMM-9989"))
    }

    @Test func facilityFallsBackToUniversalID() throws {
        let m = try msg("MSH|^~\\&|APP|^2.16.840.1.113883.19.5^ISO|||20240101||ADT^A28|C|P|2.5.1\rPID|1||1^^^F^MR")
        #expect(try HL7v2Mapper.submission(from: m).source == SourceSystem(facility: "2.16.840.1.113883.19.5", application: "APP", facilityID: "2.16.840.1.113883.19.5"))
    }
}
