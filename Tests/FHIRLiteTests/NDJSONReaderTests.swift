import Clinical
import Foundation
import Testing
@testable import FHIRLite

struct NDJSONReaderTests {
    /// Feeds `bytes` in chunks of `chunkSize` and gathers every batch's result.
    static func read(_ bytes: [UInt8], chunkSize: Int, linesPerBatch: Int, limits: JSONLimits = JSONLimits()) -> (results: [FHIRReadResult], all: FHIRReadResult) {
        var reader = NDJSONReader(defaultSource: SourceSystem(facility: "Kansas City Medical Center", application: "Cerner Millennium"), linesPerBatch: linesPerBatch, limits: limits)
        var results: [FHIRReadResult] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + chunkSize, bytes.count)
            results += reader.feed(bytes[start..<end])
            start = end
        }
        results.append(reader.finish())
        var all = FHIRReadResult()
        for r in results { all.append(r) }
        return (results, all)
    }

    @Test("Lines split across chunks anywhere read the same", arguments: [1, 3, 64, 700, 100_000])
    func linesSplitAcrossChunks(chunkSize: Int) throws {
        let bytes = try Fixture.bytes("pass/cerner-bulk-mixed.ndjson")
        let (_, all) = Self.read(bytes, chunkSize: chunkSize, linesPerBatch: 1000)
        #expect(all.submissions.count == 1)
        let s = try #require(all.submissions.first)
        #expect(s.messageType == "NDJSON")
        #expect(s.source == SourceSystem(facility: "Kansas City Medical Center", application: "Cerner Millennium"))
        #expect(s.patients.count == 1)
        #expect(s.patients.first?.names == [PersonName(use: .official, family: "SMART", given: ["NANCY"])])
        #expect(s.patients.first?.identifiers.first == PatientIdentifier(value: "10002701", authority: AssigningAuthority(universalID: "urn:oid:2.16.840.1.113883.6.1000"), type: "MR"))
        #expect(s.facts.map(\.kind) == [.problem, .immunization])
        #expect(s.facts.map(\.subject) == [0, 0])
        #expect(s.facts.map { $0.provenance.position } == ["line[2]", "line[4]"])
        guard case .immunization(let refused)? = s.facts.last?.body else { Issue.record("missing"); return }
        #expect(refused.status == .notDone)
        #expect(refused.statusReason?.code == "PATOBJ")
        let problems = all.problems.map { [$0.code.description, $0.path ?? "-", "\($0.line):\($0.column)@\($0.offset)"] }
        #expect(problems == [
            ["wrongType", "onsetDateTime", "3:313@1697"],
            ["unexpectedEnd", "-", "5:234@2298"],
        ])
    }

    @Test("Batches of any size give the same line numbers and offsets", arguments: [1, 2, 3])
    func batchesKeepFilePositions(linesPerBatch: Int) throws {
        let bytes = try Fixture.bytes("pass/cerner-bulk-mixed.ndjson")
        let (results, all) = Self.read(bytes, chunkSize: 97, linesPerBatch: linesPerBatch)
        #expect(results.count >= 5 / linesPerBatch)
        let problems = all.problems.map { "\($0.code) \($0.line):\($0.column)@\($0.offset)" }
        #expect(problems == ["wrongType 3:313@1697", "unexpectedEnd 5:234@2298"])
        #expect(all.factCount == 2)
    }

    @Test func subjectInAnotherBatchBecomesARecordKeyedByTheLogicalID() throws {
        let bytes = try Fixture.bytes("pass/cerner-bulk-mixed.ndjson")
        let (results, _) = Self.read(bytes, chunkSize: 4096, linesPerBatch: 2)
        // Batch 1: Patient + Condition. Batch 2: bad Condition + Immunization (Patient in batch 1).
        let second = try #require(results.dropFirst().first?.submissions.first)
        let expected = PatientIdentifier(value: "12724066", authority: AssigningAuthority(namespace: "FHIR:Kansas City Medical Center"), type: "RI")
        #expect(second.patients.map(\.identifiers) == [[expected]])
        #expect(second.patients.first?.names == [])
        let first = try #require(results.first?.submissions.first)
        #expect(first.patients.first?.identifiers.contains(expected) == true)
    }

    @Test func epicBulkObservationsGroupByBatchAndSkipUnknownTypes() throws {
        let bytes = try Fixture.bytes("pass/epic-bulk-observation.ndjson")
        let (_, all) = Self.read(bytes, chunkSize: 512, linesPerBatch: 1000)
        #expect(all.skipped == ["Provenance": 1])
        #expect(all.problems.isEmpty)
        #expect(all.resourceCount == 4)
        let s = try #require(all.submissions.first)
        #expect(s.patients.map { $0.identifiers.first?.value } == ["erXuFYUfucBZaryVksYEcMg3", "eAB3mDIBBcyUKviyzrxsnAw3"])
        #expect(s.facts.map(\.subject) == [0, 0, 1])
        guard case .result(let a1c)? = s.facts.first?.body else { Issue.record("missing"); return }
        #expect(a1c.code.loinc == "4548-4")
        #expect(a1c.referenceRange == "4.0 - 5.6 %")
        #expect(a1c.interpretation == ["H"])
        #expect(a1c.issued == ClinicalTime.parseISO8601("2023-11-14T18:05:41Z"))
    }

    @Test func bundleLinesAreSubmissionsOfTheirOwn() throws {
        let bundle = try Fixture.bytes("pass/message-adt.json").filter { $0 != 0x0A }
        let patient = Array(#"{"resourceType":"Patient","id":"loose","name":[{"family":"Loose"}]}"#.utf8)
        let bytes = bundle + [0x0A] + patient + [0x0A] + bundle
        let (_, all) = Self.read(bytes, chunkSize: 333, linesPerBatch: 10)
        #expect(all.submissions.map(\.messageType) == ["NDJSON", "Bundle/message", "Bundle/message"])
        #expect(all.submissions.map { $0.source.facility } == ["Kansas City Medical Center", "Lakeside Regional Hospital", "Lakeside Regional Hospital"])
    }

    @Test func aLineOverTheLimitIsReportedAndTheRestIsRead() throws {
        let good = #"{"resourceType":"Patient","id":"a","name":[{"family":"Short"}]}"#
        let long = #"{"resourceType":"Patient","id":"b","name":[{"family":""# + String(repeating: "x", count: 300) + #""}]}"#
        let bad = #"{"resourceType":"Patient","id":"c","birthDate":1}"#
        let bytes = Array((good + "\n" + long + "\n" + bad + "\n" + good).utf8)
        for chunk in [16, 1000] {
            let (_, all) = Self.read(bytes, chunkSize: chunk, linesPerBatch: 1000, limits: JSONLimits(maxBytes: 100))
            #expect(all.patientCount == 2)
            let problems = all.problems.map { "\($0.code) \($0.line)@\($0.offset)" }
            let badOffset = good.utf8.count + 1 + long.utf8.count + 1 + 47
            #expect(problems == ["lineTooLong 2@\(good.utf8.count + 1)", "wrongType 3@\(badOffset)"])
        }
    }

    @Test func readsAFileThroughAFileHandleInBoundedChunks() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("concord-ndjson-\(UInt32.random(in: 0...UInt32.max)).ndjson")
        defer { try? FileManager.default.removeItem(at: url) }
        var text = ""
        for i in 0..<250 {
            text += #"{"resourceType":"Observation","id":"o\#(i)","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2823-3"}]},"subject":{"reference":"Patient/p\#(i % 7)"},"valueQuantity":{"value":4.\#(i % 10),"unit":"mmol/L"}}"# + "\n"
        }
        try Data(text.utf8).write(to: url)
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var batches = 0
        var facts = 0
        var patients = 0
        try NDJSONReader.read(from: handle, linesPerBatch: 100, chunkSize: 1000) { result in
            batches += 1
            facts += result.factCount
            patients += result.patientCount
        }
        #expect(batches == 3)
        #expect(facts == 250)
        #expect(patients == 21)
    }
}

