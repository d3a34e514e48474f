import Clinical

/// The mapping of each FHIR R4 resource the gateway reads to its ``Clinical`` value.
extension SubmissionMapper {
    static let raceURL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
    static let ethnicityURL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
    static let birthSexURL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
    static let mothersMaidenNameURL = "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName"
    static let ssnSystems: Set<String> = ["http://hl7.org/fhir/sid/us-ssn", "urn:oid:2.16.840.1.113883.4.1", "2.16.840.1.113883.4.1"]

    // MARK: Patient

    /// `Patient` (R4 §8.1, US Core Patient): identifiers with `system` as the assigning authority (SSNs moved
    /// to `ssn`), the logical id as an `RI` identifier, names, birth date, gender (US Core birth sex when
    /// gender is absent), addresses, telecoms, deceased[x], multipleBirth[x], race, ethnicity, language.
    func patient(_ n: Int, entry: Int) throws(FHIRError) -> PatientRecord {
        var identifiers: [PatientIdentifier] = []
        var ssn: String?
        for idNode in try r.array(n, "identifier") {
            guard doc.kind(idNode) == .object else { throw r.wrongType(idNode, "an Identifier object") }
            guard let value = try r.string(idNode, "value") else { continue }
            let system = try r.string(idNode, "system")
            let type = try r.firstCode(idNode, "type")
            if type == "SS" || type == "SSN" || system.map(Self.ssnSystems.contains) == true {
                if ssn == nil { ssn = value }
                continue
            }
            var namespace: String?
            if let assigner = try r.object(idNode, "assigner") { namespace = try r.string(assigner, "display") }
            identifiers.append(PatientIdentifier(value: value, authority: AssigningAuthority(namespace: namespace, universalID: system), type: type))
        }
        if let id = entries[entry].id { identifiers.append(logicalIdentifier(id)) }

        var names: [PersonName] = []
        for nameNode in try r.array(n, "name") {
            if let name = try r.humanName(nameNode) { names.append(name) }
        }
        if let official = names.firstIndex(where: { $0.use == .official }), official > 0 {
            names.insert(names.remove(at: official), at: 0)
        }

        var addresses: [PostalAddress] = []
        for a in try r.array(n, "address") {
            guard doc.kind(a) == .object else { throw r.wrongType(a, "an Address object") }
            let address = PostalAddress(
                use: try r.string(a, "use"), lines: try r.strings(a, "line"), city: try r.string(a, "city"),
                district: try r.string(a, "district"), state: try r.string(a, "state"),
                postalCode: try r.string(a, "postalCode"), country: try r.string(a, "country"))
            if !address.isEmpty { addresses.append(address) }
        }

        var telecoms: [Telecom] = []
        for t in try r.array(n, "telecom") {
            guard doc.kind(t) == .object else { throw r.wrongType(t, "a ContactPoint object") }
            guard var value = try r.string(t, "value")?.nilIfBlank else { continue }
            for prefix in ["mailto:", "tel:"] where value.lowercased().hasPrefix(prefix) { value = String(value.dropFirst(prefix.count)) }
            let system = try r.string(t, "system").flatMap(Telecom.System.init(rawValue:)) ?? .other
            telecoms.append(Telecom(system: system, value: value, use: try r.string(t, "use")))
        }

        var deceased: Bool?
        var deceasedTime: ClinicalTime?
        if let choice = doc.choice(n, "deceased") {
            switch choice.type {
            case "Boolean": deceased = try r.bool(n, "deceasedBoolean")
            case "DateTime":
                deceasedTime = try r.time(n, "deceasedDateTime")
                deceased = true
            default: break
            }
        }
        var multipleBirth: Bool?
        var birthOrder: Int?
        if let choice = doc.choice(n, "multipleBirth") {
            switch choice.type {
            case "Boolean": multipleBirth = try r.bool(n, "multipleBirthBoolean")
            case "Integer":
                birthOrder = try r.integer(n, "multipleBirthInteger")
                multipleBirth = true
            default: break
            }
        }

        var race: [Code] = []
        var ethnicity: [Code] = []
        var birthSex: String?
        var mothersMaidenName: String?
        for e in try r.array(n, "extension") {
            guard doc.kind(e) == .object else { throw r.wrongType(e, "an Extension object") }
            guard let url = try r.string(e, "url") else { continue }
            switch url {
            case Self.raceURL: race = try ombCodes(e)
            case Self.ethnicityURL: ethnicity = try ombCodes(e)
            case Self.birthSexURL: birthSex = try r.string(e, "valueCode")
            case Self.mothersMaidenNameURL: mothersMaidenName = try r.string(e, "valueString")
            default: break
            }
        }

        var sex = try r.string(n, "gender").map { AdministrativeSex(rawValue: $0) ?? .unknown }
        if sex == nil, let birthSex {
            sex = birthSex == "F" ? .female : birthSex == "M" ? .male : .unknown
        }

        var language: Code?
        for c in try r.array(n, "communication") {
            guard doc.kind(c) == .object else { throw r.wrongType(c, "a communication object") }
            let code = try r.codeableConcept(c, "language")
            if try r.bool(c, "preferred") == true { language = code; break }
            if language == nil { language = code }
        }

        var practitioner: ProviderReference?
        if let first = try r.array(n, "generalPractitioner").first(where: { _ in true }) {
            practitioner = try provider(r.reference(first), entry: entry)
        }

        var provenance = baseProvenance.at(entries[entry].position)
        if let own = resourceSource(n) { provenance.source = own }
        return PatientRecord(
            source: provenance.source, identifiers: identifiers, names: names, birthDate: try r.time(n, "birthDate"), sex: sex,
            addresses: addresses, telecoms: telecoms, ssn: ssn, mothersMaidenName: mothersMaidenName,
            multipleBirth: multipleBirth, birthOrder: birthOrder, deceased: deceased, deceasedTime: deceasedTime,
            race: race, ethnicity: ethnicity, language: language, maritalStatus: try r.codeableConcept(n, "maritalStatus"),
            generalPractitioner: practitioner, provenance: provenance)
    }

