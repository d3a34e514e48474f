import Clinical
import Foundation
import SQLite

/// What a steward operation did: the history event it wrote (pass it to `undo`) and the enterprise
/// patient the record or records ended in.
package struct StewardOutcome: Sendable, Hashable {
    package var eventID: Int64
    package var enterpriseID: String
}

extension PatientIndexStore {
    /// Links a source record to an enterprise patient (moving it out of the one it is in).
    @discardableResult
    package func link(recordID: Int64, to enterpriseID: String, actor: String, reason: String?) throws -> StewardOutcome {
        try withTransaction {
            let now = IndexRows.timestamp()
            let from = try currentEnterpriseID(ofRecord: recordID)
            try requireNotFolded(recordID)
            try requireActive(enterpriseID)
            guard from != enterpriseID else { throw PatientIndexError(.conflict, "record \(recordID) is already in \(enterpriseID)") }
            let explanation = stewardExplanation(reason: reason)
            try moveRecordWithFolded(recordID, from: from, to: enterpriseID, explanation: explanation, now: now)
            let event = try appendHistory(action: .link, actor: actor, recordID: recordID, from: from, to: enterpriseID,
                reason: reason, explanation: explanation, detail: nil, now: now)
            _ = try refresh([from, enterpriseID], now: now)
            return StewardOutcome(eventID: event, enterpriseID: enterpriseID)
        }
    }

    /// Splits a source record out of its enterprise patient into a new one.
    @discardableResult
    package func unlink(recordID: Int64, actor: String, reason: String?) throws -> StewardOutcome {
        try withTransaction {
            let now = IndexRows.timestamp()
            let from = try currentEnterpriseID(ofRecord: recordID)
            try requireNotFolded(recordID)
            // Records its source folded into it go with it, so it must leave someone behind.
            let moving = try recordsMovingWith(recordID)
            guard try IndexRows.memberIDs(of: from, in: db).contains(where: { !moving.contains($0) }) else {
                throw PatientIndexError(.conflict, "record \(recordID) is the only record of \(from)")
            }
            let target = try createEnterprisePatient(now: now)
            let explanation = stewardExplanation(reason: reason)
            try moveRecordWithFolded(recordID, from: from, to: target, explanation: explanation, now: now)
            let event = try appendHistory(action: .unlink, actor: actor, recordID: recordID, from: from, to: target,
                reason: reason, explanation: explanation, detail: nil, now: now)
            _ = try refresh([from, target], now: now)
            return StewardOutcome(eventID: event, enterpriseID: target)
        }
    }

    /// Merges enterprise patient `source` into `target`: every record of `source` moves, `source` becomes
    /// inactive and resolves to `target`.
    @discardableResult
    package func merge(_ source: String, into target: String, actor: String, reason: String?) throws -> StewardOutcome {
        try withTransaction {
            let now = IndexRows.timestamp()
            try requireActive(source)
            try requireActive(target)
            guard source != target else { throw PatientIndexError(.invalidArgument, "cannot merge \(source) into itself") }
            let moved = try IndexRows.memberIDs(of: source, in: db)
            let explanation = stewardExplanation(reason: reason)
            for id in moved { try moveRecord(id, from: source, to: target, explanation: explanation, now: now) }
            let event = try appendHistory(action: .merge, actor: actor, recordID: nil, from: source, to: target,
                reason: reason, explanation: explanation, detail: EventDetail(records: moved), now: now)
            _ = try refresh([source, target], now: now)
            return StewardOutcome(eventID: event, enterpriseID: target)
        }
    }

