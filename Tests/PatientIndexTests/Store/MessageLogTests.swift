import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

@Suite struct MessageLogTests {
    static let adt = Array("MSH|^~\\&|EPIC|RIVERSIDE_MC|CONCORD|HIE|20240502083000||ADT^A04|MSG00017|P|2.5.1\rPID|1||E1002345^^^RMC||GARCIA^MARIA^ELENA||19710314|F\r".utf8)

    @Test func aResentMessageIsADuplicateAndGetsTheSameACK() throws {
        let index = try TemporaryIndex()
        let first = try index.store.logMessage(raw: Self.adt, channel: .mllp, format: "hl7v2", senderApplication: "EPIC",
            senderFacility: "RIVERSIDE_MC", controlID: "MSG00017")
        guard case .stored(let id) = first else { Issue.record("expected stored, got \(first)"); return }
        let ack = Array("MSH|^~\\&|CONCORD|HIE|EPIC|RIVERSIDE_MC|20240502083001||ACK^A04|ACK00017|P|2.5.1\rMSA|AA|MSG00017\r".utf8)
        try index.store.markIngested(id, ack: ack)

        let again = try index.store.logMessage(raw: Self.adt, channel: .mllp, format: "hl7v2", senderApplication: "EPIC",
            senderFacility: "RIVERSIDE_MC", controlID: "MSG00017")
        #expect(again == .duplicate(id, ack: ack, status: .ingested))

        // The same control id from another facility is another message.
        let other = try index.store.logMessage(raw: Self.adt, channel: .mllp, format: "hl7v2", senderApplication: "EPIC",
            senderFacility: "LAKEVIEW_FP", controlID: "MSG00017")
        #expect(other == .stored(id + 1))

        let reader = try index.reader()
        let stored = try #require(try reader.message(id: id))
        #expect(stored.raw == Self.adt)
        #expect(stored.size == Self.adt.count)
        #expect(stored.status == .ingested)
        #expect(stored.controlID == "MSG00017")
        #expect(stored.sha256 == SHA256.hex(Self.adt))
        #expect(try reader.messages().map(\.id) == [id + 1, id])
        #expect(try reader.counts().messages == ["hl7v2": [.ingested: 1, .received: 1]])
    }

    @Test func identicalBytesWithoutControlIDAreADuplicate() throws {
        let index = try TemporaryIndex()
        let ccda = Array("<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><id root=\"1.2.3\" extension=\"doc-1\"/></ClinicalDocument>".utf8)
        let first = try index.store.logMessage(raw: ccda, channel: .inbox, format: "ccda", senderApplication: nil, senderFacility: nil, controlID: nil)
        #expect(first == .stored(1))
        let second = try index.store.logMessage(raw: ccda, channel: .inbox, format: "ccda", senderApplication: nil, senderFacility: nil, controlID: nil)
        #expect(second == .duplicate(1, ack: nil, status: .received))
    }

    @Test func aFailedMessageKeepsItsErrorAndPosition() throws {
        let index = try TemporaryIndex()
        guard case .stored(let id) = try index.store.logMessage(raw: Array("MSH|bad".utf8), channel: .http, format: nil,
            senderApplication: nil, senderFacility: nil, controlID: nil) else { Issue.record("not stored"); return }
        try index.store.markFailed(id, error: "MSH-2 encoding characters missing", position: "MSH-2", ack: nil)
        let message = try #require(try index.reader().message(id: id))
        #expect(message.status == .failed)
        #expect(message.error == "MSH-2 encoding characters missing")
        #expect(message.errorPosition == "MSH-2")
        #expect(try index.reader().messages(status: .failed).map(\.id) == [id])
        #expect(try index.reader().counts().messages == ["unknown": [.failed: 1]])
        #expect(throws: PatientIndexError(.notFound, "")) { try index.store.markIngested(999, ack: nil) }
    }

    /// The gateway writes a message's row once, with how it ended, inside the ingest's group commit.
    @Test func aMessageLoggedWithItsOutcomeIsStoredOnceAndAnswersItsResend() throws {
        let index = try TemporaryIndex()
        let ack = Array("MSH|^~\\&|CONCORD|HIE|EPIC|RIVERSIDE_MC|20240502083001||ACK^A04|ACK00017|P|2.5.1\rMSA|AA|MSG00017\r".utf8)
        let nack = Array("MSH|^~\\&|CONCORD|HIE|EPIC|RIVERSIDE_MC|20240502083001||ACK|ACK00018|P|2.5.1\rMSA|AR|MSG00018\r".utf8)
        let bad = Array("MSH|^~\\&|EPIC|RIVERSIDE_MC|CONCORD|HIE|20240502083000||ADT^A04|MSG00018|P|2.5.1\rPID|1||\r".utf8)
        let (good, failed) = try index.store.db.transaction {
            let good = try index.store.logMessage(raw: Self.adt, channel: .mllp, format: "hl7v2", senderApplication: "EPIC",
                senderFacility: "RIVERSIDE_MC", controlID: "MSG00017", status: .ingested, ack: ack)
            let failed = try index.store.logMessage(raw: bad, channel: .mllp, format: "hl7v2", senderApplication: "EPIC",
                senderFacility: "RIVERSIDE_MC", controlID: "MSG00018", status: .failed, error: "PID-3 patient identifier list is empty",
                errorPosition: "PID[1]-3", ack: nack)
            return (good, failed)
        }
        guard case .stored(let goodID) = good, case .stored(let failedID) = failed else { Issue.record("not stored: \(good) \(failed)"); return }
        let reader = try index.reader()
        let stored = try #require(try reader.message(id: goodID))
        #expect(stored.status == .ingested)
        #expect(stored.ack == ack)
        #expect(stored.error == nil)
        let rejected = try #require(try reader.message(id: failedID))
        #expect(rejected.status == .failed)
        #expect(rejected.error == "PID-3 patient identifier list is empty")
        #expect(rejected.errorPosition == "PID[1]-3")
        #expect(rejected.ack == nack)
        #expect(rejected.raw == bad)
        // Re-sends get the stored ACK back, whichever way the message ended.
        #expect(try index.store.logMessage(raw: Self.adt, channel: .mllp, format: "hl7v2", senderApplication: "EPIC",
            senderFacility: "RIVERSIDE_MC", controlID: "MSG00017") == .duplicate(goodID, ack: ack, status: .ingested))
        #expect(try index.store.logMessage(raw: bad, channel: .mllp, format: "hl7v2", senderApplication: "EPIC",
            senderFacility: "RIVERSIDE_MC", controlID: "MSG00018") == .duplicate(failedID, ack: nack, status: .failed))
        #expect(try reader.counts().messages == ["hl7v2": [.ingested: 1, .failed: 1]])
    }

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256MatchesFIPSVectors(input: String, expected: String) {
        #expect(SHA256.hex(Array(input.utf8)) == expected)
    }

    @Test func auditEntriesAreKeptNewestFirst() throws {
        let index = try TemporaryIndex()
        try index.store.audit(actor: "token:care-team", action: "read-unified-record", patientIDs: ["EP-00000001"], detail: "GET /patients/EP-00000001/record")
        try index.store.audit(actor: "token:steward", action: "search", patientIDs: ["EP-00000001", "EP-00000002"], detail: nil)
        let log = try index.reader().auditLog()
        #expect(log.map(\.action) == ["search", "read-unified-record"])
        #expect(log.first?.patientIDs == ["EP-00000001", "EP-00000002"])
        #expect(log.last?.actor == "token:care-team")
    }
}
