/// An error reading FHIR JSON: invalid JSON (with line, column and byte offset) or a resource element of
/// the wrong type or form (with its JSON path, e.g. `entry[3].resource.birthDate`).
///
/// Shaped like swift-certificates' errors: a ``Code`` that can grow, a reason, and the position. Equality
/// compares codes only, so tests can compare errors. Descriptions never contain patient data: the reason
/// names what was expected, never the value found.
package struct FHIRError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of error it is.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String {
            case unexpectedEnd, unexpectedCharacter, invalidEscape, invalidUnicodeEscape, controlCharacterInString,
                invalidUTF8, invalidNumber, nestingTooDeep, tooLarge, trailingData, notFHIR, wrongType, invalidValue,
                missingElement, unresolvedSubject, lineTooLong
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The input ended inside a value.
        package static let unexpectedEnd = Code(.unexpectedEnd)
        /// A byte that cannot start or continue a JSON value here.
        package static let unexpectedCharacter = Code(.unexpectedCharacter)
        /// A backslash escape JSON does not define (RFC 8259 §7).
        package static let invalidEscape = Code(.invalidEscape)
        /// `\u` not followed by four hex digits.
        package static let invalidUnicodeEscape = Code(.invalidUnicodeEscape)
        /// An unescaped control character (below U+0020) inside a string.
        package static let controlCharacterInString = Code(.controlCharacterInString)
        /// Bytes in a string that are not well-formed UTF-8 (RFC 8259 §8.1).
        package static let invalidUTF8 = Code(.invalidUTF8)
        /// A number that does not follow the JSON number grammar.
        package static let invalidNumber = Code(.invalidNumber)
        /// Arrays and objects nested deeper than the reader's limit.
        package static let nestingTooDeep = Code(.nestingTooDeep)
        /// The input is larger than the reader's limit.
        package static let tooLarge = Code(.tooLarge)
        /// Something other than white space after the top-level value.
        package static let trailingData = Code(.trailingData)
        /// Valid JSON that is not a FHIR resource (no `resourceType`, or not an object).
        package static let notFHIR = Code(.notFHIR)
        /// An element of the wrong JSON type (a number where a string belongs …).
        package static let wrongType = Code(.wrongType)
        /// An element of the right type but an invalid form (a `date` that is not a date …).
        package static let invalidValue = Code(.invalidValue)
        /// A required element is missing (a resource without `resourceType`).
        package static let missingElement = Code(.missingElement)
        /// A clinical resource whose `subject`/`patient` names no patient the reader can tie it to.
        package static let unresolvedSubject = Code(.unresolvedSubject)
        /// An NDJSON line longer than the reader's limit.
        package static let lineTooLong = Code(.lineTooLong)

        package var description: String { base.rawValue }
    }

    /// What kind of error (compared by `==`).
    package var code: Code
    /// What was expected, without the data found.
    package var reason: String
    /// 1-based line of the offending byte (for NDJSON: the line of the file).
    package var line: Int
    /// 1-based column of the offending byte, counted in UTF-8 bytes.
    package var column: Int
    /// 0-based byte offset of the offending byte in the input (for NDJSON: in the file).
    package var offset: Int
    /// The JSON path of the offending element (`entry[3].resource.birthDate`), for mapping errors.
    package var path: String?

    /// An error at a position; `path` for errors inside a resource.
    package init(code: Code, reason: String, line: Int, column: Int, offset: Int, path: String? = nil) {
        self.code = code
        self.reason = reason
        self.line = line
        self.column = column
        self.offset = offset
        self.path = path
    }

    /// Compares codes only, so tests can compare errors whatever their positions.
    package static func == (lhs: FHIRError, rhs: FHIRError) -> Bool { lhs.code == rhs.code }
    package func hash(into hasher: inout Hasher) { hasher.combine(code) }

    package var description: String {
        "FHIRError.\(code) at line \(line), column \(column) (offset \(offset))" + (path.map { ", \($0)" } ?? "") + ": \(reason)"
    }

    /// Line and column (1-based) of `offset` in `bytes`.
    static func lineColumn(of offset: Int, in bytes: [UInt8], from start: Int = 0) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = start
        let end = min(max(offset, start), bytes.count)
        var i = start
        while i < end {
            if bytes[i] == 0x0A {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        return (line, end - lineStart + 1)
    }
}
