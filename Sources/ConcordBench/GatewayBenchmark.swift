import Foundation
import Gateway
import Synchronization

/// End-to-end MLLP ingest: an in-process `concord serve` (real sockets, real SQLite file, group commit,
/// every ACK after the fsync that covers its message; `--sync-in-commit` for SQLite's synchronous=FULL)
/// driven by N concurrent blocking MLLP clients that each send a message
/// and wait for its ACK before the next — as interface engines do. Counts only ACKs with MSA-1 = AA.
///
/// `concord-bench gateway CORPUS [--messages N] [--connections 1,8,64] [--db-dir DIR]`
/// CORPUS: one HL7 message per line (`gen_hl7.py` output, segments ended by `\r`).
enum GatewayBenchmark {
    static func run(_ args: [String]) throws {
        Bench.warnIfDebug()
        guard let corpusPath = args.first else { throw GatewayError(.usage, "usage: concord-bench gateway CORPUS [--messages N] [--connections 1,8,64] [--db-dir DIR] [--page-cache-mib N] [--fact-cache INSTANCES] [--worker-nice N] [--sql-profile]") }
        var total = 20_000
        var connectionCounts = [1, 8, 64]
        var dbDirectory = NSTemporaryDirectory()
        var pageCacheMiB = GatewayConfiguration.WriterSettings().pageCacheMiB
        var factCache = GatewayConfiguration.WriterSettings().factCacheInstances
        var sqlProfile = false
        var workerNice = GatewayConfiguration.WorkerSettings().nice
        var syncInCommit = false
        var i = 1
        while i < args.count {
            switch args[i] {
            case "--messages": total = Int(args[i + 1]) ?? total; i += 2
            case "--connections": connectionCounts = args[i + 1].split(separator: ",").compactMap { Int($0) }; i += 2
            case "--db-dir": dbDirectory = args[i + 1]; i += 2
            case "--page-cache-mib": pageCacheMiB = Int(args[i + 1]) ?? pageCacheMiB; i += 2
            case "--fact-cache": factCache = Int(args[i + 1]) ?? factCache; i += 2
            case "--sql-profile": sqlProfile = true; i += 1
            case "--worker-nice": workerNice = Int(args[i + 1]) ?? workerNice; i += 2
            case "--sync-in-commit": syncInCommit = true; i += 1
            default: i += 1
            }
        }
        guard let data = FileManager.default.contents(atPath: corpusPath) else { throw GatewayError(.notFound, "cannot read \(corpusPath)") }
        let corpus = data.split(separator: UInt8(ascii: "\n")).map { Array($0) }.filter { !$0.isEmpty }
        guard !corpus.isEmpty else { throw GatewayError(.notFound, "empty corpus") }

        for connections in connectionCounts {
            let dbPath = dbDirectory + "/concord-bench-gateway-\(connections)-\(UUID().uuidString).sqlite"
            var configuration = GatewayConfiguration()
            configuration.database = dbPath
            configuration.writer.pageCacheMiB = pageCacheMiB
            configuration.writer.factCacheInstances = factCache
            configuration.workers.nice = workerNice
            configuration.writer.syncOnItsOwnThread = !syncInCommit
            configuration.inbox = nil
            configuration.http = nil
            var listener = GatewayConfiguration.MLLPListenerSettings()
            listener.port = 0
            configuration.mllp = [listener]
            Log.level = .warning
            let server = try Server(configuration: configuration)
            try server.start()
            let port = server.boundPorts.mllp[0]
            let perConnection = max(1, total / connections)
            let latencies = Mutex<[Double]>([])
            let accepted = Atomic<Int>(0)
            let failures = Atomic<Int>(0)
            let start = Bench.now()
            let cpuStart = Bench.processCPUSeconds()
            let group = DispatchGroup()
            for c in 0..<connections {
                group.enter()
                let thread = Thread {
                    defer { group.leave() }
                    guard let client = try? MLLPClient(port: port, timeout: 30) else {
                        failures.add(perConnection, ordering: .relaxed)
                        return
                    }
                    var mine: [Double] = []
                    mine.reserveCapacity(perConnection)
                    for k in 0..<perConnection {
                        // Distinct control ids per connection so nothing is a re-send.
                        var message = corpus[(c * perConnection + k) % corpus.count]
                        message = uniqueControlID(message, suffix: "-\(c)-\(k)")
                        let t0 = Bench.now()
                        guard let ack = try? client.exchange(message, timeout: 30) else {
                            failures.add(1, ordering: .relaxed)
                            continue
                        }
                        mine.append(Bench.now() - t0)
                        if containsAA(ack) { accepted.add(1, ordering: .relaxed) } else { failures.add(1, ordering: .relaxed) }
                    }
                    client.close()
                    latencies.withLock { $0.append(contentsOf: mine) }
                }
                thread.stackSize = 1 << 20
                thread.start()
            }
            group.wait()
            let seconds = Bench.now() - start
            let processCPU = Bench.processCPUSeconds() - cpuStart
            let samples = latencies.withLock { $0 }
            let commits = server.writer.commitCounts
            let writerCPU = server.writer.cpuSeconds
            if sqlProfile { printStatementProfile(server, messages: accepted.load(ordering: .relaxed)) }
            server.stop()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dbPath + suffix) }
            let ok = accepted.load(ordering: .relaxed)
            let extra = ["connections": String(connections), "acked": String(ok), "failed": String(failures.load(ordering: .relaxed)),
                         "commits": String(commits.batches), "msgs_per_commit": String(format: "%.1f", Double(commits.jobs) / Double(max(commits.batches, 1)))]
            Bench.report("gateway.mllp", "msgs_per_s_c\(connections)", Double(ok) / seconds, unit: "msg/s", extra: extra)
            Bench.report("gateway.mllp", "ack_p50_ms_c\(connections)", Bench.percentile(samples, 50) * 1000, unit: "ms", extra: extra)
            Bench.report("gateway.mllp", "ack_p99_ms_c\(connections)", Bench.percentile(samples, 99) * 1000, unit: "ms", extra: extra)
            // CPU per message: the writer's (the serial section) and the whole process's (server and the
            // in-process clients). Less sensitive to other load on the machine than the rates.
            Bench.report("gateway.mllp", "writer_cpu_us_per_msg_c\(connections)", writerCPU / Double(max(ok, 1)) * 1e6, unit: "us", extra: extra)
            Bench.report("gateway.mllp", "process_cpu_us_per_msg_c\(connections)", processCPU / Double(max(ok, 1)) * 1e6, unit: "us", extra: extra)
        }
    }

    /// Where the writer's statements went: runs per message and VM steps per run, most-run first (read on
    /// the writer thread, whose connection the statements belong to).
    static func printStatementProfile(_ server: Server, messages: Int) {
        let done = DispatchSemaphore(value: 0)
        let profile = Mutex<[(sql: String, runs: Int, steps: Int)]>([])
        server.writer.submit({ store in store.db.statementProfile() }, completion: { result in
            profile.withLock { $0 = (try? result.get()) ?? [] }
            done.signal()
        })
        done.wait()
        Bench.printStatementProfile(profile.withLock { $0 }, per: messages, unit: "message", short: "msg", limit: 50)
    }

    /// Appends `suffix` to MSH-10 (the 10th field of the first segment).
    static func uniqueControlID(_ message: [UInt8], suffix: String) -> [UInt8] {
        guard message.count > 4 else { return message }
        let fs = message[3]
        var count = 0
        for (i, b) in message.enumerated() {
            if b == 0x0D { break }
            if b == fs {
                count += 1
                // MSH-1 is the separator itself, so the 10th separator ends MSH-10.
                if count == 10 {
                    var out = Array(message[..<i])
                    out += Array(suffix.utf8)
                    out += message[i...]
                    return out
                }
            }
        }
        return message
    }

    static func containsAA(_ ack: [UInt8]) -> Bool {
        let needle = Array("MSA|AA".utf8)
        guard ack.count >= needle.count else { return false }
        for i in 0...(ack.count - needle.count) where ack[i] == needle[0] {
            if Array(ack[i..<(i + needle.count)]) == needle { return true }
        }
        return false
    }
}
