import Foundation
import Synchronization
import Testing

@testable import Gateway
import PatientIndex

@Suite struct GroupCommitWriterTests {
    /// A fake store that records how jobs were grouped into transactions.
    final class FakeStore: @unchecked Sendable {
        var transactions: [[Int]] = []
        var current: [Int] = []
        var failNextCommit = false
    }

    @Test func concurrentJobsShareTransactionsAndCompleteAfterCommit() throws {
        let store = FakeStore()
        let gate = NSCondition()
        nonisolated(unsafe) var open = false
        let writer = GroupCommitWriter(store: store, maxBatch: 64) { store, body in
            // Hold the first transaction until all jobs are queued, so the rest batch together.
            gate.lock()
            while !open { gate.wait() }
            gate.unlock()
            store.current = []
            try body()
            store.transactions.append(store.current)
        }
        let completed = Mutex<[Int]>([])
        let group = DispatchGroup()
        for i in 0..<100 {
            group.enter()
            writer.submit({ store in store.current.append(i); return i }) { result in
                // By the time a job completes, its transaction is recorded (committed).
                if case .success(let value) = result, store.transactions.contains(where: { $0.contains(value) }) {
                    completed.withLock { $0.append(value) }
                }
                group.leave()
            }
        }
        gate.lock(); open = true; gate.broadcast(); gate.unlock()
        group.wait()
        writer.stop()
        #expect(completed.withLock { $0.sorted() } == Array(0..<100))
        // 100 jobs in far fewer than 100 transactions: group commit.
        #expect(store.transactions.count < 10)
        #expect(store.transactions.allSatisfy { $0.count <= 64 })
        #expect(store.transactions.flatMap { $0 } == Array(0..<100))
        #expect(writer.commitCounts.jobs == 100)
    }

    @Test func aFailingJobDoesNotFailTheBatchButAFailedCommitFailsAll() throws {
        let store = FakeStore()
        let writer = GroupCommitWriter(store: store) { store, body in
            try body()
            if store.failNextCommit {
                store.failNextCommit = false
                throw GatewayError(.io, "disk full")
            }
        }
        struct Boom: Error {}
        #expect(throws: Boom.self) { try writer.perform { _ -> Int in throw Boom() } }
        #expect(try writer.perform { _ in 7 } == 7)
        #expect(throws: GatewayError(.io, "")) {
            try writer.perform { store -> Int in store.failNextCommit = true; return 1 }
        }
        writer.stop()
        #expect(throws: GatewayError(.io, "")) { try writer.perform { _ in 1 } }
    }
}

@Suite struct FormatSnifferTests {
    @Test(arguments: [
        ("MSH|^~\\&|EPIC|RCH|||20260105||ADT^A04|1|P|2.5.1\r", DetectedFormat.hl7v2),
        ("\u{0B}MSH|^~\\&|X\r\u{1C}\r", .hl7v2),
        ("FHS|^~\\&|LAB\rBHS|^~\\&\rMSH|^~\\&|\r", .hl7v2),
        ("\u{FEFF}<?xml version=\"1.0\"?>\n<!-- CCD --><ClinicalDocument xmlns=\"urn:hl7-org:v3\">", .ccda),
        ("<?xml version=\"1.0\"?><cda:ClinicalDocument xmlns:cda=\"urn:hl7-org:v3\"/>", .ccda),
        ("<?xml version=\"1.0\"?><html><body/></html>", .unknown),
        ("  {\"resourceType\": \"Bundle\", \"entry\": [{\"a\": \"}\"}]}\n", .fhirJSON),
        ("{\"resourceType\":\"Patient\",\"id\":\"1\"}\n{\"resourceType\":\"Patient\",\"id\":\"2\"}\n", .ndjson),
        ("PID|1||123\r", .unknown),
        ("", .unknown),
    ])
    func detectsFormatFromContent(text: String, expected: DetectedFormat) {
        #expect(FormatSniffer.detect(Array(text.utf8)) == expected)
    }
}

@Suite struct ArgumentsTests {
    @Test func optionsAnywhereAndFlags() throws {
        let a = try Arguments(["--db", "x.sqlite", "patients", "list", "--json", "--limit=5"])
        #expect(a.positionals == ["patients", "list"])
        #expect(a[option: "db"] == "x.sqlite")
        #expect(a.has("json"))
        #expect(try a.int("limit", default: 10) == 5)
        #expect(try a.positional(1, "subcommand") == "list")
    }

    @Test func errorsAreUsageErrors() {
        #expect(throws: GatewayError(.usage, "")) { try Arguments(["--nope"]) }
        #expect(throws: GatewayError(.usage, "")) { try Arguments(["--db"]) }
        #expect(throws: GatewayError(.usage, "")) { try Arguments(["--json=1"]) }
        #expect(throws: GatewayError(.usage, "")) { try Arguments(["x", "--limit", "-3"]).int("limit", default: 1) }
        #expect(throws: GatewayError(.usage, "")) { try Arguments(["patients"]).positional(1, "subcommand") }
    }

