internal import CLibEvent
import Foundation
import Synchronization

/// HTTP header fields in arrival order, looked up case-insensitively (RFC 9110 §5.1).
package struct HTTPHeaders: Sendable, Equatable, Sequence {
    package private(set) var fields: [(name: String, value: String)]

    package init(_ fields: [(name: String, value: String)] = []) { self.fields = fields }

    /// The first value of `name`, compared case-insensitively.
    package subscript(_ name: String) -> String? {
        let wanted = name.lowercased()
        return fields.first { $0.name.lowercased() == wanted }?.value
    }

    /// Every value of `name`.
    package func values(_ name: String) -> [String] {
        let wanted = name.lowercased()
        return fields.filter { $0.name.lowercased() == wanted }.map(\.value)
    }

    /// Appends a field.
    package mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    package func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    package static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

/// One HTTP request as the application sees it.
package struct HTTPRequest: Sendable {
    /// "GET", "POST", …
    package var method: String
    /// The path as sent, still percent-encoded ("/patients/MRN%5E123"), without the query. Split it
    /// before decoding (or use `pathSegments`) so an encoded "/" stays inside its segment.
    package var path: String
    /// The path's non-empty segments, each percent-decoded (["patients", "MRN^123"]).
    package var pathSegments: [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map { URLQuery.percentDecode(String($0), plusIsSpace: false) }
    }
    /// Query parameters, percent-decoded ('+' is a space); of repeated names the first wins.
    package var query: [String: String]
    /// Request header fields.
    package var headers: HTTPHeaders
    /// The body (at most the server's `maxBodyBytes`).
    package var body: [UInt8]
    /// The peer's address, "ip:port".
    package var peer: String
}

/// An HTTP response to send.
package struct HTTPResponse: Sendable, Equatable {
    package var status: Int
    package var headers: HTTPHeaders
    package var body: [UInt8]

    package init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Sends the response to one request, once, from any thread. Dropping it unanswered sends a 500.
/// Answering after the client went away is harmless: the response is discarded.
package final class HTTPResponder: @unchecked Sendable {
    // Safety: `server` is weak (thread-safe loads); `done` is atomic.
    private weak var server: HTTPServer?
    private let requestID: UInt64
    private let done = Atomic<Bool>(false)

    init(server: HTTPServer, requestID: UInt64) {
        self.server = server
        self.requestID = requestID
    }

    deinit {
        if !done.load(ordering: .acquiring) {
            server?.respond(requestID, HTTPResponse(status: 500, body: Array("unanswered request\n".utf8)))
        }
    }

    /// Sends `response`. Later calls are ignored.
    package func respond(_ response: HTTPResponse) {
        guard done.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        server?.respond(requestID, response)
    }
}

/// An HTTP/1.1 server (HTTPS when `tls` is set) on libevent's evhttp, on an `EventLoop`.
///
/// The handler runs on the loop thread and must return at once; it answers through its
/// `HTTPResponder` from any thread. evhttp enforces the limits itself: a body over `maxBodyBytes`
/// gets 413, headers over `maxHeadersBytes` or a malformed request 400, and a connection idle or slow
/// for `timeoutSeconds` is closed.
package final class HTTPServer: @unchecked Sendable {
    // Safety: all mutable state is touched only on the loop thread (callbacks, `loop.sync`,
    // `loop.execute`), except `boundPortValue` (atomic).

    package typealias Handler = @Sendable (HTTPRequest, HTTPResponder) -> Void

    package let host: String
    package let port: Int
    package let tls: TLSConfiguration?
    package let maxBodyBytes: Int
    package let maxHeadersBytes: Int
    package let timeoutSeconds: Int
    package let loop: EventLoop
    private let handler: Handler

    private var http: OpaquePointer?
    private var tlsContext: TLSContext?
    /// Requests handed to the handler and not answered yet, by id. A request whose client went away
    /// stays here (evhttp leaves it to us) until it is answered.
    private var pending: [UInt64: OpaquePointer] = [:]
    private var nextRequestID: UInt64 = 1
    private let boundPortValue = Atomic<Int>(0)

    package init(host: String = "127.0.0.1", port: Int, tls: TLSConfiguration? = nil, maxBodyBytes: Int = 16 * 1024 * 1024,
                 maxHeadersBytes: Int = 64 * 1024, timeoutSeconds: Int = 60, loop: EventLoop,
                 handler: @escaping Handler) {
        self.host = host
        self.port = port
        self.tls = tls
        self.maxBodyBytes = maxBodyBytes
        self.maxHeadersBytes = maxHeadersBytes
        self.timeoutSeconds = timeoutSeconds
        self.loop = loop
        self.handler = handler
    }

    deinit { stop() }

    /// The port actually bound (useful with port 0), or 0 before `start()`.
    package var boundPort: Int { boundPortValue.load(ordering: .relaxed) }

    /// Requests waiting for their response (for metrics and tests).
    package var pendingRequestCount: Int { loop.sync { pending.count } }

    /// Loads TLS, binds and starts serving.
    package func start() throws(NetError) {
        let context: TLSContext? = if let tls { try TLSContext(server: tls) } else { nil }
        let result: Result<Void, NetError> = loop.sync {
            guard http == nil else { return .failure(NetError(.listen, "HTTP server already started")) }
            guard let http = evhttp_new(loop.rawBase) else { return .failure(NetError(.listen, "evhttp_new failed")) }
            evhttp_set_max_body_size(http, maxBodyBytes)
            evhttp_set_max_headers_size(http, maxHeadersBytes)
            evhttp_set_timeout(http, Int32(timeoutSeconds))
            // Read (and drop) the rest of an over-limit body before closing, so the client gets to see
            // the 413 instead of a reset; the timeout still bounds it.
            _ = evhttp_set_flags(http, EVHTTP_SERVER_LINGERING_CLOSE)
            concord_evhttp_set_default_content_type_text(http)
            let methods = EVHTTP_REQ_GET.rawValue | EVHTTP_REQ_POST.rawValue | EVHTTP_REQ_HEAD.rawValue
                | EVHTTP_REQ_PUT.rawValue | EVHTTP_REQ_DELETE.rawValue | EVHTTP_REQ_OPTIONS.rawValue | EVHTTP_REQ_PATCH.rawValue
            evhttp_set_allowed_methods(http, UInt16(methods))
            let me = Unmanaged.passUnretained(self).toOpaque()
            evhttp_set_gencb(http, { request, context in
                guard let request, let context else { return }
                Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue().handle(request)
            }, me)
            if let context {
                tlsContext = context
                evhttp_set_bevcb(http, { base, context in
                    guard let context else { return nil }
                    return Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue().makeTLSBufferevent(base)
                }, me)
            }
            guard let bound = evhttp_bind_socket_with_handle(http, host, UInt16(clamping: port)) else {
                let reason = String(cString: strerror(errno))
                evhttp_free(http)
                return .failure(NetError(.bind, "cannot listen on \(host):\(port): \(reason)"))
            }
            boundPortValue.store(SocketAddress.localPort(of: evhttp_bound_socket_get_fd(bound)), ordering: .relaxed)
            self.http = http
            return .success(())
        }
        try result.get()
    }

    /// Stops serving; open connections are closed and unanswered requests dropped. Idempotent.
    package func stop() {
        loop.sync {
            guard let http else { return }
            // Requests still attached to a connection are freed by evhttp_free; forget them all first
            // so late responses find nothing. Detached ones (client gone) are ours to free.
            for request in pending.values where evhttp_request_get_connection(request) == nil {
                evhttp_request_free(request)
            }
            pending.removeAll()
            evhttp_free(http)
            self.http = nil
        }
    }

    // MARK: - Loop thread

    private func makeTLSBufferevent(_ base: OpaquePointer?) -> OpaquePointer? {
        guard let tlsContext, let ssl = try? tlsContext.makeSSL() else { return nil }
        guard let bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue)) else {
            SSL_free(ssl)
            return nil
        }
        return bev
    }

    private func handle(_ request: OpaquePointer) {
        let method = Self.methodName(evhttp_request_get_command(request))
        let uriText = evhttp_request_get_uri(request).map { String(cString: $0) } ?? "/"
        var rawPath = uriText
        var queryText = ""
        if let uri = evhttp_request_get_evhttp_uri(request) {
            rawPath = evhttp_uri_get_path(uri).map { String(cString: $0) } ?? "/"
            queryText = evhttp_uri_get_query(uri).map { String(cString: $0) } ?? ""
        }
        if rawPath.isEmpty { rawPath = "/" }
        var headers = HTTPHeaders()
        if let input = evhttp_request_get_input_headers(request) {
            var field = concord_evkeyvalq_first(input)
            while let current = field {
                if let key = current.pointee.key, let value = current.pointee.value {
                    headers.add(String(cString: key), String(cString: value))
                }
                field = concord_evkeyval_next(current)
            }
        }
        var body: [UInt8] = []
        if let buffer = evhttp_request_get_input_buffer(request) {
            let length = evbuffer_get_length(buffer)
            if length > 0 {
                body = [UInt8](unsafeUninitializedCapacity: length) { out, count in
                    count = max(0, Int(evbuffer_remove(buffer, out.baseAddress, length)))
                }
            }
        }
        var peer = "unknown"
        if let connection = evhttp_request_get_connection(request) {
            var address: UnsafeMutablePointer<CChar>?
            var peerPort: UInt16 = 0
            evhttp_connection_get_peer(connection, &address, &peerPort)
            if let address { peer = "\(String(cString: address)):\(peerPort)" }
            // evhttp writes headers and body separately; without TCP_NODELAY, Nagle's algorithm and the
            // client's delayed ACK hold the body back ~40 ms on a kept-alive connection.
            if let bev = evhttp_connection_get_bufferevent(connection) {
                let fd = bufferevent_getfd(bev)
                if fd >= 0 {
                    var one: Int32 = 1
                    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                }
            }
        }
        let id = nextRequestID
        nextRequestID += 1
        pending[id] = request
        let parsed = HTTPRequest(method: method, path: rawPath,
                                 query: URLQuery.parse(queryText), headers: headers, body: body, peer: peer)
        handler(parsed, HTTPResponder(server: self, requestID: id))
    }

    /// Sends the response of request `id` (any thread).
    fileprivate func respond(_ id: UInt64, _ response: HTTPResponse) {
        loop.execute { [weak self] in
            guard let self, let request = pending.removeValue(forKey: id) else { return }
            if let output = evhttp_request_get_output_headers(request) {
                for field in response.headers where evhttp_add_header(output, field.name, field.value) != 0 {
                    // A header with CR/LF would split the response: refuse to send it.
                    evhttp_clear_headers(output)
                    evhttp_send_reply(request, 500, "Internal Server Error", nil)
                    return
                }
            }
            guard let buffer = evbuffer_new() else {
                evhttp_send_reply(request, 500, "Internal Server Error", nil)
                return
            }
            defer { evbuffer_free(buffer) }
            if !response.body.isEmpty {
                _ = response.body.withUnsafeBytes { evbuffer_add(buffer, $0.baseAddress, $0.count) }
            }
            evhttp_send_reply(request, Int32(response.status), HTTPServer.reason(response.status), buffer)
        }
    }

    private static func methodName(_ command: evhttp_cmd_type) -> String {
        switch command {
        case EVHTTP_REQ_GET: "GET"
        case EVHTTP_REQ_POST: "POST"
        case EVHTTP_REQ_HEAD: "HEAD"
        case EVHTTP_REQ_PUT: "PUT"
        case EVHTTP_REQ_DELETE: "DELETE"
        case EVHTTP_REQ_OPTIONS: "OPTIONS"
        case EVHTTP_REQ_PATCH: "PATCH"
        case EVHTTP_REQ_TRACE: "TRACE"
        case EVHTTP_REQ_CONNECT: "CONNECT"
        default: "UNKNOWN"
        }
    }

    /// The standard reason phrase of `status` (RFC 9110 §15).
    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        default: "Status \(status)"
        }
    }
}

/// Query strings (`application/x-www-form-urlencoded`, WHATWG URL §5.1). Pure.
package enum URLQuery {
    /// The parameters of `query` (without the "?"), decoded; of repeated names the first wins; a name
    /// without "=" maps to "".
    package static func parse(_ query: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let first = parts.first else { continue }
            let name = decode(Array(first), plusIsSpace: true)
            let value = parts.count > 1 ? decode(Array(parts[1]), plusIsSpace: true) : ""
            if result[name] == nil { result[name] = value }
        }
        return result
    }

    /// `text` with %XX escapes decoded (and '+' as space when asked). Malformed escapes stay as they
    /// are; invalid UTF-8 becomes U+FFFD.
    package static func percentDecode(_ text: String, plusIsSpace: Bool) -> String {
        decode(Array(text.utf8), plusIsSpace: plusIsSpace)
    }

    private static func decode(_ bytes: [UInt8], plusIsSpace: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "%"), i + 2 < bytes.count, let high = hex(bytes[i + 1]), let low = hex(bytes[i + 2]) {
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
