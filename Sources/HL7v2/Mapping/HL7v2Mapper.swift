import Clinical

/// Maps a parsed HL7 v2 message to the clinical model: ``submission(from:)``.
///
/// Supported: ADT A01/A02/A03/A04/A05/A08/A11/A13/A28/A31 (PID, PD1, PV1/PV2 → Encounter, AL1 → Allergy,
/// DG1 → Problem; NK1 is noted, the model has no next-of-kin), ADT A40 (PID + MRG → ``PatientMerge``),
/// ORU^R01 (ORC/OBR/OBX/NTE → Observations), ORM^O01 and OML^O21 (ORC/OBR → Orders), VXU^V04
/// (RXA/RXR → Immunizations). Positions in provenance: `PID`, `PV1`, `AL1[2]`, `DG1[1]`, `MRG`,
/// `OBR[1]/OBX[3]` (occurrences counted over the whole message, so `message["OBX[3]-5"]` finds it).
///
/// The source is `SourceSystem(facility: MSH-4.1 (HD.2 when .1 is empty), application: MSH-3.1,
/// facilityID: MSH-4.2)`. Coding systems go through `Code(system:…)`, which canonicalizes v2 names
/// (`LN` → LOINC). Missing what the mapping needs (no PID, empty PID-3, no MRG) and unsupported types
/// throw ``HL7MappingError`` carrying the table 0357 code and location for the AE's ERR segment.
package enum HL7v2Mapper {
    /// ADT trigger events mapped to patient events.
    static let adtEvents: [String: PatientEvent] = [
        "A01": .admit, "A02": .transfer, "A03": .discharge, "A04": .register, "A05": .preadmit, "A08": .update,
        "A11": .cancelAdmit, "A13": .cancelDischarge, "A28": .register, "A31": .update, "A40": .merge,
    ]

    /// The message as a submission. Throws when the type is unsupported or what the mapping needs is missing.
    package static func submission(from message: HL7Message) throws(HL7MappingError) -> Submission {
        let msh = message.msh
        let code = msh.messageCode ?? ""
        var trigger = msh.triggerEvent ?? ""
        if trigger.isEmpty, let evn = message.first(EVNSegment.self) { trigger = evn.eventTypeCode.trimmed?.uppercased() ?? "" }
        let typeLocation = HL7ErrorLocation(segment: "MSH", sequence: 1, segmentIndex: 1, field: 9, component: 1)
        let eventLocation = HL7ErrorLocation(segment: "MSH", sequence: 1, segmentIndex: 1, field: 9, component: 2)

        let facilityHD = msh.sendingFacility
        let facility = facilityHD.component(1).trimmed ?? facilityHD.component(2).trimmed ?? msh.sendingApplication.component(1).trimmed ?? "UNKNOWN"
        // Values are trimmed already; they are set directly because the initializers' blank checks go through
        // Foundation's slow `trimmingCharacters`.
        var source = SourceSystem(facility: "")
        source.facility = facility
        source.application = msh.sendingApplication.component(1).trimmed
        source.facilityID = facilityHD.component(2).trimmed
        let createdAt = HL7DataTypes.time(msh.dateTimeOfMessage)
        let messageID = msh.messageControlID.trimmed
        var provenance = Provenance(source: source, format: .hl7v2, recordedAt: createdAt)
        provenance.messageID = messageID
        var submission = Submission(format: .hl7v2, source: source, messageType: trigger.isEmpty ? code : code + "^" + trigger, createdAt: createdAt)
        submission.messageID = messageID
        submission.facts.reserveCapacity(message.segmentCount)
        var context = Context(message: message, provenance: provenance, submission: submission)

        switch code {
        case "ADT":
            guard let event = adtEvents[trigger] else {
                throw HL7MappingError(.unsupportedEvent, "ADT trigger event is not supported", location: eventLocation)
            }
            context.submission.event = event
            if event == .merge { try mapMerge(&context) } else { try mapADT(&context, trigger: trigger) }
        case "ORU":
            guard trigger == "R01" else { throw HL7MappingError(.unsupportedEvent, "only ORU^R01 is supported", location: eventLocation) }
            try mapResults(&context)
        case "ORM", "OML":
            guard (code == "ORM" && trigger == "O01") || (code == "OML" && trigger == "O21") else {
                throw HL7MappingError(.unsupportedEvent, "only ORM^O01 and OML^O21 are supported", location: eventLocation)
            }
            try mapOrders(&context)
        case "VXU":
            guard trigger == "V04" else { throw HL7MappingError(.unsupportedEvent, "only VXU^V04 is supported", location: eventLocation) }
            try mapImmunizations(&context)
        default:
            throw HL7MappingError(.unsupportedMessageType, "message type is not supported", location: typeLocation)
        }
        for index in 0..<message.segmentCount where message.nameCode(at: index) >> 16 == UInt32(UInt8(ascii: "Z")) {
            guard let segment = message.segment(at: index) else { continue }
            context.submission.notes.append(MappingNote(.info, at: segment.position, "Z-segment kept in the message, not mapped"))
        }
        return context.submission
    }

    static let pidCode = HL7Message.pack("PID"), orcCode = HL7Message.pack("ORC"), obrCode = HL7Message.pack("OBR")
    static let obxCode = HL7Message.pack("OBX"), nteCode = HL7Message.pack("NTE"), rxaCode = HL7Message.pack("RXA")

    struct Context {
        let message: HL7Message
        let provenance: Provenance
        var submission: Submission

        mutating func fact(_ subject: Int, _ body: FactBody, at position: String) {
            submission.facts.append(ClinicalFact(subject: subject, body: body, provenance: provenance.at(position)))
        }
    }

    // MARK: Patient

    /// PID (and the PD1 that follows it) as a patient record.
    static func patient(_ pid: PIDSegment, pd1: HL7Segment?, context: Context) throws(HL7MappingError) -> PatientRecord {
        let position = pid.segment.position
        var identifiers: [PatientIdentifier] = []
        var ssn: String?
        for rep in pid.patientIdentifierList.repetitions + pid.patientID.repetitions {
            guard let id = HL7DataTypes.identifier(rep) else { continue }
            if id.type == "SS" || id.type == "SSN" || id.authority.key == AssigningAuthority.ssa.key.lowercased() {
                ssn = ssn ?? id.value
                continue
            }
            if !identifiers.contains(id) { identifiers.append(id) }
        }
        if identifiers.isEmpty && ssn == nil {
            throw HL7MappingError(.missingField, "PID-3 (patient identifier list) is empty", location: pid.segment.location(field: 3))
        }
        if let pidSSN = pid.ssnNumber.component(1).trimmed { ssn = ssn ?? pidSSN }
        var names: [PersonName] = []
        for (k, rep) in pid.patientName.repetitions.enumerated() {
            if let name = HL7DataTypes.name(rep, isFirst: k == 0) { names.append(name) }
        }
        // Official name first, otherwise the sender's order.
        if let official = names.firstIndex(where: { $0.use == .official }), official > 0 {
            names.insert(names.remove(at: official), at: 0)
        }
        let sex: AdministrativeSex?
        switch pid.administrativeSex.component(1).trimmed?.uppercased() {
        case "F": sex = .female
        case "M": sex = .male
        case "O", "A": sex = .other
        case "U", "N": sex = .unknown
        default: sex = nil
        }
        var telecoms: [Telecom] = []
        for rep in pid.phoneNumberHome.repetitions { if let t = HL7DataTypes.telecom(rep, defaultUse: "home") { telecoms.append(t) } }
        for rep in pid.phoneNumberBusiness.repetitions { if let t = HL7DataTypes.telecom(rep, defaultUse: "work") { telecoms.append(t) } }
        let deathTime = HL7DataTypes.time(pid.patientDeathDateTime)
        let deathIndicator = yesNo(pid.patientDeathIndicator.component(1).trimmed)
        var record = PatientRecord(
            source: context.submission.source, identifiers: identifiers, names: names,
            birthDate: HL7DataTypes.time(pid.dateTimeOfBirth), sex: sex,
            addresses: pid.patientAddress.repetitions.compactMap(HL7DataTypes.address), telecoms: telecoms,
            multipleBirth: yesNo(pid.multipleBirthIndicator.component(1).trimmed),
            birthOrder: pid.birthOrder.component(1).trimmed.flatMap { Int($0) },
            deceased: deathIndicator ?? (deathTime != nil ? true : nil), deceasedTime: deathTime,
            race: pid.race.repetitions.compactMap(HL7DataTypes.code), ethnicity: pid.ethnicGroup.repetitions.compactMap(HL7DataTypes.code),
            language: HL7DataTypes.code(pid.primaryLanguage), maritalStatus: HL7DataTypes.code(pid.maritalStatus),
            generalPractitioner: pd1.flatMap { HL7DataTypes.provider($0.field(4)) },
            birthDateAsSent: pid.dateTimeOfBirth.component(1).trimmed, provenance: context.provenance.at(position))
        record.ssn = ssn.map { String($0.unicodeScalars.filter { $0.value >= 0x30 && $0.value <= 0x39 }.map(Character.init)) }.flatMap { $0.isEmpty ? nil : $0 }
        record.mothersMaidenName = pid.mothersMaidenName.component(1).subcomponent(1).trimmed
        return record
    }

    static func yesNo(_ text: String?) -> Bool? {
        switch text?.uppercased() {
        case "Y": return true
        case "N": return false
        default: return nil
        }
    }

    /// Maps every PID of the message in order; returns (segment index of PID, patient index) pairs.
    static func requirePID(_ context: Context) throws(HL7MappingError) -> Int {
        guard let index = context.message.segmentIndex(named: "PID") else {
            throw HL7MappingError(.missingSegment, "the message has no PID segment", location: HL7ErrorLocation(segment: "PID", sequence: 1))
        }
        return index
    }

    static func nextSegment(_ message: HL7Message, after index: Int, named name: String) -> HL7Segment? {
        let next = index + 1
        return message.segment(at: next, isNamed: name) ? message.segment(at: next) : nil
    }

    // MARK: ADT

    static func mapADT(_ context: inout Context, trigger: String) throws(HL7MappingError) {
        let message = context.message
        let pidIndex = try requirePID(context)
        guard let pidSegment = message.segment(at: pidIndex), let pid = PIDSegment(pidSegment) else { return }
        let patient = try patient(pid, pd1: nextSegment(message, after: pidIndex, named: "PD1"), context: context)
        context.submission.patients.append(patient)
        let subject = context.submission.patients.count - 1

        if let pv1 = message.first(PV1Segment.self) {
            if let encounter = encounter(pv1, pv2: message.firstSegment(named: "PV2"), trigger: trigger) {
                context.fact(subject, .encounter(encounter), at: pv1.segment.position)
            }
        }
        for al1 in message.all(AL1Segment.self) {
            guard let substance = HL7DataTypes.code(al1.allergenCode) else {
                context.submission.notes.append(MappingNote(.warning, at: al1.segment.position + "-3", "AL1 without allergen code skipped"))
                continue
            }
            let category: String?
            switch al1.allergenTypeCode.component(1).trimmed?.uppercased() {
            case "DA": category = "medication"
            case "FA": category = "food"
            case "EA", "AA", "PA", "LA": category = "environment"
            case "MA", "MC": category = "other"
            default: category = nil
            }
            let severity: String?
            switch al1.allergySeverityCode.component(1).trimmed?.uppercased() {
            case "SV": severity = "severe"
            case "MO": severity = "moderate"
            case "MI": severity = "mild"
            case "U", nil: severity = nil
            case let other: severity = other?.lowercased()
            }
            let reactions = al1.allergyReaction.repetitions.compactMap(HL7DataTypes.textCode)
            var allergy = Allergy(substance: substance, reactions: reactions, onset: HL7DataTypes.time(al1.identificationDate))
            allergy.type = al1.allergenTypeCode.component(1).trimmed?.uppercased() == "MC" ? "intolerance" : "allergy"
            allergy.category = category
            allergy.severity = severity
            context.fact(subject, .allergy(allergy), at: al1.segment.position)
        }
        for dg1 in message.all(DG1Segment.self) {
            var code = HL7DataTypes.code(dg1.diagnosisCode)
            if var c = code, c.system == nil, let method = dg1.codingMethod.component(1).trimmed {
                c = Code(system: method, code: c.code, display: c.display ?? dg1.description.trimmed, translations: c.translations, originalText: c.originalText)
                code = c
            } else if var c = code, c.display == nil, let text = dg1.description.trimmed {
                c.display = text
                code = c
            }
            guard let code else {
                context.submission.notes.append(MappingNote(.warning, at: dg1.segment.position + "-3", "DG1 without diagnosis code skipped"))
                continue
            }
            let category: String
            switch dg1.diagnosisType.component(1).trimmed?.uppercased() {
            case "A": category = "admitting"
            case "W": category = "working"
            case "F": category = "final"
            default: category = "encounter-diagnosis"
            }
            var problem = Problem(code: code, category: category, onset: HL7DataTypes.time(dg1.diagnosisDateTime))
            problem.sourceID = dg1.diagnosisIdentifier.component(1).trimmed
            context.fact(subject, .problem(problem), at: dg1.segment.position)
        }
        for nk1 in message.all(NK1Segment.self) {
            context.submission.notes.append(MappingNote(.info, at: nk1.segment.position, "next of kin not carried by the clinical model"))
        }
    }

    static func encounter(_ pv1: PV1Segment, pv2: HL7Segment?, trigger: String) -> Encounter? {
        let classCode = pv1.patientClass.component(1).trimmed?.uppercased()
        let visitNumber = pv1.visitNumber.component(1).trimmed
        let encounterClass: Encounter.Class
        switch classCode {
        case "I", "B": encounterClass = .inpatient
        case "O": encounterClass = .outpatient
        case "E": encounterClass = .emergency
        case "P": encounterClass = .preadmit
        case "R": encounterClass = .recurring
        default: encounterClass = .unknown
        }
        let start = HL7DataTypes.time(pv1.admitDateTime)
        let end = HL7DataTypes.time(pv1.dischargeDateTime)
        guard classCode != nil || visitNumber != nil || start != nil else { return nil }
        let status: Encounter.Status
        switch trigger {
        case "A01", "A02", "A13": status = .inProgress
        case "A03": status = .finished
        case "A04": status = .arrived
        case "A05": status = .planned
        case "A11": status = .cancelled
        default: status = end != nil ? .finished : (start != nil ? .inProgress : .unknown)
        }
        let location = pv1.assignedPatientLocation
        let place = [location.component(1).trimmed, location.component(2).trimmed, location.component(3).trimmed].compactMap { $0 }.joined(separator: " ")
        let type = pv1.hospitalService.component(1).trimmed.map { Code(system: "http://terminology.hl7.org/CodeSystem/v2-0069", code: $0) }
        let reason = pv2.flatMap { HL7DataTypes.code($0.field(3)) }.map { [$0] } ?? []
        var encounter = Encounter(
            encounterClass: encounterClass, type: type, status: status, start: start, end: end,
            attendingProvider: HL7DataTypes.provider(pv1.attendingDoctor), reason: reason)
        encounter.visitNumber = visitNumber
        encounter.location = place.isEmpty ? location.component(4).subcomponent(1).trimmed : place
        encounter.dischargeDisposition = pv1.dischargeDisposition.component(1).trimmed
        return encounter
    }

    // MARK: Merge

    static func mapMerge(_ context: inout Context) throws(HL7MappingError) {
        let message = context.message
        _ = try requirePID(context)
        for pidIndex in message.segmentIndices(named: "PID") {
            guard let pidSegment = message.segment(at: pidIndex), let pid = PIDSegment(pidSegment) else { continue }
            var next = pidIndex + 1
            var pd1: HL7Segment?
            if message.segment(at: next, isNamed: "PD1") { pd1 = message.segment(at: next); next += 1 }
            guard message.segment(at: next, isNamed: "MRG"), let mrgSegment = message.segment(at: next), let mrg = MRGSegment(mrgSegment) else {
                throw HL7MappingError(
                    .missingSegment, "ADT^A40 needs an MRG segment after each PID",
                    location: HL7ErrorLocation(segment: "MRG", sequence: message.occurrence(ofSegmentAt: pidIndex)))
            }
            let patient = try patient(pid, pd1: pd1, context: context)
            context.submission.patients.append(patient)
            var prior = mrg.priorPatientIdentifierList.repetitions.compactMap(HL7DataTypes.identifier)
            prior += mrg.priorPatientID.repetitions.compactMap(HL7DataTypes.identifier).filter { !prior.contains($0) }
            guard !prior.isEmpty else {
                throw HL7MappingError(.missingField, "MRG-1 (prior patient identifier list) is empty", location: mrg.segment.location(field: 1))
            }
            context.submission.merges.append(PatientMerge(
                survivor: context.submission.patients.count - 1, priorIdentifiers: prior, provenance: context.provenance.at(mrg.segment.position)))
        }
    }

    // MARK: Results

    static func mapResults(_ context: inout Context) throws(HL7MappingError) {
        let message = context.message
        _ = try requirePID(context)
        var subject = -1
        var orc: ORCSegment?
        var obr: OBRInfo?
        var last: Int?  // index in facts of the last observation, for NTE
        var lastSegment: UInt32 = 0
        for index in 0..<message.segmentCount {
            let name = message.nameCode(at: index)
            defer { lastSegment = name }
            guard name == pidCode || name == orcCode || name == obrCode || name == obxCode || name == nteCode,
                let segment = message.segment(at: index)
            else { continue }
            switch name {
            case pidCode:
                guard let pid = PIDSegment(segment) else { continue }
                context.submission.patients.append(try patient(pid, pd1: nextSegment(message, after: segment.index, named: "PD1"), context: context))
                subject = context.submission.patients.count - 1
                orc = nil
                obr = nil
            case orcCode:
                orc = ORCSegment(unchecked: segment)
                obr = nil
            case obrCode:
                obr = OBRInfo(OBRSegment(unchecked: segment), orc: orc)
            case obxCode:
                guard subject >= 0 else {
                    throw HL7MappingError(.segmentOrder, "OBX before any PID", location: segment.location())
                }
                let obx = OBXSegment(unchecked: segment)
                let observation = try self.observation(obx, obr: obr ?? OBRInfo(nil, orc: orc), context: &context)
                let position = (obr.map { "OBR[\($0.occurrence)]/" } ?? "") + "OBX[\(segment.occurrence)]"
                context.fact(subject, .result(observation), at: position)
                last = context.submission.facts.count - 1
            case nteCode:
                guard lastSegment == obxCode || lastSegment == nteCode, let index = last,
                    case .result(var observation) = context.submission.facts[index].body,
                    let text = segment.field(3).repetitions.compactMap(\.text).joined(separator: "\n").nilIfBlank
                else { continue }
                observation.note = observation.note.map { $0 + "\n" + text } ?? text
                context.submission.facts[index].body = .result(observation)
            default:
                break
            }
        }
    }

    /// What every OBX of one OBR shares, worked out once per OBR.
    struct OBRInfo {
        var occurrence: Int
        var panel: Code?
        var placer: String?
        var filler: String?
        var observed: ClinicalTime?
        var issued: ClinicalTime?
        var category: String

        init(_ obr: OBRSegment?, orc: ORCSegment?) {
            occurrence = obr?.segment.occurrence ?? 0
            panel = obr.flatMap { HL7DataTypes.code($0.universalServiceIdentifier) }
            placer = obr?.placerOrderNumber.component(1).trimmed ?? orc?.placerOrderNumber.component(1).trimmed
            filler = obr?.fillerOrderNumber.component(1).trimmed ?? orc?.fillerOrderNumber.component(1).trimmed
            observed = obr.flatMap { HL7DataTypes.time($0.observationDateTime) }
            issued = obr.flatMap { HL7DataTypes.time($0.resultsReportedDateTime) }
            let section = obr?.diagnosticServiceSectionID.component(1).trimmed?.uppercased()
            category = ["RAD", "CT", "MR", "US", "NMR", "XRC", "RX"].contains(section ?? "") ? "imaging" : "laboratory"
        }
    }

    static func observation(_ obx: OBXSegment, obr: OBRInfo, context: inout Context) throws(HL7MappingError) -> Observation {
        guard let code = HL7DataTypes.code(obx.observationIdentifier) else {
            throw HL7MappingError(.missingField, "OBX-3 (observation identifier) is empty", location: obx.segment.location(field: 3))
        }
        let unit = obx.units.component(1).trimmed ?? obx.units.component(2).trimmed
        let type = obx.valueType.component(1).trimmed?.uppercased() ?? ""
        let raw = obx.observationValue
        var value: ObservationValue?
        switch type {
        case "NM":
            if let q = HL7DataTypes.quantity(raw.repetition(1), unit: unit) { value = .quantity(q) } else if let t = raw.repetition(1).text {
                value = .text(t)
                context.submission.notes.append(MappingNote(.warning, at: obx.segment.position + "-5", "NM value is not a number; kept as text"))
            }
        case "SN":
            value = structuredNumeric(raw.repetition(1), unit: unit)
        case "ST", "TX", "FT":
            let lines = raw.repetitions.map { $0.text ?? "" }
            let text = lines.joined(separator: "\n")
            value = text.isEmpty ? nil : .text(text)
        case "CE", "CWE", "CNE", "CF":
            value = HL7DataTypes.code(raw.repetition(1)).map { .coded($0) }
        case "DT", "TS", "DTM":
            if let t = HL7DataTypes.time(raw.repetition(1)) { value = .time(t) } else if let text = raw.text { value = .text(text) }
        default:
            if let text = raw.text {
                value = .text(text)
                context.submission.notes.append(MappingNote(.info, at: obx.segment.position + "-5", "value type \(type.isEmpty ? "(none)" : type) kept as text"))
            }
        }
        let rangeValue = obx.referencesRange.component(1)
        let rangeText = rangeValue.trimmed
        let bounds = HL7DataTypes.range(rangeValue, unit: unit)
        let status: ResultStatus
        switch obx.observationResultStatus.component(1).trimmed?.uppercased() {
        case "F", "U": status = .final
        case "P", "R", "S": status = .preliminary
        case "C": status = .corrected
        case "A": status = .amended
        case "X": status = .cancelled
        case "D", "W": status = .enteredInError
        case "I", "O": status = .registered
        default: status = .unknown
        }
        var performer = HL7DataTypes.provider(obx.responsibleObserver)
        if let org = obx.performingOrganizationName.component(1).trimmed {
            var p = performer ?? ProviderReference()
            p.organization = org
            performer = p
        }
        // Values are trimmed already; set them directly (the initializer's blank checks are slow).
        var o = Observation(code: code, value: value, referenceLow: bounds.low, referenceHigh: bounds.high, status: status, panel: obr.panel, performer: performer)
        o.unit = unit
        o.referenceRange = rangeText
        o.interpretation = obx.abnormalFlags.repetitions.compactMap { $0.component(1).trimmed }
        o.effectiveTime = HL7DataTypes.time(obx.dateTimeOfObservation) ?? obr.observed
        o.issued = obr.issued ?? HL7DataTypes.time(obx.dateTimeOfAnalysis)
        o.category = obr.category
        o.placerOrderNumber = obr.placer
        o.fillerOrderNumber = obr.filler
        o.sourceID = obx.observationInstanceIdentifier.component(1).trimmed
        return o
    }

    /// SN: comparator ^ num1 ^ separator/suffix ^ num2 (`>^1000`, `^2^-^5`, `^1^:^128`).
    static func structuredNumeric(_ v: HL7Value, unit: String?) -> ObservationValue? {
        let comparator = v.component(1).trimmed
        let n1 = v.component(2).trimmed, sep = v.component(3).trimmed, n2 = v.component(4).trimmed
        if let sep, let n2, let a = HL7DataTypes.quantity(n1, unit: unit), let b = HL7DataTypes.quantity(n2, unit: unit) {
            switch sep {
            case "-": return .range(low: a, high: b)
            case ":", "/": return .ratio(numerator: HL7DataTypes.quantity(n1, unit: nil) ?? a, denominator: HL7DataTypes.quantity(n2, unit: nil) ?? b)
            default: break
            }
        }
        guard var q = HL7DataTypes.quantity(n1, unit: unit) else { return v.text.map { .text($0) } }
        if let comparator, comparator != "=" { q.comparator = comparator }
        return .quantity(q)
    }

    // MARK: Orders

    static func mapOrders(_ context: inout Context) throws(HL7MappingError) {
        let message = context.message
        _ = try requirePID(context)
        var subject = -1
        var orc: ORCSegment?
        for segment in message.segments {
            switch segment.name {
            case "PID":
                guard let pid = PIDSegment(segment) else { continue }
                context.submission.patients.append(try patient(pid, pd1: nextSegment(message, after: segment.index, named: "PD1"), context: context))
                subject = context.submission.patients.count - 1
            case "ORC":
                orc = ORCSegment(segment)
            case "OBR":
                guard subject >= 0 else { throw HL7MappingError(.segmentOrder, "OBR before any PID", location: segment.location()) }
                guard let obr = OBRSegment(segment) else { continue }
                guard let code = HL7DataTypes.code(obr.universalServiceIdentifier) else {
                    throw HL7MappingError(.missingField, "OBR-4 (universal service identifier) is empty", location: segment.location(field: 4))
                }
                let order = Order(
                    code: code, status: orderStatus(orc), 
                    placerOrderNumber: obr.placerOrderNumber.component(1).trimmed ?? orc?.placerOrderNumber.component(1).trimmed,
                    fillerOrderNumber: obr.fillerOrderNumber.component(1).trimmed ?? orc?.fillerOrderNumber.component(1).trimmed,
                    orderedAt: orc.flatMap { HL7DataTypes.time($0.dateTimeOfTransaction) } ?? HL7DataTypes.time(obr.requestedDateTime),
                    scheduledFor: HL7DataTypes.time(obr.quantityTiming.component(4)) ?? orc.flatMap { HL7DataTypes.time($0.quantityTiming.component(4)) }
                        ?? HL7DataTypes.time(obr.requestedDateTime),
                    orderingProvider: HL7DataTypes.provider(obr.orderingProvider) ?? orc.flatMap { HL7DataTypes.provider($0.orderingProvider) },
                    priority: obr.quantityTiming.component(6).trimmed ?? orc?.quantityTiming.component(6).trimmed ?? obr.priority.trimmed,
                    reason: obr.reasonForStudy.repetitions.compactMap(HL7DataTypes.code))
                let position = (orc.map { "ORC[\($0.segment.occurrence)]/" } ?? "") + "OBR[\(segment.occurrence)]"
                context.fact(subject, .order(order), at: position)
            default:
                break
            }
        }
    }

    /// ORC-1 (order control, table 0119) then ORC-5 (order status, table 0038).
    static func orderStatus(_ orc: ORCSegment?) -> Order.Status {
        guard let orc else { return .new }
        switch orc.orderControl.component(1).trimmed?.uppercased() {
        case "CA", "OC", "CR", "DC", "OD", "DR": return .cancelled
        case "HD", "OH", "HR": return .onHold
        default: break
        }
        let isNew = orc.orderControl.component(1).trimmed?.uppercased() == "NW"
        switch orc.orderStatus.component(1).trimmed?.uppercased() {
        case "CA", "DC": return .cancelled
        case "CM": return .completed
        case "HD": return .onHold
        case "ER": return .enteredInError
        // A new order (NW) is new even when its status says it is scheduled or in process.
        case "IP", "A", "SC": return isNew ? .new : .inProgress
        case nil: return .new
        default: return isNew ? .new : .unknown
        }
    }

    // MARK: Immunizations

    static func mapImmunizations(_ context: inout Context) throws(HL7MappingError) {
        let message = context.message
        let pidIndex = try requirePID(context)
        guard let pidSegment = message.segment(at: pidIndex), let pid = PIDSegment(pidSegment) else { return }
        context.submission.patients.append(try patient(pid, pd1: nextSegment(message, after: pidIndex, named: "PD1"), context: context))
        let subject = context.submission.patients.count - 1
        var orc: ORCSegment?
        for segment in message.segments {
            switch segment.name {
            case "ORC": orc = ORCSegment(segment)
            case "RXA":
                guard let rxa = RXASegment(segment) else { continue }
                guard let vaccine = HL7DataTypes.code(rxa.administeredCode) else {
                    throw HL7MappingError(.missingField, "RXA-5 (administered code) is empty", location: segment.location(field: 5))
                }
                var status: Immunization.Status
                switch rxa.completionStatus.component(1).trimmed?.uppercased() {
                case "RE", "NA": status = .notDone
                case "CP", "PA", nil: status = .completed
                default: status = .unknown
                }
                if rxa.actionCode.component(1).trimmed?.uppercased() == "D" { status = .enteredInError }
                let units = rxa.administeredUnits.component(1).trimmed
                var dose = HL7DataTypes.quantity(rxa.administeredAmount.component(1).trimmed, unit: units)
                if dose?.value == 999 { dose = nil }  // 999: amount unknown (CDC IG)
                let rxr = nextSegment(message, after: segment.index, named: "RXR")
                let manufacturer = rxa.substanceManufacturerName.repetition(1)
                let immunization = Immunization(
                    vaccine: vaccine, status: status, administeredAt: HL7DataTypes.time(rxa.dateTimeStartOfAdministration),
                    lotNumber: rxa.substanceLotNumber.repetition(1).text, manufacturer: manufacturer.component(2).trimmed ?? manufacturer.component(1).trimmed,
                    dose: dose, route: rxr.flatMap { HL7DataTypes.code($0.field(1)) }, site: rxr.flatMap { HL7DataTypes.code($0.field(2)) },
                    statusReason: HL7DataTypes.code(rxa.substanceTreatmentRefusalReason.repetition(1)),
                    sourceID: orc?.fillerOrderNumber.component(1).trimmed)
                context.fact(subject, .immunization(immunization), at: segment.position)
            default: break
            }
        }
    }
}
