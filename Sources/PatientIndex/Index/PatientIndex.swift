/// The master patient index and the unified record.
///
/// Entry points:
/// - ``PatientIndexStore`` — the write side (one per process, on the writer thread): message log, ingest of
///   `Clinical.Submission`s (deterministic, then Fellegi–Sunter decisions per enterprise patient),
///   steward operations with an append-only, reversible history, model training, audit.
/// - ``PatientIndexReader`` — the read side (one per reading thread, its own read-only connection): search,
///   enterprise patients with explanations, unified records, duplicate-test flags, review queue, history,
///   messages, audit, counts.
/// - `Matching/` — normalization, blocking keys, scoring (`MatchModel`); `Facts/` — the fact ledger.
///
/// See `docs/matching.md` for the decision rules and survivorship.
enum PatientIndexModule {}
