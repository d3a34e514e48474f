import Clinical
import Foundation
import SQLite

/// The candidates of an incoming record, grouped by enterprise patient as the model's `decide` wants
/// them, with the member record behind each comparison (for the explanation's `comparedWith`).
struct CandidateSet {
    var candidates: [PatientCandidate] = []
    var memberIDs: [String: [Int64]] = [:]

    func bestMember(of enterpriseID: String) -> Int64? {
        guard let candidate = candidates.first(where: { $0.patientID == enterpriseID }), let best = candidate.best,
            let index = candidate.comparisons.firstIndex(of: best) else { return nil }
        return memberIDs[enterpriseID]?[index]
    }
}

extension PatientIndexStore {
    /// Ingests one submission: per patient record, a deterministic update or a probabilistic decision
    /// (link, review, new enterprise patient); then the source's merges (ADT^A40), the facts, golden
    /// records and the fact ledger's refresh of every enterprise patient touched.
    ///
    /// Runs as a savepoint inside the caller's transaction (or its own transaction when there is none):
    /// when it throws, nothing of this submission remains and the enclosing transaction goes on.
    package func ingest(_ submission: Submission, messageID: Int64?) throws -> IngestOutcome {
        try ingest(Self.prepare(submission), messageID: messageID)
    }

    /// Ingests a submission prepared ahead (``prepare(_:)``, on the thread that parsed it).
    package func ingest(_ prepared: PreparedSubmission, messageID: Int64?) throws -> IngestOutcome {
        do {
            if db.isInTransaction && !isolatesIngests {
                // An optimistic group commit: no savepoint, and a failure abandons the whole attempt.
                guard !unisolatedIngestFailed else { throw RetryWithSavepoints() }
                do {
                    return try ingestInTransaction(prepared, messageID: messageID)
                } catch {
                    unisolatedIngestFailed = true
                    throw error
                }
            }
            if db.isInTransaction {
                return try db.savepoint("ingest") { try ingestInTransaction(prepared, messageID: messageID) }
            }
            return try transaction { try ingestInTransaction(prepared, messageID: messageID) }
        } catch {
            // Rolled back: record ids written by this ingest will be handed out again.
            dropCaches()
            throw error
        }
    }

    private func ingestInTransaction(_ prepared: PreparedSubmission, messageID: Int64?) throws -> IngestOutcome {
        let submission = prepared.submission
        recentRecords.removeAll(keepingCapacity: true)
        createdRecords.removeAll(keepingCapacity: true)
        createdPatients.removeAll(keepingCapacity: true)
        soloGoldenWritten.removeAll(keepingCapacity: true)
        rematchedPatients.removeAll(keepingCapacity: true)
        rematchedRecords.removeAll(keepingCapacity: true)
        defer {
            recentRecords.removeAll(keepingCapacity: true)
            createdRecords.removeAll(keepingCapacity: true)
            createdPatients.removeAll(keepingCapacity: true)
            soloGoldenWritten.removeAll(keepingCapacity: true)
            rematchedPatients.removeAll(keepingCapacity: true)
            rematchedRecords.removeAll(keepingCapacity: true)
        }
        let now = IndexRows.timestamp()
        var outcomes: [PatientOutcome] = []
        var affected: [String] = []
        func touch(_ id: String) { if !affected.contains(id) { affected.append(id) } }
        for (subject, record) in submission.patients.enumerated() {
            let outcome = try ingestRecord(record, prepared: prepared.records[subject], subject: subject, messageID: messageID, now: now, touch: touch)
            outcomes.append(outcome)
            touch(outcome.enterpriseID)
        }
        // Patients a record left when it was matched again (`rematchAlone`): now empty.
        for id in rematchedPatients { touch(id) }
        var sourceMerges: [SourceMergeOutcome] = []
        for merge in submission.merges {
            guard let survivor = outcomes.first(where: { $0.subject == merge.survivor }) else {
                throw PatientIndexError(.invalidArgument, "merge names survivor \(merge.survivor), which the submission does not have")
            }
            for folded in try applySourceMerge(merge, survivorRecordID: survivor.recordID, source: submission.source, now: now) {
                sourceMerges.append(folded.outcome)
                touch(folded.priorEnterpriseID)
                touch(folded.outcome.enterpriseID)
            }
        }
        // The survivor's enterprise id may have changed hands; report where each record is now.
        for i in outcomes.indices where !submission.merges.isEmpty {
            if let current = try IndexRows.enterpriseID(ofRecord: outcomes[i].recordID, in: db) { outcomes[i].enterpriseID = current }
        }
        // A record of this submission that a later one's link matched again is reported linked, where it went.
        for i in outcomes.indices {
            guard let moved = rematchedRecords[outcomes[i].recordID] else { continue }
            outcomes[i].enterpriseID = try IndexRows.enterpriseID(ofRecord: outcomes[i].recordID, in: db) ?? moved.enterpriseID
            outcomes[i].decision = .linked
            outcomes[i].explanation = moved.explanation
        }
        let factsStart = IngestWork.clock()
        var recorded: [Int64: [FactInstance]] = [:]
        var unifications: [Int64: PreparedUnification] = [:]
        for outcome in outcomes {
            unifications[outcome.recordID] = prepared.newPatientFacts[outcome.subject]
            let facts = zip(submission.facts, prepared.facts).filter { $0.0.subject == outcome.subject }
            if !facts.isEmpty {
                recorded[outcome.recordID, default: []] += try ledger.record(facts, sourceRecordID: outcome.recordID, messageLogID: messageID, in: db)
            }
        }
        let refreshStart = IngestWork.clock()
        work.factSeconds += refreshStart - factsStart
        let flags = try refresh(affected, now: now, recorded: recorded, unifications: unifications)
        work.refreshSeconds += IngestWork.clock() - refreshStart
        return IngestOutcome(messageID: messageID, patients: outcomes, sourceMerges: sourceMerges, flags: flags)
    }

