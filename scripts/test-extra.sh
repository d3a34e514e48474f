#!/usr/bin/env bash
# Tests run by `make test` after the Swift suite: checks that need Python tools from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
passed=0; failed=0
for check in scripts/checks/*.sh; do
    [ -e "$check" ] || continue
    if bash "$check"; then passed=$((passed+1)); echo "check $(basename "$check"): ok";
    else failed=$((failed+1)); echo "check $(basename "$check"): FAILED"; fi
done
echo "extra checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
