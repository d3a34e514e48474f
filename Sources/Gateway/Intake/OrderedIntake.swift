import Foundation

/// Keeps one connection's messages in their order on the way to the writer while they are parsed in
/// parallel. Each frame takes a ticket as it arrives (on the event loop, so in arrival order); once parsed,
/// it is handed to the writer only after every earlier ticket of the same connection has been. The writer
/// commits in the order it is handed work, so a pipelining sender's A01 and then A08 for one patient are
/// committed in that order even when the small A08 is parsed first.
package final class OrderedIntake: @unchecked Sendable {
    // Safety: every field is behind `lock`.
    private let lock = NSLock()
    private var nextTicket = 0
    private var nextToHand = 0
    private var waiting: [Int: () -> Void] = [:]

    package init() {}

    /// The next ticket, in the order of the calls.
    package func ticket() -> Int {
        lock.withLock {
            defer { nextTicket += 1 }
            return nextTicket
        }
    }

    /// Runs `handOver` once the hand-overs of every earlier ticket have run, then those of the later
    /// tickets already waiting, all in ticket order. Each ticket must be handed over exactly once. The
    /// hand-overs run under the lock, so they must be short (queueing work for the writer is).
    package func handOver(_ ticket: Int, _ handOver: @escaping () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        waiting[ticket] = handOver
        while let next = waiting.removeValue(forKey: nextToHand) {
            nextToHand += 1
            next()
        }
    }

    /// Tickets taken but not yet handed over, or handed over out of turn and waiting.
    package var pending: Int { lock.withLock { nextTicket - nextToHand } }
}
