"""`audit gate` and `audit launch`: the checklist from rules/gates/, tests really run, the drill
item never passes without evidence, and the launch command runs only behind a passing gate."""

import json
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.gate import GateError, load_checklist, run_gate
from auditor.render.gate import render_gate
from auditor.rules import BUILTIN_RULES, load_rules

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed_project"
RUN = SEED / "results" / "magvit_training"


def test_builtin_checklist_is_data_and_covers_every_gated_rule() -> None:
    rules = load_rules(BUILTIN_RULES)
    checklist = load_checklist(BUILTIN_RULES, "prelaunch", rules)
    kinds = [item.kind for item in checklist.items]
    assert {"rules", "tests", "required-tests", "drill"} <= set(kinds)
    covered = {rid for item in checklist.items for rid in item.rules}
    assert covered == {r.id for r in rules if "prelaunch" in r.gates}
    medium = next(i for i in checklist.items if i.kind == "tests")
    assert medium.tests == ("test_medium_scale_training_with_checkpoints",)


@pytest.mark.parametrize("body, line, words", [
    ("gate: prelaunch\ntitle: T\nitems:\n  - title: x\n    rules: [no-such-rule]\n", 5, "unknown rule id 'no-such-rule'"),
    ("gate: prelaunch\ntitle: T\nitems:\n  - title: x\n    chek: drill\n", 5, "unknown key 'chek'"),
    ("gate: prelaunch\ntitle: T\nitems:\n  - title: x\n    check: drill\n    rules: [resume]\n", 4, "exactly one of"),
    ("gate: other\ntitle: T\nitems: []\n", 1, "gate: 'other'"),
])
def test_bad_checklist_is_reported_with_file_and_line(tmp_path: Path, body: str, line: int, words: str) -> None:
    rules = load_rules(BUILTIN_RULES)
    (tmp_path / "gates").mkdir()
    p = tmp_path / "gates" / "prelaunch.yaml"
    p.write_text(body)
    with pytest.raises(GateError) as exc:
        load_checklist(tmp_path, "prelaunch", rules)
    assert f"{p}:{line}:" in str(exc.value) and words in str(exc.value), str(exc.value)


def test_seed_fails_the_gate_naming_the_failing_items() -> None:
    res = CliRunner().invoke(main, ["gate", "prelaunch", "--project", str(SEED), "--run", str(RUN),
                                    "--skip-tests", "--no-drill", "--date", "2026-01-25"])
    assert res.exit_code == 1, res.output
    out = res.output
    assert "\u274c Resume and auto-resume work" in out
    assert "resume / In Code? PARTIAL" in out  # evidence per item
    assert "\u2754 Kill-and-resume drill passes" in out and "no drill result" in out
    assert "\u274c Medium-scale training test passes" in out
    assert "test_medium_scale_training_with_checkpoints does not exist" in out
    assert out.rstrip().endswith("-> exit 1")
    assert "gate prelaunch: FAILED" in out


def make_project(tmp_path: Path, resume_test_passes: bool) -> Path:
    proj = tmp_path / "proj"
    (proj / "tests").mkdir(parents=True)
    (proj / "tests" / "test_training.py").write_text(textwrap.dedent(f"""
        def test_checkpoints_created_at_intervals():
            assert 1 + 1 == 2

        def test_can_resume_from_last_checkpoint():
            assert {resume_test_passes!r}, "resume is broken"

        def test_medium_scale_training_with_checkpoints():
            assert "medium"

        def test_unrelated_and_not_required():
            raise AssertionError("must not be run by the gate")
    """))
    # the project names its required tests (the seed's three), as this repository does in [tool.audit]
    (proj / "audit.yaml").write_text(textwrap.dedent("""
        required_tests:
          periodic-checkpoints: [test_checkpoints_created_at_intervals]
          resume: [test_can_resume_from_last_checkpoint]
          checkpoint-interval: [test_checkpoints_created_at_intervals, test_medium_scale_training_with_checkpoints]
    """))
    return proj


def test_gate_really_runs_the_required_tests(tmp_path: Path) -> None:
    proj = make_project(tmp_path, resume_test_passes=False)
    result = run_gate(proj, date="2026-01-25", drill=False)
    item = next(i for i in result.items if i.kind == "required-tests")
    assert item.status == "fail"
    text = "\n".join(item.evidence)
    assert "2 passed, 1 failed" in text and "test_can_resume_from_last_checkpoint" in text
    assert "test_unrelated_and_not_required" not in text
    assert not result.passed and result.exit_code == 1
    assert "\u274c Required tests pass" in render_gate(result)

    fixed = make_project(tmp_path / "b", resume_test_passes=True)
    result = run_gate(fixed, date="2026-01-25", drill=False)
    item = next(i for i in result.items if i.kind == "required-tests")
    assert item.status == "pass", item.evidence
    assert "3 passed" in "\n".join(item.evidence)
    assert next(i for i in result.items if i.kind == "tests").status == "pass"  # the medium-scale item


