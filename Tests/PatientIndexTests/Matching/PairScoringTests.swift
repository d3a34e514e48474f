import Clinical
import Foundation
import Testing
@testable import PatientIndex

@Suite("Pair scoring, blockers and decisions")
struct PairScoringTests {
    let model = MatchModel.standard

    func compare(_ a: PatientRecord, _ b: PatientRecord, frequencies: (any NameFrequencies)? = nil) -> PairComparison {
        model.compare(matchFeatures(a), matchFeatures(b), frequencies: frequencies)
    }

    @Test("Comparison levels per field", arguments: [
        ("Smithson", "Smithsen", "family", "jw≥0.94"),
        ("Katherine", "Kathryn", "given", "nickname"),
        ("Robert", "Bob", "given", "nickname"),
        ("Jon", "John", "given", "exact"),
        ("Schmidt", "Schmitt", "family", "jw≥0.94"),
        ("Meyer", "Maier", "family", "phonetic"),
        ("Steve", "Stephen", "given", "nickname"),
        ("Stephen", "Steven", "given", "jw≥0.88"),
        ("Kristopher", "Christopher", "given", "jw≥0.88"),
        ("Katharina", "Catarina", "given", "jw≥0.88"),
        ("J", "John", "given", "initial"),
        ("Emma", "Olivia", "given", "different"),
    ])
    func nameLevels(a: String, b: String, field: String, level: String) {
        let (fa, fb) = field == "family"
            ? (matchPatient(family: a, given: ["Ann"]), matchPatient(family: b, given: ["Ann"]))
            : (matchPatient(family: "Lee", given: [a]), matchPatient(family: "Lee", given: [b == "John" && a == "Jon" ? "Jon" : b]))
        #expect(compare(fa, fb).level(of: field) == level)
    }

    @Test("Birth-date levels", arguments: [
        ("1980-03-07", "1980-03-07", "exact"), ("1980-03-07", "1980-07-03", "transposed"), ("1980-03-07", "1980-03-01", "oneDigit"),
        ("1936-05-12", "1963-05-12", "oneDigit"),
        ("1980-03-07", "1981-03-07", "oneDigit"), ("1979-03-07", "1980-03-07", "oneDigit"), ("1980-03-07", "1980-11-22", "yearOnly"),
        ("1980-03-07", "1980", "yearOnly"), ("1980-03-07", "1962-11-22", "different"), ("1980-03-07", "1900-01-01", "missing"),
    ])
    func birthLevels(a: String, b: String, level: String) {
        #expect(compare(matchPatient(family: "Lee", given: ["Al"], birth: a), matchPatient(family: "Lee", given: ["Al"], birth: b)).level(of: "birthDate") == level)
    }

    @Test("Weights are log2(m/u) and missing fields weigh nothing")
    func weights() {
        let c = compare(matchPatient(family: "Zywicki", given: ["Ann"], birth: "1980-03-07"), matchPatient(family: "Zywicki", given: ["Ann"], birth: "1980-03-07"))
        #expect(c.comparisons.first { $0.field == "family" }?.weight == 8.163)
        #expect(c.comparisons.first { $0.field == "birthDate" }?.weight == 13.873)
        #expect(c.comparisons.first { $0.field == "phone" } == FieldComparison(field: "phone", level: "missing", weight: 0))
        #expect(abs(c.total - c.comparisons.reduce(0) { $0 + $1.weight }) < 0.01)
    }

    @Test("Exact agreement on a common family name weighs less than on a rare one")
    func termFrequency() {
        let freq = FixedNameFrequencies(family: ["SMITH": 0.01, "ZYWICKI": 0.0001])
        let smith = compare(matchPatient(family: "Smith", given: ["Ann"]), matchPatient(family: "Smith", given: ["Ann"]), frequencies: freq)
        let rare = compare(matchPatient(family: "Zywicki", given: ["Ann"]), matchPatient(family: "Zywicki", given: ["Ann"]), frequencies: freq)
        // log2(0.86/0.003) = 8.163; adjusted by log2(0.003/0.01) = -1.737, and by +3 (the cap) for ZYWICKI.
        #expect(smith.comparisons.first { $0.field == "family" }?.weight == 6.426)
        #expect(rare.comparisons.first { $0.field == "family" }?.weight == 11.163)
    }

