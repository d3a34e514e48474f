internal import CLibEvent
import Foundation

/// The network layer of the gateway, on libevent and its OpenSSL layer.
///
/// Entry points: `EventLoop` (a libevent base on its own thread), `MLLPServer`, `HTTPServer`,
/// `TLSConfiguration`/`TLSContext`, and the blocking `MLLPClient` for tests and benchmarks.
/// Everything libevent touches runs on the loop thread; other threads hand work to it with
/// `EventLoop.execute(_:)`.
package final class EventLoop: @unchecked Sendable {
    // Safety: the base lives in `core`, shared with the loop thread; libevent is made thread-safe
    // (`evthread_use_pthreads`) so `event_active` and `event_base_loopbreak` may be called from any
    // thread. Everything mutable is behind `core.state`.

    private let core: LoopCore
    /// The loop's name, used for its thread.
    package let name: String

    /// Creates a libevent base and starts running it on a new thread.
    package init(name: String = "concord-net") throws(NetError) {
        core = try LoopCore()
        self.name = name
        let core = self.core
        let thread = Thread {
            core.state.withLock { $0.thread = pthread_self() }
            event_base_loop(core.base, EVLOOP_NO_EXIT_ON_EMPTY)
            core.finished.signal()
        }
        thread.name = name
        thread.start()
    }

    deinit {
        if inLoop {
            // The last reference went away inside a loop callback: end the loop; the thread's own
            // reference to the core frees the base once the loop has returned.
            let dropped = core.state.withLock { state -> [@Sendable () -> Void] in
                state.stopped = true
                defer { state.queue = [] }
                return state.queue
            }
            core.requestBreak()
            _ = dropped
        } else {
            stop()
        }
    }

    /// True on the loop's own thread.
    package var inLoop: Bool {
        guard let thread = core.state.withLock({ $0.thread }) else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }

    /// True until `stop()` was called.
    package var isRunning: Bool { core.state.withLock { !$0.stopped } }

    /// Runs `work` on the loop thread, soon, from any thread (also from the loop itself, after the
    /// current callback). Work submitted after `stop()` is dropped.
    package func execute(_ work: @escaping @Sendable () -> Void) {
        core.execute(work)
    }

    /// Runs `body` on the loop thread and waits for its result. On the loop thread itself, or when the
    /// loop is no longer running (so nothing else touches libevent), runs it inline.
    package func sync<T>(_ body: () throws -> T) rethrows -> T {
        if inLoop || !isRunning { return try body() }
        return try withoutActuallyEscaping(body) { escapable in
            let box = SyncBox<T>(escapable)
            let done = DispatchSemaphore(value: 0)
            execute {
                box.run()
                done.signal()
            }
            // If the loop was stopped between the check and `execute`, the work was dropped: run it
            // inline once the loop thread has ended.
            while done.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
                if core.state.withLock({ $0.ended }) {
                    box.run()
                    break
                }
            }
            return try box.take()
        }
    }

    /// Stops the loop and waits for its thread to end. Must not be called from the loop thread.
    /// Idempotent. Work still queued is dropped.
    package func stop() {
        // Queued work is released outside the lock: releasing it may run deinits that queue more work.
        let wasRunning: Bool
        do {
            let (was, dropped) = core.state.withLock { state -> (Bool, [@Sendable () -> Void]) in
                let was = !state.stopped
                state.stopped = true
                defer { state.queue = [] }
                return (was, state.queue)
            }
            wasRunning = was
            withExtendedLifetime(dropped) {}
        }
        guard wasRunning else { return }
        precondition(!inLoop, "EventLoop.stop() called from its own thread")
        core.requestBreak()
        core.finished.wait()
        core.state.withLock { $0.ended = true }
    }

    /// The raw base, for the wrappers in this module.
    var rawBase: OpaquePointer { core.base }
}

/// The libevent base and the cross-thread work queue, shared by `EventLoop` and its thread.
private final class LoopCore: @unchecked Sendable {
    struct State {
        var queue: [@Sendable () -> Void] = []
        var thread: pthread_t?
        var stopped = false
        var ended = false
    }

    let base: OpaquePointer
    private var wakeEvent: OpaquePointer?
    private var breakEvent: OpaquePointer?
    let state = NetLocked(State())
    let finished = DispatchSemaphore(value: 0)