    /// Recomputes the golden record and the fact ledger's view of each enterprise patient.
    ///
    /// `recorded`: the fact instances this ingest wrote, by record. An enterprise patient created by this
    /// ingest whose members were all created by it too has no other facts, no unified facts and no flags
    /// yet, so its refresh starts from these instead of reading them back; when its one record's unified
    /// facts were prepared ahead (`unifications`, by record), they are written as they are.
    func refresh(
        _ enterpriseIDs: [String], now: String, recorded: [Int64: [FactInstance]] = [:], unifications: [Int64: PreparedUnification] = [:]
    ) throws -> [DuplicateTestFlag] {
        var flags: [DuplicateTestFlag] = []
        for id in enterpriseIDs {
            let members = try IndexRows.memberIDs(of: id, in: db)
            let onlyNew = createdPatients.contains(id) && members.allSatisfy { createdRecords[$0] != nil }
            let solo = onlyNew && members.count == 1 ? createdRecords[members[0]] : nil
            try recomputeGolden(id, now: now, solo: solo, rowWritten: solo != nil && soloGoldenWritten[id] == members[0])
            if members.isEmpty {
                unificationCache.remove(id)
                try ledger.forget(enterpriseID: id, in: db)
            } else if onlyNew {
                let instances = members.flatMap { recorded[$0] ?? [] }
                if members.count == 1, let unification = unifications[members[0]],
                    try ledger.writeNewPatient(enterpriseID: id, instanceIDs: instances.map(\.id), prepared: unification, in: db)
                {
                    continue
                }
                let refreshed = try ledger.refresh(enterpriseID: id, newPatientInstances: instances, members: members, in: db)
                flags += refreshed.flags
                unificationCache.insert(refreshed.unification, for: id)
            } else {
                let memberSet = Set(members)
                let created = Set(members.filter { createdRecords[$0] != nil })
                // Only facts were added since this patient's last refresh (the same records, plus records
                // this ingest created): continue its unification with the facts this ingest recorded.
                if let cached = unificationCache.value(for: id), cached.members == memberSet.subtracting(created),
                    let added = try ledger.refresh(enterpriseID: id, continuing: cached, members: memberSet,
                                                   newInstances: members.flatMap { recorded[$0] ?? [] }, in: db)
                {
                    flags += added
                    unificationCache.insert(cached, for: id)
                    incrementalRefreshes += 1
                    // The same records as before: no review item was settled or unsettled.
                } else {
                    // Records this ingest created hold exactly the facts it recorded for them.
                    var known: [Int64: [FactInstance]] = [:]
                    for member in created { known[member] = recorded[member] ?? [] }
                    let refreshed = try ledger.refresh(enterpriseID: id, memberRecordIDs: members, known: known, in: db)
                    flags += refreshed.flags
                    unificationCache.insert(refreshed.unification, for: id)
                    try withdrawSettledReviews(in: id, now: now)
                }
            }
        }
        return flags
    }

    /// Withdraws the open review items of `enterpriseID`'s records whose candidate is now that same
    /// enterprise patient (a merge, an ADT^A40, a link or a re-match brought them together): there is
    /// nothing left to decide, and "not a match" would be recorded against the record's own patient.
    /// Items it withdrew whose record and candidate are apart again (the merge or link was undone, the
    /// record unlinked) are open again.
    func withdrawSettledReviews(in enterpriseID: String, now: String) throws {
        let items = try db.rows(Self.settledReviewsQuery, [enterpriseID, Self.settledReason])
        for row in items {
            guard let id = row.int(0), let candidate = row.string(1), let together = try? resolve(candidate) == enterpriseID else { continue }
            if row.string(2) == "open", together {
                try db.run("UPDATE review_queue SET status = 'withdrawn', decided_by = ?, decided_at = ?, reason = ? WHERE id = ?",
                    [Self.matcherActor, now, Self.settledReason, id])
            } else if row.string(2) == "withdrawn", !together {
                try db.run("UPDATE review_queue SET status = 'open', decided_by = NULL, decided_at = NULL, reason = NULL WHERE id = ?", [id])
            }
        }
    }

    static let settledReason = "record and candidate are now in one enterprise patient"

    /// The review items `withdrawSettledReviews` looks at. CROSS JOIN keeps the patient's links as the
    /// outer loop: with a plain JOIN SQLite walked every open item through `review_queue_status` for each
    /// patient refreshed (6,670 of them at 1M records, 5–6 ms: the whole p99 of a linked record).
    static let settledReviewsQuery = """
        SELECT q.id, q.candidate_enterprise_id, q.status FROM links l CROSS JOIN review_queue q ON q.record_id = l.record_id
        WHERE l.enterprise_id = ?1 AND (q.status = 'open' OR (q.status = 'withdrawn' AND q.reason = ?2))
        """

    // MARK: One record

    private func ingestRecord(
        _ record: PatientRecord, prepared: PreparedRecord, subject: Int, messageID: Int64?, now: String, touch: (String) -> Void
    ) throws -> PatientOutcome {
        for identifier in record.recordKeys where !identifier.value.isEmpty {
            if let existing = try db.row("SELECT record_id FROM identifiers WHERE authority_key = ? AND value = ? AND is_key = 1",
                [IndexRows.authorityKey(identifier, source: record.source), identifier.value])?.int(0) {
                return try updateRecord(existing, with: record, prepared: prepared, subject: subject, messageID: messageID, now: now, touch: touch)
            }
        }
        let features = prepared.features
        // Asked before the record files its own keys: which of them some other record may have filed.
        let filed = try keysPerhapsFiled(prepared.keys)
        let recordID = try insertRecord(record, prepared: prepared, messageID: messageID, now: now)
        let t0 = IngestWork.clock()
        let candidates = try candidates(recordID: recordID, keys: filed, features: features, excluding: nil)
        let t1 = IngestWork.clock()
        defer { work.candidateSeconds += t1 - t0; work.decideSeconds += IngestWork.clock() - t1 }
        return try decide(recordID: recordID, subject: subject, candidates: candidates, now: now, ownEnterpriseID: nil)
    }

