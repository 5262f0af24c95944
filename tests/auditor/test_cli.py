"""The audit CLI through click's CliRunner: exit codes and messages."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main

RULE = """\
id: {id}
title: {title}
severity: error
rationale: Why.
citations:
  - document: requirements.md
    passage: "{passage}"
columns:
  docs: {{probe: docs.cited}}
  code: {{na: "n"}}
  tested: {{na: "n"}}
  working: {{na: "n"}}
remedy: Write "{passage}" in requirements.md.
gates: [prelaunch]
"""


def make_project(tmp_path: Path, passage: str = "Checkpoints every 2 minutes") -> Path:
    proj = tmp_path / "proj"
    (proj / "rules").mkdir(parents=True)
    (proj / "requirements.md").write_text("# R\n\nCheckpoints every 2 minutes | <b>.\n", encoding="utf-8")
    (proj / "rules" / "a.yaml").write_text(RULE.format(id="alpha", title="Alpha", passage=passage), encoding="utf-8")
    return proj


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def test_check_passes_with_exit_0_and_prints_matrix(tmp_path: Path) -> None:
    proj = make_project(tmp_path)
    res = invoke("check", "--project", str(proj))
    assert res.exit_code == 0, res.output
    assert "Alpha" in res.output and "\u2705 YES" in res.output
    assert "gate prelaunch: 1/1 rules pass -> exit 0" in res.output


def test_check_fails_with_exit_1_and_json(tmp_path: Path) -> None:
    proj = make_project(tmp_path, passage="Checkpoints every hour")
    res = invoke("check", "--project", str(proj), "--format", "json", "--date", "2026-01-25")
    assert res.exit_code == 1, res.output
    data = json.loads(res.output)
    assert data["rules"][0]["cells"]["docs"]["verdict"] == "no"
    assert data["exit_code"] == 1 and data["date"] == "2026-01-25"


def test_config_error_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    proj = make_project(tmp_path)
    (proj / "audit.yaml").write_text("bogus_key: 1\n", encoding="utf-8")
    res = invoke("check", "--project", str(proj))
    assert res.exit_code == 2
    assert "audit.yaml" in res.output and "bogus_key" in res.output


def test_missing_run_dir_and_bad_date_exit_2(tmp_path: Path) -> None:
    proj = make_project(tmp_path)
    res = invoke("check", "--project", str(proj), "--run", str(tmp_path / "nope"))
    assert res.exit_code == 2 and "nope" in res.output
    res = invoke("report", "--project", str(proj), "--date", "25/01/2026")
    assert res.exit_code == 2 and "--date" in res.output


def test_broken_rules_exit_2_with_line(tmp_path: Path) -> None:
    proj = make_project(tmp_path)
    (proj / "rules" / "b.yaml").write_text("id: beta\ntitle: [\n", encoding="utf-8")
    res = invoke("check", "--project", str(proj))
    assert res.exit_code == 2 and "b.yaml:" in res.output


def test_rules_lint_reports_every_error_with_file_and_line(tmp_path: Path) -> None:
    proj = make_project(tmp_path)
    assert invoke("rules", "lint", "--rules", str(proj / "rules"), "--project", str(proj)).exit_code == 0
    bad = RULE.format(id="beta", title="Beta", passage="Not there").replace("docs.cited", "docs.nope")
    (proj / "rules" / "b.yaml").write_text(bad, encoding="utf-8")
    (proj / "rules" / "c.yaml").write_text("id: gamma\n  title: x\n", encoding="utf-8")
    res = invoke("rules", "lint", "--rules", str(proj / "rules"), "--project", str(proj))
    assert res.exit_code == 2
    assert "b.yaml:7:" in res.output and "not found in requirements.md" in res.output
    assert "b.yaml:9:" in res.output and "unknown probe 'docs.nope'" in res.output
    assert "c.yaml:2:" in res.output and "invalid YAML" in res.output
    assert "3 errors" in res.output


def test_report_is_byte_stable_and_written_to_output(tmp_path: Path) -> None:
    proj = make_project(tmp_path)
    out = tmp_path / "reports" / "STATUS.md"
    a = invoke("report", "--project", str(proj), "--date", "2026-01-25", "--output", str(out))
    assert a.exit_code == 0, a.output
    first = out.read_bytes()
    b = invoke("report", "--project", str(proj), "--date", "2026-01-25", "--output", str(out))
    assert b.exit_code == 0 and out.read_bytes() == first
    text = first.decode("utf-8")
    assert "**Date**: 2026-01-25" in text and "\\| &lt;b&gt;" in text
    epoch = invoke("report", "--project", str(proj), env={"SOURCE_DATE_EPOCH": "1769299200"})
    assert "**Date**: 2026-01-25" in epoch.output
    ascii_out = invoke("report", "--project", str(proj), "--date", "2026-01-25", "--ascii")
    assert ascii_out.output.isascii() and "[YES]" in ascii_out.output


def test_explain_prints_one_rule_or_exits_2(tmp_path: Path) -> None:
    proj = make_project(tmp_path)
    res = invoke("explain", "alpha", "--project", str(proj))
    assert res.exit_code == 0
    assert "requirements.md:3" in res.output and "Checkpoints every 2 minutes" in res.output
    res = invoke("explain", "nope", "--project", str(proj))
    assert res.exit_code == 2 and "alpha" in res.output  # lists the known ids


def test_internal_error_exits_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import auditor.engine

    def boom(*a, **k):
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(auditor.engine, "evaluate", boom)
    res = invoke("check", "--project", str(make_project(tmp_path)))
    assert res.exit_code == 3 and "internal error" in res.output and "ZeroDivisionError" in res.output


def test_verify_checksums_finds_a_flipped_byte_only_when_asked(tmp_path: Path) -> None:
    """A same-size corruption passes the size check; --verify-checksums re-hashes and reports it."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "compliant_run", run)
    pt = run / "checkpoints" / "step-00000396.pt"
    data = bytearray(pt.read_bytes())
    data[-10] ^= 0xFF
    pt.write_bytes(bytes(data))
    proj = tmp_path / "proj"
    proj.mkdir()

    def measured(*extra: str) -> dict:
        res = invoke("check", "--project", str(proj), "--run", str(run), "--format", "json", *extra)
        assert res.exit_code in (0, 1), res.output
        rule = next(r for r in json.loads(res.output)["rules"] if r["id"] == "periodic-checkpoints")
        return rule["cells"]["working"]

    assert measured()["measured"]["invalid"] == 0
    cell = measured("--verify-checksums")
    assert cell["measured"]["invalid"] == 1
    assert "step-00000396.pt" in json.dumps(cell["citations"])


