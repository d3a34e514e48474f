#!/usr/bin/env bash
# bench/facts.sh quick|full — the fact ledger at scale: builds an index of N enterprise patients (plus one
# with 500 unified facts) through FactLedger.record + refresh, measures read p50/p99 (unifiedFacts + flags,
# a filtered read, careSignals), refresh latency, and runs a peer on the SAME database file: Python's
# sqlite3 + json.loads reading the same 500 facts stored as JSON documents (the document-store layout),
# and the same SQL fetching Concord's stored bytes for random patients without decoding (a lower bound).
# There is no off-the-shelf peer for clinical fact unification; the peer bounds the storage/decoding cost.
#   quick: 5,000 patients (checks the script);  full: 100,000 patients (the issue's scale).
set -euo pipefail
mode=${1:-quick}
case "$mode" in
  quick) patients=5000; reads=200 ;;
  full) patients=100000; reads=1000 ;;
  *) echo "usage: $0 quick|full" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-bench/out}/facts
mkdir -p "$out"
bench=${CONCORD_BENCH:-.build/release/concord-bench}
py=${PEER_PY:-python3}
db="$out/facts-$mode.sqlite"

"$bench" facts --patients "$patients" --reads "$reads" --db "$db" | tee "$out/concord-$mode.txt"
big=$(sed -n 's/^BIG_PATIENT //p' "$out/concord-$mode.txt")

"$py" - "$db" "$big" "$patients" "$reads" > "$out/peer-$mode.txt" <<'PEER'
import json, math, random, sqlite3, sys, time
db, big, patients, reads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
con = sqlite3.connect(db)
# Big patient: the same 500 unified facts and flags stored as JSON documents, read with the same query
# shape and decoded with json.loads (a document-store layout, decoded to dicts, not typed values).
def read_big():
    rows = con.execute("SELECT seq, data, t_start FROM bench_json_fact WHERE enterprise_id = ?", (big,)).fetchall()
    rows.sort(key=lambda r: (r[2] is None, r[2] or 0, r[0]))
    facts = [json.loads(r[1]) for r in rows]
    flags = [json.loads(r[0]) for r in con.execute(
        "SELECT data FROM bench_json_flag WHERE enterprise_id = ? ORDER BY later_time DESC", (big,))]
    return len(facts) + len(flags)
# Random patients: the same SQL on Concord's own tables, fetching the stored bytes without decoding
# (a lower bound for any reader of this schema).
def read_random(ep):
    rows = con.execute("SELECT id, data, t_start FROM unified_fact WHERE enterprise_id = ?1 "
                       "AND (?2 IS NULL OR t_end > ?2) AND (?3 IS NULL OR t_start < ?3)", (ep, None, None)).fetchall()
    flags = con.execute("SELECT id, status, data FROM fact_flag WHERE enterprise_id = ? AND active = 1 "
                        "ORDER BY later_time DESC, id", (ep,)).fetchall()
    return len(rows) + len(flags)
def sample(n, fn):
    for _ in range(min(20, n)): fn()
    out = []
    for _ in range(n):
        t = time.perf_counter(); fn(); out.append((time.perf_counter() - t) * 1000)
    out.sort()
    return out
def pct(s, p):
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]
rng = random.Random(7)
for name, s in (("read.big.unifiedFacts+flags", sample(max(50, reads // 5), read_big)),
                ("read.random.fetchOnly", sample(reads, lambda: read_random("EP-%08d" % rng.randrange(patients))))):
    for p in (50, 99):
        print('RESULT {"bench":"facts-peer","metric":"%s.p%d","value":%.6g,"unit":"ms"}' % (name, p, pct(s, p)))
PEER
cat "$out/peer-$mode.txt"

"$py" - "$out/concord-$mode.txt" "$out/peer-$mode.txt" <<'TABLE'
import json, sys
def load(path):
    return {r["metric"]: r for r in (json.loads(l[7:]) for l in open(path) if l.startswith("RESULT "))}
c, p = load(sys.argv[1]), load(sys.argv[2])
print("\n%-38s %12s %16s %8s" % ("metric", "concord", "python sqlite3", "ratio"))
for m, r in c.items():
    peer = p.get(m)
    unit = r["unit"]
    if peer and r["value"]:
        print("%-38s %9.3f %s %13.3f %s %7.2fx" % (m, r["value"], unit, peer["value"], unit, peer["value"] / r["value"]))
    else:
        print("%-38s %9.3f %s %16s %8s" % (m, r["value"], unit, "-", "-"))
for m, r in p.items():
    if m not in c:
        print("%-38s %12s %13.3f %s %8s" % (m, "-", r["value"], r["unit"], "-"))
print("(ratio = peer time / Concord time; >1 means Concord is faster. Peer: Python sqlite3 + json.loads of")
print(" the same facts stored as JSON documents; read.random.fetchOnly = same SQL, bytes only, no decoding)")
TABLE
