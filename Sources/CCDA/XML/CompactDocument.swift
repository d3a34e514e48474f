internal import CLibXML

/// A read-only document built from libxml2's SAX2 events into flat arrays: the fast path of
/// ``CCDAReader``.
///
/// libxml2 tokenizes and checks well-formedness exactly as for ``XMLDocument`` (same safety: the DOCTYPE
/// screen, no network, no entity substitution, no DTD loading, never `XML_PARSE_HUGE`, errors through a
/// structured handler), but no `xmlNode` tree is allocated and freed: elements, attributes and text are
/// appended to three arrays and one byte buffer. Building libxml2's tree and freeing it cost about two
/// thirds of a parse. White-space-only text is dropped (as `XML_PARSE_NOBLANKS` does).
final class CompactDocument {
    typealias Node = CompactBuilder.Node
    typealias Attribute = CompactBuilder.Attribute
    typealias Namespace = CompactBuilder.Namespace


    /// The frozen arrays; owned (and freed) by this document.
    let storage: CompactStorage

    /// Parses `bytes`, or throws a positioned ``CCDAError``.
    init(parsing input: [UInt8], limits: XMLLimits = XMLLimits()) throws(CCDAError) {
        let builder = try CompactBuilder.parse(input, limits: limits)
        storage = CompactStorage(
            nodes: builder.nodes.base, nodeCount: builder.nodes.count, attributes: builder.attributes.base,
            names: builder.names.base, bytes: builder.bytes.base)
    }

    deinit {
        storage.nodes.deallocate()
        storage.attributes.deallocate()
        storage.names.deallocate()
        storage.bytes.deallocate()
    }

    /// The root element.
    var root: XMLNode? { storage.nodeCount == 0 ? nil : XMLNode(storage: storage, index: 0) }
}

/// The arrays of a ``CompactDocument`` after the parse, as plain buffers: reading them needs no
/// reference counting and no exclusivity checks (on Swift arrays held by a class, those cost more than
/// the reading itself). Valid while the owning document lives.
struct CompactStorage {
    let nodes: UnsafeMutablePointer<CompactBuilder.Node>
    let nodeCount: Int
    let attributes: UnsafeMutablePointer<CompactBuilder.Attribute>
    let names: UnsafeMutablePointer<(start: Int32, length: Int32)>
    let bytes: UnsafeMutablePointer<UInt8>

    @inline(__always)
    func nameEquals(_ id: Int32, _ expected: StaticString) -> Bool {
        guard id >= 0 else { return false }
        let entry = names[Int(id)]
        return bytesEqual(entry.start, entry.length, expected)
    }

    /// Byte comparison with a literal; names are short, so a plain loop beats a call to `memcmp`.
    @inline(__always)
    func bytesEqual(_ start: Int32, _ length: Int32, _ expected: StaticString) -> Bool {
        let count = Int(length)
        guard count == expected.utf8CodeUnitCount else { return false }
        let mine = bytes + Int(start)
        let theirs = expected.utf8Start
        var i = 0
        while i < count {
            if mine[i] != theirs[i] { return false }
            i += 1
        }
        return true
    }

    func buffer(_ start: Int32, _ length: Int32) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: bytes + Int(start), count: Int(length))
    }

    func string(_ start: Int32, _ length: Int32) -> String {
        String(decoding: buffer(start, length), as: UTF8.self)
    }

    func name(of id: Int32) -> String {
        guard id >= 0 else { return "#text" }
        let entry = names[Int(id)]
        return string(entry.start, entry.length)
    }
}

/// Builds the arrays of a ``CompactDocument`` from libxml2's SAX2 events.
struct CompactBuilder {
    struct Node {
        /// Index into ``names``, or -1 for a text node.
        var name: Int32
        /// ``Namespace`` of the element.
        var ns: UInt8
        var parent: Int32
        var firstChild: Int32 = -1
        var next: Int32 = -1
        /// Elements: first attribute index; text: byte offset.
        var start: Int32
        /// Elements: attribute count; text: byte length.
        var count: Int32
        var line: Int32
    }

    struct Attribute {
        var name: Int32
        var ns: UInt8
        var start: Int32
        var length: Int32
    }

    enum Namespace {
        static let none: UInt8 = 0, v3: UInt8 = 1, sdtc: UInt8 = 2, xsi: UInt8 = 3, other: UInt8 = 4
    }

