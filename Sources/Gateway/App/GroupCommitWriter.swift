import Foundation

/// The one serialized write path: a dedicated thread that owns the store, takes every pending job, runs
/// them all inside ONE durable transaction, commits, and only then completes each job (which is when an
/// MLLP ACK is sent or an inbox file is moved to the archive).
///
/// This is group commit: under load many messages share one fsync, so throughput grows with
/// concurrency while every acknowledgement still follows a durable commit. Nothing is acknowledged
/// early and durability is never relaxed. The thread is a plain `Thread`, not a task on Swift's
/// cooperative pool, because SQLite commits block.
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
    package init(store: Store, maxBatch: Int = 256, name: String = "concord-writer",
                 transaction: @escaping (Store, () throws -> Void) throws -> Void) {
        self.store = store
        self.maxBatch = max(1, maxBatch)
        self.transaction = transaction
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = name
        self.thread = thread
        thread.start()
    }

    /// Queues `work`; `completion` is called on the writer thread after the transaction holding it has
    /// committed (or failed). Never blocks.
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
            condition.unlock()
            for job in batch { job.finish(commitError) }
        }
    }
}
