import CCDA
import Clinical
import Foundation
import Testing

/// Loads fixtures from `Fixtures/` (declared with `.copy("Fixtures")`).
enum Fixture {
    static func bytes(_ path: String) throws -> [UInt8] {
        let base = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return [UInt8](try Data(contentsOf: base.appendingPathComponent(path)))
    }

    static func read(_ path: String) throws -> CCDADocument {
        try CCDAReader.read(bytes(path))
    }
}

/// Time literals for expectations, one per precision (fields as the source stated them).
func yearOnly(_ y: Int) -> ClinicalTime? { ClinicalTime(year: y, precision: .year) }
func ym(_ y: Int, _ m: Int) -> ClinicalTime? { ClinicalTime(year: y, month: m, precision: .month) }
func ymd(_ y: Int, _ m: Int, _ d: Int) -> ClinicalTime? { ClinicalTime(year: y, month: m, day: d) }
func ymdhm(_ y: Int, _ m: Int, _ d: Int, _ h: Int, _ mi: Int, offset: Int? = nil) -> ClinicalTime? {
    ClinicalTime(year: y, month: m, day: d, hour: h, minute: mi, precision: .minute, offsetMinutes: offset)
}
func ymdhms(_ y: Int, _ m: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int, nanosecond: Int? = nil, offset: Int? = nil) -> ClinicalTime? {
    ClinicalTime(year: y, month: m, day: d, hour: h, minute: mi, second: s, nanosecond: nanosecond ?? 0,
                 precision: nanosecond == nil ? .second : .fraction, offsetMinutes: offset)
}

extension CCDADocument {
    /// The facts' bodies, in document order.
    var bodies: [FactBody] { submission.facts.map(\.body) }
    var observations: [Observation] { bodies.compactMap { if case .result(let o) = $0 { return o } else { return nil } } }
    var problems: [Problem] { bodies.compactMap { if case .problem(let p) = $0 { return p } else { return nil } } }
    var medications: [Medication] { bodies.compactMap { if case .medication(let m) = $0 { return m } else { return nil } } }
    var allergies: [Allergy] { bodies.compactMap { if case .allergy(let a) = $0 { return a } else { return nil } } }
    var immunizations: [Immunization] { bodies.compactMap { if case .immunization(let i) = $0 { return i } else { return nil } } }
    var encounters: [Encounter] { bodies.compactMap { if case .encounter(let e) = $0 { return e } else { return nil } } }
    var procedures: [Procedure] { bodies.compactMap { if case .procedure(let p) = $0 { return p } else { return nil } } }
    var positions: [String] { submission.facts.compactMap(\.provenance.position) }
}

let loinc = CodeSystem.loinc
let snomed = CodeSystem.snomed
