import Clinical
import Foundation

/// A compact binary form for the ledger's stored values (fact bodies, provenances, unified facts, flags).
///
/// Why not JSON: a unified record of 500 facts is ~350 KB of JSON and `JSONDecoder` reads it in ~20 ms
/// here, mostly in generic `Codable` machinery (container boxing, metadata lookups), not in parsing. The
/// values that occur many times per record — `UnifiedFact`, `FactBody` (results field by field; the other
/// kinds through their `Codable` form), `DuplicateTestFlag`, `ClinicalTime`, `Code`, `Provenance`,
/// `ProviderReference`, `Quantity` — are therefore written field by field under their own tags, which
/// reads a 500-fact record in ~1.5 ms. `CompactCodecTests` checks that those types still have exactly
/// the stored properties written here, so a field added to the model cannot be dropped silently; any
/// other type goes through its own `Codable` conformance.
///
/// Layout: a version byte (1), then one value. A value is a tag byte and its payload: nil; false; true;
/// a signed integer (zigzag varint); a double (8 bytes, little endian); a string (varint length, UTF-8);
/// a keyed container (varint byte length, varint count, then per entry a varint key length, the key's
/// UTF-8 and the value); an unkeyed container (varint byte length, varint count, values); a clinical
/// value (its tag, varint byte length, fields in declaration order; optionals as a presence byte or, for
/// strings, length + 1 with 0 for nil). Every variable-size value carries its byte length so a reader
/// skips it without walking it. `nil` optionals are written as entries, so the reader finds keys in the
/// order the synthesized `init(from:)` asks for them.
enum CompactCodec {
    static let version: UInt8 = 1

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let root = EncodedNode()
        try root.store(value)
        var out: [UInt8] = [version]
        out.reserveCapacity(512)
        root.write(into: &out)
        return out
    }

    /// The encoding of a unified fact with an empty id, `body` and the one provenance, built from the
    /// encodings of its body and provenance (``encode(_:)`` of each) instead of encoding them again:
    /// equal to `encode(UnifiedFact(id: "", body: body, provenances: [provenance], state: state))`.
    /// `nil` when either input is not such an encoding.
    static func unifiedWithOneSource(body: [UInt8], provenance: [UInt8], state: String) -> [UInt8]? {
        guard let bodyFields = leafFields(body, tag: Tag.body), let provenanceFields = leafFields(provenance, tag: Tag.provenance) else { return nil }
        var fields = LeafWriter()
        fields.out.reserveCapacity(bodyFields.count + provenanceFields.count + state.utf8.count + 8)
        fields.string("")
        fields.out.append(contentsOf: bodyFields)
        writeVarint(1, into: &fields.out)
        fields.out.append(contentsOf: provenanceFields)
        fields.string(state)
        writeVarint(0, into: &fields.out)
        var out: [UInt8] = [version, Tag.unified]
        out.reserveCapacity(fields.out.count + 12)
        writeVarint(UInt64(fields.out.count), into: &out)
        out.append(contentsOf: fields.out)
        return out
    }

    /// The fields of an encoded leaf value (after version, tag and length), when `bytes` is one.
    private static func leafFields(_ bytes: [UInt8], tag: UInt8) -> ArraySlice<UInt8>? {
        guard bytes.count >= 3, bytes[0] == version, bytes[1] == tag else { return nil }
        var length: UInt64 = 0, shift: UInt64 = 0, i = 2
        while i < bytes.count {
            let byte = bytes[i]
            i += 1
            length |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
            if shift > 63 { return nil }
        }
        guard UInt64(bytes.count - i) == length else { return nil }
        return bytes[i...]
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        guard bytes.first == version else { throw corrupt("unknown compact codec version") }
        let buffer = ByteBuffer(bytes)
        return try CompactValueDecoder(buffer, at: 1).decode(type)
    }

    fileprivate static func corrupt(_ reason: String) -> DecodingError {
        DecodingError.dataCorrupted(DecodingError.Context(codingPath: [], debugDescription: reason))
    }
}

private enum Tag {
    static let null: UInt8 = 0, falseValue: UInt8 = 1, trueValue: UInt8 = 2, int: UInt8 = 3, double: UInt8 = 4
    static let string: UInt8 = 5, keyed: UInt8 = 6, unkeyed: UInt8 = 7
    static let time: UInt8 = 8, code: UInt8 = 9, provenance: UInt8 = 10, provider: UInt8 = 11, quantity: UInt8 = 12
    static let body: UInt8 = 13, unified: UInt8 = 14, flag: UInt8 = 15
    /// `MatchExplanation` (every link and review row holds one). Rows written before it exist in the keyed form.
    static let explanation: UInt8 = 16
    /// `PatientRecord` (source records and golden records). Rows written before it exist in the keyed form.
    static let patient: UInt8 = 17
    /// `MatchFeatures` (`source_records.features_data`, decoded for every candidate the cache misses).
    static let features: UInt8 = 18
}

private func writeVarint(_ value: UInt64, into out: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
        out.append(UInt8(truncatingIfNeeded: v) | 0x80)
        v >>= 7
    }
    out.append(UInt8(v))
}

/// The UTF-8 bytes of `s`, copied in one piece from the string's own storage (appending the UTF-8 view
/// element by element was ~4 % of a gateway message's instructions: an encoded fact is mostly strings).
/// (`withUTF8`, not `utf8.withContiguousStorageIfAvailable`: that one declines small strings, which are
/// most of them.)
@inline(__always)
private func appendUTF8(_ s: String, into out: inout [UInt8]) {
    var s = s
    s.withUTF8 { out.append(contentsOf: $0) }
}

private func varintSize(_ value: UInt64) -> Int {
    var v = value, n = 1
    while v >= 0x80 { v >>= 7; n += 1 }
    return n
}

// MARK: Encoding (builds a small tree, then writes it)

private final class EncodedNode {
    enum Value {
        case null, bool(Bool), int(Int64), double(Double), string(String)
        case keyed([(key: String, node: EncodedNode)])
        case unkeyed([EncodedNode])
        /// A leaf value already written (tag, length, fields).
        case raw([UInt8])
    }
    var value: Value = .null

