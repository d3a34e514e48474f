import Clinical
import Foundation
import Testing
@testable import PatientIndex

@Suite("Match features")
struct MatchNormalizerTests {
    @Test("Names are folded, split into parts, with suffix, middle initial and nickname root")
    func names() {
        let f = matchFeatures(matchPatient(family: "García-López", given: ["María", "José"], suffix: ["Jr."], maiden: "Ruiz"))
        #expect(f.family == "GARCIALOPEZ")
        #expect(f.familyParts == ["GARCIA", "LOPEZ"])
        #expect(f.formerFamilies == ["RUIZ"])
        #expect(f.given == "MARIA")
        #expect(f.givenNames == ["MARIA", "JOSE"])
        #expect(f.middleInitial == "J")
        #expect(f.suffix == "JR")
        #expect(f.familyNYSIIS == "GARCALAP")
        #expect(f.familySoundex == "G624")
    }

    @Test("National ids lose their spaces; an SSN typed with spaces is read; an address in a phone field is an e-mail")
    func identifiersAndTelecomsAsClerksTypeThem() {
        var record = matchPatient(family: "Nguyen", given: ["Linh"], phone: "(617) 555-0142")
        record.identifiers += [
            PatientIdentifier(value: " s 530 2291 77 ", authority: AssigningAuthority(namespace: "MA-RMV"), type: "DL"),
            PatientIdentifier(value: "S53022917 7", authority: AssigningAuthority(namespace: "MA-RMV"), type: "DL"),
            PatientIdentifier(value: "401 72 9915", authority: AssigningAuthority(namespace: "SSA"), type: "SS"),
        ]
        record.telecoms.append(Telecom(system: .phone, value: "Linh.Nguyen@Example.org", use: "home"))
        let f = matchFeatures(record)
        #expect(f.nationalIDs.values.flatMap { $0 } == ["S530229177"])
        #expect(f.ssn == "401729915")
        #expect(f.emails == ["linh.nguyen@example.org"])
        #expect(f.phones == ["6175550142"])
    }

    @Test("A suffix typed into the family name is split off; particles are not parts")
    func suffixInFamily() {
        let f = matchFeatures(matchPatient(family: "Van der Berg III", given: ["Bob"]))
        #expect(f.family == "VANDERBERG")
        #expect(f.familyParts == ["BERG"])
        #expect(f.suffix == "III")
        #expect(f.givenRoot == "ROBERT")
        #expect(f.givenRoots == ["ROBERT"])
    }

