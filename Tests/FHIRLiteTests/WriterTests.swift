import Clinical
import Foundation
import Testing
@testable import FHIRLite

/// A realistic unified record as the index would hand it to the API: an enterprise patient linked from
/// a hospital lab (HL7 v2), a clinic (C-CDA) and a FHIR app, with facts of every kind and two flags.
enum SampleRecords {
    static let mercy = SourceSystem(facility: "Mercy General Hospital", application: "Epic", facilityID: "2.16.840.1.113883.3.4417")
    static let oakClinic = SourceSystem(facility: "Oak Street Family Clinic", application: "athenahealth")
    static let questLab = SourceSystem(facility: "Quest Diagnostics", facilityID: "http://lab.quest.example.com/fhir")

    static func t(_ text: String) -> ClinicalTime { ClinicalTime.parseISO8601(text) ?? ClinicalTime(year: 1900, precision: .year)! }

    static func patientRecord(_ source: SourceSystem, mrn: String, authority: String, family: String, given: [String], birth: String, ssn: String?, format: SourceFormat) -> PatientRecord {
        PatientRecord(
            source: source,
            identifiers: [PatientIdentifier(value: mrn, authority: AssigningAuthority(namespace: source.application, universalID: authority), type: "MR")],
            names: [PersonName(use: .official, family: family, given: given), PersonName(use: .maiden, family: "O'Neil", given: [given[0]])],
            birthDate: t(birth), sex: .female,
            addresses: [PostalAddress(use: "home", lines: ["412 Birch Ln", "Apt 2B"], city: "Dayton", state: "OH", postalCode: "45402", country: "US")],
            telecoms: [Telecom(system: .phone, value: "(937) 555-0148", use: "mobile"), Telecom(system: .email, value: "m.reyes@example.net")],
            ssn: ssn, mothersMaidenName: "Alvarez", multipleBirth: true, birthOrder: 1,
            race: [Code(system: CodeSystem.raceEthnicity, code: "2106-3", display: "White")],
            ethnicity: [Code(system: CodeSystem.raceEthnicity, code: "2135-2", display: "Hispanic or Latino")],
            language: Code(system: "urn:ietf:bcp:47", code: "es", display: "Spanish"),
            maritalStatus: Code(system: "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", code: "M", display: "Married"),
            generalPractitioner: ProviderReference(identifier: "1548293015", name: "Dr. Alan Grant"),
            provenance: Provenance(source: source, format: format, messageID: "MSG-\(mrn)", position: "PID"))
    }

