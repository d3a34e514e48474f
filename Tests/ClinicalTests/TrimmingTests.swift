import Foundation
import Testing

@testable import Clinical

/// `trimmingWhitespace` must give what Foundation's `trimmingCharacters` gives, on every kind of end a
/// field can have: ASCII and Unicode white space, newlines, marks that combine with a space, emoji.
@Suite struct TrimmingTests {
    static let pieces: [String] = [
        " ", "\t", "\n", "\r", "\r\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{2003}", "\u{202F}", "\u{3000}",
        "\u{301}", "a", "Z", "7", "-", "É", "ø", "😀", "\u{1F1FA}\u{1F1F8}", "\u{0}",
    ]

    @Test(arguments: [false, true])
    func equalsFoundationOnEveryMixOfEnds(newlines: Bool) {
        var state: UInt64 = newlines ? 0x5eed : 0xbeef
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        let set: CharacterSet = newlines ? .whitespacesAndNewlines : .whitespaces
        var fastPaths = 0
        for _ in 0..<20_000 {
            let text = (0..<next(7)).map { _ in Self.pieces[next(Self.pieces.count)] }.joined()
            let expected = text.trimmingCharacters(in: set)
            #expect(text.trimmingWhitespace(newlines: newlines) == expected, "\(Array(text.unicodeScalars))")
            if text.utf8.first.map({ $0 < 0x80 }) ?? true { fastPaths += 1 }
        }
        #expect(fastPaths > 5_000)
    }

    @Test func fieldsAsSendersWriteThem() {
        #expect("  Riverside MC\t".trimmingWhitespace() == "Riverside MC")
        #expect("E1009911".trimmingWhitespace() == "E1009911")
        #expect(" \t ".trimmingWhitespace() == "")
        #expect("".trimmingWhitespace() == "")
        #expect("\r\nBODY\r\n".trimmingWhitespace() == "\r\nBODY\r\n")
        #expect("\r\nBODY\r\n".trimmingWhitespace(newlines: true) == "BODY")
        #expect("\u{A0}José\u{A0} ".trimmingWhitespace() == "José")
        #expect(" \u{301}e".trimmingWhitespace() == " \u{301}e".trimmingCharacters(in: .whitespaces))
        #expect(" \n ".nilIfBlank == nil)
        #expect(" Ana ".nilIfBlank == "Ana")
    }
}