    @Test("True matches with a typo, a nickname or a married name clear the upper threshold")
    func trueMatches() {
        let typo = compare(
            matchPatient(family: "Smithson", given: ["Katherine"], birth: "1975-06-14", sex: .female, phone: "617-555-0134"),
            matchPatient(clinic: "NORTHSIDE", mrn: "N1", mrnAuthority: "NFP", family: "SMITHSEN", given: ["KATHERINE"], birth: "1975-06-14", sex: .female, phone: "(617) 555-0134"))
        let nickname = compare(
            matchPatient(family: "Jones", given: ["Robert"], birth: "1948-11-02", sex: .male, street: ["14 Oak Street"], zip: "02139"),
            matchPatient(family: "Jones", given: ["Bob"], birth: "1948-11-02", sex: .male, street: ["14 Oak St"], zip: "02139"))
        let married = compare(
            matchPatient(family: "Johnson", given: ["Mary", "Ellen"], birth: "1982-04-30", sex: .female, ssn: "536-22-8841"),
            matchPatient(family: "Smith", given: ["Mary"], maiden: "Johnson", birth: "1982-04-30", sex: .female, ssn: "536228841"))
        for c in [typo, nickname, married] {
            #expect(c.total >= model.upperThreshold)
            #expect(c.blockers == [])
            #expect(model.grade(for: c.total) == .certain)
        }
        #expect(married.level(of: "family") == "formerName")
        #expect(nickname.level(of: "given") == "nickname")
        #expect(nickname.level(of: "address") == "exact")
    }

    @Test("Twins at one address are blocked")
    func twins() {
        let emma = matchPatient(family: "Okafor", given: ["Emma"], birth: "2015-09-09", sex: .female, phone: "617-555-0199", street: ["8 Birch Ln"], zip: "02140", multipleBirth: true, birthOrder: 1)
        let olivia = matchPatient(family: "Okafor", given: ["Olivia"], birth: "2015-09-09", sex: .female, phone: "617-555-0199", street: ["8 Birch Lane"], zip: "02140", multipleBirth: true, birthOrder: 2)
        let c = compare(emma, olivia)
        #expect(c.blockers == ["twins (multiple birth, different given name)"])
        #expect(c.definitiveBlockers == c.blockers)
        // Without the flag the same pair is still not linked automatically.
        let unflagged = compare(
            matchPatient(family: "Okafor", given: ["Emma"], birth: "2015-09-09", sex: .female, phone: "617-555-0199"),
            matchPatient(family: "Okafor", given: ["Olivia"], birth: "2015-09-09", sex: .female, phone: "617-555-0199"))
        #expect(unflagged.blockers == ["possible twins (same birth date and family, different given name)"])
        #expect(model.decide([PatientCandidate(patientID: "E1", comparisons: [c])]).outcome == .newPatient)
        #expect(model.decide([PatientCandidate(patientID: "E1", comparisons: [unflagged])]).outcome == .review)
    }

    @Test("Father and son of one name at one address are blocked")
    func juniorSenior() {
        let c = compare(
            matchPatient(family: "Brennan", given: ["Michael", "J"], suffix: ["Jr"], birth: "1990-02-11", sex: .male, phone: "617-555-0120", street: ["40 Elm St"], zip: "02118"),
            matchPatient(family: "Brennan", given: ["Michael", "J"], suffix: ["Sr"], birth: "1962-07-30", sex: .male, phone: "617-555-0120", street: ["40 Elm Street"], zip: "02118"))
        #expect(c.blockers == ["generational suffix conflict (JR/SR)", "generational (same name, birth years 28 apart)"])
        #expect(model.decide([PatientCandidate(patientID: "E1", comparisons: [c])]).outcome == .newPatient)
        // No suffixes sent: the birth years alone keep them apart.
        let unsuffixed = compare(
            matchPatient(family: "Brennan", given: ["Michael"], birth: "1990-02-11", sex: .male, street: ["40 Elm St"], zip: "02118"),
            matchPatient(family: "Brennan", given: ["Michael"], birth: "1962-07-30", sex: .male, street: ["40 Elm St"], zip: "02118"))
        #expect(unsuffixed.blockers == ["generational (same name, birth years 28 apart)"])
    }