    // Allocated once, in init (a default value here would be allocated and then leaked by init).
    var nodes: RawBuffer<Node>
    var attributes: RawBuffer<Attribute>
    /// Names, attribute values and text, by offset.
    var bytes: RawBuffer<UInt8>
    /// Offset and length in ``bytes`` of each distinct name.
    var names: RawBuffer<(start: Int32, length: Int32)>

    // Parse-time state.
    private var open: [Int32] = []
    private var lastChild: [Int32] = []
    private var nameIDs: [UnsafeRawPointer: Int32] = [:]
    private var nameCacheKeys = [UInt](repeating: 0, count: 256)
    private var nameCacheIDs = [Int32](repeating: 0, count: 256)
    private var lastNamespace: (key: UInt, kind: UInt8) = (0, 0)
    private var namespaceKinds: [UnsafeRawPointer: UInt8] = [:]
    private var maxDepth: Int
    private var depthExceeded = false
    /// Where libxml2's parser context is published during the parse (a separate cell, so the callbacks
    /// can read it while the parse call holds it).
    private let contextSlot = UnsafeMutablePointer<xmlParserCtxtPtr?>.allocate(capacity: 1)
    fileprivate let collector = XMLErrorCollector()

    private init(maxDepth: Int, inputSize: Int) {
        self.maxDepth = maxDepth
        nodes = RawBuffer(capacity: inputSize / 24)
        attributes = RawBuffer(capacity: inputSize / 24)
        bytes = RawBuffer(capacity: inputSize / 3)
        names = RawBuffer(capacity: 128)
        contextSlot.initialize(to: nil)
    }

    /// Frees the buffers when they are not handed over to a document.
    func freeBuffers() {
        nodes.free()
        attributes.free()
        bytes.free()
        names.free()
    }

