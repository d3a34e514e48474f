import Clinical
import Testing
@testable import PatientIndex

@Suite("Hard rules and evidence caps")
struct DecisionRuleTests {
    let model = MatchModel.standard

    @Test("Blockers are sorted into definitive, cautionary and patient-wide", arguments: [
        ("sex conflict", false, true),
        ("different sex and given name", true, false),
        ("different SSN", true, true),
        ("twins (multiple birth, different given name)", true, true),
        ("generational suffix conflict (JR/SR)", true, true),
        ("generational (same name, birth years 28 apart)", true, false),
        ("different given name and birth date", true, false),
        ("different identifier from MGH", false, true),
        ("possible twins (same birth date and family, different given name)", false, false),
        ("birth date conflict", false, false),
        ("given name conflict", false, false),
    ])
    func blockerKinds(blocker: String, definitive: Bool, clusterWide: Bool) {
        #expect(MatchModel.isDefinitive(blocker: blocker) == definitive)
        #expect(MatchModel.isClusterWide(blocker: blocker) == clusterWide)
    }

    @Test("Given and family names typed into each other's fields agree as swapped")
    func swappedNames() {
        let c = model.compare(
            matchFeatures(matchPatient(family: "Nguyen", given: ["Thanh"], birth: "1975-01-20", sex: .male)),
            matchFeatures(matchPatient(family: "Thanh", given: ["Nguyen"], birth: "1975-01-20", sex: .male)), frequencies: nil)
        #expect(c.level(of: "family") == "swapped")
        #expect(c.level(of: "given") == "swapped")
        #expect(c.total >= model.upperThreshold)
    }

    @Test("Exchanged names still agree as swapped when the short one has two letters exchanged")
    func swappedNamesWithTransposition() {
        let c = model.compare(
            matchFeatures(matchPatient(family: "Webb", given: ["Sam"], birth: "1988-06-11")),
            matchFeatures(matchPatient(family: "Sma", given: ["Webb"], birth: "1988-06-11")), frequencies: nil)
        #expect(c.level(of: "family") == "swapped")
        #expect(c.level(of: "given") == "swapped")
    }

    @Test("A substituted letter in the short name is not a swap: only one name agrees")
    func notSwappedWithSubstitution() {
        let c = model.compare(
            matchFeatures(matchPatient(family: "Webb", given: ["Sam"], birth: "1988-06-11")),
            matchFeatures(matchPatient(family: "Sax", given: ["Webb"], birth: "1988-06-11")), frequencies: nil)
        #expect(c.level(of: "family") == "different")
        #expect(c.level(of: "given") == "different")
    }

    @Test("A family name of several words typed into the given field agrees as swapped")
    func swappedMultiWordFamily() {
        let c = model.compare(
            matchFeatures(matchPatient(family: "De la Cruz", given: ["Maria"], birth: "1987-09-11")),
            matchFeatures(matchPatient(family: "Maria", given: ["De la Cruz"], birth: "1987-09-11")), frequencies: nil)
        #expect(c.level(of: "family") == "swapped")
        #expect(c.level(of: "given") == "swapped")
        #expect(c.blockers == [])
    }

    @Test("An SSN shared exactly overrides the twin rule: twins never share one")
    func ssnOverridesTwins() {
        let c = model.compare(
            matchFeatures(matchPatient(family: "Okafor", given: ["Emma"], birth: "2015-09-09", ssn: "536-22-8841", multipleBirth: true)),
            matchFeatures(matchPatient(family: "Okafor", given: ["Emily"], birth: "2015-09-09", ssn: "536228841")), frequencies: nil)
        #expect(c.blockers == [])
        #expect(c.level(of: "given") == "different")
    }

    @Test("Same record key from the same authority is the strongest evidence")
    func sameIdentifier() {
        let c = model.compare(
            matchFeatures(matchPatient(mrn: "778899", family: "Park", given: ["Jin"])),
            matchFeatures(matchPatient(mrn: "778899", family: "Park", given: ["Jin"])), frequencies: nil)
        #expect(c.comparisons.first == FieldComparison(field: "identifier", level: "exact", weight: 23.252))
    }

