internal import CLibXML
import Clinical

/// Sections of the structured body and their entries → clinical facts (C-CDA R2.1 entry templates:
/// Result Organizer/Observation 4.1/4.2, Vital Signs 4.26/4.27, Problem Concern 4.3/4.4, Medication
/// Activity 4.16, Allergy Concern 4.30/4.7, Immunization Activity 4.52, Encounter Activity 4.49,
/// Procedure Activity 4.12–4.14, Social History 4.38/4.78).
extension DocumentMapper {
    /// Recognizes one section and maps its entries.
    func read(section: XMLNode) {
        var kind: CCDASectionKind?
        var matchedBy = "unknown"
        for root in templateRoots(section) {
            if let k = CCDASectionKind.byTemplate[root] {
                kind = k
                matchedBy = "templateId"
                break
            }
        }
        let sectionCode = section.child("code")?.attribute("code")
        if kind == nil, let c = sectionCode, let k = CCDASectionKind.byLOINC[c] {
            kind = k
            matchedBy = "code"
        }
        let entries = section.children("entry")
        let label = kind?.rawValue ?? sectionCode ?? templateRoots(section).first ?? "\(report.sections.count + 1)"
        let position = "section[\(label)]"
        let before = facts.count
        if let kind {
            if entries.isEmpty {
                let reason = section.attribute("nullFlavor") != nil ? "section states no information (nullFlavor)" : "narrative only: section has no entries"
                report.skipped.append(.init(position: position, reason: reason, line: section.line))
                notes.append(MappingNote(.info, at: position, reason))
            }
            for (i, entry) in entries.enumerated() {
                read(entry: entry, in: kind, position: position + "/entry[\(i + 1)]")
            }
        } else if section.child("section") == nil {
            skip(position, "section not mapped (unknown templateId and code)", section)
        }
        report.sections.append(.init(kind: kind, matchedBy: matchedBy, code: sectionCode, line: section.line, entries: entries.count, factsMapped: facts.count - before))
    }

    private func add(_ body: FactBody, at position: String) {
        facts.append(ClinicalFact(subject: 0, body: body, provenance: provenance.at(position)))
    }

    private func read(entry: XMLNode, in kind: CCDASectionKind, position: String) {
        guard let act = entry.children.first(where: { _ in true }) else {
            skip(position, "narrative-only entry (no clinical statement)", entry)
            return
        }
        switch kind {
        case .results, .vitalSigns, .socialHistory:
            let category = kind == .results ? "laboratory" : kind == .vitalSigns ? "vital-signs" : "social-history"
            if act.isV3("organizer") {
                let panel = code(act.child("code"))
                let organizerTime = effectiveTimes(act, position: position + "/organizer").start
                var n = 0
                for component in act.children("component") {
                    guard let obs = component.child("observation") else { continue }
                    n += 1
                    observation(obs, category: category, panel: panel, fallbackTime: organizerTime, position: position + "/observation[\(n)]")
                }
                if n == 0 { skip(position, "organizer without observations", act) }
            } else if act.isV3("observation") {
                observation(act, category: category, panel: nil, fallbackTime: nil, position: position + "/observation[1]")
            } else {
                skip(position, "unsupported entry \(act.name) in \(kind.rawValue)", act)
            }
        case .problems:
            if act.isV3("act") {
                let concernStatus = act.child("statusCode")?.attribute("code")
                let concernTimes = effectiveTimes(act, position: position + "/act")
                var n = 0
                for relationship in act.children("entryRelationship") {
                    guard let obs = relationship.child("observation") else { continue }
                    n += 1
                    problem(obs, concernStatus: concernStatus, concernTimes: concernTimes, position: position + "/observation[\(n)]")
                }
                if n == 0 { skip(position, "problem concern without problem observation", act) }
            } else if act.isV3("observation") {
                problem(act, concernStatus: nil, concernTimes: (nil, nil), position: position + "/observation[1]")
            } else {
                skip(position, "unsupported entry \(act.name) in Problems", act)
            }
        case .medications:
            if act.isV3("substanceAdministration") {
                medication(act, position: position + "/substanceAdministration[1]")
            } else {
                skip(position, "unsupported entry \(act.name) in Medications", act)
            }
        case .allergies:
            if act.isV3("act") {
                let concernStatus = act.child("statusCode")?.attribute("code")
                var n = 0
                for relationship in act.children("entryRelationship") {
                    guard let obs = relationship.child("observation") else { continue }
                    n += 1
                    allergy(obs, concernStatus: concernStatus, position: position + "/observation[\(n)]")
                }
                if n == 0 { skip(position, "allergy concern without allergy observation", act) }
            } else if act.isV3("observation") {
                allergy(act, concernStatus: nil, position: position + "/observation[1]")
            } else {
                skip(position, "unsupported entry \(act.name) in Allergies", act)
            }
        case .immunizations:
            if act.isV3("substanceAdministration") {
                immunization(act, position: position + "/substanceAdministration[1]")
            } else {
                skip(position, "unsupported entry \(act.name) in Immunizations", act)
            }
        case .encounters:
            if act.isV3("encounter") {
                encounter(act, position: position + "/encounter[1]")
            } else {
                skip(position, "unsupported entry \(act.name) in Encounters", act)
            }
        case .procedures:
            if act.isV3("procedure") || act.isV3("observation") || act.isV3("act") {
                procedure(act, position: position + "/\(act.name)[1]")
            } else {
                skip(position, "unsupported entry \(act.name) in Procedures", act)
            }
        }
    }

