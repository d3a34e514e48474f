import CCDA
import Clinical
import Testing

/// Cerner, Allscripts, athenahealth and NextGen shapes: R1.1 templateIds, missing templateIds,
/// translation-only codes, nullFlavor values, narrative-only content, prefixed namespaces.
@Suite struct CernerDischargeSummaryTests {
    let doc: CCDADocument

    init() throws { doc = try Fixture.read("pass/cerner_discharge_summary.xml") }

    @Test func rootOnlyDocumentIDAndAuthorOrganizationAsSourceWhenCustodianHasNoName() {
        #expect(doc.submission.messageID == "a7d3c1e0-5b6f-4c2e-9d11-3f6b8e2a9c44")
        #expect(doc.submission.messageType == "18842-5")
        #expect(doc.submission.createdAt == ymd(2024, 2, 7))
        #expect(doc.submission.source == SourceSystem(facility: "Saint Luke's Hospital", facilityID: "2.16.840.1.113883.3.13"))
        #expect(doc.custodian == CCDAOrganization(name: nil, idRoot: "2.16.840.1.113883.3.13"))
    }

    @Test func patientWithoutUseCodesAndNullFlavorRace() throws {
        let p = try #require(doc.submission.patients.first)
        #expect(p.identifiers == [
            PatientIdentifier(value: "00773461", authority: AssigningAuthority(universalID: "2.16.840.1.113883.3.13.6")),
            PatientIdentifier(value: "FIN-88120", authority: AssigningAuthority(universalID: "2.16.840.1.113883.3.13.6.2")),
        ])
        #expect(p.ssn == nil)
        #expect(p.names == [PersonName(use: .official, family: "Whitfield", given: ["Robert", "Lee"], suffix: ["Sr"])])
        #expect(p.birthDate == ymdhm(1962, 8, 17, 11, 30, offset: -420))
        #expect(p.sex == .male)
        #expect(p.addresses == [PostalAddress(lines: ["4420 Cherry Ln"], city: "Kansas City", state: "MO", postalCode: "64111")])
        #expect(p.telecoms == [Telecom(system: .phone, value: "816-555-2004")])
        #expect(p.race == [])
        #expect(p.ethnicity == [Code(system: "2.16.840.1.113883.6.238", code: "2135-2", display: "Hispanic or Latino")])
    }

    @Test func translationOnlyCodesTakeTheTranslationAsPrimary() {
        let panel = Code(system: loinc, code: "58410-2", display: "CBC panel - Blood by Automated count", originalText: "CBC")
        #expect(doc.observations == [
            Observation(code: Code(system: "2.16.840.1.113883.3.13.8", code: "WBC", display: "White Blood Count",
                                   translations: [Code(system: loinc, code: "6690-2", display: "Leukocytes [#/volume] in Blood by Automated count")]),
                        value: .quantity(Quantity(value: 14.2, unit: "10*3/uL", text: "14.2")), unit: "10*3/uL", referenceRange: "4.5-11.0",
                        referenceLow: Quantity(value: 4.5, unit: "10*3/uL", text: "4.5"), referenceHigh: Quantity(value: 11.0, unit: "10*3/uL", text: "11.0"),
                        interpretation: ["H"], status: .final, effectiveTime: ymdhms(2024, 2, 3, 6, 12, 0), category: "laboratory",
                        panel: panel, sourceID: "2.16.840.1.113883.3.13.4^ACC-2024-0113-1"),
            Observation(code: Code(system: loinc, code: "600-7", display: "Bacteria identified in Blood by Culture"), value: nil,
                        status: .preliminary, effectiveTime: ymdhms(2024, 2, 3, 6, 12, 0), category: "laboratory",
                        panel: panel, sourceID: "2.16.840.1.113883.3.13.4^ACC-2024-0113-2"),
        ])
        #expect(doc.observations.first?.code.loinc == "6690-2")
    }

    @Test func problemStatusObservationWins() {
        #expect(doc.problems == [
            Problem(code: Code(system: snomed, code: "385093006", display: "Community acquired pneumonia"), status: .resolved,
                    category: "problem-list-item", onset: ymd(2024, 2, 1), abatement: ymd(2024, 2, 7),
                    sourceID: "2.16.840.1.113883.3.13.5^PRB-1-1"),
        ])
    }

    @Test func abortedMedicationIsStoppedWithLocalCodeAndRxNormTranslation() {
        #expect(doc.medications == [
            Medication(code: Code(system: "2.16.840.1.113883.3.13.99", code: "OTH-AZ", display: "Azithromycin 500 MG",
                                  translations: [Code(system: CodeSystem.rxnorm, code: "248656", display: "azithromycin 500 MG Oral Tablet")]),
                       status: .stopped, dose: Quantity(value: 500, unit: "mg", text: "500"), start: ymd(2024, 2, 1), end: ymd(2024, 2, 4),
                       sourceID: "2.16.840.1.113883.3.13.7^RX-55"),
        ])
    }

    @Test func inpatientEncounterWithDischargeDisposition() {
        #expect(doc.encounters == [
            Encounter(visitNumber: "FIN-88120", encounterClass: .inpatient, type: Code(system: CodeSystem.actCode, code: "IMP", display: "inpatient encounter"),
                      status: .finished, start: ymdhms(2024, 2, 1, 14, 0, 0), end: ymdhms(2024, 2, 7, 10, 30, 0),
                      dischargeDisposition: "Discharged to home or self care"),
        ])
        #expect(doc.encounters.first?.isAdmission == true)
    }

    @Test func noKnownAllergiesAndUnknownSectionAreReportedNotMapped() {
        #expect(doc.allergies == [])
        #expect(doc.report.skipped == [
            .init(position: "section[8648-8]", reason: "section not mapped (unknown templateId and code)", line: 60),
            .init(position: "section[Allergies]/entry[1]/observation[1]", reason: "no known allergies (negated, no substance)", line: 158),
        ])
        #expect(doc.report.sectionsRead == [.results, .problems, .allergies, .medications, .encounters])
        #expect(doc.report.entriesMapped == 5)
    }
}

