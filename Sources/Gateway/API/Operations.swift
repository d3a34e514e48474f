import Clinical
import FHIRLite
import Foundation
import PatientIndex

/// What a user can do with the index, shared by the HTTP API and the CLI so both behave alike: each
/// read of patient data is audited (and the audit committed) before the data is returned; each steward
/// action goes through the writer and is recorded in the link history by the index.
package final class Operations: Sendable {
    package let writer: GroupCommitWriter<PatientIndexStore>
    package let ingestService: IngestService
    package let metrics: Metrics

    package init(writer: GroupCommitWriter<PatientIndexStore>, ingestService: IngestService, metrics: Metrics) {
        self.writer = writer
        self.ingestService = ingestService
        self.metrics = metrics
    }

    /// Writes an audit entry and waits for it to commit.
    package func audit(_ actor: String, _ action: String, patients: [String], detail: String? = nil) throws {
        try writer.perform { store in try store.audit(actor: actor, action: action, patientIDs: patients, detail: detail) }
    }

    // MARK: Reads

    package func search(_ reader: PatientIndexReader, actor: String, name: String?, birthDate: String?, identifier: String?, limit: Int) throws -> [EnterprisePatient] {
        var date: ClinicalTime?
        if let birthDate {
            guard let parsed = ClinicalTime.parseISO8601(birthDate) ?? ClinicalTime.parseHL7(birthDate) else {
                throw GatewayError(.badRequest, "birth date must be YYYY-MM-DD")
            }
            date = parsed
        }
        guard name != nil || date != nil || identifier != nil else {
            throw GatewayError(.badRequest, "give at least one of name, birth date, identifier")
        }
        let found = try reader.searchPatients(name: name, birthDate: date, identifier: identifier, limit: limit)
        let patients = try found.compactMap { try reader.enterprisePatient(id: $0.id) }
        try audit(actor, "patients.search", patients: patients.map(\.id), detail: "\(patients.count) results")
        return patients
    }

    package func allPatients(_ reader: PatientIndexReader, actor: String) throws -> [EnterprisePatient] {
        var result: [EnterprisePatient] = []
        var after: String?
        while true {
            let page = try reader.allPatients(after: after, limit: 1000)
            for summary in page {
                if let patient = try reader.enterprisePatient(id: summary.id) { result.append(patient) }
            }
            guard let last = page.last, page.count == 1000 else { break }
            after = last.id
        }
        try audit(actor, "patients.list", patients: result.map(\.id), detail: "\(result.count) patients")
        return result
    }

    package func patient(_ reader: PatientIndexReader, actor: String, id: String) throws -> EnterprisePatient {
        guard let patient = try reader.enterprisePatient(id: id) else { throw GatewayError(.notFound, "no enterprise patient \(id)") }
        try audit(actor, "patients.show", patients: [patient.id])
        return patient
    }

    package func record(_ reader: PatientIndexReader, actor: String, id: String, kinds: String?, from: String?, to: String?) throws -> UnifiedRecord {
        var kindSet: Set<FactKind>?
        if let kinds {
            var set = Set<FactKind>()
            for word in kinds.split(separator: ",") {
                guard let kind = FactKind(rawValue: word.trimmingCharacters(in: .whitespaces).lowercased()) else {
                    throw GatewayError(.badRequest, "unknown fact kind '\(word)'; use \(FactKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                set.insert(kind)
            }
            kindSet = set
        }
        func time(_ text: String?, _ name: String) throws -> ClinicalTime? {
            guard let text else { return nil }
            guard let t = ClinicalTime.parseISO8601(text) else { throw GatewayError(.badRequest, "\(name) must be an ISO 8601 date") }
            return t
        }
        guard let record = try reader.unifiedRecord(enterpriseID: id, kinds: kindSet, from: try time(from, "from"), to: try time(to, "to")) else {
            throw GatewayError(.notFound, "no enterprise patient \(id)")
        }
        try audit(actor, "patients.record", patients: [record.patient.id], detail: "\(record.facts.count) facts")
        return record
    }

    package func flags(_ reader: PatientIndexReader, actor: String, id: String?, limit: Int? = nil) throws -> [DuplicateTestFlag] {
        var enterpriseID: String?
        if let id {
            guard let resolved = try reader.resolve(id) else { throw GatewayError(.notFound, "no enterprise patient \(id)") }
            enterpriseID = resolved
        }
        let flags = try reader.duplicateTests(enterpriseID: enterpriseID, limit: limit)
        try audit(actor, "duplicate-tests.list", patients: Array(Set(flags.map(\.enterpriseID))).sorted())
        return flags
    }

    package func signals(_ reader: PatientIndexReader, actor: String, id: String) throws -> CareSignals {
        guard let signals = try reader.careSignals(enterpriseID: id) else { throw GatewayError(.notFound, "no enterprise patient \(id)") }
        try audit(actor, "patients.signals", patients: [id])
        return signals
    }

    package func history(_ reader: PatientIndexReader, actor: String, id: String?) throws -> [HistoryEvent] {
        let events = try reader.history(enterpriseID: id)
        try audit(actor, "history.list", patients: id.map { [$0] } ?? [])
        return events
    }

    package func reviewQueue(_ reader: PatientIndexReader, actor: String, status: String?) throws -> [ReviewItem] {
        var wanted: ReviewItem.Status? = .open
        if let status {
            if status == "all" { wanted = nil } else {
                guard let s = ReviewItem.Status(rawValue: status) else { throw GatewayError(.badRequest, "unknown review status '\(status)'") }
                wanted = s
            }
        }
        let items = try reader.reviewQueue(status: wanted)
        try audit(actor, "review.list", patients: Array(Set(items.flatMap { [$0.candidateEnterpriseID] + ($0.enterpriseID.map { [$0] } ?? []) })).sorted())
        return items
    }

    package func messages(_ reader: PatientIndexReader, actor: String, status: String?, limit: Int) throws -> [LoggedMessage] {
        var wanted: MessageStatus?
        if let status {
            guard let s = MessageStatus(rawValue: status) else { throw GatewayError(.badRequest, "unknown message status '\(status)'") }
            wanted = s
        }
        let list = try reader.messages(status: wanted, limit: limit)
        try audit(actor, "messages.list", patients: [], detail: "\(list.count) messages")
        return list
    }

    package func message(_ reader: PatientIndexReader, actor: String, id: Int64) throws -> LoggedMessage {
        guard let message = try reader.message(id: id) else { throw GatewayError(.notFound, "no message \(id)") }
        try audit(actor, "messages.show", patients: [], detail: "message \(id)")
        return message
    }

    // MARK: Writes

    /// Marks a duplicate-test flag `acknowledged`, `dismissed` or `open` again (a care team's triage),
    /// audited with the actor.
    package func setFlagStatus(actor: String, flagID: String, status: String) throws {
        try writer.perform { store in
            try store.ledger.setFlagStatus(status, flagID: flagID, in: store.db)
            try store.audit(actor: actor, action: "duplicate-tests.status", patientIDs: [], detail: "flag \(flagID) → \(status)")
        }
    }

    /// Each steward action is audited (who, which patients, the history event) in the transaction that
    /// makes it, besides its entry in the link history.
    package func decide(actor: String, reviewID: Int64, isMatch: Bool, reason: String?) throws -> StewardOutcome {
        try steward(actor, "review.decide", detail: "review \(reviewID): \(isMatch ? "match" : "not a match")") { store in
            try store.decide(reviewID: reviewID, isMatch: isMatch, actor: actor, reason: reason)
        }
    }

    package func link(actor: String, recordID: Int64, to enterpriseID: String, reason: String?) throws -> StewardOutcome {
        try steward(actor, "patients.link", detail: "record \(recordID)") { store in
            try store.link(recordID: recordID, to: enterpriseID, actor: actor, reason: reason)
        }
    }

    package func unlink(actor: String, recordID: Int64, reason: String?) throws -> StewardOutcome {
        try steward(actor, "patients.unlink", detail: "record \(recordID)") { store in
            try store.unlink(recordID: recordID, actor: actor, reason: reason)
        }
    }

    package func merge(actor: String, from: String, into: String, reason: String?) throws -> StewardOutcome {
        try steward(actor, "patients.merge", detail: "\(from) into \(into)", also: [from]) { store in
            try store.merge(from, into: into, actor: actor, reason: reason)
        }
    }

    package func undo(actor: String, eventID: Int64, reason: String?) throws -> StewardOutcome {
        try steward(actor, "history.undo", detail: "event \(eventID)") { store in
            try store.undo(eventID: eventID, actor: actor, reason: reason)
        }
    }

    /// Runs a steward action and audits it with the patients it touched: the one it ended in, the ones
    /// the history event moved records from, and `also`.
    private func steward(_ actor: String, _ action: String, detail: String, also: [String] = [],
                         _ work: @escaping (PatientIndexStore) throws -> StewardOutcome) throws -> StewardOutcome {
        try writer.perform { store in
            // One savepoint for the action and its audit row: neither stays without the other.
            try store.withTransaction {
                let outcome = try work(store)
                let moved = try store.db.row("SELECT from_ep, to_ep FROM link_history WHERE event_id = ?", [outcome.eventID])
                var patients = also + [outcome.enterpriseID]
                for value in [moved?.string(0), moved?.string(1)] { if let value, !patients.contains(value) { patients.append(value) } }
                try store.audit(actor: actor, action: action, patientIDs: patients, detail: detail + "; history event \(outcome.eventID)")
                return outcome
            }
        }
    }

    /// Parses and ingests a failed message again (after a fix to the parser, its configuration or the
    /// storage). The message keeps its log entry and id, which take the new outcome and ACK; the audit
    /// entry keeps the error it had before.
    package func reprocess(_ reader: PatientIndexReader, actor: String, id: Int64) throws -> IngestReply {
        guard let message = try reader.message(id: id), let raw = message.raw else { throw GatewayError(.notFound, "no message \(id)") }
        guard message.status == .failed else { throw GatewayError(.conflict, "message \(id) is \(message.status.rawValue); only failed messages are reprocessed") }
        try audit(actor, "messages.reprocess", patients: [], detail: "message \(id); was: \(message.error ?? "failed")")
        var unit = InboundUnit(raw: raw, channel: message.channel, origin: "reprocess:\(id)")
        unit.vouchedFacility = nil
        unit.reprocessing = id
        return ingestService.ingestAndWait(unit)
    }

    // MARK: HTTP

    /// Runs an HTTP route on a worker thread.
    func perform(_ route: Route, request: HTTPRequest, principal: Principal, reader: PatientIndexReader) throws -> HTTPResponse {
        let actor = principal.name
        let q = request.query
        switch route {
        case .metrics:
            let counts = try reader.counts()
            var gauges: [(String, String, Double)] = [
                ("concord_enterprise_patients", "Enterprise patients in the index.", Double(counts.enterprisePatients)),
                ("concord_source_records", "Source records in the index.", Double(counts.sourceRecords)),
                ("concord_review_backlog", "Open review items.", Double(counts.openReviews)),
                ("concord_duplicate_test_flags", "Duplicate-test flags.", Double(counts.flags)),
                ("concord_writer_queue_depth", "Jobs waiting for the group-commit writer.", Double(writer.queueDepth)),
            ]
            for (format, statuses) in counts.messages.sorted(by: { $0.key < $1.key }) {
                for (status, n) in statuses.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    gauges.append(("concord_message_log_\(format)_\(status.rawValue)", "Messages in the log with format \(format) and status \(status.rawValue).", Double(n)))
                }
            }
            let text = metrics.render(gauges: gauges.map { (name: $0.0, help: $0.1, value: $0.2) })
            return HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain; version=0.0.4")]), body: Array(text.utf8))
        case .searchPatients:
            let found = try search(reader, actor: actor, name: q["name"], birthDate: q["birthDate"] ?? q["birthdate"], identifier: q["identifier"], limit: min(Int(q["limit"] ?? "") ?? 50, 500))
            return API.json(200, found.map(JSONViews.EnterprisePatientView.init))
        case .patient(let id):
            return API.json(200, JSONViews.EnterprisePatientView(try patient(reader, actor: actor, id: id)))
        case .record(let id):
            return API.json(200, try record(reader, actor: actor, id: id, kinds: q["kind"], from: q["from"], to: q["to"]))
        case .patientFlags(let id):
            return API.json(200, try flags(reader, actor: actor, id: id))
        case .signals(let id):
            return API.json(200, try signals(reader, actor: actor, id: id))
        case .history(let id):
            return API.json(200, try history(reader, actor: actor, id: id).map(JSONViews.HistoryEventView.init))
        case .allFlags:
            // Bounded like every list over the whole index (a large index holds hundreds of thousands).
            return API.json(200, try flags(reader, actor: actor, id: nil, limit: min(Int(q["limit"] ?? "") ?? 1_000, 100_000)))
        case .flagStatus(let id):
            let body = try JSONBody(request.body)
            guard let status = body.string("status") else { throw GatewayError(.badRequest, "body needs \"status\": open, acknowledged or dismissed") }
            do {
                try setFlagStatus(actor: actor, flagID: id, status: status)
            } catch let error as FactLedgerError {
                throw GatewayError(.badRequest, error.description)
            }
            return API.json(200, ["id": id, "status": status])
        case .review:
            return API.json(200, try reviewQueue(reader, actor: actor, status: q["status"]).map(JSONViews.ReviewItemView.init))
        case .decide(let id):
            let body = try JSONBody(request.body)
            guard let isMatch = body.bool("match") else { throw GatewayError(.badRequest, "body needs \"match\": true or false") }
            return API.json(200, StewardOutcomeView(try decide(actor: actor, reviewID: id, isMatch: isMatch, reason: body.string("reason"))))
        case .link:
            let body = try JSONBody(request.body)
            guard let recordID = body.int("recordID"), let target = body.string("enterpriseID") else {
                throw GatewayError(.badRequest, "body needs \"recordID\" and \"enterpriseID\"")
            }
            return API.json(200, StewardOutcomeView(try link(actor: actor, recordID: recordID, to: target, reason: body.string("reason"))))
        case .unlink:
            let body = try JSONBody(request.body)
            guard let recordID = body.int("recordID") else { throw GatewayError(.badRequest, "body needs \"recordID\"") }
            return API.json(200, StewardOutcomeView(try unlink(actor: actor, recordID: recordID, reason: body.string("reason"))))
        case .merge:
            let body = try JSONBody(request.body)
            guard let from = body.string("from"), let into = body.string("into") else { throw GatewayError(.badRequest, "body needs \"from\" and \"into\"") }
            return API.json(200, StewardOutcomeView(try merge(actor: actor, from: from, into: into, reason: body.string("reason"))))
        case .undo(let id):
            let body = try JSONBody(request.body.isEmpty ? Array("{}".utf8) : request.body)
            return API.json(200, StewardOutcomeView(try undo(actor: actor, eventID: id, reason: body.string("reason"))))
        case .messages:
            return API.json(200, try messages(reader, actor: actor, status: q["status"], limit: min(Int(q["limit"] ?? "") ?? 100, 10_000)).map { JSONViews.MessageView($0, includeContent: false) })
        case .message(let id):
            return API.json(200, JSONViews.MessageView(try message(reader, actor: actor, id: id), includeContent: true))
        case .reprocess(let id):
            let reply = try reprocess(reader, actor: actor, id: id)
            return API.json(reply.status == .failed ? 422 : 200, JSONViews.IngestReplyView(reply))
        case .ingest:
            throw GatewayError(.badRequest, "ingest is handled by the API front")
        case .audit:
            let entries = try reader.auditLog(limit: min(Int(q["limit"] ?? "") ?? 100, 100_000))
            try audit(actor, "audit.read", patients: [])
            return API.json(200, entries.map(JSONViews.AuditView.init))
        case .fhirSearch:
            let found = try search(reader, actor: actor, name: q["name"] ?? q["family"], birthDate: q["birthdate"], identifier: q["identifier"].map { $0.split(separator: "|").last.map(String.init) ?? $0 }, limit: min(Int(q["_count"] ?? "") ?? 50, 500))
            return HTTPResponse(status: 200, headers: API.fhirHeaders, body: FHIRWriter.searchset(found, total: found.count))
        case .fhirPatient(let id):
            return HTTPResponse(status: 200, headers: API.fhirHeaders, body: FHIRWriter.patient(try patient(reader, actor: actor, id: id)))
        case .fhirEverything(let id):
            return HTTPResponse(status: 200, headers: API.fhirHeaders, body: FHIRWriter.patientEverything(try record(reader, actor: actor, id: id, kinds: nil, from: nil, to: nil)))
        case .fhirMatch:
            return HTTPResponse(status: 200, headers: API.fhirHeaders, body: try fhirMatch(reader, actor: actor, body: request.body))
        }
    }

    /// `Patient/$match`: scores the given Patient against the index without storing it. Candidates come
    /// from the same searches a person would make (family name, birth date, identifiers); each candidate
    /// enterprise patient scores as its best-matching member under the index's match model.
    func fhirMatch(_ reader: PatientIndexReader, actor: String, body: [UInt8]) throws -> [UInt8] {
        let candidate = try Self.matchInput(body)
        let model = MatchModel.standard
        let features = MatchNormalizer.features(of: candidate)
        var ids = Set<String>()
        for name in candidate.names {
            if let family = name.family { ids.formUnion(try reader.searchPatients(name: family, limit: 200).map(\.id)) }
        }
        if let birthDate = candidate.birthDate { ids.formUnion(try reader.searchPatients(birthDate: birthDate, limit: 200).map(\.id)) }
        for identifier in candidate.identifiers { ids.formUnion(try reader.searchPatients(identifier: identifier.value, limit: 20).map(\.id)) }
        var scored: [(EnterprisePatient, Double, MatchGrade)] = []
        for id in ids {
            guard let patient = try reader.enterprisePatient(id: id) else { continue }
            var best = -Double.infinity
            var blocked = false
            for member in patient.members {
                let comparison = model.compare(features, MatchNormalizer.features(of: member.record), frequencies: nil)
                if comparison.total > best { best = comparison.total; blocked = !comparison.blockers.isEmpty }
            }
            guard best >= model.lowerThreshold else { continue }
            scored.append((patient, best, blocked ? .possible : model.grade(for: best)))
        }
        scored.sort { $0.1 > $1.1 }
        let top = Array(scored.prefix(10))
        try audit(actor, "patients.match", patients: top.map(\.0.id))
        return FHIRWriter.matchResults(top.map { (patient: $0.0, score: $0.1, grade: $0.2) })
    }

    /// The Patient of a `$match` request: a Parameters resource with a `resource` parameter, or a bare Patient.
    static func matchInput(_ body: [UInt8]) throws -> PatientRecord {
        guard let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw GatewayError(.badRequest, "body must be a FHIR Parameters or Patient resource")
        }
        var patient: [String: Any]? = json["resourceType"] as? String == "Patient" ? json : nil
        if json["resourceType"] as? String == "Parameters", let parameters = json["parameter"] as? [[String: Any]] {
            patient = parameters.first { $0["name"] as? String == "resource" }?["resource"] as? [String: Any]
        }
        guard let patient, patient["resourceType"] as? String == "Patient",
            let bytes = try? JSONSerialization.data(withJSONObject: patient)
        else { throw GatewayError(.badRequest, "Parameters needs a 'resource' parameter holding a Patient") }
        do {
            guard let record = try FHIRReader.read([UInt8](bytes)).submissions.first?.patients.first else {
                throw GatewayError(.badRequest, "the Patient could not be read")
            }
            return record
        } catch let error as FHIRError {
            throw GatewayError(.badRequest, "Patient: \(error.reason)\(error.path.map { " at \($0)" } ?? "")")
        }
    }
}

/// The view of a steward operation's outcome.
struct StewardOutcomeView: Encodable {
    var eventID: Int64
    var enterpriseID: String
    init(_ outcome: StewardOutcome) {
        eventID = outcome.eventID
        enterpriseID = outcome.enterpriseID
    }
}

/// A small JSON request body reader with typed accessors and clear errors.
struct JSONBody {
    let object: [String: Any]
    init(_ bytes: [UInt8]) throws {
        guard let value = try? JSONSerialization.jsonObject(with: Data(bytes)), let object = value as? [String: Any] else {
            throw GatewayError(.badRequest, "body must be a JSON object")
        }
        self.object = object
    }
    func string(_ key: String) -> String? { object[key] as? String }
    func bool(_ key: String) -> Bool? { object[key] as? Bool }
    func int(_ key: String) -> Int64? {
        if let n = object[key] as? NSNumber { return n.int64Value }
        if let s = object[key] as? String { return Int64(s) }
        return nil
    }
}
