import Clinical

/// A message that parsed but cannot be mapped to the clinical model: what is missing or unsupported,
/// where, and the HL7 table 0357 code an AE/AR acknowledgement should carry. No patient data in the
/// description; `==` compares the code and the location.
package struct HL7MappingError: Error, Equatable, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Kind: String, Hashable, Sendable {
            case missingSegment, missingField, unsupportedMessageType, unsupportedEvent, invalidValue, segmentOrder
        }
        fileprivate let kind: Kind
        /// A segment the mapping needs is absent (PID, MRG). ACK code 100.
        package static let missingSegment = Code(kind: .missingSegment)
        /// A required field is empty (PID-3, MRG-1). ACK code 101.
        package static let missingField = Code(kind: .missingField)
        /// MSH-9.1 names a message type the gateway does not map. ACK code 200.
        package static let unsupportedMessageType = Code(kind: .unsupportedMessageType)
        /// MSH-9.2 names a trigger event the gateway does not map for that type. ACK code 201.
        package static let unsupportedEvent = Code(kind: .unsupportedEvent)
        /// A field holds a value of the wrong data type. ACK code 102.
        package static let invalidValue = Code(kind: .invalidValue)
        /// A segment appears where its group cannot (an OBX before any OBR). ACK code 100.
        package static let segmentOrder = Code(kind: .segmentOrder)
        package var description: String { kind.rawValue }
    }

    package var code: Code
    package var reason: String
    package var location: HL7ErrorLocation?

    package init(_ code: Code, _ reason: String, location: HL7ErrorLocation? = nil) {
        self.code = code
        self.reason = reason
        self.location = location
    }

    /// The table 0357 code for the ERR segment.
    package var hl7ErrorCode: HL7ErrorCode {
        switch code.kind {
        case .missingSegment, .segmentOrder: return .segmentSequenceError
        case .missingField: return .requiredFieldMissing
        case .unsupportedMessageType: return .unsupportedMessageType
        case .unsupportedEvent: return .unsupportedEventCode
        case .invalidValue: return .dataTypeError
        }
    }

    /// The ERR entry an acknowledgement carries for this error.
    package var ackError: HL7AckError { HL7AckError(code: hl7ErrorCode, location: location, text: reason) }

    package static func == (lhs: HL7MappingError, rhs: HL7MappingError) -> Bool {
        lhs.code == rhs.code && lhs.location == rhs.location
    }

    package var description: String {
        "HL7 mapping error \(code)" + (location.map { " at \($0)" } ?? "") + ": " + reason
    }
}
