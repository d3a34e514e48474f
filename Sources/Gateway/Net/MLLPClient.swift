import Foundation
import HL7v2

/// A blocking MLLP client (plain or TLS), for tests, benchmarks, crash tests and tools: send a message,
/// wait for the framed reply. Not for use on an event loop or in async code.
package final class MLLPClient {
    private let connection: BlockingConnection
    private var deframer: MLLPDeframer
    /// Bytes received outside frames so far (a well-behaved server sends none).
    package private(set) var discardedBytes = 0

    /// Connects to `host:port` (TLS when `tls` is given). `timeout` bounds connect and each send;
    /// `receive` takes its own.
    package init(host: String = "127.0.0.1", port: Int, tls: ClientTLSOptions? = nil, timeout: Double = 10,
                 maxFrameBytes: Int = MLLP.defaultMaxFrameBytes) throws(NetError) {
        connection = try BlockingConnection(host: host, port: port, tls: tls, timeout: timeout)
        deframer = MLLPDeframer(maxFrameBytes: maxFrameBytes)
    }

    /// Sends `message` framed as `<VT> message <FS><CR>`.
    package func send(_ message: [UInt8]) throws(NetError) {
        try connection.write(MLLP.frame(message))
    }

    /// Sends bytes as they are (for tests of broken senders).
    package func sendRaw(_ bytes: [UInt8]) throws(NetError) {
        try connection.write(bytes)
    }

    /// The next frame's content from the server, waiting at most `timeout` seconds.
    /// Throws `.closed` when the server closes first, `.timeout` when the time passes.
    package func receive(timeout: Double = 10) throws(NetError) -> [UInt8] {
        let deadline = BlockingConnection.now() + timeout
        while true {
            while let event = deframer.nextFrame() {
                switch event {
                case .frame(let frame): return frame
                case .discarded(let count): discardedBytes += count
                case .oversized(let limit): throw NetError(.framing, "reply larger than \(limit) bytes")
                }
            }
            let bytes = try connection.read(deadline: deadline)
            if bytes.isEmpty { throw NetError(.closed, "server closed the connection") }
            deframer.append(bytes)
        }
    }

    /// Sends `message` and waits for its reply.
    package func exchange(_ message: [UInt8], timeout: Double = 10) throws(NetError) -> [UInt8] {
        try send(message)
        return try receive(timeout: timeout)
    }

    /// Waits until the server closes the connection (true) or `timeout` passes (false); frames that
    /// arrive meanwhile are returned through `receive` later.
    package func waitForClose(timeout: Double = 10) -> Bool {
        let deadline = BlockingConnection.now() + timeout
        while true {
            guard let bytes = try? connection.read(deadline: deadline) else {
                return BlockingConnection.now() < deadline
            }
            if bytes.isEmpty { return true }
            deframer.append(bytes)
        }
    }

    /// Closes the connection.
    package func close() { connection.close() }
}
