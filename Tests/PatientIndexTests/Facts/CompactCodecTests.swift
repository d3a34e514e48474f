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

    @Test func flagsRoundTrip() throws {
        let earlier = FlaggedTest(factID: "F-1", code: Self.code, time: Self.time, value: "7.8 %", provenance: Self.provenance)
        let later = FlaggedTest(factID: "F-2", code: Self.code, time: nil, value: nil, provenance: Self.provenance)
        let flag = DuplicateTestFlag(id: "DT-1", enterpriseID: "EP-00000001", kind: .avoidableOrder, test: Self.code, intervalDays: 90, daysApart: 12.5, earlier: earlier, later: later, status: "dismissed")
        #expect(try CompactCodec.decode(DuplicateTestFlag.self, from: CompactCodec.encode(flag)) == flag)
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
}
