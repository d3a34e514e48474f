import Foundation
import Clinical

/// A message (or batch, or path) that could not be read, with where: the 1-based segment index in the
/// message, the segment name, and the field, repetition and component when known.
///
/// The description never contains message content (patient data), only codes and positions.
/// `==` compares the code and the position, not the reason text, so tests can compare errors.
package struct HL7ParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong; a struct wrapping a private enum so codes can grow without breaking callers.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Kind: String, Hashable, Sendable {
            case emptyMessage, missingHeader, invalidEncodingCharacters, invalidSegmentName, messageTooLarge,
                invalidPath, invalidBatch, segmentNotFound, tooManySegments, invalidEdit
        }
        fileprivate let kind: Kind

        /// No bytes, or only white space and terminators.
        package static let emptyMessage = Code(kind: .emptyMessage)
        /// The message does not start with an MSH segment.
        package static let missingHeader = Code(kind: .missingHeader)
        /// MSH-1/MSH-2 do not define a usable, distinct set of delimiters.
        package static let invalidEncodingCharacters = Code(kind: .invalidEncodingCharacters)
        /// A segment whose name is not three upper-case letters or digits.
        package static let invalidSegmentName = Code(kind: .invalidSegmentName)
        /// Larger than the parser's limits (2 GiB, or too many fields).
        package static let messageTooLarge = Code(kind: .messageTooLarge)
        /// A path such as `PID-3[2].1` that is not well formed.
        package static let invalidPath = Code(kind: .invalidPath)
        /// A batch or file wrapper (FHS/BHS/BTS/FTS) that is not well formed.
        package static let invalidBatch = Code(kind: .invalidBatch)
        /// An edit addressed a segment the message does not have.
        package static let segmentNotFound = Code(kind: .segmentNotFound)
        /// More segments than the nesting limit allows.
        package static let tooManySegments = Code(kind: .tooManySegments)
        /// An edit that would change the delimiters or the segment structure (MSH-1, MSH-2, a segment name).
        package static let invalidEdit = Code(kind: .invalidEdit)

        package var description: String { kind.rawValue }
    }

    package var code: Code
    /// A human explanation without patient data.
    package var reason: String
    /// 1-based index of the segment in the message (MSH is 1), when known.
    package var segmentIndex: Int?
    package var segmentName: String?
    package var field: Int?
    package var repetition: Int?
    package var component: Int?
    /// Byte offset in the input, when known.
    package var byteOffset: Int?

    package init(
        _ code: Code, _ reason: String, segmentIndex: Int? = nil, segmentName: String? = nil, field: Int? = nil,
        repetition: Int? = nil, component: Int? = nil, byteOffset: Int? = nil
    ) {
        self.code = code
        self.reason = reason
        self.segmentIndex = segmentIndex
        self.segmentName = segmentName
        self.field = field
        self.repetition = repetition
        self.component = component
        self.byteOffset = byteOffset
    }

    /// The HL7 table 0357 error code an ACK should carry for this failure.
    package var hl7ErrorCode: HL7ErrorCode {
        switch code.kind {
        case .invalidEncodingCharacters: return .dataTypeError
        case .messageTooLarge: return .applicationInternalError
        default: return .segmentSequenceError
        }
    }

    /// The location as an ACK's ERR segment states it.
    package var location: HL7ErrorLocation? {
        guard let segmentName else { return nil }
        return HL7ErrorLocation(segment: segmentName, sequence: 1, segmentIndex: segmentIndex, field: field, repetition: repetition, component: component)
    }

    package static func == (lhs: HL7ParseError, rhs: HL7ParseError) -> Bool {
        lhs.code == rhs.code && lhs.segmentIndex == rhs.segmentIndex && lhs.segmentName == rhs.segmentName
            && lhs.field == rhs.field && lhs.repetition == rhs.repetition && lhs.component == rhs.component
    }

    package var description: String {
        var text = "HL7 parse error \(code)"
        var place: [String] = []
        if let segmentName { place.append("segment \(segmentName)") }
        if let segmentIndex { place.append("#\(segmentIndex)") }
        if let field { place.append("field \(field)") }
        if let repetition { place.append("repetition \(repetition)") }
        if let component { place.append("component \(component)") }
        if let byteOffset { place.append("byte \(byteOffset)") }
        if !place.isEmpty { text += " at " + place.joined(separator: " ") }
        return text + ": " + reason
    }
}

/// HL7 table 0357 (message error condition codes), as used in ERR-3 (v2.5+) and ERR-1.4 (v2.3/2.4).
package enum HL7ErrorCode: Int, Sendable, Hashable, Codable, CaseIterable {
    case accepted = 0
    case segmentSequenceError = 100
    case requiredFieldMissing = 101
    case dataTypeError = 102
    case tableValueNotFound = 103
    case valueTooLong = 104
    case unsupportedMessageType = 200
    case unsupportedEventCode = 201
    case unsupportedProcessingID = 202
    case unsupportedVersionID = 203
    case unknownKeyIdentifier = 204
    case duplicateKeyIdentifier = 205
    case applicationRecordLocked = 206
    case applicationInternalError = 207

    /// The table's text for the code.
    package var text: String {
        switch self {
        case .accepted: return "Message accepted"
        case .segmentSequenceError: return "Segment sequence error"
        case .requiredFieldMissing: return "Required field missing"
        case .dataTypeError: return "Data type error"
        case .tableValueNotFound: return "Table value not found"
        case .valueTooLong: return "Value too long"
        case .unsupportedMessageType: return "Unsupported message type"
        case .unsupportedEventCode: return "Unsupported event code"
        case .unsupportedProcessingID: return "Unsupported processing id"
        case .unsupportedVersionID: return "Unsupported version id"
        case .unknownKeyIdentifier: return "Unknown key identifier"
        case .duplicateKeyIdentifier: return "Duplicate key identifier"
        case .applicationRecordLocked: return "Application record locked"
        case .applicationInternalError: return "Application internal error"
        }
    }
}

/// Where in a message an error is (HL7 `ERL`: segment id, sequence, field, repetition, component).
package struct HL7ErrorLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The segment name (`PID`).
    package var segment: String
    /// 1-based occurrence of the segment among segments of its name (ERL.2).
    package var sequence: Int
    /// 1-based index among all segments, when known (not sent in ERR, kept for logs).
    package var segmentIndex: Int?
    package var field: Int?
    package var repetition: Int?
    package var component: Int?

    package init(segment: String, sequence: Int = 1, segmentIndex: Int? = nil, field: Int? = nil, repetition: Int? = nil, component: Int? = nil) {
        self.segment = segment
        self.sequence = sequence
        self.segmentIndex = segmentIndex
        self.field = field
        self.repetition = repetition
        self.component = component
    }

    package var description: String {
        var text = "\(segment)[\(sequence)]"
        if let field { text += "-\(field)" }
        if let repetition { text += "[\(repetition)]" }
        if let component { text += ".\(component)" }
        return text
    }
}
