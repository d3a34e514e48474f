import Foundation
import Clinical

/// The character set of a message, from MSH-18 (HL7 table 0211). Values are decoded from bytes in it.
package enum HL7Charset: Sendable, Hashable {
    /// `ASCII` or no MSH-18 (the default). Bytes above 0x7F are read as UTF-8 when valid, else as Latin-1:
    /// senders that declare nothing often send one of the two.
    case ascii
    /// `8859/1` (Latin-1): every byte is the Unicode scalar of the same value.
    case latin1
    /// `UNICODE UTF-8` (and the pre-2.5 `UNICODE`).
    case utf8
    /// Any other declared set; decoded like ``ascii`` (UTF-8 when valid, else Latin-1).
    case other(String)

    /// The table 0211 name (`UNICODE UTF-8`, `8859/1`, `ASCII`).
    package var name: String {
        switch self {
        case .ascii: return "ASCII"
        case .latin1: return "8859/1"
        case .utf8: return "UNICODE UTF-8"
        case .other(let name): return name
        }
    }

    /// The set named by MSH-18's first repetition (case-insensitive; blank is ASCII).
    package init(declared: String) {
        switch declared.uppercased() {
        case "", "ASCII": self = .ascii
        case "8859/1", "ISO-8859-1", "ISO8859-1", "ISO_IR 100": self = .latin1
        case "UNICODE UTF-8", "UTF-8", "UNICODE", "ISO_IR 192": self = .utf8
        default: self = .other(declared)
        }
    }

    /// Decodes bytes (already unescaped) to text.
    func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        switch self {
        case .latin1:
            return Self.latin1(bytes)
        case .utf8:
            return String(decoding: bytes, as: UTF8.self)
        case .ascii, .other:
            var ascii = true
            for b in bytes where b >= 0x80 { ascii = false; break }
            if ascii { return String(decoding: bytes, as: UTF8.self) }
            if let valid = String(validating: bytes, as: UTF8.self) { return valid }
            return Self.latin1(bytes)
        }
    }

    private static func latin1(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.reserveCapacity(bytes.count)
        for b in bytes { scalars.append(Unicode.Scalar(b)) }
        return String(scalars)
    }

    /// Encodes text to bytes in this set. Characters Latin-1 cannot hold become `?`.
    func encode(_ text: String) -> [UInt8] {
        switch self {
        case .latin1:
            return text.unicodeScalars.map { $0.value < 256 ? UInt8($0.value) : UInt8(ascii: "?") }
        default:
            return Array(text.utf8)
        }
    }
}
