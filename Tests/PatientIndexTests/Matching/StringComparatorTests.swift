import Testing
@testable import PatientIndex

@Suite("String comparators")
struct StringComparatorTests {
    /// Published values (Winkler 1990; the examples of the Jaro–Winkler literature), checked against jellyfish.
    @Test("Jaro–Winkler similarity matches published values", arguments: [
        ("MARTHA", "MARHTA", 0.9611),
        ("DWAYNE", "DUANE", 0.8400),
        ("DIXON", "DICKSONX", 0.8133),
        ("JELLYFISH", "SMELLYFISH", 0.8963),
        ("SHACKLEFORD", "SHACKELFORD", 0.9818),
        ("SMITHSON", "SMITHSEN", 0.9500),
        ("KATHERINE", "CATHERINE", 0.9259),
        ("JON", "JOHN", 0.9333),
        ("ABC", "ABC", 1.0),
        ("ABC", "XYZ", 0.0),
    ])
    func jaroWinkler(a: String, b: String, expected: Double) {
        #expect(abs(JaroWinkler.similarity(a, b) - expected) < 0.0001)
        #expect(abs(JaroWinkler.similarity(b, a) - expected) < 0.0001)
    }

    @Test("Jaro–Winkler of empty strings")
    func jaroWinklerEmpty() {
        #expect(JaroWinkler.similarity("", "") == 1)
        #expect(JaroWinkler.similarity("", "SMITH") == 0)
    }

    @Test("Soundex codes follow the National Archives rules", arguments: [
        ("Robert", "R163"), ("Rupert", "R163"), ("Rubin", "R150"), ("Ashcraft", "A261"), ("Ashcroft", "A261"),
        ("Tymczak", "T522"), ("Pfister", "P236"), ("Honeyman", "H555"), ("Lee", "L000"), ("Gutierrez", "G362"),
        ("Jackson", "J250"), ("O'Brien", "O165"), ("", ""),
    ])
    func soundex(name: String, code: String) {
        #expect(Soundex.code(name) == code)
    }

    @Test("NYSIIS codes", arguments: [
        ("MACKENZIE", "MCANSY"), ("KNIGHT", "NAGT"), ("WILLIAMS", "WALAN"), ("SCHMIDT", "SNAD"), ("PHILLIPS", "FALAP"),
        ("JOHNSON", "JANSAN"), ("BROWN", "BRAON"), ("HEITSCHMIDT", "HATSSNAD"), ("SCHOENHOEFT", "SANAFT"),
        ("TRUEMAN", "TRANAN"), ("LAURITA", "LARAT"), ("ANDREW", "ANDRAE"), ("BOWMAN", "BAONAN"), ("ZYWICKI", "ZYWAC"),
        ("MCDONALD", "MCDANALD"), ("JACOBS", "JACAB"), ("DEDRICK", "DADRAC"), ("KRAUSE", "CRAS"), ("SMITH", "SNAT"),
        ("ROBERT", "RABAD"), ("KATHERINE", "CATARAN"), ("MACDONALD", "MCDANALD"), ("EVANS", "EVAN"), ("SCHWARZ", "SWAR"),
        ("Mary", "MARY"), ("", ""),
    ])
    func nysiis(name: String, code: String) {
        #expect(NYSIIS.code(name) == code)
    }

    @Test("Text folding removes case, diacritics and punctuation", arguments: [
        ("Zoë O'Brien-Smith", "ZOE OBRIEN SMITH"),
        ("José  Núñez", "JOSE NUNEZ"),
        ("Straße", "STRASSE"),
        ("  St. Mary's, Apt #4 ", "ST MARYS APT 4"),
        ("Łukasz Dąbrowski", "LUKASZ DABROWSKI"),
    ])
    func fold(text: String, folded: String) {
        #expect(MatchText.fold(text) == folded)
    }

    /// The byte-by-byte ASCII path gives what Foundation's folding gives, for every ASCII character
    /// (controls, punctuation, DEL) in every position; text with any other character takes Foundation's.
    @Test("ASCII text folds byte by byte exactly as by Foundation")
    func asciiFoldingAgreesWithFoundation() {
        var generator = SystemRandomNumberGenerator()
        var samples = (0..<128).map { String(UnicodeScalar(UInt8($0))) + "a" + String(UnicodeScalar(UInt8($0))) + "B c" }
        for _ in 0..<3000 {
            let length = Int.random(in: 0...14, using: &generator)
            samples.append(String(decoding: (0..<length).map { _ in UInt8.random(in: 0...127, using: &generator) }, as: UTF8.self))
        }
        for text in samples {
            #expect(MatchText.foldASCII(text) == MatchText.foldUnicode(text), "\(Array(text.utf8))")
        }
        #expect(MatchText.foldASCII("Zoë") == nil)
        #expect(MatchText.fold("Zoë") == "ZOE")
    }
}
