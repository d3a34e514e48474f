import Clinical

/// What a file or message is, judged from its content (never from its name).
package enum DetectedFormat: String, Sendable, Equatable {
    /// HL7 v2: starts with `MSH`, or a batch/file header `FHS`/`BHS`, or an MLLP start block.
    case hl7v2
    /// XML whose root element is `ClinicalDocument` (C-CDA).
    case ccda
    /// A JSON object (a FHIR resource or Bundle).
    case fhirJSON
    /// Several JSON objects, one per line (FHIR bulk data).
    case ndjson
    /// XML that is not a ClinicalDocument, or anything else.
    case unknown

    package var sourceFormat: SourceFormat? {
        switch self {
        case .hl7v2: return .hl7v2
        case .ccda: return .ccda
        case .fhirJSON, .ndjson: return .fhir
        case .unknown: return nil
        }
    }
}

/// Detects the format of a message or file from its first bytes.
package enum FormatSniffer {
    package static func detect(_ bytes: [UInt8]) -> DetectedFormat {
        var i = 0
        // UTF-8 byte-order mark.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        while i < bytes.count, isSpace(bytes[i]) || bytes[i] == 0x0B { i += 1 }
        guard i < bytes.count else { return .unknown }
        if startsWith(bytes, at: i, "MSH") || startsWith(bytes, at: i, "FHS") || startsWith(bytes, at: i, "BHS") {
            return .hl7v2
        }
        if bytes[i] == UInt8(ascii: "<") {
            // Look for the root element name within the first 64 KiB (after the XML declaration,
            // comments and processing instructions).
            let window = bytes[i..<min(bytes.count, i + 65_536)]
            return containsRootClinicalDocument(Array(window)) ? .ccda : .unknown
        }
        if bytes[i] == UInt8(ascii: "{") {
            // NDJSON: a second line that also starts an object.
            var j = i
            var depth = 0
            var inString = false
            var escaped = false
            while j < bytes.count {
                let b = bytes[j]
                if inString {
                    if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                } else if b == UInt8(ascii: "\"") {
                    inString = true
                } else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                    depth += 1
                } else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { break }
                }
                j += 1
            }
            j += 1
            var sawNewline = false
            while j < bytes.count, isSpace(bytes[j]) {
                if bytes[j] == UInt8(ascii: "\n") { sawNewline = true }
                j += 1
            }
            if j < bytes.count, sawNewline, bytes[j] == UInt8(ascii: "{") { return .ndjson }
            return .fhirJSON
        }
        return .unknown
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    private static func startsWith(_ bytes: [UInt8], at i: Int, _ text: String) -> Bool {
        let t = Array(text.utf8)
        guard i + t.count <= bytes.count else { return false }
        return Array(bytes[i..<(i + t.count)]) == t
    }

    private static func containsRootClinicalDocument(_ bytes: [UInt8]) -> Bool {
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "<") else { i += 1; continue }
            let next = i + 1 < bytes.count ? bytes[i + 1] : 0
            if next == UInt8(ascii: "?") || next == UInt8(ascii: "!") {
                // Declaration, comment, DOCTYPE: skip to its end.
                while i < bytes.count, bytes[i] != UInt8(ascii: ">") { i += 1 }
                i += 1
                continue
            }
            // The root element: optional prefix, then the local name.
            var j = i + 1
            var name: [UInt8] = []
            while j < bytes.count, !isSpace(bytes[j]), bytes[j] != UInt8(ascii: ">"), bytes[j] != UInt8(ascii: "/") {
                name.append(bytes[j])
                j += 1
            }
            let local = name.split(separator: UInt8(ascii: ":")).last.map(Array.init) ?? name
            return local == Array("ClinicalDocument".utf8)
        }
        return false
    }
}