    static func record(id: String, family: String, given: [String], birth: String, facts: Bool) -> UnifiedRecord {
        let v2 = patientRecord(mercy, mrn: "E\(id)01", authority: "2.16.840.1.113883.3.4417.1", family: family, given: given, birth: birth, ssn: "123-45-67\(id.suffix(2))", format: .hl7v2)
        let ccda = patientRecord(oakClinic, mrn: "OAK-\(id)", authority: "urn:oid:2.16.840.1.113883.19.77", family: family, given: [given[0]], birth: birth, ssn: nil, format: .ccda)
        let fhir = patientRecord(questLab, mrn: "Q\(id)", authority: "http://lab.quest.example.com/patients", family: family, given: given, birth: birth, ssn: nil, format: .fhir)
        var golden = v2
        golden.identifiers = v2.identifiers + ccda.identifiers + fhir.identifiers
        let explanation = MatchExplanation(
            method: "probabilistic", comparisons: [FieldComparison(field: "family", level: "exact", weight: 4.2)], total: 17.3,
            upperThreshold: 12, lowerThreshold: 4, modelVersion: "fs-1", grade: .certain)
        let ep = EnterprisePatient(id: "EP-\(id)", golden: golden, members: [
            LinkedRecord(recordID: "SR-\(id)-1", record: v2, explanation: MatchExplanation(method: "new", grade: .certain)),
            LinkedRecord(recordID: "SR-\(id)-2", record: ccda, explanation: explanation),
            LinkedRecord(recordID: "SR-\(id)-3", record: fhir, explanation: MatchExplanation(method: "sourceMerge", grade: .certain)),
        ])
        guard facts else { return UnifiedRecord(patient: ep, facts: [], flags: []) }

        let oru = Provenance(source: mercy, format: .hl7v2, messageID: "MSG00417", position: "OBR[1]/OBX[2]", recordedAt: t("2024-03-05T14:20:00-05:00"))
        let cda = Provenance(source: oakClinic, format: .ccda, messageID: "2.16.840.1.113883.19.5.99999.1", position: "section[Results]/entry[1]/observation[1]", recordedAt: t("2024-03-07"))
        let bundle = Provenance(source: questLab, format: .fhir, messageID: "bundle-88", position: "urn:uuid:9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
        let a1c = Code(system: CodeSystem.loinc, code: "4548-4", display: "Hemoglobin A1c/Hemoglobin.total in Blood",
                       translations: [Code(system: "LOCAL-LAB", code: "HBA1C", display: "HgbA1c")])
        var facts: [UnifiedFact] = [
            UnifiedFact(id: "F-\(id)-1", body: .result(Observation(
                code: a1c, value: .quantity(Quantity(value: 5.7, unit: "%", text: "5.70")), unit: "%", referenceRange: "4.0-5.6",
                referenceLow: Quantity(value: 4.0, unit: "%", text: "4.0"), referenceHigh: Quantity(value: 5.6, unit: "%", text: "5.6"),
                interpretation: ["H"], status: .final, effectiveTime: t("2024-03-05T08:10:00-05:00"), issued: t("2024-03-05T14:19:52-05:00"),
                category: "laboratory", panel: a1c, placerOrderNumber: "ORD-5521", fillerOrderNumber: "ACC-99812", sourceID: "OBX-2",
                performer: ProviderReference(name: "Mercy Core Lab"), note: "Fasting specimen")), provenances: [oru, cda]),
            UnifiedFact(id: "F-\(id)-2", body: .result(Observation(
                code: Code(system: CodeSystem.loinc, code: "2823-3", display: "Potassium"), value: .quantity(Quantity(value: 3.4, unit: "mmol/L", comparator: "<")),
                status: .corrected, effectiveTime: t("2024-03-06T09:00"))), provenances: [bundle], state: "current",
                history: [.result(Observation(code: Code(system: CodeSystem.loinc, code: "2823-3"), value: .quantity(Quantity(value: 3.1, unit: "mmol/L"))))]),
            UnifiedFact(id: "F-\(id)-3", body: .result(Observation(code: Code(system: CodeSystem.loinc, code: "5778-6", display: "Color of Urine"), value: .text("Amber \"dark\"\nsee note"), status: .final, effectiveTime: t("2024-03"))), provenances: [cda]),
            UnifiedFact(id: "F-\(id)-4", body: .result(Observation(code: Code(system: CodeSystem.loinc, code: "94500-6", display: "SARS-CoV-2 RNA"), value: .coded(Code(system: CodeSystem.snomed, code: "260385009", display: "Negative")), status: .final, effectiveTime: t("2024-01-10"))), provenances: [bundle]),
            UnifiedFact(id: "F-\(id)-5", body: .result(Observation(code: Code(system: CodeSystem.loinc, code: "63586-2"), value: .boolean(false), status: .preliminary)), provenances: [bundle]),
            UnifiedFact(id: "F-\(id)-6", body: .result(Observation(code: Code(system: CodeSystem.loinc, code: "5821-4"), value: .range(low: Quantity(value: 2, unit: "/[HPF]"), high: Quantity(value: 5, unit: "/[HPF]")), status: .amended)), provenances: [oru]),
            UnifiedFact(id: "F-\(id)-7", body: .result(Observation(code: Code(system: CodeSystem.loinc, code: "5370-2"), value: .ratio(numerator: Quantity(value: 1), denominator: Quantity(value: 128)), status: .final)), provenances: [oru]),
            UnifiedFact(id: "F-\(id)-8", body: .result(Observation(code: Code(system: CodeSystem.loinc, code: "11778-8"), value: .time(t("2024-09-01")), status: .enteredInError)), provenances: [oru], state: "withdrawn"),
            UnifiedFact(id: "F-\(id)-9", body: .order(Order(
                code: a1c, status: .new, placerOrderNumber: "ORD-7781", fillerOrderNumber: "LAB-1", orderedAt: t("2024-03-20T10:00:00Z"),
                scheduledFor: t("2024-03-21"), orderingProvider: ProviderReference(identifier: "1548293015", name: "Dr. Alan Grant"),
                priority: "routine", reason: [Code(system: CodeSystem.icd10cm, code: "E11.9", display: "Type 2 diabetes mellitus without complications")])), provenances: [oru]),
            UnifiedFact(id: "F-\(id)-10", body: .problem(Problem(
                code: Code(system: CodeSystem.snomed, code: "44054006", display: "Diabetes mellitus type 2", translations: [Code(system: CodeSystem.icd10cm, code: "E11.9")]),
                status: .active, verification: .confirmed, category: "problem-list-item", onset: t("2019-06"), recordedAt: t("2019-06-14"))), provenances: [cda, bundle]),
            UnifiedFact(id: "F-\(id)-11", body: .problem(Problem(code: Code(system: CodeSystem.snomed, code: "195967001", display: "Asthma"), status: .resolved, verification: .enteredInError, abatement: t("2021"))), provenances: [cda]),
            UnifiedFact(id: "F-\(id)-12", body: .medication(Medication(
                code: Code(system: CodeSystem.rxnorm, code: "860975", display: "metformin 500 MG ER Oral Tablet"), status: .active, dosage: "500 mg by mouth twice daily",
                dose: Quantity(value: 500, unit: "mg"), route: Code(system: CodeSystem.snomed, code: "26643006", display: "Oral route"), frequency: "2 per 1 d",
                start: t("2019-06-14"), prescriber: ProviderReference(name: "Dr. Alan Grant"))), provenances: [cda]),
            UnifiedFact(id: "F-\(id)-13", body: .medication(Medication(code: Code(system: CodeSystem.rxnorm, code: "617310", display: "atorvastatin 20 MG"), status: .cancelled, start: t("2020-01-01"), end: t("2021-01-01"))), provenances: [bundle]),
            UnifiedFact(id: "F-\(id)-14", body: .allergy(Allergy(
                substance: Code(system: CodeSystem.rxnorm, code: "7980", display: "Penicillin G"), type: "allergy", category: "medication",
                reactions: [Code(system: CodeSystem.snomed, code: "247472004", display: "Hives")], severity: "moderate", status: .active, onset: t("2004"))), provenances: [oru, cda]),
            UnifiedFact(id: "F-\(id)-15", body: .allergy(Allergy(substance: Code(system: nil, code: "Shellfish", originalText: "Shellfish"), severity: "high", status: .refuted)), provenances: [cda]),
            UnifiedFact(id: "F-\(id)-16", body: .encounter(Encounter(
                visitNumber: "V-55120", encounterClass: .inpatient, type: Code(system: CodeSystem.snomed, code: "32485007", display: "Hospital admission"),
                status: .finished, start: t("2024-03-01T22:10:00-05:00"), end: t("2024-03-04T11:00:00-05:00"), location: "Mercy 4 East",
                attendingProvider: ProviderReference(name: "Dr. Ellie Sattler"), reason: [Code(system: CodeSystem.snomed, code: "233604007", display: "Pneumonia")],
                dischargeDisposition: "Home")), provenances: [oru]),
            UnifiedFact(id: "F-\(id)-17", body: .encounter(Encounter(encounterClass: .unknown, status: .unknown)), provenances: [cda]),
            UnifiedFact(id: "F-\(id)-18", body: .immunization(Immunization(
                vaccine: Code(system: CodeSystem.cvx, code: "140", display: "Influenza, seasonal, injectable, preservative free"), status: .completed,
                administeredAt: t("2023-10-12T10:30:00-04:00"), lotNumber: "UT7342AA", manufacturer: "Sanofi Pasteur", dose: Quantity(value: 0.5, unit: "mL"),
                route: Code(system: "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration", code: "IM"), site: Code(system: "http://terminology.hl7.org/CodeSystem/v3-ActSite", code: "LA"))), provenances: [bundle]),
            UnifiedFact(id: "F-\(id)-19", body: .immunization(Immunization(vaccine: Code(system: CodeSystem.cvx, code: "208"), status: .notDone, statusReason: Code(system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "PATOBJ"))), provenances: [bundle]),
            UnifiedFact(id: "F-\(id)-20", body: .procedure(Procedure(
                code: Code(system: CodeSystem.cpt, code: "45378", display: "Colonoscopy"), status: .completed, performedAt: t("2023-08-17T09:00:00-04:00"),
                performedEnd: t("2023-08-17T09:40:00-04:00"), performer: ProviderReference(name: "Dr. Ian Malcolm"), bodySite: Code(system: CodeSystem.snomed, code: "71854001", display: "Colon"))), provenances: [cda]),
        ]
        facts.append(UnifiedFact(id: "F-\(id)/21 (dup)", body: .result(Observation(
            code: a1c, value: .quantity(Quantity(value: 5.8, unit: "%")), status: .final, effectiveTime: t("2024-03-19T08:00:00-04:00"))), provenances: [bundle]))
        let flags = [
            DuplicateTestFlag(
                id: "DT-\(id)-1", enterpriseID: ep.id, kind: .repeatedResult, test: a1c, intervalDays: 90, daysApart: 14,
                earlier: FlaggedTest(factID: "F-\(id)-1", code: a1c, time: t("2024-03-05T08:10:00-05:00"), value: "5.70 %", provenance: oru),
                later: FlaggedTest(factID: "F-\(id)/21 (dup)", code: a1c, time: t("2024-03-19T08:00:00-04:00"), value: "5.8 %", provenance: bundle)),
            DuplicateTestFlag(
                id: "DT-\(id)-2", enterpriseID: ep.id, kind: .avoidableOrder, test: a1c, intervalDays: 90, daysApart: 15,
                earlier: FlaggedTest(factID: "F-\(id)-1", code: a1c, time: t("2024-03-05T08:10:00-05:00"), value: "5.70 %", provenance: oru),
                later: FlaggedTest(factID: "F-\(id)-9", code: a1c, time: t("2024-03-20T10:00:00Z"), value: nil, provenance: oru), status: "dismissed"),
        ]
        return UnifiedRecord(patient: ep, facts: facts, flags: flags)
    }

    static var all: [UnifiedRecord] {
        [
            record(id: "1001", family: "Reyes", given: ["María", "José"], birth: "1968-11-02", facts: true),
            record(id: "1002", family: "Whitfield", given: ["Thomas"], birth: "1941-02-28", facts: true),
            record(id: "1003", family: "Nguyễn", given: ["Linh"], birth: "2001-07", facts: false),
        ]
    }
}

struct WriterTests {
    /// Where the export for `scripts/checks/fhir-validate.sh` goes: `$CONCORD_FHIR_OUT`, else
    /// `.build/concord-fhir-out/` of the package this file is in.
    static var outputDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["CONCORD_FHIR_OUT"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/concord-fhir-out")
    }

