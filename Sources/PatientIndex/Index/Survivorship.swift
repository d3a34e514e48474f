import Clinical
import Foundation
import SQLite

/// The golden record of an enterprise patient, computed from its member source records.
///
/// Members are ranked by trust (``IndexConfiguration/sourceTrust``, higher first), then recency (the
/// source's own `recordedAt`, else when the index last updated the record), then record id. Then:
/// - **name**: the official name of the best-ranked member that has one (else its first name) comes first;
///   every other distinct name of every member follows, in rank order (aliases, maiden and old names);
/// - **birth date**: the most common among members, where a less precise date votes for every more precise
///   date it contains (`1980` supports `1980-05-17`); ties go to the more precise, then the better-ranked;
///   placeholder dates (1900-01-01, 1901-01-01) count only when nothing else is known;
/// - **sex**: the most common value other than unknown/other, ties to the better-ranked member;
/// - **identifiers**: the union of every member's identifiers (deduplicated by authority and value);
///   **SSN** the most common;
/// - **addresses, telecoms**: every distinct one, best-ranked member first;
/// - **deceased**: true when any member says so, with the latest deceased time;
/// - **other single values** (mother's maiden name, multiple birth, language, marital status, primary care
///   provider): the best-ranked member that has one; **race, ethnicity**: the union.
enum Survivorship {
    struct Member {
        var recordID: Int64
        var record: PatientRecord
        var updatedAt: String
    }

    static func golden(of members: [Member], trust: [String: Int]) -> PatientRecord? {
        let ranked = members.sorted { a, b in
            let ta = trust[a.record.source.key] ?? 0, tb = trust[b.record.source.key] ?? 0
            if ta != tb { return ta > tb }
            let ra = a.record.provenance.recordedAt?.instant, rb = b.record.provenance.recordedAt?.instant
            if ra != rb {
                guard let ra else { return false }
                guard let rb else { return true }
                return ra > rb
            }
            if a.updatedAt != b.updatedAt { return a.updatedAt > b.updatedAt }
            return a.recordID > b.recordID
        }
        guard let best = ranked.first else { return nil }
        let records = ranked.map(\.record)

        var names: [PersonName] = []
        if let lead = records.lazy.compactMap({ $0.names.first { $0.use == .official } }).first ?? records.lazy.compactMap(\.primaryName).first {
            names.append(lead)
        }
        for name in records.flatMap(\.names) where !names.contains(name) { names.append(name) }

        var identifiers: [PatientIdentifier] = []
        var seenIdentifiers = Set<String>()
        for record in records {
            for identifier in record.identifiers where seenIdentifiers.insert(IndexRows.authorityKey(identifier, source: record.source) + "|" + identifier.value).inserted {
                identifiers.append(identifier)
            }
        }
        var addresses: [PostalAddress] = []
        for address in records.flatMap(\.addresses) where !addresses.contains(address) { addresses.append(address) }
        var telecoms: [Telecom] = []
        for telecom in records.flatMap(\.telecoms) where !telecoms.contains(where: { $0.system == telecom.system && $0.value == telecom.value }) {
            telecoms.append(telecom)
        }
        var race: [Code] = []
        for code in records.flatMap(\.race) where !race.contains(code) { race.append(code) }
        var ethnicity: [Code] = []
        for code in records.flatMap(\.ethnicity) where !ethnicity.contains(code) { ethnicity.append(code) }

        let deceasedTimes = records.compactMap(\.deceasedTime)
        let anyDeceased = records.contains { $0.deceased == true } || !deceasedTimes.isEmpty
        let goldenSource = SourceSystem(facility: "Concord", application: "MPI")
        return PatientRecord(
            source: goldenSource,
            identifiers: identifiers,
            names: names,
            birthDate: birthDate(records),
            sex: mostCommon(records.compactMap(\.sex).filter { $0 != .unknown && $0 != .other })
                ?? records.lazy.compactMap(\.sex).first,
            addresses: addresses,
            telecoms: telecoms,
            ssn: mostCommon(records.compactMap(\.ssn)),
            mothersMaidenName: records.lazy.compactMap(\.mothersMaidenName).first,
            multipleBirth: records.lazy.compactMap(\.multipleBirth).first,
            birthOrder: records.lazy.compactMap(\.birthOrder).first,
            deceased: anyDeceased ? true : records.lazy.compactMap(\.deceased).first,
            deceasedTime: deceasedTimes.max { $0.instant < $1.instant },
            race: race,
            ethnicity: ethnicity,
            language: records.lazy.compactMap(\.language).first,
            maritalStatus: records.lazy.compactMap(\.maritalStatus).first,
            generalPractitioner: records.lazy.compactMap(\.generalPractitioner).first,
            provenance: Provenance(source: goldenSource, format: best.record.provenance.format, recordedAt: best.record.provenance.recordedAt))
    }

