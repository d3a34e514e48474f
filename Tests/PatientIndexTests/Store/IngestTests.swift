import Clinical
import Foundation
@testable import PatientIndex
import SQLite
import Testing

@Suite struct IngestTests {
    @Test func theSameMRNFromTheSameAuthorityUpdatesTheRecord() throws {
        let index = try TemporaryIndex()
        let first = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside)
        #expect(first.patients.map(\.decision) == [.new])
        var moved = Patients.mariaAtRiverside()
        moved.addresses = [PostalAddress(use: "home", lines: ["22 Birch Ct"], city: "Chatham", state: "IL", postalCode: "62629")]
        let second = try index.store.ingest([moved], from: Clinics.riverside, messageID: "MSG00002")
        #expect(second.patients.map(\.decision) == [.updated])
        #expect(second.patients.first?.recordID == first.patients.first?.recordID)
        #expect(second.patients.first?.enterpriseID == first.patients.first?.enterpriseID)
        #expect(second.patients.first?.explanation.method == "identifier")

        let reader = try index.reader()
        let counts = try reader.counts()
        #expect(counts.sourceRecords == 1)
        #expect(counts.enterprisePatients == 1)
        let patient = try #require(try reader.enterprisePatient(id: first.patients[0].enterpriseID))
        #expect(patient.golden.addresses.first?.city == "Chatham")
        #expect(try reader.history(enterpriseID: patient.id).map(\.action) == [.new, .update])
    }

    @Test func anMRNUnderALocalNamespaceIsScopedToItsClinic() throws {
        let index = try TemporaryIndex()
        // Both the practice and the lab call their ids "MRN"; 88231 at one is not 88231 at the other.
        let practice = Patients.mariaAtLakeview(mrn: "88231")
        let lab = Patients.record(at: Clinics.northLab, authority: Clinics.northLabMRN, mrn: "88231", family: "Okafor", given: ["Chidi"],
            born: (1989, 7, 30), sex: .male, phone: "312-555-0110")
        let outcome = try index.store.ingest([practice], from: Clinics.lakeview)
        let other = try index.store.ingest([lab], from: Clinics.northLab)
        #expect(other.patients.map(\.decision) == [.new])
        #expect(other.patients[0].recordID != outcome.patients[0].recordID)
    }

    @Test func theSamePersonFromAnotherClinicLinksWithItsExplanation() throws {
        let index = try TemporaryIndex()
        let first = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside)
        let second = try index.store.ingest([Patients.mariaAtLakeview()], from: Clinics.lakeview)
        let outcome = try #require(second.patients.first)
        #expect(outcome.decision == .linked)
        #expect(outcome.enterpriseID == first.patients[0].enterpriseID)
        #expect(outcome.explanation.method == "probabilistic")
        #expect(outcome.explanation.total >= index.store.model.upperThreshold)
        #expect(outcome.explanation.blockers.isEmpty)
        #expect(outcome.explanation.comparedWith == "record:\(first.patients[0].recordID)")
        #expect(outcome.explanation.modelVersion == index.store.model.version)
        #expect(!outcome.explanation.comparisons.isEmpty)

        let patient = try #require(try index.reader().enterprisePatient(id: outcome.enterpriseID))
        #expect(patient.members.map(\.recordID) == [String(first.patients[0].recordID), String(outcome.recordID)])
        #expect(patient.members.last?.explanation == outcome.explanation)
        #expect(patient.golden.identifiers.map(\.value) == ["88231", "E1002345"] || patient.golden.identifiers.map(\.value) == ["E1002345", "88231"])
        let link = try #require(try index.reader().history(enterpriseID: outcome.enterpriseID).last)
        #expect(link.action == .link)
        #expect(link.actor == PatientIndexStore.matcherActor)
        #expect(link.explanation == outcome.explanation)
    }

    @Test func aScoreBetweenThresholdsGoesToReviewAndGetsItsOwnPatient() throws {
        let total = try TemporaryIndex().store.score(Patients.mariaAtRiverside(), Patients.mariaAtLakeview())
        let index = try TemporaryIndex(model: .reviewing(around: total))
        let first = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside)
        let second = try index.store.ingest([Patients.mariaAtLakeview()], from: Clinics.lakeview)
        let outcome = try #require(second.patients.first)
        #expect(outcome.decision == .reviewed)
        #expect(outcome.enterpriseID != first.patients[0].enterpriseID)
        #expect(outcome.reviewIDs.count == 1)
        #expect(outcome.explanation.grade == index.store.model.grade(for: total))

        let queue = try index.reader().reviewQueue(status: .open)
        #expect(queue.count == 1)
        let item = try #require(queue.first)
        #expect(item.recordID == outcome.recordID)
        #expect(item.enterpriseID == outcome.enterpriseID)
        #expect(item.candidateEnterpriseID == first.patients[0].enterpriseID)
        #expect(item.explanation.total == total)
        #expect(item.record.source == Clinics.lakeview)
        #expect(try index.reader().counts().openReviews == 1)
    }

    @Test func twinsNeverLinkAutomatically() throws {
        let index = try TemporaryIndex()
        let jordan = Patients.record(at: Clinics.riverside, authority: Clinics.riversideMRN, mrn: "E2000101", family: "Whitfield",
            given: ["Jordan"], born: (2015, 6, 9), sex: .male, phone: "(217) 555-0170", street: "9 Elm St", multipleBirth: true, birthOrder: 1)
        let justin = Patients.record(at: Clinics.lakeview, authority: Clinics.lakeviewMRN, mrn: "41177", family: "Whitfield",
            given: ["Justin"], born: (2015, 6, 9), sex: .male, phone: "217-555-0170", street: "9 Elm Street", multipleBirth: true, birthOrder: 2)
        _ = try index.store.ingest([jordan], from: Clinics.riverside)
        let outcome = try #require(try index.store.ingest([justin], from: Clinics.lakeview).patients.first)
        #expect(outcome.decision != .linked)
        #expect(try index.reader().counts().enterprisePatients == 2)
        #expect(outcome.explanation.blockers.contains { $0.hasPrefix("twins") })
    }

    @Test func juniorAndSeniorNeverLinkAutomatically() throws {
        let index = try TemporaryIndex()
        // The father's birth date was keyed into the son's registration: only the suffix tells them apart.
        let senior = Patients.record(at: Clinics.riverside, authority: Clinics.riversideMRN, mrn: "E3000201", family: "Okonkwo",
            given: ["James", "Ade"], suffix: ["Sr"], born: (1962, 1, 20), sex: .male, phone: "(217) 555-0133", street: "310 Cedar Ln")
        let junior = Patients.record(at: Clinics.lakeview, authority: Clinics.lakeviewMRN, mrn: "50912", family: "Okonkwo",
            given: ["James", "Ade"], suffix: ["Jr"], born: (1962, 1, 20), sex: .male, phone: "217-555-0133", street: "310 Cedar Lane")
        _ = try index.store.ingest([senior], from: Clinics.riverside)
        let outcome = try #require(try index.store.ingest([junior], from: Clinics.lakeview).patients.first)
        #expect(outcome.decision == .new)
        #expect(outcome.explanation.blockers == ["generational suffix conflict (JR/SR) with EP-00000001"])
        #expect(try index.reader().counts().enterprisePatients == 2)
    }

    @Test func twoMRNsFromOneAuthorityNeverLinkAutomatically() throws {
        let index = try TemporaryIndex()
        _ = try index.store.ingest([Patients.mariaAtRiverside(mrn: "E1002345")], from: Clinics.riverside)
        let outcome = try #require(try index.store.ingest([Patients.mariaAtRiverside(mrn: "E1002346")], from: Clinics.riverside).patients.first)
        #expect(outcome.decision == .reviewed)
        #expect(outcome.explanation.blockers == ["different identifier from 2.16.840.1.113883.3.1001.1"])
    }

    @Test func newbornPlaceholdersNeverLinkAutomatically() throws {
        let index = try TemporaryIndex()
        // Two newborns of one mother, registered before they were named, at two hospitals.
        let first = Patients.record(at: Clinics.riverside, authority: Clinics.riversideMRN, mrn: "E4000001", family: "Garcia",
            given: ["Baby Boy"], born: (2024, 5, 2), sex: .male, phone: "(217) 555-0143", street: "1418 Maple Ave")
        let second = Patients.record(at: Clinics.lakeview, authority: Clinics.lakeviewMRN, mrn: "90001", family: "Garcia",
            given: ["Baby Boy"], born: (2024, 5, 2), sex: .male, phone: "217-555-0143", street: "1418 Maple Avenue")
        _ = try index.store.ingest([first], from: Clinics.riverside)
        let outcome = try #require(try index.store.ingest([second], from: Clinics.lakeview).patients.first)
        #expect(outcome.decision != .linked)
        #expect(try index.reader().counts().enterprisePatients == 2)
    }

    @Test func blockingKeysSharedByTooManyRecordsAreSkipped() throws {
        let index = try TemporaryIndex(configuration: IndexConfiguration(maxBlockSize: 1, maxNameOnlyBlockSize: 1))
        _ = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside)
        // Every key of the practice's record is shared by one record: within the limit.
        #expect(try index.store.ingest([Patients.mariaAtLakeview()], from: Clinics.lakeview).patients.map(\.decision) == [.linked])
        // Now her keys are shared by two records each: all skipped, no candidate.
        var lab = Patients.mariaAtLakeview(mrn: "L-7781")
        lab.source = Clinics.northLab
        lab.identifiers = [PatientIdentifier(value: "L-7781", authority: Clinics.northLabMRN, type: "MR")]
        #expect(try index.store.ingest([lab], from: Clinics.northLab).patients.map(\.decision) == [.new])
    }

    @Test func nameOnlyKeysHaveTheirOwnSmallerCap() throws {
        // Birth dates far apart: only the name-only key (phonetic given + family) brings the two together.
        let index = try TemporaryIndex(configuration: IndexConfiguration(maxBlockSize: 500, maxNameOnlyBlockSize: 1))
        let first = Patients.record(at: Clinics.riverside, authority: Clinics.riversideMRN, mrn: "E5000001", family: "Okonkwo",
            given: ["Adaeze"], born: (1961, 3, 14), sex: .female, phone: "(217) 555-0101", street: "12 Elm St")
        let second = Patients.record(at: Clinics.lakeview, authority: Clinics.lakeviewMRN, mrn: "50002", family: "Okonkwo",
            given: ["Adaeze"], born: (1979, 8, 2), sex: .female, phone: "(312) 555-0199", street: "77 Lake Shore Dr")
        let third = Patients.record(at: Clinics.northLab, authority: Clinics.northLabMRN, mrn: "N-3", family: "Okonkwo",
            given: ["Adaeze"], born: (1990, 1, 20), sex: .female, phone: "(608) 555-0177", street: "5 Oak Ln")
        _ = try index.store.ingest([first], from: Clinics.riverside)
        _ = try index.store.ingest([second], from: Clinics.lakeview)
        // Two records now share the name-only key: over its cap of 1, so the third meets no candidate at all.
        let outcome = try #require(try index.store.ingest([third], from: Clinics.northLab).patients.first)
        #expect(outcome.decision == .new)
        #expect(outcome.explanation.total == 0)
        #expect(outcome.explanation.blockers.isEmpty)
    }

    @Test func theThresholdsRiseWithTheIndexSize() {
        let model = MatchModel.standard
        #expect(model.scaled(toPopulation: 5_000).upperThreshold == model.upperThreshold)
        #expect(model.scaled(toPopulation: 10_000).upperThreshold == model.upperThreshold)
        #expect(abs(model.scaled(toPopulation: 80_000).upperThreshold - (model.upperThreshold + 3)) < 1e-9)
        #expect(abs(model.scaled(toPopulation: 80_000).lowerThreshold - (model.lowerThreshold + 3)) < 1e-9)
        #expect(abs(model.scaled(toPopulation: 1_000_000).upperThreshold - (model.upperThreshold + log2(100))) < 1e-9)
        // Capped, so an enormous index still links exact identities.
        #expect(model.scaled(toPopulation: 1 << 40).upperThreshold == model.upperThreshold + MatchModel.maxPopulationAdjustment)
        var tuned = model
        tuned.referencePopulation = 1_000_000
        #expect(tuned.scaled(toPopulation: 1_000_000).upperThreshold == model.upperThreshold)
    }

    @Test func aPatientsFirstRecordGetsTheSameUnifiedRecordAsARefreshFromStorage() throws {
        // The refresh of a patient created by the ingest starts from the instances just written; a later
        // full refresh from storage must find nothing to change.
        let index = try TemporaryIndex()
        var submission = Patients.submission([Patients.mariaAtRiverside()], from: Clinics.riverside, messageID: "MSG-K1")
        var repeated = Patients.potassium(subject: 0, source: Clinics.riverside, messageID: "MSG-K1")
        repeated.provenance.position = "OBX[2]"
        submission.facts = [Patients.potassium(subject: 0, source: Clinics.riverside, messageID: "MSG-K1"), repeated]
        let outcome = try index.store.ingest(submission, messageID: nil)
        let id = try #require(outcome.patients.first?.enterpriseID)
        let before = try #require(try index.reader().unifiedRecord(enterpriseID: id))
        // The same result twice in one message is one fact with two provenances.
        #expect(before.facts.count == 1)
        #expect(before.facts.first?.provenances.count == 2)
        let termsBefore = try index.store.db.rows("SELECT term FROM search_terms WHERE enterprise_id = ? ORDER BY term", [id]).compactMap { $0.string(0) }
        try index.store.transaction {
            let members = try index.reader().enterprisePatient(id: id)?.members.compactMap { Int64($0.recordID) } ?? []
            _ = try index.store.ledger.refresh(enterpriseID: id, memberRecordIDs: members, in: index.store.db)
            // The golden record and search terms prepared with the record are what survivorship gives.
            try index.store.recomputeGolden(id, now: "2026-01-01T00:00:00.000Z")
        }
        let after = try #require(try index.reader().unifiedRecord(enterpriseID: id))
        #expect(before.facts == after.facts)
        #expect(before.flags == after.flags)
        #expect(before.patient.golden == after.patient.golden)
        #expect(!termsBefore.isEmpty)
        #expect(try index.store.db.rows("SELECT term FROM search_terms WHERE enterprise_id = ? ORDER BY term", [id]).compactMap { $0.string(0) } == termsBefore)
    }

    @Test func aRecordMatchingTwoPatientsIsReviewedAgainstBothAndBridgesNothing() throws {
        let index = try TemporaryIndex()
        // Riverside holds Maria twice under two MRNs (a duplicate registration): two enterprise patients.
        let a = try index.store.ingest([Patients.mariaAtRiverside(mrn: "E1002345")], from: Clinics.riverside).patients[0]
        let b = try index.store.ingest([Patients.mariaAtRiverside(mrn: "E1002346")], from: Clinics.riverside).patients[0]
        #expect(a.enterpriseID != b.enterpriseID)
        let outcome = try #require(try index.store.ingest([Patients.mariaAtLakeview()], from: Clinics.lakeview).patients.first)
        #expect(outcome.decision == .reviewed)
        #expect(outcome.reviewIDs.count == 2)
        #expect(outcome.enterpriseID != a.enterpriseID && outcome.enterpriseID != b.enterpriseID)
        let reader = try index.reader()
        #expect(Set(try reader.reviewQueue().filter { $0.recordID == outcome.recordID }.map(\.candidateEnterpriseID)) == [a.enterpriseID, b.enterpriseID])
        #expect(try reader.enterprisePatient(id: a.enterpriseID)?.members.count == 1)
        #expect(try reader.enterprisePatient(id: b.enterpriseID)?.members.count == 1)
    }

    @Test func notAMatchIsRememberedWhenTheRecordIsMatchedAgain() throws {
        let index = try TemporaryIndex(model: .reviewingEverything)
        _ = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside)
        let outcome = try index.store.ingest([Patients.mariaAtLakeview()], from: Clinics.lakeview).patients[0]
        let reviewID = try #require(outcome.reviewIDs.first)
        try index.store.decide(reviewID: reviewID, isMatch: false, actor: "steward:akim", reason: "different mothers' maiden names on file")
        #expect(try index.reader().reviewItem(id: reviewID)?.status == .notAMatch)

        // An A08 changes the practice's record: it is matched again, and the remembered pair stays out.
        var updated = Patients.mariaAtLakeview()
        updated.telecoms = [Telecom(system: .phone, value: "217-555-0188", use: "mobile")]
        updated.addresses = []
        let again = try index.store.ingest([updated], from: Clinics.lakeview, messageID: "MSG00003").patients[0]
        #expect(again.decision == .updated)
        #expect(again.enterpriseID == outcome.enterpriseID)
        #expect(try index.reader().reviewQueue(status: .open).isEmpty)

        // Without the decision the same update does reach the queue again.
        let control = try TemporaryIndex(model: .reviewingEverything)
        _ = try control.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside)
        let queued = try control.store.ingest([Patients.mariaAtLakeview()], from: Clinics.lakeview).patients[0]
        try control.store.db.run("UPDATE review_queue SET status = 'withdrawn' WHERE id = ?", [queued.reviewIDs[0]])
        let requeued = try control.store.ingest([updated], from: Clinics.lakeview, messageID: "MSG00003").patients[0]
        #expect(requeued.decision == .reviewed)
        #expect(try control.reader().reviewQueue(status: .open).map(\.recordID) == [queued.recordID])
    }

    @Test func oneFailingIngestInsideAGroupCommitUndoesOnlyItself() throws {
        let index = try TemporaryIndex()
        let broken = Submission(format: .hl7v2, source: Clinics.riverside, messageID: "MSG00009", messageType: "ADT^A40",
            patients: [Patients.robertAtRiverside()],
            merges: [PatientMerge(survivor: 3, priorIdentifiers: [PatientIdentifier(value: "E1000001", authority: Clinics.riversideMRN)],
                provenance: Provenance(source: Clinics.riverside, format: .hl7v2))])
        var failure: PatientIndexError?
        try index.store.transaction {
            _ = try index.store.ingest(Patients.submission([Patients.mariaAtRiverside()], from: Clinics.riverside), messageID: nil)
            do {
                _ = try index.store.ingest(broken, messageID: nil)
            } catch let error as PatientIndexError {
                failure = error
            }
            _ = try index.store.ingest(Patients.submission([Patients.mariaAtLakeview()], from: Clinics.lakeview, messageID: "MSG00010"), messageID: nil)
        }
        #expect(failure == PatientIndexError(.invalidArgument, ""))
        let counts = try index.reader().counts()
        #expect(counts.sourceRecords == 2)
        #expect(counts.enterprisePatients == 1)
        #expect(try index.reader().searchPatients(name: "Chen").isEmpty)
        #expect(try index.store.db.scalar("SELECT count(*) FROM identifiers WHERE value = 'E1009911'") == .integer(0))
    }

    /// `groupCommit` runs its ingests without savepoints; when one fails it runs the whole body again
    /// with them, so the outcome is what per-ingest savepoints give.
    @Test func anOptimisticGroupCommitWithAFailingIngestEndsAsWithSavepoints() throws {
        let index = try TemporaryIndex()
        let broken = Submission(format: .hl7v2, source: Clinics.riverside, messageID: "MSG00009", messageType: "ADT^A40",
            patients: [Patients.robertAtRiverside()],
            merges: [PatientMerge(survivor: 3, priorIdentifiers: [PatientIdentifier(value: "E1000001", authority: Clinics.riversideMRN)],
                provenance: Provenance(source: Clinics.riverside, format: .hl7v2))])
        var runs = 0
        let outcome = try index.store.groupCommit { () throws -> [String] in
            runs += 1
            var results: [String] = []
            for submission in [Patients.submission([Patients.mariaAtRiverside()], from: Clinics.riverside), broken,
                               Patients.submission([Patients.mariaAtLakeview()], from: Clinics.lakeview, messageID: "MSG00010")] {
                do {
                    results.append(try index.store.ingest(submission, messageID: nil).patients[0].decision.rawValue)
                } catch let error as PatientIndexError {
                    results.append("failed: \(error.code)")
                }
            }
            return results
        }
        #expect(runs == 2)
        #expect(index.store.optimisticRetries == 1)
        #expect(outcome == ["new", "failed: invalidArgument", "linked"])
        let counts = try index.reader().counts()
        #expect(counts.sourceRecords == 2)
        #expect(counts.enterprisePatients == 1)
        #expect(try index.store.db.scalar("SELECT count(*) FROM identifiers WHERE value = 'E1009911'") == .integer(0))
        #expect(try index.store.db.integrityCheck() == ["ok"])
        // Outside a group commit ingests are savepoints again.
        #expect(index.store.isolatesIngests)
    }

    @Test func anOptimisticGroupCommitThatSucceedsRunsOnceAndTakesNoSavepoint() throws {
        let index = try TemporaryIndex()
        var runs = 0
        try index.store.groupCommit {
            runs += 1
            _ = try index.store.ingest(Patients.submission([Patients.mariaAtRiverside()], from: Clinics.riverside), messageID: nil)
            _ = try index.store.ingest(Patients.submission([Patients.robertAtRiverside()], from: Clinics.riverside, messageID: "MSG00002"), messageID: nil)
        }
        #expect(runs == 1)
        #expect(index.store.optimisticRetries == 0)
        #expect(try index.reader().counts().sourceRecords == 2)
        let savepoints = index.store.db.statementProfile().filter { $0.sql == "SAVEPOINT ingest" }.map(\.runs).reduce(0, +)
        #expect(savepoints == 0)
        // The same two ingests in a plain transaction take one savepoint each.
        try index.store.transaction {
            _ = try index.store.ingest(Patients.submission([Patients.mariaAtLakeview()], from: Clinics.lakeview, messageID: "MSG00003"), messageID: nil)
        }
        #expect(index.store.db.statementProfile().filter { $0.sql == "SAVEPOINT ingest" }.map(\.runs).reduce(0, +) == 1)
    }

    @Test func factsAreRecordedAgainstTheSourceRecord() throws {
        let index = try TemporaryIndex()
        let submission = Patients.submission([Patients.mariaAtRiverside()], from: Clinics.riverside, messageID: "MSG00020",
            facts: [Patients.potassium(subject: 0, source: Clinics.riverside, messageID: "MSG00020")])
        let outcome = try index.store.ingest(submission, messageID: nil)
        let enterpriseID = outcome.patients[0].enterpriseID
        let record = try #require(try index.reader().unifiedRecord(enterpriseID: enterpriseID))
        #expect(record.facts.map(\.kind) == [.result])
        #expect(record.facts.first?.provenances.map(\.messageID) == ["MSG00020"])
        // The same person from the practice: her unified record holds the lab result too.
        let linked = try index.store.ingest([Patients.mariaAtLakeview()], from: Clinics.lakeview, messageID: "MSG00021").patients[0]
        #expect(linked.enterpriseID == enterpriseID)
        #expect(try index.reader().unifiedRecord(enterpriseID: enterpriseID)?.facts.count == 1)
        #expect(try index.reader().careSignals(enterpriseID: enterpriseID)?.clinics == ["RIVERSIDE_MC"])
    }

    @Test func aRepeatedTestAtAnotherClinicRaisesAFlagOnTheLinkedPatient() throws {
        let index = try TemporaryIndex()
        func hba1c(_ subject: Int, _ source: SourceSystem, _ message: String, _ value: Double, _ month: Int, _ day: Int) -> ClinicalFact {
            let observation = Observation(code: Code(system: "http://loinc.org", code: "4548-4", display: "Hemoglobin A1c/Hemoglobin.total in Blood"),
                value: .quantity(Quantity(value: value, unit: "%")), unit: "%", status: .final,
                effectiveTime: ClinicalTime(year: 2024, month: month, day: day, hour: 9, minute: 30, precision: .minute),
                fillerOrderNumber: message)
            return ClinicalFact(subject: subject, body: .result(observation), provenance: Provenance(source: source, format: .hl7v2, messageID: message, position: "OBX[1]"))
        }
        let first = try index.store.ingest(Patients.submission([Patients.mariaAtRiverside()], from: Clinics.riverside, messageID: "ORU0001",
            facts: [hba1c(0, Clinics.riverside, "ORU0001", 7.2, 3, 1)]), messageID: nil)
        #expect(first.flags.isEmpty)
        let second = try index.store.ingest(Patients.submission([Patients.mariaAtLakeview()], from: Clinics.lakeview, messageID: "ORU0002",
            facts: [hba1c(0, Clinics.lakeview, "ORU0002", 7.0, 4, 15)]), messageID: nil)
        let enterpriseID = first.patients[0].enterpriseID
        #expect(second.patients[0].enterpriseID == enterpriseID)
        let flag = try #require(second.flags.first)
        #expect(second.flags.count == 1)
        #expect(flag.enterpriseID == enterpriseID)
        #expect(flag.kind == .repeatedResult)
        #expect(flag.earlier.provenance.source == Clinics.riverside)
        #expect(flag.later.provenance.source == Clinics.lakeview)
        #expect(try index.reader().duplicateTests(enterpriseID: enterpriseID).map(\.id) == [flag.id])
        #expect(try index.reader().counts().flags == 1)

        try index.store.setFlagStatus("acknowledged", flagID: flag.id, actor: "nurse:okafor")
        #expect(try index.reader().duplicateTests(enterpriseID: enterpriseID).map(\.status) == ["acknowledged"])
        #expect(try index.reader().auditLog().first?.action == "flag-status")

        // Splitting the practice's record out takes its result along: no repeat left on either patient.
        let split = try index.store.unlink(recordID: second.patients[0].recordID, actor: "steward:akim", reason: "test")
        #expect(try index.reader().duplicateTests(enterpriseID: enterpriseID).isEmpty)
        #expect(try index.reader().duplicateTests(enterpriseID: split.enterpriseID).isEmpty)
        #expect(try index.reader().unifiedRecord(enterpriseID: split.enterpriseID)?.facts.count == 1)
    }

    @Test func searchFindsPatientsByNameBirthDateAndIdentifier() throws {
        let index = try TemporaryIndex()
        let maria = try index.store.ingest([Patients.mariaAtRiverside()], from: Clinics.riverside).patients[0]
        let robert = try index.store.ingest([Patients.robertAtRiverside()], from: Clinics.riverside).patients[0]
        let reader = try index.reader()
        #expect(try reader.searchPatients(name: "garcía").map(\.id) == [maria.enterpriseID])
        #expect(try reader.searchPatients(name: "Gar Mar").map(\.id) == [maria.enterpriseID])
        #expect(try reader.searchPatients(name: "Chen", birthDate: ClinicalTime(year: 1958, month: 11, day: 2)).map(\.id) == [robert.enterpriseID])
        #expect(try reader.searchPatients(name: "Chen", birthDate: ClinicalTime(year: 1959, month: 11, day: 2)).isEmpty)
        #expect(try reader.searchPatients(birthDate: ClinicalTime(year: 1971, precision: .year)).map(\.id) == [maria.enterpriseID])
        #expect(try reader.searchPatients(identifier: "E1009911").map(\.id) == [robert.enterpriseID])
        #expect(try reader.searchPatients(identifier: "123445678").map(\.id) == [maria.enterpriseID])
        #expect(try reader.allPatients().map(\.id) == [maria.enterpriseID, robert.enterpriseID])
        #expect(try reader.allPatients().map(\.memberCount) == [1, 1])
    }
}
