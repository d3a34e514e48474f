#!/usr/bin/env bash
# `make reliability` (= scripts/reliability.sh long): the long proofs.
#   1. crash consistency: REL_N (20000) MLLP messages, REL_K (20) SIGKILLs, 200 inbox files + the sample
#      documents dropped while the server is being killed (tools/reliability/crash.py);
#   2. hostile input against the real binary: 2,000 idle MLLP + 500 idle HTTP connections held while
#      every attack of docs/hostile-input.md runs and a good sender is served (tools/reliability/hostile.py);
#   3. load and memory: LOAD_N (1000000) messages through MLLP with HTTP reads running at the same time,
#      the server's RSS sampled from /proc/PID/status (tools/reliability/load.py; CSV in $BENCH_OUT).
# `scripts/reliability.sh short` runs the short crash test only (what `make test` runs).
# Uses ${CONCORD}, by default .build/release/concord when it exists (load numbers mean little in a
# debug build), else .build/debug/concord. Builds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-long}"
if [ -z "${CONCORD:-}" ]; then
    if [ -x .build/release/concord ]; then CONCORD=.build/release/concord; else CONCORD=.build/debug/concord; fi
fi
[ -x "$CONCORD" ] || { echo "reliability: $CONCORD not built (swift build, or swift build -c release)"; exit 1; }
PY="${PEER_PY:-python3}"
export PYTHONDONTWRITEBYTECODE=1
OUT="${BENCH_OUT:-bench/out}"
mkdir -p "$OUT"
work="$(mktemp -d /tmp/concord-reliability.XXXXXX)"
seed="${REL_SEED:-$RANDOM}"
status=0
echo "reliability ($mode) with $CONCORD, seed $seed, scratch $work"
case "$mode" in
    short)
        CONCORD="$CONCORD" bash scripts/checks/crash-consistency.sh || status=1 ;;
    long)
        "$PY" tools/reliability/crash.py --concord "$CONCORD" --workdir "$work/crash" -n "${REL_N:-20000}" -k "${REL_K:-20}" \
            -c "${REL_CONNECTIONS:-8}" --files "${REL_FILES:-200}" --samples samples --seed "$seed" --timeout 3600 \
            | tee "$OUT/reliability-crash.txt" || status=1
        "$PY" tools/reliability/hostile.py --concord "$CONCORD" --workdir "$work/hostile" | tee "$OUT/reliability-hostile.txt" || status=1
        "$PY" tools/reliability/load.py --concord "$CONCORD" --workdir "$work/load" -n "${LOAD_N:-1000000}" \
            --senders "${LOAD_SENDERS:-4}" --window "${LOAD_WINDOW:-32}" --patients "${LOAD_PATIENTS:-50000}" \
            --sample-seconds 10 --csv "$OUT/reliability-rss.csv" | tee "$OUT/reliability-load.txt" || status=1 ;;
    *) echo "usage: scripts/reliability.sh short|long"; exit 2 ;;
esac
if [ $status -eq 0 ]; then rm -rf "$work"; echo "reliability ($mode): OK"; else echo "reliability ($mode): FAILED (state kept in $work)"; fi
exit $status
