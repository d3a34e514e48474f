internal import CLibXML

/// Refuses documents whose DOCTYPE declares entities, before libxml2 sees them.
///
/// XXE (`<!ENTITY x SYSTEM "file:///etc/passwd">`) and entity expansion ("billion laughs") both need an
/// entity declaration in the internal subset; C-CDA documents never declare entities, so any DOCTYPE
/// that does is refused outright rather than parsed with libxml2's expansion limits. A byte scan: the
/// prolog is scanned for a `<!DOCTYPE`, and only then the rest for `<!ENTITY`. UTF-16 input is scanned
/// with its zero bytes removed.
enum DoctypeScreen {
    static func check(_ bytes: [UInt8]) throws(CCDAError) {
        let wide = bytes.count >= 2 && (bytes[0] == 0xFE || bytes[0] == 0xFF || bytes[0] == 0 || bytes[1] == 0)
        let scanned = wide ? bytes.filter { $0 != 0 } : bytes
        guard let doctype = prologDeclaration(scanned) else { return }
        if let entity = find(Array("<!ENTITY".utf8), in: scanned, from: doctype) {
            let (line, column) = position(of: entity, in: scanned)
            throw CCDAError(.forbiddenDTD, "the DOCTYPE declares entities (XXE / entity expansion); refused", line: line, column: column)
        }
    }

    /// The offset of the first `<!` declaration (`<!DOCTYPE`) in the prolog, before the root element,
    /// skipping the XML declaration, processing instructions and comments; `nil` when there is none.
    static func prologDeclaration(_ bytes: [UInt8]) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            guard bytes[i] == UInt8(ascii: "<") else {
                i += 1
                continue
            }
            guard i + 1 < n else { return nil }
            switch bytes[i + 1] {
            case UInt8(ascii: "?"):
                guard let end = find(Array("?>".utf8), in: bytes, from: i + 2) else { return nil }
                i = end + 2
            case UInt8(ascii: "!"):
                if i + 3 < n, bytes[i + 2] == UInt8(ascii: "-"), bytes[i + 3] == UInt8(ascii: "-") {
                    guard let end = find(Array("-->".utf8), in: bytes, from: i + 4) else { return nil }
                    i = end + 3
                } else {
                    return i
                }
            default:
                return nil  // the root element: no DOCTYPE
            }
        }
        return nil
    }

    /// The offset of the first occurrence of `needle` at or after `start`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var i = start
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// 1-based line and column of a byte offset.
    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in bytes.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}
