"""Hostile inputs to the auditor and the status reader: nothing they hold is executed, expanded,
allowed out of the project, or allowed to hang, break a report or exhaust memory.

Every test goes through the real entry points (`audit check` through CliRunner, the
evidence collectors, `magvit status`), with real files.
"""

from __future__ import annotations

import ast
import hashlib
import json
import pickle
import re
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from markdown_it import MarkdownIt

from auditor.cli import main as audit_main
from auditor.config import ConfigError, ProjectConfig, load_config
from auditor.evidence import run as run_evidence
from auditor.junit import JUnitError, read_junit
from magvit.checkpoint import CheckpointError, CheckpointManager
from magvit.cli import main as magvit_main
from magvit.status import NotARunDirError, read_status

from .conftest import ROOT

SEED = ROOT / "tests" / "fixtures" / "seed_project"
BIG = 200 * 1024 * 1024  # bytes of a sparse "huge" file
MEMORY_BOUND = 64 * 1024 * 1024  # peak Python allocation allowed while reading one


class Marker:
    """Unpickling this creates a file: proof that a pickle was executed."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _minimal_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.md").write_text("# Requirements\n", encoding="utf-8")
    return project


def _check(*args: str) -> object:
    return CliRunner().invoke(audit_main, ["check", *args], catch_exceptions=False)


# ----------------------------------------------------------------------------- pickles


@pytest.mark.parametrize("container", ["torch_zip", "raw_pickle"])
def test_foreign_checkpoint_pickle_is_never_executed(tmp_path: Path, container: str) -> None:
    marker = tmp_path / "PWNED"
    run = tmp_path / "run"
    run.mkdir()
    ckpt = run / "model_epoch_3.pt"
    payload = {"epoch": 3, "timestamp": 1.7e9, "evil": Marker(marker)}
    if container == "torch_zip":
        torch.save(payload, ckpt)
    else:
        ckpt.write_bytes(pickle.dumps(payload, protocol=2))
    assert not marker.exists()

    ev = run_evidence.collect(ProjectConfig(root=tmp_path), run, verify=True)
    result = _check("--project", str(_minimal_project(tmp_path)), "--run", str(run), "--format", "json")

    assert not marker.exists(), "the auditor executed the checkpoint's pickle"
    assert result.exit_code in (0, 1), result.output
    (found,) = [c for c in ev.checkpoints if c.file == ckpt.name]
    # read statically, zip or bare pickle: the call is seen, never made, and named
    assert found.status == "unreadable" and not found.usable
    assert found.note.startswith("unloadable: references") and "io.open" in found.note, found.note
    if container == "torch_zip":
        assert (found.time_source, found.epoch, found.time) == ("pickle", 3, 1.7e9)  # still read, as a clue


def test_foreign_checkpoint_with_other_libraries_data_is_readable_and_a_call_is_not(tmp_path: Path) -> None:
    """Other people's checkpoints often pickle an argparse.Namespace or numpy arrays (mmengine's
    hold its HistoryBuffer, timm's an argparse.Namespace): objects built as data, which run
    nothing when loaded, so the checkpoint is evidence (docs/reliability.md). A pickle that
    would call a function when loaded (a Marker's open()) is still unloadable and not evidence;
    nothing is ever executed here."""
    import argparse

    import numpy as np

    ckpt = tmp_path / "model_epoch_4.pt"
    torch.save({"epoch": 4, "timestamp": 1.7e9, "args": argparse.Namespace(lr=0.1), "np_rng": np.zeros(2),
                "weights": torch.zeros(2)}, ckpt)
    plain = tmp_path / "model_epoch_5.pt"
    torch.save({"epoch": 5, "timestamp": 1.8e9, "weights": torch.zeros(2)}, plain)
    marker = tmp_path / "PWNED"
    evil = tmp_path / "model_epoch_6.pt"
    torch.save({"epoch": 6, "args": argparse.Namespace(lr=0.1), "evil": Marker(marker)}, evil)
    ev = run_evidence.collect(ProjectConfig(root=tmp_path, checkpoint_patterns=("*.pt",)), tmp_path)
    by_file = {c.file: c for c in ev.checkpoints}
    found = by_file[ckpt.name]
    assert found.status == "readable" and found.usable and found.epoch == 4, found.note
    assert by_file[plain.name].status == "readable" and by_file[plain.name].note == ""
    refused = by_file[evil.name]
    assert refused.status == "unreadable" and not refused.usable and "io.open" in refused.note, refused.note
    assert not marker.exists()


def test_trainer_refuses_a_malicious_checkpoint_with_a_matching_manifest(tmp_path: Path) -> None:
    """Even a pickle whose manifest checks out (sha256 and size) is loaded with weights_only=True."""
    marker = tmp_path / "PWNED"
    manager = CheckpointManager(tmp_path / "checkpoints", interval="2steps")
    manifest = manager.save({"w": torch.zeros(2)}, kind="periodic", step=2, epoch=0, batch_in_epoch=2, epochs=1,
                            losses={}, train_elapsed_s=0.0, stage="tokenizer")
    evil = tmp_path / "checkpoints" / manifest.file
    torch.save({"w": torch.zeros(2), "evil": Marker(marker)}, evil)
    data = json.loads(evil.with_suffix(".json").read_text())
    data.update(size_bytes=evil.stat().st_size, sha256=hashlib.sha256(evil.read_bytes()).hexdigest())
    evil.with_suffix(".json").write_text(json.dumps(data))
    path, _ = manager.latest_valid()
    with pytest.raises(CheckpointError, match="cannot load checkpoint"):
        manager.load(path)
    assert not marker.exists()


# ----------------------------------------------------------------------------- XML

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<testsuite><testcase classname="t" name="&lol9;"/></testsuite>
"""


def _xxe(target: Path) -> str:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE t [<!ENTITY x SYSTEM "file://{target}">]>\n'
            '<testsuite><testcase classname="t" name="&x;"/></testsuite>\n')