    /// A record the index already keys: replace its demographics (keeping identifiers it no longer sends),
    /// keep its link. A record alone in its enterprise patient whose matching features changed is matched
    /// again (its earlier steward "not a match" decisions still hold).
    private func updateRecord(
        _ recordID: Int64, with incoming: PatientRecord, prepared: PreparedRecord, subject: Int, messageID: Int64?, now: String, touch: (String) -> Void
    ) throws -> PatientOutcome {
        guard let row = try db.row("SELECT record_data, features_data FROM source_records WHERE id = ?", [recordID]) else {
            throw PatientIndexError(.corruptRow, "identifier points at missing record \(recordID)")
        }
        let old = try IndexRows.decode(PatientRecord.self, row.blob(0), column: "record_data")
        var updated = incoming
        for identifier in old.identifiers where !updated.identifiers.contains(where: {
            $0.value == identifier.value && IndexRows.authorityKey($0, source: updated.source) == IndexRows.authorityKey(identifier, source: old.source)
        }) {
            updated.identifiers.append(identifier)
        }
        let oldFeatures = try IndexRows.decode(MatchFeatures.self, row.blob(1), column: "features_data")
        createdRecords[recordID] = nil
        // The prepared forms hold unless identifiers the message no longer sends were kept.
        let current = updated.identifiers.count == incoming.identifiers.count ? prepared : try PreparedRecord(updated)
        let features = current.features
        let keys = current.keys
        recentRecords[recordID] = updated
        try db.run("UPDATE source_records SET record_data = ?, features_data = ?, message_log_id = ?, updated_at = ? WHERE id = ?",
            [current.recordData, current.featuresData, messageID, now, recordID])
        try writeIdentifiers(of: updated, recordID: recordID, replacing: true)
        if features != oldFeatures {
            cacheFeatures(features, of: recordID)
            try deleteBlockingKeys(of: recordID)
            try writeBlockingKeys(keys, recordID: recordID)
            try db.run("UPDATE source_records SET block_keys = ? WHERE id = ?", [current.storedKeys, recordID])
            try adjustNameFrequencies(of: oldFeatures, by: -1)
            try adjustNameFrequencies(of: features, by: 1)
        }
        guard let enterpriseID = try IndexRows.enterpriseID(ofRecord: recordID, in: db) else {
            throw PatientIndexError(.corruptRow, "record \(recordID) has no link")
        }
        let explanation = MatchExplanation(
            method: "identifier", total: 0, upperThreshold: model.upperThreshold, lowerThreshold: model.lowerThreshold,
            modelVersion: model.version, grade: .certain, comparedWith: "record:\(recordID)")
        try appendHistory(action: .update, actor: Self.matcherActor, recordID: recordID, from: enterpriseID, to: enterpriseID,
            reason: nil, explanation: nil, detail: nil, now: now)
        let memberCount = try IndexRows.memberIDs(of: enterpriseID, in: db).count
        let hasOpenReview = try db.row("SELECT 1 FROM review_queue WHERE record_id = ? AND status = 'open' LIMIT 1", [recordID]) != nil
        if features != oldFeatures && memberCount == 1 && !hasOpenReview {
            let candidates = try candidates(recordID: recordID, keys: keys, features: features, excluding: enterpriseID)
            var outcome = try decide(recordID: recordID, subject: subject, candidates: candidates, now: now, ownEnterpriseID: enterpriseID)
            touch(enterpriseID)
            if outcome.decision == .new { outcome.decision = .updated; outcome.explanation = explanation }
            return outcome
        }
        return PatientOutcome(subject: subject, recordID: recordID, enterpriseID: enterpriseID, decision: .updated,
            explanation: explanation, reviewIDs: [])
    }

