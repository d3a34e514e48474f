import Foundation
import Testing

@testable import Clinical

@Suite struct CodeTests {
    @Test(arguments: [
        ("LN", CodeSystem.loinc), ("2.16.840.1.113883.6.1", CodeSystem.loinc), ("urn:oid:2.16.840.1.113883.6.1", CodeSystem.loinc),
        ("http://loinc.org", CodeSystem.loinc), ("HTTP://LOINC.ORG", CodeSystem.loinc), ("SCT", CodeSystem.snomed),
        ("2.16.840.1.113883.6.96", CodeSystem.snomed), ("I10", CodeSystem.icd10cm), ("CVX", CodeSystem.cvx),
        ("2.16.840.1.113883.12.292", CodeSystem.cvx), ("RXNORM", CodeSystem.rxnorm), ("2.16.840.1.113883.6.88", CodeSystem.rxnorm),
        ("1.2.3.4.5", "urn:oid:1.2.3.4.5"), ("L", "L"), ("http://example.org/codes", "http://example.org/codes"),
    ])
    func codeSystemsAreCanonical(alias: String, canonical: String) {
        #expect(CodeSystem.canonical(alias) == canonical)
    }

    @Test func sameLOINCFromThreeFormatsIsTheSameKey() {
        let v2 = Code(system: "LN", code: "4548-4", display: "Hemoglobin A1c/Hemoglobin.total in Blood")
        let cda = Code(system: "2.16.840.1.113883.6.1", code: "4548-4")
        let fhir = Code(system: "http://loinc.org", code: "4548-4", display: "HbA1c")
        #expect(v2.key == cda.key && cda.key == fhir.key)
        #expect(v2.sharesCoding(with: fhir))
    }

    @Test func translationsAreSearched() {
        let local = Code(system: "urn:oid:2.16.840.1.113883.3.1234.5", code: "A1C", display: "Hgb A1c",
                         translations: [Code(system: "LN", code: "4548-4")])
        #expect(local.loinc == "4548-4")
        #expect(local.allCodings.count == 2)
        #expect(local.sharesCoding(with: Code(system: "http://loinc.org", code: "4548-4")))
        #expect(!local.sharesCoding(with: Code(system: "http://loinc.org", code: "17856-6")))
    }
}

@Suite struct PatientModelTests {
    let source = SourceSystem(facility: "Riverside Community Hospital", application: "EPIC")

    @Test func ssnIsKeptAsDigitsAndCrossOrganizationIdentifiersAreNotRecordKeys() {
        let record = PatientRecord(
            source: source,
            identifiers: [
                PatientIdentifier(value: "RCH0012345", authority: AssigningAuthority(namespace: "RCH", universalID: "2.16.840.1.113883.3.1234", universalIDType: "ISO"), type: "mr"),
                PatientIdentifier(value: "123-45-6789", authority: .ssa, type: "SS"),
                PatientIdentifier(value: "D1234567", authority: AssigningAuthority(namespace: "CA DMV"), type: "DL"),
            ],
            names: [PersonName(use: .maiden, family: "Hart", given: ["Margaret"]), PersonName(family: "Oduya-Hart", given: ["Margaret", "Ann"])],
            ssn: "123-45-6789",
            provenance: Provenance(source: source, format: .hl7v2, messageID: "MSG0001", position: "PID"))
        #expect(record.ssn == "123456789")
        #expect(record.recordKeys.map(\.value) == ["RCH0012345"])
        #expect(record.identifiers[0].type == "MR")
        #expect(record.primaryName?.family == "Oduya-Hart")
        #expect(record.primaryName?.middle == ["Ann"])
    }

    @Test func authorityKeyPrefersUniversalID() {
        let a = AssigningAuthority(namespace: "RCH", universalID: "urn:oid:2.16.840.1.113883.3.1234")
        let b = AssigningAuthority(namespace: "Riverside", universalID: "2.16.840.1.113883.3.1234")
        #expect(a.universalID == "2.16.840.1.113883.3.1234")
        #expect(a.key == b.key)
        #expect(AssigningAuthority(namespace: "rch").key == AssigningAuthority(namespace: "RCH").key)
    }

    @Test func blankValuesBecomeNil() {
        let name = PersonName(family: "  ", given: ["", "Bill", " "], suffix: ["Jr"])
        #expect(name.family == nil)
        #expect(name.given == ["Bill"])
        #expect(name.description == "Bill Jr")
        #expect(PostalAddress(lines: [" "], city: "").isEmpty)
    }

    @Test func submissionRoundTripsThroughJSON() throws {
        let provenance = Provenance(source: source, format: .hl7v2, messageID: "MSG0002", position: "OBR[1]/OBX[1]")
        let patient = PatientRecord(source: source, names: [PersonName(family: "Nguyen", given: ["An"])], birthDate: ClinicalTime(year: 1970, month: 1, day: 2), sex: .female, provenance: provenance.at("PID"))
        let result = Observation(
            code: Code(system: "LN", code: "4548-4"), value: .quantity(Quantity(value: 7.2, unit: "%", text: "7.2")),
            unit: "%", referenceRange: "4.0-5.6", interpretation: ["H"], status: .final,
            effectiveTime: ClinicalTime.parseHL7("20260105083000-0500"), fillerOrderNumber: "F123")
        let submission = Submission(
            format: .hl7v2, source: source, messageID: "MSG0002", messageType: "ORU^R01", patients: [patient],
            facts: [ClinicalFact(subject: 0, body: .result(result), provenance: provenance)])
        let data = try JSONEncoder().encode(submission)
        let decoded = try JSONDecoder().decode(Submission.self, from: data)
        #expect(decoded == submission)
        #expect(decoded.facts(about: 0).first?.body.code?.loinc == "4548-4")
        #expect(decoded.facts.first?.kind == .result)
        #expect(decoded.facts.first?.body.time == result.effectiveTime)
    }

    @Test func resultStatusClassification() {
        #expect(ResultStatus.corrected.isCorrection && ResultStatus.amended.isCorrection)
        #expect(ResultStatus.cancelled.isWithdrawn && ResultStatus.enteredInError.isWithdrawn)
        #expect(!ResultStatus.final.isCorrection && !ResultStatus.final.isWithdrawn)
    }
}
