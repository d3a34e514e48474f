"""Splink (DuckDB) on the generated population: dedupe, the same CSV and truth Concord reads.

Settings follow Splink's own FEBRL examples (NameComparison with term-frequency adjustments, a date of
birth comparison, Damerau-Levenshtein on the SSN, exact contacts), fixed before looking at results; the
cleaning is what a careful Splink user would do (upper case, digits only, known placeholders nulled).
Threshold: match_probability >= 0.9, then Splink's connected-components clustering (as linkage_peer.py
does for FEBRL3).

Usage: splink_population.py POP_DIR PEERS_DIR   (the timed peer run of bench/match.sh)
Also imported by splink_operating_points.py, which needs the same trained linker."""
import logging, re, sys, time
import pandas as pd


def population_linker(out):
    """(linker, truth, record ids) for the population in `out`, trained as described above."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    df = pd.read_csv(out + "/population.csv", dtype=str, keep_default_na=False)
    truth = {(a, b) if a < b else (b, a) for a, b in pd.read_csv(out + "/population_truth.csv", dtype=str).itertuples(index=False)}

    def clean(s):
        return re.sub(r"[^A-Z ]", "", s.upper()).strip() or None

    def digits(s):
        d = re.sub(r"\D", "", s)
        return d[-10:] if d else None

    frame = pd.DataFrame({
        "rec_id": df.rec_id,
        "given": df.given.map(clean), "middle": df.middle.map(clean), "family": df.family.map(clean),
        "dob": df.dob.map(lambda s: None if s in ("", "1900-01-01") else s),
        "sex": df.sex.map(lambda s: s or None),
        "ssn": df.ssn.map(lambda s: None if s in ("", "999999999", "123456789", "000000000") else s),
        "phone": df.phone.map(digits), "email": df.email.map(lambda s: s.lower() or None),
        "street": df.street.map(clean), "zip": df.zip.map(lambda s: s[:5] or None),
    }).astype(object)
    frame = frame.where(frame.notna(), None)
    settings = SettingsCreator(
        unique_id_column_name="rec_id", link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[block_on("ssn"), block_on("phone"), block_on("dob"),
                                                block_on("given", "family"), block_on("zip", "street"), block_on("email")],
        comparisons=[
            cl.NameComparison("given").configure(term_frequency_adjustments=True),
            cl.NameComparison("family").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d", invalid_dates_as_null=True),
            cl.ExactMatch("sex"),
            cl.DamerauLevenshteinAtThresholds("ssn", [1, 2]),
            cl.ExactMatch("phone"),
            cl.ExactMatch("email"),
            cl.LevenshteinAtThresholds("street", [2]),
            cl.ExactMatch("zip"),
        ],
        retain_intermediate_calculation_columns=False)
    db = DuckDBAPI()
    linker = Linker(db.register(frame), settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("ssn"), block_on("given", "family", "dob")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("family"))
    return linker, truth, list(frame.rec_id)


def main():
    out, peers = sys.argv[1], sys.argv[2]
    sys.path.insert(0, peers)
    from linkage_peer import prf
    t0 = time.perf_counter()
    linker, truth, ids = population_linker(out)
    pred = linker.inference.predict(threshold_match_probability=0.9)
    pdf = pred.as_pandas_dataframe()
    pairwise = {(a, b) if a < b else (b, a) for a, b in zip(pdf["rec_id_l"], pdf["rec_id_r"])}
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold_match_probability=0.9).as_pandas_dataframe()
    wall = time.perf_counter() - t0
    pairs = set()
    for _, g in clusters.groupby("cluster_id")["rec_id"]:
        m = sorted(g)
        pairs.update((m[i], m[j]) for i in range(len(m)) for j in range(i + 1, len(m)))
    print("== Splink/DuckDB  population dedupe  records=%d true pairs=%d wall %.2f s" % (len(ids), len(truth), wall))
    strict = {(a, b) if a < b else (b, a) for a, b, p in zip(pdf["rec_id_l"], pdf["rec_id_r"], pdf["match_probability"]) if p >= 0.99}
    for name, predicted in (("p>=0.9 pairwise", pairwise), ("p>=0.9 + connected components (Splink clustering)", pairs),
                            ("p>=0.99 pairwise (stricter, for information)", strict)):
        m = prf(predicted, truth)
        print("RESULT %-30s %-50s P=%.4f R=%.4f F1=%.4f  (tp=%d fp=%d fn=%d)  wall median %.2f s" % (
            "Splink/DuckDB  population", name, m["precision"], m["recall"], m["f1"], m["tp"], m["fp"], m["fn"], wall), flush=True)


if __name__ == "__main__":
    main()
