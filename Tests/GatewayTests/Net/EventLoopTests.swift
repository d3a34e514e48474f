import Foundation
import Gateway
import Testing

@Suite struct EventLoopTests {
    @Test func workFromManyThreadsRunsOnTheLoopThreadExactlyOnce() throws {
        let loop = try EventLoop(name: "test-execute")
        defer { loop.stop() }
        let counter = NetRecorder((runs: 0, offLoop: 0))
        let done = DispatchSemaphore(value: 0)
        let threads = 4, perThread = 500
        for _ in 0..<threads {
            Thread {
                for _ in 0..<perThread {
                    loop.execute {
                        let finished = counter.update { state -> Bool in
                            state.runs += 1
                            if !loop.inLoop { state.offLoop += 1 }
                            return state.runs == threads * perThread
                        }
                        if finished { done.signal() }
                    }
                }
            }.start()
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(counter.value.runs == threads * perThread)
        #expect(counter.value.offLoop == 0)
    }

    @Test func syncReturnsTheValueComputedOnTheLoop() throws {
        let loop = try EventLoop(name: "test-sync")
        defer { loop.stop() }
        #expect(!loop.inLoop)
        let onLoop = loop.sync { loop.inLoop }
        #expect(onLoop)
        #expect(loop.sync { 6 * 7 } == 42)
    }

    @Test func workQueuedFromTheLoopItselfRunsAfterTheCurrentCallback() throws {
        let loop = try EventLoop(name: "test-nested")
        defer { loop.stop() }
        let order = NetRecorder([String]())
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            loop.execute {
                order.update { $0.append("inner") }
                done.signal()
            }
            order.update { $0.append("outer") }
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(order.value == ["outer", "inner"])
    }

    /// Work dropped by `stop()` may hold objects whose deinit queues more work (an unanswered reply
    /// does); that must not deadlock on the queue's lock.
    @Test func workDroppedAtStopMayQueueWorkFromDeinit() throws {
        final class QueuesOnDeinit: @unchecked Sendable {
            let loop: EventLoop
            let deinitRan: NetRecorder<Bool>
            init(loop: EventLoop, deinitRan: NetRecorder<Bool>) {
                self.loop = loop
                self.deinitRan = deinitRan
            }
            deinit {
                loop.execute {}
                deinitRan.update { $0 = true }
            }
        }
        let loop = try EventLoop(name: "test-drop")
        let gate = DispatchSemaphore(value: 0)
        let blocked = NetRecorder(false)
        loop.execute {
            blocked.update { $0 = true }
            gate.wait()
        }
        #expect(netEventually { blocked.value })
        let deinitRan = NetRecorder(false)
        do {
            let tracker = QueuesOnDeinit(loop: loop, deinitRan: deinitRan)
            loop.execute { _ = tracker }
        }
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            loop.stop()
            stopped.signal()
        }.start()
        #expect(netEventually { deinitRan.value })
        gate.signal()
        #expect(stopped.wait(timeout: .now() + 10) == .success)
    }

    @Test func stopJoinsTheThreadAndLaterWorkIsDropped() throws {
        let loop = try EventLoop(name: "test-stop")
        #expect(loop.isRunning)
        loop.stop()
        #expect(!loop.isRunning)
        let ran = NetRecorder(false)
        loop.execute { ran.update { $0 = true } }
        loop.stop()
        #expect(ran.value == false)
        // With the loop stopped, `sync` runs inline.
        #expect(loop.sync { 7 } == 7)
    }
}
