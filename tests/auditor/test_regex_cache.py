"""The auditor's compiled regular expressions, kept between audits (auditor.rxcache).

A kept pattern must be exactly what `re.compile` makes, or an audit could match differently from
one without the cache. These tests run real audits (`python -m auditor check`) with a cache
folder, read what was kept, and break the file in the ways a disk or a person could.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from auditor import colcache, rxcache
from tests.auditor.corpus import stage

REPO = Path(__file__).resolve().parents[2]


def _audit(project: Path, cache: Path | None, *extra: str, env_extra: dict | None = None) -> dict:
    # what an audit compiles into the user's cache itself: the table the package ships would leave
    # nothing to compile (tests/auditor/test_rxcache_shipped.py is about that table)
    env = {**os.environ, "PYTHONPATH": str(REPO), "AUDIT_IGNORE_SHIPPED_REGEX": "1", **(env_extra or {})}
    env.pop("AUDIT_CACHE_DIR", None)
    if "AUDIT_NO_CACHE" not in (env_extra or {}):
        env.pop("AUDIT_NO_CACHE", None)  # tests/conftest.py turns the caches off for the rest of the suite
    if cache is not None:
        env["AUDIT_CACHE_DIR"] = str(cache)
    done = subprocess.run([sys.executable, "-m", "auditor", "check", "--format", "json", "--project", str(project),
                           "--date", "2026-01-25", *extra], capture_output=True, text=True, env=env, cwd=project,
                          timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def _regex_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("regex-*.json"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return stage("mmengine_cfg", tmp_path / "projects")


@pytest.fixture
def fresh_state(monkeypatch, tmp_path):
    """This process's cache, on in tmp_path/cache, and closed again after the test whatever it opened."""
    monkeypatch.setattr(rxcache, "_state", rxcache._State())
    monkeypatch.setattr(colcache, "_session", [None])
    monkeypatch.delenv("AUDIT_NO_CACHE", raising=False)
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    # the user's cache alone: the table the package ships is tests/auditor/test_rxcache_shipped.py's
    monkeypatch.setenv("AUDIT_IGNORE_SHIPPED_REGEX", "1")
    return rxcache


def test_an_audit_keeps_its_patterns_and_each_equals_what_re_compile_makes(project, tmp_path, fresh_state):
    cache = tmp_path / "cache"
    _audit(project, cache)
    [kept] = _regex_files(cache)
    patterns = json.loads(kept.read_text(encoding="utf-8"))["patterns"]
    assert len(patterns) > 200  # the evidence modules' own, compiled at their import
    assert any("checkpoint" in p for p, _f, _parts in patterns)
    colcache.open_session(tmp_path / "elsewhere")  # a project outside the cache folder
    rxcache.open()
    assert rxcache._state.file == kept
    for pattern, flags, _parts in patterns:
        made = rxcache.compile(pattern, flags)
        assert made == re.compile(pattern, flags), pattern  # same pattern, flags and code
        assert made.groupindex == re.compile(pattern, flags).groupindex
    assert not rxcache._state.new  # every one came from the file


def test_a_second_audit_compiles_nothing_afresh_and_says_the_same(project, tmp_path):
    cache = tmp_path / "cache"
    first = _audit(project, cache)
    [kept] = _regex_files(cache)
    before = kept.stat().st_mtime_ns, kept.read_bytes()
    second = _audit(project, cache)
    assert (kept.stat().st_mtime_ns, kept.read_bytes()) == before  # read, not rewritten
    assert first == second == _audit(project, None, "--no-cache")


def test_code_the_engine_refuses_is_compiled_afresh_and_replaced(tmp_path, fresh_state):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    pattern = r"\bevery\s+(?P<n>\d+)\s*min"
    colcache.open_session(tmp_path / "project")
    rxcache.open()
    good = rxcache.compile(pattern, re.I)
    rxcache.save()
    [kept] = _regex_files(cache)
    data = json.loads(kept.read_text(encoding="utf-8"))
    data["patterns"][0][2][1] = [1, 2, 3]  # code words the matcher cannot run
    kept.write_text(json.dumps(data), encoding="utf-8")
    os.chmod(kept, 0o600)
    colcache.open_session(tmp_path / "project")
    rxcache.open()
    again = rxcache.compile(pattern, re.I)
    assert again == good == re.compile(pattern, re.I)
    assert again.search("saved every 5 min").group("n") == "5"
    rxcache.save()
    [[_p, _f, parts]] = json.loads(kept.read_text(encoding="utf-8"))["patterns"]
    assert parts[1] != [1, 2, 3] and parts == json.loads(json.dumps(rxcache._parts(pattern, int(re.I))))


@pytest.mark.parametrize("text", ["", "not json", "[]", '{"patterns": [["a", 0]]}', '{"patterns": 7}',
                                  '{"patterns": [["a", 0, [0, [], 0, {}, []]]]}', "[" * 100_000 + "]" * 100_000])
def test_a_broken_cache_file_is_ignored_and_replaced(tmp_path, fresh_state, text):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    colcache.open_session(tmp_path / "project")
    rxcache.open()
    file = rxcache._state.file
    file.write_text(text, encoding="utf-8")
    os.chmod(file, 0o600)
    colcache.open_session(tmp_path / "project")
    rxcache.open()
    assert rxcache.compile("a", 0) == re.compile("a")
    assert rxcache.compile(r"(\d+) steps", re.I).match("12 steps").group(1) == "12"
    rxcache.save()
    kept = {(p, f) for p, f, _ in json.loads(file.read_text(encoding="utf-8"))["patterns"]}
    assert (r"(\d+) steps", int(re.I)) in kept


def test_no_cache_writes_and_reads_no_patterns(project, tmp_path):
    cache = tmp_path / "cache"
    _audit(project, cache, "--no-cache")
    _audit(project, cache, env_extra={"AUDIT_NO_CACHE": "1"})
    assert not cache.exists() or _regex_files(cache) == []


def test_a_cache_folder_inside_the_audited_project_or_writable_by_others_is_not_used(project, tmp_path):
    inside = project / ".cache"
    _audit(project, inside)
    assert not inside.exists() or _regex_files(inside) == []
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    _audit(project, shared)
    assert _regex_files(shared) == []


def test_before_open_and_when_closed_compile_is_re_compile(tmp_path, fresh_state, monkeypatch):
    assert rxcache.compile(r"x+", 0) == re.compile(r"x+")
    monkeypatch.setenv("AUDIT_NO_CACHE", "1")
    colcache.open_session(tmp_path / "project")
    rxcache.open()
    assert rxcache._state.file is None
    assert rxcache.compile(r"y+", re.I) == re.compile(r"y+", re.I)
    rxcache.save()
    assert not (tmp_path / "cache").exists()
