"""Rule files: loading, schema validation and lint errors with file and line."""

from pathlib import Path

import pytest

from auditor.rules import RulesError, lint_rules, load_rules

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
id: demo-rule
title: Demo
order: 5
severity: error
rationale: because
citations:
  - document: req.md
    passage: "Checkpoints every 2 minutes"
columns:
  docs: {probe: docs.cited}
  code: {na: "nothing to inspect"}
  tested: {na: "no tests"}
  working:
    na: "no run"
remedy: write it down
gates: [prelaunch]
"""


def project(tmp_path: Path, **files: str) -> Path:
    (tmp_path / "req.md").write_text("# Req\n\n- **Checkpoints** every 2\n  minutes.\n", encoding="utf-8")
    rules = tmp_path / "rules"
    rules.mkdir()
    for name, text in files.items():
        (rules / name).write_text(text, encoding="utf-8")
    return rules


def messages(errors) -> list[str]:
    return [str(e) for e in errors]


def test_repository_rules_are_clean_and_ordered() -> None:
    assert lint_rules(REPO / "auditor" / "builtin_rules", REPO) == []
    rules = load_rules(REPO / "auditor" / "builtin_rules")
    assert [r.title for r in rules] == [
        "Periodic Checkpoints",
        "Progress File Updates",
        "Batch-level Monitoring",
        "Heartbeat Thread",
        "Resume Capability",
        "Auto-Resume on Restart",
        "Checkpoint Interval 1-5 min",
        "TDD Process Followed",
    ]
    assert all("prelaunch" in r.gates for r in rules)


def test_good_rule_loads_with_columns_and_citations(tmp_path: Path) -> None:
    rules_dir = project(tmp_path, **{"a.yaml": GOOD})
    assert lint_rules(rules_dir, tmp_path) == []
    (rule,) = load_rules(rules_dir)
    assert rule.id == "demo-rule" and rule.order == 5 and rule.severity == "error"
    assert rule.columns["docs"].probe == "docs.cited"
    assert rule.columns["working"].na == "no run"
    assert rule.citations[0].document == "req.md" and not rule.citations[0].implied
    assert rule.path.name == "a.yaml" and rule.line == 1


def test_bad_yaml_reports_file_and_line(tmp_path: Path) -> None:
    rules_dir = project(tmp_path, **{"bad.yaml": GOOD.replace("rationale: because", "rationale: [because")})
    errors = lint_rules(rules_dir, tmp_path)
    assert len(errors) == 1
    assert errors[0].path.name == "bad.yaml" and errors[0].line is not None and errors[0].line >= 5
    assert "YAML" in errors[0].message


def test_schema_violations_point_at_their_lines(tmp_path: Path) -> None:
    text = GOOD.replace("severity: error", "severity: fatal").replace("remedy: write it down", "remedy: x\nowner: me")
    rules_dir = project(tmp_path, **{"s.yaml": text})
    errors = lint_rules(rules_dir, tmp_path)
    by_line = {e.line: e.message for e in errors}
    assert "fatal" in by_line[4]
    assert "owner" in by_line[16]
    assert all(e.path.name == "s.yaml" for e in errors)


def test_column_without_probe_or_na_is_explained(tmp_path: Path) -> None:
    text = GOOD.replace("  tested: {na: \"no tests\"}", "  tested: {prob: tests.x}")
    rules_dir = project(tmp_path, **{"c.yaml": text})
    errors = lint_rules(rules_dir, tmp_path)
    assert [e.line for e in errors] == [12]
    assert "probe" in errors[0].message and "na" in errors[0].message


def test_unknown_probe_and_drifted_citation_and_every_error_reported(tmp_path: Path) -> None:
    one = GOOD.replace("docs: {probe: docs.cited}", "docs: {probe: docs.nonexistent}")
    two = GOOD.replace("demo-rule", "other-rule").replace("Checkpoints every 2 minutes", "Checkpoints every hour")
    rules_dir = project(tmp_path, **{"1.yaml": one, "2.yaml": two})
    errors = lint_rules(rules_dir, tmp_path)
    msgs = messages(errors)
    assert any("1.yaml:10:" in m and "unknown probe 'docs.nonexistent'" in m for m in msgs), msgs
    assert any("2.yaml:8:" in m and "not found in req.md" in m for m in msgs), msgs
    assert len(errors) == 2


def test_duplicate_ids_name_both_files(tmp_path: Path) -> None:
    rules_dir = project(tmp_path, **{"a.yaml": GOOD, "b.yaml": GOOD})
    errors = lint_rules(rules_dir, tmp_path)
    assert len(errors) == 1
    assert errors[0].path.name == "b.yaml" and errors[0].line == 1
    assert "duplicate id 'demo-rule'" in errors[0].message and "a.yaml" in errors[0].message


def test_load_rules_raises_with_all_errors(tmp_path: Path) -> None:
    rules_dir = project(tmp_path, **{"a.yaml": "id: [\n", "b.yaml": "- not a mapping\n"})
    with pytest.raises(RulesError) as info:
        load_rules(rules_dir)
    assert len(info.value.errors) == 2
    assert "a.yaml" in str(info.value) and "b.yaml" in str(info.value)


def test_missing_or_empty_rules_folder(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="does not exist"):
        load_rules(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RulesError, match="no rule files"):
        load_rules(tmp_path / "empty")


def test_params_that_do_not_fit_the_probe_are_reported(tmp_path: Path) -> None:
    text = GOOD.replace("  working:\n    na: \"no run\"", "  working:\n    probe: docs.cited\n    params: {min_count: 2}")
    rules_dir = project(tmp_path, **{"p.yaml": text})
    errors = lint_rules(rules_dir, tmp_path)
    assert len(errors) == 1, errors
    assert errors[0].line == 14 and "params do not fit probe docs.cited" in errors[0].message
    assert "min_count" in errors[0].message


def _counting_yaml_parses(monkeypatch) -> list[str]:
    from auditor import safeio

    parsed: list[str] = []
    real = safeio.parse_yaml

    def counting(text, **kwargs):
        parsed.append(kwargs.get("shown", ""))
        return real(text, **kwargs)

    monkeypatch.setattr(safeio, "parse_yaml", counting)
    return parsed


def test_rule_files_unchanged_since_the_last_load_are_not_parsed_again(tmp_path: Path, monkeypatch) -> None:
    """Every in-process audit loads the rules; parsing and validating them is most of a small audit's
    time, so a file whose text is unchanged is parsed once (its text is still read through safeio)."""
    rules_dir = project(tmp_path, **{"a.yaml": GOOD, "b.yaml": GOOD.replace("demo-rule", "other-rule")})
    parsed = _counting_yaml_parses(monkeypatch)
    first = load_rules(rules_dir)
    assert len(parsed) == 2
    again = load_rules(rules_dir)
    assert len(parsed) == 2 and again == first
    (rules_dir / "b.yaml").write_text(GOOD.replace("demo-rule", "third-rule"), encoding="utf-8")
    assert [r.id for r in load_rules(rules_dir)] == ["demo-rule", "third-rule"] and len(parsed) == 3


def test_a_rule_file_changed_in_place_with_its_size_and_mtime_kept_is_read_again(tmp_path: Path) -> None:
    import os

    rules_dir = project(tmp_path, **{"a.yaml": GOOD})
    path = rules_dir / "a.yaml"
    before = path.stat()
    assert load_rules(rules_dir)[0].title == "Demo"
    path.write_text(GOOD.replace("title: Demo", "title: Omed"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert load_rules(rules_dir)[0].title == "Omed"


def test_a_rule_changed_by_its_caller_leaves_the_next_load_as_the_file_says(tmp_path: Path) -> None:
    text = GOOD.replace("working:\n    na: \"no run\"", "working: {probe: run.x, params: {keys: [a, b]}}")
    rules_dir = project(tmp_path, **{"a.yaml": text})
    (rule,) = load_rules(rules_dir)
    rule.columns["working"].params["keys"].append("c")
    rule.columns["working"].params["extra"] = 1
    (fresh,) = load_rules(rules_dir)
    assert dict(fresh.columns["working"].params) == {"keys": ["a", "b"]}


def test_a_broken_rule_file_is_reported_on_every_load(tmp_path: Path) -> None:
    rules_dir = project(tmp_path, **{"bad.yaml": GOOD.replace("rationale: because", "rationale: [because")})
    for _ in range(2):
        with pytest.raises(RulesError) as caught:
            load_rules(rules_dir)
        assert "bad.yaml" in str(caught.value) and "YAML" in str(caught.value)
