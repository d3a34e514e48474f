import Clinical

/// Writes Concord's read side as FHIR R4 JSON: a unified record as a `collection` Bundle for
/// `Patient/$everything`, searchset Bundles for searches and `Patient/$match`, a lone Patient, and
/// `OperationOutcome`s for errors.
///
/// Resource ids are the index's ids made safe for FHIR (`[A-Za-z0-9-.]{1,64}`); every entry's fullUrl is
/// `baseURL/Type/id` and references are relative (`Patient/EP-1`), as R4 §2.36.4 resolves them against
/// a RESTful fullUrl. The writer is pure: no clocks, no I/O.
package enum FHIRWriter {
    /// The base used for fullUrls when the caller gives none.
    package static let defaultBaseURL = "http://concord.local/fhir"
    static let enterpriseIDSystem = "urn:concord:enterprise-id"
    static let provenanceTagSystem = "urn:concord:provenance"
    static let factStateSystem = "urn:concord:fact-state"
    static let duplicateTestSystem = "urn:concord:duplicate-test"

    // MARK: Bundles

    /// `Patient/$everything`: a `collection` Bundle with the enterprise Patient (linked to its source
    /// Patients), the source Patients, every fact as its resource (subject: the enterprise Patient,
    /// provenance as `meta.source`, `meta.tag`s and a `Provenance` resource), and each duplicate-test flag
    /// as a `DetectedIssue`.
    package static func patientEverything(_ record: UnifiedRecord, baseURL: String = defaultBaseURL) -> [UInt8] {
        let ep = record.patient
        let epID = fhirID(ep.id)
        var entries: [JSONValue] = []
        func add(_ type: String, _ id: String, _ resource: JSONValue) {
            entries.append(.obj(("fullUrl", .string("\(baseURL)/\(type)/\(id)")), ("resource", resource)))
        }
        add("Patient", epID, enterprisePatient(ep))
        for member in ep.members {
            let id = sourcePatientID(member)
            add("Patient", id, sourcePatient(member, id: id, enterpriseID: epID))
        }
        var factIDs: [String: String] = [:]
        for fact in record.facts {
            let (type, _) = resourceType(of: fact.body)
            factIDs[fact.id] = type + "/" + fhirID(fact.id)
        }
        for fact in record.facts {
            let (type, _) = resourceType(of: fact.body)
            let id = fhirID(fact.id)
            add(type, id, factResource(fact, id: id, patient: "Patient/" + epID))
            if let provenance = provenanceResource(fact, target: type + "/" + id) {
                add("Provenance", "prov-" + id, provenance)
            }
        }
        for flag in record.flags {
            let id = fhirID("dup-" + flag.id)
            add("DetectedIssue", id, detectedIssue(flag, id: id, patient: "Patient/" + epID, factIDs: factIDs))
        }
        return JSONValue.obj(
            ("resourceType", .string("Bundle")), ("id", .string(fhirID("everything-" + ep.id))), ("type", .string("collection")),
            ("total", nil), ("entry", .list(entries))
        ).serialized()
    }

    /// A `searchset` Bundle of enterprise Patients (`GET Patient?…`), `total` being the number of matches.
    package static func searchset(_ patients: [EnterprisePatient], total: Int, baseURL: String = defaultBaseURL) -> [UInt8] {
        let entries: [JSONValue] = patients.map { ep in
            .obj(
                ("fullUrl", .string("\(baseURL)/Patient/\(fhirID(ep.id))")), ("resource", enterprisePatient(ep)),
                ("search", .obj(("mode", .string("match")))))
        }
        return JSONValue.obj(
            ("resourceType", .string("Bundle")), ("type", .string("searchset")), ("total", .integer(total)),
            ("entry", .list(entries))
        ).serialized()
    }

    /// The answer to `Patient/$match`: a searchset whose entries carry the score and the
    /// `match-grade` extension (certain, probable, possible, certainly-not), best first as given.
    package static func matchResults(_ matches: [(EnterprisePatient, score: Double, grade: MatchGrade)], baseURL: String = defaultBaseURL) -> [UInt8] {
        let entries: [JSONValue] = matches.map { match in
            let score = min(max(match.score, 0), 1)
            return .obj(
                ("fullUrl", .string("\(baseURL)/Patient/\(fhirID(match.0.id))")), ("resource", enterprisePatient(match.0)),
                ("search", .obj(
                    ("extension", .array([.obj(
                        ("url", .string("http://hl7.org/fhir/StructureDefinition/match-grade")),
                        ("valueCode", .string(match.grade.rawValue)))])),
                    ("mode", .string("match")), ("score", JSONValue.decimal(score, text: nil)))))
        }
        return JSONValue.obj(
            ("resourceType", .string("Bundle")), ("type", .string("searchset")), ("total", .integer(matches.count)),
            ("entry", .list(entries))
        ).serialized()
    }

    /// The enterprise Patient alone (`GET Patient/{id}`).
    package static func patient(_ ep: EnterprisePatient) -> [UInt8] {
        enterprisePatient(ep).serialized()
    }

    /// An `OperationOutcome` for reading errors: one issue per error, with its code, position and path
    /// (FHIRError descriptions carry no patient data).
    package static func operationOutcome(_ errors: [FHIRError]) -> [UInt8] {
        let issues: [JSONValue] = errors.map { error in
            let issueCode = error.code == .wrongType || error.code == .invalidValue || error.code == .missingElement ? "structure" : "invalid"
            return .obj(
                ("severity", .string("error")), ("code", .string(issueCode)),
                ("details", .obj(("coding", .array([.obj(("system", .string("urn:concord:fhir-error")), ("code", .string(error.code.description)))])))),
                ("diagnostics", .string(error.description)),
                ("expression", error.path.flatMap { $0.isEmpty ? nil : JSONValue.array([.string($0)]) }))
        }
        return JSONValue.obj(("resourceType", .string("OperationOutcome")), ("issue", .list(issues))).serialized()
    }

    /// An `OperationOutcome` with one issue (`severity`: fatal|error|warning|information; `code`: an R4
    /// issue-type such as `not-found`, `forbidden`, `invalid`, `exception`).
    package static func operationOutcome(severity: String = "error", code: String, diagnostics: String) -> [UInt8] {
        JSONValue.obj(
            ("resourceType", .string("OperationOutcome")),
            ("issue", .array([.obj(("severity", .string(severity)), ("code", .string(code)), ("diagnostics", .text(diagnostics)))]))
        ).serialized()
    }

    // MARK: Patients

    static func enterprisePatient(_ ep: EnterprisePatient) -> JSONValue {
        var links: [JSONValue?] = []
        for member in ep.members {
            let type = member.explanation.method == "sourceMerge" ? "replaces" : "seealso"
            links.append(.obj(("other", .obj(("reference", .string("Patient/" + sourcePatientID(member))))), ("type", .string(type))))
        }
        let enterpriseIdentifier = JSONValue.obj(
            ("use", .string("official")), ("system", .string(enterpriseIDSystem)), ("value", .string(ep.id)))
        return patientResource(
            ep.golden, id: fhirID(ep.id), extraIdentifiers: [enterpriseIdentifier], metaSource: nil, links: .list(links),
            managingOrganization: nil)
    }

    static func sourcePatient(_ member: LinkedRecord, id: String, enterpriseID: String) -> JSONValue {
        let link = JSONValue.obj(("other", .obj(("reference", .string("Patient/" + enterpriseID)))), ("type", .string("refer")))
        return patientResource(
            member.record, id: id, extraIdentifiers: [], metaSource: sourceURI(member.record.source), links: .array([link]),
            managingOrganization: .obj(("display", .text(member.record.source.facility))))
    }

    static func sourcePatientID(_ member: LinkedRecord) -> String { fhirID("src-" + member.recordID) }

    static func patientResource(
        _ p: PatientRecord, id: String, extraIdentifiers: [JSONValue], metaSource: String?, links: JSONValue?,
        managingOrganization: JSONValue?
    ) -> JSONValue {
        var identifiers = extraIdentifiers
        for identifier in p.identifiers { identifiers.append(identifierValue(identifier)) }
        if let ssn = p.ssn {
            identifiers.append(.obj(
                ("type", concept(Code(system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "SS"))),
                ("system", .string("http://hl7.org/fhir/sid/us-ssn")), ("value", .string(ssn))))
        }
        var extensions: [JSONValue?] = []
        if !p.race.isEmpty { extensions.append(ombExtension(SubmissionMapper.raceURL, p.race)) }
        if !p.ethnicity.isEmpty { extensions.append(ombExtension(SubmissionMapper.ethnicityURL, p.ethnicity)) }
        if let maiden = p.mothersMaidenName {
            extensions.append(.obj(("url", .string(SubmissionMapper.mothersMaidenNameURL)), ("valueString", .string(maiden))))
        }
        let names: [JSONValue?] = p.names.map { name in
            .obj(
                ("use", nameUse(name.use)), ("family", .text(name.family)),
                ("given", .list(name.given.map { .string($0) })), ("prefix", .list(name.prefix.map { .string($0) })),
                ("suffix", .list(name.suffix.map { .string($0) })))
        }
        let telecoms: [JSONValue?] = p.telecoms.map { t in
            .obj(("system", .string(t.system.rawValue)), ("value", .text(t.value)), ("use", contactUse(t.use)))
        }
        let addresses: [JSONValue?] = p.addresses.map { a in
            .obj(
                ("use", addressUse(a.use)), ("line", .list(a.lines.map { .string($0) })), ("city", .text(a.city)),
                ("district", .text(a.district)), ("state", .text(a.state)), ("postalCode", .text(a.postalCode)),
                ("country", .text(a.country)))
        }
        var deceased: (String, JSONValue?) = ("deceasedBoolean", nil)
        if let time = p.deceasedTime {
            deceased = ("deceasedDateTime", .string(dateTime(time)))
        } else if let d = p.deceased {
            deceased = ("deceasedBoolean", .bool(d))
        }
        var multipleBirth: (String, JSONValue?) = ("multipleBirthBoolean", nil)
        if let order = p.birthOrder {
            multipleBirth = ("multipleBirthInteger", .integer(order))
        } else if let m = p.multipleBirth {
            multipleBirth = ("multipleBirthBoolean", .bool(m))
        }
        return .obj(
            ("resourceType", .string("Patient")), ("id", .string(id)),
            ("meta", metaSource.map { .obj(("source", .string($0))) }),
            ("extension", .list(extensions)), ("identifier", .list(identifiers)), ("active", .bool(true)),
            ("name", .list(names)), ("telecom", .list(telecoms)), ("gender", p.sex.map { .string($0.rawValue) }),
            ("birthDate", p.birthDate.map { .string(date($0)) }), deceased, ("address", .list(addresses)),
            ("maritalStatus", p.maritalStatus.map(concept)), multipleBirth,
            ("communication", p.language.map { .array([.obj(("language", concept($0)))]) }),
            ("generalPractitioner", p.generalPractitioner.map { .array([reference(display: $0.label)]) }),
            ("managingOrganization", managingOrganization), ("link", links))
    }

    static func identifierValue(_ identifier: PatientIdentifier) -> JSONValue {
        var system: String?
        if let universal = identifier.authority.universalID {
            system = CodeSystem.isOID(universal) ? "urn:oid:" + universal : universal
        }
        return .obj(
            ("type", identifier.type.map { concept(Code(system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: $0)) }),
            ("system", system.flatMap { isURI($0) ? .string($0) : nil }), ("value", .string(identifier.value)),
            ("assigner", identifier.authority.namespace.map { .obj(("display", .string($0))) }))
    }

    static func ombExtension(_ url: String, _ codes: [Code]) -> JSONValue {
        var subs: [JSONValue?] = codes.map { code in
            let isOMB = code.code.hasPrefix("2106-3") || ["1002-5", "2028-9", "2054-5", "2076-8", "2106-3", "2131-1", "2135-2", "2186-5"].contains(code.code)
            return .obj(("url", .string(isOMB ? "ombCategory" : "detailed")), ("valueCoding", coding(code)))
        }
        subs.append(.obj(("url", .string("text")), ("valueString", .string(codes.map(\.label).joined(separator: ", ")))))
        return .obj(("url", .string(url)), ("extension", .list(subs)))
    }

    // MARK: Facts

    static func resourceType(of body: FactBody) -> (String, String) {
        switch body {
        case .result: return ("Observation", "subject")
        case .order: return ("ServiceRequest", "subject")
        case .problem: return ("Condition", "subject")
        case .medication: return ("MedicationStatement", "subject")
        case .allergy: return ("AllergyIntolerance", "patient")
        case .encounter: return ("Encounter", "subject")
        case .immunization: return ("Immunization", "patient")
        case .procedure: return ("Procedure", "subject")
        }
    }

    static func factMeta(_ fact: UnifiedFact) -> JSONValue {
        var tags: [JSONValue?] = fact.provenances.map { p in
            .obj(("system", .string(provenanceTagSystem)), ("code", .string(p.format.rawValue)), ("display", .string(p.description)))
        }
        tags.append(.obj(("system", .string(factStateSystem)), ("code", .string(fact.state))))
        return .obj(("source", fact.provenances.first.map { .string(sourceURI($0.source)) }), ("tag", .list(tags)))
    }

    static func factResource(_ fact: UnifiedFact, id: String, patient: String) -> JSONValue {
        let (type, subjectKey) = resourceType(of: fact.body)
        let head: [(String, JSONValue?)] = [
            ("resourceType", .string(type)), ("id", .string(id)), ("meta", factMeta(fact)),
        ]
        let subject: (String, JSONValue?) = (subjectKey, .obj(("reference", .string(patient))))
        var members: [(String, JSONValue?)]
        switch fact.body {
        case .result(let o): members = observation(o, subject: subject)
        case .order(let o): members = serviceRequest(o, subject: subject)
        case .problem(let p): members = condition(p, subject: subject)
        case .medication(let m): members = medicationStatement(m, subject: subject)
        case .allergy(let a): members = allergyIntolerance(a, subject: subject)
        case .encounter(let e): members = encounter(e, subject: subject)
        case .immunization(let i): members = immunization(i, subject: subject)
        case .procedure(let p): members = procedure(p, subject: subject)
        }
        members = head + members
        return .object(members.compactMap { key, value in
            guard let value, !value.isEmpty else { return nil }
            return (key, value)
        })
    }

    static func observation(_ o: Observation, subject: (String, JSONValue?)) -> [(String, JSONValue?)] {
        var value: (String, JSONValue?) = ("valueString", nil)
        switch o.value {
        case .quantity(let q)?: value = ("valueQuantity", quantity(q))
        case .text(let t)?: value = ("valueString", .text(t))
        case .coded(let c)?: value = ("valueCodeableConcept", concept(c))
        case .boolean(let b)?: value = ("valueBoolean", .bool(b))
        case .range(let low, let high)?: value = ("valueRange", .obj(("low", low.flatMap(quantity)), ("high", high.flatMap(quantity))))
        case .ratio(let n, let d)?: value = ("valueRatio", .obj(("numerator", quantity(n)), ("denominator", quantity(d))))
        case .time(let t)?: value = ("valueDateTime", .string(dateTime(t)))
        case nil: break
        }
        let status: String
        switch o.status {
        case .enteredInError: status = "entered-in-error"
        default: status = o.status.rawValue
        }
        var identifiers: [JSONValue?] = []
        if let filler = o.fillerOrderNumber {
            identifiers.append(.obj(("type", concept(Code(system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "FILL"))), ("value", .string(filler))))
        }
        if let placer = o.placerOrderNumber {
            identifiers.append(.obj(("type", concept(Code(system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "PLAC"))), ("value", .string(placer))))
        }
        let range: JSONValue? = o.referenceRange == nil && o.referenceLow == nil && o.referenceHigh == nil ? nil
            : .array([.obj(("low", o.referenceLow.flatMap(quantity)), ("high", o.referenceHigh.flatMap(quantity)), ("text", .text(o.referenceRange)))])
        var notes: [JSONValue?] = []
        if let note = o.note { notes.append(.obj(("text", .string(note)))) }
        if let panel = o.panel { notes.append(.obj(("text", .string("panel: " + panel.label)))) }
        return [
            ("identifier", .list(identifiers)), ("status", .string(status)),
            ("category", o.category.map { .array([.obj(("coding", .array([.obj(
                ("system", .string("http://terminology.hl7.org/CodeSystem/observation-category")), ("code", .string($0)))])))]) }),
            ("code", concept(o.code)), subject, ("effectiveDateTime", o.effectiveTime.map { .string(dateTime($0)) }),
            ("issued", o.issued.flatMap(instant).map { .string($0) }),
            ("performer", o.performer.map { .array([reference(display: $0.label)]) }), value,
            ("interpretation", .list(o.interpretation.map { code in .obj(("coding", .array([.obj(
                ("system", .string(CodeSystem.observationInterpretation)), ("code", .string(code)))])))
            })),
            ("note", .list(notes)), ("referenceRange", range),
        ]
    }

    static func serviceRequest(_ o: Order, subject: (String, JSONValue?)) -> [(String, JSONValue?)] {
        let status: String
        switch o.status {
        case .new: status = "draft"
        case .inProgress: status = "active"
        case .completed: status = "completed"
        case .cancelled: status = "revoked"
        case .onHold: status = "on-hold"
        case .enteredInError: status = "entered-in-error"
        case .unknown: status = "unknown"
        }
        var identifiers: [JSONValue?] = []
        if let placer = o.placerOrderNumber {
            identifiers.append(.obj(("type", concept(Code(system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "PLAC"))), ("value", .string(placer))))
        }
        if let filler = o.fillerOrderNumber {
            identifiers.append(.obj(("type", concept(Code(system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "FILL"))), ("value", .string(filler))))
        }
        let priority = o.priority.flatMap { ["routine", "urgent", "asap", "stat"].contains($0) ? JSONValue.string($0) : nil }
        return [
            ("identifier", .list(identifiers)), ("status", .string(status)), ("intent", .string("order")), ("priority", priority),
            ("code", concept(o.code)), subject, ("occurrenceDateTime", o.scheduledFor.map { .string(dateTime($0)) }),
            ("authoredOn", o.orderedAt.map { .string(dateTime($0)) }),
            ("requester", o.orderingProvider.map { reference(display: $0.label) }),
            ("reasonCode", .list(o.reason.map(concept))),
        ]
    }

    static func condition(_ p: Problem, subject: (String, JSONValue?)) -> [(String, JSONValue?)] {
        let enteredInError = p.verification == .enteredInError
        let clinical: JSONValue? = p.status == .unknown || enteredInError ? nil
            : concept(Code(system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: p.status.rawValue))
        let verification = p.verification.map {
            concept(Code(system: "http://terminology.hl7.org/CodeSystem/condition-ver-status", code: $0 == .enteredInError ? "entered-in-error" : $0.rawValue))
        }
        return [
            ("clinicalStatus", clinical), ("verificationStatus", verification),
            ("category", p.category.map { .array([concept(Code(system: "http://terminology.hl7.org/CodeSystem/condition-category", code: $0))]) }),
            ("code", concept(p.code)), subject, ("onsetDateTime", p.onset.map { .string(dateTime($0)) }),
            ("abatementDateTime", p.abatement.map { .string(dateTime($0)) }), ("recordedDate", p.recordedAt.map { .string(dateTime($0)) }),
        ]
    }

    /// A choice element `<name>DateTime` when only a start is known, `<name>Period` when an end is.
    static func dateTimeOrPeriod(_ name: String, start: ClinicalTime?, end: ClinicalTime?) -> (String, JSONValue?) {
        if end != nil {
            return (name + "Period", .obj(("start", start.map { .string(dateTime($0)) }), ("end", end.map { .string(dateTime($0)) })))
        }
        return (name + "DateTime", start.map { .string(dateTime($0)) })
    }

    static func medicationStatement(_ m: Medication, subject: (String, JSONValue?)) -> [(String, JSONValue?)] {
        let status: String
        switch m.status {
        case .active: status = "active"
        case .completed: status = "completed"
        case .stopped: status = "stopped"
        case .onHold: status = "on-hold"
        case .cancelled: status = "not-taken"
        case .draft: status = "intended"
        case .enteredInError: status = "entered-in-error"
        case .unknown: status = "unknown"
        }
        let effective = dateTimeOrPeriod("effective", start: m.start, end: m.end)
        let dosageText = m.dosage ?? m.frequency
        let dosage: JSONValue = .obj(
            ("text", .text(dosageText)), ("route", m.route.map(concept)),
            ("doseAndRate", m.dose.flatMap(quantity).map { .array([.obj(("doseQuantity", $0))]) }))
        return [
            ("status", .string(status)), ("medicationCodeableConcept", concept(m.code)), subject, effective,
            ("informationSource", m.prescriber.map { reference(display: $0.label) }), ("dosage", .list([dosage])),
        ]
    }

    static func allergyIntolerance(_ a: Allergy, subject: (String, JSONValue?)) -> [(String, JSONValue?)] {
        var clinical: String?
        var verification: String?
        switch a.status {
        case .active, .inactive, .resolved: clinical = a.status.rawValue
        case .refuted: verification = "refuted"
        case .enteredInError: verification = "entered-in-error"
        case .unknown: break
        }
        let type = a.type.flatMap { ["allergy", "intolerance"].contains($0) ? JSONValue.string($0) : nil }
        let category = a.category.flatMap { ["food", "medication", "environment", "biologic"].contains($0) ? JSONValue.array([.string($0)]) : nil }
        let severity = a.severity.flatMap { ["mild", "moderate", "severe"].contains($0) ? JSONValue.string($0) : nil }
        let criticality = a.severity.flatMap { ["low", "high", "unable-to-assess"].contains($0) ? JSONValue.string($0) : nil }
        let reaction: JSONValue? = a.reactions.isEmpty ? nil
            : .array([.obj(("manifestation", .list(a.reactions.map(concept))), ("severity", severity))])
        return [
            ("clinicalStatus", clinical.map { concept(Code(system: "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", code: $0)) }),
            ("verificationStatus", verification.map { concept(Code(system: "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", code: $0)) }),
            ("type", type), ("category", category), ("criticality", criticality), ("code", concept(a.substance)), subject,
            ("onsetDateTime", a.onset.map { .string(dateTime($0)) }), ("reaction", reaction),
        ]
    }

    static func encounter(_ e: Encounter, subject: (String, JSONValue?)) -> [(String, JSONValue?)] {
        let status: String
        switch e.status {
        case .planned: status = "planned"
        case .arrived: status = "arrived"
        case .inProgress: status = "in-progress"
        case .finished: status = "finished"
        case .cancelled: status = "cancelled"
        case .enteredInError: status = "entered-in-error"
        case .unknown: status = "unknown"
        }
        let classCoding: JSONValue
        switch e.encounterClass {
        case .inpatient: classCoding = coding(Code(system: CodeSystem.actCode, code: "IMP", display: "inpatient encounter"))
        case .outpatient: classCoding = coding(Code(system: CodeSystem.actCode, code: "AMB", display: "ambulatory"))
        case .emergency: classCoding = coding(Code(system: CodeSystem.actCode, code: "EMER", display: "emergency"))
        case .observation: classCoding = coding(Code(system: CodeSystem.actCode, code: "OBSENC", display: "observation encounter"))
        case .preadmit: classCoding = coding(Code(system: CodeSystem.actCode, code: "PRENC", display: "pre-admission"))
        case .virtual: classCoding = coding(Code(system: CodeSystem.actCode, code: "VR", display: "virtual"))
        case .recurring, .unknown:
            classCoding = coding(Code(system: "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", code: "UNK", display: "unknown"))
        }
        let period: JSONValue? = e.start == nil && e.end == nil ? nil
            : .obj(("start", e.start.map { .string(dateTime($0)) }), ("end", e.end.map { .string(dateTime($0)) }))
        let participant: JSONValue? = e.attendingProvider.map { provider in
            .array([.obj(
                ("type", .array([concept(Code(system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "ATND", display: "attender"))])),
                ("individual", reference(display: provider.label)))])
        }
        return [
            ("identifier", e.visitNumber.map { .array([.obj(("value", .string($0)))]) }), ("status", .string(status)),
            ("class", classCoding), ("type", e.type.map { .array([concept($0)]) }), subject, ("participant", participant),
            ("period", period), ("reasonCode", .list(e.reason.map(concept))),
            ("hospitalization", e.dischargeDisposition.map { .obj(("dischargeDisposition", .obj(("text", .string($0))))) }),
            ("location", e.location.map { .array([.obj(("location", reference(display: $0)))]) }),
        ]
    }

    static func immunization(_ i: Immunization, subject: (String, JSONValue?)) -> [(String, JSONValue?)] {
        let status: String
        switch i.status {
        case .completed: status = "completed"
        case .notDone: status = "not-done"
        case .enteredInError: status = "entered-in-error"
        case .unknown: status = "completed"
        }
        let occurrence: (String, JSONValue?) = i.administeredAt.map { ("occurrenceDateTime", .string(dateTime($0))) }
            ?? ("occurrenceString", .string("unknown"))
        return [
            ("status", .string(status)), ("statusReason", i.statusReason.map(concept)), ("vaccineCode", concept(i.vaccine)),
            subject, occurrence, ("manufacturer", i.manufacturer.map { reference(display: $0) }),
            ("lotNumber", .text(i.lotNumber)), ("site", i.site.map(concept)), ("route", i.route.map(concept)),
            ("doseQuantity", i.dose.flatMap(quantity)),
        ]
    }

    static func procedure(_ p: Procedure, subject: (String, JSONValue?)) -> [(String, JSONValue?)] {
        let status: String
        switch p.status {
        case .preparation: status = "preparation"
        case .inProgress: status = "in-progress"
        case .completed: status = "completed"
        case .notDone: status = "not-done"
        case .stopped: status = "stopped"
        case .enteredInError: status = "entered-in-error"
        case .unknown: status = "unknown"
        }
        let performed = dateTimeOrPeriod("performed", start: p.performedAt, end: p.performedEnd)
        return [
            ("status", .string(status)), ("code", concept(p.code)), subject, performed,
            ("performer", p.performer.map { .array([.obj(("actor", reference(display: $0.label)))]) }),
            ("bodySite", p.bodySite.map { .array([concept($0)]) }),
        ]
    }

    /// A `Provenance` for a fact: one entity per place the fact arrived from (message id and position),
    /// one agent per source system. Written only when a source said when it recorded the fact, because
    /// `Provenance.recorded` is required and the writer does not invent times.
    static func provenanceResource(_ fact: UnifiedFact, target: String) -> JSONValue? {
        guard let recorded = fact.provenances.compactMap(\.recordedAt).first else { return nil }
        var agents: [JSONValue?] = []
        var seen: Set<String> = []
        for p in fact.provenances where seen.insert(p.source.key).inserted {
            agents.append(.obj(
                ("type", concept(Code(system: "http://terminology.hl7.org/CodeSystem/provenance-participant-type", code: "author"))),
                ("who", .obj(("identifier", p.source.facilityID.map { .obj(("value", .string($0))) }), ("display", .string(p.source.description))))))
        }
        let entities: [JSONValue?] = fact.provenances.map { p in
            .obj(
                ("role", .string("source")),
                ("what", .obj(
                    ("identifier", p.messageID.map { .obj(("system", .string("urn:concord:message-id:" + p.format.rawValue)), ("value", .string($0))) }),
                    ("display", .string(p.description)))))
        }
        return .obj(
            ("resourceType", .string("Provenance")), ("id", .string(fhirID("prov-" + fact.id))),
            ("target", .array([.obj(("reference", .string(target)))])), ("recorded", .string(instantUTC(recorded))),
            ("agent", .list(agents)), ("entity", .list(entities)))
    }

    static func detectedIssue(_ flag: DuplicateTestFlag, id: String, patient: String, factIDs: [String: String]) -> JSONValue {
        let status = flag.status == "dismissed" ? "cancelled" : "final"
        let implicated: [JSONValue?] = [flag.earlier, flag.later].map { test in
            if let ref = factIDs[test.factID] { return .obj(("reference", .string(ref)), ("display", .string(test.code.label))) }
            return reference(display: test.code.label)
        }
        func side(_ t: FlaggedTest) -> String {
            "\(t.time?.iso8601 ?? "unknown date") at \(t.provenance.source.facility)" + (t.value.map { " (value \($0))" } ?? "")
        }
        let detail = "\(flag.test.label) repeated \(String(format: "%.1f", flag.daysApart)) days apart, inside its minimum retest interval of \(flag.intervalDays) days: first \(side(flag.earlier)), then \(side(flag.later))."
        return .obj(
            ("resourceType", .string("DetectedIssue")), ("id", .string(id)),
            ("identifier", .array([.obj(("system", .string("urn:concord:duplicate-test-flag")), ("value", .string(flag.id)))])),
            ("status", .string(status)),
            ("code", .obj(
                ("coding", .array([.obj(("system", .string(duplicateTestSystem)), ("code", .string(flag.kind.rawValue)))])),
                ("text", .string(flag.kind == .repeatedResult ? "Duplicate test result" : "Avoidable repeat order")))),
            ("severity", .string("moderate")), ("patient", .obj(("reference", .string(patient)))),
            ("identifiedDateTime", flag.later.time.map { .string(dateTime($0)) }),
            ("implicated", .list(implicated)), ("detail", .string(detail)))
    }

    // MARK: Data types

    static func coding(_ code: Code) -> JSONValue {
        .obj(("system", code.system.flatMap { isURI($0) ? .string($0) : nil }), ("code", .text(code.code)), ("display", .text(code.display)))
    }

    static func concept(_ code: Code) -> JSONValue {
        let codings: [JSONValue?] = code.system == nil && code.originalText == code.code ? [] : code.allCodings.map(coding)
        let concept = JSONValue.obj(("coding", .list(codings)), ("text", .text(code.originalText)))
        // Required concepts (Observation.code …) must not vanish: an empty one keeps its label as text.
        return concept.isEmpty ? .obj(("text", .string(code.label.isEmpty ? "unknown" : code.label))) : concept
    }

    static func quantity(_ q: Quantity) -> JSONValue? {
        guard let value = JSONValue.decimal(q.value, text: q.text) else { return nil }
        let comparator = q.comparator.flatMap { ["<", "<=", ">=", ">"].contains($0) ? JSONValue.string($0) : nil }
        return .obj(("value", value), ("comparator", comparator), ("unit", .text(q.unit)))
    }

    static func reference(display: String) -> JSONValue { .obj(("display", .string(display))) }

    /// FHIR name-use: the model's `temporary` is `temp`, `alias` is a `usual` name, `unknown` is left out.
    static func nameUse(_ use: NameUse) -> JSONValue? {
        switch use {
        case .official, .usual, .nickname, .maiden, .old, .anonymous: return .string(use.rawValue)
        case .temporary: return .string("temp")
        case .alias: return .string("usual")
        case .unknown: return nil
        }
    }

    static func contactUse(_ use: String?) -> JSONValue? {
        guard let use, ["home", "work", "temp", "old", "mobile"].contains(use) else { return nil }
        return .string(use)
    }

    static func addressUse(_ use: String?) -> JSONValue? {
        guard let use, ["home", "work", "temp", "old", "billing"].contains(use) else { return nil }
        return .string(use)
    }

    /// A FHIR `date` (at most day precision).
    static func date(_ t: ClinicalTime) -> String {
        if t.precision > .day, let d = t.date { return d.iso8601 }
        return t.iso8601
    }

    /// A FHIR `dateTime`: R4 requires a zone with a time, so a time the source gave without one is
    /// written as UTC (how ``ClinicalTime`` reads it).
    static func dateTime(_ t: ClinicalTime) -> String {
        t.precision >= .hour && t.offsetMinutes == nil ? t.iso8601 + "Z" : t.iso8601
    }

    /// A FHIR `instant` (seconds and zone required), or `nil` for a less precise time.
    static func instant(_ t: ClinicalTime) -> String? {
        t.precision >= .second ? dateTime(t) : nil
    }

    /// The start of a time's interval as an `instant` in UTC.
    static func instantUTC(_ t: ClinicalTime) -> String {
        if let exact = instant(t) { return exact }
        return ClinicalTime.from(t.instant).iso8601
    }

    /// A source system as a `uri` for `meta.source`: its facility id when that is a URI or OID, else a
    /// `urn:concord:source:` name.
    static func sourceURI(_ source: SourceSystem) -> String {
        if let id = source.facilityID {
            if CodeSystem.isOID(id) { return "urn:oid:" + id }
            if isURI(id), id.contains(":") { return id }
        }
        var safe = ""
        for scalar in source.facility.unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "." {
                safe.unicodeScalars.append(scalar)
            } else if !safe.hasSuffix("-") {
                safe += "-"
            }
        }
        return "urn:concord:source:" + (safe.isEmpty ? "unknown" : safe)
    }

    /// Whether text can be a FHIR `uri` (no white space).
    static func isURI(_ text: String) -> Bool {
        !text.isEmpty && !text.unicodeScalars.contains { $0.properties.isWhitespace }
    }

    /// An id made valid for FHIR (`[A-Za-z0-9\-\.]{1,64}`): other characters become `-`; longer ids keep
    /// their first 55 characters plus a hash of the whole.
    package static func fhirID(_ raw: String) -> String {
        var id = ""
        for byte in raw.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII, c.isLetter || c.isNumber || c == "-" || c == "." { id.append(c) } else { id.append("-") }
        }
        if id.isEmpty { return "x" }
        guard id.utf8.count > 64 else { return id }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in raw.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(id.prefix(55)) + "-" + String(hash & 0xFFFF_FFFF, radix: 16)
    }
}
