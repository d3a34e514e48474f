import Foundation
import Clinical

/// Building and editing messages. Edits splice the bytes and re-index the message, so a message stays
/// a valid parse of its own bytes at all times; untouched segments keep their exact bytes.
extension HL7Message {
    /// Starts a new message with an MSH segment: `MSH|^~\&|app|facility|…|time||type|control id|P|version`.
    package init(
        messageType: String, controlID: String, version: String = "2.5.1", sendingApplication: String = "",
        sendingFacility: String = "", receivingApplication: String = "", receivingFacility: String = "",
        timestamp: ClinicalTime? = nil, processingID: String = "P", delimiters: HL7Delimiters = .standard,
        charset: HL7Charset? = nil
    ) throws(HL7ParseError) {
        var header: [UInt8] = Array("MSH".utf8) + [delimiters.field] + delimiters.encodingCharacters
        func add(_ raw: String) { header.append(delimiters.field); header.append(contentsOf: raw.utf8) }
        for part in [sendingApplication, sendingFacility, receivingApplication, receivingFacility, timestamp?.hl7 ?? "", "", messageType, controlID, processingID, version] {
            add(part)
        }
        if let charset { for _ in 0..<5 { add("") }; add(charset.name) }
        header.append(0x0D)
        try self.init(bytes: header)
    }

    /// Appends a segment whose fields are given as raw ER7 (already escaped; components joined with the
    /// message's component separator). `fields[0]` is field 1.
    package mutating func appendSegment(_ name: String, rawFields fields: [String]) throws(HL7ParseError) {
        guard HL7Message.isValidName(name.utf8), name != "MSH" else {
            throw HL7ParseError(.invalidEdit, "segment name must be three upper-case letters or digits, not MSH")
        }
        var segment = Array(name.utf8)
        for f in fields { segment.append(delimiters.field); segment.append(contentsOf: f.utf8) }
        try insertSegmentBytes(segment, at: segs.count)
    }

    /// Appends a segment whose fields are plain text values (escaped here).
    package mutating func appendSegment(_ name: String, values: [String]) throws(HL7ParseError) {
        var raw: [String] = []
        for value in values { raw.append(String(decoding: try escaped(value), as: UTF8.self)) }
        try appendSegment(name, rawFields: raw)
    }

    /// Removes the segment at a 0-based index (not MSH).
    package mutating func removeSegment(at index: Int) throws(HL7ParseError) {
        guard segs.indices.contains(index), index > 0 else {
            throw HL7ParseError(.segmentNotFound, "no removable segment at that index", segmentIndex: index + 1)
        }
        var out: [UInt8] = []
        for (i, e) in segs.enumerated() where i != index {
            out.append(contentsOf: bytes[Int(e.start)..<Int(e.end)])
            out.append(contentsOf: terminator)
        }
        try reindex(out)
    }

    /// Sets the value at a path to plain text (escaped here). `nil` empties it. Missing fields,
    /// repetitions and components are created; the segment must exist (use ``appendSegment(_:values:)``).
    package mutating func set(_ path: String, to value: String?) throws(HL7ParseError) {
        let p = try HL7Path(path)
        try set(p, raw: escaped(value ?? ""))
    }

    /// The value escaped for this message; throws when it holds a delimiter or line break and MSH-2
    /// declares no escape character to write it with.
    private func escaped(_ value: String) throws(HL7ParseError) -> [UInt8] {
        let bytes = HL7Escaping.escape(value, delimiters, charset: charset)
        if delimiters.escape == nil {
            let d = delimiters
            let unsafe: Set<UInt8?> = [d.field, d.component, d.repetition, d.subcomponent, d.truncation, 0x0D, 0x0A]
            if bytes.contains(where: { unsafe.contains($0) }) {
                throw HL7ParseError(.invalidEdit, "value holds a delimiter or line break and MSH-2 declares no escape character")
            }
        }
        return bytes
    }