    /// The `ombCategory` and `detailed` codings of a US Core race or ethnicity extension.
    func ombCodes(_ e: Int) throws(FHIRError) -> [Code] {
        var codes: [Code] = []
        for sub in try r.array(e, "extension") {
            guard doc.kind(sub) == .object else { throw r.wrongType(sub, "an Extension object") }
            let url = try r.string(sub, "url")
            guard url == "ombCategory" || url == "detailed", let coding = doc.member(sub, "valueCoding") else { continue }
            if let code = try r.coding(coding) { codes.append(code) }
        }
        return codes
    }

    /// A provider from a reference to a Practitioner, PractitionerRole or Organization (resolved in the
    /// input when possible, else the reference's display).
    func provider(_ ref: (reference: String?, display: String?, node: Int), entry: Int) throws(FHIRError) -> ProviderReference? {
        if let reference = ref.reference, let target = resolve(reference, from: entry) {
            let found: ProviderReference?
            if let cached = r.cache.providers[target.node] {
                found = cached
            } else {
                found = resolvedProvider(target.node)
                r.cache.providers[target.node] = .some(found)
            }
            guard var provider = found else { return ref.display.map { ProviderReference(name: $0) } }
            if provider.name == nil { provider.name = cleaned(ref.display) }
            return provider
        }
        guard ref.display != nil || ref.reference != nil else { return nil }
        return ProviderReference(identifier: ref.display == nil ? ref.reference : nil, name: ref.display)
    }

    /// A provider from a resolved Practitioner or Organization (`nil` for other types).
    func resolvedProvider(_ node: Int) -> ProviderReference? {
        switch resourceType(of: node) {
        case "Practitioner":
            var name: String?
            for nameNode in (try? r.array(node, "name")) ?? JSONElements(nodes: [], current: 0, end: 0) {
                if let n = (try? r.humanName(nameNode)) ?? nil { name = n.description; break }
            }
            var identifier: String?
            if let first = (try? r.firstObject(node, "identifier")) ?? nil { identifier = (try? r.string(first, "value")) ?? nil }
            return ProviderReference(identifier: identifier, name: name)
        case "Organization":
            return ProviderReference(organization: organization(node)?.facility)
        default:
            return nil
        }
    }

