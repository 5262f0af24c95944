"""mmengine's log dates, on small runs written here (not the corpus): the file log's
`2026/12/03 07:54:35 - mmengine - INFO - ...` (year/month/day with slashes) and the console's
`12/03 07:54:35 - mmengine - ...` (month/day, no year: the year of a dated line before it, else of
the file's modification time), so the saves those lines report have times."""

from __future__ import annotations

import calendar
import os
from pathlib import Path

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig
from auditor.evidence import Evidence
from auditor.evidence import run as run_ev
from auditor.evidence.timestamps import LineClock, parse
from auditor.model import PROBES, Verdict


def utc(*parts: int) -> float:
    return float(calendar.timegm((*parts, 0, 0, 0)))


def test_a_year_month_day_stamp_with_slashes_is_a_full_date():
    assert parse("2026/12/03 07:54:35 - mmengine - INFO - Saving checkpoint at 1000 iterations") \
        == utc(2026, 12, 3, 7, 54, 35)


def test_a_month_day_stamp_takes_the_year_of_a_dated_line_before_it():
    clock = LineClock()
    assert clock.time_of("2025/12/30 23:59:00 - mmengine - INFO - Config:") == utc(2025, 12, 30, 23, 59, 0)
    assert clock.time_of("12/31 00:00:10 - mmengine - INFO - Iter(train) [ 50/800]  loss: 0.1") \
        == utc(2025, 12, 31, 0, 0, 10)


def _lines(stamp: str) -> str:
    out = []
    for n in range(1, 5):
        t = 35 + 15 * n  # a save every 15 s
        out.append(f"{stamp}07:{t // 60 + 54:02d}:{t % 60:02d} - mmengine - INFO - Iter(train) [{n * 1000}/4000]  "
                   f"lr: 1e-03  time: 0.0120  loss: 0.0028")
        out.append(f"{stamp}07:{t // 60 + 54:02d}:{t % 60:02d} - mmengine - INFO - Saving checkpoint at "
                   f"{n * 1000} iterations")
    return "\n".join(out) + "\n"


def _run(root: Path, log_name: str, text: str, mtime: float | None = None) -> Path:
    run = root / "work_dirs" / "exp"
    (run / log_name).parent.mkdir(parents=True, exist_ok=True)
    (run / log_name).write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(run / log_name, (mtime, mtime))
    for n in range(1, 5):
        (run / f"iter_{n * 1000}.pth").write_bytes(b"not read")
    (run / "last_checkpoint").write_text(str(run / "iter_4000.pth"), encoding="utf-8")
    return run


def _gaps(root: Path, run: Path):
    return PROBES["run.checkpoint_gaps"](Evidence(ProjectConfig(root=root), run))


def test_mmengine_file_log_dates_time_the_saves(tmp_path):
    run = _run(tmp_path, "20261203_075419/20261203_075419.log", _lines("2026/12/03 "))
    ev = run_ev.collect(ProjectConfig(root=tmp_path), run)
    assert [s.time for s in ev.log.saves][:2] == [utc(2026, 12, 3, 7, 54, 50), utc(2026, 12, 3, 7, 55, 5)]
    r = _gaps(tmp_path, run)
    assert r.verdict == Verdict.PARTIAL and r.measured["largest_gap_s"] == 15, r.summary
    assert "mtime" not in r.citations[0].detail, r.citations


def test_mmengine_console_dates_take_the_year_of_the_files_mtime(tmp_path):
    run = _run(tmp_path, "train.log", _lines("12/03 "), mtime=utc(2026, 12, 3, 8, 0, 0))
    ev = run_ev.collect(ProjectConfig(root=tmp_path), run)
    assert ev.log.saves and ev.log.saves[0].time == utc(2026, 12, 3, 7, 54, 50)
    r = _gaps(tmp_path, run)
    assert r.verdict == Verdict.PARTIAL and r.measured["largest_gap_s"] == 15, r.summary


def test_a_month_day_log_written_past_new_year_is_dated_in_the_year_it_began(tmp_path):
    text = ("12/31 23:59:40 - mmengine - INFO - Iter(train) [1000/2000]  loss: 0.1\n"
            "12/31 23:59:40 - mmengine - INFO - Saving checkpoint at 1000 iterations\n"
            "01/01 00:00:10 - mmengine - INFO - Iter(train) [2000/2000]  loss: 0.1\n"
            "01/01 00:00:10 - mmengine - INFO - Saving checkpoint at 2000 iterations\n")
    run = _run(tmp_path, "train.log", text, mtime=utc(2027, 1, 1, 0, 5, 0))
    ev = run_ev.collect(ProjectConfig(root=tmp_path), run)
    assert [s.time for s in ev.log.saves] == [utc(2026, 12, 31, 23, 59, 40), utc(2027, 1, 1, 0, 0, 10)]
