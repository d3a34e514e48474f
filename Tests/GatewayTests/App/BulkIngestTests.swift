import Clinical
import Foundation
import Synchronization
import PatientIndex
import Testing

@testable import Gateway

/// `IngestService.ingestAll` (behind `concord ingest` and the inbox): many messages in flight at once so
/// they share group commits, with the same outcome as ingesting them one at a time.
@Suite struct BulkIngestTests {
    static func temporaryDB() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("concord-bulk-\(UUID().uuidString)/index.sqlite").path
    }

    /// An Epic-style ADT^A04 (registration) or A08 (update) for one MRN.
    static func adt(_ control: String, event: String = "A04", mrn: String, family: String, given: String, birth: String, street: String) -> String {
        "MSH|^~\\&|EPIC|RIVERSIDE|CONCORD|HIE|20240305101500||ADT^\(event)^ADT_A01|\(control)|P|2.5.1\r"
            + "EVN|\(event)|20240305101500\r"
            + "PID|1||\(mrn)^^^RCH^MR||\(family)^\(given)^^^^^L||\(birth)|F|||\(street)^^SPRINGFIELD^IL^62704||(217)555-01\(mrn.suffix(2))\r"
            + "PV1|1|O|CLINIC^^^RIVERSIDE\r"
    }

    /// A Cerner-style ORU with one glucose result for an MRN.
    static func oru(_ control: String, mrn: String, family: String, given: String, birth: String, value: Int) -> String {
        "MSH|^~\\&|CERNER|LAKESIDE LAB|CONCORD|HIE|20240306081500||ORU^R01^ORU_R01|\(control)|P|2.5.1\r"
            + "PID|1||L\(mrn)^^^LAK^MR||\(family)^\(given)||\(birth)|F\r"
            + "OBR|1|P\(control)|F\(control)|2345-7^GLUCOSE^LN|||20240306080000\r"
            + "OBX|1|NM|2345-7^GLUCOSE^LN||\(value)|mg/dL|70-99|H|||F|||20240306080000\r"
    }

    /// 301 messages: registrations, later updates of the same MRNs (order matters: the last one wins),
    /// results, a re-sent message and a message that does not parse.
    static func corpus() -> [String] {
        let families = ["OKAFOR", "WHITFIELD", "NGUYEN", "GARCIA", "KOWALSKI", "HASSAN"]
        var messages: [String] = []
        for i in 0..<120 {
            let mrn = String(format: "RCH%05d", i)
            messages.append(adt("A\(i)", mrn: mrn, family: families[i % families.count], given: "PAT\(i)", birth: "19\(50 + i % 40)0\(1 + i % 9)1\(i % 10)", street: "\(i) ELM ST"))
        }
        for i in 0..<120 {
            let mrn = String(format: "RCH%05d", i)
            messages.append(oru("R\(i)", mrn: mrn, family: families[i % families.count], given: "PAT\(i)", birth: "19\(50 + i % 40)0\(1 + i % 9)1\(i % 10)", value: 100 + i))
        }
        for i in stride(from: 0, to: 120, by: 2) {
            let mrn = String(format: "RCH%05d", i)
            messages.append(adt("U\(i)", event: "A08", mrn: mrn, family: families[i % families.count], given: "PAT\(i)", birth: "19\(50 + i % 40)0\(1 + i % 9)1\(i % 10)", street: "\(i) OAK AVE"))
        }
        // No message type: rejected with its position, kept in the log as failed.
        messages[200] = "MSH|^~\\&|EPIC|RIVERSIDE|CONCORD|HIE|20240305101500|||BROKEN|P|2.5.1\rPID|1||RCH00001^^^RCH^MR||DOE^JANE\r"
        messages.append(messages[10])  // a re-send of A10
        return messages
    }

    struct Stored: Equatable {
        var status: IngestReply.Status
        var patients: [String]
    }

    static func ingest(_ messages: [String], all: Bool, window: Int = 64) throws -> (replies: [Stored], patients: [String], addresses: [String]) {
        let session = try CommandLineTool.Session(path: temporaryDB())
        defer { session.close() }
        let units = messages.map { InboundUnit(raw: Array($0.utf8), channel: .cli, origin: "test") }
        let replies = all ? session.service.ingestAll(units, parallelism: 2, window: window) : units.map(session.service.ingestAndWait)
        let reader = try session.reader()
        let patients = try reader.allPatients(limit: 10_000)
        let summary = patients.map { p in "\(p.id):" + p.golden.names.map(\.description).joined(separator: ",") }
        let addresses = patients.map { $0.golden.addresses.first?.lines.first ?? "-" }
        return (replies.map { Stored(status: $0.status, patients: $0.outcomes.map(\.enterpriseID)) }, summary, addresses)
    }

    @Test func inFlightIngestGivesTheSameOutcomeAsOneAtATimeInOrder() throws {
        let messages = Self.corpus()
        let one = try Self.ingest(messages, all: false)
        let all = try Self.ingest(messages, all: true, window: 37)
        #expect(all.replies.count == messages.count)
        #expect(all.replies == one.replies)
        #expect(all.patients == one.patients)
        #expect(all.addresses == one.addresses)
        // What the corpus says: the broken message failed, the re-send is a duplicate, the updates won.
        #expect(all.replies[200].status == .failed)
        #expect(all.replies.last?.status == .duplicate)
        #expect(all.replies.filter { $0.status == .ingested }.count == messages.count - 2)
        #expect(all.addresses.filter { $0.hasSuffix("OAK AVE") }.count == 60)  // every A08 came after its A04
    }

    @Test func repliesComeBackInInputOrderWithIncreasingLogIDs() throws {
        let session = try CommandLineTool.Session(path: Self.temporaryDB())
        defer { session.close() }
        let messages = Self.corpus()
        let units = messages.map { InboundUnit(raw: Array($0.utf8), channel: .inbox, origin: "test") }
        let replies = session.service.ingestAll(units, parallelism: 3, window: 16)
        let ids = replies.filter { $0.status != .duplicate }.compactMap(\.messageLogID)
        #expect(ids.count == messages.count - 1)
        #expect(ids == ids.sorted() && Set(ids).count == ids.count, "logged in input order")
        #expect(replies.last?.messageLogID == replies[10].messageLogID, "the re-send answers with the first one's log row")
        #expect(replies[10].ack == replies.last?.ack)
        #expect(session.service.ingestAll([]).isEmpty)
    }

    @Test func filesAreReportedSeparatelyWhenIngestedTogether() throws {
        let session = try CommandLineTool.Session(path: Self.temporaryDB())
        defer { session.close() }
        let messages = Self.corpus()
        let good = messages[0..<150].joined(separator: "\n")
        let mixed = messages[150..<260].joined(separator: "\n")
        let single = messages[260]
        let outcomes = Server.ingestFiles([("good.hl7", Array(good.utf8)), ("mixed.hl7", Array(mixed.utf8)), ("one.hl7", Array(single.utf8))],
                                          channel: .cli, service: session.service)
        #expect(outcomes.count == 3)
        #expect(outcomes[0] == .ingested(summary: "150 ingested, 0 already known"))
        guard case .failed(let reason) = outcomes[1] else {
            Issue.record("the file with the broken message must fail")
            return
        }
        #expect(reason.hasPrefix("message 51 of 110:"))
        #expect(reason.hasSuffix("(109 other message(s) ingested, 0 already known)"))
        #expect(outcomes[2] == .ingested(summary: "1 ingested, 0 already known"))
    }

    /// The writer's group commits run without a savepoint per message; a message whose ingest fails after
    /// parsing (here an A40 naming a survivor it does not have) makes the writer run the batch again with
    /// savepoints: that message is logged as failed with an AE, every other one is ingested.
    @Test func aMessageFailingInsideAnOptimisticGroupCommitFailsAlone() throws {
        let path = Self.temporaryDB()
        let session = try CommandLineTool.Session(path: path)
        defer { session.close() }
        let raws = [Self.adt("G1", mrn: "RCH90001", family: "OKAFOR", given: "AMARA", birth: "19800101", street: "1 ELM ST"),
                    Self.adt("G2", mrn: "RCH90002", family: "NGUYEN", given: "LINH", birth: "19750505", street: "2 ELM ST"),
                    Self.adt("G3", mrn: "RCH90003", family: "HASSAN", given: "NOOR", birth: "19900909", street: "3 ELM ST")]
        var parsed = raws.map { MessageParser.parse(Array($0.utf8)) }
        parsed[1].submissions[0].merges = [PatientMerge(survivor: 3, priorIdentifiers: [], provenance: parsed[1].submissions[0].patients[0].provenance)]
        let replies = Mutex<[Int: IngestReply]>([:])
        let group = DispatchGroup()
        // Hold the writer on a first job so that the three messages share a group commit with it (or the
        // next one). The job may run twice: a group commit runs again when an ingest in it failed.
        let gate = NSCondition()
        nonisolated(unsafe) var open = false
        session.writer.submit({ _ in
            gate.lock()
            while !open { gate.wait() }
            gate.unlock()
        }) { _ in }
        for (i, unit) in parsed.enumerated() {
            group.enter()
            let inbound = InboundUnit(raw: unit.raw, channel: .cli, origin: "test")
            session.writer.submit({ store in try IngestService.commit(unit, unit: inbound, store: store) }) { result in
                if case .success(let reply) = result { replies.withLock { $0[i] = reply } }
                group.leave()
            }
        }
        gate.lock(); open = true; gate.broadcast(); gate.unlock()
        group.wait()
        let got = replies.withLock { $0 }
        #expect(try session.writer.perform { store in store.optimisticRetries } == 1)
        #expect(got[0]?.status == .ingested)
        #expect(got[1]?.status == .failed)
        #expect(got[1]?.error?.code == .application)
        #expect(got[2]?.status == .ingested)
        #expect(got[1]?.ack.map { String(decoding: $0, as: UTF8.self).contains("MSA|AE|G2") } == true)
        let reader = try session.reader()
        #expect(try reader.counts().sourceRecords == 2)
        let log = try reader.messages(limit: 10).sorted { $0.id < $1.id }
        #expect(log.map(\.status.rawValue) == ["ingested", "failed", "ingested"])
        #expect(log[1].error?.contains("could not be ingested") == true)
    }
}