    func provider(_ object: Int, _ key: StaticString, entry: Int) throws(FHIRError) -> ProviderReference? {
        guard let ref = try r.reference(object, key) else { return nil }
        return try provider(ref, entry: entry)
    }

    /// A time from a choice element: `…DateTime`, `…Instant`, `…Period` (its start), `…Timing` (first event).
    func choiceTime(_ n: Int, _ prefix: StaticString) throws(FHIRError) -> (start: ClinicalTime?, end: ClinicalTime?) {
        guard let choice = doc.choice(n, prefix) else { return (nil, nil) }
        let v = choice.node
        switch choice.type {
        case "DateTime", "Instant", "Date":
            guard doc.kind(v) == .string else { throw r.wrongType(v, "a dateTime string") }
            guard let time = doc.time(v) else {
                throw r.error(.invalidValue, "expected a FHIR dateTime", node: v)
            }
            return (time, nil)
        case "Period":
            guard doc.kind(v) == .object else { throw r.wrongType(v, "a Period object") }
            return (try r.time(v, "start"), try r.time(v, "end"))
        case "Timing":
            guard doc.kind(v) == .object else { throw r.wrongType(v, "a Timing object") }
            var events = try r.array(v, "event")
            guard let first = events.next() else { return (nil, nil) }
            guard doc.kind(first) == .string, let time = doc.time(first) else {
                throw r.error(.invalidValue, "expected a FHIR dateTime", node: first)
            }
            return (time, nil)
        default:
            return (nil, nil)
        }
    }

    // MARK: Observation and DiagnosticReport

    /// Remembers, for every result of a `DiagnosticReport`, the report's code (the panel) and its
    /// identifier (the filler order number, the lab's accession).
    mutating func registerPanel(_ n: Int, entry: Int) throws(FHIRError) {
        let code = try r.codeableConcept(n, "code")
        var filler: String?
        if let first = try r.firstObject(n, "identifier") { filler = try r.string(first, "value") }
        var placer: String?
        if let basedOn = try r.array(n, "basedOn").first(where: { _ in true }), let ref = try r.reference(basedOn).reference,
            let target = resolve(ref, from: entry), let id = try r.firstObject(target.node, "identifier")
        {
            placer = try r.string(id, "value")
        }
        for result in try r.array(n, "result") {
            guard let ref = try r.reference(result).reference, let target = resolve(ref, from: entry) else { continue }
            panels[target.node] = PanelInfo(code: code, fillerOrderNumber: filler, placerOrderNumber: placer)
        }
    }

    /// Maps the Observations a DiagnosticReport contains (`#id` results), which are not Bundle entries.
    mutating func containedResults(_ n: Int, entry: Int, provenance: Provenance) throws(FHIRError) {
        var results: [Observation] = []
        var index = 0
        for result in try r.array(n, "result") {
            defer { index += 1 }
            guard let ref = try r.reference(result).reference, ref.hasPrefix("#"), let target = resolve(ref, from: entry) else { continue }
            results += try observations(target.node, entry: entry)
        }
        guard !results.isEmpty else { return }
        let subject = try subject(of: n, entry: entry, key: "subject")
        for o in results { facts.append(ClinicalFact(subject: subject, body: .result(o), provenance: provenance)) }
    }

