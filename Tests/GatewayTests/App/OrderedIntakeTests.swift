import Foundation
import Synchronization
import Testing

@testable import Gateway

@Suite struct OrderedIntakeTests {
    /// Tickets handed over from many threads in any order run in ticket order, each once.
    @Test func handOversRunInTicketOrderWhateverOrderTheyArriveIn() {
        let order = OrderedIntake()
        let tickets = (0..<2_000).map { _ in order.ticket() }
        #expect(tickets == Array(0..<2_000))
        let ran = Mutex<[Int]>([])
        var generator = SystemRandomNumberGenerator()
        let shuffled = tickets.shuffled(using: &generator)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for ticket in shuffled[(worker * 250)..<((worker + 1) * 250)] {
                order.handOver(ticket) { ran.withLock { $0.append(ticket) } }
            }
        }
        #expect(ran.withLock { $0 } == tickets)
        #expect(order.pending == 0)
    }

    /// A later ticket waits for an earlier one that is still being parsed.
    @Test func aLaterTicketWaitsForAnEarlierOne() {
        let order = OrderedIntake()
        let first = order.ticket(), second = order.ticket()
        let ran = Mutex<[Int]>([])
        order.handOver(second) { ran.withLock { $0.append(second) } }
        #expect(ran.withLock { $0 }.isEmpty)
        #expect(order.pending == 2)
        order.handOver(first) { ran.withLock { $0.append(first) } }
        #expect(ran.withLock { $0 } == [first, second])
        #expect(order.pending == 0)
    }
}