    @Test func exportsRealisticRecordsForTheValidatorAndTheyReadBack() throws {
        let dir = Self.outputDirectory
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let records = SampleRecords.all
        var files: [String: [UInt8]] = [:]
        for record in records { files["everything-\(record.patient.id).json"] = FHIRWriter.patientEverything(record) }
        files["searchset.json"] = FHIRWriter.searchset(records.map(\.patient), total: 7)
        files["match.json"] = FHIRWriter.matchResults([(records[0].patient, score: 0.97, grade: .certain), (records[1].patient, score: 0.41, grade: .possible)])
        files["patient.json"] = FHIRWriter.patient(records[2].patient)
        files["operation-outcome.json"] = FHIRWriter.operationOutcome([
            FHIRError(code: .wrongType, reason: "expected a string", line: 10, column: 133, offset: 542, path: "entry[1].resource.birthDate"),
            FHIRError(code: .unexpectedEnd, reason: "expected a member name", line: 5, column: 56, offset: 122),
        ])
        files["operation-outcome-not-found.json"] = FHIRWriter.operationOutcome(code: "not-found", diagnostics: "no enterprise patient EP-9")
        for (name, bytes) in files { try Data(bytes).write(to: dir.appendingPathComponent(name)) }
        for (name, bytes) in files {
            #expect(throws: Never.self, "\(name) is valid JSON") { _ = try JSONDocument.parse(bytes) }
        }
    }

