import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

/// A record its source folded into another one (ADT^A40) stays with the record it was merged into
/// whatever a steward does, and undo refuses what it could not put back the way it was.
@Suite struct FoldedRecordTests {
    /// Robert's two Riverside charts, E1009999 folded into E1009911 by an A40 (so they share one enterprise
    /// patient), and Maria in her own.
    static func folded() throws -> (index: TemporaryIndex, survivor: PatientOutcome, prior: PatientOutcome, maria: PatientOutcome) {
        let index = try TemporaryIndex(model: .reviewingEverything)
        let survivor = try index.store.ingest([Patients.robertAtRiverside(mrn: "E1009911")], from: Clinics.riverside).patients[0]
        let duplicate = Patients.robertsSecondChart()
        let prior = try index.store.ingest([duplicate], from: Clinics.riverside, messageID: "MSG00002").patients[0]
        let a40 = Patients.a40FoldingRobertsSecondChart()
        _ = try index.store.ingest(a40, messageID: nil)
        let maria = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside, messageID: "MSG00003").patients[0]
        return (index, survivor, prior, maria)
    }

    static func patient(of record: Int64, _ index: TemporaryIndex) throws -> String? {
        try IndexRows.enterpriseID(ofRecord: record, in: index.store.db)
    }

    @Test func unlinkingASurvivorTakesItsFoldedRecordAlongAndUndoBringsBothBack() throws {
        let (index, survivor, prior, maria) = try Self.folded()
        let home = try #require(try Self.patient(of: survivor.recordID, index))
        #expect(try Self.patient(of: prior.recordID, index) == home)
        try index.store.link(recordID: maria.recordID, to: home, actor: "steward:akim", reason: nil)

        let split = try index.store.unlink(recordID: survivor.recordID, actor: "steward:akim", reason: "not the same person as Maria")
        #expect(try Self.patient(of: survivor.recordID, index) == split.enterpriseID)
        #expect(try Self.patient(of: prior.recordID, index) == split.enterpriseID)
        #expect(try Self.patient(of: maria.recordID, index) == home)
        try CountersTests.expectInStep(index, "after unlinking a survivor")

        try index.store.undo(eventID: split.eventID, actor: "steward:akim", reason: nil)
        #expect(try Self.patient(of: survivor.recordID, index) == home)
        #expect(try Self.patient(of: prior.recordID, index) == home)
        // The emptied patient is inactive again, not left holding the folded record.
        #expect(try index.store.db.scalar("SELECT active FROM enterprise_patients WHERE id = ?", [split.enterpriseID]) == .integer(0))
        try CountersTests.expectInStep(index, "after the undo")
    }

    @Test func linkingASurvivorElsewhereTakesItsFoldedRecordAlong() throws {
        let (index, survivor, prior, maria) = try Self.folded()
        let home = try #require(try Self.patient(of: survivor.recordID, index))
        try index.store.link(recordID: survivor.recordID, to: maria.enterpriseID, actor: "steward:akim", reason: nil)
        #expect(try Self.patient(of: prior.recordID, index) == maria.enterpriseID)
        // Nothing is left in the old patient, which resolves to where its records went.
        #expect(try index.store.db.scalar("SELECT active FROM enterprise_patients WHERE id = ?", [home]) == .integer(0))
        try CountersTests.expectInStep(index, "after linking a survivor elsewhere")
    }

    @Test func aSurvivorAloneWithItsFoldedRecordIsNotUnlinkedAndAFoldedRecordNotMoved() throws {
        let (index, survivor, prior, maria) = try Self.folded()
        #expect(throws: PatientIndexError(.conflict, "")) {
            try index.store.unlink(recordID: survivor.recordID, actor: "steward:akim", reason: nil)
        }
        #expect(throws: PatientIndexError(.conflict, "")) {
            try index.store.unlink(recordID: prior.recordID, actor: "steward:akim", reason: nil)
        }
        #expect(throws: PatientIndexError(.conflict, "")) {
            try index.store.link(recordID: prior.recordID, to: maria.enterpriseID, actor: "steward:akim", reason: nil)
        }
        #expect(try Self.patient(of: prior.recordID, index) == Self.patient(of: survivor.recordID, index))
    }

    /// Undoing a decision reopens its review item; undoing that undo is refused (deciding the item again is
    /// the way), instead of being taken for the undo of a "not a match".
    @Test func theUndoOfAReviewDecisionIsNotUndone() throws {
        let (index, p) = try StewardTests.threePatients()
        let item = try #require(try index.reader().reviewQueue().first { $0.recordID == p[2].recordID && $0.candidateEnterpriseID == p[0].enterpriseID })
        let decided = try index.store.decide(reviewID: item.id, isMatch: true, actor: "steward:akim", reason: nil)
        let undone = try index.store.undo(eventID: decided.eventID, actor: "steward:lee", reason: nil)
        #expect(throws: PatientIndexError(.notReversible, "")) {
            try index.store.undo(eventID: undone.eventID, actor: "steward:lee", reason: nil)
        }
        #expect(try index.reader().reviewItem(id: item.id)?.status == .open)
        #expect(try index.reader().enterpriseID(ofRecord: p[2].recordID) == p[2].enterpriseID)
        // Deciding it again works.
        let again = try index.store.decide(reviewID: item.id, isMatch: true, actor: "steward:lee", reason: nil)
        #expect(again.enterpriseID == p[0].enterpriseID)
    }
}

extension FoldedRecordTests {
    /// After an ADT^A40 the survivor answers to the folded record's MRN, and so does the golden record
    /// at once (it was computed from the survivor as it stood before adopting the key, until the next
    /// recompute).
    @Test func theGoldenRecordHasTheFoldedRecordsKeyRightAfterTheMerge() throws {
        let (index, survivor, _, _) = try Self.folded()
        let home = try #require(try Self.patient(of: survivor.recordID, index))
        let golden = try #require(try index.reader().enterprisePatient(id: home)?.golden)
        let values = Set(golden.identifiers.map(\.value))
        #expect(values.isSuperset(of: ["E1009911", "E1009999"]), "\(values)")
    }
}

extension FoldedRecordTests {
    /// A folded record leaves matching, and with it the name frequencies the model weighs names by.
    @Test func aFoldedRecordNoLongerCountsInTheNameFrequencies() throws {
        let (index, _, _, _) = try Self.folded()
        let store = index.store
        func stored(_ kind: String, _ name: String) throws -> Int64 {
            try store.db.row("SELECT count FROM name_frequencies WHERE kind = ? AND name = ?", [kind, name])?.int(0) ?? 0
        }
        let robert = PatientIndexStore.features(of: Patients.robertAtRiverside())
        let family = try #require(robert.family)
        let bob = Patients.robertsSecondChart()
        let bobGiven = try #require(PatientIndexStore.features(of: bob).given)
        // Robert's survivor and Maria are matched; the folded "Bob Chen" is not.
        #expect(try stored("family", family) == 1)
        #expect(try stored("given", bobGiven) == 0)
        #expect(try stored("family", "") == 2)
        #expect(try store.nameCount(kind: "family", name: family) == 1)
    }
}
