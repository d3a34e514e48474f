import Clinical
import Foundation
import HL7v2
import PatientIndex
import Synchronization

/// `concord serve`: the running gateway — inbox watcher, MLLP listeners, HTTP API — around one
/// group-commit writer and a pool of worker threads.
///
/// Threads: one libevent loop thread for all network I/O; `workers` threads for parsing, mapping and
/// reads (each with its own read-only SQLite connection); one writer thread that owns the write
/// connection; one inbox thread. Swift's cooperative pool is not used, so nothing here can starve it.
package final class Server: @unchecked Sendable {
    package let configuration: GatewayConfiguration
    package let metrics = Metrics()
    package let writer: GroupCommitWriter<PatientIndexStore>
    package let ingestService: IngestService
    package let operations: Operations
    private let pool: WorkerPool<API.Context>
    private let loop: EventLoop
    private var mllpServers: [MLLPServer] = []
    private var httpServer: HTTPServer?
    private var inbox: InboxWatcher?
    private let trimmer = MemoryTrimmer()
    /// Each open MLLP connection's ordering of its messages on their way to the writer.
    private let orders = ConnectionOrders()

    /// Opens the database and starts the writer and workers (listeners start with ``start()``).
    package init(configuration: GatewayConfiguration) throws {
        self.configuration = configuration
        let directory = (configuration.database as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let facts = try Self.loadFacts(configuration.facts)
        let ledger = FactLedger(configuration: facts)
        let store = try PatientIndexStore(
            path: configuration.database, configuration: {
                var index = IndexConfiguration(pageCacheMiB: configuration.writer.pageCacheMiB,
                    backgroundCheckpoints: configuration.writer.backgroundCheckpoints)
                index.unificationCacheInstances = configuration.writer.factCacheInstances
                index.inlineCheckpointBelowFrames = 256
                index.deferredCommitSync = configuration.writer.syncOnItsOwnThread
                return index
            }(), ledger: ledger)
        // With `syncOnItsOwnThread` the store's commits are durable after `commitSync.sync()`, which the
        // writer's sync thread calls before it completes (acknowledges) the batches it covers.
        let sync = store.commitSync.map { commitSync in { @Sendable in try commitSync.sync() } }
        writer = GroupCommitWriter(store: store, maxBatch: configuration.writer.maxBatch, sync: sync) { store, body in
            try store.groupCommit(body)
        }
        ingestService = IngestService(writer: writer, metrics: metrics, ledger: ledger)
        operations = Operations(writer: writer, ingestService: ingestService, metrics: metrics)
        let path = configuration.database
        pool = WorkerPool(threads: max(1, configuration.workers.threads), nice: configuration.workers.nice) { API.Context(reader: try PatientIndexReader(path: path, ledger: FactLedger(configuration: facts))) }
        do {
            loop = try EventLoop(name: "concord-net")
        } catch {
            writer.stop()
            throw GatewayError(.io, "cannot start the event loop: \(error)")
        }
    }

    static func loadFacts(_ path: String?) throws -> FactConfiguration {
        guard let path else { return .standard }
        guard let data = FileManager.default.contents(atPath: path) else { throw GatewayError(.configuration, "cannot read facts configuration \(path)") }
        do {
            return try JSONDecoder().decode(FactConfiguration.self, from: Data(GatewayConfiguration.stripComments(data)))
        } catch let error as DecodingError {
            throw GatewayError(.configuration, "\(path): \(GatewayConfiguration.describe(error))")
        }
    }

    /// The ports actually bound: (MLLP ports in config order, HTTP port or nil).
    package var boundPorts: (mllp: [Int], http: Int?) { (mllpServers.map(\.boundPort), httpServer?.boundPort) }

    /// Starts every configured listener and the inbox.
    package func start() throws {
        trimmer.start()
        let tls = configuration.tls.map { settings -> TLSConfiguration in
            TLSConfiguration(certificatePath: settings.certificate, privateKeyPath: settings.privateKey,
                             clientCAPath: settings.clientCA, requireClientCertificate: settings.requireClientCertificate)
        }
        func tlsFor(_ wanted: Bool, _ what: String) throws -> TLSConfiguration? {
            guard wanted else { return nil }
            guard let tls else { throw GatewayError(.configuration, "\(what) asks for TLS but the configuration has no \"tls\" section") }
            return tls
        }
        let clientFacilities = configuration.tls?.clientFacilities ?? [:]
        let reservedFacilities = Set(clientFacilities.values.map { $0.uppercased() })
        for listener in configuration.mllp {
            let server = MLLPServer(
                host: listener.host, port: listener.port, tls: try tlsFor(listener.tls, "an MLLP listener"),
                maxFrameBytes: listener.maxFrameBytes, idleTimeout: listener.idleTimeoutSeconds,
                maxConnections: listener.maxConnections, loop: loop,
                onEvent: { [metrics, orders] event in
                    if case .closed(let connection, _) = event { orders.remove(connection.id) }
                    Self.log(event, metrics: metrics)
                },
                handler: { [pool, ingestService, metrics, orders] frame, connection, reply in
                    let vouched = connection.clientCommonName.flatMap { clientFacilities[$0] }
                    let unit = InboundUnit(raw: frame, channel: .mllp, origin: "mllp:\(connection.peer)#\(connection.id)",
                                           vouchedFacility: vouched, reservedFacilities: reservedFacilities)
                    // Parsed in parallel, committed in the connection's order.
                    let order = orders.order(for: connection.id)
                    let ticket = order.ticket()
                    pool.submit { _ in
                        ingestService.ingest(unit, order: order, ticket: ticket) { result in
                            if let ack = result.ack {
                                reply.send(ack)
                            } else if result.format == .hl7v2 || result.format == .unknown {
                                // No ACK was built (the writer failed before the parse's ACK, or the content is
                                // unrecognised): answer from the frame's own header.
                                reply.send(MessageParser.acknowledgement(for: MessageParser.parse(frame), failure: result.error, reject: false))
                            } else {
                                // A document over MLLP: an HL7 ACK all the same, saying what became of it.
                                reply.send(MessageParser.documentAcknowledgement(for: result))
                            }
                            metrics.observeAckLatency(seconds: Double(DispatchTime.now().uptimeNanoseconds) / 1e9 - unit.receivedAt)
                        }
                    }
                })
            do { try server.start() } catch { throw GatewayError(.io, "MLLP listener \(listener.host):\(listener.port): \(error)") }
            mllpServers.append(server)
            Log.info("mllp: listening on \(listener.host):\(server.boundPort)\(listener.tls ? " (TLS)" : "")")
        }
        if let http = configuration.http {
            let api = API(authenticator: TokenAuthenticator(tokens: configuration.tokens), operations: operations, pool: pool,
                          metrics: metrics, ingestService: ingestService)
            let server = HTTPServer(host: http.host, port: http.port, tls: try tlsFor(http.tls, "the HTTP listener"),
                                    maxBodyBytes: http.maxBodyBytes, timeoutSeconds: http.timeoutSeconds, loop: loop) { request, responder in
                api.handle(request, responder)
            }
            do { try server.start() } catch { throw GatewayError(.io, "HTTP listener \(http.host):\(http.port): \(error)") }
            httpServer = server
            Log.info("http: listening on \(http.host):\(server.boundPort)\(http.tls ? " (HTTPS)" : "")")
            if configuration.tokens.isEmpty { Log.warning("http: no tokens configured; every endpoint but /health will refuse requests") }
        }
        if let settings = configuration.inbox {
            let ingestService = self.ingestService
            let watcher = InboxWatcher(settings: settings, ingestBatch: { files in
                Self.ingestFiles(files, channel: .inbox, service: ingestService)
            })
            try watcher.start()
            inbox = watcher
            Log.info("inbox: watching \(settings.path)")
        }
    }

    /// Ingests the messages of one file and sums up the outcome (used by the inbox and `concord ingest`).
    package static func ingestFile(name: String, bytes: [UInt8], channel: MessageChannel, service: IngestService) -> InboxOutcome {
        ingestFiles([(name, bytes)], channel: channel, service: service)[0]
    }

    /// Ingests the messages of several files in order, all in flight together so that they share group
    /// commits (``IngestService/ingestAll(_:parallelism:window:chunksInFlight:)``), and sums up each file's outcome. Every
    /// message is committed before this returns, as with one file at a time. At most `queued` messages
    /// are with the writer at once (handed over 256 at a time).
    package static func ingestFiles(
        _ files: [(name: String, bytes: [UInt8])], channel: MessageChannel, service: IngestService, queued: Int = 512
    ) -> [InboxOutcome] {
        var units: [InboundUnit] = []
        var owner: [(file: Int, index: Int, of: Int)] = []
        for (f, file) in files.enumerated() {
            let raws = MessageParser.split(file.bytes)
            // The origin is logged when a commit fails; a file's name may hold patient names or MRNs.
            let origin = "\(channel.rawValue):\(InboxWatcher.logName(file.name))"
            for (i, raw) in raws.enumerated() {
                units.append(InboundUnit(raw: raw, channel: channel, origin: origin))
                owner.append((f, i, raws.count))
            }
        }
        let window = 256
        let replies = service.ingestAll(units, window: window, chunksInFlight: max(2, queued / window))
        var failures = Array(repeating: [String](), count: files.count)
        var notStored = Array(repeating: [String](), count: files.count)
        var ingested = Array(repeating: 0, count: files.count)
        var duplicates = Array(repeating: 0, count: files.count)
        for (reply, who) in zip(replies, owner) {
            let which = "message \(who.index + 1) of \(who.of)"
            switch reply.status {
            case .ingested: ingested[who.file] += 1
            case .duplicate where reply.earlierStatus == .failed:
                // Logged with its error by an earlier pass over the file (before a crash or a storage failure).
                failures[who.file].append("\(which): already in the message log as failed (message \(reply.messageLogID.map(String.init) ?? "?"))")
            case .duplicate: duplicates[who.file] += 1
            case .failed where reply.messageLogID == nil && reply.error?.code == .storage:
                notStored[who.file].append("\(which): \(reply.error?.reason ?? "not stored")")
            case .failed: failures[who.file].append("\(which): \(reply.error?.description ?? "failed")")
            }
        }
        return files.indices.map { f in
            if !notStored[f].isEmpty {
                return .retry(reason: notStored[f].joined(separator: "\n"))
            }
            if failures[f].isEmpty {
                return .ingested(summary: "\(ingested[f]) ingested, \(duplicates[f]) already known")
            }
            return .failed(reason: failures[f].joined(separator: "\n") + "\n(\(ingested[f]) other message(s) ingested, \(duplicates[f]) already known)")
        }
    }

    private static func log(_ event: MLLPServerEvent, metrics: Metrics) {
        switch event {
        case .opened(let c): metrics.connectionOpened(); Log.debug("mllp: connection \(c.id) from \(c.peer) opened")
        case .closed(let c, let reason): metrics.connectionClosed(); Log.debug("mllp: connection \(c.id) closed: \(reason)")
        case .discarded(let c, let count):
            metrics.countDiscarded(bytes: count)
            Log.warning("mllp: connection \(c.id) from \(c.peer): discarded \(count) bytes outside frames")
        case .oversized(let c, let limit, let reply):
            Log.warning("mllp: connection \(c.id) from \(c.peer): frame over \(limit) bytes; rejected and closing")
            let error = HL7ParseError(.messageTooLarge, "message exceeds the \(limit)-byte frame limit")
            reply.send(HL7Acknowledgement.build(forUnparsable: [], error: error, code: .applicationReject, controlID: "ACK-OVERSIZE", timestamp: ClinicalTime.now()).serialize())
        case .rejected(let peer): Log.warning("mllp: connection from \(peer) refused: too many connections")
        }
    }

    /// Stops listeners (no new work), drains the inbox, workers and writer.
    package func stop() {
        trimmer.stop()
        for server in mllpServers { server.stop() }
        httpServer?.stop()
        inbox?.stop()
        pool.stop()
        writer.stop()
        loop.stop()
    }
}

/// The ``OrderedIntake`` of each open MLLP connection, by connection id (dropped when it closes; messages
/// still being parsed keep theirs).
private final class ConnectionOrders: Sendable {
    private let orders = Mutex<[UInt64: OrderedIntake]>([:])

    func order(for connection: UInt64) -> OrderedIntake {
        orders.withLock { map in
            if let order = map[connection] { return order }
            let order = OrderedIntake()
            map[connection] = order
            return order
        }
    }

    func remove(_ connection: UInt64) { _ = orders.withLock { $0.removeValue(forKey: connection) } }
}
