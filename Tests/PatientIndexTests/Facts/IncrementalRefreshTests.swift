import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

/// A message that only adds facts to a patient continues the patient's unification instead of redoing it
/// (`FactLedger.refresh(enterpriseID:continuing:…)`). These tests hold it to the full refresh: two stores
/// take the same messages, one with the unification cache and one without (every refresh in full), and
/// their unified facts and duplicate-test flags must be identical after every message.
@Suite struct IncrementalRefreshTests {
    static let tests: [(String, String, String)] = [
        ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%"), ("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL"),
        ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL"), ("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L"),
        ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL"),
    ]

    /// What a reader sees of a patient's derived rows: every unified fact and flag row, as stored.
    static func derived(_ store: PatientIndexStore) throws -> [String] {
        let facts = try store.db.rows("SELECT enterprise_id, id, kind, state, t_start, t_end, hex(data) FROM unified_fact ORDER BY enterprise_id, id")
            .map { row in (0..<7).map { "\(row[$0])" }.joined(separator: "|") }
        let flags = try store.db.rows("SELECT id, enterprise_id, kind, active, later_time, hex(data) FROM fact_flag ORDER BY id")
            .map { row in (0..<6).map { "\(row[$0])" }.joined(separator: "|") }
        return facts + ["--"] + flags
    }

    /// One message's facts for the patient: new results (some inside their retest interval), re-sends
    /// of earlier results from another message, corrections and withdrawals of earlier results, orders
    /// for tests already resulted, and problems.
    static func facts(step: Int, dice: inout Dice, earlier: inout [ClinicalFact], source: SourceSystem) -> [ClinicalFact] {
        var out: [ClinicalFact] = []
        let provenance = Provenance(source: source, format: .hl7v2, messageID: "MSG\(step)", position: "OBX")
        for k in 0..<(1 + dice.next(4)) {
            let choice = dice.next(10)
            if choice < 5 || earlier.isEmpty {
                let test = tests[dice.next(tests.count)]
                let day = 1 + dice.next(200)
                let time = ClinicalTime(year: 2024, month: 1 + day / 28 % 12, day: 1 + day % 28)
                let fact = ClinicalFact(subject: 0, body: .result(Observation(
                    code: Code(system: "LN", code: test.0, display: test.1), value: .quantity(Quantity(value: Double(50 + dice.next(100)) / 10, unit: test.2)),
                    unit: test.2, status: dice.next(6) == 0 ? .preliminary : .final, effectiveTime: time, category: "laboratory",
                    sourceID: "OBS-\(step)-\(k)")), provenance: provenance)
                out.append(fact)
                earlier.append(fact)
            } else if choice < 7 {
                // The same result re-sent in another message (another provenance: a new instance).
                var again = earlier[dice.next(earlier.count)]
                again.provenance = provenance
                out.append(again)
            } else if choice < 9 {
                // A correction (new value) or a withdrawal of an earlier result, by its source id.
                var changed = earlier[dice.next(earlier.count)]
                guard case .result(var o) = changed.body else { continue }
                if choice == 7 {
                    o.status = .corrected
                    o.value = .quantity(Quantity(value: Double(50 + dice.next(100)) / 10, unit: o.unit))
                } else {
                    o.status = .enteredInError
                }
                changed.body = .result(o)
                changed.provenance = provenance
                out.append(changed)
            } else if dice.next(2) == 0, case .result(let o) = earlier[dice.next(earlier.count)].body {
                let day = 1 + dice.next(200)
                out.append(ClinicalFact(subject: 0, body: .order(Order(
                    code: o.code, placerOrderNumber: "ORD-\(step)-\(k)", orderedAt: ClinicalTime(year: 2024, month: 1 + day / 28 % 12, day: 1 + day % 28))),
                    provenance: provenance))
            } else {
                let codes = [("E11.9", "Type 2 diabetes mellitus"), ("I10", "Essential hypertension"), ("N18.3", "Chronic kidney disease, stage 3")]
                let code = codes[dice.next(codes.count)]
                out.append(ClinicalFact(subject: 0, body: .problem(Problem(
                    code: Code(system: "I10", code: code.0, display: code.1), status: dice.next(3) == 0 ? .resolved : .active)),
                    provenance: provenance))
            }
        }
        return out
    }

    /// A new patient's unified facts are prepared on the parsing worker (most spliced from the encodings
    /// made for `fact_instance`) and written as they are; they must be the rows the writer's own refresh
    /// writes. Every kind of fact, corrections of one another, and facts of two patients in one message.
    @Test(arguments: [4, 5, 6])
    func aNewPatientsPreparedUnifiedFactsAreTheWritersOwn(seed: Int) throws {
        let prepared = try TemporaryIndex()
        let refreshed = try TemporaryIndex()
        var dice = Dice(state: UInt64(seed))
        var preparedAhead = 0
        for step in 0..<12 {
            let mrn = "E2\(seed)\(step)"
            var first = Patients.mariaAtRiverside(mrn: mrn)
            first.names = [PersonName(family: "Patient\(step)x\(seed)", given: ["Given\(dice.next(1000))"])]
            first.ssn = nil
            let provenance = Provenance(source: Clinics.riverside, format: .hl7v2, messageID: "NEW\(step)", position: "OBX")
            var earlier: [ClinicalFact] = []
            var facts = Self.facts(step: step, dice: &dice, earlier: &earlier, source: Clinics.riverside)
            for (k, body) in CompactCodecTests.bodies.enumerated() where dice.next(2) == 0 {
                var positioned = provenance
                positioned.position = "SEG[\(k)]"
                facts.append(ClinicalFact(subject: 0, body: body, provenance: positioned))
            }
            let submission = Patients.submission([first], from: Clinics.riverside, messageID: "NEW\(step)", facts: facts)
            let ahead = try PatientIndexStore.prepare(submission, ledger: prepared.store.ledger)
            if ahead.newPatientFacts[0] != nil { preparedAhead += 1 }
            _ = try prepared.store.ingest(ahead, messageID: nil)
            _ = try refreshed.store.ingest(submission, messageID: nil)
            #expect(try Self.derived(prepared.store) == Self.derived(refreshed.store), "seed \(seed) step \(step)")
        }
        #expect(preparedAhead >= 6)
    }