    /// `Observation`: value[x] of every type, effective[x], status, category, interpretation, reference
    /// range, and each `component` as an observation of its own whose panel is the parent's code (blood
    /// pressure → systolic and diastolic). The parent itself is kept when it has a value or no components.
    func observations(_ n: Int, entry: Int) throws(FHIRError) -> [Observation] {
        guard let code = try r.codeableConcept(n, "code") else {
            throw r.error(.missingElement, "expected Observation.code", node: n)
        }
        let status = try r.string(n, "status").map(Self.resultStatus) ?? .unknown
        let effective = try choiceTime(n, "effective").start
        let issued = try r.time(n, "issued")
        var category: String?
        if let first = try r.array(n, "category").first(where: { _ in true }) {
            guard doc.kind(first) == .object else { throw r.wrongType(first, "a CodeableConcept object") }
            for c in try r.array(first, "coding") {
                guard doc.kind(c) == .object else { throw r.wrongType(c, "a Coding object") }
                if let value = try r.string(c, "code") { category = value; break }
            }
        }
        var performer: ProviderReference?
        if let first = try r.array(n, "performer").first(where: { _ in true }) { performer = try provider(r.reference(first), entry: entry) }
        var notes: [String] = []
        for note in try r.array(n, "note") {
            guard doc.kind(note) == .object else { throw r.wrongType(note, "an Annotation object") }
            if let text = try r.string(note, "text") { notes.append(text) }
        }
        let panel = panels[n]
        let id = try r.string(n, "id")

        func make(_ node: Int, code: Code, panel: Code?, sourceID: String?) throws(FHIRError) -> Observation {
            let value = try observationValue(node)
            let range = try referenceRange(node)
            var interpretation: [String] = []
            for concept in try r.array(node, "interpretation") {
                guard doc.kind(concept) == .object else { throw r.wrongType(concept, "a CodeableConcept object") }
                for c in try r.array(concept, "coding") {
                    if let coded = try r.coding(c) { interpretation.append(coded.code) }
                }
            }
            var unit: String?
            if case .quantity(let q) = value { unit = q.unit }
            var note = notes.isEmpty ? nil : notes.joined(separator: "; ")
            if value == nil, let absent = try r.codeableConcept(node, "dataAbsentReason") {
                note = [note, "data absent: \(absent.label)"].compactMap { $0 }.joined(separator: "; ")
            }
            // Built field by field: the memberwise init trims every string through Foundation, which
            // costs more than the rest of the mapping; `cleaned` does the same for FHIR's clean strings.
            var o = Observation(code: code, value: value, status: status)
            o.unit = cleaned(unit)
            o.referenceRange = cleaned(range.text)
            o.referenceLow = range.low
            o.referenceHigh = range.high
            o.interpretation = interpretation
            o.effectiveTime = effective
            o.issued = issued
            o.category = category
            o.panel = panel
            o.placerOrderNumber = cleaned(self.panels[n]?.placerOrderNumber)
            o.fillerOrderNumber = cleaned(self.panels[n]?.fillerOrderNumber)
            o.sourceID = cleaned(sourceID)
            o.performer = performer
            o.note = note
            return o
        }

        var result: [Observation] = []
        var components: [Observation] = []
        var index = 0
        for c in try r.array(n, "component") {
            defer { index += 1 }
            guard doc.kind(c) == .object else { throw r.wrongType(c, "an Observation.component object") }
            guard let componentCode = try r.codeableConcept(c, "code") else {
                throw r.error(.missingElement, "expected Observation.component.code", node: c)
            }
            components.append(try make(c, code: componentCode, panel: code, sourceID: id.map { "\($0)#component[\(index)]" }))
        }
        if components.isEmpty || doc.choice(n, "value") != nil {
            result.append(try make(n, code: code, panel: panel?.code, sourceID: id))
        }
        return result + components
    }