def test_report_is_titled_with_the_projects_name(tmp_path: Path) -> None:
    """`audit report` run from the checkout (project `.`) names the project, not `.`: the
    distribution name from pyproject.toml, else the folder's name."""
    proj = make_project(tmp_path)
    res = invoke("report", "--project", str(proj), "--date", "2026-01-25")
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0] == "# Compliance status: proj"
    (proj / "pyproject.toml").write_text('[project]\nname = "acme-trainer"\nversion = "1"\n', encoding="utf-8")
    res = invoke("check", "--project", str(proj), "--format", "json", "--date", "2026-01-25")
    assert json.loads(res.output)["name"] == "acme-trainer"
    res = invoke("report", "--project", str(proj), "--date", "2026-01-25")
    assert res.output.splitlines()[0] == "# Compliance status: acme-trainer"


def test_rules_lint_of_the_built_in_rules_in_a_foreign_project_is_clean(tmp_path: Path) -> None:
    """The built-in rules cite nothing (In Docs? reads each project's own words), so they lint clean
    in any project, and the message says how to get rules that cite the project's passages."""
    proj = tmp_path / "foreign"
    proj.mkdir()
    (proj / "requirements.md").write_text("# Ours\n\nWe checkpoint hourly.\n", encoding="utf-8")
    res = invoke("rules", "lint", "--project", str(proj))
    assert res.exit_code == 0, res.output
    assert "rules are clean" in res.output and "audit rules derive" in res.output
