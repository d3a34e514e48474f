import Clinical
import Foundation
import PatientIndex
import SQLite

/// `concord-bench facts [--patients N] [--db PATH] [--reads N]`: builds a fact ledger for N enterprise
/// patients (2–6 facts each, through `record` + `refresh`) plus one patient with 500 facts from four
/// clinics and three formats, then measures the read side (`unifiedFacts` + `flags`, a filtered read,
/// `careSignals`) for that patient and for random patients, and refresh latency.
enum FactsBenchmark {
    static func run(_ args: [String]) throws {
        Bench.warnIfDebug()
        var patients = 100_000
        var path = NSTemporaryDirectory() + "concord-facts-bench.sqlite"
        var reads = 1000
        var i = 0
        while i < args.count {
            let value = i + 1 < args.count ? args[i + 1] : ""
            switch args[i] {
            case "--patients": patients = Int(value) ?? patients; i += 1
            case "--db": path = value; i += 1
            case "--reads": reads = Int(value) ?? reads; i += 1
            default: break
            }
            i += 1
        }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let db = try Connection(path: path)
        try db.migrate(FactLedger.migrations)
        let ledger = FactLedger()
        var rng = SplitMix(seed: 7)

        // Build: every patient through the real record + refresh path, 1000 patients per transaction.
        let buildStart = Bench.now()
        var instanceCount = 0
        var batchStart = 0
        while batchStart < patients {
            let batchEnd = min(patients, batchStart + 1000)
            try db.transaction {
                for p in batchStart..<batchEnd {
                    let facts = smallPatientFacts(p, rng: &rng)
                    instanceCount += facts.count
                    try ledger.record(facts, sourceRecordID: Int64(p + 1), messageLogID: nil, in: db)
                    _ = try ledger.refresh(enterpriseID: enterpriseID(p), memberRecordIDs: [Int64(p + 1)], in: db)
                }
            }
            batchStart = batchEnd
        }
        let bigID = "EP-BIG-00000500"
        let bigRecords: [Int64] = [10_000_001, 10_000_002, 10_000_003, 10_000_004]
        let bigFacts = bigPatientFacts(rng: &rng)
        try db.transaction {
            for (k, record) in bigRecords.enumerated() {
                let mine = bigFacts.enumerated().filter { $0.offset % 4 == k }.map(\.element)
                try ledger.record(mine, sourceRecordID: record, messageLogID: nil, in: db)
            }
            _ = try ledger.refresh(enterpriseID: bigID, memberRecordIDs: bigRecords, in: db)
        }
        try db.execute("ANALYZE")
        let buildSeconds = Bench.now() - buildStart
        let bigUnified = try ledger.unifiedFacts(enterpriseID: bigID, kinds: nil, from: nil, to: nil, in: db)
        let bigFlags = try ledger.flags(enterpriseID: bigID, in: db)
        Bench.report("facts", "build", buildSeconds, unit: "s", extra: [
            "patients": "\(patients + 1)", "instances": "\(instanceCount + bigFacts.count)",
            "bigPatientInstances": "\(bigFacts.count)", "bigPatientUnified": "\(bigUnified.count)", "bigPatientFlags": "\(bigFlags.count)",
        ])

        // Reads of the 500-fact patient: the unified record (every fact) and its flags.
        func sample(_ count: Int, _ body: () throws -> Int) rethrows -> [Double] {
            var checksum = 0
            for _ in 0..<min(20, count) { checksum &+= try body() }
            var samples: [Double] = []
            samples.reserveCapacity(count)
            for _ in 0..<count {
                let start = Bench.now()
                checksum &+= try body()
                samples.append((Bench.now() - start) * 1000)
            }
            if checksum == Int.min { print(checksum) }
            return samples
        }
        func report(_ metric: String, _ samples: [Double], _ extra: [String: String] = [:]) {
            Bench.report("facts", metric + ".p50", Bench.percentile(samples, 50), unit: "ms", extra: extra)
            Bench.report("facts", metric + ".p99", Bench.percentile(samples, 99), unit: "ms", extra: extra)
        }
        let bigRead = try sample(max(50, reads / 5)) {
            try ledger.unifiedFacts(enterpriseID: bigID, kinds: nil, from: nil, to: nil, in: db).count
                + ledger.flags(enterpriseID: bigID, in: db).count
        }
        report("read.big.unifiedFacts+flags", bigRead, ["facts": "\(bigUnified.count)", "flags": "\(bigFlags.count)"])
        let bigFactsOnly = try sample(max(50, reads / 5)) {
            try ledger.unifiedFacts(enterpriseID: bigID, kinds: nil, from: nil, to: nil, in: db).count
        }
        report("read.big.unifiedFacts", bigFactsOnly)
        let bigFlagsOnly = try sample(max(50, reads / 5)) { try ledger.flags(enterpriseID: bigID, in: db).count }
        report("read.big.flags", bigFlagsOnly)
        let year = (ClinicalTime.parseISO8601("2023-01-01"), ClinicalTime.parseISO8601("2023-12-31"))
        let bigFiltered = try sample(max(50, reads / 5)) {
            try ledger.unifiedFacts(enterpriseID: bigID, kinds: [.result], from: year.0, to: year.1, in: db).count
        }
        report("read.big.results2023", bigFiltered)
        let asOf = ClinicalTime.parseISO8601("2025-01-01T00:00:00Z") ?? ClinicalTime.now()
        let bigSignals = try sample(max(50, reads / 5)) {
            try ledger.careSignals(enterpriseID: bigID, memberRecordIDs: bigRecords, asOf: asOf, in: db).activeMedicationCount
        }
        report("read.big.careSignals", bigSignals)
        let randomRead = try sample(reads) {
            let p = Int(rng.next() % UInt64(patients))
            return try ledger.unifiedFacts(enterpriseID: enterpriseID(p), kinds: nil, from: nil, to: nil, in: db).count
                + ledger.flags(enterpriseID: enterpriseID(p), in: db).count
        }
        report("read.random.unifiedFacts+flags", randomRead)

        // Refresh latency (each in its own transaction, as the store's ingest does).
        let bigRefresh = try sample(20) {
            try db.transaction { try ledger.refresh(enterpriseID: bigID, memberRecordIDs: bigRecords, in: db).count }
        }
        report("refresh.big", bigRefresh)
        let randomRefresh = try sample(max(50, reads / 5)) {
            let p = Int(rng.next() % UInt64(patients))
            return try db.transaction { try ledger.refresh(enterpriseID: enterpriseID(p), memberRecordIDs: [Int64(p + 1)], in: db).count }
        }
        report("refresh.random", randomRefresh)
        // The same refreshes without the durable commit (fsync) that dominates a lone small transaction.
        let randomRefreshInTransaction = try db.transaction {
            try sample(max(50, reads / 5)) {
                let p = Int(rng.next() % UInt64(patients))
                return try ledger.refresh(enterpriseID: enterpriseID(p), memberRecordIDs: [Int64(p + 1)], in: db).count
            }
        }
        report("refresh.random.noCommit", randomRefreshInTransaction)
        let allFlags = try Bench.measure(repetitions: 3) { try ledger.flags(enterpriseID: nil, in: db).count }
        Bench.report("facts", "read.allFlags", allFlags.seconds * 1000, unit: "ms", extra: ["flags": "\(allFlags.result)"])
        // For the peer: the big patient's unified facts and flags as JSON documents (a document-store layout).
        let encoder = JSONEncoder()
        try db.transaction {
            try db.execute("DROP TABLE IF EXISTS bench_json_fact; CREATE TABLE bench_json_fact (enterprise_id TEXT, seq INTEGER, t_start REAL, data TEXT)")
            try db.execute("DROP TABLE IF EXISTS bench_json_flag; CREATE TABLE bench_json_flag (enterprise_id TEXT, later_time REAL, data TEXT)")
            for (k, fact) in bigUnified.enumerated() {
                try db.run("INSERT INTO bench_json_fact VALUES (?, ?, ?, ?)", [bigID, k, fact.body.time?.instant.timeIntervalSince1970,
                                                                               String(decoding: try encoder.encode(fact), as: UTF8.self)])
            }
            for flag in bigFlags {
                try db.run("INSERT INTO bench_json_flag VALUES (?, ?, ?)", [bigID, flag.later.time?.instant.timeIntervalSince1970,
                                                                            String(decoding: try encoder.encode(flag), as: UTF8.self)])
            }
            try db.execute("CREATE INDEX bench_json_fact_ep ON bench_json_fact (enterprise_id); CREATE INDEX bench_json_flag_ep ON bench_json_flag (enterprise_id)")
        }
        print("BIG_PATIENT \(bigID)")
        print("DB \(path)")
    }