    /// Resolves a review item. A match links the record to the candidate (and withdraws the record's other
    /// open items); "not a match" is remembered for every record of the candidate, so the pair never returns.
    @discardableResult
    package func decide(reviewID: Int64, isMatch: Bool, actor: String, reason: String?) throws -> StewardOutcome {
        try withTransaction {
            let now = IndexRows.timestamp()
            guard let row = try db.row("SELECT record_id, candidate_enterprise_id, status FROM review_queue WHERE id = ?", [reviewID]),
                let recordID = row.int(0), let candidate = row.string(1)
            else { throw PatientIndexError(.notFound, "review \(reviewID)") }
            guard row.string(2) == "open" else { throw PatientIndexError(.conflict, "review \(reviewID) is already decided") }
            let own = try currentEnterpriseID(ofRecord: recordID)
            let target = try resolve(candidate)
            guard own != target else {
                throw PatientIndexError(.conflict, "record \(recordID) is already in \(target), the review's candidate; unlink it to separate them")
            }
            if isMatch {
                try requireNotFolded(recordID)
                let explanation = stewardExplanation(reason: reason)
                try moveRecordWithFolded(recordID, from: own, to: target, explanation: explanation, now: now)
                let others = try db.rows("SELECT id FROM review_queue WHERE record_id = ? AND status = 'open' AND id != ?",
                    [recordID, reviewID]).compactMap { $0.int(0) }
                try db.run("""
                    UPDATE review_queue SET status = 'withdrawn', decided_by = ?, decided_at = ?, reason = ?
                    WHERE record_id = ? AND status = 'open' AND id != ?
                    """, [actor, now, "record linked by review \(reviewID)", recordID, reviewID])
                try db.run("UPDATE review_queue SET status = 'matched', decided_by = ?, decided_at = ?, reason = ? WHERE id = ?",
                    [actor, now, reason, reviewID])
                let event = try appendHistory(action: .reviewDecision, actor: actor, recordID: recordID, from: own, to: target,
                    reason: reason, explanation: explanation, detail: EventDetail(reviewID: reviewID, isMatch: true, withdrawnReviews: others), now: now)
                _ = try refresh([own, target], now: now)
                return StewardOutcome(eventID: event, enterpriseID: target)
            }
            for member in try IndexRows.memberIDs(of: target, in: db) where member != recordID {
                try db.run("""
                    INSERT OR IGNORE INTO not_a_match (record_a, record_b, review_id, decided_by, decided_at, reason)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """, [min(recordID, member), max(recordID, member), reviewID, actor, now, reason])
                try db.run("INSERT OR IGNORE INTO not_a_match_review (record_a, record_b, review_id) VALUES (?, ?, ?)",
                    [min(recordID, member), max(recordID, member), reviewID])
            }
            try db.run("UPDATE review_queue SET status = 'not-a-match', decided_by = ?, decided_at = ?, reason = ? WHERE id = ?",
                [actor, now, reason, reviewID])
            let event = try appendHistory(action: .reviewDecision, actor: actor, recordID: recordID, from: own, to: own,
                reason: reason, explanation: nil, detail: EventDetail(reviewID: reviewID, isMatch: false), now: now)
            return StewardOutcome(eventID: event, enterpriseID: own)
        }
    }

