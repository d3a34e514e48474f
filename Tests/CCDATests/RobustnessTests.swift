import CCDA
import Clinical
import Testing

/// Truncated and mutated documents never crash: they read or throw a typed error.
@Suite struct RobustnessTests {
    static let fixtures = ["pass/epic_ccd.xml", "pass/cerner_discharge_summary.xml", "pass/allscripts_referral_note.xml", "pass/athena_progress_note.xml", "pass/nextgen_ccd.xml"]

    @Test(arguments: fixtures)
    func truncatedDocumentsThrowNotWellFormed(path: String) throws {
        let bytes = try Fixture.bytes(path)
        var cut = 1
        var refused = 0
        while cut < bytes.count - 20 {
            do {
                _ = try CCDAReader.read(Array(bytes[..<cut]))
            } catch {
                refused += 1
                #expect(error.line >= 0 && error.column >= 0)
            }
            cut += 97
        }
        #expect(refused == (bytes.count - 21) / 97 + 1)
    }

    @Test(arguments: fixtures)
    func mutatedDocumentsReadOrThrow(path: String) throws {
        let bytes = try Fixture.bytes(path)
        // A deterministic generator (xorshift), so failures reproduce.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(Int.max))
        }
        let replacements: [UInt8] = Array("<>/\"'&=# x0\u{0}".utf8) + [0xC3, 0xFF]
        var read = 0
        var refused = 0
        for _ in 0..<150 {
            var mutated = bytes
            for _ in 0..<(1 + next() % 4) {
                mutated[next() % mutated.count] = replacements[next() % replacements.count]
            }
            do {
                let doc = try CCDAReader.read(mutated)
                #expect(doc.submission.format == .ccda)
                read += 1
            } catch {
                #expect(!error.reason.isEmpty)
                refused += 1
            }
        }
        #expect(read + refused == 150)
    }
}
