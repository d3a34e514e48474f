import Clinical
import Foundation
import Testing
@testable import HL7v2

private func submission(_ fixture: String) throws -> Submission {
    try HL7v2Mapper.submission(from: Fixture.message(fixture))
}

private func time(_ text: String) -> ClinicalTime? { ClinicalTime.parseHL7(text) }

@Suite struct ADTMappingTests {
    @Test func epicA01HeaderAndSource() throws {
        let s = try submission("pass/epic_adt_a01_v251.hl7")
        #expect(s.format == .hl7v2)
        #expect(s.source == SourceSystem(facility: "UNIVHOSP", application: "EPIC", facilityID: "1.2.840.114350.1.13.0.1.7.5"))
        #expect(s.messageID == "EPC0000123")
        #expect(s.messageType == "ADT^A01")
        #expect(s.event == .admit)
        #expect(s.createdAt == time("20240305142000-0500"))
        #expect(s.notes.map(\.description) == ["info at NK1: next of kin not carried by the clinical model", "info at ZPD: Z-segment kept in the message, not mapped"])
    }

    @Test func epicA01Patient() throws {
        let s = try submission("pass/epic_adt_a01_v251.hl7")
        let p = try #require(s.patients.first)
        #expect(s.patients.count == 1)
        #expect(p.identifiers == [
            PatientIdentifier(value: "E1234567", authority: AssigningAuthority(namespace: "UH_MRN"), type: "MR"),
            PatientIdentifier(value: "Q998877", authority: AssigningAuthority(namespace: "EPI"), type: "PI"),
        ])
        #expect(p.ssn == "123456789")
        #expect(p.names == [
            PersonName(use: .official, family: "MÜLLER", given: ["JOSÉ", "A"], suffix: ["JR"]),
            PersonName(use: .nickname, family: "MUELLER", given: ["JOE"]),
        ])
        #expect(p.mothersMaidenName == "GARCIA")
        #expect(p.birthDate == ClinicalTime(year: 1980, month: 7, day: 4))
        #expect(p.sex == .male)
        #expect(p.addresses == [PostalAddress(use: "home", lines: ["12 OAK AVE", "APT 4"], city: "MADISON", district: "55025", state: "WI", postalCode: "53703", country: "USA")])
        #expect(p.telecoms == [
            Telecom(system: .phone, value: "(608)555-1212", use: "home"),
            Telecom(system: .email, value: "jose.mueller@example.org", use: "home"),
            Telecom(system: .phone, value: "(608)555-9876 x22", use: "work"),
        ])
        #expect(p.multipleBirth == true)
        #expect(p.birthOrder == 2)
        #expect(p.deceased == nil)
        #expect(p.race == [Code(system: CodeSystem.raceEthnicity, code: "2106-3", display: "White")])
        #expect(p.ethnicity == [Code(system: CodeSystem.raceEthnicity, code: "2186-5", display: "Not Hispanic or Latino")])
        #expect(p.language == Code(system: "ISO639", code: "eng", display: "English"))
        #expect(p.maritalStatus == Code(system: "HL70002", code: "M", display: "Married"))
        #expect(p.generalPractitioner == ProviderReference(identifier: "1234567893", name: "HOUSE, GREGORY M"))
        #expect(p.provenance.position == "PID")
        #expect(p.provenance.messageID == "EPC0000123")
    }

    @Test func epicA01Facts() throws {
        let s = try submission("pass/epic_adt_a01_v251.hl7")
        #expect(s.facts.map(\.provenance.position) == ["PV1", "AL1[1]", "AL1[2]", "DG1[1]", "DG1[2]"])
        #expect(s.facts.allSatisfy { $0.subject == 0 })
        guard case .encounter(let e) = s.facts[0].body else { Issue.record("not an encounter"); return }
        #expect(e == Encounter(
            visitNumber: "V20240305001", encounterClass: .inpatient,
            type: Code(system: "http://terminology.hl7.org/CodeSystem/v2-0069", code: "MED"), status: .inProgress,
            start: time("20240305141500-0500"), location: "4W 401 A",
            attendingProvider: ProviderReference(identifier: "1234567893", name: "HOUSE, GREGORY M"),
            reason: [Code(system: "I10", code: "R07.9", display: "Chest pain, unspecified")]))
        #expect(e.reason.first?.system == CodeSystem.icd10cm)
        guard case .allergy(let a1) = s.facts[1].body, case .allergy(let a2) = s.facts[2].body else { Issue.record("not allergies"); return }
        #expect(a1 == Allergy(
            substance: Code(system: "RXNORM", code: "70618", display: "Penicillin"), type: "allergy", category: "medication",
            reactions: [Code(system: nil, code: "Hives", display: "Hives"), Code(system: nil, code: "Anaphylaxis", display: "Anaphylaxis")],
            severity: "severe", onset: ClinicalTime(year: 2010, month: 1, day: 15)))
        #expect(a1.substance.system == CodeSystem.rxnorm)
        #expect(a2.substance == Code(system: CodeSystem.snomed, code: "256349002", display: "Peanut"))
        #expect(a2.category == "food")
        #expect(a2.severity == "moderate")
        guard case .problem(let d1) = s.facts[3].body, case .problem(let d2) = s.facts[4].body else { Issue.record("not problems"); return }
        #expect(d1 == Problem(code: Code(system: CodeSystem.icd10cm, code: "I10", display: "Essential (primary) hypertension"), category: "admitting", onset: time("20240305142000-0500")))
        #expect(d2.category == "working")
        #expect(d2.code.code == "E11.9")
    }

    @Test func meditechA08WithCRLFAndV24DiagnosisStyle() throws {
        let s = try submission("pass/meditech_adt_a08_v24.hl7")
        #expect(s.event == .update)
        #expect(s.source == SourceSystem(facility: "CCH", application: "MEDITECH", facilityID: "COMMUNITY HOSPITAL"))
        let p = try #require(s.patients.first)
        #expect(p.names == [PersonName(use: .official, family: "JOHNSON", given: ["EMILY", "ROSE"])])
        #expect(p.birthDate == ClinicalTime(year: 1992, month: 12, day: 31))
        #expect(p.sex == .female)
        #expect(p.telecoms == [Telecom(system: .phone, value: "(614)555-0142", use: "home")])
        #expect(p.multipleBirth == false)
        guard case .encounter(let e) = s.facts[0].body else { Issue.record("not an encounter"); return }
        #expect(e.encounterClass == .emergency)
        #expect(e.visitNumber == "CCHV0001")
        #expect(e.status == .finished)
        #expect(e.start == time("20231120080000"))
        #expect(e.end == time("20231120120000"))
        #expect(e.attendingProvider == ProviderReference(identifier: "2222", name: "BAILEY, MIRANDA A"))
        guard case .allergy(let a) = s.facts[1].body else { Issue.record("not an allergy"); return }
        #expect(a.substance == Code(system: nil, code: "Sulfa drugs", display: "Sulfa drugs"))
        #expect(a.severity == "mild")
        guard case .problem(let d) = s.facts[2].body else { Issue.record("not a problem"); return }
        #expect(d.code == Code(system: CodeSystem.icd10cm, code: "R51.9", display: "Headache, unspecified"))
        #expect(d.category == "final")
    }

    @Test(arguments: [("A01", PatientEvent.admit, Encounter.Status.inProgress), ("A02", .transfer, .inProgress), ("A03", .discharge, .finished),
                      ("A04", .register, .arrived), ("A05", .preadmit, .planned), ("A08", .update, .unknown), ("A11", .cancelAdmit, .cancelled),
                      ("A13", .cancelDischarge, .inProgress), ("A28", .register, .unknown), ("A31", .update, .unknown)])
    func everyADTEventMaps(trigger: String, event: PatientEvent, status: Encounter.Status) throws {
        let m = try msg("MSH|^~\\&|APP|FAC|||20240101||ADT^\(trigger)|C|P|2.5.1\rPID|1||42^^^FAC^MR||DOE^JO\rPV1|1|O|||||||||||||||||V9")
        let s = try HL7v2Mapper.submission(from: m)
        #expect(s.event == event)
        #expect(s.messageType == "ADT^\(trigger)")
        #expect(s.patients.first?.identifiers.first?.value == "42")
        guard case .encounter(let e) = s.facts.first?.body else { Issue.record("no encounter"); return }
        #expect(e.status == status)
        #expect(e.visitNumber == "V9")
        #expect(e.encounterClass == .outpatient)
    }

    @Test func a40MergeNamesPriorIdentifiers() throws {
        let s = try submission("pass/adt_a40_merge_v26.hl7")
        #expect(s.event == .merge)
        #expect(s.patients.map(\.identifiers) == [[PatientIdentifier(value: "E7654321", authority: AssigningAuthority(namespace: "UH_MRN"), type: "MR")]])
        #expect(s.merges.count == 1)
        #expect(s.merges.first?.survivor == 0)
        #expect(s.merges.first?.priorIdentifiers == [
            PatientIdentifier(value: "E1111111", authority: AssigningAuthority(namespace: "UH_MRN"), type: "MR"),
            PatientIdentifier(value: "E2222222", authority: AssigningAuthority(namespace: "UH_MRN"), type: "MR"),
        ])
        #expect(s.merges.first?.provenance.position == "MRG")
    }

    @Test func a40WithoutMRGIsASegmentSequenceError() throws {
        let m = try msg("MSH|^~\\&|A|F|||20240101||ADT^A40|C|P|2.5.1\rPID|1||42^^^F^MR\r")
        #expect(throws: HL7MappingError(.missingSegment, "", location: HL7ErrorLocation(segment: "MRG", sequence: 1))) { try HL7v2Mapper.submission(from: m) }
    }

    @Test func a40WithEmptyMRG1IsARequiredFieldError() throws {
        let m = try msg("MSH|^~\\&|A|F|||20240101||ADT^A40|C|P|2.5.1\rPID|1||42^^^F^MR\rMRG|\r")
        #expect(throws: HL7MappingError(.missingField, "", location: HL7ErrorLocation(segment: "MRG", sequence: 1, segmentIndex: 3, field: 1))) { try HL7v2Mapper.submission(from: m) }
    }
}