    /// Parses `input` into a builder's arrays. The builder lives in a heap cell that the SAX callbacks
    /// mutate through their context pointer (plain struct mutation: no reference counting, no
    /// exclusivity bookkeeping per event).
    static func parse(_ input: [UInt8], limits: XMLLimits) throws(CCDAError) -> CompactBuilder {
        _ = XMLLibrary.initialized
        guard !input.isEmpty else { throw CCDAError(.notWellFormed, "empty document", line: 1, column: 1) }
        guard input.count <= limits.maxBytes, input.count <= Int(Int32.max) else {
            throw CCDAError(.tooLarge, "document of \(input.count) bytes exceeds the limit of \(limits.maxBytes) bytes", line: 0, column: 0)
        }
        try DoctypeScreen.check(input)
        let slot = UnsafeMutablePointer<CompactBuilder>.allocate(capacity: 1)
        slot.initialize(to: CompactBuilder(maxDepth: limits.maxDepth, inputSize: input.count))
        var handedOver = false
        defer {
            if !handedOver { slot.pointee.freeBuffers() }
            slot.pointee.contextSlot.deallocate()
            slot.deinitialize(count: 1)
            slot.deallocate()
        }

        concord_xml_silence_generic_errors()
        var handler = xmlSAXHandler()
        handler.initialized = XML_SAX2_MAGIC
        handler.startElementNs = compactStartElement
        handler.endElementNs = compactEndElement
        handler.characters = compactCharacters
        handler.cdataBlock = compactCharacters
        handler.ignorableWhitespace = compactIgnore
        handler.serror = compactError
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        let contextSlot = slot.pointee.contextSlot
        let result: Int32 = input.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { chars in
                    concord_xml_sax_parse(&handler, UnsafeMutableRawPointer(slot), chars, Int32(buffer.count), options, contextSlot)
                }
            } ?? -1
        }
        let builder = slot.pointee
        if builder.depthExceeded {
            throw CCDAError(.tooDeep, "element nesting deeper than \(builder.maxDepth)", line: Int(builder.nodes.last?.line ?? 0), column: 0)
        }
        guard result == 1 else {
            if result < 0 { throw CCDAError(.internal, "libxml2 could not allocate a parser context", line: 0, column: 0) }
            guard let first = builder.collector.firstError ?? builder.collector.entries.first else {
                throw CCDAError(.notWellFormed, "not well-formed XML", line: 0, column: 0)
            }
            if first.message.contains("Excessive depth") {
                throw CCDAError(.tooDeep, "element nesting deeper than libxml2's limit of 256", line: first.line, column: first.column)
            }
            if first.code == Int32(XML_ERR_ENTITY_LOOP.rawValue) || first.message.contains("mplification") {
                throw CCDAError(.forbiddenDTD, first.message, line: first.line, column: first.column)
            }
            throw CCDAError(.notWellFormed, first.message, line: first.line, column: first.column, libxmlCode: Int(first.code))
        }
        handedOver = true
        return builder
    }

    // MARK: Building (called from the SAX callbacks)

    private mutating func nameID(_ name: UnsafePointer<xmlChar>) -> Int32 {
        // libxml2 interns names in its dictionary, so one pointer is one name: a direct-mapped cache
        // of pointers answers almost every lookup without hashing.
        let bits = UInt(bitPattern: name)
        let slot = Int((bits >> 3) & 255)
        if nameCacheKeys[slot] == bits { return nameCacheIDs[slot] }
        let key = UnsafeRawPointer(name)
        let id: Int32
        if let known = nameIDs[key] {
            id = known
        } else {
            let start = Int32(bytes.count)
            var i = 0
            while name[i] != 0 {
                bytes.append(name[i])
                i += 1
            }
            id = Int32(names.count)
            names.append((start, Int32(i)))
            nameIDs[key] = id
        }
        nameCacheKeys[slot] = bits
        nameCacheIDs[slot] = id
        return id
    }

    private mutating func namespaceKind(_ uri: UnsafePointer<xmlChar>?) -> UInt8 {
        guard let uri else { return Namespace.none }
        if lastNamespace.key == UInt(bitPattern: uri) { return lastNamespace.kind }
        defer { lastNamespace = (UInt(bitPattern: uri), namespaceKinds[UnsafeRawPointer(uri)] ?? Namespace.other) }
        let key = UnsafeRawPointer(uri)
        if let kind = namespaceKinds[key] { return kind }
        let kind: UInt8
        if concord_xml_eq(uri, XMLNamespace.v3) != 0 { kind = Namespace.v3 }
        else if concord_xml_eq(uri, XMLNamespace.sdtc) != 0 { kind = Namespace.sdtc }
        else if concord_xml_eq(uri, XMLNamespace.xsi) != 0 { kind = Namespace.xsi }
        else { kind = Namespace.other }
        namespaceKinds[key] = kind
        return kind
    }

    private mutating func link(_ index: Int32) {
        guard let parent = open.last, let previous = lastChild.last else { return }
        if previous < 0 {
            nodes[Int(parent)].firstChild = index
        } else {
            nodes[Int(previous)].next = index
        }
        lastChild[lastChild.count - 1] = index
    }

    fileprivate mutating func startElement(_ localname: UnsafePointer<xmlChar>?, _ uri: UnsafePointer<xmlChar>?, _ count: Int32,
                                  _ attrs: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) {
        guard let localname, !depthExceeded else { return }
        if open.count >= maxDepth {
            depthExceeded = true
            if let context = contextSlot.pointee { xmlStopParser(context) }
            return
        }
        let index = Int32(nodes.count)
        let attrStart = Int32(attributes.count)
        var kept: Int32 = 0
        if let attrs {
            for a in 0..<Int(max(0, count)) {
                guard let name = attrs[a * 5], let value = attrs[a * 5 + 3], let end = attrs[a * 5 + 4] else { continue }
                var lo = value
                var hi = end
                while lo < hi, Self.isSpace(lo.pointee) { lo += 1 }
                while hi > lo, Self.isSpace((hi - 1).pointee) { hi -= 1 }
                let start = Int32(bytes.count)
                let trimmed = UnsafeBufferPointer(start: lo, count: hi - lo)
                if trimmed.contains(UInt8(ascii: "&")) {
                    var decoded: [UInt8] = []
                    Self.appendDecoded(trimmed, to: &decoded)
                    decoded.withUnsafeBufferPointer { bytes.append(contentsOf: $0) }
                } else {
                    bytes.append(contentsOf: trimmed)
                }
                let length = Int32(bytes.count) - start
                attributes.append(Attribute(name: nameID(name), ns: namespaceKind(attrs[a * 5 + 2]), start: start, length: length))
                kept += 1
            }
        }
        let line = Int32(truncatingIfNeeded: concord_xml_ctxt_line(contextSlot.pointee))
        nodes.append(Node(name: nameID(localname), ns: namespaceKind(uri), parent: open.last ?? -1, start: attrStart, count: kept, line: line))
        link(index)
        open.append(index)
        lastChild.append(-1)
    }

    fileprivate mutating func endElement() {
        guard !depthExceeded, !open.isEmpty else { return }
        open.removeLast()
        lastChild.removeLast()
    }

    fileprivate mutating func characters(_ chars: UnsafePointer<xmlChar>, _ length: Int) {
        guard length > 0, !depthExceeded, !open.isEmpty, let last = lastChild.last else { return }
        // Merge with the text node just before (libxml2 delivers long text in chunks).
        if last >= 0, nodes[Int(last)].name < 0, Int(nodes[Int(last)].start + nodes[Int(last)].count) == bytes.count {
            bytes.append(contentsOf: UnsafeBufferPointer(start: chars, count: length))
            nodes[Int(last)].count += Int32(length)
            return
        }
        var blank = true
        for i in 0..<length where !Self.isSpace(chars[i]) {
            blank = false
            break
        }
        if blank { return }
        let index = Int32(nodes.count)
        let start = Int32(bytes.count)
        bytes.append(contentsOf: UnsafeBufferPointer(start: chars, count: length))
        nodes.append(Node(name: -1, ns: 0, parent: open.last ?? -1, start: start, count: Int32(length), line: 0))
        link(index)
    }

    /// Without entity substitution libxml2 hands attribute values over with `&` kept as the character
    /// reference `&#38;` (so that a tree could hold entity references). No entity can be declared
    /// (``DoctypeScreen``), so only character references and the five predefined entities can remain:
    /// decode them. Anything else is copied as is.
    static func appendDecoded(_ value: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var i = 0
        let n = value.count
        while i < n {
            let b = value[i]
            guard b == UInt8(ascii: "&"), let semicolon = (i + 1..<min(n, i + 12)).first(where: { value[$0] == UInt8(ascii: ";") }) else {
                out.append(b)
                i += 1
                continue
            }
            let body = Array(value[(i + 1)..<semicolon])
            var scalar: UInt32?
            switch body {
            case Array("amp".utf8): scalar = 0x26
            case Array("lt".utf8): scalar = 0x3C
            case Array("gt".utf8): scalar = 0x3E
            case Array("quot".utf8): scalar = 0x22
            case Array("apos".utf8): scalar = 0x27
            default:
                if body.first == UInt8(ascii: "#") {
                    let digits = body.dropFirst()
                    if digits.first == UInt8(ascii: "x") || digits.first == UInt8(ascii: "X") {
                        scalar = UInt32(String(decoding: digits.dropFirst(), as: UTF8.self), radix: 16)
                    } else {
                        scalar = UInt32(String(decoding: digits, as: UTF8.self), radix: 10)
                    }
                }
            }
            guard let code = scalar, let unicode = Unicode.Scalar(code) else {
                out.append(b)
                i += 1
                continue
            }
            out.append(contentsOf: Array(String(Character(unicode)).utf8))
            i = semicolon + 1
        }
    }

    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D }

    /// White space runs collapsed to one space and trimmed; `nil` when blank.
    static func collapsed(_ input: UnsafeBufferPointer<UInt8>) -> String? {
        let count = input.count
        guard count > 0 else { return nil }
        var needsWork = isSpace(input[0]) || isSpace(input[count - 1])
        if !needsWork {
            var i = 1
            while i < count {
                let b = input[i]
                if b == 0x0A || b == 0x09 || b == 0x0D || (b == 0x20 && input[i - 1] == 0x20) {
                    needsWork = true
                    break
                }
                i += 1
            }
        }
        if !needsWork { return String(decoding: input, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var pendingSpace = false
        for b in input {
            if isSpace(b) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(0x20) }
                pendingSpace = false
                out.append(b)
            }
        }
        return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
    }
}

