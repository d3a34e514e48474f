#!/usr/bin/env bash
# /metrics on a large index: the time of one Prometheus scrape when the message log, the source records
# and the enterprise patients hold about a million rows each. Builds the index once from a generated
# HL7 corpus (`concord ingest`), copies its rows COPIES times (Python's sqlite3, so the index is big
# without an hour of ingest), then times `curl /metrics` against `concord serve` on it.
# Usage: bench/metrics.sh quick|full. BASE_CONCORD=path/to/older/concord times that binary first on the
# same file, for a side-by-side (it must not know schema migration 3, which the current binary applies).
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-full}"
out="${BENCH_OUT:-bench/out}/metrics"; mkdir -p "$out"
concord="${CONCORD:-.build/release/concord}"
py="${PEER_PY:-python3}"
if [ "$scale" = quick ]; then n=2000; copies=10; else n=20000; copies=50; fi
corpus="$out/corpus-$n.hl7"
[ -f "$corpus" ] || "$py" ../shared/peers/gen_hl7.py "$n" 11 "$corpus" >/dev/null
db="$out/metrics.sqlite"; rm -f "$db" "$db-wal" "$db-shm"
echo "### /metrics on an index of $n ingested messages, rows copied ${copies}×"
"${BASE_CONCORD:-$concord}" --db "$db" ingest "$corpus" >/dev/null
"$py" - "$db" "$copies" <<'PYEOF'
import sqlite3, sys, time
db, copies = sys.argv[1], int(sys.argv[2])
t0 = time.time()
c = sqlite3.connect(db, isolation_level=None)
c.execute("PRAGMA foreign_keys = OFF")
def copy(table, originals, k, changed):
    """Copies the table's original rows once more, with `changed` column expressions (k: the copy number)."""
    cols = [r[1] for r in c.execute("PRAGMA table_info(%s)" % table)]
    cols = [x for x in cols if not (x == "id" and table != "enterprise_patients")]
    exprs = [changed.get(x, x) for x in cols]
    c.execute("INSERT INTO %s (%s) SELECT %s FROM %s WHERE %s" % (table, ", ".join(cols), ", ".join(exprs), table, originals))
last_message = c.execute("SELECT max(id) FROM message_log").fetchone()[0]
last_record = c.execute("SELECT max(id) FROM source_records").fetchone()[0]
last_patient = c.execute("SELECT max(seq) FROM enterprise_patients").fetchone()[0]
c.execute("BEGIN")
for k in range(1, copies):
    copy("message_log", "id <= %d" % last_message, k, {"control_id": "control_id || '-%d'" % k})
    copy("source_records", "id <= %d" % last_record, k, {"source_key": "source_key || '-%d'" % k, "block_keys": "NULL"})
    copy("enterprise_patients", "seq <= %d" % last_patient, k, {"id": "id || '-%d'" % k, "seq": "seq + %d" % (k * last_patient)})
c.execute("COMMIT")
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
counts = [c.execute("SELECT count(*) FROM %s" % t).fetchone()[0] for t in ("message_log", "source_records", "enterprise_patients")]
print("index: %d messages, %d source records, %d enterprise patients (rows copied in %.0f s)" % (*counts, time.time() - t0))
PYEOF

scrape() {  # scrape LABEL BINARY
    local label=$1 bin=$2 token hash port pid t0 t1
    token="metrics-$RANDOM$RANDOM"; hash=$("$bin" token hash "$token")
    port=$((20000 + RANDOM % 20000))
    cat > "$out/concord.json" <<JSON
{ "database": "$db", "inbox": null, "mllp": [], "http": { "host": "127.0.0.1", "port": $port },
  "tokens": [ { "name": "bench", "sha256": "$hash", "role": "reader" } ], "logLevel": "warning" }
JSON
    t0=$(date +%s.%N)
    "$bin" serve --config "$out/concord.json" & pid=$!
    for _ in $(seq 6000); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
    t1=$(date +%s.%N)
    echo "$label: serving after $(echo "$t1 - $t0" | bc) s (includes any schema migration)"
    for i in 1 2 3 4 5; do
        curl -s -o "$out/metrics-$label.txt" -w "RESULT {\"bench\":\"metrics\",\"metric\":\"scrape_s\",\"value\":%{time_total},\"unit\":\"s\",\"binary\":\"$label\",\"run\":$i,\"status\":%{http_code}}\n" \
            -H "Authorization: Bearer $token" "http://127.0.0.1:$port/metrics"
    done
    grep -E "^concord_(message_log|enterprise_patients|source_records)" "$out/metrics-$label.txt" || true
    kill "$pid"; wait "$pid" 2>/dev/null || true
}
if [ -n "${BASE_CONCORD:-}" ]; then scrape base "$BASE_CONCORD"; fi
scrape concord "$concord"
rm -f "$db" "$db-wal" "$db-shm"
