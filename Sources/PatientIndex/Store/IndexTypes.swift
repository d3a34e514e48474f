import Clinical
import Foundation

/// The channel a message arrived through.
package enum MessageChannel: String, Sendable, Hashable, Codable, CaseIterable {
    case mllp, inbox, http, cli
}

/// Where a logged message is in its life.
package enum MessageStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case received, ingested, failed, duplicate
}

/// What ``PatientIndexStore/logMessage(raw:channel:format:senderApplication:senderFacility:controlID:)`` did.
package enum MessageLogResult: Sendable, Hashable {
    /// Stored as a new message with this id.
    case stored(Int64)
    /// The same sender application, facility and control id was logged before (a re-sent message): its
    /// id, the ACK sent for it (to be sent again) and its status. Nothing new is stored.
    case duplicate(Int64, ack: [UInt8]?, status: MessageStatus)
}

/// One message of the log.
package struct LoggedMessage: Sendable, Hashable {
    package var id: Int64
    package var receivedAt: String
    package var channel: MessageChannel
    package var format: String?
    package var senderApplication: String?
    package var senderFacility: String?
    package var controlID: String?
    /// SHA-256 of the raw bytes, hex.
    package var sha256: String
    /// The raw bytes (only when asked for; listings leave them out).
    package var raw: [UInt8]?
    package var size: Int
    package var status: MessageStatus
    package var error: String?
    package var errorPosition: String?
    package var ack: [UInt8]?
}

/// What the index decided about one source record.
package enum IngestDecision: String, Sendable, Hashable, Codable {
    /// A known source record (same record key from the same authority): updated in place, link kept.
    case updated
    /// Linked automatically to an existing enterprise patient.
    case linked
    /// Given its own enterprise patient and queued for a steward against one or more candidates.
    case reviewed
    /// No candidate: a new enterprise patient.
    case new
}

/// The outcome for one patient of a submission.
package struct PatientOutcome: Sendable, Hashable {
    /// Index into ``Submission/patients``.
    package var subject: Int
    package var recordID: Int64
    package var enterpriseID: String
    package var decision: IngestDecision
    package var explanation: MatchExplanation
    /// Review items opened for this record (when ``decision`` is `.reviewed`).
    package var reviewIDs: [Int64]
}

/// The outcome of ingesting one submission.
package struct IngestOutcome: Sendable, Hashable {
    package var messageID: Int64?
    package var patients: [PatientOutcome]
    /// Source records folded into a survivor by ADT^A40 merges: (prior record id, survivor record id).
    package var sourceMerges: [SourceMergeOutcome]
    /// Duplicate-test flags raised by the facts of this submission.
    package var flags: [DuplicateTestFlag]
}

/// One record folded into another by a source's merge (ADT^A40).
package struct SourceMergeOutcome: Sendable, Hashable {
    package var priorRecordID: Int64
    package var survivorRecordID: Int64
    package var enterpriseID: String
}

/// A pair a steward has to decide.
package struct ReviewItem: Sendable, Hashable {
    package enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        case open, matched, notAMatch = "not-a-match", withdrawn
    }
    package var id: Int64
    package var recordID: Int64
    package var record: PatientRecord
    /// The enterprise patient the record is linked to meanwhile.
    package var enterpriseID: String?
    package var candidateEnterpriseID: String
    package var explanation: MatchExplanation
    package var status: Status
    package var createdAt: String
    package var decidedBy: String?
    package var decidedAt: String?
    package var reason: String?
}

/// One event of the append-only link history.
package struct HistoryEvent: Sendable, Hashable {
    package enum Action: String, Sendable, Hashable, Codable, CaseIterable {
        case link, unlink, merge, unmerge, reviewDecision = "review-decision", sourceMerge = "source-merge", update, new
    }
    package var eventID: Int64
    package var time: String
    package var actor: String
    package var action: Action
    package var recordID: Int64?
    package var fromEnterpriseID: String?
    package var toEnterpriseID: String?
    package var reason: String?
    package var explanation: MatchExplanation?
    /// The event this one undid, when it is an undo.
    package var reverses: Int64?
    /// The event that undid this one, when undone.
    package var reversedBy: Int64?
}

/// One line of the audit log (who did or read what; never patient data beyond enterprise ids).
package struct AuditEntry: Sendable, Hashable {
    package var id: Int64
    package var time: String
    package var actor: String
    package var action: String
    package var patientIDs: [String]
    package var detail: String?
}

/// A line of a patient listing or search result.
package struct PatientSummary: Sendable, Hashable {
    package var id: String
    package var golden: PatientRecord
    package var memberCount: Int
}

/// Totals for metrics.
package struct IndexCounts: Sendable, Hashable {
    /// Messages by format (`unknown` when none was recognized), then by status.
    package var messages: [String: [MessageStatus: Int]]
    package var enterprisePatients: Int
    package var sourceRecords: Int
    package var openReviews: Int
    package var flags: Int
}

