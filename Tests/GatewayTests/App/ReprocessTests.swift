import Clinical
import Foundation
import PatientIndex
import SQLite
import Testing

@testable import Gateway

/// Reprocessing a failed message (`concord messages reprocess`, `POST /messages/{id}/reprocess`) after the
/// cause was fixed: the message is ingested under its own log entry, which the re-send check (same sender
/// and control id) would otherwise answer with the old error forever.
@Suite struct ReprocessTests {
    /// An Epic-style ADT^A04 with a control id, as nearly every feed sends.
    static let adt = Array(("MSH|^~\\&|EPIC|RIVERSIDE|CONCORD|HIE|20240305101500||ADT^A04^ADT_A01|RCH-7731|P|2.5.1\r"
        + "EVN|A04|20240305101500\r"
        + "PID|1||RCH00731^^^RCH^MR||OKAFOR^ADAEZE^^^^^L||19670412|F|||12 ELM ST^^SPRINGFIELD^IL^62704||(217)555-0131\r"
        + "PV1|1|O|CLINIC^^^RIVERSIDE\r").utf8)

    static func msa(_ ack: [UInt8]?) -> String? {
        guard let ack else { return nil }
        let text = String(decoding: ack, as: UTF8.self)
        return text.split(separator: "\r").first { $0.hasPrefix("MSA|") }.map { String($0.split(separator: "|")[1]) }
    }

    /// The writer's storage refuses new source records, as a full disk would, until `heal` is called.
    static func breakStorage(_ session: CommandLineTool.Session) throws {
        try session.writer.perform { store in
            try store.db.execute("CREATE TEMP TRIGGER refuse_records BEFORE INSERT ON source_records BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
        }
    }

    static func heal(_ session: CommandLineTool.Session) throws {
        try session.writer.perform { store in try store.db.execute("DROP TRIGGER temp.refuse_records") }
    }

    static func row(_ session: CommandLineTool.Session, _ id: Int64) throws -> (status: String, count: Int64, records: Int64) {
        let db = try Connection(path: session.path, readOnly: true)
        let status = try db.scalar("SELECT status FROM message_log WHERE id = ?", [id])
        guard case .text(let text) = status else { return ("missing", 0, 0) }
        let count = try db.scalar("SELECT count(*) FROM message_log")
        let records = try db.scalar("SELECT count(*) FROM source_records")
        guard case .integer(let n) = count, case .integer(let r) = records else { return (text, -1, -1) }
        return (text, n, r)
    }

    @Test func aMessageThatFailedToBeStoredIsIngestedUnderItsOwnEntryOnceFixed() throws {
        let session = try CommandLineTool.Session(path: BulkIngestTests.temporaryDB())
        try Self.breakStorage(session)
        let first = session.service.ingestAndWait(InboundUnit(raw: Self.adt, channel: .mllp, origin: "test"))
        #expect(first.status == .failed)
        #expect(Self.msa(first.ack) == "AE")
        let id = try #require(first.messageLogID)
        #expect(try Self.row(session, id) == ("failed", 1, 0))

        // The sender's re-send gets the same AE and is not ingested: nothing has been fixed yet.
        let resend = session.service.ingestAndWait(InboundUnit(raw: Self.adt, channel: .mllp, origin: "test"))
        #expect(resend.status == .duplicate)
        #expect(resend.ack == first.ack)

        // Reprocessing while the cause is still there fails again, and the entry stays failed.
        let reader = try session.reader()
        let again = try session.operations.reprocess(reader, actor: "ops", id: id)
        #expect(again.status == .failed)
        #expect(again.messageLogID == id)
        #expect(try Self.row(session, id) == ("failed", 1, 0))

        // Fixed: reprocessing ingests it, under the same entry, with an AA that re-sends now get.
        try Self.heal(session)
        let fixed = try session.operations.reprocess(reader, actor: "ops", id: id)
        #expect(fixed.status == .ingested)
        #expect(fixed.messageLogID == id)
        #expect(Self.msa(fixed.ack) == "AA")
        #expect(fixed.outcomes.count == 1)
        #expect(try Self.row(session, id) == ("ingested", 1, 1))
        let message = try #require(try reader.message(id: id))
        #expect(message.error == nil)
        #expect(message.raw == Self.adt)
        #expect(try reader.counts().messages == ["hl7v2": [.ingested: 1]])
        let later = session.service.ingestAndWait(InboundUnit(raw: Self.adt, channel: .mllp, origin: "test"))
        #expect(later.status == .duplicate)
        #expect(later.ack == fixed.ack)

        // It is not ingested twice: a second reprocess is refused, and the audit says what it had been.
        #expect(throws: GatewayError.self) { try session.operations.reprocess(reader, actor: "ops", id: id) }
        #expect(try Self.row(session, id) == ("ingested", 1, 1))
        let audit = try reader.auditLog().filter { $0.action == "messages.reprocess" }
        #expect(audit.count == 2)
        #expect(audit.allSatisfy { $0.actor == "ops" && ($0.detail ?? "").contains("disk is full") })
    }

    /// The store's side: a row no longer failed, or a control id another entry already holds, is answered
    /// as the duplicate it is and left as it was.
    @Test func relogFailedMessageNeverIngestsAMessageTwice() throws {
        let session = try CommandLineTool.Session(path: BulkIngestTests.temporaryDB())
        let (failed, other) = try session.writer.perform { store -> (Int64, Int64) in
            guard case .stored(let failed) = try store.logMessage(raw: Array("MSH|bad".utf8), channel: .inbox, format: nil,
                senderApplication: nil, senderFacility: nil, controlID: nil, status: .failed, error: "MSH-2 encoding characters missing"),
                case .stored(let other) = try store.logMessage(raw: Self.adt, channel: .mllp, format: "hl7v2", senderApplication: "EPIC",
                    senderFacility: "RIVERSIDE", controlID: "RCH-7731", status: .ingested, ack: Array("MSA|AA|RCH-7731".utf8))
            else { throw PatientIndexError(.conflict, "not stored") }
            return (failed, other)
        }
        // The failed bytes turn out to be the message another entry holds: that entry answers.
        let clash = try session.writer.perform { store in
            try store.relogFailedMessage(failed, format: "hl7v2", senderApplication: "EPIC", senderFacility: "RIVERSIDE", controlID: "RCH-7731",
                status: .ingested, error: nil, errorPosition: nil, ack: nil)
        }
        #expect(clash == .duplicate(other, ack: Array("MSA|AA|RCH-7731".utf8), status: .ingested))
        #expect(try Self.row(session, failed).status == "failed")
        // An entry that is not failed is not run again.
        let notFailed = try session.writer.perform { store in
            try store.relogFailedMessage(other, format: "hl7v2", senderApplication: "EPIC", senderFacility: "RIVERSIDE", controlID: "RCH-7731",
                status: .ingested, error: nil, errorPosition: nil, ack: nil)
        }
        #expect(notFailed == .duplicate(other, ack: Array("MSA|AA|RCH-7731".utf8), status: .ingested))
        #expect(throws: PatientIndexError.self) {
            try session.writer.perform { store in
                try store.relogFailedMessage(9_999, format: nil, senderApplication: nil, senderFacility: nil, controlID: nil,
                    status: .ingested, error: nil, errorPosition: nil, ack: nil)
            }
        }
    }

