#!/usr/bin/env bash
# FHIR JSON reading throughput: Concord (scan + map to Clinical) vs Python json.loads and fhir.resources
# (../shared/peers/fhir_peer.py), on the same generated files, in this one run.
# Usage: bench/fhir.sh quick|full
#   quick: 2 bundles of ~1 MB, a ~5 MB NDJSON file and a ~3 MB bulk export (checks the script works)
#   full:  6 bundles of ~4 MB, a ~110 MB NDJSON file (one patient Bundle per line, as fhir_peer.py reads)
#          and a ~30 MB bulk-data export (one resource per line; fhir.resources cannot read those as
#          Bundles, so only json.loads is beside Concord there)
# Env: CONCORD_BENCH (default .build/release/concord-bench), PEER_PY (default python3),
#      BENCH_OUT (default bench/out), PEERS_DIR (default ../shared/peers).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-quick}
case "$MODE" in
  quick) BUNDLES=2; BUNDLE_MB=1; NDJSON_MB=5; BULK_MB=3; REPEATS=1; MIN_SECONDS=1 ;;
  full) BUNDLES=6; BUNDLE_MB=4; NDJSON_MB=110; BULK_MB=30; REPEATS=1; MIN_SECONDS=3 ;;
  *) echo "usage: $0 quick|full" >&2; exit 2 ;;
esac
BENCH=${CONCORD_BENCH:-.build/release/concord-bench}
PY=${PEER_PY:-python3}
PEERS=${PEERS_DIR:-../shared/peers}
OUT=${BENCH_OUT:-bench/out}/fhir/$MODE
if [ ! -f "$OUT/.done" ]; then
    rm -rf "$OUT"
    python3 bench/gen_fhir.py "$OUT" --seed 1 --bundles "$BUNDLES" --bundle-mb "$BUNDLE_MB" --ndjson-mb "$NDJSON_MB" --bulk-mb "$BULK_MB"
    touch "$OUT/.done"
fi

for part in bundles ndjson bulk; do
    echo "== Concord ($BENCH) on $OUT/$part"
    "$BENCH" fhir "$OUT/$part" --repeats 3 | tee "$OUT/concord-$part.txt"
    echo "== json.loads and fhir.resources on $OUT/$part"
    # Bulk lines are resources, not Bundles: the peer lists each as an R4B failure; keep those out of sight.
    "$PY" "$PEERS/fhir_peer.py" "$OUT/$part" --repeats "$REPEATS" --min-seconds "$MIN_SECONDS" | grep -v '^  R4B failed' | tee "$OUT/peer-$part.txt"
done

python3 - "$OUT" <<'PYEOF'
import json, re, sys
out = sys.argv[1]
print()
print("%-34s %10s %14s   %s" % ("reader", "MB/s", "resources/s", "input"))
ratios = []
for part, prefix in (("bundles", "bundles read"), ("ndjson", "ndjson read"), ("bulk", "ndjson read")):
    ours = {}
    for line in open("%s/concord-%s.txt" % (out, part)):
        if line.startswith("RESULT {"):
            r = json.loads(line[7:])
            ours[r["metric"]] = r
    mb = ours.get(prefix + " MB/s")
    if not mb:
        continue
    resources, nbytes = int(mb["resources"]), int(mb["bytes"])
    print("%-34s %10.1f %14.0f   %s" % ("concord " + prefix, mb["value"], ours[prefix + " resources/s"]["value"], part))
    if "bundles scan MB/s" in ours:
        print("%-34s %10.1f %14s   %s" % ("concord scan only", ours["bundles scan MB/s"]["value"], "-", part))
    if "ndjson stream-from-file MB/s" in ours:
        print("%-34s %10.1f %14s   %s" % ("concord ndjson stream-from-file", ours["ndjson stream-from-file MB/s"]["value"], "-", part))
    peers = {}
    for line in open("%s/peer-%s.txt" % (out, part)):
        m = re.match(r"RESULT (.+?)\s+median of \d+: (\d+) bundles (\d+) bytes\s+([\d.]+) bundles/s\s+([\d.]+) MB/s", line)
        if m:
            peers[m.group(1).strip()] = (float(m.group(5)), int(m.group(3)))
    labels = ("json.loads (all, failures counted 0)",) if part == "bulk" else ("json.loads", "fhir.resources R4B")
    for label in labels:
        if label in peers and peers[label][1] > 0:
            pmb, pbytes = peers[label]
            # Same files, so the same resources per byte.
            print("%-34s %10.2f %14.0f   %s%s" % (label[:34], pmb, pmb * 1e6 * resources / nbytes, part,
                  "" if pbytes >= 0.99 * nbytes else " (R4B-valid subset: %d of %d bytes)" % (pbytes, nbytes)))
            ratios.append(("concord %s %s / %s" % (part, prefix.split()[-1], label.split(" (")[0]), mb["value"] / pmb, 20.0 if "fhir.resources" in label else 1.0))
print()
for name, ratio, target in ratios:
    print("%-52s %8.1fx  (target >= %.0fx: %s)" % (name, ratio, target, "met" if ratio >= target else "NOT met"))
PYEOF
