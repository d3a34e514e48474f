import Clinical

/// A postal address reduced to what identifies a dwelling: house number, standardized street name
/// (USPS Publication 28 suffix and direction abbreviations), unit, city, state and the 5-digit ZIP.
package struct StandardAddress: Sendable, Codable, Hashable {
    package var number: String?
    /// Street name with standardized suffix and directions: `N MAIN ST`.
    package var street: String?
    /// Unit designator value (`Apt 4B`, `# 4B`, `Suite 4B` → `4B`).
    package var unit: String?
    package var city: String?
    package var state: String?
    /// First five digits of the postal code (a 4-digit code stays 4 digits).
    package var zip: String?

    package init(number: String? = nil, street: String? = nil, unit: String? = nil, city: String? = nil, state: String? = nil, zip: String? = nil) {
        self.number = number
        self.street = street
        self.unit = unit
        self.city = city
        self.state = state
        self.zip = zip
    }

    /// `123|N MAIN ST|4B|02139` — number, street, unit and ZIP, the parts that compare two dwellings.
    package var key: String { [number ?? "", street ?? "", unit ?? "", zip ?? ""].joined(separator: "|") }

    package var isEmpty: Bool { number == nil && street == nil && zip == nil && city == nil }
}

/// Address standardization after USPS Publication 28: `123 North Main Street, Apt. #4B` and
/// `123 N Main St #4b` become the same ``StandardAddress``.
package enum AddressStandardizer {
    private static let suffixes: [String: String] = [
        "STREET": "ST", "STR": "ST", "ST": "ST", "AVENUE": "AVE", "AV": "AVE", "AVE": "AVE", "AVEN": "AVE",
        "ROAD": "RD", "RD": "RD", "DRIVE": "DR", "DR": "DR", "DRV": "DR", "LANE": "LN", "LN": "LN",
        "BOULEVARD": "BLVD", "BLVD": "BLVD", "BOUL": "BLVD", "COURT": "CT", "CT": "CT", "PLACE": "PL", "PL": "PL",
        "TERRACE": "TER", "TER": "TER", "TERR": "TER", "CIRCLE": "CIR", "CIR": "CIR", "HIGHWAY": "HWY", "HWY": "HWY",
        "PARKWAY": "PKWY", "PKWY": "PKWY", "SQUARE": "SQ", "SQ": "SQ", "TRAIL": "TRL", "TRL": "TRL", "WAY": "WAY",
        "CRESCENT": "CRES", "CRES": "CRES", "PLAZA": "PLZ", "PLZ": "PLZ", "EXPRESSWAY": "EXPY", "POINT": "PT",
        "ALLEY": "ALY", "CLOSE": "CL", "CRT": "CT", "HTS": "HTS", "HEIGHTS": "HTS", "RIDGE": "RDG", "RUN": "RUN",
        "PIKE": "PIKE", "LOOP": "LOOP", "ROW": "ROW", "PASS": "PASS", "CROSSING": "XING", "GROVE": "GRV",
    ]
    private static let directions: [String: String] = [
        "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "N": "N", "S": "S", "E": "E", "W": "W",
        "NORTHEAST": "NE", "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW", "NE": "NE", "NW": "NW", "SE": "SE", "SW": "SW",
    ]
    private static let unitDesignators: Set<String> = [
        "APT", "APARTMENT", "UNIT", "STE", "SUITE", "RM", "ROOM", "FL", "FLOOR", "BLDG", "BUILDING", "LOT", "SPC", "SPACE", "NO", "TRLR",
    ]

    /// The standardized form of an address.
    package static func standardize(_ address: PostalAddress) -> StandardAddress {
        var result = StandardAddress()
        var streetTokens: [String] = []
        for (index, line) in address.lines.enumerated() {
            // `#` becomes its own token before folding drops it as punctuation (Foundation's replacing is
            // slow on Linux even with nothing to replace: asked only when there is a `#`).
            let marked = line.utf8.contains(UInt8(ascii: "#")) ? line.replacingOccurrences(of: "#", with: " APT ") : line
            let tokens = MatchText.tokens(marked)
            guard !tokens.isEmpty else { continue }
            var i = 0
            var lineStreet: [String] = []
            var lineHasNumber = false
            while i < tokens.count {
                let token = tokens[i]
                if unitDesignators.contains(token) {
                    if i + 1 < tokens.count, result.unit == nil {
                        let value = tokens[i + 1]
                        result.unit = unitDesignators.contains(value) && i + 2 < tokens.count ? tokens[i + 2] : value
                    }
                    break
                }
                if i == 0, result.number == nil, lineStreet.isEmpty, token.first?.isNumber == true {
                    result.number = token
                    lineHasNumber = true
                } else {
                    lineStreet.append(token)
                }
                i += 1
            }
            // A second line holds the unit or a building name; only the first line that has a street counts.
            if streetTokens.isEmpty, !lineStreet.isEmpty, index == 0 || lineHasNumber {
                streetTokens = lineStreet
            }
        }
        if !streetTokens.isEmpty {
            var out: [String] = []
            for (i, token) in streetTokens.enumerated() {
                if let d = directions[token], streetTokens.count > 1 { out.append(d); continue }
                if i == streetTokens.count - 1 || (i == streetTokens.count - 2 && directions[streetTokens[i + 1]] != nil), i > 0, let s = suffixes[token] {
                    out.append(s)
                    continue
                }
                out.append(token)
            }
            result.street = out.joined(separator: " ")
        }
        if let city = address.city { result.city = MatchText.fold(city).nilIfBlank }
        if let state = address.state { result.state = MatchText.fold(state).nilIfBlank }
        if let code = address.postalCode {
            let digits = MatchText.digits(code)
            result.zip = digits.isEmpty ? MatchText.fold(code).nilIfBlank : String(digits.prefix(5))
        }
        return result
    }
}

