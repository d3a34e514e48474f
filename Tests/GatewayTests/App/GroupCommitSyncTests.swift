import Foundation
import Synchronization
import Testing

@testable import Gateway

/// The group-commit writer with a sync of its own (`writer.syncOnItsOwnThread`): a job completes — its
/// ACK is sent — only after the sync that covers its commit, while the writer goes on meanwhile.
@Suite struct GroupCommitSyncTests {
    /// What happened, in order, across the writer, the sync thread and the completions.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var events: [String] = []
        func add(_ event: String) { lock.withLock { events.append(event) } }
        var all: [String] { lock.withLock { events } }
        func contains(_ event: String) -> Bool { all.contains(event) }
    }

    /// A gate the sync waits at until the test opens it.
    final class Gate: @unchecked Sendable {
        private let condition = NSCondition()
        private var open = false
        func wait() {
            condition.lock()
            while !open { condition.wait() }
            condition.unlock()
        }
        func release() {
            condition.lock()
            open = true
            condition.broadcast()
            condition.unlock()
        }
    }

    final class FakeStore: @unchecked Sendable {
        var commits = 0
        var failNextCommit = false
    }

    static func waitUntil(_ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(5)
        while !condition() && Date() < deadline { usleep(2_000) }
    }

    @Test func aJobCompletesOnlyAfterTheSyncCoveringItsCommitWhileTheWriterGoesOn() throws {
        let log = Log()
        let gate = Gate()
        let store = FakeStore()
        let writer = GroupCommitWriter(store: store, sync: {
            log.add("sync started")
            gate.wait()
            log.add("sync done")
        }) { store, body in
            try body()
            store.commits += 1
            log.add("commit \(store.commits)")
        }
        let done = DispatchGroup()
        done.enter()
        writer.submit({ _ in "A" }) { result in
            log.add("complete \((try? result.get()) ?? "failed")")
            done.leave()
        }
        Self.waitUntil { log.contains("sync started") }
        #expect(log.all == ["commit 1", "sync started"])
        // The writer is not held by the sync: the next job commits while the first one's sync is running.
        done.enter()
        writer.submit({ _ in "B" }) { result in
            log.add("complete \((try? result.get()) ?? "failed")")
            done.leave()
        }
        Self.waitUntil { log.contains("commit 2") }
        #expect(log.contains("commit 2"))
        #expect(!log.contains("complete A"), "A was acknowledged before its commit was durable")
        gate.release()
        done.wait()
        writer.stop()
        let events = log.all
        let index = { (event: String) in events.firstIndex(of: event) ?? -1 }
        #expect(index("sync done") < index("complete A"))
        #expect(index("complete A") < index("complete B"))
        // B's sync started after B's commit (the first sync started before it, so cannot cover it).
        #expect(events.lastIndex(of: "sync started")! > index("commit 2"))
        #expect(events.filter { $0 == "sync done" }.count == 2)
        #expect(events.lastIndex(of: "sync done")! < index("complete B"))
    }

    @Test func aFailedSyncFailsTheJobsItCoveredAndLaterBatchesKeepTheirOrder() throws {
        struct FsyncFailed: Error {}
        let syncs = Atomic<Int>(0)
        let store = FakeStore()
        let writer = GroupCommitWriter(store: store, sync: {
            if syncs.add(1, ordering: .relaxed).newValue == 1 { throw FsyncFailed() }
        }) { store, body in
            try body()
            if store.failNextCommit {
                store.failNextCommit = false
                throw GatewayError(.io, "disk full")
            }
        }
        #expect(throws: FsyncFailed.self) { try writer.perform { _ in 1 } }
        #expect(writer.syncFailure is FsyncFailed, "/health reports the failing sync")
        #expect(try writer.perform { _ in 2 } == 2)
        #expect(writer.syncFailure == nil)
        // A failed commit needs no sync and still reports its own error.
        #expect(throws: GatewayError(.io, "")) { try writer.perform { store -> Int in store.failNextCommit = true; return 3 } }
        #expect(syncs.load(ordering: .relaxed) == 2)

        // Many jobs from one sender: completions arrive in the order they were submitted.
        let order = Mutex<[Int]>([])
        let done = DispatchGroup()
        for i in 0..<200 {
            done.enter()
            writer.submit({ _ in i }) { result in
                if case .success(let value) = result { order.withLock { $0.append(value) } }
                done.leave()
            }
        }
        done.wait()
        writer.stop()
        #expect(order.withLock { $0 } == Array(0..<200))
    }

    @Test func stopCompletesEveryBatchHandedToTheSyncThread() throws {
        let store = FakeStore()
        let synced = Atomic<Int>(0)
        let writer = GroupCommitWriter(store: store, maxBatch: 4, sync: {
            usleep(3_000)
            synced.add(1, ordering: .relaxed)
        }) { _, body in try body() }
        let completed = Atomic<Int>(0)
        for i in 0..<40 {
            writer.submit({ _ in i }) { result in
                if case .success = result { completed.add(1, ordering: .relaxed) }
            }
        }
        writer.stop()
        #expect(completed.load(ordering: .relaxed) == 40)
        #expect(synced.load(ordering: .relaxed) >= 1)
        #expect(throws: GatewayError(.io, "")) { try writer.perform { _ in 1 } }
    }
}