    /// Sets the value at a path to raw ER7 bytes (not escaped).
    package mutating func set(_ path: HL7Path, raw value: [UInt8]) throws(HL7ParseError) {
        guard let s = segmentIndex(named: path.segment, occurrence: path.segmentOccurrence) else {
            throw HL7ParseError(.segmentNotFound, "the message has no such segment", segmentName: path.segment, field: path.field)
        }
        let isMSH = path.segment == "MSH"
        if isMSH && path.field <= 2 {
            throw HL7ParseError(.invalidEdit, "MSH-1 and MSH-2 hold the delimiters and cannot be edited", segmentIndex: s + 1, segmentName: "MSH", field: path.field)
        }
        let d = delimiters
        let e = segs[s]
        // Fields as raw byte arrays; entry 0 is the name (for MSH, entry 1 is MSH-2).
        var fields: [[UInt8]] = []
        for k in 0..<Int(e.fieldCount) {
            let lower = Int(fieldStarts[Int(e.firstField) + k])
            let upper = k + 1 < Int(e.fieldCount) ? Int(fieldStarts[Int(e.firstField) + k + 1]) - 1 : Int(e.end)
            fields.append(Array(bytes[lower..<max(lower, upper)]))
        }
        let entry = isMSH ? path.field - 1 : path.field
        while fields.count <= entry { fields.append([]) }
        var reps = split(fields[entry], d.repetition)
        let r = (path.repetition ?? 1) - 1
        while reps.count <= r { reps.append([]) }
        if let c = path.component {
            var comps = split(reps[r], d.component)
            while comps.count < c { comps.append([]) }
            if let sc = path.subcomponent, let subSep = d.subcomponent {
                var subs = split(comps[c - 1], subSep)
                while subs.count < sc { subs.append([]) }
                subs[sc - 1] = value
                comps[c - 1] = join(subs, subSep)
            } else {
                comps[c - 1] = value
            }
            reps[r] = join(comps, d.component)
        } else {
            reps[r] = value
        }
        fields[entry] = join(reps, d.repetition)
        var segment: [UInt8] = []
        for (k, f) in fields.enumerated() {
            if k > 0 { segment.append(d.field) }
            segment.append(contentsOf: f)
        }
        try replaceSegmentBytes(segment, at: s)
    }

    private func split(_ bytes: [UInt8], _ sep: UInt8) -> [[UInt8]] {
        bytes.split(separator: sep, omittingEmptySubsequences: false).map(Array.init)
    }

    private func join(_ parts: [[UInt8]], _ sep: UInt8) -> [UInt8] {
        var out: [UInt8] = []
        for (k, p) in parts.enumerated() {
            if k > 0 { out.append(sep) }
            out.append(contentsOf: p)
        }
        return out
    }

    private mutating func replaceSegmentBytes(_ segment: [UInt8], at index: Int) throws(HL7ParseError) {
        var out: [UInt8] = []
        for (i, e) in segs.enumerated() {
            if i == index { out.append(contentsOf: segment) } else { out.append(contentsOf: bytes[Int(e.start)..<Int(e.end)]) }
            out.append(contentsOf: terminator)
        }
        try reindex(out)
    }

    private mutating func insertSegmentBytes(_ segment: [UInt8], at index: Int) throws(HL7ParseError) {
        var out: [UInt8] = []
        for (i, e) in segs.enumerated() {
            if i == index { out.append(contentsOf: segment); out.append(contentsOf: terminator) }
            out.append(contentsOf: bytes[Int(e.start)..<Int(e.end)])
            out.append(contentsOf: terminator)
        }
        if index >= segs.count { out.append(contentsOf: segment); out.append(contentsOf: terminator) }
        try reindex(out)
    }

    private mutating func reindex(_ newBytes: [UInt8]) throws(HL7ParseError) {
        let term = terminator
        let parsed = try HL7Message(bytes: newBytes)
        self = HL7Message(storage: parsed.storage.with(terminator: term))
    }
}
