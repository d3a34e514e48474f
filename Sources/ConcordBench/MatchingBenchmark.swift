import Clinical
import Foundation
import PatientIndex

/// `concord-bench match --febrl DIR --population DIR [--cap N] [--only names] [--models standard,trained]
/// [--upper X --lower Y --margin Z]` (`MATCH_EXPLAIN=1` prints review reasons and trained weights,
/// `MATCH_EXPLAIN=2` every missed, wrong or reviewed decision with its comparisons, `MATCH_EXPLAIN=3`
/// also every true pair left in two patients, with its field levels and whether blocking let it meet).
///
/// Accuracy of the matching engine, ingesting records ONE AT A TIME into an in-memory index (blocking
/// key → records; clusters as enterprise patients; the decision per enterprise patient of
/// ``MatchModel/decide(_:)``), on FEBRL1–3 (dedupe), FEBRL4 (linkage) and the generated population
/// (`bench/gen_population.py`). Pairwise precision/recall/F1 against all true pairs (pairs lost by
/// blocking count as misses; review decisions count as not linked), false merges (false pairs, and
/// records auto-linked to a patient holding none of their true matches), review rate, blocking recall
/// and records/s. The inputs are the CSVs that `bench/febrl_export.py` and `bench/gen_population.py`
/// write, the same the Splink/recordlinkage peers read.
enum MatchingBenchmark {
    struct Dataset {
        var name: String
        var ids: [String]
        var records: [PatientRecord]
        var truth: [(Int, Int)]
    }

    struct Outcome {
        var clusters: [[Int]]
        var links = 0
        var reviews = 0
        var wrongLinks = 0
        var comparisons = 0
        var comparedTruePairs = 0
        /// Why records went to review, and how many of them had a true match among the candidates.
        var reviewReasons: [String: Int] = [:]
        var reviewsWithTrueMatch = 0
        /// Records alone in a patient that were decided again, and moved, when a candidate patient of theirs gained a record.
        var rematched = 0
    }

    static func run(_ args: [String]) throws {
        Bench.warnIfDebug()
        var febrlDir: String?
        var populationDir: String?
        var cap = 100
        var only: Set<String>?
        var models = ["standard", "trained"]
        var upper: Double?
        var lower: Double?
        var margin: Double?
        var i = 0
        while i < args.count {
            let value = i + 1 < args.count ? args[i + 1] : ""
            switch args[i] {
            case "--febrl": febrlDir = value
            case "--population": populationDir = value
            case "--cap": cap = Int(value) ?? cap
            case "--only": only = Set(value.split(separator: ",").map(String.init))
            case "--models": models = value.split(separator: ",").map(String.init)
            case "--upper": upper = Double(value)
            case "--lower": lower = Double(value)
            case "--margin": margin = Double(value)
            default: throw BenchError("unknown argument \(args[i])")
            }
            i += 2
        }
        var datasets: [() throws -> Dataset] = []
        if let febrlDir {
            for n in 1...4 where only?.contains("febrl\(n)") ?? true {
                datasets.append { try loadFEBRL(dir: febrlDir, name: "febrl\(n)") }
            }
        }
        if let populationDir, only?.contains("population") ?? true {
            datasets.append { try loadPopulation(dir: populationDir) }
        }
        for load in datasets {
            let data = try load()
            let features = data.records.map(MatchNormalizer.features(of:))
            let truthSet = Set(data.truth.map { pairKey($0.0, $0.1) })
            // Blocking recall: true pairs whose records share at least one key.
            let keySets = features.map { Set(BlockingKeys.keys(for: $0)) }
            let sharing = data.truth.filter { !keySets[$0.0].isDisjoint(with: keySets[$0.1]) }.count
            let keyRecall = data.truth.isEmpty ? 1 : Double(sharing) / Double(data.truth.count)
            for modelName in models {
                var model = MatchModel.standard
                var trainSeconds = 0.0
                if modelName == "trained" {
                    let start = Bench.now()
                    model = train(features, cap: cap)
                    trainSeconds = Bench.now() - start
                }
                if explainLevel >= 1, modelName == "trained" {
                    for field in model.fields {
                        print("  model \(field.field): " + field.levels.map { String(format: "%@ m=%.4f u=%.6f w=%.1f", $0.level as NSString, $0.m, $0.u, $0.weight) }.joined(separator: " | "))
                    }
                }
                if let upper { model.upperThreshold = upper }
                if let lower { model.lowerThreshold = lower }
                if let margin { model.margin = margin }
                let (seconds, outcome) = Bench.measure(repetitions: 1) {
                    simulate(data.records, ids: data.ids, model: model, cap: cap, truth: truthSet)
                }
                // The same run with a steward who resolves every review item correctly: the recall the
                // index reaches once its review queue is worked (false pairs can only come from auto-links).
                let reviewed = simulate(data.records, ids: data.ids, model: model, cap: cap, truth: truthSet, stewardResolvesReviews: true)
                report(data, modelName: modelName, model: model, outcome: outcome, reviewed: reviewed, truth: truthSet, seconds: seconds,
                       trainSeconds: trainSeconds, keyRecall: keyRecall)
                if explainLevel >= 3 { printMissedPairs(data, features: features, keySets: keySets, model: model, clusters: outcome.clusters) }
            }
        }
    }

