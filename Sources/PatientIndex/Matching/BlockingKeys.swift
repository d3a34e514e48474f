/// Blocking: the keys under which a record is filed so that likely matches meet as candidates without
/// comparing every pair. Many keys per record, so one wrong field does not hide a match.
package enum BlockingKeys {
    /// The prefix of the name-only key (phonetic given + family), which gets a smaller block-size cap.
    package static let nameOnlyPrefix = "gf:"
    /// Separates a record's keys where they are stored with it (`source_records.block_keys`); no key holds it.
    package static let separator: UInt8 = 0x1F

    /// Many keys per record: identifier values; SSN and other national identifiers, also with each
    /// window of three digits masked (``typoKeys(_:)``) so that one typo away they still meet; birth date
    /// + phonetic family (also with day and month swapped, and for every family part and former name);
    /// birth date + phonetic given root (finds married-name changes); birth date + phonetic given name
    /// under the family key, so that given and family names typed into each other's fields meet even when
    /// one of them has a typo; phonetic given+family with birth year, in sorted order so swapped given and
    /// family names meet; phonetic given+family alone; phone; email; address (ZIP + house number).
    package static func keys(for f: MatchFeatures) -> [String] {
        var keys: [String] = []
        func add(_ raw: String) {
            // Identifier values are sent as they are; a control character in one must not split the stored list.
            let key = raw.utf8.contains(separator) ? String(decoding: raw.utf8.map { $0 == separator ? UInt8(ascii: "?") : $0 }, as: UTF8.self) : raw
            if !keys.contains(key) { keys.append(key) }
        }
        for (authority, values) in f.identifiers.sorted(by: { $0.key < $1.key }) {
            for v in values { add("id:\(authority):\(v)") }
        }
        if let ssn = f.ssn {
            add("ssn:\(ssn)")
            for masked in typoKeys(ssn) { add("ssnt:\(masked)") }
        }
        for (authority, values) in f.nationalIDs.sorted(by: { $0.key < $1.key }) {
            for v in values {
                add("nid:\(authority):\(v)")
                for masked in typoKeys(v) { add("nidt:\(authority):\(masked)") }
            }
        }
        var families: [String] = []
        for name in [f.family].compactMap({ $0 }) + f.familyParts + f.formerFamilies {
            let code = NYSIIS.code(name)
            if !code.isEmpty, !families.contains(code) { families.append(code) }
        }
        if let birth = f.birthDate {
            for code in families {
                add("df:\(birth.compact):\(code)")
                if let swapped = birth.dayMonthSwapped { add("df:\(swapped.compact):\(code)") }
            }
            if let root = f.givenRoot {
                add("dg:\(birth.compact):\(NYSIIS.code(root))")
            }
            // The given name filed as if it were the family name: a record with the two exchanged files its
            // family name (our given name) here, so they meet when only the other name has a typo.
            if let given = f.givenNYSIIS { add("df:\(birth.compact):\(given)") }
        }
        if let g = f.givenRoot.map(NYSIIS.code), !g.isEmpty, let fam = f.familyNYSIIS {
            let pair = g < fam ? "\(g)|\(fam)" : "\(fam)|\(g)"
            if let birth = f.birthDate { add("gfy:\(pair):\(birth.year)") }
            add("\(nameOnlyPrefix)\(pair)")
        }
        for p in f.phones { add("ph:\(p)") }
        for e in f.emails { add("em:\(e)") }
        for a in f.addresses {
            if let number = a.number, let zip = a.zip { add("ad:\(zip):\(number)") }
        }
        return keys
    }

    /// The identifier with each window of three characters (starting every second character) replaced by
    /// `_`: `536228841` → `___228841`, `53___8841`, `5362___41`, `536228___`. Two values one substitution
    /// or one exchange of adjacent characters apart (the `typo` level of ``FieldComparators/idLevel(_:_:)``)
    /// differ only inside one window, so they share that key; any other pair shares one only when it
    /// differs in at most three adjacent characters. Four keys for an SSN where deleting each digit in turn
    /// would take nine, and each keeps six digits, so a block holds few strangers. No keys for values
    /// shorter than four characters.
    package static func typoKeys(_ value: String) -> [String] {
        let chars = Array(value.utf8)
        guard chars.count >= 4 else { return [] }
        var keys: [String] = []
        var start = 0
        while true {
            let end = min(start + 3, chars.count)
            var masked = chars
            for i in start..<end { masked[i] = UInt8(ascii: "_") }
            keys.append(String(decoding: masked, as: UTF8.self))
            if end >= chars.count { break }
            start += 2
        }
        return keys
    }

    /// A record's keys as stored with it (`source_records.block_keys`).
    package static func stored(_ keys: [String]) -> String {
        keys.joined(separator: String(decoding: [separator], as: UTF8.self))
    }

    /// The keys of a `source_records.block_keys` value.
    package static func parse(stored: String) -> [String] {
        stored.utf8.split(separator: separator).map { String(decoding: $0, as: UTF8.self) }
    }
}
