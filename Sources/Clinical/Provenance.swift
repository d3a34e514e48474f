/// The wire format a submission arrived in.
package enum SourceFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case hl7v2, ccda, fhir
}

/// Where a value came from, down to the place inside the message or document: the answer to "who said
/// this, and where?" that every fact and every patient record in Concord carries.
package struct Provenance: Sendable, Hashable, Codable, CustomStringConvertible {
    package var source: SourceSystem
    package var format: SourceFormat
    /// The message or document id: HL7 v2 MSH-10, C-CDA `ClinicalDocument/id`, FHIR `Bundle.id` (or the
    /// resource id for a lone resource). Set by the parser from the content.
    package var messageID: String?
    /// The place inside it: `PID`, `OBX[3]` (1-based among segments of that name), `OBR[1]/OBX[2]`,
    /// `section[Results]/entry[2]/observation[1]`, `entry[5].resource` or a fullUrl.
    package var position: String?
    /// When the source says the message or document was created (MSH-7, `effectiveTime`, `Bundle.timestamp`).
    package var recordedAt: ClinicalTime?

    package init(source: SourceSystem, format: SourceFormat, messageID: String? = nil, position: String? = nil, recordedAt: ClinicalTime? = nil) {
        self.source = source
        self.format = format
        self.messageID = messageID?.nilIfBlank
        self.position = position
        self.recordedAt = recordedAt
    }

    /// A copy pointing at another place in the same message.
    package func at(_ position: String) -> Provenance {
        var copy = self
        copy.position = position
        return copy
    }

    package var description: String {
        "\(source) \(format.rawValue)" + (messageID.map { " \($0)" } ?? "") + (position.map { " @\($0)" } ?? "")
    }
}
