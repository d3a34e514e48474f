import Clinical
import Foundation
import Testing
@testable import HL7v2

/// A small deterministic generator (SplitMix64) so property tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct PropertyTests {
    static let fixtureNames = ["epic_adt_a01_v251", "cerner_oru_r01_v23", "meditech_adt_a08_v24", "quest_oru_r01_v251",
                               "labcorp_oru_r01_nonstandard_delimiters", "athena_vxu_v04_v251", "adt_a40_merge_v26", "allscripts_orm_o01_v23", "oml_o21_v28"]

    /// Parse, map and acknowledge whatever comes; returns the MSA-1 of the ACK that would be sent.
    func process(_ bytes: [UInt8]) -> String? {
        do {
            let message = try HL7Message(bytes: bytes)
            // Every value must be reachable without trapping.
            for s in 0..<message.segmentCount {
                for f in 0...(message.fieldCount(segment: s) + 1) {
                    let v = message.field(segment: s, field: f)
                    for r in v.repetitions { _ = r.component(2).subcomponent(2).text; _ = r.componentCount }
                    _ = v.text
                }
            }
            // A parsed message re-parses from its own serialization to the same segments.
            let again = try HL7Message(bytes: message.serialize())
            #expect(again.segmentCount == message.segmentCount)
            do {
                _ = try HL7v2Mapper.submission(from: message)
                return HL7Acknowledgement.build(for: message, code: .applicationAccept, controlID: "F").value(at: "MSA-1")
            } catch {
                return HL7Acknowledgement.build(for: message, code: .applicationError, controlID: "F", errors: [error.ackError]).value(at: "MSA-1")
            }
        } catch {
            return HL7Acknowledgement.build(forUnparsable: bytes, error: error, controlID: "F").value(at: "MSA-1")
        }
    }

    @Test func mutatedFixturesNeverCrashAndAlwaysGetAnACK() throws {
        var rng = SplitMix64(seed: 42)
        let interesting: [UInt8] = Array("|^~\\&\r\n#\"0123456789MSHPIDOBX".utf8) + [0x00, 0x0B, 0x1C, 0xFF, 0xC3]
        var outcomes: [String: Int] = [:]
        for name in Self.fixtureNames {
            let original = try Fixture.bytes("pass/\(name).hl7")
            for _ in 0..<150 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    guard !bytes.isEmpty else { break }
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: bytes[i] = interesting.randomElement(using: &rng) ?? 0
                    case 1: bytes.remove(at: i)
                    case 2: bytes.insert(interesting.randomElement(using: &rng) ?? 0, at: i)
                    default: bytes = Array(bytes.prefix(i))
                    }
                }
                let code = process(bytes)
                #expect(code == "AA" || code == "AE" || code == "AR")
                outcomes[code ?? "nil", default: 0] += 1
            }
        }
        #expect(outcomes["AA", default: 0] > 0)
        #expect(outcomes["AR", default: 0] > 0)
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 7)
        for length in [0, 1, 3, 4, 8, 9, 16, 64, 300] {
            for _ in 0..<60 {
                var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if length >= 8 && Bool.random(using: &rng) { bytes.replaceSubrange(0..<4, with: Array("MSH|".utf8)) }
                let code = process(bytes)
                #expect(code == "AA" || code == "AE" || code == "AR")
                _ = try? HL7Batch.split(bytes)
            }
        }
    }

    @Test func truncationsOfEveryFixtureNeverCrash() throws {
        for name in Self.fixtureNames {
            let original = try Fixture.bytes("pass/\(name).hl7")
            for end in stride(from: 0, through: original.count, by: 3) {
                let code = process(Array(original.prefix(end)))
                #expect(code == "AA" || code == "AE" || code == "AR")
            }
        }
    }

    static let delimiterSets: [[UInt8]] = [Array("|^~\\&".utf8), Array("!@*/$".utf8), Array("|^~\\&#".utf8), Array("#*!%+".utf8), Array("|^~".utf8)]

    @Test func valuesThatCannotBeWrittenWithoutEscapeCharacterAreRefused() throws {
        var m = try msg("MSH|^~|A||||||ORU^R01|1|P|2.5\r")
        #expect(throws: HL7ParseError(.invalidEdit, "")) { try m.appendSegment("OBX", values: ["a|b"]) }
        try m.appendSegment("OBX", values: ["ab"])
        #expect(m["OBX-1"] == "ab")
    }

    @Test func generatedMessagesRoundTripValuesAndBytes() throws {
        var rng = SplitMix64(seed: 2024)
        let alphabet = Array("ABCxyz019 -.,'()é中|^~\\&#!@*/$%+\n".unicodeScalars)
        for iteration in 0..<300 {
            let set = Self.delimiterSets[iteration % Self.delimiterSets.count]
            let d = try #require(HL7Delimiters.parse(field: set[0], encoding: set[1...]))
            var m = try HL7Message(messageType: "ORU^R01", controlID: "G\(iteration)", delimiters: d, charset: .utf8)
            let safe = alphabet.filter { $0.value > 0x7F || (CharacterSet.alphanumerics.contains($0) || " -.,'()".unicodeScalars.contains($0)) }
            let letters = d.escape == nil ? safe : alphabet
            var expected: [[String]] = []
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let values = (0..<Int.random(in: 1...12, using: &rng)).map { _ -> String in
                    String(String.UnicodeScalarView((0..<Int.random(in: 0...10, using: &rng)).map { _ in letters.randomElement(using: &rng) ?? "A" }))
                }
                try m.appendSegment("OBX", values: values)
                expected.append(values)
            }
            let bytes = m.serialize()
            let parsed = try HL7Message(bytes: bytes)
            #expect(parsed.serialize() == bytes)
            #expect(parsed.segmentCount == expected.count + 1)
            for (k, values) in expected.enumerated() {
                for (f, value) in values.enumerated() {
                    let got = parsed.field(segment: k + 1, field: f + 1).text ?? ""
                    #expect(got == value, "iteration \(iteration) OBX[\(k + 1)]-\(f + 1)")
                }
            }
        }
    }
}