@Suite struct PatientFieldTests {
    @Test(arguments: [("L", NameUse.official), ("M", .maiden), ("N", .nickname), ("D", .usual), ("A", .alias), ("B", .old), ("S", .anonymous), ("U", .unknown)])
    func nameTypesMap(code: String, use: NameUse) throws {
        let m = try msg("MSH|^~\\&|A|F|||20240101||ADT^A08|C|P|2.5.1\rPID|1||1^^^F^MR||OTHER^X^^^^^\(code)")
        #expect(try HL7v2Mapper.submission(from: m).patients.first?.names.first?.use == use)
    }

    @Test(arguments: [("1980", ClinicalTime.Precision.year, nil as Int?), ("198007", .month, nil), ("19800704", .day, nil), ("1980070412", .hour, nil),
                      ("198007041230", .minute, nil), ("19800704123045", .second, nil), ("19800704123045.123", .fraction, nil), ("198007041230-0600", .minute, -360),
                      ("19800704123045+0530", .second, 330)])
    func birthTimesKeepPrecisionAndOffset(text: String, precision: ClinicalTime.Precision, offset: Int?) throws {
        let m = try msg("MSH|^~\\&|A|F|||20240101||ADT^A08|C|P|2.5.1\rPID|1||1^^^F^MR||X^Y||\(text)^Y")
        let birth = try #require(try HL7v2Mapper.submission(from: m).patients.first?.birthDate)
        #expect(birth.precision == precision)
        #expect(birth.offsetMinutes == offset)
        #expect(birth.year == 1980)
    }

