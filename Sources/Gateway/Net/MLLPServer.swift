internal import CLibEvent
import Foundation
import HL7v2
import Synchronization

/// Who is on the other end of an MLLP connection.
package struct MLLPConnectionInfo: Sendable, Equatable, Hashable {
    /// Unique within one server's life, in accept order, starting at 1.
    package let id: UInt64
    /// The peer's address, "ip:port" or "[ipv6]:port".
    package let peer: String
    /// The verified client certificate (mutual TLS), if any.
    package let clientCertificate: TLSPeerCertificate?

    package init(id: UInt64, peer: String, clientCertificate: TLSPeerCertificate? = nil) {
        self.id = id
        self.peer = peer
        self.clientCertificate = clientCertificate
    }

    /// The client certificate's subject CN, to map a certificate to a sending facility.
    package var clientCommonName: String? { clientCertificate?.commonName }
    /// The client certificate's SHA-256 fingerprint (lowercase hex).
    package var clientFingerprint: String? { clientCertificate?.sha256Fingerprint }
}

/// Why an MLLP connection ended.
package enum MLLPCloseReason: Sendable, Equatable {
    /// The peer closed (or reset) the connection.
    case peerClosed
    /// Nothing arrived for the idle timeout while no reply was pending.
    case idleTimeout
    /// A frame was still incomplete an idle timeout after its first byte (a sender trickling bytes to
    /// hold the connection open).
    case frameTimeout
    /// A frame exceeded the limit; the connection was closed after its reply.
    case oversizedFrame
    /// The application called `MLLPReply.close()` (or dropped a reply unanswered).
    case closedByApplication
    /// The TLS handshake failed (OpenSSL's text).
    case tlsHandshakeFailed(String)
    /// A socket error.
    case error(String)
    /// The server was stopped.
    case serverStopped
}

/// Things an MLLP server reports besides frames, for logging, metrics and NAKs. Never message content.
package enum MLLPServerEvent: Sendable {
    /// A connection is ready (after the TLS handshake when TLS is on).
    case opened(MLLPConnectionInfo)
    /// A connection ended.
    case closed(MLLPConnectionInfo, MLLPCloseReason)
    /// Bytes outside frames were dropped.
    case discarded(MLLPConnectionInfo, byteCount: Int)
    /// A frame exceeded the limit. The reply takes the frame's place in the reply order: send a NAK
    /// with it (or close it); the connection is closed once it is written. Nothing more is read.
    case oversized(MLLPConnectionInfo, limit: Int, reply: MLLPReply)
    /// A connection was refused at accept because the server has `maxConnections` open.
    case rejected(peer: String)
}

/// Counters of an MLLP server (for metrics).
package struct MLLPServerStatistics: Sendable, Equatable {
    package var openConnections = 0
    package var acceptedConnections = 0
    package var rejectedConnections = 0
    package var framesReceived = 0
    package var repliesSent = 0
    package var discardedBytes = 0
    package var oversizedFrames = 0
    package var idleTimeouts = 0
    package var tlsHandshakeFailures = 0
    /// OpenSSL's reason for the latest failed handshake (connections that never completed one are
    /// not announced, so they get no `.closed` event).
    package var lastTLSHandshakeFailure: String?
    package var acceptErrors = 0
}

/// The answer to one received frame. Call `send(_:)` or `close()` exactly once, from any thread;
/// later calls are ignored. Replies go out in the order their frames arrived on the connection,
/// whatever order they are completed in. A reply dropped unanswered closes the connection (a frame
/// that never gets an answer would otherwise block every later reply on it).
package final class MLLPReply: @unchecked Sendable {
    // Safety: `server` is a weak reference (weak loads are thread-safe); `done` is atomic.
    private weak var server: MLLPServer?
    private let connectionID: UInt64
    private let sequence: UInt64
    private let done = Atomic<Bool>(false)

    init(server: MLLPServer, connectionID: UInt64, sequence: UInt64) {
        self.server = server
        self.connectionID = connectionID
        self.sequence = sequence
    }

    deinit {
        if !done.load(ordering: .acquiring) { server?.complete(connectionID, sequence, .close) }
    }

    /// Sends `ack` (the message content; it is framed here) in this frame's turn.
    package func send(_ ack: [UInt8]) {
        guard claim() else { return }
        server?.complete(connectionID, sequence, .send(MLLP.frame(ack)))
    }

    /// Closes the connection in this frame's turn, after the replies before it are written.
    package func close() {
        guard claim() else { return }
        server?.complete(connectionID, sequence, .close)
    }

    private func claim() -> Bool {
        done.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }
}

