"""A run's start line ("Starting training from iteration 20") is not a per-step log line.

Held-out yacs_hooks: a resume test asserts `started_at(log) == [0, 20]`, with `started_at` finding
`"Starting training from iteration (\\d+)"` in log.txt. It reads where each run began, once a run;
it was a ✅ on per-batch logging. A step-numbered loss line stays one.
"""

from __future__ import annotations

from auditor.evidence.assertions import _step_lines


def test_a_start_line_is_no_step_line():
    text = 'started_at(log) == [0, 20]\nre.findall(r"Starting training from iteration (\\d+)", log)'
    assert not _step_lines(text, 'open("out/log.txt").read()')


def test_a_step_line_stays_one():
    text = 'steps == [10, 20]\nre.findall(r"iteration (\\d+) loss", log)'
    assert _step_lines(text, 'open("out/log.txt").read()')
