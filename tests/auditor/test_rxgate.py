"""A first-character gate changes no match: every pattern of the auditor, gated, finds the same
spans and groups as ungated, on the sources of this repository's tests and on random text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import strategies as st

from auditor import rxgate
from auditor.evidence import assertions, behaviour
from tests.reliability.conftest import fuzz_pair

ROOT = Path(__file__).resolve().parents[2]


def _auditor_patterns() -> list[tuple[str, int]]:
    """The auditor's own patterns: those its shipped table keeps (scripts/regex_table.py)."""
    data = json.loads((ROOT / "auditor" / "regex_table.json").read_text(encoding="utf-8"))
    return sorted({(_ungated(p), f) for p, f, _parts in data["patterns"]})


def _ungated(pattern: str) -> str:
    return pattern[pattern.index("])(?:") + 5:-1] if pattern.startswith("(?=[") else pattern


def _texts() -> list[str]:
    out = []
    for path in sorted((ROOT / "tests" / "magvit").glob("*.py"))[:12]:
        text = path.read_text(encoding="utf-8", errors="replace")
        out += [text[i:i + 700] for i in range(0, len(text), 600)]
        out += [chunk.lower() for chunk in out[-3:]]
    return out


def _matches(rx: re.Pattern[str], text: str) -> list:
    return [(m.span(), m.groups(), m.groupdict()) for m in rx.finditer(text)]


def test_the_slow_marks_are_gated():
    for rx in (behaviour._PER_STEP, assertions._NUMBERED, assertions._COUNT, assertions._STEP_NAMED):
        assert rx.pattern.startswith("(?=["), rx.pattern[:60]


@pytest.mark.parametrize("pattern, expected", [
    (r"(?<![a-z0-9])(?:ckpt|step)[-_]?(\d+)", "(?=[cs])"),
    (r"\b(?:len|count)\(|\b\d\d\s*<=", r"(?=[\dcl])"),
    (r"x?y", "(?=[xy])"),
    (r"(?:a|b?)c", "(?=[abc])"),
    (r"[a-c\s]+|-", r"(?=[\-\sa-c])"),
])
def test_the_gate_holds_the_characters_a_match_begins_with(pattern, expected):
    gated = rxgate.gate(pattern)
    assert gated == expected + "(?:" + pattern + ")"


@pytest.mark.parametrize("pattern, flags", [
    (r"a*", 0), (r"(?:x|)", 0), (r".x", 0), (r"[^a]b", 0), (r"(a)\1", 0), (r"(?i)abc", 0),
    (r"x(?i:y)", 0), (r"(?i:y)x", 0), (r"a # comment", re.X), (r"(?P<n>a)", 0),
])
def test_what_cannot_be_gated_is_left_as_it_is(pattern, flags):
    assert rxgate.gate(pattern, flags) == pattern


def test_every_auditor_pattern_gated_finds_the_same_matches():
    texts = _texts()
    gated_count = 0
    for pattern, flags in _auditor_patterns():
        gated = rxgate.gate(pattern, flags)
        if gated == pattern:
            continue
        gated_count += 1
        plain, fast = re.compile(pattern, flags), re.compile(gated, flags)
        assert fast.groupindex == plain.groupindex and fast.groups == plain.groups
        for text in texts:
            assert _matches(fast, text) == _matches(plain, text), (pattern, text[:80])
    assert gated_count > 50


_ALPHABET = st.sampled_from(list("ckptsepliounr_-=.0123 \n\"'([{}])<>:,/#|\\") + ["ckpt", "step", "loss", "len(",
                                                                                   "eval_", "val ", "test_", "É", "\u00e9"])


def _same_on(pieces: list[str]) -> None:
    text = "".join(pieces)
    for pattern, flags in _auditor_patterns()[::7]:
        gated = rxgate.gate(pattern, flags)
        if gated != pattern:
            assert _matches(re.compile(gated, flags), text) == _matches(re.compile(pattern, flags), text), pattern


test_random_text_matches_the_same_fast, test_random_text_matches_the_same_slow = fuzz_pair(
    _same_on, st.lists(_ALPHABET, max_size=40))
