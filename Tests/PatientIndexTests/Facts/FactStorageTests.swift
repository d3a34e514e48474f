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

    /// The catalog remembers its answers by facility and codings: each remembered answer is the one it
    /// computes afresh, and codes that differ only in facility, in having a system, or in a translation
    /// are told apart (asked twice, in two orders, so a wrong shared key would show).
    @Test func rememberedCatalogAnswersAreTheFreshOnes() {
        let configuration = FactConfiguration(
            retestIntervals: [RetestRule(codes: ["4548-4"], name: "HbA1c", minimumIntervalDays: 90),
                              RetestRule(codes: ["NORTH VALLEY LAB|K"], name: "Potassium (local)", minimumIntervalDays: 1)],
            localCodeMap: ["North Valley Lab|GLU": "2345-7", "urn:oid:2.16.840.1.113883.3.1|A1C": "4548-4"])
        let codes: [Code] = [
            Code(system: CodeSystem.loinc, code: "4548-4", display: "HbA1c"),
            Code(system: nil, code: "GLU", display: "Glucose"),
            Code(system: "urn:oid:2.16.840.1.113883.3.1", code: "A1C", display: "A1c"),
            Code(system: nil, code: "A1C", display: "A1c"),
            Code(system: nil, code: "K", display: "Potassium"),
            Code(system: "", code: "K", display: "Potassium"),
            Code(system: nil, code: "X1", display: "Local", translations: [Code(system: CodeSystem.loinc, code: "4548-4", display: nil)]),
            Code(system: nil, code: "X1", display: "Local"),
        ]
        for order in [codes, codes.reversed()] {
            let catalog = TestCatalog(configuration)
            for _ in 0..<2 {
                for code in order {
                    for facility in ["North Valley Lab", "Riverside Clinic"] {
                        let fresh = catalog.resolve(code, facility: facility)
                        let remembered = catalog.resolution(for: code, facility: facility)
                        #expect(remembered.loinc == fresh.loinc, "\(code) at \(facility)")
                        #expect(remembered.testKey == fresh.testKey, "\(code) at \(facility)")
                        #expect(remembered.ruleIndex == fresh.ruleIndex, "\(code) at \(facility)")
                    }
                }
            }
            #expect(catalog.loinc(for: codes[1], facility: "North Valley Lab") == "2345-7")
            #expect(catalog.loinc(for: codes[1], facility: "Riverside Clinic") == nil)
            #expect(catalog.rule(for: codes[2], facility: "Riverside Clinic")?.name == "HbA1c")
            #expect(catalog.rule(for: codes[3], facility: "Riverside Clinic") == nil)
            #expect(catalog.rule(for: codes[4], facility: "North Valley Lab")?.name == "Potassium (local)")
            #expect(catalog.rule(for: codes[6], facility: "Riverside Clinic")?.name == "HbA1c")
            #expect(catalog.rule(for: codes[7], facility: "Riverside Clinic") == nil)
        }
    }

    /// A record's facts each get their own id in the order given (dozens of them too); a fact repeated in
    /// the message, or already recorded for the record, is written once and returned once; another
    /// record's same fact is its own.
    @Test func aRecordsFactsAreWrittenTogetherOncePerFingerprintInOrder() throws {
        let db = try Connection(path: ":memory:")
        try db.migrate(FactLedger.migrations)
        let ledger = FactLedger()
        func potassium(_ value: Double, _ message: String, _ k: Int) -> ClinicalFact {
            F.result(F.loinc("2823-3", "Potassium"), value, "mmol/L", at: F.time("202405021000"), filler: "NV-\(k)",
                     from: F.provenance(F.northLab, .hl7v2, message, "OBR[1]/OBX[\(k)]"))
        }
        let a = potassium(4.1, "M1", 1), b = potassium(4.4, "M1", 2)
        let many = (3..<45).map { potassium(Double($0) / 10, "M1", $0) }
        let first = try db.transaction {
            try ledger.record(([a, b, a] + many).map { ($0, try FactLedger.prepare($0)) }, sourceRecordID: 1, messageLogID: 7, in: db)
        }
        #expect(first.map(\.body) == ([a, b] + many).map(\.body))
        #expect(first.map(\.id) == first.map(\.id).sorted() && Set(first.map(\.id)).count == first.count)
        let c = potassium(5.0, "M2", 1)
        let second = try db.transaction {
            try ledger.record([b, c].map { ($0, try FactLedger.prepare($0)) }, sourceRecordID: 1, messageLogID: 8, in: db)
        }
        #expect(second.map(\.body) == [c.body])
        #expect(second.first.map { $0.id > first.map(\.id).max()! } == true)
        // The same facts for another record are that record's own.
        let other = try db.transaction { try ledger.record([a].map { ($0, try FactLedger.prepare($0)) }, sourceRecordID: 2, messageLogID: 9, in: db) }
        #expect(other.count == 1)
        #expect(try db.scalar("SELECT count(*) FROM fact_instance") == .integer(Int64(2 + many.count + 1 + 1)))
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

    /// `/metrics` counts flags in SQL and `GET /duplicate-tests` is bounded: both must agree with the list.
    @Test func activeFlagsAreCountedAndListedNewestFirstWithALimit() throws {
        let db = try FactFixtures.database()
        let ledger = FactLedger()
        let a1c = F.loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood")
        // Three patients, each with an A1c repeated at another clinic 30 days later (in different months).
        for patient in 1...3 {
            let first = F.time("2024\(String(format: "%02d", patient))05")
            let later = ClinicalTime.from(first.instant.addingTimeInterval(30 * 86_400)).date ?? first
            let a = Int64(patient * 10), b = Int64(patient * 10 + 1)
            try db.transaction {
                try ledger.record([F.result(a1c, 7.1, "%", at: first, filler: "NV-\(patient)", from: F.provenance(F.northLab, .hl7v2, "NV-\(patient)", "OBX[1]"))],
                                  sourceRecordID: a, messageLogID: nil, in: db)
                try ledger.record([F.result(a1c, 7.0, "%", at: later, filler: "SM-\(patient)", from: F.provenance(F.general, .hl7v2, "SM-\(patient)", "OBX[1]"))],
                                  sourceRecordID: b, messageLogID: nil, in: db)
                _ = try ledger.refresh(enterpriseID: "EP-0000000\(patient)", memberRecordIDs: [a, b], in: db)
            }
        }
        let all = try ledger.flags(enterpriseID: nil, in: db)
        #expect(all.count == 3)
        #expect(try ledger.activeFlagCount(in: db) == 3)
        #expect(all.map(\.enterpriseID) == ["EP-00000003", "EP-00000002", "EP-00000001"])
        #expect(try ledger.flags(enterpriseID: nil, limit: 2, in: db) == Array(all.prefix(2)))
        #expect(try ledger.flags(enterpriseID: "EP-00000002", limit: 5, in: db).map(\.enterpriseID) == ["EP-00000002"])
        // A split retires a patient's flag: no longer counted.
        try db.transaction { _ = try ledger.refresh(enterpriseID: "EP-00000002", memberRecordIDs: [20], in: db) }
        #expect(try ledger.activeFlagCount(in: db) == 2)
    }
}
