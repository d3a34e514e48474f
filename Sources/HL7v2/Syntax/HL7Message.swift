import Foundation
import Clinical

/// An HL7 v2 message (ER7, "pipe and hat" encoding): its bytes, indexed once, values decoded on access.
///
/// ``init(bytes:)`` makes one pass over the bytes and records where each segment and each field starts in
/// two flat offset arrays; nothing else is decoded until asked. Repetitions, components and
/// sub-components are found by scanning the (short) field on access. Values come back raw
/// (``HL7Value/raw``) or decoded (``HL7Value/text``: escapes resolved, MSH-18 character set applied).
///
/// Terminators `\r`, `\n` and `\r\n` are all accepted; blank lines are skipped. A leading MLLP start
/// byte (0x0B) and trailing end bytes (0x1C) are tolerated. ``serialize()`` writes the segments back with
/// the terminator the message used, so an unmodified well-formed message round-trips byte for byte.
package struct HL7Message: Sendable {
    struct SegmentEntry: Sendable {
        var start: Int32
        var end: Int32
        var firstField: Int32
        var fieldCount: Int32
        /// The three name bytes packed big-endian, for fast comparisons.
        var name: UInt32
    }

    /// Everything a parse produced, in one reference so that values and views copy one pointer.
    /// Written only while the message is being indexed, before it is shared; read-only after.
    final class Storage: Sendable {
        let bytes: [UInt8]
        let delimiters: HL7Delimiters
        let charset: HL7Charset
        let terminator: [UInt8]
        let segs: [SegmentEntry]
        let fieldStarts: [Int32]
        let endsWithTerminator: Bool

        init(bytes: [UInt8], delimiters: HL7Delimiters, charset: HL7Charset, terminator: [UInt8], segs: [SegmentEntry], fieldStarts: [Int32], endsWithTerminator: Bool) {
            self.bytes = bytes
            self.delimiters = delimiters
            self.charset = charset
            self.terminator = terminator
            self.segs = segs
            self.fieldStarts = fieldStarts
            self.endsWithTerminator = endsWithTerminator
        }

        /// A copy with another charset or terminator.
        func with(charset: HL7Charset? = nil, terminator: [UInt8]? = nil) -> Storage {
            Storage(bytes: bytes, delimiters: delimiters, charset: charset ?? self.charset, terminator: terminator ?? self.terminator,
                    segs: segs, fieldStarts: fieldStarts, endsWithTerminator: endsWithTerminator)
        }
    }

    private(set) var storage: Storage

    init(storage: Storage) { self.storage = storage }

    /// The message bytes as received (or as last edited).
    package var bytes: [UInt8] { storage.bytes }
    package var delimiters: HL7Delimiters { storage.delimiters }
    /// The character set declared in MSH-18.
    package var charset: HL7Charset { storage.charset }
    /// The segment terminator the message used (`\r` unless the sender used `\n` or `\r\n`).
    package var terminator: [UInt8] { storage.terminator }
    var segs: [SegmentEntry] { storage.segs }
    /// Start offset of every field of every segment; entry 0 of a segment is its name.
    var fieldStarts: [Int32] { storage.fieldStarts }
    var endsWithTerminator: Bool { storage.endsWithTerminator }

    /// Upper bound on segments in one message; deeper input is refused rather than exhausting memory.
    package static let maxSegments = 1_000_000

    /// Parses (indexes) one message. Throws when it does not begin with a usable MSH, or when a segment
    /// name is not three upper-case letters or digits.
    package init(bytes: [UInt8]) throws(HL7ParseError) {
        guard bytes.count < Int(Int32.max) else {
            throw HL7ParseError(.messageTooLarge, "message larger than 2 GiB")
        }
        self.storage = try Self.index(bytes)
    }

    /// Parses text (encoded as UTF-8).
    package init(_ text: String) throws(HL7ParseError) {
        try self.init(bytes: Array(text.utf8))
    }

    private static func index(_ bytes: [UInt8]) throws(HL7ParseError) -> Storage {
        let n = bytes.count
        var start = 0
        // Skip an MLLP start byte, a UTF-8 BOM and leading white space / terminators.
        while start < n, bytes[start] == 0x0B || bytes[start] == 0x0D || bytes[start] == 0x0A || bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        if n - start >= 3, bytes[start] == 0xEF, bytes[start + 1] == 0xBB, bytes[start + 2] == 0xBF { start += 3 }
        var end = n
        while end > start, bytes[end - 1] == 0x1C || bytes[end - 1] == 0x00 || ((bytes[end - 1] == 0x0D || bytes[end - 1] == 0x0A) && end - 2 >= start && bytes[end - 2] == 0x1C) { end -= 1 }
        guard end > start else { throw HL7ParseError(.emptyMessage, "the message is empty") }
        guard end - start >= 8, bytes[start] == UInt8(ascii: "M"), bytes[start + 1] == UInt8(ascii: "S"), bytes[start + 2] == UInt8(ascii: "H") else {
            var name: String?
            if end - start >= 3 { name = String(decoding: bytes[start..<(start + 3)], as: UTF8.self) }
            let isWrapper = name == "FHS" || name == "BHS"
            throw HL7ParseError(
                .missingHeader,
                isWrapper ? "the input is a batch (starts with \(name ?? "")); split it with HL7Batch first" : "the message does not begin with an MSH segment",
                segmentIndex: 1, segmentName: name.flatMap { Self.isValidName($0.utf8) ? $0 : nil }, byteOffset: start)
        }
        let fs = bytes[start + 3]
        var encEnd = start + 4
        while encEnd < end, bytes[encEnd] != fs, bytes[encEnd] != 0x0D, bytes[encEnd] != 0x0A { encEnd += 1 }
        guard let d = HL7Delimiters.parse(field: fs, encoding: bytes[(start + 4)..<encEnd]) else {
            throw HL7ParseError(
                .invalidEncodingCharacters, "MSH-1/MSH-2 do not declare a legal set of distinct delimiters",
                segmentIndex: 1, segmentName: "MSH", field: 2, byteOffset: start + 3)
        }
        var segs: [SegmentEntry] = []
        var fields: [Int32] = []
        segs.reserveCapacity(32)
        fields.reserveCapacity(end / 6 + 16)
        var terminatorFound: [UInt8]?
        var lastEndedWithTerminator = false
        var failure: HL7ParseError?
        bytes.withUnsafeBufferPointer { p in
            var i = start
            var segStart = start
            var firstField = 0
            fields.append(Int32(start))
            // MSH-1 is the separator itself: MSH-2 starts right after it.
            i = start + 4
            fields.append(Int32(i))
            while true {
                // Scan one segment.
                while i < end {
                    let b = p[i]
                    if b == fs {
                        fields.append(Int32(i + 1))
                    } else if b == 0x0D || b == 0x0A {
                        break
                    }
                    i += 1
                }
                let segEnd = i
                let count = fields.count - firstField
                // Validate the name (entry 0): three upper-case letters or digits.
                let nameEnd = count > 1 ? Int(fields[firstField + 1]) - 1 : segEnd
                var packed: UInt32 = 0
                var valid = nameEnd - segStart == 3
                if valid {
                    for k in segStart..<nameEnd {
                        let c = p[k]
                        if !((c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39)) { valid = false }
                        packed = packed << 8 | UInt32(c)
                    }
                }
                if !valid {
                    // A line of only blanks is tolerated and dropped.
                    var blank = true
                    for k in segStart..<segEnd where p[k] != 0x20 && p[k] != 0x09 && p[k] != 0x1C && p[k] != 0x0B { blank = false; break }
                    if blank {
                        fields.removeSubrange(firstField...)
                    } else {
                        failure = HL7ParseError(
                            .invalidSegmentName, "segment name is not three upper-case letters or digits",
                            segmentIndex: segs.count + 1, byteOffset: segStart)
                        return
                    }
                } else {
                    segs.append(SegmentEntry(start: Int32(segStart), end: Int32(segEnd), firstField: Int32(firstField), fieldCount: Int32(count), name: packed))
                    if segs.count > HL7Message.maxSegments {
                        failure = HL7ParseError(.tooManySegments, "more than \(HL7Message.maxSegments) segments", byteOffset: segStart)
                        return
                    }
                }
                // Terminators.
                lastEndedWithTerminator = i < end
                if terminatorFound == nil, i < end {
                    terminatorFound = (p[i] == 0x0D && i + 1 < end && p[i + 1] == 0x0A) ? [0x0D, 0x0A] : [p[i]]
                }
                while i < end, p[i] == 0x0D || p[i] == 0x0A { i += 1 }
                guard i < end else { break }
                segStart = i
                firstField = fields.count
                fields.append(Int32(i))
            }
        }
        if let failure { throw failure }
        let storage = Storage(
            bytes: bytes, delimiters: d, charset: .ascii, terminator: terminatorFound ?? [0x0D], segs: segs, fieldStarts: fields,
            endsWithTerminator: lastEndedWithTerminator || terminatorFound == nil)
        // MSH-18: character set.
        if let cs = HL7Message(storage: storage).field(segment: 0, field: 18).repetition(1).trimmed {
            return storage.with(charset: HL7Charset(declared: cs))
        }
        return storage
    }

    static func isValidName(_ name: some Collection<UInt8>) -> Bool {
        name.count == 3 && name.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    static func pack(_ name: String) -> UInt32 {
        var packed: UInt32 = 0
        for b in name.utf8.prefix(4) { packed = packed << 8 | UInt32(b) }
        return packed
    }

    // MARK: Segments

    /// How many segments the message has.
    package var segmentCount: Int { segs.count }

    /// The name of the segment at a 0-based index.
    package func segmentName(at index: Int) -> String {
        guard segs.indices.contains(index) else { return "" }
        let e = segs[index]
        return String(decoding: bytes[Int(e.start)..<Int(e.start + 3)], as: UTF8.self)
    }

    /// The packed name of the segment at a 0-based index (see ``pack(_:)``), 0 when out of range.
    func nameCode(at index: Int) -> UInt32 {
        segs.indices.contains(index) ? segs[index].name : 0
    }

    /// The segment at a 0-based index.
    package func segment(at index: Int) -> HL7Segment? {
        segs.indices.contains(index) ? HL7Segment(message: self, index: index) : nil
    }

    /// Every segment, in order.
    package var segments: [HL7Segment] { segs.indices.map { HL7Segment(message: self, index: $0) } }

    /// The segments with a name, in order (`message.segments(named: "OBX")`).
    package func segments(named name: String) -> [HL7Segment] {
        let packed = Self.pack(name)
        var result: [HL7Segment] = []
        for i in segs.indices where segs[i].name == packed { result.append(HL7Segment(message: self, index: i)) }
        return result
    }

    /// The first segment with a name.
    package func firstSegment(named name: String) -> HL7Segment? {
        segmentIndex(named: name, occurrence: 1).map { HL7Segment(message: self, index: $0) }
    }

    /// The 0-based index of the n-th (1-based) segment with a name.
    package func segmentIndex(named name: String, occurrence: Int = 1) -> Int? {
        let packed = Self.pack(name)
        let segs = storage.segs
        var seen = 0
        for i in segs.indices where segs[i].name == packed {
            seen += 1
            if seen == occurrence { return i }
        }
        return nil
    }

    /// The 0-based indices of the segments with a name (no allocation of views).
    package func segmentIndices(named name: String) -> [Int] {
        let packed = Self.pack(name)
        return segs.indices.filter { segs[$0].name == packed }
    }

    /// Whether the segment at a 0-based index has the given three-letter name.
    package func segment(at index: Int, isNamed name: String) -> Bool {
        segs.indices.contains(index) && segs[index].name == Self.pack(name)
    }

    /// 1-based occurrence of the segment at `index` among segments of its name.
    package func occurrence(ofSegmentAt index: Int) -> Int {
        let segs = storage.segs
        guard segs.indices.contains(index) else { return 0 }
        let name = segs[index].name
        var count = 0
        for i in 0...index where segs[i].name == name { count += 1 }
        return count
    }

    // MARK: Fields

    /// The number of fields of a segment, counting as the standard does (MSH-1 is the field separator).
    package func fieldCount(segment s: Int) -> Int {
        guard segs.indices.contains(s) else { return 0 }
        let e = segs[s]
        return Int(e.fieldCount) - 1 + (e.name == Self.mshName ? 1 : 0)
    }

    static let mshName: UInt32 = 0x4D_53_48

    /// The byte range of field `f` (1-based, as the standard numbers it) of segment `s` (0-based), or
    /// `nil` when the segment has fewer fields.
    package func fieldRange(segment s: Int, field f: Int) -> Range<Int>? {
        guard segs.indices.contains(s), f >= 0 else { return nil }
        let e = segs[s]
        var entry = f
        if e.name == Self.mshName {
            if f == 1 { return Int(e.start + 3)..<Int(e.start + 4) }
            if f == 0 { return Int(e.start)..<Int(e.start + 3) }
            entry = f - 1
        }
        guard entry < Int(e.fieldCount) else { return nil }
        let base = Int(e.firstField) + entry
        let lower = Int(fieldStarts[base])
        let upper = entry + 1 < Int(e.fieldCount) ? Int(fieldStarts[base + 1]) - 1 : Int(e.end)
        return lower..<max(lower, upper)
    }

    /// Whether a range is MSH-1 or MSH-2, which are never split or unescaped.
    func isDelimiterField(segment s: Int, field f: Int) -> Bool {
        segs.indices.contains(s) && segs[s].name == Self.mshName && (f == 1 || f == 2)
    }

    /// The value of a field of a segment (0-based segment index, 1-based field number).
    package func field(segment s: Int, field f: Int) -> HL7Value {
        let range = fieldRange(segment: s, field: f) ?? 0..<0
        return HL7Value(message: self, range: range, level: isDelimiterField(segment: s, field: f) ? .atomic : .field)
    }

    /// Finds the n-th (1-based) piece of `range` split at `separator`; an empty range past the end when absent.
    @inline(__always)
    func piece(_ range: Range<Int>, separator: UInt8?, index: Int) -> Range<Int>? {
        guard index >= 1 else { return nil }
        guard let separator else { return index == 1 ? range : nil }
        return bytes.withUnsafeBufferPointer { p -> Range<Int>? in
            var start = range.lowerBound
            var seen = 1
            var i = start
            let end = range.upperBound
            while i < end {
                if p[i] == separator {
                    if seen == index { return start..<i }
                    seen += 1
                    start = i + 1
                }
                i += 1
            }
            return seen == index ? start..<end : nil
        }
    }

    /// Raw (escaped) text of field `f`, repetition `r` of segment `s`.
    func rawString(segment s: Int, field f: Int, repetition r: Int) -> String? {
        guard let range = fieldRange(segment: s, field: f), let rep = piece(range, separator: delimiters.repetition, index: r) else { return nil }
        return String(decoding: bytes[rep], as: UTF8.self)
    }

    /// Decodes a raw byte range: escapes resolved, character set applied.
    package func decode(_ range: Range<Int>) -> String {
        guard !range.isEmpty, range.lowerBound >= 0, range.upperBound <= bytes.count else { return "" }
        return bytes.withUnsafeBufferPointer { p in
            let raw = UnsafeBufferPointer(rebasing: p[range])
            if let esc = delimiters.escape, raw.contains(esc) {
                var out: [UInt8] = []
                out.reserveCapacity(raw.count)
                HL7Escaping.unescape(raw, delimiters, into: &out)
                return out.withUnsafeBufferPointer { charset.decode($0) }
            }
            return charset.decode(raw)
        }
    }

    // MARK: Paths

    /// The decoded value at a path (`PID-3[2].1`, `OBX[3]-5.2`, `MSH-9.1`), or `nil` when absent or empty.
    package subscript(path: String) -> String? {
        value(at: path)
    }

    /// The decoded value at a path, or `nil` when the path is malformed, absent or empty.
    package func value(at path: String) -> String? {
        guard let parsed = try? HL7Path(path) else { return nil }
        return self.value(at: parsed).text
    }

    /// The value at a parsed path (empty when absent).
    package func value(at path: HL7Path) -> HL7Value {
        guard let s = segmentIndex(named: path.segment, occurrence: path.segmentOccurrence) else {
            return HL7Value(message: self, range: 0..<0, level: .atomic)
        }
        var v = field(segment: s, field: path.field)
        if let r = path.repetition { v = v.repetition(r) }
        if let c = path.component { v = v.component(c) }
        if let sc = path.subcomponent { v = v.subcomponent(sc) }
        return v
    }

    // MARK: Writing

    /// The message bytes, segments ended by the message's terminator. An unmodified well-formed message
    /// gives back its input (less any leading/trailing framing and blank lines).
    package func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + segs.count)
        for (i, e) in segs.enumerated() {
            out.append(contentsOf: bytes[Int(e.start)..<Int(e.end)])
            if i + 1 < segs.count || endsWithTerminator { out.append(contentsOf: terminator) }
        }
        return out
    }

    /// ``serialize()`` as text (decoded as UTF-8; Latin-1 bytes become replacement characters).
    package var er7: String { String(decoding: serialize(), as: UTF8.self) }

    /// The raw bytes of one segment, without terminator.
    package func segmentBytes(at index: Int) -> ArraySlice<UInt8> {
        guard segs.indices.contains(index) else { return [] }
        return bytes[Int(segs[index].start)..<Int(segs[index].end)]
    }
}
