"""Validate the built-in rules against their schema and write the record an audit trusts.

    .venv/bin/python scripts/validated_rules.py

auditor/builtin_rules/validated.json lists the sha256 of every built-in rule text that passed
the schema (and the document checks), and the schema's own sha256. An audit that loads one of
these texts unchanged skips the schema, and with it the import of jsonschema; any other text is
validated as always. Run this after changing a built-in rule or the schema:
tests/auditor/test_rules_validated.py fails until the record matches the files. Exit 1, with
every problem listed, when a rule does not pass (nothing is written then).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from auditor import rules


def main() -> int:
    folder = rules.BUILTIN_RULES
    problems, digests = [], []
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        composed = yaml.compose(text)
        data = yaml.safe_load(text)
        errors = rules._schema_errors(path, data, composed) or rules._document_errors(path, data, composed)
        problems += [str(e) for e in errors]
        digests.append(rules._sha256(text))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    record = {"schema_sha256": rules._sha256(rules.SCHEMA_PATH.read_text(encoding="utf-8")),
              "rule_sha256": sorted(digests)}
    Path(rules.VALIDATED_PATH).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"{rules.VALIDATED_PATH}: {len(digests)} rule texts validated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