    /// Observation `value[x]` (R4 §4.1): Quantity, CodeableConcept, string, boolean, integer, Range,
    /// Ratio, SampledData (its data as text), time (as text), dateTime, Period (ISO 8601 interval text).
    func observationValue(_ n: Int) throws(FHIRError) -> ObservationValue? {
        guard let choice = doc.choice(n, "value") else { return nil }
        let v = choice.node
        switch choice.type {
        case "Quantity":
            return try r.quantity(v).map(ObservationValue.quantity)
        case "CodeableConcept":
            return try r.codeableConcept(v).map(ObservationValue.coded)
        case "String":
            return .text(try r.stringValue(v))
        case "Boolean":
            switch doc.kind(v) {
            case .true: return .boolean(true)
            case .false: return .boolean(false)
            default: throw r.wrongType(v, "a boolean")
            }
        case "Integer":
            guard doc.kind(v) == .number, let value = doc.integer(v) else { throw r.wrongType(v, "an integer") }
            return .quantity(Quantity(value: Double(value), text: doc.numberText(v)))
        case "Range":
            guard doc.kind(v) == .object else { throw r.wrongType(v, "a Range object") }
            return .range(low: try r.quantity(v, "low"), high: try r.quantity(v, "high"))
        case "Ratio":
            guard doc.kind(v) == .object else { throw r.wrongType(v, "a Ratio object") }
            guard let numerator = try r.quantity(v, "numerator"), let denominator = try r.quantity(v, "denominator") else { return nil }
            return .ratio(numerator: numerator, denominator: denominator)
        case "SampledData":
            guard doc.kind(v) == .object else { throw r.wrongType(v, "a SampledData object") }
            return try r.string(v, "data").map(ObservationValue.text)
        case "Time":
            return .text(try r.stringValue(v))
        case "DateTime":
            guard doc.kind(v) == .string else { throw r.wrongType(v, "a dateTime string") }
            guard let time = doc.time(v) else { throw r.error(.invalidValue, "expected a FHIR dateTime", node: v) }
            return .time(time)
        case "Period":
            guard doc.kind(v) == .object else { throw r.wrongType(v, "a Period object") }
            let start = try r.time(v, "start"), end = try r.time(v, "end")
            return .text((start?.iso8601 ?? "") + "/" + (end?.iso8601 ?? ""))
        default:
            return nil
        }
    }

    /// The first `referenceRange`: its low and high, and its text (or `low-high`, `>=low`, `<=high`).
    func referenceRange(_ n: Int) throws(FHIRError) -> (text: String?, low: Quantity?, high: Quantity?) {
        guard let range = try r.firstObject(n, "referenceRange") else { return (nil, nil, nil) }
        let low = try r.quantity(range, "low"), high = try r.quantity(range, "high")
        var text = try r.string(range, "text")
        if text == nil {
            switch (low, high) {
            case (let l?, let h?): text = (l.text ?? String(l.value)) + "-" + (h.text ?? String(h.value))
            case (let l?, nil): text = ">=" + (l.text ?? String(l.value))
            case (nil, let h?): text = "<=" + (h.text ?? String(h.value))
            default: break
            }
        }
        return (text, low, high)
    }

    static func resultStatus(_ text: String) -> ResultStatus {
        switch text {
        case "registered": return .registered
        case "preliminary": return .preliminary
        case "final": return .final
        case "amended": return .amended
        case "corrected": return .corrected
        case "cancelled": return .cancelled
        case "entered-in-error": return .enteredInError
        default: return .unknown
        }
    }

    // MARK: Orders, problems, medications, allergies

    /// `ServiceRequest` → ``Order``: identifiers typed `PLAC`/`FILL` (else the first is the placer number).
    func order(_ n: Int, entry: Int) throws(FHIRError) -> Order {
        guard let code = try r.codeableConcept(n, "code") else { throw r.error(.missingElement, "expected ServiceRequest.code", node: n) }
        var placer: String?
        var filler: String?
        var untyped: String?
        for idNode in try r.array(n, "identifier") {
            guard doc.kind(idNode) == .object else { throw r.wrongType(idNode, "an Identifier object") }
            let value = try r.string(idNode, "value")
            switch try r.firstCode(idNode, "type") {
            case "PLAC": placer = value
            case "FILL": filler = value
            default: if untyped == nil { untyped = value }
            }
        }
        let status: Order.Status
        switch try r.string(n, "status") {
        case "draft": status = .new
        case "active": status = .inProgress
        case "on-hold": status = .onHold
        case "revoked": status = .cancelled
        case "completed": status = .completed
        case "entered-in-error": status = .enteredInError
        default: status = .unknown
        }
        return Order(
            code: code, status: status, placerOrderNumber: placer ?? untyped, fillerOrderNumber: filler,
            orderedAt: try r.time(n, "authoredOn"), scheduledFor: try choiceTime(n, "occurrence").start,
            orderingProvider: try provider(n, "requester", entry: entry), priority: try r.string(n, "priority"),
            reason: try r.codeableConcepts(n, "reasonCode"))
    }

