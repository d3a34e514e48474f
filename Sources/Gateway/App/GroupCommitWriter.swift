import Foundation

/// The one serialized write path: a dedicated thread that owns the store, takes every pending job, runs
/// them all inside ONE durable transaction, commits, and only then completes each job (which is when an
/// MLLP ACK is sent or an inbox file is moved to the archive).
///
/// This is group commit: under load many messages share one fsync, so throughput grows with
/// concurrency while every acknowledgement still follows a durable commit. Nothing is acknowledged
/// early and durability is never relaxed. The thread is a plain `Thread`, not a task on Swift's
/// cooperative pool, because SQLite commits block.
///
/// With a `sync` (the store's commits not fsynced inside `COMMIT`: `WALSync`), a second thread makes
/// each committed batch durable and only then completes its jobs, while the writer already runs the next
/// batch: the fsync stops being a pause of the one serial stage. Batches are completed in commit order,
/// and one fsync covers every batch committed before it started. When nothing waits behind a batch and
/// the sync thread is idle, the writer syncs and completes it itself (nothing to overlap with).
package final class GroupCommitWriter<Store>: @unchecked Sendable {
    /// A job runs inside the batch's transaction and returns its outcome; it handles its own errors
    /// (using a savepoint) so that one bad message does not undo the batch. A job that throws has its
    /// error delivered after the commit, with the rest of the batch unaffected.
    package typealias Work<T> = (Store) throws -> T

    private struct Job {
        let run: (Store) -> Void
        let finish: (Error?) -> Void
    }

    private let store: Store
    private let maxBatch: Int
    private let transaction: (Store, () throws -> Void) throws -> Void
    private let condition = NSCondition()
    private var pending: [Job] = []
    private var stopping = false
    private var stopped = false
    private var thread: Thread?

    /// Makes every commit so far durable (nil: a commit is durable when `transaction` returns).
    private let sync: (() throws -> Void)?
    /// Committed (or failed) batches waiting for the sync thread, in commit order. Guarded by `syncCondition`.
    private let syncCondition = NSCondition()
    private var awaitingSync: [(jobs: [Job], commitError: Error?)] = []
    private var syncStopping = false
    private var syncStopped = false
    private var lastSyncError: Error?
    /// Whether the sync thread is syncing or completing batches it took (the writer then hands it the
    /// next batch rather than overtake it).
    private var syncBusy = false

    /// Counters for metrics (read under the lock).
    private var committedBatches = 0
    private var committedJobs = 0
    /// CPU time the writer thread has spent running batches (its own clock, not wall time).
    private var busyCPUSeconds = 0.0

    /// - Parameters:
    ///   - transaction: runs its closure inside one transaction on `store` and commits (throws when the
    ///     commit fails: every job of the batch then fails). It may run the closure a second time in a new
    ///     transaction (`PatientIndexStore.groupCommit` does, when an ingest failed without a savepoint):
    ///     each job keeps only the outcome of its last run.
    ///   - sync: called after commits, before their jobs complete (on the sync thread; on the writer when
    ///     nothing waits behind the batch); when it returns, every transaction committed before it was
    ///     called is durable. When it throws, the jobs of the batches it was to cover fail with its error.
    package init(store: Store, maxBatch: Int = 256, name: String = "concord-writer", sync: (() throws -> Void)? = nil,
                 transaction: @escaping (Store, () throws -> Void) throws -> Void) {
        self.store = store
        self.maxBatch = max(1, maxBatch)
        self.transaction = transaction
        self.sync = sync
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = name
        self.thread = thread
        thread.start()
        if sync != nil {
            let syncThread = Thread { [unowned self] in self.syncLoop() }
            syncThread.name = name + "-sync"
            syncThread.start()
        }
    }

    /// Queues `work`; `completion` is called after the transaction holding it has committed and is
    /// durable (or has failed), on the writer thread or, with a `sync`, on the sync thread. Never blocks.
    package func submit<T>(_ work: @escaping Work<T>, completion: @escaping (Result<T, Error>) -> Void) {
        var result: Result<T, Error>?
        let job = Job(
            run: { store in
                do { result = .success(try work(store)) } catch { result = .failure(error) }
            },
            finish: { commitError in
                if let commitError {
                    completion(.failure(commitError))
                } else {
                    completion(result ?? .failure(GatewayError(.io, "job did not run")))
                }
            })
        condition.lock()
        if stopping {
            condition.unlock()
            completion(.failure(GatewayError(.io, "the writer is stopped")))
            return
        }
        pending.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `work` and waits for its commit. For command-line use and tests; never call it from an event
    /// loop or from Swift's cooperative pool.
    package func perform<T>(_ work: @escaping Work<T>) throws -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<T, Error>?
        submit(work) { result in
            outcome = result
            done.signal()
        }
        done.wait()
        guard let outcome else { throw GatewayError(.io, "writer returned nothing") }
        return try outcome.get()
    }

    /// The error of the last sync, while the last one failed (nil without a sync, or when it succeeded).
    /// Commits are not being made durable then, and no job completes successfully.
    package var syncFailure: Error? {
        syncCondition.lock()
        defer { syncCondition.unlock() }
        return lastSyncError
    }

    /// Number of jobs waiting for the writer.
    package var queueDepth: Int {
        condition.lock()
        defer { condition.unlock() }
        return pending.count
    }

    /// (batches committed, jobs committed) since start.
    package var commitCounts: (batches: Int, jobs: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (committedBatches, committedJobs)
    }

    /// CPU seconds the writer thread spent on batches since start (the single writer is the gateway's
    /// serial section: this over the jobs is its cost per message, independent of other load).
    package var cpuSeconds: Double {
        condition.lock()
        defer { condition.unlock() }
        return busyCPUSeconds
    }

    private static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Finishes the queued jobs and stops the thread. Jobs submitted afterwards fail at once.
    package func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopping { condition.wait() }
            if pending.isEmpty && stopping {
                condition.unlock()
                stopSyncThread()
                condition.lock()
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let take = min(pending.count, maxBatch)
            let batch = Array(pending.prefix(take))
            pending.removeFirst(take)
            condition.unlock()

            let cpuStart = Self.threadCPUSeconds()
            var commitError: Error?
            do {
                try transaction(store) {
                    for job in batch { job.run(store) }
                }
            } catch {
                commitError = error
            }
            let cpu = Self.threadCPUSeconds() - cpuStart
            condition.lock()
            busyCPUSeconds += cpu
            if commitError == nil {
                committedBatches += 1
                committedJobs += batch.count
            }
            let nothingQueued = pending.isEmpty
            condition.unlock()
            guard let sync else {
                for job in batch { job.finish(commitError) }
                continue
            }
            // Nothing queued behind this batch and nothing ahead of it at the sync thread: no next batch
            // to overlap the fsync with, so the writer runs it itself and spares the batch a thread hop
            // (one connection, or the audit entry of an HTTP read). Otherwise the sync thread takes it.
            syncCondition.lock()
            if nothingQueued && awaitingSync.isEmpty && !syncBusy {
                syncCondition.unlock()
                let error = commitError ?? runSync(sync)
                for job in batch { job.finish(error) }
            } else {
                awaitingSync.append((batch, commitError))
                syncCondition.signal()
                syncCondition.unlock()
            }
        }
    }

    /// The sync thread: takes every batch committed so far, makes them durable with one `sync`, then
    /// completes their jobs in commit order. A batch whose commit failed waits its turn (so a connection's
    /// negative ACK never overtakes the ACK of its earlier message) but needs no sync of its own.
    private func syncLoop() {
        guard let sync else { return }
        while true {
            syncCondition.lock()
            while awaitingSync.isEmpty && !syncStopping { syncCondition.wait() }
            if awaitingSync.isEmpty && syncStopping {
                syncStopped = true
                syncCondition.broadcast()
                syncCondition.unlock()
                return
            }
            let batches = awaitingSync
            awaitingSync.removeAll(keepingCapacity: true)
            syncBusy = true
            syncCondition.unlock()

            let syncError = batches.contains(where: { $0.commitError == nil }) ? runSync(sync) : nil
            for batch in batches {
                let error = batch.commitError ?? syncError
                for job in batch.jobs { job.finish(error) }
            }
            syncCondition.lock()
            syncBusy = false
            syncCondition.unlock()
        }
    }

    /// Runs `sync` and records its outcome for ``syncFailure``; returns its error.
    private func runSync(_ sync: () throws -> Void) -> Error? {
        var syncError: Error?
        do { try sync() } catch { syncError = error }
        syncCondition.lock()
        lastSyncError = syncError
        syncCondition.unlock()
        return syncError
    }

    /// Waits until the sync thread has completed every batch handed to it, and stops it.
    private func stopSyncThread() {
        guard sync != nil else { return }
        syncCondition.lock()
        syncStopping = true
        syncCondition.broadcast()
        while !syncStopped { syncCondition.wait() }
        syncCondition.unlock()
    }
}