@Suite struct AllscriptsReferralNoteTests {
    let doc: CCDADocument

    init() throws { doc = try Fixture.read("pass/allscripts_referral_note.xml") }

    @Test func sectionsWithoutTemplateIdsAreFoundByLOINC() {
        #expect(doc.report.sections.map(\.matchedBy) == ["unknown", "code", "code", "code", "code"])
        #expect(doc.report.sectionsRead == [.problems, .medications, .procedures, .vitalSigns])
    }

    @Test func noCustodianMeansAuthorOrganizationIsTheSource() {
        #expect(doc.submission.source == SourceSystem(facility: "Lakeshore Primary Care", facilityID: "2.16.840.1.113883.3.1167"))
        #expect(doc.custodian == nil)
        #expect(doc.authorOrganization == CCDAOrganization(name: "Lakeshore Primary Care", idRoot: "2.16.840.1.113883.3.1167", idExtension: "ORG-12"))
        #expect(doc.submission.messageID == "2.16.840.1.113883.3.1167^REF-20240412-0007")
        #expect(doc.submission.messageType == "57133-1")
        #expect(doc.submission.createdAt == ymdhms(2024, 4, 12, 10, 15, 0))
    }

    @Test func patientNamesTelecomsAndYearOnlyBirth() throws {
        let p = try #require(doc.submission.patients.first)
        #expect(p.identifiers == [PatientIdentifier(value: "AS-99812", authority: AssigningAuthority(universalID: "2.16.840.1.113883.3.1167.1"))])
        #expect(p.names == [
            PersonName(use: .official, family: "de la Cruz Lopez", given: ["Maria"]),
            PersonName(use: .maiden, family: "Lopez", given: ["Maria"]),
        ])
        #expect(p.birthDate == yearOnly(1958))
        #expect(p.telecoms == [Telecom(system: .fax, value: "+1-312-555-0199", use: "work"), Telecom(system: .phone, value: "312-555-0142", use: "home")])
    }

    @Test func narrativeOnlyContentIsReportedWithPositions() {
        #expect(doc.report.skipped == [
            .init(position: "recordTarget[1]/patientRole/id", reason: "patient id without extension (root only)", line: 14),
            .init(position: "section[42349-1]", reason: "section not mapped (unknown templateId and code)", line: 38),
            .init(position: "section[Problems]/entry[2]", reason: "narrative-only entry (no clinical statement)", line: 56),
            .init(position: "section[Medications]", reason: "narrative only: section has no entries", line: 60),
        ])
    }

    @Test func bareObservationProblemAndTextOnlyProcedure() {
        #expect(doc.problems == [
            Problem(code: Code(system: snomed, code: "49436004", display: "Atrial fibrillation"), status: .active, category: "problem-list-item", onset: ym(2024, 3)),
        ])
        #expect(doc.procedures == [
            Procedure(code: Code(system: nil, code: "", originalText: "Holter monitor, 48 hours"), status: .completed,
                      performedAt: ymd(2024, 3, 20), performedEnd: ymd(2024, 3, 22)),
        ])
        #expect(doc.procedures.first?.code.label == "Holter monitor, 48 hours")
    }

    @Test func integerAndStringValues() {
        #expect(doc.observations == [
            Observation(code: Code(system: loinc, code: "8867-4", display: "Heart rate"), value: .quantity(Quantity(value: 118, text: "118")),
                        status: .final, effectiveTime: ymdhms(2024, 4, 12, 9, 30, 0), category: "vital-signs"),
            Observation(code: Code(system: loinc, code: "8884-9", display: "Heart rate rhythm"), value: .text("irregularly irregular"),
                        status: .final, effectiveTime: ymdhms(2024, 4, 12, 9, 30, 0), category: "vital-signs"),
        ])
    }
}

