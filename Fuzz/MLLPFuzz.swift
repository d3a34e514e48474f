// libFuzzer target: the streaming MLLP deframer. The input is fed in chunks whose sizes come from the
// input itself; invariants: frames never exceed the limit and contain no frame delimiters, and the
// same bytes fed in one piece give the same frames.
import HL7v2

@_cdecl("LLVMFuzzerTestOneInput")
public func mllpFuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let limit = 512
    func drain(_ d: inout MLLPDeframer, into events: inout [MLLPEvent]) {
        while let event = d.nextFrame() {
            if case .frame(let frame) = event {
                if frame.count > limit { fatalError("frame of \(frame.count) bytes over the \(limit)-byte limit") }
                if frame.contains(0x0B) || frame.contains(0x1C) { fatalError("frame contains a delimiter") }
            }
            events.append(event)
        }
    }
    var chunked = MLLPDeframer(maxFrameBytes: limit)
    var chunkedEvents: [MLLPEvent] = []
    var offset = 0
    var step = 1
    while offset < bytes.count {
        step = Int(bytes[offset] % 17) + 1
        let end = min(bytes.count, offset + step)
        chunked.append(bytes[offset..<end])
        drain(&chunked, into: &chunkedEvents)
        offset = end
    }
    var whole = MLLPDeframer(maxFrameBytes: limit)
    var wholeEvents: [MLLPEvent] = []
    whole.append(bytes)
    drain(&whole, into: &wholeEvents)
    let frames = { (events: [MLLPEvent]) in events.compactMap { e -> [UInt8]? in if case .frame(let f) = e { return f }; return nil } }
    if frames(chunkedEvents) != frames(wholeEvents) {
        fatalError("chunked feeding gave \(frames(chunkedEvents).count) frames, whole gave \(frames(wholeEvents).count)")
    }
    // Round trip: a framed payload without delimiters comes back as itself.
    let payload = bytes.filter { $0 != 0x0B && $0 != 0x1C }.prefix(limit)
    var roundTrip = MLLPDeframer(maxFrameBytes: limit)
    roundTrip.append(MLLP.frame(Array(payload)))
    guard case .frame(let back)? = roundTrip.nextFrame(), back == Array(payload) else {
        fatalError("a framed payload of \(payload.count) bytes did not come back")
    }
    return 0
}
