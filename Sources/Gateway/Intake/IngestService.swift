import Clinical
import Foundation
import PatientIndex

/// One message or document as received, before anything is known about its content.
package struct InboundUnit: Sendable {
    package var raw: [UInt8]
    package var channel: MessageChannel
    /// Where it came from, for logs: a file name, a peer address (never content).
    package var origin: String
    /// A facility vouched for by the transport (a mutual-TLS client certificate mapped in the config).
    package var vouchedFacility: String?
    /// Facilities (upper-cased) bound to client certificates: claimed without one, the unit is refused.
    package var reservedFacilities: Set<String> = []
    /// When it arrived (for ACK latency).
    package var receivedAt: Double
    /// The failed message-log entry this unit runs again (`concord messages reprocess`, `POST
    /// /messages/{id}/reprocess`): that row takes the new outcome instead of a new row being logged, which
    /// the re-send check would have answered with the old error.
    package var reprocessing: Int64?

    package init(raw: [UInt8], channel: MessageChannel, origin: String, vouchedFacility: String? = nil, reservedFacilities: Set<String> = []) {
        self.raw = raw
        self.channel = channel
        self.origin = origin
        self.vouchedFacility = vouchedFacility
        self.reservedFacilities = reservedFacilities
        self.receivedAt = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }
}

/// What ingesting one unit came to, after its transaction committed.
package struct IngestReply: Sendable {
    package enum Status: String, Sendable {
        /// Stored and ingested.
        case ingested
        /// Stored with its error (parse or mapping failed): kept for reprocessing, sender told why.
        case failed
        /// A re-send of a message already logged: not ingested again; the earlier ACK is repeated.
        case duplicate
    }
    package var status: Status
    package var messageLogID: Int64?
    package var format: DetectedFormat
    /// The ACK to send (HL7 v2 only): AA/AE/AR, after commit.
    package var ack: [UInt8]?
    /// The error, when failed (no patient data).
    package var error: IntakeFailure?
    /// Per patient: enterprise id and decision.
    package var outcomes: [PatientOutcome]
    package var flags: [DuplicateTestFlag]
    /// Notes from mapping (skipped parts), for `concord check` and the parse report.
    package var notes: [MappingNote]
    /// For a re-send: how the message it repeats ended (a re-sent failed message is still failed).
    package var earlierStatus: MessageStatus? = nil
}