def passing_project(tmp_path: Path) -> Path:
    proj = tmp_path / "ok"
    rules = proj / "rules"
    (rules / "gates").mkdir(parents=True)
    (rules / "10-x.yaml").write_text(textwrap.dedent("""
        id: x
        title: X
        severity: error
        rationale: why
        citations: [{document: requirements.md, passage: "anything"}]
        columns:
          docs: {na: "n"}
          code: {na: "n"}
          tested: {na: "n"}
          working: {na: "n"}
        remedy: fix it
        gates: [prelaunch]
    """))
    (rules / "gates" / "prelaunch.yaml").write_text("gate: prelaunch\ntitle: Tiny\nitems:\n  - title: X holds\n    rules: [x]\n")
    return proj


def test_launch_runs_the_command_only_behind_a_passing_gate(tmp_path: Path) -> None:
    marker = tmp_path / "launched"
    cmd = [sys.executable, "-c", f"open({str(marker)!r}, 'w').write('yes'); raise SystemExit(7)"]
    res = CliRunner().invoke(main, ["launch", "--project", str(SEED), "--run", str(RUN), "--skip-tests",
                                    "--no-drill", "--date", "2026-01-25", "--"] + cmd)
    assert res.exit_code == 1 and not marker.exists()
    assert "not launching" in res.output and "Resume and auto-resume work" in res.output

    proj = passing_project(tmp_path)
    res = CliRunner().invoke(main, ["launch", "--project", str(proj), "--no-drill", "--date", "2026-01-25", "--"] + cmd)
    assert marker.read_text() == "yes"
    assert res.exit_code == 7, res.output  # the command's own exit code


def test_existing_drill_result_counts_with_no_drill(tmp_path: Path) -> None:
    proj = passing_project(tmp_path)
    (proj / "rules" / "gates" / "prelaunch.yaml").write_text(
        "gate: prelaunch\ntitle: Tiny\nitems:\n  - title: X holds\n    rules: [x]\n  - title: Drill\n    check: drill\n")
    assert run_gate(proj, drill=False, date="2026-01-25").items[-1].status == "no evidence"
    latest = proj / "artifacts" / "drill" / "latest.json"
    latest.parent.mkdir(parents=True)
    doc = {"format": "audit-drill/1", "verdict": "pass", "finished_at": "2026-01-25T10:00:00Z", "code_version": None,
           "checks": [{"id": "resumed_from_newest", "title": "Resumed from the newest", "verdict": "pass",
                       "evidence": ["kill 1: resumed from step-4.pt"]}]}
    latest.write_text(json.dumps(doc))
    res = run_gate(proj, drill=False, date="2026-01-25")
    assert res.items[-1].status == "pass" and res.passed
    assert any("kill 1: resumed from step-4.pt" in e for e in res.items[-1].evidence)
    doc["verdict"] = "fail"
    latest.write_text(json.dumps(doc))
    assert run_gate(proj, drill=False, date="2026-01-25").items[-1].status == "fail"


def test_unknown_gate_is_a_usage_error() -> None:
    res = CliRunner().invoke(main, ["gate", "nightly", "--project", str(SEED), "--skip-tests", "--no-drill"])
    assert res.exit_code == 2 and "nightly" in res.output


def test_rules_lint_checks_the_checklists(tmp_path: Path) -> None:
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(BUILTIN_RULES, rules)
    bad = rules / "gates" / "prelaunch.yaml"
    bad.write_text(bad.read_text().replace("rules: [tdd-process]", "rules: [tdd-proces]"))
    res = CliRunner().invoke(main, ["rules", "lint", "--rules", str(rules), "--project", str(SEED.parents[2])])
    assert res.exit_code == 2, res.output
    assert f"{bad}:" in res.output and "unknown rule id 'tdd-proces'" in res.output


DRILL_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "drill"


@pytest.mark.parametrize("trainer, status", [("good_trainer.py", "pass"), ("no_resume_trainer.py", "fail")])
def test_gate_really_runs_the_drill(tmp_path: Path, trainer: str, status: str) -> None:
    proj = passing_project(tmp_path)
    (proj / "rules" / "gates" / "prelaunch.yaml").write_text(
        "gate: prelaunch\ntitle: Tiny\nitems:\n  - title: X holds\n    rules: [x]\n  - title: Drill\n    check: drill\n")
    (proj / "audit.yaml").write_text(
        "drill:\n"
        f"  command: \"{sys.executable} {DRILL_FIXTURES / trainer} --run-dir {{run_dir}} --epochs 12\"\n"
        "  checkpoint_pattern: checkpoints/epoch_*.json\n"
        "  kills: 2\n  seed: 5\n  compare_final: false\n")
    res = run_gate(proj, date="2026-01-25", tests=False)
    item = res.items[-1]
    assert item.status == status, item.evidence
    latest = proj / "artifacts" / "drill" / "latest.json"
    assert json.loads(latest.read_text())["verdict"] == status  # written where --no-drill finds it
    assert any("resumed_from_newest" in e or "newest" in e.lower() for e in item.evidence), item.evidence
    assert res.exit_code == (0 if status == "pass" else 1)