@pytest.mark.parametrize("kind", ["bomb", "external_entity"])
def test_hostile_junit_is_rejected_with_a_clear_message(tmp_path: Path, kind: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    junit = tmp_path / "junit.xml"
    junit.write_text(BOMB if kind == "bomb" else _xxe(secret), encoding="utf-8")

    tracemalloc.start()
    try:
        with pytest.raises(JUnitError, match="not a safe, well-formed JUnit XML file") as info:
            read_junit(junit)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(junit) in str(info.value)
    assert peak < 8 * 1024 * 1024, f"reading the file allocated {peak} bytes"

    # the seed project has tests but no results, so the rejected file is named in the report
    result = _check("--project", str(SEED), "--junit", str(junit), "--format", "json")
    assert result.exit_code in (0, 1), result.output
    assert "TOP-SECRET-VALUE" not in result.output and "lollollol" not in result.output
    assert "not a safe, well-formed JUnit XML file" in result.output


def test_every_xml_reader_in_the_auditor_goes_through_defusedxml() -> None:
    """Parsing XML is only allowed through defusedxml; the stdlib parsers may only build XML to write."""
    parse_calls = {"parse", "fromstring", "XML", "iterparse", "XMLParser", "parseString", "make_parser"}
    offenders = []
    for path in sorted((ROOT / "auditor").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        stdlib_aliases = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                module = node.module if isinstance(node, ast.ImportFrom) else None
                for alias in node.names:
                    full = f"{module}.{alias.name}" if module else alias.name
                    if re.match(r"(xml|lxml)\b", full):
                        stdlib_aliases.add(alias.asname or alias.name.split(".")[-1])
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in parse_calls
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in stdlib_aliases):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"XML parsed without defusedxml at {offenders}"


# ----------------------------------------------------------------------------- malformed configuration


def _rules_dir(project: Path, text: str) -> Path:
    folder = project / "rules"
    folder.mkdir()
    (folder / "bad.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("text, line", [
    ("id: x\ntitle: [unclosed\n", 3),  # the parser notices at the end of the stream
    ((ROOT / "auditor" / "builtin_rules" / "40-heartbeat.yaml").read_text(encoding="utf-8").replace("severity: error",
                                                                                "severity: fatal"), None),
])  # fmt: skip
def test_bad_rule_file_exits_2_with_file_and_line(tmp_path: Path, text: str, line: int | None) -> None:
    project = _minimal_project(tmp_path)
    _rules_dir(project, text)
    result = _check("--project", str(project))
    assert result.exit_code == 2, result.output
    expected_line = line or next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("severity"))
    assert f"bad.yaml:{expected_line}:" in result.output


