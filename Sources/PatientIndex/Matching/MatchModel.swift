import Clinical
import Foundation

// Entry points of matching: `MatchNormalizer.features(of:)` → `BlockingKeys.keys(for:)` →
// `MatchModel.compare(_:_:frequencies:)` → `MatchModel.decide(_:)`; `MatchTrainer.train` re-estimates m/u.

/// Term frequencies of normalized family and given names in the index (for TF adjustment).
package protocol NameFrequencies: Sendable {
    /// Share of records with this family name, `nil` when unknown.
    func familyFrequency(_ normalizedFamily: String) -> Double?
    /// Share of records with this first given name, `nil` when unknown.
    func givenFrequency(_ normalizedGiven: String) -> Double?
}

/// The scored comparison of two records: each field's level and weight, the total log2 odds, and the
/// hard rules that forbid linking them automatically.
package struct PairComparison: Sendable, Hashable, Codable {
    package var comparisons: [FieldComparison]
    package var total: Double
    /// Hard conflicts that forbid an automatic link: "sex conflict", "different identifier from <authority>",
    /// "twins (multiple birth, different given name)", "generational suffix conflict (JR/SR)", "different SSN", …
    package var blockers: [String]
    /// True when the pair may never auto-link because a deciding field was a placeholder.
    package var placeholderInvolved: Bool

    package init(comparisons: [FieldComparison], total: Double, blockers: [String], placeholderInvolved: Bool) {
        self.comparisons = comparisons
        self.total = total
        self.blockers = blockers
        self.placeholderInvolved = placeholderInvolved
    }

    /// Blockers that say the two records are different people (valid SSNs that differ, a Jr/Sr conflict,
    /// flagged twins, a household member with another given name and birth date), as opposed to
    /// cautionary ones (a second MRN from one authority, a birth-date conflict alone, inferred twins) that
    /// a steward should look at.
    package var definitiveBlockers: [String] { blockers.filter(MatchModel.isDefinitive(blocker:)) }

    /// The level a field reached, `nil` when the field was not compared.
    package func level(of field: String) -> String? { comparisons.first { $0.field == field }?.level }
}

/// m and u probabilities of one comparison level: weight = log2(m/u).
package struct LevelParameters: Sendable, Codable, Hashable {
    package var level: String
    /// P(level | records are the same person).
    package var m: Double
    /// P(level | records are different people).
    package var u: Double

    package init(_ level: String, m: Double, u: Double) {
        self.level = level
        self.m = m
        self.u = u
    }

    /// log2(m/u), bounded to ±24 bits so that no single field decides alone.
    package var weight: Double { max(-24, min(24, log2(max(m, 1e-12) / max(u, 1e-12)))) }
}

/// The levels of one field, strongest agreement first.
package struct FieldParameters: Sendable, Codable, Hashable {
    package var field: String
    package var levels: [LevelParameters]

    package init(_ field: String, _ levels: [LevelParameters]) {
        self.field = field
        self.levels = levels
    }
}

/// What to do with an incoming record, decided per enterprise patient.
package struct MatchDecision: Sendable, Hashable {
    package enum Outcome: String, Sendable, Hashable, Codable { case link, review, newPatient }
    package var outcome: Outcome
    /// The enterprise patient linked to, or the best one under review.
    package var patientID: String?
    /// Enterprise patients a steward should look at (best first), for `review`.
    package var reviewCandidates: [String]
    /// The comparison with the best member of the chosen patient.
    package var best: PairComparison?
    /// Why the record was not linked automatically (blockers, margin, threshold).
    package var reasons: [String]
}