struct NDJSONRobustnessTests {
    @Test func mutatedNDJSONNeverCrashesAndKeepsLineNumbersInRange() throws {
        let original = try Fixture.bytes("pass/cerner-bulk-mixed.ndjson") + Fixture.bytes("pass/epic-bulk-observation.ndjson")
        let lineCount = original.filter { $0 == 0x0A }.count + 1
        var rng = SplitMix64(state: 0xBADC_0FFE)
        for round in 0..<200 {
            var bytes = original
            for _ in 0..<(1 + round % 5) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: i)
                case 2: bytes.insert(0x0A, at: i)
                default: bytes.insert(UInt8(ascii: "}"), at: i)
                }
            }
            let (_, all) = NDJSONReaderTests.read(bytes, chunkSize: 1 + round % 300, linesPerBatch: 1 + round % 4)
            for problem in all.problems {
                #expect(problem.line >= 1 && problem.line <= lineCount + 5)
                #expect(problem.offset >= 0 && problem.offset <= bytes.count)
            }
        }
    }

    @Test func randomBytesAreRejectedWithoutCrashing() {
        var rng = SplitMix64(state: 42)
        var rejected = 0
        for _ in 0..<300 {
            let length = Int.random(in: 0..<64, using: &rng)
            let bytes = (0..<length).map { _ in [UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "\""), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "1"), 0x5C, 0xE2, 0x80, UInt8(ascii: "a")][Int.random(in: 0..<12, using: &rng)] }
            do {
                _ = try JSONDocument.parse(bytes)
            } catch {
                #expect(error.offset <= bytes.count)
                rejected += 1
            }
        }
        #expect(rejected > 250)
    }
}

struct NDJSONBatchBoundTests {
    @Test func batchesCloseAtTheByteBudgetWhateverTheLineCount() throws {
        let line = #"{"resourceType":"Patient","id":"p","name":[{"family":"Budget"}]}"# + "\n"
        let bytes = Array(String(repeating: line, count: 10).utf8)
        var reader = NDJSONReader(linesPerBatch: 1000, maxBatchBytes: line.utf8.count * 3)
        var results = reader.feed(bytes)
        results.append(reader.finish())
        #expect(results.map(\.patientCount) == [3, 3, 3, 1])
    }
}
