internal import CLibXML

/// Limits applied before and while libxml2 reads a document.
package struct XMLLimits: Sendable, Hashable {
    /// Largest document accepted, in bytes (default 32 MiB).
    package var maxBytes: Int
    /// Deepest element nesting accepted (default 256, libxml2's own limit without `XML_PARSE_HUGE`,
    /// which Concord never sets).
    package var maxDepth: Int

    package init(maxBytes: Int = 32 << 20, maxDepth: Int = 256) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
    }
}

/// libxml2's process-wide initialization, run once before the first parse (`xmlInitParser` is not safe
/// to race with parsing on other threads, so it is done behind Swift's `static let` once-guard).
enum XMLLibrary {
    static let initialized: Bool = {
        xmlInitParser()
        return true
    }()
}

/// Collects libxml2's structured errors for one parse or one XPath context. Only the first few are
/// kept; the fatal one decides the thrown error.
final class XMLErrorCollector {
    struct Entry {
        var code: Int32
        var level: Int32
        var message: String
        var line: Int
        var column: Int
    }

    private(set) var entries: [Entry] = []

    func record(_ error: UnsafePointer<xmlError>) {
        guard entries.count < 16 else { return }
        let e = error.pointee
        var message = e.message.map { String(cString: $0) } ?? "libxml2 error \(e.code)"
        while message.last == "\n" || message.last == " " { message.removeLast() }
        entries.append(Entry(code: e.code, level: Int32(e.level.rawValue), message: message, line: Int(e.line), column: Int(e.int2)))
    }

    /// The first error of level `XML_ERR_ERROR` or worse.
    var firstError: Entry? { entries.first { $0.level >= Int32(XML_ERR_ERROR.rawValue) } }
}

/// The structured error callback of a parser context: `userData` is the context, whose `_private` holds
/// the collector of this parse (so concurrent parses on other threads never share state).
private func parserErrorHandler(_ userData: UnsafeMutableRawPointer?, _ error: UnsafeMutablePointer<xmlError>?) {
    guard let userData, let error else { return }
    let ctxt = userData.assumingMemoryBound(to: xmlParserCtxt.self)
    guard let box = ctxt.pointee._private else { return }
    Unmanaged<XMLErrorCollector>.fromOpaque(box).takeUnretainedValue().record(error)
}

/// An XML document parsed by libxml2, owning its `xmlDocPtr` (freed in `deinit`).
///
/// Parsing is from memory with network access off (`XML_PARSE_NONET`), no DTD loading, no entity
/// substitution and never `XML_PARSE_HUGE`; a document whose DOCTYPE declares entities (XXE,
/// billion laughs) is refused before libxml2 reads it. The nodes handed out (``XMLTreeNode``) are valid
/// only while the document is alive and never leave the CCDA module. Used for XPath (``XPathContext``,
/// ``CCDAXPath``); ``CCDAReader`` reads through the faster ``CompactDocument``.
final class XMLDocument {
    let pointer: xmlDocPtr

