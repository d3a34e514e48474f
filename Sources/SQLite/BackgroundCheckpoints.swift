import Foundation

/// WAL checkpoints of one write connection, run on a thread and a connection of their own.
///
/// Why: with SQLite's autocheckpoint, the commit that crosses the threshold copies the WAL back into the
/// database and fsyncs it on the writer's own thread, and the writer is what everything waits on (an
/// index bulk load of 1M records spent 7.6 % of its time there, perf 2026-12-07). Here the writer only
/// asks, after a commit that grew the WAL by `threshold` frames, and a second thread runs a PASSIVE
/// checkpoint while the writer goes on with its next transaction.
///
/// A passive checkpoint never resets the WAL: SQLite starts it over from its beginning only at a write
/// transaction that begins when every frame has been copied back, and a writer that begins its next
/// transaction right after each commit never sees that. So when the WAL has reached `walLimit` frames,
/// the writer, before its next `BEGIN`, asks for one more checkpoint and waits for it (``beforeBegin``);
/// that transaction then starts the WAL over. The writer waits for about one checkpoint in
/// `walLimit / threshold` instead of every one. Durability does not change: a commit is durable by its
/// WAL fsync, and a checkpoint interrupted by a crash is redone by SQLite on the next open.
final class BackgroundCheckpoints: @unchecked Sendable {
    /// Ask for a checkpoint after a commit has grown the WAL by this many frames (pages).
    let threshold: Int
    /// Wait for a full checkpoint before a transaction once the WAL holds this many frames.
    let walLimit: Int
    /// The WAL's size in frames after the writer's last commit, written by SQLite's WAL hook (installed
    /// by the connection with this address; freed when this object goes, after that connection closed).
    let walFrames: UnsafeMutablePointer<Int32>

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var requested = 0
    private var completed = 0
    private var stopping = false
    private var finished = false
    private var counters = BackgroundCheckpointCounters()
    /// Frames of the WAL copied back as of the last checkpoint (SQLite's count: the WAL's first
    /// `lastBackfilled` frames are in the database).
    private var lastBackfilled = 0
    /// ``beforeBegin()`` waits once no more than this many frames are left to copy back.
    let finalTail: Int

    /// Commits that add fewer frames than this have their checkpoint run by the writer (``afterCommit()``).
    let smallCommitFrames: Int

    // Used only on the writer's thread.
    private var framesAtLastRequest = 0
    private var framesAfterLastCommit = 0
    private var framesAtLastCatchUp = 0

    /// Opens the checkpointing connection to `path` and starts its thread.
    init(path: String, threshold: Int, walLimit: Int, smallCommitFrames: Int = 0, finalTail: Int = 1_024) throws {
        self.finalTail = max(0, finalTail)
        self.threshold = max(1, threshold)
        self.walLimit = max(self.threshold, walLimit)
        self.smallCommitFrames = smallCommitFrames
        walFrames = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        walFrames.initialize(to: 0)
        // Used only on the new thread from here on.
        nonisolated(unsafe) let connection = try Connection(path: path)
        let thread = Thread { [self] in run(connection) }
        thread.name = "concord-checkpoint"
        thread.start()
    }

    deinit { walFrames.deallocate() }

    /// Called by the writer after each commit. Returns true when the writer should run the checkpoint
    /// itself, now: one is due (the WAL grew by `threshold` frames since the last) and this commit added
    /// fewer than `smallCommitFrames` frames. Small commits mean few messages waiting on the writer, and
    /// there the checkpointing thread's writes and fsync slowed every commit's own fsync more than a pause
    /// of the writer costs (one MLLP connection sending flat out: 0.82–0.88× the rate); large commits mean
    /// many waiting, and the thread takes it.
    func afterCommit() -> Bool {
        let walFrames = Int(self.walFrames.pointee)
        if walFrames < framesAtLastRequest { framesAtLastRequest = 0 }  // the WAL started over
        if walFrames < framesAfterLastCommit { framesAfterLastCommit = 0 }
        let committed = walFrames - framesAfterLastCommit
        framesAfterLastCommit = walFrames
        guard walFrames - framesAtLastRequest >= threshold else { return false }
        framesAtLastRequest = walFrames
        if committed < smallCommitFrames {
            condition.lock()
            counters.inline += 1
            condition.unlock()
            return true
        }
        condition.lock()
        requested += 1
        condition.broadcast()
        condition.unlock()
        return false
    }

