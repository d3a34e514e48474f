import HL7v2
import Testing

@Suite struct MLLPDeframerTests {
    private let message = Array("MSH|^~\\&|LAB|MERCY|CONCORD|HIE|20240311||ORU^R01|MSG001|P|2.5.1\rPID|1||E1234567^^^MERCY^MR\r".utf8)

    private func drain(_ deframer: inout MLLPDeframer) -> [MLLPEvent] {
        var events: [MLLPEvent] = []
        while let event = deframer.nextFrame() { events.append(event) }
        return events
    }

    @Test func frameWrapsMessageInStartAndEndBlocks() {
        #expect(MLLP.frame([0x41, 0x42]) == [0x0B, 0x41, 0x42, 0x1C, 0x0D])
        #expect(MLLP.frame([]) == [0x0B, 0x1C, 0x0D])
    }

    @Test func wholeFrameInOneAppendYieldsItsContent() {
        var deframer = MLLPDeframer()
        deframer.append(MLLP.frame(message))
        #expect(drain(&deframer) == [.frame(message)])
        #expect(deframer.bufferedByteCount == 0)
        #expect(deframer.isBetweenFrames)
    }

    @Test func frameSplitAcrossEveryByteBoundaryIsReassembled() {
        let framed = MLLP.frame(message)
        for cut in 1..<framed.count {
            var deframer = MLLPDeframer()
            deframer.append(framed[..<cut])
            let first = drain(&deframer)
            deframer.append(framed[cut...])
            let second = drain(&deframer)
            #expect(first + second == [.frame(message)], "cut at \(cut)")
        }
    }

    @Test func frameFedOneByteAtATimeIsReassembled() {
        var deframer = MLLPDeframer()
        var events: [MLLPEvent] = []
        for byte in MLLP.frame(message) + MLLP.frame([0x31]) {
            deframer.append(CollectionOfOne(byte))
            events += drain(&deframer)
        }
        #expect(events == [.frame(message), .frame([0x31])])
    }

    @Test func garbageBeforeAndBetweenFramesIsDiscardedAndCounted() {
        var deframer = MLLPDeframer()
        deframer.append(Array("\r\nHELLO".utf8) + MLLP.frame([0x41]) + Array("xyz".utf8) + MLLP.frame([0x42]) + [0x0A])
        #expect(drain(&deframer) == [.discarded(byteCount: 7), .frame([0x41]), .discarded(byteCount: 3), .frame([0x42]),
                                     .discarded(byteCount: 1)])
    }

    @Test func frameEndedByFileSeparatorWithoutCarriageReturnIsAccepted() {
        var deframer = MLLPDeframer()
        deframer.append([0x0B, 0x41, 0x1C, 0x0B, 0x42, 0x1C])
        #expect(drain(&deframer) == [.frame([0x41]), .frame([0x42])])
        // The CR that completes the second trailer may arrive later; it is not counted as discarded.
        deframer.append([0x0D])
        #expect(drain(&deframer) == [])
        deframer.append([0x0D])
        #expect(drain(&deframer) == [.discarded(byteCount: 1)])
    }

    @Test func frameIsDeliveredAsSoonAsItsFileSeparatorArrives() {
        var deframer = MLLPDeframer()
        deframer.append([0x0B, 0x41, 0x42, 0x1C])
        #expect(drain(&deframer) == [.frame([0x41, 0x42])])
    }

    @Test func manyFramesInOneAppendComeOutInOrder() {
        var deframer = MLLPDeframer()
        var stream: [UInt8] = []
        for i in 0..<500 { stream += MLLP.frame(Array("MSG\(i)".utf8)) }
        deframer.append(stream)
        let events = drain(&deframer)
        #expect(events.count == 500)
        #expect(events.first == .frame(Array("MSG0".utf8)))
        #expect(events.last == .frame(Array("MSG499".utf8)))
        #expect(events == (0..<500).map { .frame(Array("MSG\($0)".utf8)) })
    }

    @Test func newStartBlockInsideFrameDropsThePartialFrame() {
        var deframer = MLLPDeframer()
        deframer.append([0x0B, 0x41, 0x42, 0x0B, 0x43, 0x1C, 0x0D])
        #expect(drain(&deframer) == [.discarded(byteCount: 3), .frame([0x43])])
    }

    @Test func oversizedFrameIsReportedOnceAndStreamResyncsAfterIt() {
        var deframer = MLLPDeframer(maxFrameBytes: 10)
        deframer.append([0x0B] + [UInt8](repeating: 0x41, count: 8))
        #expect(drain(&deframer) == [])
        deframer.append([UInt8](repeating: 0x41, count: 8))
        #expect(drain(&deframer) == [.oversized(limit: 10)])
        #expect(deframer.bufferedByteCount == 0)
        deframer.append([UInt8](repeating: 0x41, count: 100))
        #expect(drain(&deframer) == [])
        deframer.append([0x1C, 0x0D] + MLLP.frame([0x42]))
        #expect(drain(&deframer) == [.frame([0x42])])
    }

    @Test func oversizedFrameCompletedInOneAppendIsReported() {
        var deframer = MLLPDeframer(maxFrameBytes: 4)
        deframer.append(MLLP.frame([1, 2, 3, 4, 5]) + MLLP.frame([1, 2, 3, 4]))
        #expect(drain(&deframer) == [.oversized(limit: 4), .frame([1, 2, 3, 4])])
    }

    @Test func oversizedFrameResyncsAtNextStartBlockWithoutFileSeparator() {
        var deframer = MLLPDeframer(maxFrameBytes: 4)
        deframer.append([0x0B, 1, 2, 3, 4, 5, 6])
        #expect(drain(&deframer) == [.oversized(limit: 4)])
        deframer.append([7, 8] + MLLP.frame([9]))
        #expect(drain(&deframer) == [.frame([9])])
    }

    @Test func emptyFrameIsAFrame() {
        var deframer = MLLPDeframer()
        deframer.append([0x0B, 0x1C, 0x0D])
        #expect(drain(&deframer) == [.frame([])])
    }

    @Test func partialFrameIsHeldUntilCompleted() {
        var deframer = MLLPDeframer()
        deframer.append([0x0B, 0x41, 0x42])
        #expect(drain(&deframer) == [])
        #expect(deframer.bufferedByteCount == 2)
        #expect(!deframer.isBetweenFrames)
    }
}