    private func insertRecord(_ record: PatientRecord, prepared: PreparedRecord, messageID: Int64?, now: String) throws -> Int64 {
        try db.run("""
            INSERT INTO source_records (source_key, record_data, features_data, message_log_id, created_at, updated_at, block_keys)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, [record.source.key, prepared.recordData, prepared.featuresData, messageID, now, now, prepared.storedKeys])
        let recordID = db.lastInsertRowID
        recentRecords[recordID] = record
        createdRecords[recordID] = prepared
        cacheFeatures(prepared.features, of: recordID)
        try writeIdentifiers(of: record, recordID: recordID, replacing: false)
        try writeBlockingKeys(prepared.keys, recordID: recordID)
        try adjustNameFrequencies(of: prepared.features, by: 1)
        return recordID
    }

    /// Identifiers of a record: record keys (unique per authority key) and cross-organization evidence
    /// (SSN, driver's licence …), all searchable by value. A key another record already holds stays with it.
    func writeIdentifiers(of record: PatientRecord, recordID: Int64, replacing: Bool) throws {
        // Record keys are never taken away from a record (a key folded in by a merge stays); evidence is rewritten.
        if replacing { try db.run("DELETE FROM identifiers WHERE record_id = ? AND is_key = 0", [recordID]) }
        for identifier in record.identifiers where !identifier.value.isEmpty {
            try db.run("INSERT OR IGNORE INTO identifiers (record_id, authority_key, value, type, is_key) VALUES (?, ?, ?, ?, ?)",
                [recordID, IndexRows.authorityKey(identifier, source: record.source), identifier.value, identifier.type,
                 identifier.isCrossOrganization ? 0 : 1])
        }
        if let ssn = record.ssn {
            try db.run("INSERT OR IGNORE INTO identifiers (record_id, authority_key, value, type, is_key) VALUES (?, ?, ?, 'SS', 0)",
                [recordID, AssigningAuthority.ssa.key, ssn])
        }
    }

    /// Files the record under its keys, in one statement for all of them.
    func writeBlockingKeys(_ keys: [String], recordID: Int64) throws {
        try SharedValueInserts.blockingKeys.run(keys, shared: recordID, in: db)
        if keyFilter != nil { for key in keys { keyFilter?.insert(key) } }
    }

    /// The keys of `keys` some record may already be filed under: all of them until the filter of filed
    /// keys is built (``IndexConfiguration/blockingKeyFilterAfter`` new records in), then those it does
    /// not rule out. Every key filed goes through ``writeBlockingKeys(_:recordID:)``, which adds it; a
    /// commit by another connection drops the filter (`forgetCachesIfAnotherWriterCommitted`), and it is
    /// built again from the table, inside this transaction, when next needed or once it holds twice the
    /// keys it was sized for.
    func keysPerhapsFiled(_ keys: [String]) throws -> [String] {
        guard let after = configuration.blockingKeyFilterAfter else { return keys }
        newRecordsMatched += 1
        if let filter = keyFilter, filter.count > filter.capacity * 2 { keyFilter = nil }
        if keyFilter == nil {
            guard newRecordsMatched > after else { return keys }
            try buildKeyFilter()
        }
        guard let filter = keyFilter else { return keys }
        return keys.filter(filter.mightContain)
    }

    private func buildKeyFilter() throws {
        // Sized for twice the keys of the records there are now (about 16 each), so it fills up as the
        // index doubles.
        var records = 0
        if case .integer(let n) = try db.scalar("SELECT n FROM counters WHERE name = 'source_records/current'") { records = Int(n) }
        var filter = BlockingKeyFilter(capacity: max(records, 1) * 32)
        try db.forEachText("SELECT key FROM blocking_keys") { filter.insert(utf8: $0) }
        keyFilter = filter
        keyFilterBuilds += 1
    }

    /// Removes the record's rows from `blocking_keys`: the keys stored with it (`block_keys`), each by
    /// primary key.
    func deleteBlockingKeys(of recordID: Int64) throws {
        guard let stored = try db.row("SELECT block_keys FROM source_records WHERE id = ?", [recordID])?.string(0) else { return }
        for key in BlockingKeys.parse(stored: stored) {
            try db.run("DELETE FROM blocking_keys WHERE key = ? AND record_id = ?", [key, recordID])
        }
    }

    // MARK: Candidates and decisions

    /// The matching features of a record. Identifiers whose authority is only a local namespace (`MRN`)
    /// are scoped to the sending facility first, as record keys are (see `IndexRows.authorityKey`), so two
    /// clinics' "MRN"s are not taken for one authority with two different values.
    static func features(of record: PatientRecord) -> MatchFeatures {
        var scoped = record
        scoped.identifiers = record.identifiers.map { identifier in
            guard identifier.authority.universalID == nil, !identifier.isCrossOrganization else { return identifier }
            var copy = identifier
            copy.authority = AssigningAuthority(namespace: IndexRows.authorityKey(identifier, source: record.source),
                universalIDType: identifier.authority.universalIDType)
            return copy
        }
        return MatchNormalizer.features(of: scoped)
    }

    /// Every enterprise patient reachable through the record's blocking keys (keys shared by more than
    /// `maxBlockSize` records are skipped), with the record compared against all its current members.
    /// Patients holding a record a steward declared "not a match" with this one are left out.
    func candidates(recordID: Int64, keys: [String], features: MatchFeatures, excluding: String?) throws -> CandidateSet {
        var enterpriseIDs = Set<String>()
        for key in keys {
            let limit = key.hasPrefix(BlockingKeys.nameOnlyPrefix) ? configuration.maxNameOnlyBlockSize : configuration.maxBlockSize
            // The block with each record's enterprise patient in one query (every indexed record has a link).
            let rows = try db.rows("""
                SELECT b.record_id, l.enterprise_id FROM blocking_keys b JOIN links l ON l.record_id = b.record_id
                WHERE b.key = ? LIMIT ?
                """, [key, limit + 2])
            work.blockQueries += 1
            work.blockRows += rows.count
            let others = rows.filter { $0.int(0) != recordID }
            if others.count > limit { continue }
            for row in others {
                if let ep = row.string(1), ep != excluding { enterpriseIDs.insert(ep) }
            }
        }
        // UNION ALL: the Set removes repeats, and a UNION would build a temporary b-tree on every ingest.
        let notAMatch = Set(try db.rows("SELECT record_b FROM not_a_match WHERE record_a = ? UNION ALL SELECT record_a FROM not_a_match WHERE record_b = ?",
            [recordID, recordID]).compactMap { $0.int(0) })
        var gathered: [(enterpriseID: String, memberIDs: [Int64], features: [MatchFeatures])] = []
        for enterpriseID in enterpriseIDs.sorted() {
            let memberIDs = try db.rows(Self.candidateMembersQuery, [enterpriseID]).compactMap { $0.int(0) }
            if memberIDs.isEmpty || memberIDs.contains(where: notAMatch.contains) { continue }
            var memberFeatures: [MatchFeatures] = []
            for id in memberIDs {
                if let cached = featureCache.value(for: id) {
                    memberFeatures.append(cached)
                } else {
                    work.featureReads += 1
                    let features = try IndexRows.decode(MatchFeatures.self,
                        try db.row("SELECT features_data FROM source_records WHERE id = ?", [id])?.blob(0), column: "features_data")
                    cacheFeatures(features, of: id)
                    memberFeatures.append(features)
                }
            }
            gathered.append((enterpriseID, memberIDs, memberFeatures))
            work.candidatePatients += 1
            work.membersCompared += memberIDs.count
        }
        var set = CandidateSet()
        guard !gathered.isEmpty else { return set }
        let frequencies = try StoredNameFrequencies.lookup([features] + gathered.flatMap(\.features), count: nameCount)
        for candidate in gathered {
            let comparisons = candidate.features.map { model.compare(features, $0, frequencies: frequencies) }
            set.candidates.append(PatientCandidate(patientID: candidate.enterpriseID, comparisons: comparisons))
            set.memberIDs[candidate.enterpriseID] = candidate.memberIDs
        }
        return set
    }

    /// The current (not folded) member records of a candidate patient, in record order. Ordered by
    /// `l.record_id`, which `links_enterprise` already holds in order: `ORDER BY r.id`, the same value,
    /// made SQLite sort the rows in a temporary b-tree once per candidate patient (4.75 per message in
    /// the gateway benchmark; about 2,600 instructions per record).
    static let candidateMembersQuery = """
        SELECT r.id FROM links l JOIN source_records r ON r.id = l.record_id
        WHERE l.enterprise_id = ? AND r.merged_into IS NULL ORDER BY l.record_id
        """

    /// Keeps the decoded features of a record in the bounded cache of recently seen records.
    private func cacheFeatures(_ features: MatchFeatures, of recordID: Int64) {
        featureCache.insert(features, for: recordID)
    }

    func explanation(for enterpriseID: String, in set: CandidateSet, method: String, model: MatchModel, reasons: [String] = []) -> MatchExplanation {
        let candidate = set.candidates.first { $0.patientID == enterpriseID }
        let best = candidate?.best
        var blockers = candidate?.blockers ?? []
        for reason in reasons where !blockers.contains(reason) { blockers.append(reason) }
        let total = best?.total ?? 0
        return MatchExplanation(
            method: method, comparisons: best?.comparisons ?? [], total: total,
            upperThreshold: model.upperThreshold, lowerThreshold: model.lowerThreshold, modelVersion: model.version,
            grade: model.grade(for: total), blockers: blockers, comparedWith: set.bestMember(of: enterpriseID).map { "record:\($0)" })
    }

    /// The decision per enterprise patient (``MatchModel/decide(_:)``): link only when the best clears the
    /// upper threshold, beats the runner-up by the margin, no record of that patient contradicts the record
    /// and no placeholder value decides it; otherwise review against the candidates above the lower threshold
    /// (the record keeps its own enterprise patient meanwhile, so it never bridges two), or a new patient.
    private func decide(recordID: Int64, subject: Int, candidates set: CandidateSet, now: String, ownEnterpriseID: String?) throws -> PatientOutcome {
        let model = set.candidates.isEmpty ? self.model : self.model.scaled(toPopulation: try indexPopulation())
        let decision = model.decide(set.candidates)
        if decision.outcome == .link, let target = decision.patientID {
            let explanation = explanation(for: target, in: set, method: "probabilistic", model: model)
            if let ownEnterpriseID {
                try moveRecordWithFolded(recordID, from: ownEnterpriseID, to: target, explanation: explanation, now: now)
            } else {
                try insertLink(recordID: recordID, enterpriseID: target, explanation: explanation, now: now)
            }
            try appendHistory(action: .link, actor: Self.matcherActor, recordID: recordID, from: ownEnterpriseID, to: target,
                reason: nil, explanation: explanation, detail: nil, now: now)
            try rematchAlone(after: recordID, joined: target, candidates: set, now: now)
            return PatientOutcome(subject: subject, recordID: recordID, enterpriseID: target, decision: .linked,
                explanation: explanation, reviewIDs: [])
        }
        // Why no candidate was taken: the model's reasons, and the definitive conflicts (twins, Jr/Sr, another
        // valid SSN …) that ruled candidates out altogether.
        var newReasons = decision.outcome == .newPatient ? decision.reasons : []
        for candidate in set.candidates {
            for blocker in candidate.best?.definitiveBlockers ?? [] { newReasons.append("\(blocker) with \(candidate.patientID)") }
        }
        let newExplanation = MatchExplanation(
            method: "new", total: decision.best?.total ?? 0, upperThreshold: model.upperThreshold,
            lowerThreshold: model.lowerThreshold, modelVersion: model.version, grade: .certain, blockers: newReasons)
        var enterpriseID = ownEnterpriseID ?? ""
        if ownEnterpriseID == nil {
            enterpriseID = try createEnterprisePatient(now: now, soloRecord: recordID)
            try insertLink(recordID: recordID, enterpriseID: enterpriseID, explanation: newExplanation, now: now)
            // The link row holds the explanation of a new patient; the history only notes the creation.
            try appendHistory(action: .new, actor: Self.matcherActor, recordID: recordID, from: nil, to: enterpriseID,
                reason: nil, explanation: nil, detail: nil, now: now)
        }
        var reviewIDs: [Int64] = []
        var firstReview: MatchExplanation?
        if decision.outcome == .review {
            for candidate in decision.reviewCandidates.prefix(configuration.maxReviewsPerRecord) {
                let exists = try db.row("SELECT 1 FROM review_queue WHERE record_id = ? AND candidate_enterprise_id = ? AND status = 'open'",
                    [recordID, candidate]) != nil
                if exists { continue }
                let reviewExplanation = explanation(for: candidate, in: set, method: "probabilistic", model: model,
                    reasons: candidate == decision.patientID ? decision.reasons : ["runner-up within margin"])
                try db.run("""
                    INSERT INTO review_queue (record_id, candidate_enterprise_id, explanation_data, status, created_at)
                    VALUES (?, ?, ?, 'open', ?)
                    """, [recordID, candidate, try IndexRows.encode(reviewExplanation), now])
                reviewIDs.append(db.lastInsertRowID)
                if firstReview == nil { firstReview = reviewExplanation }
            }
        }
        if let firstReview {
            return PatientOutcome(subject: subject, recordID: recordID, enterpriseID: enterpriseID, decision: .reviewed,
                explanation: firstReview, reviewIDs: reviewIDs)
        }
        return PatientOutcome(subject: subject, recordID: recordID, enterpriseID: enterpriseID, decision: .new,
            explanation: newExplanation, reviewIDs: [])
    }

    /// After `recordID` joined `target`, the records alone in its other candidate patients are decided
    /// again: `target` now holds one more record they may match. Without this, arrival order decides for
    /// good: a person's first record that matched none of the records there were (a corrupted copy, say),
    /// stays apart even when a later record that matches it well links elsewhere to the rest of that person.
    ///
    /// Only a record the matcher itself left alone (its link says `new`: a new patient or a review), never
    /// one a steward placed; only when it has no open review item against another patient than `target`;
    /// and it moves only to `target`, only on a link by the rule of arrival (thresholds, runner-up margin,
    /// every member's hard conflicts, steward "not a match" decisions) that also clears the bar below. The
    /// move is a matcher `link` event in the history with its explanation; `undo` of that event puts the
    /// record back (undoing the link that prompted it does not: the moved record stays, linked by its own
    /// event). Its review items against `target` are withdrawn as settled.
    ///
    /// The bar is higher than on arrival: the link must clear the upper threshold by the runner-up margin
    /// (the "certain" band). A record matched again is moved without a message of its own, and each
    /// record joining is another chance for a stranger to look close enough: on the index benchmark's
    /// 100k population, the plain threshold made one false merge (MARY MARGARET TRASKIANO, born the same
    /// day as a MARY MARGARET TRATONSKI, 20.9 bits against her typo TRATNOSKI) in its two re-matches.
    ///
    /// Only asked when the record that joined is itself such a match for the one alone (its comparison,
    /// already made, clears that bar without a definitive conflict), so most links cost no query here.
    /// Only the matcher's own links ask: a record that joins by a steward's action, a source merge or a
    /// re-match does not (a steward's move is the steward's decision; a re-matched record was compared
    /// with its new patient's records on its way in).
    private func rematchAlone(after recordID: Int64, joined target: String, candidates set: CandidateSet, now: String) throws {
        var model: MatchModel?
        for candidate in set.candidates where candidate.patientID != target {
            let patient = candidate.patientID
            guard let pair = candidate.best, pair.definitiveBlockers.isEmpty, pair.total >= self.model.upperThreshold + self.model.margin else { continue }
            if model == nil { model = self.model.scaled(toPopulation: try indexPopulation()) }
            guard let model, pair.total >= model.upperThreshold + model.margin,
                  let members = set.memberIDs[patient], members.count == 1, let alone = members.first,
                  try IndexRows.enterpriseID(ofRecord: alone, in: db) == patient,
                  let link = try db.row("SELECT explanation_data FROM links WHERE record_id = ?", [alone]),
                  try IndexRows.decode(MatchExplanation.self, link.blob(0), column: "explanation_data").method == "new"
            else { continue }
            let reviewedAgainst = try db.rows("SELECT candidate_enterprise_id FROM review_queue WHERE record_id = ? AND status = 'open'",
                [alone]).compactMap { $0.string(0) }
            guard reviewedAgainst.allSatisfy({ $0 == target }),
                  let row = try db.row("SELECT features_data, block_keys FROM source_records WHERE id = ? AND merged_into IS NULL", [alone])
            else { continue }
            let features = try featureCache.value(for: alone) ?? IndexRows.decode(MatchFeatures.self, row.blob(0), column: "features_data")
            let again = try candidates(recordID: alone, keys: BlockingKeys.parse(stored: row.string(1) ?? ""), features: features, excluding: patient)
            let decision = model.decide(again.candidates)
            guard decision.outcome == .link, decision.patientID == target, let best = decision.best,
                  best.total >= model.upperThreshold + model.margin else { continue }
            let explanation = explanation(for: target, in: again, method: "probabilistic", model: model)
            try moveRecordWithFolded(alone, from: patient, to: target, explanation: explanation, now: now)
            try appendHistory(action: .link, actor: Self.matcherActor, recordID: alone, from: patient, to: target,
                reason: "matched again when record \(recordID) joined \(target)", explanation: explanation, detail: nil, now: now)
            // Its items against `target` are settled now: the refresh may take a shortcut that does not look
            // (when the record was created by this same ingest, `target`'s members look unchanged to it).
            try withdrawSettledReviews(in: target, now: now)
            rematchedPatients.append(patient)
            rematchedRecords[alone] = (target, explanation)
            work.rematched += 1
        }
    }

    // MARK: Source merges (ADT^A40)

    struct FoldedRecord {
        var outcome: SourceMergeOutcome
        var priorEnterpriseID: String
    }

    /// Folds the records known by a merge's prior identifiers into the survivor: their record keys move to
    /// the survivor's record (later messages with the old MRN update the survivor), they leave matching and
    /// survivorship, and they (with their facts) join the survivor's enterprise patient, as does every other
    /// record of their former enterprise patient.
    private func applySourceMerge(_ merge: PatientMerge, survivorRecordID: Int64, source: SourceSystem, now: String) throws -> [FoldedRecord] {
        var folded: [FoldedRecord] = []
        for identifier in merge.priorIdentifiers where !identifier.isCrossOrganization && !identifier.value.isEmpty {
            let key = IndexRows.authorityKey(identifier, source: merge.provenance.source)
            guard let prior = try db.row("SELECT record_id FROM identifiers WHERE authority_key = ? AND value = ? AND is_key = 1",
                [key, identifier.value])?.int(0), prior != survivorRecordID else { continue }
            guard let survivorEP = try IndexRows.enterpriseID(ofRecord: survivorRecordID, in: db),
                let priorEP = try IndexRows.enterpriseID(ofRecord: prior, in: db)
            else { throw PatientIndexError(.corruptRow, "merge records without links") }
            try db.run("UPDATE identifiers SET record_id = ? WHERE record_id = ? AND is_key = 1", [survivorRecordID, prior])
            try adoptRecordKeys(of: prior, into: survivorRecordID)
            // The folded record leaves matching: its blocking keys and its share of the name frequencies go.
            if let row = try db.row("SELECT features_data FROM source_records WHERE id = ? AND merged_into IS NULL", [prior]) {
                try adjustNameFrequencies(of: try IndexRows.decode(MatchFeatures.self, row.blob(0), column: "features_data"), by: -1)
            }
            try deleteBlockingKeys(of: prior)
            try db.run("UPDATE source_records SET merged_into = ?, block_keys = NULL, updated_at = ? WHERE id = ?", [survivorRecordID, now, prior])
            try db.run("UPDATE review_queue SET status = 'withdrawn', decided_by = ?, decided_at = ?, reason = 'source merge' WHERE record_id = ? AND status = 'open'",
                [Self.matcherActor, now, prior])
            // A steward's "not a match" with the folded record holds for its survivor: the folded record
            // leaves matching, so the pair would otherwise come back through the survivor. (The copies keep
            // the decision's review id, so undoing the decision removes them too.)
            try db.run("""
                INSERT OR IGNORE INTO not_a_match (record_a, record_b, review_id, decided_by, decided_at, reason)
                SELECT min(?1, partner), max(?1, partner), review_id, decided_by, decided_at, reason FROM (
                    SELECT record_b AS partner, review_id, decided_by, decided_at, reason FROM not_a_match WHERE record_a = ?2
                    UNION ALL
                    SELECT record_a, review_id, decided_by, decided_at, reason FROM not_a_match WHERE record_b = ?2)
                WHERE partner != ?1
                """, [survivorRecordID, prior])
            try db.run("""
                INSERT OR IGNORE INTO not_a_match_review (record_a, record_b, review_id)
                SELECT min(?1, partner), max(?1, partner), review_id FROM (
                    SELECT record_b AS partner, review_id FROM not_a_match_review WHERE record_a = ?2
                    UNION ALL
                    SELECT record_a, review_id FROM not_a_match_review WHERE record_b = ?2)
                WHERE partner != ?1
                """, [survivorRecordID, prior])
            let explanation = MatchExplanation(method: "sourceMerge", upperThreshold: model.upperThreshold, lowerThreshold: model.lowerThreshold,
                modelVersion: model.version, grade: .certain, comparedWith: "record:\(survivorRecordID)",
                reason: "merged by \(source.description) into record \(survivorRecordID)")
            var moved: [Int64] = [prior]
            if priorEP != survivorEP {
                moved = try IndexRows.memberIDs(of: priorEP, in: db)
                for id in moved where id != prior {
                    try moveRecord(id, from: priorEP, to: survivorEP, explanation: nil, now: now)
                }
                try moveRecord(prior, from: priorEP, to: survivorEP, explanation: explanation, now: now)
            } else {
                try db.run("UPDATE links SET explanation_data = ?, grade = 'certain' WHERE record_id = ?", [try IndexRows.encode(explanation), prior])
            }
            try appendHistory(action: .sourceMerge, actor: Self.matcherActor, recordID: prior, from: priorEP, to: survivorEP,
                reason: merge.provenance.messageID.map { "ADT merge in message \($0)" }, explanation: explanation,
                detail: EventDetail(records: moved, survivorRecordID: survivorRecordID), now: now)
            folded.append(FoldedRecord(outcome: SourceMergeOutcome(priorRecordID: prior, survivorRecordID: survivorRecordID, enterpriseID: survivorEP),
                priorEnterpriseID: priorEP))
        }
        return folded
    }

    /// Copies a folded record's record keys into the survivor's stored record, so later updates of the
    /// survivor (which rewrite its identifier rows from its record) keep answering to the old keys.
    private func adoptRecordKeys(of prior: Int64, into survivor: Int64) throws {
        guard let priorRow = try db.row("SELECT record_data FROM source_records WHERE id = ?", [prior]),
            let survivorRow = try db.row("SELECT record_data FROM source_records WHERE id = ?", [survivor])
        else { throw PatientIndexError(.corruptRow, "merge records missing") }
        let priorRecord = try IndexRows.decode(PatientRecord.self, priorRow.blob(0), column: "record_data")
        var survivorRecord = try IndexRows.decode(PatientRecord.self, survivorRow.blob(0), column: "record_data")
        for key in priorRecord.recordKeys where !survivorRecord.identifiers.contains(where: {
            $0.value == key.value && $0.authority.key == key.authority.key
        }) {
            survivorRecord.identifiers.append(key)
        }
        try db.run("UPDATE source_records SET record_data = ? WHERE id = ?", [try IndexRows.encode(survivorRecord), survivor])
        // The golden record is computed from this ingest's copy of the survivor when it has one.
        if recentRecords[survivor] != nil { recentRecords[survivor] = survivorRecord }
    }

    // MARK: Rows of the index

    /// A new enterprise patient. With `soloRecord`, a record this ingest created whose golden record was
    /// prepared ahead, the row is written with that golden record at once (a new patient is usually left
    /// with its one record, and `refresh` then need not write the row again); otherwise with an empty one
    /// until `refresh` computes it.
    func createEnterprisePatient(now: String, soloRecord: Int64? = nil) throws -> String {
        let next: Int64 = if case .integer(let n) = try db.scalar("SELECT max(seq) FROM enterprise_patients") { n + 1 } else { 1 }
        let id = IndexRows.enterpriseID(seq: next)
        createdPatients.insert(id)
        if let soloRecord, let golden = createdRecords[soloRecord]?.soloGolden {
            try db.run("INSERT INTO enterprise_patients (id, seq, golden_data, birth_date, active, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
                [id, next, golden.data, golden.birthDate, now, now])
            soloGoldenWritten[id] = soloRecord
        } else {
            try db.run("INSERT INTO enterprise_patients (id, seq, golden_data, active, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)",
                [id, next, Array("{}".utf8), now, now])
        }
        return id
    }

    func insertLink(recordID: Int64, enterpriseID: String, explanation: MatchExplanation, now: String) throws {
        try db.run("INSERT INTO links (record_id, enterprise_id, explanation_data, grade, created_at) VALUES (?, ?, ?, ?, ?)",
            [recordID, enterpriseID, try IndexRows.encode(explanation), explanation.grade.rawValue, now])
    }

    /// Moves a record's link; an enterprise patient left without records is deactivated and points at
    /// where its last record went, so its id still resolves.
    func moveRecord(_ recordID: Int64, from: String, to: String, explanation: MatchExplanation?, now: String) throws {
        try db.run("UPDATE enterprise_patients SET active = 1, merged_into = NULL, updated_at = ? WHERE id = ?", [now, to])
        if let explanation {
            try db.run("UPDATE links SET enterprise_id = ?, explanation_data = ?, grade = ?, created_at = ? WHERE record_id = ?",
                [to, try IndexRows.encode(explanation), explanation.grade.rawValue, now, recordID])
        } else {
            try db.run("UPDATE links SET enterprise_id = ? WHERE record_id = ?", [to, recordID])
        }
        guard db.changes == 1 else { throw PatientIndexError(.notFound, "record \(recordID) has no link") }
        if try db.row("SELECT 1 FROM links WHERE enterprise_id = ? LIMIT 1", [from]) == nil {
            try db.run("UPDATE enterprise_patients SET active = 0, merged_into = ?, updated_at = ? WHERE id = ?", [to, now, from])
        }
    }

    /// Moves one record and every record its source folded into it (ADT^A40, transitively): a source's
    /// merged records stay with the record they were merged into. For single-record moves (steward link,
    /// unlink, review decisions and their undo, re-matching); whole-patient moves go record by record.
    func moveRecordWithFolded(_ recordID: Int64, from: String, to: String, explanation: MatchExplanation?, now: String) throws {
        // The folded records first, so `from` is emptied (and made inactive) by the last move only.
        for id in try recordsMovingWith(recordID).sorted() where try id != recordID && IndexRows.enterpriseID(ofRecord: id, in: db) == from {
            try moveRecord(id, from: from, to: to, explanation: nil, now: now)
        }
        try moveRecord(recordID, from: from, to: to, explanation: explanation, now: now)
    }

    /// The records that move with `recordID` (itself and the records folded into it).
    func recordsMovingWith(_ recordID: Int64) throws -> Set<Int64> {
        Set(try db.rows(Self.foldedRecordsQuery, [recordID]).compactMap { $0.int(0) })
    }

    /// A record and the records folded into it, at any depth (each step through `source_records_merged`).
    static let foldedRecordsQuery = """
        WITH RECURSIVE folded(id) AS (
            SELECT ?
            UNION SELECT s.id FROM source_records s JOIN folded f ON s.merged_into = f.id)
        SELECT id FROM folded
        """

    @discardableResult
    func appendHistory(
        action: HistoryEvent.Action, actor: String, recordID: Int64?, from: String?, to: String?, reason: String?,
        explanation: MatchExplanation?, detail: EventDetail?, reverses: Int64? = nil, now: String
    ) throws -> Int64 {
        try db.run("""
            INSERT INTO link_history (time, actor, action, record_id, from_ep, to_ep, reason, explanation_data, detail_data, reverses)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [now, actor, action.rawValue, recordID, from, to, reason,
                  try explanation.map(IndexRows.encode), try detail.map(IndexRows.encode), reverses])
        let eventID = db.lastInsertRowID
        if let reverses {
            try db.run("UPDATE link_history SET reversed_by = ? WHERE event_id = ?", [eventID, reverses])
        }
        return eventID
    }

