import Clinical

/// What reading one FHIR input gave: submissions for the index, what was skipped, and what was wrong.
///
/// ``FHIRReader/read(_:defaultSource:limits:)`` returns one ``Submission`` per Bundle or lone resource
/// (none when it holds no patient and no fact), with every patient of the Bundle (a fact's `subject` indexes the submission's
/// `patients`). ``NDJSONReader`` returns one submission per batch of loose resources plus one per
/// Bundle line.
package struct FHIRReadResult: Sendable, Hashable {
    /// What the input said, in the clinical model (see the type's comment for how many).
    package var submissions: [Submission]
    /// Resources of types the gateway neither maps nor uses, by `resourceType`.
    package var skipped: [String: Int]
    /// Entries that could not be mapped (wrong types, invalid values, no subject); the other entries were kept.
    package var problems: [FHIRError]
    /// Resources read (mapped, used for references, or skipped), contained ones not counted.
    package var resourceCount: Int

    /// A result; the reader fills it.
    package init(submissions: [Submission] = [], skipped: [String: Int] = [:], problems: [FHIRError] = [], resourceCount: Int = 0) {
        self.submissions = submissions
        self.skipped = skipped
        self.problems = problems
        self.resourceCount = resourceCount
    }

    /// Adds another result's submissions, counts and problems.
    package mutating func append(_ other: FHIRReadResult) {
        submissions += other.submissions
        for (type, count) in other.skipped { skipped[type, default: 0] += count }
        problems += other.problems
        resourceCount += other.resourceCount
    }

    /// Patients over all submissions.
    package var patientCount: Int { submissions.reduce(0) { $0 + $1.patients.count } }
    /// Facts over all submissions.
    package var factCount: Int { submissions.reduce(0) { $0 + $1.facts.count } }
}

/// Reads FHIR R4 JSON — a Bundle of any type (collection, transaction, batch, searchset, document,
/// message) or a single resource — into ``Clinical`` submissions.
///
/// The source system is `Bundle.meta.source`, else the `MessageHeader` source, the `Composition`
/// custodian, the first Patient's `managingOrganization`, the first Organization of the Bundle, else
/// `defaultSource`; a resource's own `meta.source` overrides it for that resource. Provenance is
/// `(source, .fhir, Bundle.id, entry fullUrl or entry[n].resource, Bundle.timestamp)`.
///
/// A Patient's identifiers keep `system` as the assigning authority (SSNs go to `ssn`), and its logical
/// id becomes an identifier of type `RI` assigned by `FHIR:<source facility>`; a subject reference to a
/// Patient not in the input (bulk exports) becomes a record with just that identifier, so the index can
/// tie the two. `Patient.link` `replaces`/`replaced-by` become ``Clinical/PatientMerge``s.
///
/// Invalid JSON throws; an entry that cannot be mapped (wrong type, invalid date, no subject) is reported
/// in ``FHIRReadResult/problems`` with its JSON path, and the other entries are kept.
package enum FHIRReader {
    /// The source used when neither the input nor the caller names one.
    package static let unknownSource = SourceSystem(facility: "Unknown FHIR source")

    /// Reads a Bundle or a single resource.
    package static func read(_ bytes: [UInt8]) throws(FHIRError) -> FHIRReadResult {
        try read(bytes, defaultSource: unknownSource)
    }

    /// Reads a Bundle or a single resource, falling back to `defaultSource` when the input names no source.
    package static func read(_ bytes: [UInt8], defaultSource: SourceSystem, limits: JSONLimits = JSONLimits()) throws(FHIRError) -> FHIRReadResult {
        let doc = try JSONDocument.parse(bytes, limits: limits)
        var result = FHIRReadResult()
        try readTopLevel(doc, context: EntryContext(root: 0), defaultSource: defaultSource, into: &result)
        return result
    }

    /// Maps one top-level value (a Bundle or one resource) of `doc` into `result`.
    static func readTopLevel(_ doc: JSONDocument, context: EntryContext, defaultSource: SourceSystem, position: String? = nil, into result: inout FHIRReadResult) throws(FHIRError) {
        let reader = ElementReader(doc: doc, context: context)
        let root = context.root
        guard doc.kind(root) == .object else { throw reader.error(.notFHIR, "expected a FHIR resource object", node: root) }
        guard let typeNode = doc.member(root, "resourceType") else {
            throw reader.error(.notFHIR, "expected a resourceType element", node: root)
        }
        guard doc.kind(typeNode) == .string else { throw reader.wrongType(typeNode, "a string") }
        var mapper = SubmissionMapper(reader: reader, defaultSource: defaultSource)
        if doc.stringEquals(typeNode, "Bundle") {
            try mapper.collectBundle(root)
        } else {
            mapper.collectResource(root, type: doc.string(typeNode), position: position, context: context)
        }
        mapper.messageIDFromLoneResource = !doc.stringEquals(typeNode, "Bundle")
        result.append(mapper.run())
    }
}

