import Clinical
import Foundation
@testable import PatientIndex
import Testing

private typealias F = FactFixtures

@Suite struct CompactCodecTests {
    static let time = F.time("20240305142033.1234-0500")
    static let code = Code(system: "LN", code: "2345-7", display: "Glucose", translations: [Code(system: "99LAB", code: "GLU", translations: [Code(system: "L", code: "G")])], originalText: "GLUCOSE, FASTING")
    static let provider = ProviderReference(identifier: "1457389021", name: "Priya Raman MD", organization: "Riverside")
    static let provenance = Provenance(source: SourceSystem(facility: "North Valley Lab", application: "SUNQUEST", facilityID: "2.16.840.1.113883.19.4.6"), format: .hl7v2, messageID: "MSG-1", position: "OBR[1]/OBX[2]", recordedAt: time)

    static let flagged = FlaggedTest(factID: "F-1", code: code, time: time, value: "1", provenance: provenance)

    static let observation = Observation(
        code: code, value: .quantity(Quantity(value: 5.70, unit: "mmol/L", comparator: "<", text: "5.70")), unit: "mmol/L",
        referenceRange: "3.9-5.5", referenceLow: Quantity(value: 3.9, unit: "mmol/L"), referenceHigh: Quantity(value: 5.5),
        interpretation: ["H", "A"], status: .corrected, effectiveTime: time, issued: F.iso("2024-03-05T20:00:00Z"), category: "laboratory",
        panel: F.loinc("24323-8", "CMP"), placerOrderNumber: "P-1", fillerOrderNumber: "F-1", sourceID: "obs-1", performer: provider, note: "hemolyzed")

    static let bodies: [FactBody] = [
        .result(observation),
        .result(Observation(code: Code(system: nil, code: "X"), value: .text("positive"))),
        .result(Observation(code: code, value: .coded(Code(system: "SCT", code: "10828004", display: "Positive")))),
        .result(Observation(code: code, value: .boolean(true))),
        .result(Observation(code: code, value: .range(low: Quantity(value: 2), high: nil))),
        .result(Observation(code: code, value: .ratio(numerator: Quantity(value: 1), denominator: Quantity(value: 128)))),
        .result(Observation(code: code, value: .time(F.iso("2024-01-02")))),
        .order(Order(code: code, status: .inProgress, placerOrderNumber: "P", fillerOrderNumber: "F", orderedAt: time, scheduledFor: F.time("20240306"), orderingProvider: provider, priority: "S", reason: [code])),
        .problem(Problem(code: code, status: .remission, verification: .confirmed, category: "problem-list-item", onset: F.time("2019"), abatement: time, recordedAt: time, sourceID: "p")),
        .medication(Medication(code: code, status: .onHold, dosage: "1 tab", dose: Quantity(value: 500, unit: "mg"), route: code, frequency: "BID", start: time, end: time, prescriber: provider, sourceID: "m")),
        .allergy(Allergy(substance: code, type: "allergy", category: "medication", reactions: [code], severity: "severe", status: .active, onset: time, sourceID: "a")),
        .encounter(Encounter(visitNumber: "V1", encounterClass: .inpatient, type: code, status: .finished, start: time, end: time, location: "4 WEST", attendingProvider: provider, reason: [code], dischargeDisposition: "home")),
        .immunization(Immunization(vaccine: code, status: .notDone, administeredAt: time, lotNumber: "L1", manufacturer: "MSD", dose: Quantity(value: 0.5, unit: "mL"), route: code, site: code, statusReason: code, sourceID: "i")),
        .procedure(Procedure(code: code, status: .stopped, performedAt: time, performedEnd: time, performer: provider, bodySite: code, sourceID: "pr")),
    ]

    @Test func everyKindOfFactRoundTrips() throws {
        for body in Self.bodies {
            #expect(try CompactCodec.decode(FactBody.self, from: CompactCodec.encode(body)) == body)
        }
        let unified = UnifiedFact(id: "F-9", body: Self.bodies[0], provenances: [Self.provenance, F.provenance(F.lakeside, .fhir, "B", "entry[1]")], state: "withdrawn", history: Array(Self.bodies[1...3]))
        #expect(try CompactCodec.decode(UnifiedFact.self, from: CompactCodec.encode(unified)) == unified)
        #expect(try CompactCodec.decode(Provenance.self, from: CompactCodec.encode(Self.provenance)) == Self.provenance)
    }

