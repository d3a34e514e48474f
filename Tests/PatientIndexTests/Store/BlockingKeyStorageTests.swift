import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

/// A record's blocking keys live twice: as rows of `blocking_keys` (looked up by key) and as the list kept
/// with the record (`source_records.block_keys`), which is what removes exactly those rows again.
@Suite struct BlockingKeyStorageTests {
    /// The keys filed under the record in `blocking_keys`, sorted.
    static func filed(_ recordID: Int64, in db: Connection) throws -> [String] {
        try db.rows("SELECT key FROM blocking_keys WHERE record_id = ? ORDER BY key", [recordID]).compactMap { $0.string(0) }
    }

    /// The keys kept with the record, sorted; `nil` when the column is NULL.
    static func kept(_ recordID: Int64, in db: Connection) throws -> [String]? {
        try db.row("SELECT block_keys FROM source_records WHERE id = ?", [recordID])?.string(0).map { BlockingKeys.parse(stored: $0).sorted() }
    }

    static func expectedKeys(of record: PatientRecord) -> [String] {
        BlockingKeys.keys(for: PatientIndexStore.features(of: record)).sorted()
    }

    @Test func aNewRecordIsFiledUnderEveryKeyAndKeepsTheList() throws {
        let index = try TemporaryIndex()
        let maria = Patients.mariaAtRiverside()
        let outcome = try index.store.ingest([maria], from: Clinics.riverside).patients[0]
        let expected = Self.expectedKeys(of: maria)
        #expect(expected.count > 10)
        #expect(try Self.filed(outcome.recordID, in: index.store.db) == expected)
        #expect(try Self.kept(outcome.recordID, in: index.store.db) == expected)
    }

    @Test func aRecordWithMoreKeysThanOneStatementTakesIsFiledUnderAllOfThem() throws {
        let index = try TemporaryIndex()
        // A registration clerk's copy-paste: forty phone numbers on one record.
        var record = Patients.robertAtRiverside()
        record.telecoms = (0..<40).map { Telecom(system: .phone, value: "(217) 555-\(String(1000 + $0))", use: "home") }
        let expected = Self.expectedKeys(of: record)
        #expect(expected.count > SharedValueInserts.maxRows + 10)
        let outcome = try index.store.ingest([record], from: Clinics.riverside).patients[0]
        #expect(try Self.filed(outcome.recordID, in: index.store.db) == expected)
        // Looked up by the last of those phones alone, or by all of its keys at once, it is the one candidate.
        let features = PatientIndexStore.features(of: record)
        let lastPhone = try #require(expected.first { $0.hasPrefix("ph:") && $0.hasSuffix("1039") })
        for keys in [[lastPhone], BlockingKeys.keys(for: features)] {
            let set = try index.store.candidates(recordID: 0, keys: keys, features: features, excluding: nil)
            #expect(set.candidates.map(\.patientID) == [outcome.enterpriseID])
        }
        #expect(try index.store.candidates(recordID: 0, keys: ["ph:2175559999"], features: features, excluding: nil).candidates.isEmpty)
    }

    /// Every identifier of a record is filed, dozens of them too; one the record repeats is filed once
    /// (without failing the ingest), the SSN as evidence; and each is a key the record is found by again.
    @Test func aRecordsIdentifiersAreFiledTogetherARepeatSkippedAlone() throws {
        let index = try TemporaryIndex()
        var record = Patients.mariaAtRiverside()
        let extra = (0..<40).map { PatientIdentifier(value: "ALT\(1000 + $0)", authority: AssigningAuthority(namespace: "OLDSYS"), type: "PI") }
        record.identifiers += extra + [record.identifiers[0]]
        let outcome = try index.store.ingest([record], from: Clinics.riverside).patients[0]
        let filed = try index.store.db.rows("SELECT value, is_key FROM identifiers WHERE record_id = ? ORDER BY value", [outcome.recordID])
            .map { "\($0.string(0) ?? "")/\($0.int(1) ?? -1)" }
        #expect(filed == ["123445678/0"] + (0..<40).map { "ALT\(1000 + $0)/1" } + ["E1002345/1"])
        let again = try index.store.ingest([record], from: Clinics.riverside, messageID: "MSG00002").patients[0]
        #expect(again.recordID == outcome.recordID)
    }