    /// How many source records the index holds (with a family name), for ``MatchModel/scaled(toPopulation:)``:
    /// the running total the term-frequency table keeps anyway.
    func indexPopulation() throws -> Int {
        try nameCount(kind: "family", name: "")
    }

    /// The stored count of a normalized name (`""`: the running total of its kind), through `nameCounts`.
    func nameCount(kind: String, name: String) throws -> Int {
        let key = kind + "|" + name
        if let cached = nameCounts[key] { return cached }
        let count = Int(try db.row("SELECT count FROM name_frequencies WHERE kind = ? AND name = ?", [kind, name])?.int(0) ?? 0)
        if nameCounts.count >= Self.maxCachedNameCounts { nameCounts.removeAll(keepingCapacity: true) }
        nameCounts[key] = count
        return count
    }

    /// Bound of `nameCounts` (a few tens of MB at most; at 1M records there are ~200k distinct names).
    static let maxCachedNameCounts = 400_000

    /// Adds `delta` to the counts of the record's normalized family and given names (for term-frequency
    /// adjustment), keeping a running total under the empty name.
    /// One statement for all of a record's names and totals.
    func adjustNameFrequencies(of features: MatchFeatures, by delta: Int) throws {
        let names = StoredNameFrequencies.names(of: features)
        guard !names.isEmpty else { return }
        var parameters: [SQLBindable] = [delta]
        for (kind, name) in names {
            parameters.append(kind)
            parameters.append(name)
            for key in [name, ""] {
                let cacheKey = kind + "|" + key
                if let cached = nameCounts[cacheKey] { nameCounts[cacheKey] = max(cached + delta, 0) }
            }
        }
        try db.run(names.count == 1 ? Self.adjustOneName : Self.adjustTwoNames, parameters)
    }