    /// `Condition` → ``Problem``: clinical and verification status, category, onset[x], abatement[x].
    func problem(_ n: Int) throws(FHIRError) -> Problem {
        guard let code = try r.codeableConcept(n, "code") else { throw r.error(.missingElement, "expected Condition.code", node: n) }
        let status = try r.firstCode(n, "clinicalStatus").map { Problem.Status(rawValue: $0) ?? .unknown } ?? .unknown
        let verification = try r.firstCode(n, "verificationStatus").flatMap {
            $0 == "entered-in-error" ? .enteredInError : Problem.Verification(rawValue: $0)
        }
        var category: String?
        if let first = try r.array(n, "category").first(where: { _ in true }) {
            guard doc.kind(first) == .object else { throw r.wrongType(first, "a CodeableConcept object") }
            for c in try r.array(first, "coding") {
                if let coded = try r.coding(c) { category = coded.code; break }
            }
        }
        var p = Problem(
            code: code, status: status, verification: verification, category: category,
            onset: try choiceTime(n, "onset").start, abatement: try choiceTime(n, "abatement").start,
            recordedAt: try r.time(n, "recordedDate"))
        p.sourceID = cleaned(try r.string(n, "id"))
        return p
    }

    /// `MedicationRequest` / `MedicationStatement` → ``Medication``: medication[x] as a concept or a reference
    /// to a contained or bundled `Medication`, the first dosage, status.
    func medication(_ n: Int, entry: Int, isRequest: Bool) throws(FHIRError) -> Medication {
        var code: Code?
        if let choice = doc.choice(n, "medication") {
            switch choice.type {
            case "CodeableConcept": code = try r.codeableConcept(choice.node)
            case "Reference":
                let ref = try r.reference(choice.node)
                if let reference = ref.reference, let target = resolve(reference, from: entry) {
                    code = try r.codeableConcept(target.node, "code")
                }
                if code == nil, let display = ref.display { code = Code(system: nil, code: display, originalText: display) }
            default: break
            }
        }
        guard let code else { throw r.error(.missingElement, "expected medication[x] naming a drug", node: n) }
        let status: Medication.Status
        switch try r.string(n, "status") {
        case "active": status = .active
        case "completed": status = .completed
        case "stopped": status = .stopped
        case "on-hold": status = .onHold
        case "cancelled", "not-taken": status = .cancelled
        case "draft", "intended": status = .draft
        case "entered-in-error": status = .enteredInError
        default: status = .unknown
        }
        var dosageText: String?
        var dose: Quantity?
        var route: Code?
        var frequency: String?
        let dosageNode = isRequest ? try r.firstObject(n, "dosageInstruction") : try r.firstObject(n, "dosage")
        if let d = dosageNode {
            dosageText = try r.string(d, "text")
            route = try r.codeableConcept(d, "route")
            if let rate = try r.firstObject(d, "doseAndRate") { dose = try r.quantity(rate, "doseQuantity") }
            if let timing = try r.object(d, "timing") {
                if let repeatNode = try r.object(timing, "repeat"), let count = try r.integer(repeatNode, "frequency") {
                    let period = r.node(repeatNode, "period").map { doc.numberText($0) } ?? "1"
                    let unit = try r.string(repeatNode, "periodUnit") ?? "d"
                    frequency = "\(count) per \(period) \(unit)"
                } else if let timingCode = try r.codeableConcept(timing, "code") {
                    frequency = timingCode.label
                }
            }
        }
        var start: ClinicalTime?
        var end: ClinicalTime?
        var prescriber: ProviderReference?
        if isRequest {
            start = try r.time(n, "authoredOn")
            if let dispense = try r.object(n, "dispenseRequest"), let validity = try r.period(dispense, "validityPeriod") {
                end = validity.end
            }
            prescriber = try provider(n, "requester", entry: entry)
        } else {
            let effective = try choiceTime(n, "effective")
            start = effective.start
            end = effective.end
            prescriber = try provider(n, "informationSource", entry: entry)
        }
        var m = Medication(code: code, status: status, dose: dose, route: route, start: start, end: end, prescriber: prescriber)
        m.dosage = cleaned(dosageText)
        m.frequency = cleaned(frequency)
        m.sourceID = cleaned(try r.string(n, "id"))
        return m
    }