    @Test("Placeholder names, birth dates and SSNs become missing and are named", arguments: [
        (matchPatient(family: "Smith", given: ["Baby", "Boy"]), ["given"]),
        (matchPatient(family: "Doe", given: ["John"]), ["family", "given"]),
        (matchPatient(family: "Unknown", given: ["Trauma"]), ["family", "given"]),
        (matchPatient(family: "Smith", given: ["Ann"], birth: "1900-01-01"), ["birthDate"]),
        (matchPatient(family: "Smith", given: ["Ann"], ssn: "123-45-6789"), ["ssn"]),
        (matchPatient(family: "Smith", given: ["Ann"], ssn: "999999999", phone: "000-000-0000", email: "none@none.com"), ["ssn", "phone", "email"]),
        (matchPatient(family: "Smith", given: ["Ann"], birth: "1968-05-02", ssn: "536-22-8841"), []),
    ])
    func placeholders(record: PatientRecord, expected: [String]) {
        let f = matchFeatures(record)
        #expect(f.placeholderFields == expected)
        if expected.contains("given") { #expect(f.given == nil) }
        if expected.contains("birthDate") { #expect(f.birthDate == nil) }
        if expected.contains("ssn") { #expect(f.ssn == nil) }
    }

    @Test("Contacts, identifiers and demographics are normalized")
    func contacts() {
        var record = matchPatient(
            mrn: "000123", family: "Smith", given: ["Ann"], birth: "1968-05-02", sex: .unknown, phone: "(617) 555-0147",
            email: "Ann.Smith@Example.com", street: ["12 Elm Street", "Apt 3"], city: "Boston", zip: "02118-1234",
            multipleBirth: nil, birthOrder: 2)
        record.identifiers.append(PatientIdentifier(value: "536-22-8841", authority: AssigningAuthority(namespace: "SSA"), type: "SS"))
        record.identifiers.append(PatientIdentifier(value: "S123 4567", authority: AssigningAuthority(namespace: "MA-RMV"), type: "DL"))
        let f = matchFeatures(record)
        #expect(f.identifiers == ["MGH": ["000123"]])
        #expect(f.ssn == "536228841")
        #expect(f.nationalIDs == ["MA-RMV": ["S1234567"]])
        #expect(f.phones == ["6175550147"])
        #expect(f.emails == ["ann.smith@example.com"])
        #expect(f.addresses == [StandardAddress(number: "12", street: "ELM ST", unit: "3", city: "BOSTON", state: "MA", zip: "02118")])
        #expect(f.birthDate == MatchDate(year: 1968, month: 5, day: 2))
        #expect(f.sex == nil)
        #expect(f.multipleBirth == true)
        #expect(f.birthOrder == 2)
    }

    @Test("A birth date keeps its precision")
    func birthPrecision() {
        #expect(matchFeatures(matchPatient(family: "Lee", given: ["Al"], birth: "1971")).birthDate == MatchDate(year: 1971))
        #expect(matchFeatures(matchPatient(family: "Lee", given: ["Al"], birth: "1971-04")).birthDate?.precision == .month)
        #expect(MatchDate(year: 1980, month: 3, day: 7).dayMonthSwapped == MatchDate(year: 1980, month: 7, day: 3))
        #expect(MatchDate(year: 1980, month: 3, day: 17).dayMonthSwapped == nil)
    }

    @Test("Compact birth dates are zero-padded digits, as blocking keys have always written them")
    func compactDates() {
        #expect(MatchDate(year: 1980, month: 3, day: 7).compact == "19800307")
        #expect(MatchDate(year: 2004, month: 11).compact == "200411")
        #expect(MatchDate(year: 871).compact == "0871")
        for (year, month, day) in [(1900, 1, 1), (1999, 12, 31), (2024, 2, 29), (12, 5, 9)] {
            let date = MatchDate(year: year, month: month, day: day)
            #expect(date.compact == String(format: "%04d%02d%02d", year, month, day))
            #expect(date.compactDigits == Array(date.compact.utf8))
        }
    }

    @Test("Features survive a JSON round trip")
    func codable() throws {
        let f = matchFeatures(matchPatient(mrn: "1", family: "O'Neil", given: ["Peggy"], birth: "1950-02-03", sex: .female, phone: "617-555-0101", street: ["1 Main St"], zip: "02118"))
        let decoded = try JSONDecoder().decode(MatchFeatures.self, from: JSONEncoder().encode(f))
        #expect(decoded == f)
        #expect(decoded.givenRoot == "MARGARET")
    }
}

/// Every single-digit substitution and every exchange of adjacent digits of `value`.
private func digitTypos(of value: String) -> [String] {
    let digits = Array(value)
    var out: [String] = []
    for i in digits.indices {
        var substituted = digits
        substituted[i] = digits[i] == "0" ? "1" : "0"
        out.append(String(substituted))
        if i + 1 < digits.count, digits[i] != digits[i + 1] {
            var exchanged = digits
            exchanged.swapAt(i, i + 1)
            out.append(String(exchanged))
        }
    }
    return out
}

@Suite("Blocking keys")
struct BlockingKeysTests {
    @Test("A record is filed under identifier, birth-date, name, contact and address keys")
    func keys() {
        let f = matchFeatures(matchPatient(
            mrn: "12345", family: "Smith", given: ["Bob"], birth: "1980-03-07", ssn: "536-22-8841", phone: "(617) 555-0147",
            email: "bob@example.com", street: ["123 Main Street"], zip: "02139"))
        #expect(BlockingKeys.keys(for: f) == [
            "id:MGH:12345", "ssn:536228841", "ssnt:___228841", "ssnt:53___8841", "ssnt:5362___41", "ssnt:536228___",
            "df:19800307:SNAT", "df:19800703:SNAT", "dg:19800307:RABAD", "df:19800307:BAB",
            "gfy:RABAD|SNAT:1980", "gf:RABAD|SNAT", "ph:6175550147", "em:bob@example.com", "ad:02139:123",
        ])
    }

    @Test("Typo keys mask every window of three characters, starting every second one")
    func typoKeys() {
        #expect(BlockingKeys.typoKeys("536228841") == ["___228841", "53___8841", "5362___41", "536228___"])
        #expect(BlockingKeys.typoKeys("1804974") == ["___4974", "18___74", "1804___"])
        #expect(BlockingKeys.typoKeys("1234") == ["___4", "12__"])
        #expect(BlockingKeys.typoKeys("123") == [])
    }

    @Test("An SSN one typo away shares a typo key", arguments: digitTypos(of: "536228841"))
    func ssnTypoMeets(typo: String) {
        let a = Set(BlockingKeys.keys(for: MatchFeatures(ssn: "536228841")))
        let b = Set(BlockingKeys.keys(for: MatchFeatures(ssn: typo)))
        #expect(!a.intersection(b).filter { $0.hasPrefix("ssnt:") }.isEmpty)
    }

    @Test("A national identifier one typo away shares a typo key under its authority", arguments: digitTypos(of: "1804974"))
    func nationalIDTypoMeets(typo: String) {
        let a = Set(BlockingKeys.keys(for: MatchFeatures(nationalIDs: ["FEBRL-SOCSEC": ["1804974"]])))
        let b = Set(BlockingKeys.keys(for: MatchFeatures(nationalIDs: ["FEBRL-SOCSEC": [typo]])))
        #expect(a.intersection(b).contains { $0.hasPrefix("nidt:FEBRL-SOCSEC:") })
    }

    @Test("SSNs differing in two distant digits share no key")
    func distantSSNsDoNotMeet() {
        let a = Set(BlockingKeys.keys(for: MatchFeatures(ssn: "536228841")))
        let b = Set(BlockingKeys.keys(for: MatchFeatures(ssn: "136228849")))
        #expect(a.isDisjoint(with: b))
    }

    @Test("Given and family exchanged with a typo in one still meet on the birth date")
    func swappedWithTypo() {
        let a = Set(BlockingKeys.keys(for: matchFeatures(matchPatient(family: "Webb", given: ["Sam"], birth: "1988-06-11"))))
        let b = Set(BlockingKeys.keys(for: matchFeatures(matchPatient(family: "Sma", given: ["Webb"], birth: "1988-06-11"))))
        #expect(a.intersection(b).sorted() == ["df:19880611:WAB"])
    }

    @Test("Swapped given and family names share the name keys")
    func swapped() {
        let a = Set(BlockingKeys.keys(for: matchFeatures(matchPatient(family: "Nguyen", given: ["Thanh"], birth: "1975-01-20"))))
        let b = Set(BlockingKeys.keys(for: matchFeatures(matchPatient(family: "Thanh", given: ["Nguyen"], birth: "1975-01-20"))))
        #expect(a.intersection(b).sorted() == ["df:19750120:NGAYAN", "df:19750120:TAN", "gf:NGAYAN|TAN", "gfy:NGAYAN|TAN:1975"])
    }

    @Test("A maiden name and a day/month swap still meet the married record")
    func maidenAndTransposed() {
        let married = Set(BlockingKeys.keys(for: matchFeatures(matchPatient(family: "Smith", given: ["Mary"], maiden: "Jones", birth: "1980-03-07"))))
        let maiden = Set(BlockingKeys.keys(for: matchFeatures(matchPatient(family: "Jones", given: ["Mary"], birth: "1980-07-03"))))
        #expect(married.intersection(maiden).sorted() == ["df:19800307:JAN", "df:19800703:JAN"])
    }

    @Test("Placeholders produce no keys")
    func placeholders() {
        let f = matchFeatures(matchPatient(family: "Doe", given: ["John"], birth: "1900-01-01", ssn: "000-00-0000", phone: "555-555-5555"))
        #expect(BlockingKeys.keys(for: f) == [])
    }
}
