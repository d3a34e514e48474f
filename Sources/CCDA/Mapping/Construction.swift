internal import CLibXML
import Clinical

// The Clinical initializers normalize their string fields with `nilIfBlank` (Foundation's
// `trimmingCharacters`, slow on Linux: it was 60% of extraction time). Every string the mapper reads
// is already trimmed and non-blank (see `XMLNode.attribute` and `XMLNode.text`), so the mapper builds
// values with those fields left out and assigns them afterwards: the same values, without the cost.
// Code systems are canonicalized once per distinct system per document.
extension DocumentMapper {
    func makeCode(system: String?, code: String, display: String?, translations: [Code], originalText: String?) -> Code {
        var c = Code(system: nil, code: code, display: display, translations: translations, originalText: originalText)
        if let system { c.system = canonicalSystem(system) }
        return c
    }

    /// A code whose system is already canonical.
    static func makeCode(canonicalSystem: String?, code: String, display: String?, translations: [Code], originalText: String?) -> Code {
        var c = Code(system: nil, code: code, display: display, translations: translations, originalText: originalText)
        c.system = canonicalSystem
        return c
    }

    /// The canonical code system of a coded element's `codeSystem`, looked up by the attribute's bytes
    /// among the systems already seen in this document (a handful), so the common case creates no string.
    func canonicalSystem(of node: XMLNode) -> String? {
        guard let a = node.findAttribute("codeSystem", ns: CompactDocument.Namespace.none), a.length > 0 else { return nil }
        let storage = node.document
        for (i, entry) in systemBytes.enumerated() where entry.count == Int(a.length) {
            let same = entry.withUnsafeBufferPointer { mine in
                guard let base = mine.baseAddress else { return false }
                return memcmp(base, storage.bytes + Int(a.start), Int(a.length)) == 0
            }
            if same { return systemCanonical[i] }
        }
        let canonical = CodeSystem.canonical(storage.string(a.start, a.length))
        if systemBytes.count < 32 {
            systemBytes.append(Array(storage.buffer(a.start, a.length)))
            systemCanonical.append(canonical)
        }
        return canonical
    }

    func canonicalSystem(_ system: String) -> String {
        if let hit = systemCache[system] { return hit }
        let canonical = CodeSystem.canonical(system)
        systemCache[system] = canonical
        return canonical
    }

    static func makeQuantity(_ value: Double, unit: String?, text: String?) -> Quantity {
        var q = Quantity(value: value)
        q.unit = unit
        q.text = text
        return q
    }

    static func makeProvider(identifier: String?, name: String?, organization: String?) -> ProviderReference {
        var p = ProviderReference()
        p.identifier = identifier
        p.name = name
        p.organization = organization
        return p
    }
}