/// One resource to map, with where it sits.
struct ResourceEntry {
    var node: Int
    var type: String
    var id: String?
    var fullUrl: String?
    /// The provenance position: the fullUrl, or `entry[3].resource`, or `line[12]`.
    var position: String
    var context: EntryContext
}

/// Where an Observation sits in a DiagnosticReport.
struct PanelInfo {
    var code: Code?
    var fillerOrderNumber: String?
    var placerOrderNumber: String?
}

/// Maps the resources of one Bundle (or one batch of NDJSON resources) to one ``Submission``.
struct SubmissionMapper {
    var r: ElementReader
    let defaultSource: SourceSystem
    var entries: [ResourceEntry] = []
    var index: [String: Int] = [:]
    var problems: [FHIRError] = []
    var skipped: [String: Int] = [:]

    var bundleNode: Int?
    var bundleID: String?
    var bundleType: String?
    var createdAt: ClinicalTime?
    var messageType: String?
    var messageIDFromLoneResource = false
    var source: SourceSystem
    var baseProvenance: Provenance

    var patients: [PatientRecord] = []
    var patientByEntry: [Int: Int] = [:]
    var patientByKey: [String: Int] = [:]
    var facts: [ClinicalFact] = []
    var merges: [PatientMerge] = []
    var notes: [MappingNote] = []
    var panels: [Int: PanelInfo] = [:]

    static let mappedTypes: Set<String> = [
        "Patient", "Observation", "DiagnosticReport", "ServiceRequest", "Condition", "MedicationRequest",
        "MedicationStatement", "AllergyIntolerance", "Encounter", "Immunization", "Procedure",
    ]
    /// Read only to resolve references or find the source.
    static let supportingTypes: Set<String> = [
        "Organization", "Practitioner", "PractitionerRole", "Medication", "Location", "MessageHeader", "Composition",
    ]

    init(reader: ElementReader, defaultSource: SourceSystem) {
        r = reader
        doc = reader.doc
        self.defaultSource = defaultSource
        source = defaultSource
        baseProvenance = Provenance(source: defaultSource, format: .fhir)
    }

    /// The same document as `r.doc`, stored so that reading it costs no reference counting.
    let doc: JSONDocument

    // MARK: Collecting entries

    mutating func collectBundle(_ bundle: Int) throws(FHIRError) {
        bundleNode = bundle
        bundleID = try r.string(bundle, "id")
        bundleType = try r.string(bundle, "type")
        createdAt = try r.time(bundle, "timestamp")
        if createdAt == nil, let meta = try r.object(bundle, "meta") { createdAt = try r.time(meta, "lastUpdated") }
        messageType = "Bundle/" + (bundleType ?? "unknown")
        var position = 0
        for entry in try r.array(bundle, "entry") {
            defer { position += 1 }
            do throws(FHIRError) {
                guard doc.kind(entry) == .object else { throw r.wrongType(entry, "a Bundle.entry object") }
                let fullUrl = try r.string(entry, "fullUrl")
                guard let resource = try r.object(entry, "resource") else { continue }
                guard let typeNode = doc.member(resource, "resourceType") else {
                    throw r.error(.missingElement, "expected a resourceType element", node: resource)
                }
                let type = try r.stringValue(typeNode)
                let id = try r.string(resource, "id")
                entries.append(ResourceEntry(
                    node: resource, type: type, id: id, fullUrl: fullUrl, position: fullUrl ?? "entry[\(position)].resource",
                    context: r.context))
            } catch {
                problems.append(error)
            }
        }
    }

    mutating func collectResource(_ node: Int, type: String, position: String?, context: EntryContext) {
        var id: String?
        if let idNode = doc.member(node, "id"), doc.kind(idNode) == .string { id = doc.string(idNode) }
        if messageType == nil { messageType = type }
        entries.append(ResourceEntry(
            node: node, type: type, id: id, fullUrl: nil, position: position ?? id.map { "\(type)/\($0)" } ?? type, context: context))
    }

    // MARK: Mapping