    /// A value with quantities reduced to comparator, number and unit (the reader also keeps the text it read).
    static func comparable(_ value: ObservationValue?) -> String {
        func q(_ x: Quantity?) -> String { x.map { "\($0.comparator ?? "")\($0.value) \($0.unit ?? "")" } ?? "-" }
        switch value {
        case .quantity(let x)?: return q(x)
        case .range(let low, let high)?: return q(low) + ".." + q(high)
        case .ratio(let n, let d)?: return q(n) + ":" + q(d)
        default: return value?.description ?? "nil"
        }
    }

    @Test func everythingBundleRoundTripsThroughTheReader() throws {
        let record = SampleRecords.record(id: "1001", family: "Reyes", given: ["María", "José"], birth: "1968-11-02", facts: true)
        let bytes = FHIRWriter.patientEverything(record)
        let result = try FHIRReader.read(bytes)
        #expect(result.problems.isEmpty)
        #expect(result.skipped == ["DetectedIssue": 2, "Provenance": 14])
        let s = try need(result.submissions.first)
        #expect(s.messageType == "Bundle/collection")
        #expect(s.messageID == "everything-EP-1001")
        #expect(s.patients.count == 4)
        let enterprise = s.patients[0]
        #expect(enterprise.identifiers.first == PatientIdentifier(value: "EP-1001", authority: AssigningAuthority(universalID: "urn:concord:enterprise-id")))
        #expect(enterprise.identifiers.dropFirst().prefix(3).map(\.value) == ["E100101", "OAK-1001", "Q1001"])
        #expect(enterprise.identifiers[1].authority.universalID == "2.16.840.1.113883.3.4417.1")
        #expect(enterprise.identifiers[1].authority.namespace == "Epic")
        #expect(enterprise.ssn == "123456701")
        #expect(enterprise.names.first == PersonName(use: .official, family: "Reyes", given: ["María", "José"]))
        #expect(enterprise.birthDate == ClinicalTime(year: 1968, month: 11, day: 2))
        #expect(enterprise.race == record.patient.golden.race)
        #expect(enterprise.ethnicity == record.patient.golden.ethnicity)
        #expect(enterprise.telecoms == record.patient.golden.telecoms)
        #expect(enterprise.addresses == record.patient.golden.addresses)
        #expect(enterprise.multipleBirth == true)
        #expect(enterprise.birthOrder == 1)
        #expect(enterprise.mothersMaidenName == "Alvarez")
        #expect(enterprise.language?.code == "es")
        #expect(s.patients[2].source == SourceSystem(facility: "urn:concord:source:Oak-Street-Family-Clinic", facilityID: "urn:concord:source:Oak-Street-Family-Clinic"))

        #expect(s.facts.count == record.facts.count)
        #expect(s.facts.allSatisfy { $0.subject == 0 })
        #expect(s.facts.map(\.kind) == record.facts.map(\.kind))
        #expect(s.facts.map { $0.body.code?.code } == record.facts.map { $0.body.code?.code })
        // Values and times survive the trip exactly (the quantity keeps its written text "5.70").
        for (read, written) in zip(s.facts, record.facts) {
            switch (read.body, written.body) {
            case (.result(let a), .result(let b)):
                #expect(Self.comparable(a.value) == Self.comparable(b.value))
                #expect(a.status == b.status)
                // A time written without a zone is read back as UTC, the same instant.
                #expect(a.effectiveTime?.instant == b.effectiveTime?.instant)
                // FHIR has no hour- or minute-only dateTime: those are written with seconds.
                #expect(a.effectiveTime?.precision == b.effectiveTime.map { $0.precision == .hour || $0.precision == .minute ? .second : $0.precision })
            case (.medication(let a), .medication(let b)):
                #expect(a.status == b.status)
                #expect(a.start == b.start)
                #expect(a.end == b.end)
            case (.encounter(let a), .encounter(let b)):
                #expect(a.encounterClass == b.encounterClass)
                #expect(a.status == b.status)
                #expect(a.start == b.start)
                #expect(a.location == b.location)
            case (.immunization(let a), .immunization(let b)):
                #expect(a.status == b.status)
                #expect(a.administeredAt == b.administeredAt)
                #expect(a.lotNumber == b.lotNumber)
            case (.problem(let a), .problem(let b)):
                #expect(a.verification == b.verification)
                #expect(a.onset == b.onset)
            case (.allergy(let a), .allergy(let b)):
                #expect(a.status == b.status)
                #expect(a.reactions == b.reactions)
            case (.order(let a), .order(let b)):
                #expect(a.status == b.status)
                #expect(a.placerOrderNumber == b.placerOrderNumber)
                #expect(a.fillerOrderNumber == b.fillerOrderNumber)
            case (.procedure(let a), .procedure(let b)):
                #expect(a.performedAt == b.performedAt)
                #expect(a.performedEnd == b.performedEnd)
            default:
                Issue.record("kinds differ")
            }
        }
        guard case .result(let a1c) = s.facts[0].body else { Issue.record("missing"); return }
        #expect(a1c.code.translations == [Code(system: "LOCAL-LAB", code: "HBA1C", display: "HgbA1c")])
        #expect(a1c.referenceRange == "4.0-5.6")
        #expect(a1c.interpretation == ["H"])
        #expect(a1c.fillerOrderNumber == nil)
        #expect(a1c.issued == ClinicalTime.parseISO8601("2024-03-05T14:19:52-05:00"))
        #expect(a1c.note == "Fasting specimen; panel: Hemoglobin A1c/Hemoglobin.total in Blood")
        #expect(s.facts[0].provenance.position == "http://concord.local/fhir/Observation/F-1001-1")
        // A fact's meta.source (its first provenance's source) becomes the source of what is read back.
        #expect(s.facts[0].provenance.source == SourceSystem(facility: "urn:oid:2.16.840.1.113883.3.4417", facilityID: "urn:oid:2.16.840.1.113883.3.4417"))
        // The enterprise Patient "replaces" the record its source merged (ADT^A40), read back as a merge.
        #expect(s.merges.map(\.survivor) == [0])
        #expect(s.merges.first?.priorIdentifiers.first?.value == "Q1001")
    }

