"""A pattern searched only in texts that hold one of its words (rxgate.Worded) finds what it finds alone.

Each Worded pattern of the auditor names words one of which every match of it holds, so that a
text holding none (most texts) is answered without a search. These tests hold every such pattern
to its words, on the sources of this repository's tests and on texts built of the words, their
near misses and the pattern's own characters; and Worded itself to the pattern's answers.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from hypothesis import strategies as st

import auditor
from auditor import rxgate
from tests.reliability.conftest import fuzz_pair

ROOT = Path(__file__).resolve().parents[2]


def _worded() -> list[tuple[str, rxgate.Worded]]:
    """Every Worded pattern at the top of an auditor module, by module and name."""
    out = []
    for info in pkgutil.walk_packages(auditor.__path__, "auditor."):
        if info.name.endswith("__main__"):  # runs the command line when imported
            continue
        module = importlib.import_module(info.name)
        out += [(f"{info.name}.{name}", value) for name, value in vars(module).items()
                if isinstance(value, rxgate.Worded)]
    return sorted(out, key=lambda pair: pair[0])


WORDED = _worded()


def _sources() -> list[str]:
    out = []
    for path in sorted((ROOT / "tests" / "magvit").glob("*.py")) + sorted((ROOT / "tests" / "reliability").glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace").lower()
        out += [text[i:i + 900] for i in range(0, len(text), 800)]
    return out


def _holds_a_word(worded: rxgate.Worded, text: str) -> bool:
    return any(word in text for word in worded.words)


def test_the_assertion_reader_searches_its_slow_patterns_only_where_their_words_are():
    names = {name for name, _ in WORDED}
    for name in ("_CHECKPOINT", "_COUNT", "_PAIRS", "_TIMES", "_SINCE_LAST", "_RANGE", "_STEP_NAMED", "_CHECKPOINT_LISTING"):
        assert f"auditor.evidence.assertions.{name}" in names


@pytest.mark.parametrize("name, worded", WORDED, ids=[name for name, _ in WORDED])
def test_every_match_in_a_test_source_holds_one_of_the_words(name, worded):
    for text in _sources():
        for match in worded.rx.finditer(text):
            assert _holds_a_word(worded, text), (name, match.group(0))
        assert (worded.search(text) is None) == (worded.rx.search(text) is None), name


def test_a_text_without_the_words_is_not_searched_and_one_with_them_is():
    worded = rxgate.Worded(re.compile(r"\brange\((\d+)\)"), ("range(",))
    assert worded.search("for i in arange(3)") is None
    assert worded.search("for i in range(3)").group(1) == "3"
    assert worded.findall("range(3) and range(40)") == ["3", "40"]
    assert worded.findall("no loop here") == []
    assert worded.pattern == r"\brange\((\d+)\)"


def test_a_pattern_that_folds_case_is_refused():
    with pytest.raises(ValueError, match="case"):
        rxgate.Worded(re.compile(r"range\(", re.I), ("range(",))


def _pieces() -> list[str]:
    pieces = set("0123456789 \n\t_-=.,:;()[]{}<>'\"/\\*+#abcdefghijklmnopqrstuvwxyz")
    for _, worded in WORDED:
        for word in worded.words:
            pieces |= {word, word[:-1], word[1:]}
    return sorted(pieces)


def _words_hold(pieces: list[str]) -> None:
    text = "".join(pieces)
    for name, worded in WORDED:
        if worded.rx.search(text) is not None:
            assert _holds_a_word(worded, text), (name, text)


test_built_texts_hold_a_word_where_they_match_fast, test_built_texts_hold_a_word_where_they_match_slow = fuzz_pair(
    _words_hold, st.lists(st.sampled_from(_pieces()), max_size=30))
