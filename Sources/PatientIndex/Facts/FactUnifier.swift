import Clinical
import Foundation

/// One fact as recorded from one source record (a row of `fact_instance`).
struct FactInstance {
    var id: Int64
    var recordID: Int64
    var body: FactBody
    var provenance: Provenance
}

/// What identity compares about one fact instance, computed once.
struct FactFeatures {
    var kind: FactKind
    /// The clinic, as `SourceSystem.key`.
    var facility: String
    /// Results and orders: the test key (`LN|…` or the facility-qualified local code).
    var testKey: String?
    /// The raw LOINC (before analyte aliasing), for unit normalization.
    var loinc: String?
    /// Every coding of the fact's concept as `system|code` (local codings without a system are qualified
    /// by the facility), plus `text|…` for a text-only concept.
    var codingKeys: Set<String>
    var time: ClinicalTime?
    var value: ComparableResultValue?
    /// Keys that name the source's own observation/order/visit: the same key is the same fact whatever
    /// its content (corrections, cancellations, updates).
    var sourceKeys: Set<String>
    var isWithdrawal: Bool
    var isCorrection: Bool
    var location: String?

    init(_ instance: FactInstance, catalog: TestCatalog) {
        let body = instance.body
        let facility = instance.provenance.source.key
        self.kind = body.kind
        self.facility = facility
        self.time = body.time
        self.isWithdrawal = false
        self.isCorrection = false
        self.location = nil
        self.value = nil
        self.testKey = nil
        self.loinc = nil
        var sourceKeys: Set<String> = []
        func keyed(_ prefix: String, _ id: String?) {
            if let id { sourceKeys.insert(facility + "#" + prefix + "#" + id) }
        }
        if let code = body.code {
            var keys: Set<String> = []
            for coding in code.allCodings where !coding.code.isEmpty {
                if coding.system != nil { keys.insert(coding.key) } else { keys.insert(facility + "#|" + coding.code) }
            }
            if code.system == nil, code.translations.isEmpty, let text = code.display ?? code.originalText {
                keys.insert("text|" + text.lowercased().trimmingWhitespace())
            }
            self.codingKeys = keys
        } else {
            self.codingKeys = []
        }
        switch body {
        case .result(let o):
            let resolution = catalog.resolution(for: o.code, facility: facility)
            let key = resolution.testKey
            let loinc = resolution.loinc
            self.testKey = key
            self.loinc = loinc
            self.value = o.value.map { ComparableResultValue($0, unit: o.unit, loinc: loinc) }
            self.isWithdrawal = o.status.isWithdrawn
            self.isCorrection = o.status.isCorrection
            keyed("obs", o.sourceID)
            keyed("filler+test", o.fillerOrderNumber.map { $0 + "#" + key })
        case .order(let o):
            self.testKey = catalog.testKey(for: o.code, facility: facility)
            self.isWithdrawal = o.status == .cancelled || o.status == .enteredInError
            keyed("placer", o.placerOrderNumber)
            keyed("filler", o.fillerOrderNumber)
        case .problem(let p):
            self.isWithdrawal = p.verification == .enteredInError || p.verification == .refuted
            keyed("problem", p.sourceID)
        case .medication(let m):
            self.isWithdrawal = m.status == .enteredInError || m.status == .cancelled
            keyed("medication", m.sourceID)
        case .allergy(let a):
            self.isWithdrawal = a.status == .enteredInError || a.status == .refuted
            keyed("allergy", a.sourceID)
        case .encounter(let e):
            self.isWithdrawal = e.status == .enteredInError || e.status == .cancelled
            self.location = e.location.map { $0.lowercased().trimmingWhitespace() }
            keyed("visit", e.visitNumber)
        case .immunization(let i):
            self.isWithdrawal = i.status == .enteredInError
            keyed("immunization", i.sourceID)
        case .procedure(let p):
            self.isWithdrawal = p.status == .enteredInError
            keyed("procedure", p.sourceID)
        }
        self.sourceKeys = sourceKeys
    }
}

/// Time comparisons across formats: when only one side states a UTC offset, the other (local time at
/// its source) is read in the same offset, so `20240305142000` from an ORU and `2024-03-05T14:20:00-05:00`
/// from FHIR are the same moment.
enum FactTimeMatch {
    static func sameMoment(_ a: ClinicalTime?, _ b: ClinicalTime?, toleranceSeconds: Double) -> Bool {
        guard var a, var b else { return a == nil && b == nil }
        if a.offsetMinutes == nil, let offset = b.offsetMinutes { a.offsetMinutes = offset }
        if b.offsetMinutes == nil, let offset = a.offsetMinutes { b.offsetMinutes = offset }
        return a.overlaps(b, tolerance: toleranceSeconds)
    }