    /// The search terms of a golden record: the tokens of every family and given name, sorted.
    static func searchTerms(of golden: PatientRecord) -> [String] {
        var terms = Set<String>()
        for name in golden.names {
            for part in [name.family ?? ""] + name.given {
                terms.formUnion(IndexRows.searchTokens(part))
            }
        }
        return terms.sorted()
    }

    /// The value seen most often, ties to the earliest (best-ranked) occurrence.
    static func mostCommon<T: Hashable>(_ values: [T]) -> T? {
        var counts: [T: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        var best: T?
        var bestCount = 0
        for value in values where (counts[value] ?? 0) > bestCount {
            best = value
            bestCount = counts[value] ?? 0
        }
        return best
    }

    static func isPlaceholder(_ date: ClinicalTime) -> Bool {
        (date.year == 1900 || date.year == 1901) && date.month == 1 && date.day == 1
    }

    static func birthDate(_ records: [PatientRecord]) -> ClinicalTime? {
        let all = records.compactMap(\.birthDate)
        let real = all.filter { !isPlaceholder($0) }
        let dates = real.isEmpty ? all : real
        guard !dates.isEmpty else { return nil }
        func contains(_ coarse: ClinicalTime, _ fine: ClinicalTime) -> Bool {
            guard coarse.precision <= fine.precision, coarse.year == fine.year else { return false }
            if coarse.precision >= .month && coarse.month != fine.month { return false }
            if coarse.precision >= .day && coarse.day != fine.day { return false }
            return true
        }
        var best: ClinicalTime?
        var bestVotes = 0
        for candidate in dates {
            let votes = dates.filter { contains($0, candidate) }.count
            if votes > bestVotes || (votes == bestVotes && best.map { candidate.precision > $0.precision } == true) {
                best = candidate
                bestVotes = votes
            }
        }
        return best
    }
}

extension PatientIndexStore {
    /// Recomputes an enterprise patient's golden record and search terms from its current members.
    ///
    /// `solo`: the prepared form of the only member, when the enterprise patient and that record were both
    /// created by the ingest in progress (nothing to read back, no search terms to replace).
    func recomputeGolden(_ enterpriseID: String, now: String, solo: PreparedRecord? = nil, rowWritten: Bool = false) throws {
        if let golden = solo?.soloGolden {
            // `rowWritten`: the row was inserted with this very golden record (`createEnterprisePatient`).
            if !rowWritten {
                try db.run("UPDATE enterprise_patients SET golden_data = ?, birth_date = ?, updated_at = ? WHERE id = ?",
                    [golden.data, golden.birthDate, now, enterpriseID])
            }
            try SharedValueInserts.searchTerms.run(golden.terms, shared: enterpriseID, in: db)
            return
        }
        var members: [Survivorship.Member] = []
        for row in try db.rows("""
            SELECT r.id, r.updated_at FROM links l JOIN source_records r ON r.id = l.record_id
            WHERE l.enterprise_id = ? AND r.merged_into IS NULL
            """, [enterpriseID]) {
            guard let id = row.int(0) else { continue }
            // Records written by this ingest are at hand; others are read back.
            let record: PatientRecord
            if let recent = recentRecords[id] {
                record = recent
            } else {
                record = try IndexRows.decode(PatientRecord.self,
                    try db.row("SELECT record_data FROM source_records WHERE id = ?", [id])?.blob(0), column: "record_data")
            }
            members.append(Survivorship.Member(recordID: id, record: record, updatedAt: row.string(1) ?? ""))
        }
        let golden = Survivorship.golden(of: members, trust: configuration.sourceTrust)
        // Only the terms that changed are written: a new member rarely changes more than one or two.
        var stale = Set(try db.rows("SELECT term FROM search_terms WHERE enterprise_id = ?", [enterpriseID]).compactMap { $0.string(0) })
        var fresh: [String] = []
        for term in golden.map(Survivorship.searchTerms(of:)) ?? [] where stale.remove(term) == nil { fresh.append(term) }
        for term in stale.sorted() {
            try db.run("DELETE FROM search_terms WHERE term = ? AND enterprise_id = ?", [term, enterpriseID])
        }
        guard let golden else { return }
        try db.run("UPDATE enterprise_patients SET golden_data = ?, birth_date = ?, updated_at = ? WHERE id = ?",
            [try IndexRows.encode(golden), IndexRows.dateText(golden.birthDate), now, enterpriseID])
        try SharedValueInserts.searchTerms.run(fresh, shared: enterpriseID, in: db)
    }
}
