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
        let syncGate = Gate()
        let startGate = Gate()
        let store = FakeStore()
        // One job per batch, and the first transaction held until both jobs are queued: B waits behind
        // A, so A's sync goes to the sync thread and the writer commits B meanwhile.
        let writer = GroupCommitWriter(store: store, maxBatch: 1, sync: {
            log.add("sync started")
            syncGate.wait()
            log.add("sync done")
        }) { store, body in
            startGate.wait()
            try body()
            store.commits += 1
            log.add("commit \(store.commits)")
        }
        let done = DispatchGroup()
        for name in ["A", "B"] {
            done.enter()
            writer.submit({ _ in name }) { result in
                log.add("complete \((try? result.get()) ?? "failed")")
                done.leave()
            }
        }
        startGate.release()
        Self.waitUntil { log.contains("commit 2") }
        // The writer is not held by the sync: B committed while A's sync is still running.
        #expect(log.all == ["commit 1", "sync started", "commit 2"] || log.all == ["commit 1", "commit 2", "sync started"])
        #expect(!log.contains("complete A"), "A was acknowledged before its commit was durable")
        syncGate.release()
        done.wait()
        writer.stop()
        let events = log.all
        let index = { (event: String) in events.firstIndex(of: event) ?? -1 }
        #expect(index("sync done") < index("complete A"))
        #expect(index("complete A") < index("complete B"))
        // B is completed only after a sync that started after B's commit.
        let syncAfterB = events.indices.first { $0 > index("commit 2") && events[$0] == "sync started" }
        #expect(syncAfterB != nil)
        if let syncAfterB {
            let doneAfter = events.indices.first { $0 > syncAfterB && events[$0] == "sync done" }
            #expect(doneAfter != nil && doneAfter! < index("complete B"))
        }
    }

    @Test func aBatchWithNothingBehindItIsSyncedAndCompletedByTheWriterItself() throws {
        // Threads by pthread id: the one that ran the transactions (the writer), the syncs, the completion.
        let writerThread = Mutex<pthread_t?>(nil)
        let syncThreads = Mutex<[pthread_t]>([])
        let writer = GroupCommitWriter(store: FakeStore(), sync: {
            syncThreads.withLock { $0.append(pthread_self()) }
        }) { _, body in
            writerThread.withLock { $0 = pthread_self() }
            try body()
        }
        let completionThread = Mutex<pthread_t?>(nil)
        #expect(try writer.perform { _ in 1 } == 1)
        writer.submit({ _ in 2 }) { _ in completionThread.withLock { $0 = pthread_self() } }
        Self.waitUntil { completionThread.withLock { $0 } != nil }
        writer.stop()
        // No thread hop when there is nothing to overlap the fsync with (one connection, an HTTP read's audit).
        let writerID = try #require(writerThread.withLock { $0 })
        let syncs = syncThreads.withLock { $0 }
        #expect(syncs.count == 2)
        #expect(syncs.allSatisfy { pthread_equal($0, writerID) != 0 })
        #expect(pthread_equal(try #require(completionThread.withLock { $0 }), writerID) != 0)
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