    /// Whether two times fall on the same calendar day as their sources stated it (precision-aware:
    /// `2024-03` and `2024-03-05` can be the same day).
    static func sameDay(_ a: ClinicalTime?, _ b: ClinicalTime?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        let da = a.date ?? a, db = b.date ?? b
        return da.overlaps(db)
    }
}

/// What the duplicate-test rules derive from a result group's current version (its test's retest rule
/// and LOINC, its time, its clinic), remembered by the group until its version changes.
struct RetestMemo {
    /// Which catalog answered (a ledger's catalog is fixed, but a group could meet another ledger's rules).
    var catalog: ObjectIdentifier
    var rule: RetestRule?
    var loinc: String?
    var facilityKey: String
    var time: ClinicalTime
    var instant: Date
    var placerOrderNumber: String?
    var fillerOrderNumber: String?
}

/// A unified fact being built: the instances that are one fact, the current version and its history.
final class UnifiedGroup {
    let firstID: Int64
    /// `F-<firstID>`, the unified fact's id.
    let id: String
    var body: FactBody {
        // What the duplicate-test rules remembered of the old version no longer holds.
        didSet { retestMemo = nil }
    }
    var features: FactFeatures
    var provenances: [Provenance]
    var history: [FactBody] = []
    var state = "current"
    var sourceKeys: Set<String>
    var codingKeys: Set<String>
    /// Every value the fact has had (current and history), so a late re-send of an old version still joins.
    var values: [ComparableResultValue]
    /// Every time the instances stated (one source gives an offset, another only local time).
    var times: [ClinicalTime]
    var instanceIDs: [Int64]
    /// The duplicate-test rules' catalog lookup for this group's test (see `DuplicateTestRules`).
    var retestMemo: RetestMemo?
    /// The id of the last flag computed with this group as the later test (kind, earlier group, id).
    var flagIDMemo: (kind: DuplicateTestFlag.Kind, earlier: Int64, id: String)?

    init(_ instance: FactInstance, _ features: FactFeatures) {
        firstID = instance.id
        id = "F-\(instance.id)"
        body = instance.body
        self.features = features
        provenances = [instance.provenance]
        sourceKeys = features.sourceKeys
        codingKeys = features.codingKeys
        values = features.value.map { [$0] } ?? []
        times = features.time.map { [$0] } ?? []
        instanceIDs = [instance.id]
        if features.isWithdrawal { state = "withdrawn" }
    }

    var unified: UnifiedFact {
        UnifiedFact(id: id, body: body, provenances: provenances, state: state, history: history)
    }
}

/// The groups of a unification and the indexes its identity rules look up, kept so that later
/// instances can be applied without redoing the earlier ones (``FactUnifier/extend(_:with:)``).
final class UnificationState {
    var groups: [UnifiedGroup] = []
    var byTestKey: [String: [UnifiedGroup]] = [:]
    var byKind: [FactKind: [UnifiedGroup]] = [:]
    var bySourceKey: [String: UnifiedGroup] = [:]
    /// The largest instance id applied (`Int64.min` when none).
    var maxInstanceID: Int64 = .min
    var instanceCount = 0
}

/// Groups the fact instances of one enterprise patient into unified facts, by the identity rules of each
/// kind (see `docs/unified-record.md`), applying corrections and withdrawals in arrival order.
struct FactUnifier: Sendable {
    let catalog: TestCatalog
    let toleranceSeconds: Double

    func unify(_ instances: [FactInstance]) -> [UnifiedGroup] {
        let state = UnificationState()
        extend(state, with: instances)
        return state.groups
    }

    /// Applies `instances` to a unification built from earlier ones, exactly as ``unify(_:)`` over all of
    /// them would, provided every new instance id is larger than every earlier one (`unify` takes
    /// instances in id order and each decision looks only at what came before). Returns the groups the new
    /// instances created or joined, in first-touch order; every other group is unchanged. Nil, changing
    /// nothing, when an id is not larger than `state.maxInstanceID`.
    @discardableResult
    func extend(_ state: UnificationState, with instances: [FactInstance]) -> [UnifiedGroup]? {
        let ordered = instances.sorted(by: { $0.id < $1.id })
        if let first = ordered.first, first.id <= state.maxInstanceID { return nil }
        var touched: [UnifiedGroup] = []
        var seen = Set<ObjectIdentifier>()
        for instance in ordered {
            let features = FactFeatures(instance, catalog: catalog)
            var match: UnifiedGroup?
            for key in features.sourceKeys {
                if let group = state.bySourceKey[key], group.features.kind == features.kind { match = group; break }
            }
            if match == nil {
                let candidates = features.kind == .result ? state.byTestKey[features.testKey ?? ""] ?? [] : state.byKind[features.kind] ?? []
                match = candidates.first { sameFact($0, features) }
            }
            let group: UnifiedGroup
            if let match {
                group = match
                apply(instance, features, to: group)
            } else {
                group = UnifiedGroup(instance, features)
                state.groups.append(group)
                if features.kind == .result { state.byTestKey[features.testKey ?? "", default: []].append(group) }
                state.byKind[features.kind, default: []].append(group)
            }
            for key in features.sourceKeys where state.bySourceKey[key] == nil { state.bySourceKey[key] = group }
            if seen.insert(ObjectIdentifier(group)).inserted { touched.append(group) }
            state.maxInstanceID = instance.id
            state.instanceCount += 1
        }
        return touched
    }

