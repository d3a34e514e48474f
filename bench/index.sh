#!/usr/bin/env bash
# bench/index.sh quick|full — the master patient index at scale.
#
# Concord: `concord-bench index` generates a synthetic multi-clinic population (US-frequency names with a
# synthetic tail, ~10% of people registered again at another clinic with nicknames, typos, day/month swaps,
# missing SSNs, new phones and addresses), bulk-loads it record by record through PatientIndexStore.ingest
# with group commit (1,000 records per durable transaction, WAL, synchronous=FULL), then measures the
# per-record ingest latency at that index size (in a transaction, and with its own durable commit), random
# enterprise-patient reads and name searches.
# Peer: Splink (DuckDB) deduplicating the SAME records (exported by --export) in one batch: load, blocking,
# training (u by random sampling, m by EM), prediction at p>=0.9 and clustering. Splink is a batch linker,
# Concord an incremental index deciding one record at a time with durable commits, so the ratio compares
# throughput of getting the same population linked, not the same algorithm.
#   quick: 10,000 people (checks the script).  full: 10,000 and 100,000 people (1M: run
#   `concord-bench index --patients 1000000` by hand; see the report for the timing).
# Environment: CONCORD_BENCH (default .build/release/concord-bench), PEER_PY (default python3; use
# /work/shared-peers-venv/bin/python), BENCH_OUT (default bench/out).
set -euo pipefail
mode=${1:-quick}
case "$mode" in
  quick) sizes="10000" ;;
  full) sizes="10000 100000" ;;
  *) echo "usage: $0 quick|full" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-bench/out}/index
mkdir -p "$out"
bench=${CONCORD_BENCH:-.build/release/concord-bench}
py=${PEER_PY:-python3}

for n in $sizes; do
  echo "== $n people: Concord"
  "$bench" index --patients "$n" --latency 1000 --export "$out/population-$n.csv" | tee "$out/concord-$n.txt"
  echo "== $n people: Splink peer"
  if ! "$py" - "$out/population-$n.csv" > "$out/peer-$n.txt" 2> "$out/peer-$n.err" <<'PEER'
import logging, sys, time
import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
path = sys.argv[1]
t0 = time.perf_counter()
df = pd.read_csv(path, dtype=str, keep_default_na=False)
df = df.replace({"": None})
truth_person = dict(zip(df["rec_id"], df["person_id"]))
frame = df.drop(columns=["person_id"])
settings = SettingsCreator(
    unique_id_column_name="rec_id", link_type="dedupe_only",
    blocking_rules_to_generate_predictions=[block_on("ssn"), block_on("dob", "family"), block_on("phone"),
                                            block_on("given", "family"), block_on("dob", "zip")],
    comparisons=[
        cl.NameComparison("given").configure(term_frequency_adjustments=True),
        cl.NameComparison("family").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y%m%d", invalid_dates_as_null=True),
        cl.ExactMatch("sex"),
        cl.DamerauLevenshteinAtThresholds("ssn", [1, 2]),
        cl.ExactMatch("phone"),
        cl.ExactMatch("street"),
        cl.ExactMatch("zip").configure(term_frequency_adjustments=True),
    ],
    retain_intermediate_calculation_columns=False)
db = DuckDBAPI()
linker = Linker(db.register(frame), settings, log_level=logging.WARNING)
linker.training.estimate_probability_two_random_records_match([block_on("ssn"), block_on("given", "family", "dob")], recall=0.8)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"), estimate_without_term_frequencies=True)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("zip"), estimate_without_term_frequencies=True)
pred = linker.inference.predict(threshold_match_probability=0.9)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.9).as_pandas_dataframe()
elapsed = time.perf_counter() - t0
groups = {}
for rec, cluster in zip(clusters["rec_id"], clusters["cluster_id"]):
    groups.setdefault(cluster, []).append(truth_person[str(rec)])
linked = false = 0
for persons in groups.values():
    for i in range(len(persons)):
        for j in range(i + 1, len(persons)):
            if persons[i] == persons[j]: linked += 1
            else: false += 1
counts = {}
for p in truth_person.values(): counts[p] = counts.get(p, 0) + 1
true_pairs = sum(c * (c - 1) // 2 for c in counts.values())
print(f"PEER splink records_per_s={len(df) / elapsed:.1f} seconds={elapsed:.1f} linked={linked} true_pairs={true_pairs} false_merge_pairs={false}")
PEER
  then echo "(Splink peer failed; see $out/peer-$n.err)"; fi
  cat "$out/peer-$n.txt"
done

echo
echo "== summary (ratio = Concord / Splink records per second)"
for n in $sizes; do
  c=$(sed -n 's/.*"metric":"bulk_load_records_per_s","value":\([0-9.e+]*\).*/\1/p' "$out/concord-$n.txt")
  cl=$(sed -n 's/.*"metric":"duplicate_pairs_linked".*"false_merge_pairs":"\([0-9]*\)","linked":"\([0-9]*\)".*"true_pairs":"\([0-9]*\)".*/linked \2\/\3 false-merge pairs \1/p' "$out/concord-$n.txt")
  p50=$(sed -n 's/.*"metric":"ingest_commit_p50","value":\([0-9.e+]*\).*/\1/p' "$out/concord-$n.txt")
  p99=$(sed -n 's/.*"metric":"ingest_commit_p99","value":\([0-9.e+]*\).*/\1/p' "$out/concord-$n.txt")
  s=$(sed -n 's/.*records_per_s=\([0-9.]*\).*/\1/p' "$out/peer-$n.txt")
  sl=$(sed -n 's/.*linked=\([0-9]*\) true_pairs=\([0-9]*\) false_merge_pairs=\([0-9]*\).*/linked \1\/\2 false-merge pairs \3/p' "$out/peer-$n.txt")
  ratio=$(awk -v a="${c:-0}" -v b="${s:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
  printf "%8s people | Concord %8.0f rec/s (%s; ingest+commit p50 %s ms p99 %s ms) | Splink %s rec/s (%s) | ratio %s\n" \
    "$n" "${c:-0}" "$cl" "$p50" "$p99" "${s:-n/a}" "${sl:-n/a}" "$ratio"
done
