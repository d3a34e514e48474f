import Clinical
import Foundation
import Testing
@testable import HL7v2

@Suite struct SyntaxTests {
    let sample = "MSH|^~\\&|APP|FAC^1.2.3^ISO|RCV|RFAC|20240101120000||ADT^A01^ADT_A01|CTRL1|P|2.5.1\rPID|1||A1^^^MRN^MR~B2^^^EPI&1.2.840&ISO^PI||DOE^JANE^Q~SMITH^J||19800101\rOBX|1|NM|1^A||5\rOBX|2|ST|2^B||text\rZPD|custom|x\r"

    @Test func segmentsAreIndexedInOrder() throws {
        let m = try msg(sample)
        #expect(m.segmentCount == 5)
        #expect(m.segments.map(\.name) == ["MSH", "PID", "OBX", "OBX", "ZPD"])
        #expect(m.segments(named: "OBX").map(\.index) == [2, 3])
        #expect(m.segments(named: "OBX").map(\.occurrence) == [1, 2])
        #expect(m.segments(named: "OBX").map(\.position) == ["OBX[1]", "OBX[2]"])
        #expect(m.firstSegment(named: "PID")?.position == "PID")
    }

    @Test func mshFieldsAreNumberedFromTheSeparator() throws {
        let m = try msg(sample)
        #expect(m["MSH-1"] == "|")
        #expect(m["MSH-2"] == "^~\\&")
        #expect(m["MSH-3"] == "APP")
        #expect(m["MSH-4.2"] == "1.2.3")
        #expect(m["MSH-9.2"] == "A01")
        #expect(m["MSH-10"] == "CTRL1")
        #expect(m.msh.messageCode == "ADT")
        #expect(m.msh.triggerEvent == "A01")
        #expect(m.msh.version == "2.5.1")
        #expect(m.fieldCount(segment: 0) == 12)
    }

    @Test func pathsReachRepetitionsComponentsAndSubcomponents() throws {
        let m = try msg(sample)
        #expect(m["PID-3"] == "A1^^^MRN^MR~B2^^^EPI&1.2.840&ISO^PI")
        #expect(m["PID-3.1"] == "A1")
        #expect(m["PID-3[2].1"] == "B2")
        #expect(m["PID-3[2].4"] == "EPI&1.2.840&ISO")
        #expect(m["PID-3[2].4.2"] == "1.2.840")
        #expect(m["PID-3[2].5"] == "PI")
        #expect(m["PID-5[2].2"] == "J")
        #expect(m["OBX[2]-5"] == "text")
        #expect(m["OBX[2]-3.2"] == "B")
        #expect(m.value(at: "OBX[3]-5") == nil)
        #expect(m["PID-3[3].1"] == nil)
        #expect(m["PID-99"] == nil)
        #expect(m["ZPD-1"] == "custom")
        #expect(m["nonsense"] == nil)
    }

    @Test func wholeFieldKeepsItsRawRepetitions() throws {
        let m = try msg(sample)
        let pid3 = try #require(m.pid).patientIdentifierList
        #expect(pid3.raw == "A1^^^MRN^MR~B2^^^EPI&1.2.840&ISO^PI")
        #expect(pid3.repetitions.count == 2)
        #expect(pid3.repetitions[1].component(4).subcomponent(3).text == "ISO")
        #expect(pid3.componentCount == 5)
    }

    @Test(arguments: ["\r", "\n", "\r\n"])
    func everyTerminatorIsAccepted(terminator: String) throws {
        let text = ["MSH|^~\\&|A|B|C|D|20240101||ADT^A04|X1|P|2.3", "PID|1||9^^^M^MR", "PV1|1|O"].joined(separator: terminator) + terminator
        let m = try msg(text)
        #expect(m.segmentCount == 3)
        #expect(m["PV1-2"] == "O")
        #expect(m.terminator == Array(terminator.utf8))
        #expect(m.serialize() == Array(text.utf8))
    }

    @Test func blankLinesAndFramingAreTolerated() throws {
        let m = try HL7Message(bytes: [0x0B] + Array("MSH|^~\\&|A||||||ADT^A04|1|P|2.5\r\r\nPID|1||9\r  \r".utf8) + [0x1C, 0x0D])
        #expect(m.segments.map(\.name) == ["MSH", "PID"])
        #expect(m["PID-3"] == "9")
    }

    @Test func lastSegmentWithoutTerminatorRoundTrips() throws {
        let text = "MSH|^~\\&|A||||||ADT^A04|1|P|2.5\rPID|1||9"
        let m = try msg(text)
        #expect(m.serialize() == Array(text.utf8))
    }

    @Test func nonStandardDelimitersAreReadFromMSH() throws {
        let m = try Fixture.message("pass/labcorp_oru_r01_nonstandard_delimiters.hl7")
        #expect(m.delimiters.field == UInt8(ascii: "!"))
        #expect(m.delimiters.component == UInt8(ascii: "@"))
        #expect(m.delimiters.repetition == UInt8(ascii: "*"))
        #expect(m.delimiters.escape == UInt8(ascii: "/"))
        #expect(m.delimiters.subcomponent == UInt8(ascii: "$"))
        #expect(m["MSH-9.2"] == "R01")
        #expect(m["PID-3[2].1"] == "999887777")
        #expect(m["PID-5.2"] == "JAMES")
        #expect(m["OBX[2]-5"] == "A!B @ C / D")
    }

