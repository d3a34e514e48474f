import Foundation

/// The kind of a JSON value on the structure tape.
enum JSONKind: UInt8 {
    case object, array, string, number, `true`, `false`, null
}

/// One value of a scanned JSON text: where its bytes are and where its subtree ends.
///
/// Containers are followed on the tape by their children in order (an object's children alternate key
/// string, value); `next` is the index just past the subtree, so a reader can skip a value in O(1).
struct JSONNode {
    var kind: JSONKind
    /// Strings: `hasEscapes`, `nonASCII`. Numbers: `isInteger`.
    var flags: UInt8
    /// Strings: first byte after the opening quote. Others: the value's first byte.
    var start: UInt32
    /// Strings: the closing quote. Numbers and literals: one past the last byte. Containers: the closing bracket.
    var end: UInt32
    /// Index of the first node after this value's subtree.
    var next: UInt32

    static let hasEscapes: UInt8 = 1
    static let isInteger: UInt8 = 2
}

/// Limits the scanner enforces, so hostile input cannot exhaust the stack or memory.
package struct JSONLimits: Sendable, Hashable {
    /// Deepest nesting of arrays and objects accepted.
    package var maxDepth: Int
    /// Largest input accepted, in bytes (the tape stores 32-bit offsets, so at most 4 GiB − 1).
    package var maxBytes: Int

    /// Limits: 512 levels and 512 MiB by default.
    package init(maxDepth: Int = 512, maxBytes: Int = 512 << 20) {
        self.maxDepth = maxDepth
        self.maxBytes = min(maxBytes, Int(UInt32.max) - 1)
    }
}

/// A JSON text and its structure tape: scanned once into offsets, values decoded only when asked
/// (the approach of swift-foundation's JSON scanner and simdjson's tape).
struct JSONDocument {
    private(set) var bytes: [UInt8]
    private(set) var nodes: [JSONNode] = []

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Scans one text that must hold exactly one value; returns the root index (0).
    static func parse(_ bytes: [UInt8], limits: JSONLimits = JSONLimits()) throws(FHIRError) -> JSONDocument {
        var doc = JSONDocument(bytes: bytes)
        _ = try doc.scanValue(in: 0..<bytes.count, limits: limits, requireEnd: true)
        return doc
    }

    /// Scans one value in `range` (white space around it allowed) and appends it to the tape; returns its
    /// node index. On error the tape is left as it was.
    mutating func scanValue(in range: Range<Int>, limits: JSONLimits, requireEnd: Bool) throws(FHIRError) -> Int {
        let mark = nodes.count
        // Offsets on the tape are 32-bit.
        guard range.count <= limits.maxBytes, range.upperBound < Int(UInt32.max) else {
            throw error(.tooLarge, "input larger than the limit of \(limits.maxBytes) bytes", at: range.lowerBound, lineBase: range.lowerBound)
        }
        if nodes.isEmpty { nodes.reserveCapacity(bytes.count / 12 + 16) }
        var scanner = JSONScanner(range: range, maxDepth: limits.maxDepth)
        let outcome: Result<Int, JSONScanner.Failure> = bytes.withUnsafeBufferPointer { buffer in
            scanner.run(buffer, into: &nodes, requireEnd: requireEnd)
        }
        switch outcome {
        case .success(let root): return root
        case .failure(let failure):
            nodes.removeSubrange(mark...)
            throw error(failure.code, failure.reason, at: failure.offset, lineBase: range.lowerBound)
        }
    }

    /// Drops the nodes from index `count` on (values scanned since then and already used).
    mutating func truncate(to count: Int) {
        if count < nodes.count { nodes.removeSubrange(count...) }
    }

