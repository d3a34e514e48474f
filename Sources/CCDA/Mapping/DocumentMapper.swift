internal import CLibXML
import Clinical

/// Maps one parsed C-CDA document to a ``CCDADocument``: the header first (source, document id, patients),
/// then each section of the structured body. Lives for one document; not shared between threads.
final class DocumentMapper {
    let document: CompactDocument
    var report = CCDAParseReport()
    var notes: [MappingNote] = []
    var facts: [ClinicalFact] = []
    var provenance = Provenance(source: SourceSystem(facility: "unknown"), format: .ccda)
    var sectionNodes: [XMLNode] = []
    var narrativeIndex: [String: Int32]?
    var systemCache: [String: String] = [:]
    var systemBytes: [[UInt8]] = []
    var systemCanonical: [String] = []

    init(_ document: CompactDocument) {
        self.document = document
    }

    /// Records an item not mapped, for the report and the submission's notes.
    func skip(_ position: String, _ reason: String, _ node: XMLNode) {
        report.skipped.append(.init(position: position, reason: reason, line: node.line))
        notes.append(MappingNote(.warning, at: position, reason))
    }

    func map() throws(CCDAError) -> CCDADocument {
        guard let root = document.root else { throw CCDAError(.wrongRoot, "document has no root element", line: 1, column: 0) }
        guard root.isV3("ClinicalDocument"), root.isInV3Namespace else {
            throw CCDAError(.wrongRoot, "root element is \(root.name), expected ClinicalDocument in urn:hl7-org:v3", line: root.line, column: 0)
        }

        // Header.
        let documentID = identifier(root.child("id"))
        let documentType = code(root.child("code"))
        var createdAt: ClinicalTime?
        if let effective = root.child("effectiveTime"), let value = effective.attribute("value") {
            guard let t = ClinicalTime.parseHL7(value) else {
                throw CCDAError(.badDate, "document effectiveTime is not an HL7 TS", line: effective.line, column: 0)
            }
            createdAt = t
        }
        let custodian = organization(root.path("custodian", "assignedCustodian", "representedCustodianOrganization"))
        let authorNode = root.child("author")?.child("assignedAuthor")
        let authorOrganization = organization(authorNode?.child("representedOrganization"))
        let software = authorNode?.path("assignedAuthoringDevice", "softwareName")?.text
        let facilityOrg = custodian?.name != nil ? custodian : (authorOrganization?.name != nil ? authorOrganization : custodian ?? authorOrganization)
        let source = SourceSystem(facility: facilityOrg?.name ?? "unknown", application: software, facilityID: facilityOrg?.idRoot)
        provenance = Provenance(source: source, format: .ccda, messageID: documentID, position: nil, recordedAt: createdAt)

        var patients: [PatientRecord] = []
        for (index, target) in root.children("recordTarget").enumerated() {
            guard let role = target.child("patientRole") else { continue }
            patients.append(try patient(role, position: "recordTarget[\(index + 1)]/patientRole"))
        }
        guard !patients.isEmpty else {
            throw CCDAError(.missingRecordTarget, "the header has no recordTarget/patientRole", line: root.line, column: 0)
        }

        // Body.
        if let body = root.path("component", "structuredBody") {
            for component in body.children("component") {
                if let section = component.child("section") { collectSections(section, depth: 0) }
            }
            for section in sectionNodes { read(section: section) }
        } else if let nonXML = root.path("component", "nonXMLBody") {
            report.skipped.append(.init(position: "component/nonXMLBody", reason: "unstructured (nonXMLBody) document: no entries to map", line: nonXML.line))
            notes.append(MappingNote(.info, at: "component/nonXMLBody", "unstructured document body not mapped"))
        }

        let submission = Submission(
            format: .ccda, source: source, messageID: documentID, messageType: documentType?.code.nilIfBlank,
            createdAt: createdAt, patients: patients, facts: facts, notes: notes)
        return CCDADocument(
            submission: submission, report: report, custodian: custodian, authorOrganization: authorOrganization,
            documentType: documentType, title: root.child("title")?.text)
    }

    /// Top-level sections and their nested sub-sections (`section/component/section`), in order.
    private func collectSections(_ section: XMLNode, depth: Int) {
        sectionNodes.append(section)
        guard depth < 8 else { return }
        for component in section.children("component") {
            if let sub = component.child("section") { collectSections(sub, depth: depth + 1) }
        }
    }

    private func organization(_ node: XMLNode?) -> CCDAOrganization? {
        guard let node else { return nil }
        let id = node.children("id").first { $0.attribute("nullFlavor") == nil }
        let name = node.child("name")?.text
        guard name != nil || id?.attribute("root") != nil else { return nil }
        return CCDAOrganization(name: name, idRoot: id?.attribute("root"), idExtension: id?.attribute("extension"))
    }
}
