"""absl / glog log files: absl's `logging` (and glog's C++ logger) writes one file per process start,
`<program>.<host>.<user>.log.<LEVEL>.<yyyymmdd>-<hhmmss>.<pid>`, its lines stamped
`I1203 20:43:03.338698 140237680200576 main.py:38] ...` (severity, month and day without a year,
the time, the thread id, the source line), and points a relative symlink `<program>.<LEVEL>` at the
newest. The files are the run's sessions: each start's own, read in time order; the symlink is
not a log of its own (its target is read once), and a link leading out of the run directory is
never followed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.evidence.run import collect
from auditor.evidence.timestamps import LineClock
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve
from auditor.runfinder import is_log_name

FIRST = "train.node7.alice.log.INFO.20261203-204303.16894"
SECOND = "train.node7.alice.log.INFO.20261203-204548.18092"


@pytest.mark.parametrize("name, log", [
    (FIRST, True),
    ("trainer.host.user.log.WARNING.20260101-000001.7", True),
    ("train.INFO", False),  # the symlink to the newest: its target is read, not the link
    ("train.log.INFO", False),
    ("data.20261203-204303.17", False),
])
def test_absl_log_file_names_are_logs(name, log):
    assert is_log_name(name) is log


def test_absl_line_stamps_are_read_with_the_year_given():
    clock = LineClock(year=2026)
    t = clock.time_of("I1203 20:43:03.338698 140237680200576 main.py:38] Command line: main.py")
    assert t == pytest.approx(1796330583.338698, abs=1e-3)
    assert clock.time_of("W1203 20:43:05.000001 140237680200576 train_lib.py:9] slow read") == pytest.approx(
        1796330585.0, abs=1e-3)
    assert LineClock(year=2026).time_of("I1203 is not a stamp") is None


def _line(t: str, where: str, text: str) -> str:
    return f"I1203 {t}.123456 140237680200576 {where}] {text}"


def _files() -> dict[str, list[str]]:
    one = [_line("20:43:03", "main.py:38", "Command line: main.py --workdir=runs/base --config=configs/base.py"),
           _line("20:43:03", "main.py:41", "Config:"), "batch_size: 128", "checkpoint_period: 120",
           _line("20:43:06", "train_lib.py:70", "Training from step 1 to 1500.")]
    for n, t in enumerate(("20:43:28", "20:43:50", "20:44:13", "20:44:35", "20:44:57", "20:45:19"), start=1):
        one.append(_line(t, "train_lib.py:96", f"Saved checkpoint runs/base/checkpoints/ckpt_{120 * n}.pt"))
    two = [_line("20:45:48", "main.py:38", "Command line: main.py --workdir=runs/base --config=configs/base.py "
                 "--resume"),
           _line("20:45:48", "main.py:41", "Config:"), "batch_size: 128", "checkpoint_period: 120",
           _line("20:45:50", "train_lib.py:57", "Resumed from runs/base/checkpoints/ckpt_720.pt at step 720."),
           _line("20:45:50", "train_lib.py:70", "Training from step 721 to 1500.")]
    for n, t in enumerate(("20:46:12", "20:46:34", "20:46:56", "20:47:19"), start=7):
        two.append(_line(t, "train_lib.py:96", f"Saved checkpoint runs/base/checkpoints/ckpt_{120 * n}.pt"))
    two.append(_line("20:47:30", "train_lib.py:99", "Finished at step 1320."))
    return {FIRST: one, SECOND: two}


def project(root: Path, link_to: str = SECOND) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.py").write_text("from absl import app\n")
    run = root / "runs" / "base"
    (run / "logs").mkdir(parents=True)
    (run / "checkpoints").mkdir()
    for name, lines in _files().items():
        (run / "logs" / name).write_text("\n".join(lines) + "\n")
    os.symlink(link_to, run / "logs" / "train.INFO")
    for step in (1080, 1200, 1320):
        (run / "checkpoints" / f"ckpt_{step}.pt").write_bytes(b"\x80\x04}\x94.")
    steps = "".join(f'{{"step": {s}, "time": {1796330583 + s // 5}, "train_loss": 0.01}}\n' for s in range(25, 1325, 25))
    (run / "metrics.jsonl").write_text(steps)
    return root


def _evidence(root: Path) -> Evidence:
    return Evidence(resolve(load_config(root)), root / "runs" / "base")


def test_one_absl_log_file_a_start_is_one_session_each(tmp_path):
    ev = _evidence(project(tmp_path))
    run = ev.run
    assert run.restarts == 1, [s.start_source for s in run.log.sessions]
    assert [s.start_source for s in run.log.sessions] == [f"logs/{FIRST}:1", f"logs/{SECOND}:1"]


@pytest.mark.parametrize("rule, verdict", [
    ("run.resumed", Verdict.YES),
    ("run.auto_resumed", Verdict.NO),  # the second start's command line has --resume
    ("run.checkpoint_gaps", Verdict.PARTIAL),  # saves 22 s apart
])
def test_an_absl_run_restarted_with_resume_is_judged_from_its_log_files(tmp_path, rule, verdict):
    r = PROBES[rule](_evidence(project(tmp_path)))
    assert r.verdict == verdict, r.summary


def test_a_log_link_leading_out_of_the_run_is_not_followed(tmp_path):
    outside = tmp_path / "elsewhere.log.INFO.20261203-204548.1"
    outside.write_text(_line("20:50:00", "x.py:1", "Command line: other.py --resume") + "\n")
    project(tmp_path / "p", link_to=str(outside))
    os.symlink(outside, tmp_path / "p" / "runs" / "base" / "logs" / "other.host.user.log.INFO.20261203-205000.9")
    config = resolve(load_config(tmp_path / "p"))
    run = collect(config, tmp_path / "p" / "runs" / "base")
    assert run.restarts == 1
    assert not any("other.py" in s.command for s in run.log.sessions)
    assert any("other.host.user.log.INFO" in e for e in run.errors), run.errors