/// An MLLP listener (plain TCP or TLS) on an `EventLoop`: many concurrent connections, each cut into
/// frames, each frame handed to `handler` on the loop thread; replies are written back in frame order.
///
/// The handler must return at once (hand the frame to other threads) and answer later through its
/// `MLLPReply`. Per connection at most `maxPendingReplies` frames wait for replies; past that the
/// server stops reading that connection (TCP backpressure) until replies catch up.
package final class MLLPServer: @unchecked Sendable {
    // Safety: all mutable state except `stats` is touched only on the loop thread (callbacks, or
    // `loop.sync`/`loop.execute`); `stats` is behind a lock.

    package typealias Handler = @Sendable (_ frame: [UInt8], _ connection: MLLPConnectionInfo, _ reply: MLLPReply) -> Void
    package typealias EventHandler = @Sendable (MLLPServerEvent) -> Void

    package let host: String
    package let port: Int
    package let tls: TLSConfiguration?
    package let maxFrameBytes: Int
    package let idleTimeout: Double
    package let maxConnections: Int
    package let maxPendingReplies: Int
    package let loop: EventLoop
    private let handler: Handler
    private let onEvent: EventHandler?

    private var listener: OpaquePointer?
    private var tlsContext: TLSContext?
    private var connections: [UInt64: MLLPConnection] = [:]
    private var nextConnectionID: UInt64 = 1
    private let stats = NetLocked(MLLPServerStatistics())
    private let boundPortValue = Atomic<Int>(0)

    /// - Parameters:
    ///   - host: address to bind ("127.0.0.1", "::", "" for every interface).
    ///   - port: TCP port; 0 picks a free one (see `boundPort`).
    ///   - tls: when set, connections are TLS (optionally mutual).
    ///   - maxFrameBytes: largest frame content accepted (default 16 MiB).
    ///   - idleTimeout: seconds without input (and no reply pending) before a connection is closed.
    ///   - maxConnections: connections open at once; more are refused at accept.
    ///   - maxPendingReplies: frames awaiting replies per connection before reading pauses.
    ///   - onEvent: connection events (opened, closed, discarded bytes, oversized frames), on the loop thread.
    ///   - handler: called on the loop thread for each frame.
    package init(host: String = "127.0.0.1", port: Int, tls: TLSConfiguration? = nil,
                 maxFrameBytes: Int = MLLP.defaultMaxFrameBytes, idleTimeout: Double = 300,
                 maxConnections: Int = 10_000, maxPendingReplies: Int = 128,
                 loop: EventLoop, onEvent: EventHandler? = nil, handler: @escaping Handler) {
        precondition(maxFrameBytes > 0 && idleTimeout > 0 && maxConnections > 0 && maxPendingReplies > 0)
        self.host = host
        self.port = port
        self.tls = tls
        self.maxFrameBytes = maxFrameBytes
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxPendingReplies = maxPendingReplies
        self.loop = loop
        self.onEvent = onEvent
        self.handler = handler
    }

    deinit { stop() }

    /// The port actually bound (useful with port 0), or 0 before `start()`.
    package var boundPort: Int { boundPortValue.load(ordering: .relaxed) }

    /// A snapshot of the counters.
    package var statistics: MLLPServerStatistics { stats.withLock { $0 } }

    /// Loads the TLS configuration, binds and starts accepting.
    package func start() throws(NetError) {
        let context: TLSContext? = if let tls { try TLSContext(server: tls) } else { nil }
        let addresses = try SocketAddress.resolve(host: host, port: port, passive: true)
        let result: Result<Void, NetError> = loop.sync {
            guard listener == nil else { return .failure(NetError(.listen, "MLLP server already started")) }
            tlsContext = context
            let me = Unmanaged.passUnretained(self).toOpaque()
            var lastError = "no address"
            for address in addresses {
                let created = address.withSockaddr { pointer, length in
                    evconnlistener_new_bind(loop.rawBase, { _, socket, address, _, context in
                        guard let context else { return }
                        Unmanaged<MLLPServer>.fromOpaque(context).takeUnretainedValue().accept(socket, address)
                    }, me, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024, pointer, Int32(length))
                }
                if let created {
                    evconnlistener_set_error_cb(created) { listener, context in
                        guard let listener, let context else { return }
                        Unmanaged<MLLPServer>.fromOpaque(context).takeUnretainedValue().acceptFailed(listener)
                    }
                    listener = created
                    boundPortValue.store(SocketAddress.localPort(of: evconnlistener_get_fd(created)), ordering: .relaxed)
                    return .success(())
                }
                lastError = String(cString: strerror(errno))
            }
            return .failure(NetError(.bind, "cannot listen on \(host):\(port): \(lastError)"))
        }
        try result.get()
    }

    /// Stops accepting and closes every connection (replies not yet written are dropped). Idempotent.
    package func stop() {
        loop.sync {
            if let listener {
                evconnlistener_free(listener)
                self.listener = nil
            }
            let open = connections.values
            connections.removeAll()
            for connection in open { finish(connection, .serverStopped) }
        }
    }

    // MARK: - Loop thread

    /// accept() failed (typically EMFILE: out of file descriptors). The listening socket stays readable,
    /// so pause accepting for a moment instead of spinning, then resume.
    private func acceptFailed(_ failed: OpaquePointer) {
        stats.withLock { $0.acceptErrors += 1 }
        guard failed == listener else { return }
        evconnlistener_disable(failed)
        var pause = timeval(tv_sec: 0, tv_usec: 100_000)
        event_base_once(loop.rawBase, -1, Int16(EV_TIMEOUT), { _, _, context in
            guard let context else { return }
            let server = Unmanaged<MLLPServer>.fromOpaque(context).takeRetainedValue()
            if let listener = server.listener { evconnlistener_enable(listener) }
        }, Unmanaged.passRetained(self).toOpaque(), &pause)
    }

    private func accept(_ socket: Int32, _ address: UnsafeMutablePointer<sockaddr>?) {
        let peer = address.map { SocketAddress.describe($0) } ?? "unknown"
        guard connections.count < maxConnections else {
            evutil_closesocket(socket)
            stats.withLock { $0.rejectedConnections += 1 }
            onEvent?(.rejected(peer: peer))
            return
        }
        evutil_make_socket_nonblocking(socket)
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let bev: OpaquePointer?
        var ssl: OpaquePointer?
        if let tlsContext {
            guard let made = try? tlsContext.makeSSL() else {
                evutil_closesocket(socket)
                return
            }
            ssl = made
            bev = bufferevent_openssl_socket_new(loop.rawBase, socket, made, BUFFEREVENT_SSL_ACCEPTING, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue))
        } else {
            bev = bufferevent_socket_new(loop.rawBase, socket, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue))
        }
        guard let bev else {
            if let ssl { SSL_free(ssl) }
            evutil_closesocket(socket)
            return
        }
        let id = nextConnectionID
        nextConnectionID += 1
        let connection = MLLPConnection(id: id, peer: peer, bev: bev, isTLS: ssl != nil, maxFrameBytes: maxFrameBytes)
        connections[id] = connection
        stats.withLock {
            $0.acceptedConnections += 1
            $0.openConnections = connections.count
        }
        let context = Unmanaged.passUnretained(connection).toOpaque()
        bufferevent_setcb(bev, { _, context in
            guard let context else { return }
            let connection = Unmanaged<MLLPConnection>.fromOpaque(context).takeUnretainedValue()
            connection.server?.readable(connection)
        }, { _, context in
            guard let context else { return }
            let connection = Unmanaged<MLLPConnection>.fromOpaque(context).takeUnretainedValue()
            connection.server?.writable(connection)
        }, { _, what, context in
            guard let context else { return }
            let connection = Unmanaged<MLLPConnection>.fromOpaque(context).takeUnretainedValue()
            connection.server?.event(connection, what)
        }, context)
        connection.server = self
        var timeout = timeval(tv_sec: Int(idleTimeout), tv_usec: Int((idleTimeout - idleTimeout.rounded(.down)) * 1_000_000))
        bufferevent_set_timeouts(bev, &timeout, nil)
        bufferevent_enable(bev, Int16(EV_READ | EV_WRITE))
        if ssl == nil { opened(connection) }
    }

    private func opened(_ connection: MLLPConnection) {
        guard !connection.announced else { return }
        connection.announced = true
        if connection.isTLS, let ssl = bufferevent_openssl_get_ssl(connection.bev) {
            connection.info = MLLPConnectionInfo(id: connection.id, peer: connection.info.peer,
                                                 clientCertificate: TLSContext.peerCertificate(of: ssl))
        }
        onEvent?(.opened(connection.info))
    }

    private func readable(_ connection: MLLPConnection) {
        guard !connection.closed else { return }
        if !connection.announced { opened(connection) }
        guard let input = bufferevent_get_input(connection.bev) else { return }
        let length = evbuffer_get_length(input)
        if length > 0 {
            let bytes = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
                let removed = evbuffer_remove(input, buffer.baseAddress, length)
                count = max(0, Int(removed))
            }
            if !connection.stopReading { connection.deframer.append(bytes) }
        }
        deliver(connection)
        // The idle timer restarts on every byte, so a sender trickling one byte at a time would never
        // trip it: a frame must also be complete within one idle timeout of its first byte.
        if connection.closed { return }
        if connection.deframer.isBetweenFrames {
            connection.frameStartedAt = nil
        } else {
            let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            if let started = connection.frameStartedAt {
                if now - started > idleTimeout {
                    stats.withLock { $0.idleTimeouts += 1 }
                    close(connection, .frameTimeout)
                }
            } else {
                connection.frameStartedAt = now
            }
        }
    }

    /// Hands buffered frames to the handler while the connection may take more, then pauses or resumes
    /// reading to match.
    private func deliver(_ connection: MLLPConnection) {
        while !connection.stopReading && connection.pending < maxPendingReplies, let event = connection.deframer.nextFrame() {
            switch event {
            case .frame(let frame):
                let sequence = connection.nextSequence
                connection.nextSequence += 1
                stats.withLock { $0.framesReceived += 1 }
                handler(frame, connection.info, MLLPReply(server: self, connectionID: connection.id, sequence: sequence))
            case .discarded(let count):
                stats.withLock { $0.discardedBytes += count }
                onEvent?(.discarded(connection.info, byteCount: count))
            case .oversized(let limit):
                let sequence = connection.nextSequence
                connection.nextSequence += 1
                connection.stopReading = true
                connection.closeAfterSequence = sequence
                connection.closeReason = .oversizedFrame
                stats.withLock { $0.oversizedFrames += 1 }
                let reply = MLLPReply(server: self, connectionID: connection.id, sequence: sequence)
                if let onEvent {
                    onEvent(.oversized(connection.info, limit: limit, reply: reply))
                } else {
                    reply.close()
                }
            }
        }
        if connection.stopReading || connection.pending >= maxPendingReplies {
            bufferevent_disable(connection.bev, Int16(EV_READ))
        } else {
            bufferevent_enable(connection.bev, Int16(EV_READ))
        }
    }

    private func writable(_ connection: MLLPConnection) {
        guard !connection.closed, connection.closeWhenFlushed else { return }
        if let output = bufferevent_get_output(connection.bev), evbuffer_get_length(output) == 0 {
            close(connection, connection.closeReason ?? .closedByApplication)
        }
    }

    private func event(_ connection: MLLPConnection, _ what: Int16) {
        guard !connection.closed else { return }
        let what = Int32(what)
        if what & BEV_EVENT_CONNECTED != 0 {
            opened(connection)
            return
        }
        if what & BEV_EVENT_TIMEOUT != 0 {
            if connection.pending > 0 || connection.closeWhenFlushed {
                // Not idle: the application is still working on this connection's frames.
                bufferevent_enable(connection.bev, Int16(EV_READ))
                return
            }
            stats.withLock { $0.idleTimeouts += 1 }
            close(connection, .idleTimeout)
            return
        }
        if what & BEV_EVENT_EOF != 0 {
            close(connection, .peerClosed)
            return
        }
        if what & BEV_EVENT_ERROR != 0 {
            if connection.isTLS && !connection.announced {
                let code = bufferevent_get_openssl_error(connection.bev)
                var buffer = [CChar](repeating: 0, count: 256)
                if code != 0 { ERR_error_string_n(code, &buffer, buffer.count) }
                let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let text = reason.isEmpty ? "handshake failed" : reason
                stats.withLock {
                    $0.tlsHandshakeFailures += 1
                    $0.lastTLSHandshakeFailure = text
                }
                close(connection, .tlsHandshakeFailed(text))
            } else {
                let number = errno
                close(connection, number == 0 ? .peerClosed : .error(String(cString: strerror(number))))
            }
        }
    }

    /// Completes reply `sequence` of connection `id` (any thread).
    fileprivate func complete(_ id: UInt64, _ sequence: UInt64, _ action: MLLPConnection.ReplyAction) {
        loop.execute { [weak self] in
            guard let self, let connection = connections[id], !connection.closed else { return }
            connection.completed[sequence] = action
            flush(connection)
        }
    }

    /// Writes the replies that are next in order.
    private func flush(_ connection: MLLPConnection) {
        guard !connection.closeWhenFlushed else {
            // Closing: replies after the closing one are never written.
            connection.completed.removeAll()
            return
        }
        var wrote = 0
        while let action = connection.completed.removeValue(forKey: connection.nextToWrite) {
            let sequence = connection.nextToWrite
            connection.nextToWrite += 1
            switch action {
            case .send(let bytes):
                bytes.withUnsafeBytes { _ = bufferevent_write(connection.bev, $0.baseAddress, $0.count) }
                wrote += 1
            case .close:
                connection.closeReason = connection.closeReason ?? .closedByApplication
                connection.closeAfterSequence = sequence
            }
            if let last = connection.closeAfterSequence, sequence >= last {
                connection.stopReading = true
                connection.closeWhenFlushed = true
                connection.completed.removeAll()
                break
            }
        }
        if wrote > 0 { stats.withLock { $0.repliesSent += wrote } }
        if connection.closeWhenFlushed {
            bufferevent_disable(connection.bev, Int16(EV_READ))
            writable(connection)
        } else {
            deliver(connection)
        }
    }

    private func close(_ connection: MLLPConnection, _ reason: MLLPCloseReason) {
        guard !connection.closed else { return }
        connections.removeValue(forKey: connection.id)
        finish(connection, reason)
    }

    private func finish(_ connection: MLLPConnection, _ reason: MLLPCloseReason) {
        connection.closed = true
        if connection.isTLS && connection.announced, let ssl = bufferevent_openssl_get_ssl(connection.bev) {
            // Tell the peer the stream ended on purpose (close_notify); no wait for its answer.
            SSL_shutdown(ssl)
            ERR_clear_error()
        }
        bufferevent_free(connection.bev)
        stats.withLock { $0.openConnections = connections.count }
        if connection.announced { onEvent?(.closed(connection.info, reason)) }
    }
}