    /// A unified fact spliced from its body's and provenance's encodings is byte for byte the one encoded
    /// whole, for every kind of fact, for a body large enough to need a two-byte length, and for each state;
    /// what is not such an encoding is refused.
    @Test func unifiedFactsSplicedFromTheirPartsAreTheEncodedOnes() throws {
        let long = FactBody.result(Observation(code: Self.code, value: .text(String(repeating: "x", count: 300)), note: String(repeating: "é", count: 90)))
        let provenances = [Self.provenance, F.provenance(F.lakeside, .fhir, "B", "entry[1]"), Provenance(source: SourceSystem(facility: "X"), format: .ccda)]
        for body in Self.bodies + [long] {
            for provenance in provenances {
                for state in ["current", "superseded", "withdrawn"] {
                    let whole = try CompactCodec.encode(UnifiedFact(id: "", body: body, provenances: [provenance], state: state))
                    let spliced = CompactCodec.unifiedWithOneSource(body: try CompactCodec.encode(body), provenance: try CompactCodec.encode(provenance), state: state)
                    #expect(spliced == whole)
                }
            }
        }
        let body = try CompactCodec.encode(Self.bodies[1]), provenance = try CompactCodec.encode(Self.provenance)
        #expect(CompactCodec.unifiedWithOneSource(body: provenance, provenance: body, state: "current") == nil)
        #expect(CompactCodec.unifiedWithOneSource(body: Array(body.dropLast()), provenance: provenance, state: "current") == nil)
        #expect(CompactCodec.unifiedWithOneSource(body: [], provenance: provenance, state: "current") == nil)
    }

    @Test func flagsRoundTrip() throws {
        let earlier = FlaggedTest(factID: "F-1", code: Self.code, time: Self.time, value: "7.8 %", provenance: Self.provenance)
        let later = FlaggedTest(factID: "F-2", code: Self.code, time: nil, value: nil, provenance: Self.provenance)
        let flag = DuplicateTestFlag(id: "DT-1", enterpriseID: "EP-00000001", kind: .avoidableOrder, test: Self.code, intervalDays: 90, daysApart: 12.5, earlier: earlier, later: later, status: "dismissed")
        #expect(try CompactCodec.decode(DuplicateTestFlag.self, from: CompactCodec.encode(flag)) == flag)
    }

    static let explanation = MatchExplanation(
        method: "probabilistic",
        comparisons: [FieldComparison(field: "family", level: "exact", weight: 7.25), FieldComparison(field: "birthDate", level: "transposed", weight: -1.5)],
        total: 18.125, upperThreshold: 12, lowerThreshold: 4, modelVersion: "standard-3", grade: .probable,
        blockers: ["twin", "Jr/Sr"], comparedWith: "record:42", reason: "steward: same person")

    /// The shape every link and review explanation had before it got its own form (the synthesized keyed
    /// container, same keys), so rows written by older versions are still read.
    private struct KeyedExplanation: Encodable {
        var method: String
        var comparisons: [FieldComparison]
        var total: Double
        var upperThreshold: Double
        var lowerThreshold: Double
        var modelVersion: String
        var grade: MatchGrade
        var blockers: [String]
        var comparedWith: String?
        var reason: String?
    }