    // MARK: Simulation

    struct Frequencies: NameFrequencies {
        var family: [String: Int]
        var given: [String: Int]
        var total: Int
        func familyFrequency(_ name: String) -> Double? {
            guard total >= 200, let c = family[name] else { return nil }
            return Double(c) / Double(total)
        }
        func givenFrequency(_ name: String) -> Double? {
            guard total >= 200, let c = given[name] else { return nil }
            return Double(c) / Double(total)
        }
    }

    /// Ingests the records one at a time, as the index does.
    static let explainLevel = Int(ProcessInfo.processInfo.environment["MATCH_EXPLAIN"] ?? "0") ?? 0

    static func explain(_ i: Int, decision: MatchDecision, candidates: [PatientCandidate], clusters: [[Int]], truth: Set<Int64>, ids: [String], features: [MatchFeatures]) {
        let trueCluster = candidates.first { c in Int(c.patientID).map { clusters[$0].contains { truth.contains(pairKey(i, $0)) } } ?? false }
        let chosen = decision.patientID.flatMap { id in candidates.first { $0.patientID == id } }
        guard trueCluster != nil || decision.outcome == .link || decision.outcome == .review else { return }
        func show(_ c: PairComparison?) -> String {
            guard let c else { return "-" }
            return String(format: "%.1f ", c.total) + c.comparisons.filter { $0.level != "missing" }.map { "\($0.field)=\($0.level)(\(String(format: "%.1f", $0.weight)))" }.joined(separator: " ") + " " + c.blockers.joined(separator: ";")
        }
        let kind = trueCluster == nil ? "FALSE-\(decision.outcome.rawValue)" : decision.outcome == .link && chosen?.patientID == trueCluster?.patientID ? "ok" : "MISSED-\(decision.outcome.rawValue)"
        print("EXPLAIN \(ids[i]) \(kind) reasons=\(decision.reasons)\n   chosen: \(show(chosen?.best))\n   true:   \(show(trueCluster?.best))")
    }

