import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

@Suite struct StewardTests {
    /// Three people, each their own enterprise patient (never linked automatically: the model reviews everything).
    static func threePatients() throws -> (TemporaryIndex, [PatientOutcome]) {
        let index = try TemporaryIndex(model: .reviewingEverything)
        let maria = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside).patients[0]
        let robert = try index.store.ingest([Patients.robertAtRiverside()], from: Clinics.riverside).patients[0]
        let lakeview = try index.store.ingest([Patients.mariaAtLakeview()], from: Clinics.lakeview).patients[0]
        return (index, [maria, robert, lakeview])
    }

    @Test func linkMovesARecordAndUndoMovesItBack() throws {
        let (index, p) = try Self.threePatients()
        let linked = try index.store.link(recordID: p[2].recordID, to: p[0].enterpriseID, actor: "steward:akim", reason: "same SSN, confirmed by phone")
        let reader = try index.reader()
        #expect(try reader.enterprisePatient(id: p[0].enterpriseID)?.members.map(\.recordID) == [String(p[0].recordID), String(p[2].recordID)])
        // The emptied patient resolves to where its record went.
        #expect(try reader.enterprisePatient(id: p[2].enterpriseID)?.id == p[0].enterpriseID)
        #expect(try reader.counts().enterprisePatients == 2)
        let member = try #require(try reader.enterprisePatient(id: p[0].enterpriseID)?.members.last)
        #expect(member.explanation.method == "steward")
        #expect(member.explanation.reason == "same SSN, confirmed by phone")

        let undone = try index.store.undo(eventID: linked.eventID, actor: "steward:lee", reason: "wrong patient selected")
        #expect(undone.enterpriseID == p[2].enterpriseID)
        #expect(try reader.enterprisePatient(id: p[2].enterpriseID)?.members.map(\.recordID) == [String(p[2].recordID)])
        #expect(try reader.counts().enterprisePatients == 3)
        let history = try reader.history(enterpriseID: p[0].enterpriseID)
        #expect(history.map(\.action) == [.new, .link, .unlink])
        #expect(history[1].reversedBy == undone.eventID)
        #expect(history[2].reverses == linked.eventID)
        #expect(history[2].actor == "steward:lee")
        #expect(history[2].reason == "wrong patient selected")
        #expect(throws: PatientIndexError(.conflict, "")) { try index.store.undo(eventID: linked.eventID, actor: "steward:lee", reason: nil) }
    }

    @Test func unlinkSplitsARecordIntoANewPatient() throws {
        let (index, p) = try Self.threePatients()
        try index.store.link(recordID: p[2].recordID, to: p[0].enterpriseID, actor: "steward:akim", reason: nil)
        let split = try index.store.unlink(recordID: p[2].recordID, actor: "steward:akim", reason: "mother and daughter share a name")
        #expect(split.enterpriseID == "EP-00000004")
        let reader = try index.reader()
        #expect(try reader.enterprisePatient(id: split.enterpriseID)?.members.map(\.recordID) == [String(p[2].recordID)])
        #expect(try reader.enterprisePatient(id: p[0].enterpriseID)?.members.map(\.recordID) == [String(p[0].recordID)])
        #expect(throws: PatientIndexError(.conflict, "")) { try index.store.unlink(recordID: p[0].recordID, actor: "steward:akim", reason: nil) }

        try index.store.undo(eventID: split.eventID, actor: "steward:akim", reason: nil)
        #expect(try reader.enterprisePatient(id: p[0].enterpriseID)?.members.count == 2)
        #expect(try reader.enterprisePatient(id: split.enterpriseID)?.id == p[0].enterpriseID)
    }

    @Test func mergeMovesEveryRecordAndUndoUnmerges() throws {
        let (index, p) = try Self.threePatients()
        try index.store.link(recordID: p[1].recordID, to: p[2].enterpriseID, actor: "steward:akim", reason: nil)
        let merged = try index.store.merge(p[2].enterpriseID, into: p[0].enterpriseID, actor: "steward:akim", reason: "duplicate charts")
        let reader = try index.reader()
        #expect(try reader.enterprisePatient(id: p[0].enterpriseID)?.members.count == 3)
        #expect(try reader.resolve(p[2].enterpriseID) == p[0].enterpriseID)
        #expect(try reader.counts().enterprisePatients == 1)

        let unmerged = try index.store.undo(eventID: merged.eventID, actor: "steward:lee", reason: nil)
        #expect(unmerged.enterpriseID == p[2].enterpriseID)
        #expect(try reader.enterprisePatient(id: p[0].enterpriseID)?.members.map(\.recordID) == [String(p[0].recordID)])
        #expect(Set(try reader.enterprisePatient(id: p[2].enterpriseID)?.members.map(\.recordID) ?? []) == [String(p[1].recordID), String(p[2].recordID)])
        #expect(try reader.history(enterpriseID: p[2].enterpriseID).map(\.action) == [.new, .link, .merge, .unmerge])
        #expect(throws: PatientIndexError(.notReversible, "")) { try index.store.undo(eventID: unmerged.eventID, actor: "steward:lee", reason: nil) }
        #expect(throws: PatientIndexError(.invalidArgument, "")) { try index.store.merge(p[0].enterpriseID, into: p[0].enterpriseID, actor: "x", reason: nil) }
    }

    @Test func aMatchDecisionLinksAndCanBeUndone() throws {
        let (index, p) = try Self.threePatients()
        let reader = try index.reader()
        let item = try #require(try reader.reviewQueue().first { $0.recordID == p[2].recordID && $0.candidateEnterpriseID == p[0].enterpriseID })
        let decided = try index.store.decide(reviewID: item.id, isMatch: true, actor: "steward:akim", reason: "confirmed with the clinic")
        #expect(decided.enterpriseID == p[0].enterpriseID)
        #expect(try reader.reviewItem(id: item.id)?.status == .matched)
        #expect(try reader.reviewItem(id: item.id)?.decidedBy == "steward:akim")
        #expect(try reader.enterpriseID(ofRecord: p[2].recordID) == p[0].enterpriseID)
        // The record's other open items are withdrawn.
        #expect(try reader.reviewQueue(status: .open).filter { $0.recordID == p[2].recordID }.isEmpty)
        #expect(throws: PatientIndexError(.conflict, "")) { try index.store.decide(reviewID: item.id, isMatch: false, actor: "x", reason: nil) }

        try index.store.undo(eventID: decided.eventID, actor: "steward:lee", reason: "premature")
        #expect(try reader.enterpriseID(ofRecord: p[2].recordID) == p[2].enterpriseID)
        #expect(try reader.reviewItem(id: item.id)?.status == .open)
    }

    @Test func notAMatchUndoForgetsThePair() throws {
        let (index, p) = try Self.threePatients()
        let item = try #require(try index.reader().reviewQueue().first { $0.recordID == p[2].recordID && $0.candidateEnterpriseID == p[0].enterpriseID })
        let decided = try index.store.decide(reviewID: item.id, isMatch: false, actor: "steward:akim", reason: nil)
        #expect(try index.store.db.scalar("SELECT count(*) FROM not_a_match") == .integer(1))
        try index.store.undo(eventID: decided.eventID, actor: "steward:akim", reason: nil)
        #expect(try index.store.db.scalar("SELECT count(*) FROM not_a_match") == .integer(0))
        #expect(try index.reader().reviewItem(id: item.id)?.status == .open)
    }

    @Test func historyIsAppendOnly() throws {
        let (index, _) = try Self.threePatients()
        #expect(throws: SQLiteError.self) { try index.store.db.run("DELETE FROM link_history") }
        #expect(throws: SQLiteError.self) { try index.store.db.run("UPDATE link_history SET actor = 'mallory'") }
    }

    @Test func anA40FoldsThePriorRecordIntoTheSurvivor() throws {
        let index = try TemporaryIndex(model: .reviewingEverything)
        let survivor = try index.store.ingest([Patients.robertAtRiverside(mrn: "E1009911")], from: Clinics.riverside).patients[0]
        let duplicate = Patients.robertsSecondChart()
        let prior = try index.store.ingest([duplicate], from: Clinics.riverside).patients[0]
        #expect(prior.enterpriseID != survivor.enterpriseID)

        let a40 = Patients.a40FoldingRobertsSecondChart()
        let outcome = try index.store.ingest(a40, messageID: nil)
        #expect(outcome.sourceMerges == [SourceMergeOutcome(priorRecordID: prior.recordID, survivorRecordID: survivor.recordID, enterpriseID: survivor.enterpriseID)])
        let reader = try index.reader()
        #expect(try reader.resolve(prior.enterpriseID) == survivor.enterpriseID)
        let patient = try #require(try reader.enterprisePatient(id: survivor.enterpriseID))
        #expect(patient.members.map(\.recordID) == [String(survivor.recordID), String(prior.recordID)])
        #expect(patient.members.last?.explanation.method == "sourceMerge")
        // The folded record no longer shapes the golden record.
        #expect(patient.golden.names.map(\.given) == [["Robert", "Wei"]])
        #expect(try reader.reviewQueue(status: .open).filter { $0.recordID == prior.recordID }.isEmpty)
        #expect(try reader.history(enterpriseID: survivor.enterpriseID).last?.action == .sourceMerge)

        // The folded record moves only with its survivor.
        #expect(throws: PatientIndexError(.conflict, "")) { try index.store.unlink(recordID: prior.recordID, actor: "steward:akim", reason: nil) }

        // A later message under the old MRN updates the survivor, also after the survivor was updated again.
        _ = try index.store.ingest([Patients.robertAtRiverside(mrn: "E1009911")], from: Clinics.riverside, messageID: "MSG00042")
        #expect(try reader.enterprisePatient(id: survivor.enterpriseID)?.golden.identifiers.map(\.value) == ["E1009911", "E1009999"])
        let late = try index.store.ingest([Patients.robertAtRiverside(mrn: "E1009999")], from: Clinics.riverside, messageID: "MSG00041").patients[0]
        #expect(late.decision == .updated)
        #expect(late.recordID == survivor.recordID)
    }
}
