import Foundation
@testable import PatientIndex
import SQLite
import Testing

/// The write connection's WAL checkpoints on their own thread (`Connection.checkpointInBackground`): the
/// WAL is still copied back and started over, nothing committed is lost, and the store uses it by default.
@Suite struct BackgroundCheckpointTests {
    static let frameBytes = 4_096 + 24

    /// A fresh database file in its own directory, removed by `cleanup`.
    static func database() throws -> (path: String, cleanup: () -> Void) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (directory.appendingPathComponent("wal.sqlite").path, { try? FileManager.default.removeItem(at: directory) })
    }

    /// `transactions` commits of four 2,000-byte rows each (several new pages per commit, like a group commit).
    static func write(_ db: Connection, transactions: Int) throws {
        try db.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        for t in 0..<transactions {
            try db.transaction {
                for r in 0..<4 { try db.run("INSERT INTO notes (body) VALUES (?)", [[UInt8](repeating: UInt8((t + r) % 251), count: 2_000)]) }
            }
        }
    }

    static func walBytes(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Commits smaller than `smallCommitFrames` have their checkpoint run by the writer at once (the
    /// WAL starts over without ever reaching its limit, and the thread is not asked); larger ones leave
    /// it to the thread.
    @Test(arguments: [1_000, 0])
    func smallCommitsAreCheckpointedByTheWriterItself(smallCommitFrames: Int) throws {
        let (path, cleanup) = try Self.database()
        defer { cleanup() }
        do {
            let db = try Connection(path: path)
            try db.checkpointInBackground(threshold: 8, walLimit: 64, smallCommitFrames: smallCommitFrames)
            try Self.write(db, transactions: 300)
            let counters = try #require(db.backgroundCheckpointCounters)
            #expect(counters.failures == 0, "\(counters.lastError ?? "")")
            if smallCommitFrames > 0 {
                #expect(counters.inline > 0)
                #expect(counters.checkpoints == 0)
                #expect(counters.waits == 0)
                // Copied back and started over every threshold's worth of frames: never near the limit.
                #expect(Self.walBytes(path) < 40 * Self.frameBytes)
            } else {
                #expect(counters.inline == 0)
                #expect(counters.checkpoints > 0)
            }
        }
        let reopened = try Connection(path: path)
        #expect(try reopened.scalar("SELECT count(*) FROM notes") == .integer(1_200))
        #expect(try reopened.scalar("PRAGMA integrity_check") == .text("ok"))
    }

    @Test func theWALIsCopiedBackAndStartedOverOnceItReachesItsLimit() throws {
        let (path, cleanup) = try Self.database()
        defer { cleanup() }
        do {
            let db = try Connection(path: path)
            try db.checkpointInBackground(threshold: 8, walLimit: 64)
            try Self.write(db, transactions: 300)
            let counters = try #require(db.backgroundCheckpointCounters)
            #expect(counters.checkpoints > 0)
            #expect(counters.framesCopied > 0)
            #expect(counters.waits > 0)
            #expect(counters.failures == 0, "\(counters.lastError ?? "")")
            // 300 commits of a few pages each are over a thousand frames; a WAL started over at 64 frames
            // never holds more than the limit, the threshold and one commit.
            #expect(Self.walBytes(path) < 120 * Self.frameBytes)
        }
        // Everything committed is there for a new connection, and the database is sound.
        let reopened = try Connection(path: path)
        #expect(try reopened.scalar("SELECT count(*) FROM notes") == .integer(1_200))
        #expect(try reopened.integrityCheck() == ["ok"])
    }

    @Test func beforeWaitingTheWriterOnlyAsksForCheckpointsAndWaitsAtTwiceTheLimitAtTheLatest() throws {
        // With no tail small enough to wait for (0 frames left is never seen while commits go on), the
        // writer passes the limit asking for one checkpoint at a time, and still waits at twice the limit:
        // the WAL stays bounded and starts over.
        let (path, cleanup) = try Self.database()
        defer { cleanup() }
        do {
            let db = try Connection(path: path)
            try db.checkpointInBackground(threshold: 8, walLimit: 64, finalTail: 0)
            try Self.write(db, transactions: 300)
            let counters = try #require(db.backgroundCheckpointCounters)
            #expect(counters.failures == 0, "\(counters.lastError ?? "")")
            #expect(counters.checkpoints > counters.waits)
            #expect(counters.waits > 0)
            // Twice the limit, the threshold and one commit.
            #expect(Self.walBytes(path) < 184 * Self.frameBytes)
        }
        let reopened = try Connection(path: path)
        #expect(try reopened.scalar("SELECT count(*) FROM notes") == .integer(1_200))
        #expect(try reopened.integrityCheck() == ["ok"])
    }

    @Test func passiveCheckpointsAloneNeverStartTheWALOver() throws {
        // Why the writer has to wait once in a while: with a limit it never reaches, every commit is
        // checkpointed in the background and still the WAL only grows, because each transaction begins
        // before the previous commit's frames are copied back.
        let (path, cleanup) = try Self.database()
        defer { cleanup() }
        let db = try Connection(path: path)
        try db.checkpointInBackground(threshold: 8, walLimit: 1_000_000)
        try Self.write(db, transactions: 300)
        let counters = try #require(db.backgroundCheckpointCounters)
        #expect(counters.checkpoints > 0)
        #expect(counters.waits == 0)
        #expect(Self.walBytes(path) > 600 * Self.frameBytes)
        #expect(try db.scalar("SELECT count(*) FROM notes") == .integer(1_200))
    }

    @Test func catchingUpCopiesEveryCommittedFrameBackSoTheNextTransactionStartsTheWALOver() throws {
        // The bulk load's tail: with a threshold and a limit never reached, nothing is checkpointed while
        // the WAL grows; one catch-up copies it all back, so the next commit writes from the WAL's start
        // (without the catch-up the WAL would still hold 1,200+ frames).
        let (path, cleanup) = try Self.database()
        defer { cleanup() }
        let db = try Connection(path: path)
        try db.checkpointInBackground(threshold: 1_000_000, walLimit: 1_000_000)
        try Self.write(db, transactions: 300)
        #expect(try #require(db.backgroundCheckpointCounters).checkpoints == 0)
        db.catchUpBackgroundCheckpoints()
        let after = try #require(db.backgroundCheckpointCounters)
        #expect(after.checkpoints == 1)
        #expect(after.framesCopied > 600)
        #expect(after.failures == 0, "\(after.lastError ?? "")")
        try Self.write(db, transactions: 1)
        #expect(try db.passiveCheckpoint().walFrames < 16)
        #expect(try db.scalar("SELECT count(*) FROM notes") == .integer(1_204))
    }

    @Test func catchingUpWithoutBackgroundCheckpointsReturnsAtOnce() throws {
        let (path, cleanup) = try Self.database()
        defer { cleanup() }
        let db = try Connection(path: path)
        try Self.write(db, transactions: 3)
        db.catchUpBackgroundCheckpoints()
        #expect(db.backgroundCheckpointCounters == nil)
    }

    @Test func theIndexCheckpointsInTheBackgroundOnlyWhenToldTo() throws {
        let index = try TemporaryIndex()
        _ = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside)
        #expect(index.store.db.backgroundCheckpointCounters == nil)
        let bulk = try TemporaryIndex(configuration: IndexConfiguration(backgroundCheckpoints: true))
        _ = try bulk.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside)
        #expect(bulk.store.db.backgroundCheckpointCounters != nil)
    }

    @Test func anIndexLoadedWithBackgroundCheckpointsReopensWithEveryRecord() throws {
        let index = try TemporaryIndex(configuration: IndexConfiguration(backgroundCheckpoints: true))
        try index.store.db.checkpointInBackground()  // a second call changes nothing
        for n in 0..<40 {
            let record = Patients.record(at: Clinics.riverside, authority: Clinics.riversideMRN, mrn: "E\(3_000_000 + n)", family: "Okafor\(n)",
                                         given: ["Ada"], born: (1960 + n, 1 + n % 12, 1 + n % 28), sex: .female)
            _ = try index.store.ingest([record], from: Clinics.riverside, messageID: "MSG\(n)")
        }
        try index.reopen()
        #expect(try index.store.db.scalar("SELECT count(*) FROM source_records") == .integer(40))
        #expect(try index.store.db.integrityCheck() == ["ok"])
    }
}