    /// The ingest fails and so does recording its failure (the disk is full for both): nothing of the
    /// message stays, where its log row used to stay marked "ingested" with an AA for an ingest that
    /// rolled back, so a re-send (or the inbox's retry) was answered as already known.
    @Test func aMessageWhoseFailureCannotBeRecordedLeavesNothingBehind() throws {
        let session = try CommandLineTool.Session(path: BulkIngestTests.temporaryDB())
        try Self.breakStorage(session)
        try session.writer.perform { store in
            try store.db.execute("""
                CREATE TEMP TRIGGER refuse_failure_mark BEFORE UPDATE OF status ON message_log WHEN new.status = 'failed'
                BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END
                """)
        }
        let first = session.service.ingestAndWait(InboundUnit(raw: Self.adt, channel: .mllp, origin: "test"))
        #expect(first.status == .failed)
        #expect(first.messageLogID == nil)
        #expect(first.error?.code == .storage)
        #expect(Self.msa(first.ack) == "AR", "not stored: send again later")
        let db = try Connection(path: session.path, readOnly: true)
        #expect(try db.scalar("SELECT count(*) FROM message_log") == .integer(0))

        try Self.heal(session)
        try session.writer.perform { store in try store.db.execute("DROP TRIGGER temp.refuse_failure_mark") }
        let again = session.service.ingestAndWait(InboundUnit(raw: Self.adt, channel: .mllp, origin: "test"))
        #expect(again.status == .ingested)
        #expect(Self.msa(again.ack) == "AA")
        #expect(try db.scalar("SELECT count(*) FROM source_records") == .integer(1))
    }
}