    static func simulate(_ records: [PatientRecord], ids: [String], model: MatchModel, cap: Int, truth: Set<Int64>, stewardResolvesReviews: Bool = false) -> Outcome {
        var keyIndex: [String: [Int]] = [:]
        var features: [MatchFeatures] = []
        features.reserveCapacity(records.count)
        var clusterOf: [Int] = []
        var outcome = Outcome(clusters: [])
        var freq = Frequencies(family: [:], given: [:], total: 0)
        var reviewedAgainst: [Int: Set<Int>] = [:]
        // A re-match must clear the upper threshold by the runner-up margin, as in the store.
        let rematchBar = model.margin
        for (i, record) in records.enumerated() {
            var keysFiled = false
            let f = MatchNormalizer.features(of: record)
            features.append(f)
            let keys = BlockingKeys.keys(for: f)
            var candidateClusters: [Int: Bool] = [:]
            for key in keys {
                let limit = key.hasPrefix(BlockingKeys.nameOnlyPrefix) ? min(cap, IndexConfiguration().maxNameOnlyBlockSize) : cap
                guard let list = keyIndex[key], list.count <= limit else { continue }
                for j in list where candidateClusters[clusterOf[j]] == nil {
                    candidateClusters[clusterOf[j]] = true
                }
            }
            var candidates: [PatientCandidate] = []
            for cluster in candidateClusters.keys.sorted() {
                let members = outcome.clusters[cluster]
                outcome.comparisons += members.count
                outcome.comparedTruePairs += members.filter { truth.contains(pairKey(i, $0)) }.count
                candidates.append(PatientCandidate(
                    patientID: String(cluster),
                    comparisons: members.map { model.compare(f, features[$0], frequencies: freq) }))
            }
            var decision = model.scaled(toPopulation: i).decide(candidates)
            if stewardResolvesReviews, decision.outcome == .review {
                // The steward links to the candidate that really is this person, if any is under review.
                if let id = decision.reviewCandidates.first(where: { id in Int(id).map { outcome.clusters[$0].contains { truth.contains(pairKey(i, $0)) } } ?? false }) {
                    decision.outcome = .link
                    decision.patientID = id
                } else {
                    decision.outcome = .newPatient
                }
            }
            if explainLevel >= 2, !stewardResolvesReviews, decision.outcome != .link || !(decision.patientID.flatMap(Int.init).map { outcome.clusters[$0].contains { truth.contains(pairKey(i, $0)) } } ?? false) {
                explain(i, decision: decision, candidates: candidates, clusters: outcome.clusters, truth: truth, ids: ids, features: features)
            }
            if decision.outcome == .link, let id = decision.patientID, let cluster = Int(id) {
                outcome.links += 1
                if !outcome.clusters[cluster].contains(where: { truth.contains(pairKey(i, $0)) }) { outcome.wrongLinks += 1 }
                outcome.clusters[cluster].append(i)
                clusterOf.append(cluster)
                keyIndex.merge(keys.map { ($0, [i]) }, uniquingKeysWith: +)
                keysFiled = true
                // As the store does (`PatientIndexStore.rematchAlone`): a record alone in another candidate
                // patient, left there by the matcher, with no open review item against a third patient and
                // matched by this record above the upper threshold plus the margin, is decided again now that
                // this patient holds one more record; it moves only to this patient, on a link that clears
                // the same bar.
                let scaled = model.scaled(toPopulation: i + 1)
                for candidate in candidates where candidate.patientID != id && !stewardResolvesReviews {
                    guard let k = Int(candidate.patientID), outcome.clusters[k].count == 1, let pair = candidate.best,
                          pair.definitiveBlockers.isEmpty, pair.total >= scaled.upperThreshold + rematchBar else { continue }
                    let s = outcome.clusters[k][0]
                    guard reviewedAgainst[s, default: []].allSatisfy({ $0 == cluster }) else { continue }
                    var others = Set<Int>()
                    for key in BlockingKeys.keys(for: features[s]) {
                        let limit = key.hasPrefix(BlockingKeys.nameOnlyPrefix) ? min(cap, IndexConfiguration().maxNameOnlyBlockSize) : cap
                        guard let list = keyIndex[key], list.count - 1 <= limit else { continue }
                        for j in list where j != s { others.insert(clusterOf[j]) }
                    }
                    others.remove(k)
                    let again = others.sorted().map { c in
                        PatientCandidate(patientID: String(c), comparisons: outcome.clusters[c].map { model.compare(features[s], features[$0], frequencies: freq) })
                    }
                    let redecided = scaled.decide(again)
                    guard redecided.outcome == .link, redecided.patientID == id, (redecided.best?.total ?? 0) >= scaled.upperThreshold + rematchBar else { continue }
                    if !outcome.clusters[cluster].contains(where: { truth.contains(pairKey(s, $0)) }) { outcome.wrongLinks += 1 }
                    outcome.rematched += 1
                    outcome.clusters[k] = []
                    outcome.clusters[cluster].append(s)
                    clusterOf[s] = cluster
                    reviewedAgainst[s] = nil
                }
            } else {
                if decision.outcome == .review {
                    reviewedAgainst[i] = Set(decision.reviewCandidates.prefix(IndexConfiguration().maxReviewsPerRecord).compactMap { Int($0) })
                    outcome.reviews += 1
                    for reason in decision.reasons { outcome.reviewReasons[reason, default: 0] += 1 }
                    if let id = decision.patientID, let cluster = Int(id), outcome.clusters[cluster].contains(where: { truth.contains(pairKey(i, $0)) }) {
                        outcome.reviewsWithTrueMatch += 1
                    }
                }
                clusterOf.append(outcome.clusters.count)
                outcome.clusters.append([i])
            }
            if !keysFiled { for key in keys { keyIndex[key, default: []].append(i) } }
            freq.total += 1
            if let name = f.family { freq.family[name, default: 0] += 1 }
            if let name = f.given { freq.given[name, default: 0] += 1 }
        }
        return outcome
    }

