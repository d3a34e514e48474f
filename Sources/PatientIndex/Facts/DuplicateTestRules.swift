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
        var observation: Observation
        var time: ClinicalTime
        var facility: String
        /// The test's LOINC (directly or through the local code map), when it has one.
        var loinc: String?
    }

    func flags(enterpriseID: String, groups: [UnifiedGroup]) -> [DuplicateTestFlag] {
        var byRule: [String: [TimedResult]] = [:]
        var rules: [String: RetestRule] = [:]
        for group in groups where group.state != "withdrawn" {
            guard case .result(let o) = group.body, let time = o.effectiveTime ?? o.issued,
                  let facility = group.provenances.first?.source.key,
                  let rule = catalog.rule(for: o.code, facility: group.provenances.first?.source.facility ?? facility),
                  !rule.isExempt, let name = rule.codes.first
            else { continue }
            rules[name] = rule
            let loinc = catalog.loinc(for: o.code, facility: group.provenances.first?.source.facility ?? facility)
            byRule[name, default: []].append(TimedResult(group: group, observation: o, time: time, facility: facility, loinc: loinc))
        }
        var flags: [DuplicateTestFlag] = []
        for (name, results) in byRule {
            guard let rule = rules[name], let interval = rule.minimumIntervalDays else { continue }
            let sorted = results.sorted { $0.time.instant == $1.time.instant ? $0.group.firstID < $1.group.firstID : $0.time.instant < $1.time.instant }
            for i in sorted.indices.dropFirst() {
                let earlier = sorted[i - 1], later = sorted[i]
                let days = Self.daysApart(earlier.time, later.time)
                guard days < Double(interval), flagSameFacility || earlier.facility != later.facility else { continue }
                flags.append(DuplicateTestFlag(
                    id: Self.flagID(.repeatedResult, earlier.group.id, later.group.id), enterpriseID: enterpriseID,
                    kind: .repeatedResult, test: Self.testCode(rule, loinc: later.loinc), intervalDays: interval, daysApart: days,
                    earlier: flagged(earlier.group), later: flagged(later.group)))
            }
        }
        // Orders for a test resulted inside its interval.
        for group in groups where group.state != "withdrawn" {
            guard case .order(let order) = group.body, let orderTime = order.orderedAt ?? order.scheduledFor,
                  let provenance = group.provenances.first
            else { continue }
            let facility = provenance.source.key
            for loinc in catalog.orderedTests(for: order.code, facility: provenance.source.facility) {
                guard let rule = catalog.rule(forLOINC: loinc), let interval = rule.minimumIntervalDays,
                      let name = rule.codes.first, let results = byRule[name]
                else { continue }
                let prior = results.filter { r in
                    r.time.instant <= orderTime.instant
                        && Self.daysApart(r.time, orderTime) < Double(interval)
                        && (flagSameFacility || r.facility != facility)
                        && !fulfils(r, order, facility: facility)
                }
                guard let latest = prior.max(by: { $0.time.instant < $1.time.instant }) else { continue }
                flags.append(DuplicateTestFlag(
                    id: Self.flagID(.avoidableOrder, latest.group.id, group.id), enterpriseID: enterpriseID,
                    kind: .avoidableOrder, test: Self.testCode(rule, loinc: latest.loinc), intervalDays: interval,
                    daysApart: Self.daysApart(latest.time, orderTime), earlier: flagged(latest.group), later: flagged(group)))
                break
            }
        }
        return flags.sorted { ($0.later.time?.instant ?? .distantPast, $0.id) < ($1.later.time?.instant ?? .distantPast, $1.id) }
    }

    /// Whether the result is this order's own result (same clinic and order number).
    private func fulfils(_ result: TimedResult, _ order: Order, facility: String) -> Bool {
        guard result.facility == facility else { return false }
        if let placer = order.placerOrderNumber, placer == result.observation.placerOrderNumber { return true }
        if let filler = order.fillerOrderNumber, filler == result.observation.fillerOrderNumber { return true }
        return false
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
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (kind.rawValue + "|" + earlier + "|" + later).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "DT-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
