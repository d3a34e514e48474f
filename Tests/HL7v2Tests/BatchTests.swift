import Clinical
import Foundation
import Testing
@testable import HL7v2

@Suite struct BatchTests {
    @Test func fileWrapperIsReadAndMessagesSplit() throws {
        let file = try HL7Batch.parse(Fixture.bytes("pass/batch_file.hl7"))
        #expect(file.header.map { String(decoding: $0, as: UTF8.self) } == "FHS|^~\\&|CERNER|STMARYS|CONCORD|HIE|20240101000000||FILE001")
        #expect(file.trailer.map { String(decoding: $0, as: UTF8.self) } == "FTS|1")
        #expect(file.declaredBatchCount == 1)
        #expect(file.batches.count == 1)
        #expect(file.batches[0].declaredMessageCount == 2)
        #expect(file.batches[0].messages.count == 2)
        let second = try HL7Message(bytes: file.messages[1])
        #expect(second["MSH-10"] == "B2")
        #expect(second["PID-5.1"] == "TWO")
        #expect(file.messages[0] == Array("MSH|^~\\&|CERNER|STMARYS|CONCORD|HIE|20240101000001||ADT^A04|B1|P|2.5.1\rPID|1||111^^^SMH^MR||ONE^PATIENT\r".utf8))
    }

    @Test func oneMessagePerLineCorpusSplits() throws {
        let text = "MSH|^~\\&|A||||||ADT^A04|1|P|2.5\rPID|1||1\r\nMSH|^~\\&|A||||||ADT^A04|2|P|2.5\rPID|1||2\r\n"
        let messages = try HL7Batch.split(Array(text.utf8))
        #expect(messages.count == 2)
        #expect(try messages.map { try HL7Message(bytes: $0)["MSH-10"] } == ["1", "2"])
    }

    @Test func messagesWithLineFeedsAndNoWrapperSplit() throws {
        let text = "MSH|^~\\&|A||||||ADT^A04|1|P|2.5\nPID|1||1\nMSH|^~\\&|A||||||ADT^A04|2|P|2.5\nPID|1||2\nPV1|1|O\n"
        let messages = try HL7Batch.split(Array(text.utf8))
        #expect(messages.count == 2)
        #expect(try HL7Message(bytes: messages[1]).segmentCount == 3)
    }

    @Test func severalBatchesInOneFile() throws {
        let text = "FHS|^~\\&\rBHS|^~\\&\rMSH|^~\\&|A||||||ADT^A04|1|P|2.5\rBTS|1\rBHS|^~\\&\rMSH|^~\\&|A||||||ADT^A04|2|P|2.5\rMSH|^~\\&|A||||||ADT^A04|3|P|2.5\rBTS|2\rFTS|2\r"
        let file = try HL7Batch.parse(Array(text.utf8))
        #expect(file.batches.map(\.messages.count) == [1, 2])
        #expect(file.batches.map(\.declaredMessageCount) == [1, 2])
        #expect(file.declaredBatchCount == 2)
    }

    @Test func segmentOutsideAnyMessageIsPositioned() {
        #expect(throws: HL7ParseError(.invalidBatch, "", segmentIndex: 2, segmentName: "PID")) {
            try HL7Batch.split(Array("BHS|^~\\&\rPID|1||1\r".utf8))
        }
    }

    @Test func lateFileHeaderIsRejected() {
        #expect(throws: HL7ParseError(.invalidBatch, "", segmentIndex: 2, segmentName: "FHS")) {
            try HL7Batch.split(Array("MSH|^~\\&|A||||||ADT^A04|1|P|2.5\rFHS|^~\\&\r".utf8))
        }
    }

    @Test func emptyInputHasNoMessages() throws {
        #expect(try HL7Batch.split([]).isEmpty)
    }
}

@Suite struct EditingTests {
    @Test func buildingAMessageFromScratch() throws {
        var m = try HL7Message(
            messageType: "ADT^A04^ADT_A01", controlID: "C1", version: "2.5.1", sendingApplication: "CONCORD", sendingFacility: "HIE",
            timestamp: ClinicalTimeFixture.t20240305)
        try m.appendSegment("PID", values: ["1", "", "123"])
        try m.set("PID-3[1].4", to: "MRN")
        try m.set("PID-3[2].1", to: "A|B")
        try m.set("PID-5.1", to: "O'NEIL")
        try m.set("PID-5.2", to: "ANNE")
        try m.set("PID-3[1].4.2", to: "1.2.3")
        #expect(m.er7 == "MSH|^~\\&|CONCORD|HIE|||20240305142000||ADT^A04^ADT_A01|C1|P|2.5.1\rPID|1||123^^^MRN&1.2.3~A\\F\\B||O'NEIL^ANNE\r")
        #expect(m["PID-3[2]"] == "A|B")
    }

    @Test func editingKeepsOtherSegmentsByteForByte() throws {
        let bytes = try Fixture.bytes("pass/epic_adt_a01_v251.hl7")
        var m = try HL7Message(bytes: bytes)
        try m.set("PV1-2", to: "O")
        #expect(m["PV1-2"] == "O")
        let original = try HL7Message(bytes: bytes)
        for i in 0..<m.segmentCount where m.segmentName(at: i) != "PV1" {
            #expect(m.segmentBytes(at: i) == original.segmentBytes(at: i))
        }
    }

    @Test func editingDelimitersOrMissingSegmentsFails() throws {
        var m = try msg("MSH|^~\\&|A||||||ADT^A04|1|P|2.5\rPID|1||9")
        #expect(throws: HL7ParseError(.invalidEdit, "", segmentIndex: 1, segmentName: "MSH", field: 2)) { try m.set("MSH-2", to: "x") }
        #expect(throws: HL7ParseError(.segmentNotFound, "", segmentName: "OBX", field: 5)) { try m.set("OBX-5", to: "x") }
        #expect(throws: HL7ParseError(.invalidEdit, "")) { try m.appendSegment("pid", values: []) }
    }

    @Test func removingASegment() throws {
        var m = try msg("MSH|^~\\&|A||||||ADT^A04|1|P|2.5\rPID|1||9\rPV1|1|O\r")
        try m.removeSegment(at: 1)
        #expect(m.er7 == "MSH|^~\\&|A||||||ADT^A04|1|P|2.5\rPV1|1|O\r")
    }
}

enum ClinicalTimeFixture {
    static let t20240305 = ClinicalTime(year: 2024, month: 3, day: 5, hour: 14, minute: 20, second: 0, precision: .second)
}
