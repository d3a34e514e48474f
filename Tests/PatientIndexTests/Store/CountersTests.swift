import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

/// `/metrics` reads its totals from the `counters` table, which triggers keep in step with the message log,
/// the source records and the enterprise patients. Each test checks the counters against a full count of
/// the tables themselves after every kind of write that changes them.
@Suite struct CountersTests {
    /// What `counts()` would have been computed from the tables directly (the query `/metrics` used to run).
    static func scanned(_ db: Connection) throws -> IndexCounts {
        var messages: [String: [MessageStatus: Int]] = [:]
        for row in try db.rows("SELECT ifnull(format, 'unknown'), status, count(*) FROM message_log GROUP BY 1, 2") {
            messages[row.string(0)!, default: [:]][MessageStatus(rawValue: row.string(1)!)!] = Int(row.int(2)!)
        }
        return IndexCounts(
            messages: messages,
            enterprisePatients: Int(try db.scalar("SELECT count(*) FROM enterprise_patients WHERE active = 1").integerValue!),
            sourceRecords: Int(try db.scalar("SELECT count(*) FROM source_records WHERE merged_into IS NULL").integerValue!),
            openReviews: Int(try db.scalar("SELECT count(*) FROM review_queue WHERE status = 'open'").integerValue!),
            flags: Int(try db.scalar("SELECT count(*) FROM fact_flag WHERE active = 1").integerValue!))
    }

    static func expectInStep(_ index: TemporaryIndex, _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let counted = try index.reader().counts()
        let scanned = try Self.scanned(index.store.db)
        #expect(counted.messages == scanned.messages, comment, sourceLocation: sourceLocation)
        #expect(counted.enterprisePatients == scanned.enterprisePatients, comment, sourceLocation: sourceLocation)
        #expect(counted.sourceRecords == scanned.sourceRecords, comment, sourceLocation: sourceLocation)
        #expect(counted.openReviews == scanned.openReviews, comment, sourceLocation: sourceLocation)
    }

    @Test func messageTotalsFollowInsertsStatusChangesAndDeletes() throws {
        let index = try TemporaryIndex()
        let store = index.store
        guard case .stored(let adt) = try store.logMessage(raw: MessageLogTests.adt, channel: .mllp, format: "hl7v2",
            senderApplication: "EPIC", senderFacility: "RIVERSIDE_MC", controlID: "MSG00017") else { Issue.record("not stored"); return }
        guard case .stored(let junk) = try store.logMessage(raw: Array("MSH|bad".utf8), channel: .http, format: nil,
            senderApplication: nil, senderFacility: nil, controlID: nil) else { Issue.record("not stored"); return }
        _ = try store.db.transaction {
            try store.logMessage(raw: Array("<ClinicalDocument/>".utf8), channel: .inbox, format: "ccda", senderApplication: nil,
                senderFacility: nil, controlID: nil, status: .ingested, ack: nil)
        }
        #expect(try index.reader().counts().messages == ["hl7v2": [.received: 1], "unknown": [.received: 1], "ccda": [.ingested: 1]])
        try Self.expectInStep(index, "after three inserts")

        try store.markIngested(adt, ack: nil)
        try store.markFailed(junk, error: "MSH-2 encoding characters missing", position: "MSH-2", ack: nil)
        #expect(try index.reader().counts().messages == ["hl7v2": [.ingested: 1], "unknown": [.failed: 1], "ccda": [.ingested: 1]])
        try Self.expectInStep(index, "after status changes")

        // Reprocessing a failed message with a format it was not logged under moves it between formats too.
        try store.db.run("UPDATE message_log SET format = 'hl7v2', status = 'ingested' WHERE id = ?", [junk])
        // An update that touches neither column leaves the totals alone.
        try store.db.run("UPDATE message_log SET error = 'note' WHERE id = ?", [adt])
        #expect(try index.reader().counts().messages == ["hl7v2": [.ingested: 2], "ccda": [.ingested: 1]])
        try Self.expectInStep(index, "after a format change")

        try store.db.run("DELETE FROM message_log WHERE id = ?", [adt])
        #expect(try index.reader().counts().messages == ["hl7v2": [.ingested: 1], "ccda": [.ingested: 1]])
        try Self.expectInStep(index, "after a delete")
    }