    /// Reverses a history event (a link, unlink, merge or review decision, by a steward or the matcher),
    /// provided nothing since has moved the records it moved. The undo is itself a new event.
    @discardableResult
    package func undo(eventID: Int64, actor: String, reason: String?) throws -> StewardOutcome {
        try withTransaction {
            let now = IndexRows.timestamp()
            guard let row = try db.row("""
                SELECT action, record_id, from_ep, to_ep, detail_data, reversed_by FROM link_history WHERE event_id = ?
                """, [eventID]), let action = row.string(0).flatMap(HistoryEvent.Action.init(rawValue:))
            else { throw PatientIndexError(.notFound, "history event \(eventID)") }
            guard row.int(5) == nil else { throw PatientIndexError(.conflict, "event \(eventID) was already undone") }
            let recordID = row.int(1)
            let from = row.string(2), to = row.string(3)
            let detail: EventDetail? = if case .blob(let bytes) = row[4] { try IndexRows.decode(EventDetail.self, bytes, column: "detail_data") } else { nil }
            let explanation = stewardExplanation(reason: reason)

            switch action {
            case .link, .unlink:
                guard let recordID, let to else { throw PatientIndexError(.notReversible, "event \(eventID) names no record") }
                let current = try currentEnterpriseID(ofRecord: recordID)
                guard current == to else { throw PatientIndexError(.conflict, "record \(recordID) has moved since event \(eventID)") }
                try requireNotFolded(recordID)
                let back = try from.map { try returnPlace($0, current: current, after: eventID) } ?? createEnterprisePatient(now: now)
                try moveRecordWithFolded(recordID, from: to, to: back, explanation: explanation, now: now)
                let event = try appendHistory(action: action == .link ? .unlink : .link, actor: actor, recordID: recordID, from: to, to: back,
                    reason: reason, explanation: explanation, detail: nil, reverses: eventID, now: now)
                _ = try refresh([to, back], now: now)
                return StewardOutcome(eventID: event, enterpriseID: back)

            case .merge:
                guard let from, let to, let records = detail?.records else { throw PatientIndexError(.notReversible, "event \(eventID) is incomplete") }
                for id in records {
                    guard try currentEnterpriseID(ofRecord: id) == to else {
                        throw PatientIndexError(.conflict, "record \(id) has moved since event \(eventID)")
                    }
                }
                for id in records { try moveRecord(id, from: to, to: from, explanation: explanation, now: now) }
                let event = try appendHistory(action: .unmerge, actor: actor, recordID: nil, from: to, to: from,
                    reason: reason, explanation: explanation, detail: EventDetail(records: records), reverses: eventID, now: now)
                _ = try refresh([to, from], now: now)
                return StewardOutcome(eventID: event, enterpriseID: from)

            case .reviewDecision:
                guard let recordID, let from, let to, let reviewID = detail?.reviewID else {
                    throw PatientIndexError(.notReversible, "event \(eventID) is incomplete")
                }
                // The undo of a decision reopened its review item: decide that item again instead.
                guard detail?.isMatch != nil else {
                    throw PatientIndexError(.notReversible, "event \(eventID) undid a review decision; decide review \(reviewID) again instead")
                }
                if detail?.isMatch == true {
                    guard try currentEnterpriseID(ofRecord: recordID) == to else {
                        throw PatientIndexError(.conflict, "record \(recordID) has moved since event \(eventID)")
                    }
                    try requireNotFolded(recordID)
                    let back = try returnPlace(from, current: to, after: eventID)
                    try moveRecordWithFolded(recordID, from: to, to: back, explanation: explanation, now: now)
                    for id in [reviewID] + (detail?.withdrawnReviews ?? []) {
                        try db.run("UPDATE review_queue SET status = 'open', decided_by = NULL, decided_at = NULL, reason = NULL WHERE id = ?", [id])
                    }
                    let event = try appendHistory(action: .reviewDecision, actor: actor, recordID: recordID, from: to, to: back,
                        reason: reason, explanation: explanation, detail: EventDetail(reviewID: reviewID), reverses: eventID, now: now)
                    _ = try refresh([to, back], now: now)
                    return StewardOutcome(eventID: event, enterpriseID: back)
                }
                try forgetNotAMatch(reviewID: reviewID)
                try db.run("UPDATE review_queue SET status = 'open', decided_by = NULL, decided_at = NULL, reason = NULL WHERE id = ?", [reviewID])
                let event = try appendHistory(action: .reviewDecision, actor: actor, recordID: recordID, from: from, to: to,
                    reason: reason, explanation: nil, detail: EventDetail(reviewID: reviewID), reverses: eventID, now: now)
                return StewardOutcome(eventID: event, enterpriseID: from)

            case .unmerge, .sourceMerge, .update, .new:
                throw PatientIndexError(.notReversible, "a \(action.rawValue) event cannot be undone")
            }
        }
    }

    // MARK: Helpers

