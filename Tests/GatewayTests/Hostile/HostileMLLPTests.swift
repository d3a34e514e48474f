import Foundation
import Synchronization
import Testing

@testable import Gateway
import HL7v2

/// Hostile senders on MLLP: each is answered or cut off, and a well-behaved sender is served meanwhile.
@Suite(.serialized) struct HostileMLLPTests {
    @Test func stalledSenderIsClosedAtTheIdleTimeoutWhileOthersAreServed() throws {
        var limits = HostileGateway.Limits()
        limits.idleTimeoutSeconds = 1
        let gateway = try HostileGateway(limits)
        defer { gateway.stop() }
        // Half a frame, then silence.
        let slow = try MLLPClient(port: gateway.mllpPort)
        defer { slow.close() }
        try slow.sendRaw([0x0B] + Array("MSH|^~\\&|SLOW|SLOWLORIS|CONCORD|CONCORD|2026".utf8))
        #expect(try gateway.probeMLLP("IDLE-OTHER") == "AA")
        let started = Date()
        #expect(slow.waitForClose(timeout: 5))
        #expect(Date().timeIntervalSince(started) < 4)
        // The half frame was never a message: only the other sender's message is stored.
        #expect(try gateway.messageCount() == 1)
    }

    @Test func tricklingSenderDoesNotDelayOthersAndIsStillAcknowledged() throws {
        var limits = HostileGateway.Limits()
        // A frame must be complete within one idle timeout of its first byte: leave room for ~2 s of trickle.
        limits.idleTimeoutSeconds = 8
        let gateway = try HostileGateway(limits)
        defer { gateway.stop() }
        let slow = try MLLPClient(port: gateway.mllpPort)
        defer { slow.close() }
        let framed = MLLP.frame(HostileGateway.adt("TRICKLE-1", mrn: "RCH-TRICKLE"))
        let served = Mutex(0)
        let port = gateway.mllpPort
        let other = Thread {
            guard let client = try? MLLPClient(port: port) else { return }
            defer { client.close() }
            for k in 0..<20 {
                let ack = try? client.exchange(HostileGateway.adt("FAST-\(k)", mrn: "RCH-FAST\(k)"))
                if ack.flatMap({ HostileGateway.ackField($0, "MSA", 1) }) == "AA" { served.withLock { $0 += 1 } }
            }
        }
        other.start()
        // One byte every 5 ms (each well inside the idle timeout): about 2 s for the whole frame.
        for byte in framed {
            try slow.sendRaw([byte])
            usleep(5_000)
        }
        let ack = try slow.receive(timeout: 10)
        #expect(HostileGateway.ackField(ack, "MSA", 1) == "AA")
        #expect(HostileGateway.ackField(ack, "MSA", 2) == "TRICKLE-1")
        #expect(hostileEventually(10) { served.withLock { $0 } == 20 })
        #expect(try gateway.messageCount() == 21)
    }

    @Test func fiveHundredIdleConnectionsDoNotStopService() throws {
        let gateway = try HostileGateway()
        defer { gateway.stop() }
        var idle: [BlockingConnection] = []
        for _ in 0..<500 { idle.append(try BlockingConnection(host: "127.0.0.1", port: gateway.mllpPort, timeout: 10)) }
        for _ in 0..<100 { idle.append(try BlockingConnection(host: "127.0.0.1", port: gateway.httpPort, timeout: 10)) }
        defer { for c in idle { c.close() } }
        for k in 0..<10 { #expect(try gateway.probeMLLP("BUSY-\(k)") == "AA") }
        #expect(try gateway.http("GET", "/health", token: nil).status == 200)
        let search = try gateway.http("GET", "/patients?name=okafor", token: HostileGateway.readerToken)
        #expect(search.status == 200)
        #expect(search.body.contains("AMARA"))
        #expect(try gateway.messageCount() == 10)
    }

    @Test func connectionsOverTheLimitAreRefusedAndServiceResumes() throws {
        var limits = HostileGateway.Limits()
        limits.maxConnections = 20
        let gateway = try HostileGateway(limits)
        defer { gateway.stop() }
        var held: [MLLPClient] = []
        for _ in 0..<20 { held.append(try MLLPClient(port: gateway.mllpPort)) }
        // Make sure all 20 are accepted before the 21st arrives.
        #expect(HostileGateway.ackField(try held[0].exchange(HostileGateway.adt("LIMIT-0", mrn: "RCH-L0")), "MSA", 1) == "AA")
        let extra = try MLLPClient(port: gateway.mllpPort)
        #expect(extra.waitForClose(timeout: 5))
        extra.close()
        for client in held { client.close() }
        #expect(hostileEventually(5) { (try? gateway.probeMLLP("LIMIT-AFTER")) == "AA" })
        #expect(try gateway.messageCount() == 2)
    }

    @Test func neverEndingFrameIsRejectedAtTheLimitAndTheConnectionClosed() throws {
        var limits = HostileGateway.Limits()
        limits.maxFrameBytes = 64 << 10
        let gateway = try HostileGateway(limits)
        defer { gateway.stop() }
        let endless = try MLLPClient(port: gateway.mllpPort)
        defer { endless.close() }
        try endless.sendRaw([0x0B] + Array("MSH|^~\\&|FLOOD|FLOOD|CONCORD|CONCORD|20260915||ADT^A04|FLOOD-1|P|2.5.1\rNTE|1||".utf8))
        let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 16 << 10)
        var sent = 0
        var reply: [UInt8]?
        // Keep sending past the limit; the server answers AR and closes (a write may then fail).
        while sent < 1 << 20 {
            do { try endless.sendRaw(chunk) } catch { break }
            sent += chunk.count
        }
        reply = try? endless.receive(timeout: 10)
        #expect(reply.flatMap { HostileGateway.ackField($0, "MSA", 1) } == "AR")
        #expect(reply.map { String(decoding: $0, as: UTF8.self).contains("frame limit") } == true)
        #expect(endless.waitForClose(timeout: 5))
        #expect(try gateway.probeMLLP("FLOOD-OTHER") == "AA")
        #expect(try gateway.messageCount() == 1)
    }

