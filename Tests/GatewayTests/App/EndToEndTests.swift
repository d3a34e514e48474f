import Foundation
import Synchronization
import Testing

@testable import Gateway
@testable import PatientIndex
@testable import SQLite

/// End to end with real sockets: an in-process gateway on ephemeral ports with a temporary database.
@Suite(.serialized) struct EndToEndTests {
    static let readerToken = "reader-token-\(UUID().uuidString)"
    static let feedToken = "feed-token-\(UUID().uuidString)"
    static let adminToken = "admin-token-\(UUID().uuidString)"

    final class Gateway {
        let directory: String
        let server: Server
        var mllpPort: Int { server.boundPorts.mllp[0] }
        var httpPort: Int { server.boundPorts.http ?? 0 }

        init(maxFrameBytes: Int = 16 << 20, inbox: Bool = false, tls: GatewayConfiguration.TLSSettings? = nil) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-e2e-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var configuration = GatewayConfiguration()
            configuration.database = directory + "/concord.sqlite"
            var listener = GatewayConfiguration.MLLPListenerSettings()
            listener.port = 0
            listener.maxFrameBytes = maxFrameBytes
            listener.tls = tls != nil
            configuration.mllp = [listener]
            var http = GatewayConfiguration.HTTPSettings()
            http.port = 0
            http.tls = tls != nil
            configuration.http = http
            configuration.tls = tls
            configuration.tokens = [
                .init(name: "portal", sha256: SHA256Digest.hex(Array(EndToEndTests.readerToken.utf8)), role: .reader),
                .init(name: "lab-feed", sha256: SHA256Digest.hex(Array(EndToEndTests.feedToken.utf8)), role: .feed),
                .init(name: "ops", sha256: SHA256Digest.hex(Array(EndToEndTests.adminToken.utf8)), role: .admin),
            ]
            if inbox {
                var settings = GatewayConfiguration.InboxSettings()
                settings.path = directory + "/inbox"
                settings.archive = directory + "/archive"
                settings.failed = directory + "/failed"
                settings.stableSeconds = 0.05
                settings.rescanSeconds = 0.1
                configuration.inbox = settings
            } else {
                configuration.inbox = nil
            }
            Log.level = .error
            server = try Server(configuration: configuration)
            try server.start()
        }

        func stop() { server.stop() }

