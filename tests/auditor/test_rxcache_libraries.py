"""The patterns the auditor's libraries compile when they are imported (PyYAML's reader and
resolver, click, markdown-it, the standard library's modules) come compiled from a table the
package ships (auditor/regex_library.json, written by scripts/regex_table.py with its own
table), put in `re`'s own cache before those libraries are imported: re.compile finds them
there instead of parsing them, about a twentieth of the audit of a small project. Only a table
made for this interpreter is used, only entries the engine accepts, and what `re` hands back
equals what it would have compiled."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from auditor import rxcache
from tests.auditor.test_rxcache_shipped import table_file

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = [(r"^(?:[-+]?[0-9_]+)$", 0), (r"[^\x09\x0A\x0D\x20-\x7E\x85]", 0), (r"(?P<word>\w+) ?= ?(?P<n>\d+)", 2)]

# the `re` parser's calls made while importing the command line, by the module that compiled
COUNT_PARSES = r"""
import json, sys
from re import _parser
made = []
original = _parser.parse
def counting(pattern, *args, **kwargs):
    if pattern.__class__ is not str:  # a bytes pattern (tokenize's, platform's): the tables hold text
        return original(pattern, *args, **kwargs)
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.endswith(("re/__init__.py", "re/_compiler.py")):
        frame = frame.f_back
    made.append(frame.f_globals.get("__name__", "?") if frame is not None else "?")
    return original(pattern, *args, **kwargs)
_parser.parse = counting
import auditor.cli
print(json.dumps(made))
"""


def _library_table(tmp_path: Path, key: str | None = None, broken: bool = False) -> Path:
    return table_file(tmp_path / "regex_library.json", PATTERNS, key, broken)


@pytest.fixture()
def fresh_re_cache():
    saved = dict(re._cache)
    re.purge()
    yield
    re.purge()
    re._cache.update(saved)


def test_a_table_for_this_interpreter_fills_res_own_cache_with_what_re_compile_makes(tmp_path, fresh_re_cache):
    assert rxcache.seed_libraries(_library_table(tmp_path)) == len(PATTERNS)
    seeded = [re._cache[(str, p, f)] for p, f in PATTERNS]
    assert [re.compile(p, f) for p, f in PATTERNS] == seeded  # found there, and equal to a fresh compile
    assert seeded == [re._compiler.compile(p, f) for p, f in PATTERNS]
    assert re.match(PATTERNS[2][0], "Steps = 40", PATTERNS[2][1]).group("n") == "40"


def test_a_table_for_another_interpreter_seeds_nothing(tmp_path, fresh_re_cache):
    assert rxcache.seed_libraries(_library_table(tmp_path, key="0" * 64)) == 0
    assert not any((str, p, f) in re._cache for p, f in PATTERNS)


def test_an_entry_the_engine_refuses_is_left_to_re(tmp_path, fresh_re_cache):
    assert rxcache.seed_libraries(_library_table(tmp_path, broken=True)) == len(PATTERNS) - 1
    assert (str, *PATTERNS[0]) not in re._cache
    assert re.compile(*PATTERNS[0]).match("1_000")


def test_importing_the_command_line_parses_none_of_its_libraries_text_patterns():
    if not rxcache.shipped(rxcache.LIBRARY):
        pytest.skip("auditor/regex_library.json was made for another interpreter (or is absent)")
    done = subprocess.run([sys.executable, "-c", COUNT_PARSES], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    made = json.loads(done.stdout.strip().splitlines()[-1])
    assert [m for m in made if not m.startswith("auditor")] == [], (
        "patterns compiled at import that auditor/regex_library.json lacks: run scripts/regex_table.py")
