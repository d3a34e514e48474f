internal import CLibXML

/// Why a C-CDA document could not be read, and where (1-based line and column; column 0 when only the
/// line is known, as for a node of the parsed tree; line 0 when the whole input is at fault).
///
/// `==` compares codes only, so tests can compare errors. The description never carries patient data:
/// libxml2's messages name elements and offsets, not values.
package struct CCDAError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure; codes can grow without breaking callers.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Kind: String, Sendable, Hashable {
            case notWellFormed, tooLarge, tooDeep, forbiddenDTD, wrongRoot, missingRecordTarget, badDate, xpath, `internal`
        }
        fileprivate let kind: Kind
        fileprivate init(_ kind: Kind) { self.kind = kind }

        /// libxml2 found the input not well-formed XML.
        package static let notWellFormed = Code(.notWellFormed)
        /// The input exceeds the size limit.
        package static let tooLarge = Code(.tooLarge)
        /// The element nesting exceeds the depth limit.
        package static let tooDeep = Code(.tooDeep)
        /// The DOCTYPE declares entities (XXE, entity expansion): refused.
        package static let forbiddenDTD = Code(.forbiddenDTD)
        /// The root element is not `ClinicalDocument` in the `urn:hl7-org:v3` namespace.
        package static let wrongRoot = Code(.wrongRoot)
        /// The header has no `recordTarget/patientRole`.
        package static let missingRecordTarget = Code(.missingRecordTarget)
        /// A header time (`effectiveTime`, `birthTime`) is not an HL7 `TS`.
        package static let badDate = Code(.badDate)
        /// An XPath expression failed to compile or evaluate.
        package static let xpath = Code(.xpath)
        /// libxml2 failed for a reason of its own (allocation).
        package static let `internal` = Code(.internal)

        package var description: String { kind.rawValue }
    }

    package var code: Code
    /// What went wrong, without patient data.
    package var reason: String
    package var line: Int
    package var column: Int
    /// libxml2's own error number (`xmlParserErrors`), when the error came from libxml2.
    package var libxmlCode: Int?

    package init(_ code: Code, _ reason: String, line: Int, column: Int, libxmlCode: Int? = nil) {
        self.code = code
        self.reason = reason
        self.line = line
        self.column = column
        self.libxmlCode = libxmlCode
    }

    package static func == (lhs: CCDAError, rhs: CCDAError) -> Bool { lhs.code == rhs.code }
    package func hash(into hasher: inout Hasher) { hasher.combine(code) }

    package var description: String { "CCDA \(code) at \(line):\(column): \(reason)" }
}
