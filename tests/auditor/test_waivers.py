"""Waivers: a valid waiver shows as waived in every format and passes the gate; an expired one
fails it; a bad file is reported with file and line (exit 2)."""

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from defusedxml import ElementTree

from auditor.cli import main
from auditor.engine import audit_project
from auditor.render import render
from auditor.waivers import WaiverError, load_waivers

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed_project"
RUN = SEED / "results" / "magvit_training"
RULE_IDS = ["periodic-checkpoints", "progress-file", "batch-monitoring", "heartbeat", "resume", "auto-resume",
            "checkpoint-interval", "tdd-process"]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "audit-waivers.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def all_waived(tmp_path: Path, expires: str = "2099-12-31") -> Path:
    body = "".join(f"  {rid}:\n    justification: accepted for the {rid} pilot\n    expires: {expires}\n"
                   f"    approved_by: lead\n" for rid in RULE_IDS)
    return write(tmp_path, "waivers:\n" + body)


def test_valid_file_loads_every_field(tmp_path: Path) -> None:
    p = write(tmp_path, "waivers:\n  heartbeat:\n    justification: cluster liveness probe covers it\n"
                        "    expires: 2026-03-31\n    approved_by: jane\n    columns: [tested, docs]\n")
    w = load_waivers(p, RULE_IDS)["heartbeat"]
    assert (w.justification, w.expires, w.approved_by, w.columns, w.line) == (
        "cluster liveness probe covers it", "2026-03-31", "jane", ("tested", "docs"), 2)
    assert w.is_expired_on("2026-04-01") and not w.is_expired_on("2026-03-31")


@pytest.mark.parametrize("entry, line, words", [
    ("  heartbeat:\n    expires: 2026-03-31\n", 2, "missing required key 'justification'"),
    ("  heartbeat:\n    justification: '  '\n    expires: 2026-03-31\n", 3, "justification: must be a non-empty"),
    ("  heartbeat:\n    justification: ok\n", 2, "missing required key 'expires'"),
    ("  heartbeat:\n    justification: ok\n    expires: next week\n", 4, "not a date in the form YYYY-MM-DD"),
    ("  heartbeat:\n    justification: ok\n    expires: 2026-03-31\n    colums: [tested]\n", 5, "unknown key 'colums'"),
    ("  heartbeat:\n    justification: ok\n    expires: 2026-03-31\n    columns: [speed]\n", 5, "columns: must be"),
    ("  no-such-rule:\n    justification: ok\n    expires: 2026-03-31\n", 2, "unknown rule id"),
])
def test_bad_entries_are_reported_with_file_and_line(tmp_path: Path, entry: str, line: int, words: str) -> None:
    p = write(tmp_path, "waivers:\n" + entry)
    with pytest.raises(WaiverError) as exc:
        load_waivers(p, RULE_IDS)
    assert f"{p}:{line}: " in str(exc.value) and words in str(exc.value)


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    p = write(tmp_path, "waivers:\n  heartbeat: [unclosed\n")
    with pytest.raises(WaiverError, match=rf"{p}:\d+: invalid YAML"):
        load_waivers(p, RULE_IDS)


def test_cli_refuses_a_bad_waivers_file_with_exit_2(tmp_path: Path) -> None:
    p = write(tmp_path, "waivers:\n  heartbeat:\n    expires: 2026-03-31\n")
    res = CliRunner().invoke(main, ["check", "--project", str(SEED), "--waivers", str(p), "--date", "2026-01-25"])
    assert res.exit_code == 2, res.output
    assert f"{p}:2:" in res.output and "justification" in res.output


def test_missing_explicit_waivers_file_is_exit_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["check", "--project", str(SEED), "--waivers", str(tmp_path / "none.yaml")])
    assert res.exit_code == 2 and "does not exist" in res.output


