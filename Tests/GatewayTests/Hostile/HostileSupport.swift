import Foundation
import HL7v2

@testable import Gateway
@testable import PatientIndex
@testable import SQLite

/// An in-process gateway for the hostile-input tests: real sockets on ephemeral ports, a temporary
/// database and inbox, tokens for every role, and the limits each test wants to provoke.
final class HostileGateway {
    static let readerToken = "hostile-reader-\(UUID().uuidString)"
    static let feedToken = "hostile-feed-\(UUID().uuidString)"
    static let adminToken = "hostile-admin-\(UUID().uuidString)"

    struct Limits {
        var maxFrameBytes = 64 << 10
        var idleTimeoutSeconds = 300.0
        var maxConnections = 10_000
        var httpTimeoutSeconds = 30
        var maxBodyBytes = 1 << 20
        var inbox = false
        var maxFileBytes = 64 << 20
    }

    let directory: String
    let server: Server
    var mllpPort: Int { server.boundPorts.mllp[0] }
    var httpPort: Int { server.boundPorts.http ?? 0 }
    var inboxPath: String { directory + "/inbox" }
    var failedPath: String { directory + "/failed" }
    var archivePath: String { directory + "/archive" }

    init(_ limits: Limits = Limits()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-hostile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = GatewayConfiguration()
        configuration.database = directory + "/concord.sqlite"
        var listener = GatewayConfiguration.MLLPListenerSettings()
        listener.port = 0
        listener.maxFrameBytes = limits.maxFrameBytes
        listener.idleTimeoutSeconds = limits.idleTimeoutSeconds
        listener.maxConnections = limits.maxConnections
        configuration.mllp = [listener]
        var http = GatewayConfiguration.HTTPSettings()
        http.port = 0
        http.timeoutSeconds = limits.httpTimeoutSeconds
        http.maxBodyBytes = limits.maxBodyBytes
        configuration.http = http
        configuration.tokens = [
            .init(name: "hostile-portal", sha256: SHA256Digest.hex(Array(Self.readerToken.utf8)), role: .reader),
            .init(name: "hostile-feed", sha256: SHA256Digest.hex(Array(Self.feedToken.utf8)), role: .feed),
            .init(name: "hostile-ops", sha256: SHA256Digest.hex(Array(Self.adminToken.utf8)), role: .admin),
        ]
        if limits.inbox {
            var settings = GatewayConfiguration.InboxSettings()
            settings.path = directory + "/inbox"
            settings.archive = directory + "/archive"
            settings.failed = directory + "/failed"
            settings.stableSeconds = 0.05
            settings.rescanSeconds = 0.1
            settings.maxFileBytes = limits.maxFileBytes
            configuration.inbox = settings
        } else {
            configuration.inbox = nil
        }
        Log.level = .error
        server = try Server(configuration: configuration)
        try server.start()
    }

    func stop() {
        server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A single-value query on a read-only connection of the gateway's database.
    func count(_ sql: String) throws -> Int64 {
        let db = try Connection(path: directory + "/concord.sqlite", readOnly: true)
        return try db.row(sql)?.int(0) ?? -1
    }

    func messageCount() throws -> Int64 { try count("SELECT count(*) FROM message_log") }

    func integrity() throws -> [String] {
        try Connection(path: directory + "/concord.sqlite", readOnly: true).integrityCheck()
    }

    /// A well-formed ADT^A04 with its own control id and patient.
    static func adt(_ control: String, mrn: String = "RCH500100", family: String = "OKAFOR", given: String = "AMARA") -> [UInt8] {
        let segments = [
            "MSH|^~\\&|EPIC|Riverside Community Hospital^2.16.840.1.113883.3.1234^ISO|CONCORD|CONCORD|20260915101500-0500||ADT^A04^ADT_A01|\(control)|P|2.5.1",
            "EVN|A04|20260915101500-0500",
            "PID|1||\(mrn)^^^RCH&2.16.840.1.113883.3.1234&ISO^MR||\(family)^\(given)^N||19780322|F|||77 Lakeview Dr^^Springfield^IL^62711||^PRN^PH^^1^217^5550191",
            "PV1|1|O|CLINIC^^^RCH||||1841293756^PATEL^ANIKA^^^^MD",
        ]
        return Array(segments.joined(separator: "\r").utf8) + [0x0D]
    }

    /// MSH/MSA field `n` of an ACK.
    static func ackField(_ ack: [UInt8], _ segment: String, _ n: Int) -> String? {
        let text = String(decoding: ack, as: UTF8.self)
        for line in text.split(whereSeparator: { $0 == "\r" || $0 == "\n" }) where line.hasPrefix(segment + "|") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            return n < fields.count ? String(fields[n]) : ""
        }
        return nil
    }

    /// Sends one well-formed message on a fresh connection and returns its MSA-1.
    func probeMLLP(_ control: String) throws -> String? {
        let client = try MLLPClient(port: mllpPort, timeout: 10)
        defer { client.close() }
        return Self.ackField(try client.exchange(Self.adt(control, mrn: "RCH-\(control)"), timeout: 15), "MSA", 1)
    }

    struct HTTPReply {
        var status: Int
        var body: String
    }

    /// One raw HTTP exchange: `head` is the request line and headers (without the blank line).
    func rawHTTP(_ head: String, body: [UInt8] = [], timeout: Double = 20) throws -> HTTPReply {
        let connection = try BlockingConnection(host: "127.0.0.1", port: httpPort, timeout: timeout)
        defer { connection.close() }
        try connection.write(Array((head + "\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n").utf8) + body)
        var response: [UInt8] = []
        let deadline = BlockingConnection.now() + timeout
        while true {
            let chunk = try connection.read(deadline: deadline)
            if chunk.isEmpty { break }
            response += chunk
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
        let payload = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return HTTPReply(status: status, body: payload)
    }

    func http(_ method: String, _ path: String, token: String?, body: [UInt8] = []) throws -> HTTPReply {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1"
        if let token { head += "\r\nAuthorization: Bearer \(token)" }
        return try rawHTTP(head, body: body)
    }
}

/// Polls `condition` until it holds or `timeout` seconds pass.
func hostileEventually(_ timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}
