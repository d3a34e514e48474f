#!/usr/bin/env python3
"""Validates Concord's FHIR output with fhir.resources (pydantic models of the FHIR specification).

Usage: fhir_validate.py DIR

Every *.json file in DIR must be one FHIR resource (usually a Bundle) that the R4B models of
fhir.resources accept. fhir.resources 8.x ships R5 (the default package), R4B and STU3 but no R4
(4.0.1) package; R4B (4.3.0) is the release closest to R4 and wire-compatible with the elements
Concord writes, so it is the one used. Exits 1 on any validation error or when DIR holds no JSON file,
and prints a one-line summary.
"""
import importlib
import json
import os
import sys
from importlib.metadata import version


def model_class(resource_type):
    module = importlib.import_module("fhir.resources.R4B." + resource_type.lower())
    return getattr(module, resource_type)


def main():
    if len(sys.argv) != 2:
        print("usage: fhir_validate.py DIR", file=sys.stderr)
        return 2
    folder = sys.argv[1]
    names = sorted(n for n in os.listdir(folder) if n.endswith(".json")) if os.path.isdir(folder) else []
    if not names:
        print("fhir-validate: FAILED: no JSON files in %s (run swift test first)" % folder)
        return 1
    failures = []
    resources = 0
    for name in names:
        path = os.path.join(folder, name)
        with open(path, "rb") as f:
            data = f.read()
        try:
            resource_type = json.loads(data)["resourceType"]
            model = model_class(resource_type).model_validate_json(data)
            resources += 1 + len(getattr(model, "entry", None) or [])
        except Exception as error:  # noqa: BLE001 - every failure is reported
            failures.append((name, type(error).__name__, str(error).replace("\n", " | ")[:2000]))
    for name, kind, message in failures:
        print("  %s: %s %s" % (name, kind, message))
    status = "ok" if not failures else "FAILED"
    print("fhir-validate: %s: %d files, %d resources valid as FHIR R4B (fhir.resources %s), %d invalid files in %s" % (
        status, len(names), resources, version("fhir.resources"), len(failures), folder))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
