import Clinical
import Foundation
import Testing

@testable import Gateway
@testable import PatientIndex

/// Ingests `samples/` the way `concord demo` does and checks the result against the truth stated in
/// `samples/README.md` and `samples/expected.json`.
@Suite(.serialized) struct SamplesTruthTests {
    /// The repository's `samples/`: found from this file's path, or from `CONCORD_ROOT`.
    static let samples: String = {
        if let root = ProcessInfo.processInfo.environment["CONCORD_ROOT"] { return root + "/samples" }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("samples").path
    }()

    struct Expected: Decodable {
        struct Record: Decodable, Hashable { var source: String; var mrn: String }
        struct Patient: Decodable { var label: String; var records: [Record]; var mergedRecords: [Record]? }
        struct Review: Decodable { var labels: [String]; var records: [Record] }
        struct Side: Decodable { var source: String; var date: String }
        struct Flag: Decodable { var patient: String; var loinc: String; var kind: String; var earlier: Side; var later: Side }
        struct Shared: Decodable { var patient: String; var kind: String; var code: String; var sources: [String]? }
        struct Malformed: Decodable { var file: String; var format: String; var line: Int?; var column: Int?; var path: String?; var field: Int?; var segment: String? }
        struct Counts: Decodable { var enterprisePatients: Int; var openReviewItems: Int; var duplicateTestFlags: Int }
        struct Source: Decodable { var format: String; var mrnAuthority: String }
        var sources: [String: Source]
        var counts: Counts
        var enterprisePatients: [Patient]
        var mustBeSeparate: [[String]]
        var review: [Review]
        var duplicateTestFlags: [Flag]
        var sharedFacts: [Shared]
        var malformed: [Malformed]
    }

    /// The ingested samples, shared by the tests of this suite (ingesting once keeps the suite fast).
    final class World: Sendable {
        let expected: Expected
        let patients: [EnterprisePatient]
        let reviews: [ReviewItem]
        let flags: [DuplicateTestFlag]
        let records: [UnifiedRecord]
        let messages: [LoggedMessage]
        /// (source, MRN) → enterprise id.
        let enterpriseOf: [Expected.Record: String]

