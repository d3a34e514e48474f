import Clinical
import Foundation
import PatientIndex

/// The JSON shapes of the HTTP API and of the CLI's `--json` output (one shape for both, so scripts
/// can move between them). Clinical values encode as they are; the index's own types get a view here.
package enum JSONViews {
    package static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    package static func encode(_ value: some Encodable) -> [UInt8] {
        (try? Array(encoder.encode(value))) ?? Array(#"{"error":"encoding failed"}"#.utf8)
    }

    package struct Error: Encodable {
        package var error: String
        package var code: String
        package var position: String?
    }

    package struct PatientSummaryView: Encodable {
        package var id: String
        package var golden: PatientRecord
        package var memberCount: Int
        init(_ s: PatientSummary) {
            id = s.id
            golden = s.golden
            memberCount = s.memberCount
        }
    }

    package struct SourceRecordView: Encodable {
        package var recordID: String
        package var source: String
        package var identifiers: [IdentifierView]
        package var record: PatientRecord
        package var explanation: MatchExplanation
    }

    package struct IdentifierView: Encodable {
        package var value: String
        package var authority: String
        package var type: String?
        init(_ identifier: PatientIdentifier) {
            value = identifier.value
            authority = identifier.authority.description
            type = identifier.type
        }
    }

    /// An enterprise patient with its golden record and its source records (each with its source and
    /// identifiers): the shape of `concord patients list --json` and `GET /patients/{id}`.
    package struct EnterprisePatientView: Encodable {
        package var id: String
        package var golden: PatientRecord
        package var sourceRecords: [SourceRecordView]
        init(_ patient: EnterprisePatient) {
            id = patient.id
            golden = patient.golden
            sourceRecords = patient.members.map {
                SourceRecordView(recordID: $0.recordID, source: $0.record.source.facility,
                                 identifiers: $0.record.identifiers.map(IdentifierView.init),
                                 record: $0.record, explanation: $0.explanation)
            }
        }
    }

    package struct ReviewItemView: Encodable {
        package var id: Int64
        package var recordID: Int64
        package var source: String
        package var identifiers: [IdentifierView]
        package var record: PatientRecord
        package var enterpriseID: String?
        package var candidateEnterpriseID: String
        package var explanation: MatchExplanation
        package var status: String
        package var createdAt: String
        package var decidedBy: String?
        package var decidedAt: String?
        package var reason: String?
        init(_ item: ReviewItem) {
            id = item.id
            recordID = item.recordID
            source = item.record.source.facility
            identifiers = item.record.identifiers.map(IdentifierView.init)
            record = item.record
            enterpriseID = item.enterpriseID
            candidateEnterpriseID = item.candidateEnterpriseID
            explanation = item.explanation
            status = item.status.rawValue
            createdAt = item.createdAt
            decidedBy = item.decidedBy
            decidedAt = item.decidedAt
            reason = item.reason
        }
    }

    package struct HistoryEventView: Encodable {
        package var eventID: Int64
        package var time: String
        package var actor: String
        package var action: String
        package var recordID: Int64?
        package var fromEnterpriseID: String?
        package var toEnterpriseID: String?
        package var reason: String?
        package var explanation: MatchExplanation?
        package var reverses: Int64?
        package var reversedBy: Int64?
        init(_ e: HistoryEvent) {
            eventID = e.eventID
            time = e.time
            actor = e.actor
            action = e.action.rawValue
            recordID = e.recordID
            fromEnterpriseID = e.fromEnterpriseID
            toEnterpriseID = e.toEnterpriseID
            reason = e.reason
            explanation = e.explanation
            reverses = e.reverses
            reversedBy = e.reversedBy
        }
    }

    package struct MessageView: Encodable {
        package var id: Int64
        package var receivedAt: String
        package var channel: String
        package var format: String?
        package var senderApplication: String?
        package var senderFacility: String?
        package var controlID: String?
        package var sha256: String
        package var size: Int
        package var status: String
        package var error: String?
        package var errorPosition: String?
        package var ack: String?
        /// The raw content, only in `show` (as text; HL7 segment terminators shown as line breaks).
        package var content: String?
        init(_ m: LoggedMessage, includeContent: Bool) {
            id = m.id
            receivedAt = m.receivedAt
            channel = m.channel.rawValue
            format = m.format
            senderApplication = m.senderApplication
            senderFacility = m.senderFacility
            controlID = m.controlID
            sha256 = m.sha256
            size = m.size
            status = m.status.rawValue
            error = m.error
            errorPosition = m.errorPosition
            ack = m.ack.map { String(decoding: $0, as: UTF8.self).replacingOccurrences(of: "\r", with: "\n") }
            content = includeContent ? m.raw.map { String(decoding: $0, as: UTF8.self).replacingOccurrences(of: "\r", with: "\n") } : nil
        }
    }

    package struct AuditView: Encodable {
        package var id: Int64
        package var time: String
        package var actor: String
        package var action: String
        package var patientIDs: [String]
        package var detail: String?
        init(_ a: AuditEntry) {
            id = a.id
            time = a.time
            actor = a.actor
            action = a.action
            patientIDs = a.patientIDs
            detail = a.detail
        }
    }

    package struct PatientOutcomeView: Encodable {
        package var recordID: Int64
        package var enterpriseID: String
        package var decision: String
        package var grade: String
        package var score: Double
        init(_ o: PatientOutcome) {
            recordID = o.recordID
            enterpriseID = o.enterpriseID
            decision = o.decision.rawValue
            grade = o.explanation.grade.rawValue
            score = o.explanation.total
        }
    }

    /// The answer to an ingest (HTTP `POST /messages`, `concord ingest --json`).
    package struct IngestReplyView: Encodable {
        package var status: String
        package var messageID: Int64?
        package var format: String
        package var ack: String?
        package var error: String?
        package var position: String?
        package var patients: [PatientOutcomeView]
        package var flags: [DuplicateTestFlag]
        package var notes: [String]
        package init(_ r: IngestReply) {
            status = r.status.rawValue
            messageID = r.messageLogID
            format = r.format.rawValue
            ack = r.ack.map { String(decoding: $0, as: UTF8.self).replacingOccurrences(of: "\r", with: "\n") }
            error = r.error?.reason
            position = r.error?.position
            patients = r.outcomes.map(PatientOutcomeView.init)
            flags = r.flags
            notes = r.notes.map(\.description)
        }
    }
}
