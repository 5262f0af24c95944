"""SARIF 2.1.0 output: valid against the official schema, one result per failing cell, code
findings at their file and line, run/test findings at the requirement's line."""

import contextlib
import json
from functools import lru_cache
from pathlib import Path

import jsonschema
import pytest

from auditor.engine import audit_project
from auditor.render import render

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed_project"
SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"


@lru_cache(maxsize=1)
def seed_sarif() -> str:
    # run from the repository root, as CI does: paths come out relative to it
    with contextlib.chdir(SEED.parents[2]):
        return render(audit_project(str(SEED), run=str(SEED / "results" / "magvit_training"), date="2026-01-25"),
                      "sarif")


@pytest.fixture(scope="module")
def log() -> dict:
    return json.loads(seed_sarif())


def results_of(log: dict, rule_id: str) -> list[dict]:
    return [r for r in log["runs"][0]["results"] if r["ruleId"] == rule_id]


def test_validates_against_the_official_schema(log: dict) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    jsonschema.Draft4Validator(schema).validate(log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1


def test_schema_rejects_a_broken_log(log: dict) -> None:
    # the validation above can fail: a level outside the enum is caught
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(broken)


def test_driver_rules_carry_descriptions_help_and_severity(log: dict) -> None:
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules][:3] == ["periodic-checkpoints", "progress-file", "batch-monitoring"]
    hb = next(r for r in rules if r["id"] == "heartbeat")
    assert hb["name"] == "HeartbeatThread" and hb["shortDescription"]["text"] == "Heartbeat Thread"
    assert hb["fullDescription"]["text"] and hb["help"]["text"] and hb["properties"]["severity"] == "error"
    for res in log["runs"][0]["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_one_result_per_failing_cell_with_levels(log: dict) -> None:
    # seed: 15 gaps (8 tested NO, resume/auto-resume code+working, interval code+working, heartbeat docs)
    results = log["runs"][0]["results"]
    assert len(results) == 15
    levels = {(r["ruleId"], r["properties"]["column"]): r["level"] for r in results}
    assert levels[("resume", "code")] == "warning"  # partial
    assert levels[("auto-resume", "code")] == "error"  # no
    assert levels[("heartbeat", "docs")] == "warning"
    assert ("periodic-checkpoints", "code") not in levels  # yes: no result


def test_code_findings_carry_file_and_line(log: dict) -> None:
    (res,) = [r for r in results_of(log, "resume") if r["properties"]["column"] == "code"]
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("seed_project/train_magvit.py")
    assert loc["region"]["startLine"] == 75
    assert "resume code exists" in res["message"]["text"]


def test_run_and_test_findings_anchor_to_the_requirement_line(log: dict) -> None:
    # the line that states the requirement in the project's own words (requirements.md:29,
    # "Resume capability (detect and continue from last checkpoint)")
    for column in ("tested", "working"):
        (res,) = [r for r in results_of(log, "resume") if r["properties"]["column"] == column]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"].endswith("seed_project/requirements.md")
        assert loc["region"]["startLine"] == 29


def test_paths_outside_the_working_directory_are_project_relative(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    log = json.loads(render(audit_project(str(SEED), date="2026-01-25"), "sarif"))
    (res,) = [r for r in results_of(log, "resume") if r["properties"]["column"] == "code"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "train_magvit.py",
                                                                           "uriBaseId": "PROJECTROOT"}


def test_output_is_byte_stable() -> None:
    seed_sarif.cache_clear()
    first = seed_sarif()
    seed_sarif.cache_clear()
    assert first == seed_sarif()


def test_every_result_has_a_location_even_without_docs_evidence() -> None:
    # GitHub code scanning drops results without a location; fall back to the cited document
    from tests.auditor.test_render import make_result

    log = json.loads(render(make_result(), "sarif"))
    for res in log["runs"][0]["results"]:
        assert res["locations"], res["ruleId"]
    tdd = [r for r in log["runs"][0]["results"] if r["ruleId"] == "tdd-process"]
    assert tdd[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "proj/requirements.md"
    assert tdd[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
