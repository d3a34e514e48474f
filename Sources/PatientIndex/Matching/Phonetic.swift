/// American Soundex (the US National Archives rules): first letter, then three digits; letters with the
/// same code separated only by H or W count once; vowels separate repeated codes.
package enum Soundex {
    /// The four-character code of a name (`Robert` → `R163`), or `""` when it has no letters.
    package static func code(_ name: String) -> String {
        let letters = Array(MatchText.letters(name).utf8)
        guard let first = letters.first else { return "" }
        var out: [UInt8] = [first]
        var last = digit(first)
        for c in letters.dropFirst() {
            let d = digit(c)
            if c == UInt8(ascii: "H") || c == UInt8(ascii: "W") { continue }
            if d == 0 { last = 0; continue }
            if d != last { out.append(48 + d) }
            last = d
            if out.count == 4 { break }
        }
        while out.count < 4 { out.append(48) }
        return String(decoding: out, as: UTF8.self)
    }

    private static func digit(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "B"), UInt8(ascii: "F"), UInt8(ascii: "P"), UInt8(ascii: "V"): return 1
        case UInt8(ascii: "C"), UInt8(ascii: "G"), UInt8(ascii: "J"), UInt8(ascii: "K"), UInt8(ascii: "Q"),
            UInt8(ascii: "S"), UInt8(ascii: "X"), UInt8(ascii: "Z"): return 2
        case UInt8(ascii: "D"), UInt8(ascii: "T"): return 3
        case UInt8(ascii: "L"): return 4
        case UInt8(ascii: "M"), UInt8(ascii: "N"): return 5
        case UInt8(ascii: "R"): return 6
        default: return 0
        }
    }
}

/// NYSIIS, the New York State Identification and Intelligence System phonetic code (Taft 1970), without
/// the optional six-character truncation: `Knight` → `NAGT`, `Brown` → `BRAON`, `Schmidt` → `SNAD`.
package enum NYSIIS {
    /// The code of a name, or `""` when it has no letters.
    package static func code(_ name: String) -> String {
        var s = Array(MatchText.letters(name).utf8)
        guard !s.isEmpty else { return "" }
        func has(prefix p: String) -> Bool { s.starts(with: p.utf8) }
        func has(suffix p: String) -> Bool { s.count >= p.utf8.count && s.suffix(p.utf8.count).elementsEqual(p.utf8) }
        func replacePrefix(_ count: Int, with r: String) { s.replaceSubrange(0..<count, with: Array(r.utf8)) }
        if has(prefix: "MAC") { replacePrefix(3, with: "MCC") }
        else if has(prefix: "KN") { replacePrefix(2, with: "NN") }
        else if has(prefix: "K") { replacePrefix(1, with: "C") }
        else if has(prefix: "PH") || has(prefix: "PF") { replacePrefix(2, with: "FF") }
        else if has(prefix: "SCH") { replacePrefix(3, with: "SSS") }
        if has(suffix: "EE") || has(suffix: "IE") { s.replaceSubrange((s.count - 2)..., with: [UInt8(ascii: "Y")]) }
        else if ["DT", "RT", "RD", "NT", "ND"].contains(where: { has(suffix: $0) }) {
            s.replaceSubrange((s.count - 2)..., with: [UInt8(ascii: "D")])
        }
        func vowel(_ c: UInt8) -> Bool {
            switch c {
            case UInt8(ascii: "A"), UInt8(ascii: "E"), UInt8(ascii: "I"), UInt8(ascii: "O"), UInt8(ascii: "U"): true
            default: false
            }
        }
        var key: [UInt8] = [s[0]]
        key.reserveCapacity(s.count + 1)
        var i = 1
        while i < s.count {
            let c = s[i]
            let next: UInt8? = i + 1 < s.count ? s[i + 1] : nil
            // The replacement of this letter: one byte, or two (`second` is 0 when there is none).
            var first = c, second: UInt8 = 0
            if c == UInt8(ascii: "E"), next == UInt8(ascii: "V") {
                first = UInt8(ascii: "A"); second = UInt8(ascii: "F"); i += 1
            } else if vowel(c) {
                first = UInt8(ascii: "A")
            } else {
                switch c {
                case UInt8(ascii: "Q"): first = UInt8(ascii: "G")
                case UInt8(ascii: "Z"): first = UInt8(ascii: "S")
                case UInt8(ascii: "M"): first = UInt8(ascii: "N")
                case UInt8(ascii: "K"): first = next == UInt8(ascii: "N") ? UInt8(ascii: "N") : UInt8(ascii: "C")
                case UInt8(ascii: "S") where i + 2 < s.count && s[i + 1] == UInt8(ascii: "C") && s[i + 2] == UInt8(ascii: "H"):
                    first = UInt8(ascii: "S"); second = UInt8(ascii: "S"); i += 2
                case UInt8(ascii: "P") where next == UInt8(ascii: "H"):
                    first = UInt8(ascii: "F"); i += 1
                case UInt8(ascii: "H") where !vowel(s[i - 1]) || next.map { !vowel($0) } ?? true:
                    first = vowel(s[i - 1]) ? UInt8(ascii: "A") : s[i - 1]
                case UInt8(ascii: "W") where vowel(s[i - 1]):
                    first = s[i - 1]
                default: break
                }
            }
            if (second != 0 ? second : first) != key.last {
                key.append(first)
                if second != 0 { key.append(second) }
            }
            i += 1
        }
        if key.count > 1, key.last == UInt8(ascii: "S") { key.removeLast() }
        if key.count > 2, key.suffix(2).elementsEqual("AY".utf8) { key.removeLast(2); key.append(UInt8(ascii: "Y")) }
        if key.count > 1, key.last == UInt8(ascii: "A") { key.removeLast() }
        return String(decoding: key, as: UTF8.self)
    }
}