/// Tunables of the index.
package struct IndexConfiguration: Sendable, Hashable {
    /// Blocking keys shared by more records than this are skipped (they would compare against half the index).
    package var maxBlockSize: Int
    /// Name-only keys (phonetic given + family, no birth date) are skipped above this many records: in a
    /// large index a common name's block is hundreds of strangers, and a record whose only agreement with
    /// them is the name can at best go to review. Rare names keep the key, so a birth year typo still meets.
    package var maxNameOnlyBlockSize: Int
    /// At most this many review items are opened for one incoming record (the best candidates).
    package var maxReviewsPerRecord: Int
    /// Survivorship: facilities ranked by trust (higher wins before recency). Keys are `SourceSystem.key`.
    package var sourceTrust: [String: Int]
    /// Decoded matching features of this many recently seen records are kept in memory (about 1.5 KB
    /// each: 60,000 is ~90 MB at most). Read when the store opens.
    package var featureCacheEntries: Int
    /// SQLite's page cache of the write connection, in MiB. The pages one group commit dirties stay in
    /// it until the commit (a smaller cache spills them to the WAL early), and the index pages the
    /// candidate queries walk are read from it instead of from the operating system.
    package var pageCacheMiB: Int
    /// WAL checkpoints of the write connection on a thread of their own (`Connection.checkpointInBackground`)
    /// instead of SQLite's autocheckpoint inside the commit that crosses its threshold. For bulk loads
    /// (`concord ingest`): a 1M-record load took 569 s instead of 615 in one pair of runs, 463 s instead of
    /// 464 in another; and for `concord serve` (`writer.backgroundCheckpoints`, on by default), where the
    /// autocheckpoint stalled every ACK behind it: 1.07–1.21× the messages per second at 64 connections,
    /// ACK p99 72–81 ms instead of 100–122 (five alternating pairs, 2026-12-08; an earlier measurement,
    /// before the writer's later changes, had found 5–17 % more writer CPU per message); one connection
    /// sending flat out got 0.82–0.88× its rate, hence ``inlineCheckpointBelowFrames`` (docs/architecture.md).
    /// Off by default here.
    package var backgroundCheckpoints: Bool
    /// With ``backgroundCheckpoints``: a checkpoint falling due after a commit of fewer WAL frames than
    /// this is run by the writer itself, at once (`BackgroundCheckpoints.afterCommit`). 0 (bulk loads):
    /// always the thread. `concord serve` uses 256 (its commits at one connection hold ~20–40 frames, at 64
    /// several hundred).
    package var inlineCheckpointBelowFrames = 0
    /// The fact unifications of recently refreshed enterprise patients are kept in memory up to this many
    /// fact instances in all, so a message about a patient with a long history unifies its own facts only;
    /// a patient outside the cache is refreshed in full (its whole history), which is what a working set
    /// larger than the cache costs. About 2.5 KB each (measured: 100 patients with 200 ORUs each, some
    /// 250,000 instances, added ~620 MB of resident memory): 500,000 is ~1.3 GB at most. 0 turns it off.
    package var unificationCacheInstances: Int = 500_000
    /// A new record's candidate queries skip the blocking keys a filter of every filed key says no other
    /// record has (`BlockingKeyFilter`). Built by scanning `blocking_keys` once this store has matched
    /// this many new records (so a short `concord ingest` never pays the scan), rebuilt after another
    /// connection's commit and as the index doubles. `nil` turns it off.
    package var blockingKeyFilterAfter: Int? = 64
    /// The write connection's commits are made durable by whoever holds ``PatientIndexStore/commitSync``,
    /// after each commit, instead of by an fsync inside it (`Connection.deferCommitSync`): `concord serve`
    /// fsyncs on a thread of its own while the writer runs the next group commit, and acknowledges a batch
    /// only after its fsync. Off by default: every other user of the store (the CLI, tests, bulk loads)
    /// relies on a commit being durable when it returns. Whoever turns it on owns durability: no method of
    /// the store syncs, so nothing it wrote may be reported as stored before `commitSync.sync()`.
    package var deferredCommitSync = false

    package init(
        maxBlockSize: Int = 500, maxNameOnlyBlockSize: Int = 50, maxReviewsPerRecord: Int = 3, sourceTrust: [String: Int] = [:],
        featureCacheEntries: Int = 60_000, pageCacheMiB: Int = 1_024, backgroundCheckpoints: Bool = false
    ) {
        self.maxBlockSize = maxBlockSize
        self.maxNameOnlyBlockSize = maxNameOnlyBlockSize
        self.maxReviewsPerRecord = maxReviewsPerRecord
        self.sourceTrust = sourceTrust
        self.featureCacheEntries = featureCacheEntries
        self.pageCacheMiB = pageCacheMiB
        self.backgroundCheckpoints = backgroundCheckpoints
    }
}

/// An error of the index's own (storage errors arrive as `SQLiteError`).
package struct PatientIndexError: Error, Hashable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String { case notFound, conflict, invalidArgument, notReversible, corruptRow }
        fileprivate var value: Value
        package static let notFound = Code(value: .notFound)
        package static let conflict = Code(value: .conflict)
        package static let invalidArgument = Code(value: .invalidArgument)
        package static let notReversible = Code(value: .notReversible)
        package static let corruptRow = Code(value: .corruptRow)
        package var description: String { value.rawValue }
    }
    package var code: Code
    /// A human reason (ids only, never patient data).
    package var reason: String

    package init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    package static func == (lhs: PatientIndexError, rhs: PatientIndexError) -> Bool { lhs.code == rhs.code }
    package func hash(into hasher: inout Hasher) { hasher.combine(code) }
    package var description: String { "\(code): \(reason)" }
}