    mutating func run() -> FHIRReadResult {
        for (i, entry) in entries.enumerated() {
            if let fullUrl = entry.fullUrl, index[fullUrl] == nil { index[fullUrl] = i }
            if let id = entry.id {
                let key = entry.type + "/" + id
                if index[key] == nil { index[key] = i }
            }
        }
        source = determineSource()
        let messageID = bundleID ?? (messageIDFromLoneResource ? entries.first?.id ?? nil : nil)
        baseProvenance = Provenance(source: source, format: .fhir, messageID: messageID, recordedAt: createdAt)

        for (i, entry) in entries.enumerated() where entry.type == "Patient" {
            r.context = entry.context
            do throws(FHIRError) {
                let record = try patient(entry.node, entry: i)
                patientByEntry[i] = patients.count
                patients.append(record)
            } catch {
                problems.append(error)
            }
        }
        for (i, entry) in entries.enumerated() where entry.type == "Patient" {
            r.context = entry.context
            readMergeLinks(entry.node, entry: i)
        }
        for (i, entry) in entries.enumerated() where entry.type == "DiagnosticReport" {
            r.context = entry.context
            do throws(FHIRError) { try registerPanel(entry.node, entry: i) } catch { problems.append(error) }
        }
        for (i, entry) in entries.enumerated() {
            r.context = entry.context
            var provenance = baseProvenance.at(entry.position)
            if let own = resourceSource(entry.node) { provenance.source = own }
            do throws(FHIRError) {
                switch entry.type {
                case "Patient": break
                case "Observation":
                    let subject = try subject(of: entry.node, entry: i, key: "subject")
                    for o in try observations(entry.node, entry: i) {
                        facts.append(ClinicalFact(subject: subject, body: .result(o), provenance: provenance))
                    }
                case "DiagnosticReport":
                    try containedResults(entry.node, entry: i, provenance: provenance)
                case "ServiceRequest":
                    let body = FactBody.order(try order(entry.node, entry: i))
                    facts.append(ClinicalFact(subject: try subject(of: entry.node, entry: i, key: "subject"), body: body, provenance: provenance))
                case "Condition":
                    let body = FactBody.problem(try problem(entry.node))
                    facts.append(ClinicalFact(subject: try subject(of: entry.node, entry: i, key: "subject"), body: body, provenance: provenance))
                case "MedicationRequest", "MedicationStatement":
                    let body = FactBody.medication(try medication(entry.node, entry: i, isRequest: entry.type == "MedicationRequest"))
                    facts.append(ClinicalFact(subject: try subject(of: entry.node, entry: i, key: "subject"), body: body, provenance: provenance))
                case "AllergyIntolerance":
                    let body = FactBody.allergy(try allergy(entry.node))
                    facts.append(ClinicalFact(subject: try subject(of: entry.node, entry: i, key: "patient"), body: body, provenance: provenance))
                case "Encounter":
                    let body = FactBody.encounter(try encounter(entry.node, entry: i))
                    facts.append(ClinicalFact(subject: try subject(of: entry.node, entry: i, key: "subject"), body: body, provenance: provenance))
                case "Immunization":
                    let body = FactBody.immunization(try immunization(entry.node, entry: i))
                    facts.append(ClinicalFact(subject: try subject(of: entry.node, entry: i, key: "patient"), body: body, provenance: provenance))
                case "Procedure":
                    let body = FactBody.procedure(try procedure(entry.node, entry: i))
                    facts.append(ClinicalFact(subject: try subject(of: entry.node, entry: i, key: "subject"), body: body, provenance: provenance))
                default:
                    if !Self.supportingTypes.contains(entry.type) { skipped[entry.type, default: 0] += 1 }
                }
            } catch {
                problems.append(error)
            }
        }
        for (type, count) in skipped.sorted(by: { $0.key < $1.key }) {
            notes.append(MappingNote(.info, at: bundleNode == nil ? "input" : "Bundle.entry", "skipped \(count) \(type) resource(s)"))
        }
        problems.sort { $0.offset < $1.offset }
        for problem in problems {
            notes.append(MappingNote(.warning, at: problem.path ?? "offset \(problem.offset)", "\(problem.code): \(problem.reason)"))
        }
        let submission = Submission(
            format: .fhir, source: source, messageID: messageID, messageType: messageType, createdAt: createdAt,
            patients: patients, facts: facts, merges: merges, notes: notes)
        return FHIRReadResult(
            submissions: patients.isEmpty && facts.isEmpty ? [] : [submission], skipped: skipped,
            problems: problems, resourceCount: entries.count)
    }

    // MARK: References

