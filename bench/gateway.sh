#!/usr/bin/env bash
# Gateway end to end: MLLP messages/s durably ingested and ACKed with 1, 8 and 64 connections, ACK
# latency p50/p99; then HTTP unified-record requests/s and p99 under wrk. Usage: bench/gateway.sh quick|full
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-full}"
out="${BENCH_OUT:-bench/out}/gateway"; mkdir -p "$out"
bench="${CONCORD_BENCH:-.build/release/concord-bench}"
concord="${CONCORD:-.build/release/concord}"
py="${PEER_PY:-python3}"
if [ "$scale" = quick ]; then n=2000; conns=1,8; dur=3; else n=30000; conns=1,8,64; dur=15; fi
corpus="$out/corpus-$n.hl7"
[ -f "$corpus" ] || "$py" ../shared/peers/gen_hl7.py "$n" 7 "$corpus" >/dev/null
echo "### MLLP end to end ($n messages per run, durable: every ACK after the fsync covering it; group commit)"
"$bench" gateway "$corpus" --messages "$n" --connections "$conns" --db-dir "$out" | tee "$out/mllp.txt"

# Patients with long histories: every message an ORU for one of a few patients (the unified record's
# refresh must not grow with the history).
if [ "$scale" = quick ]; then cp=20; cn=1000; else cp=100; cn=6000; fi
chronic="$out/chronic-$cp-$cn.hl7"
[ -f "$chronic" ] || "$py" bench/gen_chronic.py "$corpus" "$cp" "$cn" "$chronic"
echo "### MLLP, $cp patients with long histories ($cn ORUs, 64 connections)"
"$bench" gateway "$chronic" --messages "$cn" --connections 64 --db-dir "$out" | tee "$out/mllp-chronic.txt"

echo "### HTTP unified record under wrk"
db="$out/http.sqlite"; rm -f "$db" "$db-wal" "$db-shm"
split_dir="$out/split"; rm -rf "$split_dir"; mkdir -p "$split_dir"
head -n 5000 "$corpus" | split -l 500 - "$split_dir/part-"
"$concord" --db "$db" ingest "$split_dir" >/dev/null
token="bench-$(date +%s)"; hash=$("$concord" token hash "$token")
port=$((20000 + RANDOM % 20000))
cat > "$out/concord.json" <<JSON
{ "database": "$db", "inbox": null, "mllp": [], "http": { "host": "127.0.0.1", "port": $port },
  "tokens": [ { "name": "bench", "sha256": "$hash", "role": "reader" } ], "logLevel": "warning" }
JSON
"$concord" serve --config "$out/concord.json" & pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
ep=$("$concord" --db "$db" patients list --json | "$py" -c 'import json,sys; ps=json.load(sys.stdin); print(max(ps, key=lambda p: len(p["sourceRecords"]))["id"])')
facts=$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/patients/$ep/record" | "$py" -c 'import json,sys; print(len(json.load(sys.stdin)["facts"]))')
echo "patient $ep with $facts facts"
wrk -t2 -c16 -d"${dur}s" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/patients/$ep/record" | tee "$out/wrk.txt"
kill $pid; wait $pid 2>/dev/null || true