    /// Hands over the bytes (leaving none), so their storage can be reused.
    mutating func takeBytes() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &bytes)
        return taken
    }

    /// Starts over on new bytes, keeping the tape's capacity (NDJSON batches reuse one document).
    mutating func reset(bytes newBytes: [UInt8]) {
        bytes = newBytes
        nodes.removeAll(keepingCapacity: true)
    }

    func error(_ code: FHIRError.Code, _ reason: String, at offset: Int, lineBase: Int = 0, path: String? = nil) -> FHIRError {
        let (line, column) = FHIRError.lineColumn(of: offset, in: bytes, from: lineBase)
        return FHIRError(code: code, reason: reason, line: line, column: column, offset: offset, path: path)
    }

    // MARK: Reading the tape

    @inline(__always) func kind(_ i: Int) -> JSONKind { nodes[i].kind }
    @inline(__always) func next(_ i: Int) -> Int { Int(nodes[i].next) }

    /// The byte offset a value starts at (for error positions).
    func offset(of i: Int) -> Int {
        let node = nodes[i]
        return node.kind == .string ? Int(node.start) - 1 : Int(node.start)
    }

    /// The value of `key` in the object at `object`, or `nil` (also when `object` is not an object).
    func member(_ object: Int, _ key: StaticString) -> Int? {
        guard object < nodes.count, nodes[object].kind == .object else { return nil }
        let end = Int(nodes[object].next)
        var child = object + 1
        return key.withUTF8Buffer { keyBytes -> Int? in
            bytes.withUnsafeBufferPointer { buffer -> Int? in
                guard let base = buffer.baseAddress, let keyBase = keyBytes.baseAddress else { return nil }
                while child + 1 < end {
                    let k = nodes[child]
                    let length = Int(k.end) - Int(k.start)
                    if length == keyBytes.count, k.flags & JSONNode.hasEscapes == 0,
                        Int(k.end) <= buffer.count, memcmp(base + Int(k.start), keyBase, length) == 0
                    {
                        return child + 1
                    }
                    child = Int(nodes[child + 1].next)
                }
                return nil
            }
        }
    }

    /// The first member of `object` whose name is `prefix` followed by more (a FHIR choice element such
    /// as `value[x]`): the rest of the name (`Quantity`) and the value node.
    func choice(_ object: Int, _ prefix: StaticString) -> (type: String, node: Int)? {
        guard object < nodes.count, nodes[object].kind == .object else { return nil }
        let end = Int(nodes[object].next)
        var child = object + 1
        let length = prefix.utf8CodeUnitCount
        while child + 1 < end {
            let k = nodes[child]
            let start = Int(k.start)
            if Int(k.end) - start > length, nodes[child + 1].kind != .null {
                var same = true
                var j = 0
                while j < length {
                    if bytes[start + j] != prefix.utf8Start[j] { same = false; break }
                    j += 1
                }
                let next = bytes[start + length]
                if same, next >= UInt8(ascii: "A"), next <= UInt8(ascii: "Z") {
                    return (String(decoding: bytes[(start + length)..<Int(k.end)], as: UTF8.self), child + 1)
                }
            }
            child = Int(nodes[child + 1].next)
        }
        return nil
    }

    /// The members of an object as (key node, value node) pairs.
    func members(_ object: Int) -> [(key: Int, value: Int)] {
        guard nodes[object].kind == .object else { return [] }
        var result: [(Int, Int)] = []
        var child = object + 1
        let end = Int(nodes[object].next)
        while child + 1 < end {
            result.append((child, child + 1))
            child = Int(nodes[child + 1].next)
        }
        return result
    }

    /// The elements of the array at `array` (empty when not an array).
    func elements(_ array: Int) -> JSONElements {
        guard nodes[array].kind == .array else { return JSONElements(nodes: nodes, current: 0, end: 0) }
        return JSONElements(nodes: nodes, current: array + 1, end: Int(nodes[array].next))
    }

    /// Number of elements of an array.
    func count(_ array: Int) -> Int {
        var n = 0
        for _ in elements(array) { n += 1 }
        return n
    }

    /// Whether the string at `i` equals `literal` byte for byte.
    func stringEquals(_ i: Int, _ literal: StaticString) -> Bool {
        let node = nodes[i]
        guard node.kind == .string, node.flags & JSONNode.hasEscapes == 0 else {
            return node.kind == .string && string(i) == literal.description
        }
        let length = Int(node.end) - Int(node.start)
        guard length == literal.utf8CodeUnitCount else { return false }
        return literal.withUTF8Buffer { lit in
            var j = 0
            var b = Int(node.start)
            while j < length {
                if bytes[b] != lit[j] { return false }
                j += 1
                b += 1
            }
            return true
        }
    }

    /// The raw bytes of a string's content (escapes not decoded) or of a number/literal.
    func rawBytes(_ i: Int) -> ArraySlice<UInt8> {
        let node = nodes[i]
        return bytes[Int(node.start)..<Int(node.end)]
    }

    /// Decodes the string at `i`. The scanner validated UTF-8 and escapes, so this cannot fail; a lone
    /// surrogate escape (`\uD800`) decodes to U+FFFD.
    func string(_ i: Int) -> String {
        let node = nodes[i]
        let start = Int(node.start), end = Int(node.end)
        if node.flags & JSONNode.hasEscapes == 0 {
            return bytes.withUnsafeBufferPointer { buffer in
                guard end <= buffer.count, start <= end else { return "" }
                return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
            }
        }
        return JSONDocument.unescape(bytes[start..<end]).withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
    }

    /// The text of a number exactly as written.
    func numberText(_ i: Int) -> String {
        let node = nodes[i]
        let start = Int(node.start), end = Int(node.end)
        return bytes.withUnsafeBufferPointer { buffer in
            guard end <= buffer.count, start <= end else { return "" }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
        }
    }

    /// The value of a number as a `Double` (the scanner validated the grammar).
    func double(_ i: Int) -> Double { Double(numberText(i)) ?? .nan }

    /// The value of an integer number, or `nil` when it has a fraction or exponent or overflows.
    func integer(_ i: Int) -> Int? {
        let node = nodes[i]
        guard node.kind == .number, node.flags & JSONNode.isInteger != 0 else { return nil }
        var value = 0
        var negative = false
        for byte in rawBytes(i) {
            if byte == UInt8(ascii: "-") { negative = true; continue }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(byte &- 48))
            if o1 || o2 { return nil }
            value = s
        }
        return negative ? -value : value
    }

    static func unescape(_ raw: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = raw.startIndex
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= raw.endIndex else { return nil }
            var v: UInt32 = 0
            for j in at..<(at + 4) {
                let c = raw[j]
                let d: UInt8
                switch c {
                case 48...57: d = c - 48
                case 65...70: d = c - 55
                case 97...102: d = c - 87
                default: return nil
                }
                v = v << 4 | UInt32(d)
            }
            return v
        }
        func append(scalar: UInt32) {
            let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
            out.append(contentsOf: String(s).utf8)
        }
        while i < raw.endIndex {
            let b = raw[i]
            guard b == UInt8(ascii: "\\"), i + 1 < raw.endIndex else {
                out.append(b)
                i += 1
                continue
            }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard let high = hex4(i) else { out.append(0xEF); out.append(0xBF); out.append(0xBD); continue }
                i += 4
                if (0xD800...0xDBFF).contains(high), i + 1 < raw.endIndex, raw[i] == UInt8(ascii: "\\"),
                    raw[i + 1] == UInt8(ascii: "u"), let low = hex4(i + 2), (0xDC00...0xDFFF).contains(low)
                {
                    i += 6
                    append(scalar: 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                } else {
                    append(scalar: high)
                }
            default: out.append(e)
            }
        }
        return out
    }

    /// The JSON path of node `target` below `root` (`entry[3].resource.birthDate`), worked out from the
    /// tape only when an error is reported.
    func path(to target: Int, from root: Int) -> String {
        var path = ""
        var current = root
        while current != target, current < nodes.count {
            let node = nodes[current]
            guard target > current, target < Int(node.next) else { break }
            var child = current + 1
            var index = 0
            var advanced = false
            if node.kind == .object {
                while child + 1 < Int(node.next) {
                    let valueEnd = Int(nodes[child + 1].next)
                    if target == child || (target >= child + 1 && target < valueEnd) {
                        if !path.isEmpty { path += "." }
                        path += string(child)
                        current = target == child ? target : child + 1
                        advanced = true
                        break
                    }
                    child = valueEnd
                }
            } else if node.kind == .array {
                while child < Int(node.next) {
                    let valueEnd = Int(nodes[child].next)
                    if target >= child && target < valueEnd {
                        path += "[\(index)]"
                        current = child
                        advanced = true
                        break
                    }
                    child = valueEnd
                    index += 1
                }
            }
            if !advanced { break }
        }
        return path
    }
}

