import Foundation
import Clinical

/// The delimiters a message declares in MSH-1 and MSH-2 (HL7 v2.5.1 §2.5.4): field separator, then
/// component, repetition, escape, sub-component and (v2.7+) truncation characters. Any printable,
/// non-alphanumeric, distinct choice is legal; senders may omit the trailing ones.
package struct HL7Delimiters: Sendable, Hashable {
    package var field: UInt8
    package var component: UInt8
    package var repetition: UInt8
    /// `nil` when MSH-2 declares no escape character (then nothing is escaped).
    package var escape: UInt8?
    package var subcomponent: UInt8?
    /// The v2.7 truncation character (`#`), when declared.
    package var truncation: UInt8?

    package init(field: UInt8, component: UInt8, repetition: UInt8, escape: UInt8?, subcomponent: UInt8?, truncation: UInt8? = nil) {
        self.field = field
        self.component = component
        self.repetition = repetition
        self.escape = escape
        self.subcomponent = subcomponent
        self.truncation = truncation
    }

    /// `|^~\&`, the delimiters nearly every sender uses.
    package static let standard = HL7Delimiters(
        field: UInt8(ascii: "|"), component: UInt8(ascii: "^"), repetition: UInt8(ascii: "~"),
        escape: UInt8(ascii: "\\"), subcomponent: UInt8(ascii: "&"))

    /// MSH-2 as written: component, repetition, escape, sub-component, truncation.
    package var encodingCharacters: [UInt8] {
        var chars = [component, repetition]
        if let escape { chars.append(escape) } else { return chars }
        if let subcomponent { chars.append(subcomponent) } else { return chars }
        if let truncation { chars.append(truncation) }
        return chars
    }

    /// Reads the delimiters from the field separator and MSH-2's bytes.
    /// Returns `nil` when they are not a legal set (fewer than two, repeated, letters, digits, controls).
    static func parse(field: UInt8, encoding: ArraySlice<UInt8>) -> HL7Delimiters? {
        guard encoding.count >= 2, encoding.count <= 5, isLegal(field) else { return nil }
        var seen: Set<UInt8> = [field]
        for byte in encoding {
            guard isLegal(byte), seen.insert(byte).inserted else { return nil }
        }
        let e = Array(encoding)
        return HL7Delimiters(
            field: field, component: e[0], repetition: e[1], escape: e.count > 2 ? e[2] : nil,
            subcomponent: e.count > 3 ? e[3] : nil, truncation: e.count > 4 ? e[4] : nil)
    }

    private static func isLegal(_ byte: UInt8) -> Bool {
        guard byte > 0x20, byte < 0x7F else { return false }
        let isAlnum = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        return !isAlnum
    }
}
