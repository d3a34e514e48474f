#!/usr/bin/env bash
# Creates (once) the Python virtual environment with the peer tools and validators used by the tests and
# benchmarks (fhir.resources, python-hl7, hl7apy, lxml, recordlinkage, Splink), outside the repository's
# sources: .venv/ (git-ignored). Prints the interpreter's path.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv="${CONCORD_VENV:-$here/.venv}"
req="$here/scripts/requirements-${1:-test}.txt"
stamp="$venv/.stamp-$(basename "$req")"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv" >&2; fi
if [ ! -f "$stamp" ] || [ "$req" -nt "$stamp" ]; then
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" >&2
    touch "$stamp"
fi
echo "$venv/bin/python"