    @Test func everythingBundleCarriesLinksProvenanceAndFlags() throws {
        let record = SampleRecords.record(id: "1002", family: "Whitfield", given: ["Thomas"], birth: "1941-02-28", facts: true)
        let doc = try JSONDocument.parse(FHIRWriter.patientEverything(record))
        let entries = Array(doc.elements(try need(doc.member(0, "entry"))))
        func resource(_ i: Int) throws -> Int { try need(doc.member(entries[i], "resource")) }
        func string(_ node: Int, _ path: [StaticString]) -> String? {
            var n = node
            for key in path {
                guard let next = doc.member(n, key) else { return nil }
                n = next
            }
            return doc.kind(n) == .string ? doc.string(n) : nil
        }
        #expect(doc.string(try need(doc.member(entries[0], "fullUrl"))) == "http://concord.local/fhir/Patient/EP-1002")
        let links = Array(doc.elements(try need(doc.member(try resource(0), "link"))))
        #expect(links.map { string($0, ["other", "reference"]) } == ["Patient/src-SR-1002-1", "Patient/src-SR-1002-2", "Patient/src-SR-1002-3"])
        #expect(links.map { string($0, ["type"]) } == ["seealso", "seealso", "replaces"])
        #expect(string(try resource(1), ["meta", "source"]) == "urn:oid:2.16.840.1.113883.3.4417")
        let back = try need(Array(doc.elements(try need(doc.member(try resource(1), "link")))).first)
        #expect(string(back, ["type"]) == "refer")
        #expect(string(back, ["other", "reference"]) == "Patient/EP-1002")

        let types = try entries.indices.map { string(try resource($0), ["resourceType"]) ?? "" }
        #expect(types.filter { $0 == "Patient" }.count == 4)
        #expect(types.filter { $0 == "Provenance" }.count == 14)
        #expect(types.filter { $0 == "DetectedIssue" }.count == 2)
        // The first fact: meta.source of its first provenance, one tag per provenance, then its Provenance resource.
        let a1c = try resource(4)
        #expect(string(a1c, ["meta", "source"]) == "urn:oid:2.16.840.1.113883.3.4417")
        let tags = Array(doc.elements(try need(doc.member(try need(doc.member(a1c, "meta")), "tag"))))
        #expect(tags.map { string($0, ["display"]) } == [
            "Epic@Mercy General Hospital hl7v2 MSG00417 @OBR[1]/OBX[2]",
            "athenahealth@Oak Street Family Clinic ccda 2.16.840.1.113883.19.5.99999.1 @section[Results]/entry[1]/observation[1]",
            nil,
        ])
        let provenance = try resource(5)
        #expect(string(provenance, ["resourceType"]) == "Provenance")
        #expect(string(provenance, ["recorded"]) == "2024-03-05T14:20:00-05:00")
        #expect(string(try need(doc.elements(try need(doc.member(provenance, "target"))).first(where: { _ in true })), ["reference"]) == "Observation/F-1002-1")

