import Foundation
import Gateway
import Testing

/// A parsed HTTP/1.1 response read from a raw socket.
private struct RawHTTPResponse {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
}

/// Sends `request` as it is and reads the response until the server closes (requests say
/// "Connection: close").
private func rawHTTP(port: Int, _ request: [UInt8], tls: ClientTLSOptions? = nil) throws -> RawHTTPResponse {
    let connection = try BlockingConnection(host: "127.0.0.1", port: port, tls: tls)
    try connection.write(request)
    var bytes: [UInt8] = []
    let deadline = BlockingConnection.now() + 10
    while true {
        let chunk = try connection.read(deadline: deadline)
        if chunk.isEmpty { break }
        bytes += chunk
    }
    let separator: [UInt8] = [13, 10, 13, 10]
    guard let split = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
        throw NetError(.framing, "no header end in \(bytes.count) bytes")
    }
    let head = String(decoding: bytes[..<split], as: UTF8.self).components(separatedBy: "\r\n")
    let statusParts = head[0].split(separator: " ")
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return RawHTTPResponse(status: Int(statusParts[1]) ?? 0, headers: headers, body: Array(bytes[(split + 4)...]))
}

private func rawRequest(_ method: String, _ target: String, headers: [String] = [], body: [UInt8] = []) -> [UInt8] {
    var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for header in headers { text += header + "\r\n" }
    if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.count)\r\n" }
    return Array((text + "\r\n").utf8) + body
}

@Suite struct HTTPServerTests {
    private func start(tls: TLSConfiguration? = nil, maxBodyBytes: Int = 1 << 20, loop: EventLoop,
                       handler: @escaping HTTPServer.Handler) throws -> HTTPServer {
        let server = HTTPServer(host: "127.0.0.1", port: 0, tls: tls, maxBodyBytes: maxBodyBytes, maxHeadersBytes: 8192,
                                timeoutSeconds: 10, loop: loop, handler: handler)
        try server.start()
        return server
    }

