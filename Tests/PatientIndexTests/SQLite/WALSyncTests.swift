import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SQLite
import Synchronization
import Testing

/// A write connection whose commits are made durable by `WALSync` from another thread.
@Suite struct WALSyncTests {
    @Test func aDeferredConnectionCommitsWithoutFsyncAndItsSyncCoversTheWAL() throws {
        let (directory, path) = try ConnectionTests.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = try Connection(path: path)
        // synchronous: 2 = FULL (SQLite fsyncs inside COMMIT), 1 = NORMAL.
        #expect(try plain.scalar("PRAGMA synchronous") == .integer(2))
        let db = try Connection(path: path)
        let sync = try db.deferCommitSync()
        #expect(try db.scalar("PRAGMA synchronous") == .integer(1))
        #expect(try plain.scalar("PRAGMA synchronous") == .integer(2))
        try db.execute("CREATE TABLE t (v TEXT)")
        try db.transaction { try db.run("INSERT INTO t VALUES (?)", ["ADT^A04 from Riverside"]) }
        #expect(sync.walPath == path + "-wal")
        #expect(FileManager.default.fileExists(atPath: sync.walPath))
        try sync.sync()
        try sync.sync()
        #expect(sync.completedSyncs == 2)
        #expect(sync.walOpens == 1)
    }

    @Test func aRecreatedWALIsOpenedAgainNotSyncedThroughTheOldDescriptor() throws {
        let (directory, path) = try ConnectionTests.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        var db: Connection? = try Connection(path: path)
        let sync = try db!.deferCommitSync()
        try db!.execute("CREATE TABLE t (v TEXT)")
        try sync.sync()
        // The last connection to close checkpoints and deletes the WAL; the next one creates a new file.
        db = nil
        #expect(!FileManager.default.fileExists(atPath: sync.walPath))
        let again = try Connection(path: path)
        try again.execute("INSERT INTO t VALUES ('ORU^R01')")
        #expect(FileManager.default.fileExists(atPath: sync.walPath))
        try sync.sync()
        #expect(sync.walOpens == 2)
        #expect(sync.completedSyncs == 2)
    }

    @Test func aMissingWALIsAnErrorThatDoesNotStick() throws {
        let (directory, path) = try ConnectionTests.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        var db: Connection? = try Connection(path: path)
        let sync = try db!.deferCommitSync()
        try db!.execute("CREATE TABLE t (v TEXT)")
        db = nil
        let error = try #require(throws: SQLiteError.self) { try sync.sync() }
        #expect(error.code == 1034)
        #expect(error.message.contains("stat of the WAL"))
        let again = try Connection(path: path)
        try again.execute("INSERT INTO t VALUES ('MDM^T02')")
        try sync.sync()
        #expect(sync.completedSyncs == 1)
    }

    @Test func aFailedFsyncIsFinalEvenWhenTheNextOneWouldSucceed() throws {
        let (directory, path) = try ConnectionTests.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = try Connection(path: path)
        let real = try db.deferCommitSync()
        try db.execute("CREATE TABLE t (v TEXT)")
        let calls = Mutex(0)
        // The WAL's second flush fails with EIO; every later one would succeed.
        let sync = WALSync(walPath: real.walPath, fsync: { fd in
            let n = calls.withLock { $0 += 1; return $0 }
            if n == 2 {
                errno = EIO
                return -1
            }
            return Glibc.fsync(fd)
        })
        try sync.sync()
        let error = try #require(throws: SQLiteError.self) { try sync.sync() }
        #expect(error.code == 1034)
        #expect(error.message.contains("fsync of the WAL failed"))
        #expect(sync.stickyFailure != nil)
        try db.execute("INSERT INTO t VALUES ('ORU^R01')")
        #expect(throws: SQLiteError.self) { try sync.sync() }
        #expect(calls.withLock { $0 } == 2, "no fsync is trusted after a failed one")
        #expect(sync.completedSyncs == 1)
    }

    @Test func aDatabaseReachedThroughASymbolicLinkSyncsTheRealWAL() throws {
        let (directory, path) = try ConnectionTests.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let elsewhere = directory.appendingPathComponent("link")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        // The real file first, then a link to it in another directory, opened through the link.
        do { let create = try Connection(path: path); try create.execute("CREATE TABLE t (v TEXT)") }
        let link = elsewhere.appendingPathComponent("concord.sqlite").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        let db = try Connection(path: link)
        let sync = try db.deferCommitSync()
        try db.execute("INSERT INTO t VALUES ('ADT^A08')")
        #expect(sync.walPath == path + "-wal")
        #expect(!FileManager.default.fileExists(atPath: link + "-wal"))
        try sync.sync()
        #expect(sync.completedSyncs == 1)
    }

    @Test func anInMemoryDatabaseCannotDeferItsSync() throws {
        let db = try Connection(path: ":memory:")
        #expect(throws: SQLiteError.self) { try db.deferCommitSync() }
    }
}