@pytest.mark.parametrize("text, line, needle", [
    ("run_dir: results\njunit: [a.xml\n", 3, "not valid YAML"),
    ("run_dir: results\nprogress_bounds_s: [60, 30]\n", 2, "progress_bounds_s"),
    ("run_dir: results\n\nbogus_key: 1\n", 3, "bogus_key"),
])  # fmt: skip
def test_bad_audit_yaml_exits_2_with_file_and_line(tmp_path: Path, text: str, line: int, needle: str) -> None:
    project = _minimal_project(tmp_path)
    (project / "audit.yaml").write_text(text, encoding="utf-8")
    result = _check("--project", str(project))
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert re.search(rf"audit\.yaml:{line}\b|audit\.yaml.*line {line}\b", result.output), result.output


@pytest.mark.parametrize("text, line", [
    ("waivers:\n  heartbeat: [oops\n", 3),
    ("waivers:\n  heartbeat:\n    justification: fine\n    expires: someday\n", 4),
])  # fmt: skip
def test_bad_waivers_file_exits_2_with_file_and_line(tmp_path: Path, text: str, line: int) -> None:
    project = _minimal_project(tmp_path)
    (project / "audit-waivers.yaml").write_text(text, encoding="utf-8")
    result = _check("--project", str(project))
    assert result.exit_code == 2, result.output
    assert re.search(rf"audit-waivers\.yaml:{line}\b", result.output), result.output


# ----------------------------------------------------------------------------- paths out of the project


@pytest.mark.parametrize("key, value", [
    ("rules", "../../etc"),
    ("run_dir", "/etc"),
    ("junit", ["../../../etc/passwd"]),
    ("requirements", ["/etc/passwd"]),
    ("tdd_artifacts", ["../outside"]),
    ("source", ["magvit", "../../usr/lib/python3"]),
    ("tests", "/"),
])  # fmt: skip
def test_config_paths_that_escape_the_project_are_refused(tmp_path: Path, key: str, value: object) -> None:
    project = _minimal_project(tmp_path)
    (project / "audit.yaml").write_text(json.dumps({key: value}), encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{key}.*outside the project"):
        load_config(project)
    result = _check("--project", str(project))
    assert result.exit_code == 2 and "outside the project" in result.output and "audit.yaml" in result.output


def test_config_paths_inside_the_project_are_accepted(tmp_path: Path) -> None:
    project = _minimal_project(tmp_path)
    (project / "audit.yaml").write_text('rules: "sub/../rules"\njunit: ["reports/**/*.xml"]\n', encoding="utf-8")
    assert load_config(project).junit == ("reports/**/*.xml",)


@pytest.mark.parametrize("document", ["../../etc/passwd", "/etc/passwd"])
def test_rule_citations_outside_the_project_are_refused(tmp_path: Path, document: str) -> None:
    project = _minimal_project(tmp_path)
    # this repository's own project rules cite their documents verbatim (the built-in rules cite none)
    text = (ROOT / "rules" / "40-heartbeat.yaml").read_text(encoding="utf-8")
    text = re.sub(r"document: \S+", f"document: {document}", text, count=1)
    _rules_dir(project, text)
    result = _check("--project", str(project))
    assert result.exit_code == 2, result.output
    assert "bad.yaml:" in result.output and "outside the project" in result.output


# ----------------------------------------------------------------------------- regular expressions


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|a)*$", r"(?:\d+)*x", r"((ab)*)+y"])
def test_backtracking_shapes_are_accepted_and_matched_in_linear_time(tmp_path: Path, pattern: str) -> None:
    """Python's re took exponential time on these; RE2 runs every accepted pattern in linear time."""
    from auditor.safeio import compile_pattern

    project = _minimal_project(tmp_path)
    (project / "audit.yaml").write_text(json.dumps({"epoch_pattern": pattern}), encoding="utf-8")
    assert load_config(project).epoch_pattern == pattern
    start = time.monotonic()
    compile_pattern(pattern).search("a" * 20000 + "ab" * 5000 + "!")
    assert time.monotonic() - start < 1


