internal import CLibXML
import Clinical

/// Reading HL7 v3 data types (CD, PQ, IVL_PQ, TS, IVL_TS, II …) from elements, for the mapper.
extension DocumentMapper {
    /// `xsi:type` without its namespace prefix (`PQ`, `CD`), or `nil`.
    func xsiType(_ node: XMLNode) -> String? {
        guard let type = node.xsiAttribute("type") else { return nil }
        if let colon = type.lastIndex(of: ":") { return String(type[type.index(after: colon)...]) }
        return type
    }

    /// A coded concept from a CD/CE/CV/CO element: code, codeSystem (canonicalized), displayName,
    /// translations, and originalText (text or a `reference` resolved against the narrative). A
    /// `nullFlavor` code with translations takes the first translation as its primary coding; a code
    /// with neither but with originalText becomes a text-only code (empty `code`, no system).
    func code(_ node: XMLNode?) -> Code? {
        guard let node else { return nil }
        var translations: [Code] = []
        for child in node.children where child.isV3("translation") {
            if let t = code(child) { translations.append(t) }
        }
        let original = originalText(node)
        let codeValue = node.attribute("code")
        if let codeValue {
            return Self.makeCode(canonicalSystem: canonicalSystem(of: node), code: codeValue, display: node.attribute("displayName"), translations: translations, originalText: original)
        }
        if !translations.isEmpty {
            var primary = translations.removeFirst()
            primary.translations += translations
            primary.originalText = original ?? primary.originalText
            return primary
        }
        if let original { return Code(system: nil, code: "", display: nil, originalText: original) }
        return nil
    }

    /// `originalText` of a coded element: its reference resolved against the narrative, else its text.
    func originalText(_ node: XMLNode) -> String? {
        guard let original = node.child("originalText") else { return nil }
        if let reference = original.child("reference"), let resolved = narrative(reference.attribute("value")) { return resolved }
        return original.text
    }

    /// The text of an entry's `text` element: reference resolved, else its own text.
    func entryText(_ node: XMLNode?) -> String? {
        guard let node else { return nil }
        if let reference = node.child("reference"), let resolved = narrative(reference.attribute("value")) { return resolved }
        return node.text
    }

    /// The narrative text of the element whose `ID` is `reference` (`#result1`), or `nil`.
    func narrative(_ reference: String?) -> String? {
        guard var id = reference, !id.isEmpty else { return nil }
        if id.hasPrefix("#") { id.removeFirst() }
        if narrativeIndex == nil { buildNarrativeIndex() }
        return narrativeIndex?[id].flatMap { XMLNode(storage: document.storage, index: $0).text }
    }

    private func buildNarrativeIndex() {
        var index: [String: Int32] = [:]
        for section in sectionNodes {
            guard let text = section.child("text") else { continue }
            var stack: [XMLNode] = [text]
            while let node = stack.popLast() {
                if let id = node.attribute("ID") { index[id] = node.index }
                for child in node.children { stack.append(child) }
            }
        }
        narrativeIndex = index
    }

    /// A physical quantity from a PQ-like element (`value`, `unit`); `nil` without a numeric value.
    func quantity(_ node: XMLNode?) -> Quantity? {
        guard let node, let text = node.attribute("value"), let number = Double(text) else { return nil }
        let unit = node.attribute("unit").flatMap { $0 == "1" ? nil : $0 }
        return Self.makeQuantity(number, unit: unit, text: text)
    }