        let issue = try resource(entries.count - 1)
        #expect(string(issue, ["resourceType"]) == "DetectedIssue")
        #expect(string(issue, ["status"]) == "cancelled")
        let flagged = try resource(entries.count - 2)
        #expect(string(flagged, ["status"]) == "final")
        #expect(string(flagged, ["detail"]) == "Hemoglobin A1c/Hemoglobin.total in Blood repeated 14.0 days apart, inside its minimum retest interval of 90 days: first 2024-03-05T08:10:00-05:00 at Mercy General Hospital (value 5.70 %), then 2024-03-19T08:00:00-04:00 at Quest Diagnostics (value 5.8 %).")
        let implicated = Array(doc.elements(try need(doc.member(flagged, "implicated"))))
        #expect(implicated.map { string($0, ["reference"]) } == ["Observation/F-1002-1", "Observation/F-1002-21--dup-"])
    }

    @Test func lonePatientIsExact() {
        let golden = PatientRecord(
            source: SampleRecords.mercy, identifiers: [PatientIdentifier(value: "E1", authority: AssigningAuthority(universalID: "2.16.840.1.113883.3.4417.1"), type: "MR")],
            names: [PersonName(family: "Ito", given: ["Ken"])], birthDate: ClinicalTime(year: 1970, month: 1, day: 2), sex: .male,
            provenance: Provenance(source: SampleRecords.mercy, format: .hl7v2))
        let ep = EnterprisePatient(id: "EP-7", golden: golden, members: [])
        let text = String(decoding: FHIRWriter.patient(ep), as: UTF8.self)
        #expect(text == #"{"resourceType":"Patient","id":"EP-7","identifier":[{"use":"official","system":"urn:concord:enterprise-id","value":"EP-7"},{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},"system":"urn:oid:2.16.840.1.113883.3.4417.1","value":"E1"}],"active":true,"name":[{"use":"official","family":"Ito","given":["Ken"]}],"gender":"male","birthDate":"1970-01-02"}"#)
    }

    @Test func matchResultsCarryScoreAndGrade() throws {
        let record = SampleRecords.record(id: "1003", family: "Nguyễn", given: ["Linh"], birth: "2001-07", facts: false)
        let doc = try JSONDocument.parse(FHIRWriter.matchResults([(record.patient, score: 0.83, grade: .probable)]))
        let entry = try need(doc.elements(try need(doc.member(0, "entry"))).first(where: { _ in true }))
        let search = try need(doc.member(entry, "search"))
        #expect(doc.numberText(try need(doc.member(search, "score"))) == "0.83")
        let ext = try need(doc.elements(try need(doc.member(search, "extension"))).first(where: { _ in true }))
        #expect(doc.string(try need(doc.member(ext, "valueCode"))) == "probable")
        #expect(doc.string(try need(doc.member(ext, "url"))) == "http://hl7.org/fhir/StructureDefinition/match-grade")
        #expect(doc.string(try need(doc.member(0, "type"))) == "searchset")
    }

    @Test func operationOutcomeIsExact() {
        let text = String(decoding: FHIRWriter.operationOutcome(code: "not-found", diagnostics: "no enterprise patient EP-9"), as: UTF8.self)
        #expect(text == #"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found","diagnostics":"no enterprise patient EP-9"}]}"#)
        let fromErrors = String(decoding: FHIRWriter.operationOutcome([FHIRError(code: .wrongType, reason: "expected a string", line: 10, column: 133, offset: 542, path: "entry[1].resource.birthDate")]), as: UTF8.self)
        #expect(fromErrors == #"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"structure","details":{"coding":[{"system":"urn:concord:fhir-error","code":"wrongType"}]},"diagnostics":"FHIRError.wrongType at line 10, column 133 (offset 542), entry[1].resource.birthDate: expected a string","expression":["entry[1].resource.birthDate"]}]}"#)
    }

    @Test("FHIR ids are made safe", arguments: [
        ("EP-1", "EP-1"), ("F-1/21 (dup)", "F-1-21--dup-"), ("", "x"), ("é", "--"),
        (String(repeating: "a", count: 70), String(repeating: "a", count: 55) + "-8863accb"),
    ])
    func fhirIDs(_ raw: String, _ expected: String) {
        #expect(FHIRWriter.fhirID(raw) == expected)
    }
}

