"""Every parser of outside input, fuzzed: no exception escapes but the module's documented error.

| parser | documented outcome for bad input |
|---|---|
| auditor.rules.load_rules | RulesError (file:line) |
| auditor.config.load_config (audit.yaml) | ConfigError |
| auditor.junit.read_junit | JUnitError |
| auditor.evidence.tests.collect (JUnit join) | errors listed in `junit_errors`, no exception |
| auditor.evidence.tdd.collect (JSON records, pytest text) | errors listed in `errors`, no exception |
| auditor.evidence.run.collect (progress, events, manifests) | errors listed in `errors`, no exception |
| magvit.status.read_status (progress.json, events, manifests) | NotARunDirError |
| magvit.checkpoint.Manifest.from_dict | ValueError |
| magvit.checkpoint.CheckpointManager.verify / latest_valid | CheckpointError / None |
| magvit.checkpoint.Interval.parse | ValueError |
| magvit.train.parse_duration | TrainError |
| auditor.evidence.code.parse_interval | None |

Each property runs 50 examples by default and 1,000 in its `slow` twin (see conftest.py).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import yaml
from hypothesis import strategies as st

from auditor.config import ConfigError, ProjectConfig, load_config
from auditor.evidence import run as run_evidence
from auditor.evidence import tdd as tdd_evidence
from auditor.evidence import tests as tests_evidence
from auditor.evidence.code import parse_interval
from auditor.junit import JUnitError, count_outcomes, read_junit
from auditor.rules import RulesError, load_rules
from magvit.checkpoint import CheckpointError, CheckpointManager, Interval, Manifest
from magvit.status import NotARunDirError, read_status, render_text
from magvit.train import TrainError, parse_duration

from .conftest import ROOT, fuzz_pair

# ----------------------------------------------------------------------------- strategies

scalars = st.one_of(
    st.sampled_from([float("inf"), float("-inf"), float("nan"), 2**64, 2**70, -1, 0, "", "0"]),  # edge values, often
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


def _mutated(base: dict, keys: list[str]) -> st.SearchStrategy[dict]:
    """`base` with some keys replaced by arbitrary JSON values, some removed, some extra added."""
    return st.builds(
        lambda changes, drop, extra: {**{k: v for k, v in base.items() if k not in drop}, **changes, **extra},
        st.dictionaries(st.sampled_from(keys), json_values, max_size=4),
        st.sets(st.sampled_from(keys), max_size=3),
        st.dictionaries(st.text(max_size=10), json_values, max_size=2),
    )


RULE = yaml.safe_load((ROOT / "auditor" / "builtin_rules" / "10-periodic-checkpoints.yaml").read_text(encoding="utf-8"))
MANIFEST = {
    "format": "magvit-checkpoint/1", "file": "step-00000004.pt", "kind": "periodic", "stage": "tokenizer",
    "step": 4, "epoch": 0, "batch_in_epoch": 4, "epochs": 3, "wall_time": 1.7e9, "saved_at": "2026-01-01T00:00:00Z",
    "train_elapsed_s": 1.0, "save_duration_s": 0.1, "losses": {"train": 0.5}, "size_bytes": 5,
    "sha256": "0" * 64, "interval": {"kind": "steps", "value": 2}, "code_version": None, "data_fingerprint": "x",
}  # fmt: skip
PROGRESS = {
    "format": "magvit-progress/1", "state": "running", "pid": 1, "stage": "tokenizer", "epoch": 1, "epochs": 3,
    "step": 2, "total_steps": 15, "percent": 13.3, "losses": {"train": 0.5}, "throughput_clips_per_s": 4.0,
    "eta_s": 10.0, "last_checkpoint": {"file": "step-00000002.pt", "saved_at": "x", "wall_time": 1.7e9, "step": 2},
    "updated_at": "2026-01-01T00:00:00Z", "updated_time": 1.7e9, "heartbeat_time": 1.7e9,
    "heartbeat_interval_s": 1.0, "started_time": 1.7e9, "host": "h", "batch": 2,
}  # fmt: skip
EVENT = {"ts": 1.7e9, "event": "run_start", "pid": 1, "resume": "auto", "file": "step-00000002.pt", "step": 2,
         "kind": "periodic", "status": "finished", "heartbeat_interval_s": 1.0}
TDD_RECORD = {
    "format": "audit-tdd/1", "phase": "red", "feature": "f", "started_at": "2026-01-01T00:00:00Z",
    "finished_at": "2026-01-01T00:00:01Z", "git_commit": None, "command": ["pytest"], "exit_code": 1,
    "junit": "x.xml", "counts": {"passed": 1, "failed": 1, "errors": 0, "skipped": 0, "timed_out": 0},
    "tests": [{"id": "t::a", "outcome": "failed", "duration_s": 0.1}],
}  # fmt: skip

rule_docs = st.one_of(
    _mutated(RULE, list(RULE)).map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
    _mutated(RULE["columns"], ["docs", "code", "tested", "working"]).map(
        lambda cols: yaml.safe_dump({**RULE, "columns": cols})),
    st.text(max_size=300),
)
xml_names = st.sampled_from(["testsuites", "testsuite", "testcase", "failure", "error", "skipped", "system-out", "x"])
attr_values = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@st.composite
def xml_trees(draw, depth: int = 0) -> str:
    tag = draw(xml_names)
    attrs = draw(st.dictionaries(st.sampled_from(["name", "classname", "time", "message", "tests"]), attr_values,
                                 max_size=3))
    attr_text = "".join(f' {k}="{_xml_escape(v)}"' for k, v in attrs.items())
    children = draw(st.lists(xml_trees(depth + 1), max_size=3)) if depth < 3 else []
    text = _xml_escape(draw(attr_values))
    return f"<{tag}{attr_text}>{text}{''.join(children)}</{tag}>"


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


junit_docs = st.one_of(
    xml_trees(),
    xml_trees().map(lambda x: '<?xml version="1.0"?>' + x),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.text(max_size=300),
    xml_trees().flatmap(lambda x: st.integers(0, len(x)).map(lambda n: x[:n])),  # cut short
)
pytest_lines = st.sampled_from([
    "FAILED tests/test_a.py::test_x - AssertionError", "FAILED tests/test_a.py::test_y - Timeout >10s",
    "tests/test_a.py::test_z PASSED", "tests/test_a.py::test_w ERROR", "=== 1 failed, 2 passed in 0.1s ===",
    "=== 3 passed, 1 error in 1s ===", "timed out", "==== 99999999999999999999 failed ====", "",
])
tdd_texts = st.lists(st.one_of(pytest_lines, st.text(max_size=60)), max_size=12).map("\n".join)
events_lines = st.lists(
    st.one_of(_mutated(EVENT, list(EVENT)).map(json.dumps), st.text(max_size=40), json_values.map(json.dumps)),
    max_size=8,
).map("\n".join)


def _json(value) -> str:
    return json.dumps(value, allow_nan=True)


# ----------------------------------------------------------------------------- properties


def _rules_loader(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "rule.yaml").write_text(text, encoding="utf-8")
        try:
            load_rules(tmp)
        except RulesError as exc:
            assert exc.errors and all(str(e.path).endswith("rule.yaml") for e in exc.errors)


test_rules_loader, test_rules_loader_slow = fuzz_pair(_rules_loader, rule_docs)


def _config_loader(table: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "audit.yaml").write_text(yaml.safe_dump(table), encoding="utf-8")
        try:
            load_config(tmp)
        except ConfigError as exc:
            assert "audit.yaml" in str(exc)


config_keys = ["rules", "junit", "epoch_pattern", "progress_bounds_s", "checkpoint_bounds_s", "source", "run_dir"]
test_config_loader, test_config_loader_slow = fuzz_pair(_config_loader, _mutated({"rules": "rules"}, config_keys))


def _junit_reader(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "junit.xml"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        try:
            cases = read_junit(path)
        except JUnitError as exc:
            assert str(path) in str(exc)
            return
        assert sum(count_outcomes(cases).values()) == len(cases)
        # the tests evidence joins the same file: problems become junit_errors, never exceptions
        config = ProjectConfig(root=Path(tmp), tests="no-tests", junit=("junit.xml",))
        tests_evidence.collect(config)


test_junit_reader, test_junit_reader_slow = fuzz_pair(_junit_reader, junit_docs)


def _tdd_parser(record: dict, text: str, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "artifacts" / "tdd"
        folder.mkdir(parents=True)
        (folder / f"20260101T000000Z-{name}-red.json").write_text(_json(record), encoding="utf-8")
        (folder / f"{name}_green.txt").write_text(text, encoding="utf-8", errors="surrogateescape")
        ev = tdd_evidence.collect(ProjectConfig(root=Path(tmp)))
        assert all(isinstance(e, str) for e in ev.errors)


tdd_names = st.text(alphabet="abcxyz-_.0123456789", min_size=1, max_size=12)
tdd_records = st.one_of(
    _mutated(TDD_RECORD, list(TDD_RECORD)),
    _mutated(TDD_RECORD["counts"], list(TDD_RECORD["counts"])).map(lambda c: {**TDD_RECORD, "counts": c}),
    _mutated(TDD_RECORD["tests"][0], ["id", "outcome", "duration_s"]).map(lambda t: {**TDD_RECORD, "tests": [t]}),
)
test_tdd_parser, test_tdd_parser_slow = fuzz_pair(_tdd_parser, tdd_records, tdd_texts, tdd_names)


def _run_dir(tmp: Path, progress: str, events: str, manifest: str, pt: bytes) -> Path:
    run = tmp / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "progress.json").write_text(progress, encoding="utf-8")
    (run / "events.jsonl").write_text(events, encoding="utf-8", errors="surrogateescape")
    (run / "checkpoints" / "step-00000004.json").write_text(manifest, encoding="utf-8")
    (run / "checkpoints" / "step-00000004.pt").write_bytes(pt)
    return run


def _progress_readers(progress: dict, events: str, manifest: dict, pt: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run = _run_dir(Path(tmp), _json(progress), events, _json(manifest), pt)
        try:
            status = read_status(run, now=1.7e9 + 5)
            assert status.exit_code in (0, 10, 11, 12, 13)
            assert render_text(status)  # what `magvit status` prints
            json.dumps(status.to_dict())  # what `magvit status --json` prints
        except NotARunDirError as exc:
            assert str(run) in str(exc)
        ev = run_evidence.collect(ProjectConfig(root=Path(tmp)), run, verify=True)
        assert all(isinstance(e, str) for e in ev.errors)


progress_docs = st.one_of(
    _mutated(PROGRESS, list(PROGRESS)),
    _mutated(PROGRESS["last_checkpoint"], list(PROGRESS["last_checkpoint"])).map(
        lambda c: {**PROGRESS, "last_checkpoint": c}),
    st.dictionaries(st.text(max_size=8), json_values, max_size=4).map(lambda d: {**PROGRESS, "losses": d}),
)
test_progress_readers, test_progress_readers_slow = fuzz_pair(
    _progress_readers, progress_docs, events_lines, _mutated(MANIFEST, list(MANIFEST)), st.binary(max_size=40))


def _manifest_readers(manifest: dict, text_or_none: str | None) -> None:
    try:
        parsed = Manifest.from_dict(manifest)
        assert parsed.to_dict()["step"] == manifest["step"]
    except ValueError:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "checkpoints"
        manager = CheckpointManager(folder)
        body = _json(manifest) if text_or_none is None else text_or_none
        (folder / "step-00000004.json").write_text(body, encoding="utf-8", errors="surrogateescape")
        (folder / "step-00000004.pt").write_bytes(b"hello")
        try:
            manager.verify(folder / "step-00000004.pt")
        except CheckpointError:
            pass
        assert manager.latest_valid() is None or manager.latest_valid()[0].name == "step-00000004.pt"


test_manifest_readers, test_manifest_readers_slow = fuzz_pair(
    _manifest_readers, _mutated(MANIFEST, list(MANIFEST)), st.none() | st.text(max_size=80))


interval_texts = st.one_of(
    st.text(max_size=20),
    st.builds(lambda n, u, sp: f"{n}{sp}{u}", st.one_of(st.integers(-5, 10**30).map(str), st.floats().map(str)),
              st.sampled_from(["s", "m", "h", "steps", "step", "epoch", "epochs", "min", "x", ""]),
              st.sampled_from(["", " ", "\t"])),
)


def _interval_parsers(text: str) -> None:
    try:
        interval = Interval.parse(text)
        assert interval.value > 0
    except ValueError:
        pass
    try:
        assert parse_duration(text, "--time-limit") > 0
    except TrainError as exc:
        assert "--time-limit" in str(exc)
    parsed = parse_interval(text)
    assert parsed is None or isinstance(parsed, tuple)


test_interval_parsers, test_interval_parsers_slow = fuzz_pair(_interval_parsers, interval_texts)


def _audit_of_a_fuzzed_run(progress: dict, events: str, manifest: dict) -> None:
    """The whole audit (every probe, every renderer) over a run directory of fuzzed files."""
    from auditor.engine import audit_project
    from auditor.render import render

    with tempfile.TemporaryDirectory() as tmp:
        run = _run_dir(Path(tmp), _json(progress), events, _json(manifest), b"PK\x03\x04")
        project = Path(tmp) / "project"
        project.mkdir()
        result = audit_project(project, run=run, date="2026-01-01")
        for fmt in ("json", "markdown", "terminal", "sarif", "junit"):
            assert render(result, fmt)


test_audit_of_a_fuzzed_run, test_audit_of_a_fuzzed_run_slow = fuzz_pair(
    _audit_of_a_fuzzed_run, progress_docs, events_lines, _mutated(MANIFEST, list(MANIFEST)))
