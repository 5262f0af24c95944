"""Logs written by rich (`Console.log`, `RichHandler`): the time column is left blank when a line's
time equals the line above's (`omit_repeated_times`), and a long message wraps onto lines indented
to its column. Such a line has the time of the line above; without it a save or a status write
logged in the same second as a step line had no time at all, and its gap was measured to the next
timed one. RichHandler's default stamp is `[%x %X]`, `[12/03/26 20:44:28]` in the C locale.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.evidence.timestamps import carry_blank_times, parse
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

PATH_COL = 110  # rich right-aligns the caller (`trainer.py:46`) at the console's width


def _row(stamp: str, text: str, where: str) -> str:
    left = f"{stamp} {text}" if stamp else " " * 22 + text
    return left.ljust(PATH_COL) + where


def test_a_blank_time_column_carries_the_time_of_the_line_above():
    lines = [_row("[2026-12-03 20:44:28]", "step 600 loss 0.02", "trainer.py:76"),
             _row("", "checkpoint -> runs/base/checkpoints/step_000600", "trainer.py:46"),
             _row("", "epoch 2 finished, status.json updated", "trainer.py:86"),
             "base ━━━━━━━━━━ 2800/2800 loss 0.0004 0:00:00",
             _row("", "done: step 2800", "trainer.py:93")]
    times = [parse(lines[0]), None, None, None, None]
    assert carry_blank_times(lines, times) == [times[0], times[0], times[0], None, None]


def test_a_line_indented_otherwise_or_a_log_without_a_time_column_is_not_given_a_time():
    lines = ["2026-12-03 20:44:28 INFO step 600", "    at train.py line 3", "Traceback (most recent call last):"]
    assert carry_blank_times(lines, [parse(lines[0]), None, None]) == [parse(lines[0]), None, None]


def test_rich_handlers_default_stamp_is_read():
    assert parse("[12/03/26 20:44:28] INFO     step 600 loss 0.02      trainer.py:76") == parse(
        "2026-12-03 20:44:28")


def project(root: Path) -> Path:
    """A Typer CLI whose rich console logs steps, a checkpoint every 600 steps (84 s) and a status file
    write every epoch (35 s); killed, then restarted by its `resume` command."""
    (root / "train.py").write_text("loss.backward()\nopt.step()\n")
    rows: list[str] = []
    base = 1796330579  # 2026-12-03 20:42:59

    def at(s: int) -> str:
        import time
        return time.strftime("[%Y-%m-%d %H:%M:%S]", time.gmtime(base + s))

    def session(cmd: str, first: int, last: int, t0: int, resumed: int | None) -> None:
        last_stamp = ""
        rows.append(_row(at(t0), cmd, "cli.py:28"))
        if resumed is not None:
            rows.append(_row(at(t0 + 2), f"resuming from runs/base/checkpoints/step_{resumed:06d} at step {resumed}",
                             "cli.py:56"))
        for step in range(first + 50, last + 1, 50):
            s = t0 + 2 + (step - first) * 14 // 100
            stamp = at(s)
            rows.append(_row("" if stamp == last_stamp else stamp, f"step {step} loss 0.01 (7.1 it/s)",
                             "trainer.py:76"))
            last_stamp = stamp
            if step % 250 == 0:
                rows.append(_row("", "epoch finished, status.json updated", "trainer.py:86"))
            if step % 600 == 0:
                rows.append(_row("", f"checkpoint -> runs/base/checkpoints/step_{step:06d}", "trainer.py:46"))

    session("train: pulsefit train configs/base.toml", 0, 1400, 0, None)
    session("resume: pulsefit resume configs/base.toml", 1200, 2800, 240, 1200)
    rows.append(_row("", "done: step 2800, loss 0.0004", "trainer.py:93"))
    run = root / "runs" / "base"
    (run / "checkpoints").mkdir(parents=True)
    (run / "console.log").write_text("\n".join(rows) + "\n")
    for step in (600, 1200, 1800, 2400, 2800):
        folder = run / "checkpoints" / f"step_{step:06d}"
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"{}")
    (run / "status.json").write_text('{"state": "finished", "step": 2800, "updated": "2026-12-03T20:50:22Z"}')
    return root


@pytest.mark.parametrize("rule, verdict", [
    ("run.checkpoint_gaps", Verdict.YES),  # 84 s within each session
    ("run.progress_fresh", Verdict.YES),  # status.json updated every 35 s
])
def test_saves_and_status_writes_logged_with_a_blank_time_are_timed(tmp_path, rule, verdict):
    root = project(tmp_path)
    r = PROBES[rule](Evidence(resolve(load_config(root)), root / "runs" / "base"))
    assert r.verdict == verdict, r.summary
