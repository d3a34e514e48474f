import Clinical
import FHIRLite
import Foundation
import PatientIndex

/// The `concord` command line. Entry point: ``CommandLineTool/main(_:)``.
///
/// Contract for scripts: a global `--db PATH` selects the database; `ingest` and `check` take files and
/// directories (recursive, format detected from content); every command that lists or shows something
/// has `--json`; exit status 0 on success, non-zero with a one-line error on standard error otherwise.
package enum CommandLineTool {
    static let usage = """
    concord — a clinical interoperability gateway (HL7 v2, C-CDA, FHIR R4 → one master patient index)

    usage: concord [--db PATH] COMMAND [ARGS] [--json]

    commands:
      demo [DIR]                       ingest DIR (default samples/) into a fresh database and summarize
      serve [--config FILE]            run the gateway: inbox, MLLP listeners, HTTP API
      init [FILE]                      write a commented example configuration (default concord.json)
      ingest PATH…                     ingest files and folders (recursive; format detected from content)
      check PATH…                      parse and map files without storing anything; report every error
      patients list                    every enterprise patient with its golden and source records
      patients search [--name N] [--birth-date YYYY-MM-DD] [--identifier ID]
      patients show ID                 golden record, source records, link explanations, history
      patients record ID [--kind K,…] [--from DATE] [--to DATE]   the unified record
      patients signals ID              care-management signals
      patients export ID               the unified record as a FHIR R4 Bundle (Patient/$everything)
      duplicate-tests [--patient ID]   duplicate-test flags
      duplicate-tests acknowledge|dismiss|reopen FLAG-ID
      review list [--status S]         the review queue (open by default; all, matched, not-a-match)
      review decide ID match|not-a-match [--reason TEXT]
      steward link RECORD EP | unlink RECORD | merge EP INTO-EP | undo EVENT   [--reason TEXT]
      messages list [--status S] [--limit N] | show ID | reprocess ID
      audit [--limit N]                the audit log
      index train                      re-estimate the match model from the index (versioned)
      token hash SECRET                print the SHA-256 to put in the configuration's tokens

    options: --db PATH (default data/concord.sqlite), --config FILE (its facts settings apply), --actor NAME (recorded in the audit log and link
    history; default cli:$USER), --json, --help
    """

    /// Runs the command line and returns the exit status.
    package static func main(_ words: [String] = Array(CommandLine.arguments.dropFirst())) -> Int32 {
        do {
            let arguments = try Arguments(words)
            if arguments.has("help") || arguments.positionals.isEmpty {
                print(usage)
                return arguments.positionals.isEmpty && !arguments.has("help") ? 64 : 0
            }
            try run(arguments)
            return 0
        } catch let error as GatewayError {
            FileHandle.standardError.write(Data("concord: \(error.reason)\n".utf8))
            return error.exitStatus
        } catch {
            FileHandle.standardError.write(Data("concord: \(String(describing: error).split(separator: "\n").first ?? "error")\n".utf8))
            return 1
        }
    }

    static func run(_ a: Arguments) throws {
        let command = a.positionals[0]
        switch command {
        case "demo": try Demo.run(a)
        case "serve": try serve(a)
        case "init": try initConfiguration(a)
        case "ingest": try ingest(a)
        case "check": try Check.run(a)
        case "patients": try patients(a)
        case "duplicate-tests": try duplicateTests(a)
        case "review": try review(a)
        case "steward": try steward(a)
        case "messages": try messages(a)
        case "audit": try audit(a)
        case "index": try index(a)
        case "token": try token(a)
        default: throw GatewayError(.usage, "unknown command '\(command)'; see concord --help")
        }
    }

    // MARK: Helpers

    static func databasePath(_ a: Arguments) -> String { a[option: "db"] ?? "data/concord.sqlite" }

    static func actor(_ a: Arguments) -> String {
        a[option: "actor"] ?? "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? "unknown")
    }

    /// A writer and operations on the database, for one command.
    final class Session {
        /// Messages per group commit for `concord ingest`: nobody waits for an ACK while a bulk load runs,
        /// and a larger commit writes each index page it dirties once instead of once per 256 messages
        /// (16,384 instead of 4,096 took a 1M-record index load from 579 to 464 s, writing 28 GB instead of 63).
        static let bulkCommit = 16_384
        let writer: GroupCommitWriter<PatientIndexStore>
        let service: IngestService
        let operations: Operations
        let path: String
        private var readerValue: PatientIndexReader?
        let facts: FactConfiguration

        init(path: String, facts: FactConfiguration = .standard) throws {
            self.path = path
            self.facts = facts
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            let ledger = FactLedger(configuration: facts)
            // A command's writer is a bulk loader: its WAL checkpoints run on the otherwise idle second core.
            let store = try PatientIndexStore(path: path, configuration: IndexConfiguration(backgroundCheckpoints: true), ledger: ledger)
            writer = GroupCommitWriter(store: store, maxBatch: Self.bulkCommit) { store, body in try store.groupCommit(body) }
            let metrics = Metrics()
            service = IngestService(writer: writer, metrics: metrics, ledger: ledger)
            operations = Operations(writer: writer, ingestService: service, metrics: metrics)
        }

        func reader() throws -> PatientIndexReader {
            if let readerValue { return readerValue }
            let reader = try PatientIndexReader(path: path, ledger: FactLedger(configuration: facts))
            readerValue = reader
            return reader
        }

        func close() { writer.stop() }
    }

    static func session(_ a: Arguments, mustExist: Bool = true) throws -> Session {
        let path = databasePath(a)
        if mustExist && !FileManager.default.fileExists(atPath: path) {
            throw GatewayError(.notFound, "no database at \(path) (run `concord ingest` or `concord demo` first, or pass --db)")
        }
        var facts = FactConfiguration.standard
        if let config = a[option: "config"] { facts = try Server.loadFacts(try GatewayConfiguration.load(path: config).facts) }
        return try Session(path: path, facts: facts)
    }

    static func printJSON(_ value: some Encodable) {
        print(String(decoding: JSONViews.encode(value), as: UTF8.self))
    }

    /// Every regular file under the given paths (recursively for folders; hidden files skipped), sorted
    /// by file name so that dated sample files are ingested in time order across folders.
    static func files(_ paths: [String]) throws -> [String] {
        var result: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { throw GatewayError(.notFound, "no such file or folder: \(path)") }
            if isDirectory.boolValue {
                guard let enumerator = fm.enumerator(atPath: path) else { continue }
                for case let relative as String in enumerator {
                    let name = (relative as NSString).lastPathComponent
                    if name.hasPrefix(".") || relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
                    let full = path + "/" + relative
                    var sub: ObjCBool = false
                    if fm.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue,
                        !name.lowercased().hasSuffix(".md"), !InboxWatcher.isIgnored(name)
                    {
                        result.append(full)
                    }
                }
            } else {
                result.append(path)
            }
        }
        return result.sorted { ($0 as NSString).lastPathComponent < ($1 as NSString).lastPathComponent }
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw GatewayError(.io, "cannot read \(path)") }
        return [UInt8](data)
    }

    // MARK: Commands

    static func serve(_ a: Arguments) throws {
        var configuration = GatewayConfiguration()
        if let path = a[option: "config"] { configuration = try GatewayConfiguration.load(path: path) }
        if let db = a[option: "db"] { configuration.database = db }
        if let level = Log.Level(name: configuration.logLevel) { Log.level = level }
        let server = try Server(configuration: configuration)
        try server.start()
        Log.info("concord serve: ready (database \(configuration.database))")
        // Stop cleanly on SIGINT/SIGTERM: listeners first, then the writer drains.
        let signals = DispatchQueue(label: "concord-signals")
        var sources: [DispatchSourceSignal] = []
        let stopped = DispatchSemaphore(value: 0)
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: signals)
            source.setEventHandler { stopped.signal() }
            source.resume()
            sources.append(source)
        }
        stopped.wait()
        Log.info("concord serve: stopping")
        server.stop()
        _ = sources
    }

    static func initConfiguration(_ a: Arguments) throws {
        let path = a.positionals.count > 1 ? a.positionals[1] : "concord.json"
        guard !FileManager.default.fileExists(atPath: path) else { throw GatewayError(.conflict, "\(path) exists; not overwritten") }
        guard FileManager.default.createFile(atPath: path, contents: Data(GatewayConfiguration.example.utf8)) else {
            throw GatewayError(.io, "cannot write \(path)")
        }
        print("wrote \(path)")
    }

    static func ingest(_ a: Arguments) throws {
        let paths = Array(a.positionals.dropFirst())
        guard !paths.isEmpty else { throw GatewayError(.usage, "ingest needs files or folders") }
        let files = try files(paths)
        let session = try session(a, mustExist: false)
        defer { session.close() }
        var results: [FileResult] = []
        // Files are read and ingested in groups (about 32 MiB or 1,024 files at a time), each group's messages
        // in flight together so they share group commits; results are still reported per file, in order.
        var group: [(name: String, bytes: [UInt8])] = []
        var groupBytes = 0
        for (i, file) in files.enumerated() {
            let bytes: [UInt8]
            do { bytes = try read(file) } catch {
                // What was read before the unreadable file is still ingested, as one file at a time did.
                results += fileResults(group, service: session.service)
                throw error
            }
            group.append((file, bytes))
            groupBytes += bytes.count
            if groupBytes >= 32 << 20 || group.count >= 1024 || i == files.count - 1 {
                results += fileResults(group, service: session.service)
                group.removeAll()
                groupBytes = 0
            }
        }
        let failed = results.filter { $0.status == "failed" }.count
        if a.has("json") {
            printJSON(results)
        } else {
            for r in results { print("\(r.status == "ingested" ? "ok    " : "FAILED") \(r.file): \(r.detail.replacingOccurrences(of: "\n", with: "\n       "))") }
        }
        if failed > 0 { throw GatewayError(.badRequest, "\(failed) of \(files.count) file(s) failed; they are kept in the message log with their errors") }
    }

    private struct FileResult: Encodable { var file: String; var status: String; var detail: String }

    /// Ingests a group of files together and reports each (``Server/ingestFiles(_:channel:service:queued:)``).
    private static func fileResults(_ group: [(name: String, bytes: [UInt8])], service: IngestService) -> [FileResult] {
        zip(group, Server.ingestFiles(group, channel: .cli, service: service, queued: Session.bulkCommit)).map { file, outcome in
            switch outcome {
            case .ingested(let summary): FileResult(file: file.name, status: "ingested", detail: summary)
            case .failed(let reason): FileResult(file: file.name, status: "failed", detail: reason)
            case .retry(let reason):
                FileResult(file: file.name, status: "failed", detail: reason + "\n(not stored: the database refused the write; run the same ingest again)")
            }
        }
    }

    static func patients(_ a: Arguments) throws {
        let sub = try a.positional(1, "subcommand (list, search, show, record, signals, export)")
        let session = try session(a)
        defer { session.close() }
        let reader = try session.reader()
        let ops = session.operations
        let who = actor(a)
        switch sub {
        case "list":
            let all = try ops.allPatients(reader, actor: who)
            if a.has("json") { printJSON(all.map(JSONViews.EnterprisePatientView.init)) } else { Render.patients(all) }
        case "search":
            let found = try ops.search(reader, actor: who, name: a[option: "name"], birthDate: a[option: "birth-date"], identifier: a[option: "identifier"], limit: try a.int("limit", default: 50))
            if a.has("json") { printJSON(found.map(JSONViews.EnterprisePatientView.init)) } else { Render.patients(found) }
        case "show":
            let patient = try ops.patient(reader, actor: who, id: try a.positional(2, "enterprise id"))
            if a.has("json") { printJSON(JSONViews.EnterprisePatientView(patient)) } else {
                Render.patients([patient], explain: true)
                let events = try reader.history(enterpriseID: patient.id)
                if !events.isEmpty {
                    print("  history:")
                    for e in events { print("    #\(e.eventID) \(e.time) \(e.action.rawValue) by \(e.actor)\(e.reason.map { ": \($0)" } ?? "")") }
                }
            }
        case "record":
            let record = try ops.record(reader, actor: who, id: try a.positional(2, "enterprise id"), kinds: a[option: "kind"], from: a[option: "from"], to: a[option: "to"])
            if a.has("json") { printJSON(record) } else { Render.record(record) }
        case "signals":
            let signals = try ops.signals(reader, actor: who, id: try a.positional(2, "enterprise id"))
            printJSON(signals)
        case "export":
            let record = try ops.record(reader, actor: who, id: try a.positional(2, "enterprise id"), kinds: nil, from: nil, to: nil)
            print(String(decoding: FHIRWriter.patientEverything(record), as: UTF8.self))
        default: throw GatewayError(.usage, "unknown patients subcommand '\(sub)'")
        }
    }

    static func duplicateTests(_ a: Arguments) throws {
        let session = try session(a)
        defer { session.close() }
        if a.positionals.count > 1 {
            let status = a.positionals[1]
            guard ["acknowledge", "dismiss", "reopen"].contains(status) else { throw GatewayError(.usage, "usage: concord duplicate-tests [acknowledge|dismiss|reopen FLAG-ID]") }
            let id = try a.positional(2, "flag id")
            let word = status == "acknowledge" ? "acknowledged" : (status == "dismiss" ? "dismissed" : "open")
            try session.operations.setFlagStatus(actor: actor(a), flagID: id, status: word)
            print("flag \(id): \(word)")
            return
        }
        let flags = try session.operations.flags(try session.reader(), actor: actor(a), id: a[option: "patient"])
        if a.has("json") { printJSON(flags) } else { Render.flags(flags) }
    }

    static func review(_ a: Arguments) throws {
        let sub = try a.positional(1, "subcommand (list, decide)")
        let session = try session(a)
        defer { session.close() }
        switch sub {
        case "list":
            let items = try session.operations.reviewQueue(try session.reader(), actor: actor(a), status: a[option: "status"])
            if a.has("json") { printJSON(items.map(JSONViews.ReviewItemView.init)) } else { Render.review(items) }
        case "decide":
            guard let id = Int64(try a.positional(2, "review item id")) else { throw GatewayError(.usage, "review item id must be a number") }
            let verdict = try a.positional(3, "decision (match or not-a-match)")
            guard verdict == "match" || verdict == "not-a-match" else { throw GatewayError(.usage, "decision must be match or not-a-match") }
            let outcome = try session.operations.decide(actor: actor(a), reviewID: id, isMatch: verdict == "match", reason: a[option: "reason"])
            if a.has("json") { printJSON(StewardOutcomeView(outcome)) } else { print("review \(id): \(verdict) (event #\(outcome.eventID), enterprise patient \(outcome.enterpriseID))") }
        default: throw GatewayError(.usage, "unknown review subcommand '\(sub)'")
        }
    }

    static func steward(_ a: Arguments) throws {
        let sub = try a.positional(1, "subcommand (link, unlink, merge, undo)")
        let session = try session(a)
        defer { session.close() }
        let ops = session.operations
        let who = actor(a)
        let reason = a[option: "reason"]
        func number(_ i: Int, _ what: String) throws -> Int64 {
            guard let n = Int64(try a.positional(i, what)) else { throw GatewayError(.usage, "\(what) must be a number") }
            return n
        }
        let outcome: StewardOutcome
        switch sub {
        case "link": outcome = try ops.link(actor: who, recordID: try number(2, "source record id"), to: try a.positional(3, "enterprise id"), reason: reason)
        case "unlink": outcome = try ops.unlink(actor: who, recordID: try number(2, "source record id"), reason: reason)
        case "merge": outcome = try ops.merge(actor: who, from: try a.positional(2, "enterprise id to merge"), into: try a.positional(3, "enterprise id to keep"), reason: reason)
        case "undo": outcome = try ops.undo(actor: who, eventID: try number(2, "history event id"), reason: reason)
        default: throw GatewayError(.usage, "unknown steward subcommand '\(sub)'")
        }
        if a.has("json") { printJSON(StewardOutcomeView(outcome)) } else { print("\(sub): done (event #\(outcome.eventID), enterprise patient \(outcome.enterpriseID))") }
    }

    static func messages(_ a: Arguments) throws {
        let sub = try a.positional(1, "subcommand (list, show, reprocess)")
        let session = try session(a)
        defer { session.close() }
        let reader = try session.reader()
        switch sub {
        case "list":
            let list = try session.operations.messages(reader, actor: actor(a), status: a[option: "status"], limit: try a.int("limit", default: 100))
            if a.has("json") { printJSON(list.map { JSONViews.MessageView($0, includeContent: false) }) } else {
                for m in list {
                    print("#\(m.id) \(m.receivedAt) \(m.channel.rawValue) \(m.format ?? "?") \(m.senderFacility ?? "-") \(m.controlID ?? "-") \(m.status.rawValue)\(m.error.map { ": \($0)" } ?? "")")
                }
            }
        case "show":
            guard let id = Int64(try a.positional(2, "message id")) else { throw GatewayError(.usage, "message id must be a number") }
            let m = try session.operations.message(reader, actor: actor(a), id: id)
            let view = JSONViews.MessageView(m, includeContent: true)
            if a.has("json") { printJSON(view) } else {
                print("message #\(m.id): \(m.status.rawValue), \(m.format ?? "?") via \(m.channel.rawValue), \(m.size) bytes, sha256 \(m.sha256)")
                if let e = m.error { print("error: \(e)\(m.errorPosition.map { " at \($0)" } ?? "")") }
                if let ack = view.ack { print("ack:\n\(ack)") }
                print("content:\n\(view.content ?? "")")
            }
        case "reprocess":
            guard let id = Int64(try a.positional(2, "message id")) else { throw GatewayError(.usage, "message id must be a number") }
            let reply = try session.operations.reprocess(reader, actor: actor(a), id: id)
            if a.has("json") { printJSON(JSONViews.IngestReplyView(reply)) } else { print("message #\(id) reprocessed: \(reply.status.rawValue)\(reply.messageLogID.map { $0 == id ? "" : " (as message #\($0))" } ?? "")\(reply.error.map { ": \($0)" } ?? "")") }
            if reply.status == .failed { throw GatewayError(.badRequest, "reprocessing failed again") }
        default: throw GatewayError(.usage, "unknown messages subcommand '\(sub)'")
        }
    }

    static func audit(_ a: Arguments) throws {
        let session = try session(a)
        defer { session.close() }
        let entries = try session.reader().auditLog(limit: try a.int("limit", default: 100))
        try session.operations.audit(actor(a), "audit.read", patients: [])
        if a.has("json") { printJSON(entries.map(JSONViews.AuditView.init)) } else {
            for e in entries { print("\(e.time) \(e.actor) \(e.action) \(e.patientIDs.joined(separator: ","))\(e.detail.map { " — \($0)" } ?? "")") }
        }
    }

    static func index(_ a: Arguments) throws {
        let sub = try a.positional(1, "subcommand (train)")
        guard sub == "train" else { throw GatewayError(.usage, "unknown index subcommand '\(sub)'") }
        let session = try session(a)
        defer { session.close() }
        let who = actor(a)
        let model = try session.writer.perform { store in try store.train(actor: who) }
        if a.has("json") { printJSON(["version": model.version, "upperThreshold": String(model.upperThreshold), "lowerThreshold": String(model.lowerThreshold)]) } else {
            print("trained match model \(model.version) (link ≥ \(model.upperThreshold), review ≥ \(model.lowerThreshold))")
        }
    }

    static func token(_ a: Arguments) throws {
        guard try a.positional(1, "subcommand (hash)") == "hash" else { throw GatewayError(.usage, "usage: concord token hash SECRET") }
        print(SHA256Digest.hex(Array(try a.positional(2, "token").utf8)))
    }
}