    /// `?1` the delta, then kind and name of each name; each name's count and its kind's total (`''`).
    private static let adjustOneName = """
        INSERT INTO name_frequencies (kind, name, count) VALUES (?2, ?3, max(?1, 0)), (?2, '', max(?1, 0))
        ON CONFLICT (kind, name) DO UPDATE SET count = max(count + ?1, 0)
        """
    private static let adjustTwoNames = """
        INSERT INTO name_frequencies (kind, name, count)
        VALUES (?2, ?3, max(?1, 0)), (?2, '', max(?1, 0)), (?4, ?5, max(?1, 0)), (?4, '', max(?1, 0))
        ON CONFLICT (kind, name) DO UPDATE SET count = max(count + ?1, 0)
        """
}

/// What a history event needs to be undone (record ids only; no patient data).
struct EventDetail: Codable, Hashable {
    var records: [Int64]?
    var reviewID: Int64?
    var isMatch: Bool?
    var withdrawnReviews: [Int64]?
    var survivorRecordID: Int64?
}

/// Term frequencies of the names involved in one comparison, read from the `name_frequencies` table.
/// Below `minimumPopulation` names the index is too small for frequencies to mean anything, and none are given.
struct StoredNameFrequencies: NameFrequencies {
    static let minimumPopulation = 1000
    var family: [String: Double]
    var given: [String: Double]

