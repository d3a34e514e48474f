import Foundation

/// The gateway's configuration: `concord serve --config concord.json`. Every field has a documented
/// default, so an empty `{}` is a valid configuration (SQLite under `data/`, inbox under `data/inbox`,
/// MLLP on 2575, HTTP on 8080, no TLS, no tokens — which means every endpoint but `/health` refuses).
///
/// The file is JSON; `//` line comments are allowed (they are stripped before decoding) so that
/// `concord init` can write a commented example.
package struct GatewayConfiguration: Sendable, Codable, Equatable {
    /// The SQLite database file.
    package var database: String = "data/concord.sqlite"
    package var inbox: InboxSettings? = InboxSettings()
    package var mllp: [MLLPListenerSettings] = [MLLPListenerSettings()]
    package var http: HTTPSettings? = HTTPSettings()
    package var tls: TLSSettings? = nil
    /// Bearer tokens, stored as SHA-256 hex digests with a name and a role.
    package var tokens: [TokenSettings] = []
    package var writer: WriterSettings = WriterSettings()
    package var workers: WorkerSettings = WorkerSettings()
    /// Path of a JSON file with the fact ledger's configuration (retest intervals, local-code map); the
    /// built-in defaults when absent.
    package var facts: String? = nil
    /// `error`, `warning`, `info`, `debug`. Patient data is logged only at `debug`.
    package var logLevel: String = "info"

    package init() {}

    package struct InboxSettings: Sendable, Codable, Equatable {
        package var path: String = "data/inbox"
        /// Where ingested files go, in dated folders (`archive/2026-11-24/…`).
        package var archive: String = "data/archive"
        /// Where files that failed go, each with a `.error.txt` beside it.
        package var failed: String = "data/failed"
        /// Seconds between full rescans (the fallback when inotify misses something).
        package var rescanSeconds: Double = 5
        /// A file is taken only once its size has not changed for this long.
        package var stableSeconds: Double = 1
        /// Files larger than this go to `failed/` unread.
        package var maxFileBytes: Int = 64 << 20
        package init() {}
    }

    package struct MLLPListenerSettings: Sendable, Codable, Equatable {
        package var host: String = "127.0.0.1"
        package var port: Int = 2575
        /// Use the `tls` settings on this listener.
        package var tls: Bool = false
        package var maxFrameBytes: Int = 16 << 20
        package var idleTimeoutSeconds: Double = 300
        package var maxConnections: Int = 10_000
        package init() {}
    }

    package struct HTTPSettings: Sendable, Codable, Equatable {
        package var host: String = "127.0.0.1"
        package var port: Int = 8080
        package var tls: Bool = false
        package var maxBodyBytes: Int = 32 << 20
        package var timeoutSeconds: Int = 30
        package init() {}
    }

    package struct TLSSettings: Sendable, Codable, Equatable {
        package var certificate: String
        package var privateKey: String
        /// CA bundle used to verify client certificates (mutual TLS).
        package var clientCA: String? = nil
        package var requireClientCertificate: Bool = false
        /// Client certificate subject CN → the sending facility it may speak for.
        package var clientFacilities: [String: String] = [:]
        package init(certificate: String, privateKey: String) {
            self.certificate = certificate
            self.privateKey = privateKey
        }

        private enum CodingKeys: String, CodingKey {
            case certificate, privateKey, clientCA, requireClientCertificate, clientFacilities
        }

        package init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            certificate = try c.decode(String.self, forKey: .certificate)
            privateKey = try c.decode(String.self, forKey: .privateKey)
            clientCA = try c.decodeIfPresent(String.self, forKey: .clientCA)
            requireClientCertificate = try c.decodeIfPresent(Bool.self, forKey: .requireClientCertificate) ?? false
            clientFacilities = try c.decodeIfPresent([String: String].self, forKey: .clientFacilities) ?? [:]
        }
    }

    package struct TokenSettings: Sendable, Codable, Equatable {
        package var name: String
        /// Hex SHA-256 of the token (`concord token hash TOKEN` prints it).
        package var sha256: String
        package var role: Role
        package init(name: String, sha256: String, role: Role) {
            self.name = name
            self.sha256 = sha256
            self.role = role
        }
    }

    package struct WriterSettings: Sendable, Codable, Equatable {
        /// The most messages one group commit may hold.
        package var maxBatch: Int = 256
        /// SQLite's page cache of the write connection, in MiB (``IndexConfiguration/pageCacheMiB``).
        package var pageCacheMiB: Int = 1_024
        /// Fact instances whose unification the writer keeps for recently refreshed patients
        /// (``IndexConfiguration/unificationCacheInstances``, ~2.5 KB each): a message about a cached patient
        /// costs what its own facts cost; a patient outside it is refreshed in full (its whole history).
        package var factCacheInstances: Int = 500_000
        /// WAL checkpoints on a thread and connection of their own (``IndexConfiguration/backgroundCheckpoints``)
        /// instead of SQLite's autocheckpoint inside the commit that crosses 8,192 frames, which stalls the
        /// writer — and every message waiting for its ACK — while it copies 32 MiB back and fsyncs the
        /// database. The WAL may grow to 1 GiB between restarts. Measured (bench/RESULTS.md): at 64 MLLP
        /// connections 1.07–1.21× the messages per second and ACK p99 72–90 ms instead of 100–128. After
        /// small commits (fewer than 256 frames: few connections) the writer runs the checkpoint itself, as
        /// SQLite would, since there the thread's writes and fsync slowed every commit's (one connection
        /// sending flat out: 0.82–0.88× the rate before that rule). `false` leaves all of it to SQLite.
        package var backgroundCheckpoints: Bool = true
        /// Each group commit's fsync runs on a thread of its own (``IndexConfiguration/deferredCommitSync``,
        /// `WALSync`) while the writer runs the next group commit; a batch's ACKs are still sent only after
        /// the fsync that covers it, so nothing acknowledged can be lost (and a read of patient data is
        /// answered only after its audit entry's fsync, which covers what it read). After a failed fsync
        /// nothing more is acknowledged until the host's storage is checked and the machine rebooted
        /// (`WALSync`). Measured (bench/RESULTS.md): at 64 MLLP connections 1.17–1.21× the messages per
        /// second, ACK p50 0.8–0.87×, p99 0.93–0.97×; 8 connections 1.17–1.34×; 100 patients with long
        /// histories 1.28×; one connection and HTTP reads the same (0.97–1.04×, 0.97–1.10×: with nothing
        /// queued behind a batch the writer syncs it itself). `false`: SQLite fsyncs inside each commit
        /// (`synchronous=FULL`) and the writer waits for it.
        package var syncOnItsOwnThread: Bool = true
        package init() {}
    }

    /// The threads that parse, map and prepare messages and answer HTTP reads.
    package struct WorkerSettings: Sendable, Codable, Equatable {
        package var threads: Int = 2
        /// The workers' scheduling niceness (0 to 19; the writer and the network thread stay at 0). Every
        /// message passes through the one writer, so under load it is the stage to keep on a core: with the
        /// workers at 5 the writer is not made to wait behind a parse, and 64 connections on 2 cores ACK
        /// ~1.1× more messages per second (bench/RESULTS.md). 0 treats all threads alike.
        package var nice: Int = 5
        package init() {}
    }

    /// Roles of a token: what it may do.
    package enum Role: String, Sendable, Codable, Equatable, CaseIterable {
        /// Read patient data.
        case reader
        /// Read, and decide review items, link, unlink, merge.
        case steward
        /// Everything, including the message log, reprocessing and the audit log.
        case admin
        /// Post messages and documents (an interface feed).
        case feed

        package func allows(_ needed: Role) -> Bool {
            switch (self, needed) {
            case (.admin, _): return true
            case (.steward, .reader), (.steward, .steward): return true
            case (.reader, .reader): return true
            case (.feed, .feed): return true
            default: return false
            }
        }
    }

    /// Loads a configuration file (JSON with `//` comments allowed). Fields the file leaves out keep
    /// their defaults, at every level (each MLLP listener is merged onto the default listener).
    package static func load(path: String) throws -> GatewayConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GatewayError(.configuration, "cannot read configuration file \(path)")
        }
        do {
            let user = try JSONSerialization.jsonObject(with: Data(stripComments(data)))
            guard let userObject = user as? [String: Any] else {
                throw GatewayError(.configuration, "\(path): the configuration must be a JSON object")
            }
            let defaults = try JSONSerialization.jsonObject(with: JSONEncoder().encode(GatewayConfiguration())) as? [String: Any] ?? [:]
            let listenerDefaults = try JSONSerialization.jsonObject(with: JSONEncoder().encode(MLLPListenerSettings())) as? [String: Any] ?? [:]
            var merged = merge(defaults, userObject)
            if let listeners = userObject["mllp"] as? [Any] {
                merged["mllp"] = listeners.map { ($0 as? [String: Any]).map { merge(listenerDefaults, $0) } ?? $0 }
            }
            let mergedData = try JSONSerialization.data(withJSONObject: merged)
            return try JSONDecoder().decode(GatewayConfiguration.self, from: mergedData)
        } catch let error as DecodingError {
            throw GatewayError(.configuration, "\(path): \(describe(error))")
        } catch let error as GatewayError {
            throw error
        } catch {
            throw GatewayError(.configuration, "\(path): not valid JSON (\(error.localizedDescription))")
        }
    }

    /// `overlay` onto `base`, recursively for objects; `null` in the overlay removes the field (turns a
    /// listener off).
    private static func merge(_ base: [String: Any], _ overlay: [String: Any]) -> [String: Any] {
        var result = base
        for (key, value) in overlay {
            if value is NSNull {
                result[key] = nil
            } else if let object = value as? [String: Any], let baseObject = base[key] as? [String: Any] {
                result[key] = merge(baseObject, object)
            } else {
                result[key] = value
            }
        }
        return result
    }

    /// Removes `//` comments outside strings.
    static func stripComments(_ data: Data) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count)
        var inString = false, escaped = false, inComment = false
        var previous: UInt8 = 0
        for byte in data {
            if inComment {
                if byte == UInt8(ascii: "\n") { inComment = false; out.append(byte) }
                continue
            }
            if inString {
                out.append(byte)
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            if byte == UInt8(ascii: "/") && previous == UInt8(ascii: "/") {
                out.removeLast()
                inComment = true
                previous = 0
                continue
            }
            if byte == UInt8(ascii: "\"") { inString = true }
            out.append(byte)
            previous = byte
        }
        return out
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "\(path(c)): \(c.debugDescription)"
        case .keyNotFound(let key, let c): return "\(path(c)).\(key.stringValue): required field is missing"
        case .dataCorrupted(let c): return "\(path(c)): \(c.debugDescription)"
        @unknown default: return "invalid configuration"
        }
    }

    /// The commented example written by `concord init`.
    package static let example = """
    // Concord gateway configuration. JSON with // comments. Every field is optional; the values shown
    // are the defaults unless marked "example".
    {
      // The SQLite database (WAL mode; nothing is acknowledged before the fsync that makes it durable).
      "database": "data/concord.sqlite",

      // Drop files here (HL7 v2, C-CDA, FHIR JSON/NDJSON; the format is detected from content).
      // Dot-files and *.tmp / *.part are ignored; a file is taken once its size is stable.
      "inbox": {
        "path": "data/inbox",
        "archive": "data/archive",
        "failed": "data/failed",
        "rescanSeconds": 5,
        "stableSeconds": 1,
        "maxFileBytes": 67108864
      },

      // MLLP listeners. An ACK is sent only after the message's transaction has committed.
      "mllp": [
        { "host": "127.0.0.1", "port": 2575, "tls": false, "maxFrameBytes": 16777216,
          "idleTimeoutSeconds": 300, "maxConnections": 10000 }
      ],

      // The HTTP API (JSON and FHIR R4). "tls": true serves HTTPS with the tls settings below.
      "http": { "host": "127.0.0.1", "port": 8080, "tls": false, "maxBodyBytes": 33554432, "timeoutSeconds": 30 },

      // TLS for every listener that sets "tls": true (example paths).
      // "tls": {
      //   "certificate": "/etc/concord/server.pem",
      //   "privateKey": "/etc/concord/server.key",
      //   "clientCA": "/etc/concord/feeds-ca.pem",
      //   "requireClientCertificate": true,
      //   // Client certificate CN → the sending facility (MSH-4) it speaks for. A mapped facility is
      //   // reserved: over MLLP only its certificate may send as it (others get an AE at MSH-4).
      //   "clientFacilities": { "riverside-feed": "Riverside Community Hospital" }
      // },

      // Bearer tokens: the SHA-256 of each token (print one with `concord token hash SECRET`), a name
      // for the audit log, and a role: reader, steward, admin or feed. Example:
      "tokens": [
        // { "name": "care-team-portal", "sha256": "…64 hex digits…", "role": "reader" }
      ],

      // Group commit: how many messages one durable transaction may hold, and the write connection's
      // SQLite page cache in MiB (an index of a million patients is about 2.6 GB on disk). WAL checkpoints
      // run on a thread of their own under load (the WAL may grow to 1 GiB): more messages per second
      // and a lower ACK p99 at many connections; false leaves them to SQLite, inside the commits. Each
      // commit's fsync runs on a thread of its own while the writer goes on with the next one; ACKs still
      // wait for the fsync that covers them (false: the writer waits in the fsync itself).
      "writer": { "maxBatch": 256, "pageCacheMiB": 1024, "factCacheInstances": 500000, "backgroundCheckpoints": true,
                  "syncOnItsOwnThread": true },

      // Parsing and HTTP-read threads, and their niceness: above 0 the one writer every message passes
      // through gets the CPU first when both want it (0 to 19; 0 treats all threads alike).
      "workers": { "threads": 2, "nice": 5 },

      // Optional JSON file with retest intervals and a local-code → LOINC map (built-in defaults otherwise).
      // "facts": "concord-facts.json",

      // error, warning, info, debug. Patient data appears only at debug.
      "logLevel": "info"
    }

    """
}