    @Test func explanationsRoundTripAndOlderKeyedRowsStillDecode() throws {
        let e = Self.explanation
        let bytes = try CompactCodec.encode(e)
        #expect(bytes[1] == 16, "explanations are written in their own form")
        #expect(try CompactCodec.decode(MatchExplanation.self, from: bytes) == e)
        let bare = MatchExplanation(method: "new", grade: .certain)
        #expect(try CompactCodec.decode(MatchExplanation.self, from: CompactCodec.encode(bare)) == bare)
        let legacy = try CompactCodec.encode(KeyedExplanation(
            method: e.method, comparisons: e.comparisons, total: e.total, upperThreshold: e.upperThreshold, lowerThreshold: e.lowerThreshold,
            modelVersion: e.modelVersion, grade: e.grade, blockers: e.blockers, comparedWith: e.comparedWith, reason: e.reason))
        #expect(legacy[1] == 6, "the legacy form is a keyed container")
        #expect(try CompactCodec.decode(MatchExplanation.self, from: legacy) == e)
        // Inside another value (a review item's explanation is decoded as a field of nothing else, but a
        // history event's is a field of a keyed container).
        struct Holder: Codable, Equatable { var explanation: MatchExplanation?; var n: Int }
        let holder = Holder(explanation: e, n: 3)
        #expect(try CompactCodec.decode(Holder.self, from: CompactCodec.encode(holder)) == holder)
        for cut in stride(from: 1, to: bytes.count, by: 5) {
            #expect(throws: (any Error).self) { try CompactCodec.decode(MatchExplanation.self, from: Array(bytes[..<cut])) }
        }
    }

    /// A record with every field set (and an empty one), as an Epic-style ADT would give it.
    static let patient = PatientRecord(
        source: SourceSystem(facility: "Riverside Medical Center", application: "EPIC", facilityID: "1.2.840.114350.1.13.1"),
        identifiers: [
            PatientIdentifier(value: "E1234567", authority: AssigningAuthority(namespace: "EPI", universalID: "1.2.840.114350.1.13.1.2.7.5.737384.14", universalIDType: "ISO"), type: "MR"),
            PatientIdentifier(value: "123-45-6780", authority: .ssa, type: "SS"),
            PatientIdentifier(value: "X1", authority: AssigningAuthority()),
        ],
        names: [PersonName(use: .official, family: "O'Brien-García", given: ["María", "José"], prefix: ["Dr"], suffix: ["Jr", "III"]),
                PersonName(use: .maiden, family: "Núñez"), PersonName(use: .nickname, family: nil, given: ["Pepa"])],
        birthDate: F.time("19800517"), sex: .female,
        addresses: [PostalAddress(use: "home", lines: ["12 Elm St", "Apt 4B"], city: "Springfield", district: "Sangamon", state: "IL", postalCode: "62704", country: "USA"),
                    PostalAddress(lines: ["PO Box 9"])],
        telecoms: [Telecom(system: .phone, value: "(217) 555-0199", use: "home"), Telecom(system: .email, value: "mj@example.org")],
        ssn: "123456780", mothersMaidenName: "Lopez", multipleBirth: true, birthOrder: 2, deceased: false, deceasedTime: time,
        race: [Code(system: "CDCREC", code: "2106-3", display: "White")], ethnicity: [Code(system: "CDCREC", code: "2135-2"), Code(system: nil, code: "H")],
        language: Code(system: "urn:ietf:bcp:47", code: "es"), maritalStatus: Code(system: "HL70002", code: "M"),
        generalPractitioner: provider, provenance: provenance)

    /// The synthesized keyed shape of `PatientRecord` (same keys), as rows written before its own form hold it.
    private struct KeyedPatient: Encodable {
        var source: SourceSystem
        var identifiers: [PatientIdentifier]
        var names: [PersonName]
        var birthDate: ClinicalTime?
        var sex: AdministrativeSex?
        var addresses: [PostalAddress]
        var telecoms: [Telecom]
        var ssn: String?
        var mothersMaidenName: String?
        var multipleBirth: Bool?
        var birthOrder: Int?
        var deceased: Bool?
        var deceasedTime: ClinicalTime?
        var race: [Code]
        var ethnicity: [Code]
        var language: Code?
        var maritalStatus: Code?
        var generalPractitioner: ProviderReference?
        var provenance: Provenance
        var birthDateAsSent: String?

        init(_ r: PatientRecord) {
            source = r.source; identifiers = r.identifiers; names = r.names; birthDate = r.birthDate; sex = r.sex
            addresses = r.addresses; telecoms = r.telecoms; ssn = r.ssn; mothersMaidenName = r.mothersMaidenName
            multipleBirth = r.multipleBirth; birthOrder = r.birthOrder; deceased = r.deceased; deceasedTime = r.deceasedTime
            race = r.race; ethnicity = r.ethnicity; language = r.language; maritalStatus = r.maritalStatus
            generalPractitioner = r.generalPractitioner; provenance = r.provenance; birthDateAsSent = r.birthDateAsSent
        }
    }