    @Test func doubleDashEndsOptions() throws {
        let a = try Arguments(["ingest", "--", "--weird-file-name.hl7"])
        #expect(a.positionals == ["ingest", "--weird-file-name.hl7"])
    }
}

@Suite struct AuthTests {
    let auth = TokenAuthenticator(tokens: [
        .init(name: "portal", sha256: SHA256Digest.hex(Array("reader-secret".utf8)), role: .reader),
        .init(name: "steward-1", sha256: SHA256Digest.hex(Array("steward-secret".utf8)).uppercased(), role: .steward),
    ])

    @Test func sha256MatchesKnownVector() {
        #expect(SHA256Digest.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // The ingest hashes messages with it and the message log looks re-sent documents up by the hash
        // the store's own SHA-256 gives: they must agree at every length (block boundaries at 55/56/64).
        var bytes: [UInt8] = []
        for n in 0..<300 {
            #expect(SHA256Digest.hex(bytes) == PatientIndexStore.messageHash(bytes), "length \(n)")
            #expect(SHA256Digest.hex(bytes[...]) == PatientIndexStore.messageHash(bytes))
            bytes.append(UInt8(truncatingIfNeeded: n &* 131 &+ 7))
        }
    }

    @Test func validTokensAuthenticateWithTheirRole() throws {
        #expect(try auth.authenticate(authorization: "Bearer reader-secret") == Principal(name: "portal", role: .reader))
        #expect(try auth.authorize(authorization: "bearer steward-secret", needs: .reader).name == "steward-1")
    }

    @Test func missingBadAndUnderprivilegedTokensAreRefused() {
        #expect(throws: GatewayError(.unauthorized, "")) { try auth.authenticate(authorization: nil) }
        #expect(throws: GatewayError(.unauthorized, "")) { try auth.authenticate(authorization: "Basic abc") }
        #expect(throws: GatewayError(.unauthorized, "")) { try auth.authenticate(authorization: "Bearer wrong") }
        #expect(throws: GatewayError(.forbidden, "")) { try auth.authorize(authorization: "Bearer reader-secret", needs: .steward) }
    }

    @Test func rolesAllow() {
        #expect(GatewayConfiguration.Role.admin.allows(.feed))
        #expect(GatewayConfiguration.Role.steward.allows(.reader))
        #expect(!GatewayConfiguration.Role.reader.allows(.steward))
        #expect(!GatewayConfiguration.Role.feed.allows(.reader))
    }
}

