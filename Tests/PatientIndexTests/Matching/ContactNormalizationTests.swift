import Clinical
import Testing
@testable import PatientIndex

@Suite("Address, phone, SSN and e-mail normalization")
struct ContactNormalizationTests {
    @Test("Street suffixes, directions and unit designators are standardized", arguments: [
        (["123 North Main Street, Apt. #4B"], StandardAddress(number: "123", street: "N MAIN ST", unit: "4B")),
        (["123 N Main St #4b"], StandardAddress(number: "123", street: "N MAIN ST", unit: "4B")),
        (["123 N. Main St.", "Apartment 4B"], StandardAddress(number: "123", street: "N MAIN ST", unit: "4B")),
        (["4500 Sunset Boulevard West"], StandardAddress(number: "4500", street: "SUNSET BLVD W")),
        (["77 Massachusetts Avenue", "Suite 200"], StandardAddress(number: "77", street: "MASSACHUSETTS AVE", unit: "200")),
        (["9 Wattle Crescent", "Rosedale Farm"], StandardAddress(number: "9", street: "WATTLE CRES")),
    ])
    func address(lines: [String], expected: StandardAddress) {
        #expect(AddressStandardizer.standardize(PostalAddress(lines: lines)) == expected)
    }

    @Test("City, state and ZIP+4 are reduced to comparable values")
    func addressLocality() {
        let a = AddressStandardizer.standardize(PostalAddress(lines: ["1 Kendall Sq"], city: "Cambridge", state: "ma", postalCode: "02139-4307"))
        #expect(a == StandardAddress(number: "1", street: "KENDALL SQ", city: "CAMBRIDGE", state: "MA", zip: "02139"))
        #expect(a.key == "1|KENDALL SQ||02139")
    }

    @Test("Address levels: a ZIP one digit off agrees only when number and street do", arguments: [
        ("123 Main St", "02139", "123 Main Street", "02139", "exact"),
        ("123 Main St", "02139", "123 Main St", "02193", "exact"),
        ("123 Main St", "02139", "123 Main St", "02138", "exact"),
        ("123 Main St", "02139", "123 Mian St", "02193", "sameStreet"),
        ("123 Main St", "02139", "123 Main St", "02941", "different"),
        ("123 Main St", "02139", "125 Main St", "02138", "different"),
        ("123 Main St", "02139", "125 Main St", "02139", "sameArea"),
    ])
    func addressLevels(streetA: String, zipA: String, streetB: String, zipB: String, level: String) {
        let a = AddressStandardizer.standardize(PostalAddress(lines: [streetA], postalCode: zipA))
        let b = AddressStandardizer.standardize(PostalAddress(lines: [streetB], postalCode: zipB))
        #expect(FieldComparators.addressLevel([a], [b]) == level)
    }

    @Test("Phone numbers become their last ten digits", arguments: [
        ("(617) 555-0147", "6175550147"), ("+1 617 555 0147", "6175550147"), ("617.555.0147 x22", "6175550147"),
        ("1-617-555-0147", "6175550147"), ("555-0147", "5550147"),
    ])
    func phone(text: String, digits: String) {
        #expect(PhoneNormalizer.normalize(text) == digits)
    }

    @Test("Placeholder and short phone numbers are dropped", arguments: ["000-000-0000", "555-555-5555", "1234567890", "999-999-9999", "12345", ""])
    func phonePlaceholder(text: String) {
        #expect(PhoneNormalizer.normalize(text) == nil)
    }

    @Test("Valid SSNs keep their nine digits", arguments: [("536-22-8841", "536228841"), ("123 45 6788", "123456788"), ("665-01-0001", "665010001")])
    func ssnValid(text: String, digits: String) {
        #expect(SSNRules.normalize(text) == digits)
    }

    @Test("SSNs that cannot have been issued are rejected", arguments: [
        "000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "123-45-6789", "078-05-1120",
        "999-99-9999", "111-11-1111", "12345678", "1234567890",
    ])
    func ssnInvalid(text: String) {
        #expect(SSNRules.normalize(text) == nil)
    }

    @Test("E-mail addresses are lower-cased; placeholders dropped", arguments: [
        (" John.Smith@Example.COM ", "john.smith@example.com" as String?), ("mailto:a@b.org", "a@b.org"),
        ("none@none.com", nil), ("noemail@hospital.org", nil), ("not-an-email", nil), ("a@localhost", nil),
    ])
    func email(text: String, expected: String?) {
        #expect(EmailNormalizer.normalize(text) == expected)
    }
}