    @Test("A birth date that is no calendar date is kept as sent, and only then")
    func unreadableBirthDateKeptAsSent() throws {
        let bad = try msg("MSH|^~\\&|A|F|||20240101||ADT^A08|C|P|2.5.1\rPID|1||1^^^F^MR||X^Y||19450493")
        let p = try #require(try HL7v2Mapper.submission(from: bad).patients.first)
        #expect(p.birthDate == nil)
        #expect(p.birthDateAsSent == "19450493")
        let good = try msg("MSH|^~\\&|A|F|||20240101||ADT^A08|C|P|2.5.1\rPID|1||1^^^F^MR||X^Y||19450403")
        #expect(try HL7v2Mapper.submission(from: good).patients.first?.birthDateAsSent == nil)
    }

    @Test(arguments: [("F", AdministrativeSex.female), ("M", .male), ("O", .other), ("A", .other), ("U", .unknown), ("N", .unknown)])
    func sexCodesMap(code: String, sex: AdministrativeSex) throws {
        let m = try msg("MSH|^~\\&|A|F|||20240101||ADT^A08|C|P|2.5.1\rPID|1||1^^^F^MR||X^Y|||\(code)")
        #expect(try HL7v2Mapper.submission(from: m).patients.first?.sex == sex)
    }

    @Test func identifierAuthorityWithUniversalIDAndSSNType() throws {
        let m = try msg("MSH|^~\\&|A|F|||20240101||ADT^A08|C|P|2.5.1\rPID|1||Q1^^^QUEST&2.16.840.1.113883.3.3102&ISO^MR~987-65-4321^^^USSSA^SS||X^Y")
        let p = try #require(try HL7v2Mapper.submission(from: m).patients.first)
        #expect(p.identifiers == [PatientIdentifier(value: "Q1", authority: AssigningAuthority(namespace: "QUEST", universalID: "2.16.840.1.113883.3.3102", universalIDType: "ISO"), type: "MR")])
        #expect(p.ssn == "987654321")
    }

