import Foundation
import Clinical

/// A piece of a message — a field, a repetition, a component or a sub-component — as a byte range
/// into the message, decoded only when asked.
///
/// Asking for a piece that is not there gives an empty value, never a trap: `pid.field(3).repetition(9)`
/// on a field with two repetitions is empty.
package struct HL7Value: Sendable {
    /// What the range is, so that the right separator splits it further.
    package enum Level: Int, Sendable { case field, repetition, component, subcomponent, atomic }

    let message: HL7Message
    /// The byte range in ``HL7Message/bytes``.
    package let range: Range<Int>
    package let level: Level

    init(message: HL7Message, range: Range<Int>, level: Level) {
        self.message = message
        self.range = range
        self.level = level
    }

    private func empty(_ level: Level) -> HL7Value {
        HL7Value(message: message, range: range.upperBound..<range.upperBound, level: level)
    }

    /// The n-th (1-based) repetition of a field.
    package func repetition(_ n: Int) -> HL7Value {
        guard level == .field else { return n == 1 ? self : empty(.repetition) }
        guard let r = message.piece(range, separator: message.delimiters.repetition, index: n) else { return empty(.repetition) }
        return HL7Value(message: message, range: r, level: .repetition)
    }

    /// Every repetition of a field (none when the field is empty).
    package var repetitions: [HL7Value] {
        guard !range.isEmpty else { return [] }
        guard level == .field else { return [self] }
        var result: [HL7Value] = []
        var start = range.lowerBound
        let sep = message.delimiters.repetition
        let bytes = message.storage.bytes
        for i in range where bytes[i] == sep {
            result.append(HL7Value(message: message, range: start..<i, level: .repetition))
            start = i + 1
        }
        result.append(HL7Value(message: message, range: start..<range.upperBound, level: .repetition))
        return result
    }

    /// The n-th (1-based) component (of the first repetition, when this is a whole field).
    package func component(_ n: Int) -> HL7Value {
        switch level {
        case .field: return repetition(1).component(n)
        case .repetition:
            guard let r = message.piece(range, separator: message.delimiters.component, index: n) else { return empty(.component) }
            return HL7Value(message: message, range: r, level: .component)
        default: return n == 1 ? self : empty(level)
        }
    }

    /// The n-th (1-based) sub-component (of the first component, when this is a field or repetition).
    package func subcomponent(_ n: Int) -> HL7Value {
        switch level {
        case .field, .repetition: return component(1).subcomponent(n)
        case .component:
            guard let r = message.piece(range, separator: message.delimiters.subcomponent, index: n) else { return empty(.subcomponent) }
            return HL7Value(message: message, range: r, level: .subcomponent)
        default: return n == 1 ? self : empty(level)
        }
    }

    /// All components (of the first repetition for a field), found in one pass.
    package var components: HL7Components {
        let target = level == .field ? repetition(1) : self
        guard target.level == .repetition else { return HL7Components(base: target, ranges: target.range.isEmpty ? [] : [target.range]) }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(10)
        let sep = message.delimiters.component
        let bytes = message.storage.bytes
        var start = target.range.lowerBound
        bytes.withUnsafeBufferPointer { p in
            for i in target.range where p[i] == sep {
                ranges.append(start..<i)
                start = i + 1
            }
        }
        ranges.append(start..<target.range.upperBound)
        return HL7Components(base: target, ranges: ranges)
    }

    /// The number of components (of the first repetition for a field).
    package var componentCount: Int {
        let target = level == .field ? repetition(1) : self
        guard !target.range.isEmpty else { return 0 }
        guard target.level == .repetition else { return 1 }
        let sep = message.delimiters.component
        let bytes = message.storage.bytes
        var count = 1
        for i in target.range where bytes[i] == sep { count += 1 }
        return count
    }

    /// Whether the value has no bytes.
    package var isEmpty: Bool { range.isEmpty }

    /// Whether the value is the explicit HL7 null `""` (the receiver should delete what it holds).
    package var isNull: Bool {
        guard range.count == 2 else { return false }
        let bytes = message.storage.bytes
        return bytes[range.lowerBound] == 0x22 && bytes[range.lowerBound + 1] == 0x22
    }

    /// The raw bytes, escapes kept.
    package var rawBytes: ArraySlice<UInt8> { message.bytes[range] }

    /// The raw text, escapes kept (as python-hl7's `str()` gives it).
    package var raw: String { String(decoding: message.bytes[range], as: UTF8.self) }

    /// The decoded text (escapes resolved, character set applied), or `nil` when empty or the HL7 null `""`.
    /// Separators of finer levels inside the range are kept as they are.
    package var text: String? {
        guard !range.isEmpty, !isNull else { return nil }
        if level == .atomic { return raw }
        return message.decode(range)
    }

    /// The decoded text, empty when absent (``text`` without the optional).
    package var value: String { text ?? "" }

    /// ``text`` trimmed of white space, or `nil` when that leaves nothing.
    package var trimmed: String? {
        var lower = range.lowerBound, upper = range.upperBound
        let bytes = message.storage.bytes
        while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 { lower += 1 }
        while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
        guard lower < upper else { return nil }
        let narrowed = HL7Value(message: message, range: lower..<upper, level: level)
        guard let text = narrowed.text else { return nil }
        // Escapes can decode to white space (`\X20\`); trim again only then.
        if text.utf8.first == 0x20 || text.utf8.last == 0x20 || text.utf8.first == 0x09 || text.utf8.last == 0x09 {
            let v = text.trimmingWhitespace()
            return v.isEmpty ? nil : v
        }
        return text
    }

    /// Shorthand: the decoded text of the n-th component.
    package subscript(component n: Int) -> String? { component(n).text }
}

extension HL7Value: CustomStringConvertible {
    /// The raw text (escapes kept). Prefer ``text`` for the value.
    package var description: String { raw }
}

/// The components of one repetition, split once; `components[n]` is 1-based and empty past the end.
package struct HL7Components: Sendable {
    let base: HL7Value
    let ranges: [Range<Int>]

    package var count: Int { ranges.count }

    package subscript(_ n: Int) -> HL7Value {
        guard n >= 1, n <= ranges.count else {
            return HL7Value(message: base.message, range: base.range.upperBound..<base.range.upperBound, level: .component)
        }
        return HL7Value(message: base.message, range: ranges[n - 1], level: base.level == .repetition ? .component : base.level)
    }
}
