import Clinical
import Foundation

/// Finds repeated tests inside their minimum retest interval, and orders for tests resulted inside it,
/// among the unified facts of one enterprise patient.
///
/// Re-transmissions never appear here: they are one unified fact. Withdrawn facts are ignored. Each
/// later test is compared with the latest earlier test of the same rule (so three HbA1c a month apart
/// give two flags, not three).
struct DuplicateTestRules: Sendable {
    let catalog: TestCatalog
    let flagSameFacility: Bool

    private struct TimedResult {
        var group: UnifiedGroup
        var time: ClinicalTime
        var instant: Date
        var facility: String
        /// The test's LOINC (directly or through the local code map), when it has one.
        var loinc: String?
        var placerOrderNumber: String?
        var fillerOrderNumber: String?
    }

    /// One flag before it is written out: the two groups and what the rule says of them. Building the
    /// flag itself (``flag(_:enterpriseID:)``) is left to the caller, which needs it only for flags whose
    /// row has to be written.
    struct Pair {
        var kind: DuplicateTestFlag.Kind
        var earlier: UnifiedGroup
        var later: UnifiedGroup
        var rule: RetestRule
        var loinc: String?
        var intervalDays: Int
        var daysApart: Double
        var id: String
    }

    func flags(enterpriseID: String, groups: [UnifiedGroup]) -> [DuplicateTestFlag] {
        pairs(groups).map { flag($0, enterpriseID: enterpriseID) }.sorted(by: Self.flagOrder)
    }

    /// The order flags are reported in: by the later test's time, then id.
    static func flagOrder(_ a: DuplicateTestFlag, _ b: DuplicateTestFlag) -> Bool {
        (a.later.time?.instant ?? .distantPast, a.id) < (b.later.time?.instant ?? .distantPast, b.id)
    }

    /// The flag a pair stands for.
    func flag(_ pair: Pair, enterpriseID: String) -> DuplicateTestFlag {
        DuplicateTestFlag(
            id: pair.id, enterpriseID: enterpriseID, kind: pair.kind, test: Self.testCode(pair.rule, loinc: pair.loinc),
            intervalDays: pair.intervalDays, daysApart: pair.daysApart, earlier: flagged(pair.earlier), later: flagged(pair.later))
    }

    func pairs(_ groups: [UnifiedGroup]) -> [Pair] {
        var byRule: [String: [TimedResult]] = [:]
        var rules: [String: RetestRule] = [:]
        // `group.features.kind` first: reading `group.body` copies the whole fact.
        for group in groups where group.features.kind == .result && group.state != "withdrawn" {
            guard let memo = retestMemo(group), let rule = memo.rule, !rule.isExempt, let name = rule.codes.first else { continue }
            if rules[name] == nil { rules[name] = rule }
            byRule[name, default: []].append(TimedResult(
                group: group, time: memo.time, instant: memo.instant, facility: memo.facilityKey, loinc: memo.loinc,
                placerOrderNumber: memo.placerOrderNumber, fillerOrderNumber: memo.fillerOrderNumber))
        }
        var pairs: [Pair] = []
        for (name, results) in byRule {
            guard let rule = rules[name], let interval = rule.minimumIntervalDays else { continue }
            let sorted = results.sorted { $0.instant == $1.instant ? $0.group.firstID < $1.group.firstID : $0.instant < $1.instant }
            for i in sorted.indices.dropFirst() {
                let earlier = sorted[i - 1], later = sorted[i]
                let days = Self.daysApart(earlier.time, later.time)
                guard days < Double(interval), flagSameFacility || earlier.facility != later.facility else { continue }
                pairs.append(Pair(
                    kind: .repeatedResult, earlier: earlier.group, later: later.group, rule: rule, loinc: later.loinc,
                    intervalDays: interval, daysApart: days, id: Self.flagID(.repeatedResult, earlier.group, later.group)))
            }
        }
        // Orders for a test resulted inside its interval.
        for group in groups where group.features.kind == .order && group.state != "withdrawn" {
            guard case .order(let order) = group.body, let orderTime = order.orderedAt ?? order.scheduledFor,
                  let provenance = group.provenances.first
            else { continue }
            let facility = provenance.source.key
            for loinc in catalog.orderedTests(for: order.code, facility: provenance.source.facility) {
                guard let rule = catalog.rule(forLOINC: loinc), let interval = rule.minimumIntervalDays,
                      let name = rule.codes.first, let results = byRule[name]
                else { continue }
                let orderInstant = orderTime.instant
                let prior = results.filter { r in
                    r.instant <= orderInstant
                        && Self.daysApart(r.time, orderTime) < Double(interval)
                        && (flagSameFacility || r.facility != facility)
                        && !fulfils(r, order, facility: facility)
                }
                guard let latest = prior.max(by: { $0.instant < $1.instant }) else { continue }
                pairs.append(Pair(
                    kind: .avoidableOrder, earlier: latest.group, later: group, rule: rule, loinc: latest.loinc, intervalDays: interval,
                    daysApart: Self.daysApart(latest.time, orderTime), id: Self.flagID(.avoidableOrder, latest.group, group)))
                break
            }
        }
        return pairs
    }

