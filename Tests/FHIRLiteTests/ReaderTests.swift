import Clinical
import Testing
@testable import FHIRLite

struct ReaderTests {
    @Test func syntheaTransactionBundleMapsThePatientAndEveryFact() throws {
        let result = try FHIRReader.read(try Fixture.bytes("pass/synthea-bundle.json"))
        #expect(result.submissions.count == 1)
        #expect(result.skipped == ["Claim": 1, "ExplanationOfBenefit": 1])
        #expect(result.problems.isEmpty)
        #expect(result.resourceCount == 13)
        let s = try #require(result.submissions.first)
        #expect(s.source == SourceSystem(facility: "BAYSTATE MEDICAL CENTER", facilityID: "b3221cfc-24fb-339e-823d-bc4136cbc4ed"))
        #expect(s.messageType == "Bundle/transaction")
        #expect(s.messageID == nil)
        #expect(s.patients.count == 1)

        let p = try #require(s.patients.first)
        #expect(p.identifiers == [
            PatientIdentifier(value: "8c95253e-8ee8-9ae8-6d40-021d702dc78e", authority: AssigningAuthority(universalID: "https://github.com/synthetichealth/synthea")),
            PatientIdentifier(value: "8c95253e-8ee8-9ae8-6d40-021d702dc78e", authority: AssigningAuthority(universalID: "http://hospital.smarthealthit.org"), type: "MR"),
            PatientIdentifier(value: "S99936492", authority: AssigningAuthority(universalID: "2.16.840.1.113883.4.3.25"), type: "DL"),
            PatientIdentifier(value: "8c95253e-8ee8-9ae8-6d40-021d702dc78e", authority: AssigningAuthority(namespace: "FHIR:BAYSTATE MEDICAL CENTER"), type: "RI"),
        ])
        #expect(p.ssn == "999649173")
        #expect(p.names == [
            PersonName(use: .official, family: "Hagenes", given: ["Marisol", "Ana"], prefix: ["Mrs."]),
            PersonName(use: .maiden, family: "Kub", given: ["Marisol"], prefix: ["Ms."]),
        ])
        #expect(p.birthDate == ClinicalTime(year: 1978, month: 4, day: 12))
        #expect(p.sex == .female)
        #expect(p.addresses == [PostalAddress(lines: ["1015 Ledner Ramp Unit 42"], city: "Springfield", state: "MA", postalCode: "01104", country: "US")])
        #expect(p.telecoms == [Telecom(system: .phone, value: "555-271-3361", use: "home")])
        #expect(p.race.map(\.code) == ["2106-3"])
        #expect(p.race.first?.system == CodeSystem.raceEthnicity)
        #expect(p.ethnicity.map(\.code) == ["2186-5"])
        #expect(p.mothersMaidenName == "Zella Kub")
        #expect(p.multipleBirth == false)
        #expect(p.language?.code == "en-US")
        #expect(p.maritalStatus?.code == "M")
        #expect(p.provenance.position == "urn:uuid:8c95253e-8ee8-9ae8-6d40-021d702dc78e")

        #expect(s.facts.map(\.kind) == [.encounter, .problem, .result, .result, .result, .medication, .immunization, .procedure])
        #expect(s.facts.allSatisfy { $0.subject == 0 && $0.provenance.format == .fhir })

        guard case .encounter(let e) = s.facts[0].body else { Issue.record("not an encounter"); return }
        #expect(e.encounterClass == .outpatient)
        #expect(e.status == .finished)
        #expect(e.start == ClinicalTime.parseISO8601("2023-05-02T09:14:07-04:00"))
        #expect(e.end == ClinicalTime.parseISO8601("2023-05-02T09:29:07-04:00"))
        #expect(e.type?.code == "185349003")
        #expect(e.attendingProvider == ProviderReference(identifier: "9999950602", name: "Dr. Eldon Wunsch504"))

        guard case .problem(let c) = s.facts[1].body else { Issue.record("not a problem"); return }
        #expect(c.code == Code(system: CodeSystem.snomed, code: "444814009", display: "Viral sinusitis (disorder)", originalText: "Viral sinusitis (disorder)"))
        #expect(c.status == .resolved)
        #expect(c.verification == .confirmed)
        #expect(c.category == "encounter-diagnosis")
        #expect(c.abatement == ClinicalTime.parseISO8601("2023-05-16T09:14:07-04:00"))

        // Blood pressure: no value of its own, so its two components become observations in its panel.
        guard case .result(let diastolic) = s.facts[2].body, case .result(let systolic) = s.facts[3].body else { Issue.record("not results"); return }
        #expect(diastolic.code.code == "8462-4")
        #expect(diastolic.value == .quantity(Quantity(value: 82, unit: "mm[Hg]", text: "82")))
        #expect(diastolic.panel?.code == "85354-9")
        #expect(diastolic.sourceID == "c0a1b2c3-0001-4f00-8000-000000000001#component[0]")
        #expect(systolic.code.code == "8480-6")
        #expect(systolic.interpretation == ["H"])
        #expect(systolic.category == "vital-signs")
        #expect(systolic.issued == ClinicalTime.parseISO8601("2023-05-02T09:14:07.744-04:00"))

        // Glucose: a result of the DiagnosticReport, so it carries the panel and the accession.
        guard case .result(let glucose) = s.facts[4].body else { Issue.record("not a result"); return }
        #expect(glucose.value == .quantity(Quantity(value: 94.6, unit: "mg/dL", text: "94.60")))
        #expect(glucose.unit == "mg/dL")
        #expect(glucose.referenceRange == "70-99")
        #expect(glucose.referenceLow == Quantity(value: 70, unit: "mg/dL", text: "70"))
        #expect(glucose.interpretation == ["N"])
        #expect(glucose.panel?.code == "51990-0")
        #expect(glucose.fillerOrderNumber == "ACC-20230502-0042")

        guard case .medication(let m) = s.facts[5].body else { Issue.record("not a medication"); return }
        #expect(m.code.code == "314076")
        #expect(m.code.system == CodeSystem.rxnorm)
        #expect(m.status == .active)
        #expect(m.dosage == "Take 1 tablet by mouth once daily")
        #expect(m.dose == Quantity(value: 1, unit: "tablet", text: "1"))
        #expect(m.route?.code == "26643006")
        #expect(m.frequency == "1 per 1 d")
        #expect(m.prescriber?.name == "Dr. Eldon Wunsch504")

        guard case .immunization(let i) = s.facts[6].body else { Issue.record("not an immunization"); return }
        #expect(i.vaccine.code == "140")
        #expect(i.vaccine.system == CodeSystem.cvx)
        #expect(i.lotNumber == "UT7342AA")
        #expect(i.status == .completed)

        guard case .procedure(let pr) = s.facts[7].body else { Issue.record("not a procedure"); return }
        #expect(pr.performedEnd == ClinicalTime.parseISO8601("2023-05-02T09:29:07-04:00"))
    }

    @Test func usCorePatientReadsExtensionsDeceasedMultipleBirthAndMetaSource() throws {
        let result = try FHIRReader.read(try Fixture.bytes("pass/uscore-patient.json"))
        let s = try #require(result.submissions.first)
        #expect(s.source == SourceSystem(facility: "Saint Luke's Clinic"))
        #expect(s.messageID == "example")
        #expect(s.messageType == "Patient")
        let p = try #require(s.patients.first)
        #expect(p.identifiers.first == PatientIdentifier(value: "12345", authority: AssigningAuthority(namespace: "Acme Healthcare", universalID: "urn:oid:1.2.36.146.595.217.0.1"), type: "MR"))
        #expect(p.identifiers.first?.authority.universalID == "1.2.36.146.595.217.0.1")
        #expect(p.ssn == "444222222")
        #expect(p.names == [
            PersonName(use: .official, family: "Shaw", given: ["Amy", "V."], suffix: ["Jr"]),
            PersonName(use: .nickname, family: nil, given: ["Ames"]),
        ])
        #expect(p.race.map(\.code) == ["2106-3", "1002-5", "1586-7"])
        #expect(p.ethnicity.map(\.code) == ["2135-2"])
        // No gender element: the US Core birth sex fills in.
        #expect(p.sex == .male)
        #expect(p.deceased == true)
        #expect(p.deceasedTime == ClinicalTime.parseISO8601("2021-03-14T02:10:00-05:00"))
        #expect(p.multipleBirth == true)
        #expect(p.birthOrder == 2)
        #expect(p.language?.code == "es")
        #expect(p.telecoms == [Telecom(system: .phone, value: "555-555-5555", use: "home"), Telecom(system: .email, value: "amy.shaw@example.com")])
        #expect(p.addresses.first?.lines == ["49 Meadow St", "Apt 3"])
        #expect(p.addresses.first?.district == "Creek County")
        #expect(p.generalPractitioner == ProviderReference(name: "Ronald Bone, MD"))
    }

    @Test func bundleMetaSourceWinsOverOrganizations() throws {
        let bytes = Array(#"{"resourceType":"Bundle","type":"collection","meta":{"source":"http://lab.quest.example.com/fhir"},"entry":[{"resource":{"resourceType":"Organization","name":"Other"}},{"resource":{"resourceType":"Patient","id":"a","name":[{"family":"Ito"}]}}]}"#.utf8)
        let s = try #require(try FHIRReader.read(bytes).submissions.first)
        #expect(s.source == SourceSystem(facility: "http://lab.quest.example.com/fhir", facilityID: "http://lab.quest.example.com/fhir"))
    }

    @Test func callerDefaultSourceIsUsedWhenTheInputNamesNone() throws {
        let bytes = Array(#"{"resourceType":"Patient","id":"a","name":[{"family":"Ito"}]}"#.utf8)
        let fallback = SourceSystem(facility: "Northside Clinic", application: "athenahealth")
        let s = try #require(try FHIRReader.read(bytes, defaultSource: fallback).submissions.first)
        #expect(s.source == fallback)
        #expect(s.patients.first?.source == fallback)
        #expect(s.patients.first?.identifiers == [PatientIdentifier(value: "a", authority: AssigningAuthority(namespace: "FHIR:Northside Clinic"), type: "RI")])
    }

    @Test func everyReferenceFormResolves() throws {
        let result = try FHIRReader.read(try Fixture.bytes("pass/references.json"))
        #expect(result.problems.isEmpty)
        let s = try #require(result.submissions.first)
        #expect(s.source == SourceSystem(facility: "Riverside Family Medicine", facilityID: "1144221847"))
        #expect(s.messageID == "bundle-references-01")
        #expect(s.createdAt == ClinicalTime.parseISO8601("2024-03-05T14:20:00-05:00"))
        #expect(s.patients.map { $0.names.first?.family } == ["Okafor", "Lindqvist", nil])
        // A subject given only by identifier becomes a record with that identifier.
        #expect(s.patients[2].identifiers == [PatientIdentifier(value: "RV-200001", authority: AssigningAuthority(universalID: "http://ehr.riverside.example.org/mrn"))])
        let bySource = Dictionary(uniqueKeysWithValues: s.facts.map { ($0.provenance.position ?? "", $0) })
        let base = "http://ehr.riverside.example.org/fhir/"
        // Relative Type/id, absolute URL and Type/id/_history/n all reach pat-1 (index 0).
        #expect(bySource[base + "Observation/obs-relative"]?.subject == 0)
        #expect(bySource[base + "Observation/obs-absolute"]?.subject == 0)
        #expect(bySource[base + "Observation/obs-history"]?.subject == 0)
        // urn:uuid reaches the second patient.
        #expect(bySource["urn:uuid:4b6e0f0e-2f6a-4b8a-9d51-8a3c9e0b7c21"]?.subject == 1)
        #expect(bySource[base + "Procedure/proc-identifier-subject"]?.subject == 2)

        guard case .result(let potassium)? = bySource[base + "Observation/obs-relative"]?.body else { Issue.record("missing"); return }
        #expect(potassium.performer == ProviderReference(identifier: "1992736450", name: "Dr. Nisha Patel"))
        // Contained Medication (#med1) and bundled Medication (Medication/atorva).
        guard case .medication(let contained)? = bySource[base + "MedicationRequest/medrx-contained"]?.body,
            case .medication(let bundled)? = bySource[base + "MedicationStatement/medstmt-bundled"]?.body
        else { Issue.record("missing"); return }
        #expect(contained.code.code == "860975")
        #expect(contained.prescriber?.identifier == "1992736450")
        #expect(bundled.code.code == "617310")
        #expect(bundled.start == ClinicalTime(year: 2022, month: 11, day: 1))
        #expect(bundled.end == ClinicalTime(year: 2024, month: 11, day: 1))
        #expect(bundled.dose == Quantity(value: 20, unit: "mg", text: "20"))
        // A DiagnosticReport's contained Observation (#hb) is a fact in the report's panel.
        guard case .result(let hb)? = bySource[base + "DiagnosticReport/dr-contained"]?.body else { Issue.record("missing"); return }
        #expect(hb.code.code == "718-7")
        #expect(hb.panel?.code == "58410-2")
        #expect(hb.fillerOrderNumber == "LAB-88231")
        guard case .problem(let diabetes)? = bySource["urn:uuid:4b6e0f0e-2f6a-4b8a-9d51-8a3c9e0b7c21"]?.body else { Issue.record("missing"); return }
        #expect(diabetes.onset == ClinicalTime(year: 2019, month: 6, precision: .month))
        #expect(diabetes.status == .unknown)
        guard case .allergy(let penicillin)? = bySource[base + "AllergyIntolerance/allergy-1"]?.body else { Issue.record("missing"); return }
        #expect(penicillin.substance.code == "7980")
        #expect(penicillin.reactions.map(\.code) == ["247472004"])
        #expect(penicillin.severity == "moderate")
        #expect(penicillin.category == "medication")
        #expect(penicillin.onset == ClinicalTime(year: 2004, precision: .year))
        guard case .encounter(let stay)? = bySource[base + "Encounter/enc-1"]?.body else { Issue.record("missing"); return }
        #expect(stay.visitNumber == "V-55120")
        #expect(stay.encounterClass == .inpatient)
        #expect(stay.location == "Ward 4 East")
        #expect(stay.attendingProvider?.name == "Dr. Nisha Patel")
        #expect(stay.reason.map(\.code) == ["233604007"])
        #expect(stay.dischargeDisposition == "Home")
        guard case .order(let order)? = bySource[base + "ServiceRequest/sr-1"]?.body else { Issue.record("missing"); return }
        #expect(order.placerOrderNumber == "ORD-7781")
        #expect(order.fillerOrderNumber == "LAB-99120")
        #expect(order.status == .inProgress)
        #expect(order.priority == "routine")
        #expect(order.scheduledFor == ClinicalTime(year: 2024, month: 3, day: 12))
        #expect(order.reason.map(\.code) == ["E11.9"])
    }

    @Test func everyObservationValueTypeAndEffectiveTypeMaps() throws {
        let result = try FHIRReader.read(try Fixture.bytes("pass/values.json"))
        #expect(result.problems.isEmpty)
        let s = try #require(result.submissions.first)
        let observations: [Observation] = s.facts.compactMap { if case .result(let o) = $0.body { return o } else { return nil } }
        #expect(observations.count == 12)
        #expect(observations.map(\.value) == [
            .quantity(Quantity(value: 7.25, unit: "%", comparator: "<", text: "7.25")),
            .coded(Code(system: CodeSystem.snomed, code: "260385009", display: "Negative", originalText: "Negative")),
            .text("Clear yellow urine"),
            .boolean(true),
            .quantity(Quantity(value: 3, text: "3")),
            .range(low: Quantity(value: 2, unit: "/[HPF]", text: "2"), high: Quantity(value: 5, unit: "/[HPF]", text: "5")),
            .ratio(numerator: Quantity(value: 1, text: "1"), denominator: Quantity(value: 128, text: "128")),
            .text("2 4 8 16"),
            .text("06:30:00"),
            .time(try #require(ClinicalTime.parseISO8601("2024-02-29T23:59:00+09:00"))),
            .text("2024-01-01/2024-01-07"),
            nil,
        ])
        #expect(observations.map(\.status) == [.corrected, .amended, .final, .preliminary, .final, .final, .final, .final, .registered, .cancelled, .enteredInError, .final])
        #expect(observations[0].effectiveTime == ClinicalTime.parseISO8601("2024-03-05T10:15:30.250Z"))
        #expect(observations[1].effectiveTime == ClinicalTime.parseISO8601("2024-03-05T10:00:00Z"))
        #expect(observations[2].effectiveTime == ClinicalTime.parseISO8601("2024-03-06T07:00:00Z"))
        #expect(observations[3].effectiveTime == ClinicalTime(year: 2024, month: 3, day: 5))
        #expect(observations[11].note == "Specimen hemolyzed; data absent: Error")
        #expect(s.messageType == "Bundle/searchset")
    }

    @Test func messageBundleTakesItsSourceFromTheMessageHeader() throws {
        let result = try FHIRReader.read(try Fixture.bytes("pass/message-adt.json"))
        let s = try #require(result.submissions.first)
        #expect(s.source == SourceSystem(facility: "Lakeside Regional Hospital", application: "Meditech Expanse", facilityID: "urn:oid:2.16.840.1.113883.3.72.5.20"))
        #expect(s.messageType == "Bundle/message")
        #expect(s.createdAt == ClinicalTime.parseISO8601("2024-03-05T16:45:12+00:00"))
        #expect(result.skipped.isEmpty)
        #expect(s.patients.first?.multipleBirth == true)
        guard case .encounter(let e)? = s.facts.first?.body else { Issue.record("missing"); return }
        #expect(e.encounterClass == .emergency)
        #expect(e.status == .arrived)
    }

    @Test func documentBundleTakesItsSourceFromTheCompositionCustodian() throws {
        let result = try FHIRReader.read(try Fixture.bytes("pass/document-ccd.json"))
        let s = try #require(result.submissions.first)
        #expect(s.source == SourceSystem(facility: "Pacific Valley Health"))
        #expect(s.messageID == "doc-ccd-5521")
        guard case .allergy(let a)? = s.facts.first?.body else { Issue.record("missing"); return }
        #expect(a.status == .refuted)
        #expect(a.substance == Code(system: nil, code: "Shellfish", originalText: "Shellfish"))
    }

    @Test func partialBundleKeepsGoodEntriesAndReportsBadOnesWithPaths() throws {
        let result = try FHIRReader.read(try Fixture.bytes("fail/partial-bundle.json"))
        let s = try #require(result.submissions.first)
        #expect(s.patients.map { $0.names.first?.family } == ["Quispe"])
        #expect(s.facts.count == 1)
        #expect(s.facts.first?.provenance == Provenance(
            source: SourceSystem(facility: "urn:oid:2.16.840.1.113883.3.9921", facilityID: "urn:oid:2.16.840.1.113883.3.9921"),
            format: .fhir, messageID: "partial-7", position: "urn:uuid:aaaaaaaa-0000-4000-8000-000000000004"))
        let problems = result.problems.map { [$0.code.description, $0.path ?? "", "\($0.line):\($0.column)@\($0.offset)"] }
        #expect(problems == [
            ["wrongType", "entry[1].resource.birthDate", "10:133@542"],
            ["wrongType", "entry[2].resource.valueQuantity.value", "13:110@886"],
            ["invalidValue", "entry[4].resource.onsetDateTime", "19:100@1526"],
            ["unresolvedSubject", "entry[5].resource.subject", "22:19@1737"],
            ["missingElement", "entry[6].resource", "23:18@1840"],
            ["wrongType", "entry[7]", "24:5@1864"],
        ])
        #expect(s.notes.filter { $0.severity == .warning }.count == 6)
    }

    @Test func truncatedBundleThrowsWithPosition() throws {
        do {
            _ = try FHIRReader.read(try Fixture.bytes("fail/truncated.json"))
            Issue.record("expected an error")
        } catch let error as FHIRError {
            #expect(error.code == .unexpectedEnd)
            #expect(error.line == 5)
            #expect(error.column == 56)
            #expect(error.offset == 122)
        }
    }

    @Test func nonResourceJSONIsNotFHIR() {
        for text in [#"[1,2]"#, #"{"id":"x"}"#] {
            #expect(throws: FHIRError(code: .notFHIR, reason: "", line: 0, column: 0, offset: 0)) { try FHIRReader.read(Array(text.utf8)) }
        }
        #expect(throws: FHIRError(code: .wrongType, reason: "", line: 0, column: 0, offset: 0)) {
            try FHIRReader.read(Array(#"{"resourceType":7}"#.utf8))
        }
    }

    @Test func unknownResourceAloneGivesNoSubmissionAndIsCounted() throws {
        let result = try FHIRReader.read(Array(#"{"resourceType":"Basic","id":"b1","code":{"text":"x"}}"#.utf8))
        #expect(result.submissions.isEmpty)
        #expect(result.skipped == ["Basic": 1])
    }

    @Test func observationWithoutSubjectInASinglePatientBundleBelongsToThatPatient() throws {
        let bytes = Array(#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p"}},{"resource":{"resourceType":"Observation","status":"final","code":{"text":"Weight"},"valueQuantity":{"value":70.2,"unit":"kg"}}}]}"#.utf8)
        let s = try #require(try FHIRReader.read(bytes).submissions.first)
        #expect(s.facts.map(\.subject) == [0])
    }

    @Test func invalidUTF8InAResourceIsAnErrorNotACrash() {
        var bytes = Array(#"{"resourceType":"Patient","name":[{"family":"Ma"#.utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array(#"r"}]}"#.utf8)
        #expect(throws: FHIRError(code: .invalidUTF8, reason: "", line: 0, column: 0, offset: 0)) { try FHIRReader.read(bytes) }
    }
}

struct PatientLinkTests {
    @Test func replacesAndReplacedByLinksBecomeMerges() throws {
        let bytes = Array("""
        {"resourceType":"Bundle","id":"merge-1","type":"collection","meta":{"source":"http://ehr.northwind.example.org/fhir"},"entry":[
         {"fullUrl":"http://ehr.northwind.example.org/fhir/Patient/keep","resource":{"resourceType":"Patient","id":"keep",
           "identifier":[{"system":"http://ehr.northwind.example.org/mrn","value":"NW-1001"}],
           "link":[{"other":{"reference":"Patient/old"},"type":"replaces"},{"other":{"reference":"Patient/elsewhere"},"type":"replaces"},
                   {"other":{"reference":"Patient/cousin"},"type":"seealso"}]}},
         {"fullUrl":"http://ehr.northwind.example.org/fhir/Patient/old","resource":{"resourceType":"Patient","id":"old","active":false,
           "identifier":[{"system":"http://ehr.northwind.example.org/mrn","value":"NW-0977"}],
           "link":[{"other":{"reference":"Patient/keep"},"type":"replaced-by"}]}}
        ]}
        """.utf8)
        let s = try #require(try FHIRReader.read(bytes).submissions.first)
        let mrn = AssigningAuthority(universalID: "http://ehr.northwind.example.org/mrn")
        let fhirID = AssigningAuthority(namespace: "FHIR:http://ehr.northwind.example.org/fhir")
        #expect(s.patients.map { $0.identifiers.first?.value } == ["NW-1001", "NW-0977", "elsewhere"])
        #expect(s.merges.map(\.survivor) == [0, 0])
        #expect(s.merges.map(\.priorIdentifiers) == [
            [PatientIdentifier(value: "NW-0977", authority: mrn), PatientIdentifier(value: "old", authority: fhirID, type: "RI")],
            [PatientIdentifier(value: "elsewhere", authority: fhirID, type: "RI")],
        ])
        #expect(s.merges.first?.provenance.position == "http://ehr.northwind.example.org/fhir/Patient/keep")
    }
}
