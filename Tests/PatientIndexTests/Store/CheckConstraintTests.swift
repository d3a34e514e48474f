import Foundation
@testable import PatientIndex
import SQLite
import Testing

/// Schema versions 5 and 102 rewrite the CHECKs that list more than two values as comparisons joined by OR,
/// so an insert no longer builds a temporary b-tree of the list. These tests hold the rewrite to the same
/// rule as the lists it replaced, on a new index and on one opened after being written by version 4.
@Suite struct CheckConstraintTests {
    static let inserts = [
        "INSERT INTO message_log (received_at, channel, format, sender_application, sender_facility, control_id, sha256, raw, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "INSERT INTO link_history (time, actor, action, record_id, from_ep, to_ep) VALUES (?, ?, ?, ?, ?, ?)",
        "INSERT INTO review_queue (record_id, candidate_enterprise_id, explanation_data, status, created_at) VALUES (?, ?, ?, ?, ?)",
        "UPDATE fact_flag SET status = ? WHERE id = ?",
    ]

    static func logMessage(_ db: Connection, channel: String, status: String) throws {
        try db.run(inserts[0], ["2026-12-07T10:00:00Z", channel, "hl7v2", "EPIC", "RIVERSIDE_MC", String?.none, "00", [UInt8](), status])
    }

    static func recordEvent(_ db: Connection, action: String) throws {
        try db.run(inserts[1], ["2026-12-07T10:00:00Z", "steward:ana", action, Int64?.none, String?.none, "EP-00000001"])
    }

    /// Every value the Swift types write passes; a value outside each list fails; nothing builds a
    /// temporary b-tree.
    static func expectTheRulesHold(_ db: Connection, _ comment: Comment) throws {
        for sql in inserts { #expect(try ConnectionTests.ephemeralTables(db, sql) == 0, comment) }
        try db.transaction {
            for channel in MessageChannel.allCases {
                for status in MessageStatus.allCases { try logMessage(db, channel: channel.rawValue, status: status.rawValue) }
            }
            for action in HistoryEvent.Action.allCases { try recordEvent(db, action: action.rawValue) }
        }
        let rejected: [() throws -> Void] = [
            { try logMessage(db, channel: "fax", status: "received") },
            { try logMessage(db, channel: "mllp", status: "lost") },
            { try logMessage(db, channel: "MLLP", status: "received") },
            { try recordEvent(db, action: "teleport") },
            { try db.run("UPDATE review_queue SET status = 'pending'") },
            { try db.run("UPDATE fact_flag SET status = 'closed'") },
        ]
        for attempt in rejected {
            let error = #expect(throws: SQLiteError.self, comment) { try attempt() }
            #expect(error?.isConstraint == true, comment)
        }
        for status in ReviewItem.Status.allCases { try db.run("UPDATE review_queue SET status = ?", [status.rawValue]) }
        for status in ["open", "acknowledged", "dismissed"] { try db.run("UPDATE fact_flag SET status = ?", [status]) }
        #expect(try db.integrityCheck() == ["ok"], comment)
    }

    static func definitions(_ db: Connection) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try db.rows("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name IN ('message_log', 'link_history', 'review_queue', 'fact_flag')").map { ($0.string(0)!, $0.string(1)!) })
    }

    /// A review item and a flag to update, so their CHECKs run too.
    static func addReviewAndFlag(_ db: Connection) throws {
        try db.execute("""
            INSERT INTO source_records (id, source_key, record_data, features_data, created_at, updated_at)
                VALUES (9001, 'RIVERSIDE_MC|E1009911', x'', x'', '2026-12-07', '2026-12-07');
            INSERT INTO enterprise_patients (id, seq, golden_data, active, created_at, updated_at)
                VALUES ('EP-00009001', 9001, x'', 1, '2026-12-07', '2026-12-07');
            INSERT INTO review_queue (record_id, candidate_enterprise_id, explanation_data, status, created_at)
                VALUES (9001, 'EP-00009001', x'', 'open', '2026-12-07');
            INSERT INTO fact_flag (id, enterprise_id, kind, data) VALUES ('FLAG-1', 'EP-00009001', 'duplicate-test', x'');
            """)
    }

    @Test func aNewIndexChecksItsListsWithoutTemporaryTrees() throws {
        let index = try TemporaryIndex()
        let db = index.store.db
        try Self.addReviewAndFlag(db)
        let definitions = try Self.definitions(db)
        #expect(definitions["message_log"]?.contains("CHECK (channel = 'mllp' OR channel = 'inbox' OR channel = 'http' OR channel = 'cli')") == true)
        #expect(definitions["link_history"]?.contains("action = 'link' OR action = 'unlink' OR action = 'merge'") == true)
        #expect(definitions.values.allSatisfy { !$0.contains(" IN (") && !$0.contains(" IN\n") })
        try Self.expectTheRulesHold(db, "new index")
    }

    @Test func anIndexWrittenByVersionFourIsRewrittenWhenOpened() throws {
        let index = try TemporaryIndex()
        let db = index.store.db
        try Self.addReviewAndFlag(db)
        try Self.logMessage(db, channel: "inbox", status: "ingested")
        try Self.recordEvent(db, action: "new")
        // Back to the text versions 1 and 100 wrote.
        try db.transaction {
            for (table, column, values, separator) in [
                ("message_log", "channel", ["mllp", "inbox", "http", "cli"], " "),
                ("message_log", "status", ["received", "ingested", "failed", "duplicate"], " "),
                ("link_history", "action", ["link", "unlink", "merge", "unmerge", "review-decision", "source-merge", "update", "new"], "\n        "),
                ("review_queue", "status", ["open", "matched", "not-a-match", "withdrawn"], " "),
                ("fact_flag", "status", ["open", "acknowledged", "dismissed"], " "),
            ] {
                let list = values.map { "'\($0)'" }
                #expect(try db.rewriteTableDefinition(table, replacing: list.map { "\(column) = \($0)" }.joined(separator: " OR "),
                                                      with: "\(column) IN\(separator)(\(list.joined(separator: ", ")))"))
            }
            try db.run("DELETE FROM schema_migrations WHERE version IN (5, 102)")
        }
        #expect(try ConnectionTests.ephemeralTables(db, Self.inserts[0]) == 2)
        #expect(try ConnectionTests.ephemeralTables(db, Self.inserts[1]) == 1)
        // Each table's text is now verbatim what its first migration wrote: the fragments the upgrade looks
        // for are the ones real version-4 indexes hold.
        let old = try Self.definitions(db)
        let original = (IndexSchema.migrations + FactLedger.migrations).filter { [1, 100].contains($0.version) }.map(\.sql).joined()
        #expect(old.count == 4)
        for (table, sql) in old { #expect(original.contains(sql), "\(table)") }

        try index.reopen()
        let reopened = index.store.db
        let new = try Self.definitions(reopened)
        for table in ["message_log", "link_history", "review_queue", "fact_flag"] { #expect(new[table] != old[table], "\(table)") }
        #expect(try reopened.rows("SELECT version FROM schema_migrations WHERE version IN (5, 102)").count == 2)
        #expect(try reopened.row("SELECT count(*) FROM message_log WHERE channel = 'inbox' AND status = 'ingested'")?.int(0) == 1)
        #expect(try reopened.row("SELECT count(*) FROM link_history WHERE action = 'new'")?.int(0) == 1)
        try Self.expectTheRulesHold(reopened, "after the upgrade")
        // A reader opened afterwards parses the new schema.
        #expect(try index.reader().counts().messages["hl7v2"]?[.ingested] ?? 0 > 0)
    }
}
