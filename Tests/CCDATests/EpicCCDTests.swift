import CCDA
import Clinical
import Testing

/// The Epic-shaped CCD: every header field and every section, exact values.
@Suite struct EpicCCDTests {
    let doc: CCDADocument

    init() throws { doc = try Fixture.read("pass/epic_ccd.xml") }

    @Test func headerNamesTheDocumentAndTheCustodianAsSource() {
        let s = doc.submission
        #expect(s.format == .ccda)
        #expect(s.messageID == "1.2.840.114350.1.13.861.1.7.8.688883.125734^J8a2Lp9")
        #expect(s.messageType == "34133-9")
        #expect(s.createdAt == ymdhms(2024, 3, 15, 14, 22, 33, offset: -300))
        #expect(s.source == SourceSystem(facility: "Community Health and Hospitals", application: "Epic - Version 10.3", facilityID: "1.2.840.114350.1.13.861"))
        #expect(doc.documentType == Code(system: loinc, code: "34133-9", display: "Summarization of Episode Note"))
        #expect(doc.title == "Continuity of Care Document")
        #expect(doc.custodian == CCDAOrganization(name: "Community Health and Hospitals", idRoot: "1.2.840.114350.1.13.861"))
        #expect(doc.authorOrganization == CCDAOrganization(name: "Riverside Medical Group", idRoot: "1.2.840.114350.1.13.861.1.7.2.696570"))
    }

    @Test func patientIdentifiersKeepAuthorityAndMoveSSN() throws {
        let p = try #require(doc.submission.patients.first)
        #expect(doc.submission.patients.count == 1)
        #expect(p.identifiers == [PatientIdentifier(value: "E4411201", authority: AssigningAuthority(namespace: "EPI", universalID: "1.2.840.114350.1.13.861.1.7.5.737384.14"))])
        #expect(p.ssn == "123456789")
        #expect(p.provenance.position == "recordTarget[1]/patientRole")
        #expect(p.provenance.messageID == doc.submission.messageID)
    }