    static func enterpriseID(_ p: Int) -> String {
        let digits = String(p)
        return "EP-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    // MARK: Synthetic facts (shaped like the mappers' output)

    private static let clinics = [
        SourceSystem(facility: "Riverside Family Medicine", application: "EPIC"),
        SourceSystem(facility: "North Valley Lab", application: "SUNQUEST"),
        SourceSystem(facility: "Lakeside Cardiology", application: "athenahealth"),
        SourceSystem(facility: "St. Mary General Hospital", application: "CERNER"),
    ]
    private static let formats: [SourceFormat] = [.hl7v2, .ccda, .fhir]
    private static let tests: [(String, String, Double, String)] = [
        ("4548-4", "Hemoglobin A1c", 7.1, "%"), ("2093-3", "Cholesterol", 190, "mg/dL"), ("2085-9", "HDL", 48, "mg/dL"),
        ("13457-7", "LDL calculated", 118, "mg/dL"), ("2571-8", "Triglycerides", 160, "mg/dL"), ("3016-3", "TSH", 2.3, "mIU/L"),
        ("2345-7", "Glucose", 104, "mg/dL"), ("2823-3", "Potassium", 4.3, "mmol/L"), ("2160-0", "Creatinine", 1.0, "mg/dL"),
        ("718-7", "Hemoglobin", 13.4, "g/dL"), ("2951-2", "Sodium", 139, "mmol/L"), ("1989-3", "Vitamin D", 28, "ng/mL"),
    ]
    private static let drugs = ["861007", "314076", "617312", "197361", "855332", "1361048", "310798", "866924", "198211", "312961"]
    private static let problems = ["E11.9", "I10", "E78.5", "J45.40", "N18.3", "I50.9", "M54.5", "F32.9", "K21.9", "J44.9"]

    private static func day(_ n: Int, hour: Int = 8) -> ClinicalTime {
        let base = 19_358.0 * 86_400  // 2023-01-01
        var t = ClinicalTime.from(Date(timeIntervalSince1970: base + Double(n) * 86_400 + Double(hour) * 3600))
        t.precision = .minute
        t.second = 0
        return t
    }

    private static func result(_ test: Int, at t: ClinicalTime, value: Double, clinic: Int, format: SourceFormat, message: String, position: Int) -> ClinicalFact {
        let (code, name, _, unit) = tests[test % tests.count]
        let obs = Observation(
            code: Code(system: CodeSystem.loinc, code: code, display: name), value: .quantity(Quantity(value: value, unit: unit)),
            unit: unit, status: .final, effectiveTime: t, category: "laboratory", fillerOrderNumber: message + "-F",
            performer: ProviderReference(name: "Pathologist \(clinic)"))
        return ClinicalFact(subject: 0, body: .result(obs), provenance: Provenance(
            source: clinics[clinic % clinics.count], format: format, messageID: message, position: "OBR[1]/OBX[\(position)]"))
    }

    static func smallPatientFacts(_ p: Int, rng: inout SplitMix) -> [ClinicalFact] {
        let count = 2 + Int(rng.next() % 5)
        var facts: [ClinicalFact] = []
        let clinic = p % 4
        for k in 0..<count {
            let provenance = Provenance(source: clinics[clinic], format: formats[k % 3], messageID: "P\(p)-M\(k)", position: "entry[\(k)]")
            switch k % 4 {
            case 0, 1:
                let test = Int(rng.next() % UInt64(tests.count))
                facts.append(result(test, at: day(Int(rng.next() % 700)), value: tests[test].2 + Double(rng.next() % 20) / 10, clinic: clinic, format: formats[k % 3], message: "P\(p)-M\(k)", position: 1))
            case 2:
                facts.append(ClinicalFact(subject: 0, body: .medication(Medication(code: Code(system: CodeSystem.rxnorm, code: drugs[Int(rng.next() % 10)]), start: day(Int(rng.next() % 700)))), provenance: provenance))
            default:
                facts.append(ClinicalFact(subject: 0, body: .problem(Problem(code: Code(system: CodeSystem.icd10cm, code: problems[Int(rng.next() % 10)]))), provenance: provenance))
            }
        }
        return facts
    }

    /// 500 unified facts from 654 instances: 400 results over two years from four clinics (a third of them
    /// also arriving as a C-CDA or FHIR copy of the same result), 30 medications, 20 problems, 20 encounters
    /// (admit + discharge each), 15 immunizations, 15 orders.
    static func bigPatientFacts(rng: inout SplitMix) -> [ClinicalFact] {
        var facts: [ClinicalFact] = []
        var n = 0
        // Mostly monitoring tests (glucose, potassium, creatinine, hemoglobin, sodium); every tenth result
        // is an interval-limited test (HbA1c, lipids, TSH, vitamin D), some of them repeated too soon.
        let monitoring = [6, 7, 8, 9, 10]
        let limited = [0, 1, 2, 3, 4, 5, 11]
        while n < 400 {
            let test = n % 10 == 0 ? limited[(n / 10) % limited.count] : monitoring[n % monitoring.count]
            let clinic = Int(rng.next() % 4)
            let t = day((n * 9 / 5) % 730, hour: 7 + n % 10)
            let value = tests[test].2 + Double(rng.next() % 30) / 10
            facts.append(result(test, at: t, value: value, clinic: clinic, format: .hl7v2, message: "BIG-ORU-\(n)", position: 1))
            if n % 3 == 0 {
                facts.append(result(test, at: t, value: value, clinic: clinic, format: n % 2 == 0 ? .ccda : .fhir, message: "BIG-DOC-\(n)", position: 1))
            }
            n += 1
        }
        for k in 0..<30 {
            let provenance = Provenance(source: clinics[k % 4], format: formats[k % 3], messageID: "BIG-MED-\(k)", position: "entry[\(k)]")
            facts.append(ClinicalFact(subject: 0, body: .medication(Medication(
                code: Code(system: CodeSystem.rxnorm, code: drugs[k % drugs.count] + (k < drugs.count ? "" : "\(k)")), status: k < 24 ? .active : .stopped,
                start: day(k * 10), prescriber: ProviderReference(name: "Prescriber \(k % 6)"))), provenance: provenance))
        }
        for k in 0..<20 {
            let provenance = Provenance(source: clinics[k % 4], format: formats[k % 3], messageID: "BIG-PRB-\(k)", position: "entry[\(k)]")
            let code = problems[k % problems.count] + (k < problems.count ? "" : "1")
            facts.append(ClinicalFact(subject: 0, body: .problem(Problem(code: Code(system: CodeSystem.icd10cm, code: code), onset: day(k))), provenance: provenance))
        }
        for k in 0..<40 {
            let provenance = Provenance(source: clinics[3], format: .hl7v2, messageID: "BIG-ADT-\(k)", position: "PV1")
            facts.append(ClinicalFact(subject: 0, body: .encounter(Encounter(
                visitNumber: "V\(k / 2)", encounterClass: k % 8 < 2 ? .inpatient : .outpatient, status: k % 2 == 0 ? .inProgress : .finished,
                start: day(k / 2 * 30), location: "WARD \(k % 3)", attendingProvider: ProviderReference(name: "Attending \(k % 5)"))), provenance: provenance))
        }
        for k in 0..<15 {
            let provenance = Provenance(source: clinics[0], format: .hl7v2, messageID: "BIG-VXU-\(k)", position: "RXA[1]")
            facts.append(ClinicalFact(subject: 0, body: .immunization(Immunization(vaccine: Code(system: CodeSystem.cvx, code: ["150", "208", "115"][k % 3]), administeredAt: day(k * 45))), provenance: provenance))
        }
        while facts.count < 654 {
            let k = facts.count
            let provenance = Provenance(source: clinics[k % 4], format: .hl7v2, messageID: "BIG-ORM-\(k)", position: "ORC[1]")
            facts.append(ClinicalFact(subject: 0, body: .order(Order(code: Code(system: CodeSystem.loinc, code: ["57698-3", "4548-4", "3016-3"][k % 3]), placerOrderNumber: "ORD-\(k)", orderedAt: day(k % 730))), provenance: provenance))
        }
        return facts
    }

    typealias SplitMix = SplitMix64
}