    /// `AllergyIntolerance` → ``Allergy``: substance from `code` (else the first reaction's substance),
    /// manifestations, severity (the first reaction's, else the criticality), clinical/verification status.
    func allergy(_ n: Int) throws(FHIRError) -> Allergy {
        var substance = try r.codeableConcept(n, "code")
        var reactions: [Code] = []
        var severity: String?
        for reaction in try r.array(n, "reaction") {
            guard doc.kind(reaction) == .object else { throw r.wrongType(reaction, "a reaction object") }
            if substance == nil { substance = try r.codeableConcept(reaction, "substance") }
            reactions += try r.codeableConcepts(reaction, "manifestation")
            if severity == nil { severity = try r.string(reaction, "severity") }
        }
        guard let substance else { throw r.error(.missingElement, "expected AllergyIntolerance.code", node: n) }
        if severity == nil { severity = try r.string(n, "criticality") }
        var status: Allergy.Status
        switch try r.firstCode(n, "clinicalStatus") {
        case "active": status = .active
        case "inactive": status = .inactive
        case "resolved": status = .resolved
        default: status = .unknown
        }
        switch try r.firstCode(n, "verificationStatus") {
        case "refuted": status = .refuted
        case "entered-in-error": status = .enteredInError
        default: break
        }
        let categories = try r.strings(n, "category")
        return Allergy(
            substance: substance, type: try r.string(n, "type"), category: categories.first, reactions: reactions,
            severity: severity, status: status, onset: try choiceTime(n, "onset").start, sourceID: try r.string(n, "id"))
    }

    // MARK: Encounters, immunizations, procedures

    /// `Encounter` → ``Encounter``: identifier (visit number), class (v3 ActCode), type, status, period,
    /// location, attending participant, reasons, discharge disposition.
    func encounter(_ n: Int, entry: Int) throws(FHIRError) -> Encounter {
        var visitNumber: String?
        if let first = try r.firstObject(n, "identifier") { visitNumber = try r.string(first, "value") }
        var encounterClass = Encounter.Class.unknown
        if let c = try r.object(n, "class") {
            switch try r.string(c, "code") {
            case "IMP", "ACUTE", "NONAC": encounterClass = .inpatient
            case "AMB", "HH", "FLD": encounterClass = .outpatient
            case "EMER": encounterClass = .emergency
            case "OBSENC": encounterClass = .observation
            case "PRENC": encounterClass = .preadmit
            case "VR": encounterClass = .virtual
            default: break
            }
        }
        let status: Encounter.Status
        switch try r.string(n, "status") {
        case "planned": status = .planned
        case "arrived", "triaged": status = .arrived
        case "in-progress", "onleave": status = .inProgress
        case "finished": status = .finished
        case "cancelled": status = .cancelled
        case "entered-in-error": status = .enteredInError
        default: status = .unknown
        }
        var type: Code?
        if let first = try r.array(n, "type").first(where: { _ in true }) { type = try r.codeableConcept(first) }
        let period = try r.period(n, "period")
        var location: String?
        if let first = try r.firstObject(n, "location"), let ref = try r.reference(first, "location") {
            if let reference = ref.reference, let target = resolve(reference, from: entry) {
                location = (try? r.string(target.node, "name")) ?? nil
            }
            if location == nil { location = ref.display }
        }
        var attending: ProviderReference?
        var firstIndividual: ProviderReference?
        for participant in try r.array(n, "participant") {
            guard doc.kind(participant) == .object else { throw r.wrongType(participant, "a participant object") }
            guard let individual = try provider(participant, "individual", entry: entry) else { continue }
            if firstIndividual == nil { firstIndividual = individual }
            var isAttending = false
            for t in try r.array(participant, "type") {
                guard doc.kind(t) == .object else { throw r.wrongType(t, "a CodeableConcept object") }
                for c in try r.array(t, "coding") where try r.coding(c)?.code == "ATND" { isAttending = true }
            }
            if isAttending, attending == nil { attending = individual }
        }
        var disposition: String?
        if let hospitalization = try r.object(n, "hospitalization") {
            disposition = try r.codeableConcept(hospitalization, "dischargeDisposition")?.label
        }
        var e = Encounter(
            encounterClass: encounterClass, type: type, status: status, start: period?.start, end: period?.end,
            attendingProvider: attending ?? firstIndividual, reason: try r.codeableConcepts(n, "reasonCode"))
        e.visitNumber = cleaned(visitNumber)
        e.location = cleaned(location)
        e.dischargeDisposition = cleaned(disposition)
        return e
    }

