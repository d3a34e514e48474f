import Foundation

/// The outcome of one MLLP load run.
package struct MLLPLoadResult: Sendable {
    /// Messages acknowledged.
    package var messages: Int
    /// Wall time from the first send to the last reply, in seconds.
    package var seconds: Double
    /// Round-trip time of every acknowledged message, in seconds (send to reply received).
    package var latencies: [Double]
    /// Failures (connect, send, receive, or a reply the checker refused), at most one per connection.
    package var errors: [String]

    /// Acknowledged messages per second.
    package var messagesPerSecond: Double { seconds > 0 ? Double(messages) / seconds : 0 }
}

/// A closed-loop MLLP load generator for benchmarks and crash tests: `connections` blocking clients,
/// each on its own thread, each sending `messagesPerConnection` messages one at a time and waiting for
/// each reply.
package enum MLLPLoad {
    /// Runs the load and returns its throughput and latencies.
    /// - Parameters:
    ///   - message: the message to send as number `index` on connection `connection`.
    ///   - check: validates a reply to that message; a refused reply stops that connection with an error.
    package static func run(host: String = "127.0.0.1", port: Int, tls: ClientTLSOptions? = nil, connections: Int,
                            messagesPerConnection: Int, timeout: Double = 30,
                            message: @escaping @Sendable (_ connection: Int, _ index: Int) -> [UInt8],
                            check: @escaping @Sendable (_ reply: [UInt8], _ connection: Int, _ index: Int) -> Bool = { _, _, _ in true })
        -> MLLPLoadResult {
        let results = NetLocked((messages: 0, latencies: [Double](), errors: [String]()))
        let ready = DispatchGroup()
        let finished = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for connection in 0..<connections {
            ready.enter()
            finished.enter()
            let thread = Thread {
                defer { finished.leave() }
                var latencies: [Double] = []
                latencies.reserveCapacity(messagesPerConnection)
                var failure: String?
                let client: MLLPClient?
                do {
                    client = try MLLPClient(host: host, port: port, tls: tls, timeout: timeout)
                } catch {
                    client = nil
                    failure = "connection \(connection): \(error)"
                }
                ready.leave()
                start.wait()
                if let client {
                    for index in 0..<messagesPerConnection {
                        let payload = message(connection, index)
                        let sent = BlockingConnection.now()
                        do {
                            let reply = try client.exchange(payload, timeout: timeout)
                            latencies.append(BlockingConnection.now() - sent)
                            if !check(reply, connection, index) {
                                failure = "connection \(connection): unexpected reply to message \(index)"
                                break
                            }
                        } catch {
                            failure = "connection \(connection), message \(index): \(error)"
                            break
                        }
                    }
                    client.close()
                }
                results.withLock {
                    $0.messages += latencies.count
                    $0.latencies += latencies
                    if let failure { $0.errors.append(failure) }
                }
            }
            thread.stackSize = 512 * 1024
            thread.start()
        }
        ready.wait()
        let began = BlockingConnection.now()
        for _ in 0..<connections { start.signal() }
        finished.wait()
        let seconds = BlockingConnection.now() - began
        return results.withLock { MLLPLoadResult(messages: $0.messages, seconds: seconds, latencies: $0.latencies, errors: $0.errors) }
    }
}