    // MARK: Observations (results, vital signs, social history)

    private func observation(_ obs: XMLNode, category: String, panel: Code?, fallbackTime: ClinicalTime?, position: String) {
        if negated(obs) {
            skip(position, "negated observation (negationInd) not mapped", obs)
            return
        }
        guard let c = code(obs.child("code")) ?? entryText(obs.child("text")).map({ Code(system: nil, code: "", originalText: $0) }) else {
            skip(position, "observation without code", obs)
            return
        }
        let value = observationValue(obs.child("value"), position: position + "/value")
        var unit: String?
        if case .quantity(let q)? = value { unit = q.unit }
        if case .range(let low, let high)? = value { unit = low?.unit ?? high?.unit }
        var interpretation: [String] = []
        for child in obs.children where child.isV3("interpretationCode") {
            if let code = child.attribute("code") { interpretation.append(code) }
        }
        var referenceLow: Quantity?, referenceHigh: Quantity?, referenceText: String?
        if let range = obs.path("referenceRange", "observationRange") {
            if let v = range.child("value") {
                referenceLow = quantity(v.child("low"))
                referenceHigh = quantity(v.child("high"))
            }
            referenceText = entryText(range.child("text"))
            if referenceText == nil {
                switch (referenceLow, referenceHigh) {
                case let (low?, high?): referenceText = "\(low.text ?? String(low.value))-\(high.text ?? String(high.value))"
                case let (low?, nil): referenceText = ">=\(low.text ?? String(low.value))"
                case let (nil, high?): referenceText = "<=\(high.text ?? String(high.value))"
                default: break
                }
            }
        }
        let status: ResultStatus
        switch obs.child("statusCode")?.attribute("code")?.lowercased() {
        case "completed": status = .final
        case "active": status = .preliminary
        case "aborted", "cancelled": status = .cancelled
        case "nullified": status = .enteredInError
        case "new", "held", "suspended": status = .registered
        default: status = .unknown
        }
        let times = effectiveTimes(obs, position: position + "/effectiveTime")
        var observation = Observation(
            code: c, value: value, referenceLow: referenceLow, referenceHigh: referenceHigh, interpretation: interpretation,
            status: status, effectiveTime: times.start ?? fallbackTime,
            issued: obs.path("author", "time").flatMap { time($0.attribute("value"), $0, position: position + "/author/time") },
            category: category, panel: panel, performer: provider(obs.path("performer", "assignedEntity")))
        observation.unit = unit
        observation.referenceRange = referenceText
        observation.sourceID = identifier(obs.child("id"))
        add(.result(observation), at: position)
    }

