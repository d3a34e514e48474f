import Clinical
@testable import PatientIndex

/// Builds a source record the way the HL7 v2 / FHIR mappers would.
func matchPatient(
    clinic: String = "MERCY GENERAL", mrn: String? = nil, mrnAuthority: String = "MGH", family: String?, given: [String],
    suffix: [String] = [], maiden: String? = nil, birth: String? = nil, sex: AdministrativeSex? = nil, ssn: String? = nil,
    phone: String? = nil, email: String? = nil, street: [String] = [], city: String? = nil, zip: String? = nil,
    multipleBirth: Bool? = nil, birthOrder: Int? = nil
) -> PatientRecord {
    var names = [PersonName(family: family, given: given, suffix: suffix)]
    if let maiden { names.append(PersonName(use: .maiden, family: maiden)) }
    var telecoms: [Telecom] = []
    if let phone { telecoms.append(Telecom(system: .phone, value: phone, use: "home")) }
    if let email { telecoms.append(Telecom(system: .email, value: email)) }
    let source = SourceSystem(facility: clinic, application: "EPIC")
    return PatientRecord(
        source: source,
        identifiers: mrn.map { [PatientIdentifier(value: $0, authority: AssigningAuthority(namespace: mrnAuthority), type: "MR")] } ?? [],
        names: names, birthDate: birth.flatMap { ClinicalTime.parseISO8601($0) }, sex: sex,
        addresses: street.isEmpty ? [] : [PostalAddress(use: "home", lines: street, city: city, state: "MA", postalCode: zip)],
        telecoms: telecoms, ssn: ssn, multipleBirth: multipleBirth, birthOrder: birthOrder,
        provenance: Provenance(source: source, format: .hl7v2, messageID: "MSG0001", position: "PID"))
}

func matchFeatures(_ record: PatientRecord) -> MatchFeatures { MatchNormalizer.features(of: record) }

/// Fixed name frequencies for term-frequency tests.
struct FixedNameFrequencies: NameFrequencies {
    var family: [String: Double] = [:]
    var given: [String: Double] = [:]
    func familyFrequency(_ name: String) -> Double? { family[name] }
    func givenFrequency(_ name: String) -> Double? { given[name] }
}