    /// `Immunization` → ``Immunization``: vaccineCode (CVX), status, occurrence[x], lot, manufacturer, dose,
    /// route, site, status reason.
    func immunization(_ n: Int, entry: Int) throws(FHIRError) -> Immunization {
        guard let vaccine = try r.codeableConcept(n, "vaccineCode") else {
            throw r.error(.missingElement, "expected Immunization.vaccineCode", node: n)
        }
        let status: Immunization.Status
        switch try r.string(n, "status") {
        case "completed": status = .completed
        case "not-done": status = .notDone
        case "entered-in-error": status = .enteredInError
        default: status = .unknown
        }
        var manufacturer: String?
        if let ref = try r.reference(n, "manufacturer") {
            if let reference = ref.reference, let target = resolve(reference, from: entry) { manufacturer = organization(target.node)?.facility }
            if manufacturer == nil { manufacturer = ref.display }
        }
        var i = Immunization(
            vaccine: vaccine, status: status, administeredAt: try choiceTime(n, "occurrence").start,
            dose: try r.quantity(n, "doseQuantity"), route: try r.codeableConcept(n, "route"), site: try r.codeableConcept(n, "site"),
            statusReason: try r.codeableConcept(n, "statusReason"))
        i.lotNumber = cleaned(try r.string(n, "lotNumber"))
        i.manufacturer = cleaned(manufacturer)
        i.sourceID = cleaned(try r.string(n, "id"))
        return i
    }

    /// `Procedure` → ``Procedure``: code, status, performed[x], first performer, first body site.
    func procedure(_ n: Int, entry: Int) throws(FHIRError) -> Procedure {
        guard let code = try r.codeableConcept(n, "code") else { throw r.error(.missingElement, "expected Procedure.code", node: n) }
        let status: Procedure.Status
        switch try r.string(n, "status") {
        case "preparation": status = .preparation
        case "in-progress", "on-hold": status = .inProgress
        case "not-done": status = .notDone
        case "stopped": status = .stopped
        case "completed": status = .completed
        case "entered-in-error": status = .enteredInError
        default: status = .unknown
        }
        let performed = try choiceTime(n, "performed")
        var performer: ProviderReference?
        if let first = try r.firstObject(n, "performer") { performer = try provider(first, "actor", entry: entry) }
        var bodySite: Code?
        if let first = try r.array(n, "bodySite").first(where: { _ in true }) { bodySite = try r.codeableConcept(first) }
        var p = Procedure(code: code, status: status, performedAt: performed.start, performedEnd: performed.end, performer: performer, bodySite: bodySite)
        p.sourceID = cleaned(try r.string(n, "id"))
        return p
    }
}
