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
    for rx in (behaviour._PER_STEP, behaviour._RESUME_OPTION, behaviour._FRESH_START, assertions._NUMBERED,
               assertions._COUNT, assertions._PAIRS, assertions._STEP_NAMED):
        assert rx.pattern.startswith("(?=["), rx.pattern[:60]


@pytest.mark.parametrize("pattern, flags, expected", [
    (r"(?<![a-z0-9])(?:ckpt|step)[-_]?(\d+)", 0, "(?=[cs])"),  # a look-behind leads
    (r"\b(?:len|count)\(|\b\d\d\s*<=", 0, r"(?=[\dcl])"),  # word boundaries lead
    (r"x?y", 0, "(?=[xy])"),  # an optional repeat leads
    (r"(?:a|b?|\[)c", 0, r"(?=[\[abc])"),  # three alternatives, one not a literal
    (r"[a-c\s]+|-|x+", 0, r"(?=[\-\sa-cx])"),
    (r"train|loss|step", re.I, "(?=[lst])"),  # literals of either case: re cannot skip ahead
])
def test_the_gate_holds_the_characters_a_match_begins_with(pattern, flags, expected):
    assert rxgate.gate(pattern, flags) == expected + "(?:" + pattern + ")"


@pytest.mark.parametrize("pattern, flags", [
    (r"a*", 0), (r"\b(?:x|)", 0), (r"\b.x", 0), (r"\b[^a]b", 0), (r"\b(a)?\1", 0), (r"(?i)abc", 0),
    (r"\b(?i:y)x", 0), (r"\ba # comment", re.X), (r"(?P<n>a)", 0),  # no gate can be read
    (r"^\s*(\w+)", 0), (r"\A\bx", 0), (r"abc\b", 0), (r"(a)\1", 0), (r"[xy]z", 0), (r"ab|cd", 0),
    (r"a|b|c", 0),  # anchored, or re skips ahead already: a gate would cost
])
def test_what_cannot_or_need_not_be_gated_is_left_as_it_is(pattern, flags):
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
    assert gated_count > 50  # the shipped table's patterns as if all were gated


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
