"""Piecewise search of asserted text and test closures finds what a search of the joined text finds.

effects_in and hands_resume_option search each piece once (a helper's source is shared by
many tests) and the joined text only where a match could run across a join; these tests
hold them to effects_of and passes_resume_option on the joined text, with pieces built
from the words and characters the marks are made of, where matches across joins are common.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.evidence.behaviour import effects_in, effects_of, hands_resume_option, passes_resume_option

WORDS = ["step", "Iter", "batch", "epoch", "loss", "eval_", "val ", "test_", "Val:", "TEST ", "Valid=", "\\d", "\\D", "(", ")", "{", "[", ",", "=",
         "==", " 0", "0", " ", "  ", "\t", "\n", "--resume", "--fresh", "resume", "Continue", "restore", "_from",
         "init_from", "ckpt_path", "log", ".log", "stdout", "caplog", "metrics.csv", ".jsonl", "start over",
         "from scratch", "overwrite_output_dir", "checkpoint", ".pt", "saved_", "progress", "status.json",
         "state.json", "heartbeat", "alive", "restart", "latest", "last", "x", "_", "-", "#", '"', "'", "def f():",
         "\n    ", "ſ", "K", "train", "Train: 3", ": ", " [", "3", "}"]
PIECE = st.lists(st.sampled_from(WORDS), max_size=8).map("".join)
PIECES = st.lists(PIECE, min_size=1, max_size=6)
# the joins' neighbourhood: few words, so that empty and blank pieces and split marks are common
EDGE = st.lists(st.lists(st.sampled_from(["epoch", "step", "==", "0", " ", "\n", "(", "\\d", "{", ",", "resume", "=",
                                          "log", "train", "["]), max_size=3).map("".join), min_size=1, max_size=5)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(PIECES, EDGE), st.sampled_from([1, 2]))
def test_effects_in_pieces_equal_effects_of_the_joined_text(pieces, runs):
    assert effects_in(pieces, runs) == effects_of("\n".join(pieces), runs)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(PIECES, EDGE))
def test_resume_option_in_pieces_equals_the_joined_texts(pieces):
    assert hands_resume_option(pieces) == passes_resume_option("\n".join(pieces))


def test_a_match_across_a_join_is_found():
    # each of these matches only across the newline that joins its two pieces
    assert "step_log" in effects_in(["log_lines step", "{}"])
    assert "resumed" not in effects_in(["assert resumed and epoch", "== 0"], runs=2)
    assert "resumed" not in effects_in(["assert resumed and epoch ==", "", " 0"], runs=2)
    assert "step_log" in effects_in(["log_lines step", "", "{}"])
    assert hands_resume_option(["def f():\n    run(", "resume=True)"])
    assert hands_resume_option(["def f():\n    run(resume", "= True)"])


def test_each_mark_is_found_in_one_piece_as_in_the_joined_text():
    # the words a piece must hold before it is searched: one example of each alternative that has its own
    assert effects_in(["assert resumed and epoch == 0"], runs=2) == effects_of("assert resumed and epoch == 0", 2)
    assert "resumed" not in effects_in(["assert resumed and epoch == 0"], runs=2)
    assert effects_in(["assert (run / 'model.safetensors').exists()"]) == {"checkpoints"}
    assert effects_in(["assert Path('STATUS.JSON').exists()"]) == {"progress"}
    assert effects_in(["assert 'LOSS' in capfd.readouterr().out"]) == {"step_log"}
    assert hands_resume_option(["def test_x():\n    main(['--init-from', str(p)])"])
    assert hands_resume_option(["def test_x():\n    fit(ckpt_path=p)"])

