"""Which of a run's logs tells its sessions. A console log that records its starts (a command line,
`starting training`) and the work done (per-step lines, saves) is the primary log even when a
metrics stream beside it (`metrics.jsonl`) holds more per-step lines; a log that records a
command and no work at all (a setup log) is not. An epoch's end (`epoch 4 finished at step 1280`)
does not end the run.
"""

from __future__ import annotations

from auditor.evidence.runlog import LogLine, analyse

T0 = 1796330000.0


def _log(name: str, texts: list[tuple[float, str]]) -> list[LogLine]:
    return [LogLine(name, n, T0 + t, text) for n, (t, text) in enumerate(texts, start=1)]


def _console() -> list[LogLine]:
    rows = [(0, "Command line: main.py --workdir=runs/a")]
    rows += [(5 * k, f"Saved checkpoint runs/a/ckpt_{k}.pt") for k in range(1, 4)]
    rows += [(100, "Command line: main.py --workdir=runs/a --resume"), (101, "Resumed from runs/a/ckpt_3.pt")]
    rows += [(100 + 5 * k, f"Saved checkpoint runs/a/ckpt_{k + 3}.pt") for k in range(1, 3)]
    return _log("train.INFO.log", rows)


def _metrics(n: int = 40) -> list[LogLine]:
    return _log("metrics.jsonl", [(2 * k, f'{{"step": {10 * k}, "train_loss": 0.1}}') for k in range(1, n)])


def test_the_console_log_that_records_its_starts_tells_the_sessions_not_a_richer_metrics_stream():
    out = analyse({"train.INFO.log": _console(), "metrics.jsonl": _metrics()}, "a")
    assert out.primary == "train.INFO.log" and len(out.sessions) == 2


def test_a_log_that_records_a_command_and_no_work_is_not_the_primary_one():
    setup = _log("setup.log", [(0, "Command: pip install -e .")])
    out = analyse({"setup.log": setup, "metrics.jsonl": _metrics()}, "a")
    assert out.primary == "metrics.jsonl"


def test_an_epochs_end_does_not_end_the_run():
    lines = _log("console.log", [(0, "train: pulsefit train configs/base.toml"),
                                 (5, "step 50 epoch 0 loss 1.3104 (7.1 it/s)"),
                                 (9, "epoch 0 finished at step 64, status.json updated"),
                                 (12, "step 100 epoch 1 loss 0.5759 (7.3 it/s)"),
                                 (40, "resume: pulsefit resume configs/base.toml"),
                                 (41, "resuming from runs/base/checkpoints/step_000050 at step 50"),
                                 (45, "step 100 epoch 1 loss 0.5759 (7.3 it/s)"),
                                 (50, "finished at step 120, final snapshot runs/base/final.npz")])
    first, second = analyse({"console.log": lines}, "base").sessions
    assert first.ended == "killed" and second.ended == "finished"