    @Test func getCarriesMethodPathDecodedQueryAndHeaders() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let seen = NetRecorder([HTTPRequest]())
        let server = try start(loop: loop) { request, responder in
            seen.update { $0.append(request) }
            var headers = HTTPHeaders()
            headers.add("Content-Type", "application/json")
            responder.respond(HTTPResponse(status: 200, headers: headers, body: Array("{\"ok\":true}".utf8)))
        }
        defer { server.stop() }
        let response = try rawHTTP(port: server.boundPort, rawRequest(
            "GET", "/patients/MRN%5EE1234567/record?family=O%27Brien&given=Mary+Ann&dob=1979-02-14&flag",
            headers: ["Authorization: Bearer t0k3n", "X-Request-ID: req-42"]))
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.body == Array("{\"ok\":true}".utf8))
        let request = try #require(seen.value.first)
        #expect(request.method == "GET")
        #expect(request.path == "/patients/MRN%5EE1234567/record")
        #expect(request.pathSegments == ["patients", "MRN^E1234567", "record"])
        #expect(request.query == ["family": "O'Brien", "given": "Mary Ann", "dob": "1979-02-14", "flag": ""])
        #expect(request.headers["authorization"] == "Bearer t0k3n")
        #expect(request.headers["x-request-id"] == "req-42")
        #expect(request.headers["X-REQUEST-ID"] == "req-42")
        #expect(request.body.isEmpty)
        #expect(request.peer.hasPrefix("127.0.0.1:"))
    }

    @Test func postBodyIsAnsweredFromAnotherThread() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let server = try start(loop: loop) { request, responder in
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.02) {
                var headers = HTTPHeaders()
                headers.add("Location", "/messages/1")
                responder.respond(HTTPResponse(status: 201, headers: headers, body: Array("received \(request.body.count) bytes".utf8)))
            }
        }
        defer { server.stop() }
        let hl7 = Array("MSH|^~\\&|EPIC|MERCY_HOSP|CONCORD|HIE|20240311083015||ADT^A08|MSG77|P|2.5.1\rPID|1||E1234567^^^MERCY^MR\r".utf8)
        let response = try rawHTTP(port: server.boundPort, rawRequest("POST", "/messages", headers: ["Content-Type: x-application/hl7-v2+er7"], body: hl7))
        #expect(response.status == 201)
        #expect(response.headers["location"] == "/messages/1")
        #expect(response.body == Array("received \(hl7.count) bytes".utf8))
    }

    @Test func largeBodyWithinTheLimitArrivesWhole() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let server = try start(maxBodyBytes: 8 << 20, loop: loop) { request, responder in
            let checksum = request.body.reduce(into: UInt64(0)) { $0 = $0 &* 31 &+ UInt64($1) }
            responder.respond(HTTPResponse(status: 200, body: Array("\(request.body.count) \(checksum)".utf8)))
        }
        defer { server.stop() }
        let body = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }
        let expected = body.reduce(into: UInt64(0)) { $0 = $0 &* 31 &+ UInt64($1) }
        let response = try rawHTTP(port: server.boundPort, rawRequest("POST", "/documents", body: body))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "\(body.count) \(expected)")
        #expect(response.headers["content-type"] == "text/plain; charset=utf-8")
    }

    @Test func bodyOverTheLimitIsRefusedWith413() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let calls = NetRecorder(0)
        let server = try start(maxBodyBytes: 1024, loop: loop) { _, responder in
            calls.update { $0 += 1 }
            responder.respond(HTTPResponse(status: 200))
        }
        defer { server.stop() }
        let response = try rawHTTP(port: server.boundPort, rawRequest("POST", "/messages", body: [UInt8](repeating: 65, count: 2 << 20)))
        #expect(response.status == 413)
        #expect(calls.value == 0)
    }

    @Test func malformedRequestIsRefusedWith400() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let calls = NetRecorder(0)
        let server = try start(loop: loop) { _, responder in
            calls.update { $0 += 1 }
            responder.respond(HTTPResponse(status: 200))
        }
        defer { server.stop() }
        let response = try rawHTTP(port: server.boundPort, Array("GET /health HTTP/1.1\r\nBroken header without colon\r\n\r\n".utf8))
        #expect(response.status == 400)
        #expect(calls.value == 0)
    }

    @Test func httpsServesWithTheGeneratedCertificate() throws {
        let certs = try NetTestCertificates.shared.get()
        let loop = try EventLoop()
        defer { loop.stop() }
        let server = try start(tls: TLSConfiguration(certificatePath: certs.serverCertificatePath, privateKeyPath: certs.serverKeyPath),
                               loop: loop) { request, responder in
            responder.respond(HTTPResponse(status: 200, body: Array("secure \(request.path)".utf8)))
        }
        defer { server.stop() }
        let response = try rawHTTP(port: server.boundPort, rawRequest("GET", "/health"), tls: ClientTLSOptions(caPath: certs.caPath))
        #expect(response.status == 200)
        #expect(response.body == Array("secure /health".utf8))
    }

    @Test func clientGoneBeforeTheResponseDoesNotDisturbTheServer() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let held = NetRecorder([HTTPResponder]())
        let server = try start(loop: loop) { request, responder in
            if request.path == "/slow" {
                held.update { $0.append(responder) }
            } else {
                responder.respond(HTTPResponse(status: 200, body: Array("fast".utf8)))
            }
        }
        defer { server.stop() }
        do {
            let connection = try BlockingConnection(host: "127.0.0.1", port: server.boundPort)
            try connection.write(rawRequest("GET", "/slow"))
            #expect(netEventually { held.value.count == 1 })
            connection.close()
        }
        // Let the server notice the close: a later request on a new connection is served after it.
        #expect(try rawHTTP(port: server.boundPort, rawRequest("GET", "/fast")).body == Array("fast".utf8))
        let responder = try #require(held.value.first)
        let answered = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            responder.respond(HTTPResponse(status: 200, body: Array("too late".utf8)))
            answered.signal()
        }
        #expect(answered.wait(timeout: .now() + 10) == .success)
        #expect(netEventually { server.pendingRequestCount == 0 })
        #expect(try rawHTTP(port: server.boundPort, rawRequest("GET", "/fast")).status == 200)
    }

    @Test func keepAliveConnectionServesSeveralRequestsInOrder() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let server = try start(loop: loop) { request, responder in
            let delay = request.path == "/first" ? 0.05 : 0
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) {
                responder.respond(HTTPResponse(status: 200, body: Array("answer to \(request.path)".utf8)))
            }
        }
        defer { server.stop() }
        let keepAlive = Array("GET /first HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        let response = try rawHTTP(port: server.boundPort, keepAlive + rawRequest("GET", "/second"))
        // rawHTTP parses the first response; the second follows it in the same stream.
        #expect(response.status == 200)
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.hasPrefix("answer to /first"))
        #expect(text.hasSuffix("answer to /second"))
        #expect(text.components(separatedBy: "HTTP/1.1 200 OK").count == 2)
    }

    @Test func droppedResponderAnswers500() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let server = try start(loop: loop) { _, _ in }
        defer { server.stop() }
        let response = try rawHTTP(port: server.boundPort, rawRequest("GET", "/forgotten"))
        #expect(response.status == 500)
    }

    @Test func stoppingWithAnUnansweredRequestIsSafe() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let held = NetRecorder([HTTPResponder]())
        let server = try start(loop: loop) { _, responder in held.update { $0.append(responder) } }
        let connection = try BlockingConnection(host: "127.0.0.1", port: server.boundPort)
        try connection.write(rawRequest("GET", "/pending"))
        #expect(netEventually { held.value.count == 1 })
        server.stop()
        held.value.first?.respond(HTTPResponse(status: 200))
        #expect(try connection.read(deadline: BlockingConnection.now() + 10) == [])
    }

    @Test(arguments: [
        ("a=1&b=2", ["a": "1", "b": "2"]),
        ("name=O%27Brien%2C+Mary", ["name": "O'Brien, Mary"]),
        ("x=%ZZ&y=100%", ["x": "%ZZ", "y": "100%"]),
        ("first=1&first=2", ["first": "1"]),
        ("&&empty=&=nameless", ["empty": "", "": "nameless"]),
        ("city=S%C3%A3o%20Paulo", ["city": "São Paulo"]),
    ])
    func queryStringsDecode(query: String, expected: [String: String]) {
        #expect(URLQuery.parse(query) == expected)
    }
}
