// libFuzzer target: the HL7 v2 parser, batch splitter, mapper and ACK builder (built by scripts/fuzz.sh).
// Invariants beyond "no crash": every ACK the gateway would send for the input parses again as HL7 and
// names the right acknowledgement code.
import Clinical
import HL7v2

@_cdecl("LLVMFuzzerTestOneInput")
public func hl7v2FuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? HL7Batch.split(bytes)
    let ack: [UInt8]
    let expected: String
    do {
        let message = try HL7Message(bytes: bytes)
        _ = message.serialize()
        for index in 0..<min(message.segmentCount, 64) { _ = message.segmentName(at: index) }
        var errors: [HL7AckError] = []
        do {
            _ = try HL7v2Mapper.submission(from: message)
            expected = "AA"
        } catch {
            errors = [HL7AckError(code: .applicationInternalError, text: "\(error)")]
            expected = "AE"
        }
        ack = HL7Acknowledgement.build(for: message, code: expected == "AA" ? .applicationAccept : .applicationError,
                                       controlID: "ACK1", timestamp: nil, errors: errors, text: nil).serialize()
    } catch {
        ack = HL7Acknowledgement.build(forUnparsable: bytes, error: error, code: .applicationReject, controlID: "ACK1").serialize()
        expected = "AR"
    }
    guard let reparsed = try? HL7Message(bytes: ack) else {
        fatalError("the ACK built for this input does not parse as HL7: \(String(decoding: ack, as: UTF8.self))")
    }
    guard reparsed.value(at: "MSA-1") == expected else {
        fatalError("ACK code \(reparsed.value(at: "MSA-1") ?? "nil"), expected \(expected)")
    }
    return 0
}