    /// Withdraws review `reviewID`'s "not a match" pairs: a pair another standing decision also declared
    /// stays (and is credited to that decision), the others are forgotten.
    private func forgetNotAMatch(reviewID: Int64) throws {
        let pairs = try db.rows("""
            SELECT record_a, record_b FROM not_a_match_review WHERE review_id = ?1
            UNION SELECT record_a, record_b FROM not_a_match WHERE review_id = ?1
            """, [reviewID]).compactMap { row in row.int(0).flatMap { a in row.int(1).map { (a, $0) } } }
        try db.run("DELETE FROM not_a_match_review WHERE review_id = ?", [reviewID])
        for (a, b) in pairs {
            if let other = try db.row("SELECT min(review_id) FROM not_a_match_review WHERE record_a = ? AND record_b = ?", [a, b])?.int(0) {
                try db.run("UPDATE not_a_match SET review_id = ? WHERE record_a = ? AND record_b = ? AND review_id = ?", [other, a, b, reviewID])
            } else {
                try db.run("DELETE FROM not_a_match WHERE record_a = ? AND record_b = ?", [a, b])
            }
        }
    }

    private func stewardExplanation(reason: String?) -> MatchExplanation {
        MatchExplanation(method: "steward", upperThreshold: model.upperThreshold, lowerThreshold: model.lowerThreshold,
            modelVersion: model.version, grade: .certain, reason: reason)
    }

    /// Where an undo puts a record back: the enterprise patient it left, revived if that move emptied it
    /// (it then points at `current`), or, when it has since been merged into another patient, that
    /// patient, where the records it was with are now. Reviving a merged-away patient would split it
    /// from its own records.
    private func returnPlace(_ left: String, current: String, after eventID: Int64) throws -> String {
        let resolved = try resolve(left)
        guard resolved == current else { return resolved }
        // It points at `current`: emptied by the event being undone, or merged into `current` since (its
        // other records are there now, and reviving it would split the record from them).
        if left != current,
            try db.row("SELECT 1 FROM link_history WHERE event_id > ?1 AND (from_ep = ?2 OR to_ep = ?2) LIMIT 1", [eventID, left]) != nil
        {
            throw PatientIndexError(.conflict, "enterprise patient \(left) was merged into \(current) since event \(eventID); unlink the record instead")
        }
        return left
    }

    private func currentEnterpriseID(ofRecord recordID: Int64) throws -> String {
        guard let id = try IndexRows.enterpriseID(ofRecord: recordID, in: db) else {
            throw PatientIndexError(.notFound, "record \(recordID)")
        }
        return id
    }

    /// A record folded into another by its source (ADT^A40) moves only with its survivor.
    private func requireNotFolded(_ recordID: Int64) throws {
        if try db.row("SELECT 1 FROM source_records WHERE id = ? AND merged_into IS NOT NULL", [recordID]) != nil {
            throw PatientIndexError(.conflict, "record \(recordID) was merged into another record by its source")
        }
    }

    /// Sets a duplicate-test flag's status (`open`, `acknowledged`, `dismissed`) and audits who did it.
    package func setFlagStatus(_ status: String, flagID: String, actor: String) throws {
        try withTransaction {
            try ledger.setFlagStatus(status, flagID: flagID, in: db)
            try db.run("INSERT INTO audit (time, actor, action, patient_ids, detail) VALUES (?, ?, 'flag-status', '', ?)",
                [IndexRows.timestamp(), actor, "flag \(flagID) → \(status)"])
        }
    }

    private func requireActive(_ enterpriseID: String) throws {
        guard let row = try db.row("SELECT active FROM enterprise_patients WHERE id = ?", [enterpriseID]) else {
            throw PatientIndexError(.notFound, "enterprise patient \(enterpriseID)")
        }
        guard row.int(0) == 1 else { throw PatientIndexError(.conflict, "enterprise patient \(enterpriseID) is inactive") }
    }

    /// Follows merged-into pointers to the enterprise patient that holds the records now.
    func resolve(_ enterpriseID: String) throws -> String {
        var current = enterpriseID
        for _ in 0..<32 {
            guard let row = try db.row("SELECT active, merged_into FROM enterprise_patients WHERE id = ?", [current]) else {
                throw PatientIndexError(.notFound, "enterprise patient \(current)")
            }
            if row.int(0) == 1 { return current }
            guard let next = row.string(1) else { throw PatientIndexError(.conflict, "enterprise patient \(current) is inactive") }
            current = next
        }
        throw PatientIndexError(.corruptRow, "merge chain of \(enterpriseID) too long")
    }
}
