import Clinical
import Foundation
import SQLite

// The fact ledger: the unified record of each enterprise patient. Entry points: `FactLedger` (record the
// facts of a source record, refresh an enterprise patient's unified facts and duplicate-test flags, read
// them back), `FactConfiguration` (identity tolerance, local code map, retest-interval table) and
// `CareSignals`. The rules are documented in docs/unified-record.md.

/// An error of the fact ledger: a stored row that no longer decodes, or a request it cannot honour.
/// Never carries patient data.
package struct FactLedgerError: Error, Equatable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: Hashable, Sendable { case corruptRow, unknownFlag, invalidStatus }
        fileprivate let value: Value
        package static let corruptRow = Code(value: .corruptRow)
        package static let unknownFlag = Code(value: .unknownFlag)
        package static let invalidStatus = Code(value: .invalidStatus)
        package var description: String { "\(value)" }
    }

    package var code: Code
    package var reason: String
    /// Where: the table and row id.
    package var position: String

    package init(_ code: Code, _ reason: String, at position: String) {
        self.code = code
        self.reason = reason
        self.position = position
    }

    package static func == (lhs: FactLedgerError, rhs: FactLedgerError) -> Bool { lhs.code == rhs.code }

    package var description: String { "fact ledger \(code) at \(position): \(reason)" }
}

/// What a care team looks at to find the patients who most need coordination.
package struct CareSignals: Sendable, Codable, Hashable {
    /// The clinics (sending facilities) that sent facts about the patient, sorted.
    package var clinics: [String]
    /// The providers named on the patient's current facts (performers, ordering and attending providers,
    /// prescribers), sorted.
    package var providers: [String]
    /// Current medications with status active whose end is not before the as-of time.
    package var activeMedicationCount: Int
    /// Whether ``activeMedicationCount`` reaches the polypharmacy threshold (5 by default).
    package var polypharmacy: Bool
    /// Inpatient encounters that started in the 365 days up to the as-of time.
    package var admissionsLast12Months: Int
    /// Current problems whose code is on the chronic-condition list, one per concept.
    package var chronicProblems: [Code]
    /// Duplicate-test flags of the patient whose status is `open`.
    package var openDuplicateTestFlags: Int

    package init(
        clinics: [String], providers: [String], activeMedicationCount: Int, polypharmacy: Bool,
        admissionsLast12Months: Int, chronicProblems: [Code], openDuplicateTestFlags: Int
    ) {
        self.clinics = clinics
        self.providers = providers
        self.activeMedicationCount = activeMedicationCount
        self.polypharmacy = polypharmacy
        self.admissionsLast12Months = admissionsLast12Months
        self.chronicProblems = chronicProblems
        self.openDuplicateTestFlags = openDuplicateTestFlags
    }
}

