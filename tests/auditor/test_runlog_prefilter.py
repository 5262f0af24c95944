"""A log line holding none of the words a save line needs is not searched, and that changes nothing.

runlog._save_target asks up to five patterns of every line of a foreign run's logs; lines of
ASCII text with none of their words (most lines of a long log) are answered without them.
These tests hold it to runlog._save_target_searched, the patterns alone, on lines built from
the words and characters those patterns are made of (and the non-ASCII letters re.I folds).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.evidence import runlog

WORDS = ["saved", "Saving", "save", "persisted", "wrote", "written", "Writing", "stored", "storing", "checkpoint",
         "Checkpoints", "ckpt", "snapshot", " to ", " in ", " at ", "model", "state", "weights", "->", "=>", "\u2192",
         "step_", "step", "epoch", "iter", "global_step", "-", "_", "=", "12", "0", ".pt", ".pth", ".ckpt", ".bin",
         "/", "runs/x/", " ", ": ", "] ", "|", "'", '"', "(", ")", "loading", "restored", "every", "failed to",
         "heartbeat", "resumed", "INFO", "ſ", "K", "ä", "sav", "wr", "stor", "persist", "snap", "ck", "pt"]
LINE = st.lists(st.sampled_from(WORDS), max_size=10).map("".join)


@settings(max_examples=2000, deadline=None)
@given(LINE)
def test_the_prefilter_answers_as_the_patterns_do(line):
    assert runlog._save_target(line) == runlog._save_target_searched(line)


def test_lines_without_the_words_are_not_saves_and_lines_with_them_still_are():
    assert runlog._save_target("iter 120: loss 0.31, time 41.2ms") is None
    assert runlog._save_target("saving checkpoint to out/ckpt.pt") == "out/ckpt.pt"
    assert runlog._save_target("checkpoint [timer] step 988 -> /scratch/ckpt/step_0000988.pt") == \
        "/scratch/ckpt/step_0000988.pt"
    assert runlog._save_target("\u017faving checkpoint to out/ckpt.pt") == "out/ckpt.pt"  # long s: re.I folds it