    /// An observation value by `xsi:type` (PQ, IVL_PQ, CD/CE/CO/CV, ST/ED, INT, REAL, BL, TS, RTO);
    /// without a type, inferred from the attributes present.
    func observationValue(_ node: XMLNode?, position: String) -> ObservationValue? {
        guard let node else { return nil }
        if node.attribute("nullFlavor") != nil, node.attribute("value") == nil, node.attribute("code") == nil, !node.hasChildren {
            return nil
        }
        let type = xsiType(node)?.uppercased()
        switch type {
        case "PQ", "INT", "REAL", "MO", "INT_POS", "INT_NONNEG":
            if let q = quantity(node) { return .quantity(q) }
            skip(position, "value of type \(type ?? "?") is not a number", node)
            return nil
        case "IVL_PQ", "IVL_INT", "IVL_REAL":
            let low = quantity(node.child("low")), high = quantity(node.child("high"))
            if low == nil && high == nil {
                if let center = quantity(node.child("center")) { return .quantity(center) }
                return nil
            }
            return .range(low: low, high: high)
        case "CD", "CE", "CV", "CO", "CS":
            return code(node).map { .coded($0) }
        case "ST", "ED", "SC":
            let text = entryText(node)
            return text.map { .text($0) }
        case "BL":
            switch node.attribute("value")?.lowercased() {
            case "true": return .boolean(true)
            case "false": return .boolean(false)
            default: return nil
            }
        case "TS", "IVL_TS":
            if let t = time(node.attribute("value") ?? node.child("low")?.attribute("value"), node, position: position) { return .time(t) }
            return nil
        case "RTO", "RTO_PQ_PQ", "RTO_INT_INT":
            if let n = quantity(node.child("numerator")), let d = quantity(node.child("denominator")) { return .ratio(numerator: n, denominator: d) }
            return nil
        case nil:
            if node.attribute("value") != nil, let q = quantity(node) { return .quantity(q) }
            if let c = code(node) { return .coded(c) }
            return node.text.map { .text($0) }
        default:
            skip(position, "unsupported value type \(type ?? "")", node)
            return nil
        }
    }

    /// Parses an HL7 `TS`; a present but unparseable value is reported as skipped (entry kept).
    func time(_ value: String?, _ node: XMLNode, position: String) -> ClinicalTime? {
        guard let value, !value.isEmpty else { return nil }
        if let t = ClinicalTime.parseHL7(value) { return t }
        skip(position, "unparseable time", node)
        return nil
    }

    /// `effectiveTime` as (point or start, end): `@value`, else `low`/`high` (a `center` counts as a point).
    /// Of several `effectiveTime`s (medications), the first that is not a `PIVL_TS`/`EIVL_TS` frequency.
    func effectiveTimes(_ node: XMLNode, position: String) -> (start: ClinicalTime?, end: ClinicalTime?) {
        var chosen: XMLNode?
        for child in node.children where child.isV3("effectiveTime") {
            let type = xsiType(child)
            if type == "PIVL_TS" || type == "EIVL_TS" || type == "SXPR_TS" { continue }
            chosen = child
            break
        }
        guard let effective = chosen else { return (nil, nil) }
        if let value = effective.attribute("value") { return (time(value, effective, position: position), nil) }
        let low = effective.child("low").flatMap { time($0.attribute("value"), $0, position: position) }
        let high = effective.child("high").flatMap { time($0.attribute("value"), $0, position: position) }
        let center = effective.child("center").flatMap { time($0.attribute("value"), $0, position: position) }
        return (low ?? center, high)
    }

    /// The frequency of a medication (`PIVL_TS` period: `every 24 h`), if any.
    func frequency(_ node: XMLNode) -> String? {
        for child in node.children where child.isV3("effectiveTime") && xsiType(child) == "PIVL_TS" {
            guard let period = child.child("period"), let value = period.attribute("value") else { continue }
            return "every \(value)" + (period.attribute("unit").map { " \($0)" } ?? "")
        }
        return nil
    }

    /// An `II` as one string: `root^extension`, or `root` alone; `nil` for a null id.
    func identifier(_ node: XMLNode?) -> String? {
        guard let node, let root = node.attribute("root") else { return nil }
        if let ext = node.attribute("extension") { return root + "^" + ext }
        return root
    }

    /// The first templateId roots of an element.
    func templateRoots(_ node: XMLNode) -> [String] {
        node.children("templateId").compactMap { $0.attribute("root") }
    }

    func hasTemplate(_ node: XMLNode, _ root: StaticString) -> Bool {
        for child in node.children where child.isV3("templateId") {
            if child.attribute("root", is: root) { return true }
        }
        return false
    }

    /// A provider from a `performer/assignedEntity` or `author/assignedAuthor`.
    func provider(_ entity: XMLNode?) -> ProviderReference? {
        guard let entity else { return nil }
        let id = entity.child("id").flatMap { $0.attribute("extension") ?? $0.attribute("root") }
        let name = (entity.path("assignedPerson", "name") ?? entity.path("associatedPerson", "name")).map(personName).flatMap { $0.isEmpty ? nil : $0.description }
        let organization = entity.path("representedOrganization", "name")?.text
        guard id != nil || name != nil || organization != nil else { return nil }
        return Self.makeProvider(identifier: id, name: name, organization: organization)
    }

    /// Whether `negationInd="true"`.
    func negated(_ node: XMLNode) -> Bool {
        node.attribute("negationInd")?.lowercased() == "true"
    }
}
