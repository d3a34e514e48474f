internal import CLibXML

/// The XPath error callback: `userData` is the context's collector.
private func xpathErrorHandler(_ userData: UnsafeMutableRawPointer?, _ error: UnsafeMutablePointer<xmlError>?) {
    guard let userData, let error else { return }
    Unmanaged<XMLErrorCollector>.fromOpaque(userData).takeUnretainedValue().record(error)
}

/// An XPath evaluation context over one ``XMLDocument``, owning its `xmlXPathContextPtr` (freed in
/// `deinit`), with the C-CDA namespaces registered: `v3` and `hl7` (`urn:hl7-org:v3`), `sdtc`
/// (`urn:hl7-org:sdtc`) and `xsi`. Errors go to a per-context structured handler, never to stderr.
final class XPathContext {
    let document: XMLDocument
    private let pointer: xmlXPathContextPtr
    private let collector = XMLErrorCollector()

    init(_ document: XMLDocument) throws(CCDAError) {
        _ = XMLLibrary.initialized
        guard let ctxt = xmlXPathNewContext(document.pointer) else {
            throw CCDAError(.internal, "libxml2 could not allocate an XPath context", line: 0, column: 0)
        }
        self.document = document
        self.pointer = ctxt
        ctxt.pointee.error = xpathErrorHandler
        ctxt.pointee.userData = Unmanaged.passUnretained(collector).toOpaque()
        let namespaces: [(String, String)] = [
            ("v3", "urn:hl7-org:v3"), ("hl7", "urn:hl7-org:v3"), ("sdtc", "urn:hl7-org:sdtc"),
            ("xsi", "http://www.w3.org/2001/XMLSchema-instance"),
        ]
        for (prefix, uri) in namespaces {
            guard xmlXPathRegisterNs(ctxt, Array(prefix.utf8) + [0], Array(uri.utf8) + [0]) == 0 else {
                throw CCDAError(.internal, "could not register XPath namespace \(prefix)", line: 0, column: 0)
            }
        }
    }

    deinit { xmlXPathFreeContext(pointer) }

    /// Evaluates `expression` with `node` (default: the document) as the context node.
    func evaluate(_ expression: String, at node: XMLTreeNode? = nil) throws(CCDAError) -> XPathResult {
        pointer.pointee.node = node?.pointer ?? document.root?.pointer
        let before = collector.entries.count
        guard let object = xmlXPathEvalExpression(Array(expression.utf8) + [0], pointer) else {
            let entry = collector.entries.count > before ? collector.entries.last : nil
            throw CCDAError(.xpath, "XPath expression failed: \(entry?.message ?? "invalid expression")", line: 0, column: 0, libxmlCode: entry.map { Int($0.code) })
        }
        return XPathResult(object, document: document)
    }

    /// The nodes selected by `expression` (empty when it selects none or is not a node set).
    func nodes(_ expression: String, at node: XMLTreeNode? = nil) throws(CCDAError) -> [XMLTreeNode] {
        try evaluate(expression, at: node).nodes
    }

    /// The XPath string value of `expression` (`string(...)` semantics), `nil` when empty.
    func string(_ expression: String, at node: XMLTreeNode? = nil) throws(CCDAError) -> String? {
        try evaluate("string(\(expression))", at: node).string
    }

    /// The value of one attribute selected by `expression` (`…/@code`), `nil` when absent.
    func attribute(_ expression: String, at node: XMLTreeNode? = nil) throws(CCDAError) -> String? {
        try evaluate(expression, at: node).string
    }

    /// `count(expression)`.
    func count(_ expression: String, at node: XMLTreeNode? = nil) throws(CCDAError) -> Int {
        Int(try evaluate("count(\(expression))", at: node).number ?? 0)
    }

    /// `boolean(expression)`.
    func exists(_ expression: String, at node: XMLTreeNode? = nil) throws(CCDAError) -> Bool {
        try evaluate("boolean(\(expression))", at: node).boolean
    }
}

/// The result of one XPath evaluation, owning its `xmlXPathObjectPtr` (freed in `deinit`). The nodes
/// it lists belong to ``document``, which it keeps alive.
final class XPathResult {
    let document: XMLDocument
    private let pointer: xmlXPathObjectPtr

    init(_ pointer: xmlXPathObjectPtr, document: XMLDocument) {
        self.pointer = pointer
        self.document = document
    }

    deinit { xmlXPathFreeObject(pointer) }

    /// The selected nodes, in document order (empty for a non-node-set result).
    var nodes: [XMLTreeNode] {
        let count = Int(concord_xpath_node_count(pointer))
        var result: [XMLTreeNode] = []
        result.reserveCapacity(count)
        for i in 0..<count {
            if let node = concord_xpath_node_at(pointer, Int32(i)) { result.append(XMLTreeNode(node)) }
        }
        return result
    }

    /// The string value (`string()` of the result; the first node's text for a node set), `nil` when empty.
    var string: String? {
        guard let cstring = xmlXPathCastToString(pointer) else { return nil }
        defer { concord_xml_free(cstring) }
        let text = String(cString: cstring)
        return text.isEmpty ? nil : text
    }

    /// The number value, `nil` when it is NaN.
    var number: Double? {
        let value = xmlXPathCastToNumber(pointer)
        return value.isNaN ? nil : value
    }

    var boolean: Bool { xmlXPathCastToBoolean(pointer) != 0 }
}

/// XPath queries over one parsed document, for tools and tests: the C-CDA namespaces are registered as
/// `v3`/`hl7`, `sdtc` and `xsi`. Results are Swift values; the libxml2 handles stay inside.
package final class CCDAXPath {
    private let context: XPathContext

    /// Parses `bytes` with the same safe options as ``CCDAReader``.
    package init(_ bytes: [UInt8], limits: XMLLimits = XMLLimits()) throws(CCDAError) {
        context = try XPathContext(XMLDocument(parsing: bytes, limits: limits))
    }

    /// `string(expression)`, `nil` when empty.
    package func string(_ expression: String) throws(CCDAError) -> String? { try context.string(expression) }

    /// The string value of each selected node (attribute values, element text).
    package func strings(_ expression: String) throws(CCDAError) -> [String] {
        try context.nodes(expression).map { $0.text ?? "" }
    }

    /// `count(expression)`.
    package func count(_ expression: String) throws(CCDAError) -> Int { try context.count(expression) }

    /// `boolean(expression)`.
    package func exists(_ expression: String) throws(CCDAError) -> Bool { try context.exists(expression) }

    /// The source lines of the selected nodes.
    package func lines(_ expression: String) throws(CCDAError) -> [Int] { try context.nodes(expression).map(\.line) }
}