def test_waived_rules_show_in_every_format_and_pass_the_gate(tmp_path: Path) -> None:
    res = audit_project(SEED, run=RUN, date="2026-01-25", waivers=all_waived(tmp_path))
    assert res.exit_code == 0, res.exit_reason
    assert res.summary.waived == tuple(RULE_IDS) and res.summary.gated_failed == ()
    assert "8 waived" in res.exit_reason
    term = render(res, "terminal")
    assert "Heartbeat Thread (waived)" in term and "waived until 2099-12-31, approved by lead" in term
    md = render(res, "markdown")
    assert "## Waivers" in md and "- [x] Heartbeat Thread (waived until 2099-12-31)" in md
    data = json.loads(render(res, "json"))
    assert data["summary"]["gate"]["waived"] == RULE_IDS and data["summary"]["gate"]["pass"] is True
    hb = next(r for r in data["rules"] if r["id"] == "heartbeat")
    assert hb["waived"] is True and hb["waiver"]["justification"] == "accepted for the heartbeat pilot"
    sarif = json.loads(render(res, "sarif"))
    schema = json.loads((SEED.parent / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(sarif)  # suppressions are valid SARIF too
    results = sarif["runs"][0]["results"]
    assert results and all(r["suppressions"] == [{"kind": "external", "status": "accepted",
                                                  "justification": f"accepted for the {r['ruleId']} pilot"}]
                           for r in results)
    suite = ElementTree.fromstring(render(res, "junit").encode())
    cases = suite.iter("testcase")
    assert all(c.find("skipped") is not None and c.find("failure") is None for c in cases)


def test_expired_waiver_fails_the_gate_naming_rule_and_date(tmp_path: Path) -> None:
    p = write(tmp_path, "waivers:\n  heartbeat:\n    justification: pilot\n    expires: 2026-01-24\n")
    res = audit_project(SEED, run=RUN, date="2026-01-25", waivers=p)
    hb = next(rr for rr in res.rules if rr.rule.id == "heartbeat")
    assert not hb.waived and hb.waiver_expired
    assert "waiver for heartbeat expired on 2026-01-24" in res.exit_reason
    assert "EXPIRED on 2026-01-24" in render(res, "terminal")
    # even with every other rule waived, the stale waiver alone fails the gate
    p2 = all_waived(tmp_path)
    p2.write_text(p2.read_text().replace("heartbeat pilot\n    expires: 2099-12-31", "heartbeat pilot\n    expires: 2026-01-01"))
    res2 = audit_project(SEED, run=RUN, date="2026-01-25", waivers=p2)
    assert res2.exit_code == 1 and res2.summary.gated_failed == ("heartbeat",)
    assert res2.exit_reason.endswith("waiver for heartbeat expired on 2026-01-01")


def test_waiver_limited_to_columns_does_not_hide_other_gaps(tmp_path: Path) -> None:
    # resume fails in code, tested and working; a waiver of `tested` alone leaves it failing
    p = write(tmp_path, "waivers:\n  resume:\n    justification: tests come next sprint\n    expires: 2099-01-01\n"
                        "    columns: [tested]\n")
    res = audit_project(SEED, run=RUN, date="2026-01-25", waivers=p)
    assert "resume" in res.summary.gated_failed and "resume" not in res.summary.waived


def test_project_default_waivers_file_is_read(tmp_path: Path) -> None:
    import shutil

    proj = tmp_path / "proj"
    shutil.copytree(SEED, proj)
    all_waived(proj)
    res = CliRunner().invoke(main, ["check", "--project", str(proj), "--date", "2026-01-25"])
    assert res.exit_code == 0, res.output


def test_explain_shows_the_waiver(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["explain", "heartbeat", "--project", str(SEED), "--date", "2026-01-25",
                                    "--waivers", str(all_waived(tmp_path))])
    assert res.exit_code == 0, res.output
    assert "result: waived" in res.output and "waiver: waived until 2099-12-31" in res.output