    @Test func truncationCharacterIsReadFromMSH2() throws {
        let m = try Fixture.message("pass/oml_o21_v28.hl7")
        #expect(m.delimiters.truncation == UInt8(ascii: "#"))
        #expect(m["MSH-2"] == "^~\\&#")
        #expect(m["MSH-9.3"] == "OML_O21")
    }

    @Test func delimitersWithoutEscapeCharacterLeaveBackslashesAlone() throws {
        let m = try msg("MSH|^~|A||||||ADT^A04|1|P|2.5\rPID|1||C:\\DIR\\F\\")
        #expect(m.delimiters.escape == nil)
        #expect(m["PID-3"] == "C:\\DIR\\F\\")
    }

    @Test func zSegmentsAreKept() throws {
        let m = try Fixture.message("pass/epic_adt_a01_v251.hl7")
        let z = try #require(m.firstSegment(named: "ZPD"))
        #expect(z.field(2).component(2).text == "Very important patient")
        #expect(z.field(3).text == "CUSTOM|VALUE")
        #expect(z.field(3).raw == "CUSTOM\\F\\VALUE")
    }

    @Test func explicitNullIsRecognized() throws {
        let m = try msg("MSH|^~\\&|A||||||ADT^A08|1|P|2.5\rPID|1||9||\"\"")
        #expect(m.pid?.patientName.isNull == true)
        #expect(m["PID-5"] == nil)
    }

    @Test func fixturesRoundTripByteForByte() throws {
        for name in ["epic_adt_a01_v251", "cerner_oru_r01_v23", "meditech_adt_a08_v24", "quest_oru_r01_v251", "labcorp_oru_r01_nonstandard_delimiters",
                     "athena_vxu_v04_v251", "adt_a40_merge_v26", "allscripts_orm_o01_v23", "oml_o21_v28", "meditech_latin1_v24"] {
            let bytes = try Fixture.bytes("pass/\(name).hl7")
            let m = try HL7Message(bytes: bytes)
            #expect(m.serialize() == bytes, "\(name)")
        }
    }

    @Test func typedViewsReadTheirFields() throws {
        let m = try Fixture.message("pass/epic_adt_a01_v251.hl7")
        #expect(m.first(EVNSegment.self)?.eventTypeCode.text == "A01")
        #expect(m.first(PV1Segment.self)?.visitNumber.component(1).text == "V20240305001")
        #expect(m.first(NK1Segment.self)?.relationship.component(2).text == "Spouse")
        #expect(m.all(AL1Segment.self).map { $0.allergenCode.component(2).text } == ["Penicillin", "Peanut"])
        #expect(m.all(DG1Segment.self).map { $0.diagnosisType.text } == ["A", "W"])
        #expect(OBXSegment(try #require(m.segment(at: 0))) == nil)
    }
}

@Suite struct ParseErrorTests {
    @Test func emptyInputIsRejected() {
        #expect(throws: HL7ParseError(.emptyMessage, "")) { try HL7Message(bytes: []) }
        #expect(throws: HL7ParseError(.emptyMessage, "")) { try HL7Message(bytes: Array("\r\n  \r".utf8)) }
    }

    @Test func missingHeaderIsPositionedAtTheFirstSegment() throws {
        let bytes = try Fixture.bytes("fail/no_msh.hl7")
        #expect(throws: HL7ParseError(.missingHeader, "", segmentIndex: 1, segmentName: "PID")) { try HL7Message(bytes: bytes) }
    }

    @Test func badSegmentNameIsPositioned() throws {
        let bytes = try Fixture.bytes("fail/bad_segment_name.hl7")
        do {
            _ = try HL7Message(bytes: bytes)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidSegmentName)
            #expect(error.segmentIndex == 3)
            #expect(error.byteOffset == 104)
            #expect(!error.description.contains("Pv1"))
        }
    }

    @Test(arguments: ["MSH|^^\\&|A", "MSH|^|A|B|C|D|E|F|G", "MSH|^~\\&^|A", "MSH1^~\\&|A|B|C|D", "MSHa^~\\&a"])
    func illegalDelimitersAreRejected(text: String) {
        #expect(throws: HL7Error.self) { try msg(text + "|B|C|D|E|F|G|H|I") }
    }

    @Test func batchInputIsRejectedWithAHint() {
        do {
            _ = try msg("FHS|^~\\&|A\rMSH|^~\\&|A||||||ADT^A04|1|P|2.5\r")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .missingHeader)
            #expect(error.reason.contains("HL7Batch"))
        }
    }

    @Test func malformedPathsThrow() {
        for bad in ["PID", "PID-", "PID-x", "PI-3", "PID-3[0]", "PID-3[2", "PID-0", "PID-3.1.2.3", "pid-3"] {
            #expect(throws: HL7ParseError(.invalidPath, ""), "\(bad)") { try HL7Path(bad) }
        }
        #expect((try? HL7Path("OBX[3]-5[2].1.2")) == HL7Path(segment: "OBX", occurrence: 3, field: 5, repetition: 2, component: 1, subcomponent: 2))
    }

    @Test func descriptionCarriesPositionNotContent() {
        let error = HL7ParseError(.invalidSegmentName, "segment name is not three upper-case letters or digits", segmentIndex: 3, segmentName: "PV1", field: 2, byteOffset: 10)
        #expect(error.description == "HL7 parse error invalidSegmentName at segment PV1 #3 field 2 byte 10: segment name is not three upper-case letters or digits")
    }
}

typealias HL7Error = HL7ParseError