    @Test func patientRecordsRoundTripAndOlderKeyedRowsStillDecode() throws {
        let sparse = PatientRecord(source: SourceSystem(facility: "athena"), provenance: Provenance(source: SourceSystem(facility: "athena"), format: .fhir))
        var unknownSex = sparse
        unknownSex.sex = .unknown
        unknownSex.multipleBirth = false
        unknownSex.deceased = true
        unknownSex.birthDateAsSent = "19450493"  // a birth date that is no calendar date, kept as sent
        for record in [Self.patient, sparse, unknownSex] {
            let bytes = try CompactCodec.encode(record)
            #expect(bytes[1] == 17, "patient records are written in their own form")
            #expect(try CompactCodec.decode(PatientRecord.self, from: bytes) == record)
            let legacy = try CompactCodec.encode(KeyedPatient(record))
            #expect(legacy[1] == 6)
            #expect(try CompactCodec.decode(PatientRecord.self, from: legacy) == record)
        }
        let bytes = try CompactCodec.encode(Self.patient)
        for cut in stride(from: 1, to: bytes.count, by: 9) {
            #expect(throws: (any Error).self) { try CompactCodec.decode(PatientRecord.self, from: Array(bytes[..<cut])) }
        }
    }

    /// The synthesized keyed shape of `MatchFeatures`, as `features_data` rows written before its own form hold it.
    private struct KeyedFeatures: Encodable {
        var family: String?, familyParts: [String], formerFamilies: [String], given: String?, givenNames: [String]
        var givenRoot: String?, givenRoots: [String], middleInitial: String?, suffix: String?
        var familyNYSIIS: String?, familySoundex: String?, givenNYSIIS: String?, givenSoundex: String?
        var birthDate: MatchDate?, unreadableBirthDigits: String?, sex: AdministrativeSex?, ssn: String?
        var nationalIDs: [String: [String]], phones: [String], emails: [String], addresses: [StandardAddress]
        var identifiers: [String: [String]], multipleBirth: Bool?, birthOrder: Int?, placeholderFields: [String]

        init(_ f: MatchFeatures) {
            family = f.family; familyParts = f.familyParts; formerFamilies = f.formerFamilies; given = f.given
            givenNames = f.givenNames; givenRoot = f.givenRoot; givenRoots = f.givenRoots; middleInitial = f.middleInitial
            suffix = f.suffix; familyNYSIIS = f.familyNYSIIS; familySoundex = f.familySoundex; givenNYSIIS = f.givenNYSIIS
            givenSoundex = f.givenSoundex; birthDate = f.birthDate; unreadableBirthDigits = f.unreadableBirthDigits; sex = f.sex
            ssn = f.ssn; nationalIDs = f.nationalIDs; phones = f.phones; emails = f.emails; addresses = f.addresses
            identifiers = f.identifiers; multipleBirth = f.multipleBirth; birthOrder = f.birthOrder; placeholderFields = f.placeholderFields
        }
    }

    static let features: MatchFeatures = {
        var f = MatchNormalizer.features(of: patient)
        f.nationalIDs = ["2.16.840.1.113883.4.3.17": ["D1234567"], "passport": ["X1", "X2"]]
        f.identifiers["rmc|mr"] = ["E1234567", "E7654321"]
        f.placeholderFields = ["email"]
        return f
    }()

    @Test func matchFeaturesRoundTripAndOlderKeyedRowsStillDecode() throws {
        var unreadable = MatchFeatures(family: "ALDERSON", given: "JAKE", unreadableBirthDigits: "19450493")
        unreadable.birthOrder = 1
        var monthOnly = MatchFeatures(family: "NG", birthDate: MatchDate(year: 1971, month: 3))
        monthOnly.multipleBirth = false
        for f in [Self.features, MatchFeatures(), unreadable, monthOnly, MatchFeatures(birthDate: MatchDate(year: 1980))] {
            let bytes = try CompactCodec.encode(f)
            #expect(bytes[1] == 18, "features are written in their own form")
            #expect(try CompactCodec.decode(MatchFeatures.self, from: bytes) == f)
            #expect(try CompactCodec.encode(f) == bytes, "the same features give the same bytes")
            let legacy = try CompactCodec.encode(KeyedFeatures(f))
            #expect(legacy[1] == 6)
            #expect(try CompactCodec.decode(MatchFeatures.self, from: legacy) == f)
        }
        #expect(Self.features.birthDate == MatchDate(year: 1980, month: 5, day: 17))
        #expect(!Self.features.addresses.isEmpty && Self.features.sex == .female && Self.features.ssn != nil)
        let bytes = try CompactCodec.encode(Self.features)
        for cut in stride(from: 1, to: bytes.count, by: 7) {
            #expect(throws: (any Error).self) { try CompactCodec.decode(MatchFeatures.self, from: Array(bytes[..<cut])) }
        }
    }

