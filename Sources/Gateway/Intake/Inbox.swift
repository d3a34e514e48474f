import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What happened to one inbox file.
package enum InboxOutcome: Sendable, Equatable {
    /// Ingested (committed); the file goes to the dated archive.
    case ingested(summary: String)
    /// Refused or failed (the error is committed to the message log when the file could be read); the file
    /// goes to `failed/` with `<name>.error.txt` beside it.
    case failed(reason: String)
    /// Not stored because the store failed (disk full, I/O error): the file stays claimed and is taken
    /// again later, with a growing delay. Messages of it that did commit are found already logged then.
    case retry(reason: String)
}

/// The inbox: hospitals drop files into a directory; Concord takes each complete file exactly once.
///
/// Life of a file: it appears in `inbox/` → once its size and modification time are stable for
/// `stableSeconds` it is *claimed* by an atomic `rename` into `inbox/.claimed/` → read and handed to
/// the ingest function, which returns only after the transaction holding it has committed → moved to
/// `archive/YYYY-MM-DD/` (or `failed/` with an error file). After a crash, files still in `.claimed/`
/// are resumed first; because every message is deduplicated by the message log (HL7 control id per
/// sender, or content hash for documents), a file whose commit happened just before the crash is not
/// ingested twice — its second pass finds every message already logged.
///
/// Ignored: dot-files, `*.tmp`, `*.part`, `*.swp`, directories. Refused (moved to `failed/` unread):
/// symbolic links and anything that is not a regular file, files over `maxFileBytes`.
/// Watching is by inotify (close-write and moved-to events) with a periodic full rescan as fallback.
package final class InboxWatcher: @unchecked Sendable {
    package typealias Ingest = (_ name: String, _ bytes: [UInt8]) -> InboxOutcome
    /// Several files at once, in order, one outcome each (so their messages can share group commits).
    package typealias IngestBatch = (_ files: [(name: String, bytes: [UInt8])]) -> [InboxOutcome]

    private let settings: GatewayConfiguration.InboxSettings
    private let ingestBatch: IngestBatch
    /// At most this many files, and about this many bytes, are handed over together.
    private let batchFiles = 256
    private let batchBytes = 32 << 20
    private let fileManager = FileManager()
    private var thread: Thread?
    private let lock = NSLock()
    private var stopping = false
    private var finished = false
    private let done = DispatchSemaphore(value: 0)
    /// name → (size, mtime, first seen at that size)
    private var candidates: [String: (size: Int64, mtime: Int, since: Date)] = [:]
    private(set) var processedCount = 0
    /// Claimed files waiting to be tried again after a storage failure: attempts so far and when next.
    private var retries: [String: (attempts: Int, due: Date)] = [:]
    /// The longest wait between two attempts at a file the store could not take.
    package static let maxRetryDelay: TimeInterval = 300

    package var claimedDirectory: String { settings.path + "/.claimed" }

    package init(settings: GatewayConfiguration.InboxSettings, ingest: @escaping Ingest) {
        self.settings = settings
        self.ingestBatch = { files in files.map { ingest($0.name, $0.bytes) } }
    }

    /// Files that become ready in the same scan are ingested together (`ingest` gets them in name order).
    package init(settings: GatewayConfiguration.InboxSettings, ingestBatch: @escaping IngestBatch) {
        self.settings = settings
        self.ingestBatch = ingestBatch
    }

    /// Creates the folders, resumes claimed files, and starts watching on a thread of its own.
    package func start() throws {
        for path in [settings.path, claimedDirectory, settings.archive, settings.failed] {
            do {
                try fileManager.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw GatewayError(.io, "cannot create inbox folder \(path): \(error.localizedDescription)")
            }
        }
        let thread = Thread { [self] in self.run() }
        thread.name = "concord-inbox"
        self.thread = thread
        thread.start()
    }

    package func stop() {
        lock.lock()
        stopping = true
        let wasStarted = thread != nil
        lock.unlock()
        if wasStarted { done.wait() }
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func run() {
        defer { done.signal() }
        resumeClaimed()
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if fd >= 0 {
            if inotify_add_watch(fd, settings.path, UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY)) < 0 {
                Log.warning("inbox: inotify watch failed (errno \(errno)); falling back to rescans")
            }
        } else {
            Log.warning("inbox: inotify unavailable (errno \(errno)); falling back to rescans")
        }
        defer { if fd >= 0 { close(fd) } }
        var lastFullScan = Date.distantPast
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !isStopping {
            // Poll briefly when files are settling, otherwise up to the rescan period.
            let settling = !candidates.isEmpty
            let timeoutMs = Int32(settling ? min(200, settings.stableSeconds * 1000 / 2) : min(settings.rescanSeconds * 1000, 500))
            var triggered = false
            if fd >= 0 {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&p, 1, max(timeoutMs, 10)) > 0 {
                    // Drain the events; which names changed does not matter: a scan follows.
                    while read(fd, &buffer, buffer.count) > 0 {}
                    triggered = true
                }
            } else {
                usleep(UInt32(max(timeoutMs, 10)) * 1000)
            }
            if triggered || settling || Date().timeIntervalSince(lastFullScan) >= settings.rescanSeconds {
                scanOnce()
                lastFullScan = Date()
            }
        }
    }

    /// Looks at the inbox once: notes new files, claims and processes those whose size is stable.
    /// (Public for tests and for `concord ingest --inbox-once`.)
    package func scanOnce(now: Date = Date()) {
        guard let names = try? fileManager.contentsOfDirectory(atPath: settings.path) else { return }
        var seen = Set<String>()
        var ready: [String] = []
        for name in names.sorted() where !Self.isIgnored(name) {
            if isStopping { return }
            seen.insert(name)
            let path = settings.path + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let type = info.st_mode & S_IFMT
            if type == S_IFDIR { continue }
            if type != S_IFREG {
                refuse(name: name, reason: type == S_IFLNK ? "symbolic links are refused" : "not a regular file")
                continue
            }
            if info.st_nlink > 1 {
                // Another name of a file elsewhere (possibly outside the inbox): moving this name would
                // not take the file out of the other place's hands.
                refuse(name: name, reason: "hard links are refused (the file has \(info.st_nlink) names)")
                continue
            }
            let size = Int64(info.st_size)
            let mtime = Int(info.st_mtim.tv_sec)
            if let known = candidates[name], known.size == size, known.mtime == mtime {
                if now.timeIntervalSince(known.since) >= settings.stableSeconds {
                    candidates[name] = nil
                    ready.append(name)
                }
            } else {
                candidates[name] = (size, mtime, now)
            }
        }
        for name in candidates.keys where !seen.contains(name) { candidates[name] = nil }
        claimAndProcess(names: ready)
        retryDue(now: now)
    }

    /// Claimed files whose storage failure is due to be tried again (those gone meanwhile are forgotten).
    private func retryDue(now: Date) {
        let due = retries.filter { $0.value.due <= now }.keys.sorted()
        guard !due.isEmpty else { return }
        var present: [String] = []
        for name in due {
            var info = stat()
            if lstat(claimedDirectory + "/" + name, &info) == 0 { present.append(name) } else { retries[name] = nil }
        }
        process(claimedNames: present)
    }

    /// Files waiting to be tried again after a storage failure (for tests and status).
    package var waitingForRetry: [String] { retries.keys.sorted() }

    /// Whether a directory entry is never taken (dot-files, temporary and partial files).
    package static func isIgnored(_ name: String) -> Bool {
        if name.hasPrefix(".") { return true }
        let lower = name.lowercased()
        return lower.hasSuffix(".tmp") || lower.hasSuffix(".part") || lower.hasSuffix(".swp") || lower.hasSuffix("~")
            || lower.hasSuffix(".filepart") || lower.hasSuffix(".crdownload")
    }

    private func resumeClaimed() {
        guard let names = try? fileManager.contentsOfDirectory(atPath: claimedDirectory) else { return }
        let claimed = names.sorted().filter { !$0.hasPrefix(".") }
        for name in claimed { Log.info("inbox: resuming claimed \(Self.logName(name))") }
        process(claimedNames: claimed)
    }

    /// Claims each ready file (files another process took are skipped), then processes the claimed ones.
    private func claimAndProcess(names: [String]) {
        var claimed: [String] = []
        for name in names {
            if isStopping { break }
            if let claimedName = claim(name: name) { claimed.append(claimedName) }
        }
        process(claimedNames: claimed)
    }

    /// Moves `name` into the claimed folder; its name there, or nil when it was refused or taken.
    private func claim(name: String) -> String? {
        guard Self.isSafeName(name) else {
            refuse(name: name, reason: "file name is not allowed")
            return nil
        }
        var claimedName = name
        var counter = 1
        while fileManager.fileExists(atPath: claimedDirectory + "/" + claimedName) {
            counter += 1
            claimedName = "\(counter)-\(name)"
        }
        guard rename(settings.path + "/" + name, claimedDirectory + "/" + claimedName) == 0 else {
            // Someone else took it (another process, or it was removed): not ours.
            return nil
        }
        return claimedName
    }

    /// Reads claimed files and ingests them in groups (in order); each is archived or failed by its own
    /// outcome, only after the ingest of its group returned (every message committed).
    private func process(claimedNames: [String]) {
        var next = 0
        while next < claimedNames.count {
            // Read the next group: up to `batchFiles` files and about `batchBytes` bytes.
            var group: [(name: String, bytes: [UInt8])] = []
            var groupBytes = 0
            while next < claimedNames.count && group.count < batchFiles && groupBytes < batchBytes {
                let claimedName = claimedNames[next]
                next += 1
                switch contents(claimedName: claimedName) {
                case .success(let bytes):
                    group.append((claimedName, bytes))
                    groupBytes += bytes.count
                case .failure(let failure):
                    finish(claimedName: claimedName, from: claimedDirectory, outcome: .failed(reason: failure.reason))
                    countProcessed(1)
                case nil:
                    continue  // gone
                }
            }
            guard !group.isEmpty else { continue }
            let outcomes = ingestBatch(group)
            for (i, file) in group.enumerated() {
                let outcome = i < outcomes.count ? outcomes[i] : .failed(reason: "no outcome from the ingest")
                finish(claimedName: file.name, from: claimedDirectory, outcome: outcome)
            }
            countProcessed(group.count)
        }
    }

    private struct ReadFailure: Error { var reason: String }

    /// The bytes of a claimed file; a failure for one that cannot be taken; nil when it is gone.
    private func contents(claimedName: String) -> Result<[UInt8], ReadFailure>? {
        let path = claimedDirectory + "/" + claimedName
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        if info.st_mode & S_IFMT != S_IFREG { return .failure(ReadFailure(reason: "not a regular file")) }
        if info.st_nlink > 1 { return .failure(ReadFailure(reason: "hard links are refused (the file has \(info.st_nlink) names)")) }
        if Int64(info.st_size) > Int64(settings.maxFileBytes) {
            return .failure(ReadFailure(reason: "file is \(info.st_size) bytes; the limit is \(settings.maxFileBytes)"))
        }
        guard let data = fileManager.contents(atPath: path) else { return .failure(ReadFailure(reason: "cannot read file")) }
        return .success([UInt8](data))
    }

    private func countProcessed(_ n: Int) {
        lock.lock()
        processedCount += n
        lock.unlock()
    }

    private func refuse(name: String, reason: String) {
        Log.warning("inbox: refused \(Self.logName(name)): \(reason)")
        finish(claimedName: name, from: settings.path, outcome: .failed(reason: reason))
    }

    private func finish(claimedName: String, from directory: String, outcome: InboxOutcome) {
        let source = directory + "/" + claimedName
        // (A refused inbox entry may share its name with a claimed file waiting for a retry: that one stays.)
        if directory == claimedDirectory {
            if case .retry = outcome {} else { retries[claimedName] = nil }
        }
        switch outcome {
        case .retry(let reason):
            // Nothing is lost: the file stays in `.claimed/` (also across a restart) until the store takes it.
            let attempts = (retries[claimedName]?.attempts ?? 0) + 1
            let delay = min(max(settings.rescanSeconds, 0.05) * pow(2, Double(min(attempts - 1, 20))), Self.maxRetryDelay)
            retries[claimedName] = (attempts, Date().addingTimeInterval(delay))
            Log.warning("inbox: claimed \(Self.logName(claimedName)) was not stored (attempt \(attempts)); trying again in \(Int(delay.rounded(.up))) s: \(reason)")
        case .ingested(let summary):
            let day = String(ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withFullDate]))
            let folder = settings.archive + "/" + day
            try? fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let target = uniquePath(folder + "/" + claimedName)
            if let failure = Self.move(source, to: target) { Log.error("inbox: cannot archive \(Self.logName(claimedName)): \(failure)") }
            Log.info("inbox: \(Self.logName(claimedName)) ingested: \(summary)")
        case .failed(let reason):
            try? fileManager.createDirectory(atPath: settings.failed, withIntermediateDirectories: true)
            let target = uniquePath(settings.failed + "/" + claimedName)
            if let failure = Self.move(source, to: target) { Log.error("inbox: cannot move \(Self.logName(claimedName)) to failed: \(failure)") }
            let errorText = "file: \(claimedName)\nlogged as: \(Self.logName(claimedName))\nerror: \(reason)\ntime: \(ISO8601DateFormatter().string(from: Date()))\n"
            if !fileManager.createFile(atPath: target + ".error.txt", contents: Data(errorText.utf8)) {
                Log.error("inbox: cannot write the error file for a failed file (errno \(errno)); its error is in the message log")
            }
            Log.warning("inbox: \(Self.logName(claimedName)) failed: \(reason)")
        }
    }

    /// Moves a finished file: `rename`, or when the archive or `failed/` is on another filesystem
    /// (`EXDEV`), a copy that is flushed to disk and renamed into place before the original is removed.
    /// Nil on success, else what failed.
    package static func move(_ source: String, to target: String) -> String? {
        if rename(source, target) == 0 { return nil }
        guard errno == EXDEV else { return "rename failed (errno \(errno))" }
        let partial = target + ".part"
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return "cannot open for copying (errno \(errno))" }
        defer { close(input) }
        let output = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard output >= 0 else { return "cannot create the copy (errno \(errno))" }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var failure: String?
        copying: while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 { if errno == EINTR { continue }; failure = "read failed (errno \(errno))"; break }
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, n - written) }
                if w < 0 { if errno == EINTR { continue }; failure = "write failed (errno \(errno))"; break copying }
                written += w
            }
        }
        if failure == nil, fsync(output) != 0 { failure = "fsync failed (errno \(errno))" }
        close(output)
        if failure == nil, rename(partial, target) != 0 { failure = "rename of the copy failed (errno \(errno))" }
        guard failure == nil else {
            unlink(partial)
            return failure
        }
        // The rename is durable once the target's directory is flushed; only then does the original go.
        let directory = (target as NSString).deletingLastPathComponent
        let dirFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else { return "cannot open the target folder to flush it (errno \(errno)); the original is kept" }
        let synced = fsync(dirFD) == 0
        close(dirFD)
        guard synced else { return "cannot flush the target folder (errno \(errno)); the original is kept" }
        if unlink(source) != 0 { return "copied, but the original could not be removed (errno \(errno))" }
        return nil
    }

    /// How the log names a file: file names often carry patient names or MRNs
    /// (`2026-05-12-whitfield-a04.hl7`), so above `debug` a file is a short hash of its name; the error
    /// file beside a failed file gives the same tag. The name itself goes to the debug log.
    package static func logName(_ name: String) -> String {
        let tag = "file " + SHA256Digest.hex(Array(name.utf8)).prefix(10)
        Log.debug("inbox: \(tag) is \(name)")
        return tag
    }

    private func uniquePath(_ path: String) -> String {
        var candidate = path
        var counter = 1
        while fileManager.fileExists(atPath: candidate) {
            counter += 1
            candidate = path + ".\(counter)"
        }
        return candidate
    }

    /// A name stays inside the inbox: no path separators, no `..`, no NUL.
    package static func isSafeName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && name != ".." && name != "." && !name.contains("\0")
    }
}
