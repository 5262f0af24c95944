"""Fuzzing the one door: deep nesting, alias bombs, control characters and special files.

Each reader's property runs 50 examples by default and 1,000 in its `slow` twin; the only
outcomes allowed are a value or the reader's documented refusal (ReadRefused, a YAML syntax
error, FileNotFoundError): 0 uncaught exceptions. The audit-level twin runs `audit check`
through CliRunner and allows exit 0, 1 or 2, never 3.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import strategies as st

from auditor import safeio
from auditor.cli import main as audit_main
from auditor.render.escape import json_document, md_text, terminal_text, xml_text
from tests.reliability.conftest import fuzz_pair

controls = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x3000), max_size=60)
nesting = st.tuples(st.integers(1, 3000), st.sampled_from(["[", "{\"a\":", "[[", "{\"k\": ["]))


def _deep_json(spec) -> str:
    depth, opener = spec
    closer = "".join({"[": "]", "{": "}", "\"": "", "a": "", ":": "", "k": "", " ": ""}.get(c, "") for c in
                     reversed(opener))
    return opener * depth + "1" + closer * depth


def _json_prop(spec, tail: str) -> None:
    text = _deep_json(spec) + tail
    try:
        value = safeio.parse_json(text, shown="f.json")
    except safeio.ReadRefused as exc:
        assert str(exc).startswith("f.json")
    else:
        assert value is not None or text.strip().startswith("null")


test_json_depth_fast, test_json_depth_slow = fuzz_pair(_json_prop, nesting, controls)

alias_bomb = st.tuples(st.integers(1, 12), st.integers(1, 12), st.integers(0, 200))


def _yaml_prop(bomb, depth_text: str) -> None:
    width, levels, depth = bomb
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    lines.append("deep: " + "[" * depth + "]" * depth)
    lines.append("text: " + json.dumps(depth_text))
    try:
        doc = safeio.parse_yaml("\n".join(lines), shown="c.yaml")
    except safeio.ReadRefused as exc:
        assert str(exc).startswith("c.yaml:") and "x, x" not in str(exc)
    except yaml.YAMLError:
        pass  # a syntax error carries the parser's mark
    else:
        assert isinstance(doc.data, dict)


test_yaml_limits_fast, test_yaml_limits_slow = fuzz_pair(_yaml_prop, alias_bomb, controls)


def _escape_prop(text: str) -> None:
    for out in (terminal_text(text), xml_text(text), md_text(text)):
        assert not any(ord(c) < 0x20 and c not in "\n\t" for c in out)
        assert not any(0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF for c in out)
        out.encode("utf-8")
    doc = json_document(json.dumps({"k": text}, ensure_ascii=False))
    assert json.loads(doc)["k"].replace("\ufffd", "") == "".join(
        c for c in text if not 0xD800 <= ord(c) <= 0xDFFF).replace("\ufffd", "")


test_escaping_fast, test_escaping_slow = fuzz_pair(_escape_prop, controls)

special = st.sampled_from(["regular", "fifo", "dir", "dev_null", "dev_zero", "outside", "loop", "missing", "empty"])


def _special_prop(kind: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "p"
        root.mkdir()
        path = root / "f"
        if kind == "regular":
            path.write_bytes(content)
        elif kind == "empty":
            path.write_bytes(b"")
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "dir":
            path.mkdir()
        elif kind in ("dev_null", "dev_zero"):
            path.symlink_to("/dev/" + kind[4:])
        elif kind == "outside":
            (Path(tmp) / "o").write_bytes(content)
            path.symlink_to(Path(tmp) / "o")
        elif kind == "loop":
            path.symlink_to(path)
        for reader in (lambda: safeio.read_text("f", within=safeio.project(root), cap=1024),
                       lambda: list(safeio.lines("f", within=safeio.project(root), cap=1024, line_cap=16)),
                       lambda: safeio.read_json("f", within=safeio.project(root)),
                       lambda: safeio.read_yaml("f", within=safeio.project(root))):
            try:
                reader()
            except (safeio.ReadRefused, FileNotFoundError, yaml.YAMLError):
                pass


test_special_files_fast, test_special_files_slow = fuzz_pair(_special_prop, special, st.binary(max_size=200))


def _audit_prop(config_text: str, events: list) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "requirements.md").write_text("# R\n", encoding="utf-8")
        (project / "audit.yaml").write_text(config_text, encoding="utf-8")
        run = project / "run"
        run.mkdir()
        (run / "events.jsonl").write_text("\n".join(events), encoding="utf-8", errors="replace")
        result = CliRunner().invoke(audit_main, ["check", "--project", str(project), "--run", str(run),
                                                 "--format", "junit"])
        assert result.exit_code in (0, 1, 2), result.output[-2000:]


yaml_configs = st.one_of(
    st.builds(lambda n: "junit: " + "[" * n + "]" * n, st.integers(0, 500)),
    st.builds(lambda w, lv: "\n".join([f"a0: &a0 [{', '.join(['x'] * w)}]"] + [
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * w)}]" for i in range(1, lv)]), st.integers(1, 10),
        st.integers(1, 10)),
    controls.map(lambda t: "run_dir: " + json.dumps(t)),
    st.just(""),
)
event_lines = st.lists(st.one_of(controls.map(lambda t: json.dumps({"event": "run_start", "ts": 1, "x": t})),
                                 st.integers(0, 3000).map(lambda n: "[" * n + "]" * n), controls), max_size=5)

test_audit_never_exits_3_fast, test_audit_never_exits_3_slow = fuzz_pair(_audit_prop, yaml_configs, event_lines)
