import Foundation
import Testing

@testable import Gateway
import HL7v2

/// Hostile clients of the HTTP API: slow, unauthenticated, injecting, or posting poisoned documents.
@Suite(.serialized) struct HostileHTTPTests {
    @Test func slowHTTPClientIsClosedAtTheTimeoutWhileOthersAreServed() throws {
        var limits = HostileGateway.Limits()
        limits.httpTimeoutSeconds = 1
        let gateway = try HostileGateway(limits)
        defer { gateway.stop() }
        // Headers that never end.
        let slow = try BlockingConnection(host: "127.0.0.1", port: gateway.httpPort, timeout: 10)
        defer { slow.close() }
        try slow.write(Array("GET /patients?name=okafor HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".utf8))
        #expect(try gateway.http("GET", "/health", token: nil).status == 200)
        let started = Date()
        var closed = false
        while Date().timeIntervalSince(started) < 6 {
            guard let chunk = try? slow.read(deadline: BlockingConnection.now() + 1) else { continue }
            if chunk.isEmpty { closed = true; break }
        }
        #expect(closed)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try gateway.http("GET", "/health", token: nil).status == 200)
    }

    @Test func missingMalformedAndWrongTokensAreRefused() throws {
        let gateway = try HostileGateway()
        defer { gateway.stop() }
        let path = "/patients?name=okafor"
        #expect(try gateway.rawHTTP("GET \(path) HTTP/1.1\r\nHost: x").status == 401)
        #expect(try gateway.rawHTTP("GET \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer").status == 401)
        #expect(try gateway.rawHTTP("GET \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ").status == 401)
        #expect(try gateway.rawHTTP("GET \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \(Data("ops:\(HostileGateway.adminToken)".utf8).base64EncodedString())").status == 401)
        #expect(try gateway.rawHTTP("GET \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: bearer \(HostileGateway.readerToken.uppercased())").status == 401)
        #expect(try gateway.rawHTTP("GET \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(HostileGateway.readerToken)x").status == 401)
        #expect(try gateway.rawHTTP("GET \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(String(HostileGateway.readerToken.dropLast()))").status == 401)
        #expect(try gateway.rawHTTP("GET \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ' OR '1'='1").status == 401)
        #expect(try gateway.rawHTTP("GET \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(String(repeating: "A", count: 32_000))").status == 401)
        // Headers over the 64 KiB limit are refused by the HTTP parser itself.
        #expect(try gateway.rawHTTP("GET \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(String(repeating: "A", count: 100_000))").status == 400)
        // Right token, wrong role.
        #expect(try gateway.http("GET", "/messages", token: HostileGateway.readerToken).status == 403)
        #expect(try gateway.http("POST", "/messages", token: HostileGateway.readerToken, body: HostileGateway.adt("ROLE-1")).status == 403)
        #expect(try gateway.http("GET", path, token: HostileGateway.feedToken).status == 403)
        // Nothing was ingested by the refused post; the right token works.
        #expect(try gateway.messageCount() == 0)
        #expect(try gateway.http("GET", path, token: HostileGateway.readerToken).status == 200)
        #expect(try gateway.http("POST", "/messages", token: HostileGateway.feedToken, body: HostileGateway.adt("ROLE-2")).status == 201)
        #expect(try gateway.messageCount() == 1)
    }

