import Foundation
import Gateway
import HL7v2
import Testing

@Suite struct MLLPTLSTests {
    private func certificates() throws -> NetTestCertificates { try NetTestCertificates.shared.get() }

    private func server(_ tls: TLSConfiguration, loop: EventLoop, seen: NetRecorder<[MLLPConnectionInfo]>,
                        closed: NetRecorder<[MLLPCloseReason]>? = nil) throws -> MLLPServer {
        let server = MLLPServer(port: 0, tls: tls, loop: loop, onEvent: { event in
            if case .closed(_, let reason) = event { closed?.update { $0.append(reason) } }
        }) { frame, connection, reply in
            seen.update { $0.append(connection) }
            let control = NetSamples.controlID(frame)
            DispatchQueue.global().async { reply.send(NetSamples.ack(control)) }
        }
        try server.start()
        return server
    }

    /// The server side of mutual TLS: the generated server certificate, client certificates required
    /// and verified against the generated CA.
    private func mutualTLS(_ certs: NetTestCertificates) -> TLSConfiguration {
        TLSConfiguration(certificatePath: certs.serverCertificatePath, privateKeyPath: certs.serverKeyPath,
                         clientCAPath: certs.caPath, requireClientCertificate: true)
    }

    @Test func tlsHandshakeWithGeneratedCertificateCarriesMessages() throws {
        let certs = try certificates()
        let loop = try EventLoop()
        defer { loop.stop() }
        let seen = NetRecorder([MLLPConnectionInfo]())
        let server = try server(TLSConfiguration(certificatePath: certs.serverCertificatePath, privateKeyPath: certs.serverKeyPath),
                                loop: loop, seen: seen)
        defer { server.stop() }
        let client = try MLLPClient(port: server.boundPort, tls: ClientTLSOptions(caPath: certs.caPath))
        #expect(try client.exchange(NetSamples.adt("TLS0001")) == NetSamples.ack("TLS0001"))
        #expect(try client.exchange(NetSamples.adt("TLS0002")) == NetSamples.ack("TLS0002"))
        #expect(seen.value.count == 2)
        #expect(seen.value.first?.clientCertificate == nil)
    }

    @Test func manyConcurrentTLSConnectionsAreServed() throws {
        let certs = try certificates()
        let loop = try EventLoop()
        defer { loop.stop() }
        let seen = NetRecorder([MLLPConnectionInfo]())
        let tls = mutualTLS(certs)
        let server = try server(tls, loop: loop, seen: seen)
        defer { server.stop() }
        let options = ClientTLSOptions(caPath: certs.caPath, certificatePath: certs.clientCertificatePath, privateKeyPath: certs.clientKeyPath)
        let result = MLLPLoad.run(port: server.boundPort, tls: options, connections: 12, messagesPerConnection: 10,
                                  message: { connection, index in NetSamples.adt("T\(connection)-\(index)") },
                                  check: { reply, connection, index in reply == NetSamples.ack("T\(connection)-\(index)") })
        #expect(result.errors == [])
        #expect(result.messages == 120)
        #expect(Set(seen.value.map(\.id)).count == 12)
        #expect(Set(seen.value.compactMap(\.clientCommonName)) == [NetTestCertificates.clientCommonName])
    }

