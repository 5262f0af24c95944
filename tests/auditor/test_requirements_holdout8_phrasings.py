"""Phrasings met in the eighth held-out round, written here in other words:

- a stream trained chunk by chunk counts in chunks: "a line every `log_every` chunks with the
  loss" is per-step logging, "dumped every `snapshot_every` chunks" a step interval (partial);
- a JSON file "rewritten with the current chunk, rows seen and loss" is a progress file;
- "there is no watchdog; if it hangs, nothing will tell you" detects no stall.
"""

from __future__ import annotations

from auditor.evidence.requirements import IMPLIED, STATED, find, statements


def found(requirement: str, text: str):
    return find(requirement, statements("README.md", text))


def test_a_line_every_n_chunks_with_the_loss_is_per_step_logging():
    got = found("batch-monitoring", "- `out/fit.log` gets a line every `log_every` chunks with the loss on that chunk.")
    assert got is not None and got.level == STATED, got


def test_snapshots_every_n_chunks_are_a_step_interval():
    text = "The model and the stream offset are saved with joblib to `snaps/`, every `save_every` chunks (50)."
    got = found("checkpoint-interval", text)
    assert got is not None and got.level == IMPLIED, got


def test_a_json_file_rewritten_with_the_current_chunk_is_a_progress_file():
    text = "`state/now.json` is rewritten after each chunk with the current chunk, rows seen and the loss."
    got = found("progress-file", text)
    assert got is not None and got.level == STATED, got


def test_no_watchdog_and_nothing_telling_a_hang_is_no_stall_detection():
    text = "There is no heartbeat or watchdog around the job; if it hangs, nothing will tell you."
    assert found("heartbeat", text) is None


def test_a_period_with_its_default_in_parentheses():
    text = "Output goes to stdout: a `step N | loss X` line every `--log-every` (25) steps."
    got = found("batch-monitoring", text)
    assert got is not None and got.level == STATED, got