    @Test("Spouses at one address score below the lower threshold")
    func spouses() {
        let c = compare(
            matchPatient(family: "Miller", given: ["John"], birth: "1970-05-05", sex: .male, phone: "617-555-0111", email: "millers@example.com", street: ["5 Pine Rd"], zip: "02118"),
            matchPatient(family: "Miller", given: ["Susan"], birth: "1972-08-19", sex: .female, phone: "617-555-0111", email: "millers@example.com", street: ["5 Pine Road"], zip: "02118"))
        #expect(c.blockers == ["sex conflict", "different sex and given name", "different given name and birth date"])
        #expect(c.total < model.lowerThreshold)
        #expect(c.comparisons.last == FieldComparison(field: "household", level: "capped", weight: -20.083))
    }

    @Test("A second MRN from the same authority is a blocker that sends the pair to review")
    func differentMRN() {
        let c = compare(
            matchPatient(mrn: "111", family: "Alvarez", given: ["Rosa"], birth: "1959-12-01", sex: .female, ssn: "536-22-8841"),
            matchPatient(mrn: "222", family: "Alvarez", given: ["Rosa"], birth: "1959-12-01", sex: .female, ssn: "536-22-8841"))
        #expect(c.blockers == ["different identifier from MGH"])
        #expect(c.level(of: "identifier") == "different")
        let decision = model.decide([PatientCandidate(patientID: "E7", comparisons: [c])])
        #expect(decision.outcome == .review)
        #expect(decision.reasons == ["different identifier from MGH"])
        #expect(decision.reviewCandidates == ["E7"])
    }

    @Test("Different valid SSNs forbid the link")
    func differentSSN() {
        let c = compare(
            matchPatient(family: "Chen", given: ["Wei"], birth: "1988-01-01", ssn: "536-22-8841"),
            matchPatient(family: "Chen", given: ["Wei"], birth: "1988-01-01", ssn: "412-55-1234"))
        #expect(c.blockers == ["different SSN"])
        #expect(c.level(of: "ssn") == "different")
        let typo = compare(
            matchPatient(family: "Chen", given: ["Wei"], birth: "1988-01-01", ssn: "536-22-8841"),
            matchPatient(family: "Chen", given: ["Wei"], birth: "1988-01-01", ssn: "536-22-8814"))
        #expect(typo.level(of: "ssn") == "typo")
        #expect(typo.blockers == [])
    }

    @Test("A placeholder in a deciding field never links automatically")
    func placeholder() {
        let c = compare(
            matchPatient(family: "Smith", given: ["Baby", "Boy"], birth: "2024-01-05", sex: .male, phone: "617-555-0177", street: ["3 Ash St"], zip: "02118"),
            matchPatient(family: "Smith", given: ["Baby", "Boy"], birth: "2024-01-05", sex: .male, phone: "617-555-0177", street: ["3 Ash St"], zip: "02118"))
        #expect(c.placeholderInvolved)
        #expect(c.total >= model.upperThreshold)
        let decision = model.decide([PatientCandidate(patientID: "E2", comparisons: [c])])
        #expect(decision.outcome == .review)
        #expect(decision.reasons == ["placeholder value involved"])
    }

    @Test("The best patient must beat the runner-up by the margin")
    func margin() {
        let a = PairComparison(comparisons: [FieldComparison(field: "birthDate", level: "exact", weight: 13.873)], total: 30, blockers: [], placeholderInvolved: false)
        var b = a
        b.total = 28
        var weak = a
        weak.total = 5
        #expect(model.decide([PatientCandidate(patientID: "E1", comparisons: [a]), PatientCandidate(patientID: "E2", comparisons: [b])]).reasons == ["runner-up within margin"])
        let clear = model.decide([PatientCandidate(patientID: "E1", comparisons: [weak]), PatientCandidate(patientID: "E2", comparisons: [a])])
        #expect(clear.outcome == .link)
        #expect(clear.patientID == "E2")
        #expect(model.decide([]).outcome == .newPatient)
    }

