#!/usr/bin/env bash
# make bench: builds in release mode, sets up the peers' Python environment, then runs every benchmark
# beside its peers on the same inputs in this one run. Usage: scripts/bench.sh [quick|full] [NAME…]
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-full}"; shift || true
names=("$@"); [ ${#names[@]} -gt 0 ] || names=(hl7 ccda fhir match index facts gateway metrics)
swift build -c release --product concord-bench >&2
swift build -c release --product concord >&2
export CONCORD_BENCH="$PWD/.build/release/concord-bench"
export CONCORD="$PWD/.build/release/concord"
export BENCH_OUT="${BENCH_OUT:-$PWD/bench/out}"
mkdir -p "$BENCH_OUT"
export PEER_PY="${PEER_PY:-$(CONCORD_VENV="${CONCORD_BENCH_VENV:-$PWD/.venv-bench}" scripts/pyenv.sh bench)}"
echo "# concord bench ($scale) on $(nproc) cores, $(date -u +%FT%TZ), $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
for name in "${names[@]}"; do
    echo; echo "## $name"
    bash "bench/$name.sh" "$scale" || echo "bench $name FAILED"
done
