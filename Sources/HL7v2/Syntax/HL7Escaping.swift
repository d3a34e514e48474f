import Foundation
import Clinical

/// The ER7 escape sequences (HL7 v2.5.1 §2.7): `\F\ \S\ \T\ \R\ \E\ \P\` for the delimiters,
/// `\Xhh…\` for raw bytes, `\.br\` and `\.sp\` for line breaks, `\H\`/`\N\` (highlighting) and the
/// other formatting commands (`\.in\`, `\.ti\`, `\.sk\`, `\.ce\`, `\.fi\`, `\.nf\`) which plain text drops.
/// Unknown sequences (`\Zxx\`, `\Cxxyy\`, `\Mxxyyzz\`, anything unterminated) are kept verbatim.
package enum HL7Escaping {
    /// Unescapes raw ER7 bytes into the bytes of the value (still in the message's character set).
    static func unescape(_ raw: UnsafeBufferPointer<UInt8>, _ d: HL7Delimiters, into out: inout [UInt8]) {
        guard let esc = d.escape else { out.append(contentsOf: raw); return }
        var i = 0
        let n = raw.count
        while i < n {
            let b = raw[i]
            guard b == esc else { out.append(b); i += 1; continue }
            // Find the closing escape character.
            var j = i + 1
            while j < n && raw[j] != esc { j += 1 }
            guard j < n, j > i + 1 else {
                // Unterminated or empty (`\\`): keep verbatim.
                let end = j < n ? j + 1 : n
                out.append(contentsOf: UnsafeBufferPointer(rebasing: raw[i..<end]))
                i = end
                continue
            }
            let body = UnsafeBufferPointer(rebasing: raw[(i + 1)..<j])
            if !decodeSequence(body, d, into: &out) {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: raw[i...j]))
            }
            i = j + 1
        }
    }

    private static func decodeSequence(_ body: UnsafeBufferPointer<UInt8>, _ d: HL7Delimiters, into out: inout [UInt8]) -> Bool {
        guard let first = body.first else { return false }
        if body.count == 1 {
            switch first {
            case UInt8(ascii: "F"): out.append(d.field)
            case UInt8(ascii: "S"): out.append(d.component)
            case UInt8(ascii: "T"): out.append(d.subcomponent ?? UInt8(ascii: "&"))
            case UInt8(ascii: "R"): out.append(d.repetition)
            case UInt8(ascii: "E"): out.append(d.escape ?? UInt8(ascii: "\\"))
            case UInt8(ascii: "P"): out.append(d.truncation ?? UInt8(ascii: "#"))
            case UInt8(ascii: "H"), UInt8(ascii: "N"): break
            default: return false
            }
            return true
        }
        if first == UInt8(ascii: "X") {
            let hex = UnsafeBufferPointer(rebasing: body[1...])
            guard hex.count % 2 == 0 else { return false }
            var bytes: [UInt8] = []
            var k = 0
            while k < hex.count {
                guard let hi = hexValue(hex[k]), let lo = hexValue(hex[k + 1]) else { return false }
                bytes.append(hi << 4 | lo)
                k += 2
            }
            out.append(contentsOf: bytes)
            return true
        }
        if first == UInt8(ascii: ".") {
            let command = String(decoding: UnsafeBufferPointer(rebasing: body[1...]), as: UTF8.self)
            if command == "br" { out.append(0x0A); return true }
            if command.hasPrefix("sp") {
                let count = Int(command.dropFirst(2).trimmingPrefix("+")) ?? 1
                for _ in 0..<max(1, min(count, 100)) { out.append(0x0A) }
                return true
            }
            for prefix in ["in", "ti", "sk", "ce", "fi", "nf"] where command.hasPrefix(prefix) {
                let rest = command.dropFirst(2)
                if rest.isEmpty || Int(rest.trimmingPrefix("+").trimmingPrefix("-")) != nil { return true }
            }
            return false
        }
        return false
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    /// Escapes the bytes of a value for writing into a message: delimiters become `\F\ \S\ \T\ \R\ \E\ \P\`,
    /// line feeds `\.br\`, other control bytes `\Xhh\`.
    package static func escape(_ bytes: [UInt8], _ d: HL7Delimiters) -> [UInt8] {
        guard let esc = d.escape else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        func seq(_ body: String) {
            out.append(esc)
            out.append(contentsOf: body.utf8)
            out.append(esc)
        }
        for b in bytes {
            switch b {
            case d.field: seq("F")
            case d.component: seq("S")
            case d.repetition: seq("R")
            case esc: seq("E")
            case 0x0A: seq(".br")
            default:
                if let sub = d.subcomponent, b == sub { seq("T") }
                else if let t = d.truncation, b == t { seq("P") }
                else if b < 0x20 || b == 0x7F {
                    let digits = Array("0123456789ABCDEF".utf8)
                    seq("X" + String(decoding: [digits[Int(b >> 4)], digits[Int(b & 0xF)]], as: UTF8.self))
                } else { out.append(b) }
            }
        }
        return out
    }

    /// Escapes text for writing into a message in the given character set.
    package static func escape(_ text: String, _ d: HL7Delimiters, charset: HL7Charset = .utf8) -> [UInt8] {
        escape(charset.encode(text), d)
    }
}
