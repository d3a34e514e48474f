import Clinical
import Foundation
import SQLite

/// The write side of the master patient index: one instance, used from one writer thread.
///
/// It owns the single write connection (WAL, `synchronous=FULL`; `NORMAL` with ``commitSync`` when the
/// caller makes commits durable itself), the message log, ingest (in
/// `Index/Ingest.swift`), steward operations (`Index/Steward.swift`), model training and the audit log.
/// Every write runs inside the caller's transaction when there is one (as a savepoint, so one failing
/// message in a group commit undoes only itself), or in its own `BEGIN IMMEDIATE` transaction.
package final class PatientIndexStore {
    /// The write connection (exposed so the gateway can run its own statements in the same transaction).
    package let db: Connection
    /// With `IndexConfiguration.deferredCommitSync`: what makes a commit durable, to be called after it
    /// returned and before anything it stored is acknowledged. `nil`: a commit is durable when it returns.
    package let commitSync: WALSync?
    /// The match model in force: the one given at init, else the newest trained one, else `MatchModel.standard`.
    package private(set) var model: MatchModel
    package var configuration: IndexConfiguration
    /// The fact ledger facts are recorded and refreshed through.
    package let ledger: FactLedger
    /// Source records written by the ingest in progress (saves reading them back for the golden record).
    var recentRecords: [Int64: PatientRecord] = [:]
    /// Decoded matching features of recently seen records by record id: candidates recur (common names,
    /// families, clinics sending the same people). Emptied whenever an ingest rolls back.
    var featureCache: RecentCache<Int64, MatchFeatures>
    /// `name_frequencies` counts read or written by this store (it is their only writer), by `kind|name`:
    /// every candidate set asks for the counts of its names and the running totals. Emptied with the
    /// feature cache whenever a transaction or savepoint rolls back.
    var nameCounts: [String: Int] = [:]
    /// The fact unification of recently refreshed enterprise patients, so that an ingest that only adds
    /// facts to a patient applies just those (``FactLedger/refresh(enterpriseID:continuing:members:newInstances:in:)``).
    /// Emptied with the other caches whenever a transaction or savepoint rolls back.
    /// Weighed by the fact instances each holds (`IndexConfiguration.unificationCacheInstances` in all).
    var unificationCache: RecentCache<String, PatientUnification>
    /// `PRAGMA data_version` when this store last began a transaction (see `forgetCachesIfAnotherWriterCommitted`).
    private var lastDataVersion: Int64?
    /// Every key in `blocking_keys` as far as this store knows (see ``keysPerhapsFiled(_:)``); `nil` until
    /// built and after another connection's commit. A rollback leaves it as it is: it then also holds keys
    /// no longer filed, which only costs a query.
    var keyFilter: BlockingKeyFilter?
    /// New records matched by this store (the filter is built once there were enough of them).
    var newRecordsMatched = 0
    /// How often the filter was built (tests and benchmarks read it).
    package internal(set) var keyFilterBuilds = 0
    /// Source records created by the ingest in progress, with their prepared forms, and the enterprise
    /// patients it created (see `refresh`).
    var createdRecords: [Int64: PreparedRecord] = [:]
    var createdPatients: Set<String> = []
    /// Enterprise patients the ingest in progress emptied by matching their one record again (see `rematchAlone`).
    var rematchedPatients: [String] = []
    /// The records it moved that way, with where they went and why.
    var rematchedRecords: [Int64: (enterpriseID: String, explanation: MatchExplanation)] = [:]
    /// Enterprise patients this ingest created with a solo golden record already in their row, by the record.
    var soloGoldenWritten: [String: Int64] = [:]
    /// Whether an ingest inside a caller's transaction is a savepoint of its own; off only inside
    /// ``groupCommit(_:)``'s first attempt.
    var isolatesIngests = true
    /// Set when an ingest without its own savepoint threw: the transaction holds part of it.
    var unisolatedIngestFailed = false
    /// How many group commits were run again with savepoints because an ingest failed (for tests and metrics).
    package private(set) var optimisticRetries = 0
    /// How many refreshes continued a cached unification instead of redoing it (for tests and benchmarks).
    package internal(set) var incrementalRefreshes = 0
    /// The work of this store's ingests so far, summed (a benchmark reads it around one ingest to see
    /// where a slow one went).
    package internal(set) var work = IngestWork()
    /// The actor recorded for automatic decisions.
    package static let matcherActor = "concord:matcher"
    /// An earlier copy of a message that has no control id, by its hash (through `message_log_sha256`).
    static let earlierCopyByHashQuery =
        "SELECT id, ack, status FROM message_log WHERE sha256 = ? AND control_id IS NULL AND status != 'failed' ORDER BY id LIMIT 1"

    /// Opens (creating and migrating) the index at `path`. Pass `model` to force a model; otherwise the
    /// newest model in the `models` table is used, or the standard one.
    package init(
        path: String, model: MatchModel? = nil, configuration: IndexConfiguration = IndexConfiguration(), ledger: FactLedger = FactLedger()
    ) throws {
        db = try Connection(path: path)
        // A larger page cache keeps a group commit's pages in memory instead of spilling them to the WAL early.
        try db.execute("PRAGMA cache_size = -\(max(1, configuration.pageCacheMiB) * 1024)")
        // Checkpoint less often: a page rewritten by several group commits is copied back to the database once.
        try db.execute("PRAGMA wal_autocheckpoint = 8192")
        // Every ingest is a savepoint inside the group commit, so SQLite keeps a statement journal of the
        // pages it first touches; in memory that is a copy, in a temporary file it was a pwrite per page
        // (about 12 % of the writer's time under load).
        try db.execute("PRAGMA temp_store = MEMORY")
        self.ledger = ledger
        try db.migrate(IndexSchema.migrations + FactLedger.migrations)
        // The commit's fsync left to the holder of `commitSync` (the gateway's writer; see the configuration).
        commitSync = configuration.deferredCommitSync ? try db.deferCommitSync() : nil
        // The copy of the WAL back into the database (and its fsync) off the writer's thread.
        if configuration.backgroundCheckpoints { try db.checkpointInBackground(smallCommitFrames: configuration.inlineCheckpointBelowFrames) }
        self.configuration = configuration
        featureCache = RecentCache(capacity: configuration.featureCacheEntries)
        unificationCache = RecentCache(capacity: configuration.unificationCacheInstances, weight: { $0.state.instanceCount })
        if let model {
            self.model = model
        } else if let stored = try Self.newestModel(in: db) {
            self.model = stored
        } else {
            self.model = .standard
        }
    }

    static func newestModel(in db: Connection) throws -> MatchModel? {
        guard let row = try db.row("SELECT model_json FROM models ORDER BY id DESC LIMIT 1") else { return nil }
        return try IndexRows.decodeJSON(MatchModel.self, row.blob(0), column: "model_json")
    }

    // MARK: Transactions

    /// Runs `body` in one transaction (`BEGIN IMMEDIATE` … `COMMIT`), durable when it returns (with
    /// ``commitSync``: once `commitSync.sync()` has returned after it). Ingests inside it are
    /// savepoints, so a failing one can be caught and the others still commit. Use this (not
    /// `db.transaction`): when the transaction rolls back, the store's caches of what it wrote are dropped
    /// with it. Group commits of many ingests use ``groupCommit(_:)``.
    @discardableResult
    package func transaction<T>(_ body: () throws -> T) throws -> T {
        do {
            return try db.transaction {
                // Inside BEGIN IMMEDIATE: no other writer can commit until this transaction ends.
                try forgetCachesIfAnotherWriterCommitted()
                return try body()
            }
        } catch {
            dropCaches()
            throw error
        }
    }

    /// A group commit: runs `body` (many ingests, each catching its own errors) in one durable
    /// transaction, optimistically without a savepoint per ingest. When an ingest throws, the transaction
    /// holds part of it, so everything is rolled back and `body` runs once more in a new transaction with
    /// a savepoint per ingest, where a failing ingest undoes only itself. `body` must therefore be safe to
    /// run twice: it may only write through the store and keep what it returns.
    ///
    /// Why: inside a savepoint SQLite copies every page an ingest first touches into the statement journal
    /// (four dozen pages per record in a large index), and an ingest that fails after parsing is rare.
    @discardableResult
    package func groupCommit<T>(_ body: () throws -> T) throws -> T {
        guard !db.isInTransaction else { return try body() }
        isolatesIngests = false
        unisolatedIngestFailed = false
        defer {
            isolatesIngests = true
            unisolatedIngestFailed = false
        }
        do {
            return try transaction {
                let value = try body()
                if unisolatedIngestFailed { throw RetryWithSavepoints() }
                return value
            }
        } catch is RetryWithSavepoints {
            isolatesIngests = true
            unisolatedIngestFailed = false
            optimisticRetries += 1
            return try transaction(body)
        }
    }

    /// Runs one inbound unit's writes (its log row, its ingest, the mark of its failure) so that they stand
    /// or fall together once ingests are isolated (the retry of a group commit after a failure): a unit
    /// whose failure cannot even be recorded leaves nothing behind, instead of a log row saying
    /// "ingested" for an ingest that rolled back. In the optimistic first attempt any failure retries the
    /// whole batch anyway, so no savepoint is spent there.
    package func unit<T>(_ body: () throws -> T) throws -> T {
        guard db.isInTransaction, isolatesIngests else { return try body() }
        return try withTransaction(body)
    }

    /// Thrown to abandon an optimistic group commit (see ``groupCommit(_:)``).
    struct RetryWithSavepoints: Error {}

    /// The caches hold rows as this store wrote them. Another connection's commit (a second process on the
    /// same file, which SQLite allows) may have changed them: SQLite's `data_version` tells.
    private func forgetCachesIfAnotherWriterCommitted() throws {
        guard case .integer(let version) = try db.scalar("PRAGMA data_version") else { return }
        if let seen = lastDataVersion, seen != version {
            dropCaches()
            // The other connection may have filed keys this filter has never seen.
            keyFilter = nil
        }
        lastDataVersion = version
    }

    /// Forgets what the caches hold of rows a rolled-back transaction or savepoint wrote.
    func dropCaches() {
        featureCache.removeAll()
        nameCounts.removeAll()
        unificationCache.removeAll()
    }

    /// Runs `body` in the current transaction when there is one (as a savepoint), else in a new one.
    @discardableResult
    package func withTransaction<T>(_ body: () throws -> T) throws -> T {
        guard db.isInTransaction else { return try transaction(body) }
        do {
            return try db.savepoint("index_op", body)
        } catch {
            dropCaches()
            throw error
        }
    }

    /// Runs `body` in the current transaction as it is (no savepoint: for bodies whose only write is a
    /// single statement, which SQLite makes atomic by itself), else in a new transaction.
    @discardableResult
    func inTransaction<T>(_ body: () throws -> T) throws -> T {
        db.isInTransaction ? try body() : try transaction(body)
    }

    // MARK: Message log

    /// The hash `logMessage` stores with a message (hex SHA-256 of its bytes); pass it in when computed ahead.
    package static func messageHash(_ raw: [UInt8]) -> String { SHA256.hex(raw) }

    /// Stores a received message. A message whose sender application, facility and control id (MSH-3,
    /// MSH-4, MSH-10) were seen before is a re-send: nothing is stored and the earlier message's id, ACK
    /// and status come back, so the same ACK can be sent again and the message is not ingested twice.
    /// Without a control id, identical bytes (same SHA-256) count as the re-send.
    ///
    /// `status`, `error`, `errorPosition` and `ack` are what the row is stored with: a caller that already
    /// knows how the message will end (parse failures; the AA of a message ingested in the same
    /// transaction, which becomes `failed` through ``markFailed(_:error:position:ack:)`` if the ingest rolls
    /// back) writes the row once instead of inserting and then updating it — the update rewrote the raw
    /// bytes' pages and the status index for every message.
    package func logMessage(
        raw: [UInt8], channel: MessageChannel, format: String?, senderApplication: String?, senderFacility: String?,
        controlID: String?, sha256: String? = nil, status: MessageStatus = .received, error: String? = nil,
        errorPosition: String? = nil, ack: [UInt8]? = nil
    ) throws -> MessageLogResult {
        let application = senderApplication?.nilIfBlank ?? ""
        let facility = senderFacility?.nilIfBlank ?? ""
        let control = controlID?.nilIfBlank
        let hash = sha256 ?? Self.messageHash(raw)
        // One lookup and one insert: atomic without a savepoint of its own inside a group commit.
        return try inTransaction {
            let earlier: Row?
            if let control {
                earlier = try db.row(
                    "SELECT id, ack, status FROM message_log WHERE sender_application = ? AND sender_facility = ? AND control_id = ?",
                    [application, facility, control])
            } else {
                earlier = try db.row(Self.earlierCopyByHashQuery, [hash])
            }
            if let earlier, let duplicate = Self.duplicate(earlier) { return duplicate }
            try db.run("""
                INSERT INTO message_log (received_at, channel, format, sender_application, sender_facility, control_id, sha256, raw, status,
                    error, error_position, ack)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [IndexRows.timestamp(), channel.rawValue, format?.nilIfBlank, application, facility, control, hash, raw,
                      status.rawValue, error, errorPosition, ack])
            return .stored(db.lastInsertRowID)
        }
    }

    /// Runs a failed message again in place (reprocessing after a fix): its row takes the new parse's
    /// format, sender, control id and outcome, written like ``logMessage`` writes a new one, and keeps its
    /// id, bytes and arrival time. Nothing changes, and the message that stands comes back as the duplicate,
    /// when the row is no longer failed (reprocessed meanwhile) or another logged message has the same
    /// sender and control id (the sender re-sent it after its own fix): the message is not ingested twice.
    package func relogFailedMessage(
        _ id: Int64, format: String?, senderApplication: String?, senderFacility: String?, controlID: String?,
        status: MessageStatus, error: String?, errorPosition: String?, ack: [UInt8]?
    ) throws -> MessageLogResult {
        let application = senderApplication?.nilIfBlank ?? ""
        let facility = senderFacility?.nilIfBlank ?? ""
        let control = controlID?.nilIfBlank
        return try inTransaction {
            guard let row = try db.row("SELECT id, ack, status FROM message_log WHERE id = ?", [id]) else {
                throw PatientIndexError(.notFound, "message \(id)")
            }
            guard row.string(2) == MessageStatus.failed.rawValue else { return Self.duplicate(row) ?? .duplicate(id, ack: nil, status: .received) }
            if let control, let other = try db.row(
                "SELECT id, ack, status FROM message_log WHERE sender_application = ? AND sender_facility = ? AND control_id = ? AND id <> ?",
                [application, facility, control, id]), let duplicate = Self.duplicate(other) {
                return duplicate
            }
            try db.run("""
                UPDATE message_log SET format = ?, sender_application = ?, sender_facility = ?, control_id = ?, status = ?,
                    error = ?, error_position = ?, ack = ? WHERE id = ?
                """, [format?.nilIfBlank, application, facility, control, status.rawValue, error, errorPosition, ack, id])
            return .stored(id)
        }
    }

    /// An earlier logged message (`id, ack, status`) as the re-send answer.
    private static func duplicate(_ row: Row) -> MessageLogResult? {
        guard let id = row.int(0) else { return nil }
        let ack: [UInt8]? = if case .blob(let bytes) = row[1] { bytes } else { nil }
        return .duplicate(id, ack: ack, status: row.string(2).flatMap(MessageStatus.init(rawValue:)) ?? .received)
    }

    /// Marks a message ingested, with the ACK sent for it (kept to answer re-sends).
    package func markIngested(_ id: Int64, ack: [UInt8]?) throws {
        try inTransaction {
            try db.run("UPDATE message_log SET status = 'ingested', error = NULL, error_position = NULL, ack = ? WHERE id = ?", [ack, id])
            guard db.changes == 1 else { throw PatientIndexError(.notFound, "message \(id)") }
        }
    }

    /// Marks a message failed with its error and where in the message it happened (kept for re-processing).
    package func markFailed(_ id: Int64, error: String, position: String?, ack: [UInt8]?) throws {
        try inTransaction {
            try db.run("UPDATE message_log SET status = 'failed', error = ?, error_position = ?, ack = ? WHERE id = ?", [error, position, ack, id])
            guard db.changes == 1 else { throw PatientIndexError(.notFound, "message \(id)") }
        }
    }

    // MARK: Audit

    /// Appends to the audit log. `detail` must carry no patient data (ids and counts only).
    package func audit(actor: String, action: String, patientIDs: [String], detail: String?) throws {
        try inTransaction {
            try db.run("INSERT INTO audit (time, actor, action, patient_ids, detail) VALUES (?, ?, ?, ?, ?)",
                [IndexRows.timestamp(), actor, action, patientIDs.joined(separator: ","), detail])
        }
    }

    // MARK: Training

    /// Re-estimates the match model from the index: u probabilities from random record pairs, m by EM over
    /// candidate pairs (records sharing a blocking key). The new model is stored with a new version and used
    /// from now on. `samplePairs` bounds each pair set.
    @discardableResult
    package func train(actor: String, samplePairs: Int = 5000, iterations: Int = 25) throws -> MatchModel {
        // Only person-level keys (identifiers, SSN, birth date with name): pairs that share just a phone,
        // e-mail or address are households, and EM would learn to find households instead of people.
        let candidateRows = try db.rows("""
            SELECT a.record_id, b.record_id FROM blocking_keys a
            JOIN blocking_keys b ON b.key = a.key AND b.record_id > a.record_id
            WHERE a.key LIKE 'id:%' OR a.key LIKE 'ssn:%' OR a.key LIKE 'nid:%' OR a.key LIKE 'df:%'
               OR a.key LIKE 'dg:%' OR a.key LIKE 'gfy:%'
            LIMIT ?
            """, [samplePairs])
        var featureCache: [Int64: MatchFeatures] = [:]
        func features(_ id: Int64) throws -> MatchFeatures? {
            if let cached = featureCache[id] { return cached }
            guard let row = try db.row("SELECT features_data FROM source_records WHERE id = ? AND merged_into IS NULL", [id]) else { return nil }
            let value = try IndexRows.decode(MatchFeatures.self, row.blob(0), column: "features_data")
            featureCache[id] = value
            return value
        }
        var candidatePairs: [(MatchFeatures, MatchFeatures)] = []
        var seenPairs = Set<[Int64]>()
        for row in candidateRows {
            guard let a = row.int(0), let b = row.int(1), seenPairs.insert([a, b]).inserted,
                let fa = try features(a), let fb = try features(b) else { continue }
            candidatePairs.append((fa, fb))
        }
        var randomPairs: [(MatchFeatures, MatchFeatures)] = []
        let maxID = try db.scalar("SELECT max(id) FROM source_records")
        if case .integer(let top) = maxID, top > 1 {
            var generator = SystemRandomNumberGenerator()
            var attempts = 0
            while randomPairs.count < samplePairs && attempts < samplePairs * 4 {
                attempts += 1
                let a = Int64.random(in: 1...top, using: &generator), b = Int64.random(in: 1...top, using: &generator)
                guard a != b, let fa = try features(a), let fb = try features(b) else { continue }
                randomPairs.append((fa, fb))
            }
        }
        guard !candidatePairs.isEmpty, !randomPairs.isEmpty else {
            throw PatientIndexError(.invalidArgument, "the index has too few records to train on")
        }
        var trained = MatchTrainer.train(candidatePairs: candidatePairs, randomPairs: randomPairs, startingFrom: model, iterations: iterations)
        let next = (try db.scalar("SELECT count(*) FROM models").integerValue ?? 0) + 1
        trained.version = "\(MatchModel.standard.version)+trained.\(next)"
        let stored = trained
        try withTransaction {
            try db.run("INSERT INTO models (version, created_at, actor, model_json) VALUES (?, ?, ?, ?)",
                [stored.version, IndexRows.timestamp(), actor, try IndexRows.encodeJSON(stored)])
            try db.run("INSERT INTO audit (time, actor, action, patient_ids, detail) VALUES (?, ?, 'train', '', ?)",
                [IndexRows.timestamp(), actor, "model \(stored.version) from \(candidatePairs.count) candidate and \(randomPairs.count) random pairs"])
        }
        model = stored
        return stored
    }
}

/// Running totals of what the ingests of one store did: the blocks they read, the candidates they
/// compared and where their time went. Counting costs a few additions and clock reads per record.
package struct IngestWork: Sendable {
    /// Block queries run and the rows they returned (blocks over their size limit included).
    package var blockQueries = 0
    package var blockRows = 0
    /// Enterprise patients compared with a new record, and the member records behind them.
    package var candidatePatients = 0
    package var membersCompared = 0
    /// Members whose features were read from the table (not in the feature cache).
    package var featureReads = 0
    /// Seconds spent gathering and comparing a new record's candidates, deciding (with its writes; a
    /// re-matched update is not timed), recording facts and refreshing golden records and the fact ledger.
    package var candidateSeconds = 0.0
    package var decideSeconds = 0.0
    package var factSeconds = 0.0
    package var refreshSeconds = 0.0
    /// Records alone in a patient that were matched again, and moved, when a record joined one of their
    /// candidate patients.
    package var rematched = 0

    static func clock() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// `self` minus an earlier reading.
    package func since(_ earlier: IngestWork) -> IngestWork {
        IngestWork(blockQueries: blockQueries - earlier.blockQueries, blockRows: blockRows - earlier.blockRows,
            candidatePatients: candidatePatients - earlier.candidatePatients, membersCompared: membersCompared - earlier.membersCompared,
            featureReads: featureReads - earlier.featureReads, candidateSeconds: candidateSeconds - earlier.candidateSeconds,
            decideSeconds: decideSeconds - earlier.decideSeconds, factSeconds: factSeconds - earlier.factSeconds,
            refreshSeconds: refreshSeconds - earlier.refreshSeconds, rematched: rematched - earlier.rematched)
    }
}