@pytest.mark.parametrize("pattern", [r"(?:a{1,1000}){1,1000}b", r"(a)\1", r"(?<=a)b", "x" * 1001])
def test_epoch_patterns_re2_cannot_run_in_linear_time_are_refused(tmp_path: Path, pattern: str) -> None:
    project = _minimal_project(tmp_path)
    (project / "audit.yaml").write_text(json.dumps({"epoch_pattern": pattern}), encoding="utf-8")
    with pytest.raises(ConfigError, match="epoch_pattern"):
        load_config(project)


@pytest.mark.parametrize("pattern", [r"epoch[_-]?(\d+)", r"ep(\d+)", r"(?i)epoch=(\d{1,6})", r"e(\d+)|s(\d+)"])
def test_ordinary_epoch_patterns_are_accepted(tmp_path: Path, pattern: str) -> None:
    project = _minimal_project(tmp_path)
    (project / "audit.yaml").write_text(json.dumps({"epoch_pattern": pattern}), encoding="utf-8")
    assert load_config(project).epoch_pattern == pattern


# ----------------------------------------------------------------------------- escaping in reports

NASTY = "a|b `tick` <script>alert(1)</script>\nnext line"


def test_hostile_text_does_not_break_markdown_or_json(tmp_path: Path) -> None:
    project = _minimal_project(tmp_path)
    (project / "requirements.md").write_text(f"# Requirements\n\nThe heartbeat {NASTY}\n", encoding="utf-8")
    rule = (ROOT / "auditor" / "builtin_rules" / "40-heartbeat.yaml").read_text(encoding="utf-8")
    rule = re.sub(r"^title: .*$", "title: " + json.dumps("Heart|beat `x` <script>bad()</script>"), rule, count=1,
                  flags=re.M)
    _rules_dir(project, rule)
    run = tmp_path / "run"
    run.mkdir()
    torch.save({"epoch": 1}, run / "ckpt_epoch_1|`<script>`.pt")
    junit = tmp_path / "junit.xml"
    name = NASTY.replace("<", "&lt;").replace("\n", "&#10;")
    junit.write_text(f'<testsuite><testcase classname="tests.t" name="{name}"><failure message="{name}"/>'
                     "</testcase></testsuite>", encoding="utf-8")
    args = ["--project", str(project), "--run", str(run), "--junit", str(junit)]

    markdown = CliRunner().invoke(audit_main, ["report", *args, "--format", "markdown"])
    assert markdown.exit_code == 0, markdown.output
    html = MarkdownIt("commonmark").enable("table").render(markdown.output)
    assert "<script>" not in html
    header, *rows = [line for line in markdown.output.splitlines() if line.startswith("| ")]
    cells = lambda line: len(re.findall(r"(?<!\\)\|", line))  # noqa: E731
    assert all(cells(row) == cells(header) for row in rows), "a table row has a different number of cells"

    for fmt in ("json", "sarif"):
        out = CliRunner().invoke(audit_main, ["report", *args, "--format", fmt])
        assert out.exit_code == 0, out.output
        doc = json.loads(out.output)
        assert "Heart|beat `x` <script>bad()</script>" in json.dumps(doc, ensure_ascii=False)


# ----------------------------------------------------------------------------- huge files


def _sparse(path: Path, size: int = BIG, head: bytes = b"") -> None:
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size)


def _peak(fn) -> tuple[object, int]:
    tracemalloc.start()
    try:
        value = fn()
        return value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", ["progress.json", "events.jsonl", "train.log", "PROGRESS.txt"])
