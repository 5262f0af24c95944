"""The compiled-pattern table the package ships: used on a machine's first audit, only where it fits.

auditor.rxcache keeps the auditor's compiled regular expressions in the user's cache folder; the
first audit on a machine finds it empty. The table shipped with the package (written by
scripts/regex_table.py) fills that gap when its key, the digest of what the compiled code depends
on, is this interpreter's. A pattern from it equals what re.compile returns; a table for another
interpreter, or an entry the engine refuses, is compiled afresh.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditor import colcache, rxcache

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = [(r"(?:ckpt|checkpoint)[-_](\d+)\.pt$", 0), (r"\bsave(?:s|d)?\b every (\d+) (?:minutes|s)", 2),
            (r"(?P<step>\d+)/(?P<total>\d+)", 0)]


class _Parses:
    """Counts the calls of the `re` parser (and makes them): a pattern read from a table needs none."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from re import _parser

        self.count = 0
        original = _parser.parse

        def counting(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(_parser, "parse", counting)


def table_file(path: Path, patterns: list[tuple[str, int]], key: str | None = None, broken: bool = False) -> Path:
    """A pattern table at `path` as scripts/regex_table.py writes one; `key`: another interpreter's;
    `broken`: the first pattern's code one the engine must refuse."""
    kept = {(p, f): rxcache._parts(p, f) for p, f in patterns}
    if broken:
        kept[patterns[0]][1][:4] = [9999, 9999, 9999, 9999]
    data = json.loads(rxcache.table_text(kept))
    if key is not None:
        data["key"] = key
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _table(tmp_path: Path, key: str | None = None, broken: bool = False) -> Path:
    return table_file(tmp_path / "regex_table.json", PATTERNS, key, broken)


def _open_cold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: Path) -> None:
    monkeypatch.setattr(rxcache, "SHIPPED", table)
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("AUDIT_NO_CACHE", raising=False)
    project = tmp_path / "project"
    project.mkdir()
    colcache.open_session(str(project))
    rxcache.open()


@pytest.fixture(autouse=True)
def _closed():
    yield
    rxcache._state.__init__()


def test_a_table_made_for_this_interpreter_compiles_without_parsing_and_equals_re_compile(tmp_path, monkeypatch):
    _open_cold(tmp_path, monkeypatch, _table(tmp_path))
    parses = _Parses(monkeypatch)
    compiled = [rxcache.compile(p, f) for p, f in PATTERNS]
    assert parses.count == 0
    assert compiled == [__import__("re").compile(p, f) for p, f in PATTERNS]
    assert compiled[2].match("12/40").group("total") == "40"


def test_a_table_made_for_another_interpreter_is_not_used(tmp_path, monkeypatch):
    _open_cold(tmp_path, monkeypatch, _table(tmp_path, key="0" * 64))
    parses = _Parses(monkeypatch)
    compiled = rxcache.compile(*PATTERNS[0])
    assert parses.count == 1 and compiled.search("ckpt_12.pt").group(1) == "12"


def test_an_entry_the_engine_refuses_is_compiled_afresh(tmp_path, monkeypatch):
    _open_cold(tmp_path, monkeypatch, _table(tmp_path, broken=True))
    compiled = rxcache.compile(*PATTERNS[0])
    assert compiled.search("checkpoint-7.pt").group(1) == "7"


def test_the_shipped_table_holds_what_a_first_audit_compiles(tmp_path):
    if not rxcache.shipped():
        pytest.skip("auditor/regex_table.json was made for another interpreter (or is absent): compiled afresh here")
    env = dict(os.environ, AUDIT_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    env.pop("AUDIT_NO_CACHE", None)
    env["AUDIT_IGNORE_SHIPPED_REGEX"] = "1"  # what the audit compiles itself, so that it can be compared
    project = ROOT / "tests" / "corpus" / "nanoscript"
    done = subprocess.run([sys.executable, "-m", "auditor", "check", "--project", str(project), "--format", "json"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    written = list((tmp_path / "cache").glob("regex-*.json"))
    assert len(written) == 1
    compiled = {(p, f) for p, f, _parts in json.loads(written[0].read_text(encoding="utf-8"))["patterns"]}
    missing = compiled - set(rxcache.shipped())
    assert len(missing) <= len(compiled) // 10, (
        f"{len(missing)} of the {len(compiled)} patterns a first audit compiles are not in auditor/regex_table.json: "
        f"run scripts/regex_table.py (e.g. {sorted(missing)[:3]})")


def test_a_first_audit_of_this_repository_compiles_no_pattern_afresh(tmp_path):
    """The speed target (issue 15) is a cold audit of this repository: every pattern it compiles is
    in the table, so that it neither parses one nor writes a cache file of them."""
    if not rxcache.shipped():
        pytest.skip("auditor/regex_table.json was made for another interpreter (or is absent): compiled afresh here")
    env = dict(os.environ, AUDIT_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    for name in ("AUDIT_NO_CACHE", "AUDIT_IGNORE_SHIPPED_REGEX"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "auditor", "check", "--project", str(ROOT), "--format", "json"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert (tmp_path / "cache").is_dir()
    written = list((tmp_path / "cache").glob("regex-*.json"))
    kept = json.loads(written[0].read_text(encoding="utf-8"))["patterns"] if written else []
    compiled = [pattern for pattern, flags, _parts in kept if (pattern, flags) not in rxcache.shipped()]
    assert not written, f"compiled afresh, not in auditor/regex_table.json: {compiled[:5]}; run scripts/regex_table.py"