/// The element indices of a JSON array, in order.
struct JSONElements: Sequence, IteratorProtocol {
    let nodes: [JSONNode]
    var current: Int
    let end: Int

    mutating func next() -> Int? {
        guard current < end, current < nodes.count else { return nil }
        let element = current
        current = Int(nodes[current].next)
        return element
    }
}

/// The single pass over the bytes that builds the tape. Every byte read is checked against the range end.
private struct JSONScanner {
    struct Failure: Error {
        var code: FHIRError.Code
        var reason: String
        var offset: Int
    }

    var i: Int
    let end: Int
    let maxDepth: Int

    init(range: Range<Int>, maxDepth: Int) {
        i = range.lowerBound
        end = range.upperBound
        self.maxDepth = maxDepth
    }

    mutating func run(_ p: UnsafeBufferPointer<UInt8>, into nodes: inout [JSONNode], requireEnd: Bool) -> Result<Int, Failure> {
        guard end <= p.count else { return .failure(Failure(code: .unexpectedEnd, reason: "range beyond input", offset: p.count)) }
        do throws(Failure) {
            skipWhitespace(p)
            let root = nodes.count
            try value(p, &nodes, depth: 0)
            if requireEnd {
                skipWhitespace(p)
                if i < end { throw Failure(code: .trailingData, reason: "expected end of input after the top-level value", offset: i) }
            }
            return .success(root)
        } catch {
            return .failure(error)
        }
    }

