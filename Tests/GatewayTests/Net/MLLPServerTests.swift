import Foundation
import Gateway
import HL7v2
import Testing

@Suite struct MLLPServerTests {
    private let worker = DispatchQueue(label: "mllp-test-worker", attributes: .concurrent)

    /// A server whose handler acknowledges each ADT from a worker thread after `delay` seconds.
    private func echoServer(loop: EventLoop, delay: Double = 0, idleTimeout: Double = 30, maxFrameBytes: Int = MLLP.defaultMaxFrameBytes,
                            maxConnections: Int = 10_000, onEvent: MLLPServer.EventHandler? = nil) throws -> MLLPServer {
        let worker = self.worker
        let server = MLLPServer(host: "127.0.0.1", port: 0, tls: nil, maxFrameBytes: maxFrameBytes, idleTimeout: idleTimeout,
                                maxConnections: maxConnections, loop: loop, onEvent: onEvent) { frame, _, reply in
            let control = NetSamples.controlID(frame)
            worker.asyncAfter(deadline: .now() + delay) { reply.send(NetSamples.ack(control)) }
        }
        try server.start()
        return server
    }

    @Test func replyFromAnotherThreadAfterADelayReachesTheSender() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let server = try echoServer(loop: loop, delay: 0.02)
        defer { server.stop() }
        #expect(server.boundPort > 0)
        let client = try MLLPClient(port: server.boundPort)
        #expect(try client.exchange(NetSamples.adt("MSG00001")) == NetSamples.ack("MSG00001"))
        #expect(try client.exchange(NetSamples.adt("MSG00002")) == NetSamples.ack("MSG00002"))
        #expect(netEventually { server.statistics.repliesSent == 2 })
        #expect(server.statistics.framesReceived == 2)
    }

    @Test func repliesCompletedOutOfOrderAreWrittenInFrameOrder() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let held = NetRecorder([(String, MLLPReply)]())
        let server = MLLPServer(port: 0, loop: loop) { frame, _, reply in
            held.update { $0.append((NetSamples.controlID(frame), reply)) }
        }
        try server.start()
        defer { server.stop() }
        let client = try MLLPClient(port: server.boundPort)
        let controls = (1...6).map { "ORD\($0)" }
        try client.sendRaw(controls.flatMap { MLLP.frame(NetSamples.adt($0)) })
        #expect(netEventually { held.value.count == 6 })
        // Complete them last-first, from another thread.
        let replies = held.value
        let done = DispatchSemaphore(value: 0)
        Thread {
            for (control, reply) in replies.reversed() { reply.send(NetSamples.ack(control)) }
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + 10) == .success)
        for control in controls {
            #expect(try client.receive() == NetSamples.ack(control))
        }
    }

    @Test func fiftyConcurrentConnectionsEachGetTheirOwnAcknowledgements() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let server = try echoServer(loop: loop)
        defer { server.stop() }
        let clients = try (0..<50).map { _ in try MLLPClient(port: server.boundPort) }
        #expect(netEventually { server.statistics.openConnections == 50 })
        for round in 0..<3 {
            for (index, client) in clients.enumerated() { try client.send(NetSamples.adt("C\(index)R\(round)")) }
            for (index, client) in clients.enumerated() {
                #expect(try client.receive() == NetSamples.ack("C\(index)R\(round)"))
            }
        }
        #expect(server.statistics.framesReceived == 150)
        #expect(server.statistics.acceptedConnections == 50)
        for client in clients { client.close() }
        #expect(netEventually { server.statistics.openConnections == 0 })
    }

    @Test func oversizedFrameGetsTheApplicationsNakThenTheConnectionCloses() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let events = NetRecorder([String]())
        let nak = Array("MSH|^~\\&|CONCORD|HIE|||20240311||ACK|NAK1|P|2.5.1\rMSA|AR|\r".utf8)
        let server = try echoServer(loop: loop, maxFrameBytes: 1024) { event in
            switch event {
            case .oversized(_, let limit, let reply):
                events.update { $0.append("oversized \(limit)") }
                reply.send(nak)
            case .closed(_, let reason):
                events.update { $0.append("closed \(reason)") }
            default:
                break
            }
        }
        defer { server.stop() }
        let client = try MLLPClient(port: server.boundPort)
        #expect(try client.exchange(NetSamples.adt("SMALL1")) == NetSamples.ack("SMALL1"))
        try client.send(NetSamples.adt("BIG1") + [UInt8](repeating: UInt8(ascii: "X"), count: 4096))
        #expect(try client.receive() == nak)
        #expect(client.waitForClose())
        #expect(netEventually { events.value.count == 2 })
        #expect(events.value == ["oversized 1024", "closed oversizedFrame"])
        #expect(server.statistics.oversizedFrames == 1)
        #expect(server.statistics.framesReceived == 1)
    }

    @Test func bytesOutsideFramesAreDiscardedAndCounted() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let discarded = NetRecorder([Int]())
        let server = try echoServer(loop: loop) { event in
            if case .discarded(_, let count) = event { discarded.update { $0.append(count) } }
        }
        defer { server.stop() }
        let client = try MLLPClient(port: server.boundPort)
        try client.sendRaw(Array("GET / HTTP/1.0\r\n".utf8) + MLLP.frame(NetSamples.adt("AFTERJUNK")))
        #expect(try client.receive() == NetSamples.ack("AFTERJUNK"))
        #expect(discarded.value == [16])
        #expect(server.statistics.discardedBytes == 16)
    }

    @Test func idleConnectionIsClosedAfterTheTimeout() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let reasons = NetRecorder([MLLPCloseReason]())
        let server = try echoServer(loop: loop, idleTimeout: 0.2) { event in
            if case .closed(_, let reason) = event { reasons.update { $0.append(reason) } }
        }
        defer { server.stop() }
        let client = try MLLPClient(port: server.boundPort)
        #expect(try client.exchange(NetSamples.adt("BEFOREIDLE")) == NetSamples.ack("BEFOREIDLE"))
        #expect(client.waitForClose(timeout: 10))
        #expect(netEventually { reasons.value == [.idleTimeout] })
        #expect(server.statistics.idleTimeouts == 1)
    }

    @Test func senderTricklingAFrameIsClosedAfterOneIdleTimeout() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let reasons = NetRecorder([MLLPCloseReason]())
        let server = try echoServer(loop: loop, idleTimeout: 0.5) { event in
            if case .closed(_, let reason) = event { reasons.update { $0.append(reason) } }
        }
        defer { server.stop() }
        let client = try MLLPClient(port: server.boundPort)
        // One byte every 0.1 s: the idle timer never fires, but the frame takes too long.
        let bytes = [MLLP.startBlock] + Array("MSH|^~\\&|SLOW|LORIS|||20260101||ADT^A01|1|P|2.5.1".utf8)
        var closedEarly = false
        for byte in bytes {
            do { try client.sendRaw([byte]) } catch { closedEarly = true; break }
            usleep(100_000)
            if !reasons.value.isEmpty { closedEarly = true; break }
        }
        #expect(closedEarly)
        #expect(netEventually { reasons.value == [.frameTimeout] })
    }

    @Test func connectionWaitingForAReplyIsNotIdle() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        // The application takes longer than the idle timeout; the reply must still arrive.
        let server = try echoServer(loop: loop, delay: 0.6, idleTimeout: 0.2)
        defer { server.stop() }
        let client = try MLLPClient(port: server.boundPort)
        #expect(try client.exchange(NetSamples.adt("SLOWACK")) == NetSamples.ack("SLOWACK"))
    }

    @Test func readingPausesWhilePendingRepliesReachTheLimit() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let held = NetRecorder((replies: [(String, MLLPReply)](), most: 0))
        let server = MLLPServer(port: 0, maxPendingReplies: 2, loop: loop) { frame, _, reply in
            held.update {
                $0.replies.append((NetSamples.controlID(frame), reply))
                $0.most = max($0.most, $0.replies.count)
            }
        }
        try server.start()
        defer { server.stop() }
        let client = try MLLPClient(port: server.boundPort)
        try client.sendRaw((1...5).flatMap { MLLP.frame(NetSamples.adt("BP\($0)")) })
        for index in 1...5 {
            #expect(netEventually { !held.value.replies.isEmpty })
            let next = held.update { $0.replies.removeFirst() }
            #expect(next.0 == "BP\(index)")
            next.1.send(NetSamples.ack(next.0))
            #expect(try client.receive() == NetSamples.ack("BP\(index)"))
        }
        #expect(held.value.most == 2)
    }

    @Test func replyCloseClosesTheConnectionAfterEarlierReplies() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let server = MLLPServer(port: 0, loop: loop) { frame, _, reply in
            let control = NetSamples.controlID(frame)
            if control == "CLOSEME" { reply.close() } else { reply.send(NetSamples.ack(control)) }
        }
        try server.start()
        defer { server.stop() }
        let client = try MLLPClient(port: server.boundPort)
        try client.sendRaw(MLLP.frame(NetSamples.adt("FIRST")) + MLLP.frame(NetSamples.adt("CLOSEME")) + MLLP.frame(NetSamples.adt("NEVER")))
        #expect(try client.receive() == NetSamples.ack("FIRST"))
        #expect(client.waitForClose())
        #expect(server.statistics.repliesSent == 1)
    }

    @Test func connectionsOverTheLimitAreRefused() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let server = try echoServer(loop: loop, maxConnections: 2)
        defer { server.stop() }
        let first = try MLLPClient(port: server.boundPort)
        let second = try MLLPClient(port: server.boundPort)
        #expect(netEventually { server.statistics.openConnections == 2 })
        let third = try MLLPClient(port: server.boundPort)
        #expect(third.waitForClose())
        #expect(netEventually { server.statistics.rejectedConnections == 1 })
        #expect(try first.exchange(NetSamples.adt("LIMIT1")) == NetSamples.ack("LIMIT1"))
        #expect(try second.exchange(NetSamples.adt("LIMIT2")) == NetSamples.ack("LIMIT2"))
    }

    @Test func connectionInfoCarriesIdAndPeer() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let seen = NetRecorder([MLLPConnectionInfo]())
        let server = MLLPServer(port: 0, loop: loop) { frame, connection, reply in
            seen.update { $0.append(connection) }
            reply.send(NetSamples.ack(NetSamples.controlID(frame)))
        }
        try server.start()
        defer { server.stop() }
        let client = try MLLPClient(port: server.boundPort)
        _ = try client.exchange(NetSamples.adt("INFO1"))
        let info = try #require(seen.value.first)
        #expect(info.id == 1)
        #expect(info.peer.hasPrefix("127.0.0.1:"))
        #expect(info.clientCertificate == nil)
    }

    @Test func replyAfterTheServerStoppedIsIgnored() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let held = NetRecorder([MLLPReply]())
        let server = MLLPServer(port: 0, loop: loop) { _, _, reply in held.update { $0.append(reply) } }
        try server.start()
        let client = try MLLPClient(port: server.boundPort)
        try client.send(NetSamples.adt("LATE1"))
        #expect(netEventually { held.value.count == 1 })
        server.stop()
        #expect(client.waitForClose())
        held.value.first?.send(NetSamples.ack("LATE1"))
        // The loop is still healthy: a round trip through it completes.
        #expect(loop.sync { loop.inLoop })
        #expect(server.statistics.repliesSent == 0)
        #expect(server.statistics.openConnections == 0)
    }

    @Test func bindingATakenPortFailsWithABindError() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let first = try echoServer(loop: loop)
        defer { first.stop() }
        let second = MLLPServer(port: first.boundPort, loop: loop) { _, _, reply in reply.close() }
        #expect(throws: NetError(.bind, "")) { try second.start() }
    }
}

@Suite struct MLLPLoadTests {
    @Test func loadGeneratorCountsEveryAcknowledgedMessage() throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let worker = DispatchQueue(label: "load-test-worker")
        let server = MLLPServer(port: 0, loop: loop) { frame, _, reply in
            let control = NetSamples.controlID(frame)
            worker.async { reply.send(NetSamples.ack(control)) }
        }
        try server.start()
        defer { server.stop() }
        let result = MLLPLoad.run(port: server.boundPort, connections: 4, messagesPerConnection: 25,
                                  message: { connection, index in NetSamples.adt("L\(connection)-\(index)") },
                                  check: { reply, connection, index in reply == NetSamples.ack("L\(connection)-\(index)") })
        #expect(result.errors == [])
        #expect(result.messages == 100)
        #expect(result.latencies.count == 100)
        #expect(result.messagesPerSecond > 0)
        #expect(server.statistics.framesReceived == 100)
    }
}