    @Test func patientAndRecordTotalsFollowStewardOperationsAndSourceMerges() throws {
        let (index, p) = try StewardTests.threePatients()
        try Self.expectInStep(index, "three patients")
        #expect(try index.reader().counts().enterprisePatients == 3)

        let linked = try index.store.link(recordID: p[2].recordID, to: p[0].enterpriseID, actor: "steward:akim", reason: nil)
        try Self.expectInStep(index, "after a link")
        #expect(try index.reader().counts().enterprisePatients == 2)
        try index.store.undo(eventID: linked.eventID, actor: "steward:akim", reason: nil)
        try Self.expectInStep(index, "after its undo")

        let merged = try index.store.merge(p[2].enterpriseID, into: p[1].enterpriseID, actor: "steward:akim", reason: nil)
        try Self.expectInStep(index, "after a merge")
        try index.store.undo(eventID: merged.eventID, actor: "steward:akim", reason: nil)
        try Self.expectInStep(index, "after an unmerge")

        try index.store.link(recordID: p[2].recordID, to: p[0].enterpriseID, actor: "steward:akim", reason: nil)
        let split = try index.store.unlink(recordID: p[2].recordID, actor: "steward:akim", reason: nil)
        try Self.expectInStep(index, "after an unlink")
        #expect(try index.reader().counts().enterprisePatients == 3)
        _ = split

        // ADT^A40: the prior record is merged into the survivor and stops counting as a current record.
        let survivor = try index.store.ingest([Patients.robertAtRiverside(mrn: "E1009911")], from: Clinics.riverside, messageID: "MSG10001").patients[0]
        let prior = try index.store.ingest([Patients.robertAtRiverside(mrn: "E1009999")], from: Clinics.riverside, messageID: "MSG10002").patients[0]
        let before = try index.reader().counts().sourceRecords
        let a40 = Patients.a40FoldingRobertsSecondChart()
        _ = try index.store.ingest(a40, messageID: nil)
        #expect(try index.store.db.scalar("SELECT merged_into FROM source_records WHERE id = ?", [prior.recordID]) == .integer(survivor.recordID))
        #expect(try index.reader().counts().sourceRecords == before - 1)
        try Self.expectInStep(index, "after an ADT^A40 source merge")
    }

    /// An index written before the counters existed (schema version 2) gets them, counted from its tables,
    /// when it is opened.
    @Test func anOlderIndexIsCountedWhenOpened() throws {
        let index = try TemporaryIndex()
        _ = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside)
        _ = try index.store.ingest([Patients.robertAtRiverside()], from: Clinics.riverside, messageID: "MSG00002")
        _ = try index.store.logMessage(raw: MessageLogTests.adt, channel: .mllp, format: "hl7v2",
            senderApplication: "EPIC", senderFacility: "RIVERSIDE_MC", controlID: "MSG00017")
        let expected = try Self.scanned(index.store.db)
        // Back to version 2's shape: no table, no triggers.
        for row in try index.store.db.rows("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'counters_%'") {
            try index.store.db.execute("DROP TRIGGER \(row.string(0)!)")
        }
        try index.store.db.execute("""
            DROP TABLE counters;
            DELETE FROM schema_migrations WHERE version = 3;
            """)
        #expect(try index.store.db.row("SELECT 1 FROM sqlite_schema WHERE name LIKE 'counters%'") == nil)
        try index.reopen()
        let counted = try index.reader().counts()
        #expect(counted.messages == expected.messages)
        #expect(counted.messages["hl7v2"]?[.received] == 1)
        #expect(counted.enterprisePatients == expected.enterprisePatients)
        #expect(counted.sourceRecords == expected.sourceRecords)
        #expect(counted.sourceRecords == 2)
        // And the triggers came back with it.
        _ = try index.store.ingest([Patients.mariaAtLakeview()], from: Clinics.lakeview, messageID: "MSG00003")
        try Self.expectInStep(index, "after an ingest into the migrated index")
        #expect(try index.reader().counts().sourceRecords == 3)
    }
}