    @Test func bytesOutsideFramesAreDiscardedAndTheNextFrameIsServed() throws {
        let gateway = try HostileGateway()
        defer { gateway.stop() }
        let client = try MLLPClient(port: gateway.mllpPort)
        defer { client.close() }
        // A megabyte of noise with no start block, then a proper frame on the same connection.
        try client.sendRaw([UInt8](repeating: 0x41, count: 1 << 20))
        let ack = try client.exchange(HostileGateway.adt("AFTER-NOISE", mrn: "RCH-NOISE"), timeout: 15)
        #expect(HostileGateway.ackField(ack, "MSA", 1) == "AA")
        #expect(HostileGateway.ackField(ack, "MSA", 2) == "AFTER-NOISE")
        #expect(try gateway.messageCount() == 1)
    }

    @Test func nulBytesAndInvalidUTF8AreAnsweredAndKept() throws {
        let gateway = try HostileGateway()
        defer { gateway.stop() }
        let client = try MLLPClient(port: gateway.mllpPort)
        defer { client.close() }
        // NUL inside the family name.
        var nul = HostileGateway.adt("NUL-1", mrn: "RCH-NUL", family: "OKA\u{0}FOR")
        let nulAck = try client.exchange(nul)
        #expect(HostileGateway.ackField(nulAck, "MSA", 2) == "NUL-1")
        #expect(HostileGateway.ackField(nulAck, "MSA", 1) == "AA")
        // Bytes that are not UTF-8 (a lone 0xFF, a truncated sequence) in the name.
        var bad = HostileGateway.adt("BADUTF-1", mrn: "RCH-BADUTF", family: "MUELLERX")
        if let x = bad.firstIndex(of: UInt8(ascii: "X")) { bad.replaceSubrange(x...x, with: [0xFF, 0xC3]) }
        let badAck = try client.exchange(bad)
        #expect(HostileGateway.ackField(badAck, "MSA", 2) == "BADUTF-1")
        #expect(HostileGateway.ackField(badAck, "MSA", 1) == "AA")
        // A frame that is nothing but NULs.
        let zeros = try client.exchange([UInt8](repeating: 0, count: 256))
        #expect(HostileGateway.ackField(zeros, "MSA", 1) == "AR")
        // Every one of them is in the message log, byte for byte; the connection still serves.
        #expect(try gateway.messageCount() == 3)
        nul = HostileGateway.adt("NUL-OK", mrn: "RCH-NULOK")
        #expect(HostileGateway.ackField(try client.exchange(nul), "MSA", 1) == "AA")
        #expect(try gateway.count("SELECT count(*) FROM message_log WHERE instr(raw, x'00') > 0") == 2)
        #expect(try gateway.count("SELECT count(*) FROM message_log WHERE instr(raw, x'ffc3') > 0") == 1)
        // Reads of those patients still produce valid JSON.
        for mrn in ["RCH-NUL", "RCH-BADUTF"] {
            let reply = try gateway.http("GET", "/patients?identifier=\(mrn)", token: HostileGateway.readerToken)
            #expect(reply.status == 200)
            let decoded = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [Any]
            #expect(decoded?.count == 1)
        }
        #expect(try gateway.integrity() == ["ok"])
    }
}
