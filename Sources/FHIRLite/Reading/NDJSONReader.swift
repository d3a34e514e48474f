import Clinical
import Foundation

/// Streams FHIR NDJSON (the bulk-data export format: one resource per line; a line may also be a whole
/// Bundle) in batches of lines, so a file far larger than memory can be read.
///
/// Feed it chunks of bytes as they come (lines may be split across chunks anywhere); each time
/// `linesPerBatch` complete lines have arrived it maps them and returns the batch's result. Loose
/// resources of a batch form one submission (references between them resolve; a subject Patient in
/// another batch or file becomes a stub record with the Patient's logical id); each Bundle line is a
/// submission of its own. A line that is not valid JSON is reported in the batch's `problems` with the
/// file's line number, the column in that line and the file byte offset; the other lines are kept.
package struct NDJSONReader: Sendable {
    /// The source of loose resources (bulk exports name none; the caller knows which server it asked).
    package let defaultSource: SourceSystem
    /// Complete lines mapped together: references between them resolve, and memory holds one batch.
    package let linesPerBatch: Int
    /// Nesting limit, and the longest line accepted (`maxBytes`); a longer line is reported and skipped.
    package let limits: JSONLimits
    /// A batch is mapped once it holds this many bytes, even with fewer than `linesPerBatch` lines, so
    /// memory stays bounded whatever the line lengths.
    package let maxBatchBytes: Int
    /// Bytes of the current batch: complete lines, then the start of an unfinished line.
    private var buffer: [UInt8] = []
    /// Complete lines in `buffer`.
    private var lines: [Range<Int>] = []
    /// Where the unfinished line starts in `buffer`.
    private var partialStart = 0
    /// File offset of `buffer[0]`.
    private var bufferFileOffset = 0
    /// File line number (1-based) of the first line in `buffer`.
    private var firstLineNumber = 1
    /// Dropping the rest of a line longer than the limit.
    private var skippingLongLine = false
    /// The batch's document, kept so its tape's capacity is reused.
    private var doc = JSONDocument(bytes: [])

    /// A reader that maps every `linesPerBatch` lines (or `maxBatchBytes` bytes); lines longer than
    /// `limits.maxBytes` are reported as `lineTooLong`.
    package init(
        defaultSource: SourceSystem = FHIRReader.unknownSource, linesPerBatch: Int = 1000,
        limits: JSONLimits = JSONLimits(maxBytes: 64 << 20), maxBatchBytes: Int = 32 << 20
    ) {
        self.defaultSource = defaultSource
        self.linesPerBatch = max(1, linesPerBatch)
        self.limits = limits
        self.maxBatchBytes = min(max(1, maxBatchBytes), 1 << 30)
    }

    /// Adds bytes; returns the results of the batches completed by them (often none).
    package mutating func feed<C: Collection<UInt8>>(_ chunk: C) -> [FHIRReadResult] {
        var results: [FHIRReadResult] = []
        var bytes = chunk[...]
        if skippingLongLine {
            guard let newline = bytes.firstIndex(of: 0x0A) else {
                bufferFileOffset += bytes.count
                return []
            }
            bufferFileOffset += bytes.distance(from: bytes.startIndex, to: newline) + 1
            firstLineNumber += 1
            skippingLongLine = false
            bytes = bytes[bytes.index(after: newline)...]
        }
        var scanFrom = buffer.count
        buffer.append(contentsOf: bytes)
        while let newline = Self.newline(in: buffer, from: scanFrom) {
            lines.append(partialStart..<newline)
            partialStart = newline + 1
            scanFrom = partialStart
            if lines.count >= linesPerBatch || partialStart >= maxBatchBytes {
                results.append(flush())
                scanFrom = partialStart
            }
        }
        if buffer.count - partialStart > limits.maxBytes {
            let problem = FHIRError(
                code: .lineTooLong, reason: "NDJSON line longer than \(limits.maxBytes) bytes", line: firstLineNumber + lines.count,
                column: 1, offset: bufferFileOffset + partialStart)
            let dropped = buffer.count - partialStart
            buffer.removeSubrange(partialStart...)
            var result = flush()
            result.problems.append(problem)
            results.append(result)
            bufferFileOffset += dropped
            skippingLongLine = true
        }
        return results
    }

    /// The index of the first `\n` at or after `start` (memchr: SIMD on glibc).
    private static func newline(in bytes: [UInt8], from start: Int) -> Int? {
        guard start < bytes.count else { return nil }
        return bytes.withUnsafeBufferPointer { buffer -> Int? in
            guard let base = buffer.baseAddress, let hit = memchr(base + start, 0x0A, buffer.count - start) else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Maps what is left (the last line needs no newline) and returns its result.
    package mutating func finish() -> FHIRReadResult {
        if partialStart < buffer.count, !skippingLongLine {
            lines.append(partialStart..<buffer.count)
            partialStart = buffer.count
        }
        return flush()
    }

    /// Maps the complete lines held and drops them from the buffer.
    private mutating func flush() -> FHIRReadResult {
        var result = FHIRReadResult()
        // The document takes the buffer (no copy); the unfinished line moves to the previous batch's
        // bytes, whose memory is reused rather than freed and faulted in again.
        var leftover = doc.takeBytes()
        leftover.removeAll(keepingCapacity: true)
        leftover.append(contentsOf: buffer[partialStart...])
        doc.reset(bytes: buffer)
        buffer = leftover
        var looseRoots: [(root: Int, context: EntryContext, line: Int)] = []
        var bundles = FHIRReadResult()
        for (k, range) in lines.enumerated() {
            let lineNumber = firstLineNumber + k
            var end = range.upperBound
            if end > range.lowerBound, doc.bytes[end - 1] == 0x0D { end -= 1 }
            // Blank lines are allowed.
            guard doc.bytes[range.lowerBound..<end].contains(where: { $0 != 0x20 && $0 != 0x09 }) else { continue }
            guard end - range.lowerBound <= limits.maxBytes else {
                result.problems.append(FHIRError(
                    code: .lineTooLong, reason: "NDJSON line longer than \(limits.maxBytes) bytes", line: lineNumber, column: 1,
                    offset: bufferFileOffset + range.lowerBound))
                continue
            }
            var context = EntryContext(root: 0, lineBase: range.lowerBound, lineNumberBase: lineNumber - 1, offsetBase: bufferFileOffset)
            let mark = doc.nodes.count
            do throws(FHIRError) {
                let root = try doc.scanValue(in: range.lowerBound..<end, limits: limits, requireEnd: true)
                context.root = root
                guard doc.kind(root) == .object, let typeNode = doc.member(root, "resourceType") else {
                    throw ElementReader(doc: doc, context: context).error(.notFHIR, "expected a FHIR resource object with a resourceType", node: root)
                }
                guard doc.kind(typeNode) == .string else { throw ElementReader(doc: doc, context: context).wrongType(typeNode, "a string") }
                if doc.stringEquals(typeNode, "Bundle") {
                    // A Bundle line stands alone: map it while its bytes are still in cache, then drop its
                    // nodes so the tape holds only the loose resources of the batch.
                    defer { doc.truncate(to: mark) }
                    try FHIRReader.readTopLevel(doc, context: context, defaultSource: defaultSource, into: &bundles)
                } else {
                    looseRoots.append((root, context, lineNumber))
                }
            } catch {
                var e = error
                if e.path == nil {
                    // Scanner errors count from the batch buffer: restate them in file terms.
                    e.offset += bufferFileOffset
                    e.line = lineNumber
                }
                result.problems.append(e)
            }
        }
        if let first = looseRoots.first {
            var mapper = SubmissionMapper(reader: ElementReader(doc: doc, context: first.context), defaultSource: defaultSource)
            mapper.messageType = "NDJSON"
            for loose in looseRoots {
                let type = doc.member(loose.root, "resourceType").map { doc.string($0) } ?? ""
                mapper.collectResource(loose.root, type: type, position: "line[\(loose.line)]", context: loose.context)
            }
            result.append(mapper.run())
        }
        result.append(bundles)
        result.problems.sort { $0.offset < $1.offset }
        firstLineNumber += lines.count
        bufferFileOffset += partialStart
        partialStart = 0
        lines.removeAll(keepingCapacity: true)
        return result
    }

    /// Reads a whole NDJSON file from `handle` in chunks of `chunkSize` bytes, calling `body` with each
    /// batch's result; memory stays bounded by one batch.
    package static func read(
        from handle: FileHandle, defaultSource: SourceSystem = FHIRReader.unknownSource, linesPerBatch: Int = 1000,
        chunkSize: Int = 1 << 20, _ body: (FHIRReadResult) throws -> Void
    ) throws {
        var reader = NDJSONReader(defaultSource: defaultSource, linesPerBatch: linesPerBatch)
        while true {
            let data = try handle.read(upToCount: chunkSize) ?? Data()
            if data.isEmpty { break }
            for result in reader.feed(data) { try body(result) }
        }
        try body(reader.finish())
    }
}
