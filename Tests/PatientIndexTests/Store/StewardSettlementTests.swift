import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

/// What later changes do to earlier steward work: review items that a merge or link settled, undo after
/// the patient a record left was merged away, and "not a match" decisions about a record its source
/// folded into another.
@Suite struct StewardSettlementTests {
    static func openItem(_ index: TemporaryIndex, record: Int64, candidate: String) throws -> ReviewItem? {
        try index.reader().reviewQueue(status: .open).first { $0.recordID == record && $0.candidateEnterpriseID == candidate }
    }

    static func status(_ index: TemporaryIndex, review: Int64) throws -> String? {
        try index.store.db.row("SELECT status FROM review_queue WHERE id = ?", [review])?.string(0)
    }

    /// Lakeview's Maria waits in review against Riverside's Maria; a steward merges the two patients
    /// instead of deciding the item. The item is withdrawn, and deciding it is refused, where "not a
    /// match" used to record the record against its own patient.
    @Test func aMergeWithdrawsTheReviewItemsItSettles() throws {
        let (index, p) = try StewardTests.threePatients()
        let item = try #require(try Self.openItem(index, record: p[2].recordID, candidate: p[0].enterpriseID))
        try index.store.merge(p[2].enterpriseID, into: p[0].enterpriseID, actor: "steward:akim", reason: "same person")
        #expect(try Self.status(index, review: item.id) == "withdrawn")
        #expect(try Self.openItem(index, record: p[2].recordID, candidate: p[0].enterpriseID) == nil)
        #expect(throws: PatientIndexError(.conflict, "")) {
            try index.store.decide(reviewID: item.id, isMatch: false, actor: "steward:lee", reason: nil)
        }
        #expect(try index.store.db.scalar("SELECT count(*) FROM not_a_match") == .integer(0))
    }

    /// A steward links the record straight to the candidate: the item is settled the same way.
    @Test func aLinkToTheCandidateWithdrawsTheItem() throws {
        let (index, p) = try StewardTests.threePatients()
        let item = try #require(try Self.openItem(index, record: p[2].recordID, candidate: p[0].enterpriseID))
        try index.store.link(recordID: p[2].recordID, to: p[0].enterpriseID, actor: "steward:akim", reason: nil)
        #expect(try Self.status(index, review: item.id) == "withdrawn")
        #expect(throws: PatientIndexError(.conflict, "")) {
            try index.store.decide(reviewID: item.id, isMatch: true, actor: "steward:lee", reason: nil)
        }
    }

    /// Maria's Lakeview record is linked into her Riverside patient, then unlinked again; meanwhile a
    /// steward merged the Riverside patient into another. Undoing the unlink puts the record with the
    /// records it was with (in the surviving patient) instead of reviving the merged-away patient with
    /// it alone.
    @Test func undoAfterTheOldPatientWasMergedAwayReturnsToTheSurvivor() throws {
        let (index, p) = try StewardTests.threePatients()
        let home = p[0].enterpriseID, elsewhere = p[1].enterpriseID
        try index.store.link(recordID: p[2].recordID, to: home, actor: "steward:akim", reason: nil)
        let split = try index.store.unlink(recordID: p[2].recordID, actor: "steward:akim", reason: "checking")
        try index.store.merge(home, into: elsewhere, actor: "steward:lee", reason: "test merge")
        #expect(try index.store.db.scalar("SELECT active FROM enterprise_patients WHERE id = ?", [home]) == .integer(0))

        let undone = try index.store.undo(eventID: split.eventID, actor: "steward:akim", reason: nil)
        #expect(undone.enterpriseID == elsewhere)
        #expect(try IndexRows.enterpriseID(ofRecord: p[2].recordID, in: index.store.db) == elsewhere)
        #expect(try IndexRows.enterpriseID(ofRecord: p[0].recordID, in: index.store.db) == elsewhere)
        // The merged-away patient stays merged away and still resolves to the survivor.
        #expect(try index.store.db.scalar("SELECT active FROM enterprise_patients WHERE id = ?", [home]) == .integer(0))
        #expect(try index.reader().enterprisePatient(id: home)?.id == elsewhere)
        // The patient the unlink created is emptied.
        #expect(try index.store.db.scalar("SELECT active FROM enterprise_patients WHERE id = ?", [split.enterpriseID]) == .integer(0))
        try CountersTests.expectInStep(index, "after the undo")
    }

    /// The plain case still revives the patient the move emptied.
    @Test func undoRevivesThePatientItsOwnMoveEmptied() throws {
        let (index, p) = try StewardTests.threePatients()
        let linked = try index.store.link(recordID: p[2].recordID, to: p[0].enterpriseID, actor: "steward:akim", reason: nil)
        let undone = try index.store.undo(eventID: linked.eventID, actor: "steward:akim", reason: nil)
        #expect(undone.enterpriseID == p[2].enterpriseID)
        #expect(try index.store.db.scalar("SELECT active FROM enterprise_patients WHERE id = ?", [p[2].enterpriseID]) == .integer(1))
    }

    /// Lakeview's Robert was declared not a match with Riverside's duplicate chart of Robert ("Bob"),
    /// which an ADT^A40 then folds into the surviving chart. The decision holds for the survivor: his
    /// patient is no longer a candidate for Lakeview's record, and undoing the decision forgets both pairs.
    @Test func notAMatchWithAFoldedRecordHoldsForItsSurvivor() throws {
        let index = try TemporaryIndex(model: .reviewingEverything)
        let survivor = try index.store.ingest([Patients.robertAtRiverside(mrn: "E1009911")], from: Clinics.riverside).patients[0]
        let duplicate = Patients.robertsSecondChart()
        let prior = try index.store.ingest([duplicate], from: Clinics.riverside, messageID: "MSG00002").patients[0]
        let lakeviewRobert = Patients.record(at: Clinics.lakeview, authority: Clinics.lakeviewMRN, mrn: "99120", family: "CHEN", given: ["ROBERT"],
            born: (1958, 11, 2), sex: .male, phone: "217-555-0199", street: "77 Oak Street")
        let other = try index.store.ingest([lakeviewRobert], from: Clinics.lakeview, messageID: "MSG00003").patients[0]
        let item = try #require(try Self.openItem(index, record: other.recordID, candidate: prior.enterpriseID))
        let decided = try index.store.decide(reviewID: item.id, isMatch: false, actor: "steward:akim", reason: "different Robert")

        let a40 = Patients.a40FoldingRobertsSecondChart()
        _ = try index.store.ingest(a40, messageID: nil)
        let home = try #require(try IndexRows.enterpriseID(ofRecord: survivor.recordID, in: index.store.db))
        #expect(try IndexRows.enterpriseID(ofRecord: prior.recordID, in: index.store.db) == home)

        let pair = [min(survivor.recordID, other.recordID), max(survivor.recordID, other.recordID)]
        #expect(try index.store.db.scalar("SELECT count(*) FROM not_a_match WHERE record_a = ? AND record_b = ?", [pair[0], pair[1]]) == .integer(1))
        let features = MatchNormalizer.features(of: lakeviewRobert)
        let candidates = try index.store.candidates(recordID: other.recordID, keys: BlockingKeys.keys(for: features), features: features,
            excluding: other.enterpriseID)
        #expect(!candidates.candidates.contains { $0.patientID == home })

        try index.store.undo(eventID: decided.eventID, actor: "steward:akim", reason: "was the same Robert after all")
        #expect(try index.store.db.scalar("SELECT count(*) FROM not_a_match") == .integer(0))
        let again = try index.store.candidates(recordID: other.recordID, keys: BlockingKeys.keys(for: features), features: features,
            excluding: other.enterpriseID)
        #expect(again.candidates.contains { $0.patientID == home })
    }

    /// Two review decisions declare the same pairs not a match (Lakeview's Maria against two charts of
    /// Maria that a steward then merged). Undoing the first keeps the pairs, which the second still
    /// asserts; undoing the second too forgets them.
    @Test func undoingOneNotAMatchKeepsThePairsAnotherStillAsserts() throws {
        let index = try TemporaryIndex(model: .reviewingEverything)
        let maria = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside).patients[0]
        let chart2 = try index.store.ingest([Patients.mariaAtRiverside(mrn: "E1002399")], from: Clinics.riverside, messageID: "MSG00002").patients[0]
        let lakeview = try index.store.ingest([Patients.mariaAtLakeview()], from: Clinics.lakeview, messageID: "MSG00003").patients[0]
        let first = try #require(try Self.openItem(index, record: lakeview.recordID, candidate: maria.enterpriseID))
        let second = try #require(try Self.openItem(index, record: lakeview.recordID, candidate: chart2.enterpriseID))
        try index.store.merge(chart2.enterpriseID, into: maria.enterpriseID, actor: "steward:akim", reason: "two charts of one Maria")
        let one = try index.store.decide(reviewID: first.id, isMatch: false, actor: "steward:akim", reason: "different Maria")
        let two = try index.store.decide(reviewID: second.id, isMatch: false, actor: "steward:lee", reason: "different Maria")
        func pairs() throws -> [[Int64?]] {
            try index.store.db.rows("SELECT record_a, record_b, review_id FROM not_a_match ORDER BY 1, 2").map { [$0.int(0), $0.int(1), $0.int(2)] }
        }
        let a = lakeview.recordID
        #expect(try pairs() == [[min(a, maria.recordID), max(a, maria.recordID), first.id], [min(a, chart2.recordID), max(a, chart2.recordID), first.id]])

        try index.store.undo(eventID: one.eventID, actor: "steward:akim", reason: nil)
        #expect(try pairs() == [[min(a, maria.recordID), max(a, maria.recordID), second.id], [min(a, chart2.recordID), max(a, chart2.recordID), second.id]])
        try index.store.undo(eventID: two.eventID, actor: "steward:lee", reason: nil)
        #expect(try pairs().isEmpty)
        #expect(try index.store.db.scalar("SELECT count(*) FROM not_a_match_review") == .integer(0))
    }

    /// Maria's two Riverside charts share a patient; a steward links one of them to Robert's patient,
    /// then merges what was left into Robert's too. Undoing the link cannot put the chart back into a
    /// revived patient without its sibling: it is refused, and unlinking is the way.
    @Test func undoIsRefusedWhenThePatientLeftWasMergedIntoTheCurrentOneSince() throws {
        let (index, p) = try StewardTests.threePatients()
        try index.store.link(recordID: p[2].recordID, to: p[0].enterpriseID, actor: "steward:akim", reason: nil)
        let moved = try index.store.link(recordID: p[2].recordID, to: p[1].enterpriseID, actor: "steward:akim", reason: "wrong Maria")
        try index.store.merge(p[0].enterpriseID, into: p[1].enterpriseID, actor: "steward:lee", reason: "test")
        #expect(throws: PatientIndexError(.conflict, "")) {
            try index.store.undo(eventID: moved.eventID, actor: "steward:akim", reason: nil)
        }
        #expect(try index.store.db.scalar("SELECT active FROM enterprise_patients WHERE id = ?", [p[0].enterpriseID]) == .integer(0))
        #expect(try IndexRows.enterpriseID(ofRecord: p[2].recordID, in: index.store.db) == p[1].enterpriseID)
    }

    /// The merge that settled an item is undone: record and candidate are apart again, and so the item
    /// is open again.
    @Test func undoingTheMergeThatSettledAnItemReopensIt() throws {
        let (index, p) = try StewardTests.threePatients()
        let item = try #require(try Self.openItem(index, record: p[2].recordID, candidate: p[0].enterpriseID))
        let merged = try index.store.merge(p[2].enterpriseID, into: p[0].enterpriseID, actor: "steward:akim", reason: nil)
        #expect(try Self.status(index, review: item.id) == "withdrawn")
        try index.store.undo(eventID: merged.eventID, actor: "steward:akim", reason: "premature")
        #expect(try Self.status(index, review: item.id) == "open")
        // And it can be decided.
        try index.store.decide(reviewID: item.id, isMatch: false, actor: "steward:lee", reason: "different Maria")
        #expect(try Self.status(index, review: item.id) == "not-a-match")
    }
}
