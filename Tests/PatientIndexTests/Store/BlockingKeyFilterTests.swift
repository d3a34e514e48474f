import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

/// A new record's candidate queries skip the keys the filter of filed keys rules out
/// (`PatientIndexStore.keysPerhapsFiled`). Skipping must never lose a candidate: two indexes take the same
/// records, one with the filter and one without, and must decide every record alike — including after
/// another connection files keys behind the filter's back.
@Suite struct BlockingKeyFilterTests {
    static let families = ["Garcia", "Nguyen", "Okafor", "Smith", "Kowalski", "Haddad", "Johnson", "O'Brien", "Lindqvist", "Patel", "Chen", "Moreau"]
    static let givens = ["Maria", "John", "Aisha", "Robert", "Mei", "Thomas", "Fatima", "William", "Olga", "James", "Priya", "Luis"]
    static let nicknames = ["William": "Bill", "Robert": "Bob", "Thomas": "Tom", "James": "Jim"]
    static let clinics: [(SourceSystem, AssigningAuthority)] = [
        (Clinics.riverside, Clinics.riversideMRN), (Clinics.lakeview, Clinics.lakeviewMRN), (Clinics.northLab, Clinics.northLabMRN),
    ]

    /// Records of `persons` people, each at one to three clinics, spelled as clerks spell them: a nickname,
    /// a swapped pair of letters, day and month exchanged, a missing phone; people share family names,
    /// birth years and streets, so blocks overlap.
    static func records(persons: Int, dice: inout Dice) -> [(PatientRecord, SourceSystem)] {
        var out: [(PatientRecord, SourceSystem)] = []
        for person in 0..<persons {
            let family = families[dice.next(families.count)], given = givens[dice.next(givens.count)]
            let born = (1940 + dice.next(60), 1 + dice.next(12), 1 + dice.next(28))
            let phone = "(217) 555-\(1000 + dice.next(9000))"
            let street = "\(1 + dice.next(40)) \(["Maple Ave", "Oak St", "Elm Rd"][dice.next(3)])"
            let sex: AdministrativeSex = dice.next(2) == 0 ? .female : .male
            for visit in 0..<(1 + dice.next(3)) {
                let (source, authority) = clinics[(person + visit) % clinics.count]
                var spelled = given
                switch dice.next(6) {
                case 0: spelled = nicknames[given] ?? given
                case 1 where given.count > 3:
                    var letters = Array(given)
                    letters.swapAt(1, 2)
                    spelled = String(letters)
                default: break
                }
                let date = dice.next(8) == 0 && born.2 <= 12 ? (born.0, born.2, born.1) : born
                out.append((Patients.record(
                    at: source, authority: authority, mrn: "P\(person)-\(visit)", family: family, given: [spelled], born: date, sex: sex,
                    phone: dice.next(4) == 0 ? nil : phone, street: street), source))
            }
        }
        for i in stride(from: out.count - 1, to: 0, by: -1) { out.swapAt(i, dice.next(i + 1)) }
        return out
    }

    /// Every record's enterprise patient and every review item, as decided.
    static func decisions(_ db: Connection) throws -> [String] {
        try db.rows("SELECT record_id, enterprise_id, grade FROM links ORDER BY record_id").map { "\($0[0])|\($0[1])|\($0[2])" }
            + ["--"] + db.rows("SELECT record_id, candidate_enterprise_id, status FROM review_queue ORDER BY id").map { "\($0[0])|\($0[1])|\($0[2])" }
    }

    static func blockQueries(_ db: Connection) -> Int {
        db.statementProfile().filter { $0.sql.contains("FROM blocking_keys b JOIN links") }.reduce(0) { $0 + $1.runs }
    }

    @Test(arguments: [11, 12, 13])
    func skippingRuledOutKeysDecidesEveryRecordAlike(seed: Int) throws {
        var filterOn = IndexConfiguration()
        filterOn.blockingKeyFilterAfter = 0
        var filterOff = IndexConfiguration()
        filterOff.blockingKeyFilterAfter = nil
        let filtered = try TemporaryIndex(configuration: filterOn)
        let plain = try TemporaryIndex(configuration: filterOff)
        var dice = Dice(state: UInt64(seed))
        let records = Self.records(persons: 160, dice: &dice)
        let outside = records.count / 2
        for (n, (record, source)) in records.enumerated() {
            if n == outside {
                // Another connection (a second `concord ingest`) files the records it takes, unseen by the filter.
                for index in [filtered, plain] {
                    let other = try PatientIndexStore(path: index.path, configuration: filterOff)
                    for (k, (record, source)) in records[n..<(n + 25)].enumerated() {
                        _ = try other.ingest(Patients.submission([record], from: source, messageID: "OUT\(k)"), messageID: nil)
                    }
                }
                continue
            }
            if n > outside && n < outside + 25 { continue }
            for index in [filtered, plain] {
                _ = try index.store.ingest([record], from: source, messageID: "MSG\(n)")
            }
        }
        #expect(try Self.decisions(filtered.store.db) == Self.decisions(plain.store.db))
        // The filter was built, dropped after the other connection's commit and built again; and it
        // skipped queries, so the comparison above tested something.
        #expect(filtered.store.keyFilterBuilds == 2)
        #expect(plain.store.keyFilterBuilds == 0)
        #expect(Self.blockQueries(filtered.store.db) < Self.blockQueries(plain.store.db) / 2)
        // Some records were linked across clinics, so candidates mattered.
        let linked = try plain.store.db.scalar("SELECT count(*) - count(DISTINCT enterprise_id) FROM links")
        #expect(linked != .integer(0))
    }

    @Test func theFilterNeverRulesOutAKeyItWasGivenAndRulesOutMostOthers() {
        var filter = BlockingKeyFilter(capacity: 20_000)
        let filed = (0..<20_000).map { "dob-fam:19\($0 % 100)-\($0)|SMTH" }
        for key in filed { filter.insert(key) }
        #expect(filed.allSatisfy(filter.mightContain))
        let others = (0..<20_000).map { "ph:217555\($0)" }
        let perhaps = others.filter(filter.mightContain).count
        #expect(perhaps < 200)
        #expect(filter.count == 20_000)
    }

    /// A short load (fewer new records than the threshold) never scans the keys.
    @Test func aShortLoadNeverBuildsTheFilter() throws {
        let index = try TemporaryIndex()
        var dice = Dice(state: 5)
        for (n, (record, source)) in Self.records(persons: 10, dice: &dice).enumerated() {
            _ = try index.store.ingest([record], from: source, messageID: "MSG\(n)")
        }
        #expect(index.store.keyFilterBuilds == 0)
    }
}
