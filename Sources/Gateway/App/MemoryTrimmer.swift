import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Hands freed heap memory back to the system at a fixed interval (`malloc_trim`).
///
/// Why: glibc keeps a separate arena per thread and returns little of a non-main arena's free memory on
/// its own, so a long-running gateway's resident size drifts up with the busiest moment of each thread,
/// not with what it holds. Under the 1M-message load run, one trim took the server from 355 MiB back to
/// 261 MiB (bench/reliability.md). (A fixed mmap threshold with at most 4 arenas was tried as well and
/// made the resident size grow faster; it is not used.) A trim takes a few milliseconds and holds each arena's
/// lock only while that arena is walked.
final class MemoryTrimmer: @unchecked Sendable {
    private let interval: TimeInterval
    private let condition = NSCondition()
    private var stopping = false
    private var running = false

    /// glibc's `malloc_trim` (not in the Glibc module's headers), looked up once; `nil` on other C libraries.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()

    /// Whether the C library has `malloc_trim` (glibc does).
    static var isAvailable: Bool { mallocTrim != nil }

    /// Returns free heap pages of every arena to the system now.
    static func trim() {
        _ = mallocTrim?(0)
    }

    init(interval: TimeInterval = 30) {
        self.interval = interval
    }

    func start() {
        condition.lock()
        running = true
        condition.unlock()
        let thread = Thread { [self] in
            condition.lock()
            while !stopping {
                if condition.wait(until: Date().addingTimeInterval(interval)) || stopping { continue }
                condition.unlock()
                Self.trim()
                condition.lock()
            }
            running = false
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "concord-trim"
        thread.start()
    }

    /// Stops the thread and waits for it to end (at most one trim in progress).
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    /// Whether the thread is running (for tests).
    var isRunning: Bool {
        condition.lock()
        defer { condition.unlock() }
        return running
    }
}
