import Foundation

/// A value behind a pthread mutex. The network layer uses it rather than `Synchronization.Mutex`
/// because on Linux Mutex waits on a raw futex that ThreadSanitizer cannot see, so every contended
/// Mutex shows up as a (false) data race and hides real ones.
final class NetLocked<Value>: @unchecked Sendable {
    // Safety: `value` is only touched while `lock` is held.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