    @Test func clientVerifiesTheServerName() throws {
        let certs = try certificates()
        let loop = try EventLoop()
        defer { loop.stop() }
        let seen = NetRecorder([MLLPConnectionInfo]())
        let server = try server(TLSConfiguration(certificatePath: certs.serverCertificatePath, privateKeyPath: certs.serverKeyPath),
                                loop: loop, seen: seen)
        defer { server.stop() }
        #expect(throws: NetError(.tls, "")) {
            _ = try MLLPClient(port: server.boundPort, tls: ClientTLSOptions(caPath: certs.caPath, serverName: "mllp.other-hospital.org"))
        }
        #expect(seen.value.isEmpty)
    }

    @Test func mutualTLSExposesTheClientCertificate() throws {
        let certs = try certificates()
        let loop = try EventLoop()
        defer { loop.stop() }
        let seen = NetRecorder([MLLPConnectionInfo]())
        let tls = TLSConfiguration(certificatePath: certs.serverCertificatePath, privateKeyPath: certs.serverKeyPath,
                                   clientCAPath: certs.caPath, requireClientCertificate: true, minimumVersion: .tls12)
        let server = try server(tls, loop: loop, seen: seen)
        defer { server.stop() }
        let client = try MLLPClient(port: server.boundPort, tls: ClientTLSOptions(
            caPath: certs.caPath, certificatePath: certs.clientCertificatePath, privateKeyPath: certs.clientKeyPath))
        #expect(try client.exchange(NetSamples.adt("MTLS01")) == NetSamples.ack("MTLS01"))
        let info = try #require(seen.value.first)
        #expect(info.clientCommonName == NetTestCertificates.clientCommonName)
        #expect(info.clientFingerprint == (try certs.clientFingerprint()))
        #expect(info.clientFingerprint?.count == 64)
    }

    /// A client resuming its TLS session (as `openssl s_client -reconnect` does, and as feed engines do
    /// to save handshakes) is served when client certificates are verified: without a session id
    /// context OpenSSL fails such a handshake with "session id context uninitialized".
    @Test(arguments: ["-tls1_2", "-tls1_3"])
    func aResumedSessionIsAcceptedWithMutualTLS(version: String) throws {
        let certs = try certificates()
        let loop = try EventLoop()
        defer { loop.stop() }
        let seen = NetRecorder([MLLPConnectionInfo]())
        let tls = mutualTLS(certs)
        let server = try server(tls, loop: loop, seen: seen)
        defer { server.stop() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["s_client", "-connect", "127.0.0.1:\(server.boundPort)", version, "-reconnect", "-CAfile", certs.caPath,
                             "-cert", certs.clientCertificatePath, "-key", certs.clientKeyPath]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(!text.contains("session id context uninitialized"), "\(text.suffix(600))")
        #expect(!text.contains("alert"), "\(text.suffix(600))")
        // TLS 1.3 sends its tickets after the handshake, which s_client's quick reconnects do not wait for.
        if version == "-tls1_2" {
            #expect(text.components(separatedBy: "Reused, TLSv").count - 1 >= 4, "most reconnects resume the session: \(text.suffix(600))")
        }
    }

    @Test func requiredClientCertificateMissingIsRefused() throws {
        let certs = try certificates()
        let loop = try EventLoop()
        defer { loop.stop() }
        let seen = NetRecorder([MLLPConnectionInfo]())
        let failures = NetRecorder([MLLPCloseReason]())
        let tls = mutualTLS(certs)
        let server = try server(tls, loop: loop, seen: seen, closed: failures)
        defer { server.stop() }
        // With TLS 1.3 the client's handshake completes before the server checks its certificate, so
        // the refusal shows either at connect or at the first exchange.
        var refused = false
        do {
            let client = try MLLPClient(port: server.boundPort, tls: ClientTLSOptions(caPath: certs.caPath))
            _ = try client.exchange(NetSamples.adt("NOCERT1"), timeout: 10)
        } catch {
            refused = [NetError.Code.tls, .closed, .io].contains(error.code)
        }
        #expect(refused)
        #expect(netEventually { server.statistics.tlsHandshakeFailures == 1 })
        #expect(seen.value.isEmpty)
        // A connection that never completed its handshake was never announced: no `.closed` event.
        #expect(failures.value == [])
        #expect(server.statistics.lastTLSHandshakeFailure == "error:0A0000C7:SSL routines::peer did not return a certificate")
        #expect(server.statistics.openConnections == 0)
    }

    @Test func clientCertificateFromAnotherCAIsRefused() throws {
        let certs = try certificates()
        let loop = try EventLoop()
        defer { loop.stop() }
        let seen = NetRecorder([MLLPConnectionInfo]())
        let tls = mutualTLS(certs)
        let server = try server(tls, loop: loop, seen: seen)
        defer { server.stop() }
        var refused = false
        do {
            let client = try MLLPClient(port: server.boundPort, tls: ClientTLSOptions(
                caPath: certs.caPath, certificatePath: certs.rogueClientCertificatePath, privateKeyPath: certs.rogueClientKeyPath))
            _ = try client.exchange(NetSamples.adt("ROGUE1"), timeout: 10)
        } catch {
            refused = [NetError.Code.tls, .closed, .io].contains(error.code)
        }
        #expect(refused)
        #expect(netEventually { server.statistics.tlsHandshakeFailures == 1 })
        #expect(seen.value.isEmpty)
    }

    @Test func missingCertificateFileFailsWithOpenSSLsReason() throws {
        let certs = try certificates()
        let loop = try EventLoop()
        defer { loop.stop() }
        let server = MLLPServer(port: 0, tls: TLSConfiguration(certificatePath: certs.directory + "/absent.pem",
                                                               privateKeyPath: certs.serverKeyPath),
                                loop: loop) { _, _, reply in reply.close() }
        do {
            try server.start()
            Issue.record("start succeeded without a certificate")
        } catch {
            #expect(error.code == .tls)
            #expect(error.reason.hasPrefix("cannot load certificate chain \(certs.directory)/absent.pem: error:"))
        }
        #expect(server.boundPort == 0)
    }

    @Test func requiringClientCertificatesWithoutACAIsAConfigurationError() throws {
        let certs = try certificates()
        #expect(throws: NetError(.tls, "")) {
            _ = try TLSContext(server: TLSConfiguration(certificatePath: certs.serverCertificatePath, privateKeyPath: certs.serverKeyPath,
                                                        requireClientCertificate: true))
        }
    }
}