    /// EM training on the data set itself, without its truth: candidate pairs from blocking, random pairs for u.
    static func train(_ features: [MatchFeatures], cap: Int) -> MatchModel {
        var keyIndex: [String: [Int]] = [:]
        // Pairs that share a person-level key (identifier, birth date with a name, names with birth year):
        // household keys alone (phone, address, e-mail) would teach EM to find households, not people.
        let personKeys = ["id:", "ssn:", "nid:", "df:", "dg:", "gfy:"]
        for (i, f) in features.enumerated() {
            for k in BlockingKeys.keys(for: f) where personKeys.contains(where: { k.hasPrefix($0) }) { keyIndex[k, default: []].append(i) }
        }
        var seen = Set<Int64>()
        var candidates: [(MatchFeatures, MatchFeatures)] = []
        for list in keyIndex.values where list.count > 1 && list.count <= cap {
            for x in 0..<list.count {
                for y in (x + 1)..<list.count where seen.insert(pairKey(list[x], list[y])).inserted {
                    candidates.append((features[list[x]], features[list[y]]))
                }
            }
        }
        var rng = SplitMix(seed: 42)
        var randoms: [(MatchFeatures, MatchFeatures)] = []
        let n = features.count
        for _ in 0..<min(200_000, n * 20) where n > 1 {
            let a = Int(rng.next() % UInt64(n)), b = Int(rng.next() % UInt64(n))
            if a != b { randoms.append((features[a], features[b])) }
        }
        return MatchTrainer.train(candidatePairs: candidates, randomPairs: randoms, startingFrom: .standard, iterations: 10)
    }

    // MARK: Report

    /// `MATCH_EXPLAIN=3`: every true pair the run left in two patients, with its field levels compared
    /// pair-wise (no term frequencies), its blockers and whether the two records share a blocking key
    /// (`noblock`: never compared unless through other members), for finding what the model misses.
    static func printMissedPairs(_ data: Dataset, features: [MatchFeatures], keySets: [Set<String>], model: MatchModel, clusters: [[Int]]) {
        var clusterOf = [Int](repeating: -1, count: features.count)
        for (c, members) in clusters.enumerated() { for m in members { clusterOf[m] = c } }
        for (a, b) in data.truth where clusterOf[a] != clusterOf[b] {
            let c = model.compare(features[a], features[b], frequencies: nil)
            let levels = c.comparisons.filter { $0.level != FieldComparators.missing }.map { "\($0.field)=\($0.level)" }.joined(separator: " ")
            let blocked = keySets[a].isDisjoint(with: keySets[b]) ? "noblock" : "blocked"
            print("MISSED \(data.name) \(data.ids[a]) \(data.ids[b]) \(String(format: "%.1f", c.total)) \(blocked) [\(levels)] \(c.blockers.joined(separator: "; "))")
        }
    }

    /// Pairwise true positives and predicted pairs of a clustering.
    static func pairCounts(_ clusters: [[Int]], truth: Set<Int64>) -> (tp: Int, predicted: Int) {
        var predicted = 0
        var tp = 0
        for members in clusters where members.count > 1 {
            for x in 0..<members.count {
                for y in (x + 1)..<members.count {
                    predicted += 1
                    if truth.contains(pairKey(members[x], members[y])) { tp += 1 }
                }
            }
        }
        return (tp, predicted)
    }

    static func prf(_ tp: Int, _ predicted: Int, _ truth: Int) -> (p: Double, r: Double, f1: Double) {
        let p = predicted == 0 ? 0 : Double(tp) / Double(predicted)
        let r = truth == 0 ? 0 : Double(tp) / Double(truth)
        return (p, r, p + r == 0 ? 0 : 2 * p * r / (p + r))
    }

