import Clinical
import Foundation
import PatientIndex
import SQLite

/// `concord-bench index [--patients N] [--latency N] [--batch N] [--page-cache-mib N] [--sqlite-checkpoints] [--feature-cache N] [--serial] [--sql-profile] [--duplicates RATE] [--seed S] [--db PATH [--probe-existing [--warm-up N]]] [--export CSV]`
///
/// Generates a synthetic multi-clinic population (names drawn from US frequency lists with a synthetic
/// long tail, about `RATE` of people registered a second time at another clinic with realistic variations),
/// bulk-loads it through `PatientIndexStore.ingest` with group commit (`--batch` records per durable
/// transaction, 16,384 as `concord ingest` commits; `--page-cache-mib` the write connection's SQLite page cache;
/// `--sqlite-checkpoints` leaves WAL checkpoints to SQLite's autocheckpoint on the writer's thread), then measures per-record ingest latency with the index at that size: the ingest call
/// inside a transaction, and ingest plus its own durable commit. Also reports how many true duplicate
/// pairs ended linked and how many pairs of different people ended in one enterprise patient.
/// The latency is measured twice: right after the load, and again once the checkpoint thread has copied
/// the load's WAL back (`_settled` metrics). `--probe-existing` measures only the latency, against an index
/// an earlier run with the same arguments left in `--db` (a freshly opened index: cold page and feature caches,
/// so `--warm-up N` ingests N probes untimed first). `MATCH_SLOWEST=N` prints the slowest probes' work.
/// `--export CSV` also writes the loaded records (with their true person) for the peers in `bench/index.sh`.
enum IndexBenchmark {
    static func run(_ args: [String]) throws {
        Bench.warnIfDebug()
        var patients = 10_000, latencySamples = 1_000, batch = 16_384, seed: UInt64 = 42
        var duplicateRate = 0.10
        var dbPath: String?
        var exportPath: String?
        var falseMergePath: String?
        var serial = false
        var sqlProfile = false
        var probeExisting = false
        var warmUp = 0
        // As `concord ingest` opens its index: WAL checkpoints in the background.
        var configuration = IndexConfiguration(backgroundCheckpoints: true)
        var i = 0
        while i < args.count {
            let value = i + 1 < args.count ? args[i + 1] : ""
            switch args[i] {
            case "--patients": patients = Int(value) ?? patients
            case "--latency": latencySamples = Int(value) ?? latencySamples
            case "--batch": batch = max(1, Int(value) ?? batch)
            case "--duplicates": duplicateRate = Double(value) ?? duplicateRate
            case "--seed": seed = UInt64(value) ?? seed
            case "--db": dbPath = value
            case "--export": exportPath = value
            case "--false-merges": falseMergePath = value
            case "--serial": serial = true; i -= 1
            case "--sql-profile": sqlProfile = true; i -= 1
            case "--probe-existing": probeExisting = true; i -= 1
            case "--warm-up": warmUp = max(0, Int(value) ?? 0)
            case "--sqlite-checkpoints": configuration.backgroundCheckpoints = false; i -= 1
            case "--page-cache-mib": configuration.pageCacheMiB = Int(value) ?? configuration.pageCacheMiB
            case "--feature-cache": configuration.featureCacheEntries = Int(value) ?? configuration.featureCacheEntries
            default: break
            }
            i += 2
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-index-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if dbPath == nil { try? FileManager.default.removeItem(at: directory) } }
        let path = dbPath ?? directory.appendingPathComponent("index.sqlite").path
        if !probeExisting { try? FileManager.default.removeItem(atPath: path) }

        var population = SyntheticPopulation(seed: seed, duplicateRate: duplicateRate)
        let records = population.records(count: patients)
        if probeExisting {
            // Latency only, against the index a run with the same arguments loaded into `--db` (copy it
            // first: the probes are ingested). That run's probes are drawn again and skipped, so these are
            // new records with new MRNs; for profiling the per-record path without a 10-minute load.
            guard dbPath != nil else { throw MatchingBenchmark.BenchError("--probe-existing needs --db with a loaded index") }
            _ = population.records(count: latencySamples * 2)
            let store = try PatientIndexStore(path: path, configuration: configuration)
            try measureLatency(store: store, population: &population, samples: latencySamples, warmUp: warmUp, scale: "\(patients)", label: "existing")
            return
        }
        if let exportPath { try SyntheticPopulation.export(records, to: exportPath) }
        let store = try PatientIndexStore(path: path, configuration: configuration)
        let scale = "\(patients)"

        // Bulk load with group commit.
        var recordPerson: [Int64: Int] = [:]
        var decisions: [String: Int] = [:]
        let start = Bench.now()
        let cpuStart = Bench.processCPUSeconds()
        let threadStart = Bench.threadCPUSeconds()
        // As `concord ingest` does it: what needs no look at the index (normalization, features, blocking
        // keys, encodings) is prepared on a second thread for the next batch while this one is ingested.
        // `--serial` prepares each record on the ingesting thread instead.
        let batches = stride(from: 0, to: records.count, by: batch).map { $0..<min($0 + batch, records.count) }
        let ahead = BatchPreparer(records: records, batches: batches, ledger: store.ledger, enabled: !serial)
        for (b, range) in batches.enumerated() {
            let prepared = try ahead.take(b)
            // As the gateway and `concord ingest` commit: optimistically without a savepoint per record.
            let outcomes = try store.groupCommit {
                try records[range].enumerated().map { offset, element in
                    let outcome = try prepared.map { try store.ingest($0[offset], messageID: nil) }
                        ?? store.ingest(SyntheticPopulation.submission(element.1), messageID: nil)
                    return (element.0, outcome)
                }
            }
            for (person, outcome) in outcomes {
                for patient in outcome.patients {
                    recordPerson[patient.recordID] = person
                    decisions[patient.decision.rawValue, default: 0] += 1
                }
            }
        }
        let loadSeconds = Bench.now() - start
        let loadCPU = Bench.processCPUSeconds() - cpuStart
        let ingestThreadCPU = Bench.threadCPUSeconds() - threadStart
        // Wall time on a shared machine includes waiting for the CPU; the CPU time says what the load costs.
        Bench.report("index", "bulk_load_records_per_s", Double(records.count) / loadSeconds, unit: "records/s",
            extra: ["records": "\(records.count)", "persons": scale, "batch": "\(batch)", "seconds": String(format: "%.1f", loadSeconds),
                    "cpu_seconds": String(format: "%.1f", loadCPU), "prepare": serial ? "serial" : "ahead",
                    "ingest_thread_cpu_seconds": String(format: "%.1f", ingestThreadCPU),
                    "records_per_cpu_s": String(format: "%.0f", Double(records.count) / max(loadCPU, 1e-9))])
        print("blocking-key filter: built \(store.keyFilterBuilds) times")
        if let checkpoints = store.db.backgroundCheckpointCounters {
            print("background checkpoints: \(checkpoints.checkpoints) run, \(checkpoints.framesCopied) frames copied, "
                + "writer waited before \(checkpoints.waits) transactions, \(checkpoints.failures) failed")
        }

        if sqlProfile {
            // Where the load's statements went: runs per loaded record and VM steps per run, most-run first.
            Bench.printStatementProfile(store.db.statementProfile(), per: records.count, unit: "record", short: "rec", limit: 40)
        }

        // Accuracy of what was loaded, against the generator's truth.
        let reader = try PatientIndexReader(path: path)
        var byPatient: [String: [Int]] = [:]
        for row in try reader.db.rows("SELECT record_id, enterprise_id FROM links") {
            guard let recordID = row.int(0), let patient = row.string(1), let person = recordPerson[recordID] else { continue }
            byPatient[patient, default: []].append(person)
        }
        var personRecords: [Int: Int] = [:]
        for person in recordPerson.values { personRecords[person, default: 0] += 1 }
        let truePairs = personRecords.values.reduce(0) { $0 + $1 * ($1 - 1) / 2 }
        var linkedTrue = 0, falsePairs = 0
        if let falseMergePath {
            // For each enterprise patient holding different people: every member's record and link explanation.
            var lines: [String] = []
            for (patient, persons) in byPatient where Set(persons).count > 1 {
                guard let ep = try reader.enterprisePatient(id: patient) else { continue }
                lines.append("== \(patient) persons \(persons)")
                for member in ep.members {
                    let name = member.record.names.first.map { "\($0.family ?? "") \($0.given.joined(separator: " "))" } ?? "?"
                    let comparisons = member.explanation.comparisons.map { "\($0.field)=\($0.level)(\(String(format: "%.1f", $0.weight)))" }
                    lines.append("  \(member.recordID) person \(recordPerson[Int64(member.recordID) ?? -1] ?? -1) \(name) \(member.record.birthDate.map { "\($0)" } ?? "-") "
                        + "\(member.explanation.method) total \(String(format: "%.1f", member.explanation.total)) vs \(member.explanation.comparedWith ?? "-"): \(comparisons.joined(separator: " "))")
                }
            }
            try lines.joined(separator: "\n").write(toFile: falseMergePath, atomically: true, encoding: .utf8)
        }
        for persons in byPatient.values where persons.count > 1 {
            for a in 0..<persons.count {
                for b in (a + 1)..<persons.count {
                    if persons[a] == persons[b] { linkedTrue += 1 } else { falsePairs += 1 }
                }
            }
        }
        let counts = try reader.counts()
        Bench.report("index", "duplicate_pairs_linked", truePairs == 0 ? .nan : Double(linkedTrue) / Double(truePairs), unit: "ratio",
            extra: ["true_pairs": "\(truePairs)", "linked": "\(linkedTrue)", "false_merge_pairs": "\(falsePairs)",
                    "open_reviews": "\(counts.openReviews)", "enterprise_patients": "\(counts.enterprisePatients)",
                    "decisions": decisions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")])

        // Per-record latency with the index at this size: first right after the load, while the
        // checkpoint thread may still be copying the load's WAL back into the database, then once that
        // copy is done. (At 1M on 2026-12-07 the copy had already finished: the catch-up took 0.2 s.)
        try measureLatency(store: store, population: &population, samples: latencySamples, scale: scale, label: "after_load")
        if store.db.backgroundCheckpointCounters != nil {
            let t0 = Bench.now()
            store.db.catchUpBackgroundCheckpoints()
            print(String(format: "checkpoint catch-up after the load: %.1f s", Bench.now() - t0))
            try measureLatency(store: store, population: &population, samples: latencySamples, scale: scale, label: "settled")
        }

        // Reads: fetch random enterprise patients with their members.
        let ids = try reader.allPatients(limit: 200_000).map(\.id)
        var generator = SplitMix64(seed: seed &+ 7)
        var readSamples: [Double] = []
        let picks = ids.isEmpty ? [] : (0..<1000).map { _ in ids[Int(generator.next() % UInt64(ids.count))] }
        let (seconds, found) = try Bench.measure(repetitions: 3) { () -> Int in
            var found = 0
            readSamples.removeAll(keepingCapacity: true)
            for id in picks {
                let t0 = Bench.now()
                if try reader.enterprisePatient(id: id) != nil { found += 1 }
                readSamples.append(Bench.now() - t0)
            }
            return found
        }
        Bench.report("index", "read_patient_p99", Bench.percentile(readSamples, 99) * 1000, unit: "ms",
            extra: ["indexed": scale, "reads": "\(found)", "mean_ms": String(format: "%.3f", seconds * 1000 / Double(max(1, picks.count)))])
        let (searchSeconds, hits) = try Bench.measure(repetitions: 3) { () -> Int in
            var hits = 0
            for name in ["SMITH JOHN", "GARCIA MARIA", "NGUYEN", "OBRIEN PATRICK", "KOWALSKI ANNA"] {
                hits += try reader.searchPatients(name: name, limit: 50).count
            }
            return hits
        }
        Bench.report("index", "search_ms", searchSeconds * 1000 / 5, unit: "ms", extra: ["indexed": scale, "hits": "\(hits)"])
    }
}

// Helpers nested in the benchmark so they cannot collide with other benchmarks of the executable.
extension IndexBenchmark {
    /// Per-record ingest latency: half the probes timed inside their transaction, half with their own durable commit.
    /// `warmUp` more probes go first, untimed (a cold index's first reads are the disk's, not the ingest's).
    /// With `MATCH_SLOWEST=N` in the environment, the N slowest probes in a transaction are printed with
    /// the work they did (``IngestWork``), beside the median probe's.
    static func measureLatency(
        store: PatientIndexStore, population: inout SyntheticPopulation, samples latencySamples: Int, warmUp: Int = 0, scale: String, label: String
    ) throws {
        for (_, record) in population.records(count: warmUp) {
            let submission = SyntheticPopulation.submission(record)
            try store.transaction { _ = try store.ingest(submission, messageID: nil) }
        }
        var inTransaction: [Double] = []
        var durable: [Double] = []
        var probeWork: [(seconds: Double, work: IngestWork)] = []
        for (index, (_, record)) in population.records(count: latencySamples).enumerated() {
            let submission = SyntheticPopulation.submission(record)
            if index % 2 == 0 {
                let t0 = Bench.now()
                try store.transaction { _ = try store.ingest(submission, messageID: nil) }
                durable.append(Bench.now() - t0)
            } else {
                try store.transaction {
                    let before = store.work
                    let t0 = Bench.now()
                    _ = try store.ingest(submission, messageID: nil)
                    let elapsed = Bench.now() - t0
                    inTransaction.append(elapsed)
                    probeWork.append((elapsed, store.work.since(before)))
                }
            }
        }
        if let shown = ProcessInfo.processInfo.environment["MATCH_SLOWEST"].flatMap(Int.init), shown > 0, !probeWork.isEmpty {
            let sorted = probeWork.sorted { $0.seconds > $1.seconds }
            func line(_ name: String, _ probe: (seconds: Double, work: IngestWork)) -> String {
                let w = probe.work
                return String(format: "%@ %.2f ms: candidates %.2f, decide %.2f, facts %.2f, refresh %.2f ms; %d block queries, %d block rows, %d patients, %d members, %d feature reads",
                    name, probe.seconds * 1000, w.candidateSeconds * 1000, w.decideSeconds * 1000, w.factSeconds * 1000, w.refreshSeconds * 1000,
                    w.blockQueries, w.blockRows, w.candidatePatients, w.membersCompared, w.featureReads)
            }
            print(line("median", sorted[sorted.count / 2]))
            for probe in sorted.prefix(shown) { print(line("slow", probe)) }
        }
        for (name, samples) in [("ingest", inTransaction), ("ingest_commit", durable)] {
            let extra = ["indexed": scale, "samples": "\(samples.count)", "phase": label]
            let suffix = label == "after_load" ? "" : "_\(label)"
            Bench.report("index", "\(name)\(suffix)_p50", Bench.percentile(samples, 50) * 1000, unit: "ms", extra: extra)
            Bench.report("index", "\(name)\(suffix)_p99", Bench.percentile(samples, 99) * 1000, unit: "ms", extra: extra)
        }
    }

    /// People and their registrations at six clinics.
    struct SyntheticPopulation {
        struct Person {
            var family: String
            var given: String
            var middle: String?
            var sex: AdministrativeSex
            var born: (Int, Int, Int)
            var ssn: String?
            var phone: String?
            var street: String
            var zip: String
            var city: String
            var clinic: Int
        }

        private var rng: SplitMix64
        private var people: [Person] = []
        private var mrnCounter = 100_000
        private let duplicateRate: Double

        init(seed: UInt64, duplicateRate: Double) {
            rng = SplitMix64(seed: seed)
            self.duplicateRate = duplicateRate
        }

        // US Census 2010 surname counts (per 100,000) for the head of the distribution; the tail is synthetic.
        static let family: [(String, Int)] = [
            ("SMITH", 828), ("JOHNSON", 655), ("WILLIAMS", 550), ("BROWN", 487), ("JONES", 483), ("GARCIA", 400), ("MILLER", 393),
            ("DAVIS", 381), ("RODRIGUEZ", 375), ("MARTINEZ", 359), ("HERNANDEZ", 352), ("LOPEZ", 292), ("GONZALEZ", 282),
            ("WILSON", 275), ("ANDERSON", 262), ("THOMAS", 252), ("TAYLOR", 246), ("MOORE", 234), ("JACKSON", 233), ("MARTIN", 230),
            ("LEE", 219), ("PEREZ", 214), ("THOMPSON", 210), ("WHITE", 205), ("HARRIS", 191), ("SANCHEZ", 190), ("CLARK", 168),
            ("RAMIREZ", 168), ("LEWIS", 164), ("ROBINSON", 162), ("WALKER", 157), ("YOUNG", 151), ("ALLEN", 150), ("KING", 147),
            ("WRIGHT", 145), ("SCOTT", 140), ("TORRES", 138), ("NGUYEN", 136), ("HILL", 136), ("FLORES", 135), ("GREEN", 134),
            ("ADAMS", 131), ("NELSON", 130), ("BAKER", 127), ("HALL", 126), ("RIVERA", 125), ("CAMPBELL", 122), ("MITCHELL", 121),
            ("CARTER", 120), ("ROBERTS", 119), ("OBRIEN", 60), ("KOWALSKI", 20), ("OKAFOR", 5), ("CHEN", 90), ("PATEL", 100),
        ]
        static let male: [(String, Int)] = [
            ("JAMES", 331), ("JOHN", 327), ("ROBERT", 314), ("MICHAEL", 263), ("WILLIAM", 243), ("DAVID", 236), ("RICHARD", 175),
            ("CHARLES", 169), ("JOSEPH", 161), ("THOMAS", 154), ("CHRISTOPHER", 104), ("DANIEL", 97), ("PAUL", 95), ("MARK", 94),
            ("DONALD", 93), ("GEORGE", 93), ("KENNETH", 83), ("STEVEN", 78), ("EDWARD", 77), ("BRIAN", 74), ("ANTHONY", 72),
            ("KEVIN", 67), ("JASON", 66), ("MATTHEW", 66), ("PATRICK", 50), ("JOSE", 60), ("LUIS", 40), ("WEI", 20), ("CHIDI", 3),
        ]
        static let female: [(String, Int)] = [
            ("MARY", 263), ("PATRICIA", 107), ("LINDA", 104), ("BARBARA", 98), ("ELIZABETH", 94), ("JENNIFER", 93), ("MARIA", 84),
            ("SUSAN", 79), ("MARGARET", 77), ("DOROTHY", 73), ("LISA", 70), ("NANCY", 67), ("KAREN", 67), ("BETTY", 67),
            ("HELEN", 66), ("SANDRA", 63), ("DONNA", 58), ("CAROL", 58), ("RUTH", 52), ("SHARON", 52), ("MICHELLE", 52),
            ("LAURA", 51), ("SARAH", 51), ("KIMBERLY", 50), ("ANNA", 40), ("ELENA", 20), ("MEI", 10), ("NGOZI", 3),
        ]
        static let nicknames = ["WILLIAM": "BILL", "ROBERT": "BOB", "RICHARD": "DICK", "JAMES": "JIM", "JOSEPH": "JOE",
                                "THOMAS": "TOM", "MICHAEL": "MIKE", "ELIZABETH": "BETH", "MARGARET": "PEGGY", "PATRICIA": "PATTY",
                                "CHRISTOPHER": "CHRIS", "DANIEL": "DAN", "JENNIFER": "JENNY", "SUSAN": "SUE", "KENNETH": "KEN"]
        static let syllables = ["BER", "WICK", "MAN", "SON", "SKI", "TON", "LEY", "FORD", "HAM", "STEIN", "OW", "EZ", "ARD", "ING",
                                "DAL", "MOR", "RIT", "ZYN", "KOV", "LUND", "GARD", "VER", "HOL", "PEL", "CIA", "NES", "TRA", "QUIST",
                                "A", "O", "EL", "IN", "AR", "US", "ETTE", "ANO"]
        static let streets = ["MAPLE", "OAK", "CEDAR", "ELM", "PINE", "WASHINGTON", "LAKE", "HILL", "PARK", "MAIN", "CHURCH",
                              "WALNUT", "SPRING", "RIDGE", "MEADOW", "SUNSET", "LINCOLN", "JEFFERSON", "MILL", "RIVER"]
        static let cities = [("SPRINGFIELD", "627"), ("DECATUR", "625"), ("PEORIA", "616"), ("CHAMPAIGN", "618"), ("URBANA", "618")]
        static let clinics: [(SourceSystem, AssigningAuthority)] = [
            (SourceSystem(facility: "MERCY_GENERAL", application: "EPIC"), AssigningAuthority(namespace: "MGH", universalID: "2.16.840.1.113883.3.7001", universalIDType: "ISO")),
            (SourceSystem(facility: "NORTHSIDE_FP", application: "ATHENA"), AssigningAuthority(namespace: "MRN")),
            (SourceSystem(facility: "ST_LUKE_LAB", application: "LIS"), AssigningAuthority(namespace: "MRN")),
            (SourceSystem(facility: "RIVERVIEW_PEDS", application: "CERNER"), AssigningAuthority(namespace: "RVP", universalID: "2.16.840.1.113883.3.7004", universalIDType: "ISO")),
            (SourceSystem(facility: "LAKESHORE_CARDIO", application: "ALLSCRIPTS"), AssigningAuthority(namespace: "MRN")),
            (SourceSystem(facility: "VALLEY_URGENT", application: "MEDITECH"), AssigningAuthority(namespace: "VUC", universalID: "2.16.840.1.113883.3.7006", universalIDType: "ISO")),
        ]

        private mutating func uniform(_ n: Int) -> Int { Int(rng.next() % UInt64(max(1, n))) }
        private mutating func chance(_ p: Double) -> Bool { Double(rng.next() % 1_000_000) / 1_000_000 < p }

        private mutating func weighted(_ table: [(String, Int)]) -> String {
            let total = table.reduce(0) { $0 + $1.1 }
            var pick = uniform(total)
            for (name, weight) in table {
                if pick < weight { return name }
                pick -= weight
            }
            return table.last?.0 ?? "SMITH"
        }

        private mutating func syntheticName(parts: Int) -> String {
            (0..<parts).map { _ in Self.syllables[uniform(Self.syllables.count)] }.joined()
        }

        private mutating func newPerson() -> Person {
            let sex: AdministrativeSex = chance(0.5) ? .female : .male
            let family = chance(0.45) ? weighted(Self.family) : syntheticName(parts: 2 + uniform(2))
            let given = chance(0.75) ? weighted(sex == .female ? Self.female : Self.male) : syntheticName(parts: 2)
            let middle: String? = chance(0.6) ? weighted(sex == .female ? Self.female : Self.male) : nil
            let year = 1930 + uniform(94), month = 1 + uniform(12), day = 1 + uniform(28)
            let ssn: String? = chance(0.7) ? String(format: "%03d%02d%04d", 1 + uniform(664), 1 + uniform(99), 1 + uniform(9999)) : nil
            let phone: String? = chance(0.85) ? String(format: "(%03d) %03d-%04d", 200 + uniform(780), 200 + uniform(780), uniform(10_000)) : nil
            let (city, zipPrefix) = Self.cities[uniform(Self.cities.count)]
            return Person(family: family, given: given, middle: middle, sex: sex, born: (year, month, day), ssn: ssn, phone: phone,
                street: "\(1 + uniform(9999)) \(Self.streets[uniform(Self.streets.count)]) \(chance(0.5) ? "ST" : "AVE")",
                zip: zipPrefix + String(format: "%02d", uniform(100)), city: city, clinic: uniform(Self.clinics.count))
        }

        private mutating func record(of person: Person, clinic: Int, varied: Bool) -> PatientRecord {
            var family = person.family, given = person.given
            var born = person.born
            var ssn = person.ssn, phone = person.phone, street = person.street
            if varied {
                if chance(0.3), let nick = Self.nicknames[given] { given = nick }
                if chance(0.15), family.count > 3 {
                    var letters = Array(family)
                    let i = 1 + uniform(letters.count - 2)
                    letters.swapAt(i, i - 1)
                    family = String(letters)
                }
                if chance(0.3) { ssn = nil }
                if chance(0.08), born.2 <= 12 { born = (born.0, born.2, born.1) }
                if chance(0.3) { phone = String(format: "(%03d) %03d-%04d", 200 + uniform(780), 200 + uniform(780), uniform(10_000)) }
                if chance(0.25) { street = "\(1 + uniform(9999)) \(Self.streets[uniform(Self.streets.count)]) RD" }
            }
            mrnCounter += 1
            let (source, authority) = Self.clinics[clinic]
            return PatientRecord(
                source: source,
                identifiers: [PatientIdentifier(value: "\(clinic)\(mrnCounter)", authority: authority, type: "MR")],
                names: [PersonName(family: family, given: [given] + (person.middle.map { [$0] } ?? []))],
                birthDate: ClinicalTime(year: born.0, month: born.1, day: born.2),
                sex: person.sex,
                addresses: [PostalAddress(use: "home", lines: [street], city: person.city, state: "IL", postalCode: person.zip)],
                telecoms: phone.map { [Telecom(system: .phone, value: $0, use: "home")] } ?? [],
                ssn: ssn,
                provenance: Provenance(source: source, format: .hl7v2, messageID: "BENCH\(mrnCounter)", position: "PID"))
        }

        /// `count` records in arrival order, each with the index of its person: new people, and now and then a
        /// second registration of someone seen before at another clinic.
        mutating func records(count: Int) -> [(Int, PatientRecord)] {
            var out: [(Int, PatientRecord)] = []
            out.reserveCapacity(count)
            while out.count < count {
                if !people.isEmpty && chance(duplicateRate) {
                    let who = uniform(people.count)
                    let person = people[who]
                    let clinic = (person.clinic + 1 + uniform(Self.clinics.count - 1)) % Self.clinics.count
                    out.append((who, record(of: person, clinic: clinic, varied: true)))
                } else {
                    let person = newPerson()
                    people.append(person)
                    out.append((people.count - 1, record(of: person, clinic: person.clinic, varied: false)))
                }
            }
            return out
        }

        /// The records as CSV (`rec_id,person_id,given,middle,family,dob,sex,ssn,phone,street,city,zip,clinic`).
        static func export(_ records: [(Int, PatientRecord)], to path: String) throws {
            var text = "rec_id,person_id,given,middle,family,dob,sex,ssn,phone,street,city,zip,clinic\n"
            for (index, (person, record)) in records.enumerated() {
                let name = record.primaryName
                let dob = record.birthDate.map { String(format: "%04d%02d%02d", $0.year, $0.month, $0.day) } ?? ""
                let phone = record.telecoms.first.map { $0.value.filter(\.isNumber) } ?? ""
                let address = record.addresses.first
                let fields = ["\(index)", "\(person)", name?.first ?? "", name?.middle.first ?? "", name?.family ?? "", dob,
                              record.sex?.rawValue ?? "", record.ssn ?? "", phone, address?.lines.first ?? "", address?.city ?? "",
                              address?.postalCode ?? "", record.source.facility]
                text += fields.joined(separator: ",") + "\n"
            }
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }

        static func submission(_ record: PatientRecord) -> Submission {
            Submission(format: .hl7v2, source: record.source, messageID: record.provenance.messageID, messageType: "ADT^A04",
                event: .register, patients: [record])
        }
    }
}

/// Prepares batch `b + 1` of a bulk load on its own thread while batch `b` is ingested.
private final class BatchPreparer: @unchecked Sendable {
    private let records: [(Int, PatientRecord)]
    private let batches: [Range<Int>]
    private let ledger: FactLedger
    private let enabled: Bool
    private let condition = NSCondition()
    private var ready: [Int: Result<[PreparedSubmission], Error>] = [:]
    private var started = -1

    init(records: [(Int, PatientRecord)], batches: [Range<Int>], ledger: FactLedger, enabled: Bool) {
        self.records = records
        self.batches = batches
        self.ledger = ledger
        self.enabled = enabled
        start(0)
    }

    /// The prepared submissions of batch `b` (nil when preparing ahead is off), starting on batch `b + 1`.
    func take(_ b: Int) throws -> [PreparedSubmission]? {
        guard enabled else { return nil }
        start(b + 1)
        condition.lock()
        defer { condition.unlock() }
        while ready[b] == nil { condition.wait() }
        return try ready.removeValue(forKey: b)?.get()
    }

    private func start(_ b: Int) {
        guard enabled, b < batches.count, b > started else { return }
        started = b
        let thread = Thread { [self] in
            let result = Result { try records[batches[b]].map { try PatientIndexStore.prepare(IndexBenchmark.SyntheticPopulation.submission($0.1), ledger: ledger) } }
            condition.lock()
            ready[b] = result
            condition.broadcast()
            condition.unlock()
        }
        thread.start()
    }
}