    @Test func patientDemographics() throws {
        let p = try #require(doc.submission.patients.first)
        #expect(p.names == [
            PersonName(use: .official, family: "Jones", given: ["Isabella", "Isa"], prefix: ["Ms."], suffix: ["Jr."]),
            PersonName(use: .nickname, family: "Jones", given: ["Izzy"]),
        ])
        #expect(p.sex == .female)
        #expect(p.birthDate == ymd(1975, 5, 1))
        #expect(p.addresses == [PostalAddress(use: "home", lines: ["1357 Amber Dr", "Apt 4B"], city: "Beaverton", state: "OR", postalCode: "97006", country: "US")])
        #expect(p.telecoms == [
            Telecom(system: .phone, value: "+1(555)723-1544", use: "home"),
            Telecom(system: .phone, value: "+1(555)777-1234", use: "mobile"),
            Telecom(system: .email, value: "isabella.jones@example.com", use: "work"),
        ])
        #expect(p.race == [
            Code(system: "2.16.840.1.113883.6.238", code: "2106-3", display: "White"),
            Code(system: "2.16.840.1.113883.6.238", code: "2076-8", display: "Native Hawaiian or Other Pacific Islander"),
        ])
        #expect(p.ethnicity == [Code(system: "2.16.840.1.113883.6.238", code: "2186-5", display: "Not Hispanic or Latino")])
        #expect(p.language == Code(system: "urn:ietf:bcp:47", code: "en"))
        #expect(p.maritalStatus == Code(system: "2.16.840.1.113883.5.2", code: "M", display: "Married"))
        #expect(p.generalPractitioner == ProviderReference(identifier: "1234567893", organization: "Community Health and Hospitals"))
        #expect(p.deceased == nil)
        #expect(p.multipleBirth == nil)
        #expect(doc.submission.notes.contains(MappingNote(.info, at: "recordTarget[1]/patientRole/patient/guardian", "guardian present (kept as a note, not mapped)")))
    }

    @Test func resultOrganizerBecomesPanelOfItsObservations() {
        let panel = Code(system: loinc, code: "24323-8", display: "Comprehensive metabolic panel")
        let potassium = Observation(
            code: Code(system: loinc, code: "2823-3", display: "Potassium [Moles/volume] in Serum or Plasma", originalText: "Potassium 5.9 mmol/L (H)"),
            value: .quantity(Quantity(value: 5.9, unit: "mmol/L", text: "5.9")), unit: "mmol/L", referenceRange: "3.5-5.1",
            referenceLow: Quantity(value: 3.5, unit: "mmol/L", text: "3.5"), referenceHigh: Quantity(value: 5.1, unit: "mmol/L", text: "5.1"),
            interpretation: ["H"], status: .final, effectiveTime: ymdhms(2024, 3, 12, 8, 15, 0, offset: -300),
            category: "laboratory", panel: panel, sourceID: "1.2.840.114350.1.13.861.1.7.6.798268.2000^4471123.1")
        let creatinine = Observation(
            code: Code(system: loinc, code: "2160-0", display: "Creatinine [Mass/volume] in Serum or Plasma", originalText: "Creatinine 1.10 mg/dL"),
            value: .quantity(Quantity(value: 1.1, unit: "mg/dL", text: "1.10")), unit: "mg/dL", referenceRange: "0.60-1.30 mg/dL",
            interpretation: ["N"], status: .preliminary, effectiveTime: ymdhms(2024, 3, 12, 8, 15, 0, offset: -300),
            category: "laboratory", panel: panel, sourceID: "1.2.840.114350.1.13.861.1.7.6.798268.2000^4471123.2")
        #expect(Array(doc.observations.prefix(2)) == [potassium, creatinine])
        #expect(Array(doc.positions.prefix(2)) == ["section[Results]/entry[1]/observation[1]", "section[Results]/entry[1]/observation[2]"])
    }

    @Test func vitalSignsTakeTheOrganizerTimeWhenTheirOwnIsMissing() {
        let vitals = doc.observations.filter { $0.category == "vital-signs" }
        let panel = Code(system: snomed, code: "46680005", display: "Vital Signs")
        #expect(vitals == [
            Observation(code: Code(system: loinc, code: "8480-6", display: "Systolic blood pressure"),
                        value: .quantity(Quantity(value: 128, unit: "mm[Hg]", text: "128")), unit: "mm[Hg]", status: .final,
                        effectiveTime: ymdhms(2024, 3, 15, 9, 30, 0, offset: -300), category: "vital-signs", panel: panel),
            Observation(code: Code(system: loinc, code: "8867-4", display: "Heart rate"),
                        value: .quantity(Quantity(value: 72, unit: "/min", text: "72")), unit: "/min", status: .final,
                        effectiveTime: ymdhms(2024, 3, 15, 9, 35, 0, offset: -300), category: "vital-signs", panel: panel),
        ])
    }

    @Test func problemFromConcernActWithTranslationAndNarrativeText() {
        #expect(doc.problems == [
            Problem(code: Code(system: snomed, code: "44054006", display: "Diabetes mellitus type 2",
                               translations: [Code(system: CodeSystem.icd10cm, code: "E11.9", display: "Type 2 diabetes mellitus without complications")],
                               originalText: "Type 2 diabetes mellitus"),
                    status: .active, category: "problem-list-item", onset: ymd(2018, 2, 15),
                    sourceID: "1.2.840.114350.1.13.861.1.7.2.768076^88213"),
        ])
    }

    @Test func medicationWithSigFrequencyRouteAndOpenEnd() {
        #expect(doc.medications == [
            Medication(code: Code(system: CodeSystem.rxnorm, code: "860975", display: "metformin hydrochloride 500 MG Oral Tablet"),
                       status: .active, dosage: "Take 1 tablet by mouth once daily", dose: Quantity(value: 1, text: "1"),
                       route: Code(system: "2.16.840.1.113883.3.26.1.1", code: "C38288", display: "ORAL"),
                       frequency: "every 24 h", start: ymd(2023, 1, 10), end: nil,
                       sourceID: "1.2.840.114350.1.13.861.1.7.2.798268.1^5531"),
        ])
    }

    @Test func allergyWithReactionAndNestedSeverity() {
        #expect(doc.allergies == [
            Allergy(substance: Code(system: CodeSystem.rxnorm, code: "7980", display: "Penicillin G"), type: "allergy", category: "medication",
                    reactions: [Code(system: snomed, code: "247472004", display: "Hives")], severity: "moderate", status: .active,
                    onset: yearOnly(2009), sourceID: "4adc1020-7b14-11db-9fe1-0800200c9a66"),
        ])
    }

    @Test func immunizationWithLotManufacturerDoseRouteSite() {
        #expect(doc.immunizations == [
            Immunization(vaccine: Code(system: CodeSystem.cvx, code: "140", display: "Influenza, seasonal, injectable, preservative free"),
                         status: .completed, administeredAt: ymd(2023, 10, 2), lotNumber: "UT4567BA", manufacturer: "Sanofi Pasteur",
                         dose: Quantity(value: 0.5, unit: "mL", text: "0.5"),
                         route: Code(system: "2.16.840.1.113883.3.26.1.1", code: "C28161", display: "INTRAMUSCULAR"),
                         site: Code(system: snomed, code: "368208006", display: "Left upper arm structure"),
                         sourceID: "e6f1ba43-c0ed-4b9b-9f12-f435d8ad8f92"),
        ])
    }

    @Test func encounterClassFromActCodeTranslation() {
        #expect(doc.encounters == [
            Encounter(visitNumber: "3301889", encounterClass: .outpatient,
                      type: Code(system: CodeSystem.cpt, code: "99213", display: "Office outpatient visit 15 minutes",
                                 translations: [Code(system: CodeSystem.actCode, code: "AMB", display: "Ambulatory")]),
                      status: .finished, start: ymdhm(2024, 3, 15, 9, 0, offset: -300), end: ymdhm(2024, 3, 15, 9, 30, offset: -300),
                      location: "Riverside Family Medicine",
                      attendingProvider: ProviderReference(identifier: "1861496271", name: "Henry Seven MD"),
                      reason: [Code(system: snomed, code: "38341003", display: "Hypertensive disorder")]),
        ])
    }

    @Test func procedureWithBodySite() {
        #expect(doc.procedures == [
            Procedure(code: Code(system: snomed, code: "73761001", display: "Colonoscopy"), status: .completed, performedAt: ymd(2022, 6, 14),
                      bodySite: Code(system: snomed, code: "71854001", display: "Colon structure"), sourceID: "d68b7e32-7810-4f5b-9cc2-acd54b0fd85d^PROC-771"),
        ])
    }

    @Test func socialHistoryObservationIsCodedValue() {
        #expect(doc.observations.last == Observation(
            code: Code(system: loinc, code: "72166-2", display: "Tobacco smoking status"),
            value: .coded(Code(system: snomed, code: "266919005", display: "Never smoker")), status: .final,
            effectiveTime: ymd(2024, 3, 15), category: "social-history", sourceID: "1.2.840.114350.1.13.861.1.7.1.1^123456789"))
    }

    @Test func reportListsEverySectionAndTheUnmappedOne() {
        #expect(doc.report.sectionsRead == [.results, .vitalSigns, .problems, .medications, .allergies, .immunizations, .encounters, .procedures, .socialHistory])
        #expect(doc.report.entriesMapped == 11)
        #expect(doc.submission.facts.count == 11)
        #expect(doc.report.sections.allSatisfy { $0.kind == nil || $0.matchedBy == "templateId" })
        #expect(doc.report.skipped == [.init(position: "section[18776-5]", reason: "section not mapped (unknown templateId and code)", line: 386)])
        #expect(doc.positions == [
            "section[Results]/entry[1]/observation[1]", "section[Results]/entry[1]/observation[2]",
            "section[VitalSigns]/entry[1]/observation[1]", "section[VitalSigns]/entry[1]/observation[2]",
            "section[Problems]/entry[1]/observation[1]", "section[Medications]/entry[1]/substanceAdministration[1]",
            "section[Allergies]/entry[1]/observation[1]", "section[Immunizations]/entry[1]/substanceAdministration[1]",
            "section[Encounters]/entry[1]/encounter[1]", "section[Procedures]/entry[1]/procedure[1]",
            "section[SocialHistory]/entry[1]/observation[1]",
        ])
        #expect(doc.submission.facts.allSatisfy { $0.provenance.messageID == "1.2.840.114350.1.13.861.1.7.8.688883.125734^J8a2Lp9" && $0.subject == 0 })
    }
}
