"""The cache of the code and tests columns: a warm audit says exactly what a cold one says.

An entry is keyed by the auditor's own source, the configuration and the file listing, and it
keeps every file the column read with the sha256 of what it read (or the error it met); an
entry is used only when each of those reads gives the same today. These tests run real
audits (`python -m auditor check`) on corpus projects in a temporary folder, edit one input
at a time, and compare the warm answer with an audit that uses no cache at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditor import colcache, engine, evcodec, safeio
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.render import render
from auditor.resolve import resolve
from tests.auditor.corpus import CORPUS, stage

REPO = Path(__file__).resolve().parents[2]


def _audit(project: Path, cache: Path | None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("AUDIT_CACHE_DIR", None)
    env.pop("AUDIT_NO_CACHE", None)  # tests/conftest.py turns the cache off for the rest of the suite
    args = [sys.executable, "-m", "auditor", "check", "--format", "json", "--project", str(project),
            "--date", "2026-01-25"]
    if cache is None:
        args.append("--no-cache")
    else:
        env["AUDIT_CACHE_DIR"] = str(cache)
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=project, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def _entries(cache: Path) -> dict[str, float]:
    """The column entries (the folder also keeps compiled patterns: auditor.rxcache)."""
    return {p.name: p.stat().st_mtime_ns for p in cache.glob("*.json") if not p.name.startswith("regex-")}


@pytest.fixture
def mmengine(tmp_path: Path) -> Path:
    return stage("mmengine_cfg", tmp_path / "projects")


def test_a_warm_audit_reads_its_entries_and_says_what_an_uncached_audit_says(mmengine, tmp_path):
    cache = tmp_path / "cache"
    cold = _audit(mmengine, cache)
    written = _entries(cache)
    assert {name.split("-")[0] for name in written} == {"code", "tests"}
    warm = _audit(mmengine, cache)
    assert _entries(cache) == written  # read, not rewritten
    assert warm == cold == _audit(mmengine, None)


@pytest.mark.parametrize("edit", ["test file emptied", "source emptied", "config value changed", "source added",
                                  "source links out"])
def test_an_edited_input_is_read_again(mmengine, tmp_path, edit):
    cache = tmp_path / "cache"
    before = _audit(mmengine, cache)
    if edit == "test file emptied":
        (mmengine / "tests" / "test_train.py").write_text("")
    elif edit == "source emptied":
        (mmengine / "tools" / "train.py").write_text("")
    elif edit == "config value changed":
        config = mmengine / "configs" / "mlp-3x256_noisysine_8k.py"  # read as data, never run
        text = config.read_text()
        assert "checkpoint=dict(interval=1000)" in text
        config.write_text(text.replace("checkpoint=dict(interval=1000)", "checkpoint=dict(interval=7)"))
    elif edit == "source added":
        (mmengine / "toyreg" / "beat.py").write_text(
            "import threading, time\n\n\ndef _beat(path):\n    while True:\n"
            "        open(path, 'w').write(str(time.time()))\n        time.sleep(30)\n\n\n"
            "def start_heartbeat(path='heartbeat.txt'):\n"
            "    threading.Thread(target=_beat, args=(path,), daemon=True).start()\n")
    else:
        target = mmengine / "tools" / "train.py"
        target.unlink()
        target.symlink_to(tmp_path / "outside.py")
        (tmp_path / "outside.py").write_text("import torch\n")
    after = _audit(mmengine, cache)
    assert after == _audit(mmengine, None)
    assert after != before


def test_broken_entries_are_recomputed_and_replaced(mmengine, tmp_path):
    cache = tmp_path / "cache"
    cold = _audit(mmengine, cache)
    broken = [b"", b"{not json", json.dumps({"format": 1, "reads": [], "value": {"c": "os.system", "v": {}}}).encode(),
              json.dumps({"format": 1, "reads": "x", "value": 3}).encode(), b"[" * 100_000]
    for entry, garbage in zip(sorted(cache.glob("*.json")), broken):
        entry.write_bytes(garbage)
    assert _audit(mmengine, cache) == cold
    for entry in cache.glob("*.json"):
        assert json.loads(entry.read_text())["format"] == colcache.FORMAT


def test_a_cache_folder_inside_the_audited_project_is_not_used(mmengine):
    before = sorted(p.relative_to(mmengine) for p in mmengine.rglob("*"))
    inside = mmengine / ".audit-cache"
    assert _audit(mmengine, inside) == _audit(mmengine, None)
    assert sorted(p.relative_to(mmengine) for p in mmengine.rglob("*")) == before


def test_an_unwritable_cache_folder_costs_nothing_but_the_cache(mmengine, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert _audit(mmengine, blocked / "cache") == _audit(mmengine, None)


def _evidence(project: Path) -> Evidence:
    return Evidence(resolve(load_config(project)), None)


def _report(project: Path) -> str:
    return render(engine.audit_project(project, date="2026-01-25"), "json")


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_")))
def test_every_corpus_project_reads_the_same_from_the_cache(name, tmp_path, monkeypatch):
    project = stage(name, tmp_path / "projects")
    monkeypatch.setenv("AUDIT_NO_CACHE", "1")
    ev = _evidence(project)
    for value in (ev.code, ev.tests.tests):
        data = json.loads(json.dumps(evcodec.encode(value)))
        assert evcodec.decode(data) == value
    uncached = _report(project)
    monkeypatch.delenv("AUDIT_NO_CACHE")
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    assert _report(project) == uncached  # computed and kept
    kept = _entries(tmp_path / "cache")
    assert _report(project) == uncached  # read back: copies, not the objects the collectors built
    assert _entries(tmp_path / "cache") == kept and len(kept) == 2


def test_the_codec_refuses_classes_it_does_not_know():
    with pytest.raises(evcodec.CodecError, match="os.system"):
        evcodec.decode({"c": "os.system", "v": {}})
    with pytest.raises(evcodec.CodecError, match="object"):
        evcodec.encode(object())


def test_a_column_that_reads_past_the_recorded_door_is_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("AUDIT_NO_CACHE", raising=False)
    project = tmp_path / "p"
    project.mkdir()
    (project / "a.txt").write_text("one")
    (project / "b.json").write_text("[1]")
    within = safeio.project(project)
    computed: list[str] = []

    def by_text() -> tuple[str, ...]:
        computed.append("text")
        return (safeio.read_text(project / "a.txt", within=within),)

    def by_json() -> tuple[str, ...]:
        computed.append("json")
        return (str(safeio.read_json(project / "b.json", within=within)),)

    for _ in range(2):
        assert colcache.column("t", project, ("k",), by_text) == ("one",)
        assert colcache.column("j", project, ("k",), by_json) == ("[1]",)
    assert computed == ["text", "json", "json"]
    (project / "a.txt").write_text("two")
    assert colcache.column("t", project, ("k",), by_text) == ("two",)
    assert colcache.column("t", project, ("other key",), by_text) == ("two",)
    assert computed == ["text", "json", "json", "text", "text"]


def test_decoded_evidence_is_built_as_its_init_would_build_it():
    # evcodec fills an instance's __dict__ directly: sound only while no evidence class has
    # a __post_init__ or slots, and while every field the cache leaves out has a default
    assert {"CodeEvidence", "Call", "Guard", "TestFunction"} <= set(evcodec._CLASSES)
    for cls in evcodec._CLASSES.values():
        assert not hasattr(cls, "__post_init__"), cls
        assert not hasattr(cls, "__slots__"), cls
        names, left = evcodec._layout(cls)
        assert set(names) | set(left) == {f.name for f in __import__("dataclasses").fields(cls)}


def test_a_cache_folder_others_can_write_to_is_not_used(mmengine, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    assert _audit(mmengine, shared) == _audit(mmengine, None)
    assert list(shared.iterdir()) == []
    own = tmp_path / "own"
    _audit(mmengine, own)
    assert own.stat().st_mode & 0o777 == 0o700
    entry = next(own.glob("code-*.json"))
    entry.chmod(0o666)  # an entry someone else could have rewritten: read afresh, and replaced
    before = entry.stat().st_mtime_ns
    _audit(mmengine, own)
    assert entry.stat().st_mtime_ns != before and entry.stat().st_mode & 0o077 == 0


def test_entries_of_another_auditor_go_after_a_day_and_the_folder_stays_bounded(tmp_path, monkeypatch):
    """Two installs can share the folder (a pre-commit hook's environment and the project's): each
    keeps the other's recent entries, so that neither undoes the other's work at every audit."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(cache))
    monkeypatch.delenv("AUDIT_NO_CACHE", raising=False)
    project = tmp_path / "p"
    project.mkdir()
    (project / "a.txt").write_text("one")
    within = safeio.project(project)

    def read() -> tuple[str, ...]:
        return (safeio.read_text(project / "a.txt", within=within),)

    colcache.column("t", project, ("k",), read)
    (ours,) = cache.glob("*.json")
    dead = cache / ours.name.replace(colcache.fingerprint()[:16], "0" * 16)  # an older auditor's entry
    dead.write_bytes(ours.read_bytes())
    day_old = os.stat(dead).st_mtime - 25 * 3600
    os.utime(dead, (day_old, day_old))
    other = cache / ours.name.replace(colcache.fingerprint()[:16], "1" * 16)  # another install's, recent
    other.write_bytes(ours.read_bytes())
    for i in range(colcache.MAX_ENTRIES + 5):
        colcache.column("t", project, (f"key {i}",), read)
    kept = list(cache.glob("*.json"))
    assert not dead.exists()
    assert other.exists()
    assert len(kept) == colcache.MAX_ENTRIES + 1
    assert all(colcache.fingerprint()[:16] in p.name for p in kept if p != other)