    @inline(__always) mutating func skipWhitespace(_ p: UnsafeBufferPointer<UInt8>) {
        while i < end {
            let b = p[i]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { i += 1 } else { return }
        }
    }

    mutating func value(_ p: UnsafeBufferPointer<UInt8>, _ nodes: inout [JSONNode], depth: Int) throws(Failure) {
        guard i < end else { throw Failure(code: .unexpectedEnd, reason: "expected a value", offset: i) }
        switch p[i] {
        case UInt8(ascii: "{"): try object(p, &nodes, depth: depth + 1)
        case UInt8(ascii: "["): try array(p, &nodes, depth: depth + 1)
        case UInt8(ascii: "\""): try string(p, &nodes)
        case UInt8(ascii: "t"): try literal(p, &nodes, "true", .true)
        case UInt8(ascii: "f"): try literal(p, &nodes, "false", .false)
        case UInt8(ascii: "n"): try literal(p, &nodes, "null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number(p, &nodes)
        default: throw Failure(code: .unexpectedCharacter, reason: "expected a value", offset: i)
        }
    }

    mutating func object(_ p: UnsafeBufferPointer<UInt8>, _ nodes: inout [JSONNode], depth: Int) throws(Failure) {
        guard depth <= maxDepth else { throw Failure(code: .nestingTooDeep, reason: "nesting deeper than \(maxDepth)", offset: i) }
        let index = nodes.count
        nodes.append(JSONNode(kind: .object, flags: 0, start: UInt32(i), end: 0, next: 0))
        i += 1
        skipWhitespace(p)
        if i < end, p[i] == UInt8(ascii: "}") {
            nodes[index].end = UInt32(i)
            i += 1
            nodes[index].next = UInt32(nodes.count)
            return
        }
        while true {
            guard i < end else { throw Failure(code: .unexpectedEnd, reason: "expected a member name", offset: i) }
            guard p[i] == UInt8(ascii: "\"") else { throw Failure(code: .unexpectedCharacter, reason: "expected '\"' to start a member name", offset: i) }
            try string(p, &nodes)
            skipWhitespace(p)
            guard i < end else { throw Failure(code: .unexpectedEnd, reason: "expected ':'", offset: i) }
            guard p[i] == UInt8(ascii: ":") else { throw Failure(code: .unexpectedCharacter, reason: "expected ':' after a member name", offset: i) }
            i += 1
            skipWhitespace(p)
            try value(p, &nodes, depth: depth)
            skipWhitespace(p)
            guard i < end else { throw Failure(code: .unexpectedEnd, reason: "expected ',' or '}'", offset: i) }
            let b = p[i]
            if b == UInt8(ascii: ",") {
                i += 1
                skipWhitespace(p)
            } else if b == UInt8(ascii: "}") {
                nodes[index].end = UInt32(i)
                i += 1
                nodes[index].next = UInt32(nodes.count)
                return
            } else {
                throw Failure(code: .unexpectedCharacter, reason: "expected ',' or '}' after a member", offset: i)
            }
        }
    }

    mutating func array(_ p: UnsafeBufferPointer<UInt8>, _ nodes: inout [JSONNode], depth: Int) throws(Failure) {
        guard depth <= maxDepth else { throw Failure(code: .nestingTooDeep, reason: "nesting deeper than \(maxDepth)", offset: i) }
        let index = nodes.count
        nodes.append(JSONNode(kind: .array, flags: 0, start: UInt32(i), end: 0, next: 0))
        i += 1
        skipWhitespace(p)
        if i < end, p[i] == UInt8(ascii: "]") {
            nodes[index].end = UInt32(i)
            i += 1
            nodes[index].next = UInt32(nodes.count)
            return
        }
        while true {
            try value(p, &nodes, depth: depth)
            skipWhitespace(p)
            guard i < end else { throw Failure(code: .unexpectedEnd, reason: "expected ',' or ']'", offset: i) }
            let b = p[i]
            if b == UInt8(ascii: ",") {
                i += 1
                skipWhitespace(p)
            } else if b == UInt8(ascii: "]") {
                nodes[index].end = UInt32(i)
                i += 1
                nodes[index].next = UInt32(nodes.count)
                return
            } else {
                throw Failure(code: .unexpectedCharacter, reason: "expected ',' or ']' after an element", offset: i)
            }
        }
    }

    mutating func string(_ p: UnsafeBufferPointer<UInt8>, _ nodes: inout [JSONNode]) throws(Failure) {
        i += 1
        let start = i
        var flags: UInt8 = 0
        while true {
            // Fast path: eight bytes at a time while none is a quote, backslash, control or non-ASCII byte.
            while i + 8 <= end, let base = p.baseAddress {
                let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                let quote = word ^ 0x2222_2222_2222_2222
                let slash = word ^ 0x5C5C_5C5C_5C5C_5C5C
                let hasQuote = (quote &- 0x0101_0101_0101_0101) & ~quote
                let hasSlash = (slash &- 0x0101_0101_0101_0101) & ~slash
                let hasControl = (word &- 0x2020_2020_2020_2020) & ~word
                if (hasQuote | hasSlash | hasControl | word) & 0x8080_8080_8080_8080 != 0 { break }
                i += 8
            }
            guard i < end else { throw Failure(code: .unexpectedEnd, reason: "unterminated string", offset: i) }
            let b = p[i]
            if b == UInt8(ascii: "\"") {
                nodes.append(JSONNode(kind: .string, flags: flags, start: UInt32(start), end: UInt32(i), next: UInt32(nodes.count + 1)))
                i += 1
                return
            } else if b == UInt8(ascii: "\\") {
                flags |= JSONNode.hasEscapes
                guard i + 1 < end else { throw Failure(code: .unexpectedEnd, reason: "unterminated escape", offset: i) }
                switch p[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    guard i + 6 <= end else { throw Failure(code: .unexpectedEnd, reason: "unterminated \\u escape", offset: i) }
                    for j in (i + 2)..<(i + 6) where !Self.isHex(p[j]) {
                        throw Failure(code: .invalidUnicodeEscape, reason: "expected four hex digits after \\u", offset: j)
                    }
                    i += 6
                default:
                    throw Failure(code: .invalidEscape, reason: "invalid escape sequence", offset: i)
                }
            } else if b < 0x20 {
                throw Failure(code: .controlCharacterInString, reason: "unescaped control character in string", offset: i)
            } else if b >= 0x80 {
                try utf8Sequence(p)
            } else {
                i += 1
            }
        }
    }

    /// Validates one multi-byte UTF-8 sequence at `i` (Unicode Table 3-7) and moves past it.
    mutating func utf8Sequence(_ p: UnsafeBufferPointer<UInt8>) throws(Failure) {
        let b0 = p[i]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw Failure(code: .invalidUTF8, reason: "invalid UTF-8 lead byte in string", offset: i)
        }
        guard i + length <= end else { throw Failure(code: .invalidUTF8, reason: "truncated UTF-8 sequence", offset: i) }
        let b1 = p[i + 1]
        guard b1 >= low, b1 <= high else { throw Failure(code: .invalidUTF8, reason: "invalid UTF-8 continuation byte", offset: i + 1) }
        var j = 2
        while j < length {
            let b = p[i + j]
            guard b >= 0x80, b <= 0xBF else { throw Failure(code: .invalidUTF8, reason: "invalid UTF-8 continuation byte", offset: i + j) }
            j += 1
        }
        i += length
    }

