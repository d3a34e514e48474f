#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets in Fuzz/ (swiftc -sanitize=fuzzer,address, module sources
# compiled directly, no SwiftPM), replays every saved crash in Fuzz/regressions/<target>/ first (a
# regression fails the run), then fuzzes each target for FUZZ_SECONDS (default 60) seeded from samples/
# and Tests/*/Fixtures, and prints executions and coverage (libFuzzer's cov:/ft:) per target.
#   FUZZ_SECONDS=120 scripts/fuzz.sh            all targets
#   scripts/fuzz.sh hl7v2 mllp                  some targets (hl7v2, ccda, fhir, mllp)
#   FUZZ_LEAKS=0 scripts/fuzz.sh ccda           fuzz past a known leak (regressions still replayed with leak checks)
#   FUZZ_OUT=dir                                build and corpus folder (default .build/fuzz)
# New crashes are written to Fuzz/regressions/<target>/ (commit them: they are replayed on every run).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
OUT="${FUZZ_OUT:-$ROOT/.build/fuzz}"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
# Leak detection is on (a leak is a finding); FUZZ_LEAKS=0 lets a campaign go past a known leak.
LEAKS="${FUZZ_LEAKS:-1}"
SWIFTC="${SWIFTC:-swiftc}"
TARGETS=("$@"); [ ${#TARGETS[@]} -gt 0 ] || TARGETS=(hl7v2 ccda fhir mllp)
mkdir -p "$OUT/modules" "$OUT/bin" "$OUT/corpus" "$OUT/logs"
SAN=(-sanitize=fuzzer,address -O -g -parse-as-library -package-name Concord -swift-version 6)
XML=(-I "$ROOT/Sources/CLibXML" -Xcc -I/usr/include/libxml2)

# One module: objects + .swiftmodule in $OUT/modules (rebuilt when a source is newer).
module() {
    local name="$1"; shift
    local srcs; srcs=$(find "$ROOT/Sources/$name" -name '*.swift' | sort)
    local obj="$OUT/modules/$name.o"
    if [ -f "$obj" ] && [ -z "$(find "$ROOT/Sources/$name" -name '*.swift' -newer "$obj")" ]; then return; fi
    echo "fuzz: compiling module $name"
    # shellcheck disable=SC2086
    "$SWIFTC" "${SAN[@]}" -c -wmo -num-threads 0 -module-name "$name" -emit-module \
        -emit-module-path "$OUT/modules/$name.swiftmodule" -I "$OUT/modules" "$@" $srcs -o "$obj"
}

target() {
    local t="$1" file deps=() libs=()
    case "$t" in
        hl7v2) file=HL7v2Fuzz.swift; module Clinical; module HL7v2; deps=(Clinical HL7v2) ;;
        mllp)  file=MLLPFuzz.swift;  module Clinical; module HL7v2; deps=(Clinical HL7v2) ;;
        ccda)  file=CCDAFuzz.swift;  module Clinical; module CCDA "${XML[@]}"; deps=(Clinical CCDA); libs=("${XML[@]}" -lxml2) ;;
        fhir)  file=FHIRFuzz.swift;  module Clinical; module FHIRLite; deps=(Clinical FHIRLite) ;;
        *) echo "fuzz: unknown target $t (hl7v2, ccda, fhir, mllp)"; exit 2 ;;
    esac
    local bin="$OUT/bin/fuzz-$t" objs=()
    for d in "${deps[@]}"; do objs+=("$OUT/modules/$d.o"); done
    echo "fuzz: linking $t"; rm -f "$bin"
    "$SWIFTC" "${SAN[@]}" -module-name "Fuzz_$t" -I "$OUT/modules" "${libs[@]}" "$ROOT/Fuzz/$file" "${objs[@]}" -o "$bin" 2>&1 \
        | grep -v "Cannot export local symbol '__asan" || true
    [ -x "$bin" ] || { echo "fuzz: building $t failed"; exit 1; }
}

seed() {
    local t="$1" dir="$OUT/corpus/$1"
    mkdir -p "$dir"
    case "$t" in
        hl7v2) find samples/riverside-hl7 Tests/HL7v2Tests/Fixtures -type f \( -name '*.hl7' -o -name '*.txt' \) -exec cp -n {} "$dir/" \; ;;
        ccda)  find samples/lakeside-ccda Tests/CCDATests/Fixtures -type f -name '*.xml' -exec cp -n {} "$dir/" \; ;;
        fhir)  find samples/summit-fhir Tests/FHIRLiteTests/Fixtures -type f \( -name '*.json' -o -name '*.ndjson' \) -exec cp -n {} "$dir/" \; ;;
        mllp)  for f in samples/riverside-hl7/*.hl7; do
                   printf '\x0b%s\x1c\x0d' "$(head -c 400 "$f")" > "$dir/framed-$(basename "$f")"
               done
               printf 'junk\x0bMSH|^~\\&|A\x0b\x0bMSH|x\x1c\x0d\x1c\x0d' > "$dir/resync" ;;
    esac
}

status=0
summary=()
for t in "${TARGETS[@]}"; do
    target "$t"
    bin="$OUT/bin/fuzz-$t"
    reg="$ROOT/Fuzz/regressions/$t"
    mkdir -p "$reg"
    mapfile -t saved < <(find "$reg" -type f ! -name '*.md' | sort)
    if [ ${#saved[@]} -gt 0 ]; then
        if "$bin" -rss_limit_mb=4096 "${saved[@]}" > "$OUT/logs/$t-regressions.log" 2>&1; then
            echo "fuzz $t: ${#saved[@]} regression input(s) replayed, all pass"
        else
            echo "fuzz $t: REGRESSION — a saved crash input still crashes (see $OUT/logs/$t-regressions.log)"
            grep -m3 -E "Fatal error|ERROR: AddressSanitizer|SUMMARY" "$OUT/logs/$t-regressions.log" || true
            status=1
        fi
    fi
    seed "$t"
    log="$OUT/logs/$t.log"
    set +e
    ASAN_OPTIONS="detect_leaks=$LEAKS${ASAN_OPTIONS:+:$ASAN_OPTIONS}" "$bin" "$OUT/corpus/$t" -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
        -print_final_stats=1 -detect_leaks="$LEAKS" -artifact_prefix="$reg/" > "$log" 2>&1
    rc=$?
    set -e
    line=$(grep -E "^#[0-9]+" "$log" | tail -1)
    execs=$(grep -m1 "stat::number_of_executed_units" "$log" | awk '{print $2}')
    cov=$(echo "$line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p'); ft=$(echo "$line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$line" | sed -n 's/.*corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p')
    if [ $rc -ne 0 ]; then
        status=1
        crash=$(ls -t "$reg" | head -1)
        summary+=("$(printf '%-6s %4ss  execs %-10s cov %-6s ft %-6s corpus %-12s CRASH -> Fuzz/regressions/%s/%s' "$t" "$SECONDS_PER_TARGET" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$t" "$crash")")
        grep -m3 -E "Fatal error|ERROR: AddressSanitizer|SUMMARY|deadly signal" "$log" || true
    else
        summary+=("$(printf '%-6s %4ss  execs %-10s cov %-6s ft %-6s corpus %-12s ok' "$t" "$SECONDS_PER_TARGET" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}")")
    fi
done
echo "fuzz summary:"
printf '  %s\n' "${summary[@]}"
exit $status