    @Test("Without a birth date, only a personal identifier or e-mail lets a household-level match link")
    func birthDateNotConfirmed() {
        let a = matchFeatures(matchPatient(family: "Reyes", given: ["Ana"], sex: .female, phone: "617-555-0142", street: ["9 Hill St"], zip: "02118"))
        let b = matchFeatures(matchPatient(family: "Reyes", given: ["Ana"], birth: "1990-04-04", sex: .female, phone: "617-555-0142", street: ["9 Hill St"], zip: "02118"))
        let c = model.compare(a, b, frequencies: nil)
        #expect(c.total >= model.upperThreshold)
        #expect(model.decide([PatientCandidate(patientID: "E3", comparisons: [c])]).reasons == ["birth date not confirmed"])
        var withEmail = a
        withEmail.emails = ["ana.reyes@example.org"]
        var otherWithEmail = b
        otherWithEmail.emails = ["ana.reyes@example.org"]
        let confirmed = model.compare(withEmail, otherWithEmail, frequencies: nil)
        #expect(model.decide([PatientCandidate(patientID: "E3", comparisons: [confirmed])]).outcome == .link)
    }

    @Test("Phone, e-mail and address together add at most the household cap")
    func householdCap() {
        let c = model.compare(
            matchFeatures(matchPatient(family: "Ito", given: ["Ken"], phone: "617-555-0150", email: "ito@example.com", street: ["2 Bay Rd"], zip: "02118")),
            matchFeatures(matchPatient(family: "Ito", given: ["Ken"], phone: "617-555-0150", email: "ito@example.com", street: ["2 Bay Road"], zip: "02118")),
            frequencies: nil)
        let household = c.comparisons.filter { ["phone", "email", "address"].contains($0.field) }.reduce(0) { $0 + $1.weight }
        let cap = c.comparisons.first { $0.field == "household" }?.weight ?? 0
        #expect(abs(household + cap - model.householdEvidenceCap) < 0.01)
    }

    @Test("Twins carrying the guarantor's SSN stay a tie for review when the record gives only an initial")
    func twinsWithGuarantorSSNStayUnderReview() {
        let incoming = matchFeatures(matchPatient(family: "Okafor", given: ["E"], birth: "2015-09-09", ssn: "536-22-8841", street: ["7 Elm St"], zip: "02118"))
        let emma = model.compare(incoming, matchFeatures(matchPatient(family: "Okafor", given: ["Emma"], birth: "2015-09-09", ssn: "536228841", street: ["7 Elm St"], zip: "02118")), frequencies: nil)
        let emily = model.compare(incoming, matchFeatures(matchPatient(family: "Okafor", given: ["Emily"], birth: "2015-09-09", ssn: "536228841", street: ["7 Elm St"], zip: "02118")), frequencies: nil)
        #expect(emma.level(of: "given") == "initial")
        #expect(emma.total == emily.total)
        let decision = model.decide([PatientCandidate(patientID: "EMMA", comparisons: [emma]), PatientCandidate(patientID: "EMILY", comparisons: [emily])])
        #expect(decision.outcome == .review)
        #expect(decision.reasons == ["runner-up within margin"])
        #expect(decision.reviewCandidates == ["EMILY", "EMMA"])
    }

    @Test("A parent and child of one name carrying the guarantor's SSN stay a tie for review without a birth date")
    func parentAndChildWithGuarantorSSNStayUnderReview() {
        let incoming = matchFeatures(matchPatient(family: "Okafor", given: ["Maria"], ssn: "536-22-8841", street: ["7 Elm St"], zip: "02118"))
        let mother = model.compare(incoming, matchFeatures(matchPatient(family: "Okafor", given: ["Maria"], birth: "1980-02-02", ssn: "536228841", street: ["7 Elm St"], zip: "02118")), frequencies: nil)
        let daughter = model.compare(incoming, matchFeatures(matchPatient(family: "Okafor", given: ["Maria"], birth: "2010-05-05", ssn: "536228841", street: ["7 Elm St"], zip: "02118")), frequencies: nil)
        #expect(mother.level(of: "birthDate") == "missing")
        let decision = model.decide([PatientCandidate(patientID: "MOTHER", comparisons: [mother]), PatientCandidate(patientID: "DAUGHTER", comparisons: [daughter])])
        #expect(decision.outcome == .review)
        #expect(decision.reasons == ["runner-up within margin"])
    }

    @Test("A patient whose best member is definitively someone else is not a candidate")
    func definitiveExclusion() {
        let twin = PairComparison(comparisons: [], total: 35, blockers: ["twins (multiple birth, different given name)"], placeholderInvolved: false)
        let other = PairComparison(comparisons: [FieldComparison(field: "birthDate", level: "exact", weight: 13.873)], total: 25, blockers: [], placeholderInvolved: false)
        let decision = model.decide([PatientCandidate(patientID: "TWIN", comparisons: [twin]), PatientCandidate(patientID: "SELF", comparisons: [other])])
        #expect(decision.outcome == .link)
        #expect(decision.patientID == "SELF")
    }
}
