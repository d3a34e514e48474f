import Clinical
import Foundation
import Testing
@testable import HL7v2

@Suite struct AcknowledgementTests {
    let time = ClinicalTime(year: 2024, month: 3, day: 5, hour: 14, minute: 21, second: 0, precision: .second)

    @Test func originalModeAcceptSwapsSenderAndReceiver() throws {
        let inbound = try Fixture.message("pass/epic_adt_a01_v251.hl7")
        let ack = HL7Acknowledgement.build(for: inbound, code: .applicationAccept, controlID: "ACK0001", timestamp: time)
        #expect(ack.er7 == "MSH|^~\\&|CONCORD|HIE|EPIC|UNIVHOSP^1.2.840.114350.1.13.0.1.7.5^ISO|20240305142100||ACK^A01^ACK|ACK0001|P|2.5.1||||||UNICODE UTF-8\rMSA|AA|EPC0000123\r")
    }

    @Test func enhancedModeCommitCodes() throws {
        let inbound = try Fixture.message("pass/quest_oru_r01_v251.hl7")
        for code in [HL7Acknowledgement.Code.commitAccept, .commitError, .commitReject] {
            let ack = HL7Acknowledgement.build(for: inbound, code: code, controlID: "C9")
            #expect(ack["MSA-1"] == code.rawValue)
            #expect(ack["MSA-2"] == "Q20240601000042")
            #expect(ack["MSH-9"] == "ACK^R01^ACK")
            #expect(ack["MSH-3"] == "CONCORD")
            #expect(ack["MSH-5"] == "QUEST")
            #expect(ack["MSH-6.2"] == "2.16.840.1.113883.3.3102")
        }
    }

    @Test func applicationErrorCarriesERRWithLocationV25() throws {
        let inbound = try Fixture.message("fail/empty_pid3.hl7")
        let error = HL7AckError(code: .requiredFieldMissing, location: HL7ErrorLocation(segment: "PID", sequence: 1, field: 3), text: "PID-3 is empty")
        let ack = HL7Acknowledgement.build(for: inbound, code: .applicationError, controlID: "A2", timestamp: time, errors: [error])
        // v2.4 inbound: ERR-1 (ELD) form.
        #expect(ack.er7 == "MSH|^~\\&|CONCORD|HIE|CERNER|STMARYS|20240305142100||ACK^R01^ACK|A2|P|2.4\rMSA|AE|NOID1\rERR|PID^1^3^101&Required field missing&HL70357\r")
    }

    @Test func errSegmentIn25Form() throws {
        let inbound = try msg("MSH|^~\\&|LAB|FAC|GW|HIE|20240101||ORU^R01|M1|P|2.5.1\rPID|1")
        let errors = [
            HL7AckError(code: .requiredFieldMissing, location: HL7ErrorLocation(segment: "PID", sequence: 1, field: 3), text: "PID-3 is empty"),
            HL7AckError(code: .tableValueNotFound, location: HL7ErrorLocation(segment: "OBX", sequence: 2, field: 11, repetition: 1, component: 1), severity: .warning),
        ]
        let ack = HL7Acknowledgement.build(for: inbound, code: .applicationError, controlID: "A3", errors: errors, text: "see ERR")
        #expect(ack.er7 == "MSH|^~\\&|GW|HIE|LAB|FAC|||ACK^R01^ACK|A3|P|2.5.1\rMSA|AE|M1|see ERR\rERR||PID^1^3^1|101^Required field missing^HL70357|E||||PID-3 is empty\rERR||OBX^2^11^1^1|103^Table value not found^HL70357|W\r")
    }

    @Test(arguments: [HL7ErrorCode.segmentSequenceError, .requiredFieldMissing, .dataTypeError, .tableValueNotFound, .unsupportedMessageType,
                      .unsupportedEventCode, .unsupportedProcessingID, .unsupportedVersionID, .unknownKeyIdentifier, .duplicateKeyIdentifier,
                      .applicationRecordLocked, .applicationInternalError])
    func everyTable0357CodeIsWritten(code: HL7ErrorCode) throws {
        let inbound = try msg("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|X|P|2.5.1")
        let ack = HL7Acknowledgement.build(for: inbound, code: .applicationReject, controlID: "Z", errors: [HL7AckError(code: code)])
        #expect(ack["ERR-3.1"] == String(code.rawValue))
        #expect(ack["ERR-3.2"] == code.text)
        #expect(ack["ERR-3.3"] == "HL70357")
        #expect(ack["ERR-4"] == "E")
    }

    @Test func ackForUnparsableInputRecoversTheHeader() throws {
        let bytes = Array("MSH|^~\\&|SENDER|SFAC|RECV|RFAC|20240101||ORU^R01|CTL77|T|2.3\rpid|broken".utf8)
        var thrown: HL7ParseError?
        do { _ = try HL7Message(bytes: bytes) } catch { thrown = error }
        let error = try #require(thrown)
        let ack = HL7Acknowledgement.build(forUnparsable: bytes, error: error, controlID: "R1", timestamp: time)
        #expect(ack.er7 == "MSH|^~\\&|RECV|RFAC|SENDER|SFAC|20240305142100||ACK^R01^ACK|R1|T|2.3\rMSA|AR|CTL77\rERR|^^^100&Segment sequence error&HL70357\r")
    }

    @Test func ackForGarbageUsesDefaults() throws {
        let bytes: [UInt8] = [0xFF, 0x00, 0x41, 0x0D]
        var thrown: HL7ParseError?
        do { _ = try HL7Message(bytes: bytes) } catch { thrown = error }
        let ack = HL7Acknowledgement.build(forUnparsable: bytes, error: try #require(thrown), controlID: "R2")
        #expect(ack.er7 == "MSH|^~\\&|||||||ACK|R2|P|2.5.1\rMSA|AR|\rERR|||100^Segment sequence error^HL70357|E||||the message does not begin with an MSH segment\r")
    }

    @Test func ackKeepsNonStandardDelimiters() throws {
        let inbound = try Fixture.message("pass/labcorp_oru_r01_nonstandard_delimiters.hl7")
        let ack = HL7Acknowledgement.build(for: inbound, code: .applicationAccept, controlID: "K1")
        #expect(ack.er7 == "MSH!@*/$!CONCORD!HIE!LABCORP!LCA!!!ACK@R01@ACK!K1!P!2.5.1\rMSA!AA!LC0000999\r")
    }

    @Test func mappingErrorBecomesAEWithTheRightERR() throws {
        let inbound = try Fixture.message("fail/missing_pid.hl7")
        var mappingError: HL7MappingError?
        do { _ = try HL7v2Mapper.submission(from: inbound) } catch { mappingError = error }
        let error = try #require(mappingError)
        let ack = HL7Acknowledgement.build(for: inbound, code: .applicationError, controlID: "E1", errors: [error.ackError])
        #expect(ack["ERR-2"] == "PID^1")
        #expect(ack["ERR-3.1"] == "100")
        #expect(ack["MSA-2"] == "NOPID1")
    }
}
