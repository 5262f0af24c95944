"""`audit init` and `audit rules derive` on corpus projects: what discovery found, written down."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

from auditor.cli import main
from auditor.config import load_config
from auditor.rules import lint_rules, load_rules

REPO = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("corpus_score", REPO / "bench" / "corpus_score.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_score"] = module
    spec.loader.exec_module(module)
    return module


stage = _bench().stage


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def check(project: Path) -> dict:
    out = run("check", "--project", str(project), "--format", "json", "--date", "2026-01-25")
    assert out.exit_code in (0, 1), out.output
    return json.loads(out.output)


def cell(result: dict, rule: str, column: str) -> dict:
    return next(r for r in result["rules"] if r["id"] == rule)["cells"][column]


def test_init_writes_what_discovery_found_as_overrides_and_never_overwrites(tmp_path):
    project = stage("trainerpkg", tmp_path)
    before = check(project)
    out = run("init", "--project", str(project))
    assert out.exit_code == 0, out.output
    written = project / "audit.yaml"
    text = written.read_text(encoding="utf-8")
    readme = (project / "README.md").read_text(encoding="utf-8").splitlines()
    run_line = next(i for i, line in enumerate(readme, 1) if line.startswith("python -m trainerpkg"))
    assert text.startswith("#") and "# how training starts" in text and f"README.md:{run_line}" in text
    data = yaml.safe_load(text)
    assert data["entry_point"] == "-m trainerpkg" and data["run_dir"] == "runs/demo"
    assert data["source"] == ["src/trainerpkg"] and data["junit"] == ["reports/junit.xml"]
    config = load_config(project)  # it loads, and every key it sets is an override
    assert {"entry_point", "source", "run_dir", "requirements", "tests", "junit"} <= config.explicit
    assert "tdd_artifacts" not in config.explicit  # nothing was found: left to discovery, said in a comment
    assert "# tdd_artifacts:" in text
    after = check(project)
    assert [[c["verdict"] for c in r["cells"].values()] for r in after["rules"]] == \
           [[c["verdict"] for c in r["cells"].values()] for r in before["rules"]]
    assert "configured: requirements, source, entry_point" in after["read"]
    written.write_text("# mine\nrun_dir: runs/demo\n", encoding="utf-8")
    again = run("init", "--project", str(project))
    assert again.exit_code == 2 and "audit.yaml" in again.output and "not overwritten" in again.output
    assert written.read_text(encoding="utf-8") == "# mine\nrun_dir: runs/demo\n"


def test_init_refuses_when_pyproject_already_configures_the_audit(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.audit]\nsource = ["x"]\n', encoding="utf-8")
    out = run("init", "--project", str(project))
    assert out.exit_code == 2 and "[tool.audit]" in out.output
    assert not (project / "audit.yaml").exists()


def test_an_entry_point_override_may_be_a_script_module_function_or_method(tmp_path):
    project = stage("vidlib", tmp_path)
    (project / "audit.yaml").write_text("entry_point: vidlib/trainer.py:VideoTrainer.train\n", encoding="utf-8")
    result = check(project)
    assert "entry point vidlib/trainer.py:VideoTrainer.train" in result["read"]
    assert cell(result, "periodic-checkpoints", "code")["verdict"] == "yes"
    assert "code reachable from vidlib/trainer.py:VideoTrainer.train" in cell(result, "progress-file", "code")["summary"]


def derive(project: Path) -> Path:
    out = run("rules", "derive", "--project", str(project))
    assert out.exit_code == 0, out.output
    return project / "rules"


def test_derived_rules_cite_the_projects_own_lines_and_lint_clean(tmp_path):
    for name, rule, where in (("trainerpkg", "auto-resume", "requirements.md:16"),
                              ("nanoscript", "resume", "README.md:52")):
        project = stage(name, tmp_path)
        rules = derive(project)
        assert lint_rules(rules, project) == []
        loaded = {r.id: r for r in load_rules(rules)}
        assert set(loaded) >= {"periodic-checkpoints", "resume", "auto-resume", "tdd-process"}
        cited = loaded[rule].citations[0]
        document, line = where.split(":")
        assert cited.document == document
        assert cited.passage in (project / document).read_text(encoding="utf-8").splitlines()[int(line) - 1]
        assert loaded[rule].columns["docs"].probe == "docs.cited"
        result = check(project)
        assert result["rules_dir"] == "rules"
        docs = cell(result, rule, "docs")
        assert docs["citations"][0]["source"] == document and docs["citations"][0]["line"] == int(line)


def test_a_requirement_no_document_states_keeps_its_meaning_probe_and_says_so(tmp_path):
    project = stage("nanoscript", tmp_path)
    rules = derive(project)
    heartbeat = (rules / "40-heartbeat.yaml").read_text(encoding="utf-8")
    assert "not documented" in heartbeat and "docs.stated" in heartbeat
    assert cell(check(project), "heartbeat", "docs")["verdict"] == "no"


def test_changing_a_cited_line_then_shows_drift(tmp_path):
    project = stage("trainerpkg", tmp_path)
    derive(project)
    assert cell(check(project), "resume", "docs")["verdict"] == "yes"
    doc = project / "requirements.md"
    lines = doc.read_text(encoding="utf-8").splitlines()
    lines[14] = "After a crash the job starts over."  # requirements.md:15, the cited passage
    doc.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs = cell(check(project), "resume", "docs")
    assert docs["verdict"] == "no" and "drifted" in docs["summary"]


def test_derive_never_overwrites_rules(tmp_path):
    project = stage("trainerpkg", tmp_path)
    derive(project)
    mine = project / "rules" / "10-periodic-checkpoints.yaml"
    mine.write_text(mine.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    again = run("rules", "derive", "--project", str(project))
    assert again.exit_code == 2 and "not overwritten" in again.output
    assert mine.read_text(encoding="utf-8").endswith("# edited\n")
    elsewhere = run("rules", "derive", "--project", str(project), "--out", str(project / "more-rules"))
    assert elsewhere.exit_code == 0 and (project / "more-rules" / "50-resume.yaml").is_file()