    // MARK: Problems

    private static let problemStatusCodes: [String: Problem.Status] = ["55561003": .active, "73425007": .inactive, "413322009": .resolved, "246455001": .recurrence, "277022003": .remission]

    private func problem(_ obs: XMLNode, concernStatus: String?, concernTimes: (start: ClinicalTime?, end: ClinicalTime?), position: String) {
        guard let c = code(obs.child("value")) else {
            skip(position, "problem without a coded value", obs)
            return
        }
        let times = effectiveTimes(obs, position: position + "/effectiveTime")
        var status: Problem.Status?
        for relationship in obs.children("entryRelationship") {
            guard let statusObs = relationship.child("observation"), hasTemplate(statusObs, "2.16.840.1.113883.10.20.22.4.6") || statusObs.child("code")?.attribute("code", is: "33999-4") == true else { continue }
            if let value = statusObs.child("value")?.attribute("code") { status = Self.problemStatusCodes[value] }
        }
        if status == nil {
            switch concernStatus?.lowercased() {
            case "active": status = .active
            case "completed": status = (times.end ?? concernTimes.end) != nil ? .resolved : .inactive
            case "suspended", "aborted": status = .inactive
            default: status = times.end != nil ? .resolved : (concernStatus == nil ? .active : .unknown)
            }
        }
        var problem = Problem(
            code: c, status: status ?? .unknown, verification: negated(obs) ? .refuted : nil, category: "problem-list-item",
            onset: times.start ?? concernTimes.start, abatement: times.end,
            recordedAt: obs.path("author", "time").flatMap { time($0.attribute("value"), $0, position: position + "/author/time") })
        problem.sourceID = identifier(obs.child("id"))
        add(.problem(problem), at: position)
    }

    // MARK: Medications

    private func medication(_ sa: XMLNode, position: String) {
        if negated(sa) {
            skip(position, "negated medication (not taken) not mapped", sa)
            return
        }
        guard let c = code(sa.path("consumable", "manufacturedProduct", "manufacturedMaterial", "code")) else {
            skip(position, "medication without a drug code", sa)
            return
        }
        let status: Medication.Status
        switch sa.child("statusCode")?.attribute("code")?.lowercased() {
        case "active": status = .active
        case "completed": status = .completed
        case "aborted": status = .stopped
        case "suspended", "held": status = .onHold
        case "cancelled": status = .cancelled
        case "nullified": status = .enteredInError
        case "new": status = .draft
        default: status = .unknown
        }
        let times = effectiveTimes(sa, position: position + "/effectiveTime")
        let doseNode = sa.child("doseQuantity")
        var medication = Medication(
            code: c, status: status, dose: quantity(doseNode) ?? quantity(doseNode?.child("low")), route: code(sa.child("routeCode")),
            start: times.start, end: times.end, prescriber: provider(sa.path("author", "assignedAuthor")))
        medication.dosage = entryText(sa.child("text"))
        medication.frequency = frequency(sa)
        medication.sourceID = identifier(sa.child("id"))
        add(.medication(medication), at: position)
    }

    // MARK: Allergies

    private static let allergyTypes: [String: (type: String?, category: String?)] = [
        "420134006": (nil, nil), "418038007": (nil, nil), "419511003": (nil, "medication"), "418471000": (nil, "food"),
        "419199007": ("allergy", nil), "416098002": ("allergy", "medication"), "414285001": ("allergy", "food"),
        "59037007": ("intolerance", "medication"), "235719002": ("intolerance", "food"),
        "426232007": ("allergy", "environment"), "232347008": ("allergy", "environment"),
    ]
    private static let severities: [String: String] = ["255604002": "mild", "6736007": "moderate", "24484000": "severe", "399166001": "severe", "371923003": "mild", "371924009": "moderate"]
    private static let allergyStatusCodes: [String: Allergy.Status] = ["55561003": .active, "73425007": .inactive, "413322009": .resolved]