    /// The identity rule of each kind, for instances that do not share a source key.
    private func sameFact(_ group: UnifiedGroup, _ f: FactFeatures) -> Bool {
        let g = group.features
        // A withdrawal only withdraws what its own clinic said.
        if f.isWithdrawal && !group.provenances.contains(where: { $0.source.key == f.facility }) { return false }
        switch f.kind {
        case .result:
            guard g.testKey == f.testKey, sameMoment(group, f.time) else { return false }
            guard let value = f.value else { return f.isWithdrawal || group.values.isEmpty }
            return group.values.contains { $0.sameResult(as: value) }
        case .problem, .allergy, .medication:
            return !group.codingKeys.isDisjoint(with: f.codingKeys)
        case .immunization, .procedure:
            return !group.codingKeys.isDisjoint(with: f.codingKeys) && FactTimeMatch.sameDay(g.time, f.time)
        case .order:
            return !group.codingKeys.isDisjoint(with: f.codingKeys) && FactTimeMatch.sameDay(g.time, f.time)
        case .encounter:
            guard let a = g.location, let b = f.location, a == b, g.time != nil else { return false }
            return sameMoment(group, f.time)
        }
    }

    private func sameMoment(_ group: UnifiedGroup, _ time: ClinicalTime?) -> Bool {
        guard let time else { return group.times.isEmpty }
        return group.times.contains { FactTimeMatch.sameMoment($0, time, toleranceSeconds: toleranceSeconds) }
    }

    private func apply(_ instance: FactInstance, _ f: FactFeatures, to group: UnifiedGroup) {
        if !group.provenances.contains(instance.provenance) { group.provenances.append(instance.provenance) }
        group.instanceIDs.append(instance.id)
        group.sourceKeys.formUnion(f.sourceKeys)
        group.codingKeys.formUnion(f.codingKeys)
        if let time = f.time, !group.times.contains(time) { group.times.append(time) }
        if f.isWithdrawal {
            guard group.state != "withdrawn" else { return }
            group.history.append(group.body)
            group.body = withdrawnBody(current: group.body, withdrawal: instance.body)
            group.state = "withdrawn"
            return
        }
        switch instance.body {
        case .result(let new):
            guard case .result(let current) = group.body else { return }
            let sameValue = f.value.map { v in group.features.value.map { $0.sameResult(as: v) } ?? false } ?? (group.features.value == nil)
            let knownValue = f.value.map { v in group.values.contains { $0.sameResult(as: v) } } ?? true
            if f.isCorrection {
                // A correction replaces the current version (and reinstates a withdrawn one).
                if !sameValue || group.state == "withdrawn" || !current.status.isCorrection {
                    replace(group, with: instance.body, features: f)
                }
            } else if group.state == "withdrawn" {
                return
            } else if (current.status == .preliminary || current.status == .registered) && new.status == .final {
                replace(group, with: instance.body, features: f)
            } else if !knownValue {
                // The same source observation with a new value and no correction status: an update.
                replace(group, with: instance.body, features: f)
            }
        case .encounter(var new):
            guard group.state != "withdrawn", case .encounter(let old) = group.body else { return }
            new.end = new.end ?? old.end
            new.start = new.start ?? old.start
            new.location = new.location ?? old.location
            new.visitNumber = new.visitNumber ?? old.visitNumber
            new.attendingProvider = new.attendingProvider ?? old.attendingProvider
            if new.encounterClass == .unknown { new.encounterClass = old.encounterClass }
            if new.status == .unknown { new.status = old.status }
            group.body = .encounter(new)
            if group.features.location == nil { group.features.location = f.location }
        default:
            // The latest arrival carries the freshest state (a problem resolved, a medication stopped).
            guard group.state != "withdrawn" else { return }
            group.body = instance.body
        }
    }

    private func replace(_ group: UnifiedGroup, with body: FactBody, features: FactFeatures) {
        group.history.append(group.body)
        group.body = body
        group.state = "current"
        let time = group.features.time
        group.features = features
        if group.features.time == nil { group.features.time = time }
        if let value = features.value { group.values.append(value) }
    }

    /// The withdrawn version: for a result, the last version with the withdrawing status (a cancel message
    /// often carries no value); for other kinds the withdrawing message itself.
    private func withdrawnBody(current: FactBody, withdrawal: FactBody) -> FactBody {
        if case .result(var old) = current, case .result(let new) = withdrawal {
            old.status = new.status
            return .result(old)
        }
        return withdrawal
    }
}
