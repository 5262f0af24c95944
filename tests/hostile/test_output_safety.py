"""Output safety: control characters, terminal escape sequences and bidi overrides from a run's
files (events fields, log lines, checkpoint file names) never reach any output format raw.

JUnit stays well-formed XML, SARIF stays valid against the official schema, JSON keeps the
value (escaped), and terminal and Markdown show visible escapes such as `\\x1b`."""

from __future__ import annotations

import json
from pathlib import Path

import defusedxml.ElementTree as SafeET
import jsonschema
import pytest
from click.testing import CliRunner

from auditor.cli import main as audit_main
from auditor.render.escape import html_text, json_document, md_code, md_text, terminal_text, xml_text

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "fixtures" / "seed_project"
SCHEMA = ROOT / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
RAW = ("\x07", "\x1b", "\x9b", "\u202e", "\x00")  # never in any output


def hostile_run(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    events = [
        {"ts": 1.7e9, "event": "run_start", "pid": 1, "resume": "auto"},
        {"ts": 1.7e9 + 60, "event": "checkpoint_saved", "file": "a\x07b\x1b[2J\u202e\x9b.pt", "kind": "periodic",
         "step": 2},
        {"ts": 1.7e9 + 100, "event": "run_start", "pid": 1, "resume": "auto\x1b]0;pwned\x07"},
        {"ts": 1.7e9 + 101, "event": "resumed_from", "file": "ck\x07\x1b[31m\x00.pt", "step": 2},
    ]
    (run / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    (run / "train.log").write_text("2026-01-01T00:00:00 step 1 \x1b[31mred\x07 heartbeat\u202e\n", encoding="utf-8")
    (run / "model_epoch_1\x1b[31m\x07.pt").write_bytes(b"x" * 10)
    return run


def _strings(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


@pytest.mark.parametrize("fmt", ["terminal", "json", "markdown", "sarif", "junit"])
def test_no_raw_control_character_reaches_any_format(tmp_path: Path, fmt: str) -> None:
    run = hostile_run(tmp_path)
    result = CliRunner().invoke(audit_main, ["check", "--project", str(SEED), "--run", str(run), "--format", fmt])
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert not [c for c in RAW if c in out], f"raw control characters in {fmt} output"
    if fmt == "junit":
        root = SafeET.fromstring(out.encode("utf-8"))
        assert "\\x1b" in "".join(root.itertext()) + json.dumps([e.attrib for e in root.iter()])
    elif fmt in ("json", "sarif"):
        doc = json.loads(out)
        if fmt == "json":  # the value is kept, escaped in the text
            assert any("\x1b[31m" in s for s in _strings(doc))
        else:
            jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(doc)
    else:
        assert "\\x1b" in out and "\\x07" in out


def test_explain_and_report_neutralise_escapes_too(tmp_path: Path) -> None:
    run = hostile_run(tmp_path)
    for args in (["explain", "auto-resume"], ["report"]):
        result = CliRunner().invoke(audit_main, [*args, "--project", str(SEED), "--run", str(run)])
        assert result.exit_code == 0, result.output
        assert not [c for c in RAW if c in result.stdout], args


def test_the_shared_escaping_helpers():
    nasty = "<b>&'\"|`x`\x1b[2J\x07\u202e\n"
    assert terminal_text(nasty) == "<b>&'\"|`x`\\x1b[2J\\x07\\u202e\n"
    assert xml_text("a\x00b") == "a\\x00b"
    assert html_text(nasty) == "&lt;b&gt;&amp;&#x27;&quot;|`x`\\x1b[2J\\x07\\u202e\n"
    assert md_text(nasty) == "&lt;b&gt;&amp;'\"\\|\\`x\\`\\\\x1b[2J\\\\x07\\\\u202e"
    assert md_code("a`b\x1b") == "``a`b\\x1b``"
    doc = json_document(json.dumps({"k": "\x9b\u202e\x7f\udcff"}, ensure_ascii=False))
    assert not any(c in doc for c in "\x9b\u202e\x7f\udcff")
    assert json.loads(doc) == {"k": "\x9b\u202e\x7f\ufffd"}
