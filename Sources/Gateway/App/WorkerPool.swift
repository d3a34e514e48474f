import Foundation
internal import CLibEvent

/// A small pool of plain threads for CPU and read work (parsing, mapping, read queries), each with its
/// own state (for example its own read-only database connection, which SQLite wants per thread).
///
/// Event loops hand work here and get the result back through their own wake-up; nothing here runs on
/// Swift's cooperative pool, so a slow query never starves it.
package final class WorkerPool<State>: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [(State) -> Void] = []
    private var stopping = false
    private var running = 0

    /// Starts `threads` threads; `makeState` runs once on each thread before it takes work. `nice`: the
    /// threads' scheduling niceness (0 leaves them as they are).
    package init(threads: Int, nice: Int = 0, name: String = "concord-worker", makeState: @escaping @Sendable () throws -> State) {
        let nice = min(max(nice, 0), 19)
        for i in 0..<max(1, threads) {
            let thread = Thread { [unowned self] in
                if nice != 0, concord_set_thread_nice(Int32(nice)) != 0 {
                    Log.warning("worker \(i) could not take niceness \(nice): errno \(errno)")
                }
                let state: State
                do { state = try makeState() } catch {
                    Log.error("worker \(i) could not start: \(error)")
                    self.drainAsFailed()
                    return
                }
                self.loop(state)
            }
            thread.name = "\(name)-\(i)"
            condition.lock()
            running += 1
            condition.unlock()
            thread.start()
        }
    }

    /// The calling thread's scheduling niceness.
    package static var currentThreadNice: Int { Int(concord_thread_nice()) }

    /// Queues `work` to run on one of the pool's threads with that thread's state.
    package func submit(_ work: @escaping (State) -> Void) {
        condition.lock()
        jobs.append(work)
        condition.signal()
        condition.unlock()
    }

    package var queueDepth: Int {
        condition.lock()
        defer { condition.unlock() }
        return jobs.count
    }

    /// Lets queued work finish, then ends the threads.
    package func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    private func loop(_ state: State) {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job(state)
        }
    }

    private func drainAsFailed() {
        condition.lock()
        running -= 1
        condition.broadcast()
        condition.unlock()
    }
}
