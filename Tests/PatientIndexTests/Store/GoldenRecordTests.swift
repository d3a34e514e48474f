import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

@Suite struct GoldenRecordTests {
    static func member(_ id: Int64, _ record: PatientRecord, updated: String) -> Survivorship.Member {
        Survivorship.Member(recordID: id, record: record, updatedAt: updated)
    }

    @Test func survivorshipFollowsTheDocumentedRules() throws {
        var older = Patients.mariaAtRiverside()
        older.names = [PersonName(use: .official, family: "Lopez", given: ["Maria", "Elena"]),
                       PersonName(use: .nickname, family: "Lopez", given: ["Mari"])]
        older.birthDate = ClinicalTime(year: 1971, month: 3, day: 14)
        older.sex = .female
        older.provenance.recordedAt = ClinicalTime(year: 2019, month: 1, day: 5)

        var newer = Patients.mariaAtLakeview()
        newer.names = [PersonName(use: .official, family: "Garcia", given: ["Maria", "E"])]
        newer.birthDate = ClinicalTime(year: 1971, precision: .year)
        newer.sex = .unknown
        newer.deceased = nil
        newer.provenance.recordedAt = ClinicalTime(year: 2024, month: 5, day: 2)

        var lab = Patients.record(at: Clinics.northLab, authority: Clinics.northLabMRN, mrn: "L-7781", family: "GARCIA", given: ["MARIA"],
            born: (1971, 4, 13), sex: .female, phone: "217-555-0143", recordedAt: ClinicalTime(year: 2023, month: 8, day: 1))
        lab.ssn = nil

        var registration = older
        registration.identifiers = [PatientIdentifier(value: "E1002399", authority: Clinics.riversideMRN, type: "MR")]
        registration.provenance.recordedAt = ClinicalTime(year: 2018, month: 2, day: 9)

        let golden = try #require(Survivorship.golden(of: [
            Self.member(4, registration, updated: "2018-02-09T10:00:00.000Z"),
            Self.member(1, older, updated: "2019-01-05T10:00:00.000Z"),
            Self.member(2, newer, updated: "2024-05-02T08:30:00.000Z"),
            Self.member(3, lab, updated: "2023-08-01T12:00:00.000Z"),
        ], trust: [:]))
        // Most recent official name first; every other name follows.
        #expect(golden.names.map(\.family) == ["Garcia", "GARCIA", "Lopez", "Lopez"])
        #expect(golden.names.first?.given == ["Maria", "E"])
        // 1971-03-14 has two records and the year-only 1971 behind it; the lab's 1971-04-13 only itself and 1971.
        #expect(golden.birthDate == ClinicalTime(year: 1971, month: 3, day: 14))
        #expect(golden.sex == .female)
        #expect(golden.identifiers.map(\.value) == ["88231", "L-7781", "E1002345", "E1002399"])
        #expect(golden.ssn == "123445678")
        #expect(golden.telecoms.map(\.value) == ["217-555-0143", "(217) 555-0143"])
        #expect(golden.addresses.map(\.lines) == [["1418 Maple Avenue"], ["1418 Maple Ave"]])

        // A trusted source outranks recency.
        let trusted = try #require(Survivorship.golden(of: [
            Self.member(1, older, updated: "2019-01-05T10:00:00.000Z"),
            Self.member(2, newer, updated: "2024-05-02T08:30:00.000Z"),
        ], trust: [Clinics.riverside.key: 10]))
        #expect(trusted.names.first?.family == "Lopez")
    }

    @Test func placeholderBirthDatesLoseToRealOnes() {
        var a = Patients.mariaAtRiverside()
        a.birthDate = ClinicalTime(year: 1900, month: 1, day: 1)
        var b = Patients.mariaAtLakeview()
        b.birthDate = ClinicalTime(year: 1971, month: 3, day: 14)
        var c = Patients.mariaAtLakeview(mrn: "88232")
        c.birthDate = ClinicalTime(year: 1900, month: 1, day: 1)
        #expect(Survivorship.birthDate([a, c, b]) == ClinicalTime(year: 1971, month: 3, day: 14))
        #expect(Survivorship.birthDate([a, c]) == ClinicalTime(year: 1900, month: 1, day: 1))
    }

    @Test func theGoldenRecordFollowsLinksAndUpdates() throws {
        let index = try TemporaryIndex(model: .reviewingEverything)
        let maria = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside).patients[0]
        var practice = Patients.mariaAtLakeview()
        practice.provenance.recordedAt = ClinicalTime(year: 2030, month: 1, day: 1)
        let other = try index.store.ingest([practice], from: Clinics.lakeview).patients[0]
        try index.store.link(recordID: other.recordID, to: maria.enterpriseID, actor: "steward:akim", reason: nil)
        let golden = try #require(try index.reader().enterprisePatient(id: maria.enterpriseID)?.golden)
        #expect(golden.names.first?.family == "GARCIA")
        #expect(Set(golden.identifiers.map(\.value)) == ["E1002345", "88231"])
        #expect(golden.source.facility == "Concord")
        #expect(try index.reader().searchPatients(name: "maria", identifier: "88231").map(\.id) == [maria.enterpriseID])
    }
}