    @Test("A hard conflict with any member of the patient forbids the link")
    func memberConflict() {
        let good = PairComparison(comparisons: [FieldComparison(field: "birthDate", level: "exact", weight: 13.873)], total: 30, blockers: [], placeholderInvolved: false)
        let conflicting = PairComparison(comparisons: [], total: 2, blockers: ["sex conflict"], placeholderInvolved: false)
        let decision = model.decide([PatientCandidate(patientID: "E1", comparisons: [good, conflicting])])
        #expect(decision.outcome == .review)
        #expect(decision.reasons == ["sex conflict"])
    }

    @Test("Match grades", arguments: [(30.0, MatchGrade.certain), (18.0, .certain), (15.0, .probable), (7.0, .possible), (-5.0, .certainlyNot)])
    func grades(total: Double, grade: MatchGrade) {
        #expect(model.grade(for: total) == grade)
    }

    @Test("The model survives a JSON round trip")
    func codable() throws {
        let decoded = try JSONDecoder().decode(MatchModel.self, from: JSONEncoder().encode(model))
        #expect(decoded == model)
    }
}

@Suite("EM training")
struct MatchTrainerTests {
    @Test("u comes from random pairs, m from EM over candidates, and the model gets a new version")
    func train() {
        let givens = ["ANN", "BOB", "CARL", "DINA", "ELLA", "FRED", "GUS", "HANA", "IVAN", "JUNE"]
        let families = ["ABBOTT", "BERG", "COLE", "DIAZ", "EGAN", "FOX", "GRAY", "HALE", "IRWIN", "JOYCE"]
        var people: [MatchFeatures] = []
        for i in 0..<20 {
            people.append(MatchFeatures(family: families[i % 10], given: givens[(i * 3) % 10], birthDate: MatchDate(year: 1950 + i, month: 1 + i % 12, day: 1 + i), sex: i % 2 == 0 ? .female : .male))
        }
        var candidates: [(MatchFeatures, MatchFeatures)] = people.map { ($0, $0) }
        for i in 0..<4 {
            var typo = people[i]
            let day = typo.birthDate?.day ?? 1
            typo.birthDate?.day = day + 10
            candidates.append((people[i], typo))
        }
        for i in 0..<20 { candidates.append((people[i], people[(i + 7) % 20])) }
        var randoms: [(MatchFeatures, MatchFeatures)] = []
        for i in 0..<20 { for j in 0..<5 { randoms.append((people[i], people[(i + j + 1) % 20])) } }
        let trained = MatchTrainer.train(candidatePairs: candidates, randomPairs: randoms, startingFrom: .standard, iterations: 5)
        #expect(trained.version == "fs-1+em5-c44-r100")
        #expect(trained.upperThreshold == MatchModel.standard.upperThreshold)
        let exactDOB = trained.parameters(field: "birthDate", level: "exact")
        let differentDOB = trained.parameters(field: "birthDate", level: "different")
        // Random pairs never share a birth date here: u keeps its starting value; all 100 differ.
        #expect(exactDOB?.u == MatchModel.standard.parameters(field: "birthDate", level: "exact")?.u)
        #expect(differentDOB.map { abs($0.u - 100.5 / 102.5) < 1e-9 } == true)
        // 20 exact and 4 one-digit birth dates among the matches; levels EM never sees among matches
        // (transposed, year only, different: m 0.06 together) keep their starting m.
        #expect(exactDOB.map { abs($0.m - 0.94 * 20 / 24) < 0.01 } == true)
        #expect(trained.parameters(field: "birthDate", level: "oneDigit").map { abs($0.m - 0.94 * 4 / 24) < 0.01 } == true)
        #expect(differentDOB?.m == 0.028)
        #expect((trained.parameters(field: "sex", level: "exact")?.weight ?? 0) > 0)
        #expect((trained.parameters(field: "family", level: "different")?.weight ?? 0) < 0)
        // Retraining replaces the EM suffix instead of stacking it.
        #expect(MatchTrainer.train(candidatePairs: [], randomPairs: [], startingFrom: trained, iterations: 2).version == "fs-1+em2-c0-r0")
    }
}
