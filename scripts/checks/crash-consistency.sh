#!/usr/bin/env bash
# Crash consistency, short form (run by `make test`): N=300 MLLP messages over 4 connections with
# re-sends, K=3 SIGKILLs of `concord serve` at random points, plus inbox files and the sample documents
# dropped meanwhile. Builds nothing: uses ${CONCORD:-.build/debug/concord}. The long form is
# `make reliability` (scripts/reliability.sh long).
set -euo pipefail
cd "$(dirname "$0")/../.."
CONCORD="${CONCORD:-.build/debug/concord}"
PY="${PEER_PY:-python3}"
export PYTHONDONTWRITEBYTECODE=1
[ -x "$CONCORD" ] || { echo "crash-consistency: $CONCORD not built (run swift build first)"; exit 1; }
work="$(mktemp -d /tmp/concord-crash.XXXXXX)"
seed="${CRASH_SEED:-$RANDOM}"
if out="$("$PY" tools/reliability/crash.py --concord "$CONCORD" --workdir "$work" -n "${CRASH_N:-300}" -k "${CRASH_K:-3}" \
        --files 20 --samples samples --seed "$seed" --timeout 150 2>&1)"; then
    echo "crash-consistency: OK — $(echo "$out" | sed -n '1s/^crash consistency: //p'); nothing lost or doubled, index consistent, integrity ok"
    rm -rf "$work"
else
    echo "$out"
    echo "crash-consistency: FAILED (seed $seed; state kept in $work)"
    exit 1
fi