/// Ingestion: parse off the writer, then log + ingest + ACK in the writer's group commit.
///
/// The raw bytes are written to the message log in the same transaction as everything derived from
/// them, so after a crash either both exist or neither; the ACK (and an inbox file's move to the
/// archive) happens only once that transaction has committed.
package final class IngestService: Sendable {
    package let writer: GroupCommitWriter<PatientIndexStore>
    package let metrics: Metrics
    /// The store's fact ledger (immutable lookups), for the work done ahead of the writer.
    let ledger: FactLedger?

    /// `ledger`: the store's own (pass the instance the store was opened with); without it a new patient's
    /// unified facts are computed on the writer.
    package init(writer: GroupCommitWriter<PatientIndexStore>, metrics: Metrics, ledger: FactLedger? = nil) {
        self.writer = writer
        self.metrics = metrics
        self.ledger = ledger
    }

    /// Parses `unit` on the calling thread, queues it for the writer, and calls `completion` after the
    /// commit is durable (on the writer's thread or its sync thread: hand off quickly).
    package func ingest(_ unit: InboundUnit, completion: @escaping @Sendable (IngestReply) -> Void) {
        let (parsed, prepared) = parse(unit)
        submit(unit, parsed: parsed, prepared: prepared, completion: completion)
    }

    /// The same, for one of a connection's messages: parsed on this thread, handed to the writer in the
    /// connection's order (`ticket`, taken from `order` as the message arrived).
    package func ingest(_ unit: InboundUnit, order: OrderedIntake, ticket: Int, completion: @escaping @Sendable (IngestReply) -> Void) {
        let (parsed, prepared) = parse(unit)
        order.handOver(ticket) { [self] in submit(unit, parsed: parsed, prepared: prepared, completion: completion) }
    }

    /// Parses and prepares `unit`: everything that needs no look at the index, computed off the single
    /// writer thread (on any thread).
    func parse(_ unit: InboundUnit) -> (ParsedUnit, Prepared) {
        let parsed = MessageParser.parse(unit.raw, vouchedFacility: unit.vouchedFacility, reservedFacilities: unit.reservedFacilities)
        return (parsed, Prepared(parsed, ledger: ledger))
    }

    /// Ingests `units` in their order, parsing them on up to `parallelism` threads, `window` at a time,
    /// and keeping up to `chunksInFlight` windows queued for the writer at once, so that they share group
    /// commits instead of paying one durable commit each; returns the replies in order. Each reply still
    /// follows the commit of the transaction that holds its unit, exactly as with ``ingestAndWait(_:)``.
    /// When the writer is the slower side the queue fills, and its commits grow up to its `maxBatch`.
    ///
    /// For bulk loads (`concord ingest`, the inbox): a file of 100,000 messages ingested one commit at a
    /// time waits for 100,000 fsyncs. Never call it from an event loop or from Swift's cooperative pool.
    package func ingestAll(
        _ units: [InboundUnit], parallelism: Int = ProcessInfo.processInfo.activeProcessorCount, window: Int = 256, chunksInFlight: Int = 2
    ) -> [IngestReply] {
        guard !units.isEmpty else { return [] }
        let replies = ReplySlots(count: units.count)
        let chunk = max(1, window)
        // By default two chunks with the writer: one being committed while the next is parsed and queued.
        let inFlight = DispatchSemaphore(value: max(1, chunksInFlight))
        let done = DispatchGroup()
        var start = 0
        while start < units.count {
            let end = min(start + chunk, units.count)
            inFlight.wait()
            let parsed = ParsedSlots(count: end - start)
            let threads = max(1, min(parallelism, end - start))
            let first = start
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                for i in stride(from: first + worker, to: end, by: threads) { parsed.set(i - first, parse(units[i])) }
            }
            let remaining = ChunkCounter(end - start)
            for i in start..<end {
                // concurrentPerform returns after every iteration ran, so the slot is filled.
                let (unitParsed, prepared) = parsed.get(i - start) ?? parse(units[i])
                done.enter()
                submit(units[i], parsed: unitParsed, prepared: prepared) { reply in
                    replies.set(i, reply)
                    if remaining.finishOne() { inFlight.signal() }
                    done.leave()
                }
            }
            start = end
        }
        done.wait()
        return replies.all()
    }

    private func submit(_ unit: InboundUnit, parsed: ParsedUnit, prepared: Prepared, completion: @escaping @Sendable (IngestReply) -> Void) {
        let metrics = self.metrics
        writer.submit({ store in try Self.commit(parsed, unit: unit, prepared: prepared, store: store) }) { result in
            let reply: IngestReply
            switch result {
            case .success(let r): reply = r
            case .failure(let error):
                // The transaction failed (disk full, I/O error), or its fsync did: nothing is known to be
                // on disk, so no positive ACK. An AR tells an HL7 sender to try again later.
                Log.error("ingest of \(unit.origin) not durably stored: \(error)")
                let failure = IntakeFailure(code: .storage, reason: "message could not be stored; send again later", position: nil)
                reply = IngestReply(
                    status: .failed, messageLogID: nil, format: parsed.format,
                    ack: parsed.format == .hl7v2 ? MessageParser.acknowledgement(for: parsed, failure: failure, reject: true) : nil,
                    error: failure, outcomes: [], flags: [], notes: [])
            }
            metrics.countMessage(format: parsed.format.sourceFormat?.rawValue ?? "unknown", status: reply.status.rawValue)
            completion(reply)
        }
    }

    /// Results written from other threads (parsing workers, the writer), read once all are in.
    private final class ReplySlots: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [IngestReply?]
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ reply: IngestReply) { lock.withLock { slots[i] = reply } }
        func all() -> [IngestReply] {
            lock.withLock {
                slots.map { $0 ?? IngestReply(status: .failed, messageLogID: nil, format: .unknown, ack: nil,
                    error: IntakeFailure(code: .storage, reason: "no reply", position: nil), outcomes: [], flags: [], notes: []) }
            }
        }
    }

    private final class ParsedSlots: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [(ParsedUnit, Prepared)?]
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ value: (ParsedUnit, Prepared)) { lock.withLock { slots[i] = value } }
        func get(_ i: Int) -> (ParsedUnit, Prepared)? { lock.withLock { slots[i] } }
    }

    private final class ChunkCounter: @unchecked Sendable {
        private let lock = NSLock()
        private var left: Int
        init(_ count: Int) { left = count }
        /// True for the last one.
        func finishOne() -> Bool { lock.withLock { left -= 1; return left == 0 } }
    }

    /// Ingests and waits for the commit. For the CLI, the inbox thread and tests; never on an event loop.
    package func ingestAndWait(_ unit: InboundUnit) -> IngestReply {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var reply: IngestReply?
        ingest(unit) { r in
            reply = r
            done.signal()
        }
        done.wait()
        return reply ?? IngestReply(status: .failed, messageLogID: nil, format: .unknown, ack: nil,
                                    error: IntakeFailure(code: .storage, reason: "no reply", position: nil), outcomes: [], flags: [], notes: [])
    }

    /// The parts of a unit's ingest computed before the writer: the message hash and each submission's
    /// matching features, keys and encodings (`nil` when preparing failed: the writer then ingests the
    /// submission itself and reports the error where it belongs).
    struct Prepared: Sendable {
        var sha256: String
        var submissions: [PreparedSubmission?]
        /// The ACK the unit gets when it is ingested (AA), or when its parse failed (AE/AR): HL7 v2 only.
        var ack: [UInt8]?

        init(_ parsed: ParsedUnit, ledger: FactLedger? = nil) {
            // OpenSSL's SHA-256: the portable one took about a tenth of a parsing worker's time.
            sha256 = SHA256Digest.hex(parsed.raw)
            submissions = parsed.failure == nil ? parsed.submissions.map { try? PatientIndexStore.prepare($0, ledger: ledger) } : []
            if parsed.format == .hl7v2 {
                ack = MessageParser.acknowledgement(for: parsed, failure: parsed.failure, reject: parsed.failure?.rejects ?? false)
            }
        }

        /// The prepared form of submission `index`, when there is one.
        func submission(_ index: Int) -> PreparedSubmission? {
            submissions.indices.contains(index) ? submissions[index] : nil
        }
    }

    /// Runs inside the writer's transaction: log (with the outcome it is expected to have), ingest in a
    /// savepoint, and only when the ingest rolls back, mark the logged message failed.
    static func commit(_ parsed: ParsedUnit, unit: InboundUnit, prepared: Prepared? = nil, store: PatientIndexStore) throws -> IngestReply {
        try store.unit { try commitUnit(parsed, unit: unit, prepared: prepared, store: store) }
    }

    private static func commitUnit(_ parsed: ParsedUnit, unit: InboundUnit, prepared: Prepared?, store: PatientIndexStore) throws -> IngestReply {
        let prepared = prepared ?? Prepared(parsed)
        let failure = parsed.failure
        let logged: MessageLogResult
        if let failedID = unit.reprocessing {
            logged = try store.relogFailedMessage(
                failedID, format: parsed.format.sourceFormat?.rawValue, senderApplication: parsed.senderApplication,
                senderFacility: parsed.senderFacility, controlID: parsed.controlID, status: failure == nil ? .ingested : .failed,
                error: failure?.description, errorPosition: failure?.position, ack: prepared.ack)
        } else {
            logged = try store.logMessage(
                raw: unit.raw, channel: unit.channel, format: parsed.format.sourceFormat?.rawValue,
                senderApplication: parsed.senderApplication, senderFacility: parsed.senderFacility, controlID: parsed.controlID,
                sha256: prepared.sha256, status: failure == nil ? .ingested : .failed, error: failure?.description,
                errorPosition: failure?.position, ack: prepared.ack)
        }
        let logID: Int64
        switch logged {
        case .duplicate(let id, let ack, let earlier):
            return IngestReply(status: .duplicate, messageLogID: id, format: parsed.format,
                               ack: ack ?? (parsed.format == .hl7v2 ? MessageParser.acknowledgement(for: parsed, failure: nil, reject: false) : nil),
                               error: nil, outcomes: [], flags: [], notes: parsed.notes, earlierStatus: earlier)
        case .stored(let id):
            logID = id
        }
        if let failure {
            return IngestReply(status: .failed, messageLogID: logID, format: parsed.format, ack: prepared.ack, error: failure,
                               outcomes: [], flags: [], notes: parsed.notes)
        }
        do {
            func ingest(_ i: Int, _ submission: Submission) throws -> IngestOutcome {
                if let ready = prepared.submission(i) { return try store.ingest(ready, messageID: logID) }
                return try store.ingest(submission, messageID: logID)
            }
            var outcomes: [PatientOutcome] = []
            var flags: [DuplicateTestFlag] = []
            if parsed.submissions.count == 1 {
                // One submission is its own savepoint already.
                let outcome = try ingest(0, parsed.submissions[0])
                outcomes = outcome.patients
                flags = outcome.flags
            } else {
                // A batch file's submissions stand or fall together.
                try store.withTransaction {
                    for (i, submission) in parsed.submissions.enumerated() {
                        let outcome = try ingest(i, submission)
                        outcomes += outcome.patients
                        flags += outcome.flags
                    }
                }
            }
            return IngestReply(status: .ingested, messageLogID: logID, format: parsed.format, ack: prepared.ack, error: nil,
                               outcomes: outcomes, flags: flags, notes: parsed.notes)
        } catch {
            // The ingest's savepoint rolled back; the message stays logged with its error for reprocessing.
            let failure = IntakeFailure(code: .application, reason: "could not be ingested: \(error)", position: nil)
            let ack = parsed.format == .hl7v2 ? MessageParser.acknowledgement(for: parsed, failure: failure, reject: false) : nil
            try store.markFailed(logID, error: failure.description, position: nil, ack: ack)
            return IngestReply(status: .failed, messageLogID: logID, format: parsed.format, ack: ack, error: failure,
                               outcomes: [], flags: [], notes: parsed.notes)
        }
    }
}
