import Clinical

/// The comparison level each field reaches for a pair of records, before weights: the part of scoring
/// that both ``MatchModel/compare(_:_:frequencies:)`` and EM training (``MatchTrainer``) share.
package enum FieldComparators {
    /// Fields in the order they are compared and explained.
    package static let fields = ["identifier", "ssn", "nationalID", "family", "given", "middleInitial", "suffix", "birthDate", "sex", "phone", "email", "address"]

    package static let missing = "missing"
    package static let different = "different"

    /// Levels of every field for a pair, in ``fields`` order.
    package static func levels(_ a: MatchFeatures, _ b: MatchFeatures) -> [(field: String, level: String)] {
        var (family, given) = (familyLevel(a, b), givenLevel(a, b))
        if swappedNames(a, b), family != "exact" {
            family = "swapped"
            given = "swapped"
        }
        return [
            ("identifier", identifierLevel(a.identifiers, b.identifiers).level),
            ("ssn", idLevel(a.ssn.map { [$0] } ?? [], b.ssn.map { [$0] } ?? [])),
            ("nationalID", nationalLevel(a, b)),
            ("family", family),
            ("given", given),
            ("middleInitial", middleLevel(a, b)),
            ("suffix", equalityLevel(a.suffix, b.suffix)),
            ("birthDate", birthLevel(a, b)),
            ("sex", equalityLevel(a.sex, b.sex)),
            ("phone", phoneLevel(a.phones, b.phones)),
            ("email", listLevel(a.emails, b.emails)),
            ("address", addressLevel(a.addresses, b.addresses)),
        ]
    }

    // MARK: Names

    package static func familyLevel(_ a: MatchFeatures, _ b: MatchFeatures) -> String {
        guard let fa = a.family, let fb = b.family else { return missing }
        if fa == fb { return "exact" }
        if b.formerFamilies.contains(fa) || a.formerFamilies.contains(fb) || a.formerFamilies.contains(where: b.formerFamilies.contains) {
            return "formerName"
        }
        let partsA = a.familyParts.isEmpty ? [fa] : a.familyParts + [fa]
        let partsB = b.familyParts.isEmpty ? [fb] : b.familyParts + [fb]
        if (a.familyParts.count > 1 || b.familyParts.count > 1), partsA.contains(where: partsB.contains) { return "partial" }
        if let level = similarityLevel(fa, fb) { return level }
        if a.familyNYSIIS == b.familyNYSIIS || a.familySoundex == b.familySoundex { return "phonetic" }
        return different
    }

    package static func givenLevel(_ a: MatchFeatures, _ b: MatchFeatures) -> String {
        guard let ga = a.given, let gb = b.given else { return missing }
        if ga == gb { return "exact" }
        if ga.count == 1 || gb.count == 1 { return ga.first == gb.first ? "initial" : different }
        if a.givenRoots.contains(where: b.givenRoots.contains) { return "nickname" }
        if let level = similarityLevel(ga, gb) { return level }
        if a.givenNYSIIS == b.givenNYSIIS || a.givenSoundex == b.givenSoundex { return "phonetic" }
        if a.givenNames.dropFirst().contains(gb) || b.givenNames.dropFirst().contains(ga) { return "otherGiven" }
        return different
    }

    private static func similarityLevel(_ a: String, _ b: String) -> String? {
        let s = JaroWinkler.similarity(a, b)
        if s >= 0.94 { return "jw≥0.94" }
        if s >= 0.88 { return "jw≥0.88" }
        return nil
    }

    /// Given and family exchanged (`SMITH, JOHN` entered as given `SMITH`, family `JOHN`): one name equal
    /// across the fields, the other close (Jaro–Winkler ≥ 0.88, a nickname, or two adjacent letters
    /// exchanged, which Jaro–Winkler underrates on short names: `SAM`/`SMA` scores 0.56). The whole given
    /// name counts as well as its first word, because a family name of several words typed into the given
    /// field splits into given names (`DE LA CRUZ` → `DE`, `LA`, `CRUZ`; compared as `DELACRUZ`).
    private static func swappedNames(_ a: MatchFeatures, _ b: MatchFeatures) -> Bool {
        guard let fa = a.family, let fb = b.family else { return false }
        func close(_ x: String, _ y: String) -> Bool {
            x == y || JaroWinkler.similarity(x, y) >= 0.88 || Nicknames.areNicknames(x, y) || isTransposition(Array(x.utf8), Array(y.utf8))
        }
        for ga in givenForms(a) where ga != fa {
            for gb in givenForms(b) where gb != fb && (ga == fb || fa == gb) {
                if close(ga, fb) && close(fa, gb) { return true }
            }
        }
        return false
    }

    /// The first given name, and all given names joined when there are several.
    private static func givenForms(_ f: MatchFeatures) -> [String] {
        guard let given = f.given else { return [] }
        return f.givenNames.count > 1 ? [given, f.givenNames.joined()] : [given]
    }

    private static func middleLevel(_ a: MatchFeatures, _ b: MatchFeatures) -> String {
        guard let ma = a.middleInitial, let mb = b.middleInitial else { return missing }
        return ma == mb ? "exact" : different
    }

    // MARK: Dates

    /// The level of the two birth dates (below); when one record sent a birth date that
    /// is no calendar date (``MatchFeatures/unreadableBirthDigits``), `oneDigit` if its digits are one
    /// substitution or one exchange of adjacent digits from the other record's full date (`19450493` and
    /// `19450403`), else `missing`: an unreadable date neither agrees exactly nor conflicts.
    package static func birthLevel(_ a: MatchFeatures, _ b: MatchFeatures) -> String {
        if a.birthDate != nil, b.birthDate != nil { return birthLevel(a.birthDate, b.birthDate) }
        for (sent, other) in [(a.unreadableBirthDigits, b.birthDate), (b.unreadableBirthDigits, a.birthDate)] {
            if let sent, let other, other.day != nil, isTypo(Array(sent.utf8), other.compactDigits) { return "oneDigit" }
        }
        return missing
    }

    /// `exact`, `transposed` (day and month exchanged), `oneDigit` (one digit of `YYYYMMDD` wrong, two
    /// adjacent digits exchanged, or the year off by one), `yearOnly` (only the year agrees, or one side
    /// gave no more than the year), `different` or `missing`.
    package static func birthLevel(_ a: MatchDate?, _ b: MatchDate?) -> String {
        guard let a, let b else { return missing }
        guard a.day != nil, b.day != nil else {
            // Compare at the precision both share: agreement there is partial evidence only.
            if a.year != b.year { return different }
            if let ma = a.month, let mb = b.month, ma != mb { return different }
            return "yearOnly"
        }
        if a == b { return "exact" }
        if a.dayMonthSwapped == b { return "transposed" }
        if isTypo(a.compactDigits, b.compactDigits) || (abs(a.year - b.year) == 1 && a.month == b.month && a.day == b.day) {
            return "oneDigit"
        }
        if a.year == b.year { return "yearOnly" }
        return different
    }

    // MARK: Identifiers and contacts

    /// Level of record keys: `exact` when a shared authority has a shared value, `different` (with the
    /// authority) when a shared authority has none, `missing` when no authority is shared.
    package static func identifierLevel(_ a: [String: [String]], _ b: [String: [String]]) -> (level: String, conflicting: [String]) {
        var conflicting: [String] = []
        var agreed = false
        for (authority, values) in a {
            guard let other = b[authority] else { continue }
            if values.contains(where: other.contains) { agreed = true } else { conflicting.append(authority) }
        }
        if agreed { return ("exact", []) }
        return conflicting.isEmpty ? (missing, []) : (different, conflicting.sorted())
    }

    private static func nationalLevel(_ a: MatchFeatures, _ b: MatchFeatures) -> String {
        var best = missing
        for (authority, values) in a.nationalIDs {
            guard let other = b.nationalIDs[authority] else { continue }
            let level = idLevel(values, other)
            if rank(level) > rank(best) { best = level }
        }
        return best
    }

    private static func rank(_ level: String) -> Int {
        switch level {
        case "exact": return 3
        case "typo": return 2
        case different: return 1
        default: return 0
        }
    }

    /// `exact`, `typo` (one substituted digit or two adjacent digits exchanged), `different` or `missing`.
    package static func idLevel(_ a: [String], _ b: [String]) -> String {
        guard !a.isEmpty, !b.isEmpty else { return missing }
        if a.contains(where: b.contains) { return "exact" }
        for x in a {
            for y in b where isTypo(Array(x.utf8), Array(y.utf8)) { return "typo" }
        }
        return different
    }

    /// One substituted character or two adjacent characters exchanged (same length).
    static func isTypo(_ x: [UInt8], _ y: [UInt8]) -> Bool {
        guard x.count == y.count else { return false }
        let diffs = (0..<x.count).filter { x[$0] != y[$0] }
        if diffs.count == 1 { return true }
        return isTransposition(x, y)
    }

    /// Exactly two adjacent characters exchanged.
    static func isTransposition(_ x: [UInt8], _ y: [UInt8]) -> Bool {
        guard x.count == y.count else { return false }
        let diffs = (0..<x.count).filter { x[$0] != y[$0] }
        return diffs.count == 2 && diffs[1] == diffs[0] + 1 && x[diffs[0]] == y[diffs[1]] && x[diffs[1]] == y[diffs[0]]
    }

    private static func equalityLevel<T: Equatable>(_ a: T?, _ b: T?) -> String {
        guard let a, let b else { return missing }
        return a == b ? "exact" : different
    }

    private static func listLevel(_ a: [String], _ b: [String]) -> String {
        guard !a.isEmpty, !b.isEmpty else { return missing }
        return a.contains(where: b.contains) ? "exact" : different
    }

    private static func phoneLevel(_ a: [String], _ b: [String]) -> String {
        guard !a.isEmpty, !b.isEmpty else { return missing }
        for x in a {
            for y in b where x == y || (min(x.count, y.count) == 7 && x.suffix(7) == y.suffix(7)) { return "exact" }
        }
        return different
    }

    /// `exact` (number, street, unit and ZIP agree), `sameStreet` (number agrees, street names close),
    /// `sameArea` (ZIP, or city and state when a ZIP is missing), `different` or `missing`. With the house
    /// number and street agreeing, a ZIP one digit off (substituted, or two adjacent digits exchanged)
    /// still agrees: the same number on the same street in a neighbouring ZIP is far rarer than a typo.
    package static func addressLevel(_ a: [StandardAddress], _ b: [StandardAddress]) -> String {
        guard !a.isEmpty, !b.isEmpty else { return missing }
        var best = 0
        for x in a {
            for y in b {
                if let nx = x.number, nx == y.number, let sx = x.street, let sy = y.street {
                    let zipAgrees: Bool
                    if let zx = x.zip, let zy = y.zip { zipAgrees = zx == zy || isTypo(Array(zx.utf8), Array(zy.utf8)) } else { zipAgrees = true }
                    let unitAgrees = x.unit == nil || y.unit == nil || x.unit == y.unit
                    if sx == sy, zipAgrees, unitAgrees { return "exact" }
                    if zipAgrees, JaroWinkler.similarity(sx, sy) >= 0.88 { best = max(best, 2) }
                }
                if let zx = x.zip, zx == y.zip { best = max(best, 1) }
                else if x.zip == nil || y.zip == nil, let cx = x.city, cx == y.city, x.state == y.state { best = max(best, 1) }
            }
        }
        return best == 2 ? "sameStreet" : best == 1 ? "sameArea" : different
    }
}