    /// Resolves a reference from the resource of entry `entry`: `#id` (contained), a fullUrl
    /// (`urn:uuid:…`, absolute URL), relative `Type/id` (with or without `_history`), or an absolute
    /// RESTful URL ending in `Type/id`. Returns the target's node and its entry (`nil` when contained).
    func resolve(_ reference: String, from entry: Int) -> (node: Int, entry: Int?)? {
        if reference.hasPrefix("#") {
            guard entry < entries.count else { return nil }
            let id = reference.dropFirst()
            guard let contained = doc.member(entries[entry].node, "contained"), doc.kind(contained) == .array else { return nil }
            for c in doc.elements(contained) where doc.kind(c) == .object {
                if let idNode = doc.member(c, "id"), doc.kind(idNode) == .string, doc.string(idNode) == id { return (c, nil) }
            }
            return nil
        }
        if let i = index[reference] { return (entries[i].node, i) }
        let parts = Self.withoutHistory(reference).split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 2 else { return nil }
        let key = parts[parts.count - 2] + "/" + parts[parts.count - 1]
        if let i = index[String(key)] { return (entries[i].node, i) }
        return nil
    }

    /// A reference without its `/_history/n` version suffix.
    static func withoutHistory(_ reference: String) -> Substring {
        // Most references have no underscore at all: skip Foundation's search for them.
        guard reference.utf8.contains(UInt8(ascii: "_")), let history = reference.range(of: "/_history/") else { return Substring(reference) }
        return reference[..<history.lowerBound]
    }

    func resourceType(of node: Int) -> String? {
        guard let t = doc.member(node, "resourceType"), doc.kind(t) == .string else { return nil }
        return doc.string(t)
    }

    /// The patient a clinical resource is about (an index into `patients`). A reference to a Patient not
    /// in the input (bulk exports put Patients in their own file) becomes a stub record carrying the
    /// Patient's logical id, which the full record carries too.
    mutating func subject(of node: Int, entry: Int, key: StaticString) throws(FHIRError) -> Int {
        guard let ref = try r.reference(node, key) else {
            if patients.count == 1 { return 0 }
            throw r.error(.unresolvedSubject, "expected a subject reference to a Patient", node: node)
        }
        if let reference = ref.reference {
            // Bulk exports repeat `Patient/id` of a Patient in another batch: its record is already known.
            if index[reference] == nil, let known = patientByKey[reference] { return known }
            if let target = resolve(reference, from: entry) {
                if let e = target.entry, let p = patientByEntry[e] { return p }
                throw r.error(.unresolvedSubject, "the subject reference does not name a readable Patient", node: ref.node)
            }
            let parts = Self.withoutHistory(reference).split(separator: "/")
            guard parts.count >= 2, parts[parts.count - 2] == "Patient" else {
                throw r.error(.unresolvedSubject, "the subject reference is neither in the input nor of the form Patient/id", node: ref.node)
            }
            let id = String(parts[parts.count - 1])
            let key = "Patient/" + id
            if let existing = patientByKey[key] { return existing }
            return stubPatient(key: key, identifier: logicalIdentifier(id), position: entries[entry].position)
        }
        if let identifier = try r.object(ref.node, "identifier"), let value = try r.string(identifier, "value") {
            let system = try r.string(identifier, "system")
            let pid = PatientIdentifier(value: value, authority: AssigningAuthority(universalID: system), type: try r.firstCode(identifier, "type"))
            return stubPatient(key: (system ?? "") + "|" + value, identifier: pid, position: entries[entry].position)
        }
        throw r.error(.unresolvedSubject, "expected a reference or identifier in the subject", node: ref.node)
    }

    mutating func stubPatient(key: String, identifier: PatientIdentifier, position: String) -> Int {
        if let existing = patientByKey[key] { return existing }
        let index = patients.count
        patients.append(PatientRecord(source: source, identifiers: [identifier], provenance: baseProvenance.at(position)))
        patientByKey[key] = index
        notes.append(MappingNote(.info, at: position, "subject Patient not in the input: kept as a record with its identifier only"))
        return index
    }

    /// The identifier a Patient's logical id becomes: type `RI` (resource identifier), assigned by the source.
    func logicalIdentifier(_ id: String) -> PatientIdentifier {
        PatientIdentifier(value: id, authority: AssigningAuthority(namespace: "FHIR:" + source.facility), type: "RI")
    }

