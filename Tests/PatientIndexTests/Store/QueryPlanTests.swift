import Foundation
@testable import PatientIndex
import SQLite
import Testing

/// Lookups that run on every message or every move of a record, held to the plan that reads only the
/// rows they need. SQLite has no statistics on these tables (no ANALYZE), so its choice of index is a
/// heuristic that a new index or a changed query can silently turn into a walk over a whole table;
/// at 1M records each of these cost milliseconds to seconds that way.
@Suite struct QueryPlanTests {
    /// The plan's lines (`EXPLAIN QUERY PLAN`'s detail column).
    static func plan(_ sql: String, _ values: [SQLValue], in db: Connection) throws -> [String] {
        try db.rows("EXPLAIN QUERY PLAN " + sql, values).compactMap { $0.string(3) }
    }

    /// Every refresh of a patient looks for its settled review items. The lookup starts from that
    /// patient's links and reaches each record's items through `review_queue_record`: the planner had
    /// chosen to walk all open items (`review_queue_status`) instead, 5–6 ms per linked record at 1M.
    @Test func settledReviewItemsAreFoundFromThePatientsLinks() throws {
        let (index, p) = try StewardTests.threePatients()
        #expect(try StewardSettlementTests.openItem(index, record: p[2].recordID, candidate: p[0].enterpriseID) != nil)
        let plan = try Self.plan(PatientIndexStore.settledReviewsQuery, [.text(p[0].enterpriseID), .text(PatientIndexStore.settledReason)],
            in: index.store.db)
        #expect(plan.count == 2)
        #expect(plan.first?.contains("links_enterprise") == true)
        #expect(plan.last?.contains("review_queue_record") == true)
        #expect(!plan.contains { $0.contains("review_queue_status") })
    }

    /// A C-CDA document or FHIR bundle has no control id, so its earlier copy is found by hash: through
    /// `message_log_sha256`, not by reading the whole message log for every document.
    @Test func anEarlierCopyWithoutControlIDIsFoundByItsHash() throws {
        let index = try TemporaryIndex()
        let plan = try Self.plan(PatientIndexStore.earlierCopyByHashQuery, [.text(String(repeating: "0", count: 64))], in: index.store.db)
        #expect(plan == ["SEARCH message_log USING INDEX message_log_sha256 (sha256=?)"])
    }

    /// The records folded into one (ADT^A40) move with it; each step of the recursion is a search on
    /// `source_records_merged`, where SQLite had built an automatic index over every record each time.
    @Test func foldedRecordsAreFoundThroughTheirIndex() throws {
        let index = try TemporaryIndex()
        let plan = try Self.plan(PatientIndexStore.foldedRecordsQuery, [.integer(1)], in: index.store.db)
        #expect(plan.contains { $0.contains("USING COVERING INDEX source_records_merged (merged_into=?)") })
        #expect(!plan.contains { $0.contains("AUTOMATIC") })
    }

    /// Each candidate patient's members are read in record order straight from `links_enterprise`,
    /// without sorting them in a temporary b-tree first.
    @Test func candidateMembersComeInIndexOrder() throws {
        let index = try TemporaryIndex()
        let plan = try Self.plan(PatientIndexStore.candidateMembersQuery, [.text("EP-1")], in: index.store.db)
        #expect(plan.first?.contains("links_enterprise") == true)
        #expect(!plan.contains { $0.contains("TEMP B-TREE") })
    }

    /// An index written before migration 6 gets both indexes when it is opened, and the lookups answer
    /// as before: a document sent twice is a duplicate of its first copy, a failed copy is not.
    @Test func anOlderIndexGainsTheIndexesWhenOpened() throws {
        let index = try TemporaryIndex()
        let ccda = Array("<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><id root=\"1.2.3\" extension=\"doc-7\"/></ClinicalDocument>".utf8)
        let first = try index.store.logMessage(raw: ccda, channel: .inbox, format: "ccda", senderApplication: nil, senderFacility: nil, controlID: nil)
        guard case .stored(let firstID) = first else { Issue.record("not stored: \(first)"); return }
        try index.store.markFailed(firstID, error: "no patient", position: nil, ack: nil)
        try index.store.db.execute("""
            DROP INDEX message_log_sha256;
            DROP INDEX source_records_merged;
            DELETE FROM schema_migrations WHERE version = 6;
            """)
        try index.reopen()
        let names = try index.store.db.rows("SELECT name FROM sqlite_schema WHERE name IN ('message_log_sha256', 'source_records_merged') ORDER BY name")
            .compactMap { $0.string(0) }
        #expect(names == ["message_log_sha256", "source_records_merged"])
        // The failed copy is passed over; the next one is stored and is the one a re-send matches.
        let second = try index.store.logMessage(raw: ccda, channel: .inbox, format: "ccda", senderApplication: nil, senderFacility: nil, controlID: nil)
        guard case .stored(let secondID) = second else { Issue.record("not stored: \(second)"); return }
        #expect(secondID != firstID)
        let third = try index.store.logMessage(raw: ccda, channel: .inbox, format: "ccda", senderApplication: nil, senderFacility: nil, controlID: nil)
        #expect(third == .duplicate(secondID, ack: nil, status: .received))
    }
}