    private func allergy(_ obs: XMLNode, concernStatus: String?, position: String) {
        var substance: Code?
        for participant in obs.children("participant") {
            if let c = code(participant.path("participantRole", "playingEntity", "code")) {
                substance = c
                break
            }
        }
        guard let substance else {
            skip(position, negated(obs) ? "no known allergies (negated, no substance)" : "allergy without a coded substance", obs)
            return
        }
        let valueCode = obs.child("value")?.attribute("code") ?? ""
        let typeAndCategory = Self.allergyTypes[valueCode]
        var reactions: [Code] = []
        var severity: String?
        var status: Allergy.Status?
        for relationship in obs.children("entryRelationship") {
            guard let inner = relationship.child("observation") else { continue }
            if relationship.attribute("typeCode", is: "MFST") || hasTemplate(inner, "2.16.840.1.113883.10.20.22.4.9") {
                if let r = code(inner.child("value")) { reactions.append(r) }
                for nested in inner.children("entryRelationship") {
                    if severity == nil, let sev = nested.child("observation"), hasTemplate(sev, "2.16.840.1.113883.10.20.22.4.8") {
                        severity = severityWord(sev.child("value"))
                    }
                }
            } else if hasTemplate(inner, "2.16.840.1.113883.10.20.22.4.8") {
                severity = severityWord(inner.child("value"))
            } else if hasTemplate(inner, "2.16.840.1.113883.10.20.22.4.28") || inner.child("code")?.attribute("code", is: "33999-4") == true {
                status = inner.child("value")?.attribute("code").flatMap { Self.allergyStatusCodes[$0] }
            }
        }
        if negated(obs) {
            status = .refuted
        } else if status == nil {
            switch concernStatus?.lowercased() {
            case "active", nil: status = .active
            case "completed": status = .resolved
            case "suspended", "aborted": status = .inactive
            case "nullified": status = .enteredInError
            default: status = .unknown
            }
        }
        var allergy = Allergy(
            substance: substance, reactions: reactions, status: status ?? .unknown,
            onset: effectiveTimes(obs, position: position + "/effectiveTime").start)
        allergy.type = typeAndCategory?.type
        allergy.category = typeAndCategory?.category
        allergy.severity = severity
        allergy.sourceID = identifier(obs.child("id"))
        add(.allergy(allergy), at: position)
    }

    private func severityWord(_ value: XMLNode?) -> String? {
        guard let value else { return nil }
        if let c = value.attribute("code"), let word = Self.severities[c] { return word }
        return value.attribute("displayName")?.lowercased() ?? value.attribute("code")
    }

    // MARK: Immunizations

    private func immunization(_ sa: XMLNode, position: String) {
        let material = sa.path("consumable", "manufacturedProduct", "manufacturedMaterial")
        guard let vaccine = code(material?.child("code")) else {
            skip(position, "immunization without a vaccine code", sa)
            return
        }
        var status: Immunization.Status
        switch sa.child("statusCode")?.attribute("code")?.lowercased() {
        case "completed", "active": status = .completed
        case "nullified": status = .enteredInError
        case "cancelled", "aborted": status = .notDone
        default: status = .unknown
        }
        var reason: Code?
        if negated(sa) {
            status = .notDone
            for relationship in sa.children("entryRelationship") where relationship.attribute("typeCode", is: "RSON") {
                if let r = code(relationship.child("observation")?.child("code")) { reason = r }
            }
        }
        var immunization = Immunization(
            vaccine: vaccine, status: status, administeredAt: effectiveTimes(sa, position: position + "/effectiveTime").start,
            dose: quantity(sa.child("doseQuantity")), route: code(sa.child("routeCode")), site: code(sa.child("approachSiteCode")),
            statusReason: reason)
        immunization.lotNumber = material?.child("lotNumberText")?.text
        immunization.manufacturer = sa.path("consumable", "manufacturedProduct", "manufacturerOrganization", "name")?.text
        immunization.sourceID = identifier(sa.child("id"))
        add(.immunization(immunization), at: position)
    }

