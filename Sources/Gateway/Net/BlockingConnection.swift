internal import CLibEvent
import Foundation

/// TLS settings of a client connection.
package struct ClientTLSOptions: Sendable, Equatable {
    /// PEM file of the CA certificates the server must chain to.
    package var caPath: String
    /// PEM client certificate for mutual TLS.
    package var certificatePath: String?
    /// PEM private key of the client certificate.
    package var privateKeyPath: String?
    /// Name (or IP literal) the server certificate must carry; defaults to the host connected to.
    package var serverName: String?

    package init(caPath: String, certificatePath: String? = nil, privateKeyPath: String? = nil, serverName: String? = nil) {
        self.caPath = caPath
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.serverName = serverName
    }
}

/// A blocking TCP (optionally TLS) client connection with deadlines, for tests, benchmarks and tools;
/// never use it on an event loop or in async code. Owns its socket and `SSL`, closed in deinit.
package final class BlockingConnection {
    private var socket: Int32
    private var ssl: OpaquePointer?
    private let tlsContext: TLSContext?
    /// Seconds each connect, read or write may take.
    package var timeout: Double

    /// Connects to `host:port`, completing the TLS handshake when `tls` is given.
    package init(host: String, port: Int, tls: ClientTLSOptions? = nil, timeout: Double = 10) throws(NetError) {
        self.timeout = timeout
        socket = -1
        tlsContext = try tls.map { options throws(NetError) in
            try TLSContext(clientTrusting: options.caPath, certificatePath: options.certificatePath,
                           privateKeyPath: options.privateKeyPath)
        }
        var lastError = NetError(.connect, "no address for \(host)")
        for address in try SocketAddress.resolve(host: host, port: port, passive: false) {
            let fd = Glibc.socket(Int32(address.storage.ss_family), Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw NetError.system(.connect, "socket") }
            do {
                try Self.connect(fd, to: address, timeout: timeout)
                socket = fd
                break
            } catch {
                Glibc.close(fd)
                lastError = error
            }
        }
        guard socket >= 0 else { throw lastError }
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if let tls, let tlsContext { try handshake(tlsContext, serverName: tls.serverName ?? host) }
    }

    deinit { close() }

    /// Closes the connection (sending a TLS close_notify first). Idempotent.
    package func close() {
        if let ssl {
            SSL_shutdown(ssl)
            SSL_free(ssl)
            self.ssl = nil
        }
        if socket >= 0 {
            Glibc.close(socket)
            socket = -1
        }
    }

    /// Sends all of `bytes`.
    package func write(_ bytes: [UInt8]) throws(NetError) {
        guard socket >= 0 else { throw NetError(.closed, "connection closed") }
        try setTimeouts()
        var offset = 0
        while offset < bytes.count {
            let written: Int = bytes.withUnsafeBytes { raw in
                let start = raw.baseAddress.map { $0 + offset }
                if let ssl { return Int(SSL_write(ssl, start, Int32(min(raw.count - offset, Int(Int32.max))))) }
                return send(socket, start, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 {
                if let ssl { throw sslFailure(ssl, Int32(written), "write") }
                if errno == EINTR { continue }
                throw errno == EAGAIN || errno == EWOULDBLOCK ? NetError(.timeout, "write timed out") : NetError.system(.io, "write")
            }
            offset += written
        }
    }

    /// Reads what is available (at most `maximum` bytes), waiting until `deadline` (an uptime in
    /// seconds as `Self.now()` gives). Returns an empty array when the peer closed.
    package func read(maximum: Int = 65_536, deadline: Double) throws(NetError) -> [UInt8] {
        guard socket >= 0 else { throw NetError(.closed, "connection closed") }
        while true {
            let buffered = ssl.map { SSL_pending($0) } ?? 0
            if buffered <= 0 {
                let remaining = deadline - Self.now()
                guard remaining > 0 else { throw NetError(.timeout, "read timed out") }
                var pollfd = Glibc.pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
                let ready = poll(&pollfd, 1, Int32(min(remaining * 1000, 86_400_000).rounded(.up)))
                if ready < 0 {
                    if errno == EINTR { continue }
                    throw NetError.system(.io, "poll")
                }
                if ready == 0 { continue }
            }
            var result = [UInt8](repeating: 0, count: maximum)
            let count: Int = result.withUnsafeMutableBytes { raw in
                if let ssl { return Int(SSL_read(ssl, raw.baseAddress, Int32(raw.count))) }
                return recv(socket, raw.baseAddress, raw.count, 0)
            }
            if count > 0 {
                result.removeSubrange(count...)
                return result
            }
            if let ssl {
                let code = SSL_get_error(ssl, Int32(count))
                if code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE { continue }
                if code == SSL_ERROR_ZERO_RETURN { return [] }
                if code == SSL_ERROR_SYSCALL && count == 0 { return [] }
                throw sslFailure(ssl, Int32(count), "read", code: code)
            }
            if count == 0 { return [] }
            if errno == EINTR || errno == EAGAIN { continue }
            if errno == ECONNRESET { return [] }
            throw NetError.system(.io, "read")
        }
    }

    /// Seconds since an arbitrary start (monotonic), the clock of `read(deadline:)`.
    package static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    private func setTimeouts() throws(NetError) {
        var value = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        guard setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size)) == 0,
              setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            throw NetError.system(.io, "setsockopt")
        }
    }

    private static func connect(_ fd: Int32, to address: SocketAddress, timeout: Double) throws(NetError) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let status = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if status != 0 {
            guard errno == EINPROGRESS else { throw NetError.system(.connect, "connect") }
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&pollfd, 1, Int32(timeout * 1000))
            guard ready > 0 else { throw NetError(.timeout, "connect timed out") }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { throw NetError.system(.connect, "connect", errno: error) }
        }
        _ = fcntl(fd, F_SETFL, flags)
    }

    private func handshake(_ context: TLSContext, serverName: String) throws(NetError) {
        let ssl = try context.makeSSL()
        self.ssl = ssl
        var probe = in6_addr()
        let isIP = inet_pton(AF_INET, serverName, &probe) == 1 || inet_pton(AF_INET6, serverName, &probe) == 1
        if isIP {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName)
        } else {
            _ = concord_ssl_set_tlsext_host_name(ssl, serverName)
            SSL_set1_host(ssl, serverName)
        }
        SSL_set_fd(ssl, socket)
        try setTimeouts()
        let status = SSL_connect(ssl)
        guard status == 1 else { throw sslFailure(ssl, status, "handshake") }
    }

    private func sslFailure(_ ssl: OpaquePointer, _ status: Int32, _ what: String, code: Int32? = nil) -> NetError {
        let code = code ?? SSL_get_error(ssl, status)
        let number = errno
        let text = TLSContext.openSSLErrorText()
        if code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE { return NetError(.timeout, "TLS \(what) timed out") }
        if code == SSL_ERROR_ZERO_RETURN { return NetError(.closed, "TLS \(what): peer closed") }
        if code == SSL_ERROR_SYSCALL && text.isEmpty {
            return number == 0 ? NetError(.closed, "TLS \(what): peer closed") : NetError.system(.io, "TLS \(what)", errno: number)
        }
        return NetError(.tls, "TLS \(what) failed: \(text.isEmpty ? "SSL error \(code)" : text)")
    }
}