@Suite struct AthenaProgressNoteTests {
    let doc: CCDADocument

    init() throws { doc = try Fixture.read("pass/athena_progress_note.xml") }

    @Test func twinDeceasedFractionalBirthTime() throws {
        let p = try #require(doc.submission.patients.first)
        #expect(p.birthDate == ymdhms(2010, 3, 4, 8, 30, 15, nanosecond: 250_000_000, offset: -300))
        #expect(p.multipleBirth == true)
        #expect(p.birthOrder == 2)
        #expect(p.deceased == true)
        #expect(p.deceasedTime == ymd(2024, 6, 1))
        #expect(p.names == [PersonName(use: .official, family: "Tran", given: ["Ethan"])])
        #expect(p.addresses == [PostalAddress(use: "home", lines: ["88 Harbor Rd"], city: "Watertown", district: "Middlesex", state: "MA", postalCode: "02472")])
        #expect(p.telecoms == [Telecom(system: .phone, value: "+1-617-555-0101", use: "mobile"), Telecom(system: .email, value: "ethan.t@example.net")])
        #expect(p.race == [Code(system: "2.16.840.1.113883.6.238", code: "2028-9", display: "Asian")])
        #expect(p.ethnicity == [
            Code(system: "2.16.840.1.113883.6.238", code: "2186-5", display: "Not Hispanic or Latino"),
            Code(system: "2.16.840.1.113883.6.238", code: "2182-4", display: "Cuban"),
        ])
        #expect(p.language == Code(system: "urn:ietf:bcp:47", code: "vi"))
        #expect(doc.submission.source == SourceSystem(facility: "athenahealth - Harbor Pediatrics", application: "athenaClinicals", facilityID: "2.16.840.1.113883.3.564"))
    }

    @Test func realRangeAndBooleanValuesAndABadEntryDate() {
        let panel = Code(system: snomed, code: "46680005", display: "Vital signs")
        #expect(doc.observations == [
            Observation(code: Code(system: loinc, code: "8310-5", display: "Body temperature"), value: .quantity(Quantity(value: 37.8, text: "37.8")),
                        status: .final, effectiveTime: ymdhms(2024, 5, 20, 15, 30, 0, offset: -240), category: "vital-signs", panel: panel),
            Observation(code: Code(system: loinc, code: "59576-9", display: "Body mass index (BMI) [Percentile] Per age and sex"),
                        value: .range(low: Quantity(value: 85, unit: "%", text: "85"), high: Quantity(value: 95, unit: "%", text: "95")), unit: "%",
                        status: .final, effectiveTime: ymdhms(2024, 5, 20, 15, 30, 0, offset: -240), category: "vital-signs", panel: panel),
            Observation(code: Code(system: loinc, code: "8036-8", display: "Second hand smoke exposure"), value: .boolean(true),
                        status: .final, effectiveTime: ymd(2024, 5, 20), category: "social-history"),
        ])
        #expect(doc.report.skipped == [.init(position: "section[VitalSigns]/entry[1]/observation[1]/effectiveTime", reason: "unparseable time", line: 70)])
    }

    @Test func refusedImmunizationIsNotDoneWithReason() {
        #expect(doc.immunizations == [
            Immunization(vaccine: Code(system: CodeSystem.cvx, code: "165", display: "HPV9"), status: .notDone, administeredAt: ymd(2024, 5, 20),
                         statusReason: Code(system: "2.16.840.1.113883.5.8", code: "PHILISOP", display: "philosophical objection"),
                         sourceID: "2.16.840.1.113883.3.564.77^IMM-4"),
        ])
    }

    @Test func foodIntoleranceWithStatusObservationAndSeverity() {
        #expect(doc.allergies == [
            Allergy(substance: Code(system: snomed, code: "47703008", display: "Lactose"), type: "intolerance", category: "food",
                    reactions: [Code(system: snomed, code: "21522001", display: "Abdominal pain")], severity: "mild", status: .inactive,
                    onset: ym(2015, 6), sourceID: "2.16.840.1.113883.3.564.88^AL-2"),
        ])
    }

    @Test func negatedProcedureAndEmergencyEncounterWithoutOwnTemplate() {
        #expect(doc.procedures == [Procedure(code: Code(system: snomed, code: "173422009", display: "Tonsillectomy"), status: .notDone, performedAt: ymd(2024, 1, 10))])
        #expect(doc.encounters == [
            Encounter(visitNumber: "ENC-1009", encounterClass: .emergency, type: Code(system: CodeSystem.actCode, code: "EMER", display: "emergency"),
                      status: .inProgress, start: ymdhm(2024, 5, 19, 19, 40, offset: -240)),
        ])
    }
}

