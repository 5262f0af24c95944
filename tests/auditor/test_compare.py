"""`audit compare` and `audit check --expect`: verdict changes fail, measured values and dates do not."""

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.compare import compare
from auditor.engine import audit_project
from auditor.render.json import to_dict

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed_project"
RUN = SEED / "results" / "magvit_training"


@pytest.fixture(scope="module")
def seed() -> dict:
    return json.loads(json.dumps(to_dict(audit_project(SEED, run=RUN, date="2026-01-25"))))


def rule(data: dict, rid: str) -> dict:
    return next(r for r in data["rules"] if r["id"] == rid)


def dump(tmp_path: Path, name: str, data: dict) -> str:
    p = tmp_path / name
    p.write_text(json.dumps(data), encoding="utf-8")
    return str(p)


def test_measured_values_dates_and_summaries_are_ignored(seed: dict) -> None:
    new = copy.deepcopy(seed)
    new["date"] = "2027-01-01"
    cell = rule(new, "checkpoint-interval")["cells"]["working"]
    cell["measured"] = {"median_gap_s": 51.7, "largest_gap_s": 999}
    cell["summary"] = "something else entirely"
    cell["citations"] = []
    new["exit_reason"] = "reworded"
    assert compare(seed, new) == []


def test_a_changed_verdict_is_reported(tmp_path: Path, seed: dict) -> None:
    new = copy.deepcopy(seed)
    rule(new, "resume")["cells"]["code"]["verdict"] = "yes"
    diffs = compare(seed, new)
    assert [str(d) for d in diffs] == ["resume / code: partial -> yes"]
    res = CliRunner().invoke(main, ["compare", dump(tmp_path, "old.json", seed), dump(tmp_path, "new.json", new)])
    assert res.exit_code == 1 and "resume / code: partial -> yes" in res.output


def test_gate_rule_set_and_waived_changes_are_reported(seed: dict) -> None:
    new = copy.deepcopy(seed)
    new["summary"]["gate"]["pass"] = True
    new["rules"] = [r for r in new["rules"] if r["id"] != "tdd-process"]
    rule(new, "heartbeat")["waived"] = True
    got = [str(d) for d in compare(seed, new)]
    assert got[0] == "gate prelaunch: fail -> pass"
    assert "rule tdd-process: present -> absent" in got and "rule heartbeat: not waived -> waived" in got


def test_identical_results_exit_0(tmp_path: Path, seed: dict) -> None:
    p = dump(tmp_path, "a.json", seed)
    res = CliRunner().invoke(main, ["compare", p, p])
    assert res.exit_code == 0 and "verdicts match" in res.output


@pytest.mark.parametrize("text, words", [("{not json", ":1: not valid JSON"), ('{"format": "other"}', "not an audit-result/1")])
def test_bad_input_is_exit_2(tmp_path: Path, seed: dict, text: str, words: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    res = CliRunner().invoke(main, ["compare", str(bad), dump(tmp_path, "a.json", seed)])
    assert res.exit_code == 2 and str(bad) in res.output and words in res.output


def test_check_expect(tmp_path: Path, seed: dict) -> None:
    args = ["check", "--project", str(SEED), "--run", str(RUN), "--date", "2026-02-02"]
    same = CliRunner().invoke(main, args + ["--expect", dump(tmp_path, "same.json", seed)])
    assert same.exit_code == 0, same.output  # the gate fails, but nothing changed
    new = copy.deepcopy(seed)
    rule(new, "auto-resume")["cells"]["working"]["verdict"] = "yes"
    res = CliRunner().invoke(main, args + ["--expect", dump(tmp_path, "old.json", new)])
    assert res.exit_code == 1 and "auto-resume / working: yes -> no" in res.output