/// Records facts per source record, unifies them per enterprise patient (one fact, several provenances),
/// keeps corrections and withdrawals with history, and flags duplicate tests.
///
/// Holds only immutable lookups; use it from the thread that owns the connection it is given.
package final class FactLedger: Sendable {
    package let configuration: FactConfiguration
    private let catalog: TestCatalog
    private let unifier: FactUnifier
    private let rules: DuplicateTestRules

    package init(configuration: FactConfiguration = .standard) {
        self.configuration = configuration
        let catalog = TestCatalog(configuration)
        self.catalog = catalog
        self.unifier = FactUnifier(catalog: catalog, toleranceSeconds: Double(configuration.resultTimeToleranceMinutes) * 60)
        self.rules = DuplicateTestRules(catalog: catalog, flagSameFacility: configuration.flagSameFacility)
    }

    /// Schema versions 100–199: fact instances, unified facts, flags.
    package static let migrations: [Migration] = FactSchema.migrations

    // MARK: Writing

    /// Records the facts of one source record (inside the caller's transaction; no BEGIN/COMMIT here).
    /// The same fact with the same provenance recorded twice for one source record is kept once, so
    /// re-processing a message is harmless.
    package func record(_ facts: [ClinicalFact], sourceRecordID: Int64, messageLogID: Int64?, in db: Connection) throws {
        try record(facts.map { ($0, try Self.prepare($0)) }, sourceRecordID: sourceRecordID, messageLogID: messageLogID, in: db)
    }

    /// The stored forms of a fact (pure: computed before the writer, see `PreparedSubmission`).
    static func prepare(_ fact: ClinicalFact) throws -> PreparedFact {
        let body = try CompactCodec.encode(fact.body)
        let provenance = try CompactCodec.encode(fact.provenance)
        return PreparedFact(body: body, provenance: provenance, fingerprint: fingerprint(body, provenance))
    }

    /// Records facts with their stored forms; returns the instances written (not those already there).
    @discardableResult
    func record(_ facts: [(ClinicalFact, PreparedFact)], sourceRecordID: Int64, messageLogID: Int64?, in db: Connection) throws -> [FactInstance] {
        var written: [FactInstance] = []
        // Bound once (same format as the column's default), not evaluated by SQLite for every row.
        let now = IndexRows.timestamp()
        for (fact, prepared) in facts {
            var local: Code?
            switch fact.body {
            case .result(let o) where o.code.loinc == nil: local = o.code
            case .order(let o) where o.code.loinc == nil: local = o.code
            default: break
            }
            try db.run(
                """
                INSERT OR IGNORE INTO fact_instance
                    (source_record_id, message_log_id, kind, facility, fingerprint, body, provenance, local_system, local_code, local_display,
                     recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [sourceRecordID, messageLogID, fact.kind.rawValue, fact.provenance.source.facility, prepared.fingerprint,
                 prepared.body, prepared.provenance,
                 local?.system, local?.code, local?.display, now])
            if db.changes == 1 {
                written.append(FactInstance(id: db.lastInsertRowID, recordID: sourceRecordID, body: fact.body, provenance: fact.provenance))
            }
        }
        return written
    }

    /// The stored `unified_fact.data` of a fact: its compact encoding without the id, which is the row's
    /// `id` column. Without the id the encoding depends only on the fact's content, so the unified facts of
    /// a new patient can be encoded before the writer knows the instance ids (see `prepareNewPatient`).
    static func storedForm(_ fact: UnifiedFact) throws -> [UInt8] {
        var anonymous = fact
        anonymous.id = ""
        return try CompactCodec.encode(anonymous)
    }

    /// The unified facts of an enterprise patient whose only facts are `facts` (its one source record is
    /// new), computed with provisional instance ids `0..<facts.count` in the order the facts will be
    /// recorded: content-only, so it runs on the parsing worker (`PatientIndexStore.prepare`). `nil` when it
    /// cannot stand in for the writer's own refresh: two facts with one fingerprint (the ledger keeps one),
    /// or a duplicate-test flag inside the submission itself (flags carry the final ids).
    func prepareNewPatient(_ facts: [ClinicalFact], prepared: [PreparedFact]) throws -> PreparedUnification? {
        guard !facts.isEmpty, Set(prepared.map(\.fingerprint)).count == prepared.count else { return nil }
        let instances = facts.enumerated().map { FactInstance(id: Int64($0.offset), recordID: 0, body: $0.element.body, provenance: $0.element.provenance) }
        let groups = unifier.unify(instances)
        guard rules.pairs(groups).isEmpty else { return nil }
        let rows = try groups.map { group in
            let fact = group.unified
            let interval = fact.body.time?.interval()
            let first = Int(group.firstID)
            // Most new facts stand alone, as sent: their stored form is spliced from the encodings already
            // made for `fact_instance` (encoding each fact a second time was ~8 % of a worker's message).
            var data: [UInt8]?
            if fact.history.isEmpty, fact.provenances.count == 1, fact.provenances[0] == facts[first].provenance, fact.body == facts[first].body {
                data = CompactCodec.unifiedWithOneSource(body: prepared[first].body, provenance: prepared[first].provenance, state: fact.state)
            }
            return PreparedUnification.Row(
                firstInstance: first, kind: fact.kind.rawValue, state: fact.state,
                start: interval?.start.timeIntervalSince1970, end: interval?.end.timeIntervalSince1970, data: try data ?? Self.storedForm(fact))
        }
        return PreparedUnification(factCount: facts.count, rows: rows, ledger: ObjectIdentifier(self))
    }

    /// Writes the unified facts prepared by ``prepareNewPatient(_:prepared:)`` for a new enterprise patient,
    /// given the ids its facts were recorded under. Returns false (writing nothing) when they do not fit:
    /// another ledger configuration, or not every fact recorded.
    func writeNewPatient(enterpriseID: String, instanceIDs: [Int64], prepared: PreparedUnification, in db: Connection) throws -> Bool {
        guard prepared.ledger == ObjectIdentifier(self), instanceIDs.count == prepared.factCount else { return false }
        for row in prepared.rows {
            try db.run("INSERT INTO unified_fact (enterprise_id, id, kind, state, t_start, t_end, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [enterpriseID, "F-\(instanceIDs[row.firstInstance])", row.kind, row.state, row.start, row.end, row.data])
        }
        return true
    }

    /// Recomputes the unified facts and duplicate-test flags of one enterprise patient from the facts of its
    /// member source records; returns the flags that are new since the last refresh (never seen before,
    /// under any enterprise id). A flag that no longer holds is kept inactive with its status.
    package func refresh(enterpriseID: String, memberRecordIDs: [Int64], in db: Connection) throws -> [DuplicateTestFlag] {
        try refresh(enterpriseID: enterpriseID, memberRecordIDs: memberRecordIDs, known: [:], in: db).flags
    }

    /// The same, with the complete fact instances of some members already at hand (records created by the
    /// ingest in progress: everything they have was just recorded), so only the others are read back.
    /// Also returns the unification, for ``refresh(enterpriseID:continuing:members:newInstances:in:)``.
    func refresh(enterpriseID: String, memberRecordIDs: [Int64], known: [Int64: [FactInstance]], in db: Connection) throws
        -> (flags: [DuplicateTestFlag], unification: PatientUnification)
    {
        var instances: [FactInstance] = []
        var unknown: [Int64] = []
        let members = Set(memberRecordIDs)
        for id in members {
            if let have = known[id] { instances += have } else { unknown.append(id) }
        }
        instances += try loadInstances(unknown, in: db)
        return try refresh(enterpriseID: enterpriseID, instances: instances, members: members, isNew: false, in: db)
    }

    /// The refresh of an enterprise patient created in the current ingest from records created in it:
    /// `instances` are all its facts (just recorded), and it has no unified facts or flags stored yet.
    func refresh(enterpriseID: String, newPatientInstances instances: [FactInstance], members: [Int64], in db: Connection) throws
        -> (flags: [DuplicateTestFlag], unification: PatientUnification)
    {
        try refresh(enterpriseID: enterpriseID, instances: instances, members: Set(members), isNew: true, in: db)
    }

    /// The refresh after an ingest that only added facts: `unification` is what the previous refresh of
    /// this enterprise patient left (its stored unified facts and active flags are exactly that), `members`
    /// are its records now (those of the previous refresh plus records created since, whose every fact is
    /// in `newInstances`), and `newInstances` the facts recorded since, each with a larger id than any
    /// before. Only the new instances are unified; only the unified facts they created or changed are
    /// written, and only the flags those facts take part in. So a message about a patient with a long
    /// history costs what its own facts cost, not what the history does. Nil (changing nothing) when the
    /// new instances do not continue the unification; the caller then refreshes in full.
    func refresh(enterpriseID: String, continuing unification: PatientUnification, members: Set<Int64>, newInstances: [FactInstance],
                 in db: Connection) throws -> [DuplicateTestFlag]? {
        guard let touched = unifier.extend(unification.state, with: newInstances) else { return nil }
        var touchedIDs = Set<String>()
        for group in touched {
            let fact = group.unified
            touchedIDs.insert(fact.id)
            try writeUnified(fact, data: try Self.storedForm(fact), enterpriseID: enterpriseID, in: db)
        }
        // A flag that was active and whose two facts are as they were has its row right already: only the
        // others are built and written.
        var current = Set<String>()
        var changed: [DuplicateTestFlag] = []
        for pair in rules.pairs(unification.state.groups) {
            current.insert(pair.id)
            if unification.activeFlags.contains(pair.id), !touchedIDs.contains(pair.earlier.id), !touchedIDs.contains(pair.later.id) { continue }
            changed.append(rules.flag(pair, enterpriseID: enterpriseID))
        }
        changed.sort(by: DuplicateTestRules.flagOrder)
        let new = try writeFlags(changed, current: current, enterpriseID: enterpriseID, wasActive: unification.activeFlags, in: db)
        unification.activeFlags = current
        unification.members = members
        return new
    }

    private func refresh(enterpriseID: String, instances: [FactInstance], members: Set<Int64>, isNew: Bool, in db: Connection) throws
        -> (flags: [DuplicateTestFlag], unification: PatientUnification)
    {
        let state = UnificationState()
        unifier.extend(state, with: instances)
        let groups = state.groups
        // Write only what changed: a refresh after one new message touches a few rows, not the whole record.
        var stored: [String: [UInt8]] = [:]
        if !isNew {
            for row in try db.rows("SELECT id, data FROM unified_fact WHERE enterprise_id = ?", [enterpriseID]) {
                if let id = row.string(0) { stored[id] = row.blob(1) ?? [] }
            }
        }
        for group in groups {
            let fact = group.unified
            let data = try Self.storedForm(fact)
            if let old = stored.removeValue(forKey: fact.id), old == data { continue }
            try writeUnified(fact, data: data, enterpriseID: enterpriseID, in: db)
        }
        for id in stored.keys {
            try db.run("DELETE FROM unified_fact WHERE enterprise_id = ? AND id = ?", [enterpriseID, id])
        }
        let flags = rules.flags(enterpriseID: enterpriseID, groups: groups)
        let wasActive = isNew ? [] : Set(try db.rows("SELECT id FROM fact_flag WHERE enterprise_id = ? AND active = 1", [enterpriseID]).compactMap { $0.string(0) })
        let new = try writeFlags(flags, current: Set(flags.map(\.id)), enterpriseID: enterpriseID, wasActive: wasActive, in: db)
        return (new, PatientUnification(state: state, members: members, activeFlags: Set(flags.map(\.id))))
    }

    /// Writes one unified fact (new or changed: REPLACE is a plain insert when the row does not exist yet).
    private func writeUnified(_ fact: UnifiedFact, data: [UInt8], enterpriseID: String, in db: Connection) throws {
        let interval = fact.body.time?.interval()
        try db.run("REPLACE INTO unified_fact (enterprise_id, id, kind, state, t_start, t_end, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [enterpriseID, fact.id, fact.kind.rawValue, fact.state, interval?.start.timeIntervalSince1970,
             interval?.end.timeIntervalSince1970, data])
    }

    /// Stores `flags` (those of the flags holding now, `current`, whose rows may be out of date) and
    /// deactivates the ones of `wasActive` that no longer hold; returns the flags never seen before.
    private func writeFlags(_ flags: [DuplicateTestFlag], current: Set<String>, enterpriseID: String, wasActive: Set<String>,
                            in db: Connection) throws -> [DuplicateTestFlag] {
        var new: [DuplicateTestFlag] = []
        for flag in flags {
            var stored = flag
            stored.status = "open"
            let data = try CompactCodec.encode(stored)
            let laterTime = flag.later.time?.instant.timeIntervalSince1970
            let changed = try db.run(
                """
                UPDATE fact_flag SET enterprise_id = ?, kind = ?, active = 1, later_time = ?, data = ?,
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                WHERE id = ?
                """, [enterpriseID, flag.kind.rawValue, laterTime, data, flag.id])
            if changed == 0 {
                try db.run(
                    "INSERT INTO fact_flag (id, enterprise_id, kind, later_time, data) VALUES (?, ?, ?, ?, ?)",
                    [flag.id, enterpriseID, flag.kind.rawValue, laterTime, data])
                new.append(flag)
            }
        }
        for id in wasActive.subtracting(current) {
            try db.run("UPDATE fact_flag SET active = 0, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?", [id])
        }
        return new
    }

    /// Removes an enterprise patient's derived rows (after a merge folded it into another). Its flags are
    /// made inactive, not deleted, so their status comes back when the surviving patient's refresh finds
    /// the same two facts again.
    package func forget(enterpriseID: String, in db: Connection) throws {
        try db.run("DELETE FROM unified_fact WHERE enterprise_id = ?", [enterpriseID])
        try db.run("UPDATE fact_flag SET active = 0, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE enterprise_id = ? AND active = 1", [enterpriseID])
    }

    /// Sets a flag's status (`open`, `acknowledged`, `dismissed`); it survives later refreshes.
    package func setFlagStatus(_ status: String, flagID: String, in db: Connection) throws {
        guard ["open", "acknowledged", "dismissed"].contains(status) else {
            throw FactLedgerError(.invalidStatus, "flag status must be open, acknowledged or dismissed", at: "fact_flag")
        }
        let changed = try db.run("UPDATE fact_flag SET status = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?", [status, flagID])
        if changed == 0 { throw FactLedgerError(.unknownFlag, "no such flag", at: "fact_flag \(flagID)") }
    }

    // MARK: Reading

    /// The unified facts of an enterprise patient, optionally of some kinds and overlapping `[from, to]`
    /// (facts without a time are left out when a range is given), in time order (untimed last).
    package func unifiedFacts(enterpriseID: String, kinds: Set<FactKind>?, from: ClinicalTime?, to: ClinicalTime?, in db: Connection) throws -> [UnifiedFact] {
        let lower = from?.interval().start.timeIntervalSince1970
        let upper = to?.interval().end.timeIntervalSince1970
        var rows: [Row] = []
        if let kinds {
            for kind in kinds.sorted(by: { $0.rawValue < $1.rawValue }) {
                rows += try db.rows(
                    """
                    SELECT id, data, t_start FROM unified_fact
                    WHERE enterprise_id = ?1 AND kind = ?2 AND (?3 IS NULL OR t_end > ?3) AND (?4 IS NULL OR t_start < ?4)
                    """, [enterpriseID, kind.rawValue, lower, upper])
            }
        } else {
            rows = try db.rows(
                """
                SELECT id, data, t_start FROM unified_fact
                WHERE enterprise_id = ?1 AND (?2 IS NULL OR t_end > ?2) AND (?3 IS NULL OR t_start < ?3)
                """, [enterpriseID, lower, upper])
        }
        // Time order; untimed last; ties in the order the facts first arrived (the instance id in `F-<id>`).
        func arrival(_ row: Row) -> Int64 { row.string(0).flatMap { Int64($0.dropFirst(2)) } ?? 0 }
        let ordered = rows.sorted { a, b in
            switch (a.double(2), b.double(2)) {
            case let (x?, y?) where x != y: return x < y
            case (nil, .some): return false
            case (.some, nil): return true
            default: return arrival(a) < arrival(b)
            }
        }
        return try ordered.map { row in
            let position = "unified_fact \(enterpriseID) \(row.string(0) ?? "?")"
            guard let data = row.blob(1), let id = row.string(0) else { throw FactLedgerError(.corruptRow, "unified fact without data", at: position) }
            var fact = try decode(UnifiedFact.self, data, at: position)
            fact.id = id
            return fact
        }
    }

    /// The active duplicate-test flags of one enterprise patient, or of all patients when `nil`, latest first.
    /// How many flags are active, counted in SQL (`/metrics` asks on every scrape; decoding every flag to
    /// count them allocated ~0.5 GB at 200k flags).
    package func activeFlagCount(in db: Connection) throws -> Int {
        if case .integer(let n) = try db.scalar("SELECT count(*) FROM fact_flag WHERE active = 1") { return Int(n) }
        return 0
    }

    package func flags(enterpriseID: String?, limit: Int? = nil, in db: Connection) throws -> [DuplicateTestFlag] {
        let rows: [Row]
        let cap = Int64(limit ?? -1)  // SQLite: a negative LIMIT is no limit
        if let enterpriseID {
            rows = try db.rows("SELECT id, status, data FROM fact_flag WHERE enterprise_id = ? AND active = 1 ORDER BY later_time DESC, id LIMIT ?",
                [enterpriseID, cap])
        } else {
            rows = try db.rows("SELECT id, status, data FROM fact_flag WHERE active = 1 ORDER BY later_time DESC, id LIMIT ?", [cap])
        }
        return try rows.map { row in
            let position = "fact_flag \(row.string(0) ?? "?")"
            guard let data = row.blob(2), let status = row.string(1) else {
                throw FactLedgerError(.corruptRow, "flag without data", at: position)
            }
            var flag = try decode(DuplicateTestFlag.self, data, at: position)
            flag.status = status
            return flag
        }
    }

    /// The care-management signals of an enterprise patient as of a time (from its refreshed unified facts
    /// and the facts recorded for its member records).
    package func careSignals(enterpriseID: String, memberRecordIDs: [Int64], asOf: ClinicalTime, in db: Connection) throws -> CareSignals {
        var clinics: [String: String] = [:]
        for recordID in memberRecordIDs {
            for row in try db.rows("SELECT DISTINCT facility FROM fact_instance WHERE source_record_id = ?", [recordID]) {
                if let facility = row.string(0), !facility.isEmpty { clinics[facility.uppercased()] = clinics[facility.uppercased()] ?? facility }
            }
        }
        let facts = try unifiedFacts(enterpriseID: enterpriseID, kinds: nil, from: nil, to: nil, in: db)
        let now = asOf.instant
        let yearAgo = now.addingTimeInterval(-365 * 86_400)
        var providers: Set<String> = []
        var medications = 0
        var admissions = 0
        var chronic: [String: Code] = [:]
        for fact in facts where fact.state != "withdrawn" {
            let named: [ProviderReference?]
            switch fact.body {
            case .result(let o): named = [o.performer]
            case .order(let o): named = [o.orderingProvider]
            case .medication(let m):
                named = [m.prescriber]
                let ended = m.end.map { $0.interval().end <= now } ?? false
                let started = m.start.map { $0.instant <= now } ?? true
                if m.status == .active, !ended, started { medications += 1 }
            case .encounter(let e):
                named = [e.attendingProvider]
                if e.isAdmission, e.status != .cancelled, let start = e.start?.instant, start > yearAgo, start <= now { admissions += 1 }
            case .procedure(let p): named = [p.performer]
            case .problem(let p):
                named = []
                let live: Set<Problem.Status> = [.active, .recurrence, .relapse, .unknown]
                if live.contains(p.status), p.verification != .refuted, catalog.isChronic(p.code) {
                    chronic[p.code.key] = chronic[p.code.key] ?? p.code
                }
            case .allergy, .immunization: named = []
            }
            for provider in named { if let label = provider?.label, label != "unknown" { providers.insert(label) } }
        }
        let open = try db.scalar("SELECT COUNT(*) FROM fact_flag WHERE enterprise_id = ? AND active = 1 AND status = 'open'", [enterpriseID])
        var openCount = 0
        if case .integer(let n) = open { openCount = Int(n) }
        return CareSignals(
            clinics: clinics.values.sorted(), providers: providers.sorted(), activeMedicationCount: medications,
            polypharmacy: medications >= configuration.polypharmacyThreshold, admissionsLast12Months: admissions,
            chronicProblems: chronic.values.sorted { $0.key < $1.key }, openDuplicateTestFlags: openCount)
    }

    /// Local result and order codes that have no LOINC coding and no entry in the local code map, with
    /// the clinic that sends them and how many facts carry them, most frequent first.
    package func unmappedCodes(in db: Connection) throws -> [(code: Code, facility: String, count: Int)] {
        let rows = try db.rows(
            """
            SELECT local_system, local_code, facility, MAX(local_display), COUNT(*) FROM fact_instance
            WHERE local_code IS NOT NULL GROUP BY local_system, local_code, facility
            """)
        var report: [(code: Code, facility: String, count: Int)] = []
        for row in rows {
            guard let code = row.string(1), let facility = row.string(2) else { continue }
            let local = Code(system: row.string(0), code: code, display: row.string(3))
            if catalog.loinc(for: local, facility: facility) != nil { continue }
            report.append((local, facility, Int(row.int(4) ?? 0)))
        }
        return report.sorted {
            $0.count != $1.count ? $0.count > $1.count : ($0.facility, $0.code.key) < ($1.facility, $1.code.key)
        }
    }

    // MARK: Internals

    private func loadInstances(_ recordIDs: [Int64], in db: Connection) throws -> [FactInstance] {
        var instances: [FactInstance] = []
        for recordID in Set(recordIDs) {
            for row in try db.rows("SELECT id, body, provenance FROM fact_instance WHERE source_record_id = ?", [recordID]) {
                let position = "fact_instance \(row.int(0) ?? -1)"
                guard let id = row.int(0), let body = row.blob(1), let provenance = row.blob(2) else {
                    throw FactLedgerError(.corruptRow, "fact instance without body", at: position)
                }
                instances.append(FactInstance(
                    id: id, recordID: recordID, body: try decode(FactBody.self, body, at: position),
                    provenance: try decode(Provenance.self, provenance, at: position)))
            }
        }
        return instances
    }

    private func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], at position: String) throws -> T {
        do {
            return try CompactCodec.decode(type, from: bytes)
        } catch {
            throw FactLedgerError(.corruptRow, "stored value does not decode as \(type)", at: position)
        }
    }

    /// FNV-1a 64 over the encoded body and provenance, as hex.
    private static func fingerprint(_ body: [UInt8], _ provenance: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in body { hash ^= UInt64(byte); hash = hash &* 0x0000_0100_0000_01b3 }
        hash ^= 0xFF
        hash = hash &* 0x0000_0100_0000_01b3
        for byte in provenance { hash ^= UInt64(byte); hash = hash &* 0x0000_0100_0000_01b3 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// The unified facts of a new patient computed ahead of the writer (``FactLedger/prepareNewPatient(_:prepared:)``).
struct PreparedUnification: Sendable {
    struct Row: Sendable {
        /// Position (in recording order) of the fact whose instance id names the unified fact.
        var firstInstance: Int
        var kind: String
        var state: String
        var start: Double?
        var end: Double?
        /// ``FactLedger/storedForm(_:)``.
        var data: [UInt8]
    }
    var factCount: Int
    var rows: [Row]
    /// The ledger that computed it (its configuration decides identity).
    var ledger: ObjectIdentifier
}

/// What a refresh of one enterprise patient leaves for the next one in the same process: the
/// unification of its facts, the records it was computed for and the flags left active. Held by the
/// store's writer only, and dropped whenever a transaction rolls back.
final class PatientUnification {
    let state: UnificationState
    var members: Set<Int64>
    var activeFlags: Set<String>

    init(state: UnificationState, members: Set<Int64>, activeFlags: Set<String>) {
        self.state = state
        self.members = members
        self.activeFlags = activeFlags
    }
}