    @Test(arguments: [1, 2, 3])
    func incrementalRefreshesMatchFullRefreshesMessageByMessage(seed: Int) throws {
        let cached = try TemporaryIndex()
        var off = IndexConfiguration()
        off.unificationCacheInstances = 0
        let full = try TemporaryIndex(configuration: off)
        var dice = Dice(state: UInt64(seed))
        var earlier: [ClinicalFact] = []
        var lakeviewEarlier: [ClinicalFact] = []
        for step in 0..<60 {
            // Mostly Riverside; from step 20 Lakeview's chart of Maria too, linked by a steward at step 25.
            let atLakeview = step >= 20 && dice.next(3) == 0
            let facts = atLakeview
                ? Self.facts(step: step, dice: &dice, earlier: &lakeviewEarlier, source: Clinics.lakeview)
                : Self.facts(step: step, dice: &dice, earlier: &earlier, source: Clinics.riverside)
            let record = atLakeview ? Patients.mariaAtLakeview() : Patients.mariaAtRiverside()
            let submission = Patients.submission([record], from: atLakeview ? Clinics.lakeview : Clinics.riverside, messageID: "MSG\(step)", facts: facts)
            for index in [cached, full] {
                _ = try index.store.ingest(submission, messageID: nil)
                if step == 25 {
                    let riverside = try #require(try index.store.db.row("SELECT record_id FROM identifiers WHERE value = 'E1002345'")?.int(0))
                    let lakeview = try #require(try index.store.db.row("SELECT record_id FROM identifiers WHERE value = '88231'")?.int(0))
                    let home = try #require(try IndexRows.enterpriseID(ofRecord: riverside, in: index.store.db))
                    if try IndexRows.enterpriseID(ofRecord: lakeview, in: index.store.db) != home {
                        try index.store.link(recordID: lakeview, to: home, actor: "steward:akim", reason: nil)
                    }
                }
            }
            let a = try Self.derived(cached.store), b = try Self.derived(full.store)
            #expect(a == b, "seed \(seed), after message \(step)")
            if a != b { return }
        }
        // The cached store took the incremental path for most messages; the other never did.
        #expect(cached.store.incrementalRefreshes > 30)
        #expect(full.store.incrementalRefreshes == 0)
        let flags = try cached.store.db.scalar("SELECT count(*) FROM fact_flag WHERE active = 1")
        #expect(flags != .integer(0), "the sequence exercises duplicate-test flags")
    }

    /// Another process committing to the same database (SQLite allows it) makes the cached unifications
    /// stale: the store notices (`PRAGMA data_version`) and refreshes in full. Here the other process
    /// records an HbA1c that this store then receives again from a second interface: a stale
    /// unification would show it twice.
    @Test func anotherWritersCommitIsNoticed() throws {
        let index = try TemporaryIndex()
        func a1c(_ value: Double, day: Int, _ message: String, _ source: SourceSystem = Clinics.riverside) -> ClinicalFact {
            ClinicalFact(subject: 0, body: .result(Observation(
                code: Code(system: "LN", code: "4548-4", display: "Hemoglobin A1c/Hemoglobin.total in Blood"),
                value: .quantity(Quantity(value: value, unit: "%")), unit: "%", status: .final,
                effectiveTime: ClinicalTime(year: 2024, month: 3, day: day), category: "laboratory")),
                provenance: Provenance(source: source, format: .hl7v2, messageID: message, position: "OBX[1]"))
        }
        let steps: [(String, [ClinicalFact])] = [
            ("MSG1", [a1c(7.1, day: 1, "MSG1")]), ("MSG2", [a1c(7.4, day: 5, "MSG2")]),
            ("MSG3", [a1c(6.9, day: 12, "MSG3")]),  // recorded by the other process
            ("MSG4", [a1c(6.9, day: 12, "MSG4"), a1c(7.0, day: 20, "MSG4")]),
        ]
        func submission(_ step: (String, [ClinicalFact])) -> Submission {
            Patients.submission([Patients.mariaAtRiverside()], from: Clinics.riverside, messageID: step.0, facts: step.1)
        }
        _ = try index.store.ingest(submission(steps[0]), messageID: nil)
        _ = try index.store.ingest(submission(steps[1]), messageID: nil)
        let other = try PatientIndexStore(path: index.path)
        _ = try other.ingest(submission(steps[2]), messageID: nil)
        _ = try index.store.ingest(submission(steps[3]), messageID: nil)

        var off = IndexConfiguration()
        off.unificationCacheInstances = 0
        let full = try TemporaryIndex(configuration: off)
        for step in steps { _ = try full.store.ingest(submission(step), messageID: nil) }
        #expect(try Self.derived(index.store) == Self.derived(full.store))
        let day12 = try index.store.db.scalar("SELECT count(*) FROM unified_fact WHERE kind = 'result'")
        #expect(day12 == .integer(4), "four results, the day-12 one once")
    }
}