/// Candidate evidence for one enterprise patient: the incoming record compared with each member record.
package struct PatientCandidate: Sendable, Hashable {
    package var patientID: String
    package var comparisons: [PairComparison]

    package init(patientID: String, comparisons: [PairComparison]) {
        self.patientID = patientID
        self.comparisons = comparisons
    }

    /// The member comparison with the highest total.
    package var best: PairComparison? { comparisons.max { $0.total < $1.total } }
    /// The blockers of the best member, plus the hard conflicts (sex, an identifier of one authority,
    /// flagged twins, Jr/Sr, SSN) any other member raises: one contradicting record forbids an automatic
    /// link. Inferred conflicts of other members (a birth date far off) do not, since FEBRL-style
    /// corrupted member records would otherwise veto every later match.
    package var blockers: [String] {
        guard let best else { return [] }
        var all = best.blockers
        for c in comparisons where c != best {
            for b in c.blockers where MatchModel.isClusterWide(blocker: b) && !all.contains(b) { all.append(b) }
        }
        return all
    }
}

/// A Fellegi–Sunter model: m/u per field and level, thresholds, the runner-up margin and hard rules.
package struct MatchModel: Sendable, Codable, Hashable {
    package var version: String
    /// Auto-link at or above.
    package var upperThreshold: Double
    /// Review between lower and upper; new patient below.
    package var lowerThreshold: Double
    /// Best must beat the runner-up by this much to auto-link.
    package var margin: Double
    package var fields: [FieldParameters]
    /// Bounds of the term-frequency adjustment, in bits.
    package var tfAdjustmentRange: ClosedRange<Double>
    /// Most bits phone, e-mail and address may add together: they describe a household, not a person,
    /// and are far from independent of each other and of the family name.
    package var householdEvidenceCap: Double
    /// Auto-link only when the birth dates agree (exactly, transposed or by one digit) or an SSN, other
    /// identifier or e-mail agrees: name and address alone describe a household as well as a person.
    package var requireConfirmedBirthDate: Bool
    /// The index size (source records) the thresholds were tuned at. Above it both thresholds rise by
    /// log2(size / reference), at most ``maxPopulationAdjustment`` bits: the prior odds that an incoming
    /// record is a given indexed person fall as 1/size, while name and birth-date weights do not change
    /// (term frequencies are shares of the population). Without it a common name with a birth date one
    /// digit off clears a fixed upper threshold against some stranger more and more often as the index
    /// grows, and a fixed lower threshold sends ever more strangers with a common name to review.
    /// `nil` (models stored before this existed) uses ``defaultReferencePopulation``.
    package var referencePopulation: Int?
    package static let defaultReferencePopulation = 10_000
    package static let maxPopulationAdjustment = 8.0

    package init(version: String, upperThreshold: Double, lowerThreshold: Double, margin: Double, fields: [FieldParameters], tfAdjustmentRange: ClosedRange<Double> = -4...3, householdEvidenceCap: Double = 14, requireConfirmedBirthDate: Bool = true, referencePopulation: Int? = nil) {
        self.version = version
        self.upperThreshold = upperThreshold
        self.lowerThreshold = lowerThreshold
        self.margin = margin
        self.fields = fields
        self.tfAdjustmentRange = tfAdjustmentRange
        self.householdEvidenceCap = householdEvidenceCap
        self.requireConfirmedBirthDate = requireConfirmedBirthDate
        self.referencePopulation = referencePopulation
    }

    /// This model with its thresholds raised for an index of `population` source records (see
    /// ``referencePopulation``); unchanged at or below the reference size.
    package func scaled(toPopulation population: Int) -> MatchModel {
        let reference = Double(max(1, referencePopulation ?? Self.defaultReferencePopulation))
        guard Double(population) > reference else { return self }
        let bits = min(Self.maxPopulationAdjustment, log2(Double(population) / reference))
        var scaled = self
        scaled.upperThreshold += bits
        scaled.lowerThreshold += bits
        return scaled
    }

    /// Sensible defaults, tuned on the generated multi-clinic population (`bench/gen_population.py`).
    package static let standard = MatchModel(
        version: "fs-1", upperThreshold: 16, lowerThreshold: 10, margin: 4,
        fields: [
            FieldParameters("identifier", [.init("exact", m: 0.999, u: 1e-7), .init("different", m: 0.001, u: 0.9999999)]),
            FieldParameters("ssn", [.init("exact", m: 0.97, u: 1e-6), .init("typo", m: 0.02, u: 1e-5), .init("different", m: 0.01, u: 0.999989)]),
            FieldParameters("nationalID", [.init("exact", m: 0.9, u: 1e-5), .init("typo", m: 0.06, u: 1e-4), .init("different", m: 0.04, u: 0.99989)]),
            FieldParameters("family", [
                .init("exact", m: 0.86, u: 0.003), .init("formerName", m: 0.03, u: 0.0005), .init("partial", m: 0.02, u: 0.0005),
                .init("jw≥0.94", m: 0.035, u: 0.0015), .init("jw≥0.88", m: 0.02, u: 0.004), .init("phonetic", m: 0.01, u: 0.006),
                .init("swapped", m: 0.005, u: 0.00002), .init("different", m: 0.02, u: 0.985),
            ]),
            FieldParameters("given", [
                .init("exact", m: 0.83, u: 0.01), .init("nickname", m: 0.04, u: 0.003), .init("jw≥0.94", m: 0.035, u: 0.002),
                .init("jw≥0.88", m: 0.02, u: 0.006), .init("phonetic", m: 0.01, u: 0.006), .init("initial", m: 0.02, u: 0.01),
                .init("otherGiven", m: 0.005, u: 0.002), .init("swapped", m: 0.005, u: 0.00002), .init("different", m: 0.035, u: 0.96),
            ]),
            FieldParameters("middleInitial", [.init("exact", m: 0.9, u: 0.08), .init("different", m: 0.1, u: 0.92)]),
            FieldParameters("suffix", [.init("exact", m: 0.95, u: 0.5), .init("different", m: 0.05, u: 0.5)]),
            FieldParameters("birthDate", [
                .init("exact", m: 0.9, u: 0.00006), .init("transposed", m: 0.012, u: 0.00006), .init("oneDigit", m: 0.04, u: 0.0012),
                .init("yearOnly", m: 0.02, u: 0.012), .init("different", m: 0.028, u: 0.9866),
            ]),
            FieldParameters("sex", [.init("exact", m: 0.985, u: 0.5), .init("different", m: 0.015, u: 0.5)]),
            FieldParameters("phone", [.init("exact", m: 0.65, u: 0.0005), .init("different", m: 0.35, u: 0.9995)]),
            FieldParameters("email", [.init("exact", m: 0.7, u: 0.0001), .init("different", m: 0.3, u: 0.9999)]),
            FieldParameters("address", [
                .init("exact", m: 0.6, u: 0.0003), .init("sameStreet", m: 0.08, u: 0.0004), .init("sameArea", m: 0.12, u: 0.02),
                .init("different", m: 0.2, u: 0.9793),
            ]),
        ])

    /// m/u of a field's level, `nil` for `missing` and unknown levels (weight 0).
    package func parameters(field: String, level: String) -> LevelParameters? {
        fields.first { $0.field == field }?.levels.first { $0.level == level }
    }

    /// The weight of a field's level (0 for missing or unknown levels).
    package func weight(field: String, level: String) -> Double {
        parameters(field: field, level: level)?.weight ?? 0
    }

    /// Scores a pair: each field's level and weight (with term-frequency adjustment of exact name
    /// agreement), the total, the blockers and whether a placeholder was involved.
    package func compare(_ a: MatchFeatures, _ b: MatchFeatures, frequencies: (any NameFrequencies)?) -> PairComparison {
        let levels = FieldComparators.levels(a, b)
        var comparisons: [FieldComparison] = []
        comparisons.reserveCapacity(levels.count)
        var total = 0.0
        var household = 0.0
        for (field, level) in levels {
            var w = weight(field: field, level: level)
            if level == "exact", let frequencies, let p = parameters(field: field, level: level) {
                var tf: Double?
                if field == "family", let name = a.family { tf = frequencies.familyFrequency(name) }
                if field == "given", let name = a.given { tf = frequencies.givenFrequency(name) }
                if let tf, tf > 0 {
                    let adjustment = min(tfAdjustmentRange.upperBound, max(tfAdjustmentRange.lowerBound, log2(p.u / tf)))
                    w += adjustment
                }
            }
            if w > 0, field == "phone" || field == "email" || field == "address" { household += w }
            total += w
            comparisons.append(FieldComparison(field: field, level: level, weight: (w * 1000).rounded() / 1000))
        }
        if household > householdEvidenceCap {
            let cut = householdEvidenceCap - household
            total += cut
            comparisons.append(FieldComparison(field: "household", level: "capped", weight: (cut * 1000).rounded() / 1000))
        }
        let blockers = Self.blockers(a, b, levels: levels)
        return PairComparison(comparisons: comparisons, total: total, blockers: blockers,
                              placeholderInvolved: a.hasDecidingPlaceholder || b.hasDecidingPlaceholder)
    }

    /// The hard rules: conflicts that a high score must never override.
    static func blockers(_ a: MatchFeatures, _ b: MatchFeatures, levels: [(field: String, level: String)]) -> [String] {
        var blockers: [String] = []
        func level(_ field: String) -> String { levels.first { $0.field == field }?.level ?? FieldComparators.missing }
        let given = level("given")
        if level("sex") == FieldComparators.different {
            // A wrong sex alone is a clerical error a steward can see; with another given name it is another person.
            blockers.append("sex conflict")
            if [FieldComparators.different, "otherGiven", "phonetic"].contains(given) { blockers.append("different sex and given name") }
        }
        for authority in FieldComparators.identifierLevel(a.identifiers, b.identifiers).conflicting {
            blockers.append("different identifier from \(authority)")
        }
        if level("ssn") == FieldComparators.different { blockers.append("different SSN") }
        if level("suffix") == FieldComparators.different {
            blockers.append("generational suffix conflict (\(a.suffix ?? "")/\(b.suffix ?? ""))")
        }
        let givenDiffers = given == FieldComparators.different || given == "otherGiven" || given == "phonetic" || given == "jw≥0.88"
        // Twins, fathers and sons never share an SSN or national id: when one agrees exactly, differing
        // given names or birth dates are errors or changes, not another person.
        let vouched = ["exact", "typo"].contains(level("ssn")) || ["exact", "typo"].contains(level("nationalID"))
        if vouched {
            // No twin or given-name rule: the identifier outweighs them.
        } else if (a.multipleBirth == true || b.multipleBirth == true), givenDiffers {
            blockers.append(given == FieldComparators.different
                ? "twins (multiple birth, different given name)" : "possible twins (multiple birth, similar given name)")
        } else if let oa = a.birthOrder, let ob = b.birthOrder, oa != ob {
            blockers.append("twins (different birth order)")
        } else if level("birthDate") == "exact", [FieldComparators.different, "phonetic", "otherGiven"].contains(given),
            ["exact", "partial", "formerName", "jw≥0.94", "jw≥0.88"].contains(level("family"))
        {
            blockers.append("possible twins (same birth date and family, different given name)")
        } else if given == FieldComparators.different, level("birthDate") != FieldComparators.different {
            blockers.append("given name conflict")
        }
        if level("birthDate") == FieldComparators.different, a.birthDate?.day != nil, b.birthDate?.day != nil {
            if vouched {
                if given == FieldComparators.different { blockers.append("birth date conflict") }
            } else if given == FieldComparators.different {
                blockers.append("different given name and birth date")
            } else if let ya = a.birthDate?.year, let yb = b.birthDate?.year, abs(ya - yb) >= 12 {
                blockers.append("generational (same name, birth years \(abs(ya - yb)) apart)")
            } else {
                blockers.append("birth date conflict")
            }
        }
        return blockers
    }

    /// Whether the birth dates agree (exactly, transposed or by one digit) or something personal vouches
    /// instead: an exact SSN, national id, record key or e-mail address, or an SSN / national id one typo
    /// away with both names agreeing.
    static func birthDateConfirmed(_ c: PairComparison) -> Bool {
        if ["exact", "transposed", "oneDigit"].contains(c.level(of: "birthDate") ?? "") { return true }
        if ["ssn", "nationalID", "identifier", "email"].contains(where: { c.level(of: $0) == "exact" }) { return true }
        let namesAgree = ["exact", "nickname", "jw≥0.94", "swapped"].contains(c.level(of: "family") ?? "")
            && ["exact", "nickname", "jw≥0.94", "swapped"].contains(c.level(of: "given") ?? "")
        return namesAgree && (c.level(of: "ssn") == "typo" || c.level(of: "nationalID") == "typo")
    }

    private static let definitivePrefixes = [
        "different SSN", "generational suffix conflict", "generational (", "twins (", "different given name and birth date",
        "different sex and given name",
    ]

    private static let clusterWidePrefixes = [
        "sex conflict", "different identifier from", "twins (", "generational suffix conflict", "different SSN",
    ]

    /// Whether a blocker raised by any member of an enterprise patient forbids linking to it.
    package static func isClusterWide(blocker: String) -> Bool {
        clusterWidePrefixes.contains { blocker.hasPrefix($0) }
    }

    /// Whether a blocker says the records are different people (see ``PairComparison/definitiveBlockers``).
    package static func isDefinitive(blocker: String) -> Bool {
        definitivePrefixes.contains { blocker.hasPrefix($0) }
    }

    /// FHIR match grade of a total: certain at or above the upper threshold, probable between the
    /// thresholds, possible up to 6 bits below the lower one, certainly-not below that.
    package func grade(for total: Double) -> MatchGrade {
        if total >= upperThreshold { return .certain }
        if total >= lowerThreshold { return .probable }
        if total >= lowerThreshold - 6 { return .possible }
        return .certainlyNot
    }

    /// The decision for an incoming record given its candidates grouped by enterprise patient.
    ///
    /// A patient whose best-matching member raises a definitive blocker is not a candidate at all.
    /// Auto-link only when the best remaining patient clears the upper threshold, beats the runner-up by
    /// ``margin``, no member record raises a blocker and no deciding field was a placeholder. An uncertain
    /// or (cautiously) blocked candidate at or above the lower threshold goes to review; otherwise a new patient.
    package func decide(_ candidates: [PatientCandidate]) -> MatchDecision {
        var scored: [(candidate: PatientCandidate, best: PairComparison)] = []
        for candidate in candidates {
            guard let best = candidate.best, best.definitiveBlockers.isEmpty else { continue }
            scored.append((candidate, best))
        }
        scored.sort { lhs, rhs in
            lhs.best.total != rhs.best.total ? lhs.best.total > rhs.best.total : lhs.candidate.patientID < rhs.candidate.patientID
        }
        guard let top = scored.first, top.best.total >= lowerThreshold else {
            return MatchDecision(outcome: .newPatient, patientID: nil, reviewCandidates: [], best: scored.first?.best,
                                 reasons: scored.isEmpty ? [] : ["below lower threshold"])
        }
        let reviewable = scored.filter { $0.best.total >= lowerThreshold }.map { $0.candidate.patientID }
        var reasons: [String] = []
        if top.best.total < upperThreshold { reasons.append("below upper threshold") }
        reasons.append(contentsOf: top.candidate.blockers)
        if top.candidate.comparisons.contains(where: { $0.placeholderInvolved }) { reasons.append("placeholder value involved") }
        if requireConfirmedBirthDate, !Self.birthDateConfirmed(top.best) { reasons.append("birth date not confirmed") }
        if scored.count > 1, top.best.total - scored[1].best.total < margin, scored[1].best.total >= lowerThreshold {
            reasons.append("runner-up within margin")
        }
        if reasons.isEmpty {
            return MatchDecision(outcome: .link, patientID: top.candidate.patientID, reviewCandidates: [], best: top.best, reasons: [])
        }
        return MatchDecision(outcome: .review, patientID: top.candidate.patientID, reviewCandidates: reviewable, best: top.best, reasons: reasons)
    }
}
