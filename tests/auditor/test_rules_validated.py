"""The built-in rules are validated against their schema here, in the test suite, and an audit
that uses them unchanged does not validate (or import jsonschema) again: the record of validated
texts ships with them. Any other text, an edited copy of a built-in rule included, is validated
as before."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from auditor.rules import RulesError, load_rules

REPO = Path(__file__).resolve().parents[2]
BUILTIN = REPO / "auditor" / "builtin_rules"
RECORD = BUILTIN / "validated.json"


# whether the child validated a rule text: either validator imported (auditor.rules.fast_validator)
VALIDATED = "any(m in sys.modules for m in ('jsonschema', 'jsonschema_rs'))"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_text(encoding="utf-8").encode()).hexdigest()


def test_the_record_names_exactly_the_shipped_rules_and_schema_and_each_passes_the_schema() -> None:
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    files = sorted(BUILTIN.glob("*.yaml"))
    assert files, "no built-in rules found"
    hint = "run: .venv/bin/python scripts/validated_rules.py"
    assert record["schema_sha256"] == _digest(BUILTIN / "schema.json"), f"schema.json changed; {hint}"
    assert sorted(record["rule_sha256"]) == sorted(_digest(p) for p in files), f"a built-in rule changed; {hint}"
    validator = jsonschema.Draft202012Validator(json.loads((BUILTIN / "schema.json").read_text(encoding="utf-8")))
    for path in files:
        assert list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))) == [], path.name


def test_an_audit_with_the_built_in_rules_does_not_import_jsonschema(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Demo\n\nSave a checkpoint every 2 minutes.\n", encoding="utf-8")
    (tmp_path / "train.py").write_text("for step in range(3):\n    print('step', step)\n", encoding="utf-8")
    code = ("import sys\nfrom auditor.cli import main\ntry:\n    main(['check', '--project', sys.argv[1], "
            "'--format', 'json'])\nexcept SystemExit as exc:\n    print('EXIT', exc.code, VALIDATED, "
            "file=sys.stderr)\n").replace("VALIDATED", VALIDATED)
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    last = done.stderr.strip().splitlines()[-1]
    assert last in ("EXIT 0 False", "EXIT 1 False"), done.stderr[-2000:]
    assert json.loads(done.stdout)["rules"], "the audit read no rules"


def test_a_byte_identical_copy_of_the_built_in_rules_loads_as_they_do(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(BUILTIN, copy)
    assert load_rules(copy) == [r.__class__(**{**r.__dict__, "path": copy / r.path.name}) for r in load_rules(BUILTIN)]


@pytest.mark.parametrize("edit, message", [
    (lambda text: text + "colour: blue\n", "unknown key 'colour'"),
    (lambda text: text.replace("severity: error", "severity: 7", 1), "severity"),
])
def test_an_edited_built_in_rule_is_validated_again(tmp_path: Path, edit, message: str) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(BUILTIN, copy)
    target = copy / "10-periodic-checkpoints.yaml"
    assert "severity: error" in target.read_text(encoding="utf-8")
    target.write_text(edit(target.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(copy)
    assert "10-periodic-checkpoints.yaml" in str(caught.value) and message in str(caught.value)


def _audit_loading(project: Path, cache: Path) -> tuple[int, bool]:
    """(exit code, whether a rule text was validated) of `audit check` of `project` with a cache folder."""
    code = ("import sys\nfrom auditor.cli import main\ntry:\n    main(['check', '--project', sys.argv[1], "
            "'--format', 'json'])\nexcept SystemExit as exc:\n    print('EXIT', exc.code, VALIDATED, "
            "file=sys.stderr)\n").replace("VALIDATED", VALIDATED)
    env = {k: v for k, v in os.environ.items() if k != "AUDIT_NO_CACHE"}  # conftest turns caches off
    env["AUDIT_CACHE_DIR"] = str(cache)
    done = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True, text=True, timeout=120,
                          env=env)
    _, exit_code, loaded = done.stderr.strip().splitlines()[-1].split()
    return int(exit_code), loaded == "True"


def own_rules_project(tmp_path: Path) -> Path:
    """A project whose rules/ is the built-in rules with one text of its own (a comment added)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "train.py").write_text("for step in range(3):\n    print('step', step)\n", encoding="utf-8")
    shutil.copytree(BUILTIN, project / "rules", ignore=shutil.ignore_patterns("validated.json", "schema.json"))
    target = project / "rules" / "10-periodic-checkpoints.yaml"
    target.write_text(target.read_text(encoding="utf-8") + "\n# our own copy\n", encoding="utf-8")
    return project


def test_a_projects_own_rules_are_validated_once_per_text_and_an_invalid_one_every_time(tmp_path: Path) -> None:
    project = own_rules_project(tmp_path)
    target = project / "rules" / "10-periodic-checkpoints.yaml"
    cache = tmp_path / "cache"
    assert _audit_loading(project, cache) == (1, True)  # validated: not a built-in text
    assert _audit_loading(project, cache) == (1, False)  # the same texts passed here before
    target.write_text(target.read_text(encoding="utf-8") + "# edited again\n", encoding="utf-8")
    assert _audit_loading(project, cache) == (1, True)
    target.write_text(target.read_text(encoding="utf-8").replace("severity: error", "severity: 7", 1),
                      encoding="utf-8")
    for _ in range(2):
        assert _audit_loading(project, cache) == (2, True)  # an invalid text is never kept as valid
    assert _audit_loading(project, project / ".cache") == (2, True)


def test_rule_texts_are_not_kept_as_valid_without_a_usable_cache_folder(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(BUILTIN, project / "rules", ignore=shutil.ignore_patterns("validated.json", "schema.json"))
    (project / "rules" / "20-progress-file.yaml").write_text(
        (BUILTIN / "20-progress-file.yaml").read_text(encoding="utf-8") + "\n# ours\n", encoding="utf-8")
    inside = project / ".cache"
    for _ in range(2):
        assert _audit_loading(project, inside)[1] is True
    assert not inside.exists() or list(inside.iterdir()) == []
