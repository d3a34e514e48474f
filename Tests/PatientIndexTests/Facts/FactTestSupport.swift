import Clinical
import Foundation
@testable import PatientIndex
import SQLite

/// Builders for the facts the tests record: shaped like what the HL7v2, CCDA and FHIRLite mappers produce
/// for Epic, Cerner, Quest-style lab and athenahealth feeds.
enum FactFixtures {
    static let riverside = SourceSystem(facility: "Riverside Family Medicine", application: "EPIC")
    static let northLab = SourceSystem(facility: "North Valley Lab", application: "SUNQUEST")
    static let lakeside = SourceSystem(facility: "Lakeside Cardiology", application: "athenahealth")
    static let general = SourceSystem(facility: "St. Mary General Hospital", application: "CERNER")

    static func time(_ hl7: String) -> ClinicalTime {
        guard let t = ClinicalTime.parseHL7(hl7) else { preconditionFailure("bad test time \(hl7)") }
        return t
    }

    static func iso(_ text: String) -> ClinicalTime {
        guard let t = ClinicalTime.parseISO8601(text) else { preconditionFailure("bad test time \(text)") }
        return t
    }

    static func loinc(_ code: String, _ display: String) -> Code {
        Code(system: "LN", code: code, display: display)
    }

    static func provenance(_ source: SourceSystem, _ format: SourceFormat, _ messageID: String, _ position: String) -> Provenance {
        Provenance(source: source, format: format, messageID: messageID, position: position)
    }

    static func result(
        _ code: Code, _ value: Double, _ unit: String?, at time: ClinicalTime, status: ResultStatus = .final,
        filler: String? = nil, sourceID: String? = nil, text: String? = nil, from provenance: Provenance,
        performer: String? = nil
    ) -> ClinicalFact {
        ClinicalFact(subject: 0, body: .result(Observation(
            code: code, value: .quantity(Quantity(value: value, unit: unit, text: text)), unit: unit, status: status,
            effectiveTime: time, category: "laboratory", fillerOrderNumber: filler, sourceID: sourceID,
            performer: performer.map { ProviderReference(name: $0) })), provenance: provenance)
    }

    static func fact(_ body: FactBody, _ provenance: Provenance) -> ClinicalFact {
        ClinicalFact(subject: 0, body: body, provenance: provenance)
    }

    /// A fresh in-memory database with the ledger's schema.
    static func database() throws -> Connection {
        let db = try Connection(path: ":memory:")
        try db.migrate(FactLedger.migrations)
        return db
    }
}

/// Records facts per source record and refreshes one enterprise patient, as the store does.
struct LedgerHarness {
    let db: Connection
    let ledger: FactLedger
    var enterpriseID = "EP-00000001"
    var members: [Int64] = []

    init(configuration: FactConfiguration = .standard) throws {
        db = try FactFixtures.database()
        ledger = FactLedger(configuration: configuration)
    }

    mutating func record(_ facts: [ClinicalFact], record: Int64, message: Int64? = nil) throws {
        if !members.contains(record) { members.append(record) }
        let ledger = self.ledger
        try db.transaction { try ledger.record(facts, sourceRecordID: record, messageLogID: message, in: db) }
    }

    @discardableResult
    func refresh() throws -> [DuplicateTestFlag] {
        try db.transaction { try ledger.refresh(enterpriseID: enterpriseID, memberRecordIDs: members, in: db) }
    }

    func facts(_ kinds: Set<FactKind>? = nil) throws -> [UnifiedFact] {
        try ledger.unifiedFacts(enterpriseID: enterpriseID, kinds: kinds, from: nil, to: nil, in: db)
    }

    func flags() throws -> [DuplicateTestFlag] {
        try ledger.flags(enterpriseID: enterpriseID, in: db)
    }
}

extension UnifiedFact {
    var resultBody: Observation? {
        if case .result(let o) = body { return o }
        return nil
    }

    var resultNumber: Double? {
        if case .quantity(let q)? = resultBody?.value { return q.value }
        return nil
    }
}