    /// Parse options: no network, drop blank text nodes, compact small text, line numbers past 65535.
    static let parseOptions: Int32 = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOBLANKS.rawValue
        | XML_PARSE_COMPACT.rawValue | XML_PARSE_BIG_LINES.rawValue | XML_PARSE_NOERROR.rawValue
        | XML_PARSE_NOWARNING.rawValue)

    /// Parses `bytes`, or throws a positioned ``CCDAError``.
    init(parsing bytes: [UInt8], limits: XMLLimits = XMLLimits()) throws(CCDAError) {
        _ = XMLLibrary.initialized
        guard !bytes.isEmpty else { throw CCDAError(.notWellFormed, "empty document", line: 1, column: 1) }
        guard bytes.count <= limits.maxBytes else {
            throw CCDAError(.tooLarge, "document of \(bytes.count) bytes exceeds the limit of \(limits.maxBytes) bytes", line: 0, column: 0)
        }
        guard bytes.count <= Int(Int32.max) else { throw CCDAError(.tooLarge, "document too large", line: 0, column: 0) }
        try DoctypeScreen.check(bytes)

        concord_xml_silence_generic_errors()
        guard let ctxt = xmlNewParserCtxt() else { throw CCDAError(.internal, "libxml2 could not allocate a parser context", line: 0, column: 0) }
        defer { xmlFreeParserCtxt(ctxt) }
        let collector = XMLErrorCollector()
        let box = Unmanaged.passRetained(collector)
        defer { box.release() }
        ctxt.pointee._private = box.toOpaque()
        concord_xml_ctxt_set_structured_error(ctxt, parserErrorHandler)

        let doc: xmlDocPtr? = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.flatMap { base in
                base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { chars in
                    xmlCtxtReadMemory(ctxt, chars, Int32(buffer.count), nil, nil, Self.parseOptions)
                }
            }
        }
        let wellFormed = ctxt.pointee.wellFormed != 0
        guard let doc, wellFormed else {
            if let doc { xmlFreeDoc(doc) }
            throw Self.error(from: collector, ctxt: ctxt)
        }
        if concord_xml_doc_declares_entities(doc) != 0 {
            xmlFreeDoc(doc)
            throw CCDAError(.forbiddenDTD, "the DOCTYPE declares entities or an external subset; refused", line: 1, column: 1)
        }
        self.pointer = doc
        if limits.maxDepth < 256, let root = self.root, root.maxDepth(limit: limits.maxDepth) > limits.maxDepth {
            throw CCDAError(.tooDeep, "element nesting deeper than \(limits.maxDepth)", line: root.line, column: 0)
        }
    }

    deinit { xmlFreeDoc(pointer) }

    private static func error(from collector: XMLErrorCollector, ctxt: xmlParserCtxtPtr) -> CCDAError {
        guard let first = collector.firstError ?? collector.entries.first else {
            return CCDAError(.notWellFormed, "not well-formed XML", line: Int(ctxt.pointee.input?.pointee.line ?? 0), column: Int(ctxt.pointee.input?.pointee.col ?? 0))
        }
        if first.message.contains("Excessive depth") || first.message.contains("depth") && first.code == Int32(XML_ERR_INTERNAL_ERROR.rawValue) {
            return CCDAError(.tooDeep, "element nesting deeper than libxml2's limit of 256", line: first.line, column: first.column)
        }
        if first.code == Int32(XML_ERR_ENTITY_LOOP.rawValue) || first.message.contains("mplification") {
            return CCDAError(.forbiddenDTD, first.message, line: first.line, column: first.column)
        }
        return CCDAError(.notWellFormed, first.message, line: first.line, column: first.column, libxmlCode: Int(first.code))
    }

    /// The root element.
    var root: XMLTreeNode? {
        xmlDocGetRootElement(pointer).map(XMLTreeNode.init)
    }
}

/// A node of an ``XMLDocument`` (libxml2's tree), for XPath results: a borrowed `xmlNodePtr`, valid
/// while its document lives. Internal to the module; only Swift values derived from it leave.
struct XMLTreeNode {
    let pointer: xmlNodePtr

    init(_ pointer: xmlNodePtr) { self.pointer = pointer }

    var isElement: Bool { pointer.pointee.type == XML_ELEMENT_NODE }

    /// The node's local name.
    var name: String { pointer.pointee.name.map { String(cString: $0) } ?? "" }

    /// The 1-based source line (`xmlGetLineNo`; big line numbers are kept by `XML_PARSE_BIG_LINES`).
    var line: Int { Int(xmlGetLineNo(pointer)) }

    /// The string value: for an element its text (white space collapsed), for an attribute its value.
    var text: String? {
        guard let content = xmlNodeGetContent(pointer) else { return nil }
        defer { concord_xml_free(content) }
        let length = strlen(UnsafeRawPointer(content).assumingMemoryBound(to: CChar.self))
        return CompactBuilder.collapsed(UnsafeBufferPointer(start: content, count: length))
    }

    /// The deepest element nesting under this node (this node counts 1), stopping early past `limit`.
    func maxDepth(limit: Int) -> Int {
        var deepest = 0
        var depth = 1
        var node: xmlNodePtr? = pointer
        let top = pointer
        while let n = node {
            if n.pointee.type == XML_ELEMENT_NODE { deepest = max(deepest, depth) }
            if deepest > limit { return deepest }
            if let child = n.pointee.children, n.pointee.type == XML_ELEMENT_NODE {
                node = child
                depth += 1
                continue
            }
            var cursor: xmlNodePtr? = n
            while let c = cursor, c != top, c.pointee.next == nil {
                cursor = c.pointee.parent
                depth -= 1
            }
            guard let c = cursor, c != top else { break }
            node = c.pointee.next
        }
        return deepest
    }
}

/// The namespace URIs C-CDA uses, as C strings for libxml2 comparisons.
enum XMLNamespace {
    static let v3URI: StaticString = "urn:hl7-org:v3"
    static let sdtcURI: StaticString = "urn:hl7-org:sdtc"
    static let xsiURI: StaticString = "http://www.w3.org/2001/XMLSchema-instance"
    static var v3: UnsafePointer<CChar> { UnsafeRawPointer(v3URI.utf8Start).assumingMemoryBound(to: CChar.self) }
    static var sdtc: UnsafePointer<CChar> { UnsafeRawPointer(sdtcURI.utf8Start).assumingMemoryBound(to: CChar.self) }
    static var xsi: UnsafePointer<CChar> { UnsafeRawPointer(xsiURI.utf8Start).assumingMemoryBound(to: CChar.self) }
}
