"""runfinder.is_log_name skips the search for a name that cannot end a log's name: the answer is
the same as searching every name (discovery asks it of every file of a project)."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from auditor import runfinder
from tests.reliability.conftest import fuzz_pair


def _searched(name: str) -> bool:
    """The answer without the ending check: both searches, always."""
    return bool(runfinder._LOG_NAME.search(name) or runfinder._LOG_NAME.search(runfinder.unrotated(name)))


@pytest.mark.parametrize("name, is_log", [
    ("train.log", True), ("TRAIN.LOG", True), ("run.out", True), ("events.jsonl", True), ("x.jſonl", True),
    ("log.txt", True), ("train_log.txt", True), ("stdout.txt", True), ("metrics.csv", True), ("Progress.CSV", True),
    ("train.log.1", True), ("train.log.2026-12-03", True), ("train.log.2026-12-03_14-00", True),
    ("main.log.INFO.20261203-101500.42", True), ("train.log\n", True), ("train.log.1\n", True),
    ("changelog.txt", False), ("catalog.txt", False), ("model.pt", False), ("train.py", False),
    ("data.csv", False), ("notes.txt", False), ("checkpoint_100", False), ("log", False), ("", False),
])
def test_names(name, is_log):
    assert runfinder.is_log_name(name) is is_log
    assert _searched(name) is is_log


PIECES = st.sampled_from(["train", "log", "LOG", "logs", "_", "-", ".", "txt", "TXT", "out", "err", "jsonl", "jſonl",
                          "csv", "metrics", "progress", "stdout", "console", "1", "12", "2026-12-03", "_14-00",
                          "INFO", "20261203-101500", "\n", "ſ", "K", "ı", "٣", "²", "x"])


def _same_answer(pieces: list[str]) -> None:
    name = "".join(pieces)
    assert runfinder.is_log_name(name) == _searched(name), repr(name)


test_random_names_fast, test_random_names_slow = fuzz_pair(_same_answer, st.lists(PIECES, max_size=8))