    /// `Patient.link` of type `replaces` / `replaced-by` (R4 §8.1.2.3, how EHRs announce a merge): the
    /// replaced record's identifiers are folded into the surviving one, as HL7 v2 ADT^A40 says it.
    mutating func readMergeLinks(_ node: Int, entry: Int) {
        guard let me = patientByEntry[entry], let links = try? r.array(node, "link") else { return }
        for link in links {
            guard let type = (try? r.string(link, "type")) ?? nil, type == "replaces" || type == "replaced-by",
                let other = (try? r.reference(link, "other")) ?? nil, let reference = other.reference
            else { continue }
            var otherIndex: Int?
            if let target = resolve(reference, from: entry), let e = target.entry { otherIndex = patientByEntry[e] }
            if otherIndex == nil {
                let parts = reference.split(separator: "/")
                guard parts.count >= 2, parts[parts.count - 2] == "Patient" else { continue }
                let id = String(parts[parts.count - 1])
                otherIndex = stubPatient(key: "Patient/" + id, identifier: logicalIdentifier(id), position: entries[entry].position)
            }
            guard let otherIndex, otherIndex != me else { continue }
            let (survivor, prior) = type == "replaces" ? (me, otherIndex) : (otherIndex, me)
            let merge = PatientMerge(
                survivor: survivor, priorIdentifiers: patients[prior].identifiers, provenance: baseProvenance.at(entries[entry].position))
            if !merges.contains(where: { $0.survivor == survivor && $0.priorIdentifiers == merge.priorIdentifiers }) { merges.append(merge) }
        }
    }

    // MARK: Source

    /// A resource's own `meta.source`, which names its source when it differs from the Bundle's.
    func resourceSource(_ node: Int) -> SourceSystem? {
        guard let meta = doc.member(node, "meta"), let s = doc.member(meta, "source"), doc.kind(s) == .string else { return nil }
        let text = doc.string(s)
        guard let source = text.nilIfBlank else { return nil }
        return SourceSystem(facility: source, facilityID: source)
    }

    func determineSource() -> SourceSystem {
        if let bundle = bundleNode, let meta = try? r.object(bundle, "meta"), let s = (try? r.string(meta, "source")) ?? nil, let source = s.nilIfBlank {
            return SourceSystem(facility: source, facilityID: source)
        }
        if let header = entries.first(where: { $0.type == "MessageHeader" }) {
            if let found = messageHeaderSource(header.node) { return found }
        }
        if let i = entries.firstIndex(where: { $0.type == "Composition" }),
            let custodian = (try? r.reference(entries[i].node, "custodian")) ?? nil,
            let found = organizationSource(custodian, from: i)
        {
            return found
        }
        if let i = entries.firstIndex(where: { $0.type == "Patient" }),
            let managing = (try? r.reference(entries[i].node, "managingOrganization")) ?? nil,
            let found = organizationSource(managing, from: i)
        {
            return found
        }
        if let org = entries.first(where: { $0.type == "Organization" }), let found = organization(org.node) {
            return found
        }
        return defaultSource
    }

    func messageHeaderSource(_ node: Int) -> SourceSystem? {
        guard let src = (try? r.object(node, "source")) ?? nil else { return nil }
        let name = (try? r.string(src, "name")) ?? nil
        let software = (try? r.string(src, "software")) ?? nil
        let endpoint = (try? r.string(src, "endpoint")) ?? nil
        var facility = name
        if let i = entries.firstIndex(where: { $0.node == node }), let sender = (try? r.reference(node, "sender")) ?? nil,
            let org = organizationSource(sender, from: i)
        {
            facility = org.facility
        }
        guard let facility = facility ?? endpoint else { return nil }
        return SourceSystem(facility: facility, application: software, facilityID: endpoint)
    }

    func organizationSource(_ ref: (reference: String?, display: String?, node: Int), from entry: Int) -> SourceSystem? {
        if let reference = ref.reference, let target = resolve(reference, from: entry), let found = organization(target.node) {
            return found
        }
        return ref.display?.nilIfBlank.map { SourceSystem(facility: $0) }
    }

    func organization(_ node: Int) -> SourceSystem? {
        guard let name = ((try? r.string(node, "name")) ?? nil)?.nilIfBlank else { return nil }
        var facilityID: String?
        if let first = (try? r.firstObject(node, "identifier")) ?? nil { facilityID = (try? r.string(first, "value")) ?? nil }
        return SourceSystem(facility: name, facilityID: facilityID)
    }
}

extension FHIRReader {
    /// Scans JSON into its structure tape without mapping (for benchmarks): returns the number of values.
    package static func scanOnly(_ bytes: [UInt8], limits: JSONLimits = JSONLimits()) throws(FHIRError) -> Int {
        try JSONDocument.parse(bytes, limits: limits).nodes.count
    }
}
