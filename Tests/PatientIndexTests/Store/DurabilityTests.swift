import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

@Suite struct DurabilityTests {
    @Test func aReopenedIndexKeepsEverythingAndPassesIntegrityCheck() throws {
        let index = try TemporaryIndex()
        let maria = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside).patients[0]
        _ = try index.store.ingest([Patients.mariaAtLakeview()], from: Clinics.lakeview)
        _ = try index.store.logMessage(raw: Array("MSH|^~\\&|EPIC|RIVERSIDE_MC".utf8), channel: .mllp, format: "hl7v2",
            senderApplication: "EPIC", senderFacility: "RIVERSIDE_MC", controlID: "MSG00001")
        // Work left uncommitted when the process stops is gone after reopening.
        try index.store.db.execute("BEGIN IMMEDIATE")
        _ = try index.store.ingest([Patients.robertAtRiverside()], from: Clinics.riverside)
        try index.reopen()
        #expect(try index.store.db.integrityCheck() == ["ok"])
        #expect(try index.store.db.scalar("PRAGMA journal_mode") == .text("wal"))
        #expect(try index.store.db.scalar("PRAGMA synchronous") == .integer(2))
        let counts = try index.reader().counts()
        #expect(counts.sourceRecords == 2)
        #expect(counts.enterprisePatients == 1)
        #expect(counts.messages == ["hl7v2": [.received: 1]])
        #expect(try index.reader().enterprisePatient(id: maria.enterpriseID)?.members.count == 2)
        // Migrations are not applied twice.
        #expect(try index.store.db.scalar("SELECT count(*) FROM schema_migrations WHERE version < 100") == .integer(Int64(IndexSchema.migrations.count)))
    }

    @Test func theWriteConnectionUsesTheConfiguredPageCache() throws {
        let index = try TemporaryIndex()
        #expect(try index.store.db.scalar("PRAGMA cache_size") == .integer(-1_024 * 1024))
        let smaller = try PatientIndexStore(path: index.path, configuration: IndexConfiguration(pageCacheMiB: 64))
        #expect(try smaller.db.scalar("PRAGMA cache_size") == .integer(-64 * 1024))
    }

    @Test func aTrainedModelIsStoredVersionedAndUsedAfterReopening() throws {
        let index = try TemporaryIndex()
        _ = try index.store.ingest([Patients.mariaAtRiverside(), Patients.robertAtRiverside()], from: Clinics.riverside)
        _ = try index.store.ingest([Patients.mariaAtLakeview(mrn: "88231")], from: Clinics.lakeview)
        var cousin = Patients.mariaAtLakeview(mrn: "88299")
        cousin.names = [PersonName(family: "Garcia", given: ["Marisol"])]
        cousin.ssn = nil
        _ = try index.store.ingest([cousin], from: Clinics.lakeview, messageID: "MSG00005")
        let trained = try index.store.train(actor: "steward:akim")
        #expect(trained.version == "\(MatchModel.standard.version)+trained.1")
        #expect(index.store.model == trained)
        try index.reopen()
        #expect(index.store.model == trained)
        #expect(try index.reader().auditLog().first?.action == "train")
    }
}