    init() throws(NetError) {
        LoopCore.prepareLibevent()
        guard let base = event_base_new() else {
            throw NetError(.eventLoop, "event_base_new failed")
        }
        self.base = base
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let wake = event_new(base, -1, 0, { _, _, context in
            guard let context else { return }
            Unmanaged<LoopCore>.fromOpaque(context).takeUnretainedValue().drainQueue()
        }, context) else {
            throw NetError(.eventLoop, "event_new failed")
        }
        wakeEvent = wake
        // `event_base_loopbreak` from another thread is lost if the loop has not started yet (the loop
        // clears the flag on entry); an activated event is not, so stopping goes through one.
        breakEvent = event_new(base, -1, 0, { _, _, context in
            guard let context else { return }
            event_base_loopbreak(Unmanaged<LoopCore>.fromOpaque(context).takeUnretainedValue().base)
        }, context)
        guard breakEvent != nil else { throw NetError(.eventLoop, "event_new failed") }
    }

    /// Makes the loop return, from any thread, whether or not it is running yet.
    func requestBreak() {
        if let breakEvent { event_active(breakEvent, EV_READ, 0) }
    }

    deinit {
        if let breakEvent { event_free(breakEvent) }
        if let wakeEvent { event_free(wakeEvent) }
        event_base_free(base)
    }

    /// libevent must be told to use pthread locks once, before the first base is created, so that
    /// other threads may wake a running loop; SIGPIPE is ignored so a peer closing mid-write gives
    /// EPIPE instead of ending the process.
    private static let libeventPrepared: Bool = {
        concord_ignore_sigpipe()
        return evthread_use_pthreads() == 0
    }()

    private static func prepareLibevent() {
        precondition(libeventPrepared, "evthread_use_pthreads failed")
    }

    func execute(_ work: @escaping @Sendable () -> Void) {
        let mustWake = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.queue.append(work)
            return state.queue.count == 1
        }
        if mustWake, let wakeEvent { event_active(wakeEvent, EV_READ, 0) }
    }

    /// Runs the work queued so far. Work queued meanwhile re-activates the event (the queue went from
    /// empty to one item) and runs on the next pass, so a busy producer cannot starve socket I/O.
    private func drainQueue() {
        let work = state.withLock { state -> [@Sendable () -> Void] in
            let taken = state.queue
            state.queue.removeAll(keepingCapacity: true)
            return taken
        }
        for item in work { item() }
    }
}

/// Carries a non-Sendable closure and its result across to the loop thread for `EventLoop.sync`,
/// which waits for it, so the closure is never used concurrently.
private final class SyncBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    /// Dropped as soon as it has run: `withoutActuallyEscaping` checks that nothing kept it.
    private var body: (() throws -> T)?
    private var result: Result<T, any Error>?

    init(_ body: @escaping () throws -> T) { self.body = body }

    func run() {
        guard let body = lock.withLock({ () -> (() throws -> T)? in
            let taken = self.body
            self.body = nil
            return taken
        }) else { return }
        let outcome = Result { try body() }
        lock.withLock { result = outcome }
    }

    func take() throws -> T {
        guard let result = lock.withLock({ result }) else {
            preconditionFailure("EventLoop.sync finished without a result")
        }
        return try result.get()
    }
}

/// An error of the network layer: what failed and the system's or library's own message.
package struct NetError: Error, Equatable, CustomStringConvertible {
    /// What kind of failure.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Kind: String { case eventLoop, address, bind, listen, tls, connect, timeout, closed, io, framing }
        fileprivate let kind: Kind
        fileprivate init(_ kind: Kind) { self.kind = kind }
        /// The event loop could not be created.
        package static let eventLoop = Code(.eventLoop)
        /// A host name or address could not be resolved.
        package static let address = Code(.address)
        /// A listening socket could not be bound.
        package static let bind = Code(.bind)
        /// A server could not start listening.
        package static let listen = Code(.listen)
        /// TLS configuration, handshake or record error (the reason holds OpenSSL's text).
        package static let tls = Code(.tls)
        /// A client could not connect.
        package static let connect = Code(.connect)
        /// A deadline passed.
        package static let timeout = Code(.timeout)
        /// The peer closed the connection.
        package static let closed = Code(.closed)
        /// A read or write failed.
        package static let io = Code(.io)
        /// The peer sent something that is not valid framing.
        package static let framing = Code(.framing)
        package var description: String { kind.rawValue }
    }

    /// What kind of failure.
    package let code: Code
    /// The human reason, including the library's or system's message. Never contains message content.
    package let reason: String

    package init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    package var description: String { "\(code): \(reason)" }

    /// Errors compare by code only, so tests can compare them.
    package static func == (lhs: NetError, rhs: NetError) -> Bool { lhs.code == rhs.code }

    /// An error carrying `errno`'s text.
    static func system(_ code: Code, _ what: String, errno number: Int32 = errno) -> NetError {
        NetError(code, "\(what): \(String(cString: strerror(number)))")
    }
}
