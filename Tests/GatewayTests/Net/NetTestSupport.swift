import Foundation
import Gateway

/// Polls `condition` until it holds or `timeout` seconds pass; true when it held.
func netEventually(timeout: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = BlockingConnection.now() + timeout
    while BlockingConnection.now() < deadline {
        if condition() { return true }
        usleep(1_000)
    }
    return condition()
}

/// A thread-safe box for values the handlers record and the tests read.
/// (An NSLock rather than a Mutex, so ThreadSanitizer runs see the synchronization.)
final class NetRecorder<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: Value
    init(_ value: Value) { storage = value }
    var value: Value { lock.withLock { storage } }
    func update<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&storage) } }
}

/// HL7 v2 messages shaped like real feeds (segments end in CR).
enum NetSamples {
    static func adt(_ control: String) -> [UInt8] {
        Array(("MSH|^~\\&|EPIC|MERCY_HOSP|CONCORD|HIE|20240311083015||ADT^A01^ADT_A01|\(control)|P|2.5.1\r"
            + "EVN|A01|20240311083015\r"
            + "PID|1||E1234567^^^MERCY^MR||GARCIA^MARIA^ELENA||19790214|F|||1420 ELM ST^^SPRINGFIELD^IL^62704||(217)555-0142\r"
            + "PV1|1|I|4W^412^A^MERCY_HOSP||||1234567890^CHEN^DAVID^^^^MD\r").utf8)
    }

    static func ack(_ control: String) -> [UInt8] {
        Array(("MSH|^~\\&|CONCORD|HIE|EPIC|MERCY_HOSP|20240311083016||ACK^A01^ACK|ACK\(control)|P|2.5.1\r"
            + "MSA|AA|\(control)\r").utf8)
    }

    /// MSH-10 of a message built by `adt`.
    static func controlID(_ message: [UInt8]) -> String {
        let fields = String(decoding: message, as: UTF8.self).split(separator: "\r")[0].split(separator: "|", omittingEmptySubsequences: false)
        return String(fields[9])
    }
}

/// A CA, a server certificate for localhost/127.0.0.1, and client certificates, made with the
/// openssl CLI in a temporary directory once per test run.
struct NetTestCertificates: Sendable {
    let directory: String
    var caPath: String { directory + "/ca.pem" }
    var serverCertificatePath: String { directory + "/server.pem" }
    var serverKeyPath: String { directory + "/server.key" }
    var clientCertificatePath: String { directory + "/client.pem" }
    var clientKeyPath: String { directory + "/client.key" }
    var rogueClientCertificatePath: String { directory + "/rogue.pem" }
    var rogueClientKeyPath: String { directory + "/rogue.key" }
    static let clientCommonName = "Mercy Lab Interface"

    static let shared: Result<NetTestCertificates, NetCertificateError> = {
        do { return .success(try make()) } catch let error as NetCertificateError {
            return .failure(error)
        } catch {
            return .failure(NetCertificateError(reason: "\(error)"))
        }
    }()

    /// The client certificate's SHA-256 fingerprint as openssl prints it, normalized to lowercase hex.
    func clientFingerprint() throws -> String {
        let output = try Self.openssl(["x509", "-in", clientCertificatePath, "-noout", "-fingerprint", "-sha256"], in: directory)
        guard let value = output.split(separator: "=").last else { throw NetCertificateError(reason: "no fingerprint") }
        return value.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    private static func make() throws -> NetTestCertificates {
        let directory = NSTemporaryDirectory() + "concord-net-certs-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for (name, cn) in [("ca", "Concord Test CA"), ("rogueca", "Rogue Test CA")] {
            _ = try openssl(["req", "-x509"] + ec + ["-keyout", "\(name).key", "-out", "\(name).pem", "-days", "2",
                             "-subj", "/CN=\(cn)", "-addext", "basicConstraints=critical,CA:TRUE",
                             "-addext", "keyUsage=critical,keyCertSign,cRLSign"], in: directory)
        }
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
            .write(toFile: directory + "/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: directory + "/client.ext", atomically: true, encoding: .utf8)
        let leaves = [("server", "localhost", "ca", "server.ext"), ("client", clientCommonName, "ca", "client.ext"),
                      ("rogue", clientCommonName, "rogueca", "client.ext")]
        for (name, cn, ca, ext) in leaves {
            _ = try openssl(["req"] + ec + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/O=Mercy Health/CN=\(cn)"], in: directory)
            _ = try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "\(ca).pem", "-CAkey", "\(ca).key", "-CAcreateserial",
                             "-out", "\(name).pem", "-days", "2", "-extfile", ext], in: directory)
        }
        return NetTestCertificates(directory: directory)
    }

    @discardableResult
    private static func openssl(_ arguments: [String], in directory: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw NetCertificateError(reason: "openssl \(arguments.first ?? "") failed: \(text)")
        }
        return text
    }
}

struct NetCertificateError: Error, Sendable {
    let reason: String
}