    @Test func sqlMetacharactersInEveryQueryParameterAreJustData() throws {
        let gateway = try HostileGateway()
        defer { gateway.stop() }
        #expect(try gateway.http("POST", "/messages", token: HostileGateway.feedToken, body: HostileGateway.adt("SQL-1")).status == 201)
        let search = try gateway.http("GET", "/patients?name=okafor", token: HostileGateway.readerToken)
        guard let range = search.body.range(of: #""id" : ""#), let end = search.body[range.upperBound...].firstIndex(of: "\"") else {
            Issue.record("no enterprise id in \(search.body)")
            return
        }
        let id = String(search.body[range.upperBound..<end])
        let tablesBefore = try gateway.count("SELECT count(*) FROM sqlite_master")
        let payloads = ["'%20OR%20'1'%3D'1", "%27%3B%20DROP%20TABLE%20message_log%3B--", "%22%29%20UNION%20SELECT%20raw%20FROM%20message_log--",
                        "%25", "_", "%5C", "1%3B%20DELETE%20FROM%20links"]
        // (path with {P} for the payload, expected status)
        let cases: [(String, Int)] = [
            ("/patients?name={P}", 200), ("/patients?birthDate={P}", 400), ("/patients?identifier={P}", 200),
            ("/patients?name=okafor&limit={P}", 200),
            ("/patients/{P}", 404), ("/patients/{P}/record", 404), ("/patients/{P}/history", 200),
            ("/patients/\(id)/record?kind={P}", 400), ("/patients/\(id)/record?from={P}", 400), ("/patients/\(id)/record?to={P}", 400),
            ("/duplicate-tests?status={P}", 200), ("/review?status={P}", 400),
            ("/messages?status={P}", 400), ("/messages?limit={P}", 200), ("/audit?limit={P}", 200),
            ("/fhir/Patient?name={P}", 200), ("/fhir/Patient?birthdate={P}", 400), ("/fhir/Patient?identifier={P}", 200),
            ("/fhir/Patient?name=okafor&_count={P}", 200), ("/fhir/Patient/{P}", 404),
        ]
        var mismatches: [String] = []
        for payload in payloads {
            for (template, expected) in cases {
                let token = template.hasPrefix("/messages") || template.hasPrefix("/audit") || template.hasPrefix("/review") ? HostileGateway.adminToken : HostileGateway.readerToken
                let path = template.replacingOccurrences(of: "{P}", with: payload)
                let reply = try gateway.http("GET", path, token: token)
                if reply.status != expected { mismatches.append("\(path) → \(reply.status) (expected \(expected)): \(reply.body.prefix(120))") }
            }
        }
        #expect(mismatches == [])
        // Nothing dropped, deleted or leaked: the same tables, the one message, the one patient and link.
        #expect(try gateway.count("SELECT count(*) FROM sqlite_master") == tablesBefore)
        #expect(try gateway.messageCount() == 1)
        #expect(try gateway.count("SELECT count(*) FROM enterprise_patients") == 1)
        #expect(try gateway.count("SELECT count(*) FROM links") == 1)
        #expect(try gateway.integrity() == ["ok"])
    }

    static let xxe = """
        <?xml version="1.0"?>
        <!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
        <ClinicalDocument xmlns="urn:hl7-org:v3"><title>&xxe;</title></ClinicalDocument>
        """

    static let billionLaughs: String = {
        var entities = "<!ENTITY lol0 \"lollollollollollollollollol\">"
        for level in 1...9 { entities += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level - 1);", count: 10) + "\">" }
        return "<?xml version=\"1.0\"?><!DOCTYPE ClinicalDocument [\(entities)]><ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>&lol9;</title></ClinicalDocument>"
    }()

    static let deepXML: String = "<?xml version=\"1.0\"?><ClinicalDocument xmlns=\"urn:hl7-org:v3\">"
        + String(repeating: "<component>", count: 20_000) + String(repeating: "</component>", count: 20_000) + "</ClinicalDocument>"

    static let deepJSON: String = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":" + String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000) + "}"

    @Test func poisonedDocumentsPostedOverHTTPAreRejectedAndKept() throws {
        let gateway = try HostileGateway()
        defer { gateway.stop() }
        let cases: [(String, [UInt8])] = [
            ("xxe", Array(Self.xxe.utf8)),
            ("billion laughs", Array(Self.billionLaughs.utf8)),
            ("deep XML", Array(Self.deepXML.utf8)),
            ("deep JSON", Array(Self.deepJSON.utf8)),
            ("invalid UTF-8 JSON", Array("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"".utf8) + [0xC3, 0x28, 0xFF] + Array("\"}]}".utf8)),
            ("NUL in JSON", Array("{\"resourceType\":\"Patient\",\"id\":\"a\u{0}b\"".utf8)),
        ]
        for (name, body) in cases {
            let started = Date()
            let reply = try gateway.http("POST", "/messages", token: HostileGateway.feedToken, body: body)
            #expect(reply.status == 422, "\(name): \(reply.status) \(reply.body.prefix(200))")
            #expect(reply.body.contains("\"status\" : \"failed\""), "\(name): \(reply.body.prefix(200))")
            #expect(!reply.body.contains("root:"), "\(name) leaked a local file")
            #expect(Date().timeIntervalSince(started) < 5, "\(name) took too long")
        }
        // A body over the limit is refused before it is read in full.
        let huge = [UInt8](repeating: UInt8(ascii: " "), count: 2 << 20)
        #expect(try gateway.http("POST", "/messages", token: HostileGateway.feedToken, body: huge).status == 413)
        // Each rejected document is in the message log as failed, with its error; nothing was ingested.
        #expect(try gateway.count("SELECT count(*) FROM message_log WHERE status = 'failed' AND error IS NOT NULL") == Int64(cases.count))
        #expect(try gateway.count("SELECT count(*) FROM source_records") == 0)
        // And the gateway still ingests a proper message.
        #expect(try gateway.http("POST", "/messages", token: HostileGateway.feedToken, body: HostileGateway.adt("AFTER-POISON")).status == 201)
        #expect(try gateway.count("SELECT count(*) FROM source_records") == 1)
        #expect(try gateway.integrity() == ["ok"])
    }
}
