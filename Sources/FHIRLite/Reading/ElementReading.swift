import Clinical

/// Where the current top-level value sits, so errors carry positions in the caller's terms (for NDJSON:
/// the file's line numbers and byte offsets, not the batch buffer's).
struct EntryContext {
    /// The node the JSON path is counted from (the Bundle, or the NDJSON line's value).
    var root: Int
    /// Byte offset in the document where line counting starts.
    var lineBase: Int = 0
    /// Lines before `lineBase` (NDJSON: the line number of the line, minus one).
    var lineNumberBase: Int = 0
    /// Added to byte offsets (NDJSON: the file offset of the batch buffer).
    var offsetBase: Int = 0
}

/// Typed reading of FHIR elements from the tape. Every accessor checks the JSON type and throws a
/// `wrongType` error with the element's JSON path when it is wrong; absent elements and `null` read as absent.
struct ElementReader {
    let doc: JSONDocument
    var context: EntryContext
    let cache = MappingCache()

    func error(_ code: FHIRError.Code, _ reason: String, node: Int) -> FHIRError {
        let offset = doc.offset(of: node)
        let (line, column) = FHIRError.lineColumn(of: offset, in: doc.bytes, from: context.lineBase)
        return FHIRError(
            code: code, reason: reason, line: line + context.lineNumberBase, column: column,
            offset: offset + context.offsetBase, path: doc.path(to: node, from: context.root))
    }

    func wrongType(_ node: Int, _ expected: String) -> FHIRError {
        error(.wrongType, "expected \(expected)", node: node)
    }

    /// The node of `key` in `object`, `nil` when absent or `null`.
    @inline(__always) func node(_ object: Int, _ key: StaticString) -> Int? {
        guard let n = doc.member(object, key), doc.kind(n) != .null else { return nil }
        return n
    }

    func string(_ object: Int, _ key: StaticString) throws(FHIRError) -> String? {
        guard let n = node(object, key) else { return nil }
        guard doc.kind(n) == .string else { throw wrongType(n, "a string") }
        return doc.string(n)
    }

    func stringValue(_ n: Int) throws(FHIRError) -> String {
        guard doc.kind(n) == .string else { throw wrongType(n, "a string") }
        return doc.string(n)
    }

    func bool(_ object: Int, _ key: StaticString) throws(FHIRError) -> Bool? {
        guard let n = node(object, key) else { return nil }
        switch doc.kind(n) {
        case .true: return true
        case .false: return false
        default: throw wrongType(n, "a boolean")
        }
    }

    func integer(_ object: Int, _ key: StaticString) throws(FHIRError) -> Int? {
        guard let n = node(object, key) else { return nil }
        guard doc.kind(n) == .number, let value = doc.integer(n) else { throw wrongType(n, "an integer") }
        return value
    }

    func object(_ object: Int, _ key: StaticString) throws(FHIRError) -> Int? {
        guard let n = node(object, key) else { return nil }
        guard doc.kind(n) == .object else { throw wrongType(n, "an object") }
        return n
    }

    /// The elements of an array element; absent reads as empty.
    func array(_ object: Int, _ key: StaticString) throws(FHIRError) -> JSONElements {
        guard let n = node(object, key) else { return JSONElements(nodes: [], current: 0, end: 0) }
        guard doc.kind(n) == .array else { throw wrongType(n, "an array") }
        return doc.elements(n)
    }

    /// The first element of an array of objects.
    func firstObject(_ object: Int, _ key: StaticString) throws(FHIRError) -> Int? {
        var elements = try array(object, key)
        guard let first = elements.next() else { return nil }
        guard doc.kind(first) == .object else { throw wrongType(first, "an object") }
        return first
    }

    func strings(_ object: Int, _ key: StaticString) throws(FHIRError) -> [String] {
        var result: [String] = []
        for n in try array(object, key) { result.append(try stringValue(n)) }
        return result
    }

    /// A FHIR `date`, `dateTime` or `instant`.
    func time(_ object: Int, _ key: StaticString) throws(FHIRError) -> ClinicalTime? {
        guard let n = node(object, key) else { return nil }
        guard doc.kind(n) == .string else { throw wrongType(n, "a date or dateTime string") }
        guard let time = doc.time(n) else {
            throw error(.invalidValue, "expected a FHIR date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fff]Z)", node: n)
        }
        return time
    }

    /// A `Period`'s start and end.
    func period(_ object: Int, _ key: StaticString) throws(FHIRError) -> (start: ClinicalTime?, end: ClinicalTime?)? {
        guard let p = try self.object(object, key) else { return nil }
        return (try time(p, "start"), try time(p, "end"))
    }

