import Foundation
import Testing

@testable import Gateway

/// When a commit cannot be made durable, nothing is acknowledged and `/health` says so.
@Suite(.serialized) struct DurabilityFailureTests {
    /// The WAL file deleted under the running gateway (an operator's mistake, a cleanup script): SQLite
    /// goes on writing to the file it holds open, but nothing written there can be made durable, so the
    /// sync after each commit fails. The sender gets AR (send again later), never AA, and `/health`
    /// answers 503 while it lasts.
    @Test func aCommitThatCannotBeMadeDurableIsRejectedAndHealthSaysSo() throws {
        let gateway = try HostileGateway(HostileGateway.Limits())
        defer { gateway.stop() }
        #expect(try gateway.probeMLLP("DUR-1") == "AA")
        #expect(try gateway.http("GET", "/health", token: nil).status == 200)
        let wal = gateway.directory + "/concord.sqlite-wal"
        #expect(FileManager.default.fileExists(atPath: wal))
        try FileManager.default.removeItem(atPath: wal)
        #expect(try gateway.probeMLLP("DUR-2") == "AR")
        let health = try gateway.http("GET", "/health", token: nil)
        #expect(health.status == 503)
        #expect(health.body.contains("storage failing"))
        #expect(health.body.contains("stat of the WAL"))
        // A re-send is refused the same way: it is never acknowledged from a commit that is not durable.
        #expect(try gateway.probeMLLP("DUR-2") == "AR")
    }
}