    /// Called by the writer before each `BEGIN`: once the WAL has reached `walLimit`, waits until every
    /// committed frame is copied back, so that this transaction starts the WAL over. A WAL that cannot
    /// be emptied (a reader holds an old snapshot) is waited on again only after `threshold` more frames.
    ///
    /// The wait is made short first: while more than `finalTail` frames are still to be copied back, the
    /// writer only asks for the next checkpoint (one at a time) and goes on; each pass copies what the
    /// previous one left, which shrinks as long as copying is faster than committing, and the writer waits
    /// only for the last, small one. Past twice `walLimit` (the passes do not catch up: a reader holds an
    /// old snapshot, or the disk is slow) it waits as soon as it gets there.
    func beforeBegin() {
        let walFrames = Int(self.walFrames.pointee)
        if walFrames < framesAtLastCatchUp { framesAtLastCatchUp = 0 }
        guard walFrames >= walLimit, walFrames - framesAtLastCatchUp >= threshold else { return }
        if walFrames < 2 * walLimit {
            condition.lock()
            let inFlight = completed < requested
            let tail = walFrames - lastBackfilled
            if tail > finalTail {
                if !inFlight {
                    requested += 1
                    condition.broadcast()
                }
                condition.unlock()
                return
            }
            condition.unlock()
        }
        framesAtLastCatchUp = walFrames
        framesAtLastRequest = walFrames
        requestCheckpointAndWait(countedAsWait: true)
    }

    /// Asks for one more checkpoint and waits until it has run: afterwards every frame committed before
    /// the call is in the database (unless a reader holds an older snapshot), and the writer's next
    /// transaction starts the WAL over. For a caller that wants the load it just committed settled
    /// before it measures or hands the database on; the writer's own thread is the only caller.
    func catchUp() {
        framesAtLastRequest = Int(walFrames.pointee)
        framesAtLastCatchUp = framesAtLastRequest
        requestCheckpointAndWait(countedAsWait: false)
    }

    /// Asks for a checkpoint and waits until the thread has run one started after the request.
    private func requestCheckpointAndWait(countedAsWait: Bool) {
        condition.lock()
        requested += 1
        let target = requested
        condition.broadcast()
        if countedAsWait { counters.waits += 1 }
        while completed < target && !finished { condition.wait() }
        condition.unlock()
    }

    /// What the checkpointing thread has done so far.
    var snapshot: BackgroundCheckpointCounters {
        condition.lock()
        defer { condition.unlock() }
        return counters
    }

    /// Stops the thread after the checkpoint it is running (if any), and waits for it.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func run(_ connection: Connection) {
        condition.lock()
        while true {
            while completed == requested && !stopping { condition.wait() }
            if stopping { break }
            let target = requested
            condition.unlock()
            let result = Result { try connection.passiveCheckpoint() }
            condition.lock()
            switch result {
            case .success(let done):
                counters.checkpoints += 1
                counters.framesCopied += done.checkpointed
                lastBackfilled = done.checkpointed
            case .failure(let error):
                // A busy database (another checkpoint running) is tried again at the next request; the
                // error is kept for whoever reads the counters (it holds no values, only SQLite's message).
                if (error as? SQLiteError)?.isBusy != true { counters.failures += 1 }
                counters.lastError = "\(error)"
            }
            completed = target
            condition.broadcast()
        }
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Counters of ``BackgroundCheckpoints``, for tests and metrics.
package struct BackgroundCheckpointCounters: Sendable, Equatable {
    /// Checkpoints run.
    package var checkpoints = 0
    /// WAL frames copied back into the database, summed over the checkpoints.
    package var framesCopied = 0
    /// Times the writer waited for a full checkpoint before a transaction.
    package var waits = 0
    /// Checkpoints the writer ran itself after small commits.
    package var inline = 0
    /// Checkpoints that failed for another reason than a busy database.
    package var failures = 0
    package var lastError: String?
}