    @Test func v23PhonesDeathAndPIDTwo() throws {
        let s = try submission("pass/cerner_oru_r01_v23.hl7")
        let p = try #require(s.patients.first)
        #expect(p.identifiers == [PatientIdentifier(value: "778899", authority: AssigningAuthority(namespace: "SMH"), type: "MR")])
        #expect(p.birthDate == ClinicalTime(year: 1965, month: 12, precision: .month))
        #expect(p.telecoms == [Telecom(system: .phone, value: "(518)555-0101", use: "home"), Telecom(system: .phone, value: "(518)555-0199", use: "work")])
        #expect(p.deceased == true)
        #expect(p.deceasedTime == ClinicalTime(year: 2024, month: 3, day: 1))
        #expect(p.maritalStatus == Code(system: nil, code: "S"))
    }

    @Test func missingPIDIsASegmentSequenceError() throws {
        let m = try Fixture.message("fail/missing_pid.hl7")
        #expect(throws: HL7MappingError(.missingSegment, "", location: HL7ErrorLocation(segment: "PID", sequence: 1))) { try HL7v2Mapper.submission(from: m) }
    }

    @Test func emptyPID3IsARequiredFieldErrorAtPID3() throws {
        let m = try Fixture.message("fail/empty_pid3.hl7")
        do {
            _ = try HL7v2Mapper.submission(from: m)
            Issue.record("expected an error")
        } catch {
            #expect(error == HL7MappingError(.missingField, "", location: HL7ErrorLocation(segment: "PID", sequence: 1, segmentIndex: 2, field: 3)))
            #expect(error.hl7ErrorCode == .requiredFieldMissing)
            #expect(!error.description.contains("NOBODY"))
        }
    }

    @Test(arguments: [("QRY^A19", HL7MappingError.Code.unsupportedMessageType, HL7ErrorCode.unsupportedMessageType, 1), ("ADT^A99", .unsupportedEvent, .unsupportedEventCode, 2),
                      ("ORU^R30", .unsupportedEvent, .unsupportedEventCode, 2), ("MFN^M02", .unsupportedMessageType, .unsupportedMessageType, 1)])
    func unsupportedTypesAreRejectedWithTheirCode(type: String, code: HL7MappingError.Code, hl7: HL7ErrorCode, component: Int) throws {
        let m = try msg("MSH|^~\\&|A|F|||20240101||\(type)|C|P|2.5.1\rPID|1||1^^^F^MR")
        do {
            _ = try HL7v2Mapper.submission(from: m)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == code)
            #expect(error.hl7ErrorCode == hl7)
            #expect(error.location == HL7ErrorLocation(segment: "MSH", sequence: 1, segmentIndex: 1, field: 9, component: component))
        }
    }
}

@Suite struct TimeReadingTests {
    @Test(arguments: ["2024", "202403", "20240305", "2024030514", "202403051420", "20240305142033", "20240305142033-0500", "202403051420+0130",
                      "20240305142033.1234", "20240305142033.5-0800", "2024030", "20241305", "20240230", "2024030514-05", "20240305+9960", "abcd", " 20240305 "])
    func bytesAndTextPathsAgree(text: String) throws {
        let m = try msg("MSH|^~\\&|A|F|||20240101||ADT^A08|C|P|2.5.1\rPID|1||1^^^F^MR||X^Y||\(text)")
        let value = m.field(segment: 1, field: 7)
        #expect(HL7DataTypes.time(value) == ClinicalTime.parseHL7(text.trimmingCharacters(in: .whitespaces)))
    }
}

@Suite struct NumberReadingTests {
    @Test(arguments: ["105", "5.70", "<2.5", ">= 60", "<=0.01", "-3.5", "+4", "1:40", "abc", "1.2.3", "", " 7 ", ".5", "5.", "-", "<", "1e5", "\\X31\\2"])
    func bytesAndTextPathsAgreeForQuantities(text: String) throws {
        let m = try msg("MSH|^~\\&|A|F|||20240101||ORU^R01|C|P|2.5.1\rOBX|1|NM|X||\(text)")
        let value = m.field(segment: 1, field: 5)
        #expect(HL7DataTypes.quantity(value, unit: "mg") == HL7DataTypes.quantity(value.text, unit: "mg"))
    }

    @Test(arguments: ["70-99", "3.5-5.1", "<200", ">=60", "-2.0-2.0", "1:40", "negative", "", "10 - 20", "\\X37\\0-99"])
    func bytesAndTextPathsAgreeForRanges(text: String) throws {
        let m = try msg("MSH|^~\\&|A|F|||20240101||ORU^R01|C|P|2.5.1\rOBX|1|NM|X||1||\(text)")
        let value = m.field(segment: 1, field: 7)
        let a = HL7DataTypes.range(value, unit: "U/L"), b = HL7DataTypes.range(value.text, unit: "U/L")
        #expect(a.low == b.low)
        #expect(a.high == b.high)
    }
}
