import Foundation
import Clinical
import Synchronization

/// The configuration turned into lookups: which test a code is (LOINC, mapped local code, or the local
/// code itself), which retest rule covers it, and which tests an order code stands for.
struct TestCatalog: Sendable {
    /// Normalized `system|code` or `FACILITY|code` → LOINC.
    private let map: [String: String]
    /// Normalized rule code → index into ``rules``.
    private let ruleIndex: [String: Int]
    let rules: [RetestRule]
    /// Normalized order code → component LOINC codes.
    private let panels: [String: [String]]
    private let chronicPrefixes: [String]
    /// Which catalog this is (copies share it): answers remembered from one catalog are not another's.
    private final class Token: Sendable {}
    private let token = Token()
    var identity: ObjectIdentifier { ObjectIdentifier(token) }
    /// What this catalog says about each test code seen, by facility and codings (copies share it).
    private let memo = Memo()

    /// What the catalog says about one test code at one facility.
    struct Resolution: Sendable {
        /// ``loinc(for:facility:)``.
        let loinc: String?
        /// ``testKey(for:facility:)``.
        let testKey: String
        /// ``rule(for:facility:)``, as an index into ``rules``.
        let ruleIndex: Int?
    }

    /// Remembered resolutions. Every unification and every duplicate-test pass asks about every fact it
    /// sees, and answering normalizes each coding's key (string building, code-system canonicalization):
    /// a feed uses a few hundred test codes, so nearly every question has been asked before. Shared by
    /// the parsing workers and the writer; emptied when it reaches ``limit`` entries.
    private final class Memo: Sendable {
        let resolutions = Mutex<[String: Resolution]>([:])
        static let limit = 50_000
    }

    init(_ configuration: FactConfiguration) {
        var map: [String: String] = [:]
        for (key, loinc) in configuration.localCodeMap { map[Self.normalizeKey(key)] = loinc }
        self.map = map
        var ruleIndex: [String: Int] = [:]
        for (i, rule) in configuration.retestIntervals.enumerated() {
            for code in rule.codes where ruleIndex[Self.normalizeKey(code)] == nil { ruleIndex[Self.normalizeKey(code)] = i }
        }
        self.ruleIndex = ruleIndex
        self.rules = configuration.retestIntervals
        var panels: [String: [String]] = [:]
        for (key, components) in configuration.panelComponents { panels[Self.normalizeKey(key)] = components }
        self.panels = panels
        self.chronicPrefixes = configuration.chronicProblemCodes.map { $0.uppercased().replacingOccurrences(of: ".", with: "") }
    }

    /// Upper-cases a key and canonicalizes the system (or leaves a facility name) before the first `|`.
    static func normalizeKey(_ key: String) -> String {
        guard let bar = key.firstIndex(of: "|") else { return asciiTrimmedUpper(key) ?? key.trimmingWhitespace().uppercased() }
        let left = CodeSystem.canonical(String(key[..<bar]))
        let rest = key[key.index(after: bar)...]
        if let upperLeft = asciiTrimmedUpper(left[...], trim: false), let right = asciiTrimmedUpper(rest) {
            return upperLeft + "|" + right
        }
        return (left + "|" + String(rest).trimmingWhitespace()).uppercased()
    }

