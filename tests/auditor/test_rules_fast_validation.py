"""A project's own rule files are checked against the schema by jsonschema-rs (compiled; its import
and a validation cost a hundredth of what jsonschema's do), and jsonschema is imported only to
word the errors of a text that fails. Where the fast check rejects a text, jsonschema decides: a
rule is never refused on the fast check alone, and never accepted by it where jsonschema would
refuse it (tested here on mutations of every built-in rule)."""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from auditor import rules
from tests.auditor.test_rules_validated import own_rules_project

REPO = Path(__file__).resolve().parents[2]
BUILTIN = REPO / "auditor" / "builtin_rules"
SCHEMA = json.loads((BUILTIN / "schema.json").read_text(encoding="utf-8"))
CHECK = ("import sys\n{prelude}from auditor.cli import main\ntry:\n    main(['check', '--project', sys.argv[1], "
         "'--format', 'json'])\nexcept SystemExit as exc:\n    print('EXIT', exc.code, 'jsonschema' in sys.modules, "
         "file=sys.stderr)\n")


def _check(project: Path, cache: Path, prelude: str = "") -> tuple[int, bool, str]:
    """(exit code, whether jsonschema was imported, stdout and stderr) of `audit check` in a child."""
    env = {k: v for k, v in os.environ.items() if k != "AUDIT_NO_CACHE"}
    env["AUDIT_CACHE_DIR"] = str(cache)
    done = subprocess.run([sys.executable, "-c", CHECK.format(prelude=prelude), str(project)], capture_output=True,
                          text=True, timeout=120, env=env)
    _, exit_code, loaded = done.stderr.strip().splitlines()[-1].split()
    return int(exit_code), loaded == "True", done.stdout + done.stderr


def test_valid_own_rules_are_checked_without_importing_jsonschema(tmp_path: Path) -> None:
    project = own_rules_project(tmp_path)
    code, imported, _ = _check(project, tmp_path / "cache")
    assert (code, imported) == (1, False)


def test_an_invalid_own_rule_is_worded_by_jsonschema_with_file_and_line(tmp_path: Path) -> None:
    project = own_rules_project(tmp_path)
    target = project / "rules" / "10-periodic-checkpoints.yaml"
    target.write_text(target.read_text(encoding="utf-8") + "colour: blue\n", encoding="utf-8")
    code, imported, out = _check(project, tmp_path / "cache")
    assert (code, imported) == (2, True)
    line = len(target.read_text(encoding="utf-8").splitlines())
    assert f"10-periodic-checkpoints.yaml:{line}: unknown key 'colour'" in out


@pytest.mark.parametrize("prelude", ["sys.modules['jsonschema_rs'] = None\n"])
def test_without_jsonschema_rs_rules_are_validated_by_jsonschema_alone(tmp_path: Path, prelude: str) -> None:
    project = own_rules_project(tmp_path)
    assert _check(project, tmp_path / "cache", prelude)[:2] == (1, True)
    target = project / "rules" / "20-progress-file.yaml"
    target.write_text(target.read_text(encoding="utf-8").replace("severity: error", "severity: 7", 1), encoding="utf-8")
    code, imported, out = _check(project, tmp_path / "cache2", prelude)
    assert (code, imported) == (2, True) and "20-progress-file.yaml" in out and "severity" in out


def _mutations(doc: dict) -> list[tuple[str, object]]:
    """Rule documents one edit away from a valid one: keys dropped, added, retyped, emptied."""
    out: list[tuple[str, object]] = []
    for key in list(doc):
        dropped = {k: v for k, v in doc.items() if k != key}
        out.append((f"without {key}", dropped))
        for value in (None, 7, "", [], {}, "x y", ["Bad Id"], {"probe": "docs.cited"}):
            out.append((f"{key}={value!r}", {**doc, key: value}))
    out.append(("extra key", {**doc, "colour": "blue"}))
    for column in ("docs", "code", "tested", "working"):
        for value in ({"probe": "Not A Probe"}, {"na": ""}, {"na": "n/a", "probe": "docs.cited"}, {"params": {}},
                      {"probe": "docs.cited", "params": []}, {"probe": "docs.cited", "extra": 1}, {}):
            changed = copy.deepcopy(doc)
            changed.setdefault("columns", {})[column] = value
            out.append((f"columns.{column}={value!r}", changed))
    for citation in ({}, {"document": "a.md"}, {"passage": "p"}, {"document": "a.md", "passage": "p", "implied": "yes"},
                     {"document": "a.md", "passage": "p", "other": 1}, {"document": 3, "passage": "p"}):
        out.append((f"citation {citation!r}", {**doc, "citations": [citation]}))
    out += [("id with newline", {**doc, "id": "ok-id\n"}), ("order -1", {**doc, "order": -1}),
            ("order 1.5", {**doc, "order": 1.5}), ("gates with a bad name", {**doc, "gates": ["Pre Launch"]})]
    return out


def test_the_fast_check_never_accepts_what_jsonschema_refuses() -> None:
    reference = jsonschema.Draft202012Validator(SCHEMA)
    fast = rules.fast_validator()
    assert fast is not None, "jsonschema-rs is a dependency: it must be importable here"
    tried = refused = 0
    for path in sorted(BUILTIN.glob("*.yaml")):
        base = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert fast(base) and not list(reference.iter_errors(base)), path.name
        for what, doc in _mutations(base):
            tried += 1
            valid = not list(reference.iter_errors(doc))
            refused += not valid
            if fast(doc):
                assert valid, f"{path.name}, {what}: the fast check accepts what jsonschema refuses"
    assert tried > 400 and refused > tried // 2, (tried, refused)