// MARK: SAX2 callbacks: `context` points at the CompactBuilder being filled.

private func compactStartElement(
    _ context: UnsafeMutableRawPointer?, _ localname: UnsafePointer<xmlChar>?, _ prefix: UnsafePointer<xmlChar>?,
    _ uri: UnsafePointer<xmlChar>?, _ nbNamespaces: Int32, _ namespaces: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?,
    _ nbAttributes: Int32, _ nbDefaulted: Int32, _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
) {
    guard let context else { return }
    context.assumingMemoryBound(to: CompactBuilder.self).pointee.startElement(localname, uri, nbAttributes, attributes)
}

private func compactEndElement(_ context: UnsafeMutableRawPointer?, _ localname: UnsafePointer<xmlChar>?, _ prefix: UnsafePointer<xmlChar>?, _ uri: UnsafePointer<xmlChar>?) {
    guard let context else { return }
    context.assumingMemoryBound(to: CompactBuilder.self).pointee.endElement()
}

private func compactCharacters(_ context: UnsafeMutableRawPointer?, _ chars: UnsafePointer<xmlChar>?, _ length: Int32) {
    guard let context, let chars else { return }
    context.assumingMemoryBound(to: CompactBuilder.self).pointee.characters(chars, Int(length))
}

private func compactIgnore(_ context: UnsafeMutableRawPointer?, _ chars: UnsafePointer<xmlChar>?, _ length: Int32) {}