    func store<T: Encodable>(_ v: T) throws {
        switch v {
        case let s as String: value = .string(s)
        case let i as Int: value = .int(Int64(i))
        case let d as Double: value = .double(d)
        case let b as Bool: value = .bool(b)
        case let t as ClinicalTime: value = .raw(LeafWriter.leaf(Tag.time) { $0.time(t) })
        case let c as Code: value = .raw(LeafWriter.leaf(Tag.code) { $0.code(c) })
        case let p as Provenance: value = .raw(LeafWriter.leaf(Tag.provenance) { $0.provenance(p) })
        case let r as ProviderReference: value = .raw(LeafWriter.leaf(Tag.provider) { $0.provider(r) })
        case let q as Quantity: value = .raw(LeafWriter.leaf(Tag.quantity) { $0.quantity(q) })
        case let b as FactBody: value = .raw(try LeafWriter.leaf(Tag.body) { try $0.body(b) })
        case let u as UnifiedFact: value = .raw(try LeafWriter.leaf(Tag.unified) { try $0.unified(u) })
        case let f as DuplicateTestFlag: value = .raw(LeafWriter.leaf(Tag.flag) { $0.flag(f) })
        case let e as MatchExplanation: value = .raw(LeafWriter.leaf(Tag.explanation) { $0.explanation(e) })
        case let r as PatientRecord: value = .raw(LeafWriter.leaf(Tag.patient) { $0.patient(r) })
        case let f as MatchFeatures: value = .raw(LeafWriter.leaf(Tag.features) { $0.features(f) })
        default: try v.encode(to: CompactEncoder(self))
        }
    }

    func appendKeyed(_ key: String, _ child: EncodedNode) {
        if case .keyed(var entries) = value {
            value = .null
            entries.append((key, child))
            value = .keyed(entries)
        } else {
            value = .keyed([(key, child)])
        }
    }

    func appendUnkeyed(_ child: EncodedNode) {
        if case .unkeyed(var items) = value {
            value = .null
            items.append(child)
            value = .unkeyed(items)
        } else {
            value = .unkeyed([child])
        }
    }

    /// Size of the payload of a container (after its tag and length).
    private func size() -> Int {
        switch value {
        case .null, .bool: return 1
        case .int(let i): return 1 + varintSize(UInt64(bitPattern: (i << 1) ^ (i >> 63)))
        case .double: return 9
        case .string(let s): let n = s.utf8.count; return 1 + varintSize(UInt64(n)) + n
        case .keyed, .unkeyed: let body = bodySize(); return 1 + varintSize(UInt64(body)) + body
        case .raw(let bytes): return bytes.count
        }
    }

    private func bodySize() -> Int {
        switch value {
        case .keyed(let entries):
            var n = varintSize(UInt64(entries.count))
            for entry in entries {
                let k = entry.key.utf8.count
                n += varintSize(UInt64(k)) + k + entry.node.size()
            }
            return n
        case .unkeyed(let items):
            return items.reduce(varintSize(UInt64(items.count))) { $0 + $1.size() }
        default: return 0
        }
    }

    func write(into out: inout [UInt8]) {
        switch value {
        case .null: out.append(Tag.null)
        case .bool(let b): out.append(b ? Tag.trueValue : Tag.falseValue)
        case .int(let i):
            out.append(Tag.int)
            writeVarint(UInt64(bitPattern: (i << 1) ^ (i >> 63)), into: &out)
        case .double(let d):
            out.append(Tag.double)
            var bits = d.bitPattern.littleEndian
            withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
        case .string(let s):
            out.append(Tag.string)
            writeVarint(UInt64(s.utf8.count), into: &out)
            appendUTF8(s, into: &out)
        case .keyed(let entries):
            out.append(Tag.keyed)
            writeVarint(UInt64(bodySize()), into: &out)
            writeVarint(UInt64(entries.count), into: &out)
            for entry in entries {
                writeVarint(UInt64(entry.key.utf8.count), into: &out)
                appendUTF8(entry.key, into: &out)
                entry.node.write(into: &out)
            }
        case .unkeyed(let items):
            out.append(Tag.unkeyed)
            writeVarint(UInt64(bodySize()), into: &out)
            writeVarint(UInt64(items.count), into: &out)
            for item in items { item.write(into: &out) }
        case .raw(let bytes):
            out.append(contentsOf: bytes)
        }
    }
}

private struct CompactEncoder: Encoder {
    let node: EncodedNode
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ node: EncodedNode) { self.node = node }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .keyed = node.value {} else { node.value = .keyed([]) }
        return KeyedEncodingContainer(KeyedWriter<Key>(node: node))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .unkeyed = node.value {} else { node.value = .unkeyed([]) }
        return UnkeyedWriter(node: node)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleWriter(node: node) }
}

private struct KeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodedNode
    var codingPath: [any CodingKey] { [] }

    private func child(_ key: Key) -> EncodedNode {
        let child = EncodedNode()
        node.appendKeyed(key.stringValue, child)
        return child
    }

    mutating func encodeNil(forKey key: Key) throws { _ = child(key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try child(key).store(value) }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        let c = child(key)
        if let value { try c.store(value) }
    }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { child(key).value = value.map { .string($0) } ?? .null }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { child(key).value = value.map { .int(Int64($0)) } ?? .null }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { child(key).value = value.map { .double($0) } ?? .null }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { child(key).value = value.map { .bool($0) } ?? .null }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        CompactEncoder(child(key)).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        CompactEncoder(child(key)).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { CompactEncoder(child(Key(stringValue: "super") ?? Self.fallbackKey())) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { CompactEncoder(child(key)) }

    private static func fallbackKey() -> Key {
        guard let key = Key(intValue: 0) ?? Key(stringValue: "") else { preconditionFailure("coding key type accepts neither 'super' nor 0") }
        return key
    }
}

private struct UnkeyedWriter: UnkeyedEncodingContainer {
    let node: EncodedNode
    var codingPath: [any CodingKey] { [] }
    var count: Int {
        if case .unkeyed(let items) = node.value { return items.count }
        return 0
    }

    private func child() -> EncodedNode {
        let child = EncodedNode()
        node.appendUnkeyed(child)
        return child
    }

