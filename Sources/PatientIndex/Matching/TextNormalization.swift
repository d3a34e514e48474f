import Foundation

/// Text folding shared by the matching normalizers: upper case, diacritics removed, punctuation dropped,
/// so that `Zoë O'Brien-Smith` and `ZOE OBRIEN SMITH` compare equal.
package enum MatchText {
    /// Upper-case ASCII letters, digits and single spaces: diacritics folded (`É` → `E`, `ß` → `SS`),
    /// apostrophes and periods removed (`O'Brien` → `OBRIEN`, `St.` → `ST`), every other punctuation
    /// mark (hyphen, comma, slash) turned into a space.
    package static func fold(_ text: String) -> String {
        if let ascii = foldASCII(text) { return ascii }
        return foldUnicode(text)
    }

    /// ``fold(_:)`` for all-ASCII text (nearly every name, address and phone a feed sends), byte by byte
    /// without Foundation's folding; `nil` when the text has a non-ASCII byte.
    static func foldASCII(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var pendingSpace = false
            for byte in bytes {
                switch byte {
                case 0x61...0x7A: break
                case 0x41...0x5A, 0x30...0x39: break
                case 0x27, 0x60, 0x2E: continue  // ' ` .
                case 0x80...: return nil
                default:
                    if !out.isEmpty { pendingSpace = true }
                    continue
                }
                if pendingSpace { out.append(0x20); pendingSpace = false }
                out.append(byte >= 0x61 ? byte - 0x20 : byte)
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// ``fold(_:)`` by Foundation's diacritic, case and width folding, then scalar by scalar.
    static func foldUnicode(_ text: String) -> String {
        let folded = text.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: nil)
        var out: [UInt8] = []
        out.reserveCapacity(folded.utf8.count)
        var pendingSpace = false
        for scalar in folded.unicodeScalars {
            var emitted: [UInt8] = []
            switch scalar {
            case "a"..."z": emitted = [UInt8(scalar.value) - 32]
            case "A"..."Z", "0"..."9": emitted = [UInt8(scalar.value)]
            case "ß": emitted = [83, 83]
            case "æ", "Æ": emitted = [65, 69]
            case "ø", "Ø": emitted = [79]
            case "œ", "Œ": emitted = [79, 69]
            case "ł", "Ł": emitted = [76]
            case "đ", "Đ": emitted = [68]
            case "'", "’", "‘", "`", ".": continue
            default:
                if !out.isEmpty { pendingSpace = true }
                continue
            }
            if pendingSpace { out.append(32); pendingSpace = false }
            out.append(contentsOf: emitted)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The space-separated tokens of ``fold(_:)``.
    package static func tokens(_ text: String) -> [String] {
        fold(text).split(separator: " ").map(String.init)
    }

    /// Only the letters A–Z of a folded string.
    package static func letters(_ text: String) -> String {
        String(decoding: fold(text).utf8.filter { $0 >= 65 && $0 <= 90 }, as: UTF8.self)
    }

    /// Only the ASCII digits of a string.
    package static func digits(_ text: String) -> String {
        String(decoding: text.utf8.filter { $0 >= 48 && $0 <= 57 }, as: UTF8.self)
    }
}