private func compactError(_ context: UnsafeMutableRawPointer?, _ error: UnsafeMutablePointer<xmlError>?) {
    guard let context, let error else { return }
    context.assumingMemoryBound(to: CompactBuilder.self).pointee.collector.record(error)
}

/// An element (or text node) of a ``CompactDocument``; valid while the document lives. The mapper's view
/// of the XML: HL7 v3 element names, attributes, text.
struct XMLNode {
    let document: CompactStorage
    let index: Int32

    init(storage: CompactStorage, index: Int32) {
        self.document = storage
        self.index = index
    }

    @inline(__always)
    private var node: CompactDocument.Node { document.nodes[Int(index)] }

    /// Whether this is an element named `name` in the HL7 v3 namespace (or in none, as some senders
    /// forget the default namespace).
    @inline(__always)
    func isV3(_ name: StaticString) -> Bool {
        let n = node
        return (n.ns == CompactDocument.Namespace.v3 || n.ns == CompactDocument.Namespace.none) && document.nameEquals(n.name, name)
    }

    /// Whether this is an element named `name` in the `sdtc` namespace.
    func isSDTC(_ name: StaticString) -> Bool {
        let n = node
        return n.ns == CompactDocument.Namespace.sdtc && document.nameEquals(n.name, name)
    }

    var isElement: Bool { node.name >= 0 }

    /// The local name.
    var name: String { document.name(of: node.name) }

    /// Whether the element is in the HL7 v3 namespace.
    var isInV3Namespace: Bool { node.ns == CompactDocument.Namespace.v3 }

    /// The 1-based source line of the start tag's end.
    var line: Int { Int(node.line) }

    var hasChildren: Bool { node.firstChild >= 0 }

    /// Child elements in document order.
    var children: XMLChildren { XMLChildren(document: document, next: node.firstChild) }

    /// The first child element named `name` (HL7 v3 namespace).
    func child(_ name: StaticString) -> XMLNode? {
        var i = node.firstChild
        while i >= 0 {
            let c = document.nodes[Int(i)]
            if (c.ns == CompactDocument.Namespace.v3 || c.ns == CompactDocument.Namespace.none), document.nameEquals(c.name, name) {
                return XMLNode(storage: document, index: i)
            }
            i = c.next
        }
        return nil
    }

    /// The child elements named `name` (HL7 v3 namespace).
    func children(_ name: StaticString) -> [XMLNode] {
        var result: [XMLNode] = []
        var i = node.firstChild
        while i >= 0 {
            let c = document.nodes[Int(i)]
            if (c.ns == CompactDocument.Namespace.v3 || c.ns == CompactDocument.Namespace.none), document.nameEquals(c.name, name) {
                result.append(XMLNode(storage: document, index: i))
            }
            i = c.next
        }
        return result
    }

    /// Follows a path of child names, first match at each step.
    func path(_ names: StaticString...) -> XMLNode? {
        var current: XMLNode? = self
        for name in names { current = current?.child(name) }
        return current
    }

    func findAttribute(_ name: StaticString, ns: UInt8) -> CompactDocument.Attribute? {
        let n = node
        guard n.name >= 0 else { return nil }
        var i = Int(n.start)
        let end = i + Int(n.count)
        while i < end {
            let a = document.attributes[i]
            if a.ns == ns, document.nameEquals(a.name, name) { return a }
            i += 1
        }
        return nil
    }

