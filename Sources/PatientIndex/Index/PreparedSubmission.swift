import Clinical

/// A submission with everything that depends only on its own content already computed: each patient
/// record's matching features, blocking keys and stored encodings, each fact's stored encoding and
/// fingerprint.
///
/// Why: the index has one writer thread (one SQLite writer), and under load it is the bottleneck. What
/// needs no look at the index is computed where the message was parsed (`PatientIndexStore.prepare`),
/// so the writer only reads candidates, decides and writes rows.
package struct PreparedSubmission: Sendable {
    package var submission: Submission
    /// One per `submission.patients`, in order.
    var records: [PreparedRecord]
    /// One per `submission.facts`, in order.
    var facts: [PreparedFact]
    /// By subject: the unified facts the subject's enterprise patient gets when the ingest makes it a new
    /// patient of its own (the usual case for a first message), when the ledger could compute them ahead.
    var newPatientFacts: [Int: PreparedUnification] = [:]
}

/// A patient record ready for the index.
struct PreparedRecord: Sendable {
    var features: MatchFeatures
    /// Distinct blocking keys, in the order `BlockingKeys.keys` gives them.
    var keys: [String]
    /// `source_records.block_keys`: the keys as stored with the record.
    var storedKeys: String
    /// `source_records.record_data` and `features_data`.
    var recordData: [UInt8]
    var featuresData: [UInt8]
    /// The golden record of an enterprise patient with this record as its only member (survivorship of
    /// one record depends on nothing else): `golden_data`, `birth_date` and the search terms.
    var soloGolden: (data: [UInt8], birthDate: String?, terms: [String])?

    init(_ record: PatientRecord) throws {
        features = PatientIndexStore.features(of: record)
        keys = BlockingKeys.keys(for: features)
        storedKeys = BlockingKeys.stored(keys)
        recordData = try IndexRows.encode(record)
        featuresData = try IndexRows.encode(features)
        if let golden = Survivorship.golden(of: [Survivorship.Member(recordID: 0, record: record, updatedAt: "")], trust: [:]) {
            soloGolden = (try IndexRows.encode(golden), IndexRows.dateText(golden.birthDate), Survivorship.searchTerms(of: golden))
        }
    }
}

/// A fact ready for the ledger (`fact_instance` columns).
struct PreparedFact: Sendable {
    var body: [UInt8]
    var provenance: [UInt8]
    var fingerprint: String
}

extension PatientIndexStore {
    /// Computes the content-only parts of an ingest (pure; call it on any thread, before the writer).
    /// With `ledger` (the store's own), the unified facts of each subject as a new patient are computed too.
    package static func prepare(_ submission: Submission, ledger: FactLedger? = nil) throws -> PreparedSubmission {
        var prepared = PreparedSubmission(
            submission: submission,
            records: try submission.patients.map(PreparedRecord.init),
            facts: try submission.facts.map(FactLedger.prepare))
        if let ledger {
            for subject in submission.patients.indices {
                let mine = zip(submission.facts, prepared.facts).filter { $0.0.subject == subject }
                if let unification = try ledger.prepareNewPatient(mine.map(\.0), prepared: mine.map(\.1)) {
                    prepared.newPatientFacts[subject] = unification
                }
            }
        }
        return prepared
    }
}