    @Test func corruptBytesThrowInsteadOfTrapping() throws {
        let bytes = try CompactCodec.encode(UnifiedFact(id: "F-1", body: Self.bodies[0], provenances: [Self.provenance]))
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            #expect(throws: (any Error).self) { try CompactCodec.decode(UnifiedFact.self, from: Array(bytes[..<cut])) }
        }
        var wrongVersion = bytes
        wrongVersion[0] = 9
        #expect(throws: (any Error).self) { try CompactCodec.decode(UnifiedFact.self, from: wrongVersion) }
        #expect(throws: (any Error).self) { try CompactCodec.decode(FactBody.self, from: [1, 200, 200, 200]) }
    }

    /// The field-by-field forms list these types' stored properties; a new property must be added there.
    @Test(arguments: [
        ("Observation", Mirror(reflecting: observation).children.count, 17),
        ("ClinicalTime", Mirror(reflecting: time).children.count, 9),
        ("Code", Mirror(reflecting: code).children.count, 5),
        ("Provenance", Mirror(reflecting: provenance).children.count, 5),
        ("SourceSystem", Mirror(reflecting: provenance.source).children.count, 3),
        ("ProviderReference", Mirror(reflecting: provider).children.count, 3),
        ("Quantity", Mirror(reflecting: Quantity(value: 1)).children.count, 4),
        ("UnifiedFact", Mirror(reflecting: UnifiedFact(id: "", body: bodies[0], provenances: [])).children.count, 5),
        ("FlaggedTest", Mirror(reflecting: flagged).children.count, 5),
        ("DuplicateTestFlag", Mirror(reflecting: DuplicateTestFlag(id: "", enterpriseID: "", kind: .repeatedResult, test: code, intervalDays: 1, daysApart: 0, earlier: flagged, later: flagged)).children.count, 9),
    ])
    func handWrittenFormsCoverEveryStoredProperty(type: String, fields: Int, written: Int) {
        #expect(fields == written, "\(type) gained a stored property: add it to CompactCodec's LeafWriter/LeafReader")
    }

    static let indexForms: [(String, Int, Int)] = [
        ("MatchExplanation", Mirror(reflecting: explanation).children.count, 10),
        ("FieldComparison", Mirror(reflecting: explanation.comparisons[0]).children.count, 3),
        ("PatientRecord", Mirror(reflecting: patient).children.count, 20),
        ("PatientIdentifier", Mirror(reflecting: patient.identifiers[0]).children.count, 3),
        ("AssigningAuthority", Mirror(reflecting: patient.identifiers[0].authority).children.count, 3),
        ("PersonName", Mirror(reflecting: patient.names[0]).children.count, 5),
        ("PostalAddress", Mirror(reflecting: patient.addresses[0]).children.count, 7),
        ("Telecom", Mirror(reflecting: patient.telecoms[0]).children.count, 3),
        ("MatchFeatures", Mirror(reflecting: MatchFeatures()).children.count, 25),
        ("StandardAddress", Mirror(reflecting: StandardAddress()).children.count, 6),
        ("MatchDate", Mirror(reflecting: MatchDate(year: 2000)).children.count, 3),
    ]

    /// The same for the index's stored values (explanations, patient records and their parts).
    @Test(arguments: indexForms)
    func handWrittenIndexFormsCoverEveryStoredProperty(type: String, fields: Int, written: Int) {
        #expect(fields == written, "\(type) gained a stored property: add it to CompactCodec's LeafWriter/LeafReader")
    }
}