    @Test func anUpdateWithOtherFeaturesReplacesExactlyItsKeys() throws {
        let index = try TemporaryIndex()
        let first = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside).patients[0]
        let other = try index.store.ingest([Patients.robertAtRiverside()], from: Clinics.riverside, messageID: "MSG00002").patients[0]
        let robertKeys = try Self.filed(other.recordID, in: index.store.db)
        var moved = Patients.mariaAtRiverside()
        moved.addresses = [PostalAddress(use: "home", lines: ["22 Birch Ct"], city: "Chatham", state: "IL", postalCode: "62629")]
        moved.telecoms = [Telecom(system: .phone, value: "(217) 555-0777", use: "home")]
        let second = try index.store.ingest([moved], from: Clinics.riverside, messageID: "MSG00003").patients[0]
        #expect(second.decision == .updated)
        let expected = Self.expectedKeys(of: moved)
        #expect(expected != Self.expectedKeys(of: Patients.mariaAtRiverside()))
        #expect(try Self.filed(first.recordID, in: index.store.db) == expected)
        #expect(try Self.kept(first.recordID, in: index.store.db) == expected)
        #expect(try index.store.db.scalar("SELECT count(*) FROM blocking_keys WHERE key LIKE 'ph:%2175550143'") == .integer(0))
        // The other record's rows are untouched.
        #expect(try Self.filed(other.recordID, in: index.store.db) == robertKeys)
    }

    @Test func aSourceMergeTakesThePriorRecordOutOfEveryBlock() throws {
        let index = try TemporaryIndex(model: .reviewingEverything)
        let survivor = try index.store.ingest([Patients.robertAtRiverside(mrn: "E1009911")], from: Clinics.riverside).patients[0]
        let duplicate = Patients.robertsSecondChart()
        let prior = try index.store.ingest([duplicate], from: Clinics.riverside, messageID: "MSG00002").patients[0]
        #expect(try !Self.filed(prior.recordID, in: index.store.db).isEmpty)
        let a40 = Patients.a40FoldingRobertsSecondChart()
        _ = try index.store.ingest(a40, messageID: nil)
        #expect(try Self.filed(prior.recordID, in: index.store.db).isEmpty)
        #expect(try Self.kept(prior.recordID, in: index.store.db) == nil)
        #expect(try Self.filed(survivor.recordID, in: index.store.db) == Self.expectedKeys(of: Patients.robertAtRiverside(mrn: "E1009911")))
    }

    /// An index written before the keys were kept with their records (schema version 1, with the
    /// per-record index on `blocking_keys`) gets each record's list from its rows when it is opened.
    @Test func aVersionOneIndexGetsItsKeyListsWhenOpened() throws {
        let index = try TemporaryIndex()
        let maria = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside).patients[0]
        let robert = try index.store.ingest([Patients.robertAtRiverside()], from: Clinics.riverside, messageID: "MSG00002").patients[0]
        // Back to version 1's shape.
        try index.store.db.execute("""
            ALTER TABLE source_records DROP COLUMN block_keys;
            CREATE INDEX blocking_keys_record ON blocking_keys (record_id);
            DELETE FROM schema_migrations WHERE version = 2;
            """)
        try index.reopen()
        let db = index.store.db
        #expect(try Self.kept(maria.recordID, in: db) == Self.expectedKeys(of: Patients.mariaAtRiverside()))
        #expect(try Self.kept(robert.recordID, in: db) == Self.expectedKeys(of: Patients.robertAtRiverside()))
        #expect(try db.row("SELECT 1 FROM sqlite_schema WHERE name = 'blocking_keys_record'") == nil)
        // And the migrated list is what an update removes.
        var moved = Patients.mariaAtRiverside()
        moved.telecoms = [Telecom(system: .phone, value: "(217) 555-0777", use: "home")]
        _ = try index.store.ingest([moved], from: Clinics.riverside, messageID: "MSG00003")
        #expect(try Self.filed(maria.recordID, in: db) == Self.expectedKeys(of: moved))
        #expect(try db.integrityCheck() == ["ok"])
    }

    @Test func aControlCharacterInAnIdentifierCannotSplitTheStoredList() throws {
        var record = Patients.mariaAtRiverside()
        record.identifiers.append(PatientIdentifier(value: "E\u{1F}0042", authority: AssigningAuthority(namespace: "OLDMRN"), type: "MR"))
        let keys = BlockingKeys.keys(for: PatientIndexStore.features(of: record))
        #expect(keys.allSatisfy { !$0.utf8.contains(BlockingKeys.separator) })
        #expect(keys.contains { $0.hasSuffix(":E?0042") })
        #expect(BlockingKeys.parse(stored: BlockingKeys.stored(keys)) == keys)
        #expect(BlockingKeys.parse(stored: "") == [])
    }
}

@Suite struct NameFrequencyStatementTests {
    static func count(_ kind: String, _ name: String, in db: Connection) throws -> Int64? {
        try db.row("SELECT count FROM name_frequencies WHERE kind = ? AND name = ?", [kind, name])?.int(0)
    }

    @Test func anUpdatedNameMovesItsCountAndTheTotalsStay() throws {
        let index = try TemporaryIndex()
        let db = index.store.db
        _ = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside)
        _ = try index.store.ingest([Patients.robertAtRiverside()], from: Clinics.riverside, messageID: "MSG00002")
        #expect(try Self.count("family", "", in: db) == 2)
        #expect(try Self.count("given", "", in: db) == 2)
        #expect(try Self.count("family", "GARCIA", in: db) == 1)
        // Married name, same MRN: the old family name's count goes down, the new one's up.
        var married = Patients.mariaAtRiverside()
        married.names = [PersonName(family: "Lopez", given: ["Maria", "Elena"])]
        _ = try index.store.ingest([married], from: Clinics.riverside, messageID: "MSG00003")
        #expect(try Self.count("family", "GARCIA", in: db) == 0)
        #expect(try Self.count("family", "LOPEZ", in: db) == 1)
        #expect(try Self.count("family", "", in: db) == 2)
        #expect(try Self.count("given", "", in: db) == 2)
        // A record with a family name only (a newborn before naming) counts under one kind.
        let baby = Patients.record(at: Clinics.lakeview, authority: Clinics.lakeviewMRN, mrn: "N-1", family: "Okafor", given: [],
            born: (2026, 11, 30), sex: .female)
        _ = try index.store.ingest([baby], from: Clinics.lakeview, messageID: "MSG00004")
        #expect(try Self.count("family", "OKAFOR", in: db) == 1)
        #expect(try Self.count("family", "", in: db) == 3)
        #expect(try Self.count("given", "", in: db) == 2)
        #expect(try index.store.nameCount(kind: "family", name: "") == 3)
    }
}