    mutating func encodeNil() throws { _ = child() }
    mutating func encode<T: Encodable>(_ value: T) throws { try child().store(value) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        CompactEncoder(child()).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { CompactEncoder(child()).unkeyedContainer() }
    mutating func superEncoder() -> any Encoder { CompactEncoder(child()) }
}

private struct SingleWriter: SingleValueEncodingContainer {
    let node: EncodedNode
    var codingPath: [any CodingKey] { [] }
    mutating func encodeNil() throws { node.value = .null }
    mutating func encode(_ value: Bool) throws { node.value = .bool(value) }
    mutating func encode(_ value: String) throws { node.value = .string(value) }
    mutating func encode(_ value: Double) throws { node.value = .double(value) }
    mutating func encode(_ value: Float) throws { node.value = .double(Double(value)) }
    mutating func encode(_ value: Int) throws { node.value = .int(Int64(value)) }
    mutating func encode(_ value: Int8) throws { node.value = .int(Int64(value)) }
    mutating func encode(_ value: Int16) throws { node.value = .int(Int64(value)) }
    mutating func encode(_ value: Int32) throws { node.value = .int(Int64(value)) }
    mutating func encode(_ value: Int64) throws { node.value = .int(value) }
    mutating func encode(_ value: UInt) throws { node.value = .int(Int64(bitPattern: UInt64(value))) }
    mutating func encode(_ value: UInt8) throws { node.value = .int(Int64(value)) }
    mutating func encode(_ value: UInt16) throws { node.value = .int(Int64(value)) }
    mutating func encode(_ value: UInt32) throws { node.value = .int(Int64(value)) }
    mutating func encode(_ value: UInt64) throws { node.value = .int(Int64(bitPattern: value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { try node.store(value) }
}

// MARK: Decoding (reads the bytes in place)

private final class ByteBuffer {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func byte(_ i: Int) throws -> UInt8 {
        guard i >= 0, i < bytes.count else { throw CompactCodec.corrupt("truncated value") }
        return bytes[i]
    }

    /// Reads a varint at `i`; returns it and the offset after it.
    func varint(_ i: Int) throws -> (UInt64, Int) {
        var result: UInt64 = 0, shift: UInt64 = 0, at = i
        while true {
            let b = try byte(at)
            at += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return (result, at) }
            shift += 7
            guard shift < 64 else { throw CompactCodec.corrupt("varint too long") }
        }
    }

    func length(_ i: Int) throws -> (Int, Int) {
        let (v, next) = try varint(i)
        guard v <= UInt64(bytes.count) else { throw CompactCodec.corrupt("length out of range") }
        return (Int(v), next)
    }

    /// The offset just past the value that starts at `i`.
    func skip(_ i: Int) throws -> Int {
        switch try byte(i) {
        case Tag.null, Tag.falseValue, Tag.trueValue: return i + 1
        case Tag.int: return try varint(i + 1).1
        case Tag.double: return i + 9
        case Tag.string, Tag.keyed, Tag.unkeyed, Tag.time, Tag.code, Tag.provenance, Tag.provider, Tag.quantity, Tag.body, Tag.unified, Tag.flag,
             Tag.explanation, Tag.patient, Tag.features:
            let (n, start) = try length(i + 1)
            return start + n
        default: throw CompactCodec.corrupt("unknown tag")
        }
    }

    func string(_ i: Int) throws -> String {
        guard try byte(i) == Tag.string else { throw CompactCodec.corrupt("expected a string") }
        let (n, start) = try length(i + 1)
        guard start + n <= bytes.count else { throw CompactCodec.corrupt("truncated string") }
        return String(decoding: bytes[start..<(start + n)], as: UTF8.self)
    }

    func int(_ i: Int) throws -> Int64 {
        guard try byte(i) == Tag.int else { throw CompactCodec.corrupt("expected an integer") }
        let v = try varint(i + 1).0
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    func double(_ i: Int) throws -> Double {
        switch try byte(i) {
        case Tag.double:
            guard i + 9 <= bytes.count else { throw CompactCodec.corrupt("truncated double") }
            var bits: UInt64 = 0
            for k in 0..<8 { bits |= UInt64(bytes[i + 1 + k]) << (8 * UInt64(k)) }
            return Double(bitPattern: bits)
        case Tag.int: return Double(try int(i))
        default: throw CompactCodec.corrupt("expected a number")
        }
    }

    func bool(_ i: Int) throws -> Bool {
        switch try byte(i) {
        case Tag.trueValue: return true
        case Tag.falseValue: return false
        default: throw CompactCodec.corrupt("expected a boolean")
        }
    }

    func keyEquals(_ start: Int, _ count: Int, _ key: String) -> Bool {
        var key = key
        return key.withUTF8 { utf8 in
            guard utf8.count == count, start + count <= bytes.count else { return false }
            for k in 0..<count where bytes[start + k] != utf8[k] { return false }
            return true
        }
    }
}

private struct CompactValueDecoder: Decoder {
    let buffer: ByteBuffer
    let offset: Int
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ buffer: ByteBuffer, at offset: Int) {
        self.buffer = buffer
        self.offset = offset
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == String.self, let v = try buffer.string(offset) as? T { return v }
        if T.self == Int.self, let v = Int(exactly: try buffer.int(offset)) as? T { return v }
        if T.self == Double.self, let v = try buffer.double(offset) as? T { return v }
        if T.self == Bool.self, let v = try buffer.bool(offset) as? T { return v }
        if T.self == ClinicalTime.self {
            var reader = try LeafReader(buffer, offset, Tag.time)
            if let v = try reader.time() as? T { return v }
        }
        if T.self == Code.self {
            var reader = try LeafReader(buffer, offset, Tag.code)
            if let v = try reader.code() as? T { return v }
        }
        if T.self == Provenance.self {
            var reader = try LeafReader(buffer, offset, Tag.provenance)
            if let v = try reader.provenance() as? T { return v }
        }
        if T.self == ProviderReference.self {
            var reader = try LeafReader(buffer, offset, Tag.provider)
            if let v = try reader.provider() as? T { return v }
        }
        if T.self == FactBody.self {
            var reader = try LeafReader(buffer, offset, Tag.body)
            if let v = try reader.body() as? T { return v }
        }
        if T.self == UnifiedFact.self {
            var reader = try LeafReader(buffer, offset, Tag.unified)
            if let v = try reader.unified() as? T { return v }
        }
        if T.self == DuplicateTestFlag.self {
            var reader = try LeafReader(buffer, offset, Tag.flag)
            if let v = try reader.flag() as? T { return v }
        }
        if T.self == Quantity.self {
            var reader = try LeafReader(buffer, offset, Tag.quantity)
            if let v = try reader.quantity() as? T { return v }
        }
        // An explanation stored before it had its own form is a keyed container: read by `init(from:)`.
        if T.self == MatchExplanation.self, try buffer.byte(offset) == Tag.explanation {
            var reader = try LeafReader(buffer, offset, Tag.explanation)
            if let v = try reader.explanation() as? T { return v }
        }
        if T.self == MatchFeatures.self, try buffer.byte(offset) == Tag.features {
            var reader = try LeafReader(buffer, offset, Tag.features)
            if let v = try reader.features() as? T { return v }
        }
        if T.self == PatientRecord.self, try buffer.byte(offset) == Tag.patient {
            var reader = try LeafReader(buffer, offset, Tag.patient)
            if let v = try reader.patient() as? T { return v }
        }
        return try T(from: self)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard try buffer.byte(offset) == Tag.keyed else { throw CompactCodec.corrupt("expected a keyed container") }
        return KeyedDecodingContainer(try KeyedReader<Key>(buffer, at: offset))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard try buffer.byte(offset) == Tag.unkeyed else { throw CompactCodec.corrupt("expected an unkeyed container") }
        return try UnkeyedReader(buffer, at: offset)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleReader(buffer: buffer, offset: offset) }
}

private final class KeyedReader<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let buffer: ByteBuffer
    let first: Int
    let end: Int
    let count: Int
    /// The entry the next lookup tries first (synthesized decoders ask in encoding order).
    private var cursor: Int
    private var cursorIndex = 0
    var codingPath: [any CodingKey] { [] }

    init(_ buffer: ByteBuffer, at offset: Int) throws {
        self.buffer = buffer
        let (size, bodyStart) = try buffer.length(offset + 1)
        let (count, first) = try buffer.length(bodyStart)
        self.count = count
        self.first = first
        self.end = bodyStart + size
        self.cursor = first
        guard end <= buffer.bytes.count else { throw CompactCodec.corrupt("truncated container") }
    }

    /// Finds the entry for `key`: its value offset, and the offset of the entry after it.
    private func find(_ key: Key) throws -> (value: Int, next: Int, index: Int)? {
        let name = key.stringValue
        var at = cursor, index = cursorIndex
        for _ in 0..<count {
            if index >= count { at = first; index = 0 }
            let (n, keyStart) = try buffer.length(at)
            let valueStart = keyStart + n
            let next = try buffer.skip(valueStart)
            guard next <= end else { throw CompactCodec.corrupt("entry past its container") }
            if buffer.keyEquals(keyStart, n, name) { return (valueStart, next, index + 1) }
            at = next
            index += 1
        }
        return nil
    }

    private func value(_ key: Key) throws -> Int {
        guard let hit = try find(key) else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(codingPath: [], debugDescription: "no entry"))
        }
        cursor = hit.index >= count ? first : hit.next
        cursorIndex = hit.index >= count ? 0 : hit.index
        return hit.value
    }