@Suite struct NextGenPrefixedCCDTests {
    let doc: CCDADocument

    init() throws { doc = try Fixture.read("pass/nextgen_ccd.xml") }

    @Test func prefixedNamespaceDocumentReadsLikeADefaultNamespaceOne() throws {
        #expect(doc.submission.messageID == "2.16.840.1.113883.3.1818.10.1^NG-CCD-000451")
        #expect(doc.submission.createdAt == ymdhms(2024, 1, 2, 8, 30, 5, offset: 0))
        #expect(doc.submission.source == SourceSystem(facility: "Maple Valley Clinic", facilityID: "2.16.840.1.113883.3.1818"))
        let p = try #require(doc.submission.patients.first)
        #expect(p.identifiers == [
            PatientIdentifier(value: "NG-441", authority: AssigningAuthority(universalID: "2.16.840.1.113883.3.1818.10.2")),
            PatientIdentifier(value: "S12345678", authority: AssigningAuthority(universalID: "2.16.840.1.113883.4.3.25")),
        ])
        #expect(p.names == [PersonName(use: .official, family: "O'Neil", given: ["Grace"])])
        #expect(p.sex == .unknown)
        #expect(p.birthDate == ym(1999, 11))
    }

    @Test func bareResultObservationsWithPrefixedTypeAndNullFlavorText() {
        #expect(doc.report.sections.map(\.matchedBy) == ["templateId"])
        #expect(doc.observations == [
            Observation(code: Code(system: loinc, code: "4548-4", display: "Hemoglobin A1c/Hemoglobin.total in Blood"),
                        value: .quantity(Quantity(value: 7.2, unit: "%", text: "7.2")), unit: "%", interpretation: ["H"], status: .final,
                        effectiveTime: ymd(2023, 12, 28), category: "laboratory", sourceID: "2.16.840.1.113883.3.1818.4^L-1"),
            Observation(code: Code(system: loinc, code: "2823-3", display: "Potassium"), value: .text("Hemolyzed specimen"), status: .cancelled,
                        effectiveTime: ymd(2023, 12, 28), category: "laboratory", sourceID: "2.16.840.1.113883.3.1818.4^L-2"),
        ])
        #expect(doc.positions == ["section[Results]/entry[1]/observation[1]", "section[Results]/entry[2]/observation[1]"])
    }
}