    func familyFrequency(_ normalizedFamily: String) -> Double? { family[normalizedFamily] }
    func givenFrequency(_ normalizedGiven: String) -> Double? { given[normalizedGiven] }

    /// The (kind, normalized name) pairs a record's features count under.
    static func names(of features: MatchFeatures) -> [(String, String)] {
        var names: [(String, String)] = []
        if let family = features.family, !family.isEmpty { names.append(("family", family)) }
        if let given = features.given, !given.isEmpty { names.append(("given", given)) }
        return names
    }

    static func lookup(_ features: [MatchFeatures], in db: Connection) throws -> StoredNameFrequencies? {
        try lookup(features) { kind, name in
            Int(try db.row("SELECT count FROM name_frequencies WHERE kind = ? AND name = ?", [kind, name])?.int(0) ?? 0)
        }
    }

    /// The frequencies of the features' names, with `count(kind, name)` giving a stored count (`""`: the total).
    static func lookup(_ features: [MatchFeatures], count: (_ kind: String, _ name: String) throws -> Int) throws -> StoredNameFrequencies? {
        var totals: [String: Double] = [:]
        for kind in ["family", "given"] { totals[kind] = Double(try count(kind, "")) }
        guard (totals["family"] ?? 0) >= Double(minimumPopulation) else { return nil }
        var result = StoredNameFrequencies(family: [:], given: [:])
        for (kind, name) in features.flatMap(names(of:)) {
            let total = totals[kind] ?? 0
            guard total > 0, (kind == "family" ? result.family[name] : result.given[name]) == nil else { continue }
            let n = Double(try count(kind, name))
            if kind == "family" { result.family[name] = n / total } else { result.given[name] = n / total }
        }
        return result
    }
}

