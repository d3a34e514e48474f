import Clinical
import Foundation

/// Result values brought to one unit per analyte, so that `5.55 mmol/L` from a FHIR bundle and
/// `100 mg/dL` from an ORU are recognized as the same glucose result.
///
/// Conversion factors are the molar masses in common use: glucose 18.016 (mg/dL per mmol/L), cholesterol
/// 38.67, triglycerides 88.57, creatinine 88.4 (µmol/L per mg/dL); HbA1c by the IFCC–NGSP master equation
/// NGSP % = IFCC mmol/mol / 10.929 + 2.15.
enum UnitNormalization {
    enum Analyte { case glucose, cholesterol, triglycerides, creatinine, hba1c }

    static let analyteByLOINC: [String: Analyte] = [
        "2345-7": .glucose, "2339-0": .glucose, "41653-7": .glucose, "1558-6": .glucose, "2341-6": .glucose,
        "2093-3": .cholesterol, "2085-9": .cholesterol, "13457-7": .cholesterol, "18262-6": .cholesterol, "2089-1": .cholesterol,
        "2571-8": .triglycerides,
        "2160-0": .creatinine, "38483-4": .creatinine,
        "4548-4": .hba1c, "17856-6": .hba1c, "4549-2": .hba1c, "59261-8": .hba1c,
    ]

    /// LOINC codes that are the same analyte for identity (the IFCC HbA1c code and the method-specific
    /// NGSP codes are reported for one specimen under either).
    static let identityAlias: [String: String] = ["59261-8": "4548-4", "17856-6": "4548-4", "4549-2": "4548-4"]

    /// A unit spelled the canonical way: lower case, no spaces, UCUM annotations (`{…}`) dropped, micro
    /// signs as `u` (`µmol/L`, `μmol/l`, `umol/L` and `mcmol/L` are one unit), `percent` as `%`.
    static func normalizeUnit(_ unit: String?) -> String? {
        guard let unit else { return nil }
        var out = ""
        var depth = 0
        for scalar in unit.unicodeScalars {
            switch scalar {
            case "{": depth += 1
            case "}": depth = max(0, depth - 1)
            case " ", "\t": continue
            case "\u{00B5}", "\u{03BC}": if depth == 0 { out.append("u") }
            default: if depth == 0 { out.unicodeScalars.append(scalar) }
            }
        }
        out = out.lowercased()
        if out.hasPrefix("mcmol") { out = "umol" + out.dropFirst(5) }
        if out.hasPrefix("mcg") { out = "ug" + out.dropFirst(3) }
        if out == "percent" || out.hasPrefix("%") { out = "%" }
        if out == "mg/100ml" { out = "mg/dl" }
        return out.isEmpty ? nil : out
    }

    /// The value in the analyte's canonical unit (mg/dL, or % for HbA1c), or `nil` when the unit is not one
    /// the analyte is reported in.
    static func canonicalValue(_ value: Double, unit: String, analyte: Analyte) -> Double? {
        switch (analyte, unit) {
        case (.glucose, "mg/dl"), (.cholesterol, "mg/dl"), (.triglycerides, "mg/dl"), (.creatinine, "mg/dl"), (.hba1c, "%"):
            return value
        case (.glucose, "mmol/l"): return value * 18.016
        case (.cholesterol, "mmol/l"): return value * 38.67
        case (.triglycerides, "mmol/l"): return value * 88.57
        case (.creatinine, "umol/l"): return value / 88.4
        case (.hba1c, "mmol/mol"): return value / 10.929 + 2.15
        default: return nil
        }
    }
}

/// A result value reduced to what identity compares.
enum ComparableResultValue: Hashable {
    /// A number with its normalized unit; `converted` when the unit was changed to the analyte's canonical
    /// one (rounding in the source then allows a small relative difference).
    case number(value: Double, unit: String?, comparator: String?, converted: Bool)
    case text(String)
    case codes(Set<String>)
    case other(String)

    init(_ value: ObservationValue, unit fallbackUnit: String?, loinc: String?) {
        switch value {
        case .quantity(let q):
            let unit = UnitNormalization.normalizeUnit(q.unit ?? fallbackUnit)
            if let loinc, let analyte = UnitNormalization.analyteByLOINC[loinc], let unit,
               let canonical = UnitNormalization.canonicalValue(q.value, unit: unit, analyte: analyte) {
                let canonicalUnit = analyte == .hba1c ? "%" : "mg/dl"
                self = .number(value: canonical, unit: canonicalUnit, comparator: q.comparator, converted: canonicalUnit != unit)
            } else {
                self = .number(value: q.value, unit: unit, comparator: q.comparator, converted: false)
            }
        case .text(let t):
            self = .text(t.trimmingWhitespace(newlines: true).lowercased())
        case .coded(let c):
            self = .codes(Set(c.allCodings.filter { $0.system != nil }.map(\.key) + [c.label.lowercased()]))
        default:
            self = .other(value.description.lowercased().replacingOccurrences(of: " ", with: ""))
        }
    }

    /// Whether two values are the same result: numbers equal in one unit (within 1.5 % when one was
    /// converted, for the source's rounding), texts equal ignoring case, codes sharing a coding.
    func sameResult(as other: ComparableResultValue) -> Bool {
        switch (self, other) {
        case let (.number(a, ua, ca, xa), .number(b, ub, cb, xb)):
            guard ca == cb else { return false }
            if let ua, let ub, ua != ub { return false }
            if xa || xb {
                let scale = max(abs(a), abs(b))
                return scale == 0 || abs(a - b) <= 0.015 * scale
            }
            return abs(a - b) <= 1e-9 * max(1, max(abs(a), abs(b)))
        case let (.text(a), .text(b)): return a == b
        case let (.codes(a), .codes(b)): return !a.isDisjoint(with: b)
        case let (.other(a), .other(b)): return a == b
        case let (.text(a), .codes(b)), let (.codes(b), .text(a)): return b.contains(a)
        default: return false
        }
    }
}
