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
}
