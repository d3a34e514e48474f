#!/usr/bin/env bash
# Validates the FHIR JSON that FHIRLiteTests exported (WriterTests writes realistic $everything,
# searchset, $match, Patient and OperationOutcome resources to .build/concord-fhir-out/) with
# fhir.resources, the validating FHIR library from PyPI. Run by `make test` after `swift test`.
# FHIR_PY overrides the interpreter (default: the test venv made by scripts/pyenv.sh);
# CONCORD_FHIR_OUT overrides the folder (the Swift test honours the same variable).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${CONCORD_FHIR_OUT:-.build/concord-fhir-out}"
py="${FHIR_PY:-$(scripts/pyenv.sh test)}"
exec "$py" scripts/checks/fhir_validate.py "$out"
