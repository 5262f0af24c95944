"""Attacks a pull request can make through the project tree: links out of the project, FIFOs,
device links, YAML bombs and deep YAML in configuration, rule and waiver files, patterns
that backtrack. Each audit runs in a measured child process (conftest.audit_child): exit
code and message, no byte of the secret outside the project in any format, 10 s, 300 MB."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from auditor.rules import BUILTIN_RULES

from .conftest import audit_child, replace_with_fifo, replace_with_link

BOMB_ITEMS = "\n".join(
    ['  - &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"  - &{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi")]
)


def _own_rules(project: Path) -> Path:
    rules = project / "rules"
    shutil.copytree(BUILTIN_RULES, rules)
    return rules


def _cells(outcome) -> dict[tuple[str, str], dict]:
    doc = json.loads(outcome.stdout)
    return {(r["id"], col): cell for r in doc["rules"] for col, cell in r["cells"].items()}


def test_a_rule_citing_a_file_through_a_link_out_of_the_project_reads_nothing(project, secret):
    (project / "etcdir").symlink_to(secret.parent)
    rules = _own_rules(project)
    heartbeat = rules / "40-heartbeat.yaml"
    text = heartbeat.read_text(encoding="utf-8")
    # the built-in rules recognise requirements in the project's words (docs.stated); a project's
    # own rule may cite a document verbatim instead, and this one cites a file through the link
    text, cited = re.subn(r"  docs: \{probe: docs\.stated.*\}\n", "  docs: {probe: docs.cited}\n", text)
    assert cited == 1, text
    text += "citations:\n  - {document: etcdir/shadow, passage: root}\n"
    heartbeat.write_text(text, encoding="utf-8")
    outcome = audit_child(project)
    assert outcome.exit_code == 1, outcome.stderr
    outcome.assert_bounded()
    outcome.assert_no_secret()
    assert "etcdir/shadow: links outside the project" in outcome.stdout


@pytest.mark.parametrize("where", ["requirements.md", "reports/junit.xml", "tests/test_magvit_training.py",
                                   "artifacts/tdd_magvit_training_green.txt"])
@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "outside"])
def test_special_files_and_links_in_the_tree_cost_one_entry(project, secret, where, kind):
    target = project / where
    if kind == "fifo":
        replace_with_fifo(target)
    else:
        replace_with_link(target, "/dev/zero" if kind == "dev_zero" else secret)
    outcome = audit_child(project)
    assert outcome.exit_code == 1, outcome.stderr  # judged, not a crash (3) and not a hang
    outcome.assert_bounded()
    outcome.assert_no_secret()
    why = "a FIFO, not a regular file" if kind == "fifo" else "links outside the project"
    assert f"{where}: {why}" in outcome.stdout, outcome.stdout[:2000]
    cells = _cells(outcome)
    assert not [k for k, c in cells.items() if c["verdict"] == "error"], "one bad file turned cells into ERROR"


def test_an_unreadable_document_costs_one_entry(project):
    (project / ".cursorrules").chmod(0)
    outcome = audit_child(project, obey_permissions=True)
    if os.geteuid() == 0 and "Permission denied" not in outcome.stdout:
        pytest.skip("root here cannot be made to obey file permission bits (no CAP_SETPCAP)")
    assert outcome.exit_code == 1, outcome.stderr
    outcome.assert_bounded()
    assert ".cursorrules: cannot be read (Permission denied)" in outcome.stdout
    assert any(c["verdict"] == "yes" for (_, col), c in _cells(outcome).items() if col == "docs")


@pytest.mark.parametrize("file", ["audit.yaml", "rules/40-heartbeat.yaml", "audit-waivers.yaml"])
@pytest.mark.parametrize("attack", ["alias_bomb", "deep"])
def test_yaml_bombs_and_deep_yaml_are_a_clear_exit_2_naming_the_file(project, file, attack):
    if file.startswith("rules/"):
        _own_rules(project)
    path = project / file
    if attack == "alias_bomb":
        key = {"audit.yaml": "junit", "audit-waivers.yaml": "waivers"}.get(file, "gates")
        body = f"{key}:\n{BOMB_ITEMS}\n"
    else:
        body = "junit: " + "[" * 20000 + "]" * 20000 + "\n"
    if file == "audit.yaml":
        path.write_text(path.read_text(encoding="utf-8").replace("junit: [reports/junit.xml]\n", "") + body)
    else:
        path.write_text(body, encoding="utf-8")
    outcome = audit_child(project)
    assert outcome.exit_code == 2, (outcome.stdout[-500:], outcome.stderr[-2000:])
    outcome.assert_bounded()
    why = "aliases expand to more than" if attack == "alias_bomb" else "nested deeper than"
    assert re.search(rf"{re.escape(file)}:\d+: YAML {why}", outcome.stderr), outcome.stderr[-2000:]
    assert "lol" not in outcome.everything and "internal error" not in outcome.stderr


@pytest.mark.parametrize("pattern", [r"(?:a{1,1000}){1,1000}b", r"(a)\1"])
def test_an_epoch_pattern_re2_cannot_run_in_linear_time_is_exit_2(project, pattern):
    config = project / "audit.yaml"
    config.write_text(re.sub(r"epoch_pattern: .*", lambda _: f"epoch_pattern: {json.dumps(pattern)}",
                             config.read_text(encoding="utf-8")), encoding="utf-8")
    outcome = audit_child(project)
    assert outcome.exit_code == 2, outcome.stderr
    outcome.assert_bounded()
    assert re.search(r"audit\.yaml:\d+: key 'epoch_pattern' is refused: not a pattern RE2 can match in linear time",
                     outcome.stderr), outcome.stderr


def test_a_backtracking_shape_runs_in_linear_time_on_hostile_names(project):
    """`(a+)+x` made Python's re take exponential time on a name of many a's; RE2 does not backtrack."""
    config = project / "audit.yaml"
    config.write_text(re.sub(r"epoch_pattern: .*", lambda _: 'epoch_pattern: "(a+)+x(\\\\d+)"',
                             config.read_text(encoding="utf-8")), encoding="utf-8")
    run = project / "results" / "magvit_training"
    (run / ("a" * 200 + "!.pt")).write_bytes(b"\0")
    outcome = audit_child(project)
    assert outcome.exit_code == 1, outcome.stderr
    outcome.assert_bounded()