    /// Whether the result is this order's own result (same clinic and order number).
    private func fulfils(_ result: TimedResult, _ order: Order, facility: String) -> Bool {
        guard result.facility == facility else { return false }
        if let placer = order.placerOrderNumber, placer == result.placerOrderNumber { return true }
        if let filler = order.fillerOrderNumber, filler == result.fillerOrderNumber { return true }
        return false
    }

    /// The retest rule, LOINC, time and clinic of a result group (nil without a time or a clinic). The
    /// catalog lookup normalizes codes and was the bulk of a flag computation, which runs over every group
    /// of a patient at each refresh; a group keeps the answer until its version changes.
    private func retestMemo(_ group: UnifiedGroup) -> RetestMemo? {
        if let memo = group.retestMemo, memo.catalog == catalog.identity { return memo }
        guard case .result(let o) = group.body, let time = o.effectiveTime ?? o.issued, let source = group.provenances.first?.source else { return nil }
        let resolution = catalog.resolution(for: o.code, facility: source.facility)
        let memo = RetestMemo(
            catalog: catalog.identity, rule: resolution.ruleIndex.map { catalog.rules[$0] },
            loinc: resolution.loinc, facilityKey: source.key, time: time, instant: time.instant,
            placerOrderNumber: o.placerOrderNumber, fillerOrderNumber: o.fillerOrderNumber)
        group.retestMemo = memo
        return memo
    }

    /// ``flagID(_:_:_:)`` of two groups, remembered by the later one.
    private static func flagID(_ kind: DuplicateTestFlag.Kind, _ earlier: UnifiedGroup, _ later: UnifiedGroup) -> String {
        if let memo = later.flagIDMemo, memo.kind == kind, memo.earlier == earlier.firstID { return memo.id }
        let id = flagID(kind, earlier.id, later.id)
        later.flagIDMemo = (kind, earlier.firstID, id)
        return id
    }


    private func flagged(_ group: UnifiedGroup) -> FlaggedTest {
        let provenance = group.provenances.first ?? Provenance(source: SourceSystem(facility: ""), format: .hl7v2)
        var value: String?
        if case .result(let o) = group.body {
            value = o.value.map { v in
                guard case .quantity(let q) = v else { return v.description }
                let number = q.text ?? (q.value == q.value.rounded() && abs(q.value) < 1e15 ? String(Int64(q.value)) : String(q.value))
                return (q.comparator ?? "") + number + ((q.unit ?? o.unit).map { " " + $0 } ?? "")
            }
        }
        return FlaggedTest(factID: group.id, code: group.body.code ?? Code(system: nil, code: ""), time: group.body.time, value: value, provenance: provenance)
    }

    /// Days between two tests as clinicians count them: whole calendar days between the dates the sources
    /// stated (so a repeat 90 dates later is not inside a 90-day interval whatever the hours), or exact
    /// days when either time is less precise than a day.
    static func daysApart(_ earlier: ClinicalTime, _ later: ClinicalTime) -> Double {
        if let a = earlier.date, let b = later.date { return a.days(until: b) }
        return earlier.days(until: later)
    }

    /// The flagged test: the LOINC the (later) result was reported under when the rule lists it, else the
    /// rule's first code; named by the rule.
    static func testCode(_ rule: RetestRule, loinc: String?) -> Code {
        let code = loinc.flatMap { l in rule.codes.contains(l) ? l : nil } ?? rule.codes.first ?? ""
        return Code(system: code.contains("|") ? nil : CodeSystem.loinc, code: code, display: rule.name)
    }

    /// A stable id from the kind and the two fact ids, so a refresh finds the same flag again.
    static func flagID(_ kind: DuplicateTestFlag.Kind, _ earlier: String, _ later: String) -> String {
        // FNV-1a 64 over `kind|earlier|later`, fed part by part (no concatenated string).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func feed(_ part: String.UTF8View) {
            for byte in part {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        feed(kind.rawValue.utf8); feed("|".utf8); feed(earlier.utf8); feed("|".utf8); feed(later.utf8)
        let hex = String(hash, radix: 16)
        return "DT-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