    // MARK: Encounters

    private static let actEncounterClasses: [String: Encounter.Class] = [
        "AMB": .outpatient, "IMP": .inpatient, "ACUTE": .inpatient, "NONAC": .inpatient, "EMER": .emergency,
        "OBSENC": .observation, "PRENC": .preadmit, "VR": .virtual, "HH": .outpatient, "FLD": .outpatient,
    ]

    private func encounter(_ node: XMLNode, position: String) {
        let type = code(node.child("code"))
        var encounterClass = Encounter.Class.unknown
        if let type {
            for coding in [type] + type.translations {
                if coding.system == CodeSystem.actCode, let c = Self.actEncounterClasses[coding.code.uppercased()] {
                    encounterClass = c
                    break
                }
                if coding.system == CodeSystem.cpt, let n = Int(coding.code) {
                    if (99201...99215).contains(n) { encounterClass = .outpatient; break }
                    if (99221...99239).contains(n) { encounterClass = .inpatient; break }
                    if (99281...99285).contains(n) { encounterClass = .emergency; break }
                }
            }
        }
        let status: Encounter.Status
        switch node.child("statusCode")?.attribute("code")?.lowercased() {
        case "completed": status = .finished
        case "active": status = .inProgress
        case "cancelled", "aborted": status = .cancelled
        case "nullified": status = .enteredInError
        case "new": status = .planned
        default: status = .unknown
        }
        var location: String?
        for participant in node.children("participant") where participant.attribute("typeCode", is: "LOC") {
            location = participant.path("participantRole", "playingEntity", "name")?.text ?? participant.path("participantRole", "code")?.attribute("displayName")
            if location != nil { break }
        }
        var reasons: [Code] = []
        for relationship in node.children("entryRelationship") {
            if let obs = relationship.child("observation"), relationship.attribute("typeCode", is: "RSON") {
                if let r = code(obs.child("value")) { reasons.append(r) }
            } else if let act = relationship.child("act") {
                for inner in act.children("entryRelationship") {
                    if let r = code(inner.child("observation")?.child("value")) { reasons.append(r) }
                }
            }
        }
        var disposition: String?
        for child in node.children where child.isSDTC("dischargeDispositionCode") {
            disposition = child.attribute("displayName") ?? child.attribute("code")
        }
        if type == nil && node.child("effectiveTime") == nil {
            skip(position, "encounter without code or time", node)
            return
        }
        let visit = node.children("id").first { $0.attribute("extension") != nil }?.attribute("extension")
        let times = effectiveTimes(node, position: position + "/effectiveTime")
        var encounter = Encounter(
            encounterClass: encounterClass, type: type, status: status, start: times.start, end: times.end,
            attendingProvider: provider(node.path("performer", "assignedEntity")), reason: reasons)
        encounter.visitNumber = visit
        encounter.location = location
        encounter.dischargeDisposition = disposition
        add(.encounter(encounter), at: position)
    }

    // MARK: Procedures

    private func procedure(_ node: XMLNode, position: String) {
        guard let c = code(node.child("code")) else {
            skip(position, "procedure without code", node)
            return
        }
        var status: Procedure.Status
        switch node.child("statusCode")?.attribute("code")?.lowercased() {
        case "completed": status = .completed
        case "active": status = .inProgress
        case "aborted": status = .stopped
        case "cancelled": status = .notDone
        case "nullified": status = .enteredInError
        case "new": status = .preparation
        default: status = .unknown
        }
        if negated(node) { status = .notDone }
        let times = effectiveTimes(node, position: position + "/effectiveTime")
        var procedure = Procedure(
            code: c, status: status, performedAt: times.start, performedEnd: times.end,
            performer: provider(node.path("performer", "assignedEntity")), bodySite: code(node.child("targetSiteCode")))
        procedure.sourceID = identifier(node.child("id"))
        add(.procedure(procedure), at: position)
    }
}