        func messageCount() throws -> Int64 {
            let db = try Connection(path: directory + "/concord.sqlite", readOnly: true)
            return try db.row("SELECT count(*) FROM message_log")?.int(0) ?? -1
        }
    }

    static func adt(control: String, mrn: String = "RCH100200", family: String = "WHITFIELD", given: String = "THEODORE") -> [UInt8] {
        let segments = [
            "MSH|^~\\&|EPIC|Riverside Community Hospital^2.16.840.1.113883.3.1234^ISO|CONCORD|CONCORD|20260512083000-0500||ADT^A04^ADT_A01|\(control)|P|2.5.1",
            "EVN|A04|20260512083000-0500",
            "PID|1||\(mrn)^^^RCH&2.16.840.1.113883.3.1234&ISO^MR||\(family)^\(given)^J||19610704|M|||41 Birch Hollow Rd^^Springfield^IL^62704||^PRN^PH^^1^217^5550147",
            "PV1|1|O|CLINIC^^^RCH||||1234567893^HOUSE^GREGORY^^^^MD|||||||||||V20260512001",
        ]
        return Array(segments.joined(separator: "\r").utf8) + [0x0D]
    }

    static func field(_ ack: [UInt8], segment: String, _ n: Int) -> String? {
        let text = String(decoding: ack, as: UTF8.self)
        for line in text.split(whereSeparator: { $0 == "\r" || $0 == "\n" }) where line.hasPrefix(segment + "|") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            return n < fields.count ? String(fields[n]) : ""
        }
        return nil
    }

    @Test func mllpMessageIsAcknowledgedAfterCommitAndResendGetsTheSameACK() throws {
        let gateway = try Gateway()
        defer { gateway.stop() }
        let client = try MLLPClient(port: gateway.mllpPort)
        defer { client.close() }
        let ack = try client.exchange(Self.adt(control: "MSG-0001"))
        #expect(Self.field(ack, segment: "MSA", 1) == "AA")
        #expect(Self.field(ack, segment: "MSA", 2) == "MSG-0001")
        // The ACK came after the commit: the message is in the log, and the patient is in the index.
        #expect(try gateway.messageCount() == 1)
        let again = try client.exchange(Self.adt(control: "MSG-0001"))
        #expect(again == ack)
        #expect(try gateway.messageCount() == 1)
    }

    @Test func badMessagesGetPreciseNegativeACKsAndAreKept() throws {
        let gateway = try Gateway()
        defer { gateway.stop() }
        let client = try MLLPClient(port: gateway.mllpPort)
        defer { client.close() }
        // PID-3 missing: valid enough to acknowledge, not enough to map → AE with ERR 101 at PID-3.
        let noMRN = String(decoding: Self.adt(control: "MSG-BAD1"), as: UTF8.self).replacingOccurrences(of: "RCH100200^^^RCH&2.16.840.1.113883.3.1234&ISO^MR", with: "")
        let ae = try client.exchange(Array(noMRN.utf8))
        #expect(Self.field(ae, segment: "MSA", 1) == "AE")
        #expect(Self.field(ae, segment: "MSA", 2) == "MSG-BAD1")
        let err = String(decoding: ae, as: UTF8.self)
        #expect(err.contains("ERR|"))
        #expect(err.contains("101"))
        // Not HL7 at all → AR.
        let ar = try client.exchange(Array("hello, this is not HL7".utf8))
        #expect(Self.field(ar, segment: "MSA", 1) == "AR")
        // Both are kept in the message log with their errors.
        #expect(try gateway.messageCount() == 2)
        // The connection still serves good messages.
        let ok = try client.exchange(Self.adt(control: "MSG-GOOD"))
        #expect(Self.field(ok, segment: "MSA", 1) == "AA")
    }

    @Test func documentsOverMLLPGetAnACKThatSaysWhatBecameOfThem() throws {
        let gateway = try Gateway()
        defer { gateway.stop() }
        let client = try MLLPClient(port: gateway.mllpPort)
        defer { client.close() }
        func sample(_ path: String) throws -> [UInt8] {
            Array(try Data(contentsOf: URL(fileURLWithPath: SamplesTruthTests.samples + "/" + path)))
        }
        // A C-CDA document and a FHIR bundle are ingested: AA, and MSA-3 names the message log entry.
        let ccda = try client.exchange(try sample("lakeside-ccda/2026-06-09-ccd-raman.xml"))
        #expect(Self.field(ccda, segment: "MSA", 1) == "AA")
        #expect(Self.field(ccda, segment: "MSA", 3) == "ccda stored as message 1")
        #expect(Self.field(ccda, segment: "ERR", 0) == nil)
        let fhir = try client.exchange(try sample("summit-fhir/2026-08-18-bundle-brennan.json"))
        #expect(Self.field(fhir, segment: "MSA", 1) == "AA")
        #expect(Self.field(fhir, segment: "MSA", 3) == "fhir stored as message 2")
        // The same bytes again are a re-send: AA, nothing stored twice.
        let again = try client.exchange(try sample("lakeside-ccda/2026-06-09-ccd-raman.xml"))
        #expect(Self.field(again, segment: "MSA", 1) == "AA")
        #expect(Self.field(again, segment: "MSA", 3) == "ccda already stored as message 1")
        // A document that cannot be read as sent: AR, with the position of the error; kept in the log.
        let bad = try client.exchange(try sample("lakeside-ccda/bad-ccd-mismatched-tag.xml"))
        #expect(Self.field(bad, segment: "MSA", 1) == "AR")
        let text = try #require(Self.field(bad, segment: "MSA", 3))
        #expect(text.contains("(at ") && text.contains(":"), "MSA-3 names the line:column: \(text)")
        #expect(Self.field(bad, segment: "ERR", 3)?.hasPrefix("207^") == true)
        #expect(try gateway.messageCount() == 3)
        let db = try Connection(path: gateway.directory + "/concord.sqlite", readOnly: true)
        #expect(try db.row("SELECT count(*) FROM source_records")?.int(0) == 2)
    }

    /// A facility mapped to a client certificate is reserved for it: a TLS connection without that
    /// certificate claiming it in MSH-4 gets an AE at MSH-4, and its control id does not block the real
    /// facility's message (the refused one is logged as `unverified:<facility>`).
    @Test func aFacilityBoundToAClientCertificateCannotBeClaimedWithoutIt() throws {
        let certs = try NetTestCertificates.shared.get()
        var tls = GatewayConfiguration.TLSSettings(certificate: certs.serverCertificatePath, privateKey: certs.serverKeyPath)
        tls.clientCA = certs.caPath
        tls.requireClientCertificate = false
        tls.clientFacilities = [NetTestCertificates.clientCommonName: "Riverside Community Hospital"]
        let gateway = try Gateway(tls: tls)
        defer { gateway.stop() }

        let anonymous = try MLLPClient(port: gateway.mllpPort, tls: ClientTLSOptions(caPath: certs.caPath))
        defer { anonymous.close() }
        let spoofed = try anonymous.exchange(Self.adt(control: "BOUND-1", mrn: "RCH999001", family: "MALLORY", given: "EVE"))
        #expect(Self.field(spoofed, segment: "MSA", 1) == "AE")
        #expect(Self.field(spoofed, segment: "ERR", 2) == "MSH^1^4^1")

        // Without MSH-4 the mapper files the message under MSH-3: naming the bound facility there is refused too.
        let viaMSH3 = String(decoding: Self.adt(control: "BOUND-0", mrn: "RCH999002", family: "MALLORY", given: "EVE"), as: UTF8.self)
            .replacingOccurrences(of: "MSH|^~\\&|EPIC|Riverside Community Hospital^2.16.840.1.113883.3.1234^ISO|", with: "MSH|^~\\&|Riverside Community Hospital||")
        #expect(viaMSH3.hasPrefix("MSH|^~\\&|Riverside Community Hospital||"))
        #expect(Self.field(try anonymous.exchange(Array(viaMSH3.utf8)), segment: "MSA", 1) == "AE")

        let feed = try MLLPClient(port: gateway.mllpPort, tls: ClientTLSOptions(
            caPath: certs.caPath, certificatePath: certs.clientCertificatePath, privateKeyPath: certs.clientKeyPath))
        defer { feed.close() }
        let real = try feed.exchange(Self.adt(control: "BOUND-1"))
        #expect(Self.field(real, segment: "MSA", 1) == "AA", "the real message is ingested, not answered as a re-send of the spoof")
        // The certificate speaks for its own facility only.
        let other = String(decoding: Self.adt(control: "BOUND-2"), as: UTF8.self)
            .replacingOccurrences(of: "Riverside Community Hospital^2.16.840.1.113883.3.1234^ISO", with: "Lakeside Family Practice")
        #expect(Self.field(try feed.exchange(Array(other.utf8)), segment: "MSA", 1) == "AE")

        let db = try Connection(path: gateway.directory + "/concord.sqlite", readOnly: true)
        let rows = try db.rows("SELECT sender_facility, control_id, status FROM message_log ORDER BY id").map { [$0.string(0), $0.string(1), $0.string(2)] }
        #expect(rows == [["unverified:Riverside Community Hospital", "BOUND-1", "failed"], ["unverified:Riverside Community Hospital", "BOUND-0", "failed"],
                         ["Riverside Community Hospital", "BOUND-1", "ingested"], ["unverified:Lakeside Family Practice", "BOUND-2", "failed"]])
        #expect(try db.row("SELECT count(*) FROM source_records")?.int(0) == 1)
    }

    @Test func oversizedFramesAreRejectedAndOthersKeepBeingServed() throws {
        let gateway = try Gateway(maxFrameBytes: 4096)
        defer { gateway.stop() }
        let big = try MLLPClient(port: gateway.mllpPort)
        var huge = Self.adt(control: "MSG-HUGE")
        huge += Array(repeating: UInt8(ascii: "X"), count: 10_000)
        let nak = try big.exchange(huge)
        #expect(Self.field(nak, segment: "MSA", 1) == "AR")
        #expect(big.waitForClose(timeout: 5))
        big.close()
        let other = try MLLPClient(port: gateway.mllpPort)
        defer { other.close() }
        #expect(Self.field(try other.exchange(Self.adt(control: "MSG-SMALL")), segment: "MSA", 1) == "AA")
    }

    /// A sender that pipelines (sends without waiting for each ACK) gets its messages committed in the
    /// order it sent them, even when a small message is parsed long before the big one ahead of it.
    @Test func pipelinedMessagesAreCommittedInTheOrderTheyWereSent() throws {
        let gateway = try Gateway()
        defer { gateway.stop() }
        let client = try MLLPClient(port: gateway.mllpPort)
        defer { client.close() }
        var sent: [String] = []
        for round in 0..<2 {
            // A lab result with 500 observations, then a small demographics update for the same MRN.
            var oru = [
                "MSH|^~\\&|EPIC|Riverside Community Hospital^2.16.840.1.113883.3.1234^ISO|CONCORD|CONCORD|20260512090000-0500||ORU^R01^ORU_R01|BIG-\(round)|P|2.5.1",
                "PID|1||RCH100200^^^RCH&2.16.840.1.113883.3.1234&ISO^MR||WHITFIELD^THEODORE^J||19610704|M|||41 Birch Hollow Rd^^Springfield^IL^62704",
                "OBR|1|P\(round)|F\(round)|24323-8^Comprehensive metabolic panel^LN|||20260512083000-0500",
            ]
            for k in 1...500 { oru.append("OBX|\(k)|NM|2345-7^Glucose^LN|\(k)|\(90 + k % 40)|mg/dL|70-99|N|||F|||20260512083000-0500") }
            try client.send(Array(oru.joined(separator: "\r").utf8) + [0x0D])
            try client.send(Self.adt(control: "SMALL-\(round)"))
            sent += ["BIG-\(round)", "SMALL-\(round)"]
        }
        var acked: [String] = []
        for _ in sent {
            let ack = try client.receive(timeout: 60)
            #expect(Self.field(ack, segment: "MSA", 1) == "AA")
            acked.append(Self.field(ack, segment: "MSA", 2) ?? "")
        }
        #expect(acked == sent)
        // The message log's ids are given out by the one writer as it commits.
        let db = try Connection(path: gateway.directory + "/concord.sqlite", readOnly: true)
        #expect(try db.rows("SELECT control_id FROM message_log ORDER BY id").compactMap { $0.string(0) } == sent)
    }

    @Test func concurrentConnectionsAllGetTheirOwnACKsInOrder() throws {
        let gateway = try Gateway()
        defer { gateway.stop() }
        let group = DispatchGroup()
        let mismatches = Mutex(0)
        let port = gateway.mllpPort
        for c in 0..<8 {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let client = try? MLLPClient(port: port) else { mismatches.withLock { $0 += 100 }; return }
                defer { client.close() }
                for k in 0..<10 {
                    let control = "C\(c)-\(k)"
                    let ack = try? client.exchange(Self.adt(control: control, mrn: "RCH9\(c)\(k)", given: "PATIENT\(c)\(k)"))
                    if ack.flatMap({ Self.field($0, segment: "MSA", 2) }) != control { mismatches.withLock { $0 += 1 } }
                }
            }.start()
        }
        group.wait()
        #expect(mismatches.withLock { $0 } == 0)
        #expect(try gateway.messageCount() == 80)
    }

    /// A minimal HTTP/1.1 client over the project's blocking socket (one request per connection).
    static func http(_ method: String, _ port: Int, _ path: String, token: String?, body: [UInt8]? = nil) throws -> (status: Int, body: String) {
        let connection = try BlockingConnection(host: "127.0.0.1", port: port, timeout: 20)
        defer { connection.close() }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        head += "Content-Length: \(body?.count ?? 0)\r\n\r\n"
        try connection.write(Array(head.utf8) + (body ?? []))
        var response: [UInt8] = []
        let deadline = BlockingConnection.now() + 20
        while true {
            let chunk = try connection.read(deadline: deadline)
            if chunk.isEmpty { break }
            response += chunk
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
        let payload = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, payload)
    }

    @Test func httpNeedsTokensWithTheRightRoleAndAuditsReads() throws {
        let gateway = try Gateway()
        defer { gateway.stop() }
        let port = gateway.httpPort
        #expect(try Self.http("GET", port, "/health", token: nil).status == 200)
        #expect(try Self.http("GET", port, "/patients?name=whitfield", token: nil).status == 401)
        #expect(try Self.http("GET", port, "/patients?name=whitfield", token: "wrong").status == 401)
        #expect(try Self.http("GET", port, "/messages", token: Self.readerToken).status == 403)
        #expect(try Self.http("GET", port, "/nope", token: Self.readerToken).status == 404)
        // A feed posts a message; a reader finds the patient; the read is audited.
        let posted = try Self.http("POST", port, "/messages", token: Self.feedToken, body: Self.adt(control: "HTTP-1"))
        #expect(posted.status == 201)
        #expect(posted.body.contains("\"status\" : \"ingested\""))
        let found = try Self.http("GET", port, "/patients?name=whitfield", token: Self.readerToken)
        #expect(found.status == 200)
        #expect(found.body.contains("THEODORE"))
        let audit = try Self.http("GET", port, "/audit", token: Self.adminToken)
        #expect(audit.status == 200)
        #expect(audit.body.contains("patients.search"))
        #expect(audit.body.contains("portal"))
        // SQL metacharacters are just data.
        let sneaky = try Self.http("GET", port, "/patients?name=%27%3B%20DROP%20TABLE%20message_log%3B--", token: Self.readerToken)
        #expect(sneaky.status == 200)
        #expect(try gateway.messageCount() == 1)
        let metrics = try Self.http("GET", port, "/metrics", token: Self.readerToken)
        #expect(metrics.body.contains("concord_enterprise_patients 1"))
        // Metrics hold no patient data: any valid token may scrape them (a feed's), none is still refused.
        #expect(try Self.http("GET", port, "/metrics", token: Self.feedToken).status == 200)
        #expect(try Self.http("GET", port, "/metrics", token: nil).status == 401)
        #expect(try Self.http("GET", port, "/patients?name=whitfield", token: Self.feedToken).status == 403)
    }

    @Test func inboxFilesAreIngestedOnceAndArchived() throws {
        let gateway = try Gateway(inbox: true)
        defer { gateway.stop() }
        let inbox = gateway.directory + "/inbox"
        _ = FileManager.default.createFile(atPath: inbox + "/adt.tmp", contents: Data(Self.adt(control: "FILE-1")))
        try FileManager.default.moveItem(atPath: inbox + "/adt.tmp", toPath: inbox + "/adt.hl7")
        _ = FileManager.default.createFile(atPath: inbox + "/junk.hl7", contents: Data("not a message".utf8))
        let deadline = Date().addingTimeInterval(15)
        func archived() -> [String] { (FileManager.default.enumerator(atPath: gateway.directory + "/archive")?.allObjects as? [String]) ?? [] }
        func failed() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: gateway.directory + "/failed")) ?? [] }
        // The error file is written atomically (a temporary name, then a rename): wait for its final name.
        while (!archived().contains(where: { $0.hasSuffix("adt.hl7") }) || !Set(failed()).isSuperset(of: ["junk.hl7", "junk.hl7.error.txt"]))
            && Date() < deadline { usleep(20_000) }
        #expect(archived().contains(where: { $0.hasSuffix("adt.hl7") }))
        #expect(failed().sorted() == ["junk.hl7", "junk.hl7.error.txt"])
        #expect(try gateway.messageCount() == 2)
    }

    /// The database refuses writes (as a full disk does) while a file arrives: the file waits in
    /// `.claimed/` instead of going to `failed/`, and is ingested once the database takes writes again.
    @Test func aFileDroppedWhileTheStoreFailsIsIngestedOnceItRecovers() throws {
        let gateway = try Gateway(inbox: true)
        defer { gateway.stop() }
        try gateway.server.writer.perform { store in
            try store.db.execute("CREATE TEMP TRIGGER refuse_log BEFORE INSERT ON message_log BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
        }
        let inbox = gateway.directory + "/inbox"
        _ = FileManager.default.createFile(atPath: inbox + "/adt.tmp", contents: Data(Self.adt(control: "FULL-1")))
        try FileManager.default.moveItem(atPath: inbox + "/adt.tmp", toPath: inbox + "/adt.hl7")
        func claimed() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: inbox + "/.claimed")) ?? []).filter { !$0.hasPrefix(".") } }
        func archived() -> [String] { (FileManager.default.enumerator(atPath: gateway.directory + "/archive")?.allObjects as? [String]) ?? [] }
        func failed() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: gateway.directory + "/failed")) ?? [] }
        var deadline = Date().addingTimeInterval(15)
        while claimed() != ["adt.hl7"] && Date() < deadline { usleep(20_000) }
        // Several attempts fail meanwhile; the file stays where it is.
        usleep(600_000)
        #expect(claimed() == ["adt.hl7"])
        #expect(failed().isEmpty)
        #expect(try gateway.messageCount() == 0)

        try gateway.server.writer.perform { store in try store.db.execute("DROP TRIGGER temp.refuse_log") }
        deadline = Date().addingTimeInterval(15)
        while !archived().contains(where: { $0.hasSuffix("adt.hl7") }) && Date() < deadline { usleep(20_000) }
        #expect(archived().contains(where: { $0.hasSuffix("adt.hl7") }))
        #expect(claimed().isEmpty)
        #expect(failed().isEmpty)
        #expect(try gateway.messageCount() == 1)
    }

    @Test func aClaimedFileWhoseCommitHappenedIsNotIngestedTwiceAfterACrash() throws {
        // First life: the file's message is committed (as if the process died before archiving it).
        let gateway = try Gateway(inbox: true)
        let client = try MLLPClient(port: gateway.mllpPort)
        _ = try client.exchange(Self.adt(control: "CRASH-1"))
        client.close()
        gateway.stop()
        // The same bytes sit in .claimed, as a crashed inbox would leave them.
        try FileManager.default.createDirectory(atPath: gateway.directory + "/inbox/.claimed", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: gateway.directory + "/inbox/.claimed/adt.hl7", contents: Data(Self.adt(control: "CRASH-1")))
        // Second life on the same database and folders.
        var configuration = gateway.server.configuration
        configuration.mllp = []
        configuration.http = nil
        let second = try Server(configuration: configuration)
        try second.start()
        let deadline = Date().addingTimeInterval(15)
        while FileManager.default.fileExists(atPath: gateway.directory + "/inbox/.claimed/adt.hl7") && Date() < deadline { usleep(20_000) }
        second.stop()
        #expect(!FileManager.default.fileExists(atPath: gateway.directory + "/inbox/.claimed/adt.hl7"))
        #expect(try gateway.messageCount() == 1)
        let db = try Connection(path: gateway.directory + "/concord.sqlite", readOnly: true)
        #expect(try db.integrityCheck() == ["ok"])
    }
}
