import Clinical
import Testing
@testable import PatientIndex

@Suite("Birth dates sent that are no calendar date")
struct UnreadableBirthDateTests {
    let model = MatchModel.standard

    func patient(_ given: String, family: String = "Browne", birth: String? = nil, sent: String? = nil) -> PatientRecord {
        var record = matchPatient(family: family, given: [given], birth: birth, street: ["12 Lott Pl"], zip: "02118")
        if let sent { record.birthDateAsSent = sent }
        return record
    }

    @Test("The digits of an unreadable birth date are kept for matching", arguments: [
        ("19450493", "19450493" as String?), ("1945-04-93", "19450493"), ("19450493000000", "19450493"),
        ("194504", nil), ("18500231", nil), ("unknown", nil), ("", nil),
    ])
    func digitsKept(sent: String, digits: String?) {
        let f = matchFeatures(patient("Kira", sent: sent))
        #expect(f.birthDate == nil)
        #expect(f.unreadableBirthDigits == digits)
    }

    @Test("A record whose birth date was read keeps no unreadable form")
    func readDateKeepsNoRawForm() {
        let record = PatientRecord(source: SourceSystem(facility: "X"), birthDate: ClinicalTime(year: 1945, month: 4, day: 3),
                                   birthDateAsSent: "19450403", provenance: Provenance(source: SourceSystem(facility: "X"), format: .hl7v2))
        #expect(record.birthDateAsSent == nil)
        #expect(matchFeatures(record).unreadableBirthDigits == nil)
    }

    @Test("An unreadable birth date one digit from the other record's date agrees by one digit and confirms it")
    func oneDigitFromUnreadable() {
        let a = matchFeatures(patient("Kira", birth: "1943-04-07"))
        let b = matchFeatures(patient("Kira", sent: "19403407"))
        let c = model.compare(a, b, frequencies: nil)
        #expect(c.level(of: "birthDate") == "oneDigit")
        #expect(model.compare(b, a, frequencies: nil).level(of: "birthDate") == "oneDigit")
        #expect(c.blockers == [])
        let decision = model.decide([PatientCandidate(patientID: "E1", comparisons: [c])])
        #expect(decision.outcome == .link)
        #expect(decision.patientID == "E1")
    }

    @Test("An unreadable birth date far from the other date is missing: a father and son of one name stay under review")
    func farFromUnreadableIsMissing() {
        let father = matchFeatures(patient("Michael", family: "Brennan", birth: "1962-07-30"))
        let son = matchFeatures(patient("Michael", family: "Brennan", sent: "19900231"))
        let c = model.compare(father, son, frequencies: nil)
        #expect(c.level(of: "birthDate") == "missing")
        let decision = model.decide([PatientCandidate(patientID: "E1", comparisons: [c])])
        #expect(decision.outcome == .review)
        #expect(decision.reasons == ["birth date not confirmed"])
    }

    @Test("Two unreadable birth dates are not compared")
    func twoUnreadable() {
        let c = model.compare(matchFeatures(patient("Kira", sent: "19403407")), matchFeatures(patient("Kira", sent: "19403407")), frequencies: nil)
        #expect(c.level(of: "birthDate") == "missing")
    }
}
