import Foundation
import PatientIndex
import SQLite
import Testing

@testable import Gateway

/// Every steward action goes to the audit log (`concord audit`), with the steward and the enterprise
/// patients it touched, in the transaction that makes it.
@Suite struct StewardAuditTests {
    static func audit(_ session: CommandLineTool.Session) throws -> [[String?]] {
        let db = try Connection(path: session.path, readOnly: true)
        return try db.rows("SELECT actor, action, patient_ids, detail FROM audit ORDER BY id").map { [$0.string(0), $0.string(1), $0.string(2), $0.string(3)] }
    }

    @Test func linkUnlinkMergeAndUndoAreAudited() throws {
        let session = try CommandLineTool.Session(path: BulkIngestTests.temporaryDB())
        defer { session.close() }
        let okafor = session.service.ingestAndWait(InboundUnit(raw: Array(BulkIngestTests.adt("A-1", mrn: "RCH00731", family: "OKAFOR", given: "ADAEZE",
            birth: "19670412", street: "12 ELM ST").utf8), channel: .cli, origin: "test"))
        let brennan = session.service.ingestAndWait(InboundUnit(raw: Array(BulkIngestTests.adt("A-2", mrn: "RCH00842", family: "BRENNAN", given: "MAEVE",
            birth: "19800101", street: "3 OAK AVE").utf8), channel: .cli, origin: "test"))
        let a = try #require(okafor.outcomes.first), b = try #require(brennan.outcomes.first)
        #expect(a.enterpriseID != b.enterpriseID)
        let ops = session.operations

        let linked = try ops.link(actor: "steward:akim", recordID: b.recordID, to: a.enterpriseID, reason: "test")
        let split = try ops.unlink(actor: "steward:lee", recordID: b.recordID, reason: "not the same")
        let merged = try ops.merge(actor: "steward:akim", from: split.enterpriseID, into: a.enterpriseID, reason: "same after all")
        let undone = try ops.undo(actor: "steward:lee", eventID: merged.eventID, reason: "premature")

        let rows = try Self.audit(session)
        #expect(rows.map { $0[0] } == ["steward:akim", "steward:lee", "steward:akim", "steward:lee"])
        #expect(rows.map { $0[1] } == ["patients.link", "patients.unlink", "patients.merge", "history.undo"])
        #expect(rows[0][2] == [a.enterpriseID, b.enterpriseID].joined(separator: ","))
        #expect(rows[1][2] == [split.enterpriseID, a.enterpriseID].joined(separator: ","))
        #expect(rows[2][2] == [split.enterpriseID, a.enterpriseID].joined(separator: ","))
        #expect(rows[3][2] == [undone.enterpriseID, a.enterpriseID].joined(separator: ","))
        #expect(rows[0][3] == "record \(b.recordID); history event \(linked.eventID)")
        #expect(rows[3][3] == "event \(merged.eventID); history event \(undone.eventID)")
        // A refused action changes nothing and is not audited as done.
        #expect(throws: (any Error).self) { try ops.merge(actor: "steward:akim", from: a.enterpriseID, into: a.enterpriseID, reason: nil) }
        #expect(try Self.audit(session).count == 4)
    }
}