/// Search terms are rewritten by difference when the golden record changes; they must always be exactly
/// the golden record's terms.
@Suite struct GoldenRecordSearchTermTests {
    @Test func termsFollowTheGoldenRecordThroughLinkAndUnlink() throws {
        let index = try TemporaryIndex(model: .reviewingEverything)
        func terms(_ id: String) throws -> [String] {
            try index.store.db.rows("SELECT term FROM search_terms WHERE enterprise_id = ? ORDER BY term", [id]).compactMap { $0.string(0) }
        }
        func goldenTerms(_ id: String) throws -> [String] {
            Survivorship.searchTerms(of: try #require(try index.reader().enterprisePatient(id: id)?.golden))
        }
        let maria = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside).patients[0]
        var married = Patients.mariaAtLakeview()
        married.names = [PersonName(family: "Okonkwo", given: ["Maria", "Luisa"]), PersonName(use: .maiden, family: "Garcia")]
        let other = try index.store.ingest([married], from: Clinics.lakeview).patients[0]
        #expect(try terms(maria.enterpriseID) == (try goldenTerms(maria.enterpriseID)))
        try index.store.link(recordID: other.recordID, to: maria.enterpriseID, actor: "steward:akim", reason: nil)
        #expect(try terms(maria.enterpriseID) == (try goldenTerms(maria.enterpriseID)))
        #expect(try index.reader().searchPatients(name: "okonkwo").map(\.id) == [maria.enterpriseID])
        try index.store.unlink(recordID: other.recordID, actor: "steward:akim", reason: "not her")
        #expect(try terms(maria.enterpriseID) == (try goldenTerms(maria.enterpriseID)))
        #expect(try !index.reader().searchPatients(name: "okonkwo").map(\.id).contains(maria.enterpriseID))
    }
}

@Suite struct NameFrequencyTests {
    @Test func frequenciesComeFromTheIndexOnceItIsLargeEnough() throws {
        let index = try TemporaryIndex()
        let maria = Patients.mariaAtRiverside()
        let features = PatientIndexStore.features(of: maria)
        let family = try #require(features.family), given = try #require(features.given)
        _ = try index.store.ingest([maria], from: Clinics.riverside)
        // One name in the index: too few to mean anything.
        #expect(try StoredNameFrequencies.lookup([features], in: index.store.db) == nil)
        try index.store.db.run("UPDATE name_frequencies SET count = 2000 WHERE name = ''")
        try index.store.db.run("UPDATE name_frequencies SET count = 40 WHERE kind = 'family' AND name = ?", [family])
        let frequencies = try #require(try StoredNameFrequencies.lookup([features], in: index.store.db))
        #expect(frequencies.familyFrequency(family) == 0.02)
        #expect(frequencies.givenFrequency(given) == 1.0 / 2000)
        #expect(frequencies.familyFrequency("ZZYZX") == nil)
    }

    /// The store keeps the counts it reads and writes in memory; they must stay what the table says,
    /// also after an ingest that rolls back (its increments are undone in SQLite, so in memory too).
    @Test func cachedCountsFollowTheTableThroughUpdatesAndRollbacks() throws {
        let index = try TemporaryIndex()
        let store = index.store
        func stored(_ kind: String, _ name: String) throws -> Int {
            Int(try store.db.row("SELECT count FROM name_frequencies WHERE kind = ? AND name = ?", [kind, name])?.int(0) ?? 0)
        }
        let maria = Patients.mariaAtRiverside()
        let family = try #require(PatientIndexStore.features(of: maria).family)
        _ = try store.ingest([maria], from: Clinics.riverside)
        #expect(try store.nameCount(kind: "family", name: family) == 1)  // read once, cached from here on
        #expect(try store.indexPopulation() == 1)
        _ = try store.ingest([Patients.mariaAtLakeview()], from: Clinics.lakeview, messageID: "MSG00002")
        #expect(try store.nameCount(kind: "family", name: family) == 2)
        #expect(try store.nameCount(kind: "family", name: family) == (try stored("family", family)))
        // An ingest that fails after writing its record (a merge naming a survivor it does not have).
        let bad = Patients.submission([Patients.mariaAtRiverside(mrn: "E7777777")], from: Clinics.riverside, messageID: "MSG00003",
            merges: [PatientMerge(survivor: 5, priorIdentifiers: [], provenance: Provenance(source: Clinics.riverside, format: .hl7v2))])
        #expect(throws: (any Error).self) { try store.ingest(bad, messageID: nil) }
        #expect(try stored("family", family) == 2)
        #expect(try store.nameCount(kind: "family", name: family) == 2)
        #expect(try store.indexPopulation() == 2)
    }
}
