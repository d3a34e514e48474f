import Foundation
import Clinical

/// One segment of a message: a name and numbered fields.
package struct HL7Segment: Sendable {
    let message: HL7Message
    /// 0-based index of the segment in the message.
    package let index: Int

    init(message: HL7Message, index: Int) {
        self.message = message
        self.index = index
    }

    /// The three-letter segment name (`PID`, `ZPD`).
    package var name: String { message.segmentName(at: index) }

    /// 1-based occurrence among segments of the same name (`OBX[3]` is 3).
    package var occurrence: Int { message.occurrence(ofSegmentAt: index) }

    /// The position as provenance writes it: `PID`, `OBX[3]`.
    package var position: String {
        let n = occurrence
        return n == 1 && message.segmentIndices(named: name).count == 1 ? name : "\(name)[\(n)]"
    }

    /// How many fields the segment has (MSH counts MSH-1, the separator).
    package var fieldCount: Int { message.fieldCount(segment: index) }

    /// Field `n` (1-based, as the standard numbers it).
    package func field(_ n: Int) -> HL7Value { message.field(segment: index, field: n) }

    /// The decoded text of field `n`'s first component of its first repetition.
    package subscript(_ n: Int) -> String? { field(n).component(1).text }

    /// The raw segment text (escapes kept).
    package var raw: String { String(decoding: message.segmentBytes(at: index), as: UTF8.self) }

    /// The location of a field for an ERR segment.
    package func location(field: Int? = nil, repetition: Int? = nil, component: Int? = nil) -> HL7ErrorLocation {
        HL7ErrorLocation(segment: name, sequence: occurrence, segmentIndex: index + 1, field: field, repetition: repetition, component: component)
    }
}

/// A path to a value: `SEG[occurrence]-field[repetition].component.subcomponent`, every part after the
/// field optional (`PID-3`, `PID-3[2].1`, `OBX[3]-5.2`, `PID-3.4.2`). Occurrences and repetitions default to 1.
package struct HL7Path: Sendable, Hashable, CustomStringConvertible {
    package var segment: String
    package var segmentOccurrence: Int
    package var field: Int
    package var repetition: Int?
    package var component: Int?
    package var subcomponent: Int?

    package init(segment: String, occurrence: Int = 1, field: Int, repetition: Int? = nil, component: Int? = nil, subcomponent: Int? = nil) {
        self.segment = segment
        self.segmentOccurrence = occurrence
        self.field = field
        self.repetition = repetition
        self.component = component
        self.subcomponent = subcomponent
    }

    /// Parses a path; throws ``HL7ParseError/Code/invalidPath`` when malformed.
    package init(_ text: String) throws(HL7ParseError) {
        let bytes = Array(text.utf8)
        var i = 0
        func fail() -> HL7ParseError { HL7ParseError(.invalidPath, "malformed path (expected SEG[n]-field[r].component.sub)") }
        func number() throws(HL7ParseError) -> Int {
            var value = 0
            var digits = 0
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39, digits < 7 {
                value = value * 10 + Int(bytes[i] - 0x30)
                digits += 1
                i += 1
            }
            guard digits > 0 else { throw fail() }
            return value
        }
        func bracket() throws(HL7ParseError) -> Int? {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "[") else { return nil }
            i += 1
            let n = try number()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "]"), n >= 1 else { throw fail() }
            i += 1
            return n
        }
        guard bytes.count >= 5, HL7Message.isValidName(bytes[0..<3]) else { throw fail() }
        segment = String(decoding: bytes[0..<3], as: UTF8.self)
        i = 3
        segmentOccurrence = try bracket() ?? 1
        guard i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: ".") else { throw fail() }
        i += 1
        field = try number()
        repetition = try bracket()
        component = nil
        subcomponent = nil
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            component = try number()
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                subcomponent = try number()
            }
        }
        guard i == bytes.count, field >= 1, component ?? 1 >= 1, subcomponent ?? 1 >= 1 else { throw fail() }
    }

    package var description: String {
        var text = segment + (segmentOccurrence == 1 ? "" : "[\(segmentOccurrence)]") + "-\(field)"
        if let repetition { text += "[\(repetition)]" }
        if let component { text += ".\(component)" }
        if let subcomponent { text += ".\(subcomponent)" }
        return text
    }
}