@Suite struct ConfigurationTests {
    /// A configuration file with `text` in the temporary directory (the caller removes it).
    static func file(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("concord-config-\(UUID().uuidString).json")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func emptyObjectGivesDefaults() throws {
        let url = try Self.file("{}")
        defer { try? FileManager.default.removeItem(at: url) }
        let config = try GatewayConfiguration.load(path: url.path)
        #expect(config == GatewayConfiguration())
        #expect(config.mllp.first?.maxFrameBytes == 16 << 20)
    }

    @Test func theCommentedExampleLoads() throws {
        let url = try Self.file(GatewayConfiguration.example)
        defer { try? FileManager.default.removeItem(at: url) }
        let config = try GatewayConfiguration.load(path: url.path)
        #expect(config.http?.port == 8080)
        #expect(config.inbox?.path == "data/inbox")
        #expect(config.tokens.isEmpty)
    }

    @Test func aPartialWriterSectionKeepsTheOtherDefaults() throws {
        let url = try Self.file(#"{"writer": {"pageCacheMiB": 64}}"#)
        defer { try? FileManager.default.removeItem(at: url) }
        let config = try GatewayConfiguration.load(path: url.path)
        #expect(config.writer.pageCacheMiB == 64)
        #expect(config.writer.maxBatch == 256)
        #expect(GatewayConfiguration().writer.pageCacheMiB == 1_024)
    }

    /// The writer's WAL checkpoints run on their own thread unless the file turns them off, and the
    /// server's store does what the configuration says.
    @Test(arguments: [nil, true, false] as [Bool?])
    func backgroundCheckpointsAreOnUnlessTurnedOff(setting: Bool?) throws {
        let text = setting.map { #"{"writer": {"backgroundCheckpoints": \#($0)}}"# } ?? #"{"writer": {"maxBatch": 128}}"#
        let url = try Self.file(text)
        defer { try? FileManager.default.removeItem(at: url) }
        let config = try GatewayConfiguration.load(path: url.path)
        #expect(config.writer.backgroundCheckpoints == (setting ?? true))
        #expect(config.writer.pageCacheMiB == 1_024)
        try Self.withServer(config) { server in
            let inBackground = try server.writer.perform { store in store.db.backgroundCheckpointCounters != nil }
            #expect(inBackground == (setting ?? true))
        }
    }

    /// Each commit's fsync runs on the writer's sync thread unless the file turns it off; either way the
    /// server's write connection is in the matching mode (NORMAL with the sync thread, FULL without).
    @Test(arguments: [nil, true, false] as [Bool?])
    func commitSyncRunsOnItsOwnThreadUnlessTurnedOff(setting: Bool?) throws {
        let text = setting.map { #"{"writer": {"syncOnItsOwnThread": \#($0)}}"# } ?? #"{"writer": {"maxBatch": 128}}"#
        let url = try Self.file(text)
        defer { try? FileManager.default.removeItem(at: url) }
        let config = try GatewayConfiguration.load(path: url.path)
        let expected = setting ?? true
        #expect(config.writer.syncOnItsOwnThread == expected)
        try Self.withServer(config) { server in
            let (deferred, synchronous) = try server.writer.perform { store in
                (store.commitSync != nil, try store.db.scalar("PRAGMA synchronous"))
            }
            #expect(deferred == expected)
            #expect(synchronous == .integer(expected ? 1 : 2))
            // With the sync thread, a job returns only after a sync that began after its commit: read the
            // count once everything before is synced (the fetching job's own sync included), then commit.
            if let commitSync = try server.writer.perform({ store in store.commitSync }) {
                let before = commitSync.completedSyncs
                try server.writer.perform { store in try store.db.execute("CREATE TABLE IF NOT EXISTS probe (v TEXT)") }
                #expect(commitSync.completedSyncs >= before + 1)
            }
        }
    }

    /// Runs `body` with a server on `config` (with a database of its own and no listeners), started and
    /// stopped as a whole: a server dropped with its worker threads still running would leave them
    /// reading a freed pool.
    static func withServer(_ config: GatewayConfiguration, _ body: (Server) throws -> Void) throws {
        var config = config
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-server-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        config.database = directory + "/concord.sqlite"
        config.inbox = nil
        config.mllp = []
        config.http = nil
        let server = try Server(configuration: config)
        try server.start()
        defer { server.stop() }
        try body(server)
    }

    @Test func theExampleConfigurationKeepsTheWriterDefaults() throws {
        let example = try Self.file(GatewayConfiguration.example)
        defer { try? FileManager.default.removeItem(at: example) }
        #expect(try GatewayConfiguration.load(path: example.path).writer == GatewayConfiguration.WriterSettings())
    }

    @Test func workersDefaultToNiceFiveAndAPartialSectionKeepsTheRest() throws {
        let url = try Self.file(#"{"workers": {"nice": 0}}"#)
        defer { try? FileManager.default.removeItem(at: url) }
        let config = try GatewayConfiguration.load(path: url.path)
        #expect(config.workers.nice == 0)
        #expect(config.workers.threads == 2)
        #expect(GatewayConfiguration().workers.nice == 5)
        let example = try Self.file(GatewayConfiguration.example)
        defer { try? FileManager.default.removeItem(at: example) }
        #expect(try GatewayConfiguration.load(path: example.path).workers == GatewayConfiguration.WorkerSettings())
    }

    @Test func commentsInsideStringsAreKept() throws {
        let text = #"{ "database": "//server/share/db.sqlite" // where\n, "logLevel": "debug" }"#
        let stripped = String(decoding: GatewayConfiguration.stripComments(Data(text.utf8)), as: UTF8.self)
        #expect(stripped.contains("//server/share/db.sqlite"))
        #expect(!stripped.contains("where"))
    }

    @Test func wrongTypesSayWhere() throws {
        let url = try Self.file(#"{"mllp": [{"port": "twenty"}]}"#)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try GatewayConfiguration.load(path: url.path)
            Issue.record("expected a configuration error")
        } catch let error as GatewayError {
            #expect(error.code == .configuration)
            #expect(error.reason.contains(".mllp[0].port"))
        }
    }
}

@Suite struct WorkerPoolTests {
    /// Worker threads run at the niceness they were given (the writer's thread, not in the pool, stays
    /// where it was); out-of-range values are clamped.
    @Test(arguments: [(7, 7), (0, -1), (40, 19)])
    func workersRunAtTheirNiceness(given: Int, expected: Int) {
        let before = WorkerPool<Int>.currentThreadNice
        let pool = WorkerPool<Int>(threads: 2, nice: given) { 0 }
        defer { pool.stop() }
        let seen = Mutex<[Int]>([])
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<4 {
            pool.submit { _ in
                seen.withLock { $0.append(WorkerPool<Int>.currentThreadNice) }
                done.signal()
            }
        }
        for _ in 0..<4 { done.wait() }
        // 0 leaves the threads as they started: at the niceness of the thread that made them.
        let want = expected == -1 ? before : expected
        #expect(seen.withLock { $0 } == [want, want, want, want])
        #expect(WorkerPool<Int>.currentThreadNice == before)
    }
}

@Suite struct MemoryTrimmerTests {
    @Test func glibcTrimIsFound() {
        // On glibc the symbol must resolve, or the gateway's resident size drifts up unnoticed.
        #expect(MemoryTrimmer.isAvailable)
        MemoryTrimmer.trim()
    }

    @Test func theTrimThreadStopsPromptly() {
        // An hour between trims, yet stop() returns at once, with the thread gone.
        let trimmer = MemoryTrimmer(interval: 3600)
        trimmer.start()
        usleep(20_000)
        #expect(trimmer.isRunning)
        let started = Date()
        trimmer.stop()
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(!trimmer.isRunning)
    }
}