    static func report(_ data: Dataset, modelName: String, model: MatchModel, outcome: Outcome, reviewed: Outcome, truth: Set<Int64>, seconds: Double, trainSeconds: Double, keyRecall: Double) {
        let (tp, predicted) = pairCounts(outcome.clusters, truth: truth)
        let fp = predicted - tp, fn = truth.count - tp
        let (p, r, f1) = prf(tp, predicted, truth.count)
        let (rtp, rpredicted) = pairCounts(reviewed.clusters, truth: truth)
        let withReview = prf(rtp, rpredicted, truth.count)
        let n = Double(data.records.count)
        let label = "\(data.name)/\(modelName)"
        let extra = ["dataset": data.name, "model": modelName]
        Bench.report("match", "\(label) precision", p, unit: "ratio", extra: extra)
        Bench.report("match", "\(label) recall", r, unit: "ratio", extra: extra)
        Bench.report("match", "\(label) f1", f1, unit: "ratio", extra: extra)
        Bench.report("match", "\(label) false pairs", Double(fp), unit: "pairs", extra: extra)
        Bench.report("match", "\(label) wrong links per record", Double(outcome.wrongLinks) / n, unit: "ratio", extra: extra)
        Bench.report("match", "\(label) review rate", Double(outcome.reviews) / n, unit: "ratio", extra: extra)
        Bench.report("match", "\(label) recall after review", withReview.r, unit: "ratio", extra: extra)
        Bench.report("match", "\(label) blocking recall", keyRecall, unit: "ratio", extra: extra)
        Bench.report("match", "\(label) throughput", n / seconds, unit: "records/s", extra: extra)
        Bench.report("match", "\(label) rematched", Double(outcome.rematched), unit: "records", extra: extra)
        print(String(format: "SUMMARY %-22@ records=%d truePairs=%d  P=%.4f R=%.4f F1=%.4f  (tp=%d fp=%d fn=%d)  wrongLinks=%d (%.4f/rec)  reviews=%d (%.2f%%)  blockingRecall=%.4f comparedRecall=%.4f  %.0f rec/s  comparisons=%d%@",
                     label as NSString, data.records.count, truth.count, p, r, f1, tp, fp, fn, outcome.wrongLinks,
                     Double(outcome.wrongLinks) / n, outcome.reviews, 100 * Double(outcome.reviews) / n, keyRecall,
                     truth.isEmpty ? 1 : min(1, Double(outcome.comparedTruePairs) / Double(truth.count)), n / seconds, outcome.comparisons,
                     (modelName == "trained" ? String(format: "  train=%.2fs", trainSeconds) : "") as NSString)
              + String(format: "  rematched=%d  afterReview: P=%.4f R=%.4f F1=%.4f fp=%d", outcome.rematched, withReview.p, withReview.r, withReview.f1, rpredicted - rtp))
        if ProcessInfo.processInfo.environment["MATCH_EXPLAIN"] != nil {
            print("  reviews with a true match as best candidate: \(outcome.reviewsWithTrueMatch)")
            for (reason, count) in outcome.reviewReasons.sorted(by: { $0.value > $1.value }) { print("  review reason: \(count)  \(reason)") }
        }

    }

    // MARK: Loading

    struct BenchError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func pairKey(_ a: Int, _ b: Int) -> Int64 {
        let (x, y) = a < b ? (a, b) : (b, a)
        return Int64(x) << 32 | Int64(y)
    }

