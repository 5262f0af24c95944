"""A log rotated by size or schedule under numbered names (Python's RotatingFileHandler, logrotate:
`train.log` the newest, `train.log.1` older, `train.log.2` the oldest) is one log read in order,
oldest first; its file boundaries are where the handler rolled over, not restarts. Files that only
look alike (per-rank logs written at the same time) stay apart."""

from __future__ import annotations

from pathlib import Path

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig
from auditor.evidence import Evidence
from auditor.evidence import run as run_ev
from auditor.evidence.runstreams import session_series
from auditor.model import PROBES, Verdict

PICKLE = b"\x80\x04}\x94."  # an empty dict: a readable checkpoint with nothing in it


def _line(second: int, text: str) -> str:
    return f"2026-01-01 10:{second // 60:02d}:{second % 60:02d},000 INFO trainer: {text}\n"


def _rotated_run(root: Path) -> Path:
    """One run of 6 epochs, 20 s each, one state.pt overwritten after every epoch, killed after epoch 2
    and restarted by a supervisor with the same command; the log rolled over twice."""
    lines, t = [_line(0, "worker start pid=41 argv=fit.py --epochs 6")], 0
    for epoch in range(6):
        if epoch == 3:  # killed mid-epoch 3, restarted 10 s later with the same argv
            lines += [_line(t + 5, "iteration 0 loss 0.4"),
                      _line(t + 15, "worker start pid=57 argv=fit.py --epochs 6"),
                      _line(t + 16, "Resuming from state.pt at epoch 3")]
            t += 16
        lines += [_line(t + 5, f"iteration 0 loss 0.{9 - epoch}"), _line(t + 10, f"iteration 8 loss 0.{8 - epoch}"),
                  _line(t + 20, f"epoch {epoch} done, state saved to out/state.pt")]
        t += 20
    out = root / "out"
    out.mkdir(parents=True)
    (out / "state.pt").write_bytes(PICKLE)
    # oldest in .2, newest in the base file; the first rollover falls inside epoch 1, the next after the restart
    (out / "train.log.2").write_text("".join(lines[:5]))
    (out / "train.log.1").write_text("".join(lines[5:14]))
    (out / "train.log").write_text("".join(lines[14:]))
    return out


def _probe(name: str, root: Path, run: Path):
    return PROBES[name](Evidence(ProjectConfig(root=root), run), **({"min_count": 2} if "periodic" in name else {}))


def test_numbered_rotations_are_one_stream_oldest_first(tmp_path):
    run = run_ev.collect(ProjectConfig(root=tmp_path), _rotated_run(tmp_path))
    assert run.log.parts == ("train.log.2", "train.log.1", "train.log")
    assert run.restarts == 1 and [s.start_source for s in run.log.sessions] == ["train.log.2:1", "train.log.1:7"]
    assert run.saves_recorded == 6  # one an epoch, in all three files


def test_saves_and_the_restart_inside_a_rotated_series_are_evidence(tmp_path):
    out = _rotated_run(tmp_path)
    assert _probe("run.periodic_checkpoints", tmp_path, out).verdict == Verdict.YES
    assert _probe("run.resumed", tmp_path, out).verdict == Verdict.YES
    r = _probe("run.auto_resumed", tmp_path, out)
    assert r.verdict == Verdict.YES, r.summary


def test_a_rollover_is_not_a_restart_even_after_a_pause(tmp_path):
    """RotatingFileHandler rolls over when a line would overflow the file, whenever that is."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "ckpt_1.pt").write_bytes(PICKLE)
    (out / "train.log.1").write_text(_line(0, "worker start pid=9 argv=fit.py") + _line(5, "iteration 0 loss 0.5"))
    (out / "train.log").write_text(_line(40, "iteration 8 loss 0.4") + _line(45, "iteration 16 loss 0.3"))
    run = run_ev.collect(ProjectConfig(root=tmp_path), out)
    assert run.log.parts == ("train.log.1", "train.log") and run.restarts == 0


class _Line:
    def __init__(self, time: float) -> None:
        self.time, self.text = time, "iteration 1 loss 0.5"


def test_files_written_at_the_same_time_are_not_a_rotation():
    """`log` beside `log.0` and `log.1` written over the same minutes: one file a rank, not one log."""
    logs = {name: [_Line(100.0), _Line(160.0)] for name in ("log", "log.0", "log.1")}
    assert sorted(session_series(logs)) == ["log", "log.0", "log.1"]


def test_rotations_without_times_are_ordered_by_their_number():
    logs = {name: [] for name in ("run.txt", "run.txt.1", "run.txt.2", "run.txt.10")}
    assert session_series(logs) == {"run.txt.10": ("run.txt.10", "run.txt.2", "run.txt.1", "run.txt")}


def test_a_log_rotated_at_midnight_is_one_stream_with_its_dated_files(tmp_path):
    """TimedRotatingFileHandler: `train.log` the current file, `train.log.2026-01-01` the day before."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "ckpt_1.pt").write_bytes(PICKLE)
    day_1 = "2026-01-01 23:59:30,000 INFO start pid=7 argv=fit.py\n2026-01-01 23:59:50,000 INFO iteration 0 loss 0.5\n"
    day_2 = "2026-01-02 00:00:25,000 INFO iteration 8 loss 0.4\n2026-01-02 00:00:45,000 INFO iteration 16 loss 0.3\n"
    (out / "train.log.2026-01-01").write_text(day_1)
    (out / "train.log").write_text(day_2)
    run = run_ev.collect(ProjectConfig(root=tmp_path), out)
    assert run.log.parts == ("train.log.2026-01-01", "train.log") and run.restarts == 0
