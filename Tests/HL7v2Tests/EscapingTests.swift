import Foundation
import Testing
@testable import HL7v2

@Suite struct EscapingTests {
    static let cases: [(raw: String, decoded: String)] = [
        ("A\\F\\B", "A|B"),
        ("A\\S\\B", "A^B"),
        ("A\\T\\B", "A&B"),
        ("A\\R\\B", "A~B"),
        ("C:\\E\\DIR", "C:\\DIR"),
        ("\\X41\\\\X4242\\", "ABB"),
        ("\\XC3A9\\t\\XE9\\", "ét\u{FFFD}"),
        ("line1\\.br\\line2", "line1\nline2"),
        ("a\\.sp2\\b", "a\n\nb"),
        ("\\H\\bold\\N\\ text", "bold text"),
        ("\\.in+4\\indented", "indented"),
        ("keep \\Zcustom\\ as is", "keep \\Zcustom\\ as is"),
        ("keep \\C2842\\ too", "keep \\C2842\\ too"),
        ("unterminated \\F", "unterminated \\F"),
        ("bad hex \\XZZ\\", "bad hex \\XZZ\\"),
        ("trunc\\P\\", "trunc#"),
        ("", ""),
    ]

    @Test(arguments: cases)
    func escapeSequencesDecode(raw: String, decoded: String) throws {
        let m = try msg("MSH|^~\\&|A||||||ORU^R01|1|P|2.5.1||||||UNICODE UTF-8\rOBX|1|ST|X||" + raw.replacingOccurrences(of: "|", with: "\\F\\") + "\r")
        #expect((m["OBX-5"] ?? "") == decoded)
    }

    @Test(arguments: [
        ("a|b^c~d\\e&f", "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f"),
        ("two\nlines", "two\\.br\\lines"),
        ("bell\u{07}", "bell\\X07\\"),
        ("plain", "plain"),
    ])
    func textIsEscapedForWriting(text: String, raw: String) {
        #expect(String(decoding: HL7Escaping.escape(text, .standard), as: UTF8.self) == raw)
    }

    @Test func escapingUsesTheMessageDelimiters() {
        let d = HL7Delimiters(field: UInt8(ascii: "!"), component: UInt8(ascii: "@"), repetition: UInt8(ascii: "*"), escape: UInt8(ascii: "/"), subcomponent: UInt8(ascii: "$"), truncation: UInt8(ascii: "%"))
        #expect(String(decoding: HL7Escaping.escape("a!b@c*d/e$f%g|h", d), as: UTF8.self) == "a/F/b/S/c/R/d/E/e/T/f/P/g|h")
    }

    @Test(arguments: ["a|b", "x^y&z~w\\v", "é ü 中文", "multi\nline", "tab\tand\u{01}"])
    func escapeThenParseRoundTrips(text: String) throws {
        var m = try HL7Message(messageType: "ORU^R01", controlID: "1", charset: .utf8)
        try m.appendSegment("OBX", values: ["1", "ST", "X", "", text])
        #expect(m["OBX-5"] == text)
    }
}

@Suite struct CharsetTests {
    @Test func utf8IsDecoded() throws {
        let m = try Fixture.message("pass/epic_adt_a01_v251.hl7")
        #expect(m.charset == .utf8)
        #expect(m["PID-5.1"] == "MÜLLER")
        #expect(m["PID-5.2"] == "JOSÉ")
    }

    @Test func latin1IsDecoded() throws {
        let m = try Fixture.message("pass/meditech_latin1_v24.hl7")
        #expect(m.charset == .latin1)
        #expect(m["PID-5.1"] == "PEÑA")
        #expect(m["PID-5.2"] == "ANDRÉS")
    }

    @Test func undeclaredCharsetFallsBackFromUTF8ToLatin1() throws {
        let utf = try msg("MSH|^~\\&|A||||||ADT^A04|1|P|2.5\rPID|1||9||ZOË")
        #expect(utf.charset == .ascii)
        #expect(utf["PID-5"] == "ZOË")
        let latin = try HL7Message(bytes: Array("MSH|^~\\&|A||||||ADT^A04|1|P|2.5\rPID|1||9||ZO".utf8) + [0xCB])
        #expect(latin["PID-5"] == "ZOË")
    }

    @Test(arguments: [("ASCII", HL7Charset.ascii), ("8859/1", .latin1), ("UNICODE UTF-8", .utf8), ("UNICODE", .utf8), ("", .ascii), ("8859/15", .other("8859/15"))])
    func charsetNamesMap(name: String, charset: HL7Charset) {
        #expect(HL7Charset(declared: name) == charset)
    }

    @Test func hexEscapesDecodeInTheMessageCharset() throws {
        let m = try msg("MSH|^~\\&|A||||||ADT^A04|1|P|2.5||||||8859/1\rPID|1||9||PE\\XD1\\A")
        #expect(m["PID-5"] == "PEÑA")
    }
}