/// Telephone numbers to comparable digits.
package enum PhoneNormalizer {
    /// The last ten digits of a North American number (`+1 (617) 555-0147` → `6175550147`), a bare
    /// seven-digit local number as is, or `nil` for fewer than seven digits and placeholders
    /// (`000…`, one repeated digit, `1234567890`, `555-555-5555`).
    package static func normalize(_ text: String) -> String? {
        var digits = MatchText.digits(text)
        // Drop an extension written after `x` / `ext`.
        if let x = text.lowercased().firstIndex(where: { $0 == "x" }) {
            digits = MatchText.digits(String(text[..<x]))
        }
        if digits.count > 10 { digits = String(digits.suffix(10)) }
        guard digits.count == 10 || digits.count == 7 else { return nil }
        if isPlaceholder(digits) { return nil }
        return digits
    }

    /// Whether a digit string is a known filler rather than a number.
    package static func isPlaceholder(_ digits: String) -> Bool {
        if Set(digits).count == 1 { return true }
        if ["1234567890", "0123456789", "5555555555", "1231231234", "9999999999", "1234567", "5555555"].contains(digits) { return true }
        let local = digits.suffix(7)
        return local == "0000000" || local == "5555555"
    }
}

/// US Social Security Number validity (SSA rules since 2011 randomization): area not 000, 666 or
/// 900–999; group not 00; serial not 0000; and not a known placeholder or advertising number.
package enum SSNRules {
    /// Numbers clerks type when the real one is unknown, and numbers SSA voided after they were printed in ads.
    package static let placeholders: Set<String> = [
        "123456789", "111111111", "222222222", "333333333", "444444444", "555555555", "777777777",
        "888888888", "987654321", "078051120", "219099999", "012345678", "999999999", "000000000", "123121234",
    ]

    /// The nine digits of a valid SSN, or `nil`.
    package static func normalize(_ text: String) -> String? {
        let digits = MatchText.digits(text)
        return isValid(digits) ? digits : nil
    }

    /// Whether nine digits form an SSN that can have been issued.
    package static func isValid(_ digits: String) -> Bool {
        let d = Array(digits.utf8)
        guard d.count == 9, d.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
        if placeholders.contains(digits) { return false }
        let area = String(decoding: d[0..<3], as: UTF8.self)
        let group = String(decoding: d[3..<5], as: UTF8.self)
        let serial = String(decoding: d[5..<9], as: UTF8.self)
        if area == "000" || area == "666" || d[0] == UInt8(ascii: "9") { return false }
        return group != "00" && serial != "0000"
    }
}

/// E-mail addresses for comparison.
package enum EmailNormalizer {
    private static let placeholderLocals: Set<String> = ["none", "noemail", "no", "na", "unknown", "declined", "test", "noreply", "donotreply", "nomail", "refused"]

    /// Trimmed and lower-cased (`mailto:` removed), or `nil` when not an address or a placeholder (`none@none.com`).
    package static func normalize(_ text: String) -> String? {
        var value = text.trimmingWhitespace(newlines: true).lowercased()
        if value.hasPrefix("mailto:") { value.removeFirst(7) }
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].utf8.contains(UInt8(ascii: ".")) else { return nil }
        if placeholderLocals.contains(String(parts[0])) { return nil }
        return value
    }
}