/// One accepted connection: its bufferevent, deframer and reply order. Loop thread only.
private final class MLLPConnection {
    enum ReplyAction {
        case send([UInt8])
        case close
    }

    let id: UInt64
    let bev: OpaquePointer
    let isTLS: Bool
    weak var server: MLLPServer?
    var info: MLLPConnectionInfo
    var deframer: MLLPDeframer
    var announced = false
    var closed = false
    /// Sequence number of the next frame received.
    var nextSequence: UInt64 = 0
    /// Sequence number of the next reply to write.
    var nextToWrite: UInt64 = 0
    /// Replies completed ahead of their turn.
    var completed: [UInt64: ReplyAction] = [:]
    /// No more frames are taken (oversized frame or closing).
    var stopReading = false
    /// The connection closes once the reply with this sequence is written.
    var closeAfterSequence: UInt64?
    var closeWhenFlushed = false
    var closeReason: MLLPCloseReason?
    /// When the frame now being received began (nil between frames).
    var frameStartedAt: Double?

    init(id: UInt64, peer: String, bev: OpaquePointer, isTLS: Bool, maxFrameBytes: Int) {
        self.id = id
        self.bev = bev
        self.isTLS = isTLS
        self.info = MLLPConnectionInfo(id: id, peer: peer)
        self.deframer = MLLPDeframer(maxFrameBytes: maxFrameBytes)
    }

    /// Frames handed out and not yet answered.
    var pending: Int { Int(nextSequence - nextToWrite) }
}