        init() throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: SamplesTruthTests.samples + "/expected.json"))
            expected = try JSONDecoder().decode(Expected.self, from: data)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-samples-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            Log.level = .error
            let session = try CommandLineTool.Session(path: directory + "/concord.sqlite")
            for file in try Demo.sampleFiles(SamplesTruthTests.samples) {
                _ = Server.ingestFile(name: file, bytes: try CommandLineTool.read(file), channel: .cli, service: session.service)
            }
            let reader = try session.reader()
            patients = try session.operations.allPatients(reader, actor: "test")
            reviews = try reader.reviewQueue(status: .open)
            flags = try reader.duplicateTests(enterpriseID: nil)
            records = try patients.compactMap { try reader.unifiedRecord(enterpriseID: $0.id) }
            messages = try reader.messages(status: nil, limit: 10_000)
            session.close()
            var map: [Expected.Record: String] = [:]
            for p in patients {
                for m in p.members {
                    for key in Self.mrns(of: m.record, expected: expected) { map[key] = p.id }
                }
            }
            enterpriseOf = map
        }

        /// A record's MRNs: its identifiers from the authority the clinic assigns MRNs with (other
        /// identifiers, such as FHIR logical ids, are not what the truth lists).
        static func mrns(of record: PatientRecord, expected: Expected) -> [Expected.Record] {
            let authority = expected.sources[record.source.facility]?.mrnAuthority
            return record.recordKeys.filter { $0.authority.universalID == authority }
                .map { Expected.Record(source: record.source.facility, mrn: $0.value) }
        }

        func enterpriseID(label: String) -> String? {
            guard let p = expected.enterprisePatients.first(where: { $0.label == label }), let r = p.records.first else { return nil }
            return enterpriseOf[r]
        }
    }

    nonisolated(unsafe) static var cached: World?
    static func world() throws -> World {
        if let cached { return cached }
        let w = try World()
        cached = w
        return w
    }

    @Test func everyExpectedEnterprisePatientHoldsExactlyItsRecords() throws {
        let w = try Self.world()
        #expect(w.patients.count == w.expected.counts.enterprisePatients)
        for p in w.expected.enterprisePatients {
            let ids = Set(p.records.map { w.enterpriseOf[$0] })
            #expect(ids.count == 1, "\(p.label): records spread over \(ids)")
            guard let id = ids.first ?? nil, let patient = w.patients.first(where: { $0.id == id }) else {
                Issue.record("\(p.label): not found")
                continue
            }
            let held = Set(patient.members.flatMap { World.mrns(of: $0.record, expected: w.expected) })
            let allowed = Set(p.records + (p.mergedRecords ?? []))
            #expect(held.isSubset(of: allowed), "\(p.label) holds unexpected records \(held.subtracting(allowed))")
        }
    }

    @Test func hardNegativesStaySeparate() throws {
        let w = try Self.world()
        for pair in w.expected.mustBeSeparate {
            let a = w.enterpriseID(label: pair[0]), b = w.enterpriseID(label: pair[1])
            #expect(a != nil && b != nil && a != b, "\(pair) must be separate enterprise patients")
        }
    }

    @Test func theUncertainPairIsInTheReviewQueue() throws {
        let w = try Self.world()
        #expect(w.reviews.count == w.expected.counts.openReviewItems)
        for item in w.expected.review {
            let ids = Set(item.records.compactMap { w.enterpriseOf[$0] })
            #expect(ids.count == 2)
            let found = w.reviews.contains { r in
                Set([r.candidateEnterpriseID] + (r.enterpriseID.map { [$0] } ?? [])) == ids
            }
            #expect(found, "review item for \(item.labels) missing")
        }
    }

    @Test func duplicateTestsAreFlaggedExactlyAsStated() throws {
        let w = try Self.world()
        #expect(w.flags.count == w.expected.counts.duplicateTestFlags)
        for f in w.expected.duplicateTestFlags {
            let id = w.enterpriseID(label: f.patient)
            let match = w.flags.first { flag in
                flag.enterpriseID == id && (flag.test.loinc ?? flag.test.code) == f.loinc && flag.kind.rawValue == f.kind
                    && flag.earlier.provenance.source.facility == f.earlier.source && flag.later.provenance.source.facility == f.later.source
                    && flag.earlier.time?.iso8601.hasPrefix(f.earlier.date) == true && flag.later.time?.iso8601.hasPrefix(f.later.date) == true
            }
            #expect(match != nil, "missing flag \(f.patient) \(f.loinc) \(f.earlier.date) → \(f.later.date)")
        }
    }

    @Test func theSameFactFromSeveralChannelsIsShownOnceWithEveryProvenance() throws {
        let w = try Self.world()
        for shared in w.expected.sharedFacts {
            guard let id = w.enterpriseID(label: shared.patient), let record = w.records.first(where: { $0.patient.id == id }) else {
                Issue.record("\(shared.patient) missing")
                continue
            }
            let matching = record.facts.filter { fact in
                fact.kind.rawValue == shared.kind && fact.state == "current" && (fact.body.code?.allCodings.contains { $0.key == shared.code } ?? false)
            }
            #expect(matching.count >= 1, "\(shared.patient) \(shared.code): not in the unified record")
            if let sources = shared.sources {
                let withAll = matching.contains { Set($0.provenances.map(\.source.facility)).isSuperset(of: Set(sources)) }
                #expect(withAll, "\(shared.patient) \(shared.code): expected one fact from \(sources)")
            }
        }
    }

    @Test func malformedFilesAreKeptWithPositionedErrors() throws {
        let w = try Self.world()
        let failed = w.messages.filter { $0.status == .failed }
        #expect(failed.count == w.expected.malformed.count)
        for bad in w.expected.malformed {
            let entry = failed.first { $0.format == bad.format }
            #expect(entry != nil, "\(bad.file): not logged as failed")
            guard let position = entry?.errorPosition else { continue }
            if let line = bad.line, let column = bad.column { #expect(position.hasPrefix("\(line):\(column)"), "\(bad.file): position \(position)") }
            if let path = bad.path { #expect(position.contains(path) || position.hasPrefix("\(bad.line ?? 0):"), "\(bad.file): position \(position)") }
            if let segment = bad.segment, let field = bad.field { #expect(position.contains("\(segment)") && position.contains("\(field)"), "\(bad.file): position \(position)") }
        }
    }
}
