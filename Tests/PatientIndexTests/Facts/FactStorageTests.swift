import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

private typealias F = FactFixtures

/// How the ledger stores and keys facts: catalog keys, the `unified_fact` layout and its migration.
@Suite struct FactStorageTests {
    /// The ASCII fast path must give exactly what Foundation's trimming and upper-casing give.
    @Test(arguments: [
        "2823-3", "ln|2823-3", " http://loinc.org | 2823-3 ", "Riverside Family Medicine|k", "\tglu\t", "",
        "|", "  ", "urn:oid:2.16.840.1.113883.6.1|4548-4", "Clínica Norte|hba1c", "straße|x", "LAB|ﬁbrinogen",
        "Lab | glucose\u{00A0}",
    ])
    func normalizedKeysMatchFoundationsRules(key: String) {
        let expected: String
        if let bar = key.firstIndex(of: "|") {
            let left = CodeSystem.canonical(String(key[..<bar]))
            expected = (left + "|" + key[key.index(after: bar)...].trimmingCharacters(in: .whitespaces)).uppercased()
        } else {
            expected = key.trimmingCharacters(in: .whitespaces).uppercased()
        }
        #expect(TestCatalog.normalizeKey(key) == expected)
    }

    @Test func asciiUpperLeavesNonASCIIToFoundation() {
        #expect(TestCatalog.asciiTrimmedUpper("  hba1c ") == "HBA1C")
        #expect(TestCatalog.asciiTrimmedUpper("LOINC") == "LOINC")
        #expect(TestCatalog.asciiTrimmedUpper("Clínica") == nil)
        #expect(TestCatalog.asciiTrimmedUpper(" \t ") == "")
    }

    /// A database written before migration 101 (rowid `unified_fact` whose data carries the fact id) reads
    /// the same afterwards, and its next refresh rewrites the rows in the new form.
    @Test func migration101KeepsStoredUnifiedFacts() throws {
        let db = try Connection(path: ":memory:")
        try db.migrate(FactLedger.migrations.filter { $0.version == 100 })
        let ledger = FactLedger()
        let potassium = F.result(F.loinc("2823-3", "Potassium"), 4.1, "mmol/L", at: F.time("202405021000"), filler: "NV-1",
                                 from: F.provenance(F.northLab, .hl7v2, "NV-MSG-1", "OBR[1]/OBX[1]"))
        let instances = try db.transaction { try ledger.record([(potassium, try FactLedger.prepare(potassium))], sourceRecordID: 1, messageLogID: 7, in: db) }
        let id = try #require(instances.first?.id)
        let old = UnifiedFact(id: "F-\(id)", body: potassium.body, provenances: [potassium.provenance])
        let start = potassium.body.time?.interval().start.timeIntervalSince1970
        try db.run("INSERT INTO unified_fact (seq, enterprise_id, id, kind, state, t_start, t_end, data) VALUES (9, ?, ?, 'result', 'current', ?, ?, ?)",
                   ["EP-00000001", old.id, start, start, try CompactCodec.encode(old)])

        try db.migrate(FactLedger.migrations)
        #expect(try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'fact_instance_message'") == .integer(0))
        #expect(try db.scalar("SELECT count(*) FROM pragma_table_info('unified_fact') WHERE name = 'seq'") == .integer(0))
        let read = try ledger.unifiedFacts(enterpriseID: "EP-00000001", kinds: nil, from: nil, to: nil, in: db)
        #expect(read == [old])

        try db.transaction { _ = try ledger.refresh(enterpriseID: "EP-00000001", memberRecordIDs: [1], in: db) }
        #expect(try ledger.unifiedFacts(enterpriseID: "EP-00000001", kinds: nil, from: nil, to: nil, in: db) == [old])
        #expect(try db.scalar("SELECT data FROM unified_fact WHERE id = ?", [old.id]) == .blob(try FactLedger.storedForm(old)))
        #expect(try db.integrityCheck() == ["ok"])
    }
}