    static func readCSV(_ path: String) throws -> [[String: String]] {
        guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("cannot read \(path)") }
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var i = 0
        let bytes = [UInt8](data)
        while i < bytes.count {
            let c = bytes[i]
            if quoted {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") { field.append(c); i += 1 } else { quoted = false }
                } else { field.append(c) }
            } else if c == UInt8(ascii: "\"") {
                quoted = true
            } else if c == UInt8(ascii: ",") {
                row.append(String(decoding: field, as: UTF8.self)); field = []
            } else if c == UInt8(ascii: "\n") {
                row.append(String(decoding: field, as: UTF8.self)); field = []
                rows.append(row); row = []
            } else if c != UInt8(ascii: "\r") {
                field.append(c)
            }
            i += 1
        }
        if !field.isEmpty || !row.isEmpty { row.append(String(decoding: field, as: UTF8.self)); rows.append(row) }
        guard let header = rows.first else { return [] }
        return rows.dropFirst().map { values in
            var dict: [String: String] = [:]
            for (k, name) in header.enumerated() where k < values.count { dict[name] = values[k] }
            return dict
        }
    }

    static func truthPairs(_ path: String, index: [String: Int]) throws -> [(Int, Int)] {
        try readCSV(path).compactMap { row in
            guard let a = row["rec_id_a"].flatMap({ index[$0] }), let b = row["rec_id_b"].flatMap({ index[$0] }) else { return nil }
            return (a, b)
        }
    }

    static func loadFEBRL(dir: String, name: String) throws -> Dataset {
        let rows = try readCSV("\(dir)/\(name).csv")
        var ids: [String] = []
        var records: [PatientRecord] = []
        for row in rows {
            let id = row["rec_id"] ?? ""
            let source = row["source"] ?? name
            ids.append(id)
            var identifiers: [PatientIdentifier] = []
            if let soc = row["soc_sec_id"]?.nilIfBlank {
                identifiers.append(PatientIdentifier(value: soc, authority: AssigningAuthority(namespace: "FEBRL-SOCSEC"), type: "SB"))
            }
            // FEBRL4's two files are two clinics: each record carries its file's record key.
            if name == "febrl4" { identifiers.append(PatientIdentifier(value: id, authority: AssigningAuthority(namespace: source), type: "MR")) }
            let street = [row["street_number"], row["address_1"]].compactMap { $0?.nilIfBlank }.joined(separator: " ")
            let record = PatientRecord(
                source: SourceSystem(facility: source), identifiers: identifiers,
                names: [PersonName(family: row["surname"], given: [row["given_name"] ?? ""])],
                birthDate: row["date_of_birth"].flatMap { ClinicalTime.parseHL7($0) },
                addresses: [PostalAddress(lines: [street, row["address_2"] ?? ""], city: row["suburb"], state: row["state"], postalCode: row["postcode"])],
                birthDateAsSent: row["date_of_birth"], provenance: provenance(source, id))
            records.append(record)
        }
        let index = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        return Dataset(name: name, ids: ids, records: records, truth: try truthPairs("\(dir)/\(name)_truth.csv", index: index))
    }

    static func loadPopulation(dir: String) throws -> Dataset {
        let rows = try readCSV("\(dir)/population.csv")
        var ids: [String] = []
        var records: [PatientRecord] = []
        for row in rows {
            let id = row["rec_id"] ?? ""
            ids.append(id)
            let source = row["source"] ?? ""
            var names = [PersonName(family: row["family"], given: [row["given"] ?? "", row["middle"] ?? ""], suffix: [row["suffix"] ?? ""])]
            if let maiden = row["maiden"]?.nilIfBlank { names.append(PersonName(use: .maiden, family: maiden)) }
            let sex: AdministrativeSex? = row["sex"] == "M" ? .male : row["sex"] == "F" ? .female : nil
            var telecoms: [Telecom] = []
            if let phone = row["phone"]?.nilIfBlank { telecoms.append(Telecom(system: .phone, value: phone, use: "home")) }
            if let email = row["email"]?.nilIfBlank { telecoms.append(Telecom(system: .email, value: email)) }
            let record = PatientRecord(
                source: SourceSystem(facility: source),
                identifiers: [PatientIdentifier(value: row["mrn"] ?? "", authority: AssigningAuthority(namespace: row["mrn_authority"]), type: "MR")],
                names: names, birthDate: row["dob"].flatMap { ClinicalTime.parseISO8601($0) }, sex: sex,
                addresses: [PostalAddress(use: "home", lines: [row["street"] ?? "", row["unit"] ?? ""], city: row["city"], state: row["state"], postalCode: row["zip"])],
                telecoms: telecoms, ssn: row["ssn"]?.nilIfBlank, multipleBirth: row["multiple_birth"] == "Y" ? true : nil,
                birthOrder: row["birth_order"].flatMap { Int($0) }, provenance: provenance(source, id))
            records.append(record)
        }
        let index = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        return Dataset(name: "population", ids: ids, records: records, truth: try truthPairs("\(dir)/population_truth.csv", index: index))
    }

    static func provenance(_ source: String, _ id: String) -> Provenance {
        Provenance(source: SourceSystem(facility: source), format: .hl7v2, messageID: id, position: "PID")
    }

    typealias SplitMix = SplitMix64
}
