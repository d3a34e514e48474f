import Clinical

/// Caches shared by one mapping: canonical code systems (``CodeSystem/canonical(_:)`` trims and folds
/// case through Foundation, too slow to run on every coding) and providers already resolved.
final class MappingCache {
    var systems: [String: String] = [:]
    var providers: [Int: ProviderReference?] = [:]

    func canonicalSystem(_ raw: String) -> String {
        if let known = systems[raw] { return known }
        let canonical = CodeSystem.canonical(raw)
        systems[raw] = canonical
        return canonical
    }
}

/// `nil` when blank, else the text trimmed — ``Swift/String/nilIfBlank`` with a fast path for the common
/// case of text that starts and ends with a visible ASCII character (FHIR strings should not carry
/// leading or trailing white space, R4 §2.24.0.1).
@inline(__always) func cleaned(_ text: String?) -> String? {
    guard let text else { return nil }
    guard let first = text.utf8.first, let last = text.utf8.last else { return nil }
    if first > 0x20, first < 0x7F, last > 0x20, last < 0x7F { return text }
    return text.nilIfBlank
}

extension JSONDocument {
    /// Parses a FHIR `date`, `dateTime` or `instant` straight from the string's bytes, with the rules of
    /// ``ClinicalTime/parseISO8601(_:)``: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`,
    /// `YYYY-MM-DDThh:mm[:ss[.fff…]][Z|±hh:mm]`. `nil` for anything else.
    func time(_ i: Int) -> ClinicalTime? {
        let node = nodes[i]
        guard node.kind == .string, node.flags & JSONNode.hasEscapes == 0 else {
            return node.kind == .string ? ClinicalTime.parseISO8601(string(i)) : nil
        }
        let start = Int(node.start)
        let count = Int(node.end) - start
        return bytes.withUnsafeBufferPointer { buffer -> ClinicalTime? in
            guard start + count <= buffer.count else { return nil }
            let b = UnsafeBufferPointer(rebasing: buffer[start..<(start + count)])
            func num(_ from: Int, _ length: Int) -> Int? {
                guard from + length <= b.count else { return nil }
                var value = 0
                for j in from..<(from + length) {
                    let d = b[j] &- 48
                    guard d < 10 else { return nil }
                    value = value * 10 + Int(d)
                }
                return value
            }
            func at(_ j: Int, _ c: UInt8) -> Bool { j < b.count && b[j] == c }
            guard let year = num(0, 4) else { return nil }
            if count == 4 { return ClinicalTime(year: year, precision: .year) }
            guard at(4, 0x2D), let month = num(5, 2) else { return nil }
            if count == 7 { return ClinicalTime(year: year, month: month, precision: .month) }
            guard at(7, 0x2D), let day = num(8, 2) else { return nil }
            if count == 10 { return ClinicalTime(year: year, month: month, day: day, precision: .day) }
            guard at(10, UInt8(ascii: "T")) || at(10, 0x20), let hour = num(11, 2), at(13, 0x3A), let minute = num(14, 2) else { return nil }
            var j = 16
            var second = 0
            var nanos = 0
            var precision = ClinicalTime.Precision.minute
            if at(16, 0x3A) {
                guard let s = num(17, 2) else { return nil }
                second = s
                precision = .second
                j = 19
                if at(19, 0x2E) {
                    var k = 20
                    var value = 0
                    var digits = 0
                    while k < count, b[k] &- 48 < 10 {
                        if digits < 9 { value = value * 10 + Int(b[k] &- 48); digits += 1 }
                        k += 1
                    }
                    guard digits > 0 else { return nil }
                    for _ in 0..<(9 - digits) { value *= 10 }
                    nanos = value
                    precision = .fraction
                    j = k
                }
            }
            var offset: Int?
            if j < count {
                if at(j, UInt8(ascii: "Z")), j + 1 == count {
                    offset = 0
                } else if at(j, 0x2B) || at(j, 0x2D), j + 6 == count, at(j + 3, 0x3A), let oh = num(j + 1, 2), let om = num(j + 4, 2), om < 60 {
                    offset = (at(j, 0x2D) ? -1 : 1) * (oh * 60 + om)
                } else {
                    return nil
                }
            }
            return ClinicalTime(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second, nanosecond: nanos,
                precision: precision, offsetMinutes: offset)
        }
    }
}
