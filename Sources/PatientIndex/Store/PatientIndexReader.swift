import Clinical
import Foundation
import SQLite

/// The read side of the index: its own read-only connection, used from one thread at a time (open one per
/// reading thread). Reads see the last committed state (WAL snapshot per statement).
package final class PatientIndexReader {
    package let db: Connection
    /// The fact ledger the unified record is read through (its configuration decides retest intervals).
    package let ledger: FactLedger

    /// Opens a read-only connection to an index the store has created.
    package init(path: String, ledger: FactLedger = FactLedger()) throws {
        db = try Connection(path: path, readOnly: true)
        self.ledger = ledger
    }

    // MARK: Patients

    /// Active enterprise patients matching every criterion given: name terms (each term a prefix of a
    /// family or given name of some member, case and accents ignored), birth date (at its precision), or an
    /// identifier value (any authority). Ordered by enterprise id.
    package func searchPatients(name: String? = nil, birthDate: ClinicalTime? = nil, identifier: String? = nil, limit: Int = 50) throws -> [PatientSummary] {
        var candidates: Set<String>?
        func narrow(_ ids: [String]) {
            let set = Set(ids)
            candidates = candidates.map { $0.intersection(set) } ?? set
        }
        if let identifier = identifier?.nilIfBlank {
            narrow(try db.rows("""
                SELECT DISTINCT l.enterprise_id FROM identifiers i JOIN links l ON l.record_id = i.record_id WHERE i.value = ?
                """, [identifier]).compactMap { $0.string(0) })
        }
        if let name {
            for term in IndexRows.searchTokens(name) {
                narrow(try db.rows("SELECT enterprise_id FROM search_terms WHERE term >= ? AND term < ? LIMIT 10000",
                    [term, term + "\u{10FFFF}"]).compactMap { $0.string(0) })
            }
        }
        if let date = IndexRows.dateText(birthDate) {
            if let current = candidates {
                candidates = current.filter { id in
                    (try? db.row("SELECT birth_date FROM enterprise_patients WHERE id = ?", [id])?.string(0)).flatMap { $0 }?.hasPrefix(date) == true
                }
            } else {
                narrow(try db.rows("SELECT id FROM enterprise_patients WHERE birth_date >= ? AND birth_date < ? AND active = 1 LIMIT 10000",
                    [date, date + "~"]).compactMap { $0.string(0) })
            }
        }
        guard let candidates else { return [] }
        var result: [PatientSummary] = []
        for id in candidates.sorted() {
            guard result.count < limit else { break }
            if let summary = try summary(id), summary.memberCount > 0 { result.append(summary) }
        }
        return result
    }

    /// Every active enterprise patient, in id order, `limit` at a time after `after`.
    package func allPatients(after: String? = nil, limit: Int = 1000) throws -> [PatientSummary] {
        let rows = try db.rows("SELECT id FROM enterprise_patients WHERE active = 1 AND id > ? ORDER BY id LIMIT ?", [after ?? "", limit])
        return try rows.compactMap { $0.string(0) }.compactMap(summary)
    }

    private func summary(_ id: String) throws -> PatientSummary? {
        guard let row = try db.row("""
            SELECT golden_data, (SELECT count(*) FROM links WHERE enterprise_id = e.id) FROM enterprise_patients e WHERE id = ? AND active = 1
            """, [id]) else { return nil }
        return PatientSummary(id: id, golden: try IndexRows.decode(PatientRecord.self, row.blob(0), column: "golden_data"),
            memberCount: Int(row.int(1) ?? 0))
    }

    /// The enterprise id that holds `id`'s records now (following merges), or `nil` when unknown.
    package func resolve(_ id: String) throws -> String? {
        var current = id
        for _ in 0..<32 {
            guard let row = try db.row("SELECT active, merged_into FROM enterprise_patients WHERE id = ?", [current]) else { return nil }
            if row.int(0) == 1 { return current }
            guard let next = row.string(1) else { return nil }
            current = next
        }
        return nil
    }

    /// An enterprise patient with its golden record and every linked source record with its explanation.
    /// An id merged away resolves to the patient it was merged into.
    package func enterprisePatient(id: String) throws -> EnterprisePatient? {
        guard let resolved = try resolve(id),
            let row = try db.row("SELECT golden_data FROM enterprise_patients WHERE id = ?", [resolved])
        else { return nil }
        let golden = try IndexRows.decode(PatientRecord.self, row.blob(0), column: "golden_data")
        let members = try IndexRows.members(of: resolved, includeFolded: true, in: db).map {
            LinkedRecord(recordID: String($0.recordID), record: $0.record, explanation: $0.explanation,
                linkedAt: ClinicalTime.parseISO8601($0.linkedAt))
        }
        return EnterprisePatient(id: resolved, golden: golden, members: members)
    }

    /// The enterprise id a source record is linked to.
    package func enterpriseID(ofRecord recordID: Int64) throws -> String? {
        try IndexRows.enterpriseID(ofRecord: recordID, in: db)
    }

    // MARK: Unified record

    /// The unified record: the patient, its facts (filtered by kind and time) and its duplicate-test flags.
    package func unifiedRecord(enterpriseID: String, kinds: Set<FactKind>? = nil, from: ClinicalTime? = nil, to: ClinicalTime? = nil) throws -> UnifiedRecord? {
        guard let patient = try enterprisePatient(id: enterpriseID) else { return nil }
        let facts = try ledger.unifiedFacts(enterpriseID: patient.id, kinds: kinds, from: from, to: to, in: db)
        let flags = try ledger.flags(enterpriseID: patient.id, in: db)
        return UnifiedRecord(patient: patient, facts: facts, flags: flags)
    }

    /// Duplicate-test flags of one enterprise patient, or of all when `nil`.
    /// Active duplicate-test flags, newest first (of one patient, or of all; at most `limit` when given).
    package func duplicateTests(enterpriseID: String?, limit: Int? = nil) throws -> [DuplicateTestFlag] {
        let resolved = try enterpriseID.map { try resolve($0) ?? $0 }
        return try ledger.flags(enterpriseID: resolved, limit: limit, in: db)
    }

    /// The care-management signals of an enterprise patient as of `asOf` (now when `nil`).
    package func careSignals(enterpriseID: String, asOf: ClinicalTime? = nil) throws -> CareSignals? {
        guard let resolved = try resolve(enterpriseID), let asOf = asOf ?? IndexRows.clinicalNow() else { return nil }
        return try ledger.careSignals(enterpriseID: resolved, memberRecordIDs: try IndexRows.memberIDs(of: resolved, in: db),
            asOf: asOf, in: db)
    }

    // MARK: Review and history

    /// Review items with a status (all when `nil`), oldest first.
    package func reviewQueue(status: ReviewItem.Status? = .open, limit: Int = 500) throws -> [ReviewItem] {
        let rows = if let status {
            try db.rows("SELECT \(IndexRows.reviewColumns) FROM \(IndexRows.reviewFrom) WHERE q.status = ? ORDER BY q.id LIMIT ?", [status.rawValue, limit])
        } else {
            try db.rows("SELECT \(IndexRows.reviewColumns) FROM \(IndexRows.reviewFrom) ORDER BY q.id LIMIT ?", [limit])
        }
        return try rows.map(IndexRows.reviewItem)
    }

    /// One review item.
    package func reviewItem(id: Int64) throws -> ReviewItem? {
        try db.row("SELECT \(IndexRows.reviewColumns) FROM \(IndexRows.reviewFrom) WHERE q.id = ?", [id]).map(IndexRows.reviewItem)
    }

    /// The link history touching an enterprise patient (or all, when `nil`), oldest first.
    package func history(enterpriseID: String?, limit: Int = 1000) throws -> [HistoryEvent] {
        let columns = "event_id, time, actor, action, record_id, from_ep, to_ep, reason, explanation_data, reverses, reversed_by"
        let rows = if let enterpriseID {
            try db.rows("SELECT \(columns) FROM link_history WHERE from_ep = ? UNION SELECT \(columns) FROM link_history WHERE to_ep = ? ORDER BY event_id LIMIT ?",
                [enterpriseID, enterpriseID, limit])
        } else {
            try db.rows("SELECT \(columns) FROM link_history ORDER BY event_id LIMIT ?", [limit])
        }
        return try rows.map { row in
            guard let id = row.int(0), let action = row.string(3).flatMap(HistoryEvent.Action.init(rawValue:)) else {
                throw PatientIndexError(.corruptRow, "history row incomplete")
            }
            let explanation: MatchExplanation? = if case .blob(let bytes) = row[8] {
                try IndexRows.decode(MatchExplanation.self, bytes, column: "explanation_data")
            } else { nil }
            return HistoryEvent(eventID: id, time: row.string(1) ?? "", actor: row.string(2) ?? "", action: action,
                recordID: row.int(4), fromEnterpriseID: row.string(5), toEnterpriseID: row.string(6), reason: row.string(7),
                explanation: explanation, reverses: row.int(9), reversedBy: row.int(10))
        }
    }

    // MARK: Messages, audit, counts

    private static let messageColumns = """
        id, received_at, channel, format, sender_application, sender_facility, control_id, sha256, length(raw), status,
        error, error_position, ack
        """

    private func message(_ row: Row, raw: [UInt8]?) throws -> LoggedMessage {
        guard let id = row.int(0), let channel = row.string(2).flatMap(MessageChannel.init(rawValue:)),
            let status = row.string(9).flatMap(MessageStatus.init(rawValue:))
        else { throw PatientIndexError(.corruptRow, "message row incomplete") }
        let ack: [UInt8]? = if case .blob(let bytes) = row[12] { bytes } else { nil }
        return LoggedMessage(id: id, receivedAt: row.string(1) ?? "", channel: channel, format: row.string(3),
            senderApplication: row.string(4)?.nilIfBlank, senderFacility: row.string(5)?.nilIfBlank, controlID: row.string(6),
            sha256: row.string(7) ?? "", raw: raw, size: Int(row.int(8) ?? 0), status: status, error: row.string(10),
            errorPosition: row.string(11), ack: ack)
    }

    /// Logged messages, newest first, optionally of one status (raw bytes left out).
    package func messages(status: MessageStatus? = nil, limit: Int = 100) throws -> [LoggedMessage] {
        let rows = if let status {
            try db.rows("SELECT \(Self.messageColumns) FROM message_log WHERE status = ? ORDER BY id DESC LIMIT ?", [status.rawValue, limit])
        } else {
            try db.rows("SELECT \(Self.messageColumns) FROM message_log ORDER BY id DESC LIMIT ?", [limit])
        }
        return try rows.map { try message($0, raw: nil) }
    }

    /// One logged message with its raw bytes.
    package func message(id: Int64) throws -> LoggedMessage? {
        guard let row = try db.row("SELECT \(Self.messageColumns), raw FROM message_log WHERE id = ?", [id]) else { return nil }
        return try message(row, raw: row.blob(13) ?? [])
    }

    /// The audit log, newest first.
    package func auditLog(limit: Int = 100) throws -> [AuditEntry] {
        try db.rows("SELECT id, time, actor, action, patient_ids, detail FROM audit ORDER BY id DESC LIMIT ?", [limit]).map { row in
            AuditEntry(id: row.int(0) ?? 0, time: row.string(1) ?? "", actor: row.string(2) ?? "", action: row.string(3) ?? "",
                patientIDs: (row.string(4) ?? "").split(separator: ",").map(String.init), detail: row.string(5))
        }
    }

    /// Totals for metrics, from the `counters` table the schema's triggers keep (a dozen rows, whatever the
    /// size of the index), in one read transaction so the totals agree with each other.
    package func counts() throws -> IndexCounts {
        try db.read {
            var messages: [String: [MessageStatus: Int]] = [:]
            var enterprisePatients = 0, sourceRecords = 0
            for row in try db.rows("SELECT name, n FROM counters WHERE n <> 0") {
                guard let name = row.string(0) else { continue }
                let n = Int(row.int(1) ?? 0)
                let parts = name.split(separator: "/", omittingEmptySubsequences: false)
                if parts.count == 3, parts[0] == "messages", let status = MessageStatus(rawValue: String(parts[2])) {
                    messages[String(parts[1]), default: [:]][status] = n
                } else if name == "enterprise_patients/active" {
                    enterprisePatients = n
                } else if name == "source_records/current" {
                    sourceRecords = n
                }
            }
            return IndexCounts(
                messages: messages,
                enterprisePatients: enterprisePatients,
                sourceRecords: sourceRecords,
                openReviews: Int(try db.scalar("SELECT count(*) FROM review_queue WHERE status = 'open'").integerValue ?? 0),
                flags: try ledger.activeFlagCount(in: db))
        }
    }
}

extension SQLValue {
    var integerValue: Int64? { if case .integer(let v) = self { return v } else { return nil } }
}
