import Foundation
import Clinical

/// Files and batches holding many messages (HL7 v2.5.1 §2.10.3): an optional FHS … FTS file wrapper
/// around optional BHS … BTS batches around messages, or simply messages one after another (with any
/// terminators, including one message per line).
package enum HL7Batch {
    /// One batch (BHS … BTS), or the messages outside any batch.
    package struct Batch: Sendable {
        /// The raw BHS segment, when there was one.
        package var header: [UInt8]?
        /// The raw BTS segment, when there was one.
        package var trailer: [UInt8]?
        /// BTS-1, the count the sender declared, when given.
        package var declaredMessageCount: Int?
        /// Each message's bytes, segments ended by `\r`.
        package var messages: [[UInt8]]
    }

    /// A whole file: the FHS/FTS wrapper (when present) and its batches.
    package struct File: Sendable {
        package var header: [UInt8]?
        package var trailer: [UInt8]?
        /// FTS-1, the number of batches the sender declared.
        package var declaredBatchCount: Int?
        package var batches: [Batch]

        /// Every message of every batch, in order.
        package var messages: [[UInt8]] { batches.flatMap(\.messages) }
    }

    /// Splits bytes into messages, dropping FHS/BHS/BTS/FTS wrappers. Each message comes back with
    /// segments ended by `\r`.
    package static func split(_ bytes: [UInt8]) throws(HL7ParseError) -> [[UInt8]] {
        try parse(bytes).messages
    }

    /// Reads a file or batch, keeping the wrapper segments. Throws when a segment appears before any MSH
    /// outside a wrapper, or when wrappers are out of order (BTS without BHS, FHS after messages).
    package static func parse(_ bytes: [UInt8]) throws(HL7ParseError) -> File {
        var file = File(header: nil, trailer: nil, declaredBatchCount: nil, batches: [])
        var current = Batch(header: nil, trailer: nil, declaredMessageCount: nil, messages: [])
        var message: [UInt8] = []
        var inBatch = false
        var segmentNumber = 0
        func flushMessage() {
            if !message.isEmpty { current.messages.append(message); message = [] }
        }
        func flushBatch() {
            flushMessage()
            if !current.messages.isEmpty || current.header != nil || current.trailer != nil { file.batches.append(current) }
            current = Batch(header: nil, trailer: nil, declaredMessageCount: nil, messages: [])
        }
        func firstField(_ line: ArraySlice<UInt8>) -> Int? {
            guard line.count > 4 else { return nil }
            let fs = line[line.startIndex + 3]
            let rest = line.dropFirst(4)
            let value = rest.prefix { $0 != fs }
            guard !value.isEmpty, value.count < 10, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int(String(decoding: value, as: UTF8.self))
        }
        var i = 0
        let n = bytes.count
        while i < n {
            var j = i
            while j < n, bytes[j] != 0x0D, bytes[j] != 0x0A { j += 1 }
            let line = bytes[i..<j]
            i = j
            while i < n, bytes[i] == 0x0D || bytes[i] == 0x0A { i += 1 }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0B || $0 == 0x1C }) { continue }
            segmentNumber += 1
            let name = line.count >= 3 ? String(decoding: line.prefix(3), as: UTF8.self) : ""
            let framed = line.count == 3 || (line.count > 3 && !isAlnum(line[line.startIndex + 3]))
            switch framed ? name : "" {
            case "FHS":
                guard file.header == nil, file.batches.isEmpty, current.messages.isEmpty, message.isEmpty else {
                    throw HL7ParseError(.invalidBatch, "FHS must come first and only once", segmentIndex: segmentNumber, segmentName: "FHS")
                }
                file.header = Array(line)
            case "FTS":
                flushBatch()
                file.trailer = Array(line)
                file.declaredBatchCount = firstField(line)
            case "BHS":
                flushBatch()
                current.header = Array(line)
                inBatch = true
            case "BTS":
                guard inBatch || current.header == nil else {
                    throw HL7ParseError(.invalidBatch, "BTS without BHS", segmentIndex: segmentNumber, segmentName: "BTS")
                }
                flushMessage()
                current.trailer = Array(line)
                current.declaredMessageCount = firstField(line)
                inBatch = false
                flushBatch()
            case "MSH":
                flushMessage()
                message = Array(line)
                message.append(0x0D)
            default:
                guard !message.isEmpty else {
                    throw HL7ParseError(
                        .invalidBatch, "segment outside any message (expected MSH, FHS or BHS)", segmentIndex: segmentNumber,
                        segmentName: HL7Message.isValidName(line.prefix(3)) ? name : nil)
                }
                message.append(contentsOf: line)
                message.append(0x0D)
            }
        }
        flushBatch()
        return file
    }

    private static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }
}
