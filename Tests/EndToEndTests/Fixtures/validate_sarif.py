"""Validates a SARIF log against the OASIS SARIF 2.1.0 schema (draft-04) beside this file.

Usage: python3 validate_sarif.py LOG.sarif   (exit 0: valid; 1: invalid, errors on stderr;
3: the jsonschema package is missing)
"""
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    print("the jsonschema package is missing (pip install jsonschema)", file=sys.stderr)
    sys.exit(3)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "sarif-schema-2.1.0.json")) as f:
    schema = json.load(f)
with open(sys.argv[1]) as f:
    log = json.load(f)
validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
for error in errors[:20]:
    print(f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}", file=sys.stderr)
sys.exit(1 if errors else 0)
