/// MLLP framing (HL7 v2 Minimal Lower Layer Protocol, HL7 v2.5.1 Appendix C.4 / "MLLP Release 2"):
/// a message travels as `<VT> message <FS><CR>` with VT = 0x0B, FS = 0x1C, CR = 0x0D.
///
/// Entry points: `MLLP.frame(_:)` to wrap an outgoing message and `MLLPDeframer` to cut an incoming
/// byte stream into frames. Pure: no I/O, no clocks.
package enum MLLP {
    /// Start block (vertical tab).
    package static let startBlock: UInt8 = 0x0B
    /// End block (file separator).
    package static let endBlock: UInt8 = 0x1C
    /// Carriage return that follows the end block.
    package static let carriageReturn: UInt8 = 0x0D
    /// The default largest frame content accepted: 16 MiB.
    package static let defaultMaxFrameBytes = 16 * 1024 * 1024

    /// Wraps `message` as `<VT> message <FS><CR>`.
    package static func frame(_ message: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(message.count + 3)
        out.append(startBlock)
        out.append(contentsOf: message)
        out.append(endBlock)
        out.append(carriageReturn)
        return out
    }
}

/// What the deframer found next in the stream.
package enum MLLPEvent: Equatable, Sendable {
    /// A complete frame's content (without VT, FS and CR).
    case frame([UInt8])
    /// Bytes that arrived outside any frame (before a VT, or a partial frame cut off by a new VT),
    /// dropped. Only the count is reported so callers can log it without content.
    case discarded(byteCount: Int)
    /// A frame grew past the limit; its bytes are dropped until its FS or the next VT.
    case oversized(limit: Int)
}

/// Cuts a byte stream into MLLP frames, streaming: bytes may arrive in any pieces.
///
/// Tolerances, as real senders need them:
/// - A frame ends at FS. The CR after FS is expected but optional: some senders end frames with FS
///   alone, so a frame is delivered as soon as its FS arrives, and a CR right after an FS is then
///   silently skipped (even when it arrives in a later `append`).
/// - Bytes before a VT are discarded and counted (`.discarded`); so is a partial frame interrupted by a
///   new VT (a sender that restarted mid-message), whose bytes count as discarded, VT included.
/// - A frame whose content exceeds `maxFrameBytes` is reported once as `.oversized`; the stream then
///   resyncs at that frame's FS (the rest of it is dropped) or at the next VT, whichever comes first.
///   Memory stays bounded by `maxFrameBytes` plus one `append`.
package struct MLLPDeframer: Sendable {
    /// The largest frame content accepted, in bytes.
    package let maxFrameBytes: Int

    private enum State: Sendable {
        /// Looking for a VT.
        case outside
        /// After a VT; the frame content starts at `readIndex`.
        case inFrame
        /// Dropping the rest of an oversized frame until FS or VT.
        case skippingOversized
    }

    private var buffer: [UInt8] = []
    /// First byte not yet consumed.
    private var readIndex = 0
    /// Within a frame, how many content bytes (from `readIndex`) were already scanned for FS/VT.
    private var scanned = 0
    private var state = State.outside
    /// Set after an FS: a CR at the very next byte belongs to that frame's trailer.
    private var skipCarriageReturn = false

    /// Creates a deframer accepting frames up to `maxFrameBytes` of content (default 16 MiB).
    package init(maxFrameBytes: Int = MLLP.defaultMaxFrameBytes) {
        precondition(maxFrameBytes > 0, "maxFrameBytes must be positive")
        self.maxFrameBytes = maxFrameBytes
    }

    /// Bytes held that have not been returned as events yet (a partial frame).
    package var bufferedByteCount: Int { buffer.count - readIndex }

    /// True when no partial frame is held (the stream is between frames).
    package var isBetweenFrames: Bool {
        if case .inFrame = state { return false }
        return true
    }

    /// Adds bytes received from the stream.
    package mutating func append(_ bytes: some Collection<UInt8>) {
        if readIndex > 0 && (readIndex == buffer.count || readIndex >= 65_536 && readIndex * 2 >= buffer.count) {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next event, or nil when more bytes are needed.
    package mutating func nextFrame() -> MLLPEvent? {
        while true {
            guard readIndex < buffer.count else { return nil }
            switch state {
            case .outside:
                if skipCarriageReturn {
                    skipCarriageReturn = false
                    if buffer[readIndex] == MLLP.carriageReturn {
                        readIndex += 1
                        continue
                    }
                }
                let start = readIndex
                guard let vt = firstIndex(ofEither: MLLP.startBlock, nil, from: start) else {
                    readIndex = buffer.count
                    return .discarded(byteCount: buffer.count - start)
                }
                readIndex = vt.index + 1
                state = .inFrame
                scanned = 0
                if vt.index > start { return .discarded(byteCount: vt.index - start) }

            case .inFrame:
                let contentStart = readIndex
                let found = firstIndex(ofEither: MLLP.endBlock, MLLP.startBlock, from: contentStart + scanned)
                guard let found else {
                    scanned = buffer.count - contentStart
                    if scanned > maxFrameBytes {
                        readIndex = buffer.count
                        state = .skippingOversized
                        return .oversized(limit: maxFrameBytes)
                    }
                    return nil
                }
                let length = found.index - contentStart
                if found.byte == MLLP.startBlock {
                    // A new frame began before this one ended: drop the partial one (its VT included).
                    readIndex = found.index + 1
                    scanned = 0
                    return .discarded(byteCount: length + 1)
                }
                readIndex = found.index + 1
                state = .outside
                skipCarriageReturn = true
                if length > maxFrameBytes { return .oversized(limit: maxFrameBytes) }
                return .frame(Array(buffer[contentStart..<found.index]))

            case .skippingOversized:
                guard let found = firstIndex(ofEither: MLLP.endBlock, MLLP.startBlock, from: readIndex) else {
                    readIndex = buffer.count
                    return nil
                }
                state = .outside
                if found.byte == MLLP.endBlock {
                    readIndex = found.index + 1
                    skipCarriageReturn = true
                } else {
                    readIndex = found.index
                }
            }
        }
    }

    /// The first position at or after `start` holding `first` or (when given) `second`.
    private func firstIndex(ofEither first: UInt8, _ second: UInt8?, from start: Int) -> (index: Int, byte: UInt8)? {
        guard start < buffer.count else { return nil }
        return buffer.withUnsafeBufferPointer { all -> (index: Int, byte: UInt8)? in
            var i = start
            let end = all.count
            if let second {
                while i < end {
                    let b = all[i]
                    if b == first || b == second { return (i, b) }
                    i += 1
                }
            } else {
                while i < end {
                    if all[i] == first { return (i, first) }
                    i += 1
                }
            }
            return nil
        }
    }
}