    var allKeys: [Key] {
        var keys: [Key] = []
        var at = first
        for _ in 0..<count {
            guard let (n, keyStart) = try? buffer.length(at), keyStart + n <= end,
                  let next = try? buffer.skip(keyStart + n) else { break }
            if let key = Key(stringValue: String(decoding: buffer.bytes[keyStart..<(keyStart + n)], as: UTF8.self)) { keys.append(key) }
            at = next
        }
        return keys
    }

    func contains(_ key: Key) -> Bool { (try? find(key)) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let hit = try find(key) else { return true }
        return try buffer.byte(hit.value) == Tag.null
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try CompactValueDecoder(buffer, at: try value(key)).decode(type)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard try find(key) != nil else { return nil }
        let at = try value(key)
        if try buffer.byte(at) == Tag.null { return nil }
        return try CompactValueDecoder(buffer, at: at).decode(type)
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String { try buffer.string(try value(key)) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try buffer.bool(try value(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try buffer.double(try value(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        guard let v = Int(exactly: try buffer.int(try value(key))) else { throw CompactCodec.corrupt("integer out of range") }
        return v
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try CompactValueDecoder(buffer, at: try value(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try CompactValueDecoder(buffer, at: try value(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        guard let key = Key(stringValue: "super") else { throw CompactCodec.corrupt("no super key") }
        return try superDecoder(forKey: key)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder { CompactValueDecoder(buffer, at: try value(key)) }
}

private struct UnkeyedReader: UnkeyedDecodingContainer {
    let buffer: ByteBuffer
    let end: Int
    var count: Int?
    var currentIndex = 0
    private var at: Int
    var codingPath: [any CodingKey] { [] }
    var isAtEnd: Bool { currentIndex >= (count ?? 0) }

    init(_ buffer: ByteBuffer, at offset: Int) throws {
        self.buffer = buffer
        let (size, bodyStart) = try buffer.length(offset + 1)
        let (count, first) = try buffer.length(bodyStart)
        self.count = count
        self.at = first
        self.end = bodyStart + size
        guard end <= buffer.bytes.count else { throw CompactCodec.corrupt("truncated container") }
    }

    private mutating func next() throws -> Int {
        guard !isAtEnd else { throw CompactCodec.corrupt("read past the end of an unkeyed container") }
        let start = at
        at = try buffer.skip(start)
        guard at <= end else { throw CompactCodec.corrupt("item past its container") }
        currentIndex += 1
        return start
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { throw CompactCodec.corrupt("read past the end of an unkeyed container") }
        if try buffer.byte(at) == Tag.null {
            _ = try next()
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try CompactValueDecoder(buffer, at: try next()).decode(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try CompactValueDecoder(buffer, at: try next()).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try CompactValueDecoder(buffer, at: try next()).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { CompactValueDecoder(buffer, at: try next()) }
}

private struct SingleReader: SingleValueDecodingContainer {
    let buffer: ByteBuffer
    let offset: Int
    var codingPath: [any CodingKey] { [] }

    private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let v = try buffer.int(offset)
        if let exact = T(exactly: v) { return exact }
        if T.bitWidth == 64, !T.isSigned { return T(truncatingIfNeeded: UInt64(bitPattern: v)) }
        throw CompactCodec.corrupt("integer out of range")
    }

    func decodeNil() -> Bool { (try? buffer.byte(offset)) == Tag.null }
    func decode(_ type: Bool.Type) throws -> Bool { try buffer.bool(offset) }
    func decode(_ type: String.Type) throws -> String { try buffer.string(offset) }
    func decode(_ type: Double.Type) throws -> Double { try buffer.double(offset) }
    func decode(_ type: Float.Type) throws -> Float { Float(try buffer.double(offset)) }
    func decode(_ type: Int.Type) throws -> Int { try integer(Int.self) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(UInt64.self) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try CompactValueDecoder(buffer, at: offset).decode(type) }
}

// MARK: Leaf values written field by field

private struct LeafWriter {
    var out: [UInt8] = []

    static func leaf(_ tag: UInt8, _ body: (inout LeafWriter) throws -> Void) rethrows -> [UInt8] {
        var writer = LeafWriter()
        try body(&writer)
        var bytes: [UInt8] = [tag]
        writeVarint(UInt64(writer.out.count), into: &bytes)
        bytes.append(contentsOf: writer.out)
        return bytes
    }

    mutating func int(_ v: Int) { writeVarint(UInt64(bitPattern: (Int64(v) << 1) ^ (Int64(v) >> 63)), into: &out) }

    mutating func string(_ s: String) {
        writeVarint(UInt64(s.utf8.count), into: &out)
        appendUTF8(s, into: &out)
    }

    /// An optional string: 0 for nil, else length + 1 and the bytes.
    mutating func optional(_ s: String?) {
        guard let s else { out.append(0); return }
        writeVarint(UInt64(s.utf8.count) + 1, into: &out)
        appendUTF8(s, into: &out)
    }

    mutating func time(_ t: ClinicalTime) {
        for v in [t.year, t.month, t.day, t.hour, t.minute, t.second, t.nanosecond, t.precision.rawValue] { int(v) }
        if let offset = t.offsetMinutes { out.append(1); int(offset) } else { out.append(0) }
    }

    mutating func code(_ c: Code) {
        optional(c.system)
        string(c.code)
        optional(c.display)
        optional(c.originalText)
        writeVarint(UInt64(c.translations.count), into: &out)
        for translation in c.translations { code(translation) }
    }

    mutating func provenance(_ p: Provenance) {
        string(p.source.facility)
        optional(p.source.application)
        optional(p.source.facilityID)
        string(p.format.rawValue)
        optional(p.messageID)
        optional(p.position)
        if let t = p.recordedAt { out.append(1); time(t) } else { out.append(0) }
    }

    mutating func provider(_ r: ProviderReference) {
        optional(r.identifier)
        optional(r.name)
        optional(r.organization)
    }

    mutating func flag(_ present: Bool) { out.append(present ? 1 : 0) }

    mutating func observation(_ o: Observation) {
        code(o.code)
        if let value = o.value { flag(true); observationValue(value) } else { flag(false) }
        optional(o.unit)
        optional(o.referenceRange)
        if let q = o.referenceLow { flag(true); quantity(q) } else { flag(false) }
        if let q = o.referenceHigh { flag(true); quantity(q) } else { flag(false) }
        writeVarint(UInt64(o.interpretation.count), into: &out)
        for item in o.interpretation { string(item) }
        string(o.status.rawValue)
        if let t = o.effectiveTime { flag(true); time(t) } else { flag(false) }
        if let t = o.issued { flag(true); time(t) } else { flag(false) }
        optional(o.category)
        if let c = o.panel { flag(true); code(c) } else { flag(false) }
        optional(o.placerOrderNumber)
        optional(o.fillerOrderNumber)
        optional(o.sourceID)
        if let r = o.performer { flag(true); provider(r) } else { flag(false) }
        optional(o.note)
    }

    mutating func observationValue(_ v: ObservationValue) {
        switch v {
        case .quantity(let q): out.append(0); quantity(q)
        case .text(let t): out.append(1); string(t)
        case .coded(let c): out.append(2); code(c)
        case .boolean(let b): out.append(3); flag(b)
        case .range(let low, let high):
            out.append(4)
            if let low { flag(true); quantity(low) } else { flag(false) }
            if let high { flag(true); quantity(high) } else { flag(false) }
        case .ratio(let n, let d): out.append(5); quantity(n); quantity(d)
        case .time(let t): out.append(6); time(t)
        }
    }

    /// A fact body: results field by field; the other kinds (fewer per patient) through their Codable form.
    mutating func body(_ b: FactBody) throws {
        func generic<T: Encodable>(_ kind: UInt8, _ value: T) throws {
            out.append(kind)
            let node = EncodedNode()
            try node.store(value)
            var bytes: [UInt8] = []
            node.write(into: &bytes)
            writeVarint(UInt64(bytes.count), into: &out)
            out.append(contentsOf: bytes)
        }
        switch b {
        case .result(let o): out.append(0); observation(o)
        case .order(let v): try generic(1, v)
        case .problem(let v): try generic(2, v)
        case .medication(let v): try generic(3, v)
        case .allergy(let v): try generic(4, v)
        case .encounter(let v): try generic(5, v)
        case .immunization(let v): try generic(6, v)
        case .procedure(let v): try generic(7, v)
        }
    }

    mutating func unified(_ u: UnifiedFact) throws {
        string(u.id)
        try body(u.body)
        writeVarint(UInt64(u.provenances.count), into: &out)
        for p in u.provenances { provenance(p) }
        string(u.state)
        writeVarint(UInt64(u.history.count), into: &out)
        for h in u.history { try body(h) }
    }

    mutating func flag(_ f: DuplicateTestFlag) {
        string(f.id)
        string(f.enterpriseID)
        string(f.kind.rawValue)
        code(f.test)
        int(f.intervalDays)
        var bits = f.daysApart.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
        flaggedTest(f.earlier)
        flaggedTest(f.later)
        string(f.status)
    }

    mutating func explanation(_ e: MatchExplanation) {
        string(e.method)
        writeVarint(UInt64(e.comparisons.count), into: &out)
        for c in e.comparisons {
            string(c.field)
            string(c.level)
            fixed64(c.weight)
        }
        fixed64(e.total)
        fixed64(e.upperThreshold)
        fixed64(e.lowerThreshold)
        string(e.modelVersion)
        string(e.grade.rawValue)
        writeVarint(UInt64(e.blockers.count), into: &out)
        for b in e.blockers { string(b) }
        optional(e.comparedWith)
        optional(e.reason)
    }

    mutating func patient(_ r: PatientRecord) {
        string(r.source.facility)
        optional(r.source.application)
        optional(r.source.facilityID)
        count(r.identifiers.count)
        for i in r.identifiers {
            string(i.value)
            optional(i.authority.namespace)
            optional(i.authority.universalID)
            optional(i.authority.universalIDType)
            optional(i.type)
        }
        count(r.names.count)
        for n in r.names {
            string(n.use.rawValue)
            optional(n.family)
            strings(n.given)
            strings(n.prefix)
            strings(n.suffix)
        }
        if let t = r.birthDate { flag(true); time(t) } else { flag(false) }
        optional(r.sex?.rawValue)
        count(r.addresses.count)
        for a in r.addresses {
            optional(a.use)
            strings(a.lines)
            optional(a.city)
            optional(a.district)
            optional(a.state)
            optional(a.postalCode)
            optional(a.country)
        }
        count(r.telecoms.count)
        for t in r.telecoms {
            string(t.system.rawValue)
            string(t.value)
            optional(t.use)
        }
        optional(r.ssn)
        optional(r.mothersMaidenName)
        optionalBool(r.multipleBirth)
        if let order = r.birthOrder { flag(true); int(order) } else { flag(false) }
        optionalBool(r.deceased)
        if let t = r.deceasedTime { flag(true); time(t) } else { flag(false) }
        count(r.race.count)
        for c in r.race { code(c) }
        count(r.ethnicity.count)
        for c in r.ethnicity { code(c) }
        if let c = r.language { flag(true); code(c) } else { flag(false) }
        if let c = r.maritalStatus { flag(true); code(c) } else { flag(false) }
        if let g = r.generalPractitioner { flag(true); provider(g) } else { flag(false) }
        provenance(r.provenance)
        optional(r.birthDateAsSent)
    }

    mutating func features(_ f: MatchFeatures) {
        optional(f.family)
        strings(f.familyParts)
        strings(f.formerFamilies)
        optional(f.given)
        strings(f.givenNames)
        optional(f.givenRoot)
        strings(f.givenRoots)
        optional(f.middleInitial)
        optional(f.suffix)
        optional(f.familyNYSIIS)
        optional(f.familySoundex)
        optional(f.givenNYSIIS)
        optional(f.givenSoundex)
        if let d = f.birthDate {
            flag(true)
            int(d.year)
            int(d.month ?? 0)
            int(d.day ?? 0)
        } else {
            flag(false)
        }
        optional(f.unreadableBirthDigits)
        optional(f.sex?.rawValue)
        optional(f.ssn)
        lists(f.nationalIDs)
        strings(f.phones)
        strings(f.emails)
        count(f.addresses.count)
        for a in f.addresses {
            optional(a.number)
            optional(a.street)
            optional(a.unit)
            optional(a.city)
            optional(a.state)
            optional(a.zip)
        }
        lists(f.identifiers)
        optionalBool(f.multipleBirth)
        if let order = f.birthOrder { flag(true); int(order) } else { flag(false) }
        strings(f.placeholderFields)
    }

    /// A dictionary of string lists, keys in order (the same features always give the same bytes).
    private mutating func lists(_ map: [String: [String]]) {
        count(map.count)
        for key in map.keys.sorted() {
            string(key)
            strings(map[key] ?? [])
        }
    }

    private mutating func count(_ n: Int) { writeVarint(UInt64(n), into: &out) }

    private mutating func strings(_ list: [String]) {
        count(list.count)
        for item in list { string(item) }
    }

    /// nil, false, true as 0, 1, 2.
    private mutating func optionalBool(_ b: Bool?) { out.append(b.map { $0 ? 2 : 1 } ?? 0) }

    private mutating func fixed64(_ d: Double) {
        var bits = d.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
    }

    mutating func flaggedTest(_ t: FlaggedTest) {
        string(t.factID)
        code(t.code)
        if let time = t.time { flag(true); self.time(time) } else { flag(false) }
        optional(t.value)
        provenance(t.provenance)
    }

    mutating func quantity(_ q: Quantity) {
        var bits = q.value.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
        optional(q.unit)
        optional(q.comparator)
        optional(q.text)
    }
}

private struct LeafReader {
    let buffer: ByteBuffer
    var at: Int
    let end: Int

    init(_ buffer: ByteBuffer, _ offset: Int, _ tag: UInt8) throws {
        guard try buffer.byte(offset) == tag else { throw CompactCodec.corrupt("unexpected tag for a clinical value") }
        let (n, start) = try buffer.length(offset + 1)
        guard start + n <= buffer.bytes.count else { throw CompactCodec.corrupt("truncated clinical value") }
        self.buffer = buffer
        self.at = start
        self.end = start + n
    }

    private mutating func byte() throws -> UInt8 {
        guard at < end else { throw CompactCodec.corrupt("truncated clinical value") }
        defer { at += 1 }
        return try buffer.byte(at)
    }

    private mutating func varint() throws -> UInt64 {
        let (v, next) = try buffer.varint(at)
        guard next <= end else { throw CompactCodec.corrupt("truncated clinical value") }
        at = next
        return v
    }

    private mutating func int() throws -> Int {
        let v = try varint()
        return Int(truncatingIfNeeded: Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1))))
    }

    private mutating func bytes(_ n: UInt64) throws -> String {
        guard n <= UInt64(end - at) else { throw CompactCodec.corrupt("truncated string") }
        let count = Int(n)
        defer { at += count }
        return String(decoding: buffer.bytes[at..<(at + count)], as: UTF8.self)
    }

    private mutating func string() throws -> String { try bytes(try varint()) }

    private mutating func optional() throws -> String? {
        let n = try varint()
        return n == 0 ? nil : try bytes(n - 1)
    }

    mutating func time() throws -> ClinicalTime {
        let year = try int(), month = try int(), day = try int(), hour = try int(), minute = try int()
        let second = try int(), nanosecond = try int(), precisionRaw = try int()
        let offset: Int? = try byte() == 1 ? try int() : nil
        guard let precision = ClinicalTime.Precision(rawValue: precisionRaw),
              var t = ClinicalTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                                   nanosecond: nanosecond, precision: precision, offsetMinutes: nil)
        else { throw CompactCodec.corrupt("invalid clinical time") }
        t.offsetMinutes = offset
        return t
    }

    mutating func code(depth: Int = 0) throws -> Code {
        guard depth < 16 else { throw CompactCodec.corrupt("code translations nested too deeply") }
        let system = try optional(), value = try string(), display = try optional(), originalText = try optional()
        let count = try varint()
        guard count <= UInt64(end - at) else { throw CompactCodec.corrupt("translation count out of range") }
        var translations: [Code] = []
        for _ in 0..<count { translations.append(try code(depth: depth + 1)) }
        var code = Code(system: nil, code: value, display: display, translations: translations, originalText: originalText)
        code.system = system  // stored canonical already; keep it exactly
        return code
    }

    mutating func provenance() throws -> Provenance {
        var source = SourceSystem(facility: "")
        source.facility = try string()
        source.application = try optional()
        source.facilityID = try optional()
        guard let format = SourceFormat(rawValue: try string()) else { throw CompactCodec.corrupt("unknown source format") }
        var p = Provenance(source: source, format: format)
        p.messageID = try optional()
        p.position = try optional()
        p.recordedAt = try byte() == 1 ? try time() : nil
        return p
    }

    mutating func provider() throws -> ProviderReference {
        var r = ProviderReference()
        r.identifier = try optional()
        r.name = try optional()
        r.organization = try optional()
        return r
    }

    private mutating func present() throws -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        default: throw CompactCodec.corrupt("invalid presence flag")
        }
    }

    private mutating func count() throws -> Int {
        let n = try varint()
        guard n <= UInt64(end - at) else { throw CompactCodec.corrupt("count out of range") }
        return Int(n)
    }

    mutating func observation() throws -> Observation {
        var o = Observation(code: try code())
        o.value = try present() ? try observationValue() : nil
        o.unit = try optional()
        o.referenceRange = try optional()
        o.referenceLow = try present() ? try quantity() : nil
        o.referenceHigh = try present() ? try quantity() : nil
        var interpretation: [String] = []
        for _ in 0..<(try count()) { interpretation.append(try string()) }
        o.interpretation = interpretation
        guard let status = ResultStatus(rawValue: try string()) else { throw CompactCodec.corrupt("unknown result status") }
        o.status = status
        o.effectiveTime = try present() ? try time() : nil
        o.issued = try present() ? try time() : nil
        o.category = try optional()
        o.panel = try present() ? try code() : nil
        o.placerOrderNumber = try optional()
        o.fillerOrderNumber = try optional()
        o.sourceID = try optional()
        o.performer = try present() ? try provider() : nil
        o.note = try optional()
        return o
    }

    mutating func observationValue() throws -> ObservationValue {
        switch try byte() {
        case 0: return .quantity(try quantity())
        case 1: return .text(try string())
        case 2: return .coded(try code())
        case 3: return .boolean(try present())
        case 4:
            let low = try present() ? try quantity() : nil
            let high = try present() ? try quantity() : nil
            return .range(low: low, high: high)
        case 5:
            let n = try quantity()
            return .ratio(numerator: n, denominator: try quantity())
        case 6: return .time(try time())
        default: throw CompactCodec.corrupt("unknown observation value kind")
        }
    }

    mutating func body() throws -> FactBody {
        let kind = try byte()
        if kind == 0 { return .result(try observation()) }
        let n = try count()
        let start = at
        at += n
        let decoder = CompactValueDecoder(buffer, at: start)
        let body: FactBody
        switch kind {
        case 1: body = .order(try decoder.decode(Order.self))
        case 2: body = .problem(try decoder.decode(Problem.self))
        case 3: body = .medication(try decoder.decode(Medication.self))
        case 4: body = .allergy(try decoder.decode(Allergy.self))
        case 5: body = .encounter(try decoder.decode(Encounter.self))
        case 6: body = .immunization(try decoder.decode(Immunization.self))
        case 7: body = .procedure(try decoder.decode(Procedure.self))
        default: throw CompactCodec.corrupt("unknown fact kind")
        }
        guard try buffer.skip(start) == at else { throw CompactCodec.corrupt("fact body length mismatch") }
        return body
    }

    mutating func unified() throws -> UnifiedFact {
        let id = try string()
        let body = try body()
        var provenances: [Provenance] = []
        for _ in 0..<(try count()) { provenances.append(try provenance()) }
        let state = try string()
        var history: [FactBody] = []
        for _ in 0..<(try count()) { history.append(try self.body()) }
        return UnifiedFact(id: id, body: body, provenances: provenances, state: state, history: history)
    }

    mutating func flag() throws -> DuplicateTestFlag {
        let id = try string(), enterpriseID = try string()
        guard let kind = DuplicateTestFlag.Kind(rawValue: try string()) else { throw CompactCodec.corrupt("unknown flag kind") }
        let test = try code(), interval = try int()
        let days = Double(bitPattern: try fixed64())
        let earlier = try flaggedTest(), later = try flaggedTest()
        return DuplicateTestFlag(id: id, enterpriseID: enterpriseID, kind: kind, test: test, intervalDays: interval,
                                 daysApart: days, earlier: earlier, later: later, status: try string())
    }

    mutating func explanation() throws -> MatchExplanation {
        let method = try string()
        var comparisons: [FieldComparison] = []
        for _ in 0..<(try count()) {
            let field = try string(), level = try string()
            comparisons.append(FieldComparison(field: field, level: level, weight: Double(bitPattern: try fixed64())))
        }
        let total = Double(bitPattern: try fixed64()), upper = Double(bitPattern: try fixed64()), lower = Double(bitPattern: try fixed64())
        let version = try string()
        guard let grade = MatchGrade(rawValue: try string()) else { throw CompactCodec.corrupt("unknown match grade") }
        var blockers: [String] = []
        for _ in 0..<(try count()) { blockers.append(try string()) }
        let comparedWith = try optional()
        return MatchExplanation(method: method, comparisons: comparisons, total: total, upperThreshold: upper, lowerThreshold: lower,
                                modelVersion: version, grade: grade, blockers: blockers, comparedWith: comparedWith, reason: try optional())
    }

    mutating func patient() throws -> PatientRecord {
        var source = SourceSystem(facility: "")
        source.facility = try string()
        source.application = try optional()
        source.facilityID = try optional()
        var r = PatientRecord(source: source, provenance: Provenance(source: source, format: .hl7v2))
        for _ in 0..<(try count()) {
            let value = try string()
            var authority = AssigningAuthority()
            authority.namespace = try optional()
            authority.universalID = try optional()
            authority.universalIDType = try optional()
            var identifier = PatientIdentifier(value: "", authority: authority)
            identifier.value = value
            identifier.type = try optional()
            r.identifiers.append(identifier)
        }
        for _ in 0..<(try count()) {
            guard let use = NameUse(rawValue: try string()) else { throw CompactCodec.corrupt("unknown name use") }
            var name = PersonName(use: use, family: nil)
            name.family = try optional()
            name.given = try strings()
            name.prefix = try strings()
            name.suffix = try strings()
            r.names.append(name)
        }
        r.birthDate = try present() ? try time() : nil
        r.sex = try sex()
        for _ in 0..<(try count()) {
            var a = PostalAddress()
            a.use = try optional()
            a.lines = try strings()
            a.city = try optional()
            a.district = try optional()
            a.state = try optional()
            a.postalCode = try optional()
            a.country = try optional()
            r.addresses.append(a)
        }
        for _ in 0..<(try count()) {
            guard let system = Telecom.System(rawValue: try string()) else { throw CompactCodec.corrupt("unknown telecom system") }
            var t = Telecom(system: system, value: "")
            t.value = try string()
            t.use = try optional()
            r.telecoms.append(t)
        }
        r.ssn = try optional()
        r.mothersMaidenName = try optional()
        r.multipleBirth = try optionalBool()
        r.birthOrder = try present() ? try int() : nil
        r.deceased = try optionalBool()
        r.deceasedTime = try present() ? try time() : nil
        for _ in 0..<(try count()) { r.race.append(try code()) }
        for _ in 0..<(try count()) { r.ethnicity.append(try code()) }
        r.language = try present() ? try code() : nil
        r.maritalStatus = try present() ? try code() : nil
        r.generalPractitioner = try present() ? try provider() : nil
        r.provenance = try provenance()
        r.birthDateAsSent = try optional()
        return r
    }

    mutating func features() throws -> MatchFeatures {
        var f = MatchFeatures()
        f.family = try optional()
        f.familyParts = try strings()
        f.formerFamilies = try strings()
        f.given = try optional()
        f.givenNames = try strings()
        f.givenRoot = try optional()
        f.givenRoots = try strings()
        f.middleInitial = try optional()
        f.suffix = try optional()
        f.familyNYSIIS = try optional()
        f.familySoundex = try optional()
        f.givenNYSIIS = try optional()
        f.givenSoundex = try optional()
        if try present() {
            let year = try int(), month = try int(), day = try int()
            var date = MatchDate(year: year)
            date.month = month == 0 ? nil : month
            date.day = day == 0 ? nil : day
            f.birthDate = date
        }
        f.unreadableBirthDigits = try optional()
        f.sex = try sex()
        f.ssn = try optional()
        f.nationalIDs = try lists()
        f.phones = try strings()
        f.emails = try strings()
        for _ in 0..<(try count()) {
            var a = StandardAddress()
            a.number = try optional()
            a.street = try optional()
            a.unit = try optional()
            a.city = try optional()
            a.state = try optional()
            a.zip = try optional()
            f.addresses.append(a)
        }
        f.identifiers = try lists()
        f.multipleBirth = try optionalBool()
        f.birthOrder = try present() ? try int() : nil
        f.placeholderFields = try strings()
        return f
    }

    private mutating func lists() throws -> [String: [String]] {
        var map: [String: [String]] = [:]
        for _ in 0..<(try count()) {
            let key = try string()
            map[key] = try strings()
        }
        return map
    }

    private mutating func strings() throws -> [String] {
        var list: [String] = []
        for _ in 0..<(try count()) { list.append(try string()) }
        return list
    }

    private mutating func sex() throws -> AdministrativeSex? {
        guard let raw = try optional() else { return nil }
        guard let value = AdministrativeSex(rawValue: raw) else { throw CompactCodec.corrupt("unknown sex") }
        return value
    }

    private mutating func optionalBool() throws -> Bool? {
        switch try byte() {
        case 0: return nil
        case 1: return false
        case 2: return true
        default: throw CompactCodec.corrupt("invalid optional boolean")
        }
    }

    mutating func flaggedTest() throws -> FlaggedTest {
        let factID = try string(), code = try code()
        let time = try present() ? try self.time() : nil
        let value = try optional()
        return FlaggedTest(factID: factID, code: code, time: time, value: value, provenance: try provenance())
    }

    private mutating func fixed64() throws -> UInt64 {
        guard end - at >= 8 else { throw CompactCodec.corrupt("truncated number") }
        var bits: UInt64 = 0
        for k in 0..<8 { bits |= UInt64(try buffer.byte(at + k)) << (8 * UInt64(k)) }
        at += 8
        return bits
    }

    mutating func quantity() throws -> Quantity {
        var q = Quantity(value: Double(bitPattern: try fixed64()))
        q.unit = try optional()
        q.comparator = try optional()
        q.text = try optional()
        return q
    }
}
