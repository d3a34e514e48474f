import Foundation
import Synchronization
import Testing

@testable import Gateway

@Suite struct InboxTests {
    /// A temporary inbox layout.
    struct Layout {
        let root: String
        var settings: GatewayConfiguration.InboxSettings {
            var s = GatewayConfiguration.InboxSettings()
            s.path = root + "/inbox"
            s.archive = root + "/archive"
            s.failed = root + "/failed"
            s.stableSeconds = 0
            s.rescanSeconds = 0.05
            return s
        }
        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("concord-inbox-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: root + "/inbox/.claimed", withIntermediateDirectories: true)
        }
        func write(_ name: String, _ text: String, in folder: String = "inbox") {
            _ = FileManager.default.createFile(atPath: root + "/" + folder + "/" + name, contents: Data(text.utf8))
        }
        func files(_ folder: String) -> [String] {
            (FileManager.default.enumerator(atPath: root + "/" + folder)?.allObjects as? [String] ?? [])
                .filter { !$0.hasPrefix(".") }.sorted()
        }
    }

    @Test func completeFilesAreTakenOnceAndArchivedTemporaryOnesIgnored() throws {
        let layout = try Layout()
        let seen = Mutex<[String]>([])
        let watcher = InboxWatcher(settings: layout.settings) { name, bytes in
            seen.withLock { $0.append(name + ":" + String(decoding: bytes, as: UTF8.self)) }
            return .ingested(summary: "ok")
        }
        layout.write("a.hl7", "MSH|1")
        layout.write("b.part", "partial")
        layout.write(".hidden", "x")
        layout.write("c.tmp", "x")
        watcher.scanOnce()  // first sight: sizes recorded
        watcher.scanOnce()  // stable (stableSeconds = 0): claimed and processed
        watcher.scanOnce()
        #expect(seen.withLock { $0 } == ["a.hl7:MSH|1"])
        let day = String(ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withFullDate]))
        #expect(layout.files("archive") == [day, day + "/a.hl7"])
        #expect(FileManager.default.fileExists(atPath: layout.root + "/inbox/b.part"))
        #expect(FileManager.default.fileExists(atPath: layout.root + "/inbox/c.tmp"))
    }

    @Test func failedFilesGetAnErrorFileAndSymlinksAreRefused() throws {
        let layout = try Layout()
        layout.write("secret.txt", "outside", in: "")
        try FileManager.default.createSymbolicLink(atPath: layout.root + "/inbox/link.hl7", withDestinationPath: layout.root + "/secret.txt")
        layout.write("bad.json", "{ nope")
        let watcher = InboxWatcher(settings: layout.settings) { _, _ in .failed(reason: "invalid JSON at 1:3") }
        watcher.scanOnce()
        watcher.scanOnce()
        #expect(layout.files("failed") == ["bad.json", "bad.json.error.txt", "link.hl7", "link.hl7.error.txt"])
        let error = try String(contentsOfFile: layout.root + "/failed/bad.json.error.txt", encoding: .utf8)
        #expect(error.contains("invalid JSON at 1:3"))
        // The link was moved, not followed: its target is untouched.
        #expect(try String(contentsOfFile: layout.root + "/secret.txt", encoding: .utf8) == "outside")
    }

    @Test func claimedFilesAreResumedAfterACrash() throws {
        let layout = try Layout()
        // A file claimed by a process that died before finishing.
        layout.write("left-over.hl7", "MSH|2", in: "inbox/.claimed")
        let seen = Mutex<[String]>([])
        let watcher = InboxWatcher(settings: layout.settings) { name, _ in
            seen.withLock { $0.append(name) }
            return .ingested(summary: "ok")
        }
        try watcher.start()
        let deadline = Date().addingTimeInterval(10)
        while seen.withLock({ $0.isEmpty }) && Date() < deadline { usleep(10_000) }
        watcher.stop()
        #expect(seen.withLock { $0 } == ["left-over.hl7"])
        #expect(layout.files("inbox/.claimed").isEmpty)
    }

    /// Files that become ready in one scan reach the ingest together, in name order, and each is archived
    /// or failed by its own outcome once the group's ingest returned.
    @Test func filesReadyTogetherAreIngestedTogetherAndFinishedOneByOne() throws {
        let layout = try Layout()
        let batches = Mutex<[[String]]>([])
        let watcher = InboxWatcher(settings: layout.settings, ingestBatch: { files in
            batches.withLock { $0.append(files.map { $0.name + ":" + String(decoding: $0.bytes, as: UTF8.self) }) }
            return files.map { $0.name.hasPrefix("bad") ? .failed(reason: "message 1 of 1: no MSH") : .ingested(summary: "1 ingested") }
        })
        for name in ["c.hl7", "a.hl7", "bad.hl7", "b.hl7"] { layout.write(name, "MSH|" + name) }
        layout.write("skip.part", "partial")
        watcher.scanOnce()
        #expect(batches.withLock { $0 }.isEmpty, "first sight only records sizes")
        watcher.scanOnce()
        watcher.scanOnce()
        #expect(batches.withLock { $0 } == [["a.hl7:MSH|a.hl7", "b.hl7:MSH|b.hl7", "bad.hl7:MSH|bad.hl7", "c.hl7:MSH|c.hl7"]])
        let day = String(ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withFullDate]))
        #expect(layout.files("archive") == [day, day + "/a.hl7", day + "/b.hl7", day + "/c.hl7"])
        #expect(layout.files("failed").contains("bad.hl7"))
        #expect(layout.files("inbox/.claimed").isEmpty)
        #expect(layout.files("inbox") == ["skip.part"])
        #expect(watcher.processedCount == 4)
    }

    /// The store could not take a file (disk full): it stays claimed, is not moved to `failed/`, and is
    /// tried again once its delay has passed, then archived when the store takes it.
    @Test func aFileTheStoreCouldNotTakeStaysClaimedAndIsTriedAgain() throws {
        let layout = try Layout()
        let attempts = Mutex(0)
        let watcher = InboxWatcher(settings: layout.settings) { _, _ in
            let n = attempts.withLock { $0 += 1; return $0 }
            return n < 3 ? .retry(reason: "message 1 of 1: message could not be stored; send again later") : .ingested(summary: "1 ingested")
        }
        layout.write("2026-05-12-whitfield-a04.hl7", "MSH|1")
        watcher.scanOnce()
        watcher.scanOnce()
        #expect(attempts.withLock { $0 } == 1)
        #expect(layout.files("inbox/.claimed") == ["2026-05-12-whitfield-a04.hl7"])
        #expect(layout.files("failed").isEmpty)
        #expect(watcher.waitingForRetry == ["2026-05-12-whitfield-a04.hl7"])
        // Not before its delay.
        watcher.scanOnce(now: Date())
        #expect(attempts.withLock { $0 } == 1)
        // Due: tried again (and refused again), then again (and taken).
        watcher.scanOnce(now: Date().addingTimeInterval(InboxWatcher.maxRetryDelay + 1))
        #expect(attempts.withLock { $0 } == 2)
        #expect(layout.files("inbox/.claimed") == ["2026-05-12-whitfield-a04.hl7"])
        watcher.scanOnce(now: Date().addingTimeInterval(InboxWatcher.maxRetryDelay + 1))
        #expect(attempts.withLock { $0 } == 3)
        #expect(layout.files("inbox/.claimed").isEmpty)
        #expect(watcher.waitingForRetry.isEmpty)
        let day = String(ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withFullDate]))
        #expect(layout.files("archive") == [day, day + "/2026-05-12-whitfield-a04.hl7"])
    }

    /// File names often carry patient names; the log shows a tag instead, which the error file repeats.
    @Test func theLogNamesAFileByATagOfItsName() throws {
        let tag = InboxWatcher.logName("2026-05-12-whitfield-a04.hl7")
        #expect(tag.hasPrefix("file "))
        #expect(!tag.lowercased().contains("whitfield"))
        #expect(tag == InboxWatcher.logName("2026-05-12-whitfield-a04.hl7"))
        #expect(tag != InboxWatcher.logName("2026-05-12-whitfield-a08.hl7"))
        let layout = try Layout()
        let watcher = InboxWatcher(settings: layout.settings) { _, _ in .failed(reason: "message 1 of 1: no MSH") }
        layout.write("2026-05-12-whitfield-a04.hl7", "nope")
        watcher.scanOnce()
        watcher.scanOnce()
        let error = try String(contentsOfFile: layout.root + "/failed/2026-05-12-whitfield-a04.hl7.error.txt", encoding: .utf8)
        #expect(error.contains("logged as: \(tag)"))
    }

    /// A hard link is another name of a file that may live outside the inbox: refused unread, like a
    /// symbolic link, and the other name is left as it was.
    @Test func hardLinksAreRefused() throws {
        let layout = try Layout()
        layout.write("outside.hl7", "MSH|secret", in: "")
        try FileManager.default.linkItem(atPath: layout.root + "/outside.hl7", toPath: layout.root + "/inbox/linked.hl7")
        let seen = Mutex(0)
        let watcher = InboxWatcher(settings: layout.settings) { _, _ in seen.withLock { $0 += 1 }; return .ingested(summary: "ok") }
        watcher.scanOnce()
        watcher.scanOnce()
        #expect(seen.withLock { $0 } == 0)
        #expect(layout.files("failed") == ["linked.hl7", "linked.hl7.error.txt"])
        let error = try String(contentsOfFile: layout.root + "/failed/linked.hl7.error.txt", encoding: .utf8)
        #expect(error.contains("hard links are refused"))
        #expect(try String(contentsOfFile: layout.root + "/outside.hl7", encoding: .utf8) == "MSH|secret")
    }

    /// The archive may be on another filesystem than the inbox (`rename` fails with EXDEV there): the
    /// file is copied, flushed and renamed into place, then the original removed.
    @Test func filesMoveToAnArchiveOnAnotherFilesystem() throws {
        let layout = try Layout()
        var tmpInfo = stat(), shmInfo = stat()
        try #require(stat(layout.root, &tmpInfo) == 0 && stat("/dev/shm", &shmInfo) == 0)
        try #require(tmpInfo.st_dev != shmInfo.st_dev, "this test needs /dev/shm on a filesystem of its own")
        let archive = "/dev/shm/concord-archive-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: archive) }
        var settings = layout.settings
        settings.archive = archive
        let watcher = InboxWatcher(settings: settings) { _, _ in .ingested(summary: "ok") }
        layout.write("a.hl7", "MSH|cross")
        watcher.scanOnce()
        watcher.scanOnce()
        let day = String(ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withFullDate]))
        #expect(try String(contentsOfFile: archive + "/" + day + "/a.hl7", encoding: .utf8) == "MSH|cross")
        #expect(try FileManager.default.contentsOfDirectory(atPath: archive + "/" + day) == ["a.hl7"])
        #expect(layout.files("inbox/.claimed").isEmpty)
        #expect(layout.files("failed").isEmpty)
    }

    @Test func inotifyPicksUpNewFiles() throws {
        let layout = try Layout()
        let seen = Mutex<[String]>([])
        let watcher = InboxWatcher(settings: layout.settings) { name, _ in
            seen.withLock { $0.append(name) }
            return .ingested(summary: "ok")
        }
        try watcher.start()
        // Written the way senders should: to a temporary name, then renamed.
        layout.write("incoming.tmp", "MSH|3")
        try FileManager.default.moveItem(atPath: layout.root + "/inbox/incoming.tmp", toPath: layout.root + "/inbox/incoming.hl7")
        let deadline = Date().addingTimeInterval(10)
        while seen.withLock({ $0.isEmpty }) && Date() < deadline { usleep(10_000) }
        watcher.stop()
        #expect(seen.withLock { $0 } == ["incoming.hl7"])
    }

    @Test(arguments: ["..", ".", "", "a/b", "x\0y"])
    func unsafeNamesAreRejected(name: String) {
        #expect(!InboxWatcher.isSafeName(name))
    }
}
