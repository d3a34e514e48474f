import Foundation
import Testing

@testable import Gateway

/// Path tricks and odd files in the inbox: nothing outside the inbox is read or moved, nothing blocks it.
@Suite(.serialized) struct HostileInboxTests {
    static func files(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    static func archived(_ gateway: HostileGateway) -> [String] {
        ((FileManager.default.enumerator(atPath: gateway.archivePath)?.allObjects as? [String]) ?? [])
            .compactMap { $0.split(separator: "/").count == 2 ? String($0.split(separator: "/")[1]) : nil }.sorted()
    }

    @Test func symlinksAreRefusedAndTheirTargetsLeftUntouched() throws {
        var limits = HostileGateway.Limits()
        limits.inbox = true
        let gateway = try HostileGateway(limits)
        defer { gateway.stop() }
        // A valid message outside the inbox, and links to it and to a directory.
        let outside = gateway.directory + "/outside.hl7"
        let content = Data(HostileGateway.adt("LINKED-1", mrn: "RCH-LINK"))
        #expect(FileManager.default.createFile(atPath: outside, contents: content))
        try FileManager.default.createSymbolicLink(atPath: gateway.inboxPath + "/link.hl7", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: gateway.inboxPath + "/etc.hl7", withDestinationPath: "/etc")
        try FileManager.default.createSymbolicLink(atPath: gateway.inboxPath + "/up.hl7", withDestinationPath: "../outside.hl7")
        let expected = ["etc.hl7", "etc.hl7.error.txt", "link.hl7", "link.hl7.error.txt", "up.hl7", "up.hl7.error.txt"]
        #expect(hostileEventually(10) { Self.files(gateway.failedPath) == expected })
        let error = try String(contentsOfFile: gateway.failedPath + "/link.hl7.error.txt", encoding: .utf8)
        #expect(error.contains("symbolic links are refused"))
        // The target is where it was, unchanged, and was never read into the message log.
        #expect(FileManager.default.contents(atPath: outside) == content)
        #expect(FileManager.default.fileExists(atPath: "/etc/hostname") || FileManager.default.fileExists(atPath: "/etc/passwd"))
        #expect(try gateway.messageCount() == 0)
    }

    @Test func dotDotNamesFifosAndFoldersNeitherEscapeNorBlockTheInbox() throws {
        var limits = HostileGateway.Limits()
        limits.inbox = true
        limits.maxFileBytes = 64 << 10
        let gateway = try HostileGateway(limits)
        defer { gateway.stop() }
        let inbox = gateway.inboxPath
        // Names starting with dots are never taken (this covers "..", "..x" and friends).
        #expect(FileManager.default.createFile(atPath: inbox + "/..hl7", contents: Data(HostileGateway.adt("DOTDOT-1", mrn: "RCH-DD1"))))
        #expect(FileManager.default.createFile(atPath: inbox + "/...", contents: Data(HostileGateway.adt("DOTDOT-2", mrn: "RCH-DD2"))))
        // A FIFO would block a reader forever: it is refused without being opened.
        #expect(mkfifo(inbox + "/pipe.hl7", 0o600) == 0)
        // A folder is not descended into.
        try FileManager.default.createDirectory(atPath: inbox + "/nested", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: inbox + "/nested/inner.hl7", contents: Data(HostileGateway.adt("NESTED-1", mrn: "RCH-N1"))))
        // Too big: refused unread.
        #expect(FileManager.default.createFile(atPath: inbox + "/huge.hl7", contents: Data(repeating: 0x41, count: 128 << 10)))
        // A name with ".." inside is an ordinary name: archived inside the archive folder.
        #expect(FileManager.default.createFile(atPath: inbox + "/a..b.hl7", contents: Data(HostileGateway.adt("DOTDOT-3", mrn: "RCH-DD3"))))
        #expect(hostileEventually(10) { Self.archived(gateway) == ["a..b.hl7"] && Self.files(gateway.failedPath).count == 4 })
        #expect(Self.files(gateway.failedPath) == ["huge.hl7", "huge.hl7.error.txt", "pipe.hl7", "pipe.hl7.error.txt"])
        #expect(Self.files(inbox).filter { !$0.hasPrefix(".") || $0 == "..hl7" || $0 == "..." } == ["...", "..hl7", "nested"])
        #expect(Self.files(inbox + "/nested") == ["inner.hl7"])
        #expect(Self.files(gateway.directory).filter { $0.hasSuffix(".hl7") } == [])
        // Only the one ordinary file became a message.
        #expect(try gateway.messageCount() == 1)
        #expect(try gateway.count("SELECT count(*) FROM message_log WHERE control_id = 'DOTDOT-3' AND status = 'ingested'") == 1)
    }
}
