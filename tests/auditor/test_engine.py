"""Engine: rules x evidence -> cells; probe errors, missing evidence, pass rule, exit code."""

from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.engine import evaluate
from auditor.evidence import Evidence
from auditor.model import Citation, ProbeResult, Verdict, probe
from auditor.rules import load_rules


@probe("testonly.fixed")
def _fixed(ev, verdict: str = "yes", note: str = "") -> ProbeResult:
    return ProbeResult(Verdict(verdict), f"fixed {verdict} {note}".strip(), (Citation("x.py", 3, detail="seen"),), {"n": 1})


@probe("testonly.raises")
def _raises(ev) -> ProbeResult:
    raise RuntimeError("collector exploded")


@probe("run.testonly_needs_run")
def _needs_run(ev) -> ProbeResult:
    return ProbeResult(Verdict.YES, f"run at {ev.run_dir.name}")


RULE = """\
id: {id}
title: {title}
severity: {severity}
rationale: r
citations:
  - document: req.md
    passage: "{passage}"
    implied: {implied}
columns:
  docs: {{probe: docs.cited}}
  code: {code}
  tested: {tested}
  working: {working}
remedy: fix it
gates: {gates}
"""


def write_rule(rules: Path, name: str, **kw) -> None:
    values = dict(
        id=name, title=name.title(), severity="error", passage="Checkpoints every 2 minutes", implied="false",
        code="{probe: testonly.fixed}", tested="{probe: testonly.fixed}", working="{probe: testonly.fixed}",
        gates="[prelaunch]",
    )
    values.update(kw)
    (rules / f"{name}.yaml").write_text(RULE.format(**values), encoding="utf-8")


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    (tmp_path / "req.md").write_text("# Req\n\nCheckpoints every 2 minutes.\n", encoding="utf-8")
    (tmp_path / "rules").mkdir()
    return tmp_path


def run(proj: Path, run_dir: Path | None = None, gate: str = "prelaunch"):
    cfg = load_config(proj)
    return evaluate(load_rules(proj / "rules"), Evidence(cfg, run_dir), gate=gate, date="2026-01-25")


def test_all_yes_passes_and_exits_zero(proj: Path) -> None:
    write_rule(proj / "rules", "alpha")
    res = run(proj)
    (rr,) = res.rules
    assert {c: cell.verdict for c, cell in rr.cells.items()} == {
        "docs": Verdict.YES, "code": Verdict.YES, "tested": Verdict.YES, "working": Verdict.YES}
    assert rr.cells["docs"].citations[0].location() == "req.md:3"
    assert rr.cells["code"].measured == {"n": 1} and rr.cells["code"].probe == "testonly.fixed"
    assert rr.passed and rr.gaps == ()
    assert res.exit_code == 0 and res.summary.gate_passed


def test_probe_that_raises_is_an_error_cell_not_a_crash(proj: Path) -> None:
    write_rule(proj / "rules", "alpha", code="{probe: testonly.raises}", tested="{probe: testonly.nonexistent}")
    (rr,) = run(proj).rules
    assert rr.cells["code"].verdict is Verdict.ERROR
    assert "RuntimeError: collector exploded" in rr.cells["code"].summary
    assert rr.cells["tested"].verdict is Verdict.ERROR
    assert "testonly.nonexistent" in rr.cells["tested"].summary
    assert not rr.passed
    assert [g.column for g in rr.gaps] == ["code", "tested"]


def test_run_probe_without_run_dir_is_no_evidence(proj: Path, tmp_path: Path) -> None:
    write_rule(proj / "rules", "alpha", working="{probe: run.testonly_needs_run}")
    (rr,) = run(proj).rules
    assert rr.cells["working"].verdict is Verdict.NO_EVIDENCE
    assert "--run" in rr.cells["working"].summary
    rundir = tmp_path / "myrun"
    rundir.mkdir()
    (rr,) = run(proj, rundir).rules
    assert rr.cells["working"].verdict is Verdict.YES and "myrun" in rr.cells["working"].summary


def test_no_run_directory_names_every_checkpoint_file_kind_discovery_knows(proj: Path) -> None:
    from auditor.ckptnames import FILE_SUFFIXES

    write_rule(proj / "rules", "alpha", working="{probe: run.testonly_needs_run}")
    (rr,) = run(proj).rules
    said = rr.cells["working"].summary
    assert all(suffix in said for suffix in FILE_SUFFIXES), said  # .pth.tar (timm) was missing


def test_partial_is_not_a_pass_and_na_is_skipped(proj: Path) -> None:
    write_rule(proj / "rules", "alpha", working='{probe: testonly.fixed, params: {verdict: partial, note: "50s"}}')
    write_rule(proj / "rules", "beta", code='{na: "process only"}', working='{na: "process only"}')
    res = run(proj)
    alpha, beta = res.rules
    assert not alpha.passed and alpha.cells["working"].summary == "fixed partial 50s"
    assert beta.passed and beta.cells["code"].verdict is Verdict.NOT_APPLICABLE
    assert beta.cells["code"].summary == "process only"
    s = res.summary
    assert (s.gated_total, s.gated_passed, s.gated_failed) == (2, 1, ("alpha",))
    assert s.columns["working"].yes == 0 and s.columns["working"].applicable == 1
    assert s.columns["code"].yes == 1 and s.columns["code"].applicable == 1
    assert res.exit_code == 1
    assert "alpha" in res.exit_reason


def test_implied_citation_is_partial_and_drift_is_no(proj: Path) -> None:
    write_rule(proj / "rules", "alpha", implied="true")
    write_rule(proj / "rules", "beta", passage="Checkpoints every hour")
    alpha, beta = run(proj).rules
    assert alpha.cells["docs"].verdict is Verdict.PARTIAL
    assert beta.cells["docs"].verdict is Verdict.NO and "drifted" in beta.cells["docs"].summary


def test_only_error_rules_in_the_gate_decide_the_exit_code(proj: Path) -> None:
    write_rule(proj / "rules", "alpha", severity="warning", code="{probe: testonly.fixed, params: {verdict: 'no'}}")
    write_rule(proj / "rules", "beta", gates="[]", code="{probe: testonly.fixed, params: {verdict: 'no'}}")
    write_rule(proj / "rules", "gamma")
    res = run(proj)
    assert res.exit_code == 0
    assert res.summary.gated_total == 2  # alpha (warning) and gamma; beta is in no gate
    assert res.summary.warnings == ("alpha",)
    assert run(proj, gate="other").summary.gated_total == 0
