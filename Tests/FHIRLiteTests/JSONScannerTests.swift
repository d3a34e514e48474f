import Testing
@testable import FHIRLite

struct JSONScannerTests {
    struct Malformed: Sendable, CustomTestStringConvertible {
        let name: String
        let text: [UInt8]
        let code: FHIRError.Code
        let line: Int
        let column: Int
        let offset: Int
        var testDescription: String { name }
    }

    static let malformed: [Malformed] = [
        Malformed(name: "trailing comma in object", text: Array(#"{"a":1,}"#.utf8), code: .unexpectedCharacter, line: 1, column: 8, offset: 7),
        Malformed(name: "bad literal on line 3", text: Array("{\n  \"resourceType\": \"Patient\",\n  \"id\": tru\n}".utf8), code: .unexpectedCharacter, line: 3, column: 12, offset: 42),
        Malformed(name: "unterminated string", text: Array(#""abc"#.utf8), code: .unexpectedEnd, line: 1, column: 5, offset: 4),
        Malformed(name: "invalid escape", text: Array(#"{"a":"\x"}"#.utf8), code: .invalidEscape, line: 1, column: 7, offset: 6),
        Malformed(name: "bad unicode escape", text: Array(#"{"a":"\u12G4"}"#.utf8), code: .invalidUnicodeEscape, line: 1, column: 11, offset: 10),
        Malformed(name: "raw tab in string", text: Array("{\"a\":\"x\ty\"}".utf8), code: .controlCharacterInString, line: 1, column: 8, offset: 7),
        Malformed(name: "bad UTF-8 continuation", text: [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D], code: .invalidUTF8, line: 1, column: 8, offset: 7),
        Malformed(name: "overlong UTF-8", text: [0x22, 0xC0, 0xAF, 0x22], code: .invalidUTF8, line: 1, column: 2, offset: 1),
        Malformed(name: "UTF-16 surrogate in UTF-8", text: [0x22, 0xED, 0xA0, 0x80, 0x22], code: .invalidUTF8, line: 1, column: 3, offset: 2),
        Malformed(name: "truncated UTF-8 at end", text: [0x22, 0xE2, 0x82], code: .invalidUTF8, line: 1, column: 2, offset: 1),
        Malformed(name: "leading zero", text: Array("[01]".utf8), code: .unexpectedCharacter, line: 1, column: 3, offset: 2),
        Malformed(name: "no digit after point", text: Array("[1.]".utf8), code: .invalidNumber, line: 1, column: 4, offset: 3),
        Malformed(name: "no digit in exponent", text: Array("[1e+]".utf8), code: .invalidNumber, line: 1, column: 5, offset: 4),
        Malformed(name: "lone minus", text: Array("-".utf8), code: .unexpectedEnd, line: 1, column: 2, offset: 1),
        Malformed(name: "trailing data", text: Array("{} x".utf8), code: .trailingData, line: 1, column: 4, offset: 3),
        Malformed(name: "empty input", text: [], code: .unexpectedEnd, line: 1, column: 1, offset: 0),
        Malformed(name: "missing comma", text: Array("[1 2]".utf8), code: .unexpectedCharacter, line: 1, column: 4, offset: 3),
        Malformed(name: "missing colon", text: Array("{\r\n\"a\" 1}".utf8), code: .unexpectedCharacter, line: 2, column: 5, offset: 7),
        Malformed(name: "single quotes", text: Array("{'a':1}".utf8), code: .unexpectedCharacter, line: 1, column: 2, offset: 1),
        Malformed(name: "unclosed array", text: Array("[1,\n2,\n".utf8), code: .unexpectedEnd, line: 3, column: 1, offset: 7),
    ]

    @Test("Malformed JSON is rejected with the exact code, line, column and byte offset", arguments: malformed)
    func malformedJSON(_ m: Malformed) {
        do {
            _ = try JSONDocument.parse(m.text)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == m.code)
            #expect(error.line == m.line)
            #expect(error.column == m.column)
            #expect(error.offset == m.offset)
            #expect(error.path == nil)
        }
    }

    @Test func readerReportsInvalidJSONPositionsToo() {
        #expect(throws: FHIRError(code: .unexpectedCharacter, reason: "", line: 0, column: 0, offset: 0)) {
            try FHIRReader.read(Array(#"{"resourceType":"Bundle",}"#.utf8))
        }
    }

    @Test func nestingUpToTheLimitIsAcceptedAndDeeperIsRejected() throws {
        let ok = [UInt8](repeating: UInt8(ascii: "["), count: 512) + [UInt8](repeating: UInt8(ascii: "]"), count: 512)
        let doc = try JSONDocument.parse(ok)
        #expect(doc.nodes.count == 512)
        let deep = [UInt8](repeating: UInt8(ascii: "["), count: 513) + [UInt8](repeating: UInt8(ascii: "]"), count: 513)
        do {
            _ = try JSONDocument.parse(deep)
            Issue.record("expected nestingTooDeep")
        } catch {
            #expect(error.code == .nestingTooDeep)
            #expect(error.offset == 512)
        }
    }

    @Test func inputOverTheSizeLimitIsRejected() {
        do {
            _ = try JSONDocument.parse(Array(#"{"a":"0123"}"#.utf8), limits: JSONLimits(maxBytes: 10))
            Issue.record("expected tooLarge")
        } catch {
            #expect(error.code == .tooLarge)
            #expect(error.offset == 0)
        }
    }

    @Test func stringsDecodeEscapesSurrogatePairsAndMultibyteUTF8() throws {
        let text = #"["Jos\u00e9 \"Pepe\" M\u00fcller\n\ud83d\ude00", "山田 太郎 — Zoë", "\ud800x", "a\/b\\c\tc"]"#
        let doc = try JSONDocument.parse(Array(text.utf8))
        let elements = Array(doc.elements(0))
        #expect(elements.count == 4)
        #expect(doc.string(elements[0]) == "José \"Pepe\" Müller\n😀")
        #expect(doc.string(elements[1]) == "山田 太郎 — Zoë")
        #expect(doc.string(elements[2]) == "\u{FFFD}x")
        #expect(doc.string(elements[3]) == "a/b\\c\tc")
    }

    @Test func numbersKeepTheirTextAndIntegersAreExact() throws {
        let doc = try JSONDocument.parse(Array("[5.70, -0, 12345678901234, 1e3, -17]".utf8))
        let e = Array(doc.elements(0))
        #expect(doc.numberText(e[0]) == "5.70")
        #expect(doc.double(e[0]) == 5.7)
        #expect(doc.integer(e[1]) == 0)
        #expect(doc.integer(e[2]) == 12_345_678_901_234)
        #expect(doc.integer(e[3]) == nil)
        #expect(doc.double(e[3]) == 1000)
        #expect(doc.integer(e[4]) == -17)
    }

    @Test func memberLookupSkipsNestedValuesAndChoiceFindsTheTypedElement() throws {
        let doc = try JSONDocument.parse(Array(#"{"a":{"value":1,"b":[1,{"c":2}]},"valueQuantity":{"value":3},"value":4}"#.utf8))
        let quantity = try #require(doc.member(0, "valueQuantity"))
        #expect(doc.integer(try #require(doc.member(quantity, "value"))) == 3)
        let choice = try #require(doc.choice(0, "value"))
        #expect(choice.type == "Quantity")
        #expect(choice.node == quantity)
        #expect(doc.member(0, "c") == nil)
        #expect(doc.path(to: try #require(doc.member(quantity, "value")), from: 0) == "valueQuantity.value")
    }

    @Test func pathsNameArrayIndexesAndMembers() throws {
        let doc = try JSONDocument.parse(Array(#"{"entry":[{"resource":{}},{"resource":{"name":[{"given":["A","B"]}]}}]}"#.utf8))
        let entry = Array(doc.elements(try #require(doc.member(0, "entry"))))
        let resource = try #require(doc.member(entry[1], "resource"))
        let name = Array(doc.elements(try #require(doc.member(resource, "name"))))
        let given = Array(doc.elements(try #require(doc.member(name[0], "given"))))
        #expect(doc.path(to: given[1], from: 0) == "entry[1].resource.name[0].given[1]")
        #expect(doc.path(to: entry[0], from: 0) == "entry[0]")
    }

    @Test func mutatedInputsNeverCrashTheReader() throws {
        let original = try Fixture.bytes("pass/synthea-bundle.json")
        var rng = SplitMix64(state: 0x5EED_F41E)
        var parsed = 0
        var rejected = 0
        for round in 0..<400 {
            var bytes = original
            for _ in 0..<(1 + round % 4) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: i)
                case 2: bytes.insert([UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\""), 0x5C, 0xFF, UInt8(ascii: "1")][Int.random(in: 0..<6, using: &rng)], at: i)
                case 3: bytes.removeSubrange(i...)
                default:
                    let j = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes.swapAt(i, j)
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            do {
                let result = try FHIRReader.read(bytes)
                #expect(result.resourceCount <= 13)
                parsed += 1
            } catch {
                #expect(error.offset >= 0 && error.offset <= bytes.count)
                #expect(error.line >= 1 && error.column >= 1)
                rejected += 1
            }
        }
        #expect(parsed + rejected == 400)
        #expect(parsed > 0)
        #expect(rejected > 0)
    }

    @Test func errorDescriptionsCarryNoPatientData() throws {
        let bytes = Array(#"{"resourceType":"Patient","id":"p","name":[{"family":"Smithereens"}],"birthDate":"Smithereens-1980"}"#.utf8)
        let result = try FHIRReader.read(bytes)
        let problem = try #require(result.problems.first)
        #expect(problem.code == .invalidValue)
        #expect(problem.path == "birthDate")
        #expect(!problem.description.contains("Smithereens"))
    }
}