    static func isHex(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102)
    }

    mutating func literal(_ p: UnsafeBufferPointer<UInt8>, _ nodes: inout [JSONNode], _ text: StaticString, _ kind: JSONKind) throws(Failure) {
        let start = i
        let length = text.utf8CodeUnitCount
        var j = 0
        while j < length {
            guard i + j < end else { throw Failure(code: .unexpectedEnd, reason: "expected '\(text)'", offset: i + j) }
            guard p[i + j] == text.utf8Start[j] else { throw Failure(code: .unexpectedCharacter, reason: "expected '\(text)'", offset: i + j) }
            j += 1
        }
        i += length
        nodes.append(JSONNode(kind: kind, flags: 0, start: UInt32(start), end: UInt32(i), next: UInt32(nodes.count + 1)))
    }

    mutating func number(_ p: UnsafeBufferPointer<UInt8>, _ nodes: inout [JSONNode]) throws(Failure) {
        let start = i
        var integer = true
        if p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < end else { throw Failure(code: .unexpectedEnd, reason: "expected a digit", offset: i) }
        if p[i] == UInt8(ascii: "0") {
            i += 1
        } else if p[i] >= 49 && p[i] <= 57 {
            while i < end, p[i] >= 48, p[i] <= 57 { i += 1 }
        } else {
            throw Failure(code: .invalidNumber, reason: "expected a digit", offset: i)
        }
        if i < end, p[i] == UInt8(ascii: ".") {
            integer = false
            i += 1
            guard i < end, p[i] >= 48, p[i] <= 57 else { throw Failure(code: .invalidNumber, reason: "expected a digit after '.'", offset: i) }
            while i < end, p[i] >= 48, p[i] <= 57 { i += 1 }
        }
        if i < end, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
            integer = false
            i += 1
            if i < end, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
            guard i < end, p[i] >= 48, p[i] <= 57 else { throw Failure(code: .invalidNumber, reason: "expected a digit in the exponent", offset: i) }
            while i < end, p[i] >= 48, p[i] <= 57 { i += 1 }
        }
        nodes.append(JSONNode(kind: .number, flags: integer ? JSONNode.isInteger : 0, start: UInt32(start), end: UInt32(i), next: UInt32(nodes.count + 1)))
    }
}