    /// A `Coding` as a ``Code`` (`nil` without a code).
    func coding(_ n: Int) throws(FHIRError) -> Code? {
        guard doc.kind(n) == .object else { throw wrongType(n, "a Coding object") }
        guard let code = try string(n, "code") else { return nil }
        var result = Code(system: nil, code: code, display: try string(n, "display"))
        if let system = try string(n, "system") { result.system = cache.canonicalSystem(system) }
        return result
    }

    /// A `CodeableConcept` node as a ``Code``: the first coding with a code is primary, the others are
    /// translations, `text` is the original text. A concept with only text keeps the text as its code.
    func codeableConcept(_ n: Int) throws(FHIRError) -> Code? {
        guard doc.kind(n) == .object else { throw wrongType(n, "a CodeableConcept object") }
        var codings: [Code] = []
        for c in try array(n, "coding") {
            if let code = try coding(c) { codings.append(code) }
        }
        let text = try string(n, "text")
        guard var primary = codings.first else {
            guard let text, !text.isEmpty else { return nil }
            return Code(system: nil, code: text, originalText: text)
        }
        primary.translations = Array(codings.dropFirst())
        primary.originalText = text
        return primary
    }

    func codeableConcept(_ object: Int, _ key: StaticString) throws(FHIRError) -> Code? {
        guard let n = node(object, key) else { return nil }
        return try codeableConcept(n)
    }

    /// The code of the first coding of a CodeableConcept element (`clinicalStatus`, `category`).
    func firstCode(_ object: Int, _ key: StaticString) throws(FHIRError) -> String? {
        guard let n = node(object, key) else { return nil }
        guard doc.kind(n) == .object else { throw wrongType(n, "a CodeableConcept object") }
        for c in try array(n, "coding") {
            guard doc.kind(c) == .object else { throw wrongType(c, "a Coding object") }
            if let code = try string(c, "code") { return code }
        }
        return nil
    }

    /// The codes of every CodeableConcept of an array element.
    func codeableConcepts(_ object: Int, _ key: StaticString) throws(FHIRError) -> [Code] {
        var result: [Code] = []
        for n in try array(object, key) {
            if let code = try codeableConcept(n) { result.append(code) }
        }
        return result
    }

    /// A `Quantity` (also `SimpleQuantity`, `Age`, `Duration`): the number exactly as written.
    func quantity(_ n: Int) throws(FHIRError) -> Quantity? {
        guard doc.kind(n) == .object else { throw wrongType(n, "a Quantity object") }
        guard let v = node(n, "value") else { return nil }
        guard doc.kind(v) == .number else { throw wrongType(v, "a number") }
        var unit = try string(n, "unit")
        if unit == nil { unit = try string(n, "code") }
        let text = doc.numberText(v)
        var q = Quantity(value: Double(text) ?? .nan)
        q.unit = cleaned(unit)
        q.comparator = cleaned(try string(n, "comparator"))
        q.text = text
        return q
    }

    func quantity(_ object: Int, _ key: StaticString) throws(FHIRError) -> Quantity? {
        guard let n = node(object, key) else { return nil }
        return try quantity(n)
    }

    /// A `Reference`'s `reference` and `display`.
    func reference(_ object: Int, _ key: StaticString) throws(FHIRError) -> (reference: String?, display: String?, node: Int)? {
        guard let n = node(object, key) else { return nil }
        return try reference(n)
    }

    func reference(_ n: Int) throws(FHIRError) -> (reference: String?, display: String?, node: Int) {
        guard doc.kind(n) == .object else { throw wrongType(n, "a Reference object") }
        return (try string(n, "reference"), try string(n, "display"), n)
    }

    /// A `HumanName`.
    func humanName(_ n: Int) throws(FHIRError) -> PersonName? {
        guard doc.kind(n) == .object else { throw wrongType(n, "a HumanName object") }
        let useText = try string(n, "use")
        let family = try string(n, "family")
        let given = try strings(n, "given")
        let name = PersonName(
            use: useText.flatMap { $0 == "temp" ? .temporary : NameUse(rawValue: $0) } ?? (useText == nil ? .official : .unknown),
            family: family, given: given, prefix: try strings(n, "prefix"), suffix: try strings(n, "suffix"))
        if name.isEmpty, let text = try string(n, "text")?.nilIfBlank {
            var parts = text.split(separator: " ").map(String.init)
            let last = parts.popLast()
            return PersonName(use: name.use, family: last, given: parts)
        }
        return name.isEmpty ? nil : name
    }
}