    /// The value of an attribute without namespace, trimmed; `nil` when absent or blank.
    func attribute(_ name: StaticString) -> String? {
        guard let a = findAttribute(name, ns: CompactDocument.Namespace.none), a.length > 0 else { return nil }
        return document.string(a.start, a.length)
    }

    /// The value of an `xsi:` attribute (`xsi:type`), trimmed; `nil` when absent or blank.
    func xsiAttribute(_ name: StaticString) -> String? {
        guard let a = findAttribute(name, ns: CompactDocument.Namespace.xsi), a.length > 0 else { return nil }
        return document.string(a.start, a.length)
    }

    /// Whether the attribute is present with exactly `expected` as its value (no copy made).
    func attribute(_ name: StaticString, is expected: StaticString) -> Bool {
        guard let a = findAttribute(name, ns: CompactDocument.Namespace.none) else { return false }
        return document.bytesEqual(a.start, a.length, expected)
    }

    /// The text of the element and its descendants, white space collapsed and trimmed, with a space
    /// at the edges of block-like narrative elements (`td`, `tr`, `paragraph`, `item` …); `nil` when empty.
    var text: String? {
        let n = node
        if n.name < 0 { return CompactBuilder.collapsed(document.buffer(n.start, n.count)) }
        if n.firstChild >= 0 {
            let only = document.nodes[Int(n.firstChild)]
            if only.name < 0, only.next < 0 {
                return CompactBuilder.collapsed(document.buffer(only.start, only.count))
            }
        }
        var out: [UInt8] = []
        gather(index, into: &out, depth: 0)
        return out.withUnsafeBufferPointer { CompactBuilder.collapsed($0) }
    }

    private static let blockNames: Set<String> = ["td", "th", "tr", "paragraph", "item", "br", "caption", "list", "table", "thead", "tbody", "tfoot"]

    private func gather(_ index: Int32, into out: inout [UInt8], depth: Int) {
        guard depth < 64 else { return }
        var i = document.nodes[Int(index)].firstChild
        while i >= 0 {
            let c = document.nodes[Int(i)]
            if c.name < 0 {
                out.append(contentsOf: document.buffer(c.start, c.count))
            } else {
                let block = Self.blockNames.contains(document.name(of: c.name))
                if block { out.append(0x20) }
                gather(i, into: &out, depth: depth + 1)
                if block { out.append(0x20) }
            }
            i = c.next
        }
    }
}

/// Child elements of a node, in document order (text nodes skipped).
struct XMLChildren: Sequence, IteratorProtocol {
    let document: CompactStorage
    var cursor: Int32

    init(document: CompactStorage, next: Int32) {
        self.document = document
        self.cursor = next
    }

    mutating func next() -> XMLNode? {
        while cursor >= 0 {
            let i = cursor
            let n = document.nodes[Int(i)]
            cursor = n.next
            if n.name >= 0 { return XMLNode(storage: document, index: i) }
        }
        return nil
    }
}

/// A growable buffer of trivial values in manually managed memory: the builder appends to it, then the
/// finished ``CompactDocument`` takes the memory over without a copy (and frees it in `deinit`).
struct RawBuffer<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(16, capacity)
        base = UnsafeMutablePointer<Element>.allocate(capacity: self.capacity)
    }

    var last: Element? { count > 0 ? base[count - 1] : nil }

    @inline(__always)
    subscript(index: Int) -> Element {
        get { base[index] }
        nonmutating set { base[index] = newValue }
    }

    @inline(__always)
    mutating func append(_ value: Element) {
        if count == capacity { grow(to: count + 1) }
        (base + count).initialize(to: value)
        count += 1
    }

    mutating func append(contentsOf values: UnsafeBufferPointer<Element>) {
        guard let source = values.baseAddress, !values.isEmpty else { return }
        if count + values.count > capacity { grow(to: count + values.count) }
        (base + count).initialize(from: source, count: values.count)
        count += values.count
    }

    private mutating func grow(to needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        newBase.moveInitialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Frees the memory (when the buffer was not handed over).
    func free() {
        base.deinitialize(count: count)
        base.deallocate()
    }
}