struct WriterEdgeTests {
    @Test func nameUsesMapToFHIRCodesAndBack() throws {
        let golden = PatientRecord(
            source: SampleRecords.mercy,
            names: [
                PersonName(use: .official, family: "Okafor", given: ["Chidi"]), PersonName(use: .temporary, family: "Doe", given: ["Trauma"]),
                PersonName(use: .alias, family: "Oak", given: ["Chad"]), PersonName(use: .unknown, family: "Okafor", given: ["C"]),
            ],
            provenance: Provenance(source: SampleRecords.mercy, format: .hl7v2))
        let bytes = FHIRWriter.patient(EnterprisePatient(id: "EP-2", golden: golden, members: []))
        let doc = try JSONDocument.parse(bytes)
        let uses = doc.elements(try need(doc.member(0, "name"))).map { n in doc.member(n, "use").map { doc.string($0) } }
        #expect(uses == ["official", "temp", "usual", nil])
        let read = try need(try FHIRReader.read(bytes).submissions.first?.patients.first)
        #expect(read.names.map(\.use) == [.official, .temporary, .usual, .official])
    }

    @Test func anEmptyRequiredConceptKeepsText() {
        let record = UnifiedRecord(
            patient: EnterprisePatient(id: "EP-3", golden: PatientRecord(source: SampleRecords.oakClinic, provenance: Provenance(source: SampleRecords.oakClinic, format: .ccda)), members: []),
            facts: [UnifiedFact(id: "F-1", body: .result(Observation(code: Code(system: nil, code: ""), value: .text("see report"))), provenances: [])],
            flags: [])
        let text = String(decoding: FHIRWriter.patientEverything(record), as: UTF8.self)
        #expect(text.contains(#""code":{"text":"unknown"}"#))
    }
}
