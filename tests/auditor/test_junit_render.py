"""JUnit output (one testcase per rule) and several formats in one `audit check --output` run."""

import json
from pathlib import Path

from click.testing import CliRunner
from defusedxml import ElementTree

from auditor.cli import main
from auditor.engine import audit_project
from auditor.render import render

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed_project"
RUN = SEED / "results" / "magvit_training"


def test_one_testcase_per_rule_with_failures_and_evidence() -> None:
    res = audit_project(SEED, run=RUN, date="2026-01-25")
    root = ElementTree.fromstring(render(res, "junit").encode("utf-8"))
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    assert len(suites) == 1
    suite = suites[0]
    cases = list(suite.iter("testcase"))
    assert [c.get("name") for c in cases] == [rr.rule.id for rr in res.rules]
    assert suite.get("tests") == "8" and suite.get("failures") == "8" and suite.get("skipped") == "0"
    resume = next(c for c in cases if c.get("name") == "resume")
    failure = resume.find("failure")
    assert failure is not None and "Resume Capability" in failure.get("message")
    assert "train_magvit.py:75" in failure.text and "test_can_resume_from_last_checkpoint does not exist" in failure.text


def test_passing_rule_has_no_failure() -> None:
    from auditor.model import Verdict
    from auditor.results import AuditResult, Cell, RuleResult, summarise
    from tests.auditor.test_render import make_rule

    rule = make_rule("ok-rule", "OK Rule")
    cells = {c: Cell(Verdict.YES, "fine", probe="x") for c in ("docs", "code", "tested", "working")}
    rrs = (RuleResult(rule, cells, ()),)
    res = AuditResult(rrs, summarise(rrs, "prelaunch"), "2026-01-25", "proj", None, "rules")
    root = ElementTree.fromstring(render(res, "junit").encode())
    (case,) = list(root.iter("testcase"))
    assert case.find("failure") is None and case.find("skipped") is None


def test_several_outputs_in_one_run(tmp_path: Path) -> None:
    out = {fmt: tmp_path / "out" / name for fmt, name in
           (("sarif", "a.sarif"), ("junit", "a.xml"), ("json", "a.json"), ("md", "a.md"))}
    args = ["check", "--project", str(SEED), "--run", str(RUN), "--date", "2026-01-25"]
    for fmt, path in out.items():
        args += ["--output", f"{fmt}={path}"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1, res.output
    assert "Counts: documented 7/8" in res.output  # the terminal summary still prints
    assert json.loads(out["sarif"].read_text())["version"] == "2.1.0"
    ElementTree.fromstring(out["junit"].read_bytes())
    assert json.loads(out["json"].read_text())["format"] == "audit-result/1"
    assert out["md"].read_text().startswith("# Compliance status")
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temp files left


def test_bad_output_spec_is_a_usage_error(tmp_path: Path) -> None:
    for spec in ("sarif", "pdf=x.pdf", "sarif="):
        res = CliRunner().invoke(main, ["check", "--project", str(SEED), "--output", spec])
        assert res.exit_code == 2, (spec, res.output)
        assert "--output" in res.output


def test_unwritable_output_is_exit_2_and_keeps_existing_files(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    keep = tmp_path / "status.json"
    keep.write_text("old contents")
    res = CliRunner().invoke(main, ["check", "--project", str(SEED), "--date", "2026-01-25",
                                    "--output", f"sarif={blocker}/a.sarif", "--output", f"json={keep}"])
    assert res.exit_code == 2, res.output
    assert "cannot write" in res.output and "a.sarif" in res.output
    assert keep.read_text() == "old contents"  # nothing written when a target is bad
