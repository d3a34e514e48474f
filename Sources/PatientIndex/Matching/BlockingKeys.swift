/// Blocking: the keys under which a record is filed so that likely matches meet as candidates without
/// comparing every pair. Many keys per record, so one wrong field does not hide a match.
package enum BlockingKeys {
    /// The prefix of the name-only key (phonetic given + family), which gets a smaller block-size cap.
    package static let nameOnlyPrefix = "gf:"

    /// Many keys per record: identifier values; birth date + phonetic family (also with day and month
    /// swapped, and for every family part and former name); birth date + phonetic given root (finds
    /// married-name changes); phonetic given+family with birth year, in sorted order so swapped given and
    /// family names meet; phonetic given+family alone; phone; email; address (ZIP + house number); SSN;
    /// other national identifiers.
    package static func keys(for f: MatchFeatures) -> [String] {
        var keys: [String] = []
        func add(_ key: String) { if !keys.contains(key) { keys.append(key) } }
        for (authority, values) in f.identifiers.sorted(by: { $0.key < $1.key }) {
            for v in values { add("id:\(authority):\(v)") }
        }
        if let ssn = f.ssn { add("ssn:\(ssn)") }
        for (authority, values) in f.nationalIDs.sorted(by: { $0.key < $1.key }) {
            for v in values { add("nid:\(authority):\(v)") }
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
}
