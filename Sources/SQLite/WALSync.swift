import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Makes a write connection's commits durable from another thread: the connection commits with
/// `synchronous=NORMAL` (no fsync inside `COMMIT`) and ``sync()``, called after the commit has returned,
/// fsyncs the WAL file. Everything the connection committed before `sync()` was called is then on disk.
///
/// Why: with `synchronous=FULL` the writer sits in the commit's fsync and does nothing else, while the
/// messages of the next group commit wait for it. With the fsync here, on a thread of its own, the writer
/// runs the next transaction meanwhile, and each batch is still acknowledged only after the fsync that
/// covers it (`GroupCommitWriter`'s `sync`). So nothing acknowledged can be lost, and the fsync stops
/// being a pause of the one serial stage. What changes: another connection can read a commit before it
/// is durable (the gateway answers a read of patient data only after its audit entry, committed through
/// the same writer, has been synced, and that sync covers everything the read saw).
///
/// Why this is enough: fsync(2) and fdatasync(2) write back every dirty page of the file, whichever descriptor wrote
/// it, so an fsync on a descriptor of our own covers the frames SQLite wrote. SQLite still keeps the
/// database consistent in `NORMAL` (it syncs the WAL before each checkpoint copies frames back, and the
/// WAL header when the WAL starts over). The descriptor is checked against the file at the WAL's path
/// on every call and reopened if SQLite deleted and recreated the WAL (it does so only when the last
/// connection closes); on each (re)open the directory is fsynced too, so that the WAL's own directory
/// entry is durable, as SQLite does for a new WAL with `FULL`.
///
/// A failed fsync is final (a file that cannot be found or opened is not: that is reported and tried
/// again at the next call): Linux may drop the dirty pages it could not write and report success to a
/// later fsync, so after one failure every later ``sync()`` fails too and nothing more is acknowledged
/// by this process. A restart of the process alone is not enough to trust what is on disk (the page
/// cache outlives it, and may show pages that never reached the disk): the host's storage must be
/// checked, and the machine rebooted, before the gateway is started again.
package final class WALSync: @unchecked Sendable {
    package let walPath: String
    private let directory: String
    /// How the WAL file is flushed: fdatasync(2), as SQLite's own `synchronous=FULL` commit does on Linux
    /// (the data and the file's size, not its times: fsync(2) also commits the inode's mtime, a journal
    /// write of the file system per call that made one connection's ACKs ~10 % slower). A stand-in in
    /// tests of its failure.
    private let fsyncCall: @Sendable (Int32) -> Int32
    private let lock = NSLock()
    // Guarded by `lock`.
    private var fd: Int32 = -1
    private var device: UInt64 = 0
    private var inode: UInt64 = 0
    /// Whether the directory was fsynced since `fd` was opened (retried at every call until it is).
    private var directorySynced = false
    private var failure: SQLiteError?
    private var syncs = 0
    private var opens = 0

    /// `walPath` as SQLite resolved it (`sqlite3_filename_wal`): see ``Connection/deferCommitSync()``.
    package init(walPath: String, fsync fsyncCall: @escaping @Sendable (Int32) -> Int32 = { Glibc.fdatasync($0) }) {
        self.walPath = walPath
        let directory = (walPath as NSString).deletingLastPathComponent
        self.directory = directory.isEmpty ? "." : directory
        self.fsyncCall = fsyncCall
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// fsyncs the WAL file: every commit that returned before this call is durable when it returns.
    /// Thread-safe; calls are serialized.
    package func sync() throws {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
        try openCurrentWAL()
        if !directorySynced {
            let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard dir >= 0 else { throw Self.error("open of the database directory", errno) }
            defer { close(dir) }
            guard Glibc.fsync(dir) == 0 else { throw fail("fsync of the database directory", errno) }
            directorySynced = true
        }
        guard fsyncCall(fd) == 0 else { throw fail("fsync of the WAL", errno) }
        syncs += 1
    }

    /// The failure that stopped every sync, if one did (a failed fsync; see the type's comment).
    package var stickyFailure: SQLiteError? { lock.withLock { failure } }

    /// A failed fsync: remembered, so that every later ``sync()`` fails as well.
    private func fail(_ what: String, _ code: Int32) -> SQLiteError {
        let error = Self.error(what, code)
        failure = error
        return error
    }

    /// How many syncs have succeeded (for tests and metrics).
    package var completedSyncs: Int { lock.withLock { syncs } }
    /// How many times a WAL file was opened: once, plus once for each time SQLite recreated it.
    package var walOpens: Int { lock.withLock { opens } }

    /// Points `fd` at the file now at `walPath` (SQLite creates the WAL at the first write transaction).
    private func openCurrentWAL() throws {
        var atPath = stat()
        guard stat(walPath, &atPath) == 0 else { throw Self.error("stat of the WAL", errno) }
        if fd >= 0, UInt64(atPath.st_dev) == device, UInt64(atPath.st_ino) == inode { return }
        let opened = open(walPath, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { throw Self.error("open of the WAL", errno) }
        var held = stat()
        guard fstat(opened, &held) == 0 else {
            let code = errno
            close(opened)
            throw Self.error("fstat of the WAL", code)
        }
        if fd >= 0 { close(fd) }
        fd = opened
        opens += 1
        device = UInt64(held.st_dev)
        inode = UInt64(held.st_ino)
        // A new WAL file: its directory entry is made durable too before anything in it is relied on.
        directorySynced = false
    }

    private static func error(_ what: String, _ code: Int32) -> SQLiteError {
        // SQLITE_IOERR_FSYNC (1034): the code SQLite itself reports for a failed fsync.
        SQLiteError(code: 1034, message: "\(what) failed: \(String(cString: strerror(code)))")
    }
}
