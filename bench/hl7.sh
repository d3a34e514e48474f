#!/usr/bin/env bash
# HL7 v2 throughput: Concord vs python-hl7 and hl7apy on the same gen_hl7.py corpus.
# Usage: bench/hl7.sh quick|full
#   quick: 2,000 messages, one run each (checks the script works)
#   full:  100,000 messages; python-hl7 on all of them, python-hl7 + unescape on the first 20,000 and
#          hl7apy (~20 msg/s here) on the first 2,000; ratios compare messages per second.
# Env: CONCORD_BENCH (default .build/release/concord-bench), PEER_PY (default python3),
#      BENCH_OUT (default bench/out), PEERS_DIR (default ../shared/peers).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-quick}
case "$MODE" in
  quick) COUNT=2000; REPEATS=1; UNESC_LIMIT=2000; APY_LIMIT=200 ;;
  full) COUNT=100000; REPEATS=1; UNESC_LIMIT=20000; APY_LIMIT=2000 ;;
  *) echo "usage: $0 quick|full" >&2; exit 2 ;;
esac
BENCH=${CONCORD_BENCH:-.build/release/concord-bench}
PY=${PEER_PY:-python3}
PEERS=${PEERS_DIR:-../shared/peers}
OUT=${BENCH_OUT:-bench/out}/hl7
mkdir -p "$OUT"
CORPUS="$OUT/corpus-$COUNT-seed1.hl7"
[ -s "$CORPUS" ] || python3 "$PEERS/gen_hl7.py" "$COUNT" 1 "$CORPUS"

echo "== Concord ($BENCH) on $CORPUS"
"$BENCH" hl7 "$CORPUS" --repeats 3 | tee "$OUT/concord.txt"
echo "== python-hl7 on $CORPUS"
"$PY" "$PEERS/hl7_peer.py" "$CORPUS" --repeats "$REPEATS" --parsers hl7 | tee "$OUT/peer-hl7.txt"
echo "== python-hl7 + unescape on the first $UNESC_LIMIT messages"
"$PY" "$PEERS/hl7_peer.py" "$CORPUS" --repeats "$REPEATS" --parsers hl7-unescape --limit "$UNESC_LIMIT" | tee "$OUT/peer-hl7-unescape.txt"
echo "== hl7apy on the first $APY_LIMIT messages"
"$PY" "$PEERS/hl7_peer.py" "$CORPUS" --repeats "$REPEATS" --parsers hl7apy --limit "$APY_LIMIT" | tee "$OUT/peer-hl7apy.txt"

python3 - "$OUT" <<'PYEOF'
import json, re, sys
out = sys.argv[1]
ours = {}
for line in open(out + "/concord.txt"):
    if line.startswith("RESULT {"):
        r = json.loads(line[7:])
        ours[r["metric"]] = r
peers = {}
for name in ("peer-hl7.txt", "peer-hl7-unescape.txt", "peer-hl7apy.txt"):
    for line in open(out + "/" + name):
        m = re.match(r"RESULT (.+?)\s+median of \d+: [\d.]+ s\s+(\d+) msg/s\s+([\d.]+) MB/s.*checksum=(\d+)", line)
        if m:
            peers[m.group(1).strip()] = (float(m.group(2)), float(m.group(3)), m.group(4))
print()
print("%-22s %12s %10s %s" % ("parser", "msg/s", "MB/s", "checksum"))
for metric in ("parse", "parse+decode", "parse+map"):
    r = ours.get(metric + " msgs/s"); mb = ours.get(metric + " MB/s")
    if r:
        print("%-22s %12.0f %10.1f %s" % ("concord " + metric, r["value"], mb["value"] if mb else float("nan"), r.get("checksum", "")))
for label, (mps, mbs, cs) in peers.items():
    print("%-22s %12.0f %10.1f %s" % (label, mps, mbs, cs))
print()
def ratio(ours_metric, peer):
    r = ours.get(ours_metric + " msgs/s")
    if r and peer in peers:
        print("%-56s %8.1fx" % ("concord %s / %s (msg/s)" % (ours_metric, peer), r["value"] / peers[peer][0]))
ratio("parse", "python-hl7")
ratio("parse+decode", "python-hl7 + unescape")
ratio("parse+map", "python-hl7")
ratio("parse", "hl7apy")
ratio("parse+map", "hl7apy")
p = ours.get("parse msgs/s"); q = peers.get("python-hl7")
if p and q:
    print("checksums (raw field lengths) %s: concord %s, python-hl7 %s" % ("match" if p.get("checksum") == q[2] else "DIFFER", p.get("checksum"), q[2]))
PYEOF