/// Statements that insert many rows sharing one value in a single statement: `rows(n)` is
/// `INSERT OR IGNORE INTO table (column, shared) VALUES (?2, ?1), (?3, ?1) …` for `n` rows, `?1` the shared
/// value. Built once per table, so each statement keeps one address for the statement cache.
struct SharedValueInserts {
    static let maxRows = 32
    private let statements: [String]

    init(table: String, column: String, shared: String) {
        statements = (0...Self.maxRows).map { n in
            "INSERT OR IGNORE INTO \(table) (\(column), \(shared)) VALUES " + (0..<n).map { "(?\($0 + 2), ?1)" }.joined(separator: ", ")
        }
    }

    /// Inserts a row for each value, `maxRows` at a time.
    func run(_ values: [String], shared: SQLBindable, in db: Connection) throws {
        var start = values.startIndex
        while start < values.endIndex {
            let end = min(start + Self.maxRows, values.endIndex)
            var parameters: [SQLBindable] = [shared]
            for value in values[start..<end] { parameters.append(value) }
            try db.run(statements[end - start], parameters)
            start = end
        }
    }

    /// A record's blocking keys (a record has about a dozen).
    static let blockingKeys = SharedValueInserts(table: "blocking_keys", column: "key", shared: "record_id")
    /// An enterprise patient's search terms.
    static let searchTerms = SharedValueInserts(table: "search_terms", column: "term", shared: "enterprise_id")
}