    /// `text` without surrounding spaces and tabs, upper-cased, when it is all ASCII (`nil` otherwise, for
    /// Foundation's Unicode rules). Keys are looked up once per fact on every refresh, and nearly all of
    /// them — LOINC codes, code-system URIs — are ASCII and already upper-case: those come back as they are.
    static func asciiTrimmedUpper(_ text: Substring, trim: Bool = true) -> String? {
        let utf8 = text.utf8
        var start = utf8.startIndex, end = utf8.endIndex
        if trim {
            while start < end, utf8[start] == 0x20 || utf8[start] == 0x09 { start = utf8.index(after: start) }
            while start < end, utf8[utf8.index(before: end)] == 0x20 || utf8[utf8.index(before: end)] == 0x09 { end = utf8.index(before: end) }
        }
        var needsUpper = false
        for byte in utf8[start..<end] {
            if byte >= 0x80 { return nil }
            if byte >= 0x61 && byte <= 0x7A { needsUpper = true }
        }
        let trimmed = utf8[start..<end]
        if !needsUpper { return String(Substring(trimmed)) }
        return String(decoding: trimmed.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
    }

    static func asciiTrimmedUpper(_ text: String) -> String? { asciiTrimmedUpper(text[...]) }

    /// The resolution of a test code at a facility, remembered (see ``Memo``).
    func resolution(for code: Code, facility: String) -> Resolution {
        let key = Self.memoKey(code, facility: facility)
        if let known = memo.resolutions.withLock({ $0[key] }) { return known }
        let resolution = resolve(code, facility: facility)
        memo.resolutions.withLock { table in
            if table.count >= Memo.limit { table.removeAll(keepingCapacity: true) }
            table[key] = resolution
        }
        return resolution
    }

    /// The facility and every coding's system and code: all a resolution depends on (not displays).
    static func memoKey(_ code: Code, facility: String) -> String {
        var key = facility
        func append(_ code: Code) {
            if let system = code.system { key += "\u{1F}S"; key += system } else { key += "\u{1F}N" }
            key += "\u{1E}"
            key += code.code
            for translation in code.translations { append(translation) }
        }
        append(code)
        return key
    }

    /// A resolution computed afresh (``resolution(for:facility:)`` remembers it).
    func resolve(_ code: Code, facility: String) -> Resolution {
        let loinc = computeLOINC(for: code, facility: facility)
        let testKey = loinc.map { "LN|" + (UnitNormalization.identityAlias[$0] ?? $0) } ?? Self.localKey(code, facility: facility)
        var rule: Int?
        if let loinc, let i = ruleIndex[Self.normalizeKey(loinc)] {
            rule = i
        } else {
            for coding in code.allCodings {
                if let system = coding.system, let i = ruleIndex[Self.normalizeKey(system + "|" + coding.code)] { rule = i; break }
                if let i = ruleIndex[Self.normalizeKey(facility + "|" + coding.code)] { rule = i; break }
            }
        }
        return Resolution(loinc: loinc, testKey: testKey, ruleIndex: rule)
    }

    /// The LOINC code of a test code: a LOINC coding, else the first coding the local code map knows
    /// (by `system|code`, then by `facility|code`).
    func loinc(for code: Code, facility: String) -> String? {
        resolution(for: code, facility: facility).loinc
    }

    private func computeLOINC(for code: Code, facility: String) -> String? {
        if let loinc = code.loinc { return loinc }
        for coding in code.allCodings {
            if let system = coding.system, let mapped = map[Self.normalizeKey(system + "|" + coding.code)] { return mapped }
            if let mapped = map[Self.normalizeKey(facility + "|" + coding.code)] { return mapped }
        }
        return nil
    }

    /// The key a test is compared by: `LN|<LOINC>` (with IFCC/NGSP HbA1c codes as one analyte), or for a
    /// code without LOINC the facility-qualified local code (local code systems collide across clinics).
    func testKey(for code: Code, facility: String) -> String {
        resolution(for: code, facility: facility).testKey
    }

    static func localKey(_ code: Code, facility: String) -> String {
        (facility + "|" + (code.system ?? "") + "|" + code.code).uppercased()
    }

    /// The retest rule for a test code.
    func rule(for code: Code, facility: String) -> RetestRule? {
        resolution(for: code, facility: facility).ruleIndex.map { rules[$0] }
    }

    /// The retest rule for a LOINC code.
    func rule(forLOINC loinc: String) -> RetestRule? {
        ruleIndex[Self.normalizeKey(loinc)].map { rules[$0] }
    }

    /// The LOINC codes an order code stands for: a panel's components, or the order's own LOINC.
    func orderedTests(for code: Code, facility: String) -> [String] {
        for coding in code.allCodings {
            if let system = coding.system, let components = panels[Self.normalizeKey(system + "|" + coding.code)] { return components }
            if coding.system == CodeSystem.loinc, let components = panels[Self.normalizeKey(coding.code)] { return components }
        }
        if let loinc = loinc(for: code, facility: facility) {
            return panels[Self.normalizeKey(loinc)] ?? [loinc]
        }
        return []
    }

    /// Whether a problem code is a chronic condition: an ICD-10/ICD-9 coding that starts with a listed
    /// prefix (dots ignored), or a SNOMED CT (or other) coding equal to a listed code.
    func isChronic(_ code: Code) -> Bool {
        for coding in code.allCodings {
            let value = coding.code.uppercased().replacingOccurrences(of: ".", with: "")
            if coding.system == CodeSystem.icd10cm || coding.system == CodeSystem.icd9cm {
                if chronicPrefixes.contains(where: { value.hasPrefix($0) }) { return true }
            } else if chronicPrefixes.contains(value) {
                return true
            }
        }
        return false
    }
}