def test_huge_run_files_are_read_with_bounds(tmp_path: Path, name: str) -> None:
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "events.jsonl").write_text(json.dumps({"ts": time.time(), "event": "run_start", "pid": 1}) + "\n")
    head = {"progress.json": b'{"format": "magvit-progress/1", "state": "running", "x": "',
            "events.jsonl": (run / "events.jsonl").read_bytes()}.get(name, b"abc ")
    _sparse(run / name, head=head)

    ev, peak = _peak(lambda: run_evidence.collect(ProjectConfig(root=tmp_path), run))
    assert peak < MEMORY_BOUND, f"run evidence allocated {peak} bytes for a {BIG}-byte {name}"
    assert ev.found

    def status():
        try:
            return read_status(run)
        except NotARunDirError as exc:
            return exc

    outcome, peak = _peak(status)
    assert peak < MEMORY_BOUND, f"magvit status allocated {peak} bytes for a {BIG}-byte {name}"
    if name == "progress.json":
        assert isinstance(outcome, NotARunDirError) and "progress.json" in str(outcome)


def test_huge_checkpoint_is_not_read_without_verify(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    with zipfile.ZipFile(run / "model_epoch_1.pt", "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"epoch": 1}))
    with open(run / "model_epoch_1.pt", "ab") as fh:
        fh.truncate(BIG)  # a huge, broken zip: the central directory is gone
    ev, peak = _peak(lambda: run_evidence.collect(ProjectConfig(root=tmp_path), run))
    assert peak < MEMORY_BOUND
    (ckpt,) = ev.checkpoints
    assert ckpt.status in ("unreadable", "in_progress")


def test_magvit_status_rejects_mistyped_progress_fields(tmp_path: Path) -> None:
    """Found by the fuzzer: a progress.json with a list where a time belongs crashed `magvit status`."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "progress.json").write_text(json.dumps({"state": "running", "heartbeat_time": [], "pid": 2**70}))
    result = CliRunner().invoke(magvit_main, ["status", str(run)])
    assert result.exit_code == 2
    assert "heartbeat_time" in result.output


@pytest.mark.parametrize("where", ["progress", "events"])
def test_magvit_status_survives_an_impossible_pid(tmp_path: Path, where: str) -> None:
    """A pid beyond any C long (hand-edited or foreign file) is simply not a running process."""
    run = tmp_path / "run"
    run.mkdir()
    huge = 2**70
    if where == "progress":
        (run / "progress.json").write_text(json.dumps({"state": "running", "pid": huge, "heartbeat_time": time.time()}))
    else:
        (run / "events.jsonl").write_text(json.dumps({"ts": time.time(), "event": "run_start", "pid": huge}) + "\n")
    result = CliRunner().invoke(magvit_main, ["status", str(run)])
    assert result.exit_code == 11, result.output  # stalled: that pid is not running
    assert "not running" in result.output


def test_a_manifest_with_an_infinite_step_is_passed_over(tmp_path: Path) -> None:
    """JSON allows `Infinity`; int() of it raises OverflowError, which no reader may let escape."""
    run = tmp_path / "run"
    folder = run / "checkpoints"
    folder.mkdir(parents=True)
    (folder / "step-00000001.pt").write_bytes(b"x")
    (folder / "step-00000001.json").write_text('{"format": "magvit-checkpoint/1", "file": "step-00000001.pt", '
                                               '"kind": "periodic", "step": Infinity, "wall_time": 1}')
    result = CliRunner().invoke(magvit_main, ["status", str(run)])
    assert result.exit_code == 2 and "not a run directory" in result.output, result.output
    assert CheckpointManager(folder).latest_valid() is None
    ev = run_evidence.collect(ProjectConfig(root=tmp_path), run)
    assert [c.step for c in ev.checkpoints] == [None]


@pytest.mark.parametrize("counts", ['{"passed": [1]}', '{"failed": Infinity}', '{"passed": "many"}'])
def test_a_tdd_record_with_mistyped_counts_is_reported_not_fatal(tmp_path: Path, counts: str) -> None:
    folder = tmp_path / "artifacts" / "tdd"
    folder.mkdir(parents=True)
    (folder / "20260101T000000Z-f-red.json").write_text(
        '{"format": "audit-tdd/1", "phase": "red", "counts": ' + counts + "}", encoding="utf-8")
    from auditor.evidence import tdd as tdd_evidence

    ev = tdd_evidence.collect(ProjectConfig(root=tmp_path, tdd_artifacts=("artifacts/tdd",)))
    assert not ev.artifacts
    (error,) = ev.errors
    assert "20260101T000000Z-f-red.json" in error and "counts" in error
